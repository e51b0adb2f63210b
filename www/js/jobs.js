// jobs.js: the server's jobs (GET .../jobs), so a reload finds them
// again: the running ones at the top of every section, with progress and
// Cancel; the recent ones as a table in the Backups section.

import {call} from './api.js';
import {h, fill, $, table} from './dom.js';
import * as fmt from './format.js';
import {followJob, followed} from './ui.js';

function title(j) {
    if (j.kind === 'backup') {
        return 'Backup of ' + j.database;
    }
    if (j.kind === 'verify') {
        return 'Verify';
    }
    return (j.dryRun ? 'Dry run into ' : 'Restore into ') +
           (j.targetDatabase || j.database);
}

// Where a restore reads from, in words (GET .../jobs says it).
function from(j) {
    if (j.source === 'upload') {
        return 'an uploaded file';
    }
    if (j.source === 'path') {
        return j.path || 'a file on the server';
    }
    return j.backupName ? `${j.backupName} (${j.storage || 'default ' +
                                              'storage'})` : '—';
}

function followHere(j) {
    const box = $('#jobs');
    const panel = h('div.card.progress.job-live', {dataset: {jobId: j.id}});
    box.append(panel);
    box.hidden = false;
    followJob(panel, j.id, title(j)).catch(() => {}).finally(() => {
        const done = h('button.btn.small', {type: 'button', on: {click: () => {
            panel.remove();
            box.hidden = box.childElementCount === 0;
        }}}, 'Dismiss');
        panel.append(h('div.job-actions', {}, done));
    });
}

// Fetch the jobs; follow each running one nobody here follows yet.
export async function loadJobs() {
    let d;
    try {
        d = await call('GET', '/jobs');
    } catch (e) {
        return null;
    }
    const jobs = d.jobs || [];
    for (const j of jobs) {
        if ((j.state === 'running' || j.state === 'queued') &&
            !followed.has(j.id)) {
            followHere(j);
        }
    }
    const recent = $('#jobs-recent');
    if (recent) {
        fill(recent, jobs.length === 0 ? h('p.muted', {}, 'No recent jobs.')
            : table([
                {label: 'Started', value: (j) => h('span.nowrap', {},
                                                   fmt.date(j.created))},
                {label: 'Job', value: (j) => h('span', {}, title(j),
                    j.kind === 'restore' ? h('span.bmeta', {}, 'from ' +
                                             from(j)) : null)},
                {label: 'User', value: (j) => j.user || '—'},
                {label: 'State', value: (j) => h('span.badge.' +
                    (j.state === 'failed' ? 'bad'
                     : j.state === 'canceled' ? 'warn' : 'good'), {},
                    j.state)},
                {label: 'Documents', num: true, value: (j) =>
                    fmt.num(j.docsDone)},
            ], jobs.slice().sort((a, b) => String(b.created)
                .localeCompare(String(a.created))).slice(0, 20), 'Recent jobs'));
    }
    return jobs;
}
