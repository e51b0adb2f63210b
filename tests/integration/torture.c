/*
 * torture.c: the torture database: documents a real MongoDB can hold that
 * a naive Extended JSON round trip loses (type look-alikes, repeated keys,
 * 180 levels, _id elsewhere, the every-type set) and collection kinds with
 * options (a deep validator with level and action, a validator with a
 * repeated key and a $regex look-alike, a capped collection,
 * a collation, a view with a collation, indexes: partial, hidden,
 * wildcard, 2dsphere, text with weights, one with a collation).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tests/integration/fixtures.h"
#include "tests/integration/torture.h"

/* {"k": {first: 1, "x": 1}} for every keyword: written escaped. */
static const char *const keywords[] = {
    "$oid", "$date", "$numberInt", "$numberLong", "$numberDouble",
    "$numberDecimal", "$binary", "$type", "$uuid", "$timestamp",
    "$regularExpression", "$regex", "$options", "$symbol", "$code",
    "$scope", "$dbPointer", "$minKey", "$maxKey", "$undefined", "$mbk:doc",
};

static int
insert_raw(mongoc_collection_t *c, const bson_t *doc, bson_error_t *e)
{
    /* the driver's key checks off: mongod 5.0+ stores these names */
    bson_t *opts = BCON_NEW("validate", BCON_BOOL(false));
    bool ok = mongoc_collection_insert_one(c, doc, opts, NULL, e);

    bson_destroy(opts);
    return ok ? 0 : -1;
}

/* insert_raw, then destroy doc (built with bson_init) */
static int
insert_done(mongoc_collection_t *c, bson_t *doc, bson_error_t *e)
{
    int rc = insert_raw(c, doc, e);

    bson_destroy(doc);
    return rc;
}

static int
lookalikes(mongoc_collection_t *c, bson_error_t *e)
{
    bson_t doc;
    bson_t sub;
    bson_t sub2;
    bson_t arr;
    bson_t scope;
    int id = 0;

    for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++) {
        bson_init(&doc);
        BSON_APPEND_INT32(&doc, "_id", ++id);
        BSON_APPEND_DOCUMENT_BEGIN(&doc, "k", &sub);
        BSON_APPEND_INT32(&sub, keywords[i], 5);
        BSON_APPEND_UTF8(&sub, "x", "1");
        bson_append_document_end(&doc, &sub);
        /* the same inside an array, and as a string value */
        BSON_APPEND_ARRAY_BEGIN(&doc, "a", &arr);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &sub);
        BSON_APPEND_UTF8(&sub, keywords[i], "^a");
        bson_append_document_end(&arr, &sub);
        bson_append_array_end(&doc, &arr);
        if (insert_done(c, &doc, e) != 0) {
            return -1;
        }
    }
    /* the saved query and binary look-alike, nested escapes */
    bson_init(&doc);
    BSON_APPEND_INT32(&doc, "_id", ++id);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "filter", &sub);
    BSON_APPEND_UTF8(&sub, "$regex", "^a");
    BSON_APPEND_UTF8(&sub, "$options", "i");
    bson_append_document_end(&doc, &sub);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "x", &sub);
    BSON_APPEND_UTF8(&sub, "$binary", "AQID");
    BSON_APPEND_UTF8(&sub, "$type", "00");
    BSON_APPEND_DOCUMENT_BEGIN(&sub, "inner", &sub2);
    bson_init(&scope);
    BSON_APPEND_UTF8(&scope, "$oid", "x");
    BSON_APPEND_DOCUMENT(&sub2, "$mbk:doc", &scope);
    bson_destroy(&scope);
    bson_append_document_end(&sub, &sub2);
    bson_append_document_end(&doc, &sub);
    bson_init(&scope);
    BSON_APPEND_INT32(&scope, "$oid", 1);
    BSON_APPEND_CODE_WITH_SCOPE(&doc, "cws", "f()", &scope);
    bson_destroy(&scope);
    /* a DBRef stays an ordinary document */
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "ref", &sub);
    BSON_APPEND_UTF8(&sub, "$ref", "coll");
    BSON_APPEND_INT32(&sub, "$id", 3);
    bson_append_document_end(&doc, &sub);
    if (insert_done(c, &doc, e) != 0) {
        return -1;
    }
    /* repeated keys, top level and nested: mongod stores them as sent */
    bson_init(&doc);
    BSON_APPEND_INT32(&doc, "_id", ++id);
    BSON_APPEND_INT32(&doc, "dup", 1);
    BSON_APPEND_UTF8(&doc, "dup", "two");
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "d", &sub);
    BSON_APPEND_INT32(&sub, "k", 1);
    BSON_APPEND_INT32(&sub, "k", 2);
    bson_append_document_end(&doc, &sub);
    if (insert_done(c, &doc, e) != 0) {
        return -1;
    }
    /* _id not first: the server moves it */
    bson_init(&doc);
    BSON_APPEND_INT32(&doc, "2020", 5);
    BSON_APPEND_INT32(&doc, "_id", ++id);
    if (insert_done(c, &doc, e) != 0) {
        return -1;
    }
    return 0;
}

/* The top document and 179 levels under it, an empty one under those. */
static int
deep(mongoc_collection_t *c, bson_error_t *e)
{
    bson_t *d = bson_new();
    bson_t empty = BSON_INITIALIZER;
    int rc;

    BSON_APPEND_DOCUMENT(d, "e", &empty);
    BSON_APPEND_ARRAY(d, "f", &empty);
    for (int i = 0; i < 179; i++) {
        bson_t *up = bson_new();

        if (i == 178) {
            BSON_APPEND_INT32(up, "_id", 1);
        }
        /* every other level an array: d's only key is then "0" */
        if (i % 2 == 0 || i == 178) {
            BSON_APPEND_DOCUMENT(up, "0", d);
        } else {
            BSON_APPEND_ARRAY(up, "0", d);
        }
        bson_destroy(d);
        d = up;
    }
    rc = insert_raw(c, d, e);
    bson_destroy(d);
    return rc;
}

/* A $jsonSchema `levels` objects deep. */
static bson_t *
schema(int levels)
{
    bson_t *s = BCON_NEW("bsonType", "object");

    for (int i = 0; i < levels; i++) {
        bson_t *up = bson_new();
        bson_t props;

        BSON_APPEND_UTF8(up, "bsonType", "object");
        BSON_APPEND_DOCUMENT_BEGIN(up, "properties", &props);
        BSON_APPEND_DOCUMENT(&props, "n", s);
        bson_append_document_end(up, &props);
        bson_destroy(s);
        s = up;
    }
    return s;
}

static int
create(mongoc_database_t *d, const char *name, bson_t *opts, bson_error_t *e)
{
    mongoc_collection_t *c =
        mongoc_database_create_collection(d, name, opts, e);

    bson_destroy(opts);
    if (c == NULL) {
        return -1;
    }
    mongoc_collection_destroy(c);
    return 0;
}

/* A validator as a server holds it when sent so: a repeated key ("a"
 * twice, both conditions apply) and a condition whose first key is a
 * type-wrapper keyword ($regex with $options): the metadata must carry
 * both exactly (issue 12). */
static bson_t *
repeated_validator(void)
{
    bson_t *v = bson_new();
    bson_t sub;

    BSON_APPEND_DOCUMENT_BEGIN(v, "a", &sub);
    BSON_APPEND_BOOL(&sub, "$exists", true);
    bson_append_document_end(v, &sub);
    BSON_APPEND_DOCUMENT_BEGIN(v, "a", &sub);
    BSON_APPEND_INT32(&sub, "$ne", 5);
    bson_append_document_end(v, &sub);
    BSON_APPEND_DOCUMENT_BEGIN(v, "q", &sub);
    BSON_APPEND_UTF8(&sub, "$regex", "^a");
    BSON_APPEND_UTF8(&sub, "$options", "i");
    bson_append_document_end(v, &sub);
    return v;
}

static int
indexes(mongoc_database_t *d, bson_error_t *e)
{
    bson_t *cmd = BCON_NEW(
        "createIndexes", "places", "indexes", "[",
        "{", "key", "{", "loc", "2dsphere", "}", "name", "loc_2dsphere", "}",
        "{", "key", "{", "kind", BCON_INT32(1), "}", "name", "kind_partial",
        "partialFilterExpression", "{", "kind", "{", "$exists",
        BCON_BOOL(true), "}", "}", "}",
        "{", "key", "{", "h", BCON_INT32(1), "}", "name", "h_hidden",
        "hidden", BCON_BOOL(true), "}",
        "{", "key", "{", "$**", BCON_INT32(1), "}", "name", "wild", "}",
        "{", "key", "{", "title", "text", "body", "text", "}", "name",
        "text", "weights", "{", "title", BCON_INT32(10), "body",
        BCON_INT32(1), "}", "default_language", "english", "}",
        "{", "key", "{", "city", BCON_INT32(1), "}", "name", "city_de",
        "collation", "{", "locale", "de", "}", "}",
        "]");
    bool ok = mongoc_database_command_simple(d, cmd, NULL, NULL, e);

    bson_destroy(cmd);
    return ok ? 0 : -1;
}

int
mbk_torture_fill(mongoc_client_t *client, const char *db, bson_error_t *e)
{
    mongoc_database_t *d = mongoc_client_get_database(client, db);
    mongoc_collection_t *c = NULL;
    bson_t *s = schema(20);
    bson_t *rv = repeated_validator();
    bson_t every = BSON_INITIALIZER;
    int rc = -1;

    c = mongoc_client_get_collection(client, db, "types");
    mbk_fixture_every_type(&every);
    if (insert_raw(c, &every, e) != 0) {
        goto out;
    }
    mongoc_collection_destroy(c);
    c = mongoc_client_get_collection(client, db, "lookalikes");
    if (lookalikes(c, e) != 0) {
        goto out;
    }
    mongoc_collection_destroy(c);
    c = mongoc_client_get_collection(client, db, "deep");
    if (deep(c, e) != 0) {
        goto out;
    }
    if (create(d, "validated",
               BCON_NEW("validator", "{", "$jsonSchema", BCON_DOCUMENT(s),
                        "}", "validationLevel", "moderate",
                        "validationAction", "warn"),
               e) != 0
        || create(d, "repeated",
                  BCON_NEW("validator", BCON_DOCUMENT(rv),
                           "validationAction", "warn"),
                  e) != 0
        || create(d, "capped",
                  BCON_NEW("capped", BCON_BOOL(true), "size",
                           BCON_INT64(65536), "max", BCON_INT64(100)),
                  e) != 0
        || create(d, "places", bson_new(), e) != 0 || indexes(d, e) != 0
        || create(d, "french",
                  BCON_NEW("collation", "{", "locale", "fr", "strength",
                           BCON_INT32(2), "}"),
                  e) != 0
        || create(d, "french_view",
                  BCON_NEW("viewOn", "french", "pipeline", "[", "]",
                           "collation", "{", "locale", "fr", "strength",
                           BCON_INT32(2), "}"),
                  e) != 0) {
        goto out;
    }
    rc = 0;
out:
    bson_destroy(&every);
    bson_destroy(s);
    bson_destroy(rv);
    mongoc_collection_destroy(c);
    mongoc_database_destroy(d);
    return rc;
}
