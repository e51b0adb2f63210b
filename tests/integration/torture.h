/*
 * torture.h: the torture database of the integration tests (torture.c):
 * every case of issue 12 a real MongoDB can hold, in one database.
 */
#ifndef MBK_TESTS_TORTURE_H
#define MBK_TESTS_TORTURE_H

#include <mongoc/mongoc.h>

/* types, lookalikes, deep, validated, repeated (a validator with a
 * repeated key), capped, places (indexes), french (a collation) and
 * french_view (a view with a collation) */
#define MBK_TORTURE_COLLECTIONS 9

/* Create and fill the collections in db; 0, or -1 with e set. */
int
mbk_torture_fill(mongoc_client_t *client, const char *db, bson_error_t *e);

#endif /* MBK_TESTS_TORTURE_H */
