/*
 * test_plugin_faults.c: a storage plugin failing on the Nth write, read or
 * commit (storage/fake/failing.c): the cause reaches the user (mbk_error
 * and mbk's stderr), nothing is listed, a restore leaves the target as is.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>

#include "engine/backup/backup.h"
#include "engine/restore/restore.h"
#include "storage/loader.h"
#include "tests/integration/child.h"
#include "tests/integration/harness.h"
#include "tests/integration/snapshot.h"

#define DOCS_A 2500
#define DOCS_B 500

struct ctx {
    char *src;
    char tmp[256];
    char dir[300];
    char spec[320];
    char fakedir[1024];
    mongoc_client_t *client;
    struct mbk_mongo *m;
};

static void
fill(mongoc_client_t *client, const char *db, const char *coll, int n)
{
    mongoc_collection_t *c = mongoc_client_get_collection(client, db, coll);
    mongoc_bulk_operation_t *b =
        mongoc_collection_create_bulk_operation_with_opts(c, NULL);
    bson_error_t e;

    for (int i = 0; i < n; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT32(i), "name",
                               "a document of the plugin fault tests, with "
                               "some text to make it longer ...............",
                               "n", BCON_INT64((int64_t)i * 13));

        mongoc_bulk_operation_insert(b, doc);
        bson_destroy(doc);
    }
    assert_true(mongoc_bulk_operation_execute(b, NULL, &e) != 0);
    mongoc_bulk_operation_destroy(b);
    mongoc_collection_destroy(c);
}

/* The failing store on the test's directory, with the faults of env. */
static struct mbk_storage *
open_failing(struct ctx *c)
{
    struct mbk_error err;
    struct mbk_storage *st = mbk_storage_open(c->spec, c->fakedir, &err);

    if (st == NULL) {
        fail_msg("open %s: %s", c->spec, err.message);
    }
    return st;
}

static void
set_faults(const char *write, const char *read, const char *commit)
{
    unsetenv("MBK_FAILING_WRITE");
    unsetenv("MBK_FAILING_READ");
    unsetenv("MBK_FAILING_COMMIT");
    if (write != NULL) {
        setenv("MBK_FAILING_WRITE", write, 1);
    }
    if (read != NULL) {
        setenv("MBK_FAILING_READ", read, 1);
    }
    if (commit != NULL) {
        setenv("MBK_FAILING_COMMIT", commit, 1);
    }
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_storage *st;
    struct mbk_error err;

    c->src = mbk_test_db_new("pfsrc");
    snprintf(c->tmp, sizeof(c->tmp), "%s/mbk-test-pfaults-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(c->tmp));
    snprintf(c->dir, sizeof(c->dir), "%s/store", c->tmp);
    assert_int_equal(mkdir(c->dir, 0700), 0);
    snprintf(c->spec, sizeof(c->spec), "failing:%s", c->dir);
    snprintf(c->fakedir, sizeof(c->fakedir), "%s/storage/fake/.libs",
             getenv("MBK_BUILDDIR"));
    c->client = mongoc_client_new(mbk_test_mongo_uri());
    fill(c->client, c->src, "a", DOCS_A);
    fill(c->client, c->src, "b", DOCS_B);
    c->m = mbk_mongo_open(mbk_test_mongo_uri(), 4, NULL);
    assert_non_null(c->m);
    /* the backup the restores read, written through the plugin unharmed */
    set_faults(NULL, NULL, NULL);
    st = open_failing(c);
    memset(&o, 0, sizeof(o));
    o.db = c->src;
    o.name = "good";
    if (mbk_engine_backup_run(c->m, st, &o, &res, &err) != 0) {
        fail_msg("backup through the plugin without faults: %s",
                 err.message);
    }
    assert_string_equal(res.file, "good.json");
    mbk_engine_backup_result_free(&res);
    mbk_storage_close(st);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;
    char cmd[300];

    set_faults(NULL, NULL, NULL);
    mbk_mongo_close(c->m);
    mongoc_client_destroy(c->client);
    mbk_test_db_drop(c->src);
    free(c->src);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->tmp);
    assert_int_equal(system(cmd), 0);
    free(c);
    return 0;
}

static int
collect(const struct mbk_storage_entry *e, void *ud)
{
    char *names = ud;

    strcat(names, e->name);
    strcat(names, " ");
    return 0;
}

/* Only good.json is listed, and no temp file is left in the directory. */
static void
assert_store_clean(struct ctx *c)
{
    struct mbk_storage *st;
    struct mbk_error err;
    char names[4096] = "";
    struct dirent *de;
    DIR *d;

    set_faults(NULL, NULL, NULL);
    st = open_failing(c);
    assert_int_equal(mbk_storage_list(st, collect, names, &err), 0);
    assert_string_equal(names, "good.json ");
    mbk_storage_close(st);
    d = opendir(c->dir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            strcmp(de->d_name, "good.json") != 0) {
            fail_msg("left behind in the store: %s", de->d_name);
        }
    }
    closedir(d);
}

/* A backup in-process whose Nth write (or commit) fails. */
static void
backup_fails(struct ctx *c, const char *write, const char *commit,
             const char *cause)
{
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_storage *st;
    struct mbk_error err;

    set_faults(write, NULL, commit);
    st = open_failing(c);
    memset(&o, 0, sizeof(o));
    memset(&err, 0, sizeof(err));
    o.db = c->src;
    o.name = "broken";
    assert_int_equal(mbk_engine_backup_run(c->m, st, &o, &res, &err), -1);
    if (strstr(err.message, cause) == NULL) {
        fail_msg("the error lost its cause \"%s\": %s", cause, err.message);
    }
    mbk_storage_close(st);
    assert_store_clean(c);
}

static void
test_plugin_faults_backup_first_write(void **state)
{
    backup_fails(*state, "1", NULL, "injected write failure (call 1");
}

static void
test_plugin_faults_backup_middle_write(void **state)
{
    /* the head, a first chunk of collection "a", then the failure */
    backup_fails(*state, "3", NULL, "injected write failure (call 3");
}

static void
test_plugin_faults_backup_commit(void **state)
{
    backup_fails(*state, NULL, "1", "injected commit failure");
}

static void
test_plugin_faults_cli_backup_write(void **state)
{
    struct ctx *c = *state;
    const char *const args[] = {"backup",  "--db",     c->src, "--storage",
                                c->spec,   "--name",   "cli",  "--gzip",
                                "--quiet", NULL};
    const char *const env[] = {"MBK_FAILING_WRITE=2", NULL};
    char errfile[300];
    char *msg;
    int rc;

    snprintf(errfile, sizeof(errfile), "%s/backup.err", c->tmp);
    rc = mbk_child_run(args, c->fakedir, env, errfile);
    msg = mbk_child_slurp(errfile);
    if (rc == 0 || rc >= 128 || mbk_child_sanitized(msg) ||
        strstr(msg, "mbk backup:") == NULL ||
        strstr(msg, "failing plugin: injected write failure (call 2") ==
            NULL) {
        fail_msg("mbk backup should fail with the plugin's cause (exit %d):"
                 " %s",
                 rc, msg);
    }
    free(msg);
    assert_store_clean(c);
}

/* A restore in-process whose Nth read of the backup fails. */
static void
restore_fails(struct ctx *c, const char *read, bool drop, bool single_pass)
{
    char *target = mbk_test_db_new("pftgt");
    struct mbk_restore_input in = {NULL, "good.json", NULL, -1};
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char *before;
    char *after;

    fill(c->client, target, "a", 50); /* _ids 0..49 exist already */
    fill(c->client, target, "other", 5);
    before = mbk_snapshot(c->client, target, NULL);
    set_faults(NULL, read, NULL);
    in.storage = open_failing(c);
    memset(&o, 0, sizeof(o));
    memset(&rep, 0, sizeof(rep));
    memset(&err, 0, sizeof(err));
    o.target_db = target;
    o.drop = drop;
    o.single_pass = single_pass;
    o.conflict = MBK_RESTORE_REPLACE;
    assert_int_equal(mbk_engine_restore_run(c->m, &in, &o, &rep, &err), -1);
    if (strstr(err.message, "failing plugin: injected read failure") ==
        NULL) {
        fail_msg("the error lost its cause: %s", err.message);
    }
    mbk_engine_restore_report_free(&rep);
    mbk_storage_close(in.storage);
    /* no recovery run: the failed restore put everything back itself */
    after = mbk_snapshot(c->client, target, NULL);
    assert_string_equal(before, after);
    free(after);
    free(before);
    mbk_test_db_drop(target);
    free(target);
}

static void
test_plugin_faults_restore_first_read(void **state)
{
    restore_fails(*state, "1", false, false);
}

static void
test_plugin_faults_restore_read_validating(void **state)
{
    restore_fails(*state, "2", true, false);
}

static void
test_plugin_faults_restore_read_single_pass_drop(void **state)
{
    restore_fails(*state, "2", true, true);
}

static void
test_plugin_faults_restore_read_single_pass_journal(void **state)
{
    restore_fails(*state, "2", false, true);
}

static void
test_plugin_faults_cli_restore_read(void **state)
{
    struct ctx *c = *state;
    char *target = mbk_test_db_new("pfcli");
    const char *const args[] = {"restore",     "good.json", "--storage",
                                c->spec,       "--target-db", target,
                                "--single-pass", "--quiet", NULL};
    const char *const env[] = {"MBK_FAILING_READ=2", NULL};
    char errfile[300];
    char *before;
    char *after;
    char *msg;
    int rc;

    fill(c->client, target, "b", 20);
    before = mbk_snapshot(c->client, target, NULL);
    snprintf(errfile, sizeof(errfile), "%s/restore.err", c->tmp);
    rc = mbk_child_run(args, c->fakedir, env, errfile);
    msg = mbk_child_slurp(errfile);
    if (rc == 0 || rc >= 128 || mbk_child_sanitized(msg) ||
        strstr(msg, "mbk restore:") == NULL ||
        strstr(msg, "failing plugin: injected read failure (call 2") ==
            NULL) {
        fail_msg("mbk restore should fail with the plugin's cause (exit "
                 "%d): %s",
                 rc, msg);
    }
    free(msg);
    after = mbk_snapshot(c->client, target, NULL);
    assert_string_equal(before, after);
    free(after);
    free(before);
    mbk_test_db_drop(target);
    free(target);
}

/* verify and list read through the plugin too: both name the cause. */
static void
test_plugin_faults_cli_verify_and_list_read(void **state)
{
    struct ctx *c = *state;
    const char *const verify[] = {"verify", "good.json", "--storage", c->spec,
                                  NULL};
    const char *const list[] = {"list", "--storage", c->spec, NULL};
    const char *const env[] = {"MBK_FAILING_READ=1", NULL};
    char errfile[300];
    char outfile[300];
    char *msg;
    int rc;

    snprintf(errfile, sizeof(errfile), "%s/verify.err", c->tmp);
    rc = mbk_child_run(verify, c->fakedir, env, errfile);
    msg = mbk_child_slurp(errfile);
    if (rc == 0 || rc >= 128 || mbk_child_sanitized(msg) ||
        strstr(msg, "mbk verify:") == NULL ||
        strstr(msg, "failing plugin: injected read failure") == NULL) {
        fail_msg("mbk verify should fail with the plugin's cause (exit %d):"
                 " %s",
                 rc, msg);
    }
    free(msg);
    /* list still lists, and says why the head could not be read */
    snprintf(outfile, sizeof(outfile), "%s/list.out", c->tmp);
    rc = mbk_child_run_out(list, c->fakedir, env, errfile, outfile);
    msg = mbk_child_slurp(outfile);
    if (rc != 0 || strstr(msg, "good.json") == NULL ||
        strstr(msg, "failing plugin: injected read failure") == NULL) {
        fail_msg("mbk list should show the backup and the cause (exit %d):"
                 " %s",
                 rc, msg);
    }
    free(msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_faults_backup_first_write),
        cmocka_unit_test(test_plugin_faults_backup_middle_write),
        cmocka_unit_test(test_plugin_faults_backup_commit),
        cmocka_unit_test(test_plugin_faults_cli_backup_write),
        cmocka_unit_test(test_plugin_faults_restore_first_read),
        cmocka_unit_test(test_plugin_faults_restore_read_validating),
        cmocka_unit_test(test_plugin_faults_restore_read_single_pass_drop),
        cmocka_unit_test(test_plugin_faults_restore_read_single_pass_journal),
        cmocka_unit_test(test_plugin_faults_cli_restore_read),
        cmocka_unit_test(test_plugin_faults_cli_verify_and_list_read),
    };

    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
