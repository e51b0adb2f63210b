#!/bin/sh
# test_rgw.sh: the S3 test harness itself, against a real RADOS Gateway
# (Ceph, Debian 12): tests/s3/rgw-cluster starts a single-node cluster, curl
# with its built-in Signature V4 does what the S3 plugin will do (bucket,
# PUT, GET, ListObjectsV2 pages, a multipart upload by hand, abort), the
# errors the plugin must report (wrong secret, unknown key, missing bucket
# or key, payload hash mismatch, clock skew), the signing facts of Debian's
# curl 7.88 and the gateway's (part sizes, Content-MD5, ranges, metadata,
# virtual-host style) are checked, then tests/s3/faultproxy.py fails every
# third request and a retried GET still gets the object.  The cluster is stopped on every
# exit path and no daemon may outlive it.
# Exit 0 pass, 1 fail, 77 skip (not root, packages missing, or the
# sanitizer pass: this test runs no mbk code).

. "$MBK_SRCDIR/tests/s3/lib.sh"

if [ "${MBK_SANITIZERS:-no}" = yes ]; then
    skip "slow tier: runs in the first pass only (no mbk code runs in it)"
fi
rgw_require

# check DESCRIPTION CMD...: ok when CMD succeeds.
check() {
    _d=$1
    shift
    if "$@"; then ok "$_d"; else fail "$_d"; fi
}

PROXY_PID=
on_exit() {
    _st=$?
    [ "$FAILS" -eq 0 ] || _st=1
    if [ -n "$PROXY_PID" ]; then
        kill "$PROXY_PID" 2>/dev/null || true
    fi
    rgw_cleanup "$_st"
    exit $?
}
trap on_exit EXIT
trap 'exit 1' INT TERM HUP

rgw_start || { echo "not ok - the cluster did not start"; FAILS=1; exit 1; }
ok "cluster started in ${S3_STARTED_IN} s: $AWS_ENDPOINT_URL"
W=$RGW_DIR/work
mkdir -p "$W"

# expect WHAT STATUS [CODE]: the last answer had STATUS and S3 error CODE.
expect() {
    if [ "$STATUS" = "$2" ] && { [ $# -lt 3 ] ||
        grep -q "<Code>$3</Code>" "$S3_BODY"; }; then
        ok "$1: $STATUS${3:+ $3}"
    else
        fail "$1: expected $2${3:+ $3}, got $STATUS: $(head -c 300 "$S3_BODY")"
    fi
}
# xml TAG: the text of every <TAG> in the last body, one a line.
xml() {
    "$PY" -c 'import re, sys
for m in re.findall(r"<%s>(.*?)</%s>" % (sys.argv[1], sys.argv[1]),
                    open(sys.argv[2]).read(), re.S):
    print(m)' "$1" "$S3_BODY"
}
header() {
    tr -d '\r' < "$S3_HEADERS" | sed -n "s/^$1: //Ip" | tail -n 1
}
# complete_xml ETAG...: the CompleteMultipartUpload body for parts 1, 2...
complete_xml() {
    printf '<CompleteMultipartUpload>'
    _n=0
    for _e in "$@"; do
        _n=$((_n + 1))
        printf '<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>' "$_n" "$_e"
    done
    printf '</CompleteMultipartUpload>'
}
urlencode() {
    "$PY" -c 'import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1], safe="-_.~"))' "$1"
}

E=$AWS_ENDPOINT_URL
S3_REGION=$AWS_REGION
B=mbk-harness
CURL_IS_788=no
"$CURL" --version | head -n 1 | grep -q '^curl 7\.88\.' && CURL_IS_788=yes

# --- buckets and objects
s3 PUT "$E/$B"
expect "create bucket $B" 200
head -c 100000 /dev/urandom > "$W/obj"
s3 PUT "$E/$B/dir/obj" -T "$W/obj"
expect "PUT an object of 100000 bytes" 200
s3 GET "$E/$B/dir/obj"
expect "GET it back" 200
check "the bytes are equal" cmp -s "$S3_BODY" "$W/obj"
s3 HEAD "$E/$B/dir/obj" -I
check "HEAD gives its length" [ "$(header Content-Length)" = 100000 ]

# The payload hash, signed: the gateway checks it against the body.
sum=$(sha256sum "$W/obj" | cut -d' ' -f1)
S3_PAYLOAD=$sum
s3 PUT "$E/$B/dir/hashed" -T "$W/obj"
expect "PUT with the body's SHA-256 as x-amz-content-sha256" 200
S3_PAYLOAD=$(printf x | sha256sum | cut -d' ' -f1)
s3 PUT "$E/$B/dir/bad" -T "$W/obj"
S3_PAYLOAD=UNSIGNED-PAYLOAD
expect "PUT with a wrong x-amz-content-sha256" 400 XAmzContentSHA256Mismatch

# --- ListObjectsV2, two pages (canonical query: keys sorted, values encoded)
for i in 1 2 3 4 5 6; do
    printf '%s' "$i" > "$W/small"
    s3 PUT "$E/$B/list/k$i" -T "$W/small"
    [ "$STATUS" = 200 ] || fail "PUT list/k$i: $STATUS"
done
s3 GET "$E/$B?list-type=2&max-keys=5&prefix=list%2F"
expect "ListObjectsV2 ?list-type=2&max-keys=5&prefix=list%2F" 200
check "first page: 5 keys, truncated" [ "$(xml Key | tr '\n' ' ')" = \
    "list/k1 list/k2 list/k3 list/k4 list/k5 " ] && [ "$(xml IsTruncated)" = true ]
token=$(xml NextContinuationToken)
s3 GET "$E/$B?continuation-token=$(urlencode "$token")&list-type=2&max-keys=5&prefix=list%2F"
expect "second page with continuation-token" 200
check "second page: the last key, not truncated" [ "$(xml Key)" = list/k6 ] &&
    [ "$(xml IsTruncated)" = false ]
s3 GET "$E/$B?delimiter=%2F&list-type=2"
expect "ListObjectsV2 with delimiter=%2F" 200
check "common prefixes dir/ and list/" [ "$(xml Prefix | grep / | tr '\n' ' ')" = "dir/ list/ " ]

# Debian 12's curl 7.88 puts the query into the canonical request as it is
# written: unsorted, a bare key without '=', or a '/' not encoded, and the
# signature is wrong.  (Another curl may get these right: then only noted.)
if [ "$CURL_IS_788" = yes ]; then
    STATUS=$("$CURL" -sS -o "$S3_BODY" -w '%{http_code}' \
        --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$S3_KEY:$S3_SECRET" \
        "$E/$B/dir/obj")
    expect "curl 7.88 without x-amz-content-sha256: the gateway assumes UNSIGNED-PAYLOAD" \
        403 SignatureDoesNotMatch
fi
for q in 'max-keys=5&list-type=2' 'uploads' 'list-type=2&prefix=list/'; do
    s3 GET "$E/$B?$q"
    if [ "$CURL_IS_788" = yes ]; then
        expect "curl 7.88 mis-signs ?$q" 403 SignatureDoesNotMatch
    else
        echo "# ?$q with $("$CURL" --version | head -n 1 | cut -d' ' -f1,2): $STATUS"
    fi
done

# --- multipart upload by hand: two parts (5 MiB, the minimum but for the
# last part, then 1000 bytes), complete with XML, HEAD for the ETag.
head -c 5242880 /dev/urandom > "$W/p1"
head -c 1000 /dev/urandom > "$W/p2"
s3 POST "$E/$B/multi?uploads="
expect "initiate multipart upload (?uploads=)" 200
id=$(xml UploadId)
check "an UploadId" [ -n "$id" ]
uid=$(urlencode "$id")
s3 PUT "$E/$B/multi?partNumber=1&uploadId=$uid" -T "$W/p1"
expect "upload part 1" 200
etag1=$(header ETag)
s3 PUT "$E/$B/multi?partNumber=2&uploadId=$uid" -T "$W/p2"
expect "upload part 2" 200
etag2=$(header ETag)
complete_xml "$etag1" "$etag2" > "$W/complete.xml"
s3 POST "$E/$B/multi?uploadId=$uid" --data-binary "@$W/complete.xml"
expect "complete multipart upload" 200
check "CompleteMultipartUploadResult names the key" [ "$(xml Key)" = multi ]
# S3 answers the object's ETag here; this gateway answers an empty one.
check "the gateway's Complete answer has an empty ETag (finding)" \
    grep -q '<ETag></ETag>' "$S3_BODY"
want=$("$PY" -c 'import hashlib, sys
print(hashlib.md5(b"".join(bytes.fromhex(e.strip(chr(34)))
                          for e in sys.argv[1:])).hexdigest())' "$etag1" "$etag2")
s3 HEAD "$E/$B/multi" -I
check "HEAD gives the multipart ETag (MD5 of the part MD5s)-2" \
    [ "$(header ETag)" = "\"$want-2\"" ]
s3 GET "$E/$B/multi"
cat "$W/p1" "$W/p2" > "$W/whole"
check "GET gives both parts' bytes" cmp -s "$S3_BODY" "$W/whole"

# An upload left open, listed, then aborted: what the plugin's cleanup does.
s3 POST "$E/$B/left?uploads="
expect "initiate a second upload" 200
lid=$(xml UploadId)
s3 GET "$E/$B?uploads="
check "ListMultipartUploads shows the open upload" [ "$(xml UploadId)" = "$lid" ]
s3 DELETE "$E/$B/left?uploadId=$(urlencode "$lid")"
expect "abort it" 204
s3 GET "$E/$B?uploads="
check "no upload left open" [ -z "$(xml UploadId)" ] && [ "$STATUS" = 200 ]

# --- what the plugin can rely on from this gateway
# Parts but the last must be 5 MiB or more: checked at Complete.
s3 POST "$E/$B/small?uploads="
sid=$(urlencode "$(xml UploadId)")
s3 PUT "$E/$B/small?partNumber=1&uploadId=$sid" -T "$W/obj"
expect "a part of 100000 bytes is taken" 200
etag1=$(header ETag)
s3 PUT "$E/$B/small?partNumber=2&uploadId=$sid" -T "$W/obj"
etag2=$(header ETag)
complete_xml "$etag1" "$etag2" > "$W/complete.xml"
s3 POST "$E/$B/small?uploadId=$sid" --data-binary "@$W/complete.xml"
expect "a first part of 100000 bytes is refused at Complete" 400 EntityTooSmall
s3 DELETE "$E/$B/small?uploadId=$sid"
expect "abort that upload" 204
# Integrity: Content-MD5 is checked; x-amz-checksum-sha256 (S3's newer
# checksums) is not implemented by this gateway (16.2) and is ignored.
s3 PUT "$E/$B/md5" -T "$W/obj" -H "Content-MD5: $(openssl md5 -binary "$W/obj" | base64)"
expect "PUT with the right Content-MD5" 200
s3 PUT "$E/$B/md5" -T "$W/obj" -H 'Content-MD5: AAAAAAAAAAAAAAAAAAAAAA=='
expect "PUT with a wrong Content-MD5" 400 BadDigest
s3 PUT "$E/$B/cksum" -T "$W/obj" \
    -H 'x-amz-checksum-sha256: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
expect "a wrong x-amz-checksum-sha256 is ignored (not implemented)" 200
# Ranged GET, as verify and restore will resume.
s3 GET "$E/$B/dir/obj" -r 1000-1999
expect "ranged GET" 206
tail -c +1001 "$W/obj" | head -c 1000 > "$W/range"
check "the range's bytes" cmp -s "$S3_BODY" "$W/range"
# User metadata up to S3's 2 KB comes back on HEAD.
meta=$(head -c 1400 /dev/urandom | base64 -w0 | head -c 1900)
s3 PUT "$E/$B/meta" -T "$W/small" -H "x-amz-meta-mbk: $meta"
expect "PUT with 1900 bytes of user metadata" 200
s3 HEAD "$E/$B/meta" -I
check "HEAD gives the metadata back" [ "$(header x-amz-meta-mbk)" = "$meta" ]
# The region of the signature is not checked against the zone group.
AWS_REGION=eu-west-9
s3 GET "$E/$B/dir/obj"
AWS_REGION=$S3_REGION
expect "a signature for another region is accepted" 200
# Virtual-host addressing (rgw dns name = localhost).
s3 GET "http://$B.localhost:${E##*:}/dir/obj"
expect "virtual-host style GET http://$B.localhost:PORT/dir/obj" 200
check "its bytes" cmp -s "$S3_BODY" "$W/obj"

# --- errors as the plugin must report them
s3 GET "$E/$B/dir/obj" -H 'X-Amz-Date: 20200101T000000Z'
expect "a request dated 2020 (clock skew)" 403 RequestTimeTooSkewed
S3_SECRET=0000000000000000000000000000000000000000
s3 GET "$E/$B/dir/obj"
S3_SECRET=$AWS_SECRET_ACCESS_KEY
expect "wrong secret" 403 SignatureDoesNotMatch
S3_KEY=NOSUCHKEY0000000000
s3 GET "$E/$B/dir/obj"
S3_KEY=$AWS_ACCESS_KEY_ID
expect "unknown access key" 403 InvalidAccessKeyId
s3 GET "$E/no-such-bucket/x"
expect "missing bucket" 404 NoSuchBucket
s3 GET "$E/no-such-bucket?list-type=2"
expect "listing a missing bucket" 404 NoSuchBucket
s3 GET "$E/$B/no/such/key"
expect "missing key" 404 NoSuchKey

# --- the fault proxy: every third request answered 503 SlowDown
"$PY" "$MBK_SRCDIR/tests/s3/faultproxy.py" --upstream "$E" --every 3 \
    --port-file "$W/proxy.port" --pid-file "$W/proxy.pid" \
    > /dev/null 2> "$W/proxy.log" &
PROXY_PID=$!
end=$(($(date +%s) + 120))
while [ ! -s "$W/proxy.port" ] && kill -0 "$PROXY_PID" 2>/dev/null &&
    [ "$(date +%s)" -lt "$end" ]; do
    sleep 0.1
done
check "the fault proxy listens" [ -s "$W/proxy.port" ]
P=http://127.0.0.1:$(cat "$W/proxy.port" 2>/dev/null)
s3 GET "$P/$B/dir/obj"
expect "through the proxy, request 1" 200
s3 GET "$P/$B/dir/obj"
expect "request 2" 200
s3 GET "$P/$B/dir/obj"
expect "request 3 fails" 503 SlowDown
s3 GET "$P/$B/dir/obj"
expect "request 4" 200
s3 PUT "$P/$B/dir/viaproxy" -T "$W/obj"
expect "request 5, a PUT (signature made for the proxy's address)" 200
s3 GET "$P/$B/dir/obj" --retry 3
expect "request 6 fails, curl --retry sends 7" 200
check "the retried GET has the bytes" cmp -s "$S3_BODY" "$W/obj"
check "the proxy answered 6 with 503 and 7 with 200" \
    grep -q '^faultproxy: 6 GET .* -> 503$' "$W/proxy.log" &&
    grep -q '^faultproxy: 7 GET .* -> 200$' "$W/proxy.log"
kill "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null
PROXY_PID=

# --- what it costs (figures for README.md, not assertions)
for n in mon.a osd.0 client.rgw.gw; do
    pid=$(cat "$RGW_DIR/cluster/run/$n.pid")
    echo "# $n pid $pid: $(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$pid/status")"
done
echo "# disk: $(du -sh "$RGW_DIR/cluster" | cut -f1) in $RGW_DIR/cluster"

# --- stop: gateway, OSD, monitor; nothing may be left
if rgw_stop; then
    ok "cluster stopped, no daemon left"
else
    fail "cluster stopped, no daemon left"
fi
if [ -z "$(ls "$RGW_DIR/cluster/run/"*.pid 2>/dev/null)" ]; then
    ok "no PID file left"
else
    fail "PID files left: $(ls "$RGW_DIR/cluster/run")"
fi

echo "1..$TESTS"
[ "$FAILS" -eq 0 ]
