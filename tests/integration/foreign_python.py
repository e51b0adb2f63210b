#!/usr/bin/env python3
"""foreign_python.py OUTDIR: backup files written by another writer, Python's
bson.json_util, in canonical and relaxed Extended JSON, for
test_restore_files_of_other_writers.  For each mode it writes MODE.json (the
backup's structure, documents as json_util.dumps gives them) and MODE.bson
(the BSON that json_util.loads of the same text gives: what a restore must
insert, byte for byte).  Exit 77 when bson is missing."""
import datetime
import os
import sys
import uuid

try:
    import bson
    from bson import json_util
    from bson.binary import Binary, UuidRepresentation
    from bson.code import Code
    from bson.dbref import DBRef
    from bson.decimal128 import Decimal128
    from bson.int64 import Int64
    from bson.max_key import MaxKey
    from bson.min_key import MinKey
    from bson.objectid import ObjectId
    from bson.regex import Regex
    from bson.son import SON
    from bson.timestamp import Timestamp
except ImportError as e:
    print('python3-bson is missing: %s' % e)
    sys.exit(77)


def documents():
    utc = datetime.timezone.utc
    yield SON([('_id', ObjectId('652f0c2b1a9d3e4f5a6b7c8d')),
               ('s', 'text é 😀'), ('i', 5), ('big', Int64(1 << 40)),
               ('small64', Int64(7)), ('d', 1.5), ('neg0', -0.0),
               ('inf', float('inf')), ('nan', float('nan')),
               ('dec', Decimal128('1.10')), ('t', True), ('n', None),
               ('date', datetime.datetime(2024, 2, 29, 12, 0, 0, 123000,
                                          tzinfo=utc)),
               ('old', datetime.datetime(1960, 1, 1, tzinfo=utc)),
               ('far', datetime.datetime(9999, 1, 1, tzinfo=utc))])
    yield SON([('_id', 2), ('bin', Binary(b'\x00\x01\xff', 0)),
               ('u', Binary(uuid.UUID('73ffd264-44b3-4c69-90e8-e7d1dfc035d4')
                            .bytes, 4)),
               ('re', Regex('^a.*b$', 'imx')), ('ts', Timestamp(7, 9)),
               ('min', MinKey()), ('max', MaxKey()), ('code', Code('f()')),
               ('cws', Code('g(x)', {'x': 1})),
               ('ref', DBRef('coll', 5, 'otherdb')),
               ('nested', SON([('a', [1, [2, SON([('b', None)])], {}])]))])
    yield SON([('_id', 'three'), ('arr', []), ('doc', {}),
               ('$dollar', 1), ('dotted.key', 2)])


def main():
    out = sys.argv[1]
    modes = {'canonical': json_util.JSONMode.CANONICAL,
             'relaxed': json_util.JSONMode.RELAXED}
    for mode, jm in modes.items():
        opts = json_util.JSONOptions(
            json_mode=jm, document_class=SON,
            uuid_representation=UuidRepresentation.STANDARD)
        texts = [json_util.dumps(d, json_options=opts) for d in documents()]
        meta = {'database': 'pyapp', 'collections': ['c']}
        with open(os.path.join(out, mode + '.json'), 'w') as f:
            f.write('{"metadata": %s, "collections": {"c": [\n%s\n]}}\n'
                    % (json_util.dumps(meta), ',\n'.join(texts)))
        with open(os.path.join(out, mode + '.bson'), 'wb') as f:
            for t in texts:
                back = json_util.loads(t, json_options=opts)
                f.write(bson.encode(back, codec_options=opts))


main()
