#!/bin/sh
# bench_api.sh: the web service's figures, on loopback, in one run:
#  - GET /api/settings/backup requests/s under concurrent load (curl
#    --parallel, C connections, N requests, HTTP/1.1 so each request is a
#    FastCGI request), with the auth_basic hash of the stack ($apr1$);
#  - download throughput through nginx (X-Accel, fs storage) and
#    upload throughput (a raw PUT with dryRun, which also validates the
#    file), each as a ratio to cp of the same file.
# Usage: make bench-api  (or MBK_SRCDIR=.. MBK_BUILDDIR=. sh bench_api.sh)
# BENCH_N (default 2000), BENCH_C (default 16), BENCH_MB (default 100).
set -u
: "${MBK_SRCDIR:?}" "${MBK_BUILDDIR:?}"
N=${BENCH_N:-2000}
C=${BENCH_C:-16}
MB=${BENCH_MB:-100}
PY=${MBK_PYTHON:-/usr/bin/python3}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
CURL=${CURL:-curl}
export NGINX CURL
STACK_RUN=$(mktemp -d "${TMPDIR:-/tmp}/mbk-bench.XXXXXX")
STACK_PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
. "$MBK_SRCDIR/nginx/local-stack.sh"
trap 'stack_stop; rm -rf "$STACK_RUN"' EXIT
trap 'exit 1' INT TERM
stack_start || exit 1
API=${STACK_URL}api/settings/backup
AUTH="$STACK_USER:$STACK_PASSWORD"

now() { date +%s.%N; }
secs() { "$PY" -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
ratio() { "$PY" -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# A few backups so that the listing has something to read.
for i in 1 2 3 4 5; do
    "$CURL" -sk -o /dev/null -u "$AUTH" -H 'X-Requested-With: bench' \
        -H 'Content-Type: application/json' \
        -d "{\"backupName\":\"bench-$i\",\"compression\":\"gzip\"}" "$API"
done

# ---- requests/s ------------------------------------------------------------
cfg=$STACK_RUN/urls.cfg
i=0
while [ "$i" -lt "$N" ]; do
    printf 'url = "%s"\noutput = "/dev/null"\n' "$API"
    i=$((i + 1))
done >"$cfg"
t0=$(now)
"$CURL" -sk --no-progress-meter --http1.1 -u "$AUTH" --parallel \
    --parallel-max "$C" \
    -w '%{http_code}\n' -K "$cfg" >"$STACK_RUN/codes"
t1=$(now)
ok=$(grep -c '^200$' "$STACK_RUN/codes")
s=$(secs "$t0" "$t1")
echo "GET list: $N requests, $C at once: $ok answered 200 in $s s:" \
    "$("$PY" -c "print('%.0f' % ($N / $s))") requests/s"

# ---- download and upload against cp ----------------------------------------
big=$STACK_RUN/big.json
"$PY" - "$big" "$MB" <<'EOF'
import sys
n = int(sys.argv[2]) * 1000
pad = "x" * 1000
with open(sys.argv[1], "w") as f:
    f.write('{"metadata":{"database":"bigdb","timestamp":"2026-01-01T00:00:00.000Z",'
            '"backupName":"big","description":"","version":"1.0",'
            '"collections":["big"],"compression":"none"},"collections":{"big":[')
    f.write(",".join('{"_id":%d,"pad":"%s"}' % (i, pad) for i in range(n)))
    f.write("]}}")
EOF
cp "$big" "$STACK_RUN/backups/big.json"
sync
t0=$(now)
cp "$big" "$STACK_RUN/copy.json"
t1=$(now)
cp_s=$(secs "$t0" "$t1")
rm -f "$STACK_RUN/copy.json"
t0=$(now)
"$CURL" -sk -u "$AUTH" -o "$STACK_RUN/dl.json" "$API/download?name=big.json"
t1=$(now)
dl_s=$(secs "$t0" "$t1")
cmp -s "$big" "$STACK_RUN/dl.json" || echo "download differs!"
rm -f "$STACK_RUN/dl.json"
echo "cp of ${MB} MB: $cp_s s; download through nginx (X-Accel): $dl_s s," \
    "ratio $(ratio "$dl_s" "$cp_s")x cp"
# The same file as a member of the tar storage, streamed by the responder
# (and buffered by nginx).
"$PY" - "$big" "$STACK_RUN/tar/backups.tar" <<'TAREOF'
import sys, tarfile
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t:
    t.add(sys.argv[1], arcname="big.json")
TAREOF
t0=$(now)
"$CURL" -sk -u "$AUTH" -o "$STACK_RUN/dl.json" \
    "$API/download?name=big.json&storage=tar"
t1=$(now)
tar_s=$(secs "$t0" "$t1")
cmp -s "$big" "$STACK_RUN/dl.json" || echo "tar download differs!"
rm -f "$STACK_RUN/dl.json"
echo "download of the tar member through the responder and nginx: $tar_s s," \
    "ratio $(ratio "$tar_s" "$cp_s")x cp"
t0=$(now)
"$CURL" -sk -u "$AUTH" -o /dev/null -w '%{http_code}' -X PUT \
    -H 'X-Requested-With: bench' -H 'Content-Type: application/json' \
    --data-binary "@$big" "$API?dryRun=true&targetDatabase=bigdb" \
    >"$STACK_RUN/up.code"
t1=$(now)
up_s=$(secs "$t0" "$t1")
echo "upload of ${MB} MB through nginx (PUT, dry run: spooled and" \
    "validated; status $(cat "$STACK_RUN/up.code")): $up_s s," \
    "ratio $(ratio "$up_s" "$cp_s")x cp"
