// report.js: a restore's or dry run's answer in words.  The conclusion
// leads ("would insert 313 documents and replace 300 in 7 collections"),
// per collection and in all, computed from the report's counts and the
// options that were sent (drop, conflict mode); the table follows.

import {h, table} from './dom.js';
import * as fmt from './format.js';

// What a dry run says would happen to one collection.
function plan(c, o) {
    const docs = c.documentCount || 0;
    const existing = c.targetExists ? c.targetDocuments || 0 : 0;
    const conflicts = c.conflicts || 0;
    if (o.dropExisting) {
        return {drop: c.targetExists ? 1 : 0, dropDocs: existing,
                insert: docs, skip: 0, replace: 0, fail: 0};
    }
    const clash = Math.min(conflicts, docs);
    return {drop: 0, dropDocs: 0, insert: docs - clash,
            skip: o.conflict === 'skip' ? clash : 0,
            replace: o.conflict === 'replace' ? clash : 0,
            fail: o.conflict === 'fail' ? clash : 0};
}

// "would drop 2 existing collections (300 documents), insert 613
// documents and replace 300 existing documents".
function words(p, dry) {
    if (p.fail > 0) {
        return `${dry ? 'would stop' : 'stops'} with an error: ` +
               `${fmt.count(p.fail, 'document')} already exist and the ` +
               'conflict mode is "stop with an error"';
    }
    const parts = [];
    if (p.drop > 0) {
        parts.push(`drop ${fmt.count(p.drop, 'existing collection')}` +
                   ` (${fmt.count(p.dropDocs, 'document')})`);
    }
    parts.push(`insert ${fmt.count(p.insert, 'document')}`);
    if (p.replace > 0) {
        parts.push(`replace ${fmt.count(p.replace, 'existing document')}`);
    }
    if (p.skip > 0) {
        parts.push(`skip ${fmt.count(p.skip, 'document')} that already ` +
                   'exist');
    }
    const last = parts.pop();
    const list = parts.length ? parts.join(', ') + ' and ' + last : last;
    return (dry ? 'would ' : '') + list;
}

function add(a, b) {
    for (const k of Object.keys(b)) {
        a[k] = (a[k] || 0) + b[k];
    }
    return a;
}

// The report's collections as rows: name, counts, and the plan.
function rows(rep, o, dry) {
    return Object.entries(rep.collections || {}).map(([name, c]) => {
        const p = dry ? plan(c, o)
            : {drop: 0, dropDocs: 0, insert: c.inserted || 0,
               skip: c.skipped || 0, replace: c.replaced || 0,
               fail: c.failed || 0};
        return {name, ...c, plan: p};
    });
}

// The sentence: "Restoring into crm_copy would insert 613 documents in 7
// collections."
export function conclusion(rep, o, dry) {
    const list = rows(rep, o, dry);
    const all = list.reduce((a, c) => add(a, c.plan), {});
    const n = fmt.count(list.length, 'collection');
    if (!dry) {
        return `Restored into ${rep.targetDatabase}: inserted ` +
               `${fmt.count(all.insert || 0, 'document')}` +
               (all.replace ? `, replaced ${fmt.num(all.replace)}` : '') +
               (all.skip ? `, skipped ${fmt.num(all.skip)} that already ` +
                           'existed' : '') +
               (all.fail ? `, ${fmt.num(all.fail)} failed` : '') +
               ` in ${n}.`;
    }
    return `Restoring into ${rep.targetDatabase} ${words(all, true)} in ` +
           `${n}. Nothing has been changed yet.`;
}

export function reportView(rep, o, dry) {
    const list = rows(rep, o, dry);
    const cols = dry ? [
        {label: 'Collection', value: (c) => c.name},
        {label: 'In the backup', num: true,
         value: (c) => fmt.num(c.documentCount)},
        {label: 'Now in the target', num: true, value: (c) => c.targetExists
            ? fmt.num(c.targetDocuments) : 'none'},
        {label: 'Would happen', value: (c) => words(c.plan, false)},
    ] : [
        {label: 'Collection', value: (c) => c.name},
        {label: 'Documents', num: true, value: (c) => fmt.num(c.documentCount)},
        {label: 'Inserted', num: true, value: (c) => fmt.num(c.inserted)},
        {label: 'Skipped', num: true, value: (c) => fmt.num(c.skipped)},
        {label: 'Replaced', num: true, value: (c) => fmt.num(c.replaced)},
        {label: 'Failed', num: true, value: (c) => fmt.num(c.failed)},
        {label: 'Indexes', num: true, value: (c) => fmt.num(c.indexesCreated)},
    ];
    return [
        h('h4.report-title', {}, dry ? 'Dry-run report' : 'Restore report'),
        h('p.conclusion', {}, conclusion(rep, o, dry)),
        h('dl.summary', {},
          h('dt', {}, 'Status'), h('dd.report-status', {}, rep.status),
          h('dt', {}, 'From database'), h('dd', {}, rep.sourceDatabase),
          h('dt', {}, 'Into database'), h('dd', {}, rep.targetDatabase),
          h('dt', {}, 'Documents in the backup'),
          h('dd', {}, fmt.num(rep.documentCount)),
          dry ? null : [h('dt', {}, 'Inserted'), h('dd.report-inserted', {},
                                                    fmt.num(rep.inserted))],
          h('dt', {}, 'Digests'), h('dd', {}, rep.digestsChecked
              ? 'checked, all match' : 'not in this backup'),
          h('dt', {}, 'Duration'), h('dd', {}, fmt.duration(rep.durationSeconds)),
          rep.rollback ? [h('dt', {}, 'Rollback'), h('dd', {}, rep.rollback)]
                       : null),
        table(cols, list, 'Per collection'),
    ];
}
