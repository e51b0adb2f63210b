# fcgi/: the FastCGI responder mbk-fcgi (/api/settings/backup).
# Everything but server.c (the only libfcgi user) is a convenience library
# the unit tests link without libfcgi.
noinst_LTLIBRARIES += fcgi/libmbkfcgi.la
fcgi_libmbkfcgi_la_SOURCES = \
	fcgi/http.c fcgi/http.h \
	fcgi/schema.c fcgi/schema.h \
	fcgi/multipart.c fcgi/multipart.h \
	fcgi/router.c fcgi/router.h \
	fcgi/access.c fcgi/access.h \
	fcgi/app.c fcgi/app.h fcgi/storages.c \
	fcgi/jobs.c fcgi/jobs.h \
	fcgi/handlers.c fcgi/handlers.h \
	fcgi/create.c fcgi/restore.c fcgi/verify.c \
	fcgi/paths.c fcgi/paths.h fcgi/validate.c fcgi/validate.h \
	fcgi/inspect.c
fcgi_libmbkfcgi_la_CFLAGS = $(AM_CFLAGS) $(BSON_CFLAGS) $(JSONC_CFLAGS)
fcgi_libmbkfcgi_la_LIBADD = engine/libmbk.la $(JSONC_LIBS) $(PTHREAD_LIBS)

sbin_PROGRAMS += fcgi/mbk-fcgi
fcgi_mbk_fcgi_SOURCES = fcgi/server.c
fcgi_mbk_fcgi_CFLAGS = $(AM_CFLAGS) $(BSON_CFLAGS) $(JSONC_CFLAGS)
fcgi_mbk_fcgi_LDADD = fcgi/libmbkfcgi.la $(FCGI_LIBS) $(PTHREAD_LIBS)

EXTRA_DIST += fcgi/README.md fcgi/mbk-fcgi.conf.example
dist_man_MANS += fcgi/mbk-fcgi.8

# What `make install` and the Debian package install besides the programs:
# the units, sysusers.d and tmpfiles.d, the configuration; each made from a
# template with this build's paths (configure's, so `make prefix=...`
# works too), so that the files agree with each other and the binaries.
mbkstatedir = $(localstatedir)/lib/mbk
mbklogdir = $(localstatedir)/log/mbk
mbkrundir = $(runstatedir)/mbk
mbkconfdir = $(sysconfdir)/mbk
MBK_SUBST = $(SED) \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@mbkstatedir[@]|$(mbkstatedir)|g' \
	-e 's|@mbklogdir[@]|$(mbklogdir)|g' \
	-e 's|@mbkrundir[@]|$(mbkrundir)|g' \
	-e 's|@nginxgroup[@]|$(NGINX_GROUP)|g' \
	-e 's|@mbksnippets[@]|$(nginxconfdir)/snippets|g' \
	-e 's|@mbksocket[@]|$(mbkrundir)/mbk-fcgi.sock|g' \
	-e 's|@mbkfilesdir[@]|$(mbkstatedir)/backups|g' \
	-e 's|@mbkwwwdir[@]|$(pkgdatadir)/www|g' \
	-e 's|@mbkhtpasswd[@]|$(mbkconfdir)/htpasswd|g' \
	-e 's|@mbksecretconf[@]|$(mbkconfdir)/nginx-proxy-secret.conf|g' \
	-e 's|@mbkmaxbody[@]|2g|g' \
	-e 's|@mbkrate[@]|10r/s|g'
# A template made into its file; fails if a @name@ is left unsubstituted.
MBK_SUBST_RULE = $(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(MBK_SUBST) $< >$@.tmp && \
	if grep -n '@[a-z]*@' $@.tmp; then \
		echo "$@: unsubstituted name in $<" >&2; rm -f $@.tmp; exit 1; \
	fi && mv $@.tmp $@

MBK_FCGI_GEN = fcgi/mbk-fcgi.service fcgi/mbk-fcgi.socket \
	fcgi/mbk.sysusers fcgi/mbk.tmpfiles fcgi/mbk-fcgi.conf
EXTRA_DIST += fcgi/mbk-fcgi.service.in fcgi/mbk-fcgi.socket.in \
	fcgi/mbk.sysusers.in fcgi/mbk.tmpfiles.in
CLEANFILES += $(MBK_FCGI_GEN)
noinst_DATA = $(MBK_FCGI_GEN)
fcgi/mbk-fcgi.service: $(srcdir)/fcgi/mbk-fcgi.service.in Makefile
	$(MBK_SUBST_RULE)
fcgi/mbk-fcgi.socket: $(srcdir)/fcgi/mbk-fcgi.socket.in Makefile
	$(MBK_SUBST_RULE)
fcgi/mbk.sysusers: $(srcdir)/fcgi/mbk.sysusers.in Makefile
	$(MBK_SUBST_RULE)
fcgi/mbk.tmpfiles: $(srcdir)/fcgi/mbk.tmpfiles.in Makefile
	$(MBK_SUBST_RULE)
# The installed configuration is the example with this build's paths.
fcgi/mbk-fcgi.conf: $(srcdir)/fcgi/mbk-fcgi.conf.example Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(SED) -e 's|/etc/mbk/|$(mbkconfdir)/|g' \
		-e 's|/var/lib/mbk/|$(mbkstatedir)/|g' \
		-e 's|/var/log/mbk/|$(mbklogdir)/|g' \
		-e 's|^\# /etc/mbk/mbk-fcgi.conf|\# $(mbkconfdir)/mbk-fcgi.conf|' \
		$(srcdir)/fcgi/mbk-fcgi.conf.example >$@

systemdunit_DATA = fcgi/mbk-fcgi.service fcgi/mbk-fcgi.socket
systemdunitdir = $(systemdsystemunitdir)
# sysusers.d and tmpfiles.d want NAME.conf.
install-data-local: install-data-local-fcgi
install-data-local-fcgi: fcgi/mbk.sysusers fcgi/mbk.tmpfiles fcgi/mbk-fcgi.conf
	$(MKDIR_P) '$(DESTDIR)$(prefix)/lib/sysusers.d' \
		'$(DESTDIR)$(prefix)/lib/tmpfiles.d' '$(DESTDIR)$(mbkconfdir)'
	$(INSTALL_DATA) fcgi/mbk.sysusers '$(DESTDIR)$(prefix)/lib/sysusers.d/mbk.conf'
	$(INSTALL_DATA) fcgi/mbk.tmpfiles '$(DESTDIR)$(prefix)/lib/tmpfiles.d/mbk.conf'
	@# Never replace an administrator's configuration.
	if test -f '$(DESTDIR)$(mbkconfdir)/mbk-fcgi.conf'; then \
		echo "$(DESTDIR)$(mbkconfdir)/mbk-fcgi.conf exists: kept"; \
	else \
		$(INSTALL_DATA) -m 0640 fcgi/mbk-fcgi.conf \
			'$(DESTDIR)$(mbkconfdir)/mbk-fcgi.conf'; \
	fi
uninstall-local: uninstall-local-fcgi
# The configuration goes only as install left it: one the administrator
# changed is theirs, kept (as dpkg keeps a changed conffile).
uninstall-local-fcgi: fcgi/mbk-fcgi.conf
	rm -f '$(DESTDIR)$(prefix)/lib/sysusers.d/mbk.conf' \
		'$(DESTDIR)$(prefix)/lib/tmpfiles.d/mbk.conf'
	conf='$(DESTDIR)$(mbkconfdir)/mbk-fcgi.conf'; \
	if test -f "$$conf"; then \
		if cmp -s fcgi/mbk-fcgi.conf "$$conf"; then \
			rm -f "$$conf"; \
		else \
			echo "$$conf was changed: kept"; \
		fi; \
	fi
.PHONY: install-data-local-fcgi uninstall-local-fcgi

# Unit tests: routing, validation, multipart parsing; no libfcgi in them.
FCGI_UNIT_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
FCGI_UNIT_LDADD = fcgi/libmbkfcgi.la $(CMOCKA_LIBS) $(JSONC_LIBS)
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_fcgi_schema tests/unit/test_fcgi_multipart \
	tests/unit/test_fcgi_router tests/unit/test_fcgi_paths \
	tests/unit/test_fcgi_storages
TESTS += tests/unit/test_fcgi_schema tests/unit/test_fcgi_multipart \
	tests/unit/test_fcgi_router tests/unit/test_fcgi_paths \
	tests/unit/test_fcgi_storages
else
NOCMOCKA_TESTS += tests/unit/test_fcgi_schema tests/unit/test_fcgi_multipart \
	tests/unit/test_fcgi_router tests/unit/test_fcgi_paths \
	tests/unit/test_fcgi_storages
endif
tests_unit_test_fcgi_schema_SOURCES = tests/unit/test_fcgi_schema.c
tests_unit_test_fcgi_schema_CFLAGS = $(FCGI_UNIT_CFLAGS)
tests_unit_test_fcgi_schema_LDADD = $(FCGI_UNIT_LDADD)
tests_unit_test_fcgi_multipart_SOURCES = tests/unit/test_fcgi_multipart.c
tests_unit_test_fcgi_multipart_CFLAGS = $(FCGI_UNIT_CFLAGS)
tests_unit_test_fcgi_multipart_LDADD = $(FCGI_UNIT_LDADD)
tests_unit_test_fcgi_router_SOURCES = tests/unit/test_fcgi_router.c
tests_unit_test_fcgi_router_CFLAGS = $(FCGI_UNIT_CFLAGS)
tests_unit_test_fcgi_router_LDADD = $(FCGI_UNIT_LDADD)
tests_unit_test_fcgi_paths_SOURCES = tests/unit/test_fcgi_paths.c
tests_unit_test_fcgi_paths_CFLAGS = $(FCGI_UNIT_CFLAGS)
tests_unit_test_fcgi_paths_LDADD = $(FCGI_UNIT_LDADD)
tests_unit_test_fcgi_storages_SOURCES = tests/unit/test_fcgi_storages.c
tests_unit_test_fcgi_storages_CFLAGS = $(FCGI_UNIT_CFLAGS)
tests_unit_test_fcgi_storages_LDADD = $(FCGI_UNIT_LDADD)

# End to end: the responder under attack (issue 11).
dist_check_SCRIPTS += tests/e2e/test_attack.sh
TESTS += tests/e2e/test_attack.sh
check_PROGRAMS += tests/e2e/fcgi_raw
tests_e2e_fcgi_raw_SOURCES = tests/e2e/fcgi_raw.c
