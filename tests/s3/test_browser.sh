#!/bin/sh
# test_browser.sh: the page with an s3 storage: tests/browser/test_browser.sh
# (the local stack, headless Chromium) running tests/browser/s3.mjs, with
# the storage "s3" in the responder's list on a fresh Ceph RADOS Gateway
# (its keys in a credentials file): the choice offers s3, a backup made to
# it is listed, verified, downloaded as the gateway holds it.
# Exit 0 pass, 1 fail, 77 skip (not root, Ceph, chromium, node missing;
# the sanitizer pass: it runs once, in the plain pass).

. "$MBK_SRCDIR/tests/s3/lib.sh"
rgw_require
[ "${MBK_SANITIZERS:-no}" != yes ] ||
    skip "the page with s3 runs once, in the plain pass"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
    skip "no chromium (apt-get install chromium)"
trap 'rgw_cleanup $?; exit $?' EXIT
trap 'exit 1' INT TERM HUP

rgw_start || { echo "the cluster did not start" >&2; exit 1; }
B=mbk-page
s3 PUT "$AWS_ENDPOINT_URL/$B"
[ "$STATUS" = 200 ] || { echo "creating bucket $B: $STATUS" >&2; exit 1; }
(umask 077 && printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$S3_KEY" "$S3_SECRET" > "$RGW_DIR/s3-credentials")
STACK_FCGI_EXTRA="storage = s3 s3://$B/page endpoint=$AWS_ENDPOINT_URL region=$AWS_REGION credentials_file=$RGW_DIR/s3-credentials"
# s3.mjs compares the download with the object: `sh -c CMD object NAME`.
S3_PAGE_URL=$AWS_ENDPOINT_URL/$B/page
MBK_S3_OBJECT_CMD='"$CURL" -sS --fail --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$S3_KEY:$S3_SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_PAGE_URL/$1"'
MBK_BROWSER_RUN=$MBK_SRCDIR/tests/browser/s3.mjs
MBK_BROWSER_OUT=$MBK_BUILDDIR/tests/browser/out-s3
export MBK_BROWSER_OUT STACK_FCGI_EXTRA S3_PAGE_URL MBK_S3_OBJECT_CMD MBK_BROWSER_RUN CURL \
    S3_KEY S3_SECRET AWS_REGION
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL
"${SHELL:-/bin/sh}" "$MBK_SRCDIR/tests/browser/test_browser.sh"
