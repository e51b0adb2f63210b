# tests/integration/faults.mk: the fault-injection tier: mbk killed at
# random points, a full disk, a storage plugin failing on the Nth call.
# Part of make check; each test exits 77 (SKIP) saying why when it cannot
# run (no MongoDB server, no tmpfs or loop mount).

FAULT_SOURCES = tests/integration/child.c tests/integration/child.h

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_plugin_faults
TESTS += tests/integration/test_plugin_faults
else
NOCMOCKA_TESTS += tests/integration/test_plugin_faults
endif
tests_integration_test_plugin_faults_SOURCES = \
	tests/integration/test_plugin_faults.c $(FAULT_SOURCES)
tests_integration_test_plugin_faults_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_plugin_faults_LDADD = $(INTEG_LDADD)

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_kill
TESTS += tests/integration/test_kill
else
NOCMOCKA_TESTS += tests/integration/test_kill
endif
tests_integration_test_kill_SOURCES = tests/integration/test_kill.c \
	$(FAULT_SOURCES)
tests_integration_test_kill_CFLAGS = $(INTEG_CFLAGS) $(ARCHIVE_CFLAGS)
tests_integration_test_kill_LDADD = $(INTEG_LDADD) $(ARCHIVE_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_disk
TESTS += tests/integration/test_disk
else
NOCMOCKA_TESTS += tests/integration/test_disk
endif
tests_integration_test_disk_SOURCES = tests/integration/test_disk.c \
	$(FAULT_SOURCES)
tests_integration_test_disk_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_disk_LDADD = $(INTEG_LDADD)
