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
	fcgi/create.c fcgi/restore.c fcgi/verify.c
fcgi_libmbkfcgi_la_CFLAGS = $(AM_CFLAGS) $(BSON_CFLAGS) $(JSONC_CFLAGS)
fcgi_libmbkfcgi_la_LIBADD = engine/libmbk.la $(JSONC_LIBS) $(PTHREAD_LIBS)

sbin_PROGRAMS += fcgi/mbk-fcgi
fcgi_mbk_fcgi_SOURCES = fcgi/server.c
fcgi_mbk_fcgi_CFLAGS = $(AM_CFLAGS) $(BSON_CFLAGS) $(JSONC_CFLAGS)
fcgi_mbk_fcgi_LDADD = fcgi/libmbkfcgi.la $(FCGI_LIBS) $(PTHREAD_LIBS)

EXTRA_DIST += fcgi/README.md fcgi/mbk-fcgi.service fcgi/mbk-fcgi.socket \
	fcgi/mbk-fcgi.conf.example

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
