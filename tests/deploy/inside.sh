#!/bin/sh
# inside.sh: what an administrator does on a Debian 12 server, run inside
# the booted container by tests/deploy/test_deploy.sh: install the package
# with apt, follow the README's "Deploying on Debian", use the service
# through nginx over HTTPS with basic auth (its own site, then the snippet
# under /mbk/ in another server), restart, rotate the logs, remove, purge.
# TAP on stdout; exits 1 when a check failed.  POSIX sh.
#
# In: /root/deploy/mbk.deb, the development MongoDB server's unit
# mbk-test-mongo.service (the test's own), DEPLOY_PASSWORD.
set -u
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
PW=${DEPLOY_PASSWORD:?}
FAILS=0
N=0
OUT=/root/deploy/out
mkdir -p "$OUT"

ok() { N=$((N + 1)); echo "ok $N - $*"; }
fail() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N - $*"; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
    _d=$1
    shift
    if "$@" >"$OUT/check.log" 2>&1; then
        ok "$_d"
    else
        fail "$_d (exit $?): $*"
        sed 's/^/#   /' "$OUT/check.log" | tail -n 30
    fi
}
expect_eq() { # expect_eq GOT WANT DESCRIPTION
    if [ "$1" = "$2" ]; then ok "$3"; else fail "$3: got '$1', want '$2'"; fi
}
# mode owner:group of a path, as stat prints them.
perm() { stat -c '%a %U:%G' "$1" 2>&1; }
# Wait up to $2 seconds for command $1 (a string for eval) to succeed.
wait_for() {
    _end=$(($(date +%s) + $2))
    while ! eval "$1" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$_end" ] || return 1
        sleep 0.2
    done
}

# ---- curl through nginx, as a browser or a script would -----------------
CA=/root/deploy/ca.pem
HOST=mbk.test
OTHER=other.test
STATUS=
# call URL [curl options...]: body in $OUT/body, headers in $OUT/headers,
# status in $STATUS.
call() {
    _url=$1
    shift
    STATUS=$(curl -sS --cacert "$CA" --resolve "$HOST:443:127.0.0.1" \
        --resolve "$OTHER:8443:127.0.0.1" -o "$OUT/body" -D "$OUT/headers" \
        -w '%{http_code}' "$@" "$_url") || STATUS="curl failed ($?)"
}
api() { # api METHOD URL [curl options...], logged in
    _m=$1
    _u=$2
    shift 2
    call "$_u" -u "admin:$PW" -X "$_m" -H 'X-Requested-With: deploy-test' "$@"
}
jget() { python3 -c "import json,sys; d=json.load(open('$OUT/body')); print($1)" 2>&1; }
header() { tr -d '\r' <"$OUT/headers" | sed -n "s/^$1: //Ip" | tail -n 1; }
# The security headers every answer of mbk's locations carries.
security_headers() { # security_headers WHAT
    _miss=
    grep -qi '^strict-transport-security: max-age=' "$OUT/headers" || _miss="$_miss HSTS"
    _csp=$(header content-security-policy)
    case $_csp in
    *"default-src 'self'"*"frame-ancestors 'none'"*) ;;
    *) _miss="$_miss CSP" ;;
    esac
    case $_csp in *unsafe-inline*) _miss="$_miss CSP-unsafe-inline" ;; esac
    [ "$(header x-frame-options)" = DENY ] || _miss="$_miss X-Frame-Options"
    [ "$(header x-content-type-options)" = nosniff ] || _miss="$_miss nosniff"
    [ "$(header referrer-policy)" = no-referrer ] || _miss="$_miss Referrer-Policy"
    # Each once: the responder's own are replaced, not doubled.
    _dup=$(tr -d '\r' <"$OUT/headers" | cut -d: -f1 | tr 'A-Z' 'a-z' |
        grep -E '^(strict-transport-security|content-security-policy|x-frame-options|x-content-type-options|referrer-policy)$' |
        sort | uniq -d)
    if [ -z "$_miss" ] && [ -z "$_dup" ]; then
        ok "security headers on $1"
    else
        fail "security headers on $1: missing$_miss; twice: $_dup"
        sed 's/^/#   /' "$OUT/headers"
    fi
}

echo "# ---- install the package"
check "apt-get install ./mbk.deb" apt-get install -y -q --no-install-recommends \
    /root/deploy/mbk.deb
for f in /usr/bin/mbk /usr/sbin/mbk-fcgi /usr/share/mbk/www/index.html \
    /usr/share/man/man1/mbk.1.gz /usr/share/man/man8/mbk-fcgi.8.gz \
    /etc/nginx/sites-available/mbk /etc/nginx/snippets/mbk-prefix.conf \
    /etc/nginx/snippets/mbk-headers.conf /etc/nginx/conf.d/mbk.conf \
    /usr/share/doc/mbk/README.md.gz /usr/share/doc/mbk/README.fcgi.md.gz \
    /usr/share/doc/mbk/README.nginx.md; do
    check "installed: $f" test -f "$f"
done
check "plugins in the multiarch directory" sh -c '
    dpkg -L mbk | grep -qx "/usr/lib/$(uname -m)-linux-gnu/mbk/mbk_storage_fs.so" &&
    dpkg -L mbk | grep -qx "/usr/lib/$(uname -m)-linux-gnu/mbk/mbk_storage_tar.so"'
check "/etc/mbk/mbk-fcgi.conf is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}' mbk | grep -q ' /etc/mbk/mbk-fcgi.conf '"
check "the site is not enabled" test ! -e /etc/nginx/sites-enabled/mbk
check "nginx -t passes with the package installed" nginx -t
check "mbk-fcgi.socket enabled" systemctl is-enabled mbk-fcgi.socket
check "mbk-fcgi.service enabled" systemctl is-enabled mbk-fcgi.service
check "mbk-fcgi.socket listening" systemctl is-active mbk-fcgi.socket
check "man mbk-fcgi is readable" sh -c 'zcat /usr/share/man/man8/mbk-fcgi.8.gz | grep -q proxy_secret_file'

echo "# ---- the permission model"
expect_eq "$(perm /etc/mbk/mbk-fcgi.conf)" "640 root:mbk" "mbk-fcgi.conf root:mbk 0640"
expect_eq "$(perm /etc/mbk/proxy-secret)" "640 root:mbk" "proxy-secret root:mbk 0640"
expect_eq "$(perm /etc/mbk/nginx-proxy-secret.conf)" "600 root:root" \
    "nginx-proxy-secret.conf root:root 0600"
expect_eq "$(perm /etc/mbk/htpasswd)" "640 root:www-data" "htpasswd root:www-data 0640"
secret=$(head -n 1 /etc/mbk/proxy-secret)
expect_eq "$(printf %s "$secret" | tr -d '0-9a-f' | wc -c) ${#secret}" "0 64" \
    "the proxy secret is 64 hex characters"
check "nginx passes the same secret" \
    grep -qx "fastcgi_param MBK_PROXY_SECRET \"$secret\";" /etc/mbk/nginx-proxy-secret.conf
expect_eq "$(perm /var/lib/mbk)" "710 mbk:www-data" "/var/lib/mbk mbk:www-data 0710"
expect_eq "$(perm /var/lib/mbk/backups)" "2750 mbk:www-data" "backups mbk:www-data 2750"
expect_eq "$(perm /var/lib/mbk/spool)" "700 mbk:mbk" "spool mbk:mbk 0700"
expect_eq "$(perm /run/mbk)" "710 root:www-data" "/run/mbk root:www-data 0710"
expect_eq "$(perm /run/mbk/mbk-fcgi.sock)" "660 mbk:www-data" "the socket mbk:www-data 0660"
check "mbk cannot read nginx's copy of the secret" \
    sh -c '! setpriv --reuid mbk --regid mbk --init-groups cat /etc/mbk/nginx-proxy-secret.conf'
check "www-data cannot read the responder's configuration" \
    sh -c '! setpriv --reuid www-data --regid www-data --init-groups cat /etc/mbk/mbk-fcgi.conf'
check "www-data cannot list /var/lib/mbk" \
    sh -c '! setpriv --reuid www-data --regid www-data --init-groups ls /var/lib/mbk'
check "www-data cannot enter the spool" \
    sh -c '! setpriv --reuid www-data --regid www-data --init-groups ls /var/lib/mbk/spool'
check "nobody cannot enter the state directory" \
    sh -c '! setpriv --reuid nobody --regid nogroup --clear-groups ls /var/lib/mbk/backups'

echo "# ---- the units"
check "systemd-analyze verify mbk-fcgi.socket mbk-fcgi.service (man: above)" sh -c '
    out=$(systemd-analyze verify --man=no /lib/systemd/system/mbk-fcgi.socket \
        /lib/systemd/system/mbk-fcgi.service 2>&1); rc=$?
    printf "%s\n" "$out"; [ $rc -eq 0 ] && [ -z "$out" ]'
systemd-analyze security --no-pager mbk-fcgi.service >"$OUT/security" 2>&1
sed 's/^/# /' "$OUT/security" | grep -E '✗|Overall' | head -n 40
exposure=$(sed -n 's/.*Overall exposure level for mbk-fcgi.service: *\([0-9.]*\).*/\1/p' "$OUT/security")
echo "# systemd-analyze security mbk-fcgi.service: exposure $exposure"
check "systemd-analyze security gives an exposure level" test -n "$exposure"

echo "# ---- README: Deploying on Debian"
check "the test's MongoDB (development server) starts" systemctl start mbk-test-mongo
check "... and answers" wait_for \
    "python3 /opt/mbk-test/mongo-dev-server/devserver.py --ping --port 27017" 300
# The certificate an administrator already has (here self-signed).
check "a certificate for $HOST and $OTHER" openssl req -x509 -newkey ec \
    -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=$HOST" \
    -addext "subjectAltName=DNS:$HOST,DNS:$OTHER" \
    -keyout /root/deploy/key.pem -out /root/deploy/cert.pem
cp /root/deploy/cert.pem "$CA"
sed -i 's|^mongo_uri = .*|mongo_uri = mongodb://127.0.0.1:27017/|; s|^db = .*|db = crm|' \
    /etc/mbk/mbk-fcgi.conf
# The user's role, where the responder has roles (issue 11's roles key,
# documented in the packaged configuration).
if grep -q '^#roles = ' /etc/mbk/mbk-fcgi.conf; then
    echo 'roles = admin:admin' >>/etc/mbk/mbk-fcgi.conf
fi
check "mbk-fcgi -t accepts the configuration" \
    runuser -u mbk -- mbk-fcgi -t -c /etc/mbk/mbk-fcgi.conf
printf 'mongo_uri = x\nno_such_key = 1\n' >/tmp/mbk-bad.conf
chmod 0644 /tmp/mbk-bad.conf
runuser -u mbk -- mbk-fcgi -t -c /tmp/mbk-bad.conf >"$OUT/bad" 2>&1 </dev/null
bad_rc=$?
if [ $bad_rc -ne 0 ] && grep -q 'mbk-bad.conf:2: unknown key "no_such_key"' "$OUT/bad"; then
    ok "mbk-fcgi -t names the file, line and key that are wrong"
else
    fail "mbk-fcgi -t on a bad key: exit $bad_rc, $(cat "$OUT/bad")"
fi
check "systemctl restart mbk-fcgi" systemctl restart mbk-fcgi
printf 'admin:%s\n' "$(openssl passwd -apr1 "$PW")" >>/etc/mbk/htpasswd
sed -i -e "s|server_name backup.example.org;|server_name $HOST;|" \
    -e "s|/etc/letsencrypt/live/backup.example.org/fullchain.pem|/root/deploy/cert.pem|" \
    -e "s|/etc/letsencrypt/live/backup.example.org/privkey.pem|/root/deploy/key.pem|" \
    /etc/nginx/sites-available/mbk
ln -s ../sites-available/mbk /etc/nginx/sites-enabled/mbk
check "nginx -t with the site enabled" nginx -t
check "systemctl reload nginx" systemctl reload nginx
URL=https://$HOST
API=$URL/api/settings/backup
check "nginx answers on 443" wait_for "curl -s -o /dev/null --cacert $CA --resolve $HOST:443:127.0.0.1 $URL/" 120

echo "# ---- through nginx: its own site"
call "$URL/"
expect_eq "$STATUS" 401 "the page without a login: 401"
expect_eq "$(jget 'd["success"]')" False "the 401 is the JSON envelope"
security_headers "a 401"
call "$URL/" -H 'Accept: text/html,*/*;q=0.8'
expect_eq "$STATUS $(header content-type)" "401 text/html; charset=utf-8" \
    "a browser's page request without a login: the HTML login page"
check "it offers to try again" grep -q 'Try again' "$OUT/body"
security_headers "the HTML 401"
call "$API" -H 'Accept: text/html'
expect_eq "$(jget 'd["success"]')" False "the API's 401 stays JSON"
call "$URL/" -u "admin:wrong"
expect_eq "$STATUS" 401 "a wrong password: 401"
call "$URL/" -u "admin:$PW"
expect_eq "$STATUS" 200 "the page loads"
check "it is mbk's page" grep -q 'js/app.js' "$OUT/body"
security_headers "the page"
call "$URL/js/api.js" -u "admin:$PW"
expect_eq "$STATUS" 200 "a script of the page"
security_headers "a script"
call "$URL/css/app.css" -u "admin:$PW"
security_headers "a style sheet"
api GET "$API"
expect_eq "$STATUS" 200 "list"
expect_eq "$(jget 'd["data"]["database"]')" crm "the list names the database"
security_headers "an API answer"
api POST "$API" -H 'Content-Type: application/json' \
    -d '{"backupName":"deploy","compression":"gzip","generateTimestamp":false}'
expect_eq "$STATUS" 200 "create a backup"
file=$(jget 'd["data"]["file"]')
expect_eq "$file" deploy.json.gz "the backup's file"
expect_eq "$(perm "/var/lib/mbk/backups/$file")" "640 mbk:www-data" \
    "the backup is mbk:www-data 0640 (nginx may read it)"
api GET "$API"
check "the list shows it" grep -q '"deploy.json.gz"' "$OUT/body"
api GET "$API/download?name=$file"
expect_eq "$STATUS" 200 "download"
check "the download is the stored file, byte for byte" \
    cmp "$OUT/body" "/var/lib/mbk/backups/$file"
check "the download went through X-Accel (no X-Accel-Redirect leaked)" \
    sh -c "! grep -qi '^x-accel-redirect' '$OUT/headers'"
security_headers "a download"
cp "$OUT/body" /root/deploy/upload.json.gz
api PUT "$API" -F "file=@/root/deploy/upload.json.gz" \
    -F 'options={"targetDatabase":"crm_restored","dropExisting":true}'
expect_eq "$STATUS" 200 "upload restore"
expect_eq "$(jget 'd["data"]["status"]')" ok "the upload was restored"
check "mbk (the command) lists the backup with the packaged plugins" \
    sh -c "runuser -u mbk -- mbk list --storage fs:/var/lib/mbk/backups | grep -q deploy"
call "$URL/api/settings/backup" -u "admin:$PW" -X POST -H 'Content-Type: application/json' -d '{}'
expect_eq "$STATUS" 403 "create without X-Requested-With: 403 (the responder's guard)"
call "$URL/_mbk_files/$file" -u "admin:$PW"
expect_eq "$STATUS" 404 "the internal download location is not reachable by URL"
expect_eq "$(jget 'd["success"]')" False "... and answers in the envelope"
call "$URL/index.html" -u "admin:$PW" -X POST -d x
expect_eq "$STATUS" 405 "POST to the page: 405"
expect_eq "$(header content-type)" application/json "nginx's 405 is JSON"
security_headers "nginx's 405"
long=$(head -c 9000 /dev/zero | tr '\0' a)
call "$URL/$long" --http1.1 -u "admin:$PW"
expect_eq "$STATUS" 414 "an over-long URI: 414"
expect_eq "$(jget 'd["success"]')" False "nginx's 414 is the envelope"
big=$(head -c 17000 /dev/zero | tr '\0' a)
call "$URL/" --http1.1 -u "admin:$PW" -H "X-Big: $big"
expect_eq "$STATUS" 400 "over-large request headers: 400"
expect_eq "$(jget 'd["success"]')" False "nginx's 494 is the envelope"
reply=$(printf 'GARBAGE\r\n\r\n' | timeout 60 openssl s_client -quiet -connect 127.0.0.1:443 \
    -servername "$HOST" 2>/dev/null | tr -d '\r')
case $reply in
"HTTP/1.1 400"*'"success":false'*) ok "a malformed request: 400 in the envelope" ;;
*) fail "a malformed request: $(printf %s "$reply" | head -c 300)" ;;
esac
api DELETE "$API?name=$file"
expect_eq "$STATUS" 200 "delete"
check "the deleted backup is gone" test ! -e "/var/lib/mbk/backups/$file"

echo "# ---- the snippet under /mbk/ in another server"
cat >/etc/nginx/sites-available/other <<EOF
server {
    listen 8443 ssl http2;
    server_name $OTHER;
    ssl_certificate /root/deploy/cert.pem;
    ssl_certificate_key /root/deploy/key.pem;
    location / {
        default_type text/plain;
        return 200 "the administrator's own site\n";
    }
    # The test's own door into the internal download location, to try
    # what nginx itself does with a symbolic link there.
    location /probe/ {
        rewrite ^/probe/(.*)\$ /_mbk_files/\$1 last;
    }
    include snippets/mbk-prefix.conf;
}
EOF
ln -s ../sites-available/other /etc/nginx/sites-enabled/other
check "nginx -t with the snippet included" nginx -t
check "systemctl reload nginx" systemctl reload nginx
P=https://$OTHER:8443
check "nginx answers on 8443" wait_for "curl -s -o /dev/null --cacert $CA --resolve $OTHER:8443:127.0.0.1 $P/" 120
call "$P/"
expect_eq "$(cat "$OUT/body")" "the administrator's own site" "the server's own location is untouched"
call "$P/mbk/"
expect_eq "$STATUS" 401 "/mbk/ without a login: 401"
security_headers "a 401 under /mbk/"
call "$P/mbk/" -H 'Accept: text/html'
check "/mbk/ without a login, from a browser: the HTML login page" \
    grep -q 'Try again' "$OUT/body"
call "$P/mbk" -u "admin:$PW"
expect_eq "$STATUS $(header location)" "301 $P/mbk/" "/mbk redirects to /mbk/"
call "$P/mbk/" -u "admin:$PW"
expect_eq "$STATUS" 200 "the page under /mbk/"
check "it is mbk's page" grep -q 'js/app.js' "$OUT/body"
security_headers "the page under /mbk/"
call "$P/mbk/js/api.js" -u "admin:$PW"
security_headers "a script under /mbk/"
check "the page computes the API's path from its own location" \
    grep -q "new URL('api/settings/backup', document.baseURI)" "$OUT/body"
PA=$P/mbk/api/settings/backup
api POST "$PA" -H 'Content-Type: application/json' \
    -d '{"backupName":"prefixed","generateTimestamp":false}'
expect_eq "$STATUS" 200 "create under /mbk/"
api GET "$PA"
check "list under /mbk/ shows it" grep -q '"prefixed.json"' "$OUT/body"
security_headers "an API answer under /mbk/"
api GET "$PA/download?name=prefixed.json"
expect_eq "$STATUS" 200 "download under /mbk/"
check "the download under /mbk/ is the stored file" \
    cmp "$OUT/body" /var/lib/mbk/backups/prefixed.json
call "$P/probe/prefixed.json"
expect_eq "$STATUS" 200 "nginx (www-data) reads a backup in the X-Accel location"
ln -s prefixed.json /var/lib/mbk/backups/swapped.json
call "$P/probe/swapped.json"
expect_eq "$STATUS" 403 "a symbolic link swapped into the backups is not followed (disable_symlinks)"
expect_eq "$(jget 'd["success"]')" False "... answered in the envelope"
rm -f /var/lib/mbk/backups/swapped.json
api DELETE "$PA?name=prefixed.json"
expect_eq "$STATUS" 200 "delete under /mbk/"

echo "# ---- restart and logs"
api POST "$API" -H 'Content-Type: application/json' \
    -d '{"backupName":"kept","generateTimestamp":false}'
expect_eq "$STATUS" 200 "create the backup that must survive"
check "systemctl restart mbk-fcgi" systemctl restart mbk-fcgi
api GET "$API"
check "after a restart the backup is listed" grep -q '"kept.json"' "$OUT/body"
check "the socket survives restarts (nothing shut it down)" \
    systemctl is-active -q mbk-fcgi.socket
check "every stop was clean (SIGTERM, no timeout, no SIGKILL)" sh -c \
    "! journalctl -b --no-pager -u mbk-fcgi.service | grep -E 'timed out|SIGKILL|POLLHUP'"
mv /var/log/mbk/mbk-fcgi.log /var/log/mbk/mbk-fcgi.log.1
mv /var/log/mbk/audit.log /var/log/mbk/audit.log.1
check "systemctl reload mbk-fcgi (SIGHUP)" systemctl reload mbk-fcgi
check "SIGHUP reopened the error log" \
    wait_for "grep -q 'logs reopened' /var/log/mbk/mbk-fcgi.log" 120
api POST "$API" -H 'Content-Type: application/json' \
    -d '{"backupName":"after-hup","generateTimestamp":false}'
check "the audit log was reopened" grep -q after-hup /var/log/mbk/audit.log
check "the old audit log is no longer written" sh -c '! grep -q after-hup /var/log/mbk/audit.log.1'

echo "# ---- password guessing is slowed"
# One curl, many requests on one connection with a wrong password: far
# faster than the 10 requests/s (burst 50) mbk-auth.conf allows a client.
urls=
i=0
while [ $i -lt 300 ]; do urls="$urls $URL/api/settings/backup"; i=$((i + 1)); done
# shellcheck disable=SC2086
curl -s --cacert "$CA" --resolve "$HOST:443:127.0.0.1" -u admin:guess \
    -w '%{http_code}\n' -o /dev/null $urls >"$OUT/guesses" 2>&1
check "guessing passwords is answered 429 once over the limit" grep -qx 429 "$OUT/guesses"
i=0
STATUS=
while [ "$STATUS" != 429 ] && [ $i -lt 500 ]; do
    call "$URL/api/settings/backup" -u admin:guess
    i=$((i + 1))
done
expect_eq "$STATUS" 429 "a guess right after the burst: 429"
expect_eq "$(jget 'd["error"]')" "too many requests: slow down" "the 429 is the envelope"
security_headers "a 429"
check "the limit lifts: the right password works again" \
    wait_for "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert $CA --resolve $HOST:443:127.0.0.1 -u 'admin:$PW' $URL/api/settings/backup)\" = 200 ]" 300

echo "# ---- remove and purge"
rm -f /etc/nginx/sites-enabled/other  # the administrator's include goes first
check "apt-get remove mbk" apt-get remove -y -q mbk
check "the service is stopped" sh -c '! systemctl is-active -q mbk-fcgi.service'
check "the socket is stopped" sh -c '! systemctl is-active -q mbk-fcgi.socket'
check "remove keeps the backups" test -f /var/lib/mbk/backups/kept.json
check "remove keeps the configuration" test -f /etc/mbk/mbk-fcgi.conf
check "nginx -t after remove (site still enabled)" nginx -t
check "apt-get purge mbk" apt-get purge -y -q mbk
check "purge keeps the backups" test -f /var/lib/mbk/backups/kept.json
check "purge removes the secrets" test ! -e /etc/mbk/proxy-secret -a ! -e /etc/mbk/nginx-proxy-secret.conf
check "purge removes the configuration" test ! -e /etc/mbk/mbk-fcgi.conf
check "nginx -t after purge" nginx -t
check "nginx still runs" sh -c 'systemctl reload nginx && systemctl is-active -q nginx'

echo "1..$N"
echo "# $FAILS of $N failed"
[ "$FAILS" -eq 0 ]
