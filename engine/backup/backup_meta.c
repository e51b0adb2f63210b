/*
 * backup_meta.c: the metadata object of a backup: the seed's fields, then
 * mbk's (format, versions, and per collection its type, options, index
 * specs, count, bytes and SHA-256), built with json-c.  Options and index
 * specs go through canonical Extended JSON, so their types survive.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "engine/backup/backup_private.h"
#include "engine/ejson/ejson_read.h"
#include "engine/ejson/ejson_write.h"
#include "engine/names.h"

/* ---- metadata --------------------------------------------------------- */

/* BSON -> canonical Extended JSON -> json-c, lossless: every number of
 * the canonical form is a string. */
static struct json_object *
bson_to_json_c(const bson_t *doc, struct mbk_error *err)
{
    struct mbk_buf b;
    struct json_object *j = NULL;
    struct json_tokener *tok = json_tokener_new_ex(MBK_EJSON_META_DEPTH);
    enum json_tokener_error jerr = json_tokener_error_depth;

    mbk_buf_init(&b, (size_t)64 << 20);
    if (tok != NULL && mbk_ejson_write_bson(&b, doc, err) == 0) {
        j = json_tokener_parse_ex(tok, b.data, (int)b.len);
        jerr = json_tokener_get_error(tok);
        if (jerr != json_tokener_success) {
            json_object_put(j);
            j = NULL;
        }
        if (j == NULL) {
            mbk_error_set(err, MBK_ERROR_JSON, (int32_t)jerr,
                          "re-reading collection options: %s",
                          json_tokener_error_desc(jerr));
        }
    }
    mbk_buf_free(&b);
    json_tokener_free(tok);
    return j;
}

static int
add(struct json_object *obj, const char *key, struct json_object *val,
    struct mbk_error *err)
{
    if (val == NULL || json_object_object_add(obj, key, val) != 0) {
        json_object_put(val);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory building metadata");
    }
    return 0;
}

static int
coll_info(const struct bk_run *r, const struct bk_coll *c,
          struct json_object *info, struct mbk_error *err)
{
    struct json_object *ci = json_object_new_object();
    bson_t options;
    bson_iter_t it;
    char digest[65];

    if (add(info, c->name, ci, err) != 0) {
        return -1;
    }
    bson_init(&options);
    if (bson_iter_init_find(&it, c->info, "options") &&
        BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *data;
        uint32_t len;

        bson_destroy(&options);
        bson_iter_document(&it, &len, &data);
        bson_init_static(&options, data, len);
    }
    mbk_names_hex(c->sha, sizeof(c->sha), digest);
    if (add(ci, "type", json_object_new_string(c->type), err) != 0 ||
        add(ci, "options", bson_to_json_c(&options, err), err) != 0) {
        return -1;
    }
    if (r->o->include_indexes && strcmp(c->type, "view") != 0) {
        struct json_object *arr = json_object_new_array();

        if (add(ci, "indexes", arr, err) != 0 ||
            !bson_iter_init(&it, c->indexes)) {
            return -1;
        }
        while (bson_iter_next(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t spec;
            struct json_object *j;

            bson_iter_document(&it, &len, &data);
            bson_init_static(&spec, data, len);
            j = bson_to_json_c(&spec, err);
            if (j == NULL || json_object_array_add(arr, j) != 0) {
                json_object_put(j);
                return -1;
            }
        }
    }
    if (add(ci, "documentCount", json_object_new_int64((int64_t)c->docs),
            err) != 0 ||
        add(ci, "escapedDocuments",
            json_object_new_int64((int64_t)c->escaped), err) != 0 ||
        add(ci, "bytes", json_object_new_int64((int64_t)c->bytes), err) != 0 ||
        add(ci, "sha256", json_object_new_string(digest), err) != 0) {
        return -1;
    }
    return 0;
}

int
mbk_engine_backup_metadata(const struct bk_run *r, const char *stem, const char *ts,
               const char *server_version, struct mbk_buf *out,
               struct mbk_error *err)
{
    const struct mbk_backup_opts *o = r->o;
    struct json_object *meta = json_object_new_object();
    struct json_object *names = json_object_new_array();
    struct json_object *info = json_object_new_object();
    int rc = -1;

    if (meta == NULL || names == NULL || info == NULL) {
        json_object_put(names);
        json_object_put(info);
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory building metadata");
        goto out;
    }
    for (size_t i = 0; i < r->n; i++) {
        json_object_array_add(names, json_object_new_string(r->colls[i].name));
    }
    /* The seed's fields first, in the seed's order; then mbk's. */
    if (add(meta, "database", json_object_new_string(o->db), err) != 0 ||
        add(meta, "timestamp", json_object_new_string(ts), err) != 0 ||
        add(meta, "backupName", json_object_new_string(stem), err) != 0 ||
        add(meta, "description",
            json_object_new_string(o->description ? o->description : ""),
            err) != 0 ||
        add(meta, "version", json_object_new_string(MBK_BACKUP_SEED_VERSION),
            err) != 0 ||
        add(meta, "collections", names, err) != 0 ||
        add(meta, "compression",
            json_object_new_string(o->gzip_level > 0 ? "gzip" : "none"),
            err) != 0 ||
        add(meta, "format", json_object_new_string(MBK_BACKUP_FORMAT),
            err) != 0 ||
        add(meta, "mbkVersion", json_object_new_string(PACKAGE_VERSION),
            err) != 0 ||
        add(meta, "serverVersion", json_object_new_string(server_version),
            err) != 0 ||
        add(meta, "includeIndexes", json_object_new_boolean(o->include_indexes),
            err) != 0 ||
        add(meta, "pointInTime", json_object_new_boolean(0), err) != 0 ||
        add(meta, "collectionInfo", info, err) != 0) {
        names = info = NULL;
        goto out;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (coll_info(r, &r->colls[i], info, err) != 0) {
            goto out;
        }
    }
    rc = mbk_buf_append_str(
        out,
        json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE),
        err);
out:
    json_object_put(meta);
    return rc;
}
