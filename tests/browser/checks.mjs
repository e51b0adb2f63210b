// checks.mjs: what both browser tests measure inside the page, written as
// plain functions handed to page.evaluate (Playwright and Puppeteer take
// the same): elements wider than their box, touch targets under 44 px,
// and axe-core's accessibility findings (axe.min.js from the pinned npm
// package, evaluated in the page: evaluation is not subject to the CSP).

import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

// The options of a fresh headless Chromium on the local stack (its basic
// auth, its self-signed certificate), for launchPersistentContext.
export function chromiumOptions(env) {
    return {
        executablePath: env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-background-networking',
               '--disable-component-update', '--disable-sync',
               '--disable-quic', '--no-first-run'],
        httpCredentials: {username: env.MBK_USER, password: env.MBK_PASSWORD},
        ignoreHTTPSErrors: true,
        acceptDownloads: true,
        viewport: {width: 1280, height: 900},
    };
}

// TAP lines: t.ok(cond, what) prints "ok N - PREFIXwhat" or "not ok";
// t.n and t.failed count them.
export function tap(prefix) {
    const t = {n: 0, failed: 0};
    t.ok = (cond, what) => {
        t.n++;
        if (!cond) {
            t.failed++;
        }
        console.log(`${cond ? 'ok' : 'not ok'} ${t.n} - ${prefix}${what}`);
        return cond;
    };
    return t;
}

export function axeSource(pwDir) {
    return fs.readFileSync(path.join(pwDir, 'node_modules', 'axe-core',
                                     'axe.min.js'), 'utf8');
}

// In the page: every visible element whose content is wider than its box
// (scrollWidth > clientWidth), or that reaches past the viewport.  A box
// that scrolls on purpose (overflow-x auto on a <pre> or a table wrapper)
// still counts: the layout must fit without it.
export function overflowProbe() {
    const out = [];
    const vw = document.documentElement.clientWidth;
    const name = (el) => el.tagName.toLowerCase() +
        (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string'
            ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    // Visually hidden boxes (1 px, clipped: table heads on phones, text
    // for screen readers) are not layout.
    const clipped = (el) => {
        for (let p = el; p; p = p.parentElement) {
            const r = p.getBoundingClientRect();
            if (r.width <= 1 && r.height <= 1 &&
                getComputedStyle(p).overflow === 'hidden') {
                return true;
            }
        }
        return false;
    };
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('[hidden], .sr-only, .swal2-container:not(.swal2-shown)') ||
            clipped(el)) {
            continue;
        }
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) {
            continue;
        }
        // Inputs scroll their own text; a select's options are not
        // content.
        if (['INPUT', 'SELECT', 'TEXTAREA', 'OPTION', 'PROGRESS'].includes(
            el.tagName)) {
            if (r.right > vw + 1) {
                out.push(`${name(el)} ends at ${Math.round(r.right)} > ${vw}`);
            }
            continue;
        }
        if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
            out.push(`${name(el)} ${el.scrollWidth} > ${el.clientWidth}`);
        } else if (r.right > vw + 1 && getComputedStyle(el).position !==
                   'fixed') {
            out.push(`${name(el)} ends at ${Math.round(r.right)} > ${vw}`);
        }
        if (out.length > 12) {
            break;
        }
    }
    if (document.documentElement.scrollWidth > vw) {
        out.push(`the page ${document.documentElement.scrollWidth} > ${vw}`);
    }
    return out;
}

// In the page: visible interactive elements less than 44 px tall (a
// checkbox or radio counts by its label, which is what a finger hits).
export function touchProbe() {
    const out = [];
    const sel = 'a[href], button, input, select, textarea, summary, ' +
                '[tabindex="0"], [role="button"]';
    for (const el of document.querySelectorAll(sel)) {
        if (el.closest('[hidden], .sr-only, .skip') || el.type === 'file' ||
            el.tabIndex < 0 && el.tagName !== 'INPUT') {
            continue;
        }
        const target = (el.type === 'checkbox' || el.type === 'radio') &&
            el.closest('label') ? el.closest('label') : el;
        const r = target.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) {
            continue;
        }
        if (r.height < 43.5) {
            out.push(`${el.tagName.toLowerCase()}` +
                     `${el.id ? '#' + el.id : ''} "${(el.textContent ||
                        el.value || el.name || '').trim().slice(0, 30)}" ` +
                     `${Math.round(r.height)} px`);
        }
    }
    return out;
}

// A view as shown now (what: its name and width), in either browser
// (Playwright's and Puppeteer's page.evaluate take the same function):
// nothing wider than its box, and on a phone (phone true) every control
// at least 44 px tall; reported through ok.
export async function fitCheck(page, ok, what, phone) {
    const over = await page.evaluate(overflowProbe);
    ok(over.length === 0, `${what}: nothing wider than its box` +
       (over.length ? ': ' + over.join('; ') : ''));
    if (phone) {
        const small = await page.evaluate(touchProbe);
        ok(small.length === 0, `${what}: every control at least 44 px ` +
           'tall' + (small.length ? ': ' + small.join('; ') : ''));
    }
}

// In the page (after axeSource was evaluated): serious and critical
// findings, as short strings.
export async function axeProbe() {
    /* global axe */
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter((v) => v.impact === 'serious' ||
                                      v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3)
            .map((n) => n.target.join(' ')).join(', '));
}

// nginx's answer to a browser's page request without a login: status,
// content type and body (headless browsers cancel the login prompt with
// an error instead of showing the body, so the test asks as a browser
// would, Accept text/html, and shows the body in the browser).
export function loginAnswer(url) {
    return new Promise((resolve, reject) => {
        https.get(url, {rejectUnauthorized: false, headers: {
            Accept: 'text/html,application/xhtml+xml,*/*;q=0.8'}}, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c) => {
                body += c;
            });
            res.on('end', () => resolve({status: res.statusCode,
                type: res.headers['content-type'] || '',
                challenge: res.headers['www-authenticate'] || '', body}));
        }).on('error', reject);
    });
}

// In the page: a job's progress card (selector sel) as a user sees it:
// its state and phase, the sentence saying what it does, the bar's value
// (null when it has none), the bar's label, the job id and the figures
// (dt: dd, no-break spaces as spaces); null while the card is hidden.
export function progressProbe(sel) {
    const p = document.querySelector(sel);
    if (!p || p.hidden) {
        return null;
    }
    const bar = p.querySelector('progress.bar');
    const code = p.querySelector('.job-id code');
    const doing = p.querySelector('.job-doing');
    const stats = {};
    for (const dt of p.querySelectorAll('.job-stats dt')) {
        stats[dt.textContent] = (dt.nextElementSibling || {textContent: ''})
            .textContent.replace(/\u00a0/g, ' ');
    }
    return {state: p.dataset.jobState || '', phase: p.dataset.phase || '',
            doing: doing ? doing.textContent.replace(/\u00a0/g, ' ') : '',
            bar: bar && bar.hasAttribute('value') ? Number(bar.value) : null,
            barLabel: bar ? bar.getAttribute('aria-label') || '' : '',
            jobId: code ? code.textContent : '', stats};
}

// In the page: the job's status as the API gives it (GET ?job=ID).
export async function jobProbe(id) {
    const r = await fetch('api/settings/backup?job=' +
                          encodeURIComponent(id),
                          {headers: {'X-Requested-With': 'mbk-test'}});
    const body = await r.json();
    return body.data || {status: r.status, error: body.error};
}

// In the page: choose the first backup whose label starts with prefix in
// the restore wizard's list; its label, or null.
export function chooseBackup(prefix) {
    const s = document.querySelector('#r-backup');
    const o = Array.from(s.options).find((x) => x.text.startsWith(prefix));
    if (!o) {
        return null;
    }
    s.value = o.value;
    s.dispatchEvent(new Event('change', {bubbles: true}));
    return o.text;
}
