#!/bin/sh
# test_crash.sh: the responder killed (SIGKILL) in the middle of a restore
# with drop existing, through nginx: the target database is exactly as
# before (only staging collections were touched), and the next start of
# the responder removes what the dead run left.
. "$MBK_SRCDIR/tests/e2e/lib.sh"
e2e_start
J='Content-Type: application/json'

# The target's state: every collection's digest, from a backup made now
# (the engine's own content digests; staging collections are left out).
digests() {
    api POST "$API" -H "$J" -d "{\"backupName\":\"snap-$1\",\"compression\":\"none\",
        \"excludeCollections\":[\"__mbk_staging*\"]}"
    [ "$STATUS" = 200 ] || { fail "snapshot backup $1: $STATUS"; return; }
    jget 'sorted((k, v["documentCount"], v["sha256"]) for k, v in d["data"]["collections"].items())'
}

# A large upload (80 MB), so that the restore is still inserting when it
# is killed, even on a fast machine (a restore runs at ~75k documents/s).
big=$STACK_RUN/big.json
"$PY" - "$big" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('{"metadata":{"database":"crm","collections":["users","big"]},'
            '"collections":{"users":[{"_id":"replaced"}],"big":[')
    for i in range(250000):
        f.write(("," if i else "") + '{"_id":%d,"pad":"%s"}' % (i, "y" * 300))
    f.write("]}}")
PYEOF

before=$(digests before)
case $before in
*'"users", 200, '*) ok "the target's digests before: $(printf '%s' "$before" | head -c 80)..." ;;
*) fail "no digests of the target before: $before" ;;
esac
api PUT "$API?targetDatabase=crm&dropExisting=true&async=true" -H "$J" \
    --data-binary "@$big"
expect_status 202 "an async restore with drop existing: 202"
job=$(jget 'd["data"]["jobId"]')
deadline=$(($(date +%s) + 600))    # generous: the loop ends on the state
while [ "$(date +%s)" -lt "$deadline" ]; do
    api GET "$API?job=$job"
    [ "$(jget 'd["data"]["phase"] == "restoring" and d["data"]["docsDone"] > 1000')" = true ] && break
    [ "$(jget 'd["data"]["state"]')" = running ] || break
    sleep 0.02    # the poll's pace
done
expect_eq "$(jget 'd["data"]["state"]')" running "the restore is running when killed"
pid=$(cat "$STACK_RUN/mbk-fcgi.pid")
kill -KILL "$pid"
stack_wait "! kill -0 $pid" 6000 && ok "the responder is killed" || fail "it is still running"

# Start it again, as a service manager would.
rm -f "$STACK_RUN/mbk-fcgi.sock"
"$MBK_BUILDDIR/fcgi/mbk-fcgi" -c "$STACK_RUN/mbk-fcgi.conf" \
    </dev/null 2>>"$STACK_RUN/mbk-fcgi.log" &
echo $! >"$STACK_RUN/mbk-fcgi.pid"
stack_wait "test -S '$STACK_RUN/mbk-fcgi.sock'" 6000 && ok "the responder starts again" ||
    fail "the responder did not start again"
# Its recovery runs in the background: wait for the leftovers to go.
left=unknown
deadline=$(($(date +%s) + 600))
while [ "$(date +%s)" -lt "$deadline" ]; do
    api GET "$API/stats"
    if [ "$STATUS" = 200 ]; then
        left=$(jget '[c["name"] for c in d["data"]["collectionList"] if c["name"].startswith("__mbk")]')
        [ "$left" = "[]" ] && break
    fi
    sleep 0.1    # the poll's pace
done
expect_eq "$left" "[]" "the next start removed the staging collections"
grep -q "recovered what crashed restores left" "$STACK_RUN/mbk-fcgi.log" &&
    ok "the responder's log says what it recovered" ||
    fail "no recovery line in the log"
after=$(digests after)
expect_eq "$after" "$before" "the target is exactly as before (every collection's digest)"
api GET "$API/stats"
expect_eq "$(jget '[c["name"] for c in d["data"]["collectionList"] if c["name"] == "big"]')" \
    "[]" "nothing of the killed restore is in the target"
e2e_done
