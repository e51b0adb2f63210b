// ui.js: what the sections share: error and notice boxes, marking the
// field an API error names, SweetAlert2 with the page's look, and the
// job progress panel (polling GET ?job=ID).

import Swal from '../vendor/sweetalert2.esm.min.js';
import {call, ApiError} from './api.js';
import {h, fill} from './dom.js';
import * as fmt from './format.js';
import {indexing as isIndexing, phaseWords} from './phases.js';

export {Swal};

export const swal = Swal.mixin({
    buttonsStyling: false,
    customClass: {confirmButton: 'btn primary', cancelButton: 'btn',
                  denyButton: 'btn danger', input: 'swal-input'},
    reverseButtons: true,
    focusCancel: true,
});

export const toast = Swal.mixin({
    // Bottom corner: a toast never covers the progress cards above.
    toast: true, position: 'bottom-end', showConfirmButton: false,
    timer: 4000, timerProgressBar: true,
});

// What an error means, in plain words, by its HTTP status.  The server's
// own message follows when it names what is wrong (a bad field, a
// refused file); otherwise it goes behind "Details".
function plain(err) {
    const st = err instanceof ApiError ? err.status : null;
    const state = err && err.details ? err.details.state : null;
    if (state === 'canceled') {
        return {notice: true, text: 'The operation was canceled.', own: false};
    }
    switch (st) {
    case 0:
        return {text: 'The server cannot be reached. Check the connection ' +
                      'and try again.', own: false};
    case 401:
        return {text: 'Your login was not accepted. Reload the page to ' +
                      'sign in again.', own: false};
    case 403:
        return {text: 'You may not do this.', own: true};
    case 404:
        return {text: 'Not found:', own: true};
    case 409:
        return {text: 'This cannot run now:', own: true};
    case 413:
        return {text: 'The file is too large for the server.', own: true};
    case 422:
        return {text: 'The backup file is not valid:', own: true};
    case 500:
        return {text: 'The server failed to do this.', own: false};
    case 502:
    case 504:
        return {text: 'The backup service is not answering. Try again in ' +
                      'a moment.', own: false};
    case 503:
        return {text: 'MongoDB or the backup service is not available ' +
                      'right now. Try again in a moment.', own: false};
    case 507:
        return {text: 'The server\'s disk is full.', own: false};
    default:
        return {text: st ? 'The request was refused:' : '', own: true};
    }
}

// Show an error in `box` (a role=alert element): plain words first, the
// technical detail (status, message, field) behind a "Details"
// disclosure; mark the field the server named in `form` and focus it.  A
// cancel is a notice, not an error.  opts.prefix leads the message.
export function showError(box, err, form, opts = {}) {
    const status = err instanceof ApiError && err.status ? err.status : null;
    const field = err && err.field ? err.field : null;
    const message = err && err.message ? err.message : String(err);
    const p = plain(err);
    fill(box,
        h('p.error-text', {},
          opts.prefix ? h('strong', {}, opts.prefix + ': ') : null,
          p.text ? p.text + ' ' : null,
          p.own || !p.text ? h('span.error-message', {}, message) : null),
        h('details.error-details', {},
          h('summary', {}, 'Details'),
          h('dl', {},
            status ? [h('dt', {}, 'HTTP status'), h('dd', {}, String(status))]
                   : null,
            h('dt', {}, 'Message'), h('dd', {}, h('code', {}, message)),
            field ? [h('dt', {}, 'Field'), h('dd.error-field', {},
                                             h('code', {}, field))] : null)));
    box.hidden = false;
    box.className = p.notice ? 'alert notice' : 'alert error';
    box.dataset.status = status === null ? '' : String(status);
    if (form && field) {
        const input = form.querySelector(`[data-field="${CSS.escape(field)}"]`);
        if (input) {
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
    }
    box.focus();
}

export function showNotice(box, ...content) {
    fill(box, ...content);
    box.hidden = false;
    box.className = 'alert notice';
}

export function clearError(box, form) {
    box.hidden = true;
    box.replaceChildren();
    if (form) {
        for (const el of form.querySelectorAll('[aria-invalid]')) {
            el.removeAttribute('aria-invalid');
        }
    }
}

// The progress panel of one job: fill `panel`, poll until the job ends.
// Resolves with the job's result; rejects with an ApiError (its message,
// status) when it failed or was canceled.
// Jobs this tab started and that still run: leaving the page asks first.
const ownJobs = new Set();
// Jobs some panel of this tab follows already.
export const followed = new Set();
window.addEventListener('beforeunload', (e) => {
    if (ownJobs.size > 0) {
        e.preventDefault();
        e.returnValue = '';
    }
});

export function followJob(panel, jobId, what, opts = {}) {
    if (opts.own) {
        ownJobs.add(jobId);
    }
    followed.add(jobId);
    const bar = h('progress.bar', {max: 100, 'aria-label': what + ' progress'});
    const phase = h('span.phase', {}, 'queued');
    // What it is doing now, in words (phases.js).
    const doing = h('p.job-doing', {}, phaseWords({state: 'queued',
                                                    phase: 'queued'}));
    const stats = h('dl.job-stats', {});
    const cancel = h('button.btn.danger', {type: 'button'}, 'Cancel');
    const live = h('p.sr-only', {'aria-live': 'polite'});
    fill(panel, h('div.job-head', {},
                  h('strong', {}, what), ' — ', phase,
                  h('span.job-id', {}, ' job ', h('code', {}, jobId))),
         doing, bar, stats, h('div.job-actions', {}, cancel), live);
    panel.hidden = false;
    panel.dataset.jobState = 'queued';
    let stop = false;
    cancel.addEventListener('click', async () => {
        const r = await swal.fire({
            icon: 'warning', title: 'Cancel this job?',
            text: `${what} stops; a restore is rolled back.`,
            showCancelButton: true, confirmButtonText: 'Cancel the job',
            cancelButtonText: 'Keep it running',
            customClass: {confirmButton: 'btn danger', cancelButton: 'btn'}});
        if (!r.isConfirmed) {
            return;
        }
        cancel.disabled = true;
        cancel.textContent = 'Canceling…';
        try {
            await call('POST', '/jobs/cancel', {query: {id: jobId}});
        } catch (e) {
            cancel.textContent = 'Cancel failed: ' + e.message;
        }
    });
    const item = (dt, dd) => [h('dt', {}, dt), h('dd', {}, dd)];
    let lastPhase = '';
    return new Promise((resolve, reject) => {
        const tick = async () => {
            let s;
            try {
                s = await call('GET', '', {query: {job: jobId}});
            } catch (e) {
                ownJobs.delete(jobId);
                reject(e);
                return;
            }
            // A finished job's result has the final counts (a restore's
            // progress may not know its total).
            if (s.state === 'done' && s.result) {
                if (typeof s.result.documentCount === 'number' &&
                    s.docsTotal === 0) {
                    s.docsDone = s.docsTotal = s.result.documentCount;
                }
                if (!s.elapsedSeconds && s.result.durationSeconds) {
                    s.elapsedSeconds = s.result.durationSeconds;
                }
            }
            if (s.state === 'failed' || s.state === 'canceled') {
                s.phase = s.state;
            }
            const pct = s.docsTotal > 0
                ? Math.min(100, 100 * s.docsDone / s.docsTotal)
                : (s.state === 'done' ? 100 : null);
            // A restore's index builds come after its documents: the bar
            // then shows the indexes built of all, not a frozen 100 %.
            const indexing = isIndexing(s);
            const idxPct = indexing && s.indexesTotal > 0
                ? Math.min(100, 100 * s.indexesDone / s.indexesTotal) : null;
            if (s.state === 'failed' || s.state === 'canceled') {
                bar.value = 0;
            } else if (indexing && idxPct !== null) {
                bar.value = idxPct;
            } else if (pct === null || indexing) {
                bar.removeAttribute('value');
            } else {
                bar.value = pct;
            }
            bar.setAttribute('aria-label', what + (indexing
                ? ': indexes built' : ' progress'));
            phase.textContent = s.phase || s.state;
            doing.textContent = phaseWords(s);
            panel.dataset.jobState = s.state;
            panel.dataset.phase = s.phase || s.state;
            fill(stats,
                 item('Collection', s.collection
                      ? `${s.collection} (${s.collectionsDone}/` +
                        `${s.collectionsTotal})` : '—'),
                 item('Documents', `${fmt.num(s.docsDone)} of ` +
                      `${fmt.num(s.docsTotal)}` +
                      (pct !== null ? ` (${pct.toFixed(0)} %)` : '')),
                 s.indexesTotal > 0 || indexing
                     ? item('Indexes', s.indexesTotal > 0
                         ? `${fmt.num(s.indexesDone)} of ` +
                           `${fmt.num(s.indexesTotal)} built`
                         : 'building') : null,
                 item('Data', fmt.bytes(s.bytesDone)),
                 item('Rate', fmt.rate(s.docsPerSecond) + ' · ' +
                      fmt.rate(s.bytesPerSecond, 'bytes')),
                 item('Elapsed', fmt.duration(s.elapsedSeconds)),
                 item('Time left', indexing ? 'not known while indexes build'
                      : s.etaSeconds === null || s.etaSeconds === undefined
                          ? '—' : fmt.duration(s.etaSeconds)));
            if (s.phase !== lastPhase) {
                live.textContent = `${what}: ${phaseWords(s)}`;
                lastPhase = s.phase;
            }
            if (s.state !== 'queued' && s.state !== 'running') {
                ownJobs.delete(jobId);
            }
            if (s.state === 'done') {
                cancel.hidden = true;
                resolve(s.result);
                return;
            }
            if (s.state === 'failed' || s.state === 'canceled') {
                cancel.hidden = true;
                const e = s.error || {};
                reject(new ApiError(e.status || 500, s.state === 'canceled'
                    ? 'canceled: ' + (e.message || 'the job was canceled')
                    : e.message || 'the job failed', {state: s.state}));
                return;
            }
            if (!stop) {
                setTimeout(tick, 300);
            }
        };
        tick();
    });
}
