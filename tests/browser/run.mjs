// run.mjs: the browser test's steps in Chromium, run by test_browser.sh
// against the local stack: create a backup and follow its progress, see
// it listed, download it (the save picker asked only once the server
// accepted; closing it creates nothing), restore it with a dry run and
// for real keeping every choice (an excluded collection stays excluded,
// proven on the requests sent), the dry-run conclusion in words, typed
// confirmations, uploads checked by the server at step 2, the default
// target, errors in plain words, then flows.mjs: jobs after a reload,
// MongoDB down and back, every view at five widths (overflow, touch
// targets, axe-core, screenshots); no CSP violation and no page error.
import {createRequire} from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import {runFlows} from './flows.mjs';
import {axeSource, axeProbe, chromiumOptions, loginAnswer} from './checks.mjs';

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
const context = await chromium.launchPersistentContext(
    profile, chromiumOptions(process.env));
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
// Conditions, with deadlines long enough for a busy 2-core machine.
page.setDefaultTimeout(WAIT);
// Every restore request the page sends: method, content type, body.
const sent = [];
page.on('request', (r) => {
    if (r.method() === 'PUT' && /\/api\/settings\/backup(\?|$)/.test(r.url())) {
        sent.push({type: r.headers()['content-type'] || '',
                   body: r.postData() || ''});
    }
});
// The options of a request: the JSON body, or the multipart "options".
function sentOptions(r) {
    if (r.type.startsWith('application/json')) {
        return JSON.parse(r.body);
    }
    const m = /name="options"\r\n\r\n([\s\S]*?)\r\n--/.exec(r.body);
    return m ? JSON.parse(m[1]) : null;
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const swalConfirm = () => page.locator('.swal2-confirm');

// axe-core on what the page shows now: no serious or critical finding.
const AXE = axeSource(process.env.MBK_PW_DIR);
async function axeCheck(what) {
    if (!await page.evaluate(() => typeof window.axe === 'object')) {
        await page.evaluate(AXE);
    }
    const found = await page.evaluate(axeProbe);
    ok(found.length === 0, `axe: no serious or critical finding on ${what}` +
       (found.length ? ': ' + found.join(' | ') : ''));
}

async function restoreWizardReset() {
    await page.goto(URL + '#restore');
    await page.reload();
    await page.waitForSelector('html[data-ready]');
}

// (6) Without a login: nginx's 401 for the page is an HTML page that
// explains and offers to try again (shown here in the browser, checked
// by axe-core); the API's stays JSON.
async function loginPage() {
    const a = await loginAnswer(URL);
    ok(a.status === 401 && /^text\/html/.test(a.type) &&
       /^Basic/.test(a.challenge),
       `without a login: 401, HTML, with the challenge (${a.status} ${a.type})`);
    const p = await context.newPage();
    await p.setContent(a.body);
    ok(/Sign in to mbk/.test(await p.locator('body').innerText()) &&
       await p.getByRole('link', {name: 'Try again'}).count() === 1,
       'the login page explains and offers "Try again"');
    await snap(p, 'login-page');
    await p.evaluate(AXE);
    const found = await p.evaluate(axeProbe);
    ok(found.length === 0, 'axe: no serious or critical finding on the ' +
       'login page' + (found.length ? ': ' + found.join(' | ') : ''));
    await p.close();
    const api = await loginAnswer(URL + 'api/settings/backup');
    ok(api.status === 401 && /json/.test(api.type),
       `the API's 401 stays JSON (${api.status} ${api.type})`);
}

try {
    await loginPage();
    // ---- the backup form ---------------------------------------------------
    await page.goto(URL);
    await page.waitForSelector('html[data-ready]');
    await page.waitForSelector('#b-colls .coll');
    const colls = await page.locator('#b-colls .coll').count();
    ok(colls === 7, `the collection list comes from /stats (${colls})`);
    ok((await page.locator('#db-name').textContent()) === 'crm',
       'the header names the database');

    await page.getByLabel('Name', {exact: true}).fill('browser-test');
    await page.getByLabel('Description').fill('made by the browser test');
    // Where the first toast shows, measured in the page the moment it
    // appears: it lives 4 s, which a busy machine can spend before the
    // test gets to look.
    await page.evaluate(() => {
        const box = (el) => {
            const r = el.getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height};
        };
        const seen = () => {
            const t = document.querySelector('.swal2-toast');
            const p = document.querySelector('#backup-progress');
            if (!t || !p || window.mbkToastBoxes) {
                return;
            }
            const tb = box(t);
            if (tb.width > 0) {
                window.mbkToastBoxes = {toast: tb, progress: box(p)};
            }
        };
        new MutationObserver(seen).observe(document.body,
            {childList: true, subtree: true, attributes: true});
    });
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
    await page.waitForFunction(() => window.mbkToastBoxes);
    const {toast: toastBox, progress: progBox} = await page.evaluate(
        () => window.mbkToastBoxes);
    ok(progBox.width > 0 && (toastBox.y >= progBox.y + progBox.height ||
                               toastBox.y + toastBox.height <= progBox.y ||
                               toastBox.x >= progBox.x + progBox.width),
       'the toast does not cover the progress card');

    // ---- (6, 8) an API error in plain words, details behind a disclosure --
    await page.getByLabel('Name', {exact: true}).fill('elsewhere');
    await page.getByLabel(/Path on the server/).fill('/etc');
    await page.getByRole('button', {name: 'Create Backup'}).click();
    await page.waitForSelector('#backup-error:not([hidden])');
    ok(await page.locator('#backup-result').isHidden() &&
       await page.locator('#backup-progress').isHidden(),
       'the old "done" card and result are gone under the new error');
    ok(!(await page.locator('#backup-error .error-details').evaluate(
        (d) => d.open)), 'the technical detail is closed by default');
    await page.locator('#backup-error summary').click();
    const errText = await page.locator('#backup-error').innerText();
    ok(/400/.test(errText) && /destinationPath/.test(errText),
       'the details show the status and the field: ' +
       errText.replace(/\n/g, ' '));
    ok(await page.locator('#b-dest').getAttribute('aria-invalid') === 'true',
       'the field at fault is marked');
    await snap(page, 'backup-error');
    await page.getByLabel(/Path on the server/).fill('');

    // The backup-name rule is the engine's alone: a name it refuses is the
    // server's 400 at the field, and no job starts.
    const posts = [];
    const onPost = (r) => {
        if (r.request().method() === 'POST' &&
            /\/api\/settings\/backup$/.test(r.url())) {
            posts.push(r);
        }
    };
    page.on('response', onPost);
    await page.getByLabel('Name', {exact: true}).fill('bad name');
    await page.getByRole('button', {name: 'Create Backup'}).click();
    await page.waitForFunction(() => /backupName.*forbidden/.test(
        document.querySelector('#backup-error').textContent));
    page.off('response', onPost);
    ok(posts.length === 1 && posts[0].status() === 400,
       `a bad name is the server's 400 (${posts.map((r) => r.status())})`);
    ok(await page.locator('#b-name').getAttribute('aria-invalid') === 'true',
       'a bad name: the name field is marked');
    ok(!fs.readdirSync(path.join(RUN, 'backups')).some(
        (f) => f.startsWith('bad')), 'a bad name: nothing was written');

    // ---- (10) the save picker: asked after the server accepted; closing
    // it creates nothing.  Headless Chromium shows no picker, so the test
    // stands in for the user's "Cancel" (the picker rejects with
    // AbortError, as it does when a person closes it) and records when it
    // was asked.
    await page.evaluate(() => {
        window.mbkOrder = [];
        const f = window.fetch;
        window.fetch = async (...a) => {
            const r = await f(...a);
            const init = a[1] || {};
            if (init.method === 'POST' && !String(a[0]).includes('/jobs/')) {
                window.mbkOrder.push('POST ' + r.status);
            }
            return r;
        };
        window.showSaveFilePicker = async () => {
            window.mbkOrder.push('picker');
            throw new DOMException('The user aborted a request.',
                                   'AbortError');
        };
    });
    await page.getByLabel('Name', {exact: true}).fill('browser-cancel');
    await page.getByRole('button', {name: 'Create & Download'}).click();
    await page.waitForFunction(() => /nothing was created/.test(
        document.querySelector('#backup-error').textContent));
    const order = await page.evaluate(() => window.mbkOrder);
    ok(same(order, ['POST 202', 'picker']),
       `the picker was asked after the server accepted (${order})`);
    ok(!fs.readdirSync(path.join(RUN, 'backups')).some(
        (f) => f.startsWith('browser-cancel')),
       'closing the picker left no backup file');
    ok(await page.locator('#backup-error').getAttribute('class') ===
       'alert notice', 'a closed picker is a notice, not an error');

    // Without the File System Access API: an ordinary download.
    await page.evaluate(() => {
        window.showSaveFilePicker = undefined;
    });
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
    // the list drawn since both backups were made (an older draw may still
    // be on the page when the tab shows)
    await page.waitForFunction(() => ['browser-test', 'browser-dl'].every(
        (n) => Array.from(document.querySelectorAll('#list-body tbody tr'))
            .some((r) => r.textContent.includes(n))));
    const rows = await page.locator('#list-body tbody tr').count();
    ok(rows === 2, `two backups listed (${rows})`);
    const row = page.locator('#list-body tbody tr', {hasText: 'browser-test'});
    const rowText = await row.innerText();
    ok(/613/.test(rowText) && /gzip/.test(rowText) && /crm/.test(rowText),
       'the row has documents, compression and database');
    // Measured in one step in the page: the list may be drawn again (a
    // refresh after the last backup) between finding a button and
    // measuring it.
    const delRight = await (await page.waitForFunction(() => {
        const tr = Array.from(document.querySelectorAll(
            '#list-body tbody tr')).find((r) =>
            r.textContent.includes('browser-test'));
        const b = tr && tr.querySelector('button[aria-label^="Delete"]');
        const r = b ? b.getBoundingClientRect() : null;
        return r && r.width > 0 ? r.right : null;
    })).jsonValue();
    ok(delRight <= 1280, `the row's Delete button is in view (${delRight})`);
    await row.getByRole('button', {name: /^Verify/}).click();
    await page.waitForSelector('.swal2-modal');
    ok(/verified/i.test(await page.locator('.swal2-modal').innerText()),
       'verify answers in a dialog');
    await snap(page, 'verify-dialog');
    await axeCheck('the verify dialog');
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
    const dlRow = page.locator('#list-body tbody tr', {hasText: 'browser-dl'});
    await dlRow.getByRole('button', {name: /^Delete/}).click();
    await page.waitForSelector('.swal2-modal');
    await snap(page, 'delete-confirm');
    await axeCheck('the delete dialog');
    await swalConfirm().click();
    await page.waitForFunction(() => document.querySelectorAll(
        '#list-body tbody tr').length === 1);
    ok(!fs.existsSync(stored), 'delete, once confirmed, removed the file');

    // ---- (2) a backup to a path on the server: listed with that path,
    // verified, downloaded and deleted from the list -----------------------
    const destDir = path.join(RUN, 'roots', 'browser-dest');
    fs.mkdirSync(destDir, {recursive: true});
    await page.goto(URL + '#backup');
    await page.waitForSelector('#backup:not([hidden]) #b-colls .coll');
    await page.getByLabel('Name', {exact: true}).fill('browser-path');
    await page.getByLabel(/Path on the server/).fill(destDir);
    await page.getByRole('button', {name: 'Create Backup'}).click();
    await page.waitForSelector('#backup-result:not([hidden]) .result-file');
    const pfile = await page.locator('.result-file').textContent();
    ok(/^browser-path/.test(pfile) && fs.existsSync(path.join(destDir, pfile)),
       `the backup was written to the path (${pfile})`);
    ok(/Backups list shows it/.test(await page.locator('#backup-result')
        .innerText()), 'the result says the list shows it');
    await page.getByLabel(/Path on the server/).fill('');
    await page.goto(URL + '#backups');
    const prow = page.locator('#list-body tbody tr', {hasText: pfile});
    await prow.waitFor();
    ok((await prow.locator('.bpath').textContent()) ===
       fs.realpathSync(destDir), 'the list shows it, marked with its path');
    await prow.getByRole('button', {name: /^Verify/}).click();
    await page.waitForSelector('.swal2-modal');
    ok(/verified/i.test(await page.locator('.swal2-modal').innerText()),
       'the backup at a path verifies');
    await swalConfirm().click();
    await page.waitForSelector('.swal2-container', {state: 'detached'});
    const [dl3] = await Promise.all([
        page.waitForEvent('download'),
        prow.getByRole('link', {name: /^Download/}).click(),
    ]);
    const dl3Path = path.join(OUT, 'download-path-' + dl3.suggestedFilename());
    await dl3.saveAs(dl3Path);
    ok(Buffer.compare(fs.readFileSync(path.join(destDir, pfile)),
                      fs.readFileSync(dl3Path)) === 0,
       'its download is the file at the path');
    await snap(page, 'list-with-path');
    await prow.getByRole('button', {name: /^Delete/}).click();
    await page.waitForSelector('.swal2-modal');
    ok(new RegExp(fs.realpathSync(destDir)).test(
        await page.locator('.swal2-modal').innerText()),
       'the delete dialog names the path');
    await swalConfirm().click();
    await page.waitForFunction(() => document.querySelectorAll(
        '#list-body tbody tr').length === 1);
    ok(!fs.existsSync(path.join(destDir, pfile)),
       'deleted from the list: the file at the path is gone');

    // ---- (1) restore from the server: the choices survive every step ----
    await row.getByRole('button', {name: /^Restore/}).click();
    await page.waitForSelector('#restore:not([hidden]) .step[data-step="2"]:not([hidden])');
    await page.getByRole('button', {name: 'Next'}).click();
    ok(await page.getByLabel('Target database').inputValue() === 'crm',
       'the default target of a backup of the live database is that database');
    // The database-name rule is the engine's alone: a bad target goes to
    // the server, whose 400 brings the wizard back to step 3 at the field.
    await page.getByLabel('Target database').fill('crm/copy');
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByRole('button', {name: 'Run the dry run'}).click();
    await page.waitForSelector('.swal2-modal');
    await swalConfirm().click();
    await page.waitForSelector('#r-target[aria-invalid="true"]');
    ok(await page.locator('.step[data-step="3"]').isVisible() &&
       /crm\/copy/.test(await page.locator('#restore-error').innerText()),
       'a bad target: the server\'s 400 at step 3, naming it: ' +
       (await page.locator('#restore-error').innerText()).split('\n')[0]);
    await page.getByLabel('Target database').fill('crm_copy');
    ok(await page.locator('#r-colls input').count() === 7,
       'the options list the backup\'s collections');
    await page.locator('#r-colls input[value="sessions"]').uncheck();
    // Back and forth keeps the choice.
    await page.getByRole('button', {name: 'Back'}).click();
    await page.getByRole('button', {name: 'Next'}).click();
    ok(!(await page.locator('#r-colls input[value="sessions"]').isChecked()),
       'back to step 2 and on again: sessions is still unticked');
    await page.getByRole('button', {name: 'Next'}).click();
    const shown1 = JSON.parse(await page.locator('#r-sent').textContent());
    ok(!shown1.collections.includes('sessions') &&
       shown1.collections.length === 6 && shown1.dryRun === true,
       'step 4 shows a dry run of 6 collections, without sessions');
    ok(!/sessions/.test(await page.locator('.summary-colls').textContent()),
       'the summary does not name sessions');
    const before1 = sent.length;
    await page.getByRole('button', {name: 'Run the dry run'}).click();
    await page.waitForSelector('.swal2-modal');
    await swalConfirm().click();
    await page.waitForSelector('.report-title');
    ok(sent.length === before1 + 1 &&
       same(sentOptions(sent[before1]), shown1),
       'the dry run sent exactly what step 4 showed');
    ok((await page.locator('.report-status').textContent()) === 'dry-run',
       'the dry-run report shows, status dry-run');
    // Counts and their nouns are joined by no-break spaces.
    const text = async (sel) => (await page.locator(sel).textContent())
        .replace(/\u00a0/g, ' ');
    const concl = await text('.conclusion');
    const m = /^Restoring into crm_copy would insert ([\d,.]+) documents in 6 collections\. Nothing has been changed yet\.$/.exec(concl);
    ok(m !== null, 'the dry run leads with its conclusion: ' + concl);
    const wouldInsert = m ? m[1].replace(/\D/g, '') : '?';
    ok(await page.locator('#r-report tbody tr').count() === 6,
       'the dry-run report lists the 6 chosen collections');
    await snap(page, 'restore-dry-run');

    // ---- then for real: sessions stays excluded ---------------------------
    await page.getByRole('button', {name: 'Change options for the real restore'}).click();
    ok(!(await page.locator('#r-dry').isChecked()), 'dry run is off');
    ok(!(await page.locator('#r-colls input[value="sessions"]').isChecked()) &&
       await page.locator('#r-colls input:checked').count() === 6,
       'after the dry run, sessions is still unticked');
    ok(await page.getByLabel('Target database').inputValue() === 'crm_copy',
       'the target is kept');
    await page.getByLabel(/Drop the existing/).check();
    await page.getByRole('button', {name: 'Next'}).click();
    const shown2 = JSON.parse(await page.locator('#r-sent').textContent());
    ok(!shown2.collections.includes('sessions') && shown2.dryRun === false &&
       shown2.dropExisting === true, 'step 4 shows the real restore, ' +
       'drop, without sessions');
    await page.getByRole('button', {name: 'Restore now'}).click();
    await page.waitForSelector('.swal2-input');
    const affected = await page.locator('.swal2-popup .affected li')
        .allInnerTexts();
    ok(affected.length === 6 && !affected.some((t) => /sessions/.test(t)) &&
       affected.every((t) => /\d documents? from the backup/.test(
           t.replace(/\u00a0/g, ' '))),
       'the typed confirmation names the 6 collections: ' +
       affected.join('; '));
    await page.locator('.swal2-input').fill('crm');
    await swalConfirm().click();
    await page.waitForSelector('.swal2-validation-message:visible');
    ok(/crm_copy/.test(await page.locator('.swal2-validation-message').innerText()),
       'a wrong database name is refused');
    await snap(page, 'restore-typed-confirm');
    await axeCheck('the typed confirmation');
    const before2 = sent.length;
    await page.locator('.swal2-input').fill('crm_copy');
    await swalConfirm().click();
    await page.waitForSelector('.report-title:has-text("Restore report")');
    ok(sent.length === before2 + 1 && same(sentOptions(sent[before2]), shown2),
       'the real restore sent exactly what step 4 showed');
    ok((await page.locator('.report-inserted').textContent())
        .replace(/\D/g, '') === wouldInsert,
       `the restore inserted what the dry run said (${wouldInsert}), not ` +
       'sessions');
    ok(await page.locator('#r-report tbody tr').count() === 6,
       'the restore report lists 6 collections');
    await snap(page, 'restore-report');

    // ---- (5) a dry run with drop says what would be dropped ---------------
    await page.getByRole('button', {name: 'Back'}).click();
    await page.locator('#r-dry').check();
    await page.getByRole('button', {name: 'Next'}).click();
    await page.getByRole('button', {name: 'Run the dry run'}).click();
    await swalConfirm().click();
    await page.waitForSelector('.report-title:has-text("Dry-run report")');
    const concl2 = await text('.conclusion');
    ok(new RegExp('^Restoring into crm_copy would drop 6 existing ' +
                  'collections \\(' + wouldInsert + ' documents\\) and ' +
                  'insert ' + wouldInsert + ' documents in 6 collections\\.')
           .test(concl2.replace(/(\d),(\d)/g, '$1$2')),
       'a dry run with drop says what it would drop: ' + concl2);

    // ---- (4) the live database without drop: a typed confirmation too ----
    await page.getByRole('button', {name: 'Back'}).click();
    await page.getByLabel('Target database').fill('crm');
    await page.locator('#r-dry').uncheck();
    await page.getByLabel(/Drop the existing/).uncheck();
    await page.getByRole('button', {name: 'Next'}).click();
    const before3 = sent.length;
    await page.getByRole('button', {name: 'Restore now'}).click();
    await page.waitForSelector('.swal2-input');
    const live = await page.locator('.swal2-popup').innerText();
    ok(/live database/.test(live) && await page.locator(
        '.swal2-popup .affected li').count() === 6,
       'restoring into the live database asks for the typed name and ' +
       'lists the collections');
    await page.locator('.swal2-cancel').click();
    await page.waitForSelector('.swal2-container', {state: 'detached'});
    ok(sent.length === before3, 'cancelled: nothing was sent');

    // ---- (3) an upload: the header read here, the file checked there ------
    await restoreWizardReset();
    await page.getByText('Upload from this computer').click();
    await page.getByRole('button', {name: 'Next'}).click();
    await page.locator('#r-file').setInputFiles(dl2Path);
    await page.waitForSelector('.filecard');
    const card = await page.locator('.filecard h4').innerText();
    ok(/^The header of .* is an mbk backup of crm, 7\scollections$/.test(card),
       'the browser says only what it checked: ' + card);
    await snap(page, 'upload-checked');
    const before4 = sent.length;
    await page.getByRole('button', {name: 'Next'}).click();
    await page.waitForSelector('.step[data-step="3"]:not([hidden])');
    const check = sent[before4] ? sentOptions(sent[before4]) : null;
    ok(check && check.validateOnly === true && check.dryRun === undefined,
       'before the options, the server checked the whole file ' +
       '(validateOnly, no dry run)');
    await page.getByLabel('Target database').fill('crm_up');
    await page.locator('#r-dry').uncheck();
    await page.getByRole('button', {name: 'Next'}).click();
    const before5 = sent.length;
    await page.getByRole('button', {name: 'Restore now'}).click();
    await swalConfirm().click();
    await page.waitForSelector('.report-title:has-text("Restore report")');
    ok((await page.locator('.report-inserted').textContent())
        .replace(/\D/g, '') === '613',
       'the upload restore inserted 613 documents');
    ok(sent.length === before5 + 1 &&
       sent[before5].type.startsWith('application/json') &&
       /^[0-9a-f]{32}$/.test(sentOptions(sent[before5]).uploadId || ''),
       'the restore named the checked upload (uploadId), not sent again');
    await snap(page, 'upload-report');

    // ---- (4) the default target is the file's database -------------------
    const plainText = fs.readFileSync(dlPath, 'utf8');
    const analytics = plainText.replace(/"database"\s*:\s*"crm"/,
                                        '"database":"analytics"');
    ok(analytics !== plainText, 'a copy of the backup claims `analytics`');
    await restoreWizardReset();
    await page.getByText('Upload from this computer').click();
    await page.getByRole('button', {name: 'Next'}).click();
    await page.locator('#r-file').setInputFiles({name: 'analytics.json',
        mimeType: 'application/json', buffer: Buffer.from(analytics)});
    await page.waitForSelector('.filecard');
    await page.getByRole('button', {name: 'Next'}).click();
    await page.waitForSelector('.step[data-step="3"]:not([hidden]), ' +
                               '#restore-error:not([hidden])');
    ok(await page.getByLabel('Target database').inputValue() === 'analytics',
       'the target defaults to the file\'s database, not the live one: ' +
       await page.getByLabel('Target database').inputValue());

    // ---- (3, 8) damaged uploads -------------------------------------------
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
    // a head that is fine, a body that is cut: refused at step 2
    const broken = '{"metadata":{"database":"crm","timestamp":' +
        '"2026-01-01T00:00:00Z","collections":["a"]},"collections":' +
        '{"a":[{"_id":1},';
    const cut = fs.readFileSync(dl2Path);
    for (const [name, buf] of [
        ['broken.json', Buffer.from(broken)],
        ['truncated.json.gz', cut.subarray(0, cut.length >> 1)]]) {
        await page.locator('#r-file').setInputFiles({name,
            mimeType: 'application/octet-stream', buffer: buf});
        await page.waitForSelector('.filecard, #restore-error:not([hidden])');
        if (await page.locator('.filecard').count() > 0) {
            await page.getByRole('button', {name: 'Next'}).click();
            await page.waitForSelector('#restore-error:not([hidden])');
        }
        const t = await page.locator('#restore-error').innerText();
        ok(await page.locator('.step[data-step="2"]').isVisible() &&
           new RegExp(name.replace(/\./g, '\\.')).test(t),
           `${name} is refused at step 2: ` + t.replace(/\n/g, ' '));
    }
    ok(await page.locator('#r-steps li[data-step="2"].failed').count() === 1,
       'the failed step is marked');
    await snap(page, 'upload-invalid-server');

    // ---- audit and statistics ----------------------------------------------
    await page.goto(URL + '#audit');
    await page.waitForSelector('#audit-body tbody tr');
    const times = await page.locator('#audit-body tbody tr th').allInnerTexts();
    ok(times.length >= 6, `the audit log lists ${times.length} entries`);
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
    // (10) any database the user may inspect, from the API's list (the
    // picker fills when /databases answers, which may be after the table)
    await page.waitForSelector('#s-db option[value="crm_copy"]',
                               {state: 'attached'});
    const dbs = await page.locator('#s-db option').allTextContents();
    ok(dbs[0] === 'crm' && dbs.includes('crm_copy') &&
       !dbs.some((d) => ['admin', 'local', 'config'].includes(d)),
       'the database picker lists the databases: ' + dbs.join(', '));
    await page.getByLabel('Database', {exact: true}).selectOption('crm_copy');
    await page.waitForSelector('#stats-body caption:has-text("crm_copy")');
    ok(await page.locator('#stats-body tbody tr').count() === 6,
       'the statistics of crm_copy: the 6 restored collections');
    await snap(page, 'stats-other-db');
    // (4) the jobs list says what each restore was
    await page.goto(URL + '#backups');
    // the jobs list drawn since the last restore ended (an older draw may
    // still be on the page when the tab shows)
    await page.waitForFunction(() => Array.from(document.querySelectorAll(
        '#jobs-recent tbody tr')).some((r) => /crm_up/.test(r.textContent)));
    const jobRows = await page.locator('#jobs-recent tbody tr')
        .allInnerTexts();
    ok(jobRows.some((t) => /Dry run into crm_copy/.test(t) &&
                           /from browser-test/.test(t)) &&
       jobRows.some((t) => /Restore into crm_up/.test(t) &&
                           /from an uploaded file/.test(t)),
       'the recent jobs say dry run or restore, the target and the source');

    // ---- jobs, MongoDB down, every view at every width ---------------------
    await runFlows({page, ok, snap, axeCheck, URL, RUN, same,
                    restoreWizardReset});
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
