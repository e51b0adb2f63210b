/*
 * test_backup.c: backups of a database holding every BSON type, indexes of
 * each kind, collection options and a view, through each storage plugin,
 * with and without gzip; the file is checked as a user would: valid JSON,
 * the seed's structure, counts, digests, and every document's text equal
 * to libbson's canonical Extended JSON.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <mongoc/mongoc.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "engine/backup/backup.h"
#include "engine/buf.h"
#include "storage/loader.h"
#include "tests/integration/group.h"
#include "tests/integration/harness.h"
#include "tests/integration/fixtures.h"

/* The group's state: the fixture in g.db (group.h). */
struct ctx {
    struct mbk_test_group g;
};

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    bson_error_t e;

    mbk_test_group_open(&c->g, "backup", 8, false);
    assert_int_equal(mbk_fixture_fill(c->g.client, c->g.db, &e), 0);
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

static struct mbk_storage *
open_storage(struct ctx *c, const char *kind, const char *sub)
{
    char spec[400];
    char dir[300];
    struct mbk_storage *st;
    struct mbk_error err;

    snprintf(dir, sizeof(dir), "%s/%s", c->g.tmp, sub);
    mkdir(dir, 0700);
    if (strcmp(kind, "tar") == 0) {
        snprintf(spec, sizeof(spec), "tar:%s/backups.tar", dir);
    } else {
        snprintf(spec, sizeof(spec), "fs:%s", dir);
    }
    st = mbk_storage_open(spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
    if (st == NULL) {
        fail_msg("storage %s: %s", spec, err.message);
    }
    return st;
}

/* The stored bytes of a backup, gunzipped when they are gzip (every
 * member: concatenated members are one gzip file). */
static void
read_back(struct mbk_storage *st, const char *name, struct mbk_buf *out,
          bool *was_gzip)
{
    struct mbk_storage_reader *r;
    struct mbk_error err;
    struct mbk_buf raw;
    char chunk[65536];
    ssize_t n;

    mbk_buf_init(&raw, (size_t)1 << 30);
    r = mbk_storage_get_open(st, name, &err);
    if (r == NULL) {
        fail_msg("get %s: %s", name, err.message);
    }
    while ((n = mbk_storage_get_read(st, r, chunk, sizeof(chunk), &err)) > 0) {
        assert_int_equal(mbk_buf_append(&raw, chunk, (size_t)n, &err), 0);
    }
    assert_int_equal(n, 0);
    mbk_storage_get_close(st, r);
    *was_gzip = raw.len >= 2 && (unsigned char)raw.data[0] == 0x1f &&
                (unsigned char)raw.data[1] == 0x8b;
    mbk_buf_init(out, (size_t)1 << 30);
    if (!*was_gzip) {
        assert_int_equal(mbk_buf_append(out, raw.data, raw.len, &err), 0);
    } else {
        z_stream z;
        int rc = Z_OK;

        memset(&z, 0, sizeof(z));
        assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
        z.next_in = (Bytef *)raw.data;
        z.avail_in = (uInt)raw.len;
        while (z.avail_in > 0) {
            z.next_out = (Bytef *)chunk;
            z.avail_out = sizeof(chunk);
            rc = inflate(&z, Z_NO_FLUSH);
            assert_true(rc == Z_OK || rc == Z_STREAM_END);
            assert_int_equal(mbk_buf_append(out, chunk,
                                            sizeof(chunk) - z.avail_out, &err),
                             0);
            if (rc == Z_STREAM_END && z.avail_in > 0) {
                assert_int_equal(inflateReset(&z), Z_OK);
            }
        }
        assert_int_equal(rc, Z_STREAM_END);
        inflateEnd(&z);
    }
    mbk_buf_free(&raw);
}

static struct json_object *
get(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
    }
    return v;
}

/* The exact text of collection name's array in the file: from the line
 * `"name":[` to its closing `]`. */
static void
array_text(const char *text, const char *name, const char **start,
           size_t *len)
{
    char key[300];
    const char *p;
    const char *end;

    snprintf(key, sizeof(key), "\n\"%s\":[", name);
    p = strstr(text, key);
    assert_non_null(p);
    p += strlen(key) - 1;
    if (p[1] == ']') {
        end = p + 2;
    } else {
        end = strstr(p, "\n]");
        assert_non_null(end);
        end += 2;
    }
    *start = p;
    *len = (size_t)(end - p);
}

static void
sha256_hex(const char *p, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned int dl = 0;

    EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

/* Every document line equals libbson's canonical text of the server's
 * document, in the server's natural order. */
static void
check_documents(struct ctx *c, const char *coll, const char *arr, size_t len)
{
    mongoc_collection_t *mc = mongoc_client_get_collection(c->g.client, c->g.db,
                                                          coll);
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(mc, &filter, NULL,
                                                            NULL);
    const bson_t *doc;
    const char *p = arr + 1; /* after '[' */
    const char *end = arr + len - 1;
    size_t n = 0;

    while (mongoc_cursor_next(cur, &doc)) {
        char *want = bson_as_canonical_extended_json(doc, NULL);
        size_t wl = strlen(want);

        assert_int_equal(*p, '\n');
        p++;
        assert_true(p + wl <= end);
        if (memcmp(p, want, wl) != 0) {
            fail_msg("%s document %zu differs:\nwant %s\ngot  %.*s", coll, n,
                     want, (int)wl, p);
        }
        p += wl;
        if (*p == ',') {
            p++;
        }
        bson_free(want);
        n++;
    }
    assert_false(mongoc_cursor_error(cur, NULL));
    assert_true(p == end || (p + 1 == end && *p == '\n'));
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(mc);
    bson_destroy(&filter);
}

static void
check_file(struct ctx *c, const struct mbk_backup_result *res,
           const char *text, bool gzip)
{
    struct json_object *root;
    struct json_object *meta;
    struct json_object *colls;
    struct json_object *info;
    enum json_tokener_error jerr;

    root = json_tokener_parse_verbose(text, &jerr);
    if (root == NULL) {
        fail_msg("backup is not valid JSON: %s", json_tokener_error_desc(jerr));
    }
    /* metadata comes first, exactly the seed's keys then mbk's */
    assert_memory_equal(text, "{\"metadata\":{\"database\":", 24);
    meta = get(root, "metadata");
    assert_string_equal(json_object_get_string(get(meta, "database")), c->g.db);
    assert_string_equal(json_object_get_string(get(meta, "backupName")),
                        res->backup_name);
    assert_string_equal(json_object_get_string(get(meta, "timestamp")),
                        res->timestamp);
    assert_int_equal(strlen(res->timestamp), 24);
    assert_string_equal(json_object_get_string(get(meta, "version")), "1.0");
    assert_string_equal(json_object_get_string(get(meta, "compression")),
                        gzip ? "gzip" : "none");
    assert_string_equal(json_object_get_string(get(meta, "format")), "mbk/1");
    assert_true(json_object_get_boolean(get(meta, "includeIndexes")));
    get(meta, "serverVersion");
    get(meta, "pointInTime");
    assert_int_equal(json_object_array_length(get(meta, "collections")),
                     res->ncoll);
    info = get(meta, "collectionInfo");
    colls = get(root, "collections");
    for (size_t i = 0; i < res->ncoll; i++) {
        const char *name = res->colls[i].name;
        struct json_object *ci = get(info, name);
        struct json_object *docs = get(colls, name);
        const char *arr;
        size_t len;
        char digest[65];

        assert_string_equal(json_object_get_string(json_object_array_get_idx(
                                get(meta, "collections"), i)),
                            name);
        assert_int_equal(json_object_get_int64(get(ci, "documentCount")),
                         json_object_array_length(docs));
        assert_int_equal(json_object_get_int64(get(ci, "documentCount")),
                         res->colls[i].docs);
        array_text(text, name, &arr, &len);
        assert_int_equal(json_object_get_int64(get(ci, "bytes")), len);
        sha256_hex(arr, len, digest);
        assert_string_equal(json_object_get_string(get(ci, "sha256")), digest);
        if (strcmp(json_object_get_string(get(ci, "type")), "view") == 0) {
            assert_int_equal(json_object_array_length(docs), 0);
            get(get(ci, "options"), "viewOn");
            get(get(ci, "options"), "pipeline");
        } else {
            struct json_object *ix = get(ci, "indexes");

            /* the full listIndexes specs, as an array, _id_ first */
            assert_true(json_object_is_type(ix, json_type_array));
            assert_true(json_object_array_length(ix) >= 1);
            assert_string_equal(json_object_get_string(get(
                                    json_object_array_get_idx(ix, 0), "name")),
                                "_id_");
            check_documents(c, name, arr, len);
        }
    }
    /* indexes of each kind and collection options, as the server has them */
    {
        struct json_object *ix = get(get(info, "users"), "indexes");
        int seen = 0;

        for (size_t i = 0; i < json_object_array_length(ix); i++) {
            struct json_object *spec = json_object_array_get_idx(ix, i);
            const char *n = json_object_get_string(get(spec, "name"));

            if (strcmp(n, "email_unique") == 0) {
                assert_true(json_object_get_boolean(get(spec, "unique")));
                seen++;
            } else if (strcmp(n, "active_score") == 0) {
                get(get(spec, "partialFilterExpression"), "active");
                seen++;
            } else if (strcmp(n, "dept_level") == 0) {
                assert_int_equal(json_object_object_length(get(spec, "key")),
                                 2);
                seen++;
            }
        }
        assert_int_equal(seen, 3);
        assert_true(json_object_get_boolean(
            get(get(get(info, "events_archive"), "options"), "capped")));
        get(get(get(get(info, "contacts"), "options"), "validator"), "name");
        ix = get(get(info, "sessions"), "indexes");
        get(json_object_array_get_idx(ix, 1), "expireAfterSeconds");
        ix = get(get(info, "roles"), "indexes");
        assert_true(json_object_get_boolean(
            get(json_object_array_get_idx(ix, 1), "sparse")));
    }
    json_object_put(root);
}

static void
run_one(struct ctx *c, const char *kind, int gzip_level)
{
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_error err;
    struct mbk_storage *st;
    struct mbk_buf text;
    char sub[32];
    bool was_gzip;

    snprintf(sub, sizeof(sub), "%s-%d", kind, gzip_level);
    st = open_storage(c, kind, sub);
    memset(&o, 0, sizeof(o));
    o.db = c->g.db;
    o.name = "full";
    o.description = "every type";
    o.gzip_level = gzip_level;
    o.include_indexes = true;
    o.jobs = 3;
    if (mbk_engine_backup_run(c->g.m, st, &o, &res, &err) != 0) {
        fail_msg("backup via %s: %s", kind, err.message);
    }
    assert_string_equal(res.file, gzip_level ? "full.json.gz" : "full.json");
    read_back(st, res.file, &text, &was_gzip);
    assert_int_equal(was_gzip, gzip_level > 0);
    check_file(c, &res, text.data, gzip_level > 0);
    /* system.* is never backed up; the view is, without documents */
    for (size_t i = 0; i < res.ncoll; i++) {
        assert_int_not_equal(strncmp(res.colls[i].name, "system.", 7), 0);
    }
    assert_int_equal(res.ncoll, MBK_FIXTURE_COLLECTIONS);
    /* the same name again is refused, and the first backup stays */
    mbk_engine_backup_result_free(&res);
    assert_int_equal(mbk_engine_backup_run(c->g.m, st, &o, &res, &err), -1);
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_non_null(strstr(err.message, "exists already"));
    mbk_buf_free(&text);
    mbk_storage_close(st);
}

static void
test_backup_fs_plain(void **state)
{
    run_one(*state, "fs", 0);
}

static void
test_backup_fs_gzip(void **state)
{
    run_one(*state, "fs", 6);
}

static void
test_backup_tar_plain(void **state)
{
    run_one(*state, "tar", 0);
}

static void
test_backup_tar_gzip(void **state)
{
    run_one(*state, "tar", 1);
}

static int
count_entry(const struct mbk_storage_entry *e, void *ud)
{
    (*(int *)ud)++;
    return 0;
}

static int
listed(struct mbk_storage *st)
{
    struct mbk_error err;
    int n = 0;

    assert_int_equal(mbk_storage_list(st, count_entry, &n, &err), 0);
    return n;
}

static void
test_backup_include_exclude(void **state)
{
    struct ctx *c = *state;
    const char *const inc[] = {"us*", "roles", NULL};
    const char *const exc[] = {"*archive*", NULL};
    const char *const typo[] = {"usrs", NULL};
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_error err;
    struct mbk_storage *st = open_storage(c, "fs", "incl");

    memset(&o, 0, sizeof(o));
    o.db = c->g.db;
    o.name = "some";
    o.include = inc;
    o.exclude = exc;
    assert_int_equal(mbk_engine_backup_run(c->g.m, st, &o, &res, &err), 0);
    assert_int_equal(res.ncoll, 2);
    assert_string_equal(res.colls[0].name, "roles");
    assert_string_equal(res.colls[1].name, "users");
    mbk_engine_backup_result_free(&res);

    o.name = "typo";
    o.include = typo;
    o.exclude = NULL;
    assert_int_equal(mbk_engine_backup_run(c->g.m, st, &o, &res, &err), -1);
    assert_non_null(strstr(err.message, "include pattern \"usrs\" matches no"));
    assert_int_equal(listed(st), 1);
    mbk_storage_close(st);
}

static void
test_backup_failure_leaves_nothing_listed(void **state)
{
    struct ctx *c = *state;
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_error err;
    struct mbk_storage *st = open_storage(c, "fs", "fail");

    memset(&o, 0, sizeof(o));
    o.db = c->g.db;
    o.name = "broken";
    o.spool_dir = "/nonexistent/spool";
    assert_int_equal(mbk_engine_backup_run(c->g.m, st, &o, &res, &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/spool"));
    assert_int_equal(listed(st), 0);

    o.spool_dir = NULL;
    o.db = "no such";
    assert_int_equal(mbk_engine_backup_run(c->g.m, st, &o, &res, &err), -1);
    assert_non_null(strstr(err.message, "database name"));

    o.db = "mbk_test_missing_db_xyz";
    assert_int_equal(mbk_engine_backup_run(c->g.m, st, &o, &res, &err), -1);
    assert_non_null(strstr(err.message, "has no collections"));
    assert_int_equal(listed(st), 0);
    mbk_storage_close(st);
}

static void
test_backup_timestamp_name(void **state)
{
    struct ctx *c = *state;
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_error err;
    struct mbk_storage *st = open_storage(c, "tar", "ts");

    memset(&o, 0, sizeof(o));
    o.db = c->g.db;
    o.name = "nightly";
    o.timestamp = true;
    o.gzip_level = 9;
    assert_int_equal(mbk_engine_backup_run(c->g.m, st, &o, &res, &err), 0);
    /* nightly_YYYY-MM-DDTHH-MM-SSZ.json.gz */
    assert_int_equal(strlen(res.file), strlen("nightly_") + 20 + 8);
    assert_memory_equal(res.file, "nightly_", 8);
    assert_string_equal(res.file + strlen(res.file) - 8, ".json.gz");
    mbk_engine_backup_result_free(&res);
    mbk_storage_close(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_fs_plain),
        cmocka_unit_test(test_backup_fs_gzip),
        cmocka_unit_test(test_backup_tar_plain),
        cmocka_unit_test(test_backup_tar_gzip),
        cmocka_unit_test(test_backup_include_exclude),
        cmocka_unit_test(test_backup_failure_leaves_nothing_listed),
        cmocka_unit_test(test_backup_timestamp_name),
    };

    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
