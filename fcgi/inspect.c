/*
 * inspect.c: what the page asks to show the state of things: the health
 * of MongoDB and of every storage (the status banner), the databases one
 * may inspect, and the statistics of one of them.
 */
#include "config.h"

#include <string.h>

#include "engine/mongo/stats.h"
#include "fcgi/handlers.h"
#include "fcgi/router.h"

/* A probe name no backup has: stat()ing it asks the store without
 * reading any backup (found or not found both mean "it answers"). */
#define HEALTH_PROBE "mbk-health-probe.json"

static int
probe_seen(const struct mbk_storage_entry *e, void *ud)
{
    (void)e;
    (void)ud;
    return 0;
}

static struct json_object *
error_text(const struct mbk_error *err)
{
    char msg[sizeof(err->message) + 64];

    mbk_fcgi_scrub(err->message, msg, sizeof(msg));
    return json_object_new_string(msg);
}

void
mbk_fcgi_handle_health(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs)
{
    struct json_object *d;
    struct json_object *mongo;
    struct json_object *stores;
    struct mbk_error err;
    char version[64];
    bool ok = true;

    if (mbk_fcgi_no_query(rq, rs) != 0) {
        return;
    }
    d = json_object_new_object();
    mongo = json_object_new_object();
    mbk_error_clear(&err);
    if (mbk_mongo_server_version(app->mongo, version, sizeof(version),
                                 &err) == 0) {
        json_object_object_add(mongo, "reachable",
                               json_object_new_boolean(1));
        json_object_object_add(mongo, "version",
                               json_object_new_string(version));
    } else {
        ok = false;
        json_object_object_add(mongo, "reachable",
                               json_object_new_boolean(0));
        json_object_object_add(mongo, "version", NULL);
        json_object_object_add(mongo, "error", error_text(&err));
    }
    json_object_object_add(mongo, "database",
                           json_object_new_string(mbk_fcgi_app_db(app)));
    stores = json_object_new_array();
    for (size_t i = 0; i < app->nstorages; i++) {
        const struct mbk_fcgi_storage *st = &app->storages[i];
        struct json_object *o = json_object_new_object();
        struct mbk_storage *store;
        char why[sizeof(err.message)];
        unsigned retry_in = 0;
        bool good;

        /* asking is a use: an unavailable storage due for another
         * attempt is opened again here */
        mbk_error_clear(&err);
        store = mbk_fcgi_storage_use(app, st, &err);
        good = store != NULL &&
               (mbk_storage_stat(store, HEALTH_PROBE, probe_seen, NULL,
                                 &err) == 0 ||
                (err.domain == MBK_ERROR_STORAGE &&
                 err.code == MBK_STORAGE_ENOTFOUND));
        json_object_object_add(o, "name", json_object_new_string(st->name));
        json_object_object_add(o, "ok", json_object_new_boolean(good));
        /* available: opened (then ok says whether it answers now);
         * unavailable: not opened yet, with why and when it is tried */
        json_object_object_add(o, "state", json_object_new_string(
                                               store != NULL
                                                   ? "available"
                                                   : "unavailable"));
        if (!good) {
            ok = false;
            json_object_object_add(o, "error", error_text(&err));
        }
        if (store == NULL &&
            !mbk_fcgi_storage_state(st, why, sizeof(why), &retry_in)) {
            json_object_object_add(o, "retryIn",
                                   json_object_new_int64(retry_in));
        }
        json_object_array_add(stores, o);
    }
    json_object_object_add(d, "ok", json_object_new_boolean(ok));
    json_object_object_add(d, "mongo", mongo);
    json_object_object_add(d, "storages", stores);
    mbk_fcgi_reply_data_take(rs, 200, d);
}

void
mbk_fcgi_handle_databases(struct mbk_fcgi_app *app,
                          const struct mbk_fcgi_request *rq,
                          struct mbk_fcgi_response *rs)
{
    struct json_object *list = NULL;
    struct json_object *d;
    struct mbk_error err;
    const char *db = mbk_fcgi_app_db(app);
    bool has = false;

    if (mbk_fcgi_no_query(rq, rs) != 0) {
        return;
    }
    if (mbk_engine_databases(app->mongo, &list, &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    /* the configured database first, even before it has any data */
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        if (strcmp(json_object_get_string(
                       json_object_array_get_idx(list, i)), db) == 0) {
            has = true;
        }
    }
    if (!has) {
        json_object_array_add(list, json_object_new_string(db));
    }
    d = json_object_new_object();
    json_object_object_add(d, "default", json_object_new_string(db));
    json_object_object_add(d, "databases", list);
    mbk_fcgi_reply_data_take(rs, 200, d);
}

static const struct mbk_fcgi_field stats_query[] = {
    {"database", MBK_FCGI_T_STRING, false, 1, 63, NULL, mbk_fcgi_check_db},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

void
mbk_fcgi_handle_stats(struct mbk_fcgi_app *app,
                      const struct mbk_fcgi_request *rq,
                      struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct json_object *out = NULL;
    struct mbk_error err;
    char db[64];

    if (mbk_fcgi_query(rq, stats_query, &q, rs) != 0) {
        return;
    }
    snprintf(db, sizeof(db), "%s",
             mbk_fcgi_get_str(q, "database", mbk_fcgi_app_db(app)));
    json_object_put(q);
    if (mbk_engine_db_internal(db)) {
        mbk_fcgi_http_error(&err, 400, "field \"database\": \"%s\" is "
                            "MongoDB's own database", db);
        mbk_fcgi_reply_error(rs, &err, "database");
        return;
    }
    if (mbk_engine_stats(app->mongo, db, &out, &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    mbk_fcgi_reply_data_take(rs, 200, out);
}

struct json_object *
mbk_fcgi_restore_info(struct json_object *opts, const char *target)
{
    static const char *const keys[] = {"source", "backupName", "storage",
                                       "path", "uploadBytes", NULL};
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "dryRun", json_object_new_boolean(
                                            mbk_fcgi_get_bool(opts, "dryRun",
                                                              false)));
    json_object_object_add(o, "targetDatabase",
                           json_object_new_string(target));
    for (size_t i = 0; keys[i] != NULL; i++) {
        struct json_object *v;

        if (json_object_object_get_ex(opts, keys[i], &v)) {
            json_object_object_add(o, keys[i], json_object_get(v));
        }
    }
    return o;
}
