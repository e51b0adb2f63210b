#!/bin/sh
# test_cli.sh: `mbk` with --storage s3://BUCKET/PREFIX against a fresh Ceph
# RADOS Gateway and the development MongoDB server (or MBK_TEST_MONGO_URI):
# backup, list, verify and restore, plain and gzip, the restored database
# compared with the source by `mbk stats`; a wrong secret, a missing
# bucket and a clock an hour behind each fail with their message and the
# storage exit status (4).
# Exit 0 pass, 1 fail, 77 skip (not root, Ceph or python3 missing).

. "$MBK_SRCDIR/tests/s3/lib.sh"
: "${MBK_BUILDDIR:?run through make check}"
rgw_require
MBK=$MBK_BUILDDIR/cli/mbk
[ -x "$MBK" ] || skip "cli/mbk is not built"

MONGO_PORT=
W=$(mktemp -d "${TMPDIR:-/tmp}/mbk-s3cli.XXXXXX")
cleanup() {
    _rc=$1
    if [ -n "$MONGO_PORT" ]; then
        MBK_DEVSERVER_RUNDIR=$W "$MBK_SRCDIR/tests/mongo-dev-server/stop" \
            "$MONGO_PORT" > /dev/null 2>&1
    fi
    rgw_cleanup "$_rc"
    _rc=$?
    [ "$_rc" -ne 0 ] || rm -rf "$W"
    return "$_rc"
}
trap 'cleanup $?; exit $?' EXIT
trap 'exit 1' INT TERM HUP

check() {
    _what=$1
    shift
    if "$@"; then ok "$_what"; else fail "$_what"; fi
}

rgw_start || { echo "the cluster did not start" >&2; exit 1; }
B=mbk-cli
s3 PUT "$AWS_ENDPOINT_URL/$B"
check "bucket $B made" [ "$STATUS" = 200 ]

if [ -n "${MBK_TEST_MONGO_URI:-}" ]; then
    URI=$MBK_TEST_MONGO_URI
    DB=mbk_s3cli_$$
    echo "# against $URI"
    "$PY" - "$URI" "$DB" <<'EOF' || { echo "seeding failed" >&2; exit 1; }
import sys, pymongo
c = pymongo.MongoClient(sys.argv[1])
c[sys.argv[2]].people.insert_many([{"n": i, "s": "x" * (i % 50)} for i in range(3000)])
EOF
else
    MONGO_PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    URI=$(MBK_DEVSERVER_RUNDIR=$W "$MBK_SRCDIR/tests/mongo-dev-server/start" \
        "$MONGO_PORT" --seed crm | tail -n 1) ||
        { echo "the development server did not start" >&2; exit 1; }
    DB=crm
fi
S=s3://$B/cli/nightly
export MBK_PLUGIN_DIR="$MBK_TEST_PLUGIN_DIR"

"$MBK" backup -q --uri "$URI" --db "$DB" --storage "$S" --name plain \
    > "$W/b1.out" 2>&1
check "backup to $S" [ $? -eq 0 ]
"$MBK" backup -q --uri "$URI" --db "$DB" --storage "$S" --name zipped \
    --gzip > "$W/b2.out" 2>&1
check "gzip backup to $S" [ $? -eq 0 ]
"$MBK" list --storage "$S" > "$W/list.out" 2>&1
check "list exits 0" [ $? -eq 0 ]
check "list shows plain.json" grep -q 'plain\.json' "$W/list.out"
check "list shows zipped.json.gz" grep -q 'zipped\.json\.gz' "$W/list.out"
"$MBK" list --storage "$S" --json > "$W/list.json" 2>&1
check "list --json has both, with their metadata" "$PY" - "$W/list.json" "$DB" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else d.get("backups", d.get("data", d))
names = {}
for e in items:
    names[e["name"]] = e
assert set(names) >= {"plain.json", "zipped.json.gz"}, names.keys()
for e in names.values():
    assert sys.argv[2] in json.dumps(e), e   # the database, from the metadata
EOF
for n in plain.json zipped.json.gz; do
    "$MBK" verify "$n" --storage "$S" > "$W/verify.out" 2>&1
    check "verify $n" [ $? -eq 0 ]
done
"$MBK" stats --uri "$URI" --db "$DB" --json > "$W/src.json" 2>&1
for n in plain.json zipped.json.gz; do
    t=r_$(echo "$n" | tr -c 'a-z\n' '_')
    "$MBK" restore "$n" -q --uri "$URI" --storage "$S" --target-db "$t" \
        > "$W/restore.out" 2>&1
    check "restore $n into $t" [ $? -eq 0 ]
    "$MBK" stats --uri "$URI" --db "$t" --json > "$W/dst.json" 2>&1
    # the comparison's own message lands in a .out file: shown on failure
    check "$t has the source's collections and documents" \
        "$PY" - "$W/src.json" "$W/dst.json" 2> "$W/compare-$t.out" <<'EOF'
import json, sys
def counts(p):
    text = open(p).read()
    try:
        d = json.loads(text)["data"]
    except (ValueError, KeyError):
        sys.exit("%s is no stats answer:\n%s" % (p, text[:3000]))
    return {c["name"]: (c["count"], c["size"]) for c in d["collectionList"]}
a, b = counts(sys.argv[1]), counts(sys.argv[2])
assert a and a == b, (a, b)
EOF
done

# A wrong secret: refused with its message, the secret never shown.
AWS_SECRET_ACCESS_KEY=Zz9NotTheSecret9zZ "$MBK" list --storage "$S" \
    > "$W/wrong.out" 2>&1
rc=$?
check "wrong secret: storage error exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "wrong secret: the message says so" \
    grep -q 'SignatureDoesNotMatch.*secret access key is wrong' "$W/wrong.out"
check "wrong secret: not shown" sh -c "! grep -q Zz9NotTheSecret9zZ '$W/wrong.out'"
"$MBK" list --storage "s3://no-such-bucket-mbk/x" > "$W/nob.out" 2>&1
rc=$?
check "missing bucket: exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "missing bucket: the message names it" \
    grep -q 'bucket "no-such-bucket-mbk".*NoSuchBucket' "$W/nob.out"

# A clock an hour behind (time() shifted by a preloaded shim): the server
# refuses the signature's date and the message says what to do.  Not in
# the sanitizer pass: ASan must be the first library loaded.
SHIM=$MBK_BUILDDIR/tests/s3/.libs/mbk_skew_shim.so
if [ "${MBK_SANITIZERS:-no}" != yes ]; then
    check "the clock-skew shim is built" [ -f "$SHIM" ]
    LD_PRELOAD=$SHIM MBK_TEST_CLOCK_SKEW=-3600 "$MBK" list --storage "$S" \
        > "$W/skew.out" 2>&1
    rc=$?
    check "clock an hour behind: exit 4 (got $rc)" [ "$rc" -eq 4 ]
    check "clock an hour behind: RequestTimeTooSkewed, set the clock" \
        grep -q 'RequestTimeTooSkewed.*clock differs from the server.*set the clock' \
        "$W/skew.out"
else
    echo "# clock-skew check skipped in the sanitizer pass (LD_PRELOAD)"
fi

echo "1..$TESTS"
if [ "$FAILS" -ne 0 ]; then
    for f in "$W"/*.out; do echo "# $f:"; sed 's/^/#   /' "$f"; done
fi
[ "$FAILS" -eq 0 ]
