# engine/audit/audit.mk: the audit trail (a SHA-256 chained JSON-lines
# log), its unit tests and the test of `mbk audit`.
engine_libmbk_la_SOURCES += engine/audit/audit.c engine/audit/audit.h \
	engine/audit/audit_read.c engine/audit/audit_private.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_audit
TESTS += tests/unit/test_audit
else
NOCMOCKA_TESTS += tests/unit/test_audit
endif
tests_unit_test_audit_SOURCES = tests/unit/test_audit.c
tests_unit_test_audit_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_audit_LDADD = $(UNIT_LDADD) $(JSONC_LIBS) $(CRYPTO_LIBS) \
	$(PTHREAD_LIBS)

# `mbk audit` and `mbk audit verify` against a log the test writes.
dist_check_SCRIPTS += tests/unit/test_cli_audit.sh
TESTS += tests/unit/test_cli_audit.sh
check_PROGRAMS += tests/unit/audit_write
tests_unit_audit_write_SOURCES = tests/unit/audit_write.c
tests_unit_audit_write_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_audit_write_LDADD = engine/libmbk.la $(JSONC_LIBS)
