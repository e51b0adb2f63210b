/*
 * mongo.h: the engine's only door to MongoDB.  engine/mongo/mongo.c is the
 * one file that includes mongoc.h; everything else speaks libbson.
 * One struct mbk_mongo holds one mongoc_client_pool_t and is thread-safe;
 * each cursor holds a client popped from it, and belongs to one thread.
 */
#ifndef MBK_ENGINE_MONGO_H
#define MBK_ENGINE_MONGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "engine/error.h"

/* Codes of the MONGO domain are the server's or the driver's own codes;
 * these are the ones the engine tests for. */
#define MBK_MONGO_CODE_NAMESPACE_NOT_FOUND 26
#define MBK_MONGO_CODE_NAMESPACE_EXISTS    48
#define MBK_MONGO_CODE_DUPLICATE_KEY       11000
#define MBK_MONGO_CODE_UNREACHABLE         13053 /* lost or unreachable */
#define MBK_MONGO_CODE_BAD_URI             (-2)
/* A driver error that is neither the server's nor a lost server: its
 * domain and code, as a negative number (domains start at 1). */
#define MBK_MONGO_DRIVER_CODE(domain, code)                                  \
    (-(int32_t)(1000 * (int32_t)(domain) + (int32_t)(code)))

/* The MONGO-domain code of a driver bson_error_t's (domain, code): the
 * one place that decides what "unreachable" is.  Thread-safe. */
int32_t
mbk_mongo_error_code(uint32_t domain, uint32_t code);

struct mbk_mongo;
struct mbk_mongo_cursor;

/* Connects lazily: a bad URI fails here, an unreachable server at the
 * first command.  max_clients bounds the pool (0: 16). */
struct mbk_mongo *
mbk_mongo_open(const char *uri, uint32_t max_clients, struct mbk_error *err);

void
mbk_mongo_close(struct mbk_mongo *m); /* NULL-safe */

/* The URI with its password replaced by "***", for logs and reports. */
void
mbk_mongo_uri_redact(const char *uri, char *buf, size_t len);

/* The database named in the URI's path, or NULL. Lent. */
const char *
mbk_mongo_get_uri_db(const struct mbk_mongo *m);

/* Run a command on db; reply is always initialised and must be
 * bson_destroy()ed, success or not. */
int
mbk_mongo_command(struct mbk_mongo *m, const char *db, const bson_t *cmd,
                  bson_t *reply, struct mbk_error *err);

/* buildInfo's "version" into buf. */
int
mbk_mongo_server_version(struct mbk_mongo *m, char *buf, size_t len,
                         struct mbk_error *err);

/* Called for each listCollections entry ({name, type, options, info,
 * idIndex}); doc is lent.  Return 0 to go on, -1 to stop with err set. */
typedef int (*mbk_mongo_doc_fn)(const bson_t *doc, void *ud,
                                struct mbk_error *err);

int
mbk_mongo_list_collections(struct mbk_mongo *m, const char *db,
                           mbk_mongo_doc_fn fn, void *ud,
                           struct mbk_error *err);

/* Each listIndexes spec of db.coll. */
int
mbk_mongo_list_indexes(struct mbk_mongo *m, const char *db, const char *coll,
                       mbk_mongo_doc_fn fn, void *ud, struct mbk_error *err);

/* The collection's document count as the server estimates it (metadata
 * count; used for progress only).  -1 on error. */
int64_t
mbk_mongo_estimated_count(struct mbk_mongo *m, const char *db,
                          const char *coll, struct mbk_error *err);

/* A cursor over every document of db.coll in natural order.  The cursor
 * holds one pooled client until freed. */
struct mbk_mongo_cursor *
mbk_mongo_find_all(struct mbk_mongo *m, const char *db, const char *coll,
                   struct mbk_error *err);

/* 1 and the next document's bytes (lent until the next call), 0 at the
 * end, -1 on error. */
int
mbk_mongo_cursor_next(struct mbk_mongo_cursor *c, const uint8_t **data,
                      size_t *len, struct mbk_error *err);

void
mbk_mongo_cursor_free(struct mbk_mongo_cursor *c); /* NULL-safe */

/* ---- writing, for restore --------------------------------------------- */

/* create db.coll with the options of listCollections (may be NULL):
 * capped, size, max, validator..., or viewOn and pipeline for a view. */
int
mbk_mongo_create(struct mbk_mongo *m, const char *db, const char *coll,
                 const bson_t *options, struct mbk_error *err);

/* drop db.coll; a missing collection is not an error. */
int
mbk_mongo_drop(struct mbk_mongo *m, const char *db, const char *coll,
               struct mbk_error *err);

/* renameCollection db.from -> db.to. */
int
mbk_mongo_rename(struct mbk_mongo *m, const char *db, const char *from,
                 const char *to, bool drop_target, struct mbk_error *err);

/* createIndexes with an array of listIndexes specs. */
int
mbk_mongo_create_indexes(struct mbk_mongo *m, const char *db,
                         const char *coll, const bson_t *specs,
                         struct mbk_error *err);

int
mbk_mongo_drop_index(struct mbk_mongo *m, const char *db, const char *coll,
                     const char *name, struct mbk_error *err);

/* Exact number of documents in db.coll (0 when it does not exist). */
int64_t
mbk_mongo_count(struct mbk_mongo *m, const char *db, const char *coll,
                struct mbk_error *err);

#define MBK_MONGO_WRITE_ERRORS_KEPT 5

/* What an insert did: how many went in, and the first write errors. */
struct mbk_mongo_write_result {
    uint64_t inserted;
    uint64_t failed;
    uint32_t nerrors; /* kept below */
    struct {
        uint32_t index; /* in the batch */
        int32_t code;
        char message[200];
    } errors[MBK_MONGO_WRITE_ERRORS_KEPT];
    /* when the caller sets it: one byte per document of the batch, set
     * to 1 for each document that did not go in */
    uint8_t *failed_map;
    size_t failed_map_len;
};

/* Insert n documents in one bulk write (the driver splits it to the
 * server's limits).  Write errors (duplicate key, validation) are counted
 * in wr and make the call return -1 with the first one in err. */
int
mbk_mongo_insert_many(struct mbk_mongo *m, const char *db, const char *coll,
                      const bson_t *const *docs, size_t n, bool ordered,
                      bool bypass_validation,
                      struct mbk_mongo_write_result *wr,
                      struct mbk_error *err);

/* Each document of db.coll matching filter (opts: projection, sort...). */
int
mbk_mongo_find_each(struct mbk_mongo *m, const char *db, const char *coll,
                    const bson_t *filter, const bson_t *opts,
                    mbk_mongo_doc_fn fn, void *ud, struct mbk_error *err);

/* Replace the document with doc's _id by doc (upsert). */
int
mbk_mongo_replace(struct mbk_mongo *m, const char *db, const char *coll,
                  const bson_t *doc, bool bypass_validation,
                  struct mbk_error *err);

/* Delete the documents whose _id is in the array ids. */
int
mbk_mongo_delete_ids(struct mbk_mongo *m, const char *db, const char *coll,
                     const bson_t *ids, struct mbk_error *err);

#endif /* MBK_ENGINE_MONGO_H */
