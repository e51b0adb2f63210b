#!/bin/sh
# test_plugin.sh: the s3 plugin's own cases (tests/s3/test_s3.c: parts,
# pagination, a killed writer, the fault proxy, a wrong secret, a missing
# bucket, the credentials file) against a fresh Ceph RADOS Gateway.
: "${MBK_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MBK_BUILDDIR:=$MBK_SRCDIR/_build}"
prog="$MBK_BUILDDIR/tests/s3/test_s3"
if [ ! -x "$prog" ]; then
    echo "SKIP: $prog is not built (cmocka missing?)"
    exit 77
fi
# The gateway also serves HTTPS with a CA of its own (test_s3_tls).
RGW_CLUSTER_TLS=1 "$MBK_SRCDIR/tests/s3/with-rgw" "$prog" || exit $?
# test_s3_session_token against a second gateway, with STS and temporary
# keys already assumed (STS changes its answer to a wrong secret from
# SignatureDoesNotMatch, so the other cases run without it).
RGW_CLUSTER_STS=1 MBK_TEST_S3_ONLY=test_s3_session_token \
    exec "$MBK_SRCDIR/tests/s3/with-rgw" "$prog"
