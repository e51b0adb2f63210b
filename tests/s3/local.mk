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

# The s3 plugin's own tests (tests/s3/test_s3.c) under a fresh gateway;
# the clock-skew shim test_cli.sh preloads (time() runs off).
check_LTLIBRARIES += tests/s3/mbk_skew_shim.la
tests_s3_mbk_skew_shim_la_SOURCES = tests/s3/skew_shim.c
tests_s3_mbk_skew_shim_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-shared -rpath /nowhere
if HAVE_CMOCKA
check_PROGRAMS += tests/s3/test_s3
endif
tests_s3_test_s3_SOURCES = tests/s3/test_s3.c
tests_s3_test_s3_CFLAGS = $(UNIT_CFLAGS)
tests_s3_test_s3_LDADD = $(UNIT_LDADD)
dist_check_SCRIPTS += tests/s3/test_plugin.sh tests/s3/test_cli.sh \
	tests/s3/test_lossless.sh
TESTS += tests/s3/test_plugin.sh tests/s3/test_cli.sh tests/s3/test_lossless.sh

# An s3 storage through the service: nginx, mbk-fcgi, the development
# MongoDB server and a fresh gateway (runs in the plain pass only).
dist_check_SCRIPTS += tests/s3/test_service.sh
TESTS += tests/s3/test_service.sh

# The service started while an s3 storage's gateway is down, then the
# gateway back: the storage recovers without a restart (plain pass only).
dist_check_SCRIPTS += tests/s3/test_outage.sh
TESTS += tests/s3/test_outage.sh

# The page with an s3 storage (tests/browser/s3.mjs in Chromium through
# tests/browser/test_browser.sh), plain pass only.
dist_check_SCRIPTS += tests/s3/test_browser.sh
TESTS += tests/s3/test_browser.sh
EXTRA_DIST += tests/browser/s3.mjs
