// s3.mjs: the page with an s3 storage (tests/s3/test_browser.sh: the
// local stack with a Ceph RADOS Gateway behind the storage "s3"): the
// storage choice offers s3 (built from the API's list), a backup made to
// it is listed under s3, verified and downloaded byte for byte as the
// gateway holds it (MBK_S3_OBJECT_CMD prints the object).
import {createRequire} from 'node:module';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import {chromiumOptions, tap} from './checks.mjs';

const require = createRequire(process.env.MBK_PW_DIR + '/');
const {chromium} = require('playwright-core');
const URL = process.env.MBK_URL;
const OUT = process.env.MBK_OUT;
const WAIT = 5 * 60 * 1000; // a deadline for conditions, never a measure
const t = tap('');
const ok = t.ok;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mbk-chromium-'));
const context = await chromium.launchPersistentContext(
    profile, chromiumOptions(process.env));
const problems = [];
const page = await context.newPage();
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
page.setDefaultTimeout(WAIT);
try {
    await page.goto(URL);
    await page.waitForSelector('html[data-ready]');
    await page.waitForSelector('#b-storages input[value="s3"]');
    const offered = await page.locator('#b-storages input[name="storage"]')
        .evaluateAll((l) => l.map((i) => i.value));
    ok(offered.includes('s3') && offered.includes('fs'),
       `the storage choice offers s3 beside the others (${offered})`);
    await page.locator('#b-storages label', {hasText: 's3'}).click();
    ok(await page.locator('#b-storages input[value="s3"]').isChecked(),
       'the s3 storage is chosen');
    await page.getByLabel('Name', {exact: true}).fill('browser-s3');
    await page.getByRole('button', {name: 'Create Backup'}).click();
    await page.waitForSelector('#backup-result:not([hidden])');
    const state = await page.locator('#backup-progress').getAttribute(
        'data-job-state');
    ok(state === 'done', `the backup to s3 ran to "${state}"`);
    const file = await page.locator('.result-file').textContent();
    ok(/^browser-s3.*\.json(\.gz)?$/.test(file), `the result names ${file}`);

    await page.goto(URL + '#backups');
    const row = page.locator('#list-body tbody tr', {hasText: file});
    await row.waitFor();
    const text = await row.innerText();
    ok(/\bs3\b/.test(text) && /613/.test(text),
       'the list shows it under s3 with its 613 documents: ' +
       text.replace(/\s+/g, ' '));
    await row.getByRole('button', {name: /^Verify/}).click();
    await page.waitForSelector('.swal2-modal');
    ok(/verified/i.test(await page.locator('.swal2-modal').innerText()),
       'verify of the s3 backup answers "verified"');
    await page.locator('.swal2-confirm').click();
    const [dl] = await Promise.all([
        page.waitForEvent('download'),
        row.getByRole('link', {name: /^Download/}).click(),
    ]);
    const got = path.join(OUT, 's3-download-' + dl.suggestedFilename());
    await dl.saveAs(got);
    const object = execFileSync('sh', ['-c', process.env.MBK_S3_OBJECT_CMD,
                                       'object', file]);
    ok(object.length > 0 &&
       Buffer.compare(object, fs.readFileSync(got)) === 0,
       `the download is the gateway's object (${object.length} bytes)`);
    await page.screenshot({path: path.join(OUT, 's3-list.png'),
                           fullPage: true});
} catch (e) {
    ok(false, 'the s3 flow ran: ' + (e && e.stack || e));
}
ok(problems.length === 0, 'no page error' +
   (problems.length ? ': ' + problems.join(' | ') : ''));
await context.close();
fs.rmSync(profile, {recursive: true, force: true});
console.log(`1..${t.n}`);
process.exit(t.failed ? 1 : 0);
