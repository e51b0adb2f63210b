/*
 * http.c: responses of mbk-fcgi: headers, the JSON envelopes, and the one
 * table from an error's (domain, code) to its HTTP status (STYLE.md §3).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/audit/audit.h"
#include "engine/mongo/mongo.h"
#include "fcgi/http.h"
#include "storage/loader.h"

/* Every answer: the API returns JSON or a file, never a page to frame. */
const char mbk_fcgi_security_headers[] =
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n"
    "Cache-Control: no-store\r\n";

void
mbk_fcgi_response_init(struct mbk_fcgi_response *r)
{
    memset(r, 0, sizeof(*r));
    r->status = 200;
    snprintf(r->content_type, sizeof(r->content_type), "application/json");
    /* Error bodies and listings stay small; 64 MiB is a hard ceiling. */
    mbk_buf_init(&r->body, 64u * 1024 * 1024);
}

void
mbk_fcgi_response_free(struct mbk_fcgi_response *r)
{
    if (r == NULL) {
        return;
    }
    mbk_buf_free(&r->body);
    if (r->stream_close != NULL) {
        r->stream_close(r->stream_ud);
    }
    r->stream = NULL;
    r->stream_close = NULL;
    r->stream_ud = NULL;
}

int
mbk_fcgi_response_header(struct mbk_fcgi_response *r, const char *name,
                         const char *value)
{
    int n;

    if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n: ") != NULL) {
        return -1;
    }
    n = snprintf(r->headers + r->headers_len,
                 sizeof(r->headers) - r->headers_len, "%s: %s\r\n", name,
                 value);
    if (n < 0 || (size_t)n >= sizeof(r->headers) - r->headers_len) {
        r->headers[r->headers_len] = '\0';
        return -1;
    }
    r->headers_len += (size_t)n;
    return 0;
}

static void
set_body(struct mbk_fcgi_response *r, struct json_object *o)
{
    const char *text = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

    mbk_buf_reset(&r->body);
    if (mbk_buf_append_str(&r->body, text, NULL) != 0 ||
        mbk_buf_append(&r->body, "\n", 1, NULL) != 0) {
        /* Too big to send: say so in a body that always fits. */
        mbk_buf_reset(&r->body);
        r->status = 500;
        mbk_buf_append_str(&r->body, "{\"success\":false,\"error\":"
                           "\"response too large\",\"details\":{}}\n", NULL);
    }
}

void
mbk_fcgi_reply_data_take(struct mbk_fcgi_response *r, int status,
                         struct json_object *data)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "data", data);
    r->status = status;
    snprintf(r->content_type, sizeof(r->content_type), "application/json");
    set_body(r, o);
    json_object_put(o);
}

void
mbk_fcgi_reply_error(struct mbk_fcgi_response *r,
                     const struct mbk_error *err, const char *field)
{
    struct json_object *o = json_object_new_object();
    struct json_object *d = json_object_new_object();

    json_object_object_add(d, "domain", json_object_new_string(
                                            mbk_error_domain_name(err->domain)));
    json_object_object_add(d, "code", json_object_new_int(err->code));
    if (field == NULL || field[0] == '\0') {
        field = err->field; /* the field the error itself names */
    }
    if (field[0] != '\0') {
        json_object_object_add(d, "field", json_object_new_string(field));
    }
    json_object_object_add(o, "success", json_object_new_boolean(0));
    {
        char msg[sizeof(err->message) + 64];

        mbk_fcgi_scrub(err->message[0] != '\0' ? err->message
                                               : "unknown error",
                       msg, sizeof(msg));
        json_object_object_add(o, "error", json_object_new_string(msg));
    }
    json_object_object_add(o, "details", d);
    r->status = mbk_fcgi_status_of(err);
    if (r->status == 503 && strstr(r->headers, "Retry-After:") == NULL) {
        /* MongoDB or a storage down: when to ask again */
        mbk_fcgi_response_header(r, "Retry-After",
                                 MBK_FCGI_RETRY_AFTER_TEXT);
    }
    snprintf(r->content_type, sizeof(r->content_type), "application/json");
    if (r->stream_close != NULL) {
        r->stream_close(r->stream_ud);
        r->stream = NULL;
        r->stream_close = NULL;
    }
    set_body(r, o);
    json_object_put(o);
}

/* ---- what answers must not show ------------------------------------- */

#define PRIVATE_MAX 32
#define QUOTE_MAX 120

static struct {
    char *path;
    size_t len;
    char *label;
} private_paths[PRIVATE_MAX];
static size_t nprivate;

void
mbk_fcgi_private_path_add(const char *path, const char *label)
{
    size_t n = path != NULL ? strlen(path) : 0;

    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    if (n < 2 || nprivate == PRIVATE_MAX) {
        return; /* "/" alone would blank every path */
    }
    private_paths[nprivate].path = strndup(path, n);
    private_paths[nprivate].label = strdup(label);
    if (private_paths[nprivate].path == NULL ||
        private_paths[nprivate].label == NULL) {
        free(private_paths[nprivate].path);
        free(private_paths[nprivate].label);
        return;
    }
    private_paths[nprivate].len = n;
    nprivate++;
}

void
mbk_fcgi_scrub(const char *msg, char *out, size_t out_len)
{
    bool changed = false;
    char *clean = mbk_audit_redact_uris(msg, &changed);
    const char *s = changed ? (clean != NULL ? clean : "(message withheld)")
                            : msg;
    size_t o = 0;

    while (*s != '\0' && o + 1 < out_len) {
        bool replaced = false;

        for (size_t i = 0; i < nprivate; i++) {
            size_t n = private_paths[i].len;

            if (strncmp(s, private_paths[i].path, n) == 0 &&
                (s[n] == '/' || s[n] == '"' || s[n] == '\0' || s[n] == ' ' ||
                 s[n] == ':' || s[n] == ',' || s[n] == ')')) {
                o += (size_t)snprintf(out + o, out_len - o, "%s",
                                      private_paths[i].label);
                s += n;
                replaced = true;
                break;
            }
        }
        if (replaced) {
            continue;
        }
        if (*s == '"') {
            const char *q = strchr(s + 1, '"');

            if (q != NULL && (size_t)(q - s - 1) > QUOTE_MAX) {
                size_t k = QUOTE_MAX;

                while (k > 0 && ((unsigned char)s[1 + k] & 0xc0) == 0x80) {
                    k--; /* cut on a UTF-8 character boundary */
                }
                o += (size_t)snprintf(out + o, out_len - o, "\"%.*s...\"",
                                      (int)k, s + 1);
                s = q + 1;
                continue;
            }
        }
        out[o++] = *s++;
    }
    if (o >= out_len) {
        o = out_len - 1;
    }
    out[o] = '\0';
    free(clean);
}

int
mbk_fcgi_http_error(struct mbk_error *err, int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mbk_error_vset(err, MBK_ERROR_HTTP, status, fmt, ap);
    va_end(ap);
    return -1;
}

static int
engine_status(int32_t code)
{
    switch (code) {
    case MBK_ENGINE_EINVAL:
    case MBK_ENGINE_EBADNAME:
        return 400;
    case MBK_ENGINE_EFORMAT:
    case MBK_ENGINE_EDIGEST:
        return 422;
    case MBK_ENGINE_ECANCELED:
    case MBK_ENGINE_EBUSY:
        return 409;
    case MBK_ENGINE_ELIMIT: /* input over a limit */
        return 413;
    case MBK_ENGINE_ENOMEM: /* 413 while engine/ejson_read* still reports
                             * its limits as ENOMEM (issue 12), then 500 */
        return 413;
    default:
        return 500;
    }
}

static int
storage_status(int32_t code)
{
    switch (code) {
    case MBK_STORAGE_ENOTFOUND:
        return 404;
    case MBK_STORAGE_EEXIST:
    case MBK_STORAGE_EBUSY:
        return 409;
    case MBK_STORAGE_EBADNAME:
    case MBK_STORAGE_ENOTSUP:
        return 400;
    case MBK_STORAGE_ECORRUPT:
        return 422;
    case MBK_STORAGE_EUNAVAIL: /* the remote service down: try later */
        return 503;
    case MBK_STORAGE_EREFUSED: /* the remote service refuses our keys,
                                * access or bucket: its answer is the
                                * cause, not this server (not 500) */
        return 502;
    default: /* EIO, EBADROOT: the server's configuration or disk */
        return 500;
    }
}

static int
mongo_status(int32_t code)
{
    switch (code) {
    case MBK_MONGO_CODE_UNREACHABLE: /* engine/mongo/: stream, selection */
    case 6:     /* HostUnreachable */
    case 7:     /* HostNotFound */
    case 89:    /* NetworkTimeout */
    case 91:    /* ShutdownInProgress */
    case 9001:  /* SocketException */
        return 503;
    case MBK_MONGO_CODE_NAMESPACE_NOT_FOUND:
        return 404;
    case MBK_MONGO_CODE_NAMESPACE_EXISTS:
    case MBK_MONGO_CODE_DUPLICATE_KEY:
        return 409;
    default:
        return 500;
    }
}

int
mbk_fcgi_status_of(const struct mbk_error *err)
{
    switch (err->domain) {
    case MBK_ERROR_HTTP:
        return err->code >= 400 && err->code <= 599 ? err->code : 500;
    case MBK_ERROR_ENGINE:
        return engine_status(err->code);
    case MBK_ERROR_STORAGE:
        return storage_status(err->code);
    case MBK_ERROR_MONGO:
        return mongo_status(err->code);
    case MBK_ERROR_JSON:
        return 400;
    case MBK_ERROR_SYS:
        return err->code == ENOSPC || err->code == EDQUOT ? 507 : 500;
    default: /* PLUGIN, ARCHIVE, NONE */
        return 500;
    }
}

const char *
mbk_fcgi_status_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {200, "OK"}, {201, "Created"}, {202, "Accepted"},
        {204, "No Content"}, {400, "Bad Request"}, {401, "Unauthorized"},
        {403, "Forbidden"}, {404, "Not Found"},
        {405, "Method Not Allowed"}, {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"}, {413, "Content Too Large"},
        {415, "Unsupported Media Type"}, {422, "Unprocessable Content"},
        {500, "Internal Server Error"}, {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {507, "Insufficient Storage"},
    };

    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (reasons[i].status == status) {
            return reasons[i].reason;
        }
    }
    return "Unknown";
}
