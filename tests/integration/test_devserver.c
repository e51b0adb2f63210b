/*
 * test_devserver.c: drives every command the development MongoDB server
 * offers through libmongoc, as a user of mongod 6.0 would, so it passes
 * against the server tests/mongo-dev-server starts and against a real mongod
 * (MBK_TEST_MONGO_URI).
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>

#include "tests/integration/harness.h"

static mongoc_client_t *client;
static char *db;  /* the fresh database of the running test */

/* ---- helpers ----------------------------------------------------------- */

static bson_t *
json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A BSON document from relaxed/canonical Extended JSON (printf format). */
static bson_t *
json(const char *fmt, ...)
{
    char text[4096];
    bson_error_t error;
    bson_t *b;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    b = bson_new_from_json((const uint8_t *) text, -1, &error);
    if (b == NULL) {
        fail_msg("bad JSON %s: %s", text, error.message);
    }
    return b;
}

/* Run a command on dbname; it must succeed.  The caller destroys reply. */
static void
ok_cmd(const char *dbname, bson_t *reply, bson_t *cmd)
{
    bson_error_t error;
    bool ok = mongoc_client_command_simple(client, dbname, cmd, NULL, reply,
                                           &error);

    if (!ok) {
        char *s = bson_as_relaxed_extended_json(cmd, NULL);

        fail_msg("%s failed: %d %s", s, error.code, error.message);
    }
    bson_destroy(cmd);
}

/* Run a command on dbname; it must fail with code; returns the message. */
static void
fail_cmd(const char *dbname, int code, const char *msgpart, bson_t *cmd)
{
    bson_error_t error;
    bson_t reply;
    bool ok = mongoc_client_command_simple(client, dbname, cmd, NULL, &reply,
                                           &error);

    assert_false(ok);
    assert_int_equal(error.domain, MONGOC_ERROR_SERVER);
    assert_int_equal(error.code, code);
    if (msgpart != NULL && strstr(error.message, msgpart) == NULL) {
        fail_msg("error \"%s\" lacks \"%s\"", error.message, msgpart);
    }
    bson_destroy(&reply);
    bson_destroy(cmd);
}

static mongoc_collection_t *
coll(const char *name)
{
    return mongoc_client_get_collection(client, db, name);
}

static void
insert(mongoc_collection_t *c, bson_t *doc)
{
    bson_error_t error;

    if (!mongoc_collection_insert_one(c, doc, NULL, NULL, &error)) {
        fail_msg("insert failed: %s", error.message);
    }
    bson_destroy(doc);
}

static int64_t
count(mongoc_collection_t *c, bson_t *filter)
{
    bson_error_t error;
    int64_t n = mongoc_collection_count_documents(c, filter, NULL, NULL, NULL,
                                                  &error);

    if (n < 0) {
        fail_msg("count failed: %s", error.message);
    }
    bson_destroy(filter);
    return n;
}

static int64_t
find_count(mongoc_collection_t *c, bson_t *filter, bson_t *opts)
{
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, filter, opts,
                                                            NULL);
    const bson_t *doc;
    bson_error_t error;
    int64_t n = 0;

    while (mongoc_cursor_next(cur, &doc)) {
        n++;
    }
    if (mongoc_cursor_error(cur, &error)) {
        fail_msg("find failed: %s", error.message);
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(filter);
    bson_destroy(opts);
    return n;
}

static int32_t
get_int(const bson_t *b, const char *path)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, b) || !bson_iter_find_descendant(&it, path, &it)
        || !BSON_ITER_HOLDS_NUMBER(&it)) {
        fail_msg("no number at %s", path);
    }
    return (int32_t) bson_iter_as_int64(&it);
}

static const char *
get_str(const bson_t *b, const char *path)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, b) || !bson_iter_find_descendant(&it, path, &it)
        || !BSON_ITER_HOLDS_UTF8(&it)) {
        fail_msg("no string at %s", path);
    }
    return bson_iter_utf8(&it, NULL);
}

static bool
has(const bson_t *b, const char *path)
{
    bson_iter_t it;

    return bson_iter_init(&it, b) && bson_iter_find_descendant(&it, path, &it);
}

static int
setup(void **state)
{
    db = mbk_test_db_new("devsrv");
    assert_non_null(db);
    return 0;
}

static int
teardown(void **state)
{
    mbk_test_db_drop(db);
    free(db);
    db = NULL;
    return 0;
}

/* ---- handshake, server state ------------------------------------------- */

static void
test_devserver_hello(void **state)
{
    bson_t reply;
    bson_t reply2;
    mongoc_client_t *other;
    bson_error_t error;
    bson_t *b;

    ok_cmd("admin", &reply, json("{\"hello\": 1}"));
    assert_true(get_int(&reply, "maxWireVersion") >= 17);
    assert_int_equal(get_int(&reply, "maxBsonObjectSize"), 16 * 1024 * 1024);
    assert_int_equal(get_int(&reply, "maxMessageSizeBytes"), 48000000);
    assert_int_equal(get_int(&reply, "maxWriteBatchSize"), 100000);
    assert_true(has(&reply, "isWritablePrimary"));
    /* Another connection has another connectionId. */
    other = mongoc_client_new(mbk_test_mongo_uri());
    b = json("{\"hello\": 1}");
    assert_true(mongoc_client_command_simple(other, "admin", b, NULL,
                                             &reply2, &error));
    bson_destroy(b);
    assert_int_not_equal(get_int(&reply, "connectionId"),
                         get_int(&reply2, "connectionId"));
    bson_destroy(&reply2);
    mongoc_client_destroy(other);
    bson_destroy(&reply);

    ok_cmd("admin", &reply, json("{\"isMaster\": 1}"));
    assert_true(has(&reply, "ismaster"));
    bson_destroy(&reply);
    ok_cmd("admin", &reply, json("{\"ping\": 1}"));
    bson_destroy(&reply);
    ok_cmd("admin", &reply, json("{\"buildInfo\": 1}"));
    assert_non_null(get_str(&reply, "version"));
    assert_true(has(&reply, "versionArray"));
    bson_destroy(&reply);
}

static void
test_devserver_unknown_command(void **state)
{
    fail_cmd(db, 59, "no such command", json("{\"frobnicate\": 1}"));
}

static void
test_devserver_transaction_refused(void **state)
{
    mongoc_client_session_t *cs;
    mongoc_database_t *d = mongoc_client_get_database(client, db);
    bson_error_t error;
    bson_t opts = BSON_INITIALIZER;
    bson_t reply;
    bson_t *cmd;
    bool ok;

    ok_cmd("admin", &reply, json("{\"hello\": 1}"));
    if (has(&reply, "setName") || has(&reply, "msg")) {
        /* A replica set or mongos accepts transactions. */
        bson_destroy(&reply);
        mongoc_database_destroy(d);
        skip();
    }
    bson_destroy(&reply);
    cs = mongoc_client_start_session(client, NULL, &error);
    assert_non_null(cs);
    assert_true(mongoc_client_session_append(cs, &opts, &error));
    cmd = json("{\"insert\": \"t\", \"documents\": [{\"_id\": 1}],"
               " \"txnNumber\": {\"$numberLong\": \"1\"},"
               " \"startTransaction\": true, \"autocommit\": false}");
    ok = mongoc_database_command_with_opts(d, cmd, NULL, &opts, &reply,
                                           &error);
    assert_false(ok);
    assert_int_equal(error.code, 20);
    assert_non_null(strstr(error.message, "Transaction numbers are only "
                           "allowed on a replica set member or mongos"));
    bson_destroy(&reply);
    bson_destroy(cmd);
    bson_destroy(&opts);
    mongoc_client_session_destroy(cs);
    mongoc_database_destroy(d);
}

static void
test_devserver_end_sessions(void **state)
{
    mongoc_client_session_t *cs;
    bson_error_t error;
    bson_t cmd = BSON_INITIALIZER;
    bson_t arr;
    bson_t reply;

    cs = mongoc_client_start_session(client, NULL, &error);
    assert_non_null(cs);
    BSON_APPEND_ARRAY_BEGIN(&cmd, "endSessions", &arr);
    BSON_APPEND_DOCUMENT(&arr, "0", mongoc_client_session_get_lsid(cs));
    bson_append_array_end(&cmd, &arr);
    ok_cmd("admin", &reply, bson_copy(&cmd));
    bson_destroy(&reply);
    bson_destroy(&cmd);
    mongoc_client_session_destroy(cs);
}

/* ---- the BSON type round trip ------------------------------------------ */

static void
append_all_types(bson_t *b)
{
    static const uint8_t uuid[16] = {
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
        0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    static const uint8_t bytes[5] = {0, 1, 2, 0xfe, 0xff};
    bson_oid_t oid;
    bson_decimal128_t dec;
    bson_t sub;
    bson_t scope;

    bson_oid_init_from_string(&oid, "5f1e2d3c4b5a697887766554");
    BSON_APPEND_OID(b, "oid", &oid);
    BSON_APPEND_INT32(b, "i32", -2147483647 - 1);
    BSON_APPEND_INT64(b, "i64", INT64_MAX);
    BSON_APPEND_INT64(b, "i64small", 1);
    BSON_APPEND_DOUBLE(b, "dbl", 3.25);
    BSON_APPEND_DOUBLE(b, "negzero", -0.0);
    BSON_APPEND_DOUBLE(b, "nan", NAN);
    BSON_APPEND_DOUBLE(b, "inf", INFINITY);
    BSON_APPEND_DOUBLE(b, "ninf", -INFINITY);
    bson_decimal128_from_string("1234567.890123456789", &dec);
    BSON_APPEND_DECIMAL128(b, "dec", &dec);
    bson_decimal128_from_string("-0", &dec);
    BSON_APPEND_DECIMAL128(b, "decnegzero", &dec);
    bson_decimal128_from_string("NaN", &dec);
    BSON_APPEND_DECIMAL128(b, "decnan", &dec);
    BSON_APPEND_DATE_TIME(b, "date", 1700000000123);
    BSON_APPEND_DATE_TIME(b, "before1970", -1234567890123);
    BSON_APPEND_DATE_TIME(b, "year10000", 253402300800000 + 42);
    BSON_APPEND_DATE_TIME(b, "beforeyear1", -62135596800000 - 1);
    BSON_APPEND_DATE_TIME(b, "maxdate", INT64_MAX);
    BSON_APPEND_BINARY(b, "bin0", BSON_SUBTYPE_BINARY, bytes, 5);
    BSON_APPEND_BINARY(b, "bin1", BSON_SUBTYPE_FUNCTION, bytes, 5);
    BSON_APPEND_BINARY(b, "bin2", BSON_SUBTYPE_BINARY_DEPRECATED, bytes, 5);
    BSON_APPEND_BINARY(b, "bin3", BSON_SUBTYPE_UUID_DEPRECATED, uuid, 16);
    BSON_APPEND_BINARY(b, "bin4", BSON_SUBTYPE_UUID, uuid, 16);
    BSON_APPEND_BINARY(b, "bin5", BSON_SUBTYPE_MD5, uuid, 16);
    BSON_APPEND_BINARY(b, "bin128", BSON_SUBTYPE_USER, bytes, 5);
    BSON_APPEND_BINARY(b, "binempty", BSON_SUBTYPE_BINARY, bytes, 0);
    BSON_APPEND_TIMESTAMP(b, "ts", 1700000000, 7);
    BSON_APPEND_REGEX(b, "re", "^a.*b$", "imsx");
    BSON_APPEND_CODE(b, "code", "function () { return 1; }");
    bson_init(&scope);
    BSON_APPEND_INT32(&scope, "x", 1);
    BSON_APPEND_CODE_WITH_SCOPE(b, "codews", "function () { return x; }",
                                &scope);
    bson_destroy(&scope);
    BSON_APPEND_MINKEY(b, "min");
    BSON_APPEND_MAXKEY(b, "max");
    BSON_APPEND_NULL(b, "null");
    BSON_APPEND_BOOL(b, "t", true);
    BSON_APPEND_BOOL(b, "f", false);
    BSON_APPEND_UTF8(b, "utf8", "h\xc3\xa9llo \xe2\x82\xac");
    BSON_APPEND_UTF8(b, "dotted.name", "a field name with a dot");
    BSON_APPEND_DOCUMENT_BEGIN(b, "nested", &sub);
    BSON_APPEND_INT32(&sub, "z", 1);
    BSON_APPEND_INT32(&sub, "a", 2);
    BSON_APPEND_DOUBLE(&sub, "negzero", -0.0);
    bson_append_document_end(b, &sub);
    BSON_APPEND_ARRAY_BEGIN(b, "array", &sub);
    BSON_APPEND_INT32(&sub, "0", 1);
    BSON_APPEND_UTF8(&sub, "1", "two");
    BSON_APPEND_DATE_TIME(&sub, "2", 253402300800000 * 2);
    bson_append_array_end(b, &sub);
}

/* Find the one document whose _id equals that of doc, compare bytes. */
static void
assert_stored_as(mongoc_collection_t *c, const bson_t *doc)
{
    bson_iter_t it;
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur;
    const bson_t *got;
    int n = 0;

    assert_true(bson_iter_init_find(&it, doc, "_id"));
    bson_append_iter(&filter, "_id", 3, &it);
    cur = mongoc_collection_find_with_opts(c, &filter, NULL, NULL);
    while (mongoc_cursor_next(cur, &got)) {
        n++;
        if (got->len != doc->len
            || memcmp(bson_get_data(got), bson_get_data(doc), doc->len)
                   != 0) {
            char *a = bson_as_canonical_extended_json(doc, NULL);
            char *b = bson_as_canonical_extended_json(got, NULL);

            fail_msg("stored %s\nread back %s", a, b);
        }
    }
    assert_false(mongoc_cursor_error(cur, NULL));
    assert_int_equal(n, 1);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
}

static void
test_devserver_types_roundtrip(void **state)
{
    mongoc_collection_t *c = coll("types");
    bson_t doc = BSON_INITIALIZER;

    BSON_APPEND_INT32(&doc, "_id", 1);
    append_all_types(&doc);
    assert_true(mongoc_collection_insert_one(c, &doc, NULL, NULL, NULL));
    assert_stored_as(c, &doc);
    bson_destroy(&doc);
    mongoc_collection_destroy(c);
}

static void
test_devserver_id_types(void **state)
{
    static const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 0x47, 8,
                                     0x89, 10, 11, 12, 13, 14, 15, 16};
    mongoc_collection_t *c = coll("ids");
    bson_t *docs[7];
    bson_error_t error;
    bson_t *b;
    size_t i;

    docs[0] = json("{\"_id\": \"a string\", \"v\": 0}");
    docs[1] = json("{\"_id\": 1, \"v\": 1}");
    docs[2] = json("{\"_id\": true, \"v\": 2}");
    docs[3] = json("{\"_id\": {\"k\": 1, \"j\": [1, 2]}, \"v\": 3}");
    docs[4] = json("{\"_id\": {\"$numberLong\": \"9007199254740993\"},"
                   " \"v\": 4}");
    docs[5] = json("{\"_id\": {\"$date\": {\"$numberLong\": \"-5\"}}, "
                   "\"v\": 5}");
    docs[6] = bson_new();
    BSON_APPEND_BINARY(docs[6], "_id", BSON_SUBTYPE_UUID, uuid, 16);
    BSON_APPEND_INT32(docs[6], "v", 6);
    for (i = 0; i < 7; i++) {
        if (!mongoc_collection_insert_one(c, docs[i], NULL, NULL, &error)) {
            fail_msg("insert %zu: %s", i, error.message);
        }
    }
    for (i = 0; i < 7; i++) {
        assert_stored_as(c, docs[i]);
        bson_destroy(docs[i]);
    }
    /* 1, 1.0 and NumberLong(1) are the same _id; true is another one. */
    b = json("{\"_id\": 1.0}");
    assert_false(mongoc_collection_insert_one(c, b, NULL, NULL, &error));
    assert_int_equal(error.code, 11000);
    bson_destroy(b);
    assert_int_equal(count(c, json("{\"_id\": true}")), 1);
    assert_int_equal(count(c, json("{}")), 7);
    /* A document without _id gets an ObjectId, first. */
    insert(c, json("{\"v\": 7}"));
    {
        bson_t *f = json("{\"v\": 7}");
        mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, f, NULL,
                                                                NULL);
        const bson_t *got;
        bson_iter_t it;

        assert_true(mongoc_cursor_next(cur, &got));
        assert_true(bson_iter_init(&it, got) && bson_iter_next(&it));
        assert_string_equal(bson_iter_key(&it), "_id");
        assert_int_equal(bson_iter_type(&it), BSON_TYPE_OID);
        mongoc_cursor_destroy(cur);
        bson_destroy(f);
    }
    mongoc_collection_destroy(c);
}

static void
test_devserver_big_document(void **state)
{
    mongoc_collection_t *c = coll("big");
    size_t len = 16 * 1024 * 1024 - 64;
    uint8_t *data = calloc(1, len);
    bson_t doc = BSON_INITIALIZER;
    bson_error_t error;

    assert_non_null(data);
    memset(data, 'x', len);
    data[0] = 1;
    data[len - 1] = 2;
    BSON_APPEND_INT32(&doc, "_id", 16);
    BSON_APPEND_BINARY(&doc, "blob", BSON_SUBTYPE_BINARY, data, (uint32_t) len);
    assert_true(doc.len < 16 * 1024 * 1024);
    assert_true(doc.len > 16 * 1024 * 1024 - 100);
    if (!mongoc_collection_insert_one(c, &doc, NULL, NULL, &error)) {
        fail_msg("insert of %u bytes: %s", doc.len, error.message);
    }
    assert_stored_as(c, &doc);
    bson_destroy(&doc);
    free(data);
    mongoc_collection_destroy(c);
}


/* ---- writes ------------------------------------------------------------- */

/* Run a bulk insert of the _ids given; returns the reply (caller destroys). */
static void
bulk_ids(mongoc_collection_t *c, bool ordered, const int *ids, size_t n,
         bson_t *reply)
{
    bson_t *opts = json("{\"ordered\": %s}", ordered ? "true" : "false");
    mongoc_bulk_operation_t *bulk =
        mongoc_collection_create_bulk_operation_with_opts(c, opts);
    bson_error_t error;
    size_t i;

    for (i = 0; i < n; i++) {
        bson_t *doc = json("{\"_id\": %d, \"i\": %zu}", ids[i], i);

        assert_true(mongoc_bulk_operation_insert_with_opts(bulk, doc, NULL,
                                                           &error));
        bson_destroy(doc);
    }
    assert_int_equal(mongoc_bulk_operation_execute(bulk, reply, &error), 0);
    assert_int_equal(error.code, 11000);
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(opts);
}

static void
test_devserver_bulk_ordered_duplicate(void **state)
{
    static const int ids[] = {1, 2, 1, 3};
    mongoc_collection_t *c = coll("bulk");
    bson_t reply;

    bulk_ids(c, true, ids, 4, &reply);
    assert_int_equal(get_int(&reply, "nInserted"), 2);
    assert_int_equal(get_int(&reply, "writeErrors.0.index"), 2);
    assert_int_equal(get_int(&reply, "writeErrors.0.code"), 11000);
    assert_non_null(strstr(get_str(&reply, "writeErrors.0.errmsg"),
                           "E11000 duplicate key error"));
    assert_false(has(&reply, "writeErrors.1"));
    assert_int_equal(count(c, json("{}")), 2);
    bson_destroy(&reply);
    mongoc_collection_destroy(c);
}

static void
test_devserver_bulk_unordered_duplicate(void **state)
{
    static const int ids[] = {1, 2, 1, 3, 2, 4};
    mongoc_collection_t *c = coll("bulk");
    bson_t reply;

    bulk_ids(c, false, ids, 6, &reply);
    assert_int_equal(get_int(&reply, "nInserted"), 4);
    assert_int_equal(get_int(&reply, "writeErrors.0.index"), 2);
    assert_int_equal(get_int(&reply, "writeErrors.0.code"), 11000);
    assert_int_equal(get_int(&reply, "writeErrors.1.index"), 4);
    assert_int_equal(get_int(&reply, "writeErrors.1.code"), 11000);
    assert_false(has(&reply, "writeErrors.2"));
    assert_int_equal(count(c, json("{}")), 4);
    bson_destroy(&reply);
    mongoc_collection_destroy(c);
}

static void
test_devserver_unique_index(void **state)
{
    mongoc_collection_t *c = coll("people");
    bson_error_t error;
    bson_t reply;
    bson_t *b;
    bson_t *u;

    ok_cmd(db, &reply, json("{\"createIndexes\": \"people\", \"indexes\": "
                            "[{\"key\": {\"email\": 1}, \"name\": \"email_1\","
                            " \"unique\": true}]}"));
    assert_int_equal(get_int(&reply, "numIndexesBefore"), 1);
    assert_int_equal(get_int(&reply, "numIndexesAfter"), 2);
    bson_destroy(&reply);
    insert(c, json("{\"_id\": 1, \"email\": \"a@x\", \"team\": \"red\"}"));
    insert(c, json("{\"_id\": 2, \"email\": \"b@x\", \"team\": \"red\"}"));
    b = json("{\"_id\": 3, \"email\": \"a@x\"}");
    assert_false(mongoc_collection_insert_one(c, b, NULL, NULL, &error));
    assert_int_equal(error.code, 11000);
    assert_non_null(strstr(error.message, "email_1"));
    bson_destroy(b);
    /* An update that would duplicate is refused too. */
    b = json("{\"_id\": 2}");
    u = json("{\"$set\": {\"email\": \"a@x\"}}");
    assert_false(mongoc_collection_update_one(c, b, u, NULL, NULL, &error));
    assert_int_equal(error.code, 11000);
    bson_destroy(b);
    bson_destroy(u);
    /* A unique index over existing duplicates is not built. */
    fail_cmd(db, 11000, "E11000", json(
        "{\"createIndexes\": \"people\", \"indexes\": [{\"key\": {\"team\": 1},"
        " \"name\": \"team_1\", \"unique\": true}]}"));
    assert_int_equal(find_count(c, json("{}"), NULL), 2);
    ok_cmd(db, &reply, json("{\"listIndexes\": \"people\"}"));
    assert_true(has(&reply, "cursor.firstBatch.1"));
    assert_false(has(&reply, "cursor.firstBatch.2"));
    bson_destroy(&reply);
    mongoc_collection_destroy(c);
}

static void
test_devserver_update_delete(void **state)
{
    mongoc_collection_t *c = coll("ud");
    bson_error_t error;
    bson_t reply;
    bson_t *q;
    bson_t *u;
    bson_t *o;
    int i;

    for (i = 0; i < 10; i++) {
        insert(c, json("{\"_id\": %d, \"n\": %d, \"big\": {\"$numberLong\": "
                       "\"5000000000\"}}", i, i % 3));
    }
    q = json("{\"_id\": 4}");
    u = json("{\"$set\": {\"s\": \"x\"}, \"$inc\": {\"n\": 10}}");
    assert_true(mongoc_collection_update_one(c, q, u, NULL, &reply, &error));
    assert_int_equal(get_int(&reply, "matchedCount"), 1);
    assert_int_equal(get_int(&reply, "modifiedCount"), 1);
    bson_destroy(&reply);
    bson_destroy(q);
    bson_destroy(u);
    assert_int_equal(count(c, json("{\"n\": 11, \"s\": \"x\"}")), 1);
    q = json("{\"n\": 0}");
    u = json("{\"$set\": {\"zero\": true}}");
    assert_true(mongoc_collection_update_many(c, q, u, NULL, &reply, &error));
    assert_int_equal(get_int(&reply, "matchedCount"), 4);
    bson_destroy(&reply);
    bson_destroy(q);
    bson_destroy(u);
    q = json("{\"_id\": 5}");
    u = json("{\"replaced\": 1}");
    assert_true(mongoc_collection_replace_one(c, q, u, NULL, &reply, &error));
    assert_int_equal(get_int(&reply, "modifiedCount"), 1);
    bson_destroy(&reply);
    bson_destroy(q);
    bson_destroy(u);
    assert_int_equal(count(c, json("{\"_id\": 5, \"replaced\": 1, "
                                   "\"n\": {\"$exists\": false}}")), 1);
    q = json("{\"_id\": 100}");
    u = json("{\"$set\": {\"up\": 1}}");
    o = json("{\"upsert\": true}");
    assert_true(mongoc_collection_update_one(c, q, u, o, &reply, &error));
    bson_destroy(o);
    assert_int_equal(get_int(&reply, "upsertedCount"), 1);
    assert_int_equal(get_int(&reply, "upsertedId"), 100);
    bson_destroy(&reply);
    bson_destroy(q);
    bson_destroy(u);
    q = json("{\"n\": 1}");
    assert_true(mongoc_collection_delete_one(c, q, NULL, &reply, &error));
    assert_int_equal(get_int(&reply, "deletedCount"), 1);
    bson_destroy(&reply);
    /* n was 1 for _id 1, 4 and 7; _id 4 now has n 11. */
    assert_true(mongoc_collection_delete_many(c, q, NULL, &reply, &error));
    assert_int_equal(get_int(&reply, "deletedCount"), 1);
    bson_destroy(&reply);
    bson_destroy(q);
    assert_int_equal(count(c, json("{}")), 9);
    /* $inc keeps a 64-bit integer 64-bit. */
    q = json("{\"_id\": 0}");
    u = json("{\"$inc\": {\"big\": 1}}");
    assert_true(mongoc_collection_update_one(c, q, u, NULL, NULL, &error));
    bson_destroy(q);
    bson_destroy(u);
    /* _id 5 was replaced, _id 100 upserted: neither has big. */
    assert_int_equal(count(c, json("{\"big\": {\"$type\": \"long\"}}")), 7);
    assert_int_equal(count(c, json("{\"_id\": 0, \"big\": "
                                   "{\"$numberLong\": \"5000000001\"}}")), 1);
    mongoc_collection_destroy(c);
}

/* ---- reads -------------------------------------------------------------- */

static void
fill(mongoc_collection_t *c, int n)
{
    mongoc_bulk_operation_t *bulk =
        mongoc_collection_create_bulk_operation_with_opts(c, NULL);
    bson_error_t error;
    bson_t reply;
    int i;

    for (i = 0; i < n; i++) {
        bson_t *doc = json("{\"_id\": %d, \"g\": \"g%d\", \"v\": %d, "
                           "\"pad\": \"%0100d\"}", i, i % 4, n - i, i);

        mongoc_bulk_operation_insert(bulk, doc);
        bson_destroy(doc);
    }
    if (mongoc_bulk_operation_execute(bulk, &reply, &error) == 0) {
        fail_msg("bulk insert: %s", error.message);
    }
    assert_int_equal(get_int(&reply, "nInserted"), n);
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
}

static void
test_devserver_find_options(void **state)
{
    mongoc_collection_t *c = coll("f");
    mongoc_cursor_t *cur;
    const bson_t *doc;
    bson_t *filter;
    bson_t *opts;
    bson_iter_t it;
    int i = 0;

    fill(c, 250);
    /* Every document through getMore batches of 7. */
    assert_int_equal(find_count(c, json("{}"), json("{\"batchSize\": 7}")),
                     250);
    assert_int_equal(find_count(c, json("{\"g\": \"g1\"}"), NULL), 63);
    assert_int_equal(find_count(c, json("{\"v\": {\"$gt\": 200}}"),
                                json("{\"skip\": 10, \"limit\": 15}")), 15);
    assert_int_equal(find_count(c, json("{}"), json("{\"batchSize\": 5, "
                                                    "\"singleBatch\": true}")),
                     5);
    /* Sort, skip, limit and projection together. */
    filter = json("{\"g\": {\"$in\": [\"g0\", \"g2\"]}}");
    opts = json("{\"sort\": {\"g\": -1, \"v\": 1}, \"skip\": 1, \"limit\": 3,"
                " \"projection\": {\"v\": 1, \"g\": 1}}");
    cur = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    while (mongoc_cursor_next(cur, &doc)) {
        static const int want_v[] = {8, 12, 16};

        assert_true(bson_iter_init(&it, doc) && bson_iter_next(&it));
        assert_string_equal(bson_iter_key(&it), "_id");
        assert_string_equal(get_str(doc, "g"), "g2");
        assert_int_equal(get_int(doc, "v"), want_v[i]);
        assert_false(has(doc, "pad"));
        i++;
    }
    assert_false(mongoc_cursor_error(cur, NULL));
    assert_int_equal(i, 3);
    mongoc_cursor_destroy(cur);
    bson_destroy(filter);
    bson_destroy(opts);
    mongoc_collection_destroy(c);
}

static void
test_devserver_cursor_commands(void **state)
{
    mongoc_collection_t *c = coll("cur");
    bson_t reply;
    bson_iter_t it;
    int64_t id;

    fill(c, 30);
    ok_cmd(db, &reply, json("{\"find\": \"cur\", \"batchSize\": 10}"));
    assert_true(has(&reply, "cursor.firstBatch.9"));
    assert_false(has(&reply, "cursor.firstBatch.10"));
    assert_true(bson_iter_init(&it, &reply)
                && bson_iter_find_descendant(&it, "cursor.id", &it));
    id = bson_iter_as_int64(&it);
    assert_true(id != 0);
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"getMore\": {\"$numberLong\": \"%lld\"}, "
                            "\"collection\": \"cur\", \"batchSize\": 15}",
                            (long long) id));
    assert_true(has(&reply, "cursor.nextBatch.14"));
    assert_false(has(&reply, "cursor.nextBatch.15"));
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"killCursors\": \"cur\", \"cursors\": "
                            "[{\"$numberLong\": \"%lld\"}]}", (long long) id));
    assert_true(has(&reply, "cursorsKilled.0"));
    bson_destroy(&reply);
    fail_cmd(db, 43, NULL, json("{\"getMore\": {\"$numberLong\": \"%lld\"}, "
                                "\"collection\": \"cur\"}", (long long) id));
    mongoc_collection_destroy(c);
}

static void
test_devserver_count_aggregate(void **state)
{
    mongoc_collection_t *c = coll("agg");
    mongoc_cursor_t *cur;
    const bson_t *doc;
    bson_t *pipeline;
    bson_t reply;
    int i = 0;

    fill(c, 40);
    ok_cmd(db, &reply, json("{\"count\": \"agg\", \"query\": "
                            "{\"g\": \"g3\"}}"));
    assert_int_equal(get_int(&reply, "n"), 10);
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"count\": \"nothing_here\"}"));
    assert_int_equal(get_int(&reply, "n"), 0);
    bson_destroy(&reply);
    pipeline = json("{\"pipeline\": ["
                    "{\"$match\": {\"v\": {\"$lte\": 20}}},"
                    "{\"$group\": {\"_id\": \"$g\", \"n\": {\"$sum\": 1},"
                    " \"top\": {\"$max\": \"$v\"}}},"
                    "{\"$sort\": {\"_id\": 1}},"
                    "{\"$project\": {\"n\": 1, \"top\": 1, \"twice\": "
                    "{\"$multiply\": [\"$n\", 2]}}}]}");
    cur = mongoc_collection_aggregate(c, MONGOC_QUERY_NONE, pipeline, NULL,
                                      NULL);
    while (mongoc_cursor_next(cur, &doc)) {
        char want[16];

        snprintf(want, sizeof(want), "g%d", i);
        assert_string_equal(get_str(doc, "_id"), want);
        assert_int_equal(get_int(doc, "n"), 5);
        assert_int_equal(get_int(doc, "twice"), 10);
        i++;
    }
    assert_false(mongoc_cursor_error(cur, NULL));
    assert_int_equal(i, 4);
    mongoc_cursor_destroy(cur);
    bson_destroy(pipeline);
    pipeline = json("{\"pipeline\": [{\"$match\": {\"g\": \"g0\"}},"
                    " {\"$count\": \"total\"}]}");
    cur = mongoc_collection_aggregate(c, MONGOC_QUERY_NONE, pipeline, NULL,
                                      NULL);
    assert_true(mongoc_cursor_next(cur, &doc));
    assert_int_equal(get_int(doc, "total"), 10);
    mongoc_cursor_destroy(cur);
    bson_destroy(pipeline);
    assert_int_equal(count(c, json("{\"v\": {\"$gt\": 30}}")), 10);
    mongoc_collection_destroy(c);
}

/* ---- collections -------------------------------------------------------- */

/* The listCollections entry of name (caller destroys), or fails. */
static void
coll_info(const char *name, bson_t *info)
{
    bson_t reply;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    bson_t tmp;

    ok_cmd(db, &reply, json("{\"listCollections\": 1, \"filter\": "
                            "{\"name\": \"%s\"}}", name));
    assert_true(bson_iter_init(&it, &reply)
                && bson_iter_find_descendant(&it, "cursor.firstBatch.0", &it));
    bson_iter_document(&it, &len, &data);
    assert_true(bson_init_static(&tmp, data, len));
    bson_copy_to(&tmp, info);
    assert_false(has(&reply, "cursor.firstBatch.1"));
    bson_destroy(&reply);
}

static void
test_devserver_create_list_drop(void **state)
{
    mongoc_collection_t *c;
    bson_error_t error;
    bson_t reply;
    bson_t info;
    bson_iter_t it;
    bson_t *b;

    ok_cmd(db, &reply, json("{\"create\": \"capped\", \"capped\": true, "
                            "\"size\": 4096, \"max\": 3}"));
    bson_destroy(&reply);
    coll_info("capped", &info);
    assert_string_equal(get_str(&info, "type"), "collection");
    assert_true(bson_iter_init(&it, &info)
                && bson_iter_find_descendant(&it, "options.capped", &it)
                && bson_iter_as_bool(&it));
    assert_int_equal(get_int(&info, "options.size"), 4096);
    assert_int_equal(get_int(&info, "options.max"), 3);
    assert_true(bson_iter_init(&it, &info)
                && bson_iter_find_descendant(&it, "info.uuid", &it)
                && BSON_ITER_HOLDS_BINARY(&it));
    {
        bson_subtype_t sub;
        uint32_t len;
        const uint8_t *data;

        bson_iter_binary(&it, &sub, &len, &data);
        assert_int_equal(sub, BSON_SUBTYPE_UUID);
        assert_int_equal(len, 16);
    }
    assert_string_equal(get_str(&info, "idIndex.name"), "_id_");
    bson_destroy(&info);
    /* A capped collection keeps its newest documents. */
    c = coll("capped");
    fill(c, 5);
    assert_int_equal(count(c, json("{}")), 3);
    assert_int_equal(count(c, json("{\"_id\": {\"$gte\": 2}}")), 3);
    mongoc_collection_destroy(c);

    fail_cmd(db, 48, "already exists", json("{\"create\": \"capped\"}"));

    ok_cmd(db, &reply, json("{\"create\": \"checked\", \"validator\": "
                            "{\"age\": {\"$gte\": 18}}}"));
    bson_destroy(&reply);
    coll_info("checked", &info);
    assert_int_equal(get_int(&info, "options.validator.age.$gte"), 18);
    bson_destroy(&info);
    c = coll("checked");
    insert(c, json("{\"_id\": 1, \"age\": 30}"));
    b = json("{\"_id\": 2, \"age\": 3}");
    assert_false(mongoc_collection_insert_one(c, b, NULL, NULL, &error));
    assert_int_equal(error.code, 121);
    bson_destroy(b);
    mongoc_collection_destroy(c);

    /* A view: listed as such, read through its pipeline. */
    ok_cmd(db, &reply, json("{\"create\": \"adults\", \"viewOn\": \"checked\","
                            " \"pipeline\": [{\"$project\": {\"age\": 1, "
                            "\"adult\": {\"$literal\": true}}}]}"));
    bson_destroy(&reply);
    coll_info("adults", &info);
    assert_string_equal(get_str(&info, "type"), "view");
    assert_string_equal(get_str(&info, "options.viewOn"), "checked");
    bson_destroy(&info);
    c = coll("adults");
    assert_int_equal(find_count(c, json("{\"adult\": true}"), NULL), 1);
    mongoc_collection_destroy(c);

    /* nameOnly gives names and types only (mongod adds system.views). */
    ok_cmd(db, &reply, json("{\"listCollections\": 1, \"nameOnly\": true,"
                            " \"filter\": {\"name\": {\"$not\": "
                            "{\"$regex\": \"^system\\\\.\"}}}}"));
    assert_true(has(&reply, "cursor.firstBatch.2.name"));
    assert_true(has(&reply, "cursor.firstBatch.2.type"));
    assert_false(has(&reply, "cursor.firstBatch.0.options"));
    assert_false(has(&reply, "cursor.firstBatch.3"));
    bson_destroy(&reply);

    ok_cmd(db, &reply, json("{\"drop\": \"capped\"}"));
    assert_int_equal(get_int(&reply, "nIndexesWas"), 1);
    bson_destroy(&reply);
    fail_cmd(db, 26, NULL, json("{\"drop\": \"capped\"}"));
    ok_cmd(db, &reply, json("{\"dropDatabase\": 1}"));
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"listCollections\": 1}"));
    assert_false(has(&reply, "cursor.firstBatch.0"));
    bson_destroy(&reply);
}

static void
test_devserver_rename(void **state)
{
    mongoc_collection_t *a = coll("a");
    mongoc_collection_t *b = coll("b");
    bson_t reply;

    fill(a, 3);
    fill(b, 1);
    fail_cmd("admin", 48, "target namespace exists",
             json("{\"renameCollection\": \"%s.a\", \"to\": \"%s.b\"}", db,
                  db));
    fail_cmd("admin", 26, NULL,
             json("{\"renameCollection\": \"%s.nope\", \"to\": \"%s.c\"}", db,
                  db));
    ok_cmd("admin", &reply, json("{\"renameCollection\": \"%s.a\", \"to\": "
                                 "\"%s.b\", \"dropTarget\": true}", db, db));
    bson_destroy(&reply);
    assert_int_equal(count(b, json("{}")), 3);
    assert_int_equal(count(a, json("{}")), 0);
    ok_cmd(db, &reply, json("{\"listCollections\": 1, \"nameOnly\": true}"));
    assert_string_equal(get_str(&reply, "cursor.firstBatch.0.name"), "b");
    assert_false(has(&reply, "cursor.firstBatch.1"));
    bson_destroy(&reply);
    mongoc_collection_destroy(a);
    mongoc_collection_destroy(b);
}

static void
test_devserver_indexes(void **state)
{
    mongoc_collection_t *c = coll("ix");
    bson_t reply;

    fill(c, 10);
    ok_cmd(db, &reply, json(
        "{\"createIndexes\": \"ix\", \"indexes\": ["
        "{\"key\": {\"g\": 1, \"v\": -1}, \"name\": \"g_1_v_-1\"},"
        "{\"key\": {\"s\": 1}, \"name\": \"s_1\", \"sparse\": true},"
        "{\"key\": {\"v\": 1}, \"name\": \"v_1\", \"partialFilterExpression\":"
        " {\"v\": {\"$gt\": 5}}},"
        "{\"key\": {\"when\": 1}, \"name\": \"when_1\", "
        "\"expireAfterSeconds\": 3600},"
        "{\"key\": {\"pad\": 1}, \"name\": \"pad_1\", \"collation\": "
        "{\"locale\": \"fr\"}}]}"));
    assert_int_equal(get_int(&reply, "numIndexesAfter"), 6);
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"listIndexes\": \"ix\"}"));
    assert_string_equal(get_str(&reply, "cursor.firstBatch.0.name"), "_id_");
    assert_int_equal(get_int(&reply, "cursor.firstBatch.1.key.g"), 1);
    assert_int_equal(get_int(&reply, "cursor.firstBatch.1.key.v"), -1);
    assert_true(has(&reply, "cursor.firstBatch.2.sparse"));
    assert_int_equal(get_int(&reply,
        "cursor.firstBatch.3.partialFilterExpression.v.$gt"), 5);
    assert_int_equal(get_int(&reply, "cursor.firstBatch.4.expireAfterSeconds"),
                     3600);
    assert_string_equal(get_str(&reply, "cursor.firstBatch.5.collation.locale"),
                        "fr");
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"dropIndexes\": \"ix\", \"index\": \"s_1\"}"));
    assert_int_equal(get_int(&reply, "nIndexesWas"), 6);
    bson_destroy(&reply);
    fail_cmd(db, 27, "index not found", json("{\"dropIndexes\": \"ix\", "
                                             "\"index\": \"s_1\"}"));
    ok_cmd(db, &reply, json("{\"dropIndexes\": \"ix\", \"index\": \"*\"}"));
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"listIndexes\": \"ix\"}"));
    assert_false(has(&reply, "cursor.firstBatch.1"));
    bson_destroy(&reply);
    fail_cmd(db, 26, NULL, json("{\"listIndexes\": \"nope\"}"));
    mongoc_collection_destroy(c);
}

static void
test_devserver_stats(void **state)
{
    mongoc_collection_t *c = coll("st");
    bson_t reply;
    bson_iter_t it;
    char path[64];
    bool found = false;
    int i;

    fill(c, 20);
    ok_cmd(db, &reply, json("{\"collStats\": \"st\"}"));
    assert_int_equal(get_int(&reply, "count"), 20);
    assert_true(get_int(&reply, "size") > 20 * 100);
    assert_int_equal(get_int(&reply, "avgObjSize"),
                     get_int(&reply, "size") / 20);
    assert_true(has(&reply, "storageSize"));
    assert_int_equal(get_int(&reply, "nindexes"), 1);
    assert_true(has(&reply, "totalIndexSize"));
    assert_true(has(&reply, "indexSizes._id_"));
    bson_destroy(&reply);
    ok_cmd(db, &reply, json("{\"dbStats\": 1}"));
    assert_int_equal(get_int(&reply, "collections"), 1);
    assert_int_equal(get_int(&reply, "objects"), 20);
    bson_destroy(&reply);
    ok_cmd("admin", &reply, json("{\"listDatabases\": 1}"));
    for (i = 0; i < 1000; i++) {
        snprintf(path, sizeof(path), "databases.%d.name", i);
        if (!has(&reply, path)) {
            break;
        }
        if (strcmp(get_str(&reply, path), db) == 0) {
            found = true;
        }
    }
    assert_true(found);
    assert_true(bson_iter_init_find(&it, &reply, "totalSize"));
    bson_destroy(&reply);
    mongoc_collection_destroy(c);
}

/* ---- many clients ------------------------------------------------------- */

static void *
writer(void *arg)
{
    mongoc_client_pool_t *pool = arg;
    mongoc_client_t *cl = mongoc_client_pool_pop(pool);
    mongoc_collection_t *c = mongoc_client_get_collection(cl, db, "many");
    intptr_t bad = 0;
    int i;

    for (i = 0; i < 200; i++) {
        bson_t *doc = BCON_NEW("t", BCON_INT64((int64_t) pthread_self()),
                               "i", BCON_INT32(i));

        if (!mongoc_collection_insert_one(c, doc, NULL, NULL, NULL)) {
            bad++;
        }
        bson_destroy(doc);
    }
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(pool, cl);
    return (void *) bad;
}

static void
test_devserver_many_clients(void **state)
{
    mongoc_uri_t *u = mongoc_uri_new(mbk_test_mongo_uri());
    mongoc_client_pool_t *pool = mongoc_client_pool_new(u);
    mongoc_collection_t *c = coll("many");
    pthread_t th[4];
    void *bad;
    int i;

    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, writer, pool), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], &bad), 0);
        assert_null(bad);
    }
    assert_int_equal(count(c, json("{}")), 800);
    mongoc_collection_destroy(c);
    mongoc_client_pool_destroy(pool);
    mongoc_uri_destroy(u);
}

/* ---- the test gate (tests/mongo-dev-server/gate.py) -------------------- */

struct held {
    char *uri;
    char *db;
    bool ok;
    bson_error_t error;
    atomic_bool done;
};

/* createIndexes of {a: 1} on "gated", from a client of its own. */
static void *
create_index(void *arg)
{
    struct held *h = arg;
    mongoc_client_t *cl = mongoc_client_new(h->uri);
    bson_t *cmd = BCON_NEW("createIndexes", BCON_UTF8("gated"),
                           "indexes", "[", "{", "key", "{", "a",
                           BCON_INT32(1), "}", "name", BCON_UTF8("a_1"),
                           "}", "]");

    mongoc_client_set_error_api(cl, MONGOC_ERROR_API_VERSION_2);
    h->ok = mongoc_client_command_simple(cl, h->db, cmd, NULL, NULL,
                                         &h->error);
    bson_destroy(cmd);
    mongoc_client_destroy(cl);
    atomic_store(&h->done, true);
    return NULL;
}

/* Wait (a deadline of minutes, never a measure of speed) until path
 * exists (want true) or is gone (want false). */
static void
wait_path(const char *path, bool want)
{
    struct timespec step = {0, 20 * 1000 * 1000};
    int i;

    for (i = 0; i < 5 * 60 * 50; i++) {
        if ((access(path, F_OK) == 0) == want) {
            return;
        }
        nanosleep(&step, NULL);
    }
    fail_msg("%s did not %s within 5 minutes", path,
             want ? "appear" : "go away");
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static int
index_count(const char *name)
{
    bson_t reply;
    int n = 0;
    char key[64];

    ok_cmd(db, &reply, BCON_NEW("listIndexes", BCON_UTF8(name)));
    for (;;) {
        snprintf(key, sizeof(key), "cursor.firstBatch.%d", n);
        if (!has(&reply, key)) {
            break;
        }
        n++;
    }
    bson_destroy(&reply);
    return n;
}

/* createIndexes waits while createIndexes.hold exists, other commands
 * (on other connections) answer meanwhile, and it runs once the file is
 * gone; a hold file naming a deadline lets it run when that passes. */
static void
test_devserver_gate(void **state)
{
    const char *gate = mbk_test_devserver_gate_dir();
    mongoc_collection_t *c;
    struct held h;
    pthread_t th;
    char hold[4096];
    char waiting[4096];
    bson_t reply;
    bson_t *cmd;
    mongoc_uri_t *u;
    mongoc_client_t *cl;

    if (gate == NULL) {
        skip();  /* a real MongoDB has no test gate */
    }
    snprintf(hold, sizeof(hold), "%s/createIndexes.hold", gate);
    snprintf(waiting, sizeof(waiting), "%s/createIndexes.waiting", gate);
    c = coll("gated");
    fill(c, 5);
    assert_int_equal(index_count("gated"), 1);

    memset(&h, 0, sizeof(h));
    h.uri = (char *) mbk_test_mongo_uri();
    h.db = db;
    atomic_init(&h.done, false);
    write_file(hold, "");
    assert_int_equal(pthread_create(&th, NULL, create_index, &h), 0);
    wait_path(waiting, true);
    /* held: not answered, and the store is not locked meanwhile */
    assert_false(atomic_load(&h.done));
    assert_int_equal(count(c, json("{}")), 5);
    assert_int_equal(index_count("gated"), 1);
    assert_false(atomic_load(&h.done));
    assert_int_equal(unlink(hold), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    if (!h.ok) {
        fail_msg("the released createIndexes failed: %s", h.error.message);
    }
    assert_int_equal(index_count("gated"), 2);
    wait_path(waiting, false);

    /* a deadline in the file: the command runs when it passes, the file
     * still there.  The client gives up after 2 minutes, long before the
     * server's own deadline, so a deadline not read from the file fails
     * here. */
    u = mongoc_uri_new(mbk_test_mongo_uri());
    assert_non_null(u);
    assert_true(mongoc_uri_set_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS,
                                               120000));
    cl = mongoc_client_new_from_uri(u);
    mongoc_client_set_error_api(cl, MONGOC_ERROR_API_VERSION_2);
    write_file(hold, "0.5\n");
    cmd = json("{\"createIndexes\": \"gated\", \"indexes\": "
               "[{\"key\": {\"b\": 1}, \"name\": \"b_1\"}]}");
    if (!mongoc_client_command_simple(cl, db, cmd, NULL, &reply, &h.error)) {
        fail_msg("createIndexes with a 0.5 s gate deadline: %s",
                 h.error.message);
    }
    assert_int_equal(get_int(&reply, "numIndexesAfter"), 3);
    bson_destroy(&reply);
    bson_destroy(cmd);
    assert_int_equal(access(hold, F_OK), 0);
    assert_int_equal(unlink(hold), 0);
    mongoc_client_destroy(cl);
    mongoc_uri_destroy(u);
    mongoc_collection_destroy(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devserver_hello),
        cmocka_unit_test_setup_teardown(test_devserver_unknown_command,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_devserver_transaction_refused,
                                        setup, teardown),
        cmocka_unit_test(test_devserver_end_sessions),
        cmocka_unit_test_setup_teardown(test_devserver_types_roundtrip,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_devserver_id_types, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_big_document, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_bulk_ordered_duplicate,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_devserver_bulk_unordered_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_devserver_unique_index, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_update_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_find_options, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_cursor_commands, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_count_aggregate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_create_list_drop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_rename, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_indexes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_devserver_many_clients, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_devserver_gate, setup,
                                        teardown),
    };
    const char *uri = mbk_test_mongo_uri();
    int rc;

    if (uri == NULL) {
        return 77;
    }
    client = mongoc_client_new(uri);
    if (client == NULL) {
        fprintf(stderr, "bad MongoDB URI %s\n", uri);
        return 99;
    }
    mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    mongoc_client_destroy(client);
    return rc;
}
