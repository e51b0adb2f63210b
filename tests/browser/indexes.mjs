// indexes.mjs: a restore's "building indexes" phase as the page shows it,
// in both browsers, without a race: the development MongoDB server's test
// gate (tests/mongo-dev-server/gate.py) holds every createIndexes while
// GATE/createIndexes.hold exists, and says so with createIndexes.waiting.
// The test creates the hold file, starts a restore from the page, waits
// until the server holds a createIndexes and the page and the job API
// agree on the phase, checks the card (indexes built of all on the bar, not
// a frozen 100 % of documents; what it does in words; the elapsed time
// going on), takes a screenshot,
// runs axe-core, removes the file and follows the restore to its end with
// every index built.  A real MongoDB has no gate: the caller skips.

import fs from 'node:fs';
import path from 'node:path';
import {progressProbe, jobProbe, overflowProbe} from './checks.mjs';

// A deadline of minutes for every condition, never a measure of speed.
const WAIT = 5 * 60 * 1000;
const PHASE = 'building indexes';

// Poll probe() until cond(answer) holds; the last answer.
export async function until(probe, cond, what) {
    const end = Date.now() + WAIT;
    for (;;) {
        const last = await probe();
        if (cond(last)) {
            return last;
        }
        if (Date.now() > end) {
            throw new Error(`${what}: not within 5 minutes; last seen ` +
                            JSON.stringify(last));
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

const builtRe = /^([\d,. ]+) of ([\d,. ]+) built$/;
const int = (s) => Number(String(s).replace(/\D/g, ''));

// t: {page, ok, snap, axeCheck, gate (the gate directory), sel (the
// progress card), start (an async function that starts the restore from
// the page), prefix (for the screenshot's name)}.
export async function indexPhase(t) {
    const {page, ok, gate, sel} = t;
    const hold = path.join(gate, 'createIndexes.hold');
    const waiting = path.join(gate, 'createIndexes.waiting');
    // The page, the API and the server, read together.
    const look = async () => {
        const p = await page.evaluate(progressProbe, sel);
        const j = p && p.jobId ? await page.evaluate(jobProbe, p.jobId)
                               : null;
        return {p, j, held: fs.existsSync(waiting)};
    };
    fs.writeFileSync(hold, '');
    let seen;
    try {
        await t.start();
        // Held: the server waits in a createIndexes, the job says so and
        // the page shows what the job says.
        seen = await until(look, (s) => s.held && s.j && s.p &&
            s.j.phase === PHASE && s.p.phase === PHASE &&
            s.p.stats.Indexes === `${s.j.indexesDone} of ` +
                                  `${s.j.indexesTotal} built`,
        'the page in the phase "building indexes"');
        const {p, j} = seen;
        ok(j.state === 'running' && j.indexesTotal > 0 &&
           j.indexesDone < j.indexesTotal,
           `the job is held building indexes: ${j.indexesDone} of ` +
           `${j.indexesTotal} built (GET ?job)`);
        ok(j.docsTotal > 0 && j.docsDone === j.docsTotal,
           `its documents are all done (${j.docsDone} of ${j.docsTotal})`);
        ok(/ \(100 %\)$/.test(p.stats.Documents || ''),
           'the card shows the documents at 100 %: ' + p.stats.Documents);
        const want = 100 * j.indexesDone / j.indexesTotal;
        ok(p.bar !== null && Math.abs(p.bar - want) < 0.01 && p.bar < 100,
           `the bar shows the indexes built (${p.bar} %), not a frozen ` +
           '100 % of documents');
        ok(/: indexes built$/.test(p.barLabel),
           'the bar is labelled as indexes built: ' + p.barLabel);
        const m = builtRe.exec(p.stats.Indexes || '');
        ok(m !== null && int(m[1]) === j.indexesDone &&
           int(m[2]) === j.indexesTotal,
           'the card counts the indexes: ' + p.stats.Indexes);
        ok(/^The documents are done\. MongoDB is building the indexes of \S+ \(createIndexes\): [\d,. ]+ of [\d,. ]+ indexes built so far\. /.test(p.doing),
           'the card says what it does: ' + p.doing);
        ok(p.stats['Time left'] === 'not known while indexes build',
           'no made-up time left: ' + p.stats['Time left']);
        // Its time goes on while MongoDB builds (the engine reports only
        // when a build ends): nothing on the card is frozen.
        const later = await until(look, (s) => s.j && s.p &&
            s.j.elapsedSeconds > j.elapsedSeconds &&
            s.p.stats.Elapsed !== p.stats.Elapsed,
        'the elapsed time going on while held');
        ok(later.j.phase === PHASE && later.j.indexesDone === j.indexesDone,
           `while held, the elapsed time goes on (${p.stats.Elapsed}, then ` +
           `${later.p.stats.Elapsed})`);
        await t.snap(page, `${t.prefix || ''}restore-building-indexes`);
        await t.axeCheck('the restore building indexes');
        const over = await page.evaluate(overflowProbe);
        ok(over.length === 0, 'the card fits its box' +
           (over.length ? ': ' + over.join('; ') : ''));
    } finally {
        fs.rmSync(hold, {force: true});
    }
    // Released: the restore ends with every index built.
    const end = await until(look, (s) => s.p && s.j &&
        ['done', 'failed', 'canceled'].includes(s.p.state) &&
        s.j.state === s.p.state, 'the restore\'s end');
    ok(end.p.state === 'done', `released, the restore ends (${end.p.state})`);
    ok(end.j.indexesDone === end.j.indexesTotal &&
       end.j.indexesTotal === seen.j.indexesTotal,
       `the job built every index: ${end.j.indexesDone} of ` +
       `${end.j.indexesTotal}`);
    ok(end.p.stats.Indexes === `${end.j.indexesTotal} of ` +
                               `${end.j.indexesTotal} built` &&
       end.p.bar === 100,
       'the card shows them all built: ' + end.p.stats.Indexes);
    ok(!fs.existsSync(waiting), 'the server holds nothing any more');
    return end.j;
}
