/*
 * stats.c: dbStats, collStats and listIndexes gathered into one JSON
 * object.
 */
#include "config.h"

#include <string.h>

#include "engine/mongo/stats.h"

/* Copy the numeric fields named in keys from a command reply. */
static void
copy_numbers(const bson_t *reply, const char *const *keys,
             struct json_object *to)
{
    for (; *keys != NULL; keys++) {
        bson_iter_t it;

        if (!bson_iter_init_find(&it, reply, *keys)) {
            continue;
        }
        if (BSON_ITER_HOLDS_DOUBLE(&it)) {
            double v = bson_iter_double(&it);

            if (v == (double)(int64_t)v) {
                json_object_object_add(to, *keys,
                                       json_object_new_int64((int64_t)v));
            } else {
                json_object_object_add(to, *keys, json_object_new_double(v));
            }
        } else if (BSON_ITER_HOLDS_NUMBER(&it)) {
            json_object_object_add(to, *keys,
                                   json_object_new_int64(bson_iter_as_int64(&it)));
        }
    }
}

struct gather {
    struct mbk_mongo *m;
    const char *db;
    struct json_object *list;
    struct json_object *current; /* the collection whose indexes we read */
    const bson_t *coll_stats;
};

static int
on_index(const bson_t *spec, void *ud, struct mbk_error *err)
{
    struct gather *g = ud;
    struct json_object *ix = json_object_new_object();
    struct json_object *arr;
    bson_iter_t it;
    bson_iter_t sizes;
    const char *name = "";

    if (bson_iter_init_find(&it, spec, "name") && BSON_ITER_HOLDS_UTF8(&it)) {
        name = bson_iter_utf8(&it, NULL);
    }
    json_object_object_add(ix, "name", json_object_new_string(name));
    if (bson_iter_init_find(&it, spec, "key") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_t key;
        char *text;

        bson_iter_document(&it, &len, &data);
        bson_init_static(&key, data, len);
        /* Relaxed form reads best for people: {"a": 1, "b": -1}. */
        text = bson_as_relaxed_extended_json(&key, NULL);
        if (text != NULL) {
            json_object_object_add(ix, "key", json_object_new_string(text));
            bson_free(text);
        }
    }
    json_object_object_add(ix, "unique",
                           json_object_new_boolean(
                               bson_iter_init_find(&it, spec, "unique") &&
                               bson_iter_as_bool(&it)));
    if (bson_iter_init_find(&it, spec, "expireAfterSeconds")) {
        json_object_object_add(ix, "expireAfterSeconds",
                               json_object_new_int64(bson_iter_as_int64(&it)));
    }
    if (g->coll_stats != NULL &&
        bson_iter_init_find(&it, g->coll_stats, "indexSizes") &&
        BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &sizes) &&
        bson_iter_find(&sizes, name) && BSON_ITER_HOLDS_NUMBER(&sizes)) {
        json_object_object_add(ix, "size",
                               json_object_new_int64(bson_iter_as_int64(&sizes)));
    }
    json_object_object_get_ex(g->current, "indexes", &arr);
    json_object_array_add(arr, ix);
    (void)err;
    return 0;
}

static int
on_collection(const bson_t *doc, void *ud, struct mbk_error *err)
{
    static const char *const keys[] = {
        "count", "size", "avgObjSize", "storageSize", "nindexes",
        "totalIndexSize", NULL,
    };
    struct gather *g = ud;
    struct json_object *c;
    bson_iter_t it;
    const char *name;
    const char *type = "collection";
    bson_t cmd = BSON_INITIALIZER;
    bson_t reply;
    int rc = 0;

    if (!bson_iter_init_find(&it, doc, "name") || !BSON_ITER_HOLDS_UTF8(&it)) {
        return 0;
    }
    name = bson_iter_utf8(&it, NULL);
    if (strncmp(name, "system.", 7) == 0) {
        return 0;
    }
    if (bson_iter_init_find(&it, doc, "type") && BSON_ITER_HOLDS_UTF8(&it)) {
        type = bson_iter_utf8(&it, NULL);
    }
    c = json_object_new_object();
    json_object_object_add(c, "name", json_object_new_string(name));
    json_object_object_add(c, "type", json_object_new_string(type));
    json_object_object_add(c, "indexes", json_object_new_array());
    json_object_array_add(g->list, c);
    if (strcmp(type, "view") == 0) {
        bson_destroy(&cmd);
        return 0;
    }
    BSON_APPEND_UTF8(&cmd, "collStats", name);
    if (mbk_mongo_command(g->m, g->db, &cmd, &reply, err) != 0) {
        rc = mbk_error_prefix(err, "collection \"%s\"", name);
        goto out;
    }
    copy_numbers(&reply, keys, c);
    g->current = c;
    g->coll_stats = &reply;
    rc = mbk_mongo_list_indexes(g->m, g->db, name, on_index, g, err);
    g->coll_stats = NULL;
out:
    bson_destroy(&reply);
    bson_destroy(&cmd);
    return rc;
}

static int
cmp_name(const void *a, const void *b)
{
    struct json_object *x = *(struct json_object *const *)a;
    struct json_object *y = *(struct json_object *const *)b;
    struct json_object *nx;
    struct json_object *ny;

    json_object_object_get_ex(x, "name", &nx);
    json_object_object_get_ex(y, "name", &ny);
    return strcmp(json_object_get_string(nx), json_object_get_string(ny));
}

static int
cmp_string(const void *a, const void *b)
{
    return strcmp(json_object_get_string(*(struct json_object *const *)a),
                  json_object_get_string(*(struct json_object *const *)b));
}

int
mbk_engine_stats(struct mbk_mongo *m, const char *db, struct json_object **out,
                 struct mbk_error *err)
{
    static const char *const keys[] = {
        "collections", "views", "objects", "avgObjSize", "dataSize",
        "storageSize", "indexes", "indexSize", NULL,
    };
    struct gather g = {m, db, NULL, NULL, NULL};
    struct json_object *o = json_object_new_object();
    bson_t cmd = BSON_INITIALIZER;
    bson_t reply;
    int rc = -1;

    BSON_APPEND_INT32(&cmd, "dbStats", 1);
    if (mbk_mongo_command(m, db, &cmd, &reply, err) != 0) {
        mbk_error_prefix(err, "database \"%s\"", db);
        goto out;
    }
    json_object_object_add(o, "database", json_object_new_string(db));
    copy_numbers(&reply, keys, o);
    g.list = json_object_new_array();
    json_object_object_add(o, "collectionList", g.list);
    if (mbk_mongo_list_collections(m, db, on_collection, &g, err) != 0) {
        goto out;
    }
    json_object_array_sort(g.list, cmp_name);
    *out = o;
    o = NULL;
    rc = 0;
out:
    json_object_put(o);
    bson_destroy(&reply);
    bson_destroy(&cmd);
    return rc;
}

bool
mbk_engine_db_internal(const char *db)
{
    return strcmp(db, "admin") == 0 || strcmp(db, "local") == 0 ||
           strcmp(db, "config") == 0;
}

int
mbk_engine_databases(struct mbk_mongo *m, struct json_object **out,
                     struct mbk_error *err)
{
    struct json_object *arr = json_object_new_array();
    bson_t cmd = BSON_INITIALIZER;
    bson_t reply;
    bson_iter_t it;
    bson_iter_t dbs;
    int rc = -1;

    /* MongoDB's documented way to see only what the login may read:
     * listDatabases with authorizedDatabases (4.0.5+; ignored before) */
    BSON_APPEND_INT32(&cmd, "listDatabases", 1);
    BSON_APPEND_BOOL(&cmd, "nameOnly", true);
    BSON_APPEND_BOOL(&cmd, "authorizedDatabases", true);
    if (mbk_mongo_command(m, "admin", &cmd, &reply, err) != 0) {
        mbk_error_prefix(err, "listDatabases");
        goto out;
    }
    if (bson_iter_init_find(&it, &reply, "databases") &&
        BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &dbs)) {
        while (bson_iter_next(&dbs)) {
            bson_iter_t d;
            const char *name;

            if (!BSON_ITER_HOLDS_DOCUMENT(&dbs) ||
                !bson_iter_recurse(&dbs, &d) ||
                !bson_iter_find(&d, "name") || !BSON_ITER_HOLDS_UTF8(&d)) {
                continue;
            }
            name = bson_iter_utf8(&d, NULL);
            if (!mbk_engine_db_internal(name)) {
                json_object_array_add(arr, json_object_new_string(name));
            }
        }
    }
    json_object_array_sort(arr, cmp_string);
    *out = arr;
    arr = NULL;
    rc = 0;
out:
    json_object_put(arr);
    bson_destroy(&reply);
    bson_destroy(&cmd);
    return rc;
}
