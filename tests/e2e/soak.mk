# tests/e2e/soak.mk: the load test of the service through nginx (issue 7):
# the short version in `make check`, the full one as `make bench-load`
# (bench/load/run: 100 clients, 60 s; prints the figures).
dist_check_SCRIPTS += tests/e2e/test_soak.sh tests/e2e/test_badinput.sh
TESTS += tests/e2e/test_soak.sh tests/e2e/test_badinput.sh
EXTRA_DIST += bench/load/loadgen.py bench/load/run

bench-load: all
	MBK_SRCDIR='$(abs_top_srcdir)' MBK_BUILDDIR='$(abs_top_builddir)' \
	MBK_PYTHON='$(MBK_PYTHON)' NGINX='$(NGINX)' CURL='$(CURL)' \
	$(SHELL) '$(abs_top_srcdir)/bench/load/run'
.PHONY: bench-load
