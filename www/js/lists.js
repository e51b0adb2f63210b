// lists.js: the backup list (download, verify, delete, restore), the
// database statistics and the audit log.

import {call, downloadUrl, where} from './api.js';
import {h, fill, $, table} from './dom.js';
import * as fmt from './format.js';
import {swal, toast, showError, clearError, followJob} from './ui.js';

// ---- the backup list -----------------------------------------------------

// A backup counts as verified when the audit log holds a successful
// verify of it (POST .../verify re-reads every count and digest) newer
// than the file.
async function verifiedSet() {
    const seen = new Map();
    try {
        const a = await call('GET', '/audit', {query: {operation: 'verify',
                                                       outcome: 'ok',
                                                       limit: 500}});
        for (const e of a.entries) {
            if (e.backup) {
                const t = seen.get(e.backup);
                if (!t || t < e.time) {
                    seen.set(e.backup, e.time);
                }
            }
        }
    } catch (e) {
        // The list still shows; the column says "unknown".
        return null;
    }
    return seen;
}

function verifiedText(b, seen) {
    if (b.metadataError || b.digestStatus === 'unreadable') {
        return h('span.badge.bad', {}, 'unreadable');
    }
    if (seen === null) {
        return h('span.badge', {}, 'unknown');
    }
    const t = seen.get(b.name);
    if (t && t >= b.modified.slice(0, 19)) {
        return h('span.badge.good', {title: 'verified ' + fmt.date(t)},
                 '✓ verified');
    }
    return h('span.badge', {}, b.digestStatus === 'present'
        ? 'not yet' : 'no digests');
}

// What the caller's role (the list says it) allows: the page hides the
// rest; the server refuses it anyway.
const RANK = {none: 0, viewer: 1, operator: 2, admin: 3};
export function may(role, need) {
    // an older server says no role: everything, as before
    return role === undefined || (RANK[role] || 0) >= RANK[need];
}

export async function loadList(hooks) {
    const box = $('#list-body');
    const err = $('#list-error');
    clearError(err);
    let data;
    let seen;
    try {
        [data, seen] = await Promise.all([call('GET', ''), verifiedSet()]);
    } catch (e) {
        // Nothing old stays next to the new error.
        fill(box, h('p.empty', {}, 'The list is not available.'));
        showError(err, e);
        return null;
    }
    const rows = data.backups.slice().sort((a, b) =>
        (b.timestamp || b.modified).localeCompare(a.timestamp || a.modified));
    const role = data.role;
    if (rows.length === 0) {
        fill(box, h('p.empty', {}, 'No backups yet. ',
                    may(role, 'operator')
                        ? h('a', {href: '#backup'}, 'Create the first one.')
                        : null));
        return data;
    }
    const actions = (b) => h('div.rowactions', {},
        h('a.btn.small', {href: downloadUrl(b),
                          download: b.name,
                          'aria-label': 'Download ' + b.name}, 'Download'),
        may(role, 'operator') ? h('button.btn.small', {type: 'button',
            'aria-label': 'Verify ' + b.name,
            on: {click: () => verify(b, hooks)}}, 'Verify') : null,
        may(role, 'admin') && !b.pathIsFile ? h('button.btn.small', {
            type: 'button', 'aria-label': 'Restore ' + b.name,
            on: {click: () => hooks.restore(b)}}, 'Restore…') : null,
        may(role, 'admin') ? h('button.btn.small.danger', {type: 'button',
            'aria-label': 'Delete ' + b.name,
            on: {click: () => remove(b, hooks)}}, 'Delete') : null);
    // Database, compression and storage go under the name, so the row
    // keeps its actions in view at every width.
    const t = table([
        {label: 'Name', value: (b) => h('span', {}, h('code.bname', {}, b.name),
            h('span.bmeta', {}, `${b.database || '—'} · ` +
              `${b.compression || '—'} · `,
              b.path ? h('span.bpath', {title: 'written to this path on ' +
                                        'the server'}, b.path) : b.storage),
            b.description ? h('span.desc', {}, b.description) : null)},
        {label: 'Date', value: (b) => fmt.date(b.timestamp || b.modified)},
        {label: 'Size', num: true, value: (b) => fmt.bytes(b.size)},
        {label: 'Documents', num: true, value: (b) => fmt.num(b.documentCount)},
        {label: 'Verified', value: (b) => verifiedText(b, seen)},
        {label: 'Actions', value: actions},
    ], rows, `${rows.length} backup${rows.length === 1 ? '' : 's'}`);
    t.classList.add('backup-list');
    fill(box, t);
    return data;
}

async function verify(b, hooks) {
    const err = $('#list-error');
    clearError(err);
    try {
        const rep = await call('POST', '/verify', {query: where(b)});
        if (rep.jobId) {
            // the server was busy: the verification goes on as a job
            toast.fire({icon: 'info', title: `Verifying ${b.name} (job ` +
                        `${rep.jobId}): see the audit log for the result`});
            return;
        }
        await swal.fire({icon: 'success', title: 'Backup verified',
            text: `${b.name}: ${fmt.num(rep.documentCount)} documents read` +
                  (rep.digestsChecked ? ', every count and digest matches.'
                                      : ' (this backup has no digests).')});
        hooks.changed();
    } catch (e) {
        showError(err, e);
        swal.fire({icon: 'error', title: 'Verification failed',
                   text: e.message});
    }
}

async function remove(b, hooks) {
    const r = await swal.fire({
        icon: 'warning', title: 'Delete this backup?',
        text: `${b.name} (${b.path || b.storage}, ${fmt.bytes(b.size)}) ` +
              'is deleted ' +
              'for good.',
        showCancelButton: true, confirmButtonText: 'Delete',
        customClass: {confirmButton: 'btn danger', cancelButton: 'btn'}});
    if (!r.isConfirmed) {
        return;
    }
    const err = $('#list-error');
    clearError(err);
    try {
        await call('DELETE', '', {query: where(b)});
        toast.fire({icon: 'success', title: `${b.name} deleted`});
        hooks.changed();
    } catch (e) {
        showError(err, e);
    }
}

// ---- statistics ----------------------------------------------------------

export async function loadStats(database) {
    const box = $('#stats-body');
    const err = $('#stats-error');
    clearError(err);
    let s;
    try {
        s = await call('GET', '/stats', {query: {database}});
    } catch (e) {
        fill(box, h('p.empty', {}, 'The statistics are not available.'));
        showError(err, e);
        throw e;
    }
    const tile = (label, value) => h('div.tile', {},
        h('div.tile-value', {}, value), h('div.tile-label', {}, label));
    fill(box,
        h('div.tiles', {},
          tile('Collections', fmt.num(s.collections)),
          tile('Documents', fmt.num(s.objects)),
          tile('Data size', fmt.bytes(s.dataSize)),
          tile('Storage size', fmt.bytes(s.storageSize)),
          tile('Indexes', fmt.num(s.indexes)),
          tile('Index size', fmt.bytes(s.indexSize))),
        table([
            {label: 'Collection', value: (c) => c.name},
            {label: 'Type', value: (c) => c.type},
            {label: 'Documents', num: true, value: (c) => fmt.num(c.count)},
            {label: 'Size', num: true, value: (c) => fmt.bytes(c.size)},
            {label: 'Avg. document', num: true,
             value: (c) => fmt.bytes(c.avgObjSize)},
            {label: 'Indexes', value: (c) => (c.indexes || []).map((i) =>
                h('span.idx', {title: i.key}, i.name))},
            {label: 'Index size', num: true,
             value: (c) => fmt.bytes(c.totalIndexSize)},
        ], s.collectionList || [], 'Collections of ' + s.database),
        h('p.muted', {}, 'Updated ' + new Date().toLocaleTimeString()));
    return s;
}

// ---- audit log -----------------------------------------------------------

const audit = {offset: 0, limit: 25, filter: {}};

function dayAfter(d) {
    const t = new Date(d + 'T00:00:00Z');
    t.setUTCDate(t.getUTCDate() + 1);
    return t.toISOString().slice(0, 10);
}

function auditDetail(e) {
    const parts = [];
    if (e.counts) {
        parts.push(Object.entries(e.counts).map(([k, v]) =>
            `${k} ${k === 'bytes' ? fmt.bytes(v) : fmt.num(v)}`).join(', '));
    }
    if (e.params && e.params.targetDatabase) {
        parts.push('into ' + e.params.targetDatabase);
    }
    return [parts.join(' · '),
            e.error ? h('div.audit-error', {}, e.error) : null];
}

export async function loadAudit() {
    const box = $('#audit-body');
    const err = $('#audit-error');
    clearError(err, $('#audit-form'));
    let a;
    try {
        a = await call('GET', '/audit', {query: {...audit.filter,
                                                 offset: audit.offset,
                                                 limit: audit.limit}});
    } catch (e) {
        fill(box, h('p.empty', {}, 'The audit log is not available.'));
        $('#a-page').textContent = '';
        $('#a-newer').disabled = true;
        $('#a-older').disabled = true;
        showError(err, e, $('#audit-form'));
        return;
    }
    if (!a.enabled) {
        fill(box, h('p.empty', {}, 'The server keeps no audit log ' +
                    '(audit_log is not configured).'));
        return;
    }
    fill(box, a.entries.length === 0 ? h('p.empty', {}, 'No entries match.')
        : table([
            {label: 'Time', value: (e) => h('span.nowrap', {},
                                            fmt.date(e.time))},
            {label: 'User', value: (e) => e.user || '—'},
            {label: 'Operation', value: (e) => e.operation},
            {label: 'Backup', value: (e) => e.backup ? h('code', {}, e.backup)
                                                     : '—'},
            {label: 'Outcome', value: (e) => h('span.badge.' +
                (e.outcome === 'failed' ? 'bad'
                 : e.outcome === 'canceled' ? 'warn' : 'good'), {}, e.outcome)},
            {label: 'Duration', num: true, value: (e) => fmt.duration(e.duration)},
            {label: 'Details', value: auditDetail},
        ], a.entries, 'Newest first'));
    const last = Math.min(a.total, audit.offset + a.entries.length);
    $('#a-page').textContent = a.total === 0 ? ''
        : `${audit.offset + 1}–${last} of ${fmt.num(a.total)}`;
    $('#a-newer').disabled = audit.offset === 0;
    $('#a-older').disabled = last >= a.total;
}

export function initAudit() {
    const form = $('#audit-form');
    form.addEventListener('submit', (e) => {
        e.preventDefault();
        const f = {};
        for (const k of ['operation', 'outcome', 'user', 'text']) {
            const v = form.elements[k].value.trim();
            if (v !== '') {
                f[k] = v;
            }
        }
        if (form.elements.since.value) {
            f.since = form.elements.since.value;
        }
        if (form.elements.until.value) {
            f.until = dayAfter(form.elements.until.value);
        }
        audit.filter = f;
        audit.offset = 0;
        loadAudit();
    });
    form.addEventListener('reset', () => {
        audit.filter = {};
        audit.offset = 0;
        setTimeout(loadAudit, 0);
    });
    $('#a-newer').addEventListener('click', () => {
        audit.offset = Math.max(0, audit.offset - audit.limit);
        loadAudit();
    });
    $('#a-older').addEventListener('click', () => {
        audit.offset += audit.limit;
        loadAudit();
    });
}
