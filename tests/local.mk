# tests/: unit (cmocka), integration (a MongoDB wire server), e2e, browser.
# A tier whose dependency is missing exits 77 (SKIP) and says why.

# Without cmocka the C tiers are not built, but each still appears in
# `make check`, as a SKIP (exit 77) whose log says why
# (tests/skip-nocmocka.sh): `make check` never passes having run nothing.
TEST_EXTENSIONS = .skip
SKIP_LOG_COMPILER = $(SHELL) $(srcdir)/tests/skip-nocmocka.sh
EXTRA_DIST += tests/skip-nocmocka.sh
NOCMOCKA_STUBS = $(NOCMOCKA_TESTS:=-nocmocka.skip)
if !HAVE_CMOCKA
TESTS += $(NOCMOCKA_STUBS)
$(NOCMOCKA_STUBS):
	@:
endif

# `make check-stress`: `make check` three times while another build loads
# the machine (tests/check-stress.sh).
EXTRA_DIST += tests/check-stress.sh
check-stress:
	MBK_SRCDIR='$(abs_top_srcdir)' MAKE='$(MAKE)' \
	    $(SHELL) $(srcdir)/tests/check-stress.sh
.PHONY: check-stress

# The same operation through `mbk --json` and through the API (nginx and
# the responder) gives the same data object, key for key (issue 13).
dist_check_SCRIPTS += tests/e2e/test_same_result.sh
TESTS += tests/e2e/test_same_result.sh

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(BSON_CFLAGS) -DMBK_UNIT_TEST
UNIT_LDADD = engine/libmbk.la $(CMOCKA_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_error tests/unit/test_names \
	tests/unit/test_source tests/unit/test_catalog tests/unit/test_options
TESTS += tests/unit/test_error tests/unit/test_names tests/unit/test_source \
	tests/unit/test_catalog tests/unit/test_options
else
NOCMOCKA_TESTS += tests/unit/test_error tests/unit/test_names \
	tests/unit/test_source tests/unit/test_catalog tests/unit/test_options
endif
tests_unit_test_options_SOURCES = tests/unit/test_options.c
tests_unit_test_options_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_options_LDADD = $(UNIT_LDADD)
tests_unit_test_error_SOURCES = tests/unit/test_error.c
tests_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_error_LDADD = $(UNIT_LDADD)
tests_unit_test_names_SOURCES = tests/unit/test_names.c
tests_unit_test_names_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_names_LDADD = $(UNIT_LDADD)
tests_unit_test_source_SOURCES = tests/unit/test_source.c
tests_unit_test_source_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_source_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS)
tests_unit_test_catalog_SOURCES = tests/unit/test_catalog.c
tests_unit_test_catalog_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_catalog_LDADD = $(UNIT_LDADD) $(JSONC_LIBS)

# restore's read-back digests (engine/restore/restore_target.c).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_restore_sums
TESTS += tests/unit/test_restore_sums
else
NOCMOCKA_TESTS += tests/unit/test_restore_sums
endif
tests_unit_test_restore_sums_SOURCES = tests/unit/test_restore_sums.c
tests_unit_test_restore_sums_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_restore_sums_LDADD = $(UNIT_LDADD) $(JSONC_LIBS)

# The parallel gzip compressor, read back by zlib (C) and Python's gzip.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_gzip tests/unit/test_source_gzip
TESTS += tests/unit/test_gzip tests/unit/test_source_gzip
endif
tests_unit_test_source_gzip_SOURCES = tests/unit/test_source_gzip.c
tests_unit_test_source_gzip_CFLAGS = $(UNIT_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_source_gzip_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS)
tests_unit_test_gzip_SOURCES = tests/unit/test_gzip.c
tests_unit_test_gzip_CFLAGS = $(UNIT_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_gzip_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS) $(PTHREAD_LIBS)
check_PROGRAMS += tests/unit/gzip_write
tests_unit_gzip_write_SOURCES = tests/unit/gzip_write.c
tests_unit_gzip_write_LDADD = engine/libmbk.la
TESTS += tests/unit/test_gzip_python.sh tests/unit/test_cli_gzip_level.sh \
	tests/unit/test_cli_rm_cat.sh
EXTRA_DIST += tests/unit/test_gzip_python.sh tests/unit/mem_read.h \
	tests/unit/test_cli_gzip_level.sh tests/unit/gunzip_all.h \
	tests/unit/test_cli_rm_cat.sh

# integration: against $MBK_TEST_MONGO_URI, else the development server the
# harness starts (tests/mongo-dev-server/local.mk builds the harness).
INTEG_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(MONGOC_CFLAGS) $(JSONC_CFLAGS) \
	$(CRYPTO_CFLAGS) $(ZLIB_CFLAGS)
INTEG_LDADD = tests/integration/libfixtures.la tests/integration/libharness.la \
	engine/libmbk.la $(MONGOC_LIBS) $(CMOCKA_LIBS) $(JSONC_LIBS) \
	$(CRYPTO_LIBS) $(ZLIB_LIBS)

check_LTLIBRARIES += tests/integration/libfixtures.la
tests_integration_libfixtures_la_SOURCES = \
	tests/integration/fixtures.c tests/integration/fixtures.h
tests_integration_libfixtures_la_CFLAGS = $(AM_CFLAGS) $(MONGOC_CFLAGS)
tests_integration_libfixtures_la_LIBADD = $(MONGOC_LIBS) -lm
tests_integration_libfixtures_la_LDFLAGS = $(AM_LDFLAGS) -rpath /nowhere

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_backup
TESTS += tests/integration/test_backup
else
NOCMOCKA_TESTS += tests/integration/test_backup
endif
tests_integration_test_backup_SOURCES = tests/integration/test_backup.c
tests_integration_test_backup_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_backup_LDADD = $(INTEG_LDADD)

# gzip backups at the compressor's block edges, read by zlib and Python.
if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_gzip_backup
TESTS += tests/integration/test_gzip_backup
endif
tests_integration_test_gzip_backup_SOURCES = \
	tests/integration/test_gzip_backup.c
tests_integration_test_gzip_backup_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_gzip_backup_LDADD = $(INTEG_LDADD)

tests_integration_libfixtures_la_SOURCES += \
	tests/integration/snapshot.c tests/integration/snapshot.h \
	tests/integration/torture.c tests/integration/torture.h \
	tests/integration/restore_util.c tests/integration/restore_util.h \
	tests/integration/group.c tests/integration/group.h
EXTRA_DIST += tests/integration/foreign_python.py \
	tests/integration/foreign_node.cjs

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_restore
TESTS += tests/integration/test_restore
else
NOCMOCKA_TESTS += tests/integration/test_restore
endif
tests_integration_test_restore_SOURCES = tests/integration/test_restore.c
tests_integration_test_restore_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_restore_LDADD = $(INTEG_LDADD)

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_lossless
TESTS += tests/integration/test_lossless
endif
tests_integration_test_lossless_SOURCES = tests/integration/test_lossless.c
tests_integration_test_lossless_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_lossless_LDADD = $(INTEG_LDADD)

tests_integration_libfixtures_la_SOURCES += \
	tests/integration/proxy.c tests/integration/proxy.h

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_faults
TESTS += tests/integration/test_faults
else
NOCMOCKA_TESTS += tests/integration/test_faults
endif
tests_integration_test_faults_SOURCES = tests/integration/test_faults.c
tests_integration_test_faults_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_faults_LDADD = $(INTEG_LDADD)
