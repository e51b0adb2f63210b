/*
 * group.c: the shared setup and teardown of the integration test programs
 * (group.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tests/integration/group.h"
#include "tests/integration/harness.h"

void
mbk_test_group_open(struct mbk_test_group *g, const char *prefix, int pool,
                    bool storage)
{
    struct mbk_error err;

    memset(g, 0, sizeof(*g));
    g->uri = mbk_test_mongo_uri();
    assert_non_null(g->uri);
    g->db = mbk_test_db_new(prefix);
    snprintf(g->tmp, sizeof(g->tmp), "%s/mbk-test-%s-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", prefix);
    assert_non_null(mkdtemp(g->tmp));
    snprintf(g->spec, sizeof(g->spec), "fs:%s", g->tmp);
    g->client = mongoc_client_new(g->uri);
    assert_non_null(g->client);
    g->m = mbk_mongo_open(g->uri, pool, NULL);
    assert_non_null(g->m);
    if (storage) {
        g->st = mbk_storage_open(g->spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
        if (g->st == NULL) {
            fail_msg("storage %s: %s", g->spec, err.message);
        }
    }
}

void
mbk_test_group_close(struct mbk_test_group *g)
{
    char cmd[300];

    mbk_storage_close(g->st);
    mbk_mongo_close(g->m);
    mongoc_client_destroy(g->client);
    if (g->db != NULL) {
        mbk_test_db_drop(g->db);
        free(g->db);
    }
    if (g->tmp[0] != '\0') {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g->tmp);
        assert_int_equal(system(cmd), 0);
    }
    memset(g, 0, sizeof(*g));
}

int
mbk_test_group_mbk(const struct mbk_test_group *g, const char *fmt, ...)
{
    const char *build = getenv("MBK_BUILDDIR");
    char args[1200];
    char cmd[2000];
    va_list ap;
    int rc;

    if (build == NULL) {
        fprintf(stderr, "skip: MBK_BUILDDIR is not set (no mbk to run)\n");
        skip();
    }
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd),
             "MBK_PLUGIN_DIR=\"$MBK_TEST_PLUGIN_DIR\" '%s/cli/mbk' %s "
             ">'%s/mbk.out' 2>&1", build, args, g->tmp);
    rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc)) {
        return -1;
    }
    if (WEXITSTATUS(rc) != 0) {
        snprintf(cmd, sizeof(cmd), "cat '%s/mbk.out' >&2", g->tmp);
        (void)system(cmd);
    }
    return WEXITSTATUS(rc);
}
