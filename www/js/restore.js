// restore.js: the restore wizard: method -> file -> options -> confirm ->
// run. Server files come from the backup list or a typed path; uploads
// from showOpenFilePicker, <input type=file> or drag and drop, checked
// in the browser (backupfile.js) before they are sent.

import {call, upload} from './api.js';
import {h, fill, $, table} from './dom.js';
import * as fmt from './format.js';
import {inspectBackup} from './backupfile.js';
import {swal, toast, showError, clearError, followJob} from './ui.js';

const errBox = $('#restore-error');
const st = {
    step: 1,
    method: 'server',
    backups: [],          // from the list
    file: null,           // the File to upload
    info: null,           // its inspection, or the server backup's metadata
    running: false,
    defaultDb: '',
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
        fillCollections();
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

export function setBackups(list, db) {
    st.backups = list;
    st.defaultDb = db || st.defaultDb;
    if ($('#r-target').value === '') {
        $('#r-target').value = st.defaultDb;
    }
    const sel = $('#r-backup');
    const keep = sel.value;
    fill(sel, h('option', {value: ''}, list.length ? '— choose a backup —'
                                                   : '(no backups yet)'),
         list.map((b) => h('option', {value: b.storage + '\u0000' + b.name},
             `${b.name} · ${b.storage} · ${fmt.date(b.timestamp ||
                 b.modified)} · ${fmt.bytes(b.size)}`)));
    sel.value = keep;
}

// Jump here from the backup list with that backup chosen.
export function restoreFrom(b) {
    st.method = 'server';
    document.querySelector('input[name="rMethod"][value="server"]').checked =
        true;
    $('#r-backup').value = b.storage + '\u0000' + b.name;
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
    const [storage, name] = v.split('\u0000');
    return {backupName: name, storage};
}

function serverInfo(choice) {
    if (!choice || !choice.backupName) {
        return null;
    }
    const b = st.backups.find((x) => x.name === choice.backupName &&
                              x.storage === choice.storage);
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
    const box = $('#r-file-info');
    fill(box, h('p.muted', {}, `Checking ${file.name}…`));
    clearError(errBox);
    try {
        const info = await inspectBackup(file);
        st.file = file;
        st.info = info;
        if (info.unchecked) {
            fill(box, h('div.alert.notice', {},
                `${file.name} (${fmt.bytes(file.size)}) is gzip-compressed ` +
                'and this browser cannot open it here; the server will ' +
                'check it.'));
            return;
        }
        fill(box, fileCard(info));
    } catch (e) {
        fill(box);
        showError(errBox, {message: `${file.name}: ${e.message}`,
                           field: null});
    }
}

function fileCard(info) {
    return h('div.filecard', {},
        h('h4', {}, '✓ ', h('span.file-ok', {}, info.fileName),
          ' is an mbk backup'),
        h('dl.summary', {},
          h('dt', {}, 'Database'), h('dd.meta-db', {}, info.database),
          h('dt', {}, 'Date'), h('dd', {}, fmt.date(info.timestamp)),
          info.backupName ? [h('dt', {}, 'Name'), h('dd', {}, info.backupName)]
                          : null,
          info.description ? [h('dt', {}, 'Description'),
                              h('dd', {}, info.description)] : null,
          h('dt', {}, 'File'), h('dd', {}, fmt.bytes(info.fileSize) +
              (info.gzip ? ', gzip' : ', plain JSON')),
          h('dt', {}, 'Documents'), h('dd', {}, fmt.num(info.documents))),
        table([
            {label: 'Collection', value: (c) => c.name},
            {label: 'Documents', num: true, value: (c) => fmt.num(c.documents)},
            {label: 'Indexes', num: true, value: (c) => fmt.num(c.indexes)},
        ], info.collections, 'Collections in the file'));
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

function fillCollections() {
    const info = st.method === 'upload' ? st.info : serverInfo(serverChoice());
    const box = $('#r-colls');
    if (!info || !info.collections) {
        fill(box, h('p.muted', {}, 'Every collection in the backup ' +
                    '(the list is known once the server reads the file).'));
        return;
    }
    fill(box, h('div.collgrid', {}, info.collections.map((c) =>
        h('label.coll', {},
          h('input', {type: 'checkbox', value: c.name, checked: true}),
          h('span.coll-name', {}, c.name),
          c.documents !== null ? h('span.muted', {}, ' ' +
                                   fmt.num(c.documents) + ' docs') : null))));
}

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

function sourceText() {
    if (st.method === 'upload') {
        return `the uploaded file ${st.file ? st.file.name : ''}`;
    }
    const c = serverChoice();
    return c && c.path ? `the server file ${c.path}`
                       : `the backup ${c.backupName} (${c.storage})`;
}

function fillSummary() {
    const o = options();
    fill($('#r-summary'), h('dl.summary', {},
        h('dt', {}, 'From'), h('dd', {}, sourceText()),
        h('dt', {}, 'Into database'), h('dd', {}, h('strong', {},
                                                     o.targetDatabase)),
        h('dt', {}, 'Mode'), h('dd', {}, o.dryRun
            ? 'dry run: nothing is changed'
            : h('strong.warn', {}, 'real restore: the database is changed')),
        h('dt', {}, 'Existing collections'), h('dd', {}, o.dropExisting
            ? h('strong.warn', {}, 'dropped first') : 'kept'),
        h('dt', {}, 'Existing documents'), h('dd', {}, o.conflict),
        h('dt', {}, 'Collections'), h('dd', {}, o.collections
            ? o.collections.join(', ') : 'all')));
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
        if (!/^[^/\\. "$*<>:|?]{1,63}$/.test(t)) {
            return {message: 'give a valid target database name',
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
        const r = await swal.fire({
            title: 'Drop and restore?', icon: 'warning',
            text: `The collections restored into "${o.targetDatabase}" are ` +
                  'dropped first. Type the database name to confirm.',
            input: 'text', inputLabel: 'Database name',
            inputAttributes: {autocomplete: 'off', spellcheck: 'false',
                              'aria-label': 'Type the database name'},
            showCancelButton: true, confirmButtonText: 'Drop and restore',
            customClass: {confirmButton: 'btn danger', cancelButton: 'btn',
                          input: 'swal-input'},
            inputValidator: (v) => v === o.targetDatabase ? null
                : `Type "${o.targetDatabase}" exactly to go on`,
        });
        return r.isConfirmed;
    }
    const r = await swal.fire({
        title: 'Restore now?', icon: 'warning',
        text: `Documents are written into "${o.targetDatabase}" (existing ` +
              `ones: ${o.conflict}).`,
        showCancelButton: true, confirmButtonText: 'Restore'});
    return r.isConfirmed;
}

function report(rep, dry) {
    const colls = Object.entries(rep.collections || {}).map(
        ([name, c]) => ({name, ...c}));
    const cols = dry ? [
        {label: 'Collection', value: (c) => c.name},
        {label: 'In the backup', num: true, value: (c) => fmt.num(c.documentCount)},
        {label: 'Target exists', value: (c) => c.targetExists ? 'yes' : 'no'},
        {label: 'Target documents', num: true, value: (c) => fmt.num(c.targetDocuments)},
        {label: 'Conflicts', num: true, value: (c) => fmt.num(c.conflicts)},
    ] : [
        {label: 'Collection', value: (c) => c.name},
        {label: 'Documents', num: true, value: (c) => fmt.num(c.documentCount)},
        {label: 'Inserted', num: true, value: (c) => fmt.num(c.inserted)},
        {label: 'Skipped', num: true, value: (c) => fmt.num(c.skipped)},
        {label: 'Replaced', num: true, value: (c) => fmt.num(c.replaced)},
        {label: 'Failed', num: true, value: (c) => fmt.num(c.failed)},
        {label: 'Indexes', num: true, value: (c) => fmt.num(c.indexesCreated)},
    ];
    return [
        h('h4.report-title', {}, dry ? 'Dry-run report' : 'Restore report'),
        h('dl.summary', {},
          h('dt', {}, 'Status'), h('dd.report-status', {}, rep.status),
          h('dt', {}, 'From database'), h('dd', {}, rep.sourceDatabase),
          h('dt', {}, 'Into database'), h('dd', {}, rep.targetDatabase),
          h('dt', {}, 'Documents'), h('dd', {}, fmt.num(rep.documentCount)),
          dry ? null : [h('dt', {}, 'Inserted'), h('dd.report-inserted', {},
                                                    fmt.num(rep.inserted))],
          h('dt', {}, 'Digests'), h('dd', {}, rep.digestsChecked
              ? 'checked, all match' : 'not in this backup'),
          h('dt', {}, 'Duration'), h('dd', {}, fmt.duration(rep.durationSeconds)),
          rep.rollback ? [h('dt', {}, 'Rollback'), h('dd', {}, rep.rollback)]
                       : null),
        table(cols, colls, 'Per collection'),
    ];
}

async function execute() {
    const o = options();
    if (!await confirmRun(o)) {
        return;
    }
    st.running = true;
    show(5);
    const progress = $('#r-progress');
    const out = $('#r-report');
    fill(out);
    let job;
    try {
        if (st.method === 'upload') {
            const fd = new FormData();
            fd.append('options', JSON.stringify(o));
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
            job = await call('PUT', '', {json: {...serverChoice(), ...o}});
        }
        const rep = await followJob(progress, job.jobId, o.dryRun
            ? 'Dry run' : 'Restore into ' + o.targetDatabase);
        fill(out, report(rep, o.dryRun));
        out.focus();
        toast.fire({icon: 'success', title: o.dryRun ? 'Dry run finished'
                                                     : 'Restore finished'});
        if (o.dryRun) {
            fill(out, report(rep, true), h('div.actions', {},
                h('button.btn.primary', {type: 'button', on: {click: () => {
                    $('#r-dry').checked = false;
                    show(3);
                }}}, 'Change options for the real restore')));
        }
    } catch (e) {
        showError(errBox, e, $('#restore'));
        if (e.field) {
            // Go back to the step holding the field the server named.
            const where = ['backupName', 'path', 'storage', 'file']
                .includes(e.field) ? 2 : 3;
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
    $('#r-next').addEventListener('click', () => {
        clearError(errBox, $('#restore'));
        const bad = validate(st.step);
        if (bad) {
            showError(errBox, bad, $('#restore'));
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
