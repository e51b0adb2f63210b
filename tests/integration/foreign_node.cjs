// foreign_node.cjs BSONDIR OUTDIR: backup files written by another writer,
// Node's bson (EJSON.stringify), canonical and relaxed, for
// test_restore_files_of_node.  For each mode: node-MODE.json (the backup's
// structure) and node-MODE.bson (what EJSON.parse of the same text gives,
// _id moved first as mongod stores it: what a restore must insert).
'use strict';
const fs = require('fs');
const path = require('path');
const B = require(path.join(process.argv[2], 'node_modules', 'bson'));

function documents() {
  return [
    {_id: new B.ObjectId('652f0c2b1a9d3e4f5a6b7c8d'), s: 'text é 😀',
     i: new B.Int32(5), big: B.Long.fromString('1099511627776'),
     small64: B.Long.fromNumber(7), d: new B.Double(1.5),
     neg0: new B.Double(-0), inf: new B.Double(Infinity),
     dec: B.Decimal128.fromString('1.10'), t: true, n: null,
     date: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123)),
     old: new Date(Date.UTC(1960, 0, 1))},
    {_id: new B.Int32(2), bin: new B.Binary(Buffer.from([0, 1, 255]), 0),
     u: new B.UUID('73ffd264-44b3-4c69-90e8-e7d1dfc035d4'),
     re: new B.BSONRegExp('^a.*b$', 'imx'),
     ts: new B.Timestamp({t: 7, i: 9}), min: new B.MinKey(),
     max: new B.MaxKey(), code: new B.Code('f()'),
     cws: new B.Code('g(x)', {x: new B.Int32(1)}),
     ref: new B.DBRef('coll', new B.Int32(5), 'otherdb'),
     nested: {a: [new B.Int32(1), [new B.Int32(2), {b: null}], {}]}},
    // JavaScript puts integer-like keys first: _id is not first in the text
    {_id: 'three', 2020: new B.Int32(5), arr: [], doc: {}},
  ];
}

const out = process.argv[3];
for (const mode of ['canonical', 'relaxed']) {
  const relaxed = mode === 'relaxed';
  const texts = documents().map((d) => B.EJSON.stringify(d, {relaxed}));
  fs.writeFileSync(path.join(out, `node-${mode}.json`),
      '{"metadata": {"database": "nodeapp", "collections": ["c"]}, ' +
      '"collections": {"c": [\n' + texts.join(',\n') + '\n]}}\n');
  const bufs = texts.map((t) => {
    const back = B.EJSON.parse(t, {relaxed: false});
    const m = new Map([['_id', back._id]]);
    for (const [k, v] of Object.entries(back)) {
      if (k !== '_id') {
        m.set(k, v);
      }
    }
    return B.BSON.serialize(m);
  });
  fs.writeFileSync(path.join(out, `node-${mode}.bson`), Buffer.concat(bufs));
}
