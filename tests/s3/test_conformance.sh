#!/bin/sh
# test_conformance.sh: the storage conformance suite (tests/unit/
# test_storage.c, unchanged cases) against the s3 plugin and a fresh Ceph
# RADOS Gateway: with MBK_TEST_S3_BUCKET set it runs the s3 group alone.
: "${MBK_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MBK_BUILDDIR:=$MBK_SRCDIR/_build}"
suite="$MBK_BUILDDIR/tests/unit/test_storage"
if [ ! -x "$suite" ]; then
    echo "SKIP: $suite is not built (cmocka missing?)"
    exit 77
fi
exec "$MBK_SRCDIR/tests/s3/with-rgw" "$suite"
