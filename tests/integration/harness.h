/*
 * harness.h: what the integration tests share: the MongoDB server to test
 * against (MBK_TEST_MONGO_URI, else a development server started once per
 * process) and fresh per-test databases.  Not thread-safe: call from the
 * test's main thread.
 */
#ifndef MBK_TESTS_INTEGRATION_HARNESS_H
#define MBK_TESTS_INTEGRATION_HARNESS_H

/* The server to test against: $MBK_TEST_MONGO_URI if set, else a development
 * server this process starts on a free loopback port (once; stopped at exit).
 * Returns NULL after printing why to stderr when none can be had; the caller
 * then exits 77 (skip). */
const char *
mbk_test_mongo_uri(void);

/* The test gate of the development server this process started
 * (tests/mongo-dev-server/gate.py: a command NAME waits while the file
 * NAME.hold exists in this directory), or NULL when testing against
 * MBK_TEST_MONGO_URI, which has no such hook.  Lent; valid until exit. */
const char *
mbk_test_devserver_gate_dir(void);

/* A fresh, unique database name "<prefix>_<pid>_<n>"; caller frees. */
char *
mbk_test_db_new(const char *prefix);

/* Drop that database (best effort, for teardown). */
void
mbk_test_db_drop(const char *db);

#endif /* MBK_TESTS_INTEGRATION_HARNESS_H */
