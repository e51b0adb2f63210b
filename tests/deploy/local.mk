# tests/deploy/: the deploy tier: the Debian package built from the tree,
# installed and used on a booted Debian 12 (systemd-nspawn).  Root only;
# skips (77) with its reason elsewhere, and in the sanitizer build (it
# tests the package, which is built without sanitizers, once).
dist_check_SCRIPTS += tests/deploy/test_deploy.sh
EXTRA_DIST += tests/deploy/inside.sh tests/deploy/root.sh \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/mbk.docs debian/mbk.postinst debian/mbk.postrm \
	debian/source/format
TESTS += tests/deploy/test_deploy.sh
if SANITIZERS
AM_TESTS_ENVIRONMENT += MBK_SANITIZERS=yes; export MBK_SANITIZERS;
endif
