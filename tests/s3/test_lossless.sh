#!/bin/sh
# test_lossless.sh: the torture database of issue 12 (tests/integration/
# torture.c) backed up through the s3 plugin to a fresh Ceph RADOS Gateway,
# with and without gzip, verified by the engine and by `mbk verify`,
# restored with and without drop and compared BSON byte for byte: the case
# test_restore_torture_urls of tests/integration/test_lossless, under
# with-rgw.  The fs and tar runs of the same fixture are in that program's
# own pass.
: "${MBK_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MBK_BUILDDIR:=$MBK_SRCDIR/_build}"
prog="$MBK_BUILDDIR/tests/integration/test_lossless"
if [ ! -x "$prog" ]; then
    echo "SKIP: $prog is not built (cmocka missing?)"
    exit 77
fi
export MBK_TEST_PROG="$prog"
exec "$MBK_SRCDIR/tests/s3/with-rgw" sh -c \
    'MBK_TEST_STORAGE_URLS="s3://$MBK_TEST_S3_BUCKET/torture" \
     MBK_TEST_CASES="*torture_urls" exec "$MBK_TEST_PROG"'
