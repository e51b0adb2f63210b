// api.js: the one way the page talks to /api/settings/backup. Every
// answer is the envelope {success, data} or {success:false, error,
// details}; a failure becomes an ApiError with the status, the message
// and the field the server named.

// Relative to the page, so that the page works at / and under a prefix
// (/mbk/ when nginx/mbk-prefix.conf adds mbk to an existing server).
export const API = new URL('api/settings/backup', document.baseURI).pathname;

// Sent with every request: the responder refuses state-changing requests
// without it (cross-site guard).
const GUARD = {'X-Requested-With': 'mbk-www'};

export class ApiError extends Error {
    constructor(status, message, details) {
        super(message);
        this.name = 'ApiError';
        this.status = status;
        this.details = details || {};
        this.field = this.details.field || null;
    }
}

async function envelope(res) {
    let body = null;
    const type = res.headers.get('Content-Type') || '';
    if (type.includes('json')) {
        try {
            body = await res.json();
        } catch (e) {
            body = null;
        }
    }
    if (body && body.success === true && res.ok) {
        return body.data;
    }
    if (body && body.success === false) {
        throw new ApiError(res.status, body.error || 'request failed',
                           body.details);
    }
    throw new ApiError(res.status, `the server answered ${res.status} ` +
                       `${res.statusText || ''}`.trim() +
                       ' without a readable message', {});
}

// call('GET', '/stats', {query: {...}, json: {...}, body, headers})
export async function call(method, path, opts = {}) {
    const url = new URL(API + (path || ''), location.origin);
    for (const [k, v] of Object.entries(opts.query || {})) {
        if (v !== undefined && v !== null && v !== '') {
            url.searchParams.set(k, String(v));
        }
    }
    const headers = {...GUARD, ...(opts.headers || {})};
    let body = opts.body;
    if (opts.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(opts.json);
    }
    let res;
    try {
        res = await fetch(url, {method, headers, body,
                                credentials: 'same-origin',
                                cache: 'no-store', signal: opts.signal});
    } catch (e) {
        if (e.name === 'AbortError') {
            throw e;
        }
        throw new ApiError(0, 'the server cannot be reached (' +
                           e.message + ')', {});
    }
    return envelope(res);
}

// Where a listed backup is, as the API's query takes it: its storage,
// or the path it was written to (a destinationPath the list found again).
export function where(b) {
    return b.path ? {name: b.name, path: b.path}
                  : {name: b.name, storage: b.storage};
}

export function downloadUrl(b) {
    const url = new URL(API + '/download', location.origin);
    for (const [k, v] of Object.entries(where(b))) {
        if (v) {
            url.searchParams.set(k, v);
        }
    }
    return url.pathname + url.search;
}

// An upload with progress: XMLHttpRequest, since fetch reports none.
// onProgress(sentBytes, totalBytes).
export function upload(form, onProgress) {
    return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('PUT', API);
        for (const [k, v] of Object.entries(GUARD)) {
            xhr.setRequestHeader(k, v);
        }
        xhr.responseType = 'text';
        xhr.upload.addEventListener('progress', (e) => {
            if (onProgress) {
                onProgress(e.loaded, e.lengthComputable ? e.total : 0);
            }
        });
        xhr.addEventListener('error', () => reject(
            new ApiError(0, 'the upload failed: the server cannot be ' +
                         'reached or closed the connection', {})));
        xhr.addEventListener('load', () => {
            const headers = new Headers();
            headers.set('Content-Type',
                        xhr.getResponseHeader('Content-Type') || '');
            envelope(new Response(xhr.status === 204 ? null : xhr.response,
                                  {status: xhr.status,
                                   statusText: xhr.statusText, headers}))
                .then(resolve, reject);
        });
        xhr.send(form);
    });
}
