/*
 * s3_private.h: what the S3 plugin's files share: the store's settings,
 * one signed request with retries (s3_http.c), the few XML answers
 * (s3_xml.c) and the configuration sources (s3_conf.c).
 * A store is shared by threads: its settings are read-only after open,
 * the retry budget is behind a mutex; each request uses its own handle.
 */
#ifndef MBK_S3_PRIVATE_H
#define MBK_S3_PRIVATE_H

#include <pthread.h>
#include <stdint.h>

#include "storage/mbk_storage.h"

#define MBK_S3_PART_MIN (5u * 1024 * 1024)    /* S3's minimum part */
#define MBK_S3_PART_DEFAULT (8u * 1024 * 1024)
#define MBK_S3_PART_MAX (64u * 1024 * 1024)
#define MBK_S3_META_MAX 1800 /* encoded x-amz-meta-mbk, under S3's 2 KB */
#define MBK_S3_KEY_MAX 1024

struct mbk_storage_store {
    char *bucket;
    char *prefix;    /* "" or "dir/sub/": keys are prefix + name */
    char *endpoint;  /* "http://127.0.0.1:8000", no trailing slash */
    char *region;
    int virtual_host; /* 1: http://BUCKET.host/KEY, 0: http://host/BUCKET/KEY */
    char *key_id;
    char *secret; /* never in a message */
    char *token;  /* session token or NULL; never in a message */
    char *sigv4;  /* "aws:amz:REGION:s3" for CURLOPT_AWS_SIGV4 */
    long tls_verify;
    char *ca_file;    /* CA bundle for TLS (option ca_file) or NULL */
    size_t part_size;
    unsigned list_page;   /* max-keys of a ListObjectsV2 page */
    long stale_age;       /* seconds after which another host's upload is
                           * taken as dead */
    unsigned max_attempts; /* per request */
    pthread_mutex_t mu;   /* guards budget */
    int budget;           /* retry tokens (AWS "standard" retry mode) */
    char location[MBK_S3_KEY_MAX + 64]; /* "s3://bucket/prefix" for messages */
};

/* A bounded byte buffer. */
struct mbk_s3_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* growth limit */
};

/* One request and its answer.  Zero it, set the inputs, call
 * mbk_s3_request; free the answer with mbk_s3_req_free. */
struct mbk_s3_req {
    const char *method;    /* GET HEAD PUT POST DELETE */
    const char *key;       /* the object's whole key, NULL: the bucket */
    const char *query;     /* canonical (mbk_s3_query_add) or NULL */
    const void *body;      /* PUT and POST */
    size_t body_len;
    int content_md5;       /* 1: send the body's Content-MD5 */
    const char *meta;      /* x-amz-meta-mbk value or NULL */
    const char *meta_sidecar; /* x-amz-meta-mbk-sidecar value or NULL */
    const char *if_match;  /* ETag for If-Match or NULL */
    uint64_t range_from;
    uint64_t range_len;    /* 0: no Range */
    char *out;             /* GET: the body goes here (out_cap bytes) */
    size_t out_cap;
    /* The answer. */
    long status;
    struct mbk_s3_buf answer; /* body when out is NULL (max 4 MiB) */
    size_t out_len;
    char etag[130];
    uint64_t length;       /* Content-Length */
    int64_t mtime;         /* Last-Modified, seconds */
    char *meta_out;        /* x-amz-meta-mbk, decoded later */
    int sidecar_out;       /* x-amz-meta-mbk-sidecar present */
};

/* s3_conf.c */
struct mbk_storage_store *mbk_s3_conf_open(
    const struct mbk_storage_location *loc, struct mbk_error *err);
void mbk_s3_conf_free(struct mbk_storage_store *st);
/* This host's name as it appears in upload markers: [A-Za-z0-9_-]. */
void mbk_s3_host_name(char *host, size_t cap);

/* s3_http.c */
int mbk_s3_http_init(struct mbk_error *err);
/* Append key=value to a query, percent-encoded; the caller adds keys in
 * sorted order (curl 7.88 signs the query as given). */
int mbk_s3_query_add(char *q, size_t cap, const char *key, const char *value);
/* Run req with retries.  0 when an answer came (any status: the caller
 * judges it with mbk_s3_fail_status), -1 with err when none did. */
int mbk_s3_request(struct mbk_storage_store *st, struct mbk_s3_req *req,
                   struct mbk_error *err);
void mbk_s3_req_free(struct mbk_s3_req *req);
/* Fill err from a status that is not the one wanted: the operation, the
 * bucket and key, S3's code and message, and what to do about it.  Codes:
 * 401/403 and a missing bucket STORAGE/EREFUSED, 5xx (after the retries)
 * STORAGE/EUNAVAIL, else EIO; mbk_s3_request's own failures without an
 * answer are EUNAVAIL (unreachable, timeouts) or EREFUSED (TLS). */
int mbk_s3_fail_status(struct mbk_storage_store *st,
                       const struct mbk_s3_req *req, const char *what,
                       struct mbk_error *err);
/* Percent-encode meta for a header (NULL when it does not fit max). */
char *mbk_s3_meta_encode(const char *json, size_t max);
char *mbk_s3_meta_decode(const char *value);

/* s3_xml.c: the answers are small and flat; these find <Tag>text</Tag>. */
/* The content of the next <tag>...</tag> in [p, end): its start, *vend
 * its end; NULL when there is none. */
const char *mbk_s3_xml_find(const char *p, const char *end, const char *tag,
                            const char **vend);
/* Copy the text of [s, e) unescaped into out (cap with NUL): 0, or -1
 * when it does not fit or has a bad entity. */
int mbk_s3_xml_text(const char *s, const char *e, char *out, size_t cap);
/* The text of the first <tag> in [p, end) into out; -1 if absent. */
int mbk_s3_xml_get(const char *p, const char *end, const char *tag, char *out,
                   size_t cap);
/* "2026-11-30T20:50:01.123Z" to seconds, -1 if malformed. */
int64_t mbk_s3_xml_time(const char *s);

#endif /* MBK_S3_PRIVATE_H */
