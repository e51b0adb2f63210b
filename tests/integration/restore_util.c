/*
 * restore_util.c: the shared setup and helpers of the restore integration
 * tests (restore_util.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>

#include "engine/backup/backup.h"
#include "engine/mongo/mongo.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/integration/restore_util.h"
#include "tests/integration/snapshot.h"
#include "tests/integration/torture.h"

struct mbk_rt_ctx *mbk_rt;

int
mbk_rt_setup(void **state)
{
    struct mbk_rt_ctx *c = calloc(1, sizeof(*c));
    struct mbk_error err;
    bson_error_t e;
    char spec[400];

    mbk_test_group_open(&c->g, "rsrc", 8, true);
    c->src = c->g.db;
    c->tmp = c->g.tmp;
    c->client = c->g.client;
    c->m = c->g.m;
    c->fs = c->g.st;
    assert_int_equal(mbk_fixture_fill(c->client, c->src, &e), 0);
    c->torture = mbk_test_db_new("torture");
    if (mbk_torture_fill(c->client, c->torture, &e) != 0) {
        fail_msg("filling the torture database: %s", e.message);
    }
    snprintf(spec, sizeof(spec), "tar:%s/backups.tar", c->tmp);
    c->tar = mbk_storage_open(spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
    assert_non_null(c->tar);
    mbk_rt = c;
    *state = c;
    return 0;
}

int
mbk_rt_teardown(void **state)
{
    struct mbk_rt_ctx *c = *state;

    mbk_storage_close(c->tar);
    mbk_test_db_drop(c->torture);
    free(c->torture);
    mbk_test_group_close(&c->g);
    free(c);
    return 0;
}

/* Back db up as name into st; returns the stored file name. */
void
mbk_rt_backup_db(struct mbk_storage *st, const char *db, const char *name, int gzip,
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
    if (mbk_engine_backup_run(mbk_rt->m, st, &o, &res, &err) != 0) {
        fail_msg("backup: %s", err.message);
    }
    snprintf(file, len, "%s", res.file);
    mbk_engine_backup_result_free(&res);
}

/* Back the fixture up as name into st; returns the stored file name. */
void
mbk_rt_backup(struct mbk_storage *st, const char *name, int gzip, char *file,
       size_t len)
{
    mbk_rt_backup_db(st, mbk_rt->src, name, gzip, file, len);
}

void
mbk_rt_default_opts(struct mbk_restore_opts *o, const char *target)
{
    memset(o, 0, sizeof(*o));
    o->target_db = target;
    o->jobs = 2;
}

int
mbk_rt_restore_name(struct mbk_storage *st, const char *file,
             const struct mbk_restore_opts *o, struct mbk_restore_report *rep,
             struct mbk_error *err)
{
    struct mbk_restore_input in = {st, file, NULL, -1};

    return mbk_engine_restore_run(mbk_rt->m, &in, o, rep, err);
}

int
mbk_rt_restore_path(const char *path, const struct mbk_restore_opts *o,
             struct mbk_restore_report *rep, struct mbk_error *err)
{
    struct mbk_restore_input in = {NULL, NULL, path, -1};

    return mbk_engine_restore_run(mbk_rt->m, &in, o, rep, err);
}

void
mbk_rt_expect_same_db(const char *a, const char *b)
{
    char *sa = mbk_snapshot(mbk_rt->client, a, NULL);
    char *sb = mbk_snapshot(mbk_rt->client, b, NULL);

    if (strcmp(sa, sb) != 0) {
        fail_msg("databases %s and %s differ", a, b);
    }
    free(sa);
    free(sb);
}

void
mbk_rt_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

char *
mbk_rt_tmp_path(const char *name)
{
    char *p = malloc(400);

    snprintf(p, 400, "%s/%s", mbk_rt->tmp, name);
    return p;
}

int64_t
mbk_rt_count_where(const char *db, const char *coll, bson_t *filter)
{
    mongoc_collection_t *c = mongoc_client_get_collection(mbk_rt->client, db, coll);
    bson_error_t e;
    int64_t n = mongoc_collection_count_documents(c, filter, NULL, NULL, NULL,
                                                  &e);

    mongoc_collection_destroy(c);
    bson_destroy(filter);
    return n;
}

/* The document with this _id, as the server holds it. */
bson_t *
mbk_rt_fetch(const char *db, const char *coll, int32_t id)
{
    mongoc_collection_t *c = mongoc_client_get_collection(mbk_rt->client, db, coll);
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

/* The document of target.coll whose _id equals the one of want, as the
 * server holds it, must be want, byte for byte. */
void
mbk_rt_expect_doc(const char *db, const char *coll, const bson_t *want)
{
    mongoc_collection_t *c = mongoc_client_get_collection(mbk_rt->client, db, coll);
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
