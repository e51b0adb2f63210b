#!/bin/sh
# test_cli_audit.sh: `mbk audit` and `mbk audit verify` on logs this test
# writes (with tests/unit/audit_write, through the engine), as a user sees
# them: output and exit status.
set -u

builddir=${MBK_BUILDDIR:-.}
mbk="$builddir/cli/mbk"
writer="$builddir/tests/unit/audit_write"
if [ ! -x "$mbk" ] || [ ! -x "$writer" ]; then
    echo "SKIP: $mbk or $writer not built"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mbk-cli-audit.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
log="$tmp/audit.log"
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect STATUS CMD...: run CMD, keep stdout in $tmp/out, stderr in
# $tmp/err, and check the exit status.
expect() {
    want=$1
    shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$* exited $got, not $want"
        sed 's/^/  out: /' "$tmp/out"
        sed 's/^/  err: /' "$tmp/err"
    fi
}

has() {
    grep -q -- "$2" "$tmp/$1" || fail "$1 of the last command lacks \"$2\""
}

lacks() {
    if grep -q -- "$2" "$tmp/$1"; then
        fail "$1 of the last command holds \"$2\""
    fi
}

"$writer" "$log" alice 10.0.0.1 backup ok crm \
    'mongodb://root:hunter2@db1/crm' || exit 99
"$writer" "$log" bob 10.0.0.2 restore failed crm_old || exit 99
"$writer" "$log" alice 10.0.0.1 delete ok crm_old || exit 99

# The table, newest first, with the header and the count.
expect 0 "$mbk" audit --log "$log"
has out "TIME"
has out "3 entries"
ops=$(grep '^20' "$tmp/out" | awk '{print $4}' | tr '\n' ' ')
[ "$ops" = "delete restore backup " ] ||
    fail "entries not newest first: $ops"
has out "error: the test says so"
lacks out "hunter2"

# MBK_AUDIT_LOG is the default log.
MBK_AUDIT_LOG="$log" expect 0 "$mbk" audit --user bob
has out "restore"
has out "1 entries"
lacks out "delete"

# Filters and paging.
expect 0 "$mbk" audit --log "$log" --operation backup --json
has out '"total":[ ]*1'
has out 'root:\*\*\*@db1'
lacks out hunter2
expect 0 "$mbk" audit --log "$log" --limit 1 --offset 1
has out "entries 2-2 of 3"
has out "restore"
expect 0 "$mbk" audit --log "$log" --grep CRM_OLD
has out "2 entries"
expect 0 "$mbk" audit --log "$log" --outcome nothing
has out "no matching entries"
expect 2 "$mbk" audit --log "$log" --since yesterday
has err "is not YYYY-MM-DD"
expect 2 "$mbk" audit --log "$log" --limit ten
expect 0 "$mbk" audit --log "$log" --since 2000-01-01 --until 2999-01-01
has out "3 entries"
expect 0 "$mbk" audit --log "$log" --until 2000-01-01
has out "no matching entries"

# A mistyped log is an error, not an empty list.
expect 1 "$mbk" audit --log "$tmp/nope.log"
has err "nope.log"

# verify: intact, then broken.
expect 0 "$mbk" audit verify --log "$log"
has out "3 lines, chain intact"
expect 0 "$mbk" audit verify --log "$log" --json
has out '"valid":[ ]*true'

sed 's/"outcome":"failed"/"outcome":"ok"/' "$log" >"$tmp/edited.log"
expect 5 "$mbk" audit verify --log "$tmp/edited.log"
has err "line 3 has a \"prev\" that is not the SHA-256"
expect 5 "$mbk" audit verify --log "$tmp/edited.log" --json
has out '"badLine":[ ]*3'
has out '"success":[ ]*false'

printf '{"time":"2026-' >>"$log"
expect 5 "$mbk" audit verify --log "$log"
has err "line 4 is torn"
expect 1 "$mbk" audit verify --log "$tmp/nope.log"
expect 2 "$mbk" audit verify --log "$log" --user bob

[ "$fails" -eq 0 ] || exit 1
echo "PASS: mbk audit"
exit 0
