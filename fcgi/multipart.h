/*
 * multipart.h: a streaming multipart/form-data parser (RFC 7578) with
 * bounded memory: the body is fed in chunks of any size, part data comes
 * out through a callback as it is found, and the parser never holds more
 * than MBK_FCGI_MP_BUF bytes, whatever the size of the upload.
 * One parser belongs to one thread.
 */
#ifndef MBK_FCGI_MULTIPART_H
#define MBK_FCGI_MULTIPART_H

#include <stddef.h>

#include "engine/error.h"

#define MBK_FCGI_MP_BUF (64 * 1024)
#define MBK_FCGI_MP_HEADERS_MAX 8192 /* the headers of one part */
#define MBK_FCGI_MP_PARTS_MAX 16
#define MBK_FCGI_MP_PADDING_MAX 1024 /* blanks after a boundary */

struct mbk_fcgi_part {
    char name[128];     /* the form field's name */
    char filename[256]; /* "" when not a file */
    char content_type[128];
};

/* Callbacks: 0 to go on, -1 to stop (with err set). */
struct mbk_fcgi_mp_handler {
    int (*begin)(const struct mbk_fcgi_part *part, void *ud,
                 struct mbk_error *err);
    int (*data)(const struct mbk_fcgi_part *part, const char *buf, size_t len,
                void *ud, struct mbk_error *err);
    int (*end)(const struct mbk_fcgi_part *part, void *ud,
               struct mbk_error *err);
    void *ud;
};

struct mbk_fcgi_multipart; /* opaque */

/*
 * A parser for the boundary of content_type ("multipart/form-data;
 * boundary=..."); NULL with HTTP/415 when it is another type, HTTP/400
 * when the boundary is missing or malformed.
 */
struct mbk_fcgi_multipart *
mbk_fcgi_multipart_new(const char *content_type,
                       const struct mbk_fcgi_mp_handler *h,
                       struct mbk_error *err);

void
mbk_fcgi_multipart_free(struct mbk_fcgi_multipart *mp); /* NULL-safe */

/*
 * Progress or fail, on every call: takes *used > 0 of the len > 0 bytes
 * (as many as the window holds) and runs the parser over them, or fails
 * with HTTP/400 naming the part.  A window that stays full (nothing the
 * parser can consume) is an error, never a wait for more input.  After a
 * failure every call fails.
 */
int
mbk_fcgi_multipart_feed_some(struct mbk_fcgi_multipart *mp, const char *data,
                             size_t len, size_t *used, struct mbk_error *err);

/* Feed the next len bytes of the body (feed_some until all are used). */
int
mbk_fcgi_multipart_feed(struct mbk_fcgi_multipart *mp, const char *data,
                        size_t len, struct mbk_error *err);

/* The body ended: -1 (HTTP/400) unless the closing boundary was seen. */
int
mbk_fcgi_multipart_finish(struct mbk_fcgi_multipart *mp,
                          struct mbk_error *err);

#endif /* MBK_FCGI_MULTIPART_H */
