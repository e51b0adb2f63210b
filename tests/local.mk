# tests/: unit (cmocka), integration (a MongoDB wire server), e2e, browser.
# A tier whose dependency is missing exits 77 (SKIP) and says why.

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(BSON_CFLAGS) -DMBK_UNIT_TEST
UNIT_LDADD = engine/libmbk.la $(CMOCKA_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_error tests/unit/test_names
TESTS += tests/unit/test_error tests/unit/test_names
endif
tests_unit_test_error_SOURCES = tests/unit/test_error.c
tests_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_error_LDADD = $(UNIT_LDADD)
tests_unit_test_names_SOURCES = tests/unit/test_names.c
tests_unit_test_names_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_names_LDADD = $(UNIT_LDADD)
