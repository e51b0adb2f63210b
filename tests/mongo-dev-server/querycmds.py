# querycmds.py: the commands that read and write documents (insert, update,
# delete, find, count, distinct, aggregate) of the development MongoDB
# server.  Documents stay raw BSON; they are decoded only to be evaluated.

import datetime

from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument
from bson.son import SON

import mongomock.aggregate as magg
import mongomock.filtering as mfilter

import store
from store import STORE, MongoError, decode, encode, norm, MAX_BSON
from commands import cursor_reply, view_error, scratch_coll


def bad_value(exc):
    code = getattr(exc, 'code', None)
    if isinstance(code, int) and code > 0:
        return MongoError(code, 'Location%d' % code, str(exc))
    return MongoError(2, 'BadValue', str(exc) or type(exc).__name__)


class _Eq(object):
    """A filter value compared as mongod does: true is not 1, 1 is not
    true (Python says both are equal)."""
    __slots__ = ('v',)

    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        if isinstance(other, _Eq):
            other = other.v
        if isinstance(self.v, bool) != isinstance(other, bool):
            return False
        return self.v == other

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.v)

    def __repr__(self):
        return repr(self.v)


EQ_OPS = ('$eq', '$ne', '$in', '$nin', '$all')


def _wrap_value(v):
    if isinstance(v, (bool, int, float)):
        return _Eq(v)
    if isinstance(v, list):
        return [_wrap_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _wrap_value(x) for k, x in v.items()}
    return v


def eq_filter(flt):
    """flt with its equality values wrapped in _Eq."""
    out = {}
    for k, v in flt.items():
        if k in ('$and', '$or', '$nor') and isinstance(v, list):
            out[k] = [eq_filter(x) if isinstance(x, dict) else x for x in v]
        elif k.startswith('$'):
            out[k] = v
        elif isinstance(v, dict) and v and all(x.startswith('$') for x in v):
            ops = {}
            for op, arg in v.items():
                if op in EQ_OPS:
                    ops[op] = _wrap_value(arg)
                elif op == '$elemMatch' and isinstance(arg, dict):
                    ops[op] = eq_filter(arg)
                elif op == '$not' and isinstance(arg, dict):
                    ops[op] = eq_filter({'x': arg})['x']
                else:
                    ops[op] = arg
            out[k] = ops
        else:
            out[k] = _wrap_value(v)
    return out


def applies(flt, doc):
    if not flt:
        return True
    try:
        return mfilter.filter_applies(flt, doc)
    except MongoError:
        raise
    except Exception as exc:
        raise bad_value(exc)


def matching(c, flt):
    """(idkey, raw, doc) of each document of c matching flt."""
    if flt:
        flt = eq_filter(flt)
    for idkey, raw in list(c.docs.items()):
        doc = decode(raw)
        if applies(flt, doc):
            yield idkey, raw, doc


def validation_error(c, doc, bypass):
    """None, or the MongoError a validator gives for doc."""
    v = c.options.get('validator')
    if not v or bypass or c.options.get('validationAction') == 'warn':
        return None
    if isinstance(v, RawBSONDocument):
        # kept as sent (devserver.RAW_CREATE_OPTIONS); evaluated as a dict,
        # where a repeated key keeps its last condition only
        v = decode(v.raw)
    try:
        ok = mfilter.filter_applies(v, doc)
    except Exception:
        return None  # an operator mongomock lacks ($jsonSchema): accept
    if ok:
        return None
    return MongoError(121, 'DocumentValidationFailure',
                      'Document failed validation')


def write_error(index, err, extra=None):
    e = SON([('index', index), ('code', err.code)])
    if extra:
        e.update(extra)
    e['errmsg'] = err.msg
    return e


def write_reply(n, errors, **more):
    r = SON([('n', n)])
    r.update(more)
    if errors:
        r['writeErrors'] = errors
    return r


def target(db, name, create):
    c = STORE.coll(db, name, create=create)
    if c is not None and c.view:
        raise view_error(c)
    return c


def insert(cmd, db, conn):
    docs = cmd.get('documents') or []
    ordered = cmd.get('ordered', True)
    bypass = cmd.get('bypassDocumentValidation', False)
    c = target(db, cmd['insert'], True)
    errors = []
    n = 0
    for i, raw in enumerate(docs):
        if not isinstance(raw, (bytes, bytearray)):
            raw = encode(raw)
        if len(raw) > MAX_BSON:
            errors.append(write_error(i, MongoError(
                10334, 'BSONObjectTooLarge', 'object to insert too large. '
                'size in bytes: %d, max size: %d' % (len(raw), MAX_BSON))))
            if ordered:
                break
            continue
        doc = decode(raw)
        if '_id' not in doc:
            oid = ObjectId()
            raw = store.id_first(bytes(raw), b'\x07_id\x00' + oid.binary)
            doc = dict([('_id', oid)] + list(doc.items()))
        else:
            raw = store.id_first(bytes(raw))
        ts = c.options.get('timeseries')
        if ts and not isinstance(doc.get(ts['timeField']),
                                 datetime.datetime):
            errors.append(write_error(i, MongoError(
                2, 'BadValue', "'%s' must be present and contain a valid "
                "BSON UTC datetime value" % ts['timeField'])))
            if ordered:
                break
            continue
        filled = store.fill_timestamps(raw)
        if filled is not raw:
            raw = filled
            doc = decode(raw)
        err = None
        if isinstance(doc['_id'], list):
            err = (MongoError(53, 'InvalidIdField',
                              "The '_id' value cannot be of type array"),)
        idkey = norm(doc['_id'])
        if err is None:
            verr = validation_error(c, doc, bypass)
            err = (verr,) if verr else c.check_unique(doc, idkey)
        if err is not None:
            extra = None
            if len(err) == 3:
                extra = SON([('keyPattern', err[1].spec['key']),
                             ('keyValue', err[2])])
            errors.append(write_error(i, err[0], extra))
            if ordered:
                break
            continue
        c.add(idkey, raw, doc)
        n += 1
    c.trim_capped()
    return write_reply(n, errors)


def keep_int64(old, new):
    """mongomock's $inc turns Int64 into int: give mongod's types back."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k, v in new.items():
            if k in old:
                o = old[k]
                if isinstance(o, Int64) and type(v) is int:
                    new[k] = Int64(v)
                else:
                    keep_int64(o, v)
    return new


class _DateTok(Int64):
    """A DateMS in disguise while mongomock handles the document."""


def swap_dates(v, back):
    """v with DateMS turned into _DateTok (or back): mongomock cannot copy
    a type bson cannot encode."""
    if isinstance(v, dict):
        return {k: swap_dates(x, back) for k, x in v.items()}
    if isinstance(v, list):
        return [swap_dates(x, back) for x in v]
    if not back and isinstance(v, store.DateMS):
        return _DateTok(v.ms)
    if back and isinstance(v, _DateTok):
        return store.DateMS(int(v))
    return v


def apply_update(doc, upd, replace, array_filters):
    s = scratch_coll()
    orig = doc
    doc = swap_dates(doc, False)
    try:
        s.insert_one(dict(doc))
        if replace:
            s.replace_one({'_id': doc['_id']}, upd)
        else:
            s.update_one({'_id': doc['_id']}, upd,
                         array_filters=array_filters)
        new = s.find_one({'_id': doc['_id']})
    except MongoError:
        raise
    except Exception as exc:
        raise bad_value(exc)
    if new is None:
        raise MongoError(66, 'ImmutableField', "Performing an update on the "
                         "path '_id' would modify the immutable field '_id'")
    return keep_int64(orig, swap_dates(new, True))


def upsert_doc(q, upd, replace):
    s = scratch_coll()
    try:
        if replace:
            s.replace_one(q, upd, upsert=True)
        else:
            s.update_one(q, upd, upsert=True)
        return s.find_one({})
    except Exception as exc:
        raise bad_value(exc)


def update_one_spec(c, spec, bypass):
    """(matched, modified, upserted _id or None) of one update statement."""
    q = spec.get('q') or {}
    upd = spec.get('u')
    if isinstance(upd, list):
        raise MongoError(2, 'BadValue', 'pipeline-style updates are not '
                         'supported by the mbk development server')
    if not isinstance(upd, dict):
        raise MongoError(14, 'TypeMismatch', "BSON field 'u' is the wrong type")
    replace = not any(k.startswith('$') for k in upd)
    multi = spec.get('multi', False)
    if replace and multi:
        raise MongoError(9, 'FailedToParse', 'multi update is not supported '
                         'for replacement-style update')
    matched = modified = 0
    for idkey, raw, doc in list(matching(c, q)):
        matched += 1
        new = apply_update(doc, upd, replace, spec.get('arrayFilters'))
        if norm(new.get('_id')) != idkey:
            raise MongoError(66, 'ImmutableField', "After applying the "
                             "update, the (immutable) field '_id' was found "
                             "to have been altered to _id: %s"
                             % store.shell(new.get('_id')))
        newraw = encode(new)
        if newraw != raw:
            err = validation_error(c, new, bypass)
            if err is None:
                dup = c.check_unique(new, idkey, skip_id=idkey)
                err = dup[0] if dup else None
            if err is not None:
                raise err
            order = list(c.docs)
            c.remove(idkey, doc)
            c.add(idkey, newraw, new)
            if order[-1] != idkey:
                c.docs = {k: c.docs[k] for k in order}
            modified += 1
        if not multi:
            break
    if matched or not spec.get('upsert'):
        return matched, modified, None
    new = upsert_doc(q, upd, replace)
    idkey = norm(new['_id'])
    err = validation_error(c, new, bypass)
    if err is None:
        dup = c.check_unique(new, idkey)
        err = dup[0] if dup else None
    if err is not None:
        raise err
    c.add(idkey, encode(new), new)
    return 0, 0, new['_id']


def update(cmd, db, conn):
    c = target(db, cmd['update'], True)
    ordered = cmd.get('ordered', True)
    bypass = cmd.get('bypassDocumentValidation', False)
    n = nmod = 0
    upserted = []
    errors = []
    for i, spec in enumerate(cmd.get('updates') or []):
        try:
            m, mod, uid = update_one_spec(c, spec, bypass)
        except MongoError as err:
            errors.append(write_error(i, err))
            if ordered:
                break
            continue
        if uid is not None:
            n += 1
            upserted.append(SON([('index', i), ('_id', uid)]))
        n += m
        nmod += mod
    r = SON([('n', n), ('nModified', nmod)])
    if upserted:
        r['upserted'] = upserted
    if errors:
        r['writeErrors'] = errors
    return r


def delete(cmd, db, conn):
    c = target(db, cmd['delete'], False)
    n = 0
    if c is None:
        return write_reply(0, [])
    for spec in cmd.get('deletes') or []:
        limit = spec.get('limit', 0)
        for idkey, raw, doc in list(matching(c, spec.get('q') or {})):
            c.remove(idkey, doc)
            n += 1
            if limit:
                break
    return write_reply(n, [])


# ---- reads -----------------------------------------------------------------

def sort_docs(docs, sort):
    """docs: list of (raw, doc); sort: {field: 1|-1}."""
    for key, direction in reversed(list(sort.items())):
        if key == '$natural':
            if direction < 0:
                docs.reverse()
            continue
        if isinstance(direction, dict):
            raise MongoError(2, 'BadValue', '$meta sort is not supported')
        docs.sort(key=lambda d, k=key: mfilter.resolve_sort_key(k, d[1]),
                  reverse=direction < 0)
    return docs


def project(doc, proj):
    s = scratch_coll()
    try:
        out = s._copy_only_fields(doc, dict(proj), dict)
    except Exception as exc:
        raise bad_value(exc)
    ordered = {k: out[k] for k in doc if k in out}
    ordered.update((k, v) for k, v in out.items() if k not in ordered)
    return ordered


def view_source(c):
    """(base collection or None, pipeline) of a view, views of views too."""
    pipeline = []
    seen = 0
    while c is not None and c.view and seen < 20:
        pipeline = list(c.options.get('pipeline') or []) + pipeline
        c = STORE.coll(c.db, c.options['viewOn'])
        seen += 1
    return c, pipeline


def run_pipeline(db, c, pipeline):
    """The documents (dicts) a pipeline gives over c (a collection, a view
    or None)."""
    base, pre = view_source(c) if c is not None else (None, [])
    docs = [decode(r) for r in base.docs.values()] if base else []
    pipeline = [{'$match': eq_filter(st['$match'])}
                if len(st) == 1 and isinstance(st.get('$match'), dict) else st
                for st in pre + list(pipeline)]
    out_stage = None
    if pipeline and ('$out' in pipeline[-1]):
        out_stage = pipeline.pop()['$out']
    try:
        result = list(magg.process_pipeline(docs, None, pipeline, None))
    except MongoError:
        raise
    except Exception as exc:
        raise bad_value(exc)
    if out_stage is not None:
        odb, oname = (out_stage.get('db', db), out_stage['coll']) \
            if isinstance(out_stage, dict) else (db, out_stage)
        old = STORE.coll(odb, oname)
        STORE.drop_coll(odb, oname)
        t = STORE.coll(odb, oname, create=True)
        if old is not None:
            t.options = old.options
            t.indexes = [store.Index(ix.spec) for ix in old.indexes]
        for d in result:
            if '_id' not in d:
                d = dict([('_id', ObjectId())] + list(d.items()))
            t.add(norm(d['_id']), encode(d), d)
        return []
    return result


def find(cmd, db, conn):
    name = cmd['find']
    ns = '%s.%s' % (db, name)
    c = STORE.coll(db, name)
    flt = cmd.get('filter') or {}
    sort = cmd.get('sort') or {}
    proj = cmd.get('projection') or {}
    skip = cmd.get('skip') or 0
    limit = cmd.get('limit') or 0
    for field, val in (('skip', skip), ('limit', limit)):
        if val < 0:
            raise MongoError(51024, 'Location51024', "BSON field '%s' value "
                             "must be >= 0, actual value '%d'" % (field, val))
    single = bool(cmd.get('singleBatch'))
    opts = {'batchSize': cmd.get('batchSize', 101)}
    if c is None:
        return cursor_reply(ns, [], opts, single)
    if c.view:
        pipeline = [{'$match': flt}] if flt else []
        if sort:
            pipeline.append({'$sort': sort})
        if skip:
            pipeline.append({'$skip': skip})
        if limit:
            pipeline.append({'$limit': limit})
        if proj:
            pipeline.append({'$project': proj})
        raws = [encode(d) for d in run_pipeline(db, c, pipeline)]
        return cursor_reply(ns, raws, opts, single)
    if not flt and not sort and not proj:
        raws = list(c.docs.values())
    else:
        docs = [(raw, doc) for _, raw, doc in matching(c, flt)]
        if sort:
            sort_docs(docs, sort)
        if proj:
            raws = [encode(project(doc, proj))
                    for raw, doc in docs[skip:skip + limit if limit else None]]
            return cursor_reply(ns, raws, opts, single)
        raws = [raw for raw, doc in docs]
    if skip or limit:
        raws = raws[skip:skip + limit if limit else None]
    return cursor_reply(ns, raws, opts, single)


def count(cmd, db, conn):
    c = STORE.coll(db, cmd['count'])
    q = cmd.get('query') or {}
    if c is None:
        return {'n': 0}
    if c.view:
        n = len(run_pipeline(db, c, [{'$match': q}] if q else []))
    elif not q:
        n = len(c.docs)
    else:
        n = sum(1 for _ in matching(c, q))
    n = max(0, n - (cmd.get('skip') or 0))
    if cmd.get('limit'):
        n = min(n, abs(cmd['limit']))
    return {'n': n}


def distinct(cmd, db, conn):
    c = STORE.coll(db, cmd['distinct'])
    values, seen = [], set()
    if c is not None:
        for _, raw, doc in matching(c, cmd.get('query') or {}):
            for v in store.resolve(doc, cmd['key']):
                k = norm(v)
                if k not in seen:
                    seen.add(k)
                    values.append(v)
    return {'values': values}


def aggregate(cmd, db, conn):
    name = cmd['aggregate']
    pipeline = cmd.get('pipeline')
    if not isinstance(pipeline, list):
        raise MongoError(14, 'TypeMismatch', "'pipeline' option must be "
                         "specified as an array")
    if 'cursor' not in cmd and not cmd.get('explain'):
        raise MongoError(9, 'FailedToParse', "The 'cursor' option is "
                         "required, except for aggregate with the explain "
                         "argument")
    if name == 1:
        raise MongoError(2, 'BadValue', 'collection-less aggregate is not '
                         'supported by the mbk development server')
    c = STORE.coll(db, name)
    result = run_pipeline(db, c, pipeline)
    raws = [encode(d) for d in result]
    return cursor_reply('%s.%s' % (db, name), raws, cmd.get('cursor') or {},
                        False)
