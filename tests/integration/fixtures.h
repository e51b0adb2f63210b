/*
 * fixtures.h: a database for integration tests holding every BSON type,
 * indexes of each kind, collection options (capped, validator) and a view.
 */
#ifndef MBK_TESTS_FIXTURES_H
#define MBK_TESTS_FIXTURES_H

#include <mongoc/mongoc.h>

/* types, users, roles, events_archive (capped), sessions (TTL index),
 * contacts (validator), empty, active_users (a view on users) */
#define MBK_FIXTURE_COLLECTIONS 8
#define MBK_FIXTURE_USERS 250

/* Create and fill the collections in db; 0, or -1 with e set. */
int
mbk_fixture_fill(mongoc_client_t *client, const char *db, bson_error_t *e);

/* One document holding every BSON type and edge value (for the "types"
 * collection and for encoder/parser tests). */
void
mbk_fixture_every_type(bson_t *doc);

#endif /* MBK_TESTS_FIXTURES_H */
