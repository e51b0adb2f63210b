// app.js: the page's entry point: the sections as tabs (the URL's hash),
// first loads, and the links between sections.

import {$, $$, h, fill} from './dom.js';
import {call} from './api.js';
import {initBackup, setCollections, setRoots, setStorages,
        onBackupDone} from './backup.js';
import {initRestore, setBackups, restoreFrom} from './restore.js';
import {loadList, loadStats, loadAudit, initAudit, may} from './lists.js';
import {loadJobs} from './jobs.js';

const TABS = ['backup', 'restore', 'backups', 'stats', 'audit'];

function current() {
    const t = location.hash.slice(1);
    return TABS.includes(t) ? t : 'backup';
}

function showTab(focus) {
    const t = current();
    for (const id of TABS) {
        $('#' + id).hidden = id !== t;
    }
    for (const a of $$('.tabs a')) {
        if (a.dataset.tab === t) {
            a.setAttribute('aria-current', 'page');
        } else {
            a.removeAttribute('aria-current');
        }
    }
    if (t === 'backups') {
        refreshList();
        loadJobs();
    } else if (t === 'audit') {
        loadAudit();
    } else if (t === 'stats') {
        loadDatabases();
        refreshStats();
    }
    if (focus) {
        $('#' + t).querySelector('h2').setAttribute('tabindex', '-1');
        $('#' + t).querySelector('h2').focus();
    }
}

// The tabs of what the caller's role allows (the list says the role).
const NEED = {backup: 'operator', restore: 'admin'};
function showAllowed(role) {
    for (const a of $$('.tabs a')) {
        const need = NEED[a.dataset.tab];
        a.parentElement.hidden = need !== undefined && !may(role, need);
    }
    if (NEED[current()] && !may(role, NEED[current()])) {
        location.hash = '#backups';
    }
}

async function refreshList() {
    const data = await loadList({restore: restoreFrom, changed: refreshList});
    if (data) {
        $('#db-name').textContent = data.database;
        setBackups(data.backups, data.database);
        showAllowed(data.role);
    }
}

// The status banner, from GET .../health (MongoDB reachable, its version,
// each storage usable): shown while something is down, checked again
// every few seconds on its own, cleared (and the statistics and the
// backup form's collections reloaded) once everything answers.  A request that fails as if MongoDB or the
// service were down asks the health at once.
let retry = null;
const DOWN = [0, 502, 503, 504];
const RETRY_MS = 5000;

const ALL_FAIL = 'Backups, restores and statistics fail until it is back.';

function banner(title, detail, effect = ALL_FAIL) {
    const b = $('#status-banner');
    if (title === null) {
        b.hidden = true;
        b.replaceChildren();
        return;
    }
    fill(b, h('strong', {}, title),
         ` ${effect} Checking again every few seconds…`,
         h('details.error-details', {}, h('summary', {}, 'Details'),
           h('code', {}, detail)));
    b.hidden = false;
}

async function checkHealth() {
    clearTimeout(retry);
    retry = null;
    const wasDown = !$('#status-banner').hidden;
    let hl;
    try {
        hl = await call('GET', '/health');
    } catch (e) {
        banner(e.status === 0 || e.status >= 500
            ? 'The backup service cannot be reached.'
            : 'The service\'s health is not available.',
            `HTTP ${e.status}: ${e.message}`);
        retry = setTimeout(checkHealth, RETRY_MS);
        return false;
    }
    if (!hl.mongo.reachable) {
        banner('MongoDB cannot be reached.', hl.mongo.error || '');
    } else {
        const bad = (hl.storages || []).filter((s) => !s.ok);
        if (bad.length > 0) {
            banner(`The storage ${bad.map((s) => s.name).join(', ')} ` +
                   'cannot be used.', bad.map((s) => `${s.name}: ` +
                                              s.error).join('\n'),
                   'Backups in it cannot be listed, made, checked or ' +
                   'restored until it is back; the other storages work.');
        } else {
            banner(null);
            if (wasDown) {
                // what failed while it was down: the statistics and the
                // backup form's collections, whichever tab is shown
                refreshStats();
            }
            return true;
        }
    }
    retry = setTimeout(checkHealth, RETRY_MS);
    return false;
}

async function refreshStats() {
    try {
        const s = await loadStats(statsDb());
        if (s.database === $('#db-name').textContent ||
            $('#db-name').textContent === '…') {
            setCollections((s.collectionList || []).map((c) => ({
                name: c.name, count: c.count})));
        }
    } catch (e) {
        setCollections(null);
        if (DOWN.includes(e.status) && retry === null) {
            checkHealth();
        }
    }
}

// The statistics' database picker: the databases the API lists (the
// configured one first); the choice stays while the page is open.
function statsDb() {
    return $('#s-db').value || undefined;
}

async function loadDatabases() {
    const sel = $('#s-db');
    try {
        const d = await call('GET', '/databases');
        const keep = sel.value || d.default;
        const names = [d.default, ...d.databases.filter((n) =>
            n !== d.default)];
        fill(sel, names.map((n) => h('option', {value: n}, n)));
        sel.value = names.includes(keep) ? keep : d.default;
    } catch (e) {
        // the statistics show their own error
    }
}

// Destinations offered: the allowed roots the list names, then the ones
// used before (from the audit log), so a known-good path is one pick away.
async function knownDestinations() {
    const paths = new Set();
    try {
        const l = await call('GET', '');
        setStorages(l.storages || []);
        for (const r of l.allowedRoots || []) {
            paths.add(r);
        }
    } catch (e) {
        // the list itself shows its error
    }
    try {
        const a = await call('GET', '/audit', {query: {operation: 'backup',
                                                       outcome: 'ok',
                                                       limit: 200}});
        for (const e of a.entries) {
            if (e.params && e.params.destinationPath) {
                paths.add(e.params.destinationPath);
            }
        }
    } catch (e) {
        // no audit log: the roots alone
    }
    setRoots(Array.from(paths).slice(0, 20));
}

// The statistics refresh on their own while their tab is shown and the
// page is visible.
const STATS_EVERY = 30000;
setInterval(() => {
    if (current() === 'stats' && !document.hidden && retry === null) {
        refreshStats();
    }
    if (!document.hidden && retry === null) {
        checkHealth();
    }
}, STATS_EVERY);

function init() {
    initBackup();
    initRestore();
    initAudit();
    onBackupDone(() => {
        refreshList();
        loadJobs();
        knownDestinations();
    });
    $('#list-refresh').addEventListener('click', refreshList);
    $('#stats-refresh').addEventListener('click', () => {
        loadDatabases();
        refreshStats();
    });
    $('#s-db').addEventListener('change', refreshStats);
    window.addEventListener('hashchange', () => showTab(true));
    showTab(false);
    // What the backup form and the wizard need, unless showTab loaded it.
    if (current() !== 'backups') {
        refreshList();
    }
    if (current() !== 'stats') {
        refreshStats();
    }
    knownDestinations();
    loadJobs();
    checkHealth();
    document.documentElement.dataset.ready = 'true';
}

init();
