/*
 * backup.c: the backup writer.  Each collection is read by one of `jobs`
 * workers into its own spool (canonical Extended JSON text, optionally gzip
 * members compressed on every core by one shared pool) while its SHA-256
 * and counts are taken; then the metadata, which needs those figures, is
 * written first and the spools are copied after it into the storage
 * backend, which publishes atomically.
 * Concatenated gzip members are one valid gzip file, so nothing is
 * compressed twice.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "engine/backup/backup.h"
#include "engine/backup/backup_private.h"
#include "engine/buf.h"
#include "engine/ejson/ejson_write.h"
#include "engine/names.h"
#include "engine/options.h"
#include "engine/spool.h"

#define TEXT_FLUSH (256 * 1024)       /* JSON text staged before a write */
#define TEXT_MAX ((size_t)1 << 30)    /* one document's text, at most */

static int
canceled(const struct bk_run *r)
{
    return r->o->cancel != NULL && atomic_load(r->o->cancel) != 0;
}

/* Append s as a JSON string (json-c does the escaping). */
static int
append_json_string(struct mbk_buf *b, const char *s, struct mbk_error *err)
{
    struct json_object *j = json_object_new_string(s);
    int rc;

    if (j == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory");
    }
    rc = mbk_buf_append_str(b,
                            json_object_to_json_string_ext(
                                j, JSON_C_TO_STRING_PLAIN |
                                       JSON_C_TO_STRING_NOSLASHESCAPE),
                            err);
    json_object_put(j);
    return rc;
}

/* ---- listing ---------------------------------------------------------- */

static int
on_collection(const bson_t *doc, void *ud, struct mbk_error *err)
{
    struct bk_run *r = ud;
    const struct mbk_backup_opts *o = r->o;
    bson_iter_t it;
    const char *name;
    const char *type = "collection";
    struct bk_coll *c;

    if (!bson_iter_init_find(&it, doc, "name") || !BSON_ITER_HOLDS_UTF8(&it)) {
        return mbk_error_set(err, MBK_ERROR_MONGO, 0,
                             "listCollections: an entry has no name");
    }
    name = bson_iter_utf8(&it, NULL);
    /* system.* is the server's; __mbk_staging.* is a restore at work. */
    if (strncmp(name, "system.", 7) == 0 ||
        strncmp(name, "__mbk_staging.", 14) == 0) {
        return 0;
    }
    if (o->include != NULL) {
        bool hit = false;

        for (size_t i = 0; o->include[i] != NULL; i++) {
            if (mbk_names_glob_match(o->include[i], name)) {
                hit = true;
                if (i < sizeof(r->include_hit)) {
                    r->include_hit[i] = 1;
                }
            }
        }
        if (!hit) {
            return 0;
        }
    }
    if (mbk_names_list_match(o->exclude, name)) {
        return 0;
    }
    if (bson_iter_init_find(&it, doc, "type") && BSON_ITER_HOLDS_UTF8(&it)) {
        type = bson_iter_utf8(&it, NULL);
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct bk_coll *p = realloc(r->colls, cap * sizeof(*p));

        if (p == NULL) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "out of memory");
        }
        r->colls = p;
        r->cap = cap;
    }
    c = &r->colls[r->n];
    memset(c, 0, sizeof(*c));
    c->name = strdup(name);
    if (c->name == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory");
    }
    snprintf(c->type, sizeof(c->type), "%s", type);
    c->info = bson_copy(doc);
    c->indexes = bson_new();
    r->n++;
    return 0;
}

static int
cmp_coll(const void *a, const void *b)
{
    return strcmp(((const struct bk_coll *)a)->name,
                  ((const struct bk_coll *)b)->name);
}

struct index_acc {
    bson_t *arr;
    uint32_t i;
};

static int
on_index(const bson_t *doc, void *ud, struct mbk_error *err)
{
    struct index_acc *acc = ud;
    char key[16];
    const char *k;

    bson_uint32_to_string(acc->i++, &k, key, sizeof(key));
    if (!bson_append_document(acc->arr, k, -1, doc)) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "index list too large");
    }
    return 0;
}

static int
list_all(struct bk_run *r, struct mbk_error *err)
{
    const struct mbk_backup_opts *o = r->o;

    if (mbk_mongo_list_collections(r->m, o->db, on_collection, r, err) != 0) {
        return mbk_error_prefix(err, "database \"%s\"", o->db);
    }
    /* An include pattern that matches nothing is most likely a typo. */
    for (size_t i = 0; o->include != NULL && o->include[i] != NULL; i++) {
        if (i < sizeof(r->include_hit) && !r->include_hit[i]) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "include pattern \"%s\" matches no "
                                 "collection of \"%s\"",
                                 o->include[i], o->db);
        }
    }
    if (r->n == 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "database \"%s\" has no collections to back "
                             "up%s",
                             o->db,
                             o->include || o->exclude
                                 ? " (after include/exclude)"
                                 : " (does it exist?)");
    }
    qsort(r->colls, r->n, sizeof(r->colls[0]), cmp_coll);
    for (size_t i = 0; i < r->n; i++) {
        struct bk_coll *c = &r->colls[i];

        if (strcmp(c->type, "view") == 0) {
            continue;
        }
        c->estimate = mbk_mongo_estimated_count(r->m, o->db, c->name, err);
        if (c->estimate < 0) {
            return mbk_error_prefix(err, "collection \"%s\"", c->name);
        }
        if (o->include_indexes) {
            struct index_acc acc = {c->indexes, 0};

            if (mbk_mongo_list_indexes(r->m, o->db, c->name, on_index, &acc,
                                       err) != 0) {
                return mbk_error_prefix(err, "collection \"%s\"", c->name);
            }
        }
    }
    return 0;
}

/* ---- reading a collection --------------------------------------------- */

/* The _id of the BSON document at data/len as Extended JSON, for a
 * message naming a document the encoder refused. */
static const char *
id_text(const uint8_t *data, size_t len, char *buf, size_t cap)
{
    struct mbk_buf b;
    bson_t doc;
    bson_t one;
    bson_iter_t it;

    snprintf(buf, cap, "%s", "unknown");
    if (!bson_init_static(&doc, data, len)
        || !bson_iter_init_find(&it, &doc, "_id")) {
        return buf;
    }
    bson_init(&one);
    mbk_buf_init(&b, 4096);
    if (bson_append_iter(&one, "_id", 3, &it)
        && bson_iter_type(&it) != BSON_TYPE_DOCUMENT
        && bson_iter_type(&it) != BSON_TYPE_ARRAY
        && mbk_ejson_write_bson(&b, &one, NULL) == 0 && b.len > 12) {
        /* "{ "_id" : X }" less its frame */
        snprintf(buf, cap, "%.*s", (int)(b.len - 12), b.data + 10);
    }
    mbk_buf_free(&b);
    bson_destroy(&one);
    return buf;
}

static int
flush_text(struct bk_coll *c, EVP_MD_CTX *md, struct mbk_buf *text,
           struct bk_run *r, struct mbk_error *err)
{
    if (text->len == 0) {
        return 0;
    }
    EVP_DigestUpdate(md, text->data, text->len);
    c->bytes += text->len;
    atomic_fetch_add(&r->bytes_done, text->len);
    if (mbk_spool_write(c->spool, text->data, text->len, err) != 0) {
        return -1;
    }
    mbk_buf_reset(text);
    return 0;
}

static int
dump_collection(struct bk_run *r, size_t idx, struct mbk_error *err)
{
    struct bk_coll *c = &r->colls[idx];
    struct mbk_mongo_cursor *cur = NULL;
    struct mbk_buf text;
    EVP_MD_CTX *md;
    const uint8_t *data;
    size_t len;
    int escapes;
    int more;
    int rc = -1;

    mbk_buf_init(&text, TEXT_MAX);
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "cannot start SHA-256");
        goto out;
    }
    c->spool = mbk_spool_new(r->spool_dir, r->gz, err);
    if (c->spool == NULL) {
        goto out;
    }
    /* The key is part of the member but not of the digest. */
    if (mbk_buf_append_str(&text, idx > 0 ? ",\n" : "\n", err) != 0 ||
        append_json_string(&text, c->name, err) != 0 ||
        mbk_buf_append(&text, ":", 1, err) != 0 ||
        mbk_spool_write(c->spool, text.data, text.len, err) != 0) {
        goto out;
    }
    mbk_buf_reset(&text);
    if (mbk_buf_append(&text, "[", 1, err) != 0) {
        goto out;
    }
    if (strcmp(c->type, "view") != 0) {
        cur = mbk_mongo_find_all(r->m, r->o->db, c->name, err);
        if (cur == NULL) {
            goto out;
        }
        while ((more = mbk_mongo_cursor_next(cur, &data, &len, err)) == 1) {
            if (mbk_buf_append(&text, c->docs ? ",\n" : "\n", c->docs ? 2 : 1,
                               err) != 0) {
                goto out;
            }
            if (mbk_ejson_write_ex(&text, data, len, &escapes, err) != 0) {
                char id[96];

                mbk_error_prefix(err, "document %llu (_id %s)",
                                 (unsigned long long)c->docs + 1,
                                 id_text(data, len, id, sizeof(id)));
                goto out;
            }
            c->escaped += escapes > 0;
            c->docs++;
            atomic_fetch_add(&r->docs_done, 1);
            if (text.len >= TEXT_FLUSH) {
                if (flush_text(c, md, &text, r, err) != 0) {
                    goto out;
                }
                if (canceled(r)) {
                    mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                                  "backup canceled");
                    goto out;
                }
            }
        }
        if (more < 0) {
            goto out;
        }
    }
    if (mbk_buf_append_str(&text, c->docs ? "\n]" : "]", err) != 0 ||
        flush_text(c, md, &text, r, err) != 0 ||
        mbk_spool_finish(c->spool, err) != 0) {
        goto out;
    }
    EVP_DigestFinal_ex(md, c->sha, NULL);
    rc = 0;

out:
    if (rc != 0) {
        mbk_error_prefix(err, "collection \"%s\"", c->name);
    }
    mbk_mongo_cursor_free(cur);
    EVP_MD_CTX_free(md);
    mbk_buf_free(&text);
    return rc;
}

static void *
worker(void *arg)
{
    struct bk_run *r = arg;

    for (;;) {
        struct mbk_error e;
        size_t i;

        pthread_mutex_lock(&r->mu);
        if (r->next >= r->n || r->failed || canceled(r)) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        i = r->next++;
        r->current = r->colls[i].name;
        pthread_mutex_unlock(&r->mu);

        mbk_error_clear(&e);
        if (dump_collection(r, i, &e) != 0) {
            pthread_mutex_lock(&r->mu);
            if (!r->failed) {
                r->failed = 1;
                r->err = e;
            }
            pthread_mutex_unlock(&r->mu);
            break;
        }
        atomic_fetch_add(&r->colls_done, 1);
    }
    pthread_mutex_lock(&r->mu);
    r->running--;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void
report(struct bk_run *r, const char *phase, double t0)
{
    struct mbk_progress p;
    uint64_t total = 0;

    if (r->o->progress == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        total += (uint64_t)(r->colls[i].estimate > 0 ? r->colls[i].estimate
                                                     : 0);
    }
    memset(&p, 0, sizeof(p));
    p.phase = phase;
    p.collection = r->current;
    p.collections_done = atomic_load(&r->colls_done);
    p.collections_total = (uint32_t)r->n;
    p.docs_done = atomic_load(&r->docs_done);
    p.docs_total = total > p.docs_done ? total : p.docs_done;
    p.bytes_done = atomic_load(&r->bytes_done);
    p.elapsed = mbk_names_seconds() - t0;
    r->o->progress(&p, r->o->progress_ud);
}

/* Run the workers; the calling thread reports progress meanwhile. */
static int
read_all(struct bk_run *r, double t0, struct mbk_error *err)
{
    unsigned jobs = r->o->jobs ? r->o->jobs : MBK_ENGINE_JOBS_DEFAULT;
    pthread_t tids[64];
    unsigned started = 0;

    if (jobs > 64) {
        jobs = 64;
    }
    if (jobs > r->n) {
        jobs = (unsigned)r->n;
    }
    pthread_mutex_lock(&r->mu);
    for (unsigned i = 0; i < jobs; i++) {
        if (pthread_create(&tids[i], NULL, worker, r) != 0) {
            break;
        }
        started++;
        r->running++;
    }
    while (r->running > 0) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        pthread_mutex_unlock(&r->mu);
        report(r, "reading", t0);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
    if (started == 0) {
        return mbk_error_set(err, MBK_ERROR_SYS, 0,
                             "pthread_create() failed for the workers");
    }
    if (r->failed) {
        *err = r->err;
        return -1;
    }
    if (canceled(r)) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                             "backup canceled");
    }
    return 0;
}

/* ---- publishing ------------------------------------------------------- */

struct sink {
    struct mbk_storage *st;
    struct mbk_storage_writer *w;
    uint64_t written;
    EVP_MD_CTX *md; /* the digest of the stored bytes, for the audit */
};

static int
sink_write(void *ud, const void *p, size_t n, struct mbk_error *err)
{
    struct sink *s = ud;

    s->written += n;
    EVP_DigestUpdate(s->md, p, n);
    return mbk_storage_put_write(s->st, s->w, p, n, err);
}

/* head = {"metadata":META,"collections":{  and tail = }} , each one gzip
 * member when compressing. */
static int
frame(const struct bk_run *r, const struct mbk_buf *meta, struct mbk_buf *head,
      struct mbk_buf *tail, struct mbk_error *err)
{
    static const char head_a[] = "{\"metadata\":";
    static const char head_b[] = ",\n\"collections\":{";
    static const char tail_s[] = "\n}}\n";
    struct mbk_buf plain;
    int rc = -1;

    mbk_buf_init(&plain, meta->len + 64);
    if (mbk_buf_append_str(&plain, head_a, err) != 0 ||
        mbk_buf_append(&plain, meta->data, meta->len, err) != 0 ||
        mbk_buf_append_str(&plain, head_b, err) != 0) {
        goto out;
    }
    if (r->o->gzip_level > 0) {
        rc = mbk_spool_gzip_buf(plain.data, plain.len, r->o->gzip_level, head,
                                err);
        if (rc == 0) {
            rc = mbk_spool_gzip_buf(tail_s, strlen(tail_s), r->o->gzip_level,
                                    tail, err);
        }
    } else {
        rc = mbk_buf_append(head, plain.data, plain.len, err);
        if (rc == 0) {
            rc = mbk_buf_append_str(tail, tail_s, err);
        }
    }
out:
    mbk_buf_free(&plain);
    return rc;
}

static int
publish(struct bk_run *r, struct mbk_storage *st, const char *file,
        const struct mbk_buf *meta, uint64_t *size, char *sha256,
        struct mbk_error *err)
{
    struct mbk_buf head;
    struct mbk_buf tail;
    struct sink s = {st, NULL, 0, NULL};
    unsigned char d[32];
    uint64_t total;
    int rc = -1;

    mbk_buf_init(&head, meta->len * 2 + 1024);
    mbk_buf_init(&tail, 1024);
    s.md = EVP_MD_CTX_new();
    if (s.md == NULL || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "cannot start SHA-256");
        goto out;
    }
    if (frame(r, meta, &head, &tail, err) != 0) {
        goto out;
    }
    total = head.len + tail.len;
    for (size_t i = 0; i < r->n; i++) {
        total += mbk_spool_get_size(r->colls[i].spool);
    }
    s.w = mbk_storage_put_begin(st, file, (int64_t)total, meta->data, err);
    if (s.w == NULL) {
        goto out;
    }
    if (sink_write(&s, head.data, head.len, err) != 0) {
        goto abort;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (canceled(r)) {
            mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                          "backup canceled");
            goto abort;
        }
        if (mbk_spool_copy(r->colls[i].spool, sink_write, &s, err) != 0) {
            goto abort;
        }
    }
    if (sink_write(&s, tail.data, tail.len, err) != 0) {
        goto abort;
    }
    rc = mbk_storage_put_commit(st, s.w, err);
    s.w = NULL;
    *size = s.written;
    EVP_DigestFinal_ex(s.md, d, NULL);
    mbk_names_hex(d, sizeof(d), sha256);
    goto out;

abort:
    mbk_storage_put_abort(st, s.w);
out:
    EVP_MD_CTX_free(s.md);
    mbk_buf_free(&head);
    mbk_buf_free(&tail);
    return rc;
}

/* ---- the run ---------------------------------------------------------- */

/* The name the backup's file is made from: the one asked for, else the
 * database's. */
static const char *
backup_name(const struct mbk_backup_opts *o)
{
    return o->name != NULL ? o->name : o->db;
}

int
mbk_engine_backup_check(const struct mbk_backup_opts *o,
                        struct mbk_error *err)
{
    char file[MBK_NAMES_BACKUP_MAX + 16];
    char stem[MBK_NAMES_BACKUP_MAX + 1];

    if (o->db == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "a database is required");
    }
    if (o->gzip_level != 0 && mbk_gzip_level_check(o->gzip_level, err) != 0) {
        return mbk_error_field(err, "compressionLevel");
    }
    if (mbk_names_db_check(o->db, err) != 0) {
        return -1;
    }
    /* the file name the run would make (the time does not change the
     * verdict) */
    if (mbk_names_backup_file(backup_name(o), o->timestamp,
                              o->gzip_level > 0, 0, file, sizeof(file), stem,
                              sizeof(stem), err) != 0) {
        return mbk_error_field(err, "backupName");
    }
    return 0;
}

static int
fill_result(const struct bk_run *r, struct mbk_backup_result *res,
            struct mbk_error *err)
{
    res->colls = calloc(r->n ? r->n : 1, sizeof(res->colls[0]));
    if (res->colls == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory");
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct bk_coll *c = &r->colls[i];
        struct mbk_backup_coll *rc = &res->colls[i];

        rc->name = strdup(c->name);
        if (rc->name == NULL) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "out of memory");
        }
        res->ncoll++;
        snprintf(rc->type, sizeof(rc->type), "%s", c->type);
        rc->docs = c->docs;
        rc->bytes = c->bytes;
        mbk_names_hex(c->sha, sizeof(c->sha), rc->sha256);
        res->docs += c->docs;
        res->json_bytes += c->bytes;
    }
    return 0;
}

static int
refuse_existing(struct mbk_storage *st, const char *file,
                struct mbk_error *err)
{
    struct mbk_storage_reader *rd;
    struct mbk_error e;

    rd = mbk_storage_get_open(st, file, &e);
    if (rd != NULL) {
        mbk_storage_get_close(st, rd);
        return mbk_error_set(err, MBK_ERROR_STORAGE, MBK_STORAGE_EEXIST,
                             "a backup named \"%s\" exists already", file);
    }
    return 0;
}

int
mbk_engine_backup_run(struct mbk_mongo *m, struct mbk_storage *st,
                      const struct mbk_backup_opts *o,
                      struct mbk_backup_result *res, struct mbk_error *err)
{
    struct bk_run r;
    struct mbk_buf meta;
    char file[MBK_NAMES_BACKUP_MAX + 16];
    char stem[MBK_NAMES_BACKUP_MAX + 1];
    char ts[32];
    char version[64];
    int64_t now = mbk_names_now_ms();
    double t0 = mbk_names_seconds();
    uint64_t size = 0;
    int rc = -1;

    memset(res, 0, sizeof(*res));
    memset(&r, 0, sizeof(r));
    mbk_buf_init(&meta, (size_t)256 << 20);
    r.o = o;
    r.m = m;
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    r.spool_dir = mbk_engine_spool_dir(o->spool_dir);
    mbk_names_iso8601(now, ts, sizeof(ts));
    if (mbk_engine_backup_check(o, err) != 0 ||
        mbk_names_backup_file(backup_name(o), o->timestamp,
                              o->gzip_level > 0, now, file, sizeof(file),
                              stem, sizeof(stem), err) != 0 ||
        refuse_existing(st, file, err) != 0) {
        goto out;
    }
    if (o->gzip_level > 0) {
        r.gz = mbk_gzip_pool_new(o->gzip_level, 0, err);
        if (r.gz == NULL) {
            goto out;
        }
    }
    report(&r, "listing", t0);
    if (mbk_mongo_server_version(m, version, sizeof(version), err) != 0 ||
        list_all(&r, err) != 0 || read_all(&r, t0, err) != 0) {
        goto out;
    }
    report(&r, "publishing", t0);
    res->publish_seconds = mbk_names_seconds();
    if (mbk_engine_backup_metadata(&r, stem, ts, version, &meta, err) != 0 ||
        publish(&r, st, file, &meta, &size, res->sha256, err) != 0 ||
        fill_result(&r, res, err) != 0) {
        goto out;
    }
    snprintf(res->file, sizeof(res->file), "%s", file);
    snprintf(res->backup_name, sizeof(res->backup_name), "%s", stem);
    snprintf(res->timestamp, sizeof(res->timestamp), "%s", ts);
    res->size = size;
    res->seconds = mbk_names_seconds() - t0;
    res->publish_seconds = mbk_names_seconds() - res->publish_seconds;
    report(&r, "done", t0);
    rc = 0;

out:
    if (rc != 0) {
        mbk_engine_backup_result_free(res);
    }
    for (size_t i = 0; i < r.n; i++) {
        free(r.colls[i].name);
        bson_destroy(r.colls[i].info);
        bson_destroy(r.colls[i].indexes);
        mbk_spool_free(r.colls[i].spool);
    }
    mbk_gzip_pool_free(r.gz); /* after the spools, which use it */
    free(r.colls);
    mbk_buf_free(&meta);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
    return rc;
}

void
mbk_engine_backup_result_free(struct mbk_backup_result *res)
{
    if (res == NULL) {
        return;
    }
    for (size_t i = 0; i < res->ncoll; i++) {
        free(res->colls[i].name);
    }
    free(res->colls);
    res->colls = NULL;
    res->ncoll = 0;
}
