/*
 * s3.c: the "s3" storage plugin: one object per backup under
 * s3://bucket/prefix/ in S3 or an S3-compatible service.  Open cleans up
 * uploads dead writers left; list pages ListObjectsV2; reads are ranged
 * GETs, each retried on its own, so a read resumes where it stopped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/s3_private.h"
#include "storage/s3_store.h"

#define READ_FIRST (256u * 1024)
#define READ_MAX (8u * 1024 * 1024)

struct mbk_storage_reader {
    struct mbk_storage_store *st;
    char key[MBK_S3_KEY_MAX];
    char etag[130];
    uint64_t size;
    uint64_t off;    /* of buf[0] in the object */
    char *buf;
    size_t len;
    size_t pos;
    size_t chunk;
};

static int
head(struct mbk_storage_store *st, const char *key, struct mbk_s3_req *r,
     struct mbk_error *err)
{
    memset(r, 0, sizeof(*r));
    r->method = "HEAD";
    r->key = key;
    return mbk_s3_request(st, r, err);
}

int
mbk_s3_exists(struct mbk_storage_store *st, const char *key,
              struct mbk_error *err)
{
    struct mbk_s3_req r;
    int rc = -1;

    if (head(st, key, &r, err) == 0) {
        if (r.status == 200) {
            rc = 1;
        } else if (r.status == 404) {
            rc = 0;
        } else {
            mbk_s3_fail_status(st, &r, "HeadObject", err);
        }
    }
    mbk_s3_req_free(&r);
    return rc;
}

int
mbk_s3_delete(struct mbk_storage_store *st, const char *key,
              struct mbk_error *err)
{
    struct mbk_s3_req r = { 0 };
    int rc;

    r.method = "DELETE";
    r.key = key;
    rc = mbk_s3_request(st, &r, err);
    if (rc == 0 && r.status != 204 && r.status != 200 && r.status != 404) {
        rc = mbk_s3_fail_status(st, &r, "DeleteObject", err);
    }
    mbk_s3_req_free(&r);
    return rc;
}

int
mbk_s3_abort_upload(struct mbk_storage_store *st, const char *key,
                    const char *upload_id, struct mbk_error *err)
{
    struct mbk_s3_req r = { 0 };
    char q[2048] = "";
    int rc;

    mbk_s3_query_add(q, sizeof(q), "uploadId", upload_id);
    r.method = "DELETE";
    r.key = key;
    r.query = q;
    rc = mbk_s3_request(st, &r, err);
    if (rc == 0 && r.status != 204 && r.status != 200 && r.status != 404) {
        rc = mbk_s3_fail_status(st, &r, "AbortMultipartUpload", err);
    }
    mbk_s3_req_free(&r);
    return rc;
}

/* The metadata of a HEAD answer: its header, or the sidecar; NULL if none
 * (the host then reads the backup's head). */
static char *
meta_of(struct mbk_storage_store *st, const char *name,
        const struct mbk_s3_req *h)
{
    struct mbk_s3_req r = { 0 };
    char key[MBK_S3_KEY_MAX];
    char *m = NULL;

    if (h->meta_out != NULL) {
        return mbk_s3_meta_decode(h->meta_out);
    }
    if (!h->sidecar_out) {
        return NULL;
    }
    snprintf(key, sizeof(key), "%s%s%s", st->prefix, MBK_S3_SIDECARS, name);
    r.method = "GET";
    r.key = key;
    if (mbk_s3_request(st, &r, NULL) == 0 && r.status == 200) {
        m = strndup(r.answer.data != NULL ? r.answer.data : "",
                    r.answer.len);
    }
    mbk_s3_req_free(&r);
    return m;
}

/* One backup by HEAD: fn gets its entry.  1 found, 0 not, -1 error. */
static int
entry_of(struct mbk_storage_store *st, const char *name,
         mbk_storage_list_fn fn, void *ud, int *stop, struct mbk_error *err)
{
    struct mbk_storage_entry e;
    struct mbk_s3_req r;
    char key[MBK_S3_KEY_MAX];
    int rc = -1;

    snprintf(key, sizeof(key), "%s%s", st->prefix, name);
    if (head(st, key, &r, err) != 0) {
        goto out;
    }
    if (r.status == 404) {
        rc = 0;
        goto out;
    }
    if (r.status != 200) {
        mbk_s3_fail_status(st, &r, "HeadObject", err);
        goto out;
    }
    e.name = name;
    e.size = r.length;
    e.mtime = r.mtime;
    e.meta_json = meta_of(st, name, &r);
    *stop = fn(&e, ud);
    free((char *) e.meta_json);
    rc = 1;
out:
    mbk_s3_req_free(&r);
    return rc;
}

static int
s3_stat(struct mbk_storage_store *st, const char *name,
        mbk_storage_list_fn fn, void *ud, struct mbk_error *err)
{
    int stop;
    int rc = entry_of(st, name, fn, ud, &stop, err);

    if (rc == 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "no backup \"%s\" in %s", name, st->location);
    }
    return rc < 0 ? -1 : 0;
}

/* One page of ListObjectsV2 under prefix (delimited or not): each key
 * to fn; token in/out ("" at the start, "" again at the end). */
typedef int (*key_fn)(struct mbk_storage_store *st, const char *key,
                      const char *block, const char *bend, void *ud,
                      struct mbk_error *err);

static int
list_keys(struct mbk_storage_store *st, const char *prefix, int delimit,
          key_fn fn, void *ud, struct mbk_error *err)
{
    char token[1024] = "";
    char key[MBK_S3_KEY_MAX];
    char truncated[8];

    for (;;) {
        struct mbk_s3_req r = { 0 };
        char q[4096] = "";
        char page[16];
        const char *p;
        const char *end;
        const char *ce;
        int rc = 0;

        snprintf(page, sizeof(page), "%u", st->list_page);
        if (token[0] != '\0') {
            mbk_s3_query_add(q, sizeof(q), "continuation-token", token);
        }
        if (delimit) {
            mbk_s3_query_add(q, sizeof(q), "delimiter", "/");
        }
        mbk_s3_query_add(q, sizeof(q), "list-type", "2");
        mbk_s3_query_add(q, sizeof(q), "max-keys", page);
        mbk_s3_query_add(q, sizeof(q), "prefix", prefix);
        r.method = "GET";
        r.query = q;
        if (mbk_s3_request(st, &r, err) != 0) {
            mbk_s3_req_free(&r);
            return -1;
        }
        if (r.status != 200 || r.answer.data == NULL) {
            rc = mbk_s3_fail_status(st, &r, "ListObjectsV2", err);
            mbk_s3_req_free(&r);
            return rc;
        }
        p = r.answer.data;
        end = p + r.answer.len;
        while (rc == 0) {
            const char *c = mbk_s3_xml_find(p, end, "Contents", &ce);

            if (c == NULL) {
                break;
            }
            if (mbk_s3_xml_get(c, ce, "Key", key, sizeof(key)) == 0) {
                rc = fn(st, key, c, ce, ud, err);
            }
            p = ce;
        }
        if (rc == 0
            && mbk_s3_xml_get(r.answer.data, end, "IsTruncated", truncated,
                              sizeof(truncated)) == 0
            && strcmp(truncated, "true") == 0) {
            if (mbk_s3_xml_get(r.answer.data, end, "NextContinuationToken",
                               token, sizeof(token)) != 0
                || token[0] == '\0') {
                rc = mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                      "S3 ListObjectsV2 bucket \"%s\": a "
                                      "truncated page without a "
                                      "continuation token", st->bucket);
            }
        } else {
            token[0] = '\0';
        }
        mbk_s3_req_free(&r);
        if (rc != 0) {
            return rc < 0 ? -1 : 0; /* > 0: the caller stopped */
        }
        if (token[0] == '\0') {
            return 0;
        }
    }
}

struct listing {
    mbk_storage_list_fn fn;
    void *ud;
};

static int
list_one(struct mbk_storage_store *st, const char *key, const char *block,
         const char *bend, void *ud, struct mbk_error *err)
{
    struct listing *l = ud;
    const char *name = key + strlen(st->prefix);
    int stop = 0;
    int rc;

    (void) block;
    (void) bend;
    if (strncmp(key, st->prefix, strlen(st->prefix)) != 0
        || !mbk_storage_name_listable(name)) {
        return 0;
    }
    /* The metadata is in the object's headers: a HEAD, no body read. */
    rc = entry_of(st, name, l->fn, l->ud, &stop, err);
    if (rc < 0) {
        return -1;
    }
    return stop ? 1 : 0;
}

static int
s3_list(struct mbk_storage_store *st, mbk_storage_list_fn fn, void *ud,
        struct mbk_error *err)
{
    struct listing l = { fn, ud };

    return list_keys(st, st->prefix, 1, list_one, &l, err);
}

/* The cleanup at open: uploads of dead writers, and their markers. */
struct marker {
    char key[MBK_S3_KEY_MAX];
    int64_t mtime;
};

struct markers {
    struct marker *v;
    size_t n;
    size_t cap;
};

static int
marker_keep(struct mbk_storage_store *st, const char *key, const char *block,
            const char *bend, void *ud, struct mbk_error *err)
{
    struct markers *m = ud;
    char lm[64];

    (void) st;
    if (m->n == m->cap) {
        size_t cap = m->cap == 0 ? 16 : m->cap * 2;
        void *p = cap > 100000 ? NULL : realloc(m->v, cap * sizeof(*m->v));

        if (p == NULL) {
            return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                                    "too many upload markers");
        }
        m->v = p;
        m->cap = cap;
    }
    snprintf(m->v[m->n].key, sizeof(m->v[0].key), "%s", key);
    m->v[m->n].mtime = mbk_s3_xml_get(block, bend, "LastModified", lm,
                                      sizeof(lm)) == 0
                           ? mbk_s3_xml_time(lm)
                           : -1;
    m->n++;
    return 0;
}

/* The marker's writer: 1 a live process of this host, 0 one that is
 * gone, -1 another host's (or unknown). */
static int
marker_state(const char *key)
{
    char host[256] = "";
    const char *pid_s = strrchr(key, '.');
    const char *host_s;
    long pid;

    if (pid_s == NULL) {
        return -1;
    }
    host_s = pid_s - 1;
    while (host_s > key && *host_s != '.') {
        host_s--;
    }
    mbk_s3_host_name(host, sizeof(host));
    if ((size_t) (pid_s - host_s - 1) != strlen(host)
        || strncmp(host_s + 1, host, strlen(host)) != 0) {
        return -1;
    }
    pid = strtol(pid_s + 1, NULL, 10);
    if (pid <= 0) {
        return -1;
    }
    return kill((pid_t) pid, 0) == 0 || errno != ESRCH ? 1 : 0;
}

static struct marker *
marker_for(struct markers *m, const struct mbk_storage_store *st,
           const char *upload_id)
{
    char hexid[1100];
    size_t i;
    size_t base = strlen(st->prefix) + strlen(MBK_S3_MARKERS);

    for (i = 0; upload_id[i] != '\0' && i < 512; i++) {
        snprintf(hexid + 2 * i, 3, "%02x", (unsigned char) upload_id[i]);
    }
    hexid[2 * i] = '\0';
    for (i = 0; i < m->n; i++) {
        if (strncmp(m->v[i].key + base, hexid, strlen(hexid)) == 0
            && m->v[i].key[base + strlen(hexid)] == '.') {
            return &m->v[i];
        }
    }
    return NULL;
}

static int
cleanup(struct mbk_storage_store *st, struct mbk_error *err)
{
    struct markers m = { NULL, 0, 0 };
    char mprefix[MBK_S3_KEY_MAX];
    char key[MBK_S3_KEY_MAX];
    char id[512];
    char when[64];
    char next_key[MBK_S3_KEY_MAX] = "";
    char next_id[512] = "";
    int64_t now = (int64_t) time(NULL);
    size_t i;
    int rc = 0;

    snprintf(mprefix, sizeof(mprefix), "%s%s", st->prefix, MBK_S3_MARKERS);
    if (list_keys(st, mprefix, 0, marker_keep, &m, err) != 0) {
        free(m.v);
        return -1;
    }
    for (;;) {
        struct mbk_s3_req r = { 0 };
        char q[4096] = "";
        char trunc[8] = "";
        const char *p;
        const char *end;
        const char *ue;

        if (next_key[0] != '\0') {
            mbk_s3_query_add(q, sizeof(q), "key-marker", next_key);
        }
        mbk_s3_query_add(q, sizeof(q), "prefix", st->prefix);
        if (next_id[0] != '\0') {
            mbk_s3_query_add(q, sizeof(q), "upload-id-marker", next_id);
        }
        mbk_s3_query_add(q, sizeof(q), "uploads", "");
        r.method = "GET";
        r.query = q;
        if (mbk_s3_request(st, &r, err) != 0
            || (r.status != 200
                && mbk_s3_fail_status(st, &r, "ListMultipartUploads",
                                      err) != 0)
            || r.answer.data == NULL) {
            mbk_s3_req_free(&r);
            rc = -1;
            break;
        }
        p = r.answer.data;
        end = p + r.answer.len;
        for (;;) {
            const char *u = mbk_s3_xml_find(p, end, "Upload", &ue);
            struct marker *mk;
            int64_t started;
            int state;
            int dead;

            if (u == NULL) {
                break;
            }
            p = ue;
            if (mbk_s3_xml_get(u, ue, "Key", key, sizeof(key)) != 0
                || mbk_s3_xml_get(u, ue, "UploadId", id, sizeof(id)) != 0
                || strncmp(key, st->prefix, strlen(st->prefix)) != 0
                || !mbk_storage_name_listable(key + strlen(st->prefix))) {
                continue; /* not an upload of ours */
            }
            started = mbk_s3_xml_get(u, ue, "Initiated", when,
                                     sizeof(when)) == 0
                          ? mbk_s3_xml_time(when)
                          : -1;
            mk = marker_for(&m, st, id);
            /* Dead: its writer was a process of this host that is gone,
             * or it is older than stale_upload_age (another host's, or
             * one killed before it wrote its marker). */
            state = mk != NULL ? marker_state(mk->key) : -1;
            dead = state == 0
                   || (state < 0 && started >= 0
                       && now - started >= st->stale_age);
            if (dead
                && mbk_s3_abort_upload(st, key, id, NULL) == 0
                && mk != NULL) {
                mbk_s3_delete(st, mk->key, NULL);
                mk->mtime = -2; /* done */
            } else if (mk != NULL) {
                mk->mtime = -3; /* its upload lives */
            }
        }
        if (mbk_s3_xml_get(r.answer.data, end, "IsTruncated", trunc,
                           sizeof(trunc)) != 0
            || strcmp(trunc, "true") != 0
            || mbk_s3_xml_get(r.answer.data, end, "NextKeyMarker", next_key,
                              sizeof(next_key)) != 0
            || mbk_s3_xml_get(r.answer.data, end, "NextUploadIdMarker",
                              next_id, sizeof(next_id)) != 0) {
            mbk_s3_req_free(&r);
            break;
        }
        mbk_s3_req_free(&r);
    }
    /* Markers whose upload is gone: a writer died between the end of its
     * upload and the marker's deletion. */
    for (i = 0; rc == 0 && i < m.n; i++) {
        if (m.v[i].mtime >= -1
            && (marker_state(m.v[i].key) == 0
                || (m.v[i].mtime >= 0
                    && now - m.v[i].mtime >= st->stale_age))) {
            mbk_s3_delete(st, m.v[i].key, NULL);
        }
    }
    free(m.v);
    return rc;
}

static struct mbk_storage_store *
s3_open(const struct mbk_storage_location *loc, struct mbk_error *err)
{
    struct mbk_storage_store *st;

    if (mbk_s3_http_init(err) != 0) {
        return NULL;
    }
    st = mbk_s3_conf_open(loc, err);
    if (st == NULL) {
        return NULL;
    }
    /* Also the first request: a wrong secret or a missing bucket ends
     * the open with its message. */
    if (cleanup(st, err) != 0) {
        mbk_s3_conf_free(st);
        return NULL;
    }
    return st;
}

static void
s3_close(struct mbk_storage_store *st)
{
    mbk_s3_conf_free(st);
}

static struct mbk_storage_reader *
s3_get_open(struct mbk_storage_store *st, const char *name,
            struct mbk_error *err)
{
    struct mbk_storage_reader *rd;
    struct mbk_s3_req r;

    rd = calloc(1, sizeof(*rd));
    if (rd == NULL) {
        mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
        return NULL;
    }
    rd->st = st;
    rd->chunk = READ_FIRST;
    snprintf(rd->key, sizeof(rd->key), "%s%s", st->prefix, name);
    if (head(st, rd->key, &r, err) != 0 || r.status != 200) {
        if (r.status == 404) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                             "no backup \"%s\" in %s", name, st->location);
        } else if (r.status != 0) {
            mbk_s3_fail_status(st, &r, "HeadObject", err);
        }
        mbk_s3_req_free(&r);
        free(rd);
        return NULL;
    }
    rd->size = r.length;
    snprintf(rd->etag, sizeof(rd->etag), "%s", r.etag);
    mbk_s3_req_free(&r);
    return rd;
}

static ssize_t
s3_get_read(struct mbk_storage_reader *rd, void *buf, size_t len,
            struct mbk_error *err)
{
    size_t n;

    if (rd->pos == rd->len) {
        struct mbk_s3_req r = { 0 };
        uint64_t from = rd->off + rd->len;
        uint64_t want;

        if (from >= rd->size) {
            return 0;
        }
        want = rd->size - from;
        if (want > rd->chunk) {
            want = rd->chunk;
        }
        if (rd->buf == NULL || want > rd->len) {
            char *nb = realloc(rd->buf, (size_t) want);

            if (nb == NULL) {
                return mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                                        "out of memory");
            }
            rd->buf = nb;
        }
        r.method = "GET";
        r.key = rd->key;
        r.range_from = from;
        r.range_len = want;
        r.if_match = rd->etag[0] != '\0' ? rd->etag : NULL;
        r.out = rd->buf;
        r.out_cap = (size_t) want;
        if (mbk_s3_request(rd->st, &r, err) != 0) {
            mbk_s3_req_free(&r);
            return -1;
        }
        if (r.status != 206 && !(r.status == 200 && from == 0)) {
            mbk_s3_fail_status(rd->st, &r,
                               r.status == 412 ? "GetObject (the backup "
                                                 "changed while read)"
                                               : "GetObject",
                               err);
            mbk_s3_req_free(&r);
            return -1;
        }
        if (r.out_len != want) {
            mbk_s3_req_free(&r);
            return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                    "S3 GetObject bucket \"%s\" key \"%s\": "
                                    "%zu bytes at %llu, asked for %llu",
                                    rd->st->bucket, rd->key, r.out_len,
                                    (unsigned long long) from,
                                    (unsigned long long) want);
        }
        mbk_s3_req_free(&r);
        rd->off = from;
        rd->len = (size_t) want;
        rd->pos = 0;
        if (rd->chunk < READ_MAX) {
            rd->chunk *= 2; /* a head read stays small, a restore grows */
        }
    }
    n = rd->len - rd->pos;
    if (n > len) {
        n = len;
    }
    memcpy(buf, rd->buf + rd->pos, n);
    rd->pos += n;
    return (ssize_t) n;
}

static void
s3_get_close(struct mbk_storage_reader *rd)
{
    if (rd != NULL) {
        free(rd->buf);
        free(rd);
    }
}

static int
s3_remove(struct mbk_storage_store *st, const char *name,
          struct mbk_error *err)
{
    char key[MBK_S3_KEY_MAX];
    int rc;

    snprintf(key, sizeof(key), "%s%s", st->prefix, name);
    rc = mbk_s3_exists(st, key, err);
    if (rc == 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "no backup \"%s\" in %s", name, st->location);
    }
    if (rc < 0 || mbk_s3_delete(st, key, err) != 0) {
        return -1;
    }
    snprintf(key, sizeof(key), "%s%s%s", st->prefix, MBK_S3_SIDECARS, name);
    mbk_s3_delete(st, key, NULL); /* there may be none */
    return 0;
}

static int
s3_path(struct mbk_storage_store *st, const char *name, char *buf,
        size_t len, struct mbk_error *err)
{
    (void) st;
    (void) name;
    (void) buf;
    (void) len;
    return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTSUP,
                            "an S3 store has no local path");
}

static const char *const schemes[] = { "s3", NULL };

const struct mbk_storage_plugin mbk_storage_s3_plugin = {
    MBK_STORAGE_ABI,
    sizeof(struct mbk_storage_plugin),
    "s3",
    MBK_STORAGE_CAP_LIST_META | MBK_STORAGE_CAP_REMOVE
        | MBK_STORAGE_CAP_URL_LOCATION,
    schemes,
    s3_open,
    s3_close,
    s3_list,
    s3_stat,
    mbk_s3_put_begin,
    mbk_s3_put_write,
    mbk_s3_put_commit,
    mbk_s3_put_abort,
    s3_get_open,
    s3_get_read,
    s3_get_close,
    s3_remove,
    s3_path,
    { NULL, NULL, NULL, NULL },
};
