#!/bin/sh
# test_cli_rm_cat.sh: `mbk cat NAME` writes a backup's stored bytes to
# stdout unchanged (gzip stays gzip) and `mbk rm NAME` removes it, both
# through the engine's stored-backup operations, each leaving its audit
# line; a missing or badly named backup fails with a message naming it,
# exit status 4 (storage) or 2 (a bad name, as for every command), and
# nothing on stdout.
set -u

mbk="${MBK_BUILDDIR:-.}/cli/mbk"
PY=${MBK_PYTHON:-python3}
if [ ! -x "$mbk" ]; then
    echo "SKIP: $mbk not built"
    exit 77
fi
command -v "$PY" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
command -v gzip >/dev/null 2>&1 || { echo "SKIP: no gzip"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

mkdir "$tmp/store"
printf '{"metadata":{"backupName":"x"},"collections":{}}\n' >"$tmp/store/x.json"
gzip -c "$tmp/store/x.json" >"$tmp/store/y.json.gz"
export MBK_STORAGE="fs:$tmp/store" MBK_AUDIT_LOG="$tmp/audit.log"

# cat: the bytes as stored
if "$mbk" cat x.json >"$tmp/out" 2>"$tmp/err" && cmp -s "$tmp/out" "$tmp/store/x.json"; then
    ok "cat x.json gives its bytes"
else
    fail "cat x.json: $(cat "$tmp/err")"
fi
if "$mbk" cat y.json.gz >"$tmp/out" 2>"$tmp/err" && cmp -s "$tmp/out" "$tmp/store/y.json.gz"; then
    ok "cat y.json.gz gives the gzip bytes unchanged"
else
    fail "cat y.json.gz: $(cat "$tmp/err")"
fi

# expect_fail WANT_RC WANT_TEXT COMMAND...: fails so, stdout empty
expect_fail() {
    want_rc=$1 want=$2
    shift 2
    "$mbk" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" = "$want_rc" ] && grep -qF -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ]; then
        ok "$* fails: $(cat "$tmp/err")"
    else
        fail "$*: exit $rc (want $want_rc), stderr: $(cat "$tmp/err"), stdout $(wc -c <"$tmp/out") bytes"
    fi
}
expect_fail 4 "no-such.json" cat no-such.json
expect_fail 2 "forbidden character '/'" cat ../x.json
expect_fail 2 "usage: mbk cat NAME" cat
expect_fail 2 "usage: mbk rm NAME" rm x.json y.json.gz

# rm: gone afterwards; the JSON answer is the engine's
if "$mbk" rm --json x.json >"$tmp/out" 2>"$tmp/err" && [ ! -e "$tmp/store/x.json" ] &&
    [ "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["success"], d["data"]["deleted"], sorted(d["data"]))' "$tmp/out")" = \
      "True x.json ['deleted', 'storage']" ]; then
    ok "rm --json x.json removes it: $(cat "$tmp/out")"
else
    fail "rm --json x.json: $(cat "$tmp/out") $(cat "$tmp/err")"
fi
expect_fail 4 "x.json" rm x.json
if [ "$("$mbk" rm y.json.gz 2>&1)" = "removed y.json.gz" ] && [ ! -e "$tmp/store/y.json.gz" ]; then
    ok "rm y.json.gz says so"
else
    fail "rm y.json.gz"
fi

# the audit lines the engine built, chained
got=$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    print(e["operation"], e.get("backup"), e["outcome"])' "$tmp/audit.log" | tr '\n' ';')
want="download x.json ok;download y.json.gz ok;download no-such.json failed;download ../x.json failed;delete x.json ok;delete x.json failed;delete y.json.gz ok;"
if [ "$got" = "$want" ]; then
    ok "audit lines: $got"
else
    fail "audit lines: got $got want $want"
fi
if "$mbk" audit verify --audit-log "$tmp/audit.log" >"$tmp/out" 2>&1; then
    ok "the audit chain verifies"
else
    fail "audit verify: $(cat "$tmp/out")"
fi
[ "$fails" -eq 0 ] || exit 1
