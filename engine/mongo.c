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

#include "engine/mongo.h"

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
    mongoc_init();
    /* The driver logs to stderr by default; errors reach users through
     * struct mbk_error instead. */
    mongoc_log_set_handler(NULL, NULL);
}

/* Driver and server errors: domain MONGO, code the server's (API v2). */
static int
fail_mongo(struct mbk_error *err, const bson_error_t *e, const char *what)
{
    return mbk_error_set(err, MBK_ERROR_MONGO, (int32_t)e->code, "%s: %s",
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

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        return NULL;
    }
    c->m = m;
    c->client = mongoc_client_pool_pop(m->pool);
    c->coll = mongoc_client_get_collection(c->client, db, coll);
    c->cursor = mongoc_collection_find_with_opts(c->coll, &filter, NULL, NULL);
    bson_destroy(&filter);
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
