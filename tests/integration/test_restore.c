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

#include "engine/backup/backup.h"
#include "engine/backup/catalog.h"
#include "engine/restore/restore.h"
#include "storage/loader.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/integration/restore_util.h"
#include "tests/integration/snapshot.h"

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
    mbk_rt_backup(st, name, gzip, file, sizeof(file));
    mbk_rt_default_opts(&o, target);
    o.drop = drop;
    o.jobs = jobs;
    if (mbk_rt_restore_name(st, file, &o, &rep, &err) != 0) {
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
    mbk_rt_expect_same_db(mbk_rt->src, target);
    mbk_test_db_drop(target);
    free(target);
}

static void
test_restore_round_trip_fs_plain(void **state)
{
    round_trip(mbk_rt->fs, 0, false, 2);
}

static void
test_restore_round_trip_fs_gzip_drop(void **state)
{
    round_trip(mbk_rt->fs, 6, true, 3);
}

static void
test_restore_round_trip_tar_plain_drop(void **state)
{
    round_trip(mbk_rt->tar, 0, true, 1);
}

static void
test_restore_round_trip_tar_gzip(void **state)
{
    round_trip(mbk_rt->tar, 1, false, 4);
}

static void
test_restore_into_itself_with_drop(void **state)
{
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char *before = mbk_snapshot(mbk_rt->client, mbk_rt->src, NULL);
    char *after;

    mbk_rt_backup(mbk_rt->fs, "self", 0, file, sizeof(file));
    mbk_rt_default_opts(&o, NULL); /* the backup's own database */
    o.drop = true;
    if (mbk_rt_restore_name(mbk_rt->fs, file, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    mbk_engine_restore_report_free(&rep);
    after = mbk_snapshot(mbk_rt->client, mbk_rt->src, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* ---- files made by hand ------------------------------------------------- */

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
    mongoc_database_t *d = mongoc_client_get_database(mbk_rt->client, db);
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
    char *before = mbk_snapshot(mbk_rt->client, db, NULL);
    char *after;

    mbk_error_clear(&err);
    assert_int_equal(mbk_rt_restore_path(path, o, &rep, &err), -1);
    if (strstr(err.message, expect) == NULL) {
        fail_msg("expected \"%s\" in: %s", expect, err.message);
    }
    mbk_engine_restore_report_free(&rep);
    after = mbk_snapshot(mbk_rt->client, db, NULL);
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
    char *path = mbk_rt_tmp_path("hand.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    mbk_rt_write_file(path, hand_file, strlen(hand_file));
    mbk_rt_default_opts(&o, db);
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
    char *path = mbk_rt_tmp_path("hand2.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    mbk_rt_write_file(path, hand_file, strlen(hand_file));
    mbk_rt_default_opts(&o, db);
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
    char *path = mbk_rt_tmp_path("validator.json");
    char *db = mbk_test_db_new("rval");
    mongoc_database_t *d = mongoc_client_get_database(mbk_rt->client, db);
    bson_t *cmd = BCON_NEW("create", "contacts", "validator", "{", "name", "{",
                           "$type", "string", "}", "}");
    struct mbk_restore_opts o;
    bson_error_t e;

    assert_true(mongoc_database_command_simple(d, cmd, NULL, NULL, &e));
    bson_destroy(cmd);
    mongoc_database_destroy(d);
    mbk_rt_write_file(path, file, strlen(file));
    mbk_rt_default_opts(&o, db);
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
    mongoc_collection_t *c = mongoc_client_get_collection(mbk_rt->client, db,
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

static void
test_restore_dry_run_writes_nothing(void **state)
{
    const char *const only[] = {"users", "roles", NULL};
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    char file[200];
    char *db = make_conflicting_target();
    char *before = mbk_snapshot(mbk_rt->client, db, NULL);
    char *after;

    mbk_rt_backup(mbk_rt->fs, "dry", 6, file, sizeof(file));
    mbk_rt_default_opts(&o, db);
    o.dry_run = true;
    o.collections = only;
    if (mbk_rt_restore_name(mbk_rt->fs, file, &o, &rep, &err) != 0) {
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
    after = mbk_snapshot(mbk_rt->client, db, NULL);
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
    mbk_rt_backup(mbk_rt->fs, name, 0, file, sizeof(file));
    mbk_rt_default_opts(&o, db);
    o.conflict = policy;
    o.collections = only;
    if (policy == MBK_RESTORE_FAIL) {
        char *before = mbk_snapshot(mbk_rt->client, db, NULL);
        char *after;

        rc = mbk_rt_restore_name(mbk_rt->fs, file, &o, &rep, &err);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.message, "exists in the target"));
        after = mbk_snapshot(mbk_rt->client, db, NULL);
        assert_string_equal(before, after);
        free(before);
        free(after);
    } else {
        rc = mbk_rt_restore_name(mbk_rt->fs, file, &o, &rep, &err);
        if (rc != 0) {
            fail_msg("restore: %s", err.message);
        }
        assert_int_equal(rep.colls[0].inserted, MBK_FIXTURE_USERS - 3);
        if (policy == MBK_RESTORE_SKIP) {
            assert_int_equal(rep.colls[0].skipped, 3);
            assert_int_equal(mbk_rt_count_where(db, "users",
                                         BCON_NEW("department", "old")),
                             3);
        } else {
            assert_int_equal(rep.colls[0].replaced, 3);
            assert_int_equal(mbk_rt_count_where(db, "users",
                                         BCON_NEW("department", "old")),
                             0);
            assert_int_equal(mbk_rt_count_where(db, "users",
                                         BCON_NEW("email",
                                                  "user000@example.com")),
                             1);
        }
        /* the document only the target had is still there */
        assert_int_equal(mbk_rt_count_where(db, "users", BCON_NEW("_id", "mine")), 1);
        assert_int_equal(mbk_rt_count_where(db, "users", bson_new()),
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
    char *path = mbk_rt_tmp_path("dupid.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    mbk_rt_write_file(path, file, strlen(file));
    mbk_rt_default_opts(&o, db);
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
    char *path = mbk_rt_tmp_path("numeric.json");
    char *db = make_target();
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    mbk_rt_write_file(path, file, strlen(file));
    mbk_rt_default_opts(&o, db);
    o.ordered = true;
    if (mbk_rt_restore_path(path, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    assert_int_equal(rep.skipped, 2);
    assert_int_equal(rep.inserted, 1);
    mbk_engine_restore_report_free(&rep);
    assert_int_equal(mbk_rt_count_where(db, "people", bson_new()), 2);
    assert_int_equal(mbk_rt_count_where(db, "people", BCON_NEW("email", "a@x")), 1);
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
    char *path = mbk_rt_tmp_path("replace.json");
    char *db = make_target();
    struct mbk_restore_opts o;

    mbk_rt_write_file(path, file, strlen(file));
    mbk_rt_default_opts(&o, db);
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

    mbk_rt_backup(mbk_rt->fs, "good", 0, file, sizeof(file));
    r = mbk_storage_get_open(mbk_rt->fs, file, &err);
    assert_non_null(r);
    while ((k = mbk_storage_get_read(mbk_rt->fs, r, chunk, sizeof(chunk), &err)) >
           0) {
        buf = realloc(buf, n + (size_t)k + 1);
        memcpy(buf + n, chunk, (size_t)k);
        n += (size_t)k;
    }
    mbk_storage_get_close(mbk_rt->fs, r);
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
        char *path = mbk_rt_tmp_path(cases[i].file);

        mbk_rt_write_file(path, cases[i].data, cases[i].len);
        mbk_rt_default_opts(&o, db);
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
    char *path = mbk_rt_tmp_path("ts.json");
    char *db = mbk_test_db_new("rts");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    mbk_rt_write_file(path, file, strlen(file));
    mbk_rt_default_opts(&o, db);
    if (mbk_rt_restore_path(path, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    assert_false(rep.typed);
    assert_false(rep.digests_checked);
    assert_int_equal(rep.inserted, 1);
    mbk_engine_restore_report_free(&rep);
    assert_int_equal(mbk_rt_count_where(db, "users",
                                 BCON_NEW("age", BCON_INT32(36), "_id",
                                          "652f0c2b1a9d3e4f5a6b7c8d")),
                     1);
    mbk_test_db_drop(db);
    free(db);
    free(path);
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

    mbk_rt_backup(mbk_rt->fs, "stream", 6, file, sizeof(file));
    snprintf(path, sizeof(path), "%s/%s", mbk_rt->tmp, file);
    in.fd = open(path, O_RDONLY);
    assert_true(in.fd >= 0);
    mbk_rt_default_opts(&o, target);
    o.drop = true;
    if (mbk_engine_restore_run(mbk_rt->m, &in, &o, &rep, &err) != 0) {
        fail_msg("restore from a stream: %s", err.message);
    }
    close(in.fd);
    mbk_engine_restore_report_free(&rep);
    mbk_rt_expect_same_db(mbk_rt->src, target);
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
    mongoc_database_t *d = mongoc_client_get_database(mbk_rt->client, db);
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
    want = mbk_snapshot(mbk_rt->client, db, NULL);
    /* the crash: people moved aside, new data in its place */
    snprintf(from_ns, sizeof(from_ns), "%s.people", db);
    snprintf(to_ns, sizeof(to_ns), "%s.%s", db, orig);
    doc = BCON_NEW("renameCollection", BCON_UTF8(from_ns), "to",
                   BCON_UTF8(to_ns));
    assert_true(mongoc_client_command_simple(mbk_rt->client, "admin", doc, NULL,
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

    if (mbk_engine_restore_recover(mbk_rt->m, db, &removed, &err) != 0) {
        fail_msg("recover: %s", err.message);
    }
    assert_int_equal(removed, 2); /* orig renamed back, staging dropped */
    got = mbk_snapshot(mbk_rt->client, db, NULL);
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
        cmocka_unit_test(test_restore_from_stream),
        cmocka_unit_test(test_restore_recovers_a_crashed_run),
    };

    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, mbk_rt_setup, mbk_rt_teardown);
}
