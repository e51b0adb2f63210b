/*
 * restore.c: restore's front half: opening the input, the validation pass
 * (structure, names, counts and digests, before any write), the plan (the
 * target database, the collections, their options and indexes), and the
 * report; the choice of strategy (restore_private.h).  The writing pass
 * is restore_write.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/backup/catalog.h"
#include "engine/ejson/ejson_read.h"
#include "engine/names.h"
#include "engine/options.h"
#include "engine/restore/restore_private.h"

void
mbk_engine_restore_progress(struct rs_plan *p, const char *phase,
                            const char *coll)
{
    struct mbk_progress pr;

    if (p->o->progress == NULL) {
        return;
    }
    memset(&pr, 0, sizeof(pr));
    pr.phase = phase;
    pr.collection = coll;
    pr.collections_total = (uint32_t)p->n;
    pr.docs_done = atomic_load(&p->docs_done);
    pr.docs_total = p->docs_total > pr.docs_done ? p->docs_total : pr.docs_done;
    pr.bytes_done = atomic_load(&p->bytes_done);
    pr.elapsed = mbk_names_seconds() - p->t0;
    pr.indexes_done = p->indexes_done;
    pr.indexes_total = p->indexes_total;
    for (size_t i = 0; i < p->n; i++) {
        if (p->colls[i].selected && p->colls[i].rep->seconds > 0) {
            pr.collections_done++;
        }
    }
    p->o->progress(&pr, p->o->progress_ud);
}

/* ---- input ------------------------------------------------------------ */

static ssize_t
read_copy(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct rs_plan *p = ud;
    ssize_t n = mbk_spool_pread(p->copy, buf, len, p->copy_off, err);

    if (n > 0) {
        p->copy_off += (uint64_t)n;
    }
    return n;
}

static uint64_t
max_bytes(const struct rs_plan *p)
{
    return p->o->max_bytes ? p->o->max_bytes : MBK_EJSON_TOTAL_BYTES;
}

/* The first opening of the input. */
static struct mbk_source *
open_first(struct rs_plan *p, struct mbk_error *err)
{
    const struct mbk_restore_input *in = p->in;

    if (in->storage != NULL && in->name != NULL) {
        return mbk_source_open_storage(in->storage, in->name, max_bytes(p),
                                       err);
    }
    if (in->path != NULL) {
        return mbk_source_open_path(in->path, max_bytes(p), err);
    }
    if (in->fd >= 0) {
        return mbk_source_open_fd(in->fd, "the uploaded backup", max_bytes(p),
                                  err);
    }
    mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                  "restore needs a backup name, a file or a stream");
    return NULL;
}

struct mbk_source *
mbk_engine_restore_reopen(struct rs_plan *p, struct mbk_error *err)
{
    if (p->copy == NULL) {
        return open_first(p, err);
    }
    p->copy_off = 0;
    return mbk_source_new(read_copy, p, max_bytes(p), "the uploaded backup",
                          err);
}

/* ---- the validation pass ---------------------------------------------- */

struct tee {
    struct rs_plan *p;
    EVP_MD_CTX *md;
};

static int
tee_raw(void *ud, const void *buf, size_t n, struct mbk_error *err)
{
    struct tee *t = ud;

    EVP_DigestUpdate(t->md, buf, n);
    if (t->p->copy != NULL) {
        return mbk_spool_write(t->p->copy, buf, n, err);
    }
    return 0;
}

/* Read the whole input once: structure, names, counts, digests.  A stream
 * is copied to a spool file on the way, for the writing pass. */
static int
validate(struct rs_plan *p, struct mbk_verify_result *vr, struct mbk_error *err)
{
    struct mbk_ejson_limits lim;
    struct mbk_source *src = NULL;
    struct tee t = {p, NULL};
    unsigned char d[32];
    int rc = -1;

    memset(&lim, 0, sizeof(lim));
    lim.total_bytes = max_bytes(p);
    t.md = EVP_MD_CTX_new();
    if (t.md == NULL || EVP_DigestInit_ex(t.md, EVP_sha256(), NULL) != 1) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "cannot start SHA-256");
        goto out;
    }
    if (p->in->fd >= 0 && p->in->name == NULL && p->in->path == NULL) {
        p->copy = mbk_spool_new(p->spool_dir, 0, err);
        if (p->copy == NULL) {
            goto out;
        }
    }
    src = open_first(p, err);
    if (src == NULL) {
        goto out;
    }
    mbk_source_set_tee(src, tee_raw, &t);
    if (mbk_engine_verify_stream(src, &lim, vr, &p->meta, err) != 0) {
        goto out;
    }
    if (p->copy != NULL && mbk_spool_finish(p->copy, err) != 0) {
        goto out;
    }
    EVP_DigestFinal_ex(t.md, d, NULL);
    mbk_names_hex(d, 32, p->rep->backup_sha256);
    rc = 0;
out:
    mbk_source_free(src);
    EVP_MD_CTX_free(t.md);
    return rc;
}

/* Single pass: only the metadata at the head is read first. */
static int
read_head(struct rs_plan *p, struct mbk_error *err)
{
    struct mbk_source *src;
    int rc;

    if (p->in->fd >= 0 && p->in->name == NULL && p->in->path == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "single-pass restore needs a stored backup or "
                             "a file, not a stream");
    }
    src = open_first(p, err);
    if (src == NULL) {
        return -1;
    }
    rc = mbk_engine_meta_read(src, &p->meta, err);
    mbk_source_free(src);
    return rc;
}

/* ---- the plan --------------------------------------------------------- */

static struct json_object *
jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (o == NULL || !json_object_object_get_ex(o, key, &v)) {
        return NULL;
    }
    return v;
}

/* A JSON value of the metadata (canonical Extended JSON) as BSON: an
 * object becomes the document, an array the array. */
static int
json_to_bson(struct json_object *j, bool is_array, bson_t *out,
             struct mbk_error *err)
{
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    struct mbk_buf b;
    bson_t wrapped;
    bson_iter_t it;
    int rc = -1;

    if (!is_array) {
        if (mbk_ejson_to_bson(text, strlen(text), out, err) != 0) {
            return -1;
        }
        return 0;
    }
    mbk_buf_init(&b, (size_t)64 << 20);
    if (mbk_buf_printf(&b, err, "{\"a\":%s}", text) == 0 &&
        mbk_ejson_to_bson(b.data, b.len, &wrapped, err) == 0) {
        if (bson_iter_init_find(&it, &wrapped, "a") &&
            BSON_ITER_HOLDS_ARRAY(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t arr;

            bson_iter_array(&it, &len, &data);
            bson_init_static(&arr, data, len);
            bson_copy_to(&arr, out);
            rc = 0;
        }
        bson_destroy(&wrapped);
    }
    mbk_buf_free(&b);
    if (rc != 0 && err != NULL && err->domain == MBK_ERROR_NONE) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                      "an index list is not an array");
    }
    return rc;
}

/* Collection kinds a restore cannot do safely as asked: refused here,
 * before any write, with the reason. */
static int
kind_problem(const struct rs_plan *p, const struct rs_coll *c,
             struct json_object *ci, struct mbk_error *err)
{
    struct json_object *v = jget(ci, "type");
    bson_iter_t it;

    if (p->o->drop && v != NULL
        && strcmp(json_object_get_string(v), "timeseries") == 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "collection \"%s\" is a time-series collection: "
                             "MongoDB cannot rename one, so --drop cannot "
                             "swap it in safely; restore it without --drop "
                             "into a database that does not hold it",
                             c->rep->name);
    }
    if (!p->o->drop && p->o->conflict == MBK_RESTORE_REPLACE
        && bson_iter_init_find(&it, &c->options, "capped")
        && bson_iter_as_bool(&it)) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "collection \"%s\" is capped: --conflict "
                             "replace may change a document's size, which "
                             "MongoDB refuses in a capped collection, and "
                             "inserting into a capped target can evict "
                             "documents a rollback cannot put back; restore "
                             "it with --drop",
                             c->rep->name);
    }
    return 0;
}

static int
plan_coll(struct rs_plan *p, size_t i, const char *name, struct mbk_error *err)
{
    struct rs_coll *c = &p->colls[i];
    struct mbk_restore_coll *r = &p->rep->colls[i];
    struct json_object *ci = jget(jget(p->meta, "collectionInfo"), name);
    struct json_object *v;

    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->type, sizeof(r->type), "collection");
    c->rep = r;
    bson_init(&c->options);
    bson_init(&c->indexes);
    bson_init(&c->old_view);
    pthread_mutex_init(&c->mu, NULL);
    if (mbk_names_coll_check(p->db, name, err) != 0) {
        return -1;
    }
    if ((v = jget(ci, "type")) != NULL &&
        strcmp(json_object_get_string(v), "view") == 0) {
        snprintf(r->type, sizeof(r->type), "view");
        c->is_view = true;
    }
    if ((v = jget(ci, "bytes")) != NULL) {
        r->bytes = (uint64_t)json_object_get_int64(v);
    }
    if ((v = jget(ci, "options")) != NULL &&
        json_object_is_type(v, json_type_object) &&
        json_object_object_length(v) > 0) {
        bson_destroy(&c->options);
        if (json_to_bson(v, false, &c->options, err) != 0) {
            bson_init(&c->options);
            return mbk_error_prefix(err, "collectionInfo \"%s\" options",
                                    name);
        }
        r->options = true;
    }
    if ((v = jget(ci, "indexes")) != NULL &&
        json_object_is_type(v, json_type_array)) {
        bson_destroy(&c->indexes);
        if (json_to_bson(v, true, &c->indexes, err) != 0) {
            bson_init(&c->indexes);
            return mbk_error_prefix(err, "collectionInfo \"%s\" indexes",
                                    name);
        }
        r->indexes = (uint32_t)json_object_array_length(v);
    }
    if (p->o->collections == NULL) {
        c->selected = true;
    } else {
        for (const char *const *s = p->o->collections; *s != NULL; s++) {
            if (strcmp(*s, name) == 0) {
                c->selected = true;
            }
        }
    }
    return c->selected ? kind_problem(p, c, ci, err) : 0;
}

static int
build_plan(struct rs_plan *p, const struct mbk_verify_result *vr,
           struct mbk_error *err)
{
    struct json_object *names = jget(p->meta, "collections");
    struct json_object *db = jget(p->meta, "database");
    size_t n;

    if (db != NULL && json_object_is_type(db, json_type_string)) {
        snprintf(p->rep->source_db, sizeof(p->rep->source_db), "%s",
                 json_object_get_string(db));
    }
    snprintf(p->db, sizeof(p->db), "%s",
             p->o->target_db ? p->o->target_db : p->rep->source_db);
    if (p->db[0] == '\0') {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "the backup names no database: give a target "
                             "database");
    }
    if (mbk_names_db_check(p->db, err) != 0) {
        return mbk_error_prefix(err, "target");
    }
    snprintf(p->rep->target_db, sizeof(p->rep->target_db), "%s", p->db);
    if (vr != NULL) {
        n = vr->ncoll;
    } else if (names != NULL && json_object_is_type(names, json_type_array)) {
        n = json_object_array_length(names);
    } else {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "the metadata has no collection list");
    }
    p->rep->colls = calloc(n ? n : 1, sizeof(p->rep->colls[0]));
    p->colls = calloc(n ? n : 1, sizeof(p->colls[0]));
    if (p->rep->colls == NULL || p->colls == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *name =
            vr ? vr->colls[i].name
               : json_object_get_string(json_object_array_get_idx(names, i));

        p->n = i + 1;
        p->rep->ncoll = i + 1;
        if (plan_coll(p, i, name ? name : "", err) != 0) {
            return -1;
        }
        if (vr != NULL) {
            p->rep->colls[i].docs = vr->colls[i].docs;
            p->rep->colls[i].typed = vr->colls[i].typed;
            p->colls[i].bson_bytes = vr->colls[i].bson_bytes;
            p->colls[i].sized = true;
            p->rep->typed |= vr->colls[i].typed;
        }
        if (p->colls[i].selected) {
            p->docs_total += p->rep->colls[i].docs;
        }
    }
    /* Every collection asked for must be in the file. */
    for (const char *const *s = p->o->collections; s && *s; s++) {
        size_t i;

        for (i = 0; i < p->n && strcmp(p->rep->colls[i].name, *s) != 0; i++) {
        }
        if (i == p->n) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "collection \"%s\" is not in the backup", *s);
        }
    }
    return 0;
}

/* ---- the run ---------------------------------------------------------- */

static void
totals(struct rs_plan *p)
{
    struct mbk_restore_report *rep = p->rep;

    rep->docs = rep->inserted = rep->skipped = rep->replaced = 0;
    rep->failed = 0;
    for (size_t i = 0; i < p->n; i++) {
        struct mbk_restore_coll *c = &rep->colls[i];

        if (!p->colls[i].selected) {
            continue;
        }
        rep->docs += c->docs;
        rep->inserted += c->inserted;
        rep->skipped += c->skipped;
        rep->replaced += c->replaced;
        rep->failed += c->failed;
    }
}

/* The report lists the selected collections only. */
static void
compact(struct rs_plan *p)
{
    size_t k = 0;

    for (size_t i = 0; i < p->n; i++) {
        if (p->colls[i].selected) {
            if (k != i) {
                p->rep->colls[k] = p->rep->colls[i];
            }
            k++;
        }
    }
    p->rep->ncoll = k;
}

static void
plan_free(struct rs_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        struct rs_coll *c = &p->colls[i];

        bson_destroy(&c->options);
        bson_destroy(&c->indexes);
        bson_destroy(&c->old_view);
        pthread_mutex_destroy(&c->mu);
    }
    free(p->colls);
    json_object_put(p->meta);
    mbk_spool_free(p->copy);
}

int
mbk_engine_restore_run(struct mbk_mongo *m, const struct mbk_restore_input *in,
                       const struct mbk_restore_opts *o,
                       struct mbk_restore_report *rep, struct mbk_error *err)
{
    struct mbk_verify_result vr;
    struct rs_plan p;
    int rc = -1;

    memset(rep, 0, sizeof(*rep));
    memset(&vr, 0, sizeof(vr));
    memset(&p, 0, sizeof(p));
    rep->status = "failed";
    p.m = m;
    p.in = in;
    p.o = o;
    /* the one place that tells the two kinds of restore apart */
    p.st = o->drop ? &mbk_engine_restore_staging
                   : &mbk_engine_restore_journaled;
    p.rep = rep;
    p.t0 = mbk_names_seconds();
    p.spool_dir = mbk_engine_spool_dir(o->spool_dir);
    mbk_engine_restore_progress(&p, "validating", NULL);
    if (o->single_pass) {
        if (read_head(&p, err) != 0 || build_plan(&p, NULL, err) != 0) {
            goto out;
        }
    } else {
        if (validate(&p, &vr, err) != 0) {
            goto out;
        }
        rep->digests_checked = vr.has_digests;
        if (build_plan(&p, &vr, err) != 0) {
            goto out;
        }
    }
    mbk_engine_restore_progress(&p, o->dry_run ? "checking" : "restoring",
                                NULL);
    if (mbk_engine_restore_apply(&p, err) != 0) {
        goto out;
    }
    rep->status = o->dry_run ? "dry-run" : "ok";
    mbk_engine_restore_progress(&p, "done", NULL);
    rc = 0;
out:
    totals(&p);
    compact(&p);
    rep->seconds = mbk_names_seconds() - p.t0;
    mbk_engine_verify_result_free(&vr);
    plan_free(&p);
    return rc;
}

void
mbk_engine_restore_report_free(struct mbk_restore_report *rep)
{
    if (rep == NULL) {
        return;
    }
    free(rep->colls);
    rep->colls = NULL;
    rep->ncoll = 0;
}
