/*
 * snapshot.h: a database's whole state as one comparable text: each
 * collection's name, type, options, indexes and every document's BSON
 * bytes (documents sorted, so order alone never differs).  Restore tests
 * compare snapshots taken before and after to prove "unchanged".
 */
#ifndef MBK_TESTS_SNAPSHOT_H
#define MBK_TESTS_SNAPSHOT_H

#include <mongoc/mongoc.h>

/* A malloc'd text; `skip_prefix` names collections left out (NULL). */
char *
mbk_snapshot(mongoc_client_t *client, const char *db,
             const char *skip_prefix);

/* The same for one collection's documents only. */
char *
mbk_snapshot_docs(mongoc_client_t *client, const char *db, const char *coll);

#endif /* MBK_TESTS_SNAPSHOT_H */
