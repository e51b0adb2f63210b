/*
 * restore_write.c: restore's writing pass.  The calling thread parses the
 * backup and cuts each collection into batches (at most 1000 documents or
 * 16 MiB); `jobs` workers take batches from a bounded queue and hand them
 * to the strategy's write_batch; the inserting and conflict lookups the
 * strategies share are here.  With dry_run the workers only count
 * conflicts.  Any failure stops the pass and rolls back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ejson/ejson_read.h"
#include "engine/names.h"
#include "engine/restore/restore_private.h"

#define BATCH_DOCS MBK_RS_BATCH_DOCS
#define BATCH_BYTES ((size_t)16 * 1024 * 1024 - 16 * 1024)
#define CHUNK (64 * 1024)

struct batch {
    struct rs_coll *c;
    size_t n;
    size_t bytes;
    bson_t *docs[BATCH_DOCS];
    struct batch *next;
};

struct apply {
    struct rs_plan *p;
    unsigned jobs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *head;
    struct batch *tail;
    size_t queued;
    size_t busy;
    int closing;
    int failed;
    struct mbk_error err; /* the first failure, under mu */
    /* reader state, calling thread only */
    struct rs_coll *cur;
    struct batch *fill;
    double last_report;
    uint64_t seen;
};

static void
batch_free(struct batch *b)
{
    if (b == NULL) {
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        bson_destroy(b->docs[i]);
    }
    free(b);
}

static void
fail(struct apply *a, const struct mbk_error *e)
{
    pthread_mutex_lock(&a->mu);
    if (!a->failed) {
        a->failed = 1;
        a->err = *e;
    }
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static int
canceled(const struct rs_plan *p)
{
    return p->o->cancel != NULL && atomic_load(p->o->cancel) != 0;
}

/* ---- conflicts ---------------------------------------------------------- */

int
mbk_engine_restore_id_key(const bson_t *doc, const uint8_t **key,
                          size_t *len)
{
    bson_iter_t it;
    const uint8_t *raw;

    if (!bson_iter_init_find(&it, doc, "_id")) {
        return -1;
    }
    raw = bson_get_data(doc);
    /* the element: type byte, "_id\0", value: compare from the type on,
     * skipping the key */
    *key = raw + it.type;
    *len = (size_t)(it.next_off - it.type);
    return 0;
}

static int
on_existing(const bson_t *doc, void *ud, struct mbk_error *err)
{
    struct rs_existing *ex = ud;

    if (ex->n == BATCH_DOCS) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "more documents matched than were asked for");
    }
    ex->docs[ex->n++] = bson_copy(doc);
    return 0;
}

/* The target's documents whose _id is one of the batch's. */
void
mbk_engine_restore_append_ids(bson_t *arr, bson_t *const *docs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bson_iter_t it;
        char k[16];
        const char *key;

        if (bson_iter_init_find(&it, docs[i], "_id")) {
            bson_uint32_to_string((uint32_t)i, &key, k, sizeof(k));
            bson_append_iter(arr, key, -1, &it);
        }
    }
}

int
mbk_engine_restore_find_existing(struct rs_plan *p, struct rs_coll *c,
                                 bson_t **docs, size_t n, bool whole,
                                 struct rs_existing *ex,
                                 struct mbk_error *err)
{
    bson_t filter = BSON_INITIALIZER;
    bson_t opts = BSON_INITIALIZER;
    bson_t in;
    bson_t arr;
    bson_t proj;
    int rc;

    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &in);
    BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
    mbk_engine_restore_append_ids(&arr, docs, n);
    bson_append_array_end(&in, &arr);
    bson_append_document_end(&filter, &in);
    if (!whole) {
        BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
        BSON_APPEND_INT32(&proj, "_id", 1);
        bson_append_document_end(&opts, &proj);
    }
    rc = mbk_mongo_find_each(p->m, p->db, c->rep->name, &filter, &opts,
                             on_existing, ex, err);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return rc;
}

/* MongoDB compares numbers by value: an _id of int32 1, int64 1 and the
 * double 1.0 are one _id, as the $in query that found ex->docs says. */
static bool
same_number(const bson_t *a, const bson_t *b)
{
    bson_iter_t x;
    bson_iter_t y;

    if (!bson_iter_init_find(&x, a, "_id") ||
        !bson_iter_init_find(&y, b, "_id")) {
        return false;
    }
    if (!(BSON_ITER_HOLDS_INT32(&x) || BSON_ITER_HOLDS_INT64(&x) ||
          BSON_ITER_HOLDS_DOUBLE(&x)) ||
        !(BSON_ITER_HOLDS_INT32(&y) || BSON_ITER_HOLDS_INT64(&y) ||
          BSON_ITER_HOLDS_DOUBLE(&y))) {
        return false;
    }
    if (BSON_ITER_HOLDS_DOUBLE(&x) || BSON_ITER_HOLDS_DOUBLE(&y)) {
        return bson_iter_as_double(&x) == bson_iter_as_double(&y);
    }
    return bson_iter_as_int64(&x) == bson_iter_as_int64(&y);
}

const bson_t *
mbk_engine_restore_existing_get(const struct rs_existing *ex,
                                const bson_t *doc)
{
    const uint8_t *k;
    size_t kl;

    if (mbk_engine_restore_id_key(doc, &k, &kl) != 0) {
        return NULL;
    }
    for (size_t i = 0; i < ex->n; i++) {
        const uint8_t *k2;
        size_t kl2;

        if (mbk_engine_restore_id_key(ex->docs[i], &k2, &kl2) == 0 &&
            kl == kl2 &&
            k[0] == k2[0] && memcmp(k + 5, k2 + 5, kl - 5) == 0) {
            return ex->docs[i];
        }
        if (same_number(ex->docs[i], doc)) {
            return ex->docs[i];
        }
    }
    return NULL;
}

void
mbk_engine_restore_existing_free(struct rs_existing *ex)
{
    for (size_t i = 0; i < ex->n; i++) {
        bson_destroy(ex->docs[i]);
    }
    ex->n = 0;
}

/* ---- a batch ---------------------------------------------------------- */

void
mbk_engine_restore_note_error(struct rs_coll *c, const bson_t *doc,
                              const char *message)
{
    struct mbk_restore_coll *r = c->rep;

    if (r->nerrors >= MBK_RESTORE_ERRORS_KEPT) {
        return;
    }
    mbk_engine_restore_id_text(doc, r->errors[r->nerrors].id,
                               sizeof(r->errors[0].id));
    snprintf(r->errors[r->nerrors].message, sizeof(r->errors[0].message),
             "%.199s", message);
    r->nerrors++;
}

int
mbk_engine_restore_insert(struct rs_plan *p, struct rs_coll *c,
                          bson_t **docs, size_t n, uint8_t *failed_map,
                          uint64_t *failed, struct mbk_error *err)
{
    struct mbk_mongo_write_result wr;
    uint8_t own[BATCH_DOCS];
    uint8_t *map = failed_map != NULL ? failed_map : own;
    int rc;

    memset(&wr, 0, sizeof(wr));
    memset(map, 0, BATCH_DOCS);
    wr.failed_map = map;
    wr.failed_map_len = n < BATCH_DOCS ? n : BATCH_DOCS;
    rc = mbk_mongo_insert_many(p->m, p->db, c->dest,
                               (const bson_t *const *)docs, n, p->o->ordered,
                               p->o->bypass_validation, &wr, err);
    pthread_mutex_lock(&c->mu);
    c->rep->inserted += wr.inserted;
    c->rep->failed += wr.failed;
    for (uint32_t i = 0; i < wr.nerrors; i++) {
        if (wr.errors[i].index < n) {
            mbk_engine_restore_note_error(c, docs[wr.errors[i].index],
                                          wr.errors[i].message);
        }
    }
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            mbk_engine_restore_sum_doc(&c->sums, bson_get_data(docs[i]),
                                       docs[i]->len);
        }
        c->rep->reordered = c->sums.reordered;
        c->rep->filled_timestamps = c->sums.empty_ts;
    }
    pthread_mutex_unlock(&c->mu);
    if (failed != NULL) {
        *failed = wr.failed;
    }
    if (rc != 0) {
        if (wr.nerrors > 0 && wr.errors[0].index < n) {
            char id[128];

            mbk_engine_restore_id_text(docs[wr.errors[0].index], id,
                                       sizeof(id));
            mbk_error_set(err, MBK_ERROR_MONGO, wr.errors[0].code,
                          "document _id %s: %s", id, wr.errors[0].message);
        }
        return mbk_error_prefix(err, "collection \"%s\"", c->rep->name);
    }
    return 0;
}

static int
process(struct apply *a, struct batch *b, struct mbk_error *err)
{
    struct rs_plan *p = a->p;
    struct rs_coll *c = b->c;

    if (p->o->dry_run) {
        struct rs_existing ex;

        ex.n = 0;
        if (!c->existed) {
            return 0;
        }
        if (mbk_engine_restore_find_existing(p, c, b->docs, b->n, false, &ex,
                                             err) != 0) {
            return -1;
        }
        pthread_mutex_lock(&c->mu);
        c->rep->conflicts += ex.n;
        pthread_mutex_unlock(&c->mu);
        mbk_engine_restore_existing_free(&ex);
        return 0;
    }
    return p->st->write_batch(p, c, b->docs, b->n, err);
}

static void *
worker(void *arg)
{
    struct apply *a = arg;

    for (;;) {
        struct batch *b;
        struct mbk_error e;

        pthread_mutex_lock(&a->mu);
        while (a->head == NULL && !a->closing && !a->failed) {
            pthread_cond_wait(&a->cv, &a->mu);
        }
        if (a->failed || a->head == NULL) {
            pthread_mutex_unlock(&a->mu);
            break;
        }
        b = a->head;
        a->head = b->next;
        if (a->head == NULL) {
            a->tail = NULL;
        }
        a->queued--;
        a->busy++;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);

        mbk_error_clear(&e);
        if (canceled(a->p)) {
            mbk_error_set(&e, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                          "restore canceled");
            fail(a, &e);
        } else if (process(a, b, &e) != 0) {
            fail(a, &e);
        } else {
            atomic_fetch_add(&a->p->docs_done, b->n);
            atomic_fetch_add(&a->p->bytes_done, b->bytes);
        }
        batch_free(b);
        pthread_mutex_lock(&a->mu);
        a->busy--;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    return NULL;
}

/* Hand the batch being filled to the workers; waits while the queue is
 * full.  -1 once a worker failed. */
static int
submit(struct apply *a, struct mbk_error *err)
{
    struct batch *b = a->fill;

    a->fill = NULL;
    if (b == NULL || b->n == 0) {
        batch_free(b);
        return 0;
    }
    pthread_mutex_lock(&a->mu);
    while (a->queued >= a->jobs * 2 && !a->failed) {
        pthread_cond_wait(&a->cv, &a->mu);
    }
    if (a->failed) {
        if (err != NULL) {
            *err = a->err;
        }
        pthread_mutex_unlock(&a->mu);
        batch_free(b);
        return -1;
    }
    b->next = NULL;
    if (a->tail != NULL) {
        a->tail->next = b;
    } else {
        a->head = b;
    }
    a->tail = b;
    a->queued++;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

/* Wait until every batch is done. */
static int
drain(struct apply *a, struct mbk_error *err)
{
    int rc = 0;

    pthread_mutex_lock(&a->mu);
    while ((a->queued > 0 || a->busy > 0) && !a->failed) {
        pthread_cond_wait(&a->cv, &a->mu);
    }
    if (a->failed) {
        if (err != NULL) {
            *err = a->err;
        }
        rc = -1;
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

/* ---- the reader ------------------------------------------------------- */

static struct rs_coll *
find_coll(struct rs_plan *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->rep->colls[i].name, name) == 0) {
            return &p->colls[i];
        }
    }
    return NULL;
}

static int
on_begin(void *ud, const char *name, struct mbk_error *err)
{
    struct apply *a = ud;
    struct rs_coll *c = find_coll(a->p, name);

    if (c == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "collection \"%s\" is in the file but not in "
                             "its metadata",
                             name);
    }
    a->cur = c->selected && !c->is_view ? c : NULL;
    if (a->cur != NULL) {
        a->cur->started = mbk_names_seconds();
    }
    return 0;
}

static int
on_document(void *ud, const bson_t *doc, struct mbk_error *err)
{
    struct apply *a = ud;
    struct rs_plan *p = a->p;
    struct batch *b;
    bson_t *copy;
    bson_iter_t it;

    if (a->cur == NULL) {
        return 0;
    }
    if (canceled(p)) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                             "restore canceled");
    }
    b = a->fill;
    if (b != NULL &&
        (b->n == BATCH_DOCS || b->bytes + doc->len > BATCH_BYTES)) {
        if (submit(a, err) != 0) {
            return -1;
        }
        b = NULL;
    }
    if (b == NULL) {
        b = calloc(1, sizeof(*b));
        if (b == NULL) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "out of memory");
        }
        b->c = a->cur;
        a->fill = b;
    }
    if (bson_iter_init_find(&it, doc, "_id")) {
        copy = bson_copy(doc);
    } else {
        /* Give it its _id here, so that what goes in is known (and can
         * be taken out again). */
        bson_oid_t oid;

        copy = bson_new();
        bson_oid_init(&oid, NULL);
        BSON_APPEND_OID(copy, "_id", &oid);
        bson_concat(copy, doc);
    }
    b->docs[b->n++] = copy;
    b->bytes += copy->len;
    if ((++a->seen & 1023) == 0 &&
        mbk_names_seconds() - a->last_report > 0.25) {
        a->last_report = mbk_names_seconds();
        mbk_engine_restore_progress(p, p->o->dry_run ? "checking" : "restoring",
                                    a->cur->rep->name);
    }
    return 0;
}

/* Single pass: the counts and digests are checked here, as they come. */
static int
on_end(void *ud, const char *name, uint64_t count,
       const unsigned char sha256[32], int typed, struct mbk_error *err)
{
    struct apply *a = ud;
    struct rs_plan *p = a->p;
    struct rs_coll *c = find_coll(p, name);
    struct json_object *ci = NULL;
    struct json_object *v;
    char hex[65];

    if (a->cur != NULL && submit(a, err) != 0) {
        return -1;
    }
    a->cur = NULL;
    if (c == NULL || !p->o->single_pass) {
        return 0;
    }
    c->rep->docs = count;
    c->rep->typed = typed;
    p->rep->typed |= typed;
    mbk_names_hex(sha256, 32, hex);
    json_object_object_get_ex(p->meta, "collectionInfo", &ci);
    if (ci == NULL || !json_object_object_get_ex(ci, name, &ci)) {
        return 0;
    }
    if (json_object_object_get_ex(ci, "documentCount", &v) &&
        (uint64_t)json_object_get_int64(v) != count) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                             "collection \"%s\": %llu documents but the "
                             "metadata says %lld",
                             name, (unsigned long long)count,
                             (long long)json_object_get_int64(v));
    }
    if (json_object_object_get_ex(ci, "sha256", &v) &&
        strcmp(json_object_get_string(v), hex) != 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                             "collection \"%s\": SHA-256 does not match the "
                             "metadata",
                             name);
    }
    return 0;
}

/* Parse the whole input, feeding batches to the workers. */
static int
read_all(struct apply *a, struct mbk_error *err)
{
    struct mbk_ejson_reader_cb cb = {NULL, on_begin, on_document, on_end};
    struct mbk_ejson_limits lim;
    struct mbk_ejson_reader *r = NULL;
    struct mbk_source *src;
    char *buf = malloc(CHUNK);
    int rc = -1;

    memset(&lim, 0, sizeof(lim));
    lim.total_bytes = a->p->o->max_bytes;
    src = mbk_engine_restore_reopen(a->p, err);
    r = mbk_ejson_reader_new(&lim, &cb, a);
    if (src == NULL || r == NULL || buf == NULL) {
        if (src != NULL) {
            mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                          "out of memory");
        }
        goto out;
    }
    if (mbk_source_parse(src, r, buf, CHUNK, err) != 0 ||
        submit(a, err) != 0) {
        goto out;
    }
    rc = 0;
out:
    batch_free(a->fill);
    a->fill = NULL;
    mbk_ejson_reader_free(r);
    mbk_source_free(src);
    free(buf);
    return rc;
}

int
mbk_engine_restore_apply(struct rs_plan *p, struct mbk_error *err)
{
    struct apply a;
    pthread_t tids[64];
    unsigned started = 0;
    int rc = -1;

    memset(&a, 0, sizeof(a));
    a.p = p;
    a.jobs = p->o->jobs ? p->o->jobs : 2;
    if (a.jobs > 64) {
        a.jobs = 64;
    }
    if (p->o->ordered) {
        a.jobs = 1; /* insertion order needs one writer */
    }
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    if (mbk_engine_restore_prepare(p, err) != 0) {
        goto rollback;
    }
    for (unsigned i = 0; i < a.jobs; i++) {
        if (pthread_create(&tids[i], NULL, worker, &a) != 0) {
            break;
        }
        started++;
    }
    if (started == 0) {
        mbk_error_set(err, MBK_ERROR_SYS, 0, "pthread_create() failed");
        goto rollback;
    }
    rc = read_all(&a, err);
    if (rc == 0) {
        rc = drain(&a, err);
    } else {
        /* a worker's error explains a parse stop better than the stop */
        pthread_mutex_lock(&a.mu);
        if (a.failed && err != NULL) {
            *err = a.err;
        }
        pthread_mutex_unlock(&a.mu);
    }
    pthread_mutex_lock(&a.mu);
    a.closing = 1;
    if (rc != 0) {
        a.failed = 1;
    }
    pthread_cond_broadcast(&a.cv);
    pthread_mutex_unlock(&a.mu);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
    while (a.head != NULL) {
        struct batch *b = a.head;

        a.head = b->next;
        batch_free(b);
    }
    if (rc != 0) {
        goto rollback;
    }
    if (mbk_engine_restore_finish(p, err) != 0) {
        goto rollback;
    }
    rc = 0;
    goto out;

rollback:
    rc = -1;
    if (!p->o->dry_run) {
        mbk_engine_restore_rollback(p);
        p->rep->status = "rolled-back";
    }
out:
    pthread_cond_destroy(&a.cv);
    pthread_mutex_destroy(&a.mu);
    return rc;
}
