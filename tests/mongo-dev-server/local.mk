# tests/mongo-dev-server/local.mk: the development MongoDB server, the integration harness and their tests.

# The server (Python on Debian's python3-mongomock and python3-bson).
dist_check_SCRIPTS += \
	tests/mongo-dev-server/start \
	tests/mongo-dev-server/stop \
	tests/mongo-dev-server/devserver.py
EXTRA_DIST += \
	tests/mongo-dev-server/README.md \
	tests/mongo-dev-server/store.py \
	tests/mongo-dev-server/commands.py \
	tests/mongo-dev-server/querycmds.py \
	tests/mongo-dev-server/gate.py \
	tests/mongo-dev-server/seed_crm.py \
	bench/devserver-bench

# The integration harness: the server to test against, fresh databases.
check_LTLIBRARIES += tests/integration/libharness.la
tests_integration_libharness_la_SOURCES = \
	tests/integration/harness.c tests/integration/harness.h
tests_integration_libharness_la_CFLAGS = $(AM_CFLAGS) $(MONGOC_CFLAGS)
tests_integration_libharness_la_LIBADD = $(MONGOC_LIBS)
tests_integration_libharness_la_LDFLAGS = $(AM_LDFLAGS) -rpath /nowhere

if HAVE_CMOCKA
check_PROGRAMS += tests/integration/test_devserver
TESTS += tests/integration/test_devserver
else
NOCMOCKA_TESTS += tests/integration/test_devserver
endif
tests_integration_test_devserver_SOURCES = tests/integration/test_devserver.c
tests_integration_test_devserver_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(MONGOC_CFLAGS)
tests_integration_test_devserver_LDADD = tests/integration/libharness.la \
	$(MONGOC_LIBS) $(CMOCKA_LIBS) $(PTHREAD_LIBS) -lm

# The benchmark: bulk insert and cursor read of 100,000 small documents.
EXTRA_PROGRAMS += bench/bench_devserver
MBK_BENCH += bench/bench_devserver
bench_bench_devserver_SOURCES = bench/bench_devserver.c
bench_bench_devserver_CFLAGS = $(AM_CFLAGS) $(MONGOC_CFLAGS)
bench_bench_devserver_LDADD = tests/integration/libharness.la $(MONGOC_LIBS)
