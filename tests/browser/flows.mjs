// flows.mjs: the later steps of run.mjs (Chromium): jobs found again after
// a reload (the development MongoDB server paused with SIGSTOP holds the
// job running), the warning before leaving, Cancel that asks first and a
// cancel shown as a notice; a restore held in its "building indexes"
// phase by the development server's test gate (indexes.mjs); MongoDB
// stopped and started again: the status banner shown, then cleared on
// its own; and every view (the typed
// confirmation too) at 360, 390, 768, 1280 and 1920 px: nothing wider than
// its box, 44 px touch targets on the phone widths, axe-core, a
// screenshot at 390 and 1280.

import fs from 'node:fs';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {fitCheck, chooseBackup} from './checks.mjs';
import {indexPhase} from './indexes.mjs';

const WIDTHS = [360, 390, 768, 1280, 1920];

function devServer(run, port, src, verb) {
    const args = verb === 'start' ? [port, '--seed', 'crm'] : [port];
    execFileSync(path.join(src, 'tests', 'mongo-dev-server', verb), args,
                 {env: {...process.env, MBK_DEVSERVER_RUNDIR: run},
                  stdio: 'ignore'});
}

async function fresh(page, url, hash) {
    await page.goto(url + hash);
    await page.reload();
    await page.waitForSelector('html[data-ready]');
}

async function jobsFlow(t, port) {
    const {page, ok, URL, RUN} = t;
    const pid = Number(fs.readFileSync(path.join(RUN,
        `mbk-mongo-dev-${port}.pid`), 'utf8'));
    await fresh(page, URL, '#backup');
    await page.waitForSelector('#b-colls .coll');
    const cancels = [];
    page.on('request', (r) => {
        if (r.url().includes('/jobs/cancel')) {
            cancels.push(r.url());
        }
    });
    let jobId = null;
    // MongoDB paused: the backup's job runs and waits for its answers.
    process.kill(pid, 'SIGSTOP');
    try {
        await page.getByLabel('Name', {exact: true}).fill('browser-slow');
        await page.getByRole('button', {name: 'Create Backup'}).click();
        await page.waitForSelector('#backup-progress .job-id code');
        jobId = await page.locator('#backup-progress .job-id code')
            .textContent();
        // (7) leaving while this tab's job runs asks first
        const asked = page.waitForEvent('dialog');
        page.evaluate(() => location.reload()).catch(() => {});
        const d = await asked;
        ok(d.type() === 'beforeunload',
           `leaving during the tab's own job asks first (${d.type()})`);
        await d.dismiss();
        ok(await page.locator('#backup-progress .job-id').isVisible(),
           'staying keeps the progress');
        page.once('dialog', (x) => x.accept());
        await page.reload();
        await page.waitForSelector('html[data-ready]');
        const card = page.locator(`#jobs [data-job-id="${jobId}"]`);
        await card.waitFor();
        ok(/Backup of crm/.test(await card.innerText()),
           'after a reload the running job is shown again with progress');
        await t.snap(page, 'job-after-reload');
        await card.getByRole('button', {name: 'Cancel'}).click();
        await page.waitForSelector('.swal2-modal');
        ok(/Cancel this job/.test(await page.locator('.swal2-modal')
            .innerText()), 'Cancel asks first');
        await page.getByRole('button', {name: 'Keep it running'}).click();
        await page.waitForSelector('.swal2-container', {state: 'detached'});
        ok(cancels.length === 0, '"Keep it running" cancels nothing');
        await card.getByRole('button', {name: 'Cancel'}).click();
        await Promise.all([
            page.waitForResponse((r) => r.url().includes('/jobs/cancel')),
            page.locator('.swal2-confirm').click()]);
        ok(cancels.length === 1, 'confirmed, the cancel is sent');
    } finally {
        process.kill(pid, 'SIGCONT');
    }
    await page.waitForFunction((id) => {
        const c = document.querySelector(`#jobs [data-job-id="${id}"]`);
        return c && ['done', 'failed', 'canceled'].includes(
            c.dataset.jobState);
    }, jobId);
    const state = await page.locator(`#jobs [data-job-id="${jobId}"]`)
        .getAttribute('data-job-state');
    ok(state === 'canceled', `the job ended canceled (${state})`);
    ok(!fs.readdirSync(path.join(RUN, 'backups')).some(
        (f) => f.startsWith('browser-slow')),
       'the canceled backup left no file');
}

// (6) a cancel is a notice, not a red error: a restore canceled while
// MongoDB is paused.
async function cancelNotice(t, port) {
    const {page, ok, URL, RUN} = t;
    const pid = Number(fs.readFileSync(path.join(RUN,
        `mbk-mongo-dev-${port}.pid`), 'utf8'));
    await fresh(page, URL, '#restore');
    await page.getByRole('button', {name: 'Next'}).click();
    await page.locator('#r-backup').selectOption({index: 1});
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByLabel('Target database').fill('crm_cancel');
    await page.getByLabel(/Dry run/).uncheck();
    await page.getByRole('button', {name: 'Next'}).click();
    process.kill(pid, 'SIGSTOP');
    try {
        await page.getByRole('button', {name: 'Restore now'}).click();
        await page.locator('.swal2-confirm').click();
        const cancel = page.locator('#r-progress').getByRole('button',
                                                             {name: 'Cancel'});
        await cancel.click();
        await Promise.all([
            page.waitForResponse((r) => r.url().includes('/jobs/cancel')),
            page.locator('.swal2-confirm').click()]);
    } finally {
        process.kill(pid, 'SIGCONT');
    }
    await page.waitForSelector('#restore-error:not([hidden])');
    const cls = await page.locator('#restore-error').getAttribute('class');
    const txt = await page.locator('#restore-error').innerText();
    ok(cls === 'alert notice' && /canceled/.test(txt),
       `a canceled restore is a notice (${cls}): ` + txt.split('\n')[0]);
    ok(await page.locator('#r-steps li[data-step="5"].failed').count() === 1,
       'the stopped run marks its step');
    await t.snap(page, 'restore-canceled');
}

// (10) a restore's "building indexes" phase: its own progress, held there
// by the development server's test gate.
async function indexFlow(t, gate) {
    const {page, ok, URL} = t;
    await fresh(page, URL, '#restore');
    await page.getByRole('button', {name: 'Next'}).click();
    const chosen = await page.evaluate(chooseBackup, 'browser-test');
    ok(chosen !== null, 'the backup to restore is listed: ' + chosen);
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByLabel('Target database').fill('crm_idx');
    await page.getByLabel(/Dry run/).uncheck();
    await page.getByRole('button', {name: 'Next'}).click();
    await indexPhase({...t, gate, sel: '#r-progress', start: async () => {
        await page.getByRole('button', {name: 'Restore now'}).click();
        await page.locator('.swal2-confirm').click();
    }});
    await page.waitForSelector('.report-title:has-text("Restore report")');
    ok(true, 'the restore report shows after the indexes');
}

// (6, 8) MongoDB stopped: the banner; the statistics drop their old data;
// MongoDB back: the banner goes away on its own.
async function downFlow(t, port, src) {
    const {page, ok, URL, RUN} = t;
    await fresh(page, URL, '#stats');
    await page.waitForSelector('#stats-body tbody tr');
    let healths = 0;
    const countHealth = (r) => {
        if (/\/api\/settings\/backup\/health$/.test(r.url())) {
            healths++;
        }
    };
    page.on('request', countHealth);
    devServer(RUN, port, src, 'stop');
    let restarted = false;
    try {
        await page.getByRole('button', {name: 'Refresh'}).click();
        await page.waitForSelector('#status-banner:not([hidden])');
        const b = await page.locator('#status-banner').innerText();
        ok(/MongoDB cannot be reached/.test(b) && !/serverSelection/.test(b),
           'MongoDB stopped: a banner in plain words: ' + b.split('\n')[0]);
        // the refresh's own failure clears them; the banner may come first
        // (the health is also asked on a timer)
        await page.waitForFunction(() => document.querySelectorAll(
            '#stats-body tbody tr').length === 0);
        ok(/not available/.test(await page.locator('#stats-body').innerText()),
           'the old statistics are gone under the error');
        await t.snap(page, 'mongodb-down');
        await t.axeCheck('the page with MongoDB down');
        // the banner asks the health again on its own
        const asked = healths;
        await page.waitForRequest((r) => /\/health$/.test(r.url()));
        ok(healths > asked, 'the banner checks the health again on its own');
        devServer(RUN, port, src, 'start');
        restarted = true;
        await page.waitForSelector('#status-banner', {state: 'hidden'});
        ok(true, 'MongoDB back: the banner cleared on its own');
        page.off('request', countHealth);
        await page.waitForSelector('#stats-body tbody tr');
    } finally {
        if (!restarted) {
            devServer(RUN, port, src, 'start');
        }
    }
}

// Each view: how to show it.
const VIEWS = [
    ['backup', async (page, url) => {
        await page.goto(url + '#backup');
        await page.waitForSelector('#backup:not([hidden]) #b-colls .coll');
    }],
    ['restore-method', async (page, url) => {
        await fresh(page, url, '#restore');
    }],
    ['restore-file', async (page) => {
        await page.getByRole('button', {name: 'Next'}).click();
        await page.locator('#r-backup').selectOption({index: 1});
    }],
    ['restore-options', async (page) => {
        await page.getByRole('button', {name: 'Next'}).click();
        await page.waitForSelector('#r-colls input');
    }],
    ['restore-confirm', async (page) => {
        await page.getByRole('button', {name: 'Next'}).click();
        await page.waitForSelector('.step[data-step="4"]:not([hidden]) ' +
                                   '#r-summary dl');
    }],
    ['typed-confirm', async (page) => {
        await page.getByRole('button', {name: 'Back'}).click();
        await page.locator('#r-dry').uncheck();
        await page.getByRole('button', {name: 'Next'}).click();
        await page.getByRole('button', {name: 'Restore now'}).click();
        await page.waitForSelector('.swal2-popup .swal2-input');
        // Measured once the dialog's opening animation (a scale) is over.
        await page.waitForFunction(() => document.getAnimations()
            .every((a) => a.playState !== 'running'));
    }],
    ['backups', async (page, url) => {
        await page.locator('.swal2-cancel').click();
        await page.waitForSelector('.swal2-container', {state: 'detached'});
        await page.goto(url + '#backups');
        await page.waitForSelector('#backups:not([hidden]) #list-body tbody tr');
        await page.waitForSelector('#jobs-recent tbody tr');
    }],
    ['stats', async (page, url) => {
        await page.goto(url + '#stats');
        await page.waitForSelector('#stats:not([hidden]) #stats-body tbody tr');
    }],
    ['audit', async (page, url) => {
        await page.goto(url + '#audit');
        await page.waitForSelector('#audit:not([hidden]) #audit-body tbody tr');
    }],
];

async function sweep(t) {
    const {page, ok, URL} = t;
    for (const w of WIDTHS) {
        await page.setViewportSize({width: w, height: 900});
        for (const [name, show] of VIEWS) {
            await show(page, URL);
            // No toast in the way of the measurement.
            await page.waitForSelector('.swal2-toast', {state: 'detached'});
            await fitCheck(page, ok, `${name} at ${w} px`, w <= 390);
            if (w === 390 || w === 1280) {
                await t.snap(page, `${name}-${w}`);
                await t.axeCheck(`${name} at ${w} px`);
            }
        }
    }
}

export async function runFlows(t) {
    const port = process.env.MBK_MONGO_PORT || '';
    const src = process.env.MBK_SRCDIR_REAL || '';
    if (port === '') {
        console.log('ok - jobs, building-indexes and MongoDB-down flows ' +
                    '# SKIP they pause, hold (its test gate) and stop the ' +
                    'development server, not a real MongoDB');
    } else {
        await jobsFlow(t, port);
        await cancelNotice(t, port);
        const gate = process.env.MBK_DEVSERVER_GATE_DIR || '';
        if (t.ok(gate !== '', 'the development server has a test gate ' +
               '(MBK_DEVSERVER_GATE_DIR)')) {
            await indexFlow(t, gate);
        }
        await downFlow(t, port, src);
    }
    await sweep(t);
}
