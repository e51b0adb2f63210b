/*
 * test_gzip_backup.c: real gzip backups at the compressor's block edges:
 * an empty collection, a collection whose text is one byte over a 1 MiB
 * block, a collection of one 16 MiB document.  The stored file is read back
 * member by member with zlib (the head must be the whole first member, as
 * the browser page reads it), by Python's gzip module, and by mbk's own
 * verify; its collections' text equals the plain backup's.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <mongoc/mongoc.h>

#include "engine/backup/backup.h"
#include "engine/buf.h"
#include "engine/backup/catalog.h"
#include "engine/ejson/ejson_write.h"
#include "engine/gzip.h"
#include "storage/loader.h"
#include "tests/integration/group.h"
#include "tests/integration/harness.h"
#include "tests/unit/gunzip_all.h"

#define BIG_DOC ((size_t)16 << 20) /* MongoDB's largest document */

/* The group's state (group.h): the database and an fs storage. */
struct ctx {
    struct mbk_test_group g;
};

/* { "_id" : id, "s" : <n bytes of text> } */
static bson_t *
doc(const char *id, size_t n)
{
    bson_t *b = bson_new();
    char *s = malloc(n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        s[i] = "abcdefghijklmnopqrstuvwxyz0123456789 ,."[(i * 7 + i / 97) % 39];
    }
    s[n] = '\0';
    BSON_APPEND_UTF8(b, "_id", id);
    BSON_APPEND_UTF8(b, "s", s);
    free(s);
    return b;
}

static size_t
ejson_len(const bson_t *b)
{
    struct mbk_buf t;
    size_t n;

    mbk_buf_init(&t, (size_t)64 << 20);
    assert_int_equal(mbk_ejson_write(&t, bson_get_data(b), b->len, NULL), 0);
    n = t.len;
    mbk_buf_free(&t);
    return n;
}

static void
insert(struct ctx *c, const char *coll, bson_t *b)
{
    mongoc_collection_t *mc =
        mongoc_client_get_collection(c->g.client, c->g.db, coll);
    bson_error_t e;

    if (!mongoc_collection_insert_one(mc, b, NULL, NULL, &e)) {
        fail_msg("insert into %s: %s", coll, e.message);
    }
    mongoc_collection_destroy(mc);
    bson_destroy(b);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    mongoc_database_t *d;
    mongoc_collection_t *mc;
    bson_error_t e;
    size_t text0;
    bson_t *probe;
    size_t want;

    mbk_test_group_open(&c->g, "gzedge", 8, true);
    d = mongoc_client_get_database(c->g.client, c->g.db);
    mc = mongoc_database_create_collection(d, "a_empty", NULL, &e);
    if (mc == NULL) {
        fail_msg("create a_empty: %s", e.message);
    }
    mongoc_collection_destroy(mc);
    mongoc_database_destroy(d);
    /* b_over's spool holds ,\n"b_over":[\n DOC \n] : make it one byte over
     * a block. */
    probe = doc("over", 0);
    text0 = ejson_len(probe);
    bson_destroy(probe);
    want = MBK_GZIP_BLOCK + 1 - strlen(",\n\"b_over\":[\n") - strlen("\n]");
    insert(c, "b_over", doc("over", want - text0));
    insert(c, "c_big", doc("big", BIG_DOC - 64));
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

static void
backup(struct ctx *c, const char *name, int level,
       struct mbk_backup_result *res)
{
    struct mbk_backup_opts o;
    struct mbk_error err;

    memset(&o, 0, sizeof(o));
    o.db = c->g.db;
    o.name = name;
    o.gzip_level = level;
    o.include_indexes = true;
    o.jobs = 3;
    if (mbk_engine_backup_run(c->g.m, c->g.st, &o, res, &err) != 0) {
        fail_msg("backup %s: %s", name, err.message);
    }
}

static void
slurp(const char *path, struct mbk_buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    mbk_buf_init(out, (size_t)256 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        assert_int_equal(mbk_buf_append(out, chunk, n, NULL), 0);
    }
    fclose(f);
}

static void
test_gzip_backup_block_edges(void **state)
{
    struct ctx *c = *state;
    struct mbk_backup_result plain;
    struct mbk_backup_result gz;
    struct mbk_verify_result v;
    struct mbk_error err;
    struct mbk_buf raw;
    struct mbk_buf text;
    struct mbk_buf ptext;
    struct mbk_buf pytext;
    struct json_object *head;
    char path[512];
    char cmd[1400];
    char *head_json;
    const char *body;
    const char *pbody;
    size_t ends[64];
    size_t members;
    size_t big_members;

    backup(c, "edges", 0, &plain);
    backup(c, "edges", MBK_GZIP_LEVEL_DEFAULT, &gz);
    assert_string_equal(gz.file, "edges.json.gz");
    assert_int_equal(gz.ncoll, 3);
    /* the edges were hit: b_over's spool is one byte over a block */
    assert_string_equal(gz.colls[1].name, "b_over");
    assert_int_equal(gz.colls[1].bytes + strlen(",\n\"b_over\":"),
                     MBK_GZIP_BLOCK + 1);
    assert_int_equal(gz.colls[0].docs, 0);
    assert_int_equal(gz.colls[2].docs, 1);
    assert_true(gz.colls[2].bytes > BIG_DOC - 64);

    snprintf(path, sizeof(path), "%s/%s", c->g.tmp, gz.file);
    slurp(path, &raw);
    mbk_buf_init(&text, (size_t)256 << 20);
    members = gunzip_all(raw.data, raw.len, &text, ends, 64);
    /* head, a_empty, b_over in two, c_big in ceil(its spool / 1 MiB), tail */
    big_members = (gz.colls[2].bytes + strlen(",\n\"c_big\":") +
                   MBK_GZIP_BLOCK - 1) / MBK_GZIP_BLOCK;
    assert_int_equal(members, 1 + 1 + 2 + big_members + 1);
    /* the first member is exactly the head: metadata whole, then the
     * collections' opening */
    assert_true(ends[0] < text.len);
    assert_memory_equal(text.data, "{\"metadata\":", 12);
    assert_memory_equal(text.data + ends[0] - 16, "\n\"collections\":{", 16);
    head_json = calloc(1, ends[0] + 3);
    memcpy(head_json, text.data, ends[0]);
    strcat(head_json, "}}");
    head = json_tokener_parse(head_json);
    assert_non_null(head);
    json_object_put(head);
    free(head_json);
    /* the collections' text is the plain backup's, byte for byte */
    snprintf(path, sizeof(path), "%s/%s", c->g.tmp, plain.file);
    slurp(path, &ptext);
    body = strstr(text.data, "\n\"collections\":{");
    pbody = strstr(ptext.data, "\n\"collections\":{");
    assert_non_null(body);
    assert_non_null(pbody);
    assert_int_equal(text.len - (size_t)(body - text.data),
                     ptext.len - (size_t)(pbody - ptext.data));
    assert_memory_equal(body, pbody, text.len - (size_t)(body - text.data));

    /* Python's gzip module reads the same bytes */
    snprintf(cmd, sizeof(cmd), "'%s' -c 'import gzip' 2>/dev/null",
             getenv("MBK_PYTHON") ? getenv("MBK_PYTHON") : "python3");
    if (system(cmd) != 0) {
        print_message("no python3 with gzip: the Python read is skipped\n");
        skip();
    }
    snprintf(cmd, sizeof(cmd),
             "'%s' -c 'import gzip, sys; sys.stdout.buffer.write("
             "gzip.decompress(open(sys.argv[1], \"rb\").read()))' "
             "'%s/%s' > '%s/py.json'",
             getenv("MBK_PYTHON") ? getenv("MBK_PYTHON") : "python3", c->g.tmp,
             gz.file, c->g.tmp);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/py.json", c->g.tmp);
    slurp(path, &pytext);
    assert_int_equal(pytext.len, text.len);
    assert_memory_equal(pytext.data, text.data, text.len);

    /* and mbk's own reader: counts and digests against the metadata */
    memset(&v, 0, sizeof(v));
    if (mbk_engine_verify(c->g.st, gz.file, &v, &err) != 0) {
        fail_msg("verify: %s", err.message);
    }
    assert_true(v.gzip);
    assert_true(v.has_digests);
    assert_int_equal(v.docs, 2);
    assert_int_equal(v.json_bytes, text.len);
    mbk_engine_verify_result_free(&v);

    mbk_buf_free(&pytext);
    mbk_buf_free(&ptext);
    mbk_buf_free(&text);
    mbk_buf_free(&raw);
    mbk_engine_backup_result_free(&plain);
    mbk_engine_backup_result_free(&gz);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_backup_block_edges),
    };

    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
