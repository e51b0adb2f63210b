# lib.sh: what the S3 tests share: skip (77) when the real gateway cannot run
# here, start a Ceph cluster with tests/s3/rgw-cluster in a fresh directory,
# stop it on every exit path and check that no daemon is left.
# POSIX sh; sourced by tests/s3/test_*.sh and tests/s3/with-rgw.
#
#   rgw_require          skip unless root, the Ceph packages, curl, python3
#   rgw_start            start the cluster in $RGW_DIR; exports AWS_* (the
#                        `rgw-cluster env` assignments) and S3_STARTED_IN
#   rgw_stop             stop it; returns 1 (with a message) if a daemon
#                        outlived the stop
#   s3 METHOD URL [curl args]
#                        one signed request with curl; STATUS, the body in
#                        $S3_BODY, the headers in $S3_HEADERS
#   ok TEXT / fail TEXT  one TAP line each; FAILS counts the failures
#   svc_cleanup STATUS   the service tests' EXIT work (stack, then cluster)
#   svc_leaks "SECRETS" [FILE...]
#                        fail for each secret found in the service's
#                        answers, logs or FILEs; LEAKS counts them
#   S3_KEEP=1            keep $RGW_DIR (logs) after the test

set -u
: "${MBK_SRCDIR:?run through make check (MBK_SRCDIR unset)}"
PY=${MBK_PYTHON:-/usr/bin/python3}
CURL=${CURL:-$(command -v curl || true)}
RGW_CLUSTER=$MBK_SRCDIR/tests/s3/rgw-cluster

FAILS=0
TESTS=0
# tap RC TEXT: "ok N - TEXT" when RC is 0, else "not ok N - TEXT".
tap() {
    TESTS=$((TESTS + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TESTS - $2"
    else
        FAILS=$((FAILS + 1))
        echo "not ok $TESTS - $2"
    fi
}
ok() { tap 0 "$*"; }
fail() { tap 1 "$*"; }

skip() {
    echo "SKIP: $*"
    exit 77
}

rgw_require() {
    [ "$(id -u)" -eq 0 ] ||
        skip "the Ceph test cluster runs as root (CI runs ./dev test as root)"
    for t in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool \
        monmaptool; do
        command -v "$t" >/dev/null 2>&1 ||
            skip "$t is missing (apt-get install ceph-mon ceph-osd radosgw ceph-common)"
    done
    if [ -z "$CURL" ] || [ ! -x "$CURL" ]; then
        skip "curl is not installed"
    fi
    [ -x "$PY" ] || skip "no python3 at $PY"
    command -v timeout >/dev/null 2>&1 || skip "timeout (coreutils) is missing"
}

RGW_DIR=
rgw_start() {
    RGW_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mbk-rgw.XXXXXX")
    _t0=$(date +%s.%N)
    "$RGW_CLUSTER" start "$RGW_DIR/cluster" || return 1
    S3_STARTED_IN=$("$PY" -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' \
        "$_t0" "$(date +%s.%N)")
    _env=$("$RGW_CLUSTER" env "$RGW_DIR/cluster") || return 1
    eval "$_env"
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_REGION
    # with RGW_CLUSTER_TLS=1: the HTTPS endpoint and the CA that signed it
    if [ -n "${MBK_TEST_S3_TLS_URL:-}" ]; then
        export MBK_TEST_S3_TLS_URL MBK_TEST_S3_CA_FILE
    fi
    # with RGW_CLUSTER_STS=1: temporary keys and their session token
    if [ -n "${MBK_TEST_S3_STS_TOKEN:-}" ]; then
        export MBK_TEST_S3_STS_KEY_ID MBK_TEST_S3_STS_SECRET \
            MBK_TEST_S3_STS_TOKEN
    fi
    export S3_STARTED_IN
    S3_KEY=$AWS_ACCESS_KEY_ID
    S3_SECRET=$AWS_SECRET_ACCESS_KEY
    S3_BODY=$RGW_DIR/body
    S3_HEADERS=$RGW_DIR/headers
}

# s3 METHOD URL [curl args]: a request signed by curl's own Signature V4 with
# S3_KEY and S3_SECRET; sets STATUS (000 if curl failed, with a message).
# x-amz-content-sha256 is S3_PAYLOAD (default UNSIGNED-PAYLOAD): curl 7.88
# does not send that header by itself, it signs the SHA-256 of the body,
# and the gateway, missing the header, checks against UNSIGNED-PAYLOAD:
# every request would get 403 (README.md).
S3_PAYLOAD=UNSIGNED-PAYLOAD
s3() {
    _m=$1
    _u=$2
    shift 2
    # shellcheck disable=SC2034 # STATUS is for the caller
    STATUS=$("$CURL" -sS -o "$S3_BODY" -D "$S3_HEADERS" -w '%{http_code}' \
        --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$S3_KEY:$S3_SECRET" \
        -H "x-amz-content-sha256: $S3_PAYLOAD" -X "$_m" "$@" "$_u") ||
        echo "curl failed (exit $?) on $_m $_u" >&2
}

# Processes whose command line names this cluster's configuration: what
# must be gone after the stop.
rgw_leftovers() {
    for _p in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null < "$_p/cmdline" |
            grep -qF "$RGW_DIR/cluster/ceph.conf" && echo "${_p#/proc/}"
    done
    return 0
}

rgw_stop() {
    [ -n "$RGW_DIR" ] && [ -d "$RGW_DIR/cluster" ] || return 0
    _rc=0
    "$RGW_CLUSTER" stop "$RGW_DIR/cluster" || _rc=1
    _left=$(rgw_leftovers)
    if [ -n "$_left" ]; then
        echo "rgw_stop: processes left after the stop: $_left" >&2
        for _p in $_left; do
            tr '\0' ' ' 2>/dev/null < "/proc/$_p/cmdline" >&2
            echo >&2
            kill -KILL "$_p" 2>/dev/null || true
        done
        _rc=1
    fi
    return $_rc
}

# rgw_cleanup STATUS: the EXIT trap's work; keeps the logs on failure.
rgw_cleanup() {
    _status=$1
    rgw_stop || _status=1
    if [ -n "$RGW_DIR" ]; then
        if { [ "$_status" -eq 0 ] || [ "$_status" -eq 77 ]; } &&
            [ -z "${S3_KEEP:-}" ]; then
            rm -rf "$RGW_DIR"
        else
            echo "logs kept in $RGW_DIR"
        fi
    fi
    return "$_status"
}

# svc_cleanup STATUS: the EXIT trap's work in a service test (tests/e2e/
# lib.sh's stack over a cluster): the stack, then the cluster; the stack's
# logs kept on failure.
svc_cleanup() {
    _rc=$1
    [ "$FAILS" -eq 0 ] || _rc=1
    stack_stop
    rgw_cleanup "$_rc"
    _rc=$?
    if [ "$_rc" -eq 0 ] && [ -z "${E2E_KEEP:-}" ]; then
        rm -rf "$STACK_RUN"
    else
        echo "stack logs kept in $STACK_RUN"
    fi
    return "$_rc"
}

# svc_leaks "SECRET..." [FILE...]: no secret (words without spaces) in the
# answers, the responder's log, the audit log, nginx's logs, nor the FILEs.
svc_leaks() {
    _secrets=$1
    shift
    LEAKS=0
    for _f in "$STACK_RUN/answers.log" "$STACK_RUN/mbk-fcgi.log" \
        "$STACK_RUN/audit.log" "$STACK_RUN/nginx-error.log" \
        "$STACK_RUN"/*access*.log "$STACK_RUN/logs"/* "$@"; do
        [ -f "$_f" ] || continue
        for _s in $_secrets; do
            if grep -qF -- "$_s" "$_f"; then
                fail "a secret appears in $_f"
                LEAKS=$((LEAKS + 1))
            fi
        done
    done
}
