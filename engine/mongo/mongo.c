/*
 * mongo.c: MongoDB access for the engine, on one mongoc_client_pool_t.
 * The only file of mbk that includes mongoc.h (STYLE.md §6).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "engine/mongo/mongo.h"

struct mbk_mongo {
    mongoc_uri_t *uri;
    mongoc_client_pool_t *pool;
    char *uri_db; /* the URI's database, or NULL */
};

struct mbk_mongo_cursor {
    struct mbk_mongo *m;
    mongoc_client_t *client;
    mongoc_collection_t *coll;
    mongoc_cursor_t *cursor;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_driver(void)
{
    /* libmongoc keeps performance counters in /dev/shm/mongoc-<pid>, and a
     * process killed with SIGKILL leaves that file behind: mbk reads no
     * counters, so it asks for none (unless the user set the variable). */
    setenv("MONGOC_DISABLE_SHM", "1", 0);
    mongoc_init();
    /* The driver logs to stderr by default; errors reach users through
     * struct mbk_error instead. */
    mongoc_log_set_handler(NULL, NULL);
}

/*
 * Driver and server errors, domain MONGO, classified once, here, from the
 * driver's domain (error API v2): a lost or unreachable server (stream and
 * server-selection errors) is MBK_MONGO_CODE_UNREACHABLE; the server's own
 * errors keep the server's code (2 is BadValue, not a network error); the
 * driver's other errors get MBK_MONGO_DRIVER_CODE(domain, code), negative,
 * so they never collide with a server code.
 */
int32_t
mbk_mongo_error_code(uint32_t domain, uint32_t code)
{
    switch (domain) {
    case MONGOC_ERROR_STREAM:
    case MONGOC_ERROR_SERVER_SELECTION:
        return MBK_MONGO_CODE_UNREACHABLE;
    case MONGOC_ERROR_SERVER:
    case MONGOC_ERROR_WRITE_CONCERN:
        return (int32_t)code;
    default:
        return MBK_MONGO_DRIVER_CODE(domain, code);
    }
}

static int
fail_mongo(struct mbk_error *err, const bson_error_t *e, const char *what)
{
    return mbk_error_set(err, MBK_ERROR_MONGO,
                         mbk_mongo_error_code(e->domain, e->code), "%s: %s",
                         what, e->message);
}

struct mbk_mongo *
mbk_mongo_open(const char *uri, uint32_t max_clients, struct mbk_error *err)
{
    struct mbk_mongo *m = NULL;
    bson_error_t e;
    const char *db;

    pthread_once(&init_once, init_driver);
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        return NULL;
    }
    m->uri = mongoc_uri_new_with_error(uri, &e);
    if (m->uri == NULL) {
        /* The driver's message may quote the URI: never show it. */
        mbk_error_set(err, MBK_ERROR_MONGO, MBK_MONGO_CODE_BAD_URI,
                      "invalid MongoDB URI: it must look like "
                      "mongodb://[user:password@]host[:port][/database]");
        goto fail;
    }
    if (mongoc_uri_get_option_as_int32(m->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
                                       0) == 0) {
        /* Fail fast on an unreachable server (the default is 30 s). */
        mongoc_uri_set_option_as_int32(m->uri,
                                       MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
                                       5000);
    }
    if (mongoc_uri_get_appname(m->uri) == NULL) {
        mongoc_uri_set_appname(m->uri, "mbk");
    }
    db = mongoc_uri_get_database(m->uri);
    if (db != NULL && db[0] != '\0') {
        m->uri_db = strdup(db);
    }
    m->pool = mongoc_client_pool_new(m->uri);
    if (m->pool == NULL) {
        mbk_error_set(err, MBK_ERROR_MONGO, MBK_MONGO_CODE_BAD_URI,
                      "cannot create a client pool for this URI "
                      "(unsupported options?)");
        goto fail;
    }
    mongoc_client_pool_set_error_api(m->pool, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_pool_max_size(m->pool, max_clients ? max_clients : 16);
    return m;

fail:
    mbk_mongo_close(m);
    return NULL;
}

void
mbk_mongo_close(struct mbk_mongo *m)
{
    if (m == NULL) {
        return;
    }
    if (m->pool != NULL) {
        mongoc_client_pool_destroy(m->pool);
    }
    mongoc_uri_destroy(m->uri);
    free(m->uri_db);
    free(m);
}

void
mbk_mongo_uri_redact(const char *uri, char *buf, size_t len)
{
    const char *scheme;
    const char *at;
    const char *colon;
    const char *slash;

    if (len == 0) {
        return;
    }
    scheme = strstr(uri, "://");
    if (scheme == NULL) {
        snprintf(buf, len, "%s", uri);
        return;
    }
    scheme += 3;
    slash = strchr(scheme, '/');
    /* The userinfo ends at the last '@' before the path. */
    at = NULL;
    for (const char *p = scheme; *p != '\0' && (slash == NULL || p < slash);
         p++) {
        if (*p == '@') {
            at = p;
        }
    }
    if (at == NULL) {
        snprintf(buf, len, "%s", uri);
        return;
    }
    colon = memchr(scheme, ':', (size_t)(at - scheme));
    if (colon == NULL) {
        snprintf(buf, len, "%s", uri);
        return;
    }
    snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - uri), uri, at);
}

const char *
mbk_mongo_get_uri_db(const struct mbk_mongo *m)
{
    return m->uri_db;
}

int
mbk_mongo_command(struct mbk_mongo *m, const char *db, const bson_t *cmd,
                  bson_t *reply, struct mbk_error *err)
{
    mongoc_client_t *client;
    bson_error_t e;
    bool ok;

    client = mongoc_client_pool_pop(m->pool);
    ok = mongoc_client_command_simple(client, db, cmd, NULL, reply, &e);
    mongoc_client_pool_push(m->pool, client);
    if (!ok) {
        const char *name = "command";
        bson_iter_t it;

        if (bson_iter_init(&it, cmd) && bson_iter_next(&it)) {
            name = bson_iter_key(&it);
        }
        return fail_mongo(err, &e, name);
    }
    return 0;
}

int
mbk_mongo_server_version(struct mbk_mongo *m, char *buf, size_t len,
                         struct mbk_error *err)
{
    bson_t cmd = BSON_INITIALIZER;
    bson_t reply;
    bson_iter_t it;
    int rc = -1;

    BSON_APPEND_INT32(&cmd, "buildInfo", 1);
    if (mbk_mongo_command(m, "admin", &cmd, &reply, err) != 0) {
        goto out;
    }
    if (!bson_iter_init_find(&it, &reply, "version") ||
        !BSON_ITER_HOLDS_UTF8(&it)) {
        mbk_error_set(err, MBK_ERROR_MONGO, 0,
                      "buildInfo: the reply has no version");
        goto out;
    }
    snprintf(buf, len, "%s", bson_iter_utf8(&it, NULL));
    rc = 0;
out:
    bson_destroy(&reply);
    bson_destroy(&cmd);
    return rc;
}

/* Walk a cursor, handing each document to fn. */
static int
drain(mongoc_cursor_t *cursor, mbk_mongo_doc_fn fn, void *ud,
      const char *what, struct mbk_error *err)
{
    const bson_t *doc;
    bson_error_t e;

    while (mongoc_cursor_next(cursor, &doc)) {
        if (fn(doc, ud, err) != 0) {
            return -1;
        }
    }
    if (mongoc_cursor_error(cursor, &e)) {
        return fail_mongo(err, &e, what);
    }
    return 0;
}

int
mbk_mongo_list_collections(struct mbk_mongo *m, const char *db,
                           mbk_mongo_doc_fn fn, void *ud,
                           struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_database_t *d;
    mongoc_cursor_t *cursor;
    int rc;

    client = mongoc_client_pool_pop(m->pool);
    d = mongoc_client_get_database(client, db);
    cursor = mongoc_database_find_collections_with_opts(d, NULL);
    rc = drain(cursor, fn, ud, "listCollections", err);
    mongoc_cursor_destroy(cursor);
    mongoc_database_destroy(d);
    mongoc_client_pool_push(m->pool, client);
    return rc;
}

int
mbk_mongo_list_indexes(struct mbk_mongo *m, const char *db, const char *coll,
                       mbk_mongo_doc_fn fn, void *ud, struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_collection_t *c;
    mongoc_cursor_t *cursor;
    int rc;

    client = mongoc_client_pool_pop(m->pool);
    c = mongoc_client_get_collection(client, db, coll);
    cursor = mongoc_collection_find_indexes_with_opts(c, NULL);
    rc = drain(cursor, fn, ud, "listIndexes", err);
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(m->pool, client);
    return rc;
}

int64_t
mbk_mongo_estimated_count(struct mbk_mongo *m, const char *db,
                          const char *coll, struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_collection_t *c;
    bson_error_t e;
    int64_t n;

    client = mongoc_client_pool_pop(m->pool);
    c = mongoc_client_get_collection(client, db, coll);
    n = mongoc_collection_estimated_document_count(c, NULL, NULL, NULL, &e);
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(m->pool, client);
    if (n < 0) {
        fail_mongo(err, &e, "count");
        return -1;
    }
    return n;
}

struct mbk_mongo_cursor *
mbk_mongo_find_all(struct mbk_mongo *m, const char *db, const char *coll,
                   struct mbk_error *err)
{
    struct mbk_mongo_cursor *c;
    bson_t filter = BSON_INITIALIZER;
    bson_t opts = BSON_INITIALIZER;

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        return NULL;
    }
    c->m = m;
    c->client = mongoc_client_pool_pop(m->pool);
    c->coll = mongoc_client_get_collection(c->client, db, coll);
    /* Bounded batches keep memory flat: without batchSize a getMore may
     * carry 16 MiB of documents, held twice while it is parsed. */
    BSON_APPEND_INT32(&opts, "batchSize", 1000);
    c->cursor = mongoc_collection_find_with_opts(c->coll, &filter, &opts,
                                                 NULL);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return c;
}

int
mbk_mongo_cursor_next(struct mbk_mongo_cursor *c, const uint8_t **data,
                      size_t *len, struct mbk_error *err)
{
    const bson_t *doc;
    bson_error_t e;

    if (mongoc_cursor_next(c->cursor, &doc)) {
        *data = bson_get_data(doc);
        *len = doc->len;
        return 1;
    }
    if (mongoc_cursor_error(c->cursor, &e)) {
        return fail_mongo(err, &e, "find");
    }
    return 0;
}

void
mbk_mongo_cursor_free(struct mbk_mongo_cursor *c)
{
    if (c == NULL) {
        return;
    }
    mongoc_cursor_destroy(c->cursor);
    mongoc_collection_destroy(c->coll);
    mongoc_client_pool_push(c->m->pool, c->client);
    free(c);
}

/* ---- writing, for restore --------------------------------------------- */

/* Run {name: arg, ...extra} on db; reply destroyed here. */
static int
simple(struct mbk_mongo *m, const char *db, bson_t *cmd,
       struct mbk_error *err)
{
    bson_t reply;
    int rc = mbk_mongo_command(m, db, cmd, &reply, err);

    bson_destroy(&reply);
    bson_destroy(cmd);
    return rc;
}

int
mbk_mongo_create(struct mbk_mongo *m, const char *db, const char *coll,
                 const bson_t *options, struct mbk_error *err)
{
    bson_t cmd = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&cmd, "create", coll);
    if (options != NULL && !bson_concat(&cmd, options)) {
        bson_destroy(&cmd);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "collection options too large");
    }
    return simple(m, db, &cmd, err);
}

int
mbk_mongo_drop(struct mbk_mongo *m, const char *db, const char *coll,
               struct mbk_error *err)
{
    bson_t cmd = BSON_INITIALIZER;
    struct mbk_error e;

    BSON_APPEND_UTF8(&cmd, "drop", coll);
    if (simple(m, db, &cmd, &e) != 0) {
        if (e.domain == MBK_ERROR_MONGO &&
            e.code == MBK_MONGO_CODE_NAMESPACE_NOT_FOUND) {
            return 0;
        }
        if (err != NULL) {
            *err = e;
        }
        return -1;
    }
    return 0;
}

int
mbk_mongo_rename(struct mbk_mongo *m, const char *db, const char *from,
                 const char *to, bool drop_target, struct mbk_error *err)
{
    bson_t cmd = BSON_INITIALIZER;
    char src[512];
    char dst[512];

    snprintf(src, sizeof(src), "%s.%s", db, from);
    snprintf(dst, sizeof(dst), "%s.%s", db, to);
    BSON_APPEND_UTF8(&cmd, "renameCollection", src);
    BSON_APPEND_UTF8(&cmd, "to", dst);
    BSON_APPEND_BOOL(&cmd, "dropTarget", drop_target);
    return simple(m, "admin", &cmd, err);
}

int
mbk_mongo_create_indexes(struct mbk_mongo *m, const char *db,
                         const char *coll, const bson_t *specs,
                         struct mbk_error *err)
{
    bson_t cmd = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&cmd, "createIndexes", coll);
    BSON_APPEND_ARRAY(&cmd, "indexes", specs);
    return simple(m, db, &cmd, err);
}

int
mbk_mongo_drop_index(struct mbk_mongo *m, const char *db, const char *coll,
                     const char *name, struct mbk_error *err)
{
    bson_t cmd = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&cmd, "dropIndexes", coll);
    BSON_APPEND_UTF8(&cmd, "index", name);
    return simple(m, db, &cmd, err);
}

int64_t
mbk_mongo_count(struct mbk_mongo *m, const char *db, const char *coll,
                struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_collection_t *c;
    bson_t filter = BSON_INITIALIZER;
    bson_error_t e;
    int64_t n;

    client = mongoc_client_pool_pop(m->pool);
    c = mongoc_client_get_collection(client, db, coll);
    n = mongoc_collection_count_documents(c, &filter, NULL, NULL, NULL, &e);
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(m->pool, client);
    bson_destroy(&filter);
    if (n < 0) {
        fail_mongo(err, &e, "count");
        return -1;
    }
    return n;
}

/* Fill wr from a bulk write reply. */
static void
write_result(const bson_t *reply, struct mbk_mongo_write_result *wr)
{
    bson_iter_t it;
    bson_iter_t arr;

    if (bson_iter_init_find(&it, reply, "nInserted")) {
        wr->inserted += (uint64_t)bson_iter_as_int64(&it);
    }
    if (!bson_iter_init_find(&it, reply, "writeErrors") ||
        !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
        return;
    }
    while (bson_iter_next(&arr)) {
        bson_iter_t f;

        wr->failed++;
        if (wr->failed_map != NULL && BSON_ITER_HOLDS_DOCUMENT(&arr) &&
            bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "index")) {
            int64_t i = bson_iter_as_int64(&f);

            if (i >= 0 && (uint64_t)i < wr->failed_map_len) {
                wr->failed_map[i] = 1;
            }
        }
        if (wr->nerrors >= MBK_MONGO_WRITE_ERRORS_KEPT ||
            !BSON_ITER_HOLDS_DOCUMENT(&arr)) {
            continue;
        }
        memset(&wr->errors[wr->nerrors], 0, sizeof(wr->errors[0]));
        if (bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "index")) {
            wr->errors[wr->nerrors].index = (uint32_t)bson_iter_as_int64(&f);
        }
        if (bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "code")) {
            wr->errors[wr->nerrors].code = (int32_t)bson_iter_as_int64(&f);
        }
        if (bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "errmsg") &&
            BSON_ITER_HOLDS_UTF8(&f)) {
            snprintf(wr->errors[wr->nerrors].message,
                     sizeof(wr->errors[0].message), "%s",
                     bson_iter_utf8(&f, NULL));
        }
        wr->nerrors++;
    }
}

int
mbk_mongo_insert_many(struct mbk_mongo *m, const char *db, const char *coll,
                      const bson_t *const *docs, size_t n, bool ordered,
                      bool bypass_validation,
                      struct mbk_mongo_write_result *wr,
                      struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_collection_t *c;
    mongoc_bulk_operation_t *bulk;
    bson_t opts = BSON_INITIALIZER;
    bson_t iopts = BSON_INITIALIZER;
    bson_t reply;
    bson_error_t e;
    uint32_t ok;
    int rc = 0;

    if (n == 0) {
        bson_destroy(&opts);
        return 0;
    }
    BSON_APPEND_BOOL(&opts, "ordered", ordered);
    client = mongoc_client_pool_pop(m->pool);
    c = mongoc_client_get_collection(client, db, coll);
    bulk = mongoc_collection_create_bulk_operation_with_opts(c, &opts);
    if (bypass_validation) {
        mongoc_bulk_operation_set_bypass_document_validation(bulk, true);
    }
    /* The parser has validated every document already (UTF-8, keys):
     * the driver's second validation would cost a tenth of a restore. */
    BSON_APPEND_BOOL(&iopts, "validate", false);
    for (size_t i = 0; i < n; i++) {
        if (!mongoc_bulk_operation_insert_with_opts(bulk, docs[i], &iopts,
                                                    &e)) {
            rc = fail_mongo(err, &e, "insert");
            goto out;
        }
    }
    ok = mongoc_bulk_operation_execute(bulk, &reply, &e);
    write_result(&reply, wr);
    if (ok == 0) {
        rc = fail_mongo(err, &e, "insert");
    }
    bson_destroy(&reply);
out:
    bson_destroy(&iopts);
    mongoc_bulk_operation_destroy(bulk);
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(m->pool, client);
    bson_destroy(&opts);
    return rc;
}

int
mbk_mongo_find_each(struct mbk_mongo *m, const char *db, const char *coll,
                    const bson_t *filter, const bson_t *opts,
                    mbk_mongo_doc_fn fn, void *ud, struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_collection_t *c;
    mongoc_cursor_t *cursor;
    int rc;

    bson_t o = BSON_INITIALIZER;

    /* Bounded batches unless the caller chose (see mbk_mongo_find_all). */
    if (opts != NULL) {
        bson_concat(&o, opts);
    }
    if (opts == NULL || !bson_has_field(opts, "batchSize")) {
        BSON_APPEND_INT32(&o, "batchSize", 1000);
    }
    client = mongoc_client_pool_pop(m->pool);
    c = mongoc_client_get_collection(client, db, coll);
    cursor = mongoc_collection_find_with_opts(c, filter, &o, NULL);
    bson_destroy(&o);
    rc = drain(cursor, fn, ud, "find", err);
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(m->pool, client);
    return rc;
}

int
mbk_mongo_replace(struct mbk_mongo *m, const char *db, const char *coll,
                  const bson_t *doc, bool bypass_validation,
                  struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_collection_t *c;
    bson_t filter = BSON_INITIALIZER;
    bson_t opts = BSON_INITIALIZER;
    bson_iter_t it;
    bson_error_t e;
    bool ok;

    if (!bson_iter_init_find(&it, doc, "_id")) {
        bson_destroy(&filter);
        bson_destroy(&opts);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "replace: the document has no _id");
    }
    bson_append_iter(&filter, "_id", 3, &it);
    BSON_APPEND_BOOL(&opts, "upsert", true);
    if (bypass_validation) {
        BSON_APPEND_BOOL(&opts, "bypassDocumentValidation", true);
    }
    client = mongoc_client_pool_pop(m->pool);
    c = mongoc_client_get_collection(client, db, coll);
    ok = mongoc_collection_replace_one(c, &filter, doc, &opts, NULL, &e);
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(m->pool, client);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return ok ? 0 : fail_mongo(err, &e, "replace");
}

int
mbk_mongo_delete_ids(struct mbk_mongo *m, const char *db, const char *coll,
                     const bson_t *ids, struct mbk_error *err)
{
    mongoc_client_t *client;
    mongoc_collection_t *c;
    bson_t filter = BSON_INITIALIZER;
    bson_t in;
    bson_error_t e;
    bool ok;

    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &in);
    BSON_APPEND_ARRAY(&in, "$in", ids);
    bson_append_document_end(&filter, &in);
    client = mongoc_client_pool_pop(m->pool);
    c = mongoc_client_get_collection(client, db, coll);
    ok = mongoc_collection_delete_many(c, &filter, NULL, NULL, &e);
    mongoc_collection_destroy(c);
    mongoc_client_pool_push(m->pool, client);
    bson_destroy(&filter);
    return ok ? 0 : fail_mongo(err, &e, "delete");
}
