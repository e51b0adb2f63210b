/*
 * s3_put.c: writing a backup to S3.  Bytes gather in one part buffer (at
 * most part_size); a backup that fits is one PutObject, a larger one a
 * multipart upload whose parts go while it is written, each with its
 * Content-MD5 and SHA-256.  Nothing is visible before PutObject or
 * CompleteMultipartUpload; abort deletes the upload.  A marker object
 * PREFIX.mbk-uploads/HEXID.HOST.PID names the writer of an upload, so that
 * the next open aborts only uploads of dead writers (s3.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/s3_private.h"
#include "storage/s3_store.h"

#define MBK_S3_IN_FLIGHT 2 /* parts uploading while the next one fills */
#define MBK_S3_PARTS_MAX 10000

struct part_job {
    struct mbk_storage_writer *w;
    pthread_t tid;
    int busy;
    int threaded;
    unsigned number;
    unsigned char *buf;
    size_t len;
    int rc;
    struct mbk_error err;
};

struct mbk_storage_writer {
    struct mbk_storage_store *st;
    char name[MBK_STORAGE_NAME_MAX + 1];
    char key[MBK_S3_KEY_MAX];
    int64_t expect;
    uint64_t total;
    unsigned char *buf;
    size_t len;
    size_t cap;
    char *meta_hdr;  /* encoded metadata for x-amz-meta-mbk, or NULL */
    char *meta_side; /* metadata too large for a header: a sidecar */
    char upload_id[512];
    char marker[MBK_S3_KEY_MAX];
    unsigned nparts;
    char (*etags)[80]; /* MBK_S3_PARTS_MAX, from the first part on */
    struct part_job jobs[MBK_S3_IN_FLIGHT];
    unsigned next_job;
    int failed;
    struct mbk_error fail; /* the first part's failure */
};

static int join_all(struct mbk_storage_writer *w, struct mbk_error *err);

static void
writer_free(struct mbk_storage_writer *w)
{
    unsigned i;

    join_all(w, NULL);
    for (i = 0; i < MBK_S3_IN_FLIGHT; i++) {
        free(w->jobs[i].buf);
    }
    free(w->buf);
    free(w->meta_hdr);
    free(w->meta_side);
    free(w->etags);
    free(w);
}

/* Only the status wanted is success; anything else fills err. */
static int
run(struct mbk_storage_store *st, struct mbk_s3_req *r, long want,
    const char *what, struct mbk_error *err)
{
    if (mbk_s3_request(st, r, err) != 0) {
        return -1;
    }
    if (r->status != want) {
        return mbk_s3_fail_status(st, r, what, err);
    }
    return 0;
}

static int
exists_refused(struct mbk_storage_writer *w, struct mbk_error *err)
{
    int rc = mbk_s3_exists(w->st, w->key, err);

    if (rc < 0) {
        return -1;
    }
    if (rc > 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EEXIST,
                                "backup \"%s\" exists already in %s",
                                w->name, w->st->location);
    }
    return 0;
}

struct mbk_storage_writer *
mbk_s3_put_begin(struct mbk_storage_store *st, const char *name, int64_t size,
                 const char *meta_json, struct mbk_error *err)
{
    struct mbk_storage_writer *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
        return NULL;
    }
    w->st = st;
    w->expect = size;
    snprintf(w->name, sizeof(w->name), "%s", name);
    snprintf(w->key, sizeof(w->key), "%s%s", st->prefix, name);
    if (meta_json != NULL) {
        w->meta_hdr = mbk_s3_meta_encode(meta_json, MBK_S3_META_MAX);
        if (w->meta_hdr == NULL) {
            w->meta_side = strdup(meta_json);
            if (w->meta_side == NULL) {
                mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
                writer_free(w);
                return NULL;
            }
        }
    }
    if (exists_refused(w, err) != 0) {
        writer_free(w);
        return NULL;
    }
    return w;
}

static int
initiate(struct mbk_storage_writer *w, struct mbk_error *err)
{
    struct mbk_storage_store *st = w->st;
    struct mbk_s3_req r = { 0 };
    char host[256] = "";
    char hexid[2 * sizeof(w->upload_id) + 1];
    size_t i;
    int rc;

    r.method = "POST";
    r.key = w->key;
    r.query = "uploads=";
    r.meta = w->meta_hdr;
    r.meta_sidecar = w->meta_side != NULL ? "1" : NULL;
    rc = run(st, &r, 200, "CreateMultipartUpload", err);
    if (rc == 0
        && (r.answer.data == NULL
            || mbk_s3_xml_get(r.answer.data, r.answer.data + r.answer.len,
                              "UploadId", w->upload_id,
                              sizeof(w->upload_id)) != 0
            || w->upload_id[0] == '\0')) {
        rc = mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                              "S3 CreateMultipartUpload bucket \"%s\" key "
                              "\"%s\": no UploadId in the answer",
                              st->bucket, w->key);
    }
    mbk_s3_req_free(&r);
    if (rc != 0) {
        return -1;
    }
    /* The writer's marker: which host and process own the upload. */
    mbk_s3_host_name(host, sizeof(host));
    for (i = 0; w->upload_id[i] != '\0'; i++) {
        snprintf(hexid + 2 * i, 3, "%02x", (unsigned char) w->upload_id[i]);
    }
    hexid[2 * i] = '\0';
    if (snprintf(w->marker, sizeof(w->marker), "%s%s%s.%s.%ld", st->prefix,
                 MBK_S3_MARKERS, hexid, host[0] ? host : "_",
                 (long) getpid()) >= (int) sizeof(w->marker)) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                "S3 upload marker for \"%s\": the key is "
                                "too long", w->key);
    }
    memset(&r, 0, sizeof(r));
    r.method = "PUT";
    r.key = w->marker;
    rc = run(st, &r, 200, "PutObject (upload marker)", err);
    mbk_s3_req_free(&r);
    return rc;
}

/* One part's upload, on its own thread. */
static void *
part_run(void *arg)
{
    struct part_job *j = arg;
    struct mbk_storage_writer *w = j->w;
    struct mbk_s3_req r = { 0 };
    char q[2048] = "";
    char num[16];

    snprintf(num, sizeof(num), "%u", j->number);
    mbk_s3_query_add(q, sizeof(q), "partNumber", num);
    mbk_s3_query_add(q, sizeof(q), "uploadId", w->upload_id);
    r.method = "PUT";
    r.key = w->key;
    r.query = q;
    r.body = j->buf;
    r.body_len = j->len;
    r.content_md5 = 1;
    j->rc = run(w->st, &r, 200, "UploadPart", &j->err);
    if (j->rc == 0 && strlen(r.etag) >= sizeof(w->etags[0])) {
        j->rc = mbk_storage_fail(&j->err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                 "S3 UploadPart bucket \"%s\" key \"%s\": an "
                                 "ETag of %zu bytes", w->st->bucket, w->key,
                                 strlen(r.etag));
    } else if (j->rc == 0) {
        memcpy(w->etags[j->number - 1], r.etag, strlen(r.etag) + 1);
    }
    mbk_s3_req_free(&r);
    if (j->rc == 0 && j->number == 1) {
        /* A part is in the store, nothing is published. */
        mbk_storage_test_stop("storage-put-write");
    }
    return NULL;
}

/* Wait for job j; its failure, the first one, becomes the writer's. */
static int
part_join(struct mbk_storage_writer *w, struct part_job *j)
{
    if (!j->busy) {
        return 0;
    }
    if (j->threaded) {
        pthread_join(j->tid, NULL);
    }
    j->busy = 0;
    if (j->rc != 0 && !w->failed) {
        w->failed = 1;
        w->fail = j->err;
    }
    return j->rc;
}

static int
join_all(struct mbk_storage_writer *w, struct mbk_error *err)
{
    unsigned i;

    for (i = 0; i < MBK_S3_IN_FLIGHT; i++) {
        part_join(w, &w->jobs[i]);
    }
    if (w->failed) {
        if (err != NULL) {
            *err = w->fail;
        }
        return -1;
    }
    return 0;
}

/* Hand the full buffer to a part upload: at most MBK_S3_IN_FLIGHT run at
 * once, so memory stays at (MBK_S3_IN_FLIGHT + 1) parts. */
static int
flush_part(struct mbk_storage_writer *w, struct mbk_error *err)
{
    struct part_job *j;
    unsigned char *spare;

    if (w->upload_id[0] == '\0' && initiate(w, err) != 0) {
        return -1;
    }
    if (w->etags == NULL) {
        w->etags = calloc(MBK_S3_PARTS_MAX, sizeof(w->etags[0]));
        if (w->etags == NULL) {
            return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                                    "out of memory");
        }
    }
    if (w->nparts == MBK_S3_PARTS_MAX) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                "backup \"%s\": more than %d parts (S3's "
                                "limit); raise part_size_mib", w->name,
                                MBK_S3_PARTS_MAX);
    }
    j = &w->jobs[w->next_job];
    w->next_job = (w->next_job + 1) % MBK_S3_IN_FLIGHT;
    part_join(w, j);
    if (w->failed) {
        return join_all(w, err);
    }
    spare = j->buf;
    j->w = w;
    j->buf = w->buf;
    j->len = w->len;
    j->number = ++w->nparts;
    j->busy = 1;
    w->buf = spare;
    w->cap = spare != NULL ? w->st->part_size : 0;
    w->len = 0;
    j->threaded = pthread_create(&j->tid, NULL, part_run, j) == 0;
    if (!j->threaded) {
        part_run(j); /* no thread: upload it here */
    }
    return 0;
}

int
mbk_s3_put_write(struct mbk_storage_writer *w, const void *buf, size_t len,
                 struct mbk_error *err)
{
    const unsigned char *p = buf;

    if (w->expect >= 0 && w->total + len > (uint64_t) w->expect) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                "put \"%s\": more than the %lld bytes "
                                "announced", w->name, (long long) w->expect);
    }
    while (len > 0) {
        size_t n;

        if (w->len == w->cap) {
            size_t cap = w->cap == 0 ? 64 * 1024 : w->cap * 2;
            unsigned char *nb;

            if (cap > w->st->part_size) {
                cap = w->st->part_size;
            }
            if (w->len == cap) {
                if (flush_part(w, err) != 0) {
                    return -1;
                }
                continue;
            }
            nb = realloc(w->buf, cap);
            if (nb == NULL) {
                return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                                        "backup \"%s\": out of memory for a "
                                        "part of %zu bytes", w->name, cap);
            }
            w->buf = nb;
            w->cap = cap;
        }
        n = w->cap - w->len;
        if (n > len) {
            n = len;
        }
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        w->total += n;
        p += n;
        len -= n;
    }
    return 0;
}

/* After a retried Complete answered NoSuchUpload: is the object there,
 * made of our number of parts (its ETag ends "-N")? */
static int
published(struct mbk_storage_writer *w)
{
    struct mbk_s3_req r = { 0 };
    char tail[24];
    size_t n;
    int yes;

    r.method = "HEAD";
    r.key = w->key;
    snprintf(tail, sizeof(tail), "-%u\"", w->nparts);
    yes = mbk_s3_request(w->st, &r, NULL) == 0 && r.status == 200;
    n = strlen(r.etag);
    yes = yes && n > strlen(tail)
          && strcmp(r.etag + n - strlen(tail), tail) == 0;
    mbk_s3_req_free(&r);
    return yes;
}

static int
complete(struct mbk_storage_writer *w, struct mbk_error *err)
{
    struct mbk_s3_req r = { 0 };
    size_t cap = 128 + (size_t) w->nparts * 200;
    char *xml = malloc(cap);
    char q[2048] = "";
    size_t o;
    unsigned i;
    int rc;

    if (xml == NULL) {
        return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
    }
    o = (size_t) snprintf(xml, cap, "<CompleteMultipartUpload>");
    for (i = 0; i < w->nparts; i++) {
        o += (size_t) snprintf(xml + o, cap - o,
                               "<Part><PartNumber>%u</PartNumber>"
                               "<ETag>%s</ETag></Part>", i + 1, w->etags[i]);
    }
    o += (size_t) snprintf(xml + o, cap - o, "</CompleteMultipartUpload>");
    mbk_s3_query_add(q, sizeof(q), "uploadId", w->upload_id);
    r.method = "POST";
    r.key = w->key;
    r.query = q;
    r.body = xml;
    r.body_len = o;
    if (mbk_s3_request(w->st, &r, err) != 0) {
        rc = -1;
    } else if (r.status == 404 && r.answer.data != NULL
               && strstr(r.answer.data, "<Code>NoSuchUpload</Code>") != NULL
               && published(w)) {
        rc = 0; /* an earlier attempt completed it; its answer was lost */
    } else if (r.status != 200) {
        rc = mbk_s3_fail_status(w->st, &r, "CompleteMultipartUpload", err);
    } else {
        rc = 0;
    }
    /* A 200 may still carry an <Error> (S3 reports late failures so). */
    if (rc == 0 && r.answer.data != NULL
        && strstr(r.answer.data, "<Error>") != NULL) {
        r.status = 500;
        rc = mbk_s3_fail_status(w->st, &r, "CompleteMultipartUpload", err);
    }
    mbk_s3_req_free(&r);
    free(xml);
    return rc;
}

static void
abort_upload(struct mbk_storage_writer *w)
{
    join_all(w, NULL); /* parts still going would outlive the abort */
    if (w->upload_id[0] != '\0') {
        mbk_s3_abort_upload(w->st, w->key, w->upload_id, NULL);
        mbk_s3_delete(w->st, w->marker, NULL);
        w->upload_id[0] = '\0';
    }
}

int
mbk_s3_put_commit(struct mbk_storage_writer *w, struct mbk_error *err)
{
    struct mbk_storage_store *st = w->st;
    int rc = -1;

    if (w->expect >= 0 && w->total != (uint64_t) w->expect) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                         "put \"%s\": %llu bytes written, %lld announced",
                         w->name, (unsigned long long) w->total,
                         (long long) w->expect);
        goto out;
    }
    if (w->upload_id[0] != '\0'
        && ((w->len > 0 && flush_part(w, err) != 0)
            || join_all(w, err) != 0)) {
        goto out;
    }
    /* S3 has no put-if-absent here: check just before publishing. */
    if (exists_refused(w, err) != 0) {
        goto out;
    }
    if (w->meta_side != NULL) {
        struct mbk_s3_req r = { 0 };
        char key[MBK_S3_KEY_MAX];

        snprintf(key, sizeof(key), "%s%s%s", st->prefix, MBK_S3_SIDECARS,
                 w->name);
        r.method = "PUT";
        r.key = key;
        r.body = w->meta_side;
        r.body_len = strlen(w->meta_side);
        r.content_md5 = 1;
        rc = run(st, &r, 200, "PutObject (metadata)", err);
        mbk_s3_req_free(&r);
        if (rc != 0) {
            goto out;
        }
        rc = -1;
    }
    if (w->upload_id[0] == '\0') {
        struct mbk_s3_req r = { 0 };

        r.method = "PUT";
        r.key = w->key;
        r.body = w->buf;
        r.body_len = w->len;
        r.content_md5 = 1;
        r.meta = w->meta_hdr;
        r.meta_sidecar = w->meta_side != NULL ? "1" : NULL;
        rc = run(st, &r, 200, "PutObject", err);
        mbk_s3_req_free(&r);
    } else {
        rc = complete(w, err);
        if (rc == 0) {
            mbk_s3_delete(st, w->marker, NULL);
            w->upload_id[0] = '\0';
        }
    }
out:
    abort_upload(w);
    writer_free(w);
    return rc;
}

void
mbk_s3_put_abort(struct mbk_storage_writer *w)
{
    if (w == NULL) {
        return;
    }
    abort_upload(w);
    writer_free(w);
}
