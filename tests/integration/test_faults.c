/*
 * test_faults.c: the MongoDB server goes away in the middle of a backup and
 * of a restore (a relay between mbk and the server is cut), with the real
 * mbk command as a child process: clear errors, nothing half-published,
 * the target unchanged, and the next run cleans up what was left.  And a
 * server that changes a document restore wrote (the relay alters it):
 * the read-back check fails the restore.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>

#include "engine/backup/backup.h"
#include "engine/restore/restore.h"
#include "storage/loader.h"
#include "tests/integration/group.h"
#include "tests/integration/harness.h"
#include "tests/integration/proxy.h"
#include "tests/integration/snapshot.h"

#define DOCS 40000

/* The group's state (group.h): DOCS documents in g.db, backed up as
 * "full" into the fs storage g.st. */
struct ctx {
    struct mbk_test_group g;
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
                               "a document of the fault tests, some text to "
                               "make it a few hundred bytes long ..........",
                               "n", BCON_INT64(i * 7));

        mongoc_bulk_operation_insert(b, doc);
        bson_destroy(doc);
    }
    assert_true(mongoc_bulk_operation_execute(b, NULL, &e) != 0);
    mongoc_bulk_operation_destroy(b);
    mongoc_collection_destroy(c);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_error err;

    mbk_test_group_open(&c->g, "fsrc", 4, true);
    fill(c->g.client, c->g.db, "big", DOCS);
    memset(&o, 0, sizeof(o));
    o.db = c->g.db;
    o.name = "full";
    assert_int_equal(mbk_engine_backup_run(c->g.m, c->g.st, &o, &res, &err), 0);
    mbk_engine_backup_result_free(&res);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    mbk_test_group_close(&c->g);
    free(c);
    return 0;
}

/* Start mbk with args against uri, stderr to errfile; its pid. */
static pid_t
spawn_mbk(const char *const *args, const char *uri, const char *errfile)
{
    char mbk[4096];
    const char *argv[40];
    int k = 0;
    pid_t pid;

    snprintf(mbk, sizeof(mbk), "%s/cli/mbk", getenv("MBK_BUILDDIR"));
    argv[k++] = mbk;
    for (int i = 0; args[i] != NULL; i++) {
        argv[k++] = args[i];
    }
    argv[k++] = "--uri";
    argv[k++] = uri;
    argv[k++] = "--plugin-dir";
    argv[k++] = getenv("MBK_TEST_PLUGIN_DIR");
    argv[k] = NULL;
    pid = fork();
    if (pid == 0) {
        if (freopen(errfile, "w", stderr) == NULL ||
            freopen("/dev/null", "w", stdout) == NULL) {
            _exit(126);
        }
        execv(mbk, (char *const *)argv);
        _exit(127);
    }
    assert_true(pid > 0);
    return pid;
}

/* The marker a relay alters in what the server sends back: its last
 * character becomes TAMPER_TO. */
#define TAMPER_MARKER "^qZj7@"
#define TAMPER_TO '!'

/* How the relay between mbk and the server misbehaves, and what it did. */
struct relay_fault {
    unsigned long long cut_after; /* cut once this many bytes crossed; 0:
                                   * never */
    bool alter;                   /* alter TAMPER_MARKER in replies */
    int cut_in_time;              /* out: cut before mbk finished */
    unsigned long long altered;   /* out: markers altered */
};

/* Run mbk with args through a relay that misbehaves as f says.  Returns
 * the exit status; stderr goes to errfile. */
static int
run_relayed(const char *const *args, const char *errfile,
            struct relay_fault *f)
{
    struct mbk_proxy *p;
    char *uri;
    int port = 0;
    int status = -1;
    pid_t pid;

    p = mbk_proxy_start(mbk_test_mongo_uri(), &port);
    assert_non_null(p);
    if (f->alter) {
        assert_int_equal(mbk_proxy_tamper(p, TAMPER_MARKER, TAMPER_TO), 0);
    }
    uri = mbk_proxy_uri(mbk_test_mongo_uri(), port);
    pid = spawn_mbk(args, uri, errfile);
    f->cut_in_time = 0;
    for (;;) {
        struct timespec ts = {0, 2 * 1000 * 1000};

        if (waitpid(pid, &status, WNOHANG) == pid) {
            break; /* it finished (before the cut) */
        }
        if (f->cut_after > 0 && mbk_proxy_bytes(p) >= f->cut_after) {
            mbk_proxy_cut(p);
            f->cut_in_time = 1;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            break;
        }
        nanosleep(&ts, NULL);
    }
    f->altered = mbk_proxy_tampered(p);
    mbk_proxy_stop(p);
    free(uri);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Run mbk with args through a relay; cut the relay once `after` bytes have
 * crossed it.  Returns the exit status; stderr goes to errfile. */
static int
run_cut(const char *const *args, unsigned long long after,
        const char *errfile, int *cut_in_time)
{
    struct relay_fault f = {after, false, 0, 0};
    int rc = run_relayed(args, errfile, &f);

    *cut_in_time = f.cut_in_time;
    return rc;
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 65536);

    if (f != NULL) {
        size_t n = fread(buf, 1, 65535, f);

        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static int
count_entries(const struct mbk_storage_entry *e, void *ud)
{
    if (strncmp(e->name, "cut", 3) == 0) {
        (*(int *)ud)++;
    }
    return 0;
}

static void
test_faults_server_gone_during_backup(void **state)
{
    struct ctx *c = *state;
    const char *const args[] = {"backup",  "--db",   c->g.db,
                                "--storage", c->g.spec, "--name",
                                "cut",     "--quiet", NULL};
    char errfile[300];
    struct mbk_error err;
    char *msg;
    int in_time;
    int listed = 0;
    int rc;

    snprintf(errfile, sizeof(errfile), "%s/backup.err", c->g.tmp);
    /* cut after about a fifth of the documents went through */
    rc = run_cut(args, (unsigned long long)DOCS * 150 / 5, errfile, &in_time);
    assert_true(in_time);
    msg = slurp(errfile);
    if (rc == 0 || strstr(msg, "mbk backup:") == NULL) {
        fail_msg("backup should fail with a message (rc %d): %s", rc, msg);
    }
    free(msg);
    assert_int_equal(mbk_storage_list(c->g.st, count_entries, &listed, &err),
                     0);
    assert_int_equal(listed, 0);
}

static void
restore_cut(struct ctx *c, bool drop)
{
    char *target = mbk_test_db_new("ftgt");
    const char *const args[] = {"restore", "full.json", "--storage", c->g.spec,
                                "--target-db", target, "--quiet",
                                drop ? "--drop" : "--conflict=skip", NULL};
    char errfile[300];
    char *before;
    char *after;
    char *msg;
    struct mbk_error err;
    unsigned removed = 0;
    int in_time;
    int rc;

    fill(c->g.client, target, "big", 100); /* _ids 0..99 already there */
    fill(c->g.client, target, "other", 10);
    before = mbk_snapshot(c->g.client, target, NULL);
    snprintf(errfile, sizeof(errfile), "%s/restore.err", c->g.tmp);
    rc = run_cut(args, (unsigned long long)DOCS * 150 / 3, errfile, &in_time);
    assert_true(in_time);
    msg = slurp(errfile);
    if (rc == 0 || strstr(msg, "mbk restore:") == NULL) {
        fail_msg("restore should fail with a message (rc %d): %s", rc, msg);
    }
    free(msg);
    if (drop) {
        /* only staging collections were touched: the target is intact */
        after = mbk_snapshot(c->g.client, target, MBK_RESTORE_STAGING_PREFIX);
        assert_string_equal(before, after);
        free(after);
    }
    /* the next run (the dead child's pid is gone) finishes the rollback:
     * staging dropped, or, without drop, the journaled inserts undone */
    if (mbk_engine_restore_recover(c->g.m, target, &removed, &err) != 0) {
        fail_msg("recover: %s", err.message);
    }
    assert_true(removed >= 1);
    after = mbk_snapshot(c->g.client, target, NULL);
    assert_string_equal(before, after);
    free(after);
    free(before);
    mbk_test_db_drop(target);
    free(target);
}

static void
test_faults_server_gone_during_restore_with_drop(void **state)
{
    restore_cut(*state, true);
}

static void
test_faults_server_gone_during_restore_without_drop(void **state)
{
    restore_cut(*state, false);
}

/* A server that gives back a document other than the one written (one
 * character of one string, the relay's doing): restore's read-back check
 * fails the restore, with drop and without, and the target is as before.
 * The same restore through the relay, unaltered, succeeds. */
static void
test_faults_server_changes_a_document(void **state)
{
    struct ctx *c = *state;
    const char *const include[] = {"marked", NULL};
    mongoc_collection_t *coll;
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_error err;
    bson_error_t e;
    char errfile[300];

    /* a small collection, one document of which holds the marker */
    fill(c->g.client, c->g.db, "marked", 50);
    coll = mongoc_client_get_collection(c->g.client, c->g.db, "marked");
    {
        bson_t *doc = BCON_NEW("_id", "tampered", "note",
                               "before " TAMPER_MARKER " after");

        assert_true(mongoc_collection_insert_one(coll, doc, NULL, NULL, &e));
        bson_destroy(doc);
    }
    mongoc_collection_destroy(coll);
    memset(&o, 0, sizeof(o));
    o.db = c->g.db;
    o.name = "marked";
    o.include = include;
    assert_int_equal(mbk_engine_backup_run(c->g.m, c->g.st, &o, &res, &err), 0);
    mbk_engine_backup_result_free(&res);
    snprintf(errfile, sizeof(errfile), "%s/tamper.err", c->g.tmp);

    for (int drop = 0; drop < 2; drop++) {
        char *target = mbk_test_db_new("fmtgt");
        const char *const args[] = {"restore", "marked.json", "--storage",
                                    c->g.spec, "--target-db", target,
                                    "--quiet", drop ? "--drop" : NULL, NULL};
        struct relay_fault f = {0, true, 0, 0};
        char *before;
        char *after;
        char *msg;
        int rc;

        fill(c->g.client, target, "other", 10);
        if (drop) {
            fill(c->g.client, target, "marked", 5); /* to be replaced */
        }
        before = mbk_snapshot(c->g.client, target, NULL);
        rc = run_relayed(args, errfile, &f);
        msg = slurp(errfile);
        if (f.altered == 0) {
            fail_msg("drop %d: the relay altered nothing (rc %d): %s", drop,
                     rc, msg);
        }
        if (rc == 0 || strstr(msg, "collection \"marked\": the documents "
                                   "read back from MongoDB differ from "
                                   "those written") == NULL) {
            fail_msg("drop %d: restore should fail the read-back check "
                     "(rc %d): %s", drop, rc, msg);
        }
        free(msg);
        after = mbk_snapshot(c->g.client, target, NULL);
        assert_string_equal(before, after);
        free(after);
        free(before);

        /* the control: the same through the relay, nothing altered */
        f.alter = false;
        rc = run_relayed(args, errfile, &f);
        msg = slurp(errfile);
        if (rc != 0 || f.altered != 0) {
            fail_msg("drop %d: unaltered restore failed (rc %d): %s", drop,
                     rc, msg);
        }
        free(msg);
        before = mbk_snapshot_docs(c->g.client, c->g.db, "marked");
        after = mbk_snapshot_docs(c->g.client, target, "marked");
        assert_string_equal(before, after);
        free(after);
        free(before);
        mbk_test_db_drop(target);
        free(target);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_server_gone_during_backup),
        cmocka_unit_test(test_faults_server_gone_during_restore_with_drop),
        cmocka_unit_test(test_faults_server_gone_during_restore_without_drop),
        cmocka_unit_test(test_faults_server_changes_a_document),
    };

    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
