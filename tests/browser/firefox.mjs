// firefox.mjs: the admin page in Debian's Firefox ESR, driven by
// puppeteer-core over WebDriver BiDi (Playwright needs its own patched
// Firefox; stock Firefox speaks BiDi).  The main flows of run.mjs: the
// form with the live collections, a backup followed to its result, the
// list, an upload read in the browser and checked by the server at step
// 2, a dry run with a collection excluded that stays excluded for the
// real restore, a truncated upload refused at step 2, the HTML login
// page, a backup to a path listed and deleted, statistics of a database
// picked from the list, a restore held in its "building indexes" phase by
// the development server's test gate (indexes.mjs), a restore held by the
// gate again and the page reloaded: the job found again with its phase
// and Cancel (reload.mjs), MongoDB stopped (the health banner) and back,
// and the views at 360, 390, 768, 1280 and 1920 px (nothing wider than
// the viewport; 44 px touch targets at 360 and 390; axe-core and a
// screenshot at 390 and 1280).  Prints TAP lines; exits non-zero on a
// failure.

import fs from 'node:fs';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {axeSource, axeProbe, fitCheck, tap, loginAnswer,
        chooseBackup} from './checks.mjs';
import {indexPhase} from './indexes.mjs';
import {reloadFlow} from './reload.mjs';

const require = createRequire(path.join(process.env.MBK_PW_DIR, 'x.js'));
const puppeteer = require('puppeteer-core');

const URL = process.env.MBK_URL;
const OUT = process.env.MBK_OUT;
const RUN = process.env.MBK_STACK_RUN;
// Every wait ends on its condition; the limit is generous (sanitizer
// builds on a busy machine), never a measure of speed.
const WAIT = 5 * 60 * 1000;
const t = tap('firefox: ');
const ok = t.ok;

async function snap(page, name) {
    await page.screenshot({path: path.join(OUT, `ff-${name}.png`),
                           fullPage: true});
}

const AXE = axeSource(process.env.MBK_PW_DIR);
async function axeCheck(page, what) {
    if (!await page.evaluate(() => typeof window.axe === 'object')) {
        await page.evaluate(AXE);
    }
    const found = await page.evaluate(axeProbe);
    ok(found.length === 0, `${what}: axe finds nothing serious` +
       (found.length ? ': ' + found.join(' | ') : ''));
}

// The restore wizard, afresh, up to step 4: the backup firefox-test
// from the server into target, for real (no dry run).
async function toConfirm(page, target) {
    await page.goto(URL + '#restore', {waitUntil: 'networkidle0'});
    await page.reload({waitUntil: 'networkidle0'});
    await page.click('input[name="rMethod"][value="server"]');
    await page.click('#r-next');
    await page.waitForSelector('#r-backup option:nth-child(2)');
    const chosen = await page.evaluate(chooseBackup, 'firefox-test');
    ok(chosen !== null, 'the backup to restore is listed: ' + chosen);
    await page.click('#r-next');
    await page.waitForSelector('.step[data-step="3"]:not([hidden])');
    await page.$eval('#r-target', (e) => { e.value = ''; });
    await page.type('#r-target', target);
    if (await page.$eval('#r-dry', (e) => e.checked)) {
        await page.click('#r-dry');
    }
    await page.click('#r-next');
    await page.waitForSelector('.step[data-step="4"]:not([hidden])');
}

const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: process.env.FIREFOX,
    headless: true, acceptInsecureCerts: true, protocol: 'webDriverBiDi',
    args: ['--no-remote'],
    userDataDir: fs.mkdtempSync(path.join(RUN, 'ff-profile-')),
    extraPrefsFirefox: {
        'network.captive-portal-service.enabled': false,
        'app.update.enabled': false,
        'browser.safebrowsing.malware.enabled': false,
        'browser.safebrowsing.phishing.enabled': false,
        'network.connectivity-service.enabled': false,
    },
});
try {
    // (6) without a login: nginx's HTML login page (asked as a browser
    // asks; a headless browser cancels the prompt instead of showing it)
    const login = await loginAnswer(URL);
    const anon = await browser.newPage();
    await anon.setContent(login.body);
    const anonText = await anon.$eval('body', (e) => e.innerText);
    ok(login.status === 401 && /Sign in to mbk/.test(anonText) &&
       /Try again/.test(anonText),
       `without a login: the HTML login page (${login.status})`);
    await snap(anon, 'login-page');
    await anon.close();

    const page = await browser.newPage();
    page.setDefaultTimeout(WAIT);
    page.setDefaultNavigationTimeout(WAIT);
    await page.setViewport({width: 1280, height: 900});
    await page.authenticate({username: process.env.MBK_USER,
                             password: process.env.MBK_PASSWORD});
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
        if (m.type() === 'error') {
            errors.push(m.text());
        }
    });
    await page.goto(URL, {waitUntil: 'networkidle0'});
    ok(await page.title() === 'mbk · MongoDB backups', 'the page loads');
    await page.waitForSelector('#b-colls input');
    ok(await page.$$eval('#b-colls input', (e) => e.length) === 7,
       'the collections come from the live list');
    await snap(page, 'backup-form');

    // a backup, followed to its result
    await page.$eval('#b-name', (e) => { e.value = ''; });
    await page.type('#b-name', 'firefox-test');
    await page.click('#b-create');
    await page.waitForSelector('#backup-result:not([hidden])',
                               {timeout: WAIT});
    const state = await page.$eval('#backup-progress',
                                   (e) => e.getAttribute('data-job-state'));
    ok(state === 'done', `the backup's progress followed the job to ${state}`);
    const file = await page.$eval('.result-file', (e) => e.textContent);
    ok(/^firefox-test.*\.json\.gz$/.test(file), `the result names ${file}`);
    await snap(page, 'backup-done');

    // the list
    await page.goto(URL + '#backups', {waitUntil: 'networkidle0'});
    await page.waitForSelector('#list-body tbody tr');
    const listed = await page.$$eval('#list-body tbody tr',
                                     (rows) => rows.map((r) => r.innerText));
    ok(listed.some((t) => t.includes(file) && /613/.test(t)),
       'the backup is listed with its documents');
    await snap(page, 'list');

    // (2) a backup to a path on the server: listed with it, deletable
    const destDir = path.join(RUN, 'roots', 'firefox-dest');
    fs.mkdirSync(destDir, {recursive: true});
    await page.goto(URL + '#backup', {waitUntil: 'networkidle0'});
    await page.waitForSelector('#backup:not([hidden]) #b-colls input');
    await page.$eval('#b-name', (e) => { e.value = ''; });
    await page.type('#b-name', 'firefox-path');
    await page.type('#b-dest', destDir);
    await page.click('#b-create');
    await page.waitForSelector('#backup-result:not([hidden]) .result-file',
                               {timeout: WAIT});
    const pfile = await page.$eval('.result-file', (e) => e.textContent);
    ok(fs.existsSync(path.join(destDir, pfile)),
       `the backup was written to the path (${pfile})`);
    await page.$eval('#b-dest', (e) => { e.value = ''; });
    await page.goto(URL + '#backups', {waitUntil: 'networkidle0'});
    await page.waitForFunction((f) => Array.from(document.querySelectorAll(
        '#list-body tbody tr')).some((r) => r.innerText.includes(f)),
    {timeout: WAIT}, pfile);
    const prow = await page.$$eval('#list-body tbody tr', (rows, f) => {
        const r = rows.find((x) => x.innerText.includes(f));
        const p = r.querySelector('.bpath');
        return p ? p.textContent : null;
    }, pfile);
    ok(prow === fs.realpathSync(destDir), 'listed, marked with its path');
    await page.$$eval('#list-body tbody tr', (rows, f) => rows.find(
        (x) => x.innerText.includes(f)).querySelector('button.danger')
        .click(), pfile);
    await page.waitForSelector('.swal2-confirm', {visible: true});
    await page.click('.swal2-confirm');
    await page.waitForFunction((f) => !Array.from(document.querySelectorAll(
        '#list-body tbody tr')).some((r) => r.innerText.includes(f)),
    {timeout: WAIT}, pfile);
    ok(!fs.existsSync(path.join(destDir, pfile)),
       'deleted from the list: the file at the path is gone');

    // an upload, checked in the browser (gzip through DecompressionStream),
    // then restored as a dry run
    await page.goto(URL + '#restore', {waitUntil: 'networkidle0'});
    await page.click('input[name="rMethod"][value="upload"]');
    await page.click('#r-next');
    const input = await page.waitForSelector('#r-file');
    await input.uploadFile(path.join(RUN, 'backups', file));
    await page.waitForSelector('.filecard', {timeout: WAIT});
    const card = await page.$eval('.filecard', (e) => e.innerText);
    ok(/crm/.test(card) && /613/.test(card),
       'the gzip upload is read in the browser: database and counts');
    await snap(page, 'upload-checked');
    await page.click('#r-next');
    // The server reads the whole file before the options show.
    await page.waitForSelector('.step[data-step="3"]:not([hidden])',
                               {timeout: WAIT});
    ok(await page.$eval('#r-target', (e) => e.value) === 'crm',
       'the target defaults to the file\'s database');
    await page.$eval('#r-target', (e) => { e.value = ''; });
    await page.type('#r-target', 'crm_ff');
    ok(await page.$eval('#r-dry', (e) => e.checked), 'dry run is on');
    await page.click('#r-colls input[value="sessions"]');
    await page.click('#r-next');
    const shown = JSON.parse(await page.$eval('#r-sent',
                                              (e) => e.textContent));
    ok(shown.collections.length === 6 &&
       !shown.collections.includes('sessions'),
       'step 4 shows the request without sessions');
    await page.click('#r-next');
    await page.waitForSelector('.swal2-confirm', {visible: true});
    await page.click('.swal2-confirm');
    await page.waitForSelector('.report-status', {timeout: WAIT});
    ok(await page.$eval('.report-status', (e) => e.textContent) === 'dry-run',
       'the dry-run report shows');
    ok(await page.$$eval('#r-report tbody tr', (r) => r.length) === 6,
       'the server dry-ran the 6 chosen collections');
    ok(/^Restoring into crm_ff would insert .* in 6\scollections\./.test(
        await page.$eval('.conclusion', (e) => e.textContent)),
       'the dry run leads with its conclusion');
    await snap(page, 'dry-run');
    await page.$$eval('#r-report button', (bs) => bs.find((b) =>
        /real restore/.test(b.textContent)).click());
    await page.waitForSelector('.step[data-step="3"]:not([hidden])');
    ok(!await page.$eval('#r-colls input[value="sessions"]',
                         (e) => e.checked) &&
       !await page.$eval('#r-dry', (e) => e.checked),
       'after the dry run, sessions is still unticked and dry run is off');

    // a truncated upload: refused at step 2
    await page.goto(URL + '#restore', {waitUntil: 'networkidle0'});
    await page.reload({waitUntil: 'networkidle0'});
    await page.click('input[name="rMethod"][value="upload"]');
    await page.click('#r-next');
    const whole = fs.readFileSync(path.join(RUN, 'backups', file));
    const cutPath = path.join(RUN, 'truncated.json.gz');
    fs.writeFileSync(cutPath, whole.subarray(0, whole.length >> 1));
    await (await page.waitForSelector('#r-file')).uploadFile(cutPath);
    await page.waitForSelector('.filecard, #restore-error:not([hidden])',
                               {timeout: WAIT});
    if (await page.$('.filecard')) {
        await page.click('#r-next');
        await page.waitForSelector('#restore-error:not([hidden])',
                                   {timeout: WAIT});
    }
    const refusal = await page.$eval('#restore-error',
                                     (e) => e.innerText.split('\n')[0]);
    ok(await page.$eval('.step[data-step="2"]', (e) => !e.hidden) &&
       /truncated\.json\.gz/.test(refusal),
       'a truncated upload is refused at step 2: ' + refusal);

    // (10) statistics of another database, from the API's list
    // a copy to inspect, restored through the API as the page does it
    const copied = await page.evaluate(async (name) => {
        const r = await fetch('api/settings/backup', {method: 'PUT',
            headers: {'Content-Type': 'application/json',
                      'X-Requested-With': 'firefox-test'},
            body: JSON.stringify({backupName: name,
                                  targetDatabase: 'crm_ff_stats'})});
        return r.status;
    }, file);
    ok(copied === 200, `a copy restored into crm_ff_stats (${copied})`);
    await page.goto(URL + '#stats', {waitUntil: 'networkidle0'});
    await page.waitForSelector('#stats:not([hidden]) #stats-body tbody tr');
    await page.waitForSelector('#s-db option[value="crm_ff_stats"]');
    await page.select('#s-db', 'crm_ff_stats');
    await page.waitForFunction(() => /crm_ff_stats/.test((document
        .querySelector('#stats-body caption') || {}).textContent || ''));
    ok(await page.$$eval('#stats-body tbody tr', (r) => r.length) === 7,
       'the statistics of crm_ff_stats, picked from the list');
    await page.select('#s-db', 'crm');

    // (10) a restore's "building indexes" phase: its own progress, held
    // there by the development server's test gate
    const port = process.env.MBK_MONGO_PORT || '';
    const gate = process.env.MBK_DEVSERVER_GATE_DIR || '';
    if (port === '') {
        ok(true, 'the building-indexes phase # SKIP it holds the ' +
           'development server (its test gate), not a real MongoDB');
    } else if (ok(gate !== '', 'the development server has a test gate')) {
        await toConfirm(page, 'crm_ff_idx');
        await indexPhase({page, ok, gate, sel: '#r-progress', prefix: 'ff-',
            snap: (p, name) => p.screenshot({path: path.join(OUT,
                                                 `${name}.png`),
                                             fullPage: true}),
            axeCheck: (what) => axeCheck(page, what),
            start: async () => {
                await page.click('#r-next');
                await page.waitForSelector('.swal2-confirm',
                                           {visible: true});
                await page.click('.swal2-confirm');
            }});
        await page.waitForSelector('.report-title', {timeout: WAIT});
        ok(/Restore report/.test(await page.$eval('.report-title',
                                                  (e) => e.textContent)),
           'the restore report shows after the indexes');

        // (7) a reload during a job finds it again: progress and Cancel
        await reloadFlow({page, ok, gate, snap,
            axeCheck: (what) => axeCheck(page, what),
            start: () => toConfirm(page, 'crm_ff_reload')});
    }

    // (6) MongoDB stopped: the banner from the health check, cleared on
    // its own once MongoDB is back
    if (port === '') {
        ok(true, 'the MongoDB-down banner # SKIP it stops the development ' +
           'server, not a real MongoDB');
    } else {
        const dev = (verb) => execFileSync(path.join(
            process.env.MBK_SRCDIR_REAL, 'tests', 'mongo-dev-server', verb),
        verb === 'start' ? [port, '--seed', 'crm'] : [port],
        {env: {...process.env, MBK_DEVSERVER_RUNDIR: RUN}, stdio: 'ignore'});
        dev('stop');
        let started = false;
        try {
            await page.reload({waitUntil: 'networkidle0'});
            await page.waitForSelector('#status-banner:not([hidden])',
                                       {timeout: WAIT});
            ok(/MongoDB cannot be reached/.test(await page.$eval(
                '#status-banner', (e) => e.innerText)),
               'MongoDB stopped: the banner says so');
            await snap(page, 'mongodb-down');
            dev('start');
            started = true;
            await page.waitForSelector('#status-banner', {hidden: true,
                                                          timeout: WAIT});
            ok(true, 'MongoDB back: the banner cleared on its own');
        } finally {
            if (!started) {
                dev('start');
            }
        }
    }

    // (9) the views at every width from phone to desktop, as run.mjs
    // (flows.mjs) measures them: nothing wider than its box, 44 px touch
    // targets on the phone widths, axe-core and a screenshot at 390 and
    // 1280 px
    for (const w of [360, 390, 768, 1280, 1920]) {
        await page.setViewport({width: w, height: 900});
        for (const [hash, sel] of [['#backup', '#b-colls input'],
                                   ['#restore', '#r-next'],
                                   ['#backups', '#list-body tbody tr'],
                                   ['#stats', '#stats-body tbody tr'],
                                   ['#audit', '#audit-body tbody tr']]) {
            await page.goto(URL + hash, {waitUntil: 'networkidle0'});
            await page.waitForSelector(hash + ':not([hidden]) ' + sel,
                                       {timeout: WAIT});
            // No toast in the way of the measurement.
            await page.waitForSelector('.swal2-toast', {hidden: true,
                                                        timeout: WAIT});
            await fitCheck(page, ok, `${hash} at ${w} px`, w <= 390);
            if (w === 390 || w === 1280) {
                await axeCheck(page, `${hash} at ${w} px`);
                await snap(page, `${hash.slice(1)}-${w}`);
            }
        }
    }
    ok(errors.length === 0, 'no page error: ' + errors.join(' | '));
} catch (e) {
    ok(false, 'the flow stopped: ' + e.message);
} finally {
    await browser.close();
}
console.log(`# firefox: ${t.n - t.failed} of ${t.n}`);
process.exit(t.failed === 0 ? 0 : 1);
