# nginx/: nginx configurations (production and demo), the demo and e2e tests.
EXTRA_DIST += nginx/README.md nginx/mbk-site.conf nginx/mbk-local.conf.in \
	nginx/mbk-fastcgi.conf nginx/mbk-errors.conf nginx/mbk-mime.conf \
	nginx/local-stack.sh nginx/demo.sh tests/e2e/lib.sh

# End to end through nginx over HTTPS with curl; each script starts its own
# stack (development MongoDB, mbk-fcgi, nginx) and skips (77) when nginx,
# curl or openssl is missing.
dist_check_SCRIPTS += tests/e2e/test_api.sh tests/e2e/test_load.sh \
	tests/e2e/test_crash.sh
TESTS += tests/e2e/test_api.sh tests/e2e/test_load.sh tests/e2e/test_crash.sh

# `make bench-api`: requests/s and throughput of the service (a script:
# it drives nginx and the responder with curl; see bench/bench_api.sh).
EXTRA_DIST += bench/bench_api.sh
bench-api: all
	MBK_SRCDIR='$(abs_top_srcdir)' MBK_BUILDDIR='$(abs_top_builddir)' \
	MBK_PYTHON='$(MBK_PYTHON)' NGINX='$(NGINX)' CURL='$(CURL)' \
	$(SHELL) '$(abs_top_srcdir)/bench/bench_api.sh'
.PHONY: bench-api
