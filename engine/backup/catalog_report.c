/*
 * catalog_report.c: a listed backup and a verified backup as the JSON
 * objects both front ends print unchanged, and verify's audit entry
 * (catalog.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/audit/audit.h"
#include "engine/backup/catalog.h"
#include "engine/names.h"

/* meta[key] (a new reference), or NULL (JSON null) when absent. */
static struct json_object *
meta_get(struct json_object *meta, const char *key)
{
    struct json_object *v = NULL;

    if (meta != NULL) {
        json_object_object_get_ex(meta, key, &v);
    }
    return json_object_get(v);
}

/* The sum of collectionInfo's counts (-1 without it), and whether each
 * collection has a digest. */
static void
meta_counts(struct json_object *meta, int64_t *docs, bool *digests)
{
    struct json_object *info;

    *docs = -1;
    *digests = false;
    if (meta == NULL ||
        !json_object_object_get_ex(meta, "collectionInfo", &info) ||
        !json_object_is_type(info, json_type_object)) {
        return;
    }
    *docs = 0;
    *digests = true;
    json_object_object_foreach(info, key, ci)
    {
        struct json_object *v;

        (void)key;
        if (json_object_object_get_ex(ci, "documentCount", &v)) {
            *docs += json_object_get_int64(v);
        }
        if (!json_object_object_get_ex(ci, "sha256", &v)) {
            *digests = false;
        }
    }
}

struct json_object *
mbk_engine_catalog_entry_json(const struct mbk_catalog_entry *e,
                              const char *storage)
{
    struct json_object *o = json_object_new_object();
    char mtime[40];
    int64_t docs;
    bool digests;

    mbk_names_iso8601(e->mtime * 1000, mtime, sizeof(mtime));
    meta_counts(e->meta, &docs, &digests);
    json_object_object_add(o, "name", json_object_new_string(e->name));
    json_object_object_add(o, "storage", storage != NULL
                                             ? json_object_new_string(storage)
                                             : NULL);
    json_object_object_add(o, "size", json_object_new_int64((int64_t)e->size));
    json_object_object_add(o, "modified", json_object_new_string(mtime));
    json_object_object_add(o, "backupName", meta_get(e->meta, "backupName"));
    json_object_object_add(o, "database", meta_get(e->meta, "database"));
    json_object_object_add(o, "timestamp", meta_get(e->meta, "timestamp"));
    json_object_object_add(o, "description", meta_get(e->meta, "description"));
    json_object_object_add(o, "collections", meta_get(e->meta, "collections"));
    json_object_object_add(o, "documentCount",
                           docs >= 0 ? json_object_new_int64(docs) : NULL);
    json_object_object_add(o, "compression", meta_get(e->meta, "compression"));
    json_object_object_add(o, "format", meta_get(e->meta, "format"));
    json_object_object_add(o, "digestStatus",
                           json_object_new_string(
                               e->meta == NULL ? "unreadable"
                               : digests       ? "present"
                                               : "none"));
    if (e->meta_error != NULL) {
        json_object_object_add(o, "metadataError",
                               json_object_new_string(e->meta_error));
    }
    return o;
}

struct json_object *
mbk_engine_verify_result_json(const char *name, const char *storage,
                              const struct mbk_verify_result *res)
{
    struct json_object *d = json_object_new_object();
    struct json_object *colls = json_object_new_object();

    json_object_object_add(d, "name", json_object_new_string(name));
    json_object_object_add(d, "storage", json_object_new_string(storage));
    json_object_object_add(d, "valid", json_object_new_boolean(1));
    json_object_object_add(d, "digestsChecked",
                           json_object_new_boolean(res->has_digests));
    json_object_object_add(d, "documentCount",
                           json_object_new_int64((int64_t)res->docs));
    json_object_object_add(d, "jsonBytes",
                           json_object_new_int64((int64_t)res->json_bytes));
    json_object_object_add(d, "compression",
                           json_object_new_string(res->gzip ? "gzip" : "none"));
    for (size_t i = 0; i < res->ncoll; i++) {
        const struct mbk_verify_coll *c = &res->colls[i];
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "documentCount",
                               json_object_new_int64((int64_t)c->docs));
        json_object_object_add(o, "sha256", json_object_new_string(c->sha256));
        json_object_object_add(o, "typed", json_object_new_boolean(c->typed));
        json_object_object_add(colls, c->name, o);
    }
    json_object_object_add(d, "collections", colls);
    return d;
}

void
mbk_engine_verify_audit(const char *name, const char *storage,
                        const struct mbk_verify_result *res,
                        const struct mbk_error *failure,
                        struct mbk_audit_entry *ae)
{
    struct json_object *p = json_object_new_object();

    memset(ae, 0, sizeof(*ae));
    json_object_object_add(p, "name", json_object_new_string(name));
    json_object_object_add(p, "storage",
                           json_object_new_string(storage ? storage : ""));
    ae->operation = "verify";
    ae->params = p;
    ae->backup = name;
    ae->outcome = failure == NULL ? "ok" : "failed";
    ae->error = failure == NULL ? NULL : failure->message;
    ae->duration = res->seconds;
    if (failure == NULL) {
        struct json_object *n = json_object_new_object();

        json_object_object_add(n, "documents",
                               json_object_new_int64((int64_t)res->docs));
        json_object_object_add(n, "collections",
                               json_object_new_int64((int64_t)res->ncoll));
        ae->counts = n;
    }
}
