# lib.sh: what the end-to-end tests share: skip when a tool is missing,
# start the local stack (nginx/local-stack.sh) in a fresh directory and
# stop it on exit, call the API with curl, read JSON answers, and assert.
# POSIX sh; sourced by tests/e2e/test_*.sh.

set -u
: "${MBK_SRCDIR:?run through make check}" "${MBK_BUILDDIR:?}"
PY=${MBK_PYTHON:-/usr/bin/python3}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
CURL=${CURL:-$(command -v curl || true)}
export NGINX CURL

skip() {
    echo "SKIP: $*"
    exit 77
}

[ -x "$NGINX" ] || skip "nginx is not installed (apt-get install nginx)"
[ -n "$CURL" ] && [ -x "$CURL" ] || skip "curl is not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
[ -x "$PY" ] || skip "no python3 at $PY for the development MongoDB server"
[ -x "$MBK_BUILDDIR/fcgi/mbk-fcgi" ] || skip "fcgi/mbk-fcgi is not built"

FAILS=0
TESTS=0
STACK_RUN=$(mktemp -d "${TMPDIR:-/tmp}/mbk-e2e.XXXXXX")
STACK_PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
. "$MBK_SRCDIR/nginx/local-stack.sh"

e2e_cleanup() {
    stack_stop
    # A sanitizer build reports to the responder's log (stderr).
    if grep -qE 'Sanitizer|runtime error' "$STACK_RUN/mbk-fcgi.log" 2>/dev/null; then
        echo "not ok - the responder's log has sanitizer reports:"
        grep -E -A20 'Sanitizer|runtime error' "$STACK_RUN/mbk-fcgi.log" | head -60
        FAILS=$((FAILS + 1))
        exit 1
    fi
    if [ "$FAILS" -eq 0 ] && [ -z "${E2E_KEEP:-}" ]; then
        rm -rf "$STACK_RUN"
    else
        echo "logs kept in $STACK_RUN"
    fi
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM

e2e_start() {
    stack_start || { echo "FAIL: the stack did not start"; FAILS=1; exit 1; }
    API=${STACK_URL}api/settings/backup
    AUTH="$STACK_USER:$STACK_PASSWORD"
}

# api METHOD URL [curl args...]: sets STATUS; the body is in $BODY.
BODY=$STACK_RUN/body.json
api() {
    _m=$1
    _u=$2
    shift 2
    STATUS=$("$CURL" -sk -o "$BODY" -w '%{http_code}' -u "$AUTH" \
        -H 'X-Requested-With: mbk-e2e' -X "$_m" "$@" "$_u")
    # every answer, for e2e_done's scan (issue 11: no leak)
    { cat "$BODY"; echo; } >>"$STACK_RUN/answers.log" 2>/dev/null
}

# No answer may show where the server keeps things (the storages, the
# spool, the build's plugins) nor a password (the login's, or one found
# in a file; URIs' passwords are masked as ***).
e2e_scan_answers() {
    [ -f "$STACK_RUN/answers.log" ] || return 0
    for _leak in "$STACK_RUN/backups" "$STACK_RUN/tar/" "$STACK_RUN/spool" \
        "$MBK_BUILDDIR" "$STACK_PASSWORD" hunter2; do
        if grep -qF -- "$_leak" "$STACK_RUN/answers.log"; then
            fail "an answer shows '$_leak': $(grep -F -- "$_leak" \
                "$STACK_RUN/answers.log" | head -c 300)"
            return
        fi
    done
    ok "no answer shows a server path or a password ($(wc -l \
        <"$STACK_RUN/answers.log") answers scanned)"
}

# jget EXPR [FILE]: a Python expression on d, the parsed JSON.
jget() {
    "$PY" -c 'import json, sys
d = json.load(open(sys.argv[2]))
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' \
        "$1" "${2:-$BODY}"
}

# e2e_wait_job ID: poll the job until it ends (a deadline of minutes:
# sanitizers, a busy machine); sets JOB_STATE (done, failed, canceled, or
# the last state seen); the job's last answer is in $BODY.
e2e_wait_job() {
    JOB_STATE=queued
    _deadline=$(($(date +%s) + 600))
    while [ "$(date +%s)" -lt "$_deadline" ]; do
        api GET "$API?job=$1"
        JOB_STATE=$(jget 'd["data"]["state"]')
        case $JOB_STATE in done | failed | canceled) return 0 ;; esac
        sleep 0.1 # the poll's pace; the loop ends on the job's state
    done
}

ok() {
    TESTS=$((TESTS + 1))
    echo "ok $TESTS - $*"
}

fail() {
    TESTS=$((TESTS + 1))
    FAILS=$((FAILS + 1))
    echo "not ok $TESTS - $*"
    if [ -f "$BODY" ]; then
        echo "#   body: $(head -c 600 "$BODY")"
    fi
}

# expect_status WANT WHAT: STATUS must be WANT, the body a JSON envelope
# with success true for 2xx and false otherwise.
expect_status() {
    if [ "$STATUS" != "$1" ]; then
        fail "$2: status $STATUS, want $1"
        return 1
    fi
    _s=$(jget 'd["success"]' 2>/dev/null)
    case $1 in
    2*) _want=true ;;
    *) _want=false ;;
    esac
    if [ "$_s" != "$_want" ]; then
        fail "$2: success is '$_s', want $_want"
        return 1
    fi
    ok "$2 ($STATUS)"
}

# expect_eq GOT WANT WHAT
expect_eq() {
    if [ "$1" = "$2" ]; then
        ok "$3"
    else
        fail "$3: got '$1', want '$2'"
    fi
}

e2e_done() {
    e2e_scan_answers
    echo "1..$TESTS"
    if [ "$FAILS" -ne 0 ]; then
        echo "$FAILS of $TESTS failed"
        exit 1
    fi
    exit 0
}
