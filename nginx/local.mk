# nginx/: nginx configurations (production and demo), the demo and e2e tests.
# The production pieces are templates (@name@ paths, fcgi/local.mk's
# MBK_SUBST); nginx/local-stack.sh makes the demo's from the same ones.
MBK_NGINX_TEMPLATES = nginx/mbk-fastcgi.conf.in nginx/mbk-errors.conf.in \
	nginx/mbk-auth.conf.in nginx/mbk-api.conf.in nginx/mbk-files.conf.in \
	nginx/mbk-app.conf.in nginx/mbk-prefix.conf.in
MBK_NGINX_PLAIN = nginx/mbk-headers.conf nginx/mbk-error-pages.conf
EXTRA_DIST += nginx/README.md nginx/mbk-local.conf.in nginx/mbk-mime.conf \
	nginx/mbk-site.conf.in nginx/mbk-http.conf.in $(MBK_NGINX_TEMPLATES) \
	$(MBK_NGINX_PLAIN) nginx/local-stack.sh nginx/demo.sh tests/e2e/lib.sh

nginxsnippetsdir = $(nginxconfdir)/snippets
nginxsnippets_DATA = $(MBK_NGINX_TEMPLATES:.conf.in=.conf) $(MBK_NGINX_PLAIN)
MBK_NGINX_GEN = $(MBK_NGINX_TEMPLATES:.conf.in=.conf) nginx/mbk-site.conf \
	nginx/mbk-http.conf
CLEANFILES += $(MBK_NGINX_GEN)
noinst_DATA += nginx/mbk-site.conf nginx/mbk-http.conf
$(MBK_NGINX_GEN): Makefile
.conf.in.conf:
	$(MBK_SUBST_RULE)
SUFFIXES = .conf.in .conf
# nginx's conf.d/ (limit_req_zone lives at http level) and the site,
# available but not enabled.
install-data-local: install-data-local-nginx
install-data-local-nginx: nginx/mbk-site.conf nginx/mbk-http.conf
	$(MKDIR_P) '$(DESTDIR)$(nginxconfdir)/conf.d' \
		'$(DESTDIR)$(nginxconfdir)/sites-available'
	$(INSTALL_DATA) nginx/mbk-http.conf '$(DESTDIR)$(nginxconfdir)/conf.d/mbk.conf'
	$(INSTALL_DATA) nginx/mbk-site.conf \
		'$(DESTDIR)$(nginxconfdir)/sites-available/mbk'
uninstall-local: uninstall-local-nginx
uninstall-local-nginx:
	rm -f '$(DESTDIR)$(nginxconfdir)/conf.d/mbk.conf' \
		'$(DESTDIR)$(nginxconfdir)/sites-available/mbk'
.PHONY: install-data-local-nginx uninstall-local-nginx

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
