// restore.js: the restore wizard: method -> file -> options -> confirm ->
// run. Server files come from the backup list or a typed path; uploads
// from showOpenFilePicker, <input type=file> or drag and drop, checked
// in the browser (backupfile.js) before they are sent.

import {call, upload} from './api.js';
import {h, fill, $, table} from './dom.js';
import * as fmt from './format.js';
import {inspectBackup} from './backupfile.js';
import {swal, toast, showError, clearError, followJob} from './ui.js';
import {reportView} from './report.js';

const errBox = $('#restore-error');
const st = {
    step: 1,
    method: 'server',
    backups: [],          // from the list
    file: null,           // the File to upload
    info: null,           // its inspection, or the server backup's metadata
    running: false,
    defaultDb: '',        // the live database (the list's)
    source: '',           // the key of the source step 3 was built for
    targetTouched: false, // the user typed a target: keep it
    checked: null,        // the server's upload dry run of st.file
    lastDry: null,        // the last dry run's report
};

function stepEl(n) {
    return $(`#restore .step[data-step="${n}"]`);
}

function show(n) {
    st.step = n;
    for (let i = 1; i <= 5; i++) {
        stepEl(i).hidden = i !== n;
        const li = $(`#r-steps li[data-step="${i}"]`);
        li.classList.toggle('done', i < n);
        li.classList.remove('failed');
        if (i === n) {
            li.setAttribute('aria-current', 'step');
        } else {
            li.removeAttribute('aria-current');
        }
    }
    $('#r-back').disabled = n === 1 || st.running;
    const next = $('#r-next');
    next.hidden = n === 5;
    next.textContent = n === 4 ? (isDry() ? 'Run the dry run'
                                          : 'Restore now') : 'Next';
    next.classList.toggle('danger', n === 4 && !isDry());
    if (n === 2) {
        $('#r-server').hidden = st.method !== 'server';
        $('#r-upload').hidden = st.method !== 'upload';
    }
    if (n === 3) {
        prepareOptions();
    }
    if (n === 4) {
        fillSummary();
    }
    stepEl(n).querySelector('h3').focus();
}

function isDry() {
    return $('#r-dry').checked;
}

// ---- step 2: server ------------------------------------------------------

// A listed backup as the choice's value: "STORAGE\0NAME", or the file's
// path for one written to a destinationPath (a directory; the ones kept
// in a single file, a tar, are not offered).
function choiceValue(b) {
    return b.path ? b.path + '/' + b.name : b.storage + '\u0000' + b.name;
}

export function setBackups(list, db) {
    st.backups = list.filter((b) => !b.pathIsFile);
    st.defaultDb = db || st.defaultDb;
    const sel = $('#r-backup');
    const keep = sel.value;
    fill(sel, h('option', {value: ''}, st.backups.length
                    ? '— choose a backup —' : '(no backups yet)'),
         st.backups.map((b) => h('option', {value: choiceValue(b)},
             `${b.name} · ${b.path || b.storage} · ${fmt.date(b.timestamp ||
                 b.modified)} · ${fmt.bytes(b.size)}`)));
    sel.value = keep;
}

// Jump here from the backup list with that backup chosen.
export function restoreFrom(b) {
    st.method = 'server';
    document.querySelector('input[name="rMethod"][value="server"]').checked =
        true;
    $('#r-backup').value = choiceValue(b);
    $('#r-path').value = '';
    location.hash = '#restore';
    show(2);
}

function serverChoice() {
    const path = $('#r-path').value.trim();
    if (path !== '') {
        return {path};
    }
    const v = $('#r-backup').value;
    if (v === '') {
        return null;
    }
    if (v.startsWith('/')) {
        return {path: v};
    }
    const [storage, name] = v.split('\u0000');
    return {backupName: name, storage};
}

function serverInfo(choice) {
    if (!choice) {
        return null;
    }
    const b = st.backups.find((x) => choice.path
        ? x.path && x.path + '/' + x.name === choice.path
        : x.name === choice.backupName && x.storage === choice.storage);
    if (!b) {
        return null;
    }
    return {database: b.database, timestamp: b.timestamp,
            documents: b.documentCount,
            collections: (b.collections || []).map((name) => ({name,
                                                               documents: null}))};
}

// ---- step 2: upload ------------------------------------------------------

async function takeFile(file) {
    st.file = null;
    st.info = null;
    st.checked = null;
    const box = $('#r-file-info');
    fill(box, h('p.muted', {}, `Reading the head of ${file.name}…`));
    clearError(errBox);
    try {
        const info = await inspectBackup(file);
        st.file = file;
        st.info = info;
        if (info.unchecked) {
            fill(box, h('div.alert.notice', {},
                `${file.name} (${fmt.bytes(file.size)}) is gzip-compressed ` +
                'and this browser cannot open it here; the server checks ' +
                'the whole file when you press Next.'));
            return;
        }
        fill(box, fileCard(info));
    } catch (e) {
        fill(box);
        showError(errBox, {message: `${file.name}: ${e.message}`,
                           field: null});
    }
}

// What the browser read: the head only.  The whole file is checked by
// the server (an upload dry run) when the user goes on to step 3.
function fileCard(info) {
    return h('div.filecard', {},
        h('h4', {}, 'The header of ', h('span.file-ok', {}, info.fileName),
          ' is an mbk backup of ', h('code.meta-db', {}, info.database), ', ',
          fmt.count(info.collections.length, 'collection')),
        h('p.muted.filecard-note', {}, 'Only the header was read here. ' +
          'The server reads and checks the whole file when you press Next.'),
        h('dl.summary', {},
          h('dt', {}, 'Date'), h('dd', {}, fmt.date(info.timestamp)),
          info.backupName ? [h('dt', {}, 'Name'), h('dd', {}, info.backupName)]
                          : null,
          info.description ? [h('dt', {}, 'Description'),
                              h('dd', {}, info.description)] : null,
          h('dt', {}, 'File'), h('dd', {}, fmt.bytes(info.fileSize) +
              (info.gzip ? ', gzip' : ', plain JSON')),
          h('dt', {}, 'Documents (header)'), h('dd', {},
                                               fmt.num(info.documents))),
        table([
            {label: 'Collection', value: (c) => c.name},
            {label: 'Documents', num: true, value: (c) => fmt.num(c.documents)},
            {label: 'Indexes', num: true, value: (c) => fmt.num(c.indexes)},
        ], info.collections, 'Collections the header lists'));
}

// The server reads the whole upload (validateOnly: structure, counts and
// digests; no MongoDB, no lock, no job): a truncated or damaged file is
// refused here, at step 2, with the server's message.  The server keeps
// a sound upload for a while (uploadId), so the dry run and the restore
// do not send it again.  Resolves true when the file passed.
async function checkUpload() {
    if (st.checked && st.checked.file === st.file) {
        return true;
    }
    const box = $('#r-check');
    const o = {validateOnly: true};
    const fd = new FormData();
    fd.append('options', JSON.stringify(o));
    fd.append('file', st.file, st.file.name);
    const bar = h('progress.bar', {max: 100, 'aria-label': 'check progress'});
    const txt = h('p', {}, `Sending ${st.file.name} to the server to check ` +
                  'the whole file…');
    fill(box, bar, txt);
    box.hidden = false;
    $('#r-next').disabled = true;
    try {
        const rep = await upload(fd, (sent, total) => {
            if (total > 0) {
                bar.value = 100 * sent / total;
            }
            if (total > 0 && sent >= total) {
                bar.removeAttribute('value');
                txt.textContent = `The server is reading ${st.file.name}…`;
            }
        });
        st.checked = {...rep, file: st.file, target: null,
                      until: rep.uploadId
                          ? Date.now() + 1000 * (rep.expiresSeconds - 60)
                          : 0};
        fill(box, h('p.check-ok', {}, '✓ The server read the whole file: ',
            fmt.count(rep.documentCount, 'document'), ' in ',
            fmt.count(Object.keys(rep.collections || {}).length,
                      'collection'),
            rep.digestsChecked ? ', every count and digest matches.'
                               : ', every count matches.'));
        return true;
    } catch (e) {
        fill(box);
        box.hidden = true;
        showError(errBox, e, $('#restore'), {prefix: st.file.name +
            ': the server refused the file'});
        return false;
    } finally {
        $('#r-next').disabled = false;
    }
}

async function pickFile() {
    if (typeof window.showOpenFilePicker === 'function') {
        try {
            const [handle] = await window.showOpenFilePicker({
                types: [{description: 'mbk backup',
                         accept: {'application/json': ['.json'],
                                  'application/gzip': ['.gz']}}],
            });
            await takeFile(await handle.getFile());
            return;
        } catch (e) {
            if (e.name === 'AbortError') {
                return;
            }
        }
    }
    $('#r-file').click();
}

function initUpload() {
    const drop = $('#r-drop');
    $('#r-pick').addEventListener('click', (e) => {
        e.stopPropagation();
        pickFile();
    });
    drop.addEventListener('click', () => pickFile());
    drop.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            pickFile();
        }
    });
    $('#r-file').addEventListener('change', (e) => {
        if (e.target.files.length > 0) {
            takeFile(e.target.files[0]);
        }
    });
    for (const ev of ['dragenter', 'dragover']) {
        drop.addEventListener(ev, (e) => {
            e.preventDefault();
            drop.classList.add('over');
        });
    }
    for (const ev of ['dragleave', 'drop']) {
        drop.addEventListener(ev, () => drop.classList.remove('over'));
    }
    drop.addEventListener('drop', (e) => {
        e.preventDefault();
        const f = e.dataTransfer.files[0];
        if (f) {
            takeFile(f);
        }
    });
}

// ---- step 3 and 4 --------------------------------------------------------

function sourceInfo() {
    if (st.method === 'upload') {
        return st.info && !st.info.unchecked ? st.info : checkedInfo();
    }
    return serverInfo(serverChoice());
}

// The collections the server's upload dry run found, when the browser
// could not read the file itself.
function checkedInfo() {
    if (!st.checked) {
        return null;
    }
    return {database: st.checked.database,
            collections: Object.entries(st.checked.collections || {}).map(
                ([name, c]) => ({name, documents: c.documentCount}))};
}

function sourceKey() {
    if (st.method === 'upload') {
        const f = st.file;
        return f ? `upload\u0000${f.name}\u0000${f.size}\u0000` +
                   `${f.lastModified}` : 'upload';
    }
    return 'server\u0000' + JSON.stringify(serverChoice());
}

// Step 3 is built once per source: going back and forth, or coming back
// from a dry run, keeps every choice the user made (ticks, target,
// conflict mode).
function prepareOptions() {
    const key = sourceKey();
    if (key === st.source) {
        return;
    }
    st.source = key;
    const info = sourceInfo();
    if (!st.targetTouched) {
        // The file's own database by default: restoring a copy of
        // `analytics` into the live database is never the silent choice.
        $('#r-target').value = info && info.database ? info.database
                                                     : st.defaultDb;
    }
    const box = $('#r-colls');
    if (!info || !info.collections) {
        fill(box, h('p.muted', {}, 'Every collection in the backup ' +
                    '(the list is known once the server reads the file).'));
        return;
    }
    fill(box, h('div.collgrid', {}, info.collections.map((c) =>
        h('label.coll', {},
          h('input', {type: 'checkbox', value: c.name, checked: true,
                      dataset: {docs: c.documents === null ||
                                c.documents === undefined
                                  ? '' : String(c.documents)}}),
          h('span.coll-name', {}, c.name),
          typeof c.documents === 'number' ? h('span.muted', {}, ' ' +
                                   fmt.num(c.documents) + ' docs') : null))));
}


// The options exactly as they are sent.
function options() {
    const o = {
        targetDatabase: $('#r-target').value.trim(),
        dryRun: isDry(),
        dropExisting: $('#r-drop-existing').checked,
        conflict: $('#r-conflict').value,
        async: true,
    };
    const boxes = Array.from($('#r-colls').querySelectorAll('input'));
    if (boxes.length > 0 && boxes.some((i) => !i.checked)) {
        o.collections = boxes.filter((i) => i.checked).map((i) => i.value);
    }
    return o;
}

// The request step 4 shows and execute() sends: the JSON body of a
// server restore, or the `options` part of an upload.
function request() {
    const o = options();
    if (st.method === 'upload') {
        const id = keptUpload();
        return id ? {uploadId: id, ...o} : o;
    }
    return {...serverChoice(), ...o};
}

// The id under which the server keeps the checked upload, while it does.
function keptUpload() {
    const c = st.checked;
    return c && c.file === st.file && c.uploadId && Date.now() < c.until
        ? c.uploadId : null;
}

function sourceText() {
    if (st.method === 'upload') {
        return `the uploaded file ${st.file ? st.file.name : ''}`;
    }
    const c = serverChoice();
    return c && c.path ? `the server file ${c.path}`
                       : `the backup ${c.backupName} (${c.storage})`;
}

// The ticked collections with the documents the backup holds for each.
function chosen() {
    const boxes = Array.from($('#r-colls').querySelectorAll('input'));
    return boxes.filter((i) => i.checked).map((i) => ({name: i.value,
        documents: i.dataset.docs === '' ? null : Number(i.dataset.docs)}));
}

const CONFLICT = {skip: 'kept (the backup\'s copy is skipped)',
                  replace: 'replaced by the backup\'s copy',
                  fail: 'the restore stops with an error'};

function fillSummary() {
    const o = options();
    const body = request();
    const colls = chosen();
    fill($('#r-summary'), h('dl.summary', {},
        h('dt', {}, 'From'), h('dd', {}, sourceText()),
        h('dt', {}, 'Into database'), h('dd', {}, h('strong', {},
                                                     o.targetDatabase),
            o.targetDatabase === st.defaultDb
                ? h('span.warn', {}, ' (the live database)') : null),
        h('dt', {}, 'Mode'), h('dd', {}, o.dryRun
            ? 'dry run: nothing is changed'
            : h('strong.warn', {}, 'real restore: the database is changed')),
        h('dt', {}, 'Existing collections'), h('dd', {}, o.dropExisting
            ? h('strong.warn', {}, 'dropped first') : 'kept'),
        h('dt', {}, 'Existing documents'), h('dd', {}, o.dropExisting
            ? 'none left (dropped)' : CONFLICT[o.conflict]),
        h('dt', {}, 'Collections'), h('dd.summary-colls', {}, o.collections
            ? `${o.collections.join(', ')} (${o.collections.length} of ` +
              `${$('#r-colls').querySelectorAll('input').length})`
            : colls.length ? `all ${colls.length}: ` +
                             colls.map((c) => c.name).join(', ')
                           : 'all in the backup')),
    h('details.sent', {},
      h('summary', {}, 'The request sent to the server'),
      h('pre', {}, h('code#r-sent', {}, JSON.stringify(body, null, 2)))));
}

function validate(n) {
    if (n === 2) {
        if (st.method === 'server' && serverChoice() === null) {
            return {message: 'choose a backup from the list or type a path',
                    field: 'backupName'};
        }
        if (st.method === 'upload' && st.file === null) {
            return {message: 'choose or drop a valid backup file first',
                    field: null};
        }
    }
    if (n === 3) {
        const t = $('#r-target').value.trim();
        // the database-name rule is the engine's: the server answers a
        // bad name with a 400 at this field, and the wizard comes back here
        if (t === '') {
            return {message: 'give a target database name',
                    field: 'targetDatabase'};
        }
        const boxes = Array.from($('#r-colls').querySelectorAll('input'));
        if (boxes.length > 0 && !boxes.some((i) => i.checked)) {
            return {message: 'tick at least one collection', field:
                    'collections'};
        }
    }
    return null;
}

// The last report the server gave for this target (an upload check or a
// dry run): what is in the target now, per collection.
function targetNow(o) {
    const r = st.lastDry && st.lastDry.targetDatabase === o.targetDatabase
        ? st.lastDry
        : st.checked && st.checked.target === o.targetDatabase ? st.checked
                                                              : null;
    return r ? r.collections || {} : null;
}

// One line per chosen collection: the documents the backup brings and,
// when the server told us, what the target holds now.
function affected(o) {
    const now = targetNow(o);
    return chosen().map((c) => {
        const t = now && now[c.name];
        const docs = c.documents !== null ? c.documents
            : t ? t.documentCount : null;
        let s = `${c.name}: ` + (docs === null || docs === undefined
            ? 'the backup\'s documents'
            : fmt.count(docs, 'document') + ' from the backup');
        if (t && t.targetExists) {
            s += o.dropExisting
                ? `; the ${fmt.count(t.targetDocuments, 'document')} there ` +
                  'now are dropped'
                : `; ${fmt.num(t.targetDocuments)} there now`;
        } else if (t) {
            s += `; not in ${o.targetDatabase} yet`;
        } else if (o.dropExisting) {
            s += '; what is there now is dropped';
        }
        return s;
    });
}

async function typedConfirm(o, title, lead, button) {
    const r = await swal.fire({
        title, icon: 'warning',
        html: h('div.typed', {},
                h('p', {}, lead),
                h('ul.affected', {}, affected(o).map((t) => h('li', {}, t))),
                h('p', {}, 'Type ', h('strong', {}, o.targetDatabase),
                  ' to confirm.')),
        input: 'text', inputLabel: 'Database name',
        inputAttributes: {autocomplete: 'off', spellcheck: 'false',
                          'aria-label': 'Type the database name'},
        showCancelButton: true, confirmButtonText: button,
        customClass: {confirmButton: 'btn danger', cancelButton: 'btn',
                      input: 'swal-input'},
        inputValidator: (v) => v === o.targetDatabase ? null
            : `Type "${o.targetDatabase}" exactly to go on`,
    });
    return r.isConfirmed;
}

async function confirmRun(o) {
    if (o.dryRun) {
        const r = await swal.fire({
            title: 'Run a dry run?', icon: 'question',
            text: `The file is read and checked against "${o.targetDatabase}"` +
                  '; nothing is changed.',
            showCancelButton: true, confirmButtonText: 'Run the dry run'});
        return r.isConfirmed;
    }
    if (o.dropExisting) {
        return typedConfirm(o, 'Drop and restore?',
            `These collections of "${o.targetDatabase}" are dropped, then ` +
            'restored from the backup:', 'Drop and restore');
    }
    if (o.targetDatabase === st.defaultDb) {
        return typedConfirm(o, 'Restore into the live database?',
            `Documents are written into "${o.targetDatabase}", the live ` +
            `database; existing documents are ${CONFLICT[o.conflict]}:`,
            'Restore into the live database');
    }
    const r = await swal.fire({
        title: 'Restore now?', icon: 'warning',
        html: h('div', {}, h('p', {}, `Documents are written into ` +
            `"${o.targetDatabase}"; existing documents are ` +
            `${CONFLICT[o.conflict]}:`),
                h('ul.affected', {}, affected(o).map((t) => h('li', {}, t)))),
        showCancelButton: true, confirmButtonText: 'Restore'});
    return r.isConfirmed;
}

function markFailed() {
    $(`#r-steps li[data-step="${st.step}"]`).classList.add('failed');
}

async function execute() {
    const body = request();
    const o = options();
    if (!await confirmRun(o)) {
        return;
    }
    st.running = true;
    show(5);
    const progress = $('#r-progress');
    const out = $('#r-report');
    fill(out);
    fill(progress);
    progress.hidden = true;
    try {
        let job;
        if (body.uploadId) {
            // the file the server checked at step 2, not sent again
            job = await call('PUT', '', {json: body});
        } else if (st.method === 'upload') {
            const fd = new FormData();
            fd.append('options', JSON.stringify(body));
            fd.append('file', st.file, st.file.name);
            progress.hidden = false;
            const bar = h('progress.bar', {max: 100,
                                           'aria-label': 'upload progress'});
            const txt = h('p', {}, 'Uploading…');
            fill(progress, h('strong', {}, 'Upload'), bar, txt);
            job = await upload(fd, (sent, total) => {
                if (total > 0) {
                    bar.value = 100 * sent / total;
                }
                txt.textContent = `Uploading: ${fmt.bytes(sent)} of ` +
                                  `${fmt.bytes(total || st.file.size)}`;
            });
        } else {
            job = await call('PUT', '', {json: body});
        }
        const rep = await followJob(progress, job.jobId, o.dryRun
            ? 'Dry run' : 'Restore into ' + o.targetDatabase, {own: true});
        if (o.dryRun) {
            st.lastDry = rep;
        }
        fill(out, reportView(rep, o, o.dryRun));
        out.focus();
        toast.fire({icon: 'success', title: o.dryRun ? 'Dry run finished'
                                                     : 'Restore finished'});
        if (o.dryRun) {
            out.append(h('div.actions', {},
                h('button.btn.primary', {type: 'button', on: {click: () => {
                    $('#r-dry').checked = false;
                    show(3);
                }}}, 'Change options for the real restore')));
        }
    } catch (e) {
        if (progress.childElementCount === 0) {
            progress.hidden = true;
        }
        markFailed();
        showError(errBox, e, $('#restore'));
        if (e.field) {
            // Go back to the step holding the field the server named.
            if (e.field === 'uploadId') {
                // the server no longer keeps it: check (send) it again
                st.checked = null;
            }
            const where = ['backupName', 'path', 'storage', 'file',
                           'uploadId'].includes(e.field) ? 2 : 3;
            st.running = false;
            show(where);
            showError(errBox, e, $('#restore'));
        }
    } finally {
        st.running = false;
        $('#r-back').disabled = false;
    }
}

export function initRestore() {
    initUpload();
    for (const r of document.querySelectorAll('input[name="rMethod"]')) {
        r.addEventListener('change', () => {
            st.method = r.value;
        });
    }
    $('#r-target').addEventListener('input', () => {
        st.targetTouched = true;
    });
    $('#r-next').addEventListener('click', async () => {
        clearError(errBox, $('#restore'));
        if (st.step === 1) {
            // the radio as shown: Firefox restores a form's state on
            // reload without a change event
            st.method = document.querySelector(
                'input[name="rMethod"]:checked').value;
        }
        const bad = validate(st.step);
        if (bad) {
            showError(errBox, bad, $('#restore'));
            return;
        }
        if (st.step === 2 && st.method === 'upload' && !await checkUpload()) {
            markFailed();
            return;
        }
        if (st.step === 4) {
            execute();
        } else {
            show(st.step + 1);
        }
    });
    $('#r-back').addEventListener('click', () => {
        clearError(errBox, $('#restore'));
        show(Math.max(1, st.step === 5 ? 3 : st.step - 1));
    });
    $('#r-dry').addEventListener('change', () => {
        if (!isDry()) {
            toast.fire({icon: 'warning', title: 'Dry run off: the restore ' +
                        'will change the database.'});
        }
    });
    show(1);
    // The heading focus of show() is not wanted at load.
    document.activeElement.blur();
}

export {show as restoreStep};
