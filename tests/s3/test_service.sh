#!/bin/sh
# test_service.sh: an s3 storage through the service, end to end: nginx,
# mbk-fcgi over its socket, the development MongoDB server (or
# MBK_TEST_MONGO_URI) and a fresh Ceph RADOS Gateway.  Two s3 storages in
# the responder's list, one with its keys in a credentials file, one with
# them inline; create, list, download (streamed: the bytes equal the
# object's, the responder's peak memory grows far less than the object),
# verify, restore, delete; a secret rotated under the running service gives
# 502 with its message; configuration errors that can never work (a
# missing credentials file or fs directory, an unknown plugin) still stop
# the start with a message naming the storage; no secret in any answer,
# log or audit line.
# Exit 0 pass, 1 fail, 77 skip (not root, Ceph, nginx or python3 missing;
# the sanitizer pass: the plugin's own tests run there, this one once).

. "$MBK_SRCDIR/tests/s3/lib.sh"
rgw_require
[ "${MBK_SANITIZERS:-no}" != yes ] ||
    skip "the service test runs once, in the plain pass (the s3 plugin's own tests run under the sanitizers)"
# tests/e2e/lib.sh: the stack, api, jget, expect_*; its ok/fail replace
# lib.sh's (same TAP lines) and its EXIT trap is replaced below.
. "$MBK_SRCDIR/tests/e2e/lib.sh"

trap 'svc_cleanup $?; exit $?' EXIT
trap 'exit 1' INT TERM HUP

rgw_start || { echo "the cluster did not start" >&2; exit 1; }
EP=$AWS_ENDPOINT_URL
B=mbk-svc
s3 PUT "$EP/$B"
expect_eq "$STATUS" 200 "bucket $B made"
# The responder gets its keys from its configuration only.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL
OLD_SECRET=$S3_SECRET
(umask 077 && printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$S3_KEY" "$S3_SECRET" > "$STACK_RUN/s3-credentials")
STACK_FCGI_EXTRA="storage = s3 s3://$B/e2e/nightly endpoint=$EP region=$AWS_REGION credentials_file=$STACK_RUN/s3-credentials
storage = s3inline s3://$B/e2e/inline endpoint=$EP region=$AWS_REGION access_key_id=$S3_KEY secret_access_key=$S3_SECRET"
export STACK_FCGI_EXTRA
e2e_start
J='Content-Type: application/json'

# ---- the storage list ---------------------------------------------------
api GET "$API"
expect_status 200 "GET lists the storages"
expect_eq "$(jget '[(s["name"], s["download"], s["remove"], "url-location" in s["capabilities"]) for s in d["data"]["storages"] if s["name"].startswith("s3")]')" \
    '[["s3", "stream", true, true], ["s3inline", "stream", true, true]]' \
    "both s3 storages listed, streamed downloads, removable"

# ---- create -------------------------------------------------------------
api POST "$API" -H "$J" -d '{"backupName":"crm-s3","storage":"s3",
    "compression":"gzip","description":"through the service"}'
expect_status 200 "POST creates a gzip backup in s3"
expect_eq "$(jget 'd["data"]["file"]')" crm-s3.json.gz "its file name"
expect_eq "$(jget 'd["data"]["storage"]')" s3 "the answer names the storage"
docs=$(jget 'd["data"]["documentCount"]')
if [ "$docs" -gt 0 ] 2>/dev/null; then ok "$docs documents"; else fail "documentCount '$docs'"; fi
api POST "$API" -H "$J" -d '{"backupName":"crm-inline","storage":"s3inline"}'
expect_status 200 "POST creates a plain backup in s3inline"
s3 GET "$EP/$B?list-type=2&prefix=e2e%2F"
grep -q '<Key>e2e/nightly/crm-s3.json.gz</Key>' "$S3_BODY" &&
    grep -q '<Key>e2e/inline/crm-inline.json</Key>' "$S3_BODY" &&
    ok "the gateway holds both objects under their prefixes" ||
    fail "the bucket's listing lacks an object: $(head -c 600 "$S3_BODY")"
api POST "$API" -H "$J" -d '{"backupName":"crm-s3","storage":"s3","compression":"gzip"}'
expect_status 409 "the same name again in s3: 409"

# ---- list ---------------------------------------------------------------
api GET "$API?storage=s3"
expect_status 200 "GET ?storage=s3"
expect_eq "$(jget '[(b["name"], b["storage"], b["documentCount"], b["description"]) for b in d["data"]["backups"]]')" \
    "[[\"crm-s3.json.gz\", \"s3\", $docs, \"through the service\"]]" \
    "the s3 listing shows the backup with its metadata"
api GET "$API"
expect_eq "$(jget 'sorted(b["storage"] + "/" + b["name"] for b in d["data"]["backups"] if b["storage"].startswith("s3"))')" \
    '["s3/crm-s3.json.gz", "s3inline/crm-inline.json"]' "GET lists the s3 backups with the others"

# ---- download: the object's bytes, streamed --------------------------------
s3 GET "$EP/$B/e2e/nightly/crm-s3.json.gz"
cp "$S3_BODY" "$STACK_RUN/object.gz"
STATUS=$("$CURL" -sk -D "$STACK_RUN/dl.headers" -o "$STACK_RUN/dl.gz" \
    -w '%{http_code}' -u "$AUTH" "$API/download?storage=s3&name=crm-s3.json.gz")
expect_eq "$STATUS" 200 "download from s3"
cmp -s "$STACK_RUN/dl.gz" "$STACK_RUN/object.gz" &&
    ok "the download is the object, byte for byte ($(wc -c < "$STACK_RUN/dl.gz") bytes)" ||
    fail "the download differs from the object"
grep -qi '^content-disposition: attachment; filename="crm-s3.json.gz"' \
    "$STACK_RUN/dl.headers" && ok "served as an attachment" ||
    fail "no attachment header: $(cat "$STACK_RUN/dl.headers")"
# A 128 MiB object: the responder streams it (its peak resident memory
# grows far less than the object) with its length, byte for byte.
head -c $((128 * 1048576)) /dev/urandom > "$STACK_RUN/big.json"
s3 PUT "$EP/$B/e2e/nightly/big.json" -T "$STACK_RUN/big.json"
expect_eq "$STATUS" 200 "a 128 MiB object put beside the backups"
FPID=$(cat "$STACK_RUN/mbk-fcgi.pid")
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$FPID/status"; }
h0=$(hwm)
STATUS=$("$CURL" -sk -D "$STACK_RUN/big.headers" -o "$STACK_RUN/big.dl" \
    -w '%{http_code}' -u "$AUTH" "$API/download?storage=s3&name=big.json")
h1=$(hwm)
expect_eq "$STATUS" 200 "download of the 128 MiB object"
cmp -s "$STACK_RUN/big.dl" "$STACK_RUN/big.json" &&
    ok "the large download is the object, byte for byte" ||
    fail "the large download differs ($(wc -c < "$STACK_RUN/big.dl") bytes)"
grep -qi "^content-length: $((128 * 1048576))" "$STACK_RUN/big.headers" &&
    ok "with its Content-Length" || fail "no Content-Length: $(cat "$STACK_RUN/big.headers")"
if [ -n "$h0" ] && [ -n "$h1" ] && [ $((h1 - h0)) -lt 65536 ]; then
    ok "streamed: the responder's peak RSS grew $(((h1 - h0) / 1024)) MiB for 128 MiB ($h0 -> $h1 KiB)"
else
    fail "the responder's peak RSS grew from '$h0' to '$h1' KiB for a 128 MiB download"
fi
rm -f "$STACK_RUN/big.json" "$STACK_RUN/big.dl"
s3 DELETE "$EP/$B/e2e/nightly/big.json"

# ---- verify, restore -----------------------------------------------------
api POST "$API/verify?name=crm-s3.json.gz&storage=s3"
expect_status 200 "verify reads the backup from s3"
expect_eq "$(jget 'd["data"]["valid"] and d["data"]["digestsChecked"]')" true \
    "verify: valid, digests checked"
expect_eq "$(jget 'd["data"]["documentCount"]')" "$docs" "verify counts the documents"
api PUT "$API" -H "$J" -d '{"backupName":"crm-s3.json.gz","storage":"s3",
    "targetDatabase":"crm_s3copy","dropExisting":true}'
expect_status 200 "PUT restores from s3"
expect_eq "$(jget 'd["data"]["inserted"]')" "$docs" "every document inserted"
api PUT "$API" -H "$J" -d '{"backupName":"crm-inline.json","storage":"s3inline",
    "targetDatabase":"crm_s3copy","conflict":"skip"}'
expect_status 200 "PUT restores from s3inline over the copy"
expect_eq "$(jget 'd["data"]["skipped"]')" "$docs" "every document already there"

# ---- delete ----------------------------------------------------------------
api DELETE "$API?name=crm-s3.json.gz&storage=s3"
expect_status 200 "DELETE removes the s3 backup"
api GET "$API?storage=s3"
expect_eq "$(jget 'd["data"]["count"]')" 0 "the s3 storage lists nothing"
s3 HEAD "$EP/$B/e2e/nightly/crm-s3.json.gz" -I
expect_eq "$STATUS" 404 "the object is gone from the gateway"
api DELETE "$API?name=crm-s3.json.gz&storage=s3"
expect_status 404 "DELETE again: 404"

# ---- the secret rotated under the running service --------------------------
NEW_SECRET=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
timeout 120 radosgw-admin -c "$RGW_DIR/cluster/ceph.conf" key create \
    --uid=mbk --key-type=s3 --access-key="$S3_KEY" \
    --secret-key="$NEW_SECRET" > "$STACK_RUN/key-create.json" 2>&1 &&
    ok "the gateway's secret changed (radosgw-admin key create)" ||
    fail "radosgw-admin key create: $(head -c 300 "$STACK_RUN/key-create.json")"
rm -f "$STACK_RUN/key-create.json"
S3_SECRET=$NEW_SECRET
api GET "$API?storage=s3"
expect_status 502 "a list with a secret the gateway refuses: 502"
case $(jget 'd["error"]') in
*SignatureDoesNotMatch*"secret access key is wrong"*)
    ok "the error says the secret is wrong: $(jget 'd["error"]' | head -c 160)" ;;
*) fail "the error does not say the secret is wrong" ;;
esac
api POST "$API" -H "$J" -d '{"backupName":"refused","storage":"s3inline"}'
case $STATUS in
5*) ok "a backup with the old secret fails ($STATUS)" ;;
*) fail "a backup with the old secret: $STATUS" ;;
esac
s3 GET "$EP/$B?list-type=2&prefix=e2e%2Finline%2Frefused"
grep -q '<Key>' "$S3_BODY" && fail "the refused backup left an object" ||
    ok "the refused backup left no object"

# ---- configuration errors that can never work still stop the start ---------
# (a wrong secret at start keeps the responder running: test_outage.sh)
# bad_start WHAT LINE PATTERN: mbk-fcgi with the storage line LINE instead of
# the s3 ones must exit non-zero with a message matching PATTERN.
bad_start() {
    sed -e "s|^listen = .*|listen = unix:$STACK_RUN/bad.sock|" \
        -e "s|^log = .*|log = $STACK_RUN/bad.log|" \
        -e "/^storage = s3/d" \
        "$STACK_RUN/mbk-fcgi.conf" > "$STACK_RUN/bad.conf"
    echo "$2" >> "$STACK_RUN/bad.conf"
    rm -f "$STACK_RUN/bad.log"
    timeout 300 "$MBK_BUILDDIR/fcgi/mbk-fcgi" -c "$STACK_RUN/bad.conf" \
        < /dev/null > "$STACK_RUN/bad.out" 2>&1
    _rc=$?
    if [ "$_rc" -ne 0 ] && [ "$_rc" -ne 124 ]; then
        ok "mbk-fcgi with $1 does not start (exit $_rc)"
    else
        fail "mbk-fcgi with $1: exit $_rc"
    fi
    cat "$STACK_RUN/bad.log" >> "$STACK_RUN/bad.out" 2>/dev/null
    cat "$STACK_RUN/bad.out" >> "$STACK_RUN/bad.all"
    grep -q "$3" "$STACK_RUN/bad.out" &&
        ok "its message: $(grep "$3" "$STACK_RUN/bad.out" | head -c 200)" ||
        fail "its message: $(head -c 400 "$STACK_RUN/bad.out")"
}
bad_start "a missing credentials file" \
    "storage = nocred s3://$B/e2e/x endpoint=$EP region=$AWS_REGION credentials_file=$STACK_RUN/absent-credentials" \
    'storage "nocred".*absent-credentials'
bad_start "a missing fs directory" "storage = gone fs:$STACK_RUN/absent-dir" \
    'storage "gone"'
bad_start "an unknown plugin" "storage = odd nosuch:/x" 'storage "odd"'

# ---- no secret anywhere -------------------------------------------------------
svc_leaks "$OLD_SECRET $NEW_SECRET" "$STACK_RUN/bad.all" "$STACK_RUN/dl.headers"
[ -s "$STACK_RUN/audit.log" ] && [ -s "$STACK_RUN/answers.log" ] &&
    [ "$LEAKS" -eq 0 ] &&
    ok "no secret in the answers, the responder's log, the audit log, nginx's logs" ||
    [ "$LEAKS" -ne 0 ] || fail "the audit log or the answers are empty"
grep -q '"download"' "$STACK_RUN/audit.log" && ok "the downloads are audited" ||
    fail "no download in the audit log"

e2e_done
