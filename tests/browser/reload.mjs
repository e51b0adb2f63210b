// reload.mjs: in Firefox (puppeteer-core over WebDriver BiDi), a job
// found again after a reload, without a race: the development server's
// test gate holds the restore's createIndexes while GATE/createIndexes.hold
// exists (tests/mongo-dev-server/README.md), so the job is surely running
// when the page reloads.  After the reload the page finds it in GET
// .../jobs: its card is back in #jobs with its phase and a Cancel button;
// released, the card follows it to done.  A real MongoDB has no gate: the
// caller skips.

import fs from 'node:fs';
import path from 'node:path';
import {progressProbe, jobProbe} from './checks.mjs';
import {until} from './indexes.mjs';

const PHASE = 'building indexes';

// t: {page, ok, gate, snap, axeCheck, start (an async function that leaves
// the page on the restore wizard's step 4, the restore chosen)}.
export async function reloadFlow(t) {
    const {page, ok, gate} = t;
    const hold = path.join(gate, 'createIndexes.hold');
    const waiting = path.join(gate, 'createIndexes.waiting');
    const card = (id) => `#jobs [data-job-id="${id}"]`;
    // Leaving while this tab's job runs asks first: the test leaves.
    const leave = (d) => {
        d.accept().catch(() => {});
    };
    await t.start();
    fs.writeFileSync(hold, '');
    let jobId = null;
    try {
        await page.click('#r-next');
        await page.waitForSelector('.swal2-confirm', {visible: true});
        await page.click('.swal2-confirm');
        const held = await until(async () => ({
            p: await page.evaluate(progressProbe, '#r-progress'),
            held: fs.existsSync(waiting)}),
        (s) => s.held && s.p && s.p.phase === PHASE && s.p.jobId !== '',
        'the restore held building its indexes');
        jobId = held.p.jobId;
        page.on('dialog', leave);
        try {
            // 'load', not 'networkidle0': the job found again is polled
            // every 300 ms, so the network is never idle.
            await page.reload({waitUntil: 'load'});
        } finally {
            page.off('dialog', leave);
        }
        await page.waitForSelector('html[data-ready]');
        // The page found the job again: its card, its phase, Cancel.
        const back = await until(async () => {
            const p = await page.evaluate(progressProbe, card(jobId));
            return {p, j: p ? await page.evaluate(jobProbe, jobId) : null,
                    cancel: await page.$$eval(card(jobId) +
                        ' .job-actions button', (bs) => bs.filter((b) =>
                        !b.hidden && b.textContent === 'Cancel').length)};
        }, (s) => s.p && s.j && s.p.phase === PHASE &&
                   s.j.phase === PHASE, 'the job\'s card after the reload');
        ok(back.j.state === 'running' && back.p.state === 'running',
           `after a reload the held restore is found again (job ${jobId})`);
        ok(back.p.phase === PHASE && back.p.stats.Indexes ===
           `${back.j.indexesDone} of ${back.j.indexesTotal} built`,
           'its card shows its phase and progress: ' + back.p.phase +
           ', indexes ' + back.p.stats.Indexes);
        ok(back.cancel === 1, 'its card offers Cancel again');
        ok(await page.$eval('#r-progress', (e) => e.hidden ||
                            e.dataset.jobState !== 'running'),
           'the wizard started afresh; the job is in the jobs list');
        await t.snap(page, 'job-after-reload');
        await t.axeCheck('the job found again after a reload');
    } finally {
        fs.rmSync(hold, {force: true});
    }
    // Released: the card follows the job to its end.
    const end = await until(() => page.evaluate(progressProbe, card(jobId)),
        (p) => p && ['done', 'failed', 'canceled'].includes(p.state),
        'the job\'s end after the reload');
    ok(end.state === 'done', `released, the job found again ends (${end.state})`);
    ok(!fs.existsSync(waiting), 'the server holds nothing any more');
}
