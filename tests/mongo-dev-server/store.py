# store.py: the in-memory store of the development MongoDB server: raw BSON
# documents per collection, the indexes of seen unique keys, and the BSON
# helpers (decoding that survives dates outside Python's datetime range).
# Not thread-safe by itself: the server holds STORE_LOCK around every command.

import datetime
import struct
import threading
import time
import uuid as uuidlib

import bson
from bson.binary import Binary, UuidRepresentation
from bson.codec_options import CodecOptions
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument
from bson.code import Code

import mongomock.filtering as mfilter

CODEC = CodecOptions(uuid_representation=UuidRepresentation.UNSPECIFIED)
STORE_LOCK = threading.RLock()
MAX_BSON = 16 * 1024 * 1024


class MongoError(Exception):
    """A command failure answered as {ok: 0, errmsg, code, codeName}."""

    def __init__(self, code, name, msg):
        Exception.__init__(self, msg)
        self.code = code
        self.name = name
        self.msg = msg


class DateMS(object):
    """A BSON date outside Python's datetime range, kept as milliseconds."""
    __slots__ = ('ms',)

    def __init__(self, ms):
        self.ms = ms

    def __eq__(self, other):
        return isinstance(other, DateMS) and other.ms == self.ms

    def __hash__(self):
        return hash(self.ms)

    def __repr__(self):
        return 'DateMS(%d)' % self.ms


# ---- BSON decoding and encoding ------------------------------------------

_UNPACK_I = struct.Struct('<i').unpack_from
_UNPACK_Q = struct.Struct('<q').unpack_from
_PACK_I = struct.Struct('<i').pack


def _cstring(data, pos):
    end = data.index(b'\x00', pos)
    return data[pos:end].decode('utf-8', 'surrogateescape'), end + 1


def _py_decode(data, pos, end, as_list):
    """The fallback decoder: bson's element getters, our own containers
    and dates."""
    out = [] if as_list else {}
    view = memoryview(data)
    while pos < end - 1:
        t = data[pos]
        name, pos = _cstring(data, pos + 1)
        if t in (0x03, 0x04):
            ln = _UNPACK_I(data, pos)[0]
            val = _py_decode(data, pos + 4, pos + ln, t == 0x04)
            pos += ln
        elif t == 0x09:
            ms = _UNPACK_Q(data, pos)[0]
            try:
                val = bson._millis_to_datetime(ms, CODEC)
            except (OverflowError, ValueError):
                val = DateMS(ms)
            pos += 8
        elif t == 0x0F:
            ln = _UNPACK_I(data, pos)[0]
            slen = _UNPACK_I(data, pos + 4)[0]
            code = data[pos + 8:pos + 8 + slen - 1].decode('utf-8')
            sp = pos + 8 + slen
            scope = _py_decode(data, sp + 4, sp + _UNPACK_I(data, sp)[0],
                               False)
            val = Code(code, scope)
            pos += ln
        else:
            val, pos = bson._ELEMENT_GETTER[t](data, view, pos, end, CODEC,
                                               name)
        if as_list:
            out.append(val)
        else:
            out[name] = val
    return out


def decode(raw):
    """A dict of the document; never raises for valid BSON."""
    try:
        return bson.decode(raw, CODEC)
    except Exception:
        return _py_decode(bytes(raw), 4, len(raw), False)


def _py_encode_value(name, v):
    if isinstance(v, DateMS):
        return b'\x09' + name + struct.pack('<q', v.ms)
    if isinstance(v, RawBSONDocument):
        return b'\x03' + name + v.raw
    if isinstance(v, dict):
        return b'\x03' + name + _py_encode(v)
    if isinstance(v, (list, tuple)):
        return b'\x04' + name + _py_encode(
            {str(i): x for i, x in enumerate(v)}, top=False)
    return bson._name_value_to_bson(name, v, False, CODEC)


def _py_encode(doc, top=True):
    parts = []
    if top and '_id' in doc:
        parts.append(_py_encode_value(b'_id\x00', doc['_id']))
    for k, v in doc.items():
        if top and k == '_id':
            continue
        parts.append(_py_encode_value(k.encode('utf-8') + b'\x00', v))
    body = b''.join(parts)
    return _PACK_I(len(body) + 5) + body + b'\x00'


def encode(doc):
    try:
        return bson.encode(doc, codec_options=CODEC)
    except Exception:
        return _py_encode(doc)


def raw_elements(raw):
    """Yield (type, name, start, end) of each top-level element."""
    pos = 4
    end = len(raw) - 1
    while pos < end:
        t = raw[pos]
        nend = raw.index(b'\x00', pos + 1)
        name = raw[pos + 1:nend]
        p = nend + 1
        if t in (0x01, 0x09, 0x11, 0x12):
            p += 8
        elif t in (0x02, 0x0D, 0x0E):
            p += 4 + _UNPACK_I(raw, p)[0]
        elif t in (0x03, 0x04, 0x0F):
            p += _UNPACK_I(raw, p)[0]
        elif t == 0x05:
            p += 5 + _UNPACK_I(raw, p)[0]
        elif t == 0x07:
            p += 12
        elif t == 0x08:
            p += 1
        elif t in (0x06, 0x0A, 0x7F, 0xFF):
            pass
        elif t == 0x0B:
            p = raw.index(b'\x00', raw.index(b'\x00', p) + 1) + 1
        elif t == 0x0C:
            p += 4 + _UNPACK_I(raw, p)[0] + 12
        elif t == 0x10:
            p += 4
        elif t == 0x13:
            p += 16
        else:
            raise MongoError(22, 'InvalidBSON', 'invalid BSON type %d' % t)
        yield t, name, pos, p
        pos = p


def id_first(raw, new_id=None):
    """The raw document with _id as its first element (mongod's order);
    new_id (bytes of an element) is prepended when the document has none."""
    if len(raw) > 9 and raw[5:9] == b'_id\x00':
        return raw
    for t, name, s, e in raw_elements(raw):
        if name == b'_id':
            body = raw[s:e] + raw[4:s] + raw[e:-1]
            return _PACK_I(len(body) + 5) + body + b'\x00'
    if new_id is None:
        return None
    body = new_id + raw[4:-1]
    return _PACK_I(len(body) + 5) + body + b'\x00'


_ts_lock = threading.Lock()
_ts_last = [0, 0]


def fill_timestamps(raw):
    """mongod replaces an empty Timestamp(0, 0) in a top-level field (not
    _id) with the time of the insert (manual: BSON Types, Timestamps).
    Returns the raw document, changed or not."""
    out = None
    for t, name, s, e in raw_elements(raw):
        if t != 0x11 or name == b'_id' or raw[e - 8:e] != bytes(8):
            continue
        with _ts_lock:
            now = int(time.time())
            if now == _ts_last[0]:
                _ts_last[1] += 1
            else:
                _ts_last[0], _ts_last[1] = now, 1
            inc, secs = _ts_last[1], _ts_last[0]
        if out is None:
            out = bytearray(raw)
        out[e - 8:e] = struct.pack('<II', inc, secs)
    return raw if out is None else bytes(out)


# ---- values as keys, values as text ----------------------------------------

def norm(v):
    """A hashable key with mongod's equality: 1 == 1.0 == Int64(1), but
    true != 1 and '1' != 1."""
    if isinstance(v, bool):
        return ('b', v)
    if isinstance(v, (int, float)):
        return ('n', v)
    if isinstance(v, Decimal128):
        d = v.to_decimal()
        return ('n', d if not d.is_nan() else 'nan')
    if isinstance(v, str):
        return ('s', v)
    if v is None:
        return ('z',)
    if isinstance(v, dict):
        return ('d',) + tuple((k, norm(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ('a',) + tuple(norm(x) for x in v)
    if isinstance(v, ObjectId):
        return ('o', v.binary)
    if isinstance(v, Binary):
        return ('x', v.subtype, bytes(v))
    if isinstance(v, datetime.datetime):
        return ('t', v)
    if isinstance(v, DateMS):
        return ('T', v.ms)
    if isinstance(v, uuidlib.UUID):
        return ('x', 4, v.bytes)
    return ('r', type(v).__name__, repr(v))


def shell(v):
    """A value as mongod writes it in messages: { _id: 1 }, "x"."""
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, Int64):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"%s"' % v
    if v is None:
        return 'null'
    if isinstance(v, dict):
        if not v:
            return '{}'
        return '{ ' + ', '.join('%s: %s' % (k, shell(x))
                                for k, x in v.items()) + ' }'
    if isinstance(v, list):
        return '[ ' + ', '.join(shell(x) for x in v) + ' ]'
    if isinstance(v, ObjectId):
        return "ObjectId('%s')" % v
    if isinstance(v, Decimal128):
        return 'Decimal128("%s")' % v
    return repr(v)


def resolve(doc, path):
    """Values of a dotted path, arrays expanded (the index key values)."""
    cur = [doc]
    for part in path.split('.'):
        nxt = []
        for c in cur:
            if isinstance(c, dict):
                if part in c:
                    nxt.append(c[part])
            elif isinstance(c, list):
                if part.isdigit() and int(part) < len(c):
                    nxt.append(c[int(part)])
                else:
                    for x in c:
                        if isinstance(x, dict) and part in x:
                            nxt.append(x[part])
        cur = nxt
    out = []
    for c in cur:
        if isinstance(c, list):
            out.extend(c if c else [None])
        else:
            out.append(c)
    return out


# ---- collections -----------------------------------------------------------

ID_INDEX = {'v': 2, 'key': {'_id': 1}, 'name': '_id_'}


class Index(object):
    """One index: its spec as listIndexes shows it and, when unique, the
    key tuples already seen (norm'd) mapped to the _id key owning them."""

    def __init__(self, spec):
        self.spec = spec
        self.fields = list(spec['key'].keys())
        self.unique = bool(spec.get('unique'))
        self.sparse = bool(spec.get('sparse'))
        self.partial = spec.get('partialFilterExpression')
        self.seen = {}

    def keys_of(self, doc):
        """The index keys (tuples of norm'd values) of a document."""
        if self.partial is not None:
            try:
                if not mfilter.filter_applies(self.partial, doc):
                    return []
            except Exception:
                return []
        per_field = []
        present = False
        for f in self.fields:
            vals = resolve(doc, f)
            if vals:
                present = True
            per_field.append([norm(v) for v in vals] or [norm(None)])
        if self.sparse and not present:
            return []
        keys = [()]
        for vals in per_field:
            keys = [k + (v,) for k in keys for v in set(vals)]
        return keys

    def key_value(self, doc):
        """{field: value} of a document, for keyValue in duplicate errors."""
        out = {}
        for f in self.fields:
            vals = resolve(doc, f)
            out[f] = vals[0] if vals else None
        return out


class Collection(object):
    def __init__(self, db, name, options=None, view=False):
        self.db = db
        self.name = name
        self.options = options or {}
        self.view = view
        self.uuid = Binary(uuidlib.uuid4().bytes, 4)
        self.docs = {}    # norm(_id) -> raw bytes, in insertion order
        self.size = 0     # sum of raw sizes
        self.indexes = [] if view else [Index(dict(ID_INDEX))]

    @property
    def ns(self):
        return '%s.%s' % (self.db, self.name)

    def dup_error(self, index, doc):
        kv = index.key_value(doc)
        return MongoError(
            11000, 'DuplicateKey',
            'E11000 duplicate key error collection: %s index: %s dup key: %s'
            % (self.ns, index.spec['name'], shell(kv))), index, kv

    def check_unique(self, doc, idkey, skip_id=None):
        """None, or (MongoError, index, keyValue) of the first conflict."""
        for ix in self.indexes:
            if ix.spec['name'] == '_id_':
                if idkey in self.docs and idkey != skip_id:
                    return self.dup_error(ix, doc)
                continue
            if not ix.unique:
                continue
            for k in ix.keys_of(doc):
                owner = ix.seen.get(k)
                if owner is not None and owner != skip_id:
                    return self.dup_error(ix, doc)
        return None

    def add(self, idkey, raw, doc):
        for ix in self.indexes:
            if ix.unique and ix.spec['name'] != '_id_':
                for k in ix.keys_of(doc):
                    ix.seen[k] = idkey
        self.docs[idkey] = raw
        self.size += len(raw)

    def remove(self, idkey, doc=None):
        raw = self.docs.pop(idkey)
        self.size -= len(raw)
        if any(ix.unique and ix.spec['name'] != '_id_' for ix in self.indexes):
            if doc is None:
                doc = decode(raw)
            for ix in self.indexes:
                if ix.unique and ix.spec['name'] != '_id_':
                    for k in ix.keys_of(doc):
                        if ix.seen.get(k) == idkey:
                            del ix.seen[k]
        return raw

    def trim_capped(self):
        if not self.options.get('capped'):
            return
        size = self.options.get('size') or 0
        mx = self.options.get('max') or 0
        while self.docs and ((size and self.size > size)
                             or (mx and len(self.docs) > mx)):
            self.remove(next(iter(self.docs)))

    def index_size(self, ix):
        return 4096 + 16 * len(self.docs) if ix.spec['name'] == '_id_' \
            else 4096 + 16 * len(self.docs)


class Store(object):
    """databases: name -> {collection name -> Collection}."""

    def __init__(self):
        self.dbs = {}

    def coll(self, db, name, create=False):
        colls = self.dbs.get(db)
        if colls is None:
            if not create:
                return None
            colls = self.dbs[db] = {}
        c = colls.get(name)
        if c is None and create:
            c = colls[name] = Collection(db, name)
        return c

    def drop_coll(self, db, name):
        colls = self.dbs.get(db, {})
        c = colls.pop(name, None)
        if not colls:
            self.dbs.pop(db, None)
        return c


STORE = Store()
