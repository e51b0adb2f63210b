#!/bin/sh
# test_badinput.sh: bad request headers, end to end (the category the
# other suites try least): logins that are not one, cross-site markers
# missing or forged, content types the API does not take.  Each must get
# its status in the JSON envelope and change nothing.
. "$MBK_SRCDIR/tests/e2e/lib.sh"
e2e_start
J='Content-Type: application/json'

# raw STATUS from curl without the helpers' login and X-Requested-With.
raw() {
    STATUS=$("$CURL" -sk -o "$BODY" -w '%{http_code}' "$@")
}

# ---- logins --------------------------------------------------------------
raw -H 'Authorization: Basic !!!notbase64' "$API"
expect_status 401 "Authorization Basic with garbage: 401"
raw -H 'Authorization: Bearer abc' "$API"
expect_status 401 "Authorization Bearer: 401"
raw -u "$STACK_USER:" "$API"
expect_status 401 "the right user, an empty password: 401"
raw -u "nobody:$STACK_PASSWORD" "$API"
expect_status 401 "another user with the password: 401"

# ---- cross-site guards ---------------------------------------------------
raw -u "$AUTH" -X PUT -H "$J" -d '{"backupName":"x.json","dryRun":true}' "$API"
expect_status 403 "PUT without X-Requested-With: 403"
raw -u "$AUTH" -X DELETE "$API?name=x.json"
expect_status 403 "DELETE without X-Requested-With: 403"
api POST "$API" -H 'Origin: null' -H "$J" -d '{"backupName":"o1"}'
expect_status 403 "POST with Origin null: 403"
api POST "$API" -H "Origin: https://127.0.0.1.evil.example" -H "$J" \
    -d '{"backupName":"o2"}'
expect_status 403 "POST with a look-alike Origin: 403"

# ---- content types -------------------------------------------------------
api POST "$API" -d 'backupName=f1'
expect_status 415 "a form-urlencoded body: 415"
api POST "$API" -H 'Content-Type: application/xml' -d '<b/>'
expect_status 415 "an XML body: 415"
api PUT "$API?dryRun=true" -H 'Content-Type: image/png' --data-binary 'x'
expect_status 415 "an image as a restore upload: 415"
api PUT "$API" -H 'Content-Type: multipart/form-data' --data-binary 'x'
expect_status 400 "multipart without a boundary: 400"

# Nothing above made a backup.
api GET "$API"
expect_eq "$(jget 'd["data"]["count"]')" 0 "no backup was made by a refused request"

# The host with another scheme is another origin.
api POST "$API" -H "Origin: http://127.0.0.1:$STACK_PORT" -H "$J" \
    -d '{"backupName":"o3"}'
expect_status 403 "POST with the host's Origin but http: 403"
e2e_done
