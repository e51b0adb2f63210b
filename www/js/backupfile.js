// backupfile.js: check in the browser that a file is an mbk backup before
// it is uploaded. Only the head is read: the backup format puts
// {"metadata": {...}} first, so the metadata object is cut out of the
// first bytes (decompressed with DecompressionStream when gzip) and
// parsed; the rest of the file is never read here.

const HEAD_MAX = 8 * 1024 * 1024; // metadata larger than this: refuse

export class BackupFileError extends Error {
    constructor(message) {
        super(message);
        this.name = 'BackupFileError';
    }
}

// The text of the first bytes of the (decompressed) file, growing until
// `enough(text)` says so or HEAD_MAX is reached.
async function readHead(file, gzip, enough) {
    let stream = file.stream();
    if (gzip) {
        stream = stream.pipeThrough(new DecompressionStream('gzip'));
    }
    const reader = stream.getReader();
    const dec = new TextDecoder('utf-8', {fatal: true});
    let text = '';
    let total = 0;
    try {
        for (;;) {
            const {value, done} = await reader.read();
            if (done) {
                text += dec.decode();
                break;
            }
            total += value.byteLength;
            text += dec.decode(value, {stream: true});
            if (enough(text) || total >= HEAD_MAX) {
                break;
            }
        }
    } catch (e) {
        if (e instanceof TypeError && !gzip) {
            throw new BackupFileError('the file is not UTF-8 text, so not ' +
                                      'a JSON backup');
        }
        throw new BackupFileError(gzip
            ? 'the gzip data is damaged or truncated (' + e.message + ')'
            : 'the file cannot be read: ' + e.message);
    } finally {
        reader.cancel().catch(() => {});
    }
    return text;
}

// The end (exclusive) of the JSON object starting at text[start] === '{',
// or -1 when the text ends first.
function objectEnd(text, start) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (c === '\\') {
                i++;
            } else if (c === '"') {
                inString = false;
            }
        } else if (c === '"') {
            inString = true;
        } else if (c === '{' || c === '[') {
            depth++;
        } else if (c === '}' || c === ']') {
            depth--;
            if (depth === 0) {
                return i + 1;
            }
        }
    }
    return -1;
}

const HEAD_RE = /^\s*\{\s*"metadata"\s*:\s*/;

function metadataSpan(text) {
    const m = HEAD_RE.exec(text);
    if (!m) {
        return null;
    }
    const start = m[0].length;
    if (text[start] !== '{') {
        return {start, end: -2};
    }
    return {start, end: objectEnd(text, start)};
}

function describe(meta, file, gzip) {
    const problems = [];
    if (typeof meta.database !== 'string' || meta.database === '') {
        problems.push('no database name');
    }
    if (!Array.isArray(meta.collections)) {
        problems.push('no list of collections');
    }
    if (problems.length > 0) {
        throw new BackupFileError('the metadata is incomplete: ' +
                                  problems.join(', '));
    }
    const info = meta.collectionInfo && typeof meta.collectionInfo ===
                 'object' ? meta.collectionInfo : {};
    const collections = meta.collections.map((name) => {
        const ci = info[name] || {};
        return {name: String(name),
                type: ci.type || 'collection',
                documents: typeof ci.documentCount === 'number'
                    ? ci.documentCount : null,
                indexes: Array.isArray(ci.indexes) ? ci.indexes.length : null};
    });
    const counted = collections.every((c) => c.documents !== null);
    return {
        fileName: file.name,
        fileSize: file.size,
        gzip,
        database: meta.database,
        backupName: meta.backupName || null,
        description: meta.description || '',
        timestamp: meta.timestamp || null,
        format: meta.format || meta.version || null,
        collections,
        documents: counted
            ? collections.reduce((s, c) => s + c.documents, 0) : null,
    };
}

// Inspect a File (or Blob with a name): resolves to a description of the
// backup, or rejects with BackupFileError saying what is wrong.
export async function inspectBackup(file) {
    if (file.size === 0) {
        throw new BackupFileError('the file is empty');
    }
    const magic = new Uint8Array(await file.slice(0, 2).arrayBuffer());
    const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
    if (gzip && typeof DecompressionStream === 'undefined') {
        return {fileName: file.name, fileSize: file.size, gzip,
                unchecked: true};
    }
    if (!gzip && magic[0] !== 0x7b && !/\s/.test(String.fromCharCode(
        magic[0]))) {
        throw new BackupFileError('this is neither a JSON backup nor a ' +
                                  'gzip-compressed one');
    }
    const text = await readHead(file, gzip, (t) => {
        const s = metadataSpan(t);
        return (s !== null && s.end !== -1) ||
               (t.length > 64 && !HEAD_RE.test(t) && !/^\s*\{\s*$/.test(t));
    });
    const span = metadataSpan(text);
    if (span === null) {
        throw new BackupFileError('this is not an mbk backup: it does not ' +
                                  'start with {"metadata": ...}');
    }
    if (span.end === -2) {
        throw new BackupFileError('the "metadata" of this file is not an ' +
                                  'object');
    }
    if (span.end === -1) {
        throw new BackupFileError('the metadata is cut short or larger ' +
                                  'than ' + (HEAD_MAX >> 20) + ' MiB');
    }
    let meta;
    try {
        meta = JSON.parse(text.slice(span.start, span.end));
    } catch (e) {
        throw new BackupFileError('the metadata is not valid JSON (' +
                                  e.message + ')');
    }
    return describe(meta, file, gzip);
}
