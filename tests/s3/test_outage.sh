#!/bin/sh
# test_outage.sh: the responder starts while an s3 storage's gateway is
# down, and the storage recovers on its own (issue 16, "Service and page").
# nginx, mbk-fcgi over its socket, the development MongoDB server (or
# MBK_TEST_MONGO_URI) and a fresh Ceph RADOS Gateway.  The storage "far"
# points at a loopback port where nothing listens at start (unreachable),
# then tests/s3/faultproxy.py answers 503 to every request there, then
# forwards to the gateway: health says "unavailable" with the reason, a
# request naming it gets 503 with Retry-After, the fs storage works all
# along, and once the gateway answers the storage serves without a restart
# of mbk-fcgi; `mbk-fcgi -t` names it and exits 0.  A storage with a
# wrong secret at start is listed
# unavailable and answers 502 with S3's SignatureDoesNotMatch; no secret in
# any answer, log or audit line.
# Exit 0 pass, 1 fail, 77 skip (not root, Ceph, nginx or python3 missing;
# the sanitizer pass: it runs once, in the plain pass).

. "$MBK_SRCDIR/tests/s3/lib.sh"
rgw_require
[ "${MBK_SANITIZERS:-no}" != yes ] ||
    skip "the outage test runs once, in the plain pass (the s3 plugin's own tests run under the sanitizers)"
# tests/e2e/lib.sh: the stack, api, jget, expect_*; its EXIT trap is
# replaced below.
. "$MBK_SRCDIR/tests/e2e/lib.sh"

PROXY_PID=
proxy_stop() {
    [ -n "$PROXY_PID" ] || return 0
    kill "$PROXY_PID" 2>/dev/null
    wait "$PROXY_PID" 2>/dev/null
    PROXY_PID=
}

trap '_st=$?; proxy_stop; svc_cleanup $_st; exit $?' EXIT
trap 'exit 1' INT TERM HUP

# proxy_start EVERY: faultproxy.py on $PORT in front of the gateway (EVERY
# 1: 503 to every request; 0: every request forwarded); waits until it
# accepts connections (its port file), a deadline of minutes.
proxy_start() {
    rm -f "$STACK_RUN/proxy.port"
    "$PY" "$MBK_SRCDIR/tests/s3/faultproxy.py" --upstream "$EP" \
        --every "$1" --port "$PORT" --port-file "$STACK_RUN/proxy.port" \
        >/dev/null 2>>"$STACK_RUN/proxy.log" &
    PROXY_PID=$!
    _deadline=$(($(date +%s) + 300))
    while [ ! -s "$STACK_RUN/proxy.port" ] && [ "$(date +%s)" -lt "$_deadline" ] &&
        kill -0 "$PROXY_PID" 2>/dev/null; do
        sleep 0.1 # the poll's pace; the loop ends on the port file
    done
    [ -s "$STACK_RUN/proxy.port" ]
}

# health_until EXPR: poll GET .../health until the Python expression EXPR
# (s: the storage "far" in the answer) is true, a deadline of minutes
# (the responder tries again 1, 2, 4... 30 s apart); 1 if it never is.
health_until() {
    _deadline=$(($(date +%s) + 300))
    while [ "$(date +%s)" -lt "$_deadline" ]; do
        api GET "$API/health"
        [ "$(jget "[$1 for s in d['data']['storages'] if s['name'] == 'far'][0]")" = true ] &&
            return 0
        sleep 0.5 # the poll's pace; the loop ends on the answer
    done
    return 1
}

rgw_start || { echo "the cluster did not start" >&2; exit 1; }
EP=$AWS_ENDPOINT_URL
B=mbk-outage
s3 PUT "$EP/$B"
expect_eq "$STATUS" 200 "bucket $B made"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL
(umask 077 && printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$S3_KEY" "$S3_SECRET" > "$STACK_RUN/s3-credentials")
# A loopback port nothing listens on yet: the proxy takes it later.
PORT=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
WRONG=Wr0ng$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
STACK_FCGI_EXTRA="storage = far s3://$B/far endpoint=http://127.0.0.1:$PORT region=$AWS_REGION credentials_file=$STACK_RUN/s3-credentials max_attempts=2
storage = badkey s3://$B/bad endpoint=$EP region=$AWS_REGION access_key_id=$S3_KEY secret_access_key=$WRONG"
export STACK_FCGI_EXTRA
e2e_start
J='Content-Type: application/json'
FPID=$(cat "$STACK_RUN/mbk-fcgi.pid")

# ---- the gateway unreachable at start ----------------------------------
api GET "$API/health"
expect_status 200 "health answers with a storage's gateway down"
expect_eq "$(jget '[(s["name"], s["state"]) for s in d["data"]["storages"]]')" \
    '[["fs", "available"], ["tar", "available"], ["far", "unavailable"], ["badkey", "unavailable"]]' \
    "health: fs and tar available, far and badkey unavailable"
expect_eq "$(jget '[s for s in d["data"]["storages"] if s["name"] == "far"][0]["ok"]')" \
    false "far is not ok"
case $(jget '[s for s in d["data"]["storages"] if s["name"] == "far"][0]["error"]') in
*"storage \"far\" is unavailable"*"127.0.0.1:$PORT"*"connect"*)
    ok "its reason: $(jget '[s for s in d["data"]["storages"] if s["name"] == "far"][0]["error"]' | head -c 200)" ;;
*) fail "far's reason does not say the gateway is unreachable" ;;
esac
expect_eq "$(jget '[s for s in d["data"]["storages"] if s["name"] == "far"][0]["retryIn"] <= 30')" \
    true "health says when far is tried again"
grep -q 'storage "far" is unavailable at start' "$STACK_RUN/mbk-fcgi.log" &&
    ok "the responder's log says far was unavailable at start" ||
    fail "no start line for far in the log: $(tail -c 600 "$STACK_RUN/mbk-fcgi.log")"

# mbk-fcgi -t: a storage down is no configuration error (its own spool, no
# local storage: nothing shared with the running responder)
mkdir -p "$STACK_RUN/tspool"
sed -e "s|^log = .*|log = $STACK_RUN/t.log|" \
    -e "s|^spool_dir = .*|spool_dir = $STACK_RUN/tspool|" \
    -e "/^storage = fs /d" -e "/^storage = tar /d" \
    "$STACK_RUN/mbk-fcgi.conf" > "$STACK_RUN/t.conf"
timeout 300 "$MBK_BUILDDIR/fcgi/mbk-fcgi" -t -c "$STACK_RUN/t.conf" \
    < /dev/null > "$STACK_RUN/t.out" 2>&1
expect_eq "$?" 0 "mbk-fcgi -t with far down exits 0"
grep -q '^mbk-fcgi: storage "far" is unavailable now' "$STACK_RUN/t.out" &&
    grep -q '^mbk-fcgi: configuration ok' "$STACK_RUN/t.out" &&
    ok "and names far as unavailable" ||
    fail "mbk-fcgi -t said: $(head -c 400 "$STACK_RUN/t.out")"

api POST "$API" -H "$J" -d '{"backupName":"while-down","storage":"fs"}'
expect_status 200 "a backup to the fs storage while far is down"
api GET "$API?storage=fs"
expect_eq "$(jget '[b["name"] for b in d["data"]["backups"]]')" \
    '["while-down.json"]' "the fs storage lists it"
api GET "$API"
expect_status 200 "the list of every storage answers"
expect_eq "$(jget '[(s["name"], s["available"]) for s in d["data"]["storages"]]')" \
    '[["fs", true], ["tar", true], ["far", false], ["badkey", false]]' \
    "it marks far and badkey unavailable"
expect_eq "$(jget '[b["storage"] + "/" + b["name"] for b in d["data"]["backups"]]')" \
    '["fs/while-down.json"]' "and lists the fs backup"

STATUS=$("$CURL" -sk -D "$STACK_RUN/far.headers" -o "$BODY" -w '%{http_code}' \
    -u "$AUTH" "$API?storage=far")
{ cat "$BODY"; echo; } >> "$STACK_RUN/answers.log"
expect_status 503 "a list naming far: 503"
grep -qi '^retry-after: 30' "$STACK_RUN/far.headers" && ok "with Retry-After: 30" ||
    fail "no Retry-After: $(cat "$STACK_RUN/far.headers")"
case $(jget 'd["error"]') in
*"storage \"far\" is unavailable"*) ok "the error names the storage: $(jget 'd["error"]' | head -c 160)" ;;
*) fail "the error does not say far is unavailable" ;;
esac
api POST "$API" -H "$J" -d '{"backupName":"to-far","storage":"far"}'
expect_status 503 "a backup to far: 503"

# ---- the gateway answers 503 to everything ------------------------------
proxy_start 1 && ok "faultproxy answers 503 to every request on port $PORT" ||
    fail "faultproxy did not start: $(tail -c 300 "$STACK_RUN/proxy.log")"
health_until '"HTTP 503" in s.get("error", "")' &&
    ok "health: far still unavailable, S3 answers 503: $(jget '[s for s in d["data"]["storages"] if s["name"] == "far"][0]["error"]' | head -c 200)" ||
    fail "health never showed far's 503"
expect_eq "$(jget '[s for s in d["data"]["storages"] if s["name"] == "far"][0]["state"]')" \
    unavailable "far is still unavailable"
api GET "$API?storage=far"
expect_status 503 "a list naming far while S3 answers 503: 503"
proxy_stop

# ---- the gateway back: far recovers, mbk-fcgi not restarted ----------------
proxy_start 0 && ok "faultproxy forwards every request to the gateway" ||
    fail "faultproxy did not start again: $(tail -c 300 "$STACK_RUN/proxy.log")"
health_until 's["state"] == "available" and s["ok"]' &&
    ok "health: far available, without a restart" ||
    fail "far never recovered"
expect_eq "$(cat "$STACK_RUN/mbk-fcgi.pid")" "$FPID" "the same mbk-fcgi process"
kill -0 "$FPID" 2>/dev/null && ok "mbk-fcgi still runs" || fail "mbk-fcgi is gone"
grep -q 'storage "far" is available again' "$STACK_RUN/mbk-fcgi.log" &&
    ok "the responder's log says far is available again" ||
    fail "no recovery line in the log"
api POST "$API" -H "$J" -d '{"backupName":"after","storage":"far"}'
expect_status 200 "a backup to far once it recovered"
api GET "$API?storage=far"
expect_eq "$(jget '[b["name"] for b in d["data"]["backups"]]')" '["after.json"]' \
    "far lists it"
s3 HEAD "$EP/$B/far/after.json" -I
expect_eq "$STATUS" 200 "the gateway holds far/after.json"
api GET "$API"
expect_eq "$(jget '[(s["name"], s["available"]) for s in d["data"]["storages"]]')" \
    '[["fs", true], ["tar", true], ["far", true], ["badkey", false]]' \
    "the list shows far available"

# ---- the gateway gone again under the opened storage ------------------------
proxy_stop
api GET "$API?storage=far"
expect_status 503 "a list naming far, its endpoint down again: 503 (not 500)"
case $(jget 'd["error"]') in
*"127.0.0.1:$PORT"*"connect"*) ok "the error says the endpoint is unreachable" ;;
*) fail "the error does not say the endpoint is unreachable" ;;
esac
api GET "$API"
expect_status 200 "the list of every storage still answers"
expect_eq "$(jget '[(s["name"], s["available"], "error" in s) for s in d["data"]["storages"]]')" \
    '[["fs", true, false], ["tar", true, false], ["far", true, true], ["badkey", false, true]]' \
    "far's entry says why its backups are missing"
expect_eq "$(jget '[b["storage"] + "/" + b["name"] for b in d["data"]["backups"]]')" \
    '["fs/while-down.json"]' "the others' backups are listed, none of far's"

# ---- a wrong secret at start: 502 with S3's reason ---------------------------
api GET "$API?storage=badkey"
expect_status 502 "a list naming the storage with a wrong secret: 502"
case $(jget 'd["error"]') in
*"storage \"badkey\" is unavailable"*SignatureDoesNotMatch*"secret access key is wrong"*)
    ok "the error says the secret is wrong: $(jget 'd["error"]' | head -c 200)" ;;
*) fail "the error does not say the secret is wrong" ;;
esac
expect_eq "$(jget 'd["details"]["code"]')" 10 "STORAGE/EREFUSED (10) in details"

# ---- no secret anywhere -------------------------------------------------------
svc_leaks "$S3_SECRET $WRONG" "$STACK_RUN/far.headers" "$STACK_RUN/t.out" \
    "$STACK_RUN/t.log"
[ -s "$STACK_RUN/answers.log" ] && [ -s "$STACK_RUN/mbk-fcgi.log" ] &&
    [ "$LEAKS" -eq 0 ] &&
    ok "no secret in the answers, the responder's log, the audit log, nginx's logs" ||
    [ "$LEAKS" -ne 0 ] || fail "the answers or the responder's log are empty"

e2e_done
