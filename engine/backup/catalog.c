/*
 * catalog.c: listing backups with their metadata and verifying a backup,
 * both on the streaming parser (engine/ejson/ejson_read.h) over
 * engine/source.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/backup/backup_meta.h"
#include "engine/backup/catalog.h"
#include "engine/ejson/ejson_read.h"
#include "engine/names.h"
#include "engine/source.h"

#define HEAD_MAX ((uint64_t)64 << 20) /* decompressed bytes read for a head */
#define CHUNK (64 * 1024)

/* ---- metadata from the head ------------------------------------------- */

/* The metadata's text as json-c, as deep as the reader allows; options
 * and index specs print exactly as the text holds them. */
static struct json_object *
meta_parse(const char *json, size_t len)
{
    struct json_tokener *tok = json_tokener_new_ex(MBK_EJSON_META_DEPTH);
    struct json_object *o;

    if (tok == NULL) {
        return NULL;
    }
    o = json_tokener_parse_ex(tok, json, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success
        || mbk_engine_meta_exact(o, json, len, NULL) != 0) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

struct head {
    struct json_object *meta;
    int stop; /* set when the metadata callback asked to stop */
};

static int
on_meta_stop(void *ud, const char *json, size_t len, struct mbk_error *err)
{
    struct head *h = ud;
    h->meta = meta_parse(json, len);
    h->stop = 1;
    return mbk_error_set(err, MBK_ERROR_NONE, 0, "stop");
}

int
mbk_engine_meta_read(struct mbk_source *src, struct json_object **meta,
                     struct mbk_error *err)
{
    struct mbk_ejson_reader_cb cb = {on_meta_stop, NULL, NULL, NULL};
    struct head h = {NULL, 0};
    struct mbk_ejson_reader *r = NULL;
    struct mbk_error e;
    char *buf = NULL;
    int rc = -1;

    buf = malloc(CHUNK);
    r = mbk_ejson_reader_new(NULL, &cb, &h);
    if (buf == NULL || r == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        goto out;
    }
    while (!h.stop) {
        ssize_t n = mbk_source_read(src, buf, CHUNK, err);

        if (n < 0) {
            goto out;
        }
        if (n == 0) {
            if (mbk_ejson_reader_finish(r, &e) != 0 && !h.stop) {
                *err = e;
                goto out;
            }
            break;
        }
        if (mbk_ejson_reader_feed(r, buf, (size_t)n, &e) != 0 && !h.stop) {
            *err = e;
            goto out;
        }
        if (mbk_ejson_reader_offset(r) > HEAD_MAX && !h.stop) {
            mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                          "no metadata in the first %llu MiB",
                          (unsigned long long)(HEAD_MAX >> 20));
            goto out;
        }
    }
    if (h.meta == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                      "the file has no metadata object");
        goto out;
    }
    *meta = h.meta;
    h.meta = NULL;
    rc = 0;
out:
    json_object_put(h.meta);
    mbk_ejson_reader_free(r);
    free(buf);
    return rc;
}

int
mbk_engine_catalog_meta(struct mbk_storage *st, const char *name,
                        struct json_object **meta, struct mbk_error *err)
{
    struct mbk_source *src;
    int rc;

    src = mbk_source_open_storage(st, name, 0, err);
    if (src == NULL) {
        return -1;
    }
    rc = mbk_engine_meta_read(src, meta, err);
    mbk_source_free(src);
    return rc;
}

/* ---- listing ---------------------------------------------------------- */

struct item {
    char *name;
    uint64_t size;
    int64_t mtime;
    char *meta_json;
};

struct items {
    struct item *v;
    size_t n;
    size_t cap;
    int oom;
};

static int
collect(const struct mbk_storage_entry *e, void *ud)
{
    struct items *it = ud;
    struct item *x;

    /* A damaged (or foreign-appended) tar archive may hold two members of
     * one name; get reads the first, so list shows the first only. */
    for (size_t i = 0; i < it->n; i++) {
        if (strcmp(it->v[i].name, e->name) == 0) {
            return 0;
        }
    }
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 32;
        struct item *v = realloc(it->v, cap * sizeof(*v));

        if (v == NULL) {
            it->oom = 1;
            return 1;
        }
        it->v = v;
        it->cap = cap;
    }
    x = &it->v[it->n];
    x->name = strdup(e->name);
    x->size = e->size;
    x->mtime = e->mtime;
    x->meta_json = e->meta_json ? strdup(e->meta_json) : NULL;
    if (x->name == NULL || (e->meta_json != NULL && x->meta_json == NULL)) {
        free(x->name);
        free(x->meta_json);
        it->oom = 1;
        return 1;
    }
    it->n++;
    return 0;
}

static int
cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->name,
                  ((const struct item *)b)->name);
}

/* Hand fn the catalog entry of a storage entry: its metadata from the
 * plugin when it has it, else read from the head.  fn's return value. */
static int
emit(struct mbk_storage *st, const struct mbk_storage_entry *se,
     mbk_catalog_fn fn, void *ud)
{
    struct mbk_catalog_entry e = {se->name, se->size, se->mtime, NULL, NULL};
    struct mbk_error me;
    int stop;

    mbk_error_clear(&me);
    if (se->meta_json != NULL) {
        e.meta = meta_parse(se->meta_json, strlen(se->meta_json));
        if (e.meta == NULL) {
            e.meta_error = "the stored metadata is not valid JSON";
        }
    } else if (mbk_engine_catalog_meta(st, e.name, &e.meta, &me) != 0) {
        e.meta = NULL;
        e.meta_error = me.message;
    }
    stop = fn(&e, ud);
    json_object_put(e.meta);
    return stop;
}

struct one {
    struct mbk_storage *st;
    mbk_catalog_fn fn;
    void *ud;
};

static int
emit_one(const struct mbk_storage_entry *se, void *ud)
{
    struct one *o = ud;

    emit(o->st, se, o->fn, o->ud);
    return 0;
}

int
mbk_engine_catalog_entry(struct mbk_storage *st, const char *name,
                         mbk_catalog_fn fn, void *ud, struct mbk_error *err)
{
    struct one o = {st, fn, ud};

    return mbk_storage_stat(st, name, emit_one, &o, err);
}

int
mbk_engine_catalog_list(struct mbk_storage *st, mbk_catalog_fn fn, void *ud,
                        struct mbk_error *err)
{
    struct items it = {NULL, 0, 0, 0};
    int rc = -1;

    if (mbk_storage_list(st, collect, &it, err) != 0) {
        goto out;
    }
    if (it.oom) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory listing backups");
        goto out;
    }
    if (it.n > 1) {
        qsort(it.v, it.n, sizeof(it.v[0]), cmp_item);
    }
    for (size_t i = 0; i < it.n; i++) {
        struct mbk_storage_entry se = {it.v[i].name, it.v[i].size,
                                       it.v[i].mtime, it.v[i].meta_json};

        if (emit(st, &se, fn, ud)) {
            break;
        }
    }
    rc = 0;
out:
    for (size_t i = 0; i < it.n; i++) {
        free(it.v[i].name);
        free(it.v[i].meta_json);
    }
    free(it.v);
    return rc;
}

/* ---- verification ----------------------------------------------------- */

struct verify {
    struct json_object *meta;
    struct mbk_verify_result *res;
    size_t cap;
    uint64_t bson_bytes; /* of the current collection's documents */
};

static int
on_doc_size(void *ud, const bson_t *doc, struct mbk_error *err)
{
    struct verify *v = ud;

    (void)err;
    v->bson_bytes += doc->len;
    return 0;
}

static int
on_meta_keep(void *ud, const char *json, size_t len, struct mbk_error *err)
{
    struct verify *v = ud;
    v->meta = meta_parse(json, len);
    if (v->meta == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "the metadata object cannot be read");
    }
    return 0;
}

static int
on_coll_end(void *ud, const char *name, uint64_t count,
            const unsigned char sha256[32], int typed, struct mbk_error *err)
{
    struct verify *v = ud;
    struct mbk_verify_result *res = v->res;
    struct mbk_verify_coll *c;

    if (res->ncoll == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        struct mbk_verify_coll *p = realloc(res->colls, cap * sizeof(*p));

        if (p == NULL) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "out of memory");
        }
        res->colls = p;
        v->cap = cap;
    }
    c = &res->colls[res->ncoll++];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->docs = count;
    c->bson_bytes = v->bson_bytes;
    v->bson_bytes = 0;
    c->typed = typed;
    mbk_names_hex(sha256, 32, c->sha256);
    res->docs += count;
    return 0;
}

/* Compare what was read with what the metadata promises. */
static int
check_against_meta(struct verify *v, struct mbk_error *err)
{
    struct mbk_verify_result *res = v->res;
    struct json_object *info = NULL;
    struct json_object *names = NULL;

    if (v->meta == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "the file has no metadata object");
    }
    if (json_object_object_get_ex(v->meta, "collections", &names) &&
        json_object_is_type(names, json_type_array)) {
        size_t n = json_object_array_length(names);

        for (size_t i = 0; i < n; i++) {
            const char *want =
                json_object_get_string(json_object_array_get_idx(names, i));
            size_t j;

            for (j = 0; j < res->ncoll; j++) {
                if (strcmp(res->colls[j].name, want ? want : "") == 0) {
                    break;
                }
            }
            if (j == res->ncoll) {
                return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                                     "metadata lists collection \"%s\" but "
                                     "the file has no such array",
                                     want ? want : "");
            }
        }
        if (n != res->ncoll) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                                 "metadata lists %zu collections but the "
                                 "file holds %zu",
                                 n, res->ncoll);
        }
    }
    if (!json_object_object_get_ex(v->meta, "collectionInfo", &info)) {
        return 0; /* no mbk fields: a file of the original service */
    }
    res->has_digests = 1;
    for (size_t i = 0; i < res->ncoll; i++) {
        struct mbk_verify_coll *c = &res->colls[i];
        struct json_object *ci;
        struct json_object *x;

        if (!json_object_object_get_ex(info, c->name, &ci)) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                                 "collection \"%s\" has no collectionInfo",
                                 c->name);
        }
        if (json_object_object_get_ex(ci, "documentCount", &x) &&
            (uint64_t)json_object_get_int64(x) != c->docs) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                                 "collection \"%s\": %llu documents but the "
                                 "metadata says %lld",
                                 c->name, (unsigned long long)c->docs,
                                 (long long)json_object_get_int64(x));
        }
        if (json_object_object_get_ex(ci, "sha256", &x) &&
            strcmp(json_object_get_string(x), c->sha256) != 0) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                                 "collection \"%s\": SHA-256 %.12s... does "
                                 "not match the metadata's %.12s...",
                                 c->name, c->sha256,
                                 json_object_get_string(x));
        }
        c->checked = 1;
    }
    return 0;
}

int
mbk_engine_verify_stream(struct mbk_source *src,
                         const struct mbk_ejson_limits *limits,
                         struct mbk_verify_result *res,
                         struct json_object **meta, struct mbk_error *err)
{
    struct verify v = {NULL, res, 0, 0};
    struct mbk_ejson_reader_cb cb = {on_meta_keep, NULL, on_doc_size,
                                     on_coll_end};
    struct mbk_ejson_reader *r = NULL;
    char *buf = NULL;
    int rc = -1;

    memset(res, 0, sizeof(*res));
    buf = malloc(CHUNK);
    r = mbk_ejson_reader_new(limits, &cb, &v);
    if (buf == NULL || r == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        goto out;
    }
    if (mbk_source_parse(src, r, buf, CHUNK, err) != 0) {
        goto out;
    }
    res->json_bytes = mbk_ejson_reader_offset(r);
    res->stored_bytes = mbk_source_raw_bytes(src);
    res->gzip = mbk_source_is_gzip(src);
    if (check_against_meta(&v, err) != 0) {
        goto out;
    }
    if (meta != NULL) {
        *meta = v.meta;
        v.meta = NULL;
    }
    rc = 0;
out:
    json_object_put(v.meta);
    mbk_ejson_reader_free(r);
    free(buf);
    return rc;
}

int
mbk_engine_verify(struct mbk_storage *st, const char *name,
                  struct mbk_verify_result *res, struct mbk_error *err)
{
    /* verify also proves each document would come back identical */
    struct mbk_ejson_limits lim = {.check_text = 1};
    struct mbk_source *src;
    double t0 = mbk_names_seconds();
    int rc;

    memset(res, 0, sizeof(*res));
    src = mbk_source_open_storage(st, name, 0, err);
    if (src == NULL) {
        res->seconds = mbk_names_seconds() - t0;
        return -1;
    }
    rc = mbk_engine_verify_stream(src, &lim, res, NULL, err);
    if (rc != 0) {
        mbk_error_prefix(err, "verify \"%s\"", name);
    }
    mbk_source_free(src);
    res->seconds = mbk_names_seconds() - t0;
    return rc;
}

void
mbk_engine_verify_result_free(struct mbk_verify_result *res)
{
    if (res == NULL) {
        return;
    }
    free(res->colls);
    res->colls = NULL;
    res->ncoll = 0;
}
