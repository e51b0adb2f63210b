// run.mjs: the browser test's steps, run by test_browser.sh against the
// local stack: create a backup and follow its progress, see it listed,
// download it, restore it with a dry run and for real (drop existing,
// typed confirmation), an upload restore, invalid uploads refused, API
// errors with their field, the audit log and statistics; a screenshot of
// each screen; no CSP violation and no page error anywhere.
import {createRequire} from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const require = createRequire(process.env.MBK_PW_DIR + '/');
const {chromium} = require('playwright-core');

const URL = process.env.MBK_URL;
const OUT = process.env.MBK_OUT;
const RUN = process.env.MBK_STACK_RUN;
// Every wait ends on its condition; the limit is generous (sanitizer
// builds on a busy machine), never a measure of speed.
const WAIT = 5 * 60 * 1000;
let passed = 0;
let failed = 0;
let shot = 0;

function ok(cond, what) {
    if (cond) {
        passed++;
        console.log(`ok ${passed + failed} - ${what}`);
    } else {
        failed++;
        console.log(`not ok ${passed + failed} - ${what}`);
    }
    return cond;
}

async function snap(page, name) {
    shot++;
    // No dialog half faded out in the picture.
    await page.waitForFunction(() => !document.querySelector(
        '.swal2-container.swal2-backdrop-hide, .swal2-popup.swal2-hide'),
        null, {timeout: 3000}).catch(() => {});
    const file = path.join(OUT, `${String(shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({path: file, fullPage: true});
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mbk-chromium-'));
// A fresh profile: Playwright takes it as launchPersistentContext's
// userDataDir (it refuses --user-data-dir in args).
const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-quic',
           '--no-first-run'],
    httpCredentials: {username: process.env.MBK_USER,
                      password: process.env.MBK_PASSWORD},
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    viewport: {width: 1280, height: 900},
});
const problems = [];
await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
        console.error('CSP violation: ' + e.violatedDirective + ' ' +
                      e.blockedURI);
    });
});
const page = await context.newPage();
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d|status of 5\d\d/.test(m.text())) {
        problems.push('console error: ' + m.text());
    }
});
page.setDefaultTimeout(WAIT);

const swalConfirm = () => page.locator('.swal2-confirm');

async function restoreWizardReset() {
    await page.goto(URL + '#restore');
    await page.reload();
    await page.waitForSelector('html[data-ready]');
}

try {
    // ---- the backup form ---------------------------------------------------
    await page.goto(URL);
    await page.waitForSelector('html[data-ready]');
    await page.waitForSelector('#b-colls .coll');
    const colls = await page.locator('#b-colls .coll').count();
    ok(colls === 7, `the collection list comes from /stats (${colls})`);
    ok((await page.locator('#db-name').textContent()) === 'crm',
       'the header names the database');
    await snap(page, 'backup-form');

    await page.getByLabel('Name', {exact: true}).fill('browser-test');
    await page.getByLabel('Description').fill('made by the browser test');
    await page.getByRole('button', {name: 'Create Backup'}).click();
    await page.waitForSelector('#backup-result:not([hidden])');
    const state = await page.locator('#backup-progress').getAttribute(
        'data-job-state');
    ok(state === 'done', `the progress panel followed the job to "${state}"`);
    const progressText = await page.locator('#backup-progress').innerText();
    ok(/613 of 613/.test(progressText) && /100 %/.test(progressText),
       'the progress shows documents done of expected');
    ok(/docs\/s/.test(progressText), 'the progress shows the rate');
    const file = await page.locator('.result-file').textContent();
    ok(/^browser-test.*\.json\.gz$/.test(file), `the result names ${file}`);
    ok((await page.locator('.result-docs').textContent()) === '613',
       'the result counts 613 documents');
    ok(await page.locator('#backup-result tbody tr').count() === 7,
       'the result lists every collection');
    await snap(page, 'backup-done');

    // ---- an API error names its field --------------------------------------
    await page.getByLabel('Name', {exact: true}).fill('elsewhere');
    await page.getByLabel(/Path on the server/).fill('/etc');
    await page.getByRole('button', {name: 'Create Backup'}).click();
    await page.waitForSelector('#backup-error:not([hidden])');
    const errText = await page.locator('#backup-error').innerText();
    ok(/HTTP 400/.test(errText) && /Field: destinationPath/.test(errText),
       'a 400 shows its message and field: ' + errText.replace(/\n/g, ' '));
    ok(await page.locator('#b-dest').getAttribute('aria-invalid') === 'true',
       'the field at fault is marked');
    await snap(page, 'backup-error');
    await page.getByLabel(/Path on the server/).fill('');

    // ---- Create & Download: the picker fails headless, a plain download ----
    await page.getByLabel('Name', {exact: true}).fill('browser-dl');
    await page.getByLabel('Compression').selectOption('none');
    const [dl] = await Promise.all([
        page.waitForEvent('download', {timeout: WAIT}),
        page.getByRole('button', {name: 'Create & Download'}).click(),
    ]);
    const dlPath = path.join(OUT, 'download-' + dl.suggestedFilename());
    await dl.saveAs(dlPath);
    const stored = path.join(RUN, 'backups', dl.suggestedFilename());
    ok(fs.existsSync(stored) &&
       Buffer.compare(fs.readFileSync(stored), fs.readFileSync(dlPath)) === 0,
       `the download ${dl.suggestedFilename()} is the stored file`);
    await page.waitForSelector('#backup-result:not([hidden])');
    ok(/downloading/.test(await page.locator('#backup-result').innerText()),
       'the result says the file is downloading');

    // ---- the list ---------------------------------------------------------
    await page.goto(URL + '#backups');
    await page.waitForSelector('#list-body tbody tr');
    const rows = await page.locator('#list-body tbody tr').count();
    ok(rows === 2, `two backups listed (${rows})`);
    const row = page.locator('#list-body tbody tr', {hasText: 'browser-test'});
    const rowText = await row.innerText();
    ok(/613/.test(rowText) && /gzip/.test(rowText) && /crm/.test(rowText),
       'the row has documents, compression and database');
    await row.getByRole('button', {name: /^Verify/}).click();
    await page.waitForSelector('.swal2-modal');
    ok(/verified/i.test(await page.locator('.swal2-modal').innerText()),
       'verify answers in a dialog');
    await snap(page, 'verify-dialog');
    await swalConfirm().click();
    await page.waitForSelector('#list-body tbody tr:has-text("browser-test") .badge.good');
    ok(true, 'the verified badge shows');
    const [dl2] = await Promise.all([
        page.waitForEvent('download'),
        row.getByRole('link', {name: /^Download/}).click(),
    ]);
    const dl2Path = path.join(OUT, 'download-' + dl2.suggestedFilename());
    await dl2.saveAs(dl2Path);
    ok(Buffer.compare(fs.readFileSync(path.join(RUN, 'backups', file)),
                      fs.readFileSync(dl2Path)) === 0,
       'the list\'s download link gives the stored file');
    await snap(page, 'backup-list');
    const dlRow = page.locator('#list-body tbody tr', {hasText: 'browser-dl'});
    await dlRow.getByRole('button', {name: /^Delete/}).click();
    await page.waitForSelector('.swal2-modal');
    await snap(page, 'delete-confirm');
    await swalConfirm().click();
    await page.waitForFunction(() => document.querySelectorAll(
        '#list-body tbody tr').length === 1);
    ok(!fs.existsSync(stored), 'delete, once confirmed, removed the file');

    // ---- restore from the server: dry run --------------------------------
    await row.getByRole('button', {name: /^Restore/}).click();
    await page.waitForSelector('#restore:not([hidden]) .step[data-step="2"]:not([hidden])');
    await snap(page, 'restore-file');
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByLabel('Target database').fill('crm_copy');
    ok(await page.locator('#r-colls input').count() === 7,
       'the options list the backup\'s collections');
    await snap(page, 'restore-options');
    await page.getByRole('button', {name: 'Next'}).click();
    await snap(page, 'restore-confirm');
    await page.getByRole('button', {name: 'Run the dry run'}).click();
    await page.waitForSelector('.swal2-modal');
    await swalConfirm().click();
    await page.waitForSelector('.report-title');
    ok((await page.locator('.report-title').textContent()) === 'Dry-run report',
       'the dry-run report shows');
    ok((await page.locator('.report-status').textContent()) === 'dry-run',
       'its status is dry-run');
    ok(await page.locator('#r-report tbody tr').count() === 7,
       'the dry-run report is a table of the collections');
    await snap(page, 'restore-dry-run');

    // ---- then for real, drop existing, typed confirmation ------------------
    await page.getByRole('button', {name: 'Change options for the real restore'}).click();
    ok(!(await page.locator('#r-dry').isChecked()), 'dry run is off');
    await page.getByLabel(/Drop the existing/).check();
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByRole('button', {name: 'Restore now'}).click();
    await page.waitForSelector('.swal2-input');
    await page.locator('.swal2-input').fill('crm');
    await swalConfirm().click();
    await page.waitForSelector('.swal2-validation-message:visible');
    ok(/crm_copy/.test(await page.locator('.swal2-validation-message').innerText()),
       'a wrong database name is refused');
    await snap(page, 'restore-typed-confirm');
    await page.locator('.swal2-input').fill('crm_copy');
    await swalConfirm().click();
    await page.waitForSelector('.report-title:has-text("Restore report")');
    ok((await page.locator('.report-inserted').textContent()) === '613',
       'the restore report: 613 documents inserted');
    ok(/613 of 613/.test(await page.locator('#r-progress').innerText()),
       'the restore\'s progress shows its documents');
    await snap(page, 'restore-report');

    // ---- upload restore ----------------------------------------------------
    await restoreWizardReset();
    await page.getByText('Upload from this computer').click();
    await page.getByRole('button', {name: 'Next'}).click();
    await page.locator('#r-file').setInputFiles(dl2Path);
    await page.waitForSelector('.filecard');
    const card = await page.locator('.filecard').innerText();
    ok(/crm/.test(card) && /613/.test(card),
       'the file is read in the browser: database and counts');
    await snap(page, 'upload-checked');
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByLabel('Target database').fill('crm_up');
    await page.getByLabel(/Dry run/).uncheck();
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByRole('button', {name: 'Restore now'}).click();
    await swalConfirm().click();
    await page.waitForSelector('.report-title:has-text("Restore report")');
    ok((await page.locator('.report-inserted').textContent()) === '613',
       'the upload restore inserted 613 documents');
    await snap(page, 'upload-report');

    // ---- invalid uploads ---------------------------------------------------
    await restoreWizardReset();
    await page.getByText('Upload from this computer').click();
    await page.getByRole('button', {name: 'Next'}).click();
    // dropped: not a backup at all
    await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['hello, world'], 'notes.txt',
                              {type: 'text/plain'}));
        document.querySelector('#r-drop').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dt, bubbles: true,
                                   cancelable: true}));
    });
    await page.waitForSelector('#restore-error:not([hidden])');
    ok(/notes\.txt: this is neither a JSON backup/.test(
        await page.locator('#restore-error').innerText()),
       'a dropped text file is refused in the browser');
    await snap(page, 'upload-invalid-dropped');
    // JSON without metadata
    await page.locator('#r-file').setInputFiles({name: 'other.json',
        mimeType: 'application/json', buffer: Buffer.from('{"users": []}')});
    await page.waitForFunction(() => /does not start with/.test(
        document.querySelector('#restore-error').textContent));
    ok(true, 'a JSON file that is not a backup is refused in the browser');
    // a head that is fine, a body that is cut: the server refuses it (422)
    const broken = '{"metadata":{"database":"crm","timestamp":' +
        '"2026-01-01T00:00:00Z","collections":["a"]},"collections":' +
        '{"a":[{"_id":1},';
    await page.locator('#r-file').setInputFiles({name: 'broken.json',
        mimeType: 'application/json', buffer: Buffer.from(broken)});
    await page.waitForSelector('.filecard');
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByRole('button', {name: 'Run the dry run'}).click();
    await swalConfirm().click();
    await page.waitForSelector('#restore-error:not([hidden])');
    const serverErr = await page.locator('#restore-error').innerText();
    ok(/HTTP 422/.test(serverErr), 'the server refuses a cut backup: ' +
       serverErr.replace(/\n/g, ' '));
    await snap(page, 'upload-invalid-server');

    // ---- audit and statistics ----------------------------------------------
    await page.goto(URL + '#audit');
    await page.waitForSelector('#audit-body tbody tr');
    const times = await page.locator('#audit-body tbody tr th').allInnerTexts();
    ok(times.length >= 6, `the audit log lists ${times.length} entries`);
    const firstOp = await page.locator('#audit-body tbody tr').first()
        .locator('td').nth(1).innerText();
    ok(firstOp === 'dry-run', `newest first (the last was a dry run: ${firstOp})`);
    await snap(page, 'audit');
    await page.getByLabel('Operation').selectOption('restore');
    await page.getByRole('button', {name: 'Filter'}).click();
    await page.waitForFunction(() => Array.from(document.querySelectorAll(
        '#audit-body tbody tr')).every((r) => r.cells[2].textContent === 'restore'));
    ok(await page.locator('#audit-body tbody tr').count() === 2,
       'filtered: the two restores');
    await page.goto(URL + '#stats');
    await page.waitForSelector('#stats-body tbody tr');
    ok(await page.locator('#stats-body tbody tr').count() === 7,
       'statistics list the collections');
    await page.getByRole('button', {name: 'Refresh'}).click();
    await snap(page, 'stats');

    // ---- a phone -------------------------------------------------------------
    await page.setViewportSize({width: 375, height: 800});
    await page.goto(URL + '#backup');
    await page.waitForSelector('#b-colls .coll');
    const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - window.innerWidth);
    ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
    await snap(page, 'phone-backup');
    await page.goto(URL + '#backups');
    await page.waitForSelector('#list-body tbody tr');
    await snap(page, 'phone-list');
} catch (e) {
    ok(false, 'the steps ran through: ' + e.message.split('\n')[0]);
    await snap(page, 'failure').catch(() => {});
}
ok(problems.length === 0, 'no page error and no CSP violation' +
   (problems.length ? ': ' + problems.join('; ') : ''));
await context.close();
fs.rmSync(profile, {recursive: true, force: true});
console.log(`1..${passed + failed}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
