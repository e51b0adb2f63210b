#!/bin/sh
# test_api.sh: every endpoint of /api/settings/backup and every error
# status, end to end: curl -> nginx (HTTPS, basic auth) -> mbk-fcgi ->
# the development MongoDB server; traversal attempts; no secret leaks.
. "$MBK_SRCDIR/tests/e2e/lib.sh"
e2e_start

# ---- list, auth, guards -------------------------------------------------
# A browser opening the page without a login: an HTML page that explains
# and offers to try again, with the challenge; the API stays JSON.
STATUS=$("$CURL" -sk -o "$BODY" -D "$STACK_RUN/h401" -w '%{http_code}' \
    -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' "$STACK_URL")
expect_eq "$STATUS" 401 "a page request without a login: 401"
grep -qi '^content-type: text/html' "$STACK_RUN/h401" &&
    grep -qi '^www-authenticate: Basic' "$STACK_RUN/h401" &&
    grep -q 'Try again' "$BODY" && ok "it is an HTML login page" ||
    fail "not the HTML login page: $(head -c 300 "$BODY")"
grep -qi '^content-security-policy:' "$STACK_RUN/h401" &&
    ok "the login page has the security headers" ||
    fail "the login page lacks the CSP"
STATUS=$("$CURL" -sk -o "$BODY" -w '%{http_code}' -H 'Accept: text/html' "$API")
expect_status 401 "the API without a login, even asked for HTML: 401"
expect_eq "$(jget 'd["success"]')" false "the API's 401 stays JSON"
api GET "$API"
expect_status 200 "GET lists the backups"
expect_eq "$(jget 'd["data"]["count"]')" 0 "no backups at first"

STATUS=$("$CURL" -sk -o "$BODY" -w '%{http_code}' "$API")
expect_status 401 "no login: 401 in JSON"
STATUS=$("$CURL" -sk -o "$BODY" -w '%{http_code}' -u "$STACK_USER:wrong" "$API")
expect_status 401 "a wrong password: 401"

STATUS=$("$CURL" -sk -o "$BODY" -w '%{http_code}' -u "$AUTH" -X POST \
    -H 'Content-Type: application/json' -d '{}' "$API")
expect_status 403 "POST without X-Requested-With: 403"
api POST "$API" -H 'Origin: https://evil.example' \
    -H 'Content-Type: application/json' -d '{}'
expect_status 403 "POST from another Origin: 403"

api PATCH "$API"
expect_status 405 "PATCH: 405"
allow=$("$CURL" -sk -o /dev/null -D - -u "$AUTH" -X PATCH "$API" |
    tr -d '\r' | sed -n 's/^allow: //Ip')
expect_eq "$allow" "GET, POST, PUT, DELETE" "405 names the allowed methods"
api GET "${STACK_URL}api/settings/nothing"
expect_status 404 "an unknown resource: 404"
hdr=$("$CURL" -sk -D - -o /dev/null -u "$AUTH" "$API" | tr -d '\r')
case $hdr in
*"x-content-type-options: nosniff"*"x-frame-options: DENY"*) ok "security headers" ;;
*) fail "security headers missing: $hdr" ;;
esac

# ---- create: validation -------------------------------------------------
J='Content-Type: application/json'
api POST "$API" -H "$J" -d '{"backupName":"a","colour":"red"}'
expect_status 400 "an unknown field: 400"
expect_eq "$(jget 'd["details"]["field"]')" colour "400 names the unknown field"
api POST "$API" -H "$J" -d '{"backupName":12}'
expect_status 400 "a number for a string: 400"
expect_eq "$(jget 'd["details"]["field"]')" backupName "400 names backupName"
api POST "$API" -H "$J" -d '{"backupName":"a","compression":"zip"}'
expect_status 400 "a value outside the enum: 400"
api POST "$API" -H "$J" -d '{"backupName":"../etc/x"}'
expect_status 400 "a backup name with a path: 400"
expect_eq "$(jget 'd["details"]["field"]')" backupName "400 names backupName (rule)"
# the engine's name rule answers before any job starts, async or not
api POST "$API" -H "$J" -d '{"backupName":"a b","async":true}'
expect_status 400 "an async backup with a bad name: 400, not a job"
expect_eq "$(jget 'd["details"]["field"]')" backupName "the async 400 names backupName"
api POST "$API" -H "$J" -d '{"backupName":"a.json","compression":"gzip","async":true}'
expect_status 400 "a .json name for a gzip backup: 400, not a job"
api POST "$API" -H "$J" -d '{"backupName":"a","description":"x\u0001y"}'
expect_status 400 "a control character: 400"
expect_eq "$(jget 'd["details"]["field"]')" description "400 names description"
api POST "$API" -H "$J" -d '{"backupName":"a","compression":"gzip","compressionLevel":13}'
expect_status 400 "a compressionLevel out of range: 400"
expect_eq "$(jget 'd["details"]["field"]')" compressionLevel "400 names compressionLevel"
api POST "$API" -H "$J" -d '{"backupName":"a",'
expect_status 400 "broken JSON: 400"
api POST "$API" -H 'Content-Type: text/plain' -d 'hello'
expect_status 415 "a text body: 415"
big=$("$PY" -c 'print("{\"description\":\"" + "x" * 70000 + "\"}")')
api POST "$API" -H "$J" -d "$big"
expect_status 413 "a JSON body over 64 KiB: 413"
api POST "$API" -H "$J" -d '{"backupName":"a","destinationPath":"/etc"}'
expect_status 400 "a destinationPath outside the allowed roots: 400"
expect_eq "$(jget 'd["details"]["field"]')" destinationPath \
    "400 names destinationPath"

# ---- create ---------------------------------------------------------------
api POST "$API" -H "$J" -d '{"backupName":"crm-e2e","description":"e2e",
    "compression":"gzip","compressionLevel":1,"includeIndexes":true,"storage":"fs"}'
expect_status 200 "POST creates a gzip backup"
expect_eq "$(jget 'd["data"]["file"]')" crm-e2e.json.gz "the file name"
docs=$(jget 'd["data"]["documentCount"]')
ncoll=$(jget 'len(d["data"]["collections"])')
[ "$docs" -gt 0 ] && [ "$ncoll" -gt 0 ] && ok "counts: $docs docs in $ncoll collections" ||
    fail "counts: $docs docs, $ncoll collections"
expect_eq "$(jget 'sum(c["documentCount"] for c in d["data"]["collections"].values())')" \
    "$docs" "per-collection counts add up"
[ -f "$STACK_RUN/backups/crm-e2e.json.gz" ] && ok "the file is in the fs root" ||
    fail "no $STACK_RUN/backups/crm-e2e.json.gz"

api POST "$API" -H "$J" -d '{"backupName":"crm-e2e","compression":"gzip"}'
expect_status 409 "the same name again: 409"

# ---- verify, and where backups may go ---------------------------------------
api POST "$API/verify?name=crm-e2e.json.gz&storage=fs"
expect_status 200 "verify re-reads a backup"
expect_eq "$(jget 'd["data"]["valid"] and d["data"]["digestsChecked"]')" true     "verify: valid, digests checked"
expect_eq "$(jget 'd["data"]["documentCount"]')" "$docs" "verify counts the documents"
cp "$STACK_RUN/backups/crm-e2e.json.gz" "$STACK_RUN/keep.gz"
printf 'x' | dd of="$STACK_RUN/backups/crm-e2e.json.gz" bs=1 seek=200     conv=notrunc 2>/dev/null
api POST "$API/verify?name=crm-e2e.json.gz"
expect_status 422 "verify of a damaged backup: 422"
mv "$STACK_RUN/keep.gz" "$STACK_RUN/backups/crm-e2e.json.gz"
api POST "$API/verify?name=no-such.json"
expect_status 404 "verify of a missing backup: 404"
api GET "$API/verify?name=crm-e2e.json.gz"
expect_status 405 "verify is a POST: 405"
api GET "$API"
expect_eq "$(jget '[(s["name"], s["default"], s["download"], s["remove"]) for s in d["data"]["storages"]]')" \
    '[["fs", true, "x-accel", true], ["tar", false, "stream", true]]' \
    "the list names its storages, the default, how each downloads"
expect_eq "$(jget 'any("location" in s or "/" in json.dumps(s) for s in d["data"]["storages"])')" \
    false "the storages' locations are not in the list"
expect_eq "$(jget 'len(d["data"]["allowedRoots"]) >= 1')" true     "the list names the allowed roots"

api POST "$API" -H "$J" -d '{"backupName":"crm-tar","storage":"tar",
    "generateTimestamp":true,"includeCollections":["*"]}'
expect_status 200 "POST into the tar storage"
tarfile=$(jget 'd["data"]["file"]')

mkdir -p "$STACK_RUN/roots/elsewhere"
api POST "$API" -H "$J" -d "{\"backupName\":\"crm-dest\",
    \"destinationPath\":\"$STACK_RUN/roots/elsewhere\"}"
expect_status 200 "POST into a destinationPath under an allowed root"
[ -f "$STACK_RUN/roots/elsewhere/crm-dest.json" ] && ok "the file is there" ||
    fail "no file under the destinationPath"

# ---- list ---------------------------------------------------------------
api GET "$API"
expect_status 200 "GET after the backups"
expect_eq "$(jget 'd["data"]["count"]')" 3 \
    "three backups listed (fs, tar and the destinationPath)"
dest=$(jget '[b["path"] for b in d["data"]["backups"] if b.get("path")][0]')
expect_eq "$(jget '[(b["name"], b["storage"]) for b in d["data"]["backups"] if b.get("path")]')" \
    '[["crm-dest.json", null]]' "the destinationPath backup is listed with its path"
[ "$dest" = "$(realpath "$STACK_RUN/roots/elsewhere")" ] &&
    ok "marked with where it is" || fail "its path: $dest"
expect_eq "$(jget '[b["documentCount"] for b in d["data"]["backups"] if b.get("path")][0]')" \
    "$docs" "with its metadata"
api GET "$API?path=$dest"
expect_eq "$(jget '[b["name"] for b in d["data"]["backups"]]')" \
    '["crm-dest.json"]' "?path= lists that place only"
STATUS=$("$CURL" -sk -o "$STACK_RUN/dl-dest.json" -w '%{http_code}' -u "$AUTH" \
    -G --data-urlencode "path=$dest" "$API/download?name=crm-dest.json")
expect_eq "$STATUS" 200 "download from the destinationPath (streamed)"
cmp -s "$STACK_RUN/dl-dest.json" "$STACK_RUN/roots/elsewhere/crm-dest.json" &&
    ok "the download is that file, byte for byte" || fail "it differs"
api POST "$API/verify?name=crm-dest.json&path=$dest"
expect_status 200 "verify a backup at its path"
expect_eq "$(jget 'd["data"]["valid"]')" true "it is sound"
for p in /etc "$dest/../../backups" "$STACK_RUN/backups"; do
    api GET "$API/download?name=crm-e2e.json.gz&path=$p"
    expect_status 400 "download from a path outside the roots '$p': 400"
done
api GET "$API/download?name=crm-e2e.json.gz&path=$STACK_RUN/roots"
expect_status 404 "download from a path under a root where no backup was written: 404"
api DELETE "$API?name=crm-e2e.json.gz&path=$STACK_RUN/backups"
expect_status 400 "delete through a path outside the roots: 400"
expect_eq "$(jget 'd["details"]["field"]')" path "400 names path"
api GET "$API/download?name=crm-dest.json&path=$dest&storage=fs"
expect_status 400 "path and storage together: 400"
api DELETE "$API?name=crm-dest.json&path=$dest"
expect_status 200 "delete the backup at its path"
[ ! -e "$STACK_RUN/roots/elsewhere/crm-dest.json" ] &&
    ok "the file is gone" || fail "the file is still there"
api GET "$API"
expect_eq "$(jget 'd["data"]["count"]')" 2 "two backups listed (fs and tar)"
expect_eq "$(jget '[b for b in d["data"]["backups"] if b["name"]=="crm-e2e.json.gz"][0]["documentCount"]')" \
    "$docs" "the listing has the document count"
expect_eq "$(jget '[b for b in d["data"]["backups"] if b["name"]=="crm-e2e.json.gz"][0]["digestStatus"]')" \
    present "the listing has the digest status"
api GET "$API?storage=tar"
expect_eq "$(jget 'd["data"]["backups"][0]["name"]')" "$tarfile" "?storage=tar"
api GET "$API?storage=s3"
expect_status 400 "?storage=s3: 400"
api GET "$API?colour=red"
expect_status 400 "an unknown query parameter: 400"

# ---- download -----------------------------------------------------------
STATUS=$("$CURL" -sk -o "$STACK_RUN/dl.gz" -w '%{http_code}' -u "$AUTH" \
    "$API/download?name=crm-e2e.json.gz")
expect_eq "$STATUS" 200 "download from fs (X-Accel-Redirect)"
cmp -s "$STACK_RUN/dl.gz" "$STACK_RUN/backups/crm-e2e.json.gz" &&
    ok "the download is the stored file, byte for byte" ||
    fail "the download differs from the stored file"
STATUS=$("$CURL" -sk -o "$STACK_RUN/dl.json" -w '%{http_code}' -u "$AUTH" \
    "$API/download?storage=tar&name=$tarfile")
expect_eq "$STATUS" 200 "download from tar (streamed)"
tar -xOf "$STACK_RUN/tar/backups.tar" "$tarfile" >"$STACK_RUN/member.json"
cmp -s "$STACK_RUN/dl.json" "$STACK_RUN/member.json" &&
    ok "the tar download is the member, byte for byte" ||
    fail "the tar download differs from the member"
api GET "$API/download?name=nope.json"
expect_status 404 "download of a missing backup: 404"
for bad in '../backups/crm-e2e.json.gz' '%2e%2e%2fetc%2fpasswd' \
    '..%2F..%2Fetc%2Fpasswd' '/etc/passwd' '%2Fetc%2Fpasswd' '.hidden'; do
    api GET "$API/download?name=$bad"
    expect_status 400 "download name '$bad' refused"
done
STATUS=$("$CURL" -sk -o /dev/null -w '%{http_code}' -u "$AUTH" \
    "${STACK_URL}_mbk_files/crm-e2e.json.gz")
expect_eq "$STATUS" 404 "the internal X-Accel location is not reachable"
STATUS=$("$CURL" -sk --path-as-is -o "$BODY" -w '%{http_code}' -u "$AUTH" \
    "${STACK_URL}api/settings/backup/../../../etc/passwd")
[ "$STATUS" = 400 ] || [ "$STATUS" = 404 ] && ok "a ../ URL: $STATUS" ||
    fail "a ../ URL: $STATUS"

# ---- restore: server file -----------------------------------------------
api PUT "$API" -H "$J" -d '{"backupName":"crm-e2e.json.gz",
    "targetDatabase":"crm_copy","dryRun":true}'
expect_status 200 "PUT dry run"
expect_eq "$(jget 'd["data"]["status"]')" dry-run "the dry run says so"
api PUT "$API" -H "$J" -d '{"backupName":"crm-e2e.json.gz",
    "targetDatabase":"crm_copy","dropExisting":true}'
expect_status 200 "PUT restores a stored backup"
expect_eq "$(jget 'd["data"]["inserted"]')" "$docs" "every document inserted"
api PUT "$API" -H "$J" -d '{"backupName":"crm-e2e.json.gz",
    "targetDatabase":"crm_copy","conflict":"skip"}'
expect_status 200 "PUT again, conflicts skipped"
expect_eq "$(jget 'd["data"]["skipped"]')" "$docs" "every document skipped"
# One report for both front ends (issue 13): the API's data carries what
# the server changed, and mbk restore --json gives the same object.
cp "$BODY" "$STACK_RUN/api-restore.json"
for k in reorderedByServer timestampsFilledByServer indexesConverted \
    cappedTarget errors; do
    expect_eq "$(jget "sorted(set('$k' in c for c in d['data']['collections'].values()))")" \
        '[true]' "the API's report has $k for each collection"
done
if MBK_URI=$STACK_MONGO_URI "$MBK_BUILDDIR/cli/mbk" restore crm-e2e.json.gz --json -q \
    --storage "fs:$STACK_RUN/backups" --target-db crm_copy --conflict skip >"$STACK_RUN/cli-restore.json"; then
    keys='[sorted(d["data"])] + sorted([k] + sorted(c) for k, c in d["data"]["collections"].items())'
    expect_eq "$(jget "$keys" "$STACK_RUN/cli-restore.json")" \
        "$(jget "$keys" "$STACK_RUN/api-restore.json")" \
        "mbk restore --json and the API answer with the same keys"
    expect_eq "$(jget 'd["data"]["skipped"]' "$STACK_RUN/cli-restore.json")" \
        "$docs" "mbk restore --json: every document skipped"
else
    fail "mbk restore --json failed: $(head -c 300 "$STACK_RUN/cli-restore.json")"
fi
api PUT "$API" -H "$J" -d '{"backupName":"nope.json"}'
expect_status 404 "PUT of a missing backup: 404"
api PUT "$API" -H "$J" -d '{"backupName":"crm-e2e.json.gz","targetDatabase":"a/b"}'
expect_status 400 "a bad database name: 400"
expect_eq "$(jget 'd["details"]["field"]')" targetDatabase "400 names targetDatabase"
api PUT "$API" -H "$J" -d '{"backupName":"crm-e2e.json.gz","collections":["$bad"]}'
expect_status 400 "a bad collection name: 400"

cp "$STACK_RUN/backups/crm-e2e.json.gz" "$STACK_RUN/roots/copy.json.gz"
api PUT "$API" -H "$J" -d "{\"path\":\"$STACK_RUN/roots/copy.json.gz\",
    \"targetDatabase\":\"crm_path\"}"
expect_status 200 "PUT of a file under an allowed root"
ln -s /etc/passwd "$STACK_RUN/roots/link.json"
ln -s "$STACK_RUN/backups" "$STACK_RUN/roots/linkdir"
for p in "$STACK_RUN/roots/../backups/crm-e2e.json.gz" /etc/passwd \
    "$STACK_RUN/roots/link.json" "$STACK_RUN/roots/linkdir/crm-e2e.json.gz" \
    "roots/copy.json.gz"; do
    api PUT "$API" -H "$J" -d "{\"path\":\"$p\",\"dryRun\":true}"
    expect_status 400 "path '$p' refused"
done
# JSON does not percent-decode: "%2e%2e" is a plain name, missing under
# the root: 404 (issue 11: a missing file under a root is not found).
p="$STACK_RUN/roots/%2e%2e/backups/crm-e2e.json.gz"
api PUT "$API" -H "$J" -d "{\"path\":\"$p\",\"dryRun\":true}"
expect_status 404 "path '$p': no such file under the root"

# ---- restore: uploads -----------------------------------------------------
api PUT "$API" -F "file=@$STACK_RUN/backups/crm-e2e.json.gz" \
    -F 'options={"targetDatabase":"crm_up","dryRun":true}'
expect_status 200 "multipart upload, dry run"
expect_eq "$(jget 'd["data"]["documentCount"]')" "$docs" "the upload was read whole"
api PUT "$API?targetDatabase=crm_up2&dropExisting=true" \
    -H 'Content-Type: application/gzip' \
    --data-binary "@$STACK_RUN/backups/crm-e2e.json.gz"
expect_status 200 "raw gzip upload with options in the query"
expect_eq "$(jget 'd["data"]["inserted"]')" "$docs" "the raw upload restored"
api PUT "$API?upload=true&dryRun=true" -H "$J" --data-binary "@$STACK_RUN/dl.json"
expect_status 200 "raw JSON upload"
printf '{"metadata":{"database":"x","collections":["a"]},"collections":{"a":[{"_id":1},' \
    >"$STACK_RUN/broken.json"
api PUT "$API?dryRun=true" -H 'Content-Type: application/gzip' \
    --data-binary "@$STACK_RUN/broken.json"
expect_status 422 "a broken backup file: 422"
"$PY" - "$STACK_RUN/member.json" "$STACK_RUN/tampered.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
name = next(n for n, docs in d["collections"].items() if docs)
d["collections"][name][0]["tampered"] = True
json.dump(d, open(sys.argv[2], "w"))
EOF
api PUT "$API?dryRun=true" -H 'Content-Type: application/gzip' \
    --data-binary "@$STACK_RUN/tampered.json"
expect_status 422 "a backup whose digest does not match: 422"
# validateOnly: the whole file checked, no MongoDB, no lock, no job; the
# upload kept once under an id for the restore that follows.
api GET "$API/jobs"
njobs=$(jget 'len(d["data"]["jobs"])')
api PUT "$API" -F "file=@$STACK_RUN/backups/crm-e2e.json.gz" \
    -F 'options={"validateOnly":true}'
expect_status 200 "validateOnly: a sound upload"
expect_eq "$(jget '[d["data"][k] for k in ("valid", "digestsChecked", "documentCount", "database")]')" \
    "[true, true, $docs, \"$STACK_DB\"]" "it says what it checked"
upid=$(jget 'd["data"]["uploadId"]')
api PUT "$API?validateOnly=true" -H 'Content-Type: application/gzip' \
    --data-binary "@$STACK_RUN/broken.json"
expect_status 422 "validateOnly: a broken file, 422"
api PUT "$API?validateOnly=true" -H 'Content-Type: application/gzip' \
    --data-binary "@$STACK_RUN/tampered.json"
expect_status 422 "validateOnly: a wrong digest, 422"
api GET "$API/jobs"
expect_eq "$(jget 'len(d["data"]["jobs"])')" "$njobs" "validateOnly made no job"
api PUT "$API" -H "$J" -d "{\"uploadId\":\"$upid\",\"targetDatabase\":\"crm_reuse\"}"
expect_status 200 "a restore of the validated upload by its id"
expect_eq "$(jget 'd["data"]["inserted"]')" "$docs" "it restored the upload"
api PUT "$API" -H "$J" -d "{\"uploadId\":\"$upid\",\"dryRun\":true}"
expect_status 200 "the id serves again until it expires"
api PUT "$API" -H "$J" -d '{"uploadId":"0123456789abcdef0123456789abcdef"}'
expect_status 404 "an unknown uploadId: 404"
expect_eq "$(jget 'd["details"]["field"]')" uploadId "404 names uploadId"
api PUT "$API" -H "$J" -d '{"uploadId":"../../etc/passwd"}'
expect_status 400 "an uploadId that is not one: 400"
api PUT "$API" -F "file=@$STACK_RUN/broken.json" -F 'options={"colour":1}'
expect_status 400 "multipart options with an unknown field: 400"
expect_eq "$(jget 'd["details"]["field"]')" colour "400 names the option"
api PUT "$API" -F 'options={"dryRun":true}'
expect_status 400 "multipart without a file: 400"
expect_eq "$(jget 'd["details"]["field"]')" file "400 names the file field"
api PUT "$API" -F "file=@$STACK_RUN/broken.json" -F 'colour=1'
expect_status 400 "an unknown form part: 400"
expect_eq "$(jget 'd["details"]["field"]')" colour "400 names the part"
api PUT "$API" -F "file=@$STACK_RUN/broken.json" -F 'options={}' \
    -F 'options={}'
expect_status 400 "options given twice: 400"
expect_eq "$(jget 'd["details"]["field"]')" options "400 names options"
api PUT "$API" -H 'Content-Type: text/csv' -d 'a,b'
expect_status 415 "a CSV body: 415"

# ---- stats, databases, health, audit, delete -------------------------------
api GET "$API/stats"
expect_status 200 "GET stats"
[ "$(jget 'len(d["data"]["collectionList"])')" -gt 0 ] &&
    ok "stats list the collections" || fail "stats without collections"
api GET "$API/databases"
expect_status 200 "GET databases"
expect_eq "$(jget '"crm_copy" in d["data"]["databases"] and d["data"]["default"] == "'"$STACK_DB"'"')" \
    true "the databases include the restored copy and name the default"
expect_eq "$(jget 'any(x in d["data"]["databases"] for x in ("admin", "local", "config"))')" \
    false "MongoDB's own databases are not offered"
api GET "$API/stats?database=crm_copy"
expect_status 200 "GET stats of another database"
expect_eq "$(jget 'd["data"]["database"]')" crm_copy "the statistics of crm_copy"
api GET "$API/stats?database=admin"
expect_status 400 "stats of admin: 400"
api GET "$API/stats?database=a/b"
expect_status 400 "stats of a bad name: 400"
expect_eq "$(jget 'd["details"]["field"]')" database "400 names database"
api GET "$API/health"
expect_status 200 "GET health"
expect_eq "$(jget '(d["data"]["ok"], d["data"]["mongo"]["reachable"], bool(d["data"]["mongo"]["version"]), [s["ok"] for s in d["data"]["storages"]])')" \
    "(True, True, True, [True, True])" "health: MongoDB and both storages ok"
api DELETE "$API?name=crm-e2e.json.gz"
expect_status 200 "DELETE a backup"
api DELETE "$API?name=crm-e2e.json.gz"
expect_status 404 "DELETE it again: 404"
api GET "$API/audit?limit=100"
expect_status 200 "GET the audit log"
expect_eq "$(jget 'sorted(set(e["operation"] for e in d["data"]["entries"]))')" \
    '["backup", "delete", "download", "dry-run", "restore", "validate", "verify"]' \
    "the audit log has every kind of operation"
expect_eq "$(jget 'set(e.get("user") for e in d["data"]["entries"])')" \
    '{'"'"'mbk'"'"'}' "every audit line names the user"
api GET "$API/audit?operation=delete"
expect_eq "$(jget 'd["data"]["total"]')" 3 "the audit filter (3 deletes)"
api GET "$API/audit?limit=0"
expect_status 400 "audit limit 0: 400"
# grep's own failure (status 2: a file it could not read) or nothing to
# search fails the check: only status 1 means "not found".
set --
for f in "$STACK_RUN"/*.log "$STACK_RUN"/*.json; do
    if [ -f "$f" ]; then set -- "$@" "$f"; fi
done
if [ $# -eq 0 ]; then
    fail "no log to search for the password in $STACK_RUN"
else
    rc=0
    grep -qF -- "$STACK_PASSWORD" "$@" || rc=$?
    case $rc in
    0) fail "the password appears in a log" ;;
    1) ok "the password is in no log ($# files)" ;;
    *) fail "grep could not search the logs for the password (status $rc)" ;;
    esac
fi

# ---- jobs -----------------------------------------------------------------
api GET "$API?job=0123456789abcdef"
expect_status 404 "an unknown job: 404"
api GET "$API?job=zz"
expect_status 400 "a malformed job id: 400"
api POST "$API" -H "$J" -d '{"backupName":"crm-async","async":true}'
expect_status 202 "POST async: 202"
job=$(jget 'd["data"]["jobId"]')
e2e_wait_job "$job"
expect_eq "$JOB_STATE" done "the job ran to the end"
expect_eq "$(jget 'd["data"]["result"]["file"]')" crm-async.json "the job's result"
expect_eq "$(jget 'd["data"]["docsDone"] > 0')" true "the job counted documents"
api POST "$API/jobs/cancel?id=$job"
expect_status 409 "canceling a finished job: 409"
api GET "$API/jobs"
expect_status 200 "GET the job list"
api PUT "$API" -H "$J" -d '{"backupName":"crm-async.json",
    "targetDatabase":"crm_jobs","dryRun":true}'
expect_status 200 "a dry run, to see it in the job list"
api GET "$API/jobs"
expect_eq "$(jget '[[j.get(k) for k in ("dryRun", "source", "backupName", "targetDatabase", "user", "state")] for j in d["data"]["jobs"] if j["kind"] == "restore"][0]')" \
    '[true, "storage", "crm-async.json", "crm_jobs", "mbk", "done"]' \
    "a restore job says dryRun, source, targetDatabase and user"
expect_eq "$(jget 'sorted(set(("indexesDone" in j and "indexesTotal" in j) for j in d["data"]["jobs"]))')" \
    '[true]' "every job has indexesDone and indexesTotal"
api PUT "$API" -H "$J" -d '{"backupName":"crm-async.json",
    "targetDatabase":"crm_jobs"}'
expect_status 200 "a restore that builds indexes"
api GET "$API/jobs"
expect_eq "$(jget '[[j["indexesDone"] == j["indexesTotal"] and j["indexesTotal"] > 0, j["dryRun"]] for j in d["data"]["jobs"] if j["kind"] == "restore"][0]')" \
    '[true, false]' "its indexes counted, every one built"

# ---- the database goes away ---------------------------------------------
if [ -n "$STACK_MONGO_PORT" ]; then
    MBK_DEVSERVER_RUNDIR=$STACK_RUN \
        "$MBK_SRCDIR/tests/mongo-dev-server/stop" "$STACK_MONGO_PORT" >/dev/null
    api GET "$API/stats"
    expect_status 503 "MongoDB unreachable: 503"
    api GET "$API/health"
    expect_status 200 "GET health with MongoDB down"
    expect_eq "$(jget '(d["data"]["ok"], d["data"]["mongo"]["reachable"], bool(d["data"]["mongo"]["error"]))')" \
        "(False, False, True)" "health says MongoDB is unreachable, and why"
    STACK_MONGO_PORT=
fi
e2e_done
