/*
 * restore_util.h: what the restore integration tests share (test_restore.c,
 * test_lossless.c): the fixture and torture databases, fs and tar storages
 * in a temporary folder, and helpers to back up, restore and compare.
 * One test program at a time uses it; not thread-safe.
 */
#ifndef MBK_TESTS_RESTORE_UTIL_H
#define MBK_TESTS_RESTORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mongoc/mongoc.h>

#include "engine/restore/restore.h"
#include "tests/integration/group.h"
#include "storage/loader.h"

struct mbk_rt_ctx {
    struct mbk_test_group g; /* database, folder, client, handle, fs */
    /* g's members under the names the restore tests use (lent) */
    const char *src; /* the fixture database, g.db */
    const char *tmp; /* g.tmp */
    mongoc_client_t *client;
    struct mbk_mongo *m;
    struct mbk_storage *fs;
    char *torture; /* the torture database (torture.h) */
    struct mbk_storage *tar;
};

/* The group's context, set by mbk_rt_setup. */
extern struct mbk_rt_ctx *mbk_rt;

/* cmocka group setup and teardown: the fixture and torture databases,
 * the storages, the client and the engine's MongoDB handle. */
int
mbk_rt_setup(void **state);

int
mbk_rt_teardown(void **state);

/* Back db (or the fixture) up as name into st; the stored file name. */
void
mbk_rt_backup_db(struct mbk_storage *st, const char *db, const char *name,
                 int gzip, char *file, size_t len);

void
mbk_rt_backup(struct mbk_storage *st, const char *name, int gzip, char *file,
              size_t len);

/* Default restore options into target (two jobs). */
void
mbk_rt_default_opts(struct mbk_restore_opts *o, const char *target);

/* Restore a named backup of st, or a file. */
int
mbk_rt_restore_name(struct mbk_storage *st, const char *file,
                    const struct mbk_restore_opts *o,
                    struct mbk_restore_report *rep, struct mbk_error *err);

int
mbk_rt_restore_path(const char *path, const struct mbk_restore_opts *o,
                    struct mbk_restore_report *rep, struct mbk_error *err);

/* Databases a and b hold the same, byte for byte, or the test fails. */
void
mbk_rt_expect_same_db(const char *a, const char *b);

void
mbk_rt_write_file(const char *path, const char *data, size_t len);

/* A malloc'd path of name in the test's folder. */
char *
mbk_rt_tmp_path(const char *name);

/* Documents of db.coll matching filter (taken). */
int64_t
mbk_rt_count_where(const char *db, const char *coll, bson_t *filter);

/* The document with this int32 _id, as the server holds it (a copy). */
bson_t *
mbk_rt_fetch(const char *db, const char *coll, int32_t id);

/* The document of db.coll with want's _id is want, byte for byte. */
void
mbk_rt_expect_doc(const char *db, const char *coll, const bson_t *want);

#endif /* MBK_TESTS_RESTORE_UTIL_H */
