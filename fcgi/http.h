/*
 * http.h: the plain request and response structs the handlers of mbk-fcgi
 * take (no libfcgi type appears here: only fcgi/server.c speaks FCGX), the
 * one table mapping an error (domain, code) to an HTTP status, and the
 * JSON envelopes {"success": true, "data": ...} / {"success": false, ...}.
 * A request and its response belong to one thread.
 */
#ifndef MBK_FCGI_HTTP_H
#define MBK_FCGI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "engine/buf.h"
#include "engine/error.h"

/* Largest JSON body or options field accepted (the upload itself is a
 * file part or a raw body and has no such limit). */
#define MBK_FCGI_JSON_MAX (64 * 1024)

/* Reads the request body: bytes read, 0 at the end, -1 on error (a body
 * cut short is an error, with err set). */
typedef ssize_t (*mbk_fcgi_read_fn)(void *ud, void *buf, size_t len,
                                    struct mbk_error *err);

struct mbk_fcgi_request {
    const char *method;         /* REQUEST_METHOD */
    const char *path;           /* DOCUMENT_URI: normalised, no query */
    const char *query;          /* QUERY_STRING, "" if none */
    const char *content_type;   /* NULL if none */
    int64_t content_length;     /* -1 when unknown (chunked) */
    const char *remote_user;    /* REMOTE_USER, NULL or "" if none */
    const char *remote_addr;
    const char *host;           /* HTTP_HOST */
    const char *origin;         /* HTTP_ORIGIN */
    const char *scheme;         /* REQUEST_SCHEME: "https" or "http" */
    const char *requested_with; /* HTTP_X_REQUESTED_WITH */
    const char *proxy_secret;   /* MBK_PROXY_SECRET, set by nginx only */
    int role;                   /* enum mbk_fcgi_role, set by the router */
    mbk_fcgi_read_fn read;      /* NULL: no body */
    void *read_ud;
};

/* A streaming body: read until 0; close is called once, whatever. */
typedef ssize_t (*mbk_fcgi_stream_fn)(void *ud, void *buf, size_t len,
                                      struct mbk_error *err);
typedef void (*mbk_fcgi_stream_close_fn)(void *ud);

#define MBK_FCGI_HEADERS_MAX 1024

struct mbk_fcgi_response {
    int status;
    char content_type[64];
    char headers[MBK_FCGI_HEADERS_MAX]; /* extra "Name: value\r\n" lines */
    size_t headers_len;
    struct mbk_buf body;
    mbk_fcgi_stream_fn stream; /* when set, the body comes from here */
    mbk_fcgi_stream_close_fn stream_close;
    void *stream_ud;
};

void
mbk_fcgi_response_init(struct mbk_fcgi_response *r);

/* Free the body and close a stream never sent. */
void
mbk_fcgi_response_free(struct mbk_fcgi_response *r);

/* Add "name: value"; values with CR, LF or NUL are refused. */
int
mbk_fcgi_response_header(struct mbk_fcgi_response *r, const char *name,
                         const char *value);

/* {"success": true, "data": data}; takes data (may be NULL: null). */
void
mbk_fcgi_reply_data_take(struct mbk_fcgi_response *r, int status,
                         struct json_object *data);

/* Seconds a 503 answer asks the client to wait (Retry-After): the
 * longest pause between two attempts to open an unavailable storage. */
#define MBK_FCGI_RETRY_AFTER 30
#define MBK_FCGI_RETRY_AFTER_TEXT "30"

/* {"success": false, "error": msg, "details": {domain, code[, field]}}
 * with the status of the table (a 503 with Retry-After); field names the
 * bad input, or NULL. */
void
mbk_fcgi_reply_error(struct mbk_fcgi_response *r,
                     const struct mbk_error *err, const char *field);

/*
 * What an answer must not show: the server's own paths (the storages,
 * the spool, the plugins), each replaced by a label such as "[fs
 * storage]".  Set once at start, before the threads (then read-only).
 */
void
mbk_fcgi_private_path_add(const char *path, const char *label);

/* A message fit for an answer or a log line, into out (out_len bytes):
 * URI passwords masked, the private paths replaced by their labels, any
 * quoted text longer than 120 bytes shortened. */
void
mbk_fcgi_scrub(const char *msg, char *out, size_t out_len);

/* A handler's own failure: domain HTTP, code = the status. */
int
mbk_fcgi_http_error(struct mbk_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The one table: (domain, code) -> HTTP status. */
int
mbk_fcgi_status_of(const struct mbk_error *err);

/* "OK", "Not Found"...: Status lines need the reason phrase. */
const char *
mbk_fcgi_status_reason(int status);

/* The headers every response carries (nosniff, frame and referrer
 * policies, no caching), as "Name: value\r\n" lines. */
extern const char mbk_fcgi_security_headers[];

#endif /* MBK_FCGI_HTTP_H */
