# seed_crm.py: the sample CRM database of `start PORT --seed crm` (the demo's
# data): a few hundred documents of varied BSON types, built from a fixed
# random seed so every start gives the same bytes.

import datetime
import random

from bson.binary import Binary
from bson.code import Code
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.son import SON
from bson.timestamp import Timestamp

FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances',
         'Ken', 'Margaret', 'Dennis', 'Radia', 'John', 'Lynn', 'Niklaus']
LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth',
        'Allen', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Backus',
        'Conway', 'Wirth']
DEPTS = ['Sales', 'Support', 'Engineering', 'Finance', 'Marketing', 'Legal']
ROLES = ['admin', 'manager', 'agent', 'auditor', 'viewer']
ACTIONS = ['login', 'logout', 'create', 'update', 'delete', 'export']
EPOCH = datetime.datetime(2024, 1, 1)


def oid(rng):
    return ObjectId(bytes(rng.getrandbits(8) for _ in range(12)))


def uuid4(rng):
    b = bytearray(rng.getrandbits(8) for _ in range(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return Binary(bytes(b), 4)


def ms_date(rng, days):
    ms = rng.randrange(days * 86400000)
    return EPOCH + datetime.timedelta(milliseconds=ms)


def seed(run):
    """run(cmd, db) runs one command and returns its reply."""
    rng = random.Random(20240101)

    def must(cmd):
        r = run(cmd, 'crm')
        if r.get('ok') != 1.0:
            raise RuntimeError('seeding crm: %r failed: %r' % (cmd, r))

    must(SON([('create', 'departments')]))
    must(SON([('create', 'roles')]))
    must(SON([('create', 'users'), ('validator', {
        'email': {'$regex': '@'}, 'name': {'$exists': True}})]))
    must(SON([('create', 'audit_events'), ('capped', True),
              ('size', 1048576), ('max', 5000)]))
    must(SON([('create', 'sessions')]))
    must(SON([('create', 'invoices')]))
    must(SON([('create', 'settings')]))

    depts = []
    for i, name in enumerate(DEPTS):
        depts.append(SON([
            ('_id', i + 1), ('name', name),
            ('budget', Decimal128('%d.%02d' % (rng.randrange(10 ** 6), i))),
            ('cost_center', Int64(4000000000 + i)),
            ('created', ms_date(rng, 365)),
            ('tags', [name.lower(), 'dept']),
            ('address', SON([('city', rng.choice(['Paris', 'Lyon', 'Oslo'])),
                             ('zip', '%05d' % rng.randrange(100000))]))]))
    roles = []
    for i, name in enumerate(ROLES):
        roles.append(SON([
            ('_id', name), ('level', i),
            ('permissions', ACTIONS[:len(ACTIONS) - i]),
            ('pattern', Regex('^%s' % name, 'i')),
            ('check', Code('function(u) { return u.level >= %d; }' % i)),
            ('check_scoped', Code('function(u) { return u.level >= lim; }',
                                  {'lim': i}))]))
    users = []
    for i in range(200):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        users.append(SON([
            ('_id', oid(rng)), ('uid', uuid4(rng)),
            ('name', '%s %s' % (first, last)),
            ('email', '%s.%s.%d@example.com' % (first.lower(), last.lower(),
                                                 i)),
            ('department', rng.randrange(len(DEPTS)) + 1),
            ('role', rng.choice(ROLES)),
            ('active', rng.random() < 0.8),
            ('score', rng.random() * 100),
            ('logins', Int64(rng.randrange(10 ** 10))),
            ('balance', Decimal128('%d.%02d' % (rng.randrange(10 ** 5),
                                                rng.randrange(100)))),
            ('created', ms_date(rng, 365)),
            ('birthday', datetime.datetime(1940 + rng.randrange(60), 1 + i % 12,
                                           1 + i % 28)),
            ('phones', [SON([('kind', 'work'),
                             ('number', '+33 1 %08d' % rng.randrange(10 ** 8))])]),
            ('avatar', Binary(bytes(rng.getrandbits(8) for _ in range(24)),
                              0))]))
    audit = []
    for i in range(300):
        audit.append(SON([
            ('_id', oid(rng)), ('at', ms_date(rng, 90)),
            ('ts', Timestamp(1704067200 + i * 60, i % 7)),
            ('user', users[rng.randrange(len(users))]['_id']),
            ('action', rng.choice(ACTIONS)),
            ('detail', SON([('ip', '10.0.%d.%d' % (rng.randrange(256),
                                                    rng.randrange(256))),
                            ('ok', rng.random() < 0.9)]))]))
    sessions = []
    for i in range(40):
        sessions.append(SON([
            ('_id', uuid4(rng)), ('user', users[i]['_id']),
            ('lastSeen', ms_date(rng, 1)), ('data', Binary(b'sess%d' % i, 0))]))
    invoices = []
    for i in range(60):
        invoices.append(SON([
            ('_id', SON([('year', 2024), ('no', i + 1)])),
            ('customer', users[rng.randrange(len(users))]['_id']),
            ('lines', [SON([('item', 'seat'), ('qty', rng.randrange(1, 9)),
                            ('price', Decimal128('19.99'))])
                       for _ in range(1 + i % 3)]),
            ('total', Decimal128('%d.%02d' % (rng.randrange(10 ** 4),
                                              rng.randrange(100)))),
            ('paid', rng.random() < 0.6), ('note', None)]))
    settings = [
        SON([('_id', 'limits'), ('min', MinKey()), ('max', MaxKey()),
             ('ratio', -0.0), ('inf', float('inf'))]),
        SON([('_id', 'retention'), ('days', 30), ('big', Int64(2 ** 40))]),
    ]
    for coll, docs in (('departments', depts), ('roles', roles),
                       ('users', users), ('audit_events', audit),
                       ('sessions', sessions), ('invoices', invoices),
                       ('settings', settings)):
        must(SON([('insert', coll), ('documents', docs)]))

    must(SON([('createIndexes', 'users'), ('indexes', [
        SON([('key', SON([('email', 1)])), ('name', 'email_1'),
             ('unique', True)]),
        SON([('key', SON([('department', 1), ('role', 1)])),
             ('name', 'department_1_role_1')])])]))
    must(SON([('createIndexes', 'sessions'), ('indexes', [
        SON([('key', SON([('lastSeen', 1)])), ('name', 'lastSeen_1'),
             ('expireAfterSeconds', 3600)])])]))
    must(SON([('createIndexes', 'audit_events'), ('indexes', [
        SON([('key', SON([('user', 1), ('at', -1)])),
             ('name', 'user_1_at_-1')])])]))
