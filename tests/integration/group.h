/*
 * group.h: the setup and teardown the integration test programs share
 * (test_backup, test_gzip_backup, test_faults, and through restore_util
 * test_restore and test_lossless): the server (harness.h), a fresh
 * database, a temporary folder, a driver client, the engine's MongoDB
 * handle, an fs storage on the folder if asked; and `mbk` run on them.
 * Call from the test's main thread (cmocka group setup and teardown).
 */
#ifndef MBK_TESTS_INTEGRATION_GROUP_H
#define MBK_TESTS_INTEGRATION_GROUP_H

#include <stdbool.h>

#include <mongoc/mongoc.h>

#include "engine/mongo/mongo.h"
#include "storage/loader.h"

struct mbk_test_group {
    const char *uri;         /* the server (mbk_test_mongo_uri) */
    char *db;                /* a fresh database, dropped by close */
    char tmp[256];           /* a fresh folder, removed by close */
    char spec[300];          /* "fs:<tmp>", the storage spec of st */
    mongoc_client_t *client; /* a driver client on uri */
    struct mbk_mongo *m;     /* the engine's handle on uri */
    struct mbk_storage *st;  /* the fs storage on tmp, or NULL */
};

/*
 * Everything above, named after prefix (database "<prefix>_<pid>_<n>",
 * folder $TMPDIR/mbk-test-<prefix>-XXXXXX), the engine's handle with a
 * pool of `pool` clients, the fs storage when `storage`.  A failure
 * fails the test (cmocka).  The caller fills the database.
 */
void
mbk_test_group_open(struct mbk_test_group *g, const char *prefix, int pool,
                    bool storage);

/* Close, drop and remove what open made (NULL members are skipped). */
void
mbk_test_group_close(struct mbk_test_group *g);

/*
 * Run `$MBK_BUILDDIR/cli/mbk ARGS` through the shell, ARGS from fmt
 * (quote what needs it), with the build's plugins; its output goes to
 * <tmp>/mbk.out and is printed to stderr when it fails.  Its exit status
 * (-1 when it could not run); skips the test when MBK_BUILDDIR is unset.
 */
int
mbk_test_group_mbk(const struct mbk_test_group *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* MBK_TESTS_INTEGRATION_GROUP_H */
