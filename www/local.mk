# www/: the browser admin page. `make` builds the static site into
# $(builddir)/www-dist (the sources, and SweetAlert2's dist files from the
# npm tarball the lockfile pins, its sha512 checked); nginx serves that
# folder. tests/browser/: the page driven in headless Chromium.

NPM = npm
NODE = node

MBK_WWW_FILES = www/index.html www/favicon.svg www/css/app.css \
	www/js/api.js www/js/app.js www/js/backup.js www/js/backupfile.js \
	www/js/dom.js www/js/format.js www/js/lists.js www/js/report.js \
	www/js/restore.js www/js/jobs.js www/js/phases.js \
	www/js/ui.js
EXTRA_DIST += $(MBK_WWW_FILES) www/package.json www/package-lock.json \
	www/build.sh tests/browser/package.json tests/browser/package-lock.json \
	tests/browser/run.mjs tests/browser/firefox.mjs \
	tests/browser/checks.mjs tests/browser/flows.mjs \
	tests/browser/indexes.mjs tests/browser/reload.mjs

www-dist/SHA256SUMS: $(MBK_WWW_FILES:%=$(srcdir)/%) \
		$(srcdir)/www/package-lock.json $(srcdir)/www/build.sh
	NPM='$(NPM)' NODE='$(NODE)' $(SHELL) '$(srcdir)/www/build.sh' \
		'$(srcdir)/www' www-dist www-npm

all-local: www-dist/SHA256SUMS

# Installed as $(pkgdatadir)/www: the root the production nginx serves.
install-data-local: install-data-local-www
install-data-local-www: www-dist/SHA256SUMS
	$(MKDIR_P) '$(DESTDIR)$(pkgdatadir)/www'
	cp -R www-dist/. '$(DESTDIR)$(pkgdatadir)/www/'
uninstall-local: uninstall-local-www
uninstall-local-www:
	rm -rf '$(DESTDIR)$(pkgdatadir)/www'
.PHONY: install-data-local-www uninstall-local-www

clean-local: clean-local-www
clean-local-www:
	rm -rf www-dist www-dist.tmp www-npm tests/browser/node_modules \
		tests/browser/out
	if test '$(srcdir)' != '.'; then \
		rm -f tests/browser/package.json tests/browser/package-lock.json; \
	fi
.PHONY: clean-local-www

# The browser test: playwright-core installed by `npm ci` into the build
# folder; skipped (77) without chromium or node.
dist_check_SCRIPTS += tests/browser/test_browser.sh
TESTS += tests/browser/test_browser.sh
