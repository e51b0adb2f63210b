#!/bin/sh
# test_conformance.sh: the storage conformance suite (tests/unit/
# test_storage.c, unchanged cases) against the s3 plugin and a fresh Ceph
# RADOS Gateway (with fs and tar again, which costs little).
: "${MBK_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MBK_BUILDDIR:=$MBK_SRCDIR/_build}"
suite="$MBK_BUILDDIR/tests/unit/test_storage"
if [ ! -x "$suite" ]; then
    echo "SKIP: $suite is not built (cmocka missing?)"
    exit 77
fi
# The suite runs fs and tar, and every URL of MBK_TEST_STORAGE_URLS: here
# the gateway's bucket, a fresh sub-prefix per case.
export MBK_TEST_SUITE="$suite"
exec "$MBK_SRCDIR/tests/s3/with-rgw" sh -c \
    'MBK_TEST_STORAGE_URLS="s3://$MBK_TEST_S3_BUCKET/conformance" exec "$MBK_TEST_SUITE"'
