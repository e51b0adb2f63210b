/*
 * bench_devserver.c: times a bulk insert of N small documents (default
 * 100,000) and a full cursor read of them against the MongoDB server of the
 * integration harness (MBK_TEST_MONGO_URI, else the development server).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <mongoc/mongoc.h>

#include "tests/integration/harness.h"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    const char *uri = mbk_test_mongo_uri();
    mongoc_client_t *client;
    mongoc_collection_t *coll;
    mongoc_bulk_operation_t *bulk;
    mongoc_cursor_t *cursor;
    const bson_t *doc;
    bson_error_t error;
    bson_t *filter;
    char *db;
    double t0;
    double t_insert;
    double t_read;
    int i;
    int got = 0;
    int rc = 0;

    if (uri == NULL) {
        return 77;
    }
    client = mongoc_client_new(uri);
    db = mbk_test_db_new("bench");
    coll = mongoc_client_get_collection(client, db, "small");

    t0 = now();
    bulk = mongoc_collection_create_bulk_operation_with_opts(coll, NULL);
    for (i = 0; i < n; i++) {
        bson_t *d = BCON_NEW("i", BCON_INT32(i), "name", BCON_UTF8("user"),
                             "ok", BCON_BOOL(i % 2 == 0));

        mongoc_bulk_operation_insert(bulk, d);
        bson_destroy(d);
    }
    if (mongoc_bulk_operation_execute(bulk, NULL, &error) == 0) {
        fprintf(stderr, "bulk insert: %s\n", error.message);
        rc = 1;
    }
    mongoc_bulk_operation_destroy(bulk);
    t_insert = now() - t0;

    t0 = now();
    filter = bson_new();
    cursor = mongoc_collection_find_with_opts(coll, filter, NULL, NULL);
    while (mongoc_cursor_next(cursor, &doc)) {
        got++;
    }
    if (mongoc_cursor_error(cursor, &error)) {
        fprintf(stderr, "find: %s\n", error.message);
        rc = 1;
    }
    mongoc_cursor_destroy(cursor);
    bson_destroy(filter);
    t_read = now() - t0;

    printf("bulk insert of %d small documents: %.3f s\n", n, t_insert);
    printf("cursor read of %d documents: %.3f s\n", got, t_read);
    if (got != n) {
        rc = 1;
    }
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    mbk_test_db_drop(db);
    free(db);
    return rc;
}
