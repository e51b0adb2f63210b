/*
 * test_restore.c: restores as a user runs them, against a MongoDB wire
 * server: round trips through each plugin with and without gzip (every
 * document equal as BSON bytes, every index and option equal), failures
 * in the middle with and without drop leaving the target exactly as it
 * was, dry runs writing nothing, the three conflict policies, and bad
 * files refused with their error and an unchanged target.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>
#include <zlib.h>

#include "engine/backup.h"
#include "engine/catalog.h"
#include "engine/restore.h"
#include "storage/loader.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/integration/snapshot.h"
#include "tests/integration/torture.h"

struct ctx {
    char *src; /* the fixture database */
    char *torture; /* the torture database (torture.h) */
    char tmp[256];
    mongoc_client_t *client;
    struct mbk_mongo *m;
    struct mbk_storage *fs;
    struct mbk_storage *tar;
};

static struct ctx *g;

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct mbk_error err;
    bson_error_t e;
    char spec[400];

    c->src = mbk_test_db_new("rsrc");
    snprintf(c->tmp, sizeof(c->tmp), "%s/mbk-test-restore-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(c->tmp));
    c->client = mongoc_client_new(mbk_test_mongo_uri());
    assert_int_equal(mbk_fixture_fill(c->client, c->src, &e), 0);
    c->torture = mbk_test_db_new("torture");
    if (mbk_torture_fill(c->client, c->torture, &e) != 0) {
        fail_msg("filling the torture database: %s", e.message);
    }
    c->m = mbk_mongo_open(mbk_test_mongo_uri(), 8, NULL);
    snprintf(spec, sizeof(spec), "fs:%s", c->tmp);
    c->fs = mbk_storage_open(spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
    assert_non_null(c->fs);
    snprintf(spec, sizeof(spec), "tar:%s/backups.tar", c->tmp);
    c->tar = mbk_storage_open(spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
    assert_non_null(c->tar);
    g = c;
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;
    char cmd[300];

    mbk_storage_close(c->fs);
    mbk_storage_close(c->tar);
    mbk_mongo_close(c->m);
    mongoc_client_destroy(c->client);
    mbk_test_db_drop(c->src);
    free(c->src);
    mbk_test_db_drop(c->torture);
    free(c->torture);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->tmp);
    assert_int_equal(system(cmd), 0);
    free(c);
    return 0;
}

/* Back db up as name into st; returns the stored file name. */
static void
backup_db(struct mbk_storage *st, const char *db, const char *name, int gzip,
          char *file, size_t len)
{
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_error err;

    memset(&o, 0, sizeof(o));
    o.db = db;
    o.name = name;
    o.gzip_level = gzip;
    o.include_indexes = true;
    if (mbk_engine_backup_run(g->m, st, &o, &res, &err) != 0) {
        fail_msg("backup: %s", err.message);
    }
    snprintf(file, len, "%s", res.file);
    mbk_engine_backup_result_free(&res);
}

/* Back the fixture up as name into st; returns the stored file name. */
static void
backup(struct mbk_storage *st, const char *name, int gzip, char *file,
       size_t len)
{
    backup_db(st, g->src, name, gzip, file, len);
}

static void
default_opts(struct mbk_restore_opts *o, const char *target)
{
    memset(o, 0, sizeof(*o));
    o->target_db = target;
    o->jobs = 2;
}

static int
restore_name(struct mbk_storage *st, const char *file,
             const struct mbk_restore_opts *o, struct mbk_restore_report *rep,
             struct mbk_error *err)
{
    struct mbk_restore_input in = {st, file, NULL, -1};

    return mbk_engine_restore_run(g->m, &in, o, rep, err);
}

static int
restore_path(const char *path, const struct mbk_restore_opts *o,
             struct mbk_restore_report *rep, struct mbk_error *err)
{
    struct mbk_restore_input in = {NULL, NULL, path, -1};

    return mbk_engine_restore_run(g->m, &in, o, rep, err);
}

static void
expect_same_db(const char *a, const char *b)
{
    char *sa = mbk_snapshot(g->client, a, NULL);
    char *sb = mbk_snapshot(g->client, b, NULL);

    if (strcmp(sa, sb) != 0) {
        fail_msg("databases %s and %s differ", a, b);
    }
    free(sa);
    free(sb);
}

/* ---- round trips ------------------------------------------------------ */

static void
round_trip(struct mbk_storage *st, int gzip, bool drop, unsigned jobs)
{
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char name[64];
    char *target = mbk_test_db_new("rdst");

    snprintf(name, sizeof(name), "rt-%d-%d-%u", gzip, drop, jobs);
    backup(st, name, gzip, file, sizeof(file));
    default_opts(&o, target);
    o.drop = drop;
    o.jobs = jobs;
    if (restore_name(st, file, &o, &rep, &err) != 0) {
        fail_msg("restore %s: %s", file, err.message);
    }
    assert_string_equal(rep.status, "ok");
    assert_true(rep.typed);
    assert_true(rep.digests_checked);
    assert_int_equal(rep.ncoll, MBK_FIXTURE_COLLECTIONS);
    assert_int_equal(rep.inserted, rep.docs);
    assert_int_equal(rep.failed, 0);
    assert_int_equal(strlen(rep.backup_sha256), 64);
    mbk_engine_restore_report_free(&rep);
    expect_same_db(g->src, target);
    mbk_test_db_drop(target);
    free(target);
}

static void
test_restore_round_trip_fs_plain(void **state)
{
    round_trip(g->fs, 0, false, 2);
}

static void
test_restore_round_trip_fs_gzip_drop(void **state)
{
    round_trip(g->fs, 6, true, 3);
}

static void
test_restore_round_trip_tar_plain_drop(void **state)
{
    round_trip(g->tar, 0, true, 1);
}

static void
test_restore_round_trip_tar_gzip(void **state)
{
    round_trip(g->tar, 1, false, 4);
}

/*
 * The torture database through each plugin, with and without gzip: the
 * backup verifies (each document would come back identical), and restored
 * with and without drop into another database it is the same, BSON byte
 * for byte (documents, indexes, options).
 */
static void
torture(struct mbk_storage *st, int gzip, bool drop)
{
    struct mbk_verify_result vr;
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char name[64];
    char *target = mbk_test_db_new("tdst");
    char *a;
    char *b;

    snprintf(name, sizeof(name), "torture-%d-%d", gzip, drop);
    backup_db(st, g->torture, name, gzip, file, sizeof(file));
    if (mbk_engine_verify(st, file, &vr, &err) != 0) {
        fail_msg("verify %s: %s", file, err.message);
    }
    mbk_engine_verify_result_free(&vr);
    default_opts(&o, target);
    o.drop = drop;
    if (restore_name(st, file, &o, &rep, &err) != 0) {
        fail_msg("restore %s: %s", file, err.message);
    }
    assert_string_equal(rep.status, "ok");
    assert_int_equal(rep.ncoll, MBK_TORTURE_COLLECTIONS);
    assert_int_equal(rep.failed, 0);
    mbk_engine_restore_report_free(&rep);
    a = mbk_snapshot(g->client, g->torture, NULL);
    b = mbk_snapshot(g->client, target, NULL);
    if (strcmp(a, b) != 0) {
        fail_msg("the restored torture database differs:\n--- source\n"
                 "%.3000s\n--- restored\n%.3000s", a, b);
    }
    free(a);
    free(b);
    mbk_test_db_drop(target);
    free(target);
}

static void
test_restore_torture_fs(void **state)
{
    torture(g->fs, 0, false);
    torture(g->fs, 6, true);
}

static void
test_restore_torture_tar(void **state)
{
    torture(g->tar, 0, true);
    torture(g->tar, 1, false);
}

static void
test_restore_into_itself_with_drop(void **state)
{
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char *before = mbk_snapshot(g->client, g->src, NULL);
    char *after;

    backup(g->fs, "self", 0, file, sizeof(file));
    default_opts(&o, NULL); /* the backup's own database */
    o.drop = true;
    if (restore_name(g->fs, file, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    mbk_engine_restore_report_free(&rep);
    after = mbk_snapshot(g->client, g->src, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* ---- files made by hand ------------------------------------------------- */

static void
write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *
tmp_path(const char *name)
{
    char *p = malloc(400);

    snprintf(p, 400, "%s/%s", g->tmp, name);
    return p;
}

/* A plain backup file (no mbk digests) with a unique index on people. */
static const char hand_file[] =
    "{\"metadata\":{\"database\":\"hand\",\"collections\":[\"other\","
    "\"people\"],\"collectionInfo\":{"
    "\"other\":{\"type\":\"collection\",\"options\":{}},"
    "\"people\":{\"type\":\"collection\",\"options\":{},\"indexes\":["
    "{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_id\":{\"$numberInt\":\"1\"}},"
    "\"name\":\"_id_\"},"
    "{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"email\":{\"$numberInt\":\"1\"}},"
    "\"name\":\"email_1\",\"unique\":true}]}}},\n"
    "\"collections\":{\"other\":[{\"_id\":{\"$numberInt\":\"1\"},\"x\":1},"
    "{\"_id\":{\"$numberInt\":\"2\"},\"x\":2}],\n"
    "\"people\":["
    "{\"_id\":{\"$numberInt\":\"10\"},\"email\":\"b@x\"},"
    "{\"_id\":{\"$numberInt\":\"11\"},\"email\":\"a@x\"},"
    "{\"_id\":{\"$numberInt\":\"12\"},\"email\":\"b@x\"}]}}\n";

/* The target before: people {_id 1, a@x} with a unique index on email. */
static char *
make_target(void)
{
    char *db = mbk_test_db_new("rtgt");
    mongoc_database_t *d = mongoc_client_get_database(g->client, db);
    mongoc_collection_t *c = mongoc_database_get_collection(d, "people");
    bson_t *doc = BCON_NEW("_id", BCON_INT32(1), "email", "a@x");
    bson_t *cmd;
    bson_error_t e;

    assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
    bson_destroy(doc);
    cmd = BCON_NEW("createIndexes", "people", "indexes", "[", "{", "key", "{",
                   "email", BCON_INT32(1), "}", "name", "email_1", "unique",
                   BCON_BOOL(true), "}", "]");
    assert_true(mongoc_database_command_simple(d, cmd, NULL, NULL, &e));
    bson_destroy(cmd);
    mongoc_collection_destroy(c);
    mongoc_database_destroy(d);
    return db;
}

static void
expect_failure_unchanged(const char *path, struct mbk_restore_opts *o,
                         const char *db, const char *expect)
{
    struct mbk_restore_report rep;
    struct mbk_error err;
    char *before = mbk_snapshot(g->client, db, NULL);
    char *after;

    mbk_error_clear(&err);
    assert_int_equal(restore_path(path, o, &rep, &err), -1);
    if (strstr(err.message, expect) == NULL) {
        fail_msg("expected \"%s\" in: %s", expect, err.message);
    }
    mbk_engine_restore_report_free(&rep);
    after = mbk_snapshot(g->client, db, NULL);
    if (strcmp(before, after) != 0) {
        fail_msg("target %s changed:\nbefore:\n%.2000s\nafter:\n%.2000s", db,
                 before, after);
    }
    free(before);
    free(after);
}

static void
test_restore_unique_break_with_drop_leaves_target(void **state)
{
    char *path = tmp_path("hand.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    write_file(path, hand_file, strlen(hand_file));
    default_opts(&o, db);
    o.drop = true;
    /* duplicates b@x inside the file: the index build on staging fails */
    expect_failure_unchanged(path, &o, db, "E11000");
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

static void
test_restore_unique_break_without_drop_leaves_target(void **state)
{
    char *path = tmp_path("hand2.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    write_file(path, hand_file, strlen(hand_file));
    default_opts(&o, db);
    /* _id 11 has a@x, which _id 1 holds in the target: the insert fails;
     * "other", created by the restore, must go too */
    expect_failure_unchanged(path, &o, db, "E11000");
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

static void
test_restore_validator_break_leaves_target(void **state)
{
    static const char file[] =
        "{\"metadata\":{\"database\":\"v\",\"collections\":[\"contacts\"]},"
        "\"collections\":{\"contacts\":[{\"_id\":1,\"name\":\"ok\"},"
        "{\"_id\":2,\"name\":5}]}}";
    char *path = tmp_path("validator.json");
    char *db = mbk_test_db_new("rval");
    mongoc_database_t *d = mongoc_client_get_database(g->client, db);
    bson_t *cmd = BCON_NEW("create", "contacts", "validator", "{", "name", "{",
                           "$type", "string", "}", "}");
    struct mbk_restore_opts o;
    bson_error_t e;

    assert_true(mongoc_database_command_simple(d, cmd, NULL, NULL, &e));
    bson_destroy(cmd);
    mongoc_database_destroy(d);
    write_file(path, file, strlen(file));
    default_opts(&o, db);
    expect_failure_unchanged(path, &o, db, "alidation");
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

/* ---- dry run and conflicts -------------------------------------------- */

/* A target holding 3 of the fixture's users, changed, and one of its own. */
static char *
make_conflicting_target(void)
{
    char *db = mbk_test_db_new("rconf");
    mongoc_collection_t *c = mongoc_client_get_collection(g->client, db,
                                                          "users");
    bson_error_t e;

    for (int i = 0; i < 3; i++) {
        char hex[25];
        bson_oid_t oid;
        bson_t *doc;

        char email[32];

        snprintf(hex, sizeof(hex), "64%022x", i);
        snprintf(email, sizeof(email), "changed%d", i);
        bson_oid_init_from_string(&oid, hex);
        doc = BCON_NEW("_id", BCON_OID(&oid), "email", email, "department",
                       "old");
        assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
        bson_destroy(doc);
    }
    {
        bson_t *doc = BCON_NEW("_id", "mine", "email", "only-here");

        assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
        bson_destroy(doc);
    }
    mongoc_collection_destroy(c);
    return db;
}

static int64_t
count_where(const char *db, const char *coll, bson_t *filter)
{
    mongoc_collection_t *c = mongoc_client_get_collection(g->client, db, coll);
    bson_error_t e;
    int64_t n = mongoc_collection_count_documents(c, filter, NULL, NULL, NULL,
                                                  &e);

    mongoc_collection_destroy(c);
    bson_destroy(filter);
    return n;
}

static void
test_restore_dry_run_writes_nothing(void **state)
{
    const char *const only[] = {"users", "roles", NULL};
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char *db = make_conflicting_target();
    char *before = mbk_snapshot(g->client, db, NULL);
    char *after;

    backup(g->fs, "dry", 6, file, sizeof(file));
    default_opts(&o, db);
    o.dry_run = true;
    o.collections = only;
    if (restore_name(g->fs, file, &o, &rep, &err) != 0) {
        fail_msg("dry run: %s", err.message);
    }
    assert_string_equal(rep.status, "dry-run");
    assert_int_equal(rep.ncoll, 2);
    assert_string_equal(rep.colls[0].name, "roles");
    assert_false(rep.colls[0].target_exists);
    assert_string_equal(rep.colls[1].name, "users");
    assert_true(rep.colls[1].target_exists);
    assert_int_equal(rep.colls[1].target_docs, 4);
    assert_int_equal(rep.colls[1].conflicts, 3);
    assert_int_equal(rep.colls[1].docs, MBK_FIXTURE_USERS);
    assert_int_equal(rep.colls[1].indexes, 4);
    assert_int_equal(rep.inserted, 0);
    mbk_engine_restore_report_free(&rep);
    after = mbk_snapshot(g->client, db, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
    mbk_test_db_drop(db);
    free(db);
}

static void
conflict_case(enum mbk_restore_conflict policy)
{
    const char *const only[] = {"users", NULL};
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char name[32];
    char *db = make_conflicting_target();
    int rc;

    snprintf(name, sizeof(name), "conflict-%d", (int)policy);
    backup(g->fs, name, 0, file, sizeof(file));
    default_opts(&o, db);
    o.conflict = policy;
    o.collections = only;
    if (policy == MBK_RESTORE_FAIL) {
        char *before = mbk_snapshot(g->client, db, NULL);
        char *after;

        rc = restore_name(g->fs, file, &o, &rep, &err);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.message, "exists in the target"));
        after = mbk_snapshot(g->client, db, NULL);
        assert_string_equal(before, after);
        free(before);
        free(after);
    } else {
        rc = restore_name(g->fs, file, &o, &rep, &err);
        if (rc != 0) {
            fail_msg("restore: %s", err.message);
        }
        assert_int_equal(rep.colls[0].inserted, MBK_FIXTURE_USERS - 3);
        if (policy == MBK_RESTORE_SKIP) {
            assert_int_equal(rep.colls[0].skipped, 3);
            assert_int_equal(count_where(db, "users",
                                         BCON_NEW("department", "old")),
                             3);
        } else {
            assert_int_equal(rep.colls[0].replaced, 3);
            assert_int_equal(count_where(db, "users",
                                         BCON_NEW("department", "old")),
                             0);
            assert_int_equal(count_where(db, "users",
                                         BCON_NEW("email",
                                                  "user000@example.com")),
                             1);
        }
        /* the document only the target had is still there */
        assert_int_equal(count_where(db, "users", BCON_NEW("_id", "mine")), 1);
        assert_int_equal(count_where(db, "users", bson_new()),
                         MBK_FIXTURE_USERS + 1);
    }
    mbk_engine_restore_report_free(&rep);
    mbk_test_db_drop(db);
    free(db);
}

static void
test_restore_conflict_skip(void **state)
{
    conflict_case(MBK_RESTORE_SKIP);
}

static void
test_restore_conflict_replace(void **state)
{
    conflict_case(MBK_RESTORE_REPLACE);
}

static void
test_restore_conflict_fail(void **state)
{
    conflict_case(MBK_RESTORE_FAIL);
}

static void
test_restore_duplicate_ids_in_the_file_rolled_back(void **state)
{
    /* _id 30 twice in one batch, into an existing collection without
     * drop: the second copy fails, and the rollback must still remove the
     * first (ours), while leaving the target's own documents */
    static const char file[] =
        "{\"metadata\":{\"database\":\"r\",\"collections\":[\"people\"]},"
        "\"collections\":{\"people\":["
        "{\"_id\":30,\"email\":\"p@x\"},{\"_id\":31,\"email\":\"q@x\"},"
        "{\"_id\":30,\"email\":\"r@x\"}]}}";
    char *path = tmp_path("dupid.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    write_file(path, file, strlen(file));
    default_opts(&o, db);
    expect_failure_unchanged(path, &o, db, "E11000");
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

static void
test_restore_numeric_ids_are_one_id(void **state)
{
    /* the target holds _id int32 1; the file says int64 1 and 1.0: to
     * MongoDB all three are one _id, so skip skips them */
    static const char file[] =
        "{\"metadata\":{\"database\":\"r\",\"collections\":[\"people\"]},"
        "\"collections\":{\"people\":["
        "{\"_id\":{\"$numberLong\":\"1\"},\"email\":\"x@x\"},"
        "{\"_id\":{\"$numberDouble\":\"1.0\"},\"email\":\"y@x\"},"
        "{\"_id\":2,\"email\":\"z@x\"}]}}";
    char *path = tmp_path("numeric.json");
    char *db = make_target();
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    write_file(path, file, strlen(file));
    default_opts(&o, db);
    o.ordered = true;
    if (restore_path(path, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    assert_int_equal(rep.skipped, 2);
    assert_int_equal(rep.inserted, 1);
    mbk_engine_restore_report_free(&rep);
    assert_int_equal(count_where(db, "people", bson_new()), 2);
    assert_int_equal(count_where(db, "people", BCON_NEW("email", "a@x")), 1);
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

static void
test_restore_replace_rolled_back_on_failure(void **state)
{
    /* replace two existing documents, then fail on a unique index: the
     * replaced documents must come back as they were */
    static const char file[] =
        "{\"metadata\":{\"database\":\"r\",\"collections\":[\"people\"]},"
        "\"collections\":{\"people\":["
        "{\"_id\":1,\"email\":\"a@x\",\"v\":\"new\"},"
        "{\"_id\":20,\"email\":\"c@x\"},{\"_id\":21,\"email\":\"c@x\"}]}}";
    char *path = tmp_path("replace.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    write_file(path, file, strlen(file));
    default_opts(&o, db);
    o.conflict = MBK_RESTORE_REPLACE;
    o.ordered = true;
    expect_failure_unchanged(path, &o, db, "E11000");
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

/* ---- bad files ---------------------------------------------------------- */

static char *
good_text(size_t *len)
{
    struct mbk_storage_reader *r;
    struct mbk_error err;
    char file[200];
    char *buf = NULL;
    size_t n = 0;
    ssize_t k;
    char chunk[65536];

    backup(g->fs, "good", 0, file, sizeof(file));
    r = mbk_storage_get_open(g->fs, file, &err);
    assert_non_null(r);
    while ((k = mbk_storage_get_read(g->fs, r, chunk, sizeof(chunk), &err)) >
           0) {
        buf = realloc(buf, n + (size_t)k + 1);
        memcpy(buf + n, chunk, (size_t)k);
        n += (size_t)k;
    }
    mbk_storage_get_close(g->fs, r);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Replace the first occurrence of from (after the start of `after`). */
static char *
mutate(const char *text, const char *after, const char *from, const char *to)
{
    const char *base = after ? strstr(text, after) : text;
    const char *p = base ? strstr(base, from) : NULL;
    char *out;

    assert_non_null(p);
    out = malloc(strlen(text) + strlen(to) + 1);
    memcpy(out, text, (size_t)(p - text));
    strcpy(out + (p - text), to);
    strcat(out, p + strlen(from));
    return out;
}

struct bad {
    const char *file;
    char *data;
    size_t len;
    const char *expect;
    uint64_t max_bytes;
};

static void
test_restore_bad_files_refused_target_unchanged(void **state)
{
    size_t n;
    char *good = good_text(&n);
    char *db = make_target();
    struct bad cases[16];
    size_t nc = 0;
    char *deep;
    char *big;
    size_t pos;

    /* truncated in the middle of a document */
    cases[nc++] = (struct bad){"truncated.json", strndup(good, n / 2), n / 2,
                               "truncated", 0};
    /* a digest and a count that do not match */
    cases[nc] = (struct bad){"digest.json",
                             mutate(good, "\"sha256\":\"", "\"sha256\":\"",
                                    "\"sha256\":\"0"),
                             0, "SHA-256", 0};
    cases[nc].len = strlen(cases[nc].data);
    nc++;
    cases[nc] = (struct bad){"count.json",
                             mutate(good, "\"users\":{", "\"documentCount\":",
                                    "\"documentCount\":1"),
                             0, "the metadata says", 0};
    cases[nc].len = strlen(cases[nc].data);
    nc++;
    /* trailing garbage */
    cases[nc].file = "trailing.json";
    cases[nc].data = malloc(n + 8);
    memcpy(cases[nc].data, good, n);
    memcpy(cases[nc].data + n, "garbage", 7);
    cases[nc].len = n + 7;
    cases[nc].expect = "trailing";
    cases[nc++].max_bytes = 0;
    /* invalid UTF-8 in a string */
    cases[nc] = (struct bad){"utf8.json",
                             mutate(good, "\"collections\":{", "\"email\" : \"",
                                    "\"email\" : \"\xff"),
                             0, "UTF-8", 0};
    cases[nc].len = strlen(cases[nc].data);
    nc++;
    /* a bad collection name */
    cases[nc] = (struct bad){"name.json",
                             mutate(good, "\n\"collections\":{", "\"roles\":[",
                                    "\"ro$les\":["),
                             0, "ro$les", 0};
    cases[nc].len = strlen(cases[nc].data);
    nc++;
    /* duplicate keys */
    cases[nc] = (struct bad){"dupkey.json",
                             mutate(good, NULL, "\"version\":\"1.0\"",
                                    "\"version\":\"1.0\",\"version\":\"1\""),
                             0, "duplicate", 0};
    cases[nc].len = strlen(cases[nc].data);
    nc++;
    /* a document with a key twice, outside the escape */
    cases[nc] = (struct bad){"dupdoc.json",
                             strdup("{\"metadata\":{\"database\":\"x\","
                                    "\"collections\":[\"a\"]},"
                                    "\"collections\":{\"a\":[{\"_id\":1,"
                                    "\"v\":1,\"_id\":2}]}}"),
                             0, "document 1: duplicate key \"_id\"", 0};
    cases[nc].len = strlen(cases[nc].data);
    nc++;
    /* wrong types */
    cases[nc] = (struct bad){"types.json",
                             strdup("{\"metadata\":{\"database\":\"x\"},"
                                    "\"collections\":[]}"),
                             0, "collections", 0};
    cases[nc].len = strlen(cases[nc].data);
    nc++;
    /* deep nesting */
    deep = malloc(4096);
    pos = (size_t)sprintf(deep, "{\"metadata\":{\"database\":\"x\","
                                "\"collections\":[\"a\"]},\"collections\":"
                                "{\"a\":[{\"_id\":1,\"d\":");
    for (int i = 0; i < 200; i++) {
        deep[pos++] = '[';
    }
    deep[pos++] = '1';
    for (int i = 0; i < 200; i++) {
        deep[pos++] = ']';
    }
    pos += (size_t)sprintf(deep + pos, "}]}}");
    cases[nc++] = (struct bad){"deep.json", deep, pos,
                               "nested deeper than 180 levels", 0};
    /* a string larger than a document may be */
    big = malloc(18u << 20);
    pos = (size_t)sprintf(big, "{\"metadata\":{\"database\":\"x\","
                               "\"collections\":[\"a\"]},\"collections\":"
                               "{\"a\":[{\"_id\":1,\"s\":\"");
    memset(big + pos, 'x', 17u << 20);
    pos += 17u << 20;
    pos += (size_t)sprintf(big + pos, "\"}]}}");
    cases[nc++] = (struct bad){"huge.json", big, pos, "larger than 16777216", 0};
    /* neither JSON nor gzip */
    cases[nc++] = (struct bad){"notjson.bin", strdup("PK\x03\x04zip"), 7,
                               "neither JSON nor gzip", 0};
    /* a gzip bomb: a small file that inflates past the limit */
    {
        size_t raw = 64u << 20;
        char *plain = malloc(raw);
        uLongf zl = compressBound(raw) + 64;
        char *z = malloc(zl);
        z_stream s;

        memset(plain, ' ', raw);
        memcpy(plain + raw - 2, "{}", 2);
        memset(&s, 0, sizeof(s));
        assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 31, 9,
                                      Z_DEFAULT_STRATEGY),
                         Z_OK);
        s.next_in = (Bytef *)plain;
        s.avail_in = (uInt)raw;
        s.next_out = (Bytef *)z;
        s.avail_out = (uInt)zl;
        assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
        cases[nc++] = (struct bad){"bomb.json.gz", z, s.total_out,
                                   "exceeds the limit", 8u << 20};
        deflateEnd(&s);
        free(plain);
    }
    for (size_t i = 0; i < nc; i++) {
        struct mbk_restore_opts o;
        char *path = tmp_path(cases[i].file);

        write_file(path, cases[i].data, cases[i].len);
        default_opts(&o, db);
        o.max_bytes = cases[i].max_bytes;
        expect_failure_unchanged(path, &o, db, cases[i].expect);
        free(path);
        free(cases[i].data);
    }
    free(good);
    mbk_test_db_drop(db);
    free(db);
}

static void
test_restore_plain_json_of_the_original_service(void **state)
{
    /* what the TypeScript service wrote: plain JSON, no mbk fields */
    static const char file[] =
        "{\"metadata\":{\"database\":\"crm_database\",\"timestamp\":"
        "\"2025-10-09T10:00:00.000Z\",\"backupName\":\"daily-backup\","
        "\"description\":\"Daily CRM backup\",\"version\":\"1.0\","
        "\"collections\":[\"users\",\"roles\"],\"compression\":\"none\"},"
        "\"collections\":{\"users\":[{\"_id\":\"652f0c2b1a9d3e4f5a6b7c8d\","
        "\"name\":\"Ada\",\"age\":36,\"score\":4.5,\"tags\":[\"a\"],"
        "\"createdAt\":\"2025-10-09T10:00:00.000Z\"}],\"roles\":[]}}";
    char *path = tmp_path("ts.json");
    char *db = mbk_test_db_new("rts");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    write_file(path, file, strlen(file));
    default_opts(&o, db);
    if (restore_path(path, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    assert_false(rep.typed);
    assert_false(rep.digests_checked);
    assert_int_equal(rep.inserted, 1);
    mbk_engine_restore_report_free(&rep);
    assert_int_equal(count_where(db, "users",
                                 BCON_NEW("age", BCON_INT32(36), "_id",
                                          "652f0c2b1a9d3e4f5a6b7c8d")),
                     1);
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

/* The document with this _id, as the server holds it. */
static bson_t *
fetch(const char *db, const char *coll, int32_t id)
{
    mongoc_collection_t *c = mongoc_client_get_collection(g->client, db, coll);
    bson_t *filter = BCON_NEW("_id", BCON_INT32(id));
    mongoc_cursor_t *cur =
        mongoc_collection_find_with_opts(c, filter, NULL, NULL);
    const bson_t *doc;
    bson_t *out = NULL;

    if (mongoc_cursor_next(cur, &doc)) {
        out = bson_copy(doc);
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
    assert_non_null(out);
    return out;
}

/* What mongod changes on insert: _id moved first, an empty top-level
 * timestamp filled in; and look-alike documents in the escape come back
 * as documents, a js-bson Timestamp string as a Timestamp. */
static void
test_restore_what_the_server_changes(void **state)
{
    static const char file[] =
        "{\"metadata\":{\"database\":\"x\",\"collections\":[\"c\"]},"
        "\"collections\":{\"c\":["
        "{\"2020\":5,\"_id\":1},"
        "{\"_id\":2,\"ts\":{\"$timestamp\":{\"t\":0,\"i\":0}},\"x\":1},"
        "{\"_id\":3,\"q\":{\"$mbk:doc\":{\"$regex\":\"^a\","
        "\"$options\":\"i\"}}},"
        "{\"_id\":4,\"t\":{\"$timestamp\":\"30064771081\"}}]}}";
    char *path = tmp_path("server.json");
    char *db = mbk_test_db_new("rsrv");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    bson_iter_t it;
    bson_t *doc;
    uint32_t t;
    uint32_t i;

    write_file(path, file, strlen(file));
    for (int drop = 0; drop <= 1; drop++) {
        default_opts(&o, db);
        o.drop = drop;
        if (restore_path(path, &o, &rep, &err) != 0) {
            fail_msg("restore (drop %d): %s", drop, err.message);
        }
        assert_int_equal(rep.colls[0].inserted, 4);
        assert_int_equal(rep.colls[0].reordered, 1);
        assert_int_equal(rep.colls[0].filled_timestamps, 1);
        mbk_engine_restore_report_free(&rep);
        doc = fetch(db, "c", 1);
        assert_true(bson_iter_init(&it, doc) && bson_iter_next(&it));
        assert_string_equal(bson_iter_key(&it), "_id");
        bson_destroy(doc);
        doc = fetch(db, "c", 2);
        assert_true(bson_iter_init_find(&it, doc, "ts"));
        bson_iter_timestamp(&it, &t, &i);
        assert_true(t > 0);
        bson_destroy(doc);
        doc = fetch(db, "c", 3);
        assert_true(bson_iter_init_find(&it, doc, "q")
                    && BSON_ITER_HOLDS_DOCUMENT(&it));
        assert_true(bson_iter_recurse(&it, &it) && bson_iter_next(&it));
        assert_string_equal(bson_iter_key(&it), "$regex");
        assert_string_equal(bson_iter_utf8(&it, NULL), "^a");
        bson_destroy(doc);
        doc = fetch(db, "c", 4);
        assert_true(bson_iter_init_find(&it, doc, "t"));
        bson_iter_timestamp(&it, &t, &i);
        assert_int_equal(t, 7);
        assert_int_equal(i, 9);
        bson_destroy(doc);
        mbk_test_db_drop(db);
    }
    free(db);
    free(path);
}

/* The document of target.coll whose _id equals the one of want, as the
 * server holds it, must be want, byte for byte. */
static void
expect_doc(const char *db, const char *coll, const bson_t *want)
{
    mongoc_collection_t *c = mongoc_client_get_collection(g->client, db, coll);
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur;
    const bson_t *doc;
    bson_iter_t it;
    char *text;

    assert_true(bson_iter_init_find(&it, want, "_id"));
    assert_true(bson_append_iter(&filter, "_id", 3, &it));
    cur = mongoc_collection_find_with_opts(c, &filter, NULL, NULL);
    text = bson_as_canonical_extended_json(want, NULL);
    if (!mongoc_cursor_next(cur, &doc)) {
        fail_msg("not restored: %s", text);
    }
    if (doc->len != want->len
        || memcmp(bson_get_data(doc), bson_get_data(want), want->len) != 0) {
        char *got = bson_as_canonical_extended_json(doc, NULL);

        fail_msg("restored differently:\nwanted %s\ngot    %s", text, got);
    }
    bson_free(text);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    mongoc_collection_destroy(c);
}

/* The files PREFIXcanonical.json and PREFIXrelaxed.json in the test's
 * folder restore (without and with drop) exactly as PREFIXMODE.bson. */
static void
restore_foreign(const char *prefix)
{
    static const char *const modes[] = {"canonical", "relaxed"};

    for (size_t m = 0; m < 2; m++) {
        struct mbk_restore_opts o;
        struct mbk_restore_report rep;
        struct mbk_error err;
        bson_reader_t *rd;
        const bson_t *want;
        char path[600];
        char *db = mbk_test_db_new("rforeign");
        bool eof = false;
        int n = 0;

        snprintf(path, sizeof(path), "%s/%s%s.json", g->tmp, prefix, modes[m]);
        default_opts(&o, db);
        o.drop = m == 1;
        if (restore_path(path, &o, &rep, &err) != 0) {
            fail_msg("restore of %s: %s", path, err.message);
        }
        assert_int_equal(rep.failed, 0);
        mbk_engine_restore_report_free(&rep);
        snprintf(path, sizeof(path), "%s/%s%s.bson", g->tmp, prefix, modes[m]);
        rd = bson_reader_new_from_file(path, NULL);
        assert_non_null(rd);
        while ((want = bson_reader_read(rd, &eof)) != NULL) {
            expect_doc(db, "c", want);
            n++;
        }
        assert_true(eof);
        assert_int_equal(n, 3);
        bson_reader_destroy(rd);
        mbk_test_db_drop(db);
        free(db);
    }
}

/* Run a shell command; 77 from it skips the test with why. */
static void
run_or_skip(const char *cmd, const char *why)
{
    int rc = system(cmd);

    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
        fprintf(stderr, "skip: %s\n", why);
        skip();
    }
    if (rc != 0) {
        fail_msg("%s: exit status %d", cmd, rc);
    }
}

/* Kinds a restore cannot do safely as asked are refused before any write:
 * a time-series collection with drop (renameCollection refuses it), a
 * capped one with --conflict replace. */
static void
test_restore_unsafe_kinds_refused(void **state)
{
    static const char ts[] =
        "{\"metadata\":{\"database\":\"x\",\"collections\":[\"a\",\"m\"],"
        "\"collectionInfo\":{\"a\":{},\"m\":{\"type\":\"timeseries\",\"options\":"
        "{\"timeseries\":{\"timeField\":\"t\"}}}}},"
        "\"collections\":{\"a\":[{\"_id\":1}],\"m\":[]}}";
    static const char capped[] =
        "{\"metadata\":{\"database\":\"x\",\"collections\":[\"a\",\"c\"],"
        "\"collectionInfo\":{\"a\":{},\"c\":{\"type\":\"collection\",\"options\":"
        "{\"capped\":true,\"size\":{\"$numberInt\":\"4096\"}}}}},"
        "\"collections\":{\"a\":[{\"_id\":1}],\"c\":[{\"_id\":1}]}}";
    char *path = tmp_path("kinds.json");
    char *db = mbk_test_db_new("rkind");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    write_file(path, ts, strlen(ts));
    default_opts(&o, db);
    o.drop = true;
    assert_int_equal(restore_path(path, &o, &rep, &err), -1);
    mbk_engine_restore_report_free(&rep);
    if (strstr(err.message, "is a time-series") == NULL) {
        fail_msg("unexpected error: %s", err.message);
    }
    assert_non_null(strstr(err.message,
                           "collection \"m\" is a time-series collection: "
                           "MongoDB cannot rename one"));
    assert_int_equal(count_where(db, "a", bson_new()), 0);
    write_file(path, capped, strlen(capped));
    default_opts(&o, db);
    o.conflict = MBK_RESTORE_REPLACE;
    assert_int_equal(restore_path(path, &o, &rep, &err), -1);
    mbk_engine_restore_report_free(&rep);
    assert_non_null(strstr(err.message, "collection \"c\" is capped: "
                                        "--conflict replace"));
    assert_int_equal(count_where(db, "a", bson_new()), 0);
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

/* A time-series and a clustered collection back up and restore without
 * drop (created with their options, the measurements inserted); with drop
 * the time-series one is refused before any write. */
static void
test_restore_timeseries_and_clustered(void **state)
{
    mongoc_database_t *d;
    mongoc_collection_t *c;
    bson_t *opts;
    bson_error_t e;
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char *src = mbk_test_db_new("rtssrc");
    char *dst = mbk_test_db_new("rtsdst");
    char *a;
    char *b;

    d = mongoc_client_get_database(g->client, src);
    opts = BCON_NEW("timeseries", "{", "timeField", "at", "metaField", "m",
                    "}");
    c = mongoc_database_create_collection(d, "ts", opts, &e);
    if (c == NULL) {
        fail_msg("creating a time-series collection: %s", e.message);
    }
    bson_destroy(opts);
    for (int i = 0; i < 3; i++) {
        bson_t *doc = BCON_NEW("at", BCON_DATE_TIME(1700000000000 + i),
                               "m", "sensor", "v", BCON_INT32(i));

        assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
        bson_destroy(doc);
    }
    mongoc_collection_destroy(c);
    opts = BCON_NEW("clusteredIndex", "{", "key", "{", "_id", BCON_INT32(1),
                    "}", "unique", BCON_BOOL(true), "}");
    c = mongoc_database_create_collection(d, "clustered", opts, &e);
    if (c == NULL) {
        fail_msg("creating a clustered collection: %s", e.message);
    }
    bson_destroy(opts);
    opts = BCON_NEW("_id", BCON_INT32(1));
    assert_true(mongoc_collection_insert_one(c, opts, NULL, NULL, &e));
    bson_destroy(opts);
    mongoc_collection_destroy(c);
    mongoc_database_destroy(d);

    backup_db(g->fs, src, "timeseries", 0, file, sizeof(file));
    default_opts(&o, dst);
    if (restore_name(g->fs, file, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    mbk_engine_restore_report_free(&rep);
    a = mbk_snapshot(g->client, src, NULL);
    b = mbk_snapshot(g->client, dst, NULL);
    if (strcmp(a, b) != 0) {
        fail_msg("differs:\n--- source\n%.3000s\n--- restored\n%.3000s", a,
                 b);
    }
    free(a);
    free(b);
    mbk_test_db_drop(dst);
    default_opts(&o, dst);
    o.drop = true;
    assert_int_equal(restore_name(g->fs, file, &o, &rep, &err), -1);
    mbk_engine_restore_report_free(&rep);
    assert_non_null(strstr(err.message, "is a time-series collection"));
    assert_int_equal(count_where(dst, "clustered", bson_new()), 0);
    mbk_test_db_drop(src);
    mbk_test_db_drop(dst);
    free(src);
    free(dst);
}

/* Legacy index specs are converted as mongorestore --convertLegacyIndexes
 * does, and the report says so. */
static void
test_restore_legacy_indexes_converted(void **state)
{
    static const char file[] =
        "{\"metadata\":{\"database\":\"x\",\"collections\":[\"a\"],"
        "\"collectionInfo\":{\"a\":{\"type\":\"collection\",\"indexes\":["
        "{\"v\":{\"$numberInt\":\"1\"},\"key\":{\"a\":{\"$numberInt\":\"0\"},"
        "\"b\":\"\",\"c\":true,\"d\":{\"$numberInt\":\"-1\"}},\"name\":\"old\","
        "\"ns\":\"x.a\",\"dropDups\":true,\"safe\":null,"
        "\"background\":{\"$numberInt\":\"1\"}}]}}},"
        "\"collections\":{\"a\":[{\"_id\":1}]}}";
    char *path = tmp_path("legacy-index.json");
    char *db = mbk_test_db_new("rlegacy");
    mongoc_collection_t *c;
    mongoc_cursor_t *cur;
    const bson_t *spec;
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    bson_iter_t it;
    bson_t key;
    int found = 0;

    write_file(path, file, strlen(file));
    default_opts(&o, db);
    if (restore_path(path, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    assert_int_equal(rep.colls[0].indexes_converted, 1);
    mbk_engine_restore_report_free(&rep);
    c = mongoc_client_get_collection(g->client, db, "a");
    cur = mongoc_collection_find_indexes_with_opts(c, NULL);
    while (mongoc_cursor_next(cur, &spec)) {
        if (!bson_iter_init_find(&it, spec, "name")
            || strcmp(bson_iter_utf8(&it, NULL), "old") != 0) {
            continue;
        }
        found++;
        assert_false(bson_iter_init_find(&it, spec, "dropDups"));
        assert_false(bson_iter_init_find(&it, spec, "safe"));
        bson_init(&key);
        BSON_APPEND_INT32(&key, "a", 1);
        BSON_APPEND_INT32(&key, "b", 1);
        BSON_APPEND_INT32(&key, "c", 1);
        BSON_APPEND_INT32(&key, "d", -1);
        assert_true(bson_iter_init_find(&it, spec, "key"));
        {
            const uint8_t *data;
            uint32_t len;

            bson_iter_document(&it, &len, &data);
            assert_int_equal(len, key.len);
            assert_memory_equal(data, bson_get_data(&key), len);
        }
        bson_destroy(&key);
    }
    assert_int_equal(found, 1);
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(c);
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

/* The source tree (make check sets MBK_SRCDIR), or a skip. */
static const char *
srcdir(void)
{
    const char *s = getenv("MBK_SRCDIR");

    if (s == NULL) {
        fprintf(stderr, "skip: MBK_SRCDIR is not set\n");
        skip();
    }
    return s;
}

/* Files of Python's bson.json_util, canonical and relaxed: each document
 * restores as json_util.loads reads the same text. */
static void
test_restore_files_of_python(void **state)
{
    const char *py = getenv("MBK_PYTHON");
    char cmd[1400];

    snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/integration/foreign_python.py'"
             " '%s'", py != NULL ? py : "/usr/bin/python3",
             srcdir(), g->tmp);
    run_or_skip(cmd, "python3-bson (bson.json_util) is missing");
    restore_foreign("");
}

/* Files of Node's bson (EJSON.stringify), pinned, installed from npm into
 * the test's folder: each document restores as EJSON.parse reads it. */
static void
test_restore_files_of_node(void **state)
{
    char cmd[1600];

    snprintf(cmd, sizeof(cmd),
             "command -v node >/dev/null && command -v npm >/dev/null "
             "|| exit 77; mkdir -p '%s/node' && cd '%s/node' && "
             "npm install --no-audit --no-fund --no-save --prefix . "
             "bson@6.10.3 >npm.log 2>&1 || { cat npm.log >&2; exit 77; }",
             g->tmp, g->tmp);
    run_or_skip(cmd, "node, npm or the npm registry (bson@6.10.3) is "
                     "unavailable");
    snprintf(cmd, sizeof(cmd),
             "node '%s/tests/integration/foreign_node.cjs' '%s/node' '%s'",
             srcdir(), g->tmp, g->tmp);
    run_or_skip(cmd, "node cannot run the writer");
    restore_foreign("node-");
}

static void
test_restore_from_stream(void **state)
{
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_restore_input in = {NULL, NULL, NULL, -1};
    struct mbk_error err;
    char file[200];
    char path[600];
    char *target = mbk_test_db_new("rstream");

    backup(g->fs, "stream", 6, file, sizeof(file));
    snprintf(path, sizeof(path), "%s/%s", g->tmp, file);
    in.fd = open(path, O_RDONLY);
    assert_true(in.fd >= 0);
    default_opts(&o, target);
    o.drop = true;
    if (mbk_engine_restore_run(g->m, &in, &o, &rep, &err) != 0) {
        fail_msg("restore from a stream: %s", err.message);
    }
    close(in.fd);
    mbk_engine_restore_report_free(&rep);
    expect_same_db(g->src, target);
    mbk_test_db_drop(target);
    free(target);
}

static void
test_restore_recovers_a_crashed_run(void **state)
{
    /* What a restore killed in the middle of its swap leaves: its staging
     * collection, the old "people" moved aside, a half-swapped "people",
     * and its journal entry.  The run id names another host and a start
     * in 1970, so it is dead. */
    static const char run[] = "00000001-1-1000";
    char *db = mbk_test_db_new("rcrash");
    mongoc_database_t *d = mongoc_client_get_database(g->client, db);
    mongoc_collection_t *c;
    char staging[200];
    char orig[200];
    char from_ns[300];
    char to_ns[300];
    char *want;
    char *got;
    bson_t *doc;
    bson_error_t e;
    unsigned removed = 0;
    struct mbk_error err;

    snprintf(staging, sizeof(staging), "__mbk_staging.%s.s.users", run);
    snprintf(orig, sizeof(orig), "__mbk_staging.%s.o.people", run);
    c = mongoc_database_get_collection(d, "people");
    doc = BCON_NEW("_id", BCON_INT32(1), "name", "the original");
    assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
    bson_destroy(doc);
    mongoc_collection_destroy(c);
    want = mbk_snapshot(g->client, db, NULL);
    /* the crash: people moved aside, new data in its place */
    snprintf(from_ns, sizeof(from_ns), "%s.people", db);
    snprintf(to_ns, sizeof(to_ns), "%s.%s", db, orig);
    doc = BCON_NEW("renameCollection", BCON_UTF8(from_ns), "to",
                   BCON_UTF8(to_ns));
    assert_true(mongoc_client_command_simple(g->client, "admin", doc, NULL,
                                             NULL, &e));
    bson_destroy(doc);
    c = mongoc_database_get_collection(d, "people");
    doc = BCON_NEW("_id", BCON_INT32(2), "name", "half-restored");
    assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
    bson_destroy(doc);
    mongoc_collection_destroy(c);
    c = mongoc_database_get_collection(d, staging);
    doc = BCON_NEW("_id", BCON_INT32(3));
    assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
    bson_destroy(doc);
    mongoc_collection_destroy(c);
    c = mongoc_database_get_collection(d, "__mbk_staging.journal");
    doc = BCON_NEW("_id", run, "state", "swap", "colls", "[", "{", "target",
                   "people", "orig", BCON_UTF8(orig), "existed",
                   BCON_BOOL(true), "}", "]");
    assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
    bson_destroy(doc);
    mongoc_collection_destroy(c);
    mongoc_database_destroy(d);

    if (mbk_engine_restore_recover(g->m, db, &removed, &err) != 0) {
        fail_msg("recover: %s", err.message);
    }
    assert_int_equal(removed, 2); /* orig renamed back, staging dropped */
    got = mbk_snapshot(g->client, db, NULL);
    assert_string_equal(want, got);
    free(want);
    free(got);
    mbk_test_db_drop(db);
    free(db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_round_trip_fs_plain),
        cmocka_unit_test(test_restore_round_trip_fs_gzip_drop),
        cmocka_unit_test(test_restore_round_trip_tar_plain_drop),
        cmocka_unit_test(test_restore_round_trip_tar_gzip),
        cmocka_unit_test(test_restore_into_itself_with_drop),
        cmocka_unit_test(test_restore_unique_break_with_drop_leaves_target),
        cmocka_unit_test(test_restore_unique_break_without_drop_leaves_target),
        cmocka_unit_test(test_restore_validator_break_leaves_target),
        cmocka_unit_test(test_restore_dry_run_writes_nothing),
        cmocka_unit_test(test_restore_conflict_skip),
        cmocka_unit_test(test_restore_conflict_replace),
        cmocka_unit_test(test_restore_conflict_fail),
        cmocka_unit_test(test_restore_replace_rolled_back_on_failure),
        cmocka_unit_test(test_restore_numeric_ids_are_one_id),
        cmocka_unit_test(test_restore_duplicate_ids_in_the_file_rolled_back),
        cmocka_unit_test(test_restore_bad_files_refused_target_unchanged),
        cmocka_unit_test(test_restore_plain_json_of_the_original_service),
        cmocka_unit_test(test_restore_what_the_server_changes),
        cmocka_unit_test(test_restore_unsafe_kinds_refused),
        cmocka_unit_test(test_restore_legacy_indexes_converted),
        cmocka_unit_test(test_restore_timeseries_and_clustered),
        cmocka_unit_test(test_restore_files_of_python),
        cmocka_unit_test(test_restore_files_of_node),
        cmocka_unit_test(test_restore_torture_fs),
        cmocka_unit_test(test_restore_torture_tar),
        cmocka_unit_test(test_restore_from_stream),
        cmocka_unit_test(test_restore_recovers_a_crashed_run),
    };

    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
