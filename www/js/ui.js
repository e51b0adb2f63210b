// ui.js: what the sections share: error and notice boxes, marking the
// field an API error names, SweetAlert2 with the page's look, and the
// job progress panel (polling GET ?job=ID).

import Swal from '../vendor/sweetalert2.esm.min.js';
import {call, ApiError} from './api.js';
import {h, fill} from './dom.js';
import * as fmt from './format.js';

export {Swal};

export const swal = Swal.mixin({
    buttonsStyling: false,
    customClass: {confirmButton: 'btn primary', cancelButton: 'btn',
                  denyButton: 'btn danger', input: 'swal-input'},
    reverseButtons: true,
    focusCancel: true,
});

export const toast = Swal.mixin({
    toast: true, position: 'top-end', showConfirmButton: false,
    timer: 4000, timerProgressBar: true,
});

// Show an error in `box` (a role=alert element): the message, and the
// field the server named; mark that field in `form` and focus it.
export function showError(box, err, form) {
    const status = err instanceof ApiError && err.status
        ? ` (HTTP ${err.status})` : '';
    const field = err && err.field ? err.field : null;
    fill(box,
        h('strong', {}, 'Error' + status + ': '),
        h('span.error-message', {}, err && err.message ? err.message
                                                       : String(err)),
        field ? h('div.error-field', {}, 'Field: ',
                  h('code', {}, field)) : null);
    box.hidden = false;
    box.className = 'alert error';
    if (form && field) {
        const input = form.querySelector(`[data-field="${CSS.escape(field)}"]`);
        if (input) {
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
    }
    box.focus();
}

export function showNotice(box, ...content) {
    fill(box, ...content);
    box.hidden = false;
    box.className = 'alert notice';
}

export function clearError(box, form) {
    box.hidden = true;
    box.replaceChildren();
    if (form) {
        for (const el of form.querySelectorAll('[aria-invalid]')) {
            el.removeAttribute('aria-invalid');
        }
    }
}

// The progress panel of one job: fill `panel`, poll until the job ends.
// Resolves with the job's result; rejects with an ApiError (its message,
// status) when it failed or was canceled.
export function followJob(panel, jobId, what) {
    const bar = h('progress.bar', {max: 100, 'aria-label': what + ' progress'});
    const phase = h('span.phase', {}, 'queued');
    const stats = h('dl.job-stats', {});
    const cancel = h('button.btn.danger', {type: 'button'}, 'Cancel');
    const live = h('p.sr-only', {'aria-live': 'polite'});
    fill(panel, h('div.job-head', {},
                  h('strong', {}, what), ' — ', phase,
                  h('span.job-id', {}, ' job ', h('code', {}, jobId))),
         bar, stats, h('div.job-actions', {}, cancel), live);
    panel.hidden = false;
    panel.dataset.jobState = 'queued';
    let stop = false;
    cancel.addEventListener('click', async () => {
        cancel.disabled = true;
        cancel.textContent = 'Canceling…';
        try {
            await call('POST', '/jobs/cancel', {query: {id: jobId}});
        } catch (e) {
            cancel.textContent = 'Cancel failed: ' + e.message;
        }
    });
    const item = (dt, dd) => [h('dt', {}, dt), h('dd', {}, dd)];
    let lastPhase = '';
    return new Promise((resolve, reject) => {
        const tick = async () => {
            let s;
            try {
                s = await call('GET', '', {query: {job: jobId}});
            } catch (e) {
                reject(e);
                return;
            }
            // A finished job's result has the final counts (a restore's
            // progress may not know its total).
            if (s.state === 'done' && s.result) {
                if (typeof s.result.documentCount === 'number' &&
                    s.docsTotal === 0) {
                    s.docsDone = s.docsTotal = s.result.documentCount;
                }
                if (!s.elapsedSeconds && s.result.durationSeconds) {
                    s.elapsedSeconds = s.result.durationSeconds;
                }
            }
            if (s.state === 'failed' || s.state === 'canceled') {
                s.phase = s.state;
            }
            const pct = s.docsTotal > 0
                ? Math.min(100, 100 * s.docsDone / s.docsTotal)
                : (s.state === 'done' ? 100 : null);
            if (s.state === 'failed' || s.state === 'canceled') {
                bar.value = 0;
            } else if (pct === null) {
                bar.removeAttribute('value');
            } else {
                bar.value = pct;
            }
            phase.textContent = s.phase || s.state;
            panel.dataset.jobState = s.state;
            fill(stats,
                 item('Collection', s.collection
                      ? `${s.collection} (${s.collectionsDone}/` +
                        `${s.collectionsTotal})` : '—'),
                 item('Documents', `${fmt.num(s.docsDone)} of ` +
                      `${fmt.num(s.docsTotal)}` +
                      (pct !== null ? ` (${pct.toFixed(0)} %)` : '')),
                 item('Data', fmt.bytes(s.bytesDone)),
                 item('Rate', fmt.rate(s.docsPerSecond) + ' · ' +
                      fmt.rate(s.bytesPerSecond, 'bytes')),
                 item('Elapsed', fmt.duration(s.elapsedSeconds)),
                 item('Time left', s.etaSeconds === null ||
                      s.etaSeconds === undefined ? '—'
                          : fmt.duration(s.etaSeconds)));
            if (s.phase !== lastPhase) {
                live.textContent = `${what}: ${s.phase || s.state}`;
                lastPhase = s.phase;
            }
            if (s.state === 'done') {
                cancel.hidden = true;
                resolve(s.result);
                return;
            }
            if (s.state === 'failed' || s.state === 'canceled') {
                cancel.hidden = true;
                const e = s.error || {};
                reject(new ApiError(e.status || 500, s.state === 'canceled'
                    ? 'canceled: ' + (e.message || 'the job was canceled')
                    : e.message || 'the job failed', {state: s.state}));
                return;
            }
            if (!stop) {
                setTimeout(tick, 300);
            }
        };
        tick();
    });
}
