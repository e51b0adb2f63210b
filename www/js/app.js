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

// The status banner: MongoDB (or the service) unreachable, from the
// statistics request, which asks MongoDB; retried on its own until it
// answers, then cleared.
let retry = null;
const DOWN = [0, 502, 503, 504];

function banner(e) {
    const b = $('#status-banner');
    if (e === null) {
        b.hidden = true;
        b.replaceChildren();
        return;
    }
    fill(b, h('strong', {}, e.status === 0 ? 'The server cannot be reached.'
                                           : 'MongoDB cannot be reached.'),
         ' Backups, restores and statistics fail until it is back. ' +
         'Checking again every few seconds…',
         h('details.error-details', {}, h('summary', {}, 'Details'),
           h('code', {}, `HTTP ${e.status}: ${e.message}`)));
    b.hidden = false;
}

async function refreshStats() {
    clearTimeout(retry);
    retry = null;
    try {
        const s = await loadStats();
        banner(null);
        setCollections((s.collectionList || []).map((c) => ({name: c.name,
                                                             count: c.count})));
    } catch (e) {
        setCollections(null);
        if (DOWN.includes(e.status)) {
            banner(e);
            retry = setTimeout(refreshStats, 5000);
        }
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
    $('#stats-refresh').addEventListener('click', refreshStats);
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
    document.documentElement.dataset.ready = 'true';
}

init();
