/*
 * s3_http.c: one signed S3 request with libcurl (CURLOPT_AWS_SIGV4 signs;
 * we add x-amz-content-sha256, which curl 7.88 leaves out), retried with
 * exponential backoff and full jitter under a retry budget, and the
 * messages for the statuses S3 answers.  Secrets never reach a message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "storage/s3_private.h"

#define ANSWER_MAX (4u * 1024 * 1024)
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 10000
#define RETRY_COST 5
#define TIMEOUT_COST 10

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode init_rc;

static void
global_init(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
mbk_s3_http_init(struct mbk_error *err)
{
    pthread_once(&once, global_init);
    if (init_rc != CURLE_OK) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                "curl_global_init() failed: %s",
                                curl_easy_strerror(init_rc));
    }
    return 0;
}

static int
unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
           || c == '~';
}

/* Append s percent-encoded (S3's rule: all but unreserved). */
static int
encode_into(char *q, size_t cap, const char *s)
{
    size_t o = strlen(q);

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char) *s;

        if (o + 4 > cap) {
            return -1;
        }
        if (unreserved(c)) {
            q[o++] = (char) c;
        } else {
            o += (size_t) snprintf(q + o, 4, "%%%02X", c);
        }
    }
    q[o] = '\0';
    return 0;
}

int
mbk_s3_query_add(char *q, size_t cap, const char *key, const char *value)
{
    size_t o = strlen(q);

    if (o > 0) {
        if (o + 2 > cap) {
            return -1;
        }
        q[o++] = '&';
        q[o] = '\0';
    }
    if (encode_into(q, cap, key) != 0 || strlen(q) + 2 > cap) {
        return -1;
    }
    strcat(q, "=");
    return encode_into(q, cap, value);
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int
digest(const EVP_MD *md, const void *data, size_t len, unsigned char *out,
       unsigned *outlen)
{
    return EVP_Digest(data, len, out, outlen, md, NULL) == 1 ? 0 : -1;
}

/* Curl's callbacks. */
struct xfer {
    struct mbk_s3_req *req;
    const char *body;
    size_t body_len;
    size_t sent;
    int overflow;
    char why[CURL_ERROR_SIZE]; /* curl's detail of a failure */
};

static size_t
on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t room = size * n;
    size_t left = x->body_len - x->sent;

    if (room > left) {
        room = left;
    }
    memcpy(buf, x->body + x->sent, room);
    x->sent += room;
    return room;
}

static size_t
on_write(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    struct mbk_s3_req *r = x->req;
    size_t len = size * n;

    if (r->out != NULL && r->status / 100 == 2) {
        if (len > r->out_cap - r->out_len) {
            x->overflow = 1;
            return 0;
        }
        memcpy(r->out + r->out_len, data, len);
        r->out_len += len;
        return len;
    }
    if (len > ANSWER_MAX - r->answer.len) {
        x->overflow = 1;
        return 0;
    }
    if (r->answer.len + len + 1 > r->answer.cap) {
        size_t cap = (r->answer.len + len + 1) * 2;
        char *p = realloc(r->answer.data, cap);

        if (p == NULL) {
            return 0;
        }
        r->answer.data = p;
        r->answer.cap = cap;
    }
    memcpy(r->answer.data + r->answer.len, data, len);
    r->answer.len += len;
    r->answer.data[r->answer.len] = '\0';
    return len;
}

static int
header_is(const char *line, size_t len, const char *name, const char **v,
          size_t *vlen)
{
    size_t n = strlen(name);

    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') {
        return 0;
    }
    line += n + 1;
    len -= n + 1;
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'
                       || line[len - 1] == ' ')) {
        len--;
    }
    *v = line;
    *vlen = len;
    return 1;
}

static size_t
on_header(char *line, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    struct mbk_s3_req *r = x->req;
    size_t len = size * n;
    const char *v;
    size_t vl;

    if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', len);

        r->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
        r->out_len = 0;
        r->answer.len = 0;
        free(r->meta_out);
        r->meta_out = NULL;
        r->sidecar_out = 0;
        r->etag[0] = '\0';
    } else if (header_is(line, len, "ETag", &v, &vl)) {
        if (vl < sizeof(r->etag)) {
            memcpy(r->etag, v, vl);
            r->etag[vl] = '\0';
        }
    } else if (header_is(line, len, "Content-Length", &v, &vl)) {
        r->length = strtoull(v, NULL, 10);
    } else if (header_is(line, len, "x-amz-meta-mbk", &v, &vl)) {
        free(r->meta_out);
        r->meta_out = strndup(v, vl);
    } else if (header_is(line, len, "x-amz-meta-mbk-sidecar", &v, &vl)) {
        r->sidecar_out = 1;
    }
    return len;
}

static int
retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
        return 1;
    default:
        return 0;
    }
}

/* The code of a transfer that failed without an answer: the service
 * unreachable (EUNAVAIL), its certificate refused (EREFUSED), else EIO. */
static int32_t
curl_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        return MBK_STORAGE_EUNAVAIL;
    case CURLE_PEER_FAILED_VERIFICATION:
        return MBK_STORAGE_EREFUSED;
    default:
        return MBK_STORAGE_EIO;
    }
}

static int
retryable_status(const struct mbk_s3_req *r)
{
    if (r->status == 500 || r->status == 502 || r->status == 503
        || r->status == 504) {
        return 1;
    }
    /* 400 RequestTimeout: the server gave up waiting for our body. */
    return r->status == 400 && r->answer.data != NULL
           && strstr(r->answer.data, "<Code>RequestTimeout</Code>") != NULL;
}

/* Take cost tokens; 0 when the budget is spent. */
static int
budget_take(struct mbk_storage_store *st, int cost)
{
    int ok;

    pthread_mutex_lock(&st->mu);
    ok = st->budget >= cost;
    if (ok) {
        st->budget -= cost;
    }
    pthread_mutex_unlock(&st->mu);
    return ok;
}

static void
budget_give(struct mbk_storage_store *st, int n)
{
    pthread_mutex_lock(&st->mu);
    st->budget += n;
    if (st->budget > 500) {
        st->budget = 500;
    }
    pthread_mutex_unlock(&st->mu);
}

static void
backoff(unsigned attempt)
{
    unsigned long cap = BACKOFF_BASE_MS << (attempt < 8 ? attempt : 8);
    unsigned long r = 0;
    struct timespec ts;

    if (cap > BACKOFF_CAP_MS) {
        cap = BACKOFF_CAP_MS;
    }
    if (getrandom(&r, sizeof(r), 0) != (ssize_t) sizeof(r)) {
        r = (unsigned long) time(NULL);
    }
    r %= cap + 1; /* full jitter: anywhere in [0, cap] ms */
    ts.tv_sec = (time_t) (r / 1000);
    ts.tv_nsec = (long) (r % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static char *
url_of(const struct mbk_storage_store *st, const struct mbk_s3_req *req)
{
    const char *key = req->key != NULL ? req->key : "";
    const char *q = req->query != NULL ? req->query : "";
    size_t n = strlen(st->endpoint) + strlen(st->bucket) + strlen(key)
               + strlen(q) + 8;
    char *u = malloc(n);

    if (u == NULL) {
        return NULL;
    }
    if (st->virtual_host) {
        const char *host = strstr(st->endpoint, "://") + 3;

        snprintf(u, n, "%.*s%s.%s/%s%s%s", (int) (host - st->endpoint),
                 st->endpoint, st->bucket, host, key, q[0] ? "?" : "", q);
    } else {
        snprintf(u, n, "%s/%s/%s%s%s", st->endpoint, st->bucket, key,
                 q[0] ? "?" : "", q);
    }
    return u;
}

/* The request's headers: payload hash, MD5, metadata, range, token. */
static struct curl_slist *
headers_of(const struct mbk_storage_store *st, const struct mbk_s3_req *req,
           struct mbk_error *err)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    char line[MBK_S3_META_MAX + 200];
    struct curl_slist *h = NULL;
    struct curl_slist *t;
    unsigned dl;
    int ok = 1;

    /* The payload hash curl 7.88 does not send: the body's SHA-256, but
     * for a body with Content-MD5 (parts, objects), which the server
     * checks already, UNSIGNED-PAYLOAD spares a second hash of it. */
    strcpy(line, "x-amz-content-sha256: ");
    if (req->content_md5) {
        strcat(line, "UNSIGNED-PAYLOAD");
    } else if (digest(EVP_sha256(), req->body != NULL ? req->body : "",
                      req->body_len, d, &dl) != 0) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                         "SHA-256 of a request body failed");
        return NULL;
    } else {
        hex(d, dl, line + strlen(line));
    }
#define ADD(s)                                                              \
    do {                                                                    \
        t = curl_slist_append(h, (s));                                      \
        if (t == NULL) {                                                    \
            ok = 0;                                                         \
        } else {                                                            \
            h = t;                                                          \
        }                                                                   \
    } while (0)
    ADD(line);
    if (req->content_md5) {
        unsigned char b64[64];

        digest(EVP_md5(), req->body != NULL ? req->body : "", req->body_len,
               d, &dl);
        EVP_EncodeBlock(b64, d, (int) dl);
        snprintf(line, sizeof(line), "Content-MD5: %s", (char *) b64);
        ADD(line);
    }
    if (req->meta != NULL) {
        snprintf(line, sizeof(line), "x-amz-meta-mbk: %s", req->meta);
        ADD(line);
    }
    if (req->meta_sidecar != NULL) {
        snprintf(line, sizeof(line), "x-amz-meta-mbk-sidecar: %s",
                 req->meta_sidecar);
        ADD(line);
    }
    if (req->if_match != NULL) {
        snprintf(line, sizeof(line), "If-Match: %s", req->if_match);
        ADD(line);
    }
    if (req->range_len > 0) {
        snprintf(line, sizeof(line), "Range: bytes=%llu-%llu",
                 (unsigned long long) req->range_from,
                 (unsigned long long) (req->range_from + req->range_len - 1));
        ADD(line);
    }
    if (st->token != NULL && st->token[0] != '\0') {
        size_t n = strlen(st->token) + 32;
        char *tl = malloc(n);

        if (tl == NULL) {
            ok = 0;
        } else {
            snprintf(tl, n, "x-amz-security-token: %s", st->token);
            ADD(tl);
            explicit_bzero(tl, n);
            free(tl);
        }
    }
#undef ADD
    if (!ok) {
        curl_slist_free_all(h);
        mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM, "out of memory");
        return NULL;
    }
    return h;
}

static CURLcode
perform_once(struct mbk_storage_store *st, CURL *c, struct mbk_s3_req *req,
             const char *url, struct curl_slist *hdrs, struct xfer *x)
{
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, st->sigv4);
    curl_easy_setopt(c, CURLOPT_USERNAME, st->key_id);
    curl_easy_setopt(c, CURLOPT_PASSWORD, st->secret);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, st->tls_verify);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, st->tls_verify ? 2L : 0L);
    if (st->ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, st->ca_file);
    }
    x->why[0] = '\0';
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->why);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled transfer (under 1 KB/s for a minute) is a timeout. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(req->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, x);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t) req->body_len);
    } else if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                         req->body != NULL ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) req->body_len);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    }
    return curl_easy_perform(c);
}

int
mbk_s3_request(struct mbk_storage_store *st, struct mbk_s3_req *req,
               struct mbk_error *err)
{
    struct curl_slist *hdrs;
    char *url;
    CURL *c;
    unsigned attempt;
    int spent = 0;
    int rc = -1;

    url = url_of(st, req);
    hdrs = url == NULL ? NULL : headers_of(st, req, err);
    c = hdrs == NULL ? NULL : curl_easy_init();
    if (c == NULL) {
        if (url == NULL || hdrs != NULL) {
            mbk_storage_fail(err, MBK_ERROR_SYS, ENOMEM,
                             "S3 request: out of memory");
        }
        goto out;
    }
    for (attempt = 0;; attempt++) {
        struct xfer x = { req, req->body, req->body_len, 0, 0, "" };
        CURLcode cc;
        long ft = -1;

        req->status = 0;
        cc = perform_once(st, c, req, url, hdrs, &x);
        if (cc == CURLE_OK) {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &req->status);
            curl_easy_getinfo(c, CURLINFO_FILETIME, &ft);
            req->mtime = ft;
            if (!retryable_status(req)) {
                budget_give(st, spent > 0 ? spent : 1);
                rc = 0;
                break;
            }
        } else if (x.overflow) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                             "S3 %s %s/%s: the answer is larger than "
                             "expected", req->method, st->bucket,
                             req->key != NULL ? req->key : "");
            break;
        } else if (!retryable_curl(cc)) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, curl_code(cc),
                             "S3 %s %s/%s at %s failed: %s%s%s%s%s",
                             req->method, st->bucket,
                             req->key != NULL ? req->key : "", st->endpoint,
                             curl_easy_strerror(cc), x.why[0] ? " (" : "",
                             x.why, x.why[0] ? ")" : "",
                             cc == CURLE_PEER_FAILED_VERIFICATION
                                 ? ": the server's TLS certificate is not "
                                   "trusted; give its CA with the option "
                                   "ca_file="
                                 : "");
            break;
        }
        if (attempt + 1 >= st->max_attempts
            || !budget_take(st, cc == CURLE_OPERATION_TIMEDOUT ? TIMEOUT_COST
                                                               : RETRY_COST)) {
            if (cc == CURLE_OK) {
                rc = 0; /* the caller reports the last status */
            } else {
                mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EUNAVAIL,
                                 "S3 %s %s/%s at %s failed after %u "
                                 "attempts: %s", req->method, st->bucket,
                                 req->key != NULL ? req->key : "",
                                 st->endpoint, attempt + 1,
                                 curl_easy_strerror(cc));
            }
            break;
        }
        spent += cc == CURLE_OPERATION_TIMEDOUT ? TIMEOUT_COST : RETRY_COST;
        backoff(attempt);
    }
out:
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(url);
    return rc;
}

void
mbk_s3_req_free(struct mbk_s3_req *req)
{
    free(req->answer.data);
    free(req->meta_out);
    req->answer.data = NULL;
    req->meta_out = NULL;
}

int
mbk_s3_fail_status(struct mbk_storage_store *st,
                   const struct mbk_s3_req *req, const char *what,
                   struct mbk_error *err)
{
    char code[64] = "";
    char msg[300] = "";
    const char *hint = "";
    int32_t ecode = MBK_STORAGE_EIO;
    const char *a = req->answer.data;
    const char *end = a != NULL ? a + req->answer.len : NULL;

    if (a != NULL) {
        mbk_s3_xml_get(a, end, "Code", code, sizeof(code));
        mbk_s3_xml_get(a, end, "Message", msg, sizeof(msg));
    }
    if (strcmp(code, "RequestTimeTooSkewed") == 0) {
        hint = ": this machine's clock differs from the server's by more "
               "than 15 minutes; set the clock (NTP) and retry";
    } else if (strcmp(code, "SignatureDoesNotMatch") == 0) {
        hint = ": the secret access key is wrong for this access key id";
    } else if (strcmp(code, "InvalidAccessKeyId") == 0) {
        hint = ": the server does not know this access key id";
    } else if (strcmp(code, "NoSuchBucket") == 0) {
        hint = ": the bucket does not exist (create it first)";
        ecode = MBK_STORAGE_EREFUSED;
    } else if (req->status == 403) {
        hint = ": access denied (check the credentials and the bucket's "
               "policy)";
    }
    if (req->status == 403 || req->status == 401) {
        ecode = MBK_STORAGE_EREFUSED;
    } else if (req->status == 404 && code[0] == '\0' && req->key == NULL) {
        ecode = MBK_STORAGE_EREFUSED; /* the bucket, without an answer */
    } else if (req->status >= 500) {
        ecode = MBK_STORAGE_EUNAVAIL; /* after the retries */
    }
    return mbk_storage_fail(err, MBK_ERROR_STORAGE, ecode,
                            "S3 %s bucket \"%s\" key \"%s\" at %s: HTTP %ld"
                            "%s%s%s%s%s%s", what, st->bucket,
                            req->key != NULL ? req->key : "", st->endpoint,
                            req->status, code[0] ? " " : "", code,
                            msg[0] ? " (" : "", msg, msg[0] ? ")" : "", hint);
}

char *
mbk_s3_meta_encode(const char *json, size_t max)
{
    size_t n = strlen(json);
    char *out;
    size_t o = 0;
    size_t i;

    if (n > max) {
        return NULL;
    }
    out = malloc(max + 1);
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) json[i];

        if (c >= 0x20 && c < 0x7f && c != '%') {
            if (o + 1 > max) {
                free(out);
                return NULL;
            }
            out[o++] = (char) c;
        } else {
            if (o + 3 > max) {
                free(out);
                return NULL;
            }
            snprintf(out + o, 4, "%%%02X", c);
            o += 3;
        }
    }
    out[o] = '\0';
    return out;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char) tolower((unsigned char) c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *
mbk_s3_meta_decode(const char *v)
{
    char *out = malloc(strlen(v) + 1);
    size_t o = 0;

    if (out == NULL) {
        return NULL;
    }
    while (*v != '\0') {
        if (*v == '%' && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
            out[o++] = (char) (hexval(v[1]) * 16 + hexval(v[2]));
            v += 3;
        } else {
            out[o++] = *v++;
        }
    }
    out[o] = '\0';
    return out;
}
