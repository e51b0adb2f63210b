// backup.js: the backup form: destination, name, options, collections
// from the live list; "Create Backup" and "Create & Download" (the save
// location asked for once the server accepted the backup, File System
// Access API where the browser has it, an ordinary download elsewhere;
// closing the picker discards the backup); progress; result.

import {call, downloadUrl, where} from './api.js';

// A create's result as the list names a backup: in its storage, or at
// the destinationPath it was written to.
function stored(res) {
    return {name: res.file, storage: res.storage,
            path: res.destinationPath || null};
}
import {h, fill, $, table} from './dom.js';
import * as fmt from './format.js';
import {showError, showNotice, clearError, followJob, toast} from './ui.js';

const form = $('#backup-form');
const errBox = $('#backup-error');
const progress = $('#backup-progress');
const result = $('#backup-result');
let busy = false;
let onDone = () => {};

// The collection checklist, from the statistics (name, count).
export function setCollections(list) {
    const box = $('#b-colls');
    if (!list) {
        fill(box, h('p.muted', {}, 'The collection list is not available.'));
        return;
    }
    const items = list.map((c) => h('label.coll', {},
        h('input', {type: 'checkbox', name: 'coll', value: c.name}),
        h('span.coll-name', {}, c.name),
        h('span.muted', {}, ' ' + fmt.num(c.count) + ' docs')));
    const all = h('button.btn.small', {type: 'button', on: {click: () => {
        for (const i of box.querySelectorAll('input')) {
            i.checked = true;
        }
    }}}, 'Tick all');
    const none = h('button.btn.small', {type: 'button', on: {click: () => {
        for (const i of box.querySelectorAll('input')) {
            i.checked = false;
        }
    }}}, 'Tick none');
    fill(box, h('div.collgrid', {}, items), h('div.row', {}, all, ' ', none));
    syncCollMode();
}

// Paths offered for the destination (allowed roots, earlier ones).
export function setRoots(paths) {
    fill($('#b-roots'), paths.map((p) => h('option', {value: p})));
    fill($('#b-roots-text'), paths.length
        ? [' (', paths.map((p, i) => [i ? ', ' : '', h('code', {}, p)]),
           ')'] : []);
}

// The storages the server lists (name, default), one radio each; the
// choice made stays while it is still offered, else the default.
export function setStorages(list) {
    const was = form.elements.storage ? form.elements.storage.value : '';
    const pick = list.some((s) => s.name === was) ? was
        : (list.find((s) => s.default) || list[0] || {}).name;
    fill($('#b-storages'), list.map((s, i) => h('label', {},
        h('input', {type: 'radio', name: 'storage', value: s.name,
                    checked: s.name === pick,
                    dataset: i === 0 ? {field: 'storage'} : undefined}),
        ' ', s.name)));
}

export function onBackupDone(fn) {
    onDone = fn;
}

function syncCollMode() {
    const mode = form.elements.collMode.value;
    const box = $('#b-colls');
    box.classList.toggle('disabled', mode === 'all');
    for (const i of box.querySelectorAll('input, button')) {
        i.disabled = mode === 'all';
    }
}

function body() {
    const f = form.elements;
    const b = {
        backupName: f.backupName.value.trim(),
        compression: f.compression.value,
        includeIndexes: f.includeIndexes.checked,
        generateTimestamp: f.generateTimestamp.checked,
        storage: f.storage ? f.storage.value : undefined,
        async: true,
    };
    if (f.description.value.trim() !== '') {
        b.description = f.description.value.trim();
    }
    if (f.destinationPath.value.trim() !== '') {
        b.destinationPath = f.destinationPath.value.trim();
    }
    const mode = f.collMode.value;
    const ticked = Array.from($('#b-colls').querySelectorAll(
        'input:checked')).map((i) => i.value);
    if (mode === 'include') {
        b.includeCollections = ticked;
    } else if (mode === 'exclude') {
        b.excludeCollections = ticked;
    }
    return b;
}

// Checks the page can make before asking the server (which checks again).
// The backup-name rule is the engine's (storage/mbk_storage.h): the
// server answers a bad name with a 400 naming the field, before any job.
function localCheck(b) {
    if (b.includeCollections && b.includeCollections.length === 0) {
        return {message: 'tick at least one collection to include',
                field: 'includeCollections'};
    }
    return null;
}

// Ask where to save, once the server has accepted the backup.  Returns
// a handle, null for an ordinary download, or 'cancel' when the user
// closed the picker (then the job is canceled: nothing is created).
async function askSaveLocation(b) {
    if (typeof window.showSaveFilePicker !== 'function') {
        return null;
    }
    const gz = b.compression === 'gzip';
    try {
        return await window.showSaveFilePicker({
            suggestedName: b.backupName + (gz ? '.json.gz' : '.json'),
            types: [{description: gz ? 'gzip-compressed backup' : 'JSON backup',
                     accept: gz ? {'application/gzip': ['.gz']}
                                : {'application/json': ['.json']}}],
        });
    } catch (e) {
        if (e.name === 'AbortError') {
            return 'cancel';
        }
        // No user activation left, or no picker here (headless): the
        // browser downloads the file as usual.
        return null;
    }
}

// The user closed the save picker: cancel the job, and delete the file
// when the backup had already finished.
async function discard(id) {
    try {
        await call('POST', '/jobs/cancel', {query: {id}});
    } catch (e) {
        // finished already: handled below
    }
    let s;
    for (;;) {
        s = await call('GET', '', {query: {job: id}});
        if (s.state !== 'queued' && s.state !== 'running') {
            break;
        }
        await new Promise((r) => setTimeout(r, 300));
    }
    if (s.state === 'done' && s.result && s.result.file) {
        await call('DELETE', '', {query: where(stored(s.result))});
    }
}

// Save a finished backup: into the chosen file, or as a download.
async function save(res, handle) {
    const url = downloadUrl(stored(res));
    if (handle) {
        try {
            const r = await fetch(url, {credentials: 'same-origin',
                                        headers: {'X-Requested-With': 'mbk-www'}});
            if (!r.ok) {
                throw new Error(`the download answered ${r.status}`);
            }
            const w = await handle.createWritable();
            await r.body.pipeTo(w);
            return `saved as ${handle.name}`;
        } catch (e) {
            if (e.name === 'AbortError') {
                return 'saving was cancelled';
            }
            toast.fire({icon: 'warning', title: 'Saving into the chosen ' +
                        'file failed (' + e.message + '): downloading instead.'});
        }
    }
    const a = h('a', {href: url, download: res.file, hidden: true});
    document.body.appendChild(a);
    a.click();
    a.remove();
    return 'downloading ' + res.file;
}

function showResult(res, saved) {
    const colls = Object.entries(res.collections || {}).map(
        ([name, c]) => ({name, ...c}));
    fill(result,
        h('h3', {}, 'Backup created'),
        h('dl.summary', {},
          h('dt', {}, 'File'), h('dd', {}, h('code.result-file', {}, res.file)),
          h('dt', {}, 'Storage'), h('dd', {}, res.destinationPath
              ? `${res.storage} · ${res.destinationPath}` : res.storage),
          h('dt', {}, 'Size'), h('dd', {}, fmt.bytes(res.size) +
              (res.jsonBytes ? ` (${fmt.bytes(res.jsonBytes)} of JSON)` : '')),
          h('dt', {}, 'Documents'), h('dd.result-docs', {},
              fmt.num(res.documentCount)),
          h('dt', {}, 'Duration'), h('dd', {}, fmt.duration(res.durationSeconds)),
          saved ? [h('dt', {}, 'Download'), h('dd', {}, saved)] : null),
        res.destinationPath ? h('p.alert.notice.result-elsewhere', {},
            `This backup was written under ${res.destinationPath}, outside ` +
            'the configured storage; the Backups list shows it with that ' +
            'path.') : null,
        table([
            {label: 'Collection', value: (c) => c.name},
            {label: 'Type', value: (c) => c.type},
            {label: 'Documents', num: true, value: (c) => fmt.num(c.documentCount)},
            {label: 'JSON size', num: true, value: (c) => fmt.bytes(c.bytes)},
        ], colls, 'Per collection'));
    result.hidden = false;
    result.focus();
}

async function run(withDownload) {
    if (busy) {
        return;
    }
    clearError(errBox, form);
    const b = body();
    const bad = localCheck(b);
    if (bad) {
        showError(errBox, bad, form);
        return;
    }
    busy = true;
    for (const btn of form.querySelectorAll('.actions button')) {
        btn.disabled = true;
    }
    result.hidden = true;
    fill(result);
    progress.hidden = true;
    fill(progress);
    try {
        const job = await call('POST', '', {json: b});
        // The server accepted it: only now ask where to save.
        const handle = withDownload ? await askSaveLocation(b) : null;
        if (handle === 'cancel') {
            await discard(job.jobId);
            showNotice(errBox, 'No save location chosen: the backup was ' +
                       'canceled and nothing was created.');
            return;
        }
        const res = await followJob(progress, job.jobId, 'Backup ' +
                                    b.backupName, {own: true});
        const saved = withDownload ? await save(res, handle) : null;
        showResult(res, saved);
        toast.fire({icon: 'success', title: `Backup ${res.file} created`});
        onDone(res);
    } catch (e) {
        showError(errBox, e, form);
    } finally {
        busy = false;
        for (const btn of form.querySelectorAll('.actions button')) {
            btn.disabled = false;
        }
    }
}

export function initBackup() {
    form.addEventListener('submit', (e) => {
        e.preventDefault();
        run(false);
    });
    $('#b-create-dl').addEventListener('click', () => run(true));
    for (const r of form.elements.collMode) {
        r.addEventListener('change', syncCollMode);
    }
    form.addEventListener('input', (e) => {
        e.target.removeAttribute('aria-invalid');
    });
    const name = form.elements.backupName;
    if (name.value === '') {
        name.value = 'backup';
    }
}
