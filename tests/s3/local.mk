# tests/s3/: the S3 test harness (issue 16): a real Ceph RADOS Gateway on a
# loopback port (tests/s3/rgw-cluster, root and the Debian packages ceph-mon
# ceph-osd radosgw ceph-common), a fault proxy, and the test of both.
# test_rgw.sh runs no mbk code, so the sanitizer pass skips it (77).

if SANITIZERS
MBK_SANITIZERS_BUILD = yes
else
MBK_SANITIZERS_BUILD = no
endif
AM_TESTS_ENVIRONMENT += \
	MBK_SANITIZERS='$(MBK_SANITIZERS_BUILD)'; export MBK_SANITIZERS;

dist_check_SCRIPTS += tests/s3/test_rgw.sh tests/s3/test_conformance.sh
TESTS += tests/s3/test_rgw.sh tests/s3/test_conformance.sh
EXTRA_DIST += tests/s3/rgw-cluster tests/s3/faultproxy.py tests/s3/lib.sh \
	tests/s3/with-rgw \
	tests/s3/README.md
