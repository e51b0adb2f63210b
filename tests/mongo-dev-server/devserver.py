#!/usr/bin/python3
# devserver.py: the mbk development MongoDB server: the wire protocol (OP_MSG,
# and OP_QUERY for the legacy handshake), a thread per connection, one lock
# around the store.  A development tool: never give it production data.

import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bson  # noqa: E402
from bson.objectid import ObjectId  # noqa: E402
from bson.raw_bson import RawBSONDocument  # noqa: E402
from bson.son import SON  # noqa: E402

import store  # noqa: E402
from store import MongoError, STORE_LOCK, decode, encode  # noqa: E402
import commands  # noqa: E402
from gate import Gate  # noqa: E402

OP_REPLY, OP_QUERY, OP_MSG, OP_COMPRESSED = 1, 2004, 2013, 2012
HEADER = struct.Struct('<iiii')
PROCESS_ID = ObjectId()
_conn_ids = iter(range(1, 1 << 62))
_ids_lock = threading.Lock()
_req_ids = iter(range(1, 1 << 62))
LOG_COMMANDS = os.environ.get('MBK_DEVSERVER_LOG_COMMANDS') == '1'
GATE = None  # a test hook (gate.py), set by main()


def log(msg):
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


def recv_exact(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b''.join(chunks)


def error_doc(err):
    return SON([('ok', 0.0), ('errmsg', err.msg), ('code', err.code),
                ('codeName', err.name)])


def raw_array_items(body, field):
    """The raw documents of array `field` of the raw document body."""
    fname = field.encode()
    for t, name, s, e in store.raw_elements(body):
        if name == fname and t == 0x04:
            arr = body[s + 2 + len(fname):e]
            return [arr[es + 2 + len(n):ee]
                    for _, n, es, ee in store.raw_elements(arr)]
    return None


def raw_doc_field(body, field):
    """Document `field` of the raw document body, as RawBSONDocument (its
    bytes as sent, repeated field names kept), or None."""
    fname = field.encode()
    for t, name, s, e in store.raw_elements(body):
        if name == fname and t == 0x03:
            return RawBSONDocument(bytes(body[s + 2 + len(fname):e]))
    return None


# Options mongod keeps as sent (listCollections gives their bytes back):
# field names as given, a repeated one included.
RAW_CREATE_OPTIONS = ('validator', 'storageEngine', 'indexOptionDefaults')


def run_command(cmd, db, conn):
    """The reply document of one command (never raises)."""
    if not cmd:
        return error_doc(MongoError(59, 'CommandNotFound', 'no such command'))
    name = next(iter(cmd))
    try:
        if 'txnNumber' in cmd or 'startTransaction' in cmd or \
                'autocommit' in cmd:
            raise MongoError(20, 'IllegalOperation', 'Transaction numbers '
                             'are only allowed on a replica set member or '
                             'mongos')
        if commands.COMMANDS.get(name) is commands.hello and \
                'topologyVersion' in cmd and 'maxAwaitTimeMS' in cmd:
            # An awaitable hello (a driver's monitor): our topology never
            # changes, so answer when the wait is over, as mongod does.
            time.sleep(min(float(cmd['maxAwaitTimeMS']), 60000.0) / 1000.0)
        handler = commands.COMMANDS.get(name)
        if handler is None:
            raise MongoError(59, 'CommandNotFound',
                             "no such command: '%s'" % name)
        with STORE_LOCK:
            reply = handler(cmd, db, conn)
        out = SON(reply)
        out['ok'] = 1.0
        return out
    except MongoError as err:
        return error_doc(err)
    except KeyError as exc:
        return error_doc(MongoError(40414, 'Location40414',
                                    "BSON field '%s.%s' is missing but a "
                                    "required field" % (name, exc.args[0])))
    except Exception as exc:
        log('command %r failed:\n%s' % (name, traceback.format_exc()))
        return error_doc(MongoError(1, 'InternalError', '%s: %s'
                                    % (type(exc).__name__, exc)))


def parse_msg(payload):
    """(flags, command dict with sequences as raw lists, raw body)."""
    flags = struct.unpack_from('<I', payload, 0)[0]
    end = len(payload) - (4 if flags & 1 else 0)
    pos = 4
    body = None
    seqs = {}
    while pos < end:
        kind = payload[pos]
        pos += 1
        ln = struct.unpack_from('<i', payload, pos)[0]
        if kind == 0:
            body = payload[pos:pos + ln]
        elif kind == 1:
            sec_end = pos + ln
            p = payload.index(b'\x00', pos + 4)
            ident = payload[pos + 4:p].decode()
            p += 1
            docs = []
            while p < sec_end:
                dl = struct.unpack_from('<i', payload, p)[0]
                docs.append(payload[p:p + dl])
                p += dl
            seqs[ident] = docs
        else:
            raise MongoError(40432, 'Location40432',
                             'Unknown section kind %d' % kind)
        pos += ln
    if body is None:
        raise MongoError(40587, 'Location40587', 'OP_MSG requires a body')
    cmd = decode(body)
    if cmd and next(iter(cmd)) == 'insert' and 'documents' in cmd:
        cmd['documents'] = raw_array_items(body, 'documents')
    if cmd and next(iter(cmd)) == 'create':
        for field in RAW_CREATE_OPTIONS:
            raw = raw_doc_field(body, field)
            if raw is not None:
                cmd[field] = raw
    for ident, docs in seqs.items():
        if ident == 'documents':
            cmd[ident] = docs
        else:
            cmd[ident] = [decode(d) for d in docs]
    return flags, cmd


def reply_msg(request_id, doc):
    body = encode(doc)
    payload = b'\x00\x00\x00\x00\x00' + body
    with _ids_lock:
        rid = next(_req_ids)
    return HEADER.pack(16 + len(payload), rid, request_id, OP_MSG) + payload


def reply_op_reply(request_id, doc):
    body = encode(doc)
    payload = struct.pack('<iqii', 0, 0, 0, 1) + body
    with _ids_lock:
        rid = next(_req_ids)
    return HEADER.pack(16 + len(payload), rid, request_id, OP_REPLY) + payload


def handle_query(payload, conn):
    """OP_QUERY: only the handshake (and $cmd commands of old drivers)."""
    p = payload.index(b'\x00', 4)
    ns = payload[4:p].decode()
    qstart = p + 1 + 8
    qlen = struct.unpack_from('<i', payload, qstart)[0]
    query = decode(payload[qstart:qstart + qlen])
    if '$query' in query:
        query = query['$query']
    db = ns.split('.', 1)[0]
    name = next(iter(query), '')
    if not ns.endswith('.$cmd') or name not in ('isMaster', 'ismaster',
                                                'hello'):
        return error_doc(MongoError(352, 'UnsupportedOpQueryCommand',
                                    'Unsupported OP_QUERY command: %s. The '
                                    'client driver may require an upgrade.'
                                    % name))
    return run_command(query, db, conn)


def serve_connection(sock, peer):
    with _ids_lock:
        conn = {'id': next(_conn_ids), 'process_id': PROCESS_ID}
    try:
        while True:
            head = recv_exact(sock, 16)
            if head is None:
                return
            length, request_id, _, opcode = HEADER.unpack(head)
            if length < 16 or length > commands.MAX_MSG:
                log('connection %d: bad message length %d'
                    % (conn['id'], length))
                return
            payload = recv_exact(sock, length - 16)
            if payload is None:
                return
            if opcode == OP_MSG:
                try:
                    flags, cmd = parse_msg(payload)
                except MongoError as err:
                    sock.sendall(reply_msg(request_id, error_doc(err)))
                    continue
                db = cmd.pop('$db', 'admin')
                if LOG_COMMANDS:
                    log('conn %d: %s.%s' % (conn['id'], db,
                                            next(iter(cmd), '')))
                if GATE is not None and cmd:
                    name = next(iter(cmd))
                    GATE.wait(name, db, cmd[name])
                reply = run_command(cmd, db, conn)
                if not flags & 2:  # moreToCome: the client wants no reply
                    sock.sendall(reply_msg(request_id, reply))
            elif opcode == OP_QUERY:
                sock.sendall(reply_op_reply(request_id,
                                            handle_query(payload, conn)))
            else:
                log('connection %d: unsupported opcode %d (compression is '
                    'not supported)' % (conn['id'], opcode))
                return
    except (ConnectionError, OSError):
        return
    except Exception:
        log('connection %d failed:\n%s' % (conn['id'], traceback.format_exc()))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def listen(port, host):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind((host, port))
    except OSError as exc:
        log('mongo-dev-server: cannot listen on %s:%d: %s'
            % (host, port, exc.strerror or exc))
        sys.exit(1)
    lsock.listen(128)
    return lsock


def serve(lsock):
    host, port = lsock.getsockname()[:2]
    log('mongo-dev-server: listening on %s:%d (pid %d)'
        % (host, port, os.getpid()))
    while True:
        sock, peer = lsock.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = threading.Thread(target=serve_connection, args=(sock, peer),
                             daemon=True)
        t.start()


def ping(port, host, timeout):
    """0 when a server answers ping on host:port (used by `start`)."""
    cmd = encode(SON([('ping', 1), ('$db', 'admin')]))
    msg = b'\x00\x00\x00\x00\x00' + cmd
    try:
        s = socket.create_connection((host, port), timeout=timeout)
        s.sendall(HEADER.pack(16 + len(msg), 1, 0, OP_MSG) + msg)
        head = recv_exact(s, 16)
        body = recv_exact(s, HEADER.unpack(head)[0] - 16)
        s.close()
        reply = bson.decode(body[5:])
        return 0 if reply.get('ok') == 1 else 1
    except (OSError, TypeError, struct.error):
        return 1


def seed_system_databases():
    """What a fresh mongod holds: admin.system.version, local.startup_log."""
    with STORE_LOCK:
        v = SON([('_id', 'featureCompatibilityVersion'), ('version', '6.0')])
        c = store.STORE.coll('admin', 'system.version', create=True)
        c.add(store.norm(v['_id']), encode(v), v)
        log_doc = SON([('_id', '%s-%d' % (socket.gethostname(), os.getpid())),
                       ('hostname', socket.gethostname()),
                       ('pid', os.getpid())])
        c = store.STORE.coll('local', 'startup_log', create=True)
        c.options = SON([('capped', True), ('size', 10485760)])
        c.add(store.norm(log_doc['_id']), encode(log_doc), log_doc)


def watch_owner(pid):
    """Exit when process pid (a test that started us) is gone, so that a
    crashed test leaves no server behind."""
    while True:
        time.sleep(2.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            log('mongo-dev-server: owner process %d is gone; exiting' % pid)
            os._exit(0)
        except PermissionError:
            pass


def main():
    global GATE
    ap = argparse.ArgumentParser(description='mbk development MongoDB server')
    ap.add_argument('--port', type=int, default=27017)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--seed', choices=['crm'])
    ap.add_argument('--ping', action='store_true',
                    help='exit 0 if a server answers ping on --port')
    ap.add_argument('--gate-dir',
                    default=os.environ.get('MBK_DEVSERVER_GATE_DIR', ''),
                    help='test hook: a command NAME waits while '
                    'DIR/NAME.hold exists (README)')
    ap.add_argument('--gate-deadline', type=float,
                    default=float(os.environ.get(
                        'MBK_DEVSERVER_GATE_DEADLINE', '0') or 0),
                    help='seconds a held command waits at most (default '
                    '240)')
    args = ap.parse_args()
    if args.ping:
        sys.exit(ping(args.port, args.host, 2.0))
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    lsock = listen(args.port, args.host)
    owner = os.environ.get('MBK_DEVSERVER_OWNER_PID', '')
    if owner.isdigit():
        threading.Thread(target=watch_owner, args=(int(owner),),
                         daemon=True).start()
    if args.gate_dir:
        GATE = Gate(args.gate_dir, args.gate_deadline, log)
        log('mongo-dev-server: test gate in %s (deadline %g s)'
            % (args.gate_dir, GATE.deadline))
    seed_system_databases()
    if args.seed == 'crm':
        import seed_crm
        with STORE_LOCK:
            seed_crm.seed(lambda cmd, db: run_command(cmd, db, {'id': 0}))
    serve(lsock)


if __name__ == '__main__':
    main()
