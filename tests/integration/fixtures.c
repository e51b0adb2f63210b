/*
 * fixtures.c: the test database: every BSON type, indexes of each kind,
 * collection options and a view, built with libmongoc.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/integration/fixtures.h"

void
mbk_fixture_every_type(bson_t *doc)
{
    bson_oid_t oid;
    bson_decimal128_t dec;
    bson_t sub;
    bson_t scope;
    bson_t arr;
    static const uint8_t uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
                                     0xde, 0xf0, 0x01, 0x23, 0x45, 0x67,
                                     0x89, 0xab, 0xcd, 0xef};
    static const uint8_t bytes[5] = {0, 1, 2, 0xfe, 0xff};
    static const uint8_t md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00,
                                    0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98,
                                    0xec, 0xf8, 0x42, 0x7e};

    bson_oid_init_from_string(&oid, "5f0c2b1a9d3e4f5a6b7c8d9e");
    BSON_APPEND_OID(doc, "oid", &oid);
    BSON_APPEND_DOUBLE(doc, "dbl", 1.5);
    BSON_APPEND_DOUBLE(doc, "dbl_tenth", 0.1);
    BSON_APPEND_DOUBLE(doc, "dbl_negzero", -0.0);
    BSON_APPEND_DOUBLE(doc, "dbl_nan", NAN);
    BSON_APPEND_DOUBLE(doc, "dbl_inf", INFINITY);
    BSON_APPEND_DOUBLE(doc, "dbl_neginf", -INFINITY);
    BSON_APPEND_DOUBLE(doc, "dbl_big", 1.7976931348623157e308);
    BSON_APPEND_DOUBLE(doc, "dbl_denorm", 5e-324);
    BSON_APPEND_DOUBLE(doc, "dbl_int", 42.0);
    BSON_APPEND_INT32(doc, "i32_min", INT32_MIN);
    BSON_APPEND_INT32(doc, "i32_max", INT32_MAX);
    BSON_APPEND_INT64(doc, "i64_min", INT64_MIN);
    BSON_APPEND_INT64(doc, "i64_max", INT64_MAX);
    BSON_APPEND_INT64(doc, "i64_small", 7);
    bson_decimal128_from_string("1234.5678901234567890123456789012", &dec);
    BSON_APPEND_DECIMAL128(doc, "dec", &dec);
    bson_decimal128_from_string("-0.00", &dec);
    BSON_APPEND_DECIMAL128(doc, "dec_negzero", &dec);
    bson_decimal128_from_string("NaN", &dec);
    BSON_APPEND_DECIMAL128(doc, "dec_nan", &dec);
    bson_decimal128_from_string("-Infinity", &dec);
    BSON_APPEND_DECIMAL128(doc, "dec_neginf", &dec);
    bson_decimal128_from_string("1E+6144", &dec);
    BSON_APPEND_DECIMAL128(doc, "dec_huge", &dec);
    BSON_APPEND_DATE_TIME(doc, "date", 1795698309042LL);
    BSON_APPEND_DATE_TIME(doc, "date_1900", -2208988800000LL);
    BSON_APPEND_DATE_TIME(doc, "date_far", 253402300800000LL); /* 10000 */
    BSON_APPEND_DATE_TIME(doc, "date_min", INT64_MIN);
    BSON_APPEND_BINARY(doc, "bin_generic", BSON_SUBTYPE_BINARY, bytes, 5);
    BSON_APPEND_BINARY(doc, "bin_empty", BSON_SUBTYPE_BINARY, bytes, 0);
    BSON_APPEND_BINARY(doc, "bin_func", BSON_SUBTYPE_FUNCTION, bytes, 5);
    BSON_APPEND_BINARY(doc, "bin_uuid_old", BSON_SUBTYPE_UUID_DEPRECATED,
                       uuid, 16);
    BSON_APPEND_BINARY(doc, "bin_uuid", BSON_SUBTYPE_UUID, uuid, 16);
    BSON_APPEND_BINARY(doc, "bin_md5", BSON_SUBTYPE_MD5, md5, 16);
    BSON_APPEND_BINARY(doc, "bin_encrypted", BSON_SUBTYPE_ENCRYPTED, bytes, 5);
    BSON_APPEND_BINARY(doc, "bin_user", BSON_SUBTYPE_USER, bytes, 5);
    BSON_APPEND_TIMESTAMP(doc, "ts", 1795698309, 7);
    BSON_APPEND_REGEX(doc, "re", "^ab+c$", "imsux");
    BSON_APPEND_REGEX(doc, "re_plain", "a/b\\d", "");
    BSON_APPEND_CODE(doc, "code", "function () { return 1; }");
    bson_init(&scope);
    BSON_APPEND_INT32(&scope, "x", 1);
    BSON_APPEND_CODE_WITH_SCOPE(doc, "code_scope", "function () { return x; }",
                                &scope);
    bson_destroy(&scope);
    BSON_APPEND_MINKEY(doc, "min");
    BSON_APPEND_MAXKEY(doc, "max");
    BSON_APPEND_NULL(doc, "null");
    BSON_APPEND_BOOL(doc, "yes", true);
    BSON_APPEND_BOOL(doc, "no", false);
    BSON_APPEND_UTF8(doc, "str", "plain");
    BSON_APPEND_UTF8(doc, "str_unicode",
                     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad");
    BSON_APPEND_UTF8(doc, "str_escapes",
                     "quote\" backslash\\ slash/ tab\t nl\n cr\r \x01\x1f");
    BSON_APPEND_UTF8(doc, "str_empty", "");
    BSON_APPEND_UTF8(doc, "a.dotted.key", "dots in a field name");
    BSON_APPEND_DOCUMENT_BEGIN(doc, "nested", &sub);
    BSON_APPEND_UTF8(&sub, "$price", "a $-prefixed key, nested");
    BSON_APPEND_ARRAY_BEGIN(&sub, "list", &arr);
    BSON_APPEND_INT32(&arr, "0", 1);
    BSON_APPEND_UTF8(&arr, "1", "two");
    BSON_APPEND_DOUBLE(&arr, "2", 3.25);
    bson_append_array_end(&sub, &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&sub, "deeper", &scope);
    BSON_APPEND_BOOL(&scope, "ok", true);
    bson_append_document_end(&sub, &scope);
    bson_append_document_end(doc, &sub);
    BSON_APPEND_ARRAY_BEGIN(doc, "empty_array", &arr);
    bson_append_array_end(doc, &arr);
    BSON_APPEND_DOCUMENT_BEGIN(doc, "empty_doc", &sub);
    bson_append_document_end(doc, &sub);
}

static int
insert(mongoc_collection_t *c, bson_t *doc, bson_error_t *e)
{
    bool ok = mongoc_collection_insert_one(c, doc, NULL, NULL, e);

    bson_destroy(doc);
    return ok ? 0 : -1;
}

static int
fill_types(mongoc_database_t *d, bson_error_t *e)
{
    mongoc_collection_t *c = mongoc_database_get_collection(d, "types");
    bson_t sub;
    bson_t *doc;
    int rc = -1;

    /* _ids of several types: true and 1 are different ids */
    doc = bson_new();
    BSON_APPEND_UTF8(doc, "_id", "every-type");
    mbk_fixture_every_type(doc);
    if (insert(c, doc, e) != 0) {
        goto out;
    }
    doc = bson_new();
    BSON_APPEND_INT32(doc, "_id", 1);
    BSON_APPEND_UTF8(doc, "kind", "int32 id");
    if (insert(c, doc, e) != 0) {
        goto out;
    }
    doc = bson_new();
    BSON_APPEND_BOOL(doc, "_id", true);
    BSON_APPEND_UTF8(doc, "kind", "bool id");
    if (insert(c, doc, e) != 0) {
        goto out;
    }
    doc = bson_new();
    BSON_APPEND_INT64(doc, "_id", 5000000000LL);
    BSON_APPEND_UTF8(doc, "kind", "int64 id");
    if (insert(c, doc, e) != 0) {
        goto out;
    }
    doc = bson_new();
    BSON_APPEND_DOCUMENT_BEGIN(doc, "_id", &sub);
    BSON_APPEND_UTF8(&sub, "tenant", "acme");
    BSON_APPEND_INT32(&sub, "n", 7);
    bson_append_document_end(doc, &sub);
    BSON_APPEND_UTF8(doc, "kind", "document id");
    if (insert(c, doc, e) != 0) {
        goto out;
    }
    doc = bson_new();
    {
        static const uint8_t u[16] = {1, 2, 3, 4, 5, 6, 7, 8,
                                      9, 10, 11, 12, 13, 14, 15, 16};

        BSON_APPEND_BINARY(doc, "_id", BSON_SUBTYPE_UUID, u, 16);
    }
    BSON_APPEND_UTF8(doc, "kind", "uuid id");
    rc = insert(c, doc, e);
out:
    mongoc_collection_destroy(c);
    return rc;
}

static int
command(mongoc_database_t *d, bson_t *cmd, bson_error_t *e)
{
    bool ok = mongoc_database_command_simple(d, cmd, NULL, NULL, e);

    bson_destroy(cmd);
    return ok ? 0 : -1;
}

static int
fill_users(mongoc_database_t *d, bson_error_t *e)
{
    mongoc_collection_t *c = mongoc_database_get_collection(d, "users");
    mongoc_bulk_operation_t *bulk;
    bson_t reply;
    bool ok;

    bulk = mongoc_collection_create_bulk_operation_with_opts(c, NULL);
    for (int i = 0; i < MBK_FIXTURE_USERS; i++) {
        bson_t *doc = bson_new();
        bson_t tags;
        bson_oid_t oid;
        char email[64];
        char oidhex[25];

        snprintf(oidhex, sizeof(oidhex), "64%022x", i);
        bson_oid_init_from_string(&oid, oidhex);
        snprintf(email, sizeof(email), "user%03d@example.com", i);
        BSON_APPEND_OID(doc, "_id", &oid);
        BSON_APPEND_UTF8(doc, "email", email);
        BSON_APPEND_UTF8(doc, "department", i % 3 ? "sales" : "support");
        BSON_APPEND_INT32(doc, "level", i % 5);
        BSON_APPEND_BOOL(doc, "active", i % 4 != 0);
        BSON_APPEND_DATE_TIME(doc, "createdAt",
                              1700000000000LL + (int64_t)i * 86400000LL);
        BSON_APPEND_DOUBLE(doc, "score", i * 0.37);
        BSON_APPEND_ARRAY_BEGIN(doc, "tags", &tags);
        BSON_APPEND_UTF8(&tags, "0", "crm");
        if (i % 2) {
            BSON_APPEND_UTF8(&tags, "1", "vip");
        }
        bson_append_array_end(doc, &tags);
        mongoc_bulk_operation_insert(bulk, doc);
        bson_destroy(doc);
    }
    ok = mongoc_bulk_operation_execute(bulk, &reply, e) != 0;
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    mongoc_collection_destroy(c);
    if (!ok) {
        return -1;
    }
    /* unique, compound, partial */
    return command(d,
                   BCON_NEW("createIndexes", "users", "indexes", "[",
                            "{", "key", "{", "email", BCON_INT32(1), "}",
                            "name", "email_unique", "unique", BCON_BOOL(true),
                            "}",
                            "{", "key", "{", "department", BCON_INT32(1),
                            "level", BCON_INT32(-1), "}", "name",
                            "dept_level", "}",
                            "{", "key", "{", "score", BCON_INT32(1), "}",
                            "name", "active_score", "partialFilterExpression",
                            "{", "active", BCON_BOOL(true), "}", "}",
                            "]"),
                   e);
}

static int
fill_small(mongoc_database_t *d, const char *coll, int n, bson_error_t *e)
{
    mongoc_collection_t *c = mongoc_database_get_collection(d, coll);
    int rc = 0;

    for (int i = 0; i < n && rc == 0; i++) {
        bson_t *doc = bson_new();
        char name[32];

        snprintf(name, sizeof(name), "%s-%d", coll, i);
        BSON_APPEND_INT32(doc, "_id", i);
        BSON_APPEND_UTF8(doc, "name", name);
        BSON_APPEND_DATE_TIME(doc, "at", 1795698309042LL - i * 1000LL);
        if (i % 2 == 0) {
            BSON_APPEND_UTF8(doc, "optional", "only on even ids");
        }
        rc = insert(c, doc, e);
    }
    mongoc_collection_destroy(c);
    return rc;
}

int
mbk_fixture_fill(mongoc_client_t *client, const char *db, bson_error_t *e)
{
    mongoc_database_t *d = mongoc_client_get_database(client, db);
    int rc = -1;

    if (fill_types(d, e) != 0 || fill_users(d, e) != 0) {
        goto out;
    }
    /* roles: a sparse index */
    if (fill_small(d, "roles", 5, e) != 0 ||
        command(d,
                BCON_NEW("createIndexes", "roles", "indexes", "[", "{", "key",
                         "{", "optional", BCON_INT32(1), "}", "name",
                         "optional_sparse", "sparse", BCON_BOOL(true), "}",
                         "]"),
                e) != 0) {
        goto out;
    }
    /* events_archive: capped */
    if (command(d,
                BCON_NEW("create", "events_archive", "capped", BCON_BOOL(true),
                         "size", BCON_INT64(1048576), "max", BCON_INT64(1000)),
                e) != 0 ||
        fill_small(d, "events_archive", 20, e) != 0) {
        goto out;
    }
    /* sessions: a TTL index */
    if (fill_small(d, "sessions", 10, e) != 0 ||
        command(d,
                BCON_NEW("createIndexes", "sessions", "indexes", "[", "{",
                         "key", "{", "at", BCON_INT32(1), "}", "name",
                         "at_ttl", "expireAfterSeconds",
                         BCON_INT32(315360000), "}", "]"),
                e) != 0) {
        goto out;
    }
    /* contacts: a validator */
    if (command(d,
                BCON_NEW("create", "contacts", "validator", "{", "name", "{",
                         "$type", "string", "}", "}", "validationLevel",
                         "strict", "validationAction", "error"),
                e) != 0 ||
        fill_small(d, "contacts", 12, e) != 0) {
        goto out;
    }
    if (command(d, BCON_NEW("create", "empty"), e) != 0) {
        goto out;
    }
    /* active_users: a view */
    if (command(d,
                BCON_NEW("create", "active_users", "viewOn", "users",
                         "pipeline", "[", "{", "$match", "{", "active",
                         BCON_BOOL(true), "}", "}", "]"),
                e) != 0) {
        goto out;
    }
    rc = 0;
out:
    mongoc_database_destroy(d);
    return rc;
}
