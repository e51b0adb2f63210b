#!/bin/sh
# test_gzip_python.sh: what mbk's gzip pool writes (tests/unit/gzip_write)
# read back by Python's gzip module and by `gzip -t`, at every block-size
# edge: empty, one byte over a 1 MiB block, a 16 MiB document in one write.
set -u

builddir=${MBK_BUILDDIR:-.}
writer="$builddir/tests/unit/gzip_write"
py=${MBK_PYTHON:-python3}
if [ ! -x "$writer" ]; then
    echo "SKIP: $writer not built"
    exit 77
fi
if ! "$py" -c 'import gzip' 2>/dev/null; then
    echo "SKIP: no python3 with the gzip module ($py)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mbk-gzip-py.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

# case NAME SIZE [--one-write]: SIZE bytes of JSON-like text through the
# pool; Python must give the same bytes back, and see SIZE/1MiB members.
case_() {
    name=$1
    size=$2
    shift 2
    "$py" - "$tmp/$name" "$size" <<'PY' || { echo "FAIL: $name: input"; fails=$((fails + 1)); return; }
import random, sys
rng = random.Random(int(sys.argv[2]))
words = [b'{"_id":', b'"name":', b'"Customer', b' number', b'",', b'}\n',
         b'{"$numberLong":"', b'1700000', b'"email":', b'@example.com']
out = bytearray()
while len(out) < int(sys.argv[2]):
    out += rng.choice(words) + str(rng.randrange(10**6)).encode()
open(sys.argv[1], 'wb').write(bytes(out[:int(sys.argv[2])]))
PY
    if ! "$writer" 6 "$@" <"$tmp/$name" >"$tmp/$name.gz"; then
        echo "FAIL: $name: gzip_write failed"
        fails=$((fails + 1))
        return
    fi
    if ! gzip -t "$tmp/$name.gz"; then
        echo "FAIL: $name: gzip -t refuses it"
        fails=$((fails + 1))
    fi
    "$py" - "$tmp/$name" "$tmp/$name.gz" <<'PY'
import gzip, sys, zlib
plain = open(sys.argv[1], 'rb').read()
packed = open(sys.argv[2], 'rb').read()
if gzip.decompress(packed) != plain:
    sys.exit("python's gzip gives other bytes")
with gzip.open(sys.argv[2], 'rb') as f:
    if f.read() != plain:
        sys.exit("gzip.open gives other bytes")
members, rest = 0, packed
while rest:
    d = zlib.decompressobj(16 + 15)
    d.decompress(rest)
    if not d.eof:
        sys.exit("a truncated member")
    members, rest = members + 1, d.unused_data
block = 1 << 20
want = max(1, (len(plain) + block - 1) // block)
if members != want:
    sys.exit("%d members, expected %d" % (members, want))
PY
    if [ $? -ne 0 ]; then
        echo "FAIL: $name: Python's gzip module"
        fails=$((fails + 1))
    else
        echo "ok: $name ($size bytes)"
    fi
}

case_ empty 0
case_ one-byte 1
case_ block-exactly 1048576
case_ block-plus-one 1048577
case_ doc-16MiB 16777216 --one-write
case_ three-blocks-and-a-bit 3149000

[ "$fails" -eq 0 ] || exit 1
