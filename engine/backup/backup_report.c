/*
 * backup_report.c: a backup's result as the one JSON object both front
 * ends print unchanged (`mbk backup --json` and the API's "data"), and its
 * audit entry, built from the options and the result.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "engine/backup/backup.h"
#include "engine/gzip.h"

static void
add_u64(struct json_object *o, const char *key, uint64_t v)
{
    json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

struct json_object *
mbk_engine_backup_result_json(const struct mbk_backup_result *res,
                              const char *storage, const char *destination)
{
    struct json_object *d = json_object_new_object();
    struct json_object *colls = json_object_new_object();

    json_object_object_add(d, "file", json_object_new_string(res->file));
    json_object_object_add(d, "backupName",
                           json_object_new_string(res->backup_name));
    json_object_object_add(d, "storage", json_object_new_string(storage));
    if (destination != NULL) {
        json_object_object_add(d, "destinationPath",
                               json_object_new_string(destination));
    }
    json_object_object_add(d, "timestamp",
                           json_object_new_string(res->timestamp));
    add_u64(d, "size", res->size);
    json_object_object_add(d, "sha256", json_object_new_string(res->sha256));
    add_u64(d, "documentCount", res->docs);
    add_u64(d, "jsonBytes", res->json_bytes);
    json_object_object_add(d, "durationSeconds",
                           json_object_new_double(res->seconds));
    json_object_object_add(d, "publishSeconds",
                           json_object_new_double(res->publish_seconds));
    for (size_t i = 0; i < res->ncoll; i++) {
        const struct mbk_backup_coll *c = &res->colls[i];
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "type", json_object_new_string(c->type));
        add_u64(o, "documentCount", c->docs);
        add_u64(o, "bytes", c->bytes);
        json_object_object_add(o, "sha256", json_object_new_string(c->sha256));
        json_object_object_add(colls, c->name, o);
    }
    json_object_object_add(d, "collections", colls);
    return d;
}

static struct json_object *
strings_json(const char *const *v)
{
    struct json_object *a = json_object_new_array();

    for (; v != NULL && *v != NULL; v++) {
        json_object_array_add(a, json_object_new_string(*v));
    }
    return a;
}

void
mbk_engine_backup_audit(const struct mbk_backup_opts *o, const char *storage,
                        const char *destination,
                        const struct mbk_backup_result *res,
                        const struct mbk_error *failure,
                        struct mbk_audit_entry *ae)
{
    struct json_object *p = json_object_new_object();
    const char *name = o->name != NULL ? o->name : o->db;

    memset(ae, 0, sizeof(*ae));
    /* the options under the API's names (POST /api/settings/backup) */
    json_object_object_add(p, "database",
                           json_object_new_string(o->db ? o->db : ""));
    json_object_object_add(p, "backupName",
                           json_object_new_string(name ? name : ""));
    json_object_object_add(p, "storage",
                           json_object_new_string(storage ? storage : ""));
    if (destination != NULL) {
        json_object_object_add(p, "destinationPath",
                               json_object_new_string(destination));
    }
    if (o->description != NULL && o->description[0] != '\0') {
        json_object_object_add(p, "description",
                               json_object_new_string(o->description));
    }
    json_object_object_add(p, "compression",
                           json_object_new_string(o->gzip_level > 0 ? "gzip"
                                                                    : "none"));
    if (o->gzip_level > 0) {
        json_object_object_add(p, "compressionLevel",
                               json_object_new_int(o->gzip_level));
    }
    json_object_object_add(p, "includeIndexes",
                           json_object_new_boolean(o->include_indexes));
    json_object_object_add(p, "generateTimestamp",
                           json_object_new_boolean(o->timestamp));
    json_object_object_add(p, "includeCollections", strings_json(o->include));
    json_object_object_add(p, "excludeCollections", strings_json(o->exclude));
    ae->operation = "backup";
    ae->params = p;
    ae->duration = res->seconds;
    if (failure == NULL) {
        struct json_object *n = json_object_new_object();

        add_u64(n, "documents", res->docs);
        add_u64(n, "collections", res->ncoll);
        add_u64(n, "bytes", res->size);
        ae->counts = n;
        ae->outcome = "ok";
        ae->backup = res->file;
        ae->sha256 = res->sha256[0] != '\0' ? res->sha256 : NULL;
        return;
    }
    ae->outcome = failure->domain == MBK_ERROR_ENGINE &&
                          failure->code == MBK_ENGINE_ECANCELED
                      ? "canceled"
                      : "failed";
    ae->error = failure->message;
    ae->backup = name;
}
