/*
 * test_lossless.c: restores lose nothing a real MongoDB holds (issue 12):
 * the torture database through both plugins with and without gzip and
 * drop, byte for byte after mbk verify; what mongod changes on insert; files
 * of other writers (Python's bson.json_util, Node's bson); time-series,
 * clustered and capped collections; legacy index specs.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>

#include "engine/backup/catalog.h"
#include "engine/mongo/mongo.h"
#include "engine/restore/restore.h"
#include "tests/integration/harness.h"
#include "tests/integration/restore_util.h"
#include "tests/integration/snapshot.h"
#include "tests/integration/torture.h"

/* `mbk verify FILE --storage SPEC`, the command line's own check. */
static void
cli_verify(const char *spec, const char *file)
{
    int rc = mbk_test_group_mbk(&mbk_rt->g, "verify '%s' --storage '%s'",
                                file, spec);

    if (rc != 0) {
        fail_msg("mbk verify %s --storage %s: status %d", file, spec, rc);
    }
}

/*
 * The torture database through a plugin (spec: the same storage for the
 * command line), with and without gzip: the backup verifies (each document
 * would come back identical) in the engine and with `mbk verify`, and
 * restored with and without drop into another database it is the same,
 * BSON byte for byte (documents, indexes, options).
 */
static void
torture(struct mbk_storage *st, const char *spec, int gzip, bool drop)
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
    mbk_rt_backup_db(st, mbk_rt->torture, name, gzip, file, sizeof(file));
    if (mbk_engine_verify(st, file, &vr, &err) != 0) {
        fail_msg("verify %s: %s", file, err.message);
    }
    mbk_engine_verify_result_free(&vr);
    cli_verify(spec, file);
    mbk_rt_default_opts(&o, target);
    o.drop = drop;
    if (mbk_rt_restore_name(st, file, &o, &rep, &err) != 0) {
        fail_msg("restore %s: %s", file, err.message);
    }
    assert_string_equal(rep.status, "ok");
    assert_int_equal(rep.ncoll, MBK_TORTURE_COLLECTIONS);
    assert_int_equal(rep.failed, 0);
    mbk_engine_restore_report_free(&rep);
    a = mbk_snapshot(mbk_rt->client, mbk_rt->torture, NULL);
    b = mbk_snapshot(mbk_rt->client, target, NULL);
    if (strcmp(a, b) != 0) {
        size_t at = 0;

        /* from the start of the first line that differs */
        for (size_t i = 0; a[i] == b[i]; i++) {
            at = a[i] == '\n' ? i + 1 : at;
        }
        fail_msg("the restored torture database differs (gzip %d, drop %d):"
                 "\n--- source\n%.1500s\n--- restored\n%.1500s", gzip, drop,
                 a + at, b + at);
    }
    free(a);
    free(b);
    mbk_test_db_drop(target);
    free(target);
}

static void
test_restore_torture_fs(void **state)
{
    char spec[300];

    snprintf(spec, sizeof(spec), "fs:%s", mbk_rt->tmp);
    torture(mbk_rt->fs, spec, 0, false);
    torture(mbk_rt->fs, spec, 6, true);
}

static void
test_restore_torture_tar(void **state)
{
    char spec[300];

    snprintf(spec, sizeof(spec), "tar:%s/backups.tar", mbk_rt->tmp);
    torture(mbk_rt->tar, spec, 0, true);
    torture(mbk_rt->tar, spec, 1, false);
}

/*
 * The same through every storage of $MBK_TEST_STORAGE_URLS (space
 * separated, as the storage conformance suite takes them), each with and
 * without gzip and drop: tests/s3/test_lossless.sh runs this case against
 * a fresh Ceph RADOS Gateway.  Skipped (saying so) without URLs.
 */
static void
test_restore_torture_urls(void **state)
{
    const char *list = getenv("MBK_TEST_STORAGE_URLS");
    char copy[2048];
    char *save = NULL;
    int n = 0;

    if (list == NULL || *list == '\0') {
        fprintf(stderr, "skip: MBK_TEST_STORAGE_URLS is not set "
                        "(tests/s3/test_lossless.sh sets it to a Ceph RADOS "
                        "Gateway's bucket)\n");
        skip();
    }
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *u = strtok_r(copy, " ", &save); u != NULL;
         u = strtok_r(NULL, " ", &save)) {
        struct mbk_storage *st;
        struct mbk_error err;
        char spec[600];

        /* a fresh prefix per run: nothing of an earlier run is listed */
        snprintf(spec, sizeof(spec), "%s/lossless-%ld", u, (long)getpid());
        st = mbk_storage_open(spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
        if (st == NULL) {
            fail_msg("opening %s: %s", spec, err.message);
        }
        for (int gzip = 0; gzip <= 6; gzip += 6) {
            torture(st, spec, gzip, false);
            torture(st, spec, gzip, true);
        }
        mbk_storage_close(st);
        n++;
    }
    assert_true(n > 0);
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
    char *path = mbk_rt_tmp_path("server.json");
    char *db = mbk_test_db_new("rsrv");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;
    bson_iter_t it;
    bson_t *doc;
    uint32_t t;
    uint32_t i;

    mbk_rt_write_file(path, file, strlen(file));
    for (int drop = 0; drop <= 1; drop++) {
        mbk_rt_default_opts(&o, db);
        o.drop = drop;
        if (mbk_rt_restore_path(path, &o, &rep, &err) != 0) {
            fail_msg("restore (drop %d): %s", drop, err.message);
        }
        assert_int_equal(rep.colls[0].inserted, 4);
        assert_int_equal(rep.colls[0].reordered, 1);
        assert_int_equal(rep.colls[0].filled_timestamps, 1);
        mbk_engine_restore_report_free(&rep);
        doc = mbk_rt_fetch(db, "c", 1);
        assert_true(bson_iter_init(&it, doc) && bson_iter_next(&it));
        assert_string_equal(bson_iter_key(&it), "_id");
        bson_destroy(doc);
        doc = mbk_rt_fetch(db, "c", 2);
        assert_true(bson_iter_init_find(&it, doc, "ts"));
        bson_iter_timestamp(&it, &t, &i);
        assert_true(t > 0);
        bson_destroy(doc);
        doc = mbk_rt_fetch(db, "c", 3);
        assert_true(bson_iter_init_find(&it, doc, "q")
                    && BSON_ITER_HOLDS_DOCUMENT(&it));
        assert_true(bson_iter_recurse(&it, &it) && bson_iter_next(&it));
        assert_string_equal(bson_iter_key(&it), "$regex");
        assert_string_equal(bson_iter_utf8(&it, NULL), "^a");
        bson_destroy(doc);
        doc = mbk_rt_fetch(db, "c", 4);
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

        snprintf(path, sizeof(path), "%s/%s%s.json", mbk_rt->tmp, prefix, modes[m]);
        mbk_rt_default_opts(&o, db);
        o.drop = m == 1;
        if (mbk_rt_restore_path(path, &o, &rep, &err) != 0) {
            fail_msg("restore of %s: %s", path, err.message);
        }
        assert_int_equal(rep.failed, 0);
        mbk_engine_restore_report_free(&rep);
        snprintf(path, sizeof(path), "%s/%s%s.bson", mbk_rt->tmp, prefix, modes[m]);
        rd = bson_reader_new_from_file(path, NULL);
        assert_non_null(rd);
        while ((want = bson_reader_read(rd, &eof)) != NULL) {
            mbk_rt_expect_doc(db, "c", want);
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
    char *path = mbk_rt_tmp_path("kinds.json");
    char *db = mbk_test_db_new("rkind");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    mbk_rt_write_file(path, ts, strlen(ts));
    mbk_rt_default_opts(&o, db);
    o.drop = true;
    assert_int_equal(mbk_rt_restore_path(path, &o, &rep, &err), -1);
    mbk_engine_restore_report_free(&rep);
    if (strstr(err.message, "is a time-series") == NULL) {
        fail_msg("unexpected error: %s", err.message);
    }
    assert_non_null(strstr(err.message,
                           "collection \"m\" is a time-series collection: "
                           "MongoDB cannot rename one"));
    assert_int_equal(mbk_rt_count_where(db, "a", bson_new()), 0);
    mbk_rt_write_file(path, capped, strlen(capped));
    mbk_rt_default_opts(&o, db);
    o.conflict = MBK_RESTORE_REPLACE;
    assert_int_equal(mbk_rt_restore_path(path, &o, &rep, &err), -1);
    mbk_engine_restore_report_free(&rep);
    assert_non_null(strstr(err.message, "collection \"c\" is capped: "
                                        "--conflict replace"));
    assert_int_equal(mbk_rt_count_where(db, "a", bson_new()), 0);
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

/* Without drop, a capped target that what it holds plus the backup could
 * overflow (MongoDB would evict its oldest documents, which a rollback
 * cannot put back) is refused before any write, by count ("max") or by
 * bytes ("size"), naming the numbers; one where everything fits restores. */
static void
capped_refused(const char *db, const char *file, const char *expect)
{
    char *path = mbk_rt_tmp_path("capped.json");
    char *before = mbk_snapshot(mbk_rt->client, db, NULL);
    char *after;
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    mbk_rt_write_file(path, file, strlen(file));
    mbk_rt_default_opts(&o, db);
    mbk_error_clear(&err);
    assert_int_equal(mbk_rt_restore_path(path, &o, &rep, &err), -1);
    mbk_engine_restore_report_free(&rep);
    if (strstr(err.message, expect) == NULL) {
        fail_msg("expected \"%s\" in: %s", expect, err.message);
    }
    after = mbk_snapshot(mbk_rt->client, db, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(path);
}

static void
test_restore_capped_target_would_evict(void **state)
{
    static const char two[] =
        "{\"metadata\":{\"database\":\"x\",\"collections\":[\"a\",\"c\"]},"
        "\"collections\":{\"a\":[{\"_id\":1}],"
        "\"c\":[{\"_id\":1},{\"_id\":2}]}}";
    static const char one[] =
        "{\"metadata\":{\"database\":\"x\",\"collections\":[\"a\",\"c\"]},"
        "\"collections\":{\"a\":[{\"_id\":1}],\"c\":[{\"_id\":3}]}}";
    char big[6000];
    char *db = mbk_test_db_new("rcap");
    mongoc_database_t *d = mongoc_client_get_database(mbk_rt->client, db);
    mongoc_collection_t *c;
    bson_t *cmd;
    bson_error_t e;
    char *path = mbk_rt_tmp_path("capped-fits.json");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    (void)state;
    cmd = BCON_NEW("create", "c", "capped", BCON_BOOL(true), "size",
                   BCON_INT32(4096), "max", BCON_INT32(4));
    assert_true(mongoc_database_command_simple(d, cmd, NULL, NULL, &e));
    bson_destroy(cmd);
    c = mongoc_client_get_collection(mbk_rt->client, db, "c");
    for (int32_t i = 101; i <= 103; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT32(i));

        assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &e));
        bson_destroy(doc);
    }
    /* by count: 3 held + 2 > max 4 */
    capped_refused(db, two,
                   "collection \"c\" is capped in the target (size 4096 "
                   "bytes, max 4 documents) and holds 3 documents of 42 "
                   "bytes; adding the backup's 2 documents of 28 bytes "
                   "could make MongoDB evict documents a rollback cannot "
                   "put back; restore it with --drop");
    /* by bytes: one document of about 5000 bytes > size 4096 */
    snprintf(big, sizeof(big),
             "{\"metadata\":{\"database\":\"x\",\"collections\":[\"a\","
             "\"c\"]},\"collections\":{\"a\":[{\"_id\":1}],\"c\":[{\"_id\":"
             "4,\"s\":\"%05000d\"}]}}", 0);
    capped_refused(db, big, "documents of 5022 bytes could make MongoDB "
                            "evict");
    /* fits: 3 + 1 <= 4 documents, 56 <= 4096 bytes */
    mbk_rt_write_file(path, one, strlen(one));
    mbk_rt_default_opts(&o, db);
    if (mbk_rt_restore_path(path, &o, &rep, &err) != 0) {
        fail_msg("restore into a capped target that fits: %s", err.message);
    }
    assert_string_equal(rep.status, "ok");
    assert_true(rep.colls[1].target_capped);
    assert_int_equal(rep.colls[1].inserted, 1);
    mbk_engine_restore_report_free(&rep);
    assert_int_equal(mbk_rt_count_where(db, "c", bson_new()), 4);
    assert_int_equal(mbk_rt_count_where(db, "a", bson_new()), 1);
    mongoc_collection_destroy(c);
    mongoc_database_destroy(d);
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

    d = mongoc_client_get_database(mbk_rt->client, src);
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

    mbk_rt_backup_db(mbk_rt->fs, src, "timeseries", 0, file, sizeof(file));
    mbk_rt_default_opts(&o, dst);
    if (mbk_rt_restore_name(mbk_rt->fs, file, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    mbk_engine_restore_report_free(&rep);
    a = mbk_snapshot(mbk_rt->client, src, NULL);
    b = mbk_snapshot(mbk_rt->client, dst, NULL);
    if (strcmp(a, b) != 0) {
        fail_msg("differs:\n--- source\n%.3000s\n--- restored\n%.3000s", a,
                 b);
    }
    free(a);
    free(b);
    mbk_test_db_drop(dst);
    mbk_rt_default_opts(&o, dst);
    o.drop = true;
    assert_int_equal(mbk_rt_restore_name(mbk_rt->fs, file, &o, &rep, &err), -1);
    mbk_engine_restore_report_free(&rep);
    assert_non_null(strstr(err.message, "is a time-series collection"));
    assert_int_equal(mbk_rt_count_where(dst, "clustered", bson_new()), 0);
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
    char *path = mbk_rt_tmp_path("legacy-index.json");
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

    mbk_rt_write_file(path, file, strlen(file));
    mbk_rt_default_opts(&o, db);
    if (mbk_rt_restore_path(path, &o, &rep, &err) != 0) {
        fail_msg("restore: %s", err.message);
    }
    assert_int_equal(rep.colls[0].indexes_converted, 1);
    mbk_engine_restore_report_free(&rep);
    c = mongoc_client_get_collection(mbk_rt->client, db, "a");
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
             srcdir(), mbk_rt->tmp);
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
             mbk_rt->tmp, mbk_rt->tmp);
    run_or_skip(cmd, "node, npm or the npm registry (bson@6.10.3) is "
                     "unavailable");
    snprintf(cmd, sizeof(cmd),
             "node '%s/tests/integration/foreign_node.cjs' '%s/node' '%s'",
             srcdir(), mbk_rt->tmp, mbk_rt->tmp);
    run_or_skip(cmd, "node cannot run the writer");
    restore_foreign("node-");
}

/* A server's BadValue (code 2) is a server error, never "unreachable":
 * the driver's domain decides, once, in engine/mongo/mongo.c. */
static void
test_lossless_server_error_is_not_unreachable(void **state)
{
    static const char file[] =
        "{\"metadata\":{\"database\":\"x\",\"collections\":[\"v\"],"
        "\"collectionInfo\":{\"v\":{\"type\":\"collection\",\"options\":"
        "{\"validator\":{\"a\":{\"$numberInt\":\"1\"}},"
        "\"validationLevel\":\"bogus\"}}}},"
        "\"collections\":{\"v\":[{\"_id\":1}]}}";
    char *path = mbk_rt_tmp_path("badvalue.json");
    char *db = mbk_test_db_new("rbadv");
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_error err;

    (void)state;
    assert_int_equal(mbk_mongo_error_code(MONGOC_ERROR_SERVER, 2), 2);
    assert_int_equal(mbk_mongo_error_code(MONGOC_ERROR_STREAM,
                                          MONGOC_ERROR_STREAM_CONNECT),
                     MBK_MONGO_CODE_UNREACHABLE);
    assert_int_equal(mbk_mongo_error_code(MONGOC_ERROR_SERVER_SELECTION,
                                          MONGOC_ERROR_SERVER_SELECTION_FAILURE),
                     MBK_MONGO_CODE_UNREACHABLE);
    assert_true(mbk_mongo_error_code(MONGOC_ERROR_CLIENT, 2) < 0);
    mbk_rt_write_file(path, file, strlen(file));
    for (int drop = 0; drop <= 1; drop++) {
        mbk_rt_default_opts(&o, db);
        o.drop = drop;
        assert_int_equal(mbk_rt_restore_path(path, &o, &rep, &err), -1);
        mbk_engine_restore_report_free(&rep);
        assert_int_equal(err.domain, MBK_ERROR_MONGO);
        assert_int_not_equal(err.code, MBK_MONGO_CODE_UNREACHABLE);
        if (strstr(err.message, "validationLevel") == NULL) {
            fail_msg("the server's message is lost: %s", err.message);
        }
        assert_int_equal(mbk_rt_count_where(db, "v", bson_new()), 0);
    }
    mbk_test_db_drop(db);
    free(db);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_what_the_server_changes),
        cmocka_unit_test(test_restore_torture_fs),
        cmocka_unit_test(test_restore_torture_tar),
        cmocka_unit_test(test_restore_torture_urls),
        cmocka_unit_test(test_restore_unsafe_kinds_refused),
        cmocka_unit_test(test_restore_capped_target_would_evict),
        cmocka_unit_test(test_restore_timeseries_and_clustered),
        cmocka_unit_test(test_restore_legacy_indexes_converted),
        cmocka_unit_test(test_restore_files_of_python),
        cmocka_unit_test(test_restore_files_of_node),
        cmocka_unit_test(test_lossless_server_error_is_not_unreachable),
    };

    /* tests/s3/test_lossless.sh runs one case: "*torture_urls" */
    if (getenv("MBK_TEST_CASES") != NULL) {
        cmocka_set_test_filter(getenv("MBK_TEST_CASES"));
    }
    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, mbk_rt_setup, mbk_rt_teardown);
}
