/*
 * backup_meta.c: the metadata object of a backup: the seed's fields, then
 * mbk's (format, versions, and per collection its type, options, index
 * specs, count, bytes and SHA-256), built with json-c.  Options and index
 * specs are the streaming writer's canonical Extended JSON, so their
 * types and repeated keys survive; mbk_engine_meta_exact does the same
 * for metadata read back.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "engine/backup/backup_meta.h"
#include "engine/backup/backup_private.h"
#include "engine/ejson/ejson_read.h"
#include "engine/ejson/ejson_write.h"
#include "engine/names.h"

/* ---- metadata --------------------------------------------------------- */

/* json-c prints such an object as its userdata: a document's canonical
 * Extended JSON text from the streaming writer, escapes included. */
static int
exact_text(struct json_object *j, struct printbuf *pb, int level, int flags)
{
    const char *text = json_object_get_userdata(j);

    (void)level;
    (void)flags;
    return printbuf_memappend(pb, text, (int)strlen(text));
}

/* Make j print as doc's canonical Extended JSON (j keeps its members for
 * lookups); 0, or -1 with err set (j unchanged). */
static int
print_exact(struct json_object *j, const bson_t *doc, struct mbk_error *err)
{
    struct mbk_buf b;
    char *text;

    mbk_buf_init(&b, (size_t)64 << 20);
    if (mbk_ejson_write_bson(&b, doc, err) != 0) {
        mbk_buf_free(&b);
        return -1;
    }
    text = strndup(b.data, b.len);
    mbk_buf_free(&b);
    if (text == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory building metadata");
    }
    json_object_set_serializer(j, exact_text, text, json_object_free_userdata);
    return 0;
}

/*
 * BSON -> the metadata's JSON, lossless: json-c keeps one of two equal
 * keys, so the object prints the streaming writer's text, where a
 * repeated key or a keyword first key is inside the escape as in
 * documents (README, "The backup file").
 */
static struct json_object *
bson_to_json_c(const bson_t *doc, struct mbk_error *err)
{
    struct json_object *j = json_object_new_object();

    if (j == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory building metadata");
        return NULL;
    }
    if (print_exact(j, doc, err) != 0) {
        json_object_put(j);
        return NULL;
    }
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

/* ---- metadata read back ------------------------------------------------ */

/* doc's member key, a document or array, as a bson_t lent from doc. */
static bool
sub(const bson_t *doc, const char *key, bson_t *out)
{
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;

    if (!bson_iter_init_find(&it, doc, key)) {
        return false;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
    } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_array(&it, &len, &data);
    } else {
        return false;
    }
    return bson_init_static(out, data, len);
}

/* One collection's options and index specs print as info holds them. */
static int
coll_exact(struct json_object *ci, const bson_t *info, struct mbk_error *err)
{
    struct json_object *v;
    bson_t doc;
    bson_t arr;
    bson_iter_t it;
    size_t i = 0;

    if (json_object_object_get_ex(ci, "options", &v)
        && json_object_is_type(v, json_type_object) && sub(info, "options", &doc)
        && print_exact(v, &doc, err) != 0) {
        return -1;
    }
    if (!json_object_object_get_ex(ci, "indexes", &v)
        || !json_object_is_type(v, json_type_array)
        || !sub(info, "indexes", &arr) || !bson_iter_init(&it, &arr)) {
        return 0;
    }
    while (bson_iter_next(&it) && i < json_object_array_length(v)) {
        struct json_object *spec = json_object_array_get_idx(v, i++);
        const uint8_t *data;
        uint32_t len;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it)
            || !json_object_is_type(spec, json_type_object)) {
            continue;
        }
        bson_iter_document(&it, &len, &data);
        if (bson_init_static(&doc, data, len)
            && print_exact(spec, &doc, err) != 0) {
            return -1;
        }
    }
    return 0;
}

int
mbk_engine_meta_exact(struct json_object *meta, const char *json, size_t len,
                      struct mbk_error *err)
{
    struct json_object *infos;
    bson_t all;
    bson_t bi;
    int rc = 0;

    /* Only an escape can hold what json-c loses (the reader refuses a
     * repeated key anywhere else), so most metadata stay as parsed. */
    if (memmem(json, len, MBK_EJSON_ESCAPE_KEY,
               sizeof(MBK_EJSON_ESCAPE_KEY) - 1) == NULL
        || !json_object_object_get_ex(meta, "collectionInfo", &infos)
        || !json_object_is_type(infos, json_type_object)) {
        return 0;
    }
    if (mbk_ejson_meta_to_bson(json, len, &all, err) != 0) {
        return mbk_error_prefix(err, "reading the metadata's options");
    }
    if (sub(&all, "collectionInfo", &bi)) {
        json_object_object_foreach(infos, name, ci)
        {
            bson_t info;

            if (sub(&bi, name, &info) && coll_exact(ci, &info, err) != 0) {
                rc = -1;
                break;
            }
        }
    }
    bson_destroy(&all);
    return rc;
}
