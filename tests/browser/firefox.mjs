// firefox.mjs: the admin page in Debian's Firefox ESR, driven by
// puppeteer-core over WebDriver BiDi (Playwright needs its own patched
// Firefox; stock Firefox speaks BiDi).  A shorter flow than run.mjs:
// the form with the live collections, a backup followed to its result,
// the list, an upload checked in the browser and restored as a dry run.
// Prints TAP lines; exits non-zero on a failure.

import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';

const require = createRequire(path.join(process.env.MBK_PW_DIR, 'x.js'));
const puppeteer = require('puppeteer-core');

const URL = process.env.MBK_URL;
const OUT = process.env.MBK_OUT;
const RUN = process.env.MBK_STACK_RUN;
// Every wait ends on its condition; the limit is generous (sanitizer
// builds on a busy machine), never a measure of speed.
const WAIT = 5 * 60 * 1000;
let n = 0;
let failed = 0;

function ok(cond, what) {
    n++;
    if (!cond) {
        failed++;
    }
    console.log(`${cond ? 'ok' : 'not ok'} ${n} - firefox: ${what}`);
}

async function snap(page, name) {
    await page.screenshot({path: path.join(OUT, `ff-${name}.png`),
                           fullPage: true});
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
    await page.waitForSelector('#r-target');
    await page.$eval('#r-target', (e) => { e.value = ''; });
    await page.type('#r-target', 'crm_ff');
    ok(await page.$eval('#r-dry', (e) => e.checked), 'dry run is on');
    await page.click('#r-next');
    await page.click('#r-next');
    await page.waitForSelector('.swal2-confirm', {visible: true});
    await page.click('.swal2-confirm');
    await page.waitForSelector('.report-status', {timeout: WAIT});
    ok(await page.$eval('.report-status', (e) => e.textContent) === 'dry-run',
       'the dry-run report shows');
    ok(await page.$$eval('#r-report tbody tr', (r) => r.length) === 7,
       'the report lists the collections');
    await snap(page, 'dry-run');
    ok(errors.length === 0, 'no page error: ' + errors.join(' | '));
} catch (e) {
    ok(false, 'the flow stopped: ' + e.message);
} finally {
    await browser.close();
}
console.log(`# firefox: ${n - failed} of ${n}`);
process.exit(failed === 0 ? 0 : 1);
