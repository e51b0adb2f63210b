# commands.py: the database commands of the development MongoDB server,
# written to mongod 6.0's documented replies and error codes.  Every handler
# runs under store.STORE_LOCK and returns the reply document (without ok).

import datetime
import itertools
import os
import threading

import mongomock
import mongomock.filtering as mfilter
from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument
from bson.son import SON

import store
from store import STORE, MongoError, decode, encode, norm, MAX_BSON

MAX_WIRE = 17
MAX_MSG = 48000000
MAX_BATCH = 100000
START = datetime.datetime.utcnow()
CURSORS = {}
_cursor_ids = itertools.count(int.from_bytes(os.urandom(3), 'little') + 1)
_scratch = threading.local()

# Fields of a command that are not its arguments.
GENERIC = {'$db', 'lsid', '$clusterTime', '$readPreference', 'writeConcern',
           'readConcern', 'comment', 'maxTimeMS', 'apiVersion', 'apiStrict',
           'apiDeprecationErrors', '$client', 'txnNumber', 'autocommit',
           'startTransaction'}


def ns_missing(ns):
    return MongoError(26, 'NamespaceNotFound', 'ns does not exist: %s' % ns)


def scratch_coll():
    """A private mongomock collection for update and projection semantics."""
    c = getattr(_scratch, 'coll', None)
    if c is None:
        c = _scratch.coll = mongomock.MongoClient().scratch.c
    c.delete_many({})
    return c


# ---- handshake and server state --------------------------------------------

def hello(cmd, db, conn):
    reply = SON()
    if 'hello' in cmd:
        reply['isWritablePrimary'] = True
    else:
        reply['ismaster'] = True
    if cmd.get('helloOk'):
        reply['helloOk'] = True
    reply['topologyVersion'] = {'processId': conn['process_id'],
                                'counter': Int64(0)}
    reply['maxBsonObjectSize'] = MAX_BSON
    reply['maxMessageSizeBytes'] = MAX_MSG
    reply['maxWriteBatchSize'] = MAX_BATCH
    reply['localTime'] = datetime.datetime.utcnow()
    reply['logicalSessionTimeoutMinutes'] = 30
    reply['connectionId'] = conn['id']
    reply['minWireVersion'] = 0
    reply['maxWireVersion'] = MAX_WIRE
    reply['readOnly'] = False
    # No 'compression' field: this server speaks no compressor.
    return reply


def build_info(cmd, db, conn):
    return SON([('version', '6.0.0'), ('gitVersion', 'mbk-mongo-dev-server'),
                ('modules', []), ('allocator', 'system'),
                ('javascriptEngine', 'none'), ('sysInfo', 'deprecated'),
                ('versionArray', [6, 0, 0, 0]), ('bits', 64),
                ('debug', False), ('maxBsonObjectSize', MAX_BSON),
                ('storageEngines', ['devserver'])])


def ping(cmd, db, conn):
    return {}


def end_sessions(cmd, db, conn):
    return {}


# ---- databases -------------------------------------------------------------

def db_size(name):
    colls = STORE.dbs.get(name, {})
    return sum(c.size for c in colls.values())


def list_databases(cmd, db, conn):
    out = []
    total = 0
    for name in sorted(STORE.dbs):
        size = max(db_size(name), 8192)
        total += size
        out.append(SON([('name', name), ('sizeOnDisk', Int64(size)),
                        ('empty', False)]))
    flt = cmd.get('filter')
    if flt:
        out = [d for d in out if mfilter.filter_applies(flt, d)]
    if cmd.get('nameOnly'):
        return {'databases': [{'name': d['name']} for d in out]}
    return SON([('databases', out), ('totalSize', Int64(total)),
                ('totalSizeMb', Int64(total // (1024 * 1024)))])


def db_stats(cmd, db, conn):
    colls = STORE.dbs.get(db, {})
    real = [c for c in colls.values() if not c.view]
    objects = sum(len(c.docs) for c in real)
    data = sum(c.size for c in real)
    nidx = sum(len(c.indexes) for c in real)
    isize = sum(c.index_size(ix) for c in real for ix in c.indexes)
    return SON([('db', db), ('collections', len(real)),
                ('views', len(colls) - len(real)), ('objects', objects),
                ('avgObjSize', float(data) / objects if objects else 0.0),
                ('dataSize', float(data)), ('storageSize', float(data)),
                ('indexes', nidx), ('indexSize', float(isize)),
                ('totalSize', float(data + isize)), ('scaleFactor', 1.0),
                ('fsUsedSize', 0.0), ('fsTotalSize', 0.0)])


def drop_database(cmd, db, conn):
    for name in list(STORE.dbs.get(db, {})):
        STORE.drop_coll(db, name)
    return {}


# ---- collections -----------------------------------------------------------

CREATE_OPTS = ('capped', 'size', 'max', 'validator', 'validationLevel',
               'validationAction', 'collation', 'expireAfterSeconds',
               'viewOn', 'pipeline', 'storageEngine', 'indexOptionDefaults',
               'timeseries', 'clusteredIndex', 'changeStreamPreAndPostImages')


COLLATION_DEFAULTS = (('caseLevel', False), ('caseFirst', 'off'),
                      ('strength', 3), ('numericOrdering', False),
                      ('alternate', 'non-ignorable'), ('maxVariable', 'punct'),
                      ('normalization', False), ('backwards', False),
                      ('version', '57.1'))


def full_collation(coll):
    """A collation as mongod reports it in listCollections and listIndexes:
    every field, defaults filled in, with the ICU version (manual:
    Collation); None for the simple binary comparison."""
    if not isinstance(coll, dict) or not isinstance(coll.get('locale'), str):
        raise MongoError(40414, 'Location40414', "BSON field "
                         "'collation.locale' is missing but a required field")
    if coll['locale'] == 'simple':
        return None
    out = SON([('locale', coll['locale'])])
    for k, v in COLLATION_DEFAULTS:
        out[k] = coll.get(k, v)
    return out


def timeseries_options(ts):
    """The timeseries option as mongod reports it (manual: Time Series
    Collections, create): timeField required, granularity 'seconds' and
    bucketMaxSpanSeconds 3600 by default."""
    if not isinstance(ts, dict) or not isinstance(ts.get('timeField'), str):
        raise MongoError(40414, 'Location40414', "BSON field "
                         "'create.timeseries.timeField' is missing but a "
                         "required field")
    out = SON([('timeField', ts['timeField'])])
    if 'metaField' in ts:
        out['metaField'] = ts['metaField']
    out['granularity'] = ts.get('granularity', 'seconds')
    spans = {'seconds': 3600, 'minutes': 86400, 'hours': 2592000}
    out['bucketMaxSpanSeconds'] = ts.get('bucketMaxSpanSeconds',
                                         spans.get(out['granularity'], 3600))
    return out


def clustered_options(ci):
    """clusteredIndex as mongod reports it: v 2, key {_id: 1}, a name
    (default _id_), unique true (manual: Clustered Collections)."""
    if not isinstance(ci, dict) or dict(ci.get('key') or {}) != {'_id': 1} \
            or ci.get('unique') is not True:
        raise MongoError(2, 'BadValue', 'The clusteredIndex option must be '
                         "{key: {_id: 1}, unique: true}")
    return SON([('v', 2), ('key', SON([('_id', 1)])),
                ('name', ci.get('name', '_id_')), ('unique', True)])


def create(cmd, db, conn):
    name = cmd['create']
    if not isinstance(name, str) or not name or '$' in name:
        raise MongoError(73, 'InvalidNamespace',
                         'Invalid namespace specified \'%s.%s\'' % (db, name))
    if STORE.coll(db, name) is not None:
        raise MongoError(48, 'NamespaceExists',
                         'Collection %s.%s already exists.' % (db, name))
    opts = SON()
    for k, v in cmd.items():
        if k == 'create' or k in GENERIC or k == 'autoIndexId':
            continue
        if k not in CREATE_OPTS:
            raise MongoError(40415, 'Location40415',
                             "BSON field 'create.%s' is an unknown field." % k)
        opts[k] = v
    if 'collation' in opts:
        coll = full_collation(opts['collation'])
        if coll is None:
            del opts['collation']
        else:
            opts['collation'] = coll
    if 'timeseries' in opts:
        opts['timeseries'] = timeseries_options(opts['timeseries'])
    if 'clusteredIndex' in opts:
        opts['clusteredIndex'] = clustered_options(opts['clusteredIndex'])
    if 'viewOn' in opts:
        if not isinstance(opts['viewOn'], str):
            raise MongoError(14, 'TypeMismatch', "'viewOn' must be a string")
        opts.setdefault('pipeline', [])
        view = store.Collection(db, name, opts, view=True)
        STORE.dbs.setdefault(db, {})[name] = view
        # mongod keeps view definitions in <db>.system.views.
        sv = STORE.coll(db, 'system.views', create=True)
        d = SON([('_id', view.ns), ('viewOn', opts['viewOn']),
                 ('pipeline', opts['pipeline'])])
        sv.add(norm(d['_id']), encode(d), d)
        return {}
    if 'pipeline' in opts:
        raise MongoError(9, 'FailedToParse',
                         "'pipeline' requires 'viewOn' to also be specified")
    if opts.get('capped'):
        if not opts.get('size'):
            raise MongoError(72, 'InvalidOptions',
                             'the size field is required when creating a '
                             'capped collection')
        size = int(opts['size'])
        size = (size + 255) // 256 * 256
        opts['size'] = size
    for k, allowed in (('validationLevel', ('off', 'strict', 'moderate')),
                       ('validationAction', ('error', 'warn'))):
        if k in opts and opts[k] not in allowed:
            # mongod's IDL parser: an unknown enumeration value is BadValue
            raise MongoError(2, 'BadValue', "Enumeration value '%s' for "
                             "field '%s' is not a valid value." % (opts[k], k))
    if 'validator' in opts:
        opts.setdefault('validationLevel', 'strict')
        opts.setdefault('validationAction', 'error')
    c = STORE.coll(db, name, create=True)
    c.options = opts
    return {}


def coll_info(c):
    kind = 'view' if c.view else 'collection'
    if 'timeseries' in c.options:
        kind = 'timeseries'
    info = SON([('name', c.name), ('type', kind), ('options', c.options)])
    if c.view:
        info['info'] = SON([('readOnly', True)])
    else:
        info['info'] = SON([('readOnly', False), ('uuid', c.uuid)])
        info['idIndex'] = SON(store.ID_INDEX)
    return info


def list_collections(cmd, db, conn):
    infos = [coll_info(c) for c in STORE.dbs.get(db, {}).values()]
    flt = cmd.get('filter')
    if flt:
        infos = [i for i in infos if mfilter.filter_applies(flt, i)]
    if cmd.get('nameOnly'):
        infos = [SON([('name', i['name']), ('type', i['type'])])
                 for i in infos]
    raws = [encode(i) for i in infos]
    return cursor_reply(db + '.$cmd.listCollections', raws,
                        cmd.get('cursor') or {}, False)


def need_coll(db, name):
    c = STORE.coll(db, name)
    if c is None:
        raise MongoError(26, 'NamespaceNotFound', 'ns not found')
    return c


def drop(cmd, db, conn):
    c = need_coll(db, cmd['drop'])
    STORE.drop_coll(db, c.name)
    sv = STORE.coll(db, 'system.views')
    if c.view and sv is not None and norm(c.ns) in sv.docs:
        sv.remove(norm(c.ns))
    return SON([('nIndexesWas', len(c.indexes)), ('ns', c.ns)])


def coll_stats(cmd, db, conn):
    c = STORE.coll(db, cmd['collStats'])
    if c is None:
        raise MongoError(26, 'NamespaceNotFound', 'Collection [%s.%s] not '
                         'found.' % (db, cmd['collStats']))
    n = len(c.docs)
    sizes = SON((ix.spec['name'], c.index_size(ix)) for ix in c.indexes)
    isize = sum(sizes.values())
    r = SON([('ns', c.ns), ('size', c.size), ('count', n)])
    if n:
        r['avgObjSize'] = c.size // n
    r['storageSize'] = c.size
    r['freeStorageSize'] = 0
    r['capped'] = bool(c.options.get('capped'))
    if r['capped']:
        r['max'] = c.options.get('max', 0)
        r['maxSize'] = c.options['size']
    r['nindexes'] = len(c.indexes)
    r['indexBuilds'] = []
    r['totalIndexSize'] = isize
    r['totalSize'] = c.size + isize
    r['indexSizes'] = sizes
    r['scaleFactor'] = 1
    return r


def rename_collection(cmd, db, conn):
    if db != 'admin':
        raise MongoError(13, 'Unauthorized', 'renameCollection may only be '
                         'run against the admin database.')
    src, dst = cmd['renameCollection'], cmd.get('to')
    if not isinstance(src, str) or not isinstance(dst, str) \
            or '.' not in src or '.' not in dst:
        raise MongoError(73, 'InvalidNamespace', 'Invalid namespace '
                         'specified \'%s\'' % (dst,))
    sdb, sname = src.split('.', 1)
    ddb, dname = dst.split('.', 1)
    c = STORE.coll(sdb, sname)
    if c is None:
        raise MongoError(26, 'NamespaceNotFound', 'Source collection %s does '
                         'not exist' % src)
    if c.view:
        raise MongoError(166, 'CommandNotSupportedOnView', 'cannot rename '
                         'view: %s' % src)
    if 'timeseries' in c.options:
        # manual, Time Series Collection Limitations: no renameCollection
        raise MongoError(72, 'InvalidOptions', 'Cannot rename time-series '
                         'collection: %s' % src)
    if src == dst:
        raise MongoError(20, 'IllegalOperation', "Can't rename a collection "
                         "to itself")
    if STORE.coll(ddb, dname) is not None:
        if not cmd.get('dropTarget'):
            raise MongoError(48, 'NamespaceExists', 'target namespace exists')
        STORE.drop_coll(ddb, dname)
    STORE.drop_coll(sdb, sname)
    c.db, c.name = ddb, dname
    STORE.dbs.setdefault(ddb, {})[dname] = c
    return {}


# ---- indexes ---------------------------------------------------------------

INDEX_OPTS = ('unique', 'sparse', 'partialFilterExpression',
              'expireAfterSeconds', 'collation', 'hidden', 'background',
              'weights', 'default_language', 'language_override',
              'textIndexVersion', '2dsphereIndexVersion', 'bits', 'min',
              'max', 'wildcardProjection', 'storageEngine')


def index_spec(raw):
    if 'key' not in raw or 'name' not in raw:
        raise MongoError(9, 'FailedToParse', "The 'key' and 'name' fields are "
                         "required for an index specification")
    if not raw['key']:
        raise MongoError(67, 'CannotCreateIndex', 'Index keys cannot be empty.')
    spec = SON([('v', 2), ('key', raw['key']), ('name', raw['name'])])
    for k, v in raw.items():
        if k in ('key', 'name', 'v', 'ns'):
            continue
        if k not in INDEX_OPTS:
            raise MongoError(197, 'InvalidIndexSpecificationOption',
                             "The field '%s' is not valid for an index "
                             "specification." % k)
        if k == 'unique' and not v:
            continue
        if k == 'collation':
            v = full_collation(v)
            if v is None:
                continue
        spec[k] = v
    return spec


def same_spec(a, b):
    strip = ('v', 'name', 'background')
    return {k: v for k, v in a.items() if k not in strip} == \
        {k: v for k, v in b.items() if k not in strip}


def create_indexes(cmd, db, conn):
    name = cmd['createIndexes']
    c = STORE.coll(db, name)
    created = c is None
    if c is not None and c.view:
        raise view_error(c)
    if created:
        c = STORE.coll(db, name, create=True)
    before = len(c.indexes)
    for raw in cmd.get('indexes', []):
        spec = index_spec(raw)
        clash = None
        for ix in c.indexes:
            if ix.spec['name'] == spec['name'] or \
                    dict(ix.spec['key']) == dict(spec['key']):
                clash = ix
        if clash is not None:
            if same_spec(clash.spec, spec) and \
                    clash.spec['name'] == spec['name']:
                continue
            if clash.spec['name'] == spec['name']:
                raise MongoError(86, 'IndexKeySpecsConflict', 'An existing '
                                 'index has the same name as the requested '
                                 'index but different key or options. '
                                 'Requested index: %s, existing index: %s'
                                 % (store.shell(dict(spec)),
                                    store.shell(dict(clash.spec))))
            raise MongoError(85, 'IndexOptionsConflict', 'Index already '
                             'exists with a different name: %s'
                             % clash.spec['name'])
        ix = store.Index(spec)
        if ix.unique:
            for idkey, rawdoc in c.docs.items():
                doc = decode(rawdoc)
                for k in ix.keys_of(doc):
                    if k in ix.seen:
                        err = c.dup_error(ix, doc)[0]
                        raise MongoError(11000, 'DuplicateKey',
                                         'Index build failed: %s: Collection '
                                         '%s ( %s ) :: caused by :: %s'
                                         % (c.uuid.hex(), c.ns, c.uuid.hex(),
                                            err.msg))
                    ix.seen[k] = idkey
        c.indexes.append(ix)
    r = SON([('numIndexesBefore', before), ('numIndexesAfter', len(c.indexes))])
    if len(c.indexes) == before:
        r['note'] = 'all indexes already exist'
    r['createdCollectionAutomatically'] = created
    return r


def list_indexes(cmd, db, conn):
    c = STORE.coll(db, cmd['listIndexes'])
    if c is None:
        raise ns_missing('%s.%s' % (db, cmd['listIndexes']))
    raws = [encode(ix.spec) for ix in c.indexes]
    return cursor_reply(c.ns, raws, cmd.get('cursor') or {}, False)


def drop_indexes(cmd, db, conn):
    c = STORE.coll(db, cmd['dropIndexes'])
    if c is None:
        raise MongoError(26, 'NamespaceNotFound', 'ns not found %s.%s'
                         % (db, cmd['dropIndexes']))
    was = len(c.indexes)
    which = cmd.get('index')
    if which == '*':
        c.indexes = c.indexes[:1]
        return {'nIndexesWas': was}
    names = which if isinstance(which, list) else [which]
    victims = []
    for w in names:
        found = [ix for ix in c.indexes
                 if (isinstance(w, str) and ix.spec['name'] == w)
                 or (isinstance(w, dict) and dict(ix.spec['key']) == dict(w))]
        if not found:
            raise MongoError(27, 'IndexNotFound', 'index not found with name '
                             '[%s]' % (w,) if isinstance(w, str) else
                             "can't find index with key: %s" % store.shell(w))
        if found[0].spec['name'] == '_id_':
            raise MongoError(72, 'InvalidOptions', 'cannot drop _id index')
        victims.extend(found)
    c.indexes = [ix for ix in c.indexes if ix not in victims]
    return {'nIndexesWas': was}


# ---- cursors ---------------------------------------------------------------

def take_batch(docs, pos, batch_size):
    """End position of a batch: batch_size docs (0: all) within 16 MiB,
    at least one document."""
    end = pos
    total = 0
    n = len(docs)
    while end < n and (not batch_size or end - pos < batch_size):
        sz = len(docs[end])
        if end > pos and total + sz > MAX_BSON:
            break
        total += sz
        end += 1
    return end


def cursor_reply(ns, raws, cursor_opts, single, limit=0, default_batch=101):
    bs = cursor_opts.get('batchSize', default_batch) if \
        isinstance(cursor_opts, dict) else default_batch
    if bs is None:
        bs = default_batch
    if bs < 0:
        raise MongoError(51024, 'Location51024', 'BSON field \'batchSize\' '
                         'value must be >= 0, actual value \'%d\'' % bs)
    if limit:
        raws = raws[:limit]
    end = take_batch(raws, 0, bs) if bs else 0
    cid = 0
    if end < len(raws) and not single:
        cid = next(_cursor_ids)
        CURSORS[cid] = (ns, raws, end)
    batch = [RawBSONDocument(r) for r in raws[:end]]
    return {'cursor': SON([('firstBatch', batch), ('id', Int64(cid)),
                           ('ns', ns)])}


def get_more(cmd, db, conn):
    cid = int(cmd['getMore'])
    entry = CURSORS.get(cid)
    if entry is None:
        raise MongoError(43, 'CursorNotFound', 'cursor id %d not found' % cid)
    ns, raws, pos = entry
    if cmd.get('collection') and ns != '%s.%s' % (db, cmd['collection']) \
            and not ns.startswith(db + '.$cmd'):
        raise MongoError(13, 'Unauthorized', 'Requested getMore on namespace '
                         "'%s.%s', but cursor belongs to a different "
                         "namespace %s" % (db, cmd['collection'], ns))
    end = take_batch(raws, pos, cmd.get('batchSize') or 0)
    if end >= len(raws):
        del CURSORS[cid]
        out_id = 0
    else:
        CURSORS[cid] = (ns, raws, end)
        out_id = cid
    batch = [RawBSONDocument(r) for r in raws[pos:end]]
    return {'cursor': SON([('nextBatch', batch), ('id', Int64(out_id)),
                           ('ns', ns)])}


def kill_cursors(cmd, db, conn):
    killed, missing = [], []
    for cid in cmd.get('cursors', []):
        if CURSORS.pop(int(cid), None) is not None:
            killed.append(cid)
        else:
            missing.append(cid)
    return SON([('cursorsKilled', killed), ('cursorsNotFound', missing),
                ('cursorsAlive', []), ('cursorsUnknown', [])])


def view_error(c):
    return MongoError(166, 'CommandNotSupportedOnView', 'Namespace %s is a '
                      'view, not a collection' % c.ns)


from querycmds import (insert, update, delete, find, count,  # noqa: E402
                       aggregate, distinct)

COMMANDS = {
    'hello': hello, 'ismaster': hello, 'isMaster': hello,
    'ping': ping, 'buildInfo': build_info, 'buildinfo': build_info,
    'listDatabases': list_databases, 'dbStats': db_stats,
    'collStats': coll_stats, 'create': create,
    'listCollections': list_collections, 'drop': drop,
    'dropDatabase': drop_database, 'renameCollection': rename_collection,
    'insert': insert, 'update': update, 'delete': delete, 'find': find,
    'getMore': get_more, 'killCursors': kill_cursors, 'count': count,
    'aggregate': aggregate, 'distinct': distinct,
    'createIndexes': create_indexes, 'listIndexes': list_indexes,
    'dropIndexes': drop_indexes, 'endSessions': end_sessions,
}

