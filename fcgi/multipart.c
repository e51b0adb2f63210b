/*
 * multipart.c: the streaming multipart/form-data parser.  A window of
 * MBK_FCGI_MP_BUF bytes slides over the body; the delimiter "\r\n--B" is
 * searched in it, and everything before a possible delimiter start is
 * handed out at once.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fcgi/http.h"
#include "fcgi/multipart.h"

enum state {
    S_PREAMBLE = 0,
    S_AFTER_DELIM,
    S_HEADERS,
    S_BODY,
    S_EPILOGUE
};

struct mbk_fcgi_multipart {
    struct mbk_fcgi_mp_handler h;
    enum state state;
    char delim[80]; /* "\r\n--" boundary */
    size_t dlen;
    unsigned parts;
    struct mbk_fcgi_part part;
    size_t padding; /* transport padding skipped after this delimiter */
    size_t len;
    bool failed; /* refused: every later call fails too */
    char buf[MBK_FCGI_MP_BUF];
};

/* The boundary parameter, unquoted, into out (at most 70 bytes). */
static int
boundary_of(const char *ct, char *out, size_t outlen, struct mbk_error *err)
{
    const char *p = ct;
    size_t n = 0;

    while ((p = strchr(p, ';')) != NULL) {
        p++;
        p += strspn(p, " \t");
        if (strncasecmp(p, "boundary=", 9) == 0) {
            break;
        }
    }
    if (p == NULL) {
        return mbk_fcgi_http_error(err, 400, "multipart body without a "
                                   "boundary");
    }
    p += 9;
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');

        if (q == NULL) {
            return mbk_fcgi_http_error(err, 400, "unterminated boundary");
        }
        n = (size_t)(q - p - 1);
        p++;
    } else {
        n = strcspn(p, "; \t");
    }
    /* RFC 2046: 1..70 characters of a restricted set. */
    if (n == 0 || n > 70 || n + 1 > outlen) {
        return mbk_fcgi_http_error(err, 400, "the multipart boundary must "
                                   "be 1 to 70 characters");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c < 0x20 || c > 0x7e) {
            return mbk_fcgi_http_error(err, 400, "the multipart boundary "
                                       "has a bad character");
        }
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

struct mbk_fcgi_multipart *
mbk_fcgi_multipart_new(const char *content_type,
                       const struct mbk_fcgi_mp_handler *h,
                       struct mbk_error *err)
{
    struct mbk_fcgi_multipart *mp;
    char b[72];

    if (content_type == NULL ||
        strncasecmp(content_type, "multipart/form-data", 19) != 0 ||
        (content_type[19] != ';' && content_type[19] != '\0' &&
         content_type[19] != ' ')) {
        mbk_fcgi_http_error(err, 415, "expected multipart/form-data");
        return NULL;
    }
    if (boundary_of(content_type, b, sizeof(b), err) != 0) {
        return NULL;
    }
    mp = calloc(1, sizeof(*mp));
    if (mp == NULL) {
        mbk_fcgi_http_error(err, 500, "out of memory");
        return NULL;
    }
    mp->h = *h;
    mp->dlen = (size_t)snprintf(mp->delim, sizeof(mp->delim), "\r\n--%s", b);
    /* The first delimiter may open the body: pretend a CRLF came before. */
    memcpy(mp->buf, "\r\n", 2);
    mp->len = 2;
    return mp;
}

void
mbk_fcgi_multipart_free(struct mbk_fcgi_multipart *mp)
{
    free(mp);
}

static void
consume(struct mbk_fcgi_multipart *mp, size_t n)
{
    memmove(mp->buf, mp->buf + n, mp->len - n);
    mp->len -= n;
}

/* A parameter of a Content-Disposition value: name="x" or name=x. */
static void
disposition_param(const char *v, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    const char *p = v;

    out[0] = '\0';
    while ((p = strchr(p, ';')) != NULL) {
        size_t n;

        p++;
        p += strspn(p, " \t");
        if (strncasecmp(p, key, klen) != 0 || p[klen] != '=') {
            continue;
        }
        p += klen + 1;
        if (*p == '"') {
            p++;
            n = strcspn(p, "\"");
        } else {
            n = strcspn(p, "; \t");
        }
        if (n >= outlen) {
            n = outlen - 1;
        }
        memcpy(out, p, n);
        out[n] = '\0';
        return;
    }
}

static int
parse_headers(struct mbk_fcgi_multipart *mp, char *h, struct mbk_error *err)
{
    char *save = NULL;
    bool disposition = false;

    memset(&mp->part, 0, sizeof(mp->part));
    for (char *line = strtok_r(h, "\r\n", &save); line != NULL;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        char *v;

        if (colon == NULL) {
            return mbk_fcgi_http_error(err, 400, "a multipart header line "
                                       "has no colon");
        }
        *colon = '\0';
        v = colon + 1 + strspn(colon + 1, " \t");
        if (strcasecmp(line, "Content-Disposition") == 0) {
            if (strncasecmp(v, "form-data", 9) != 0) {
                return mbk_fcgi_http_error(err, 400, "a part is not "
                                           "form-data");
            }
            disposition = true;
            disposition_param(v, "name", mp->part.name,
                              sizeof(mp->part.name));
            disposition_param(v, "filename", mp->part.filename,
                              sizeof(mp->part.filename));
        } else if (strcasecmp(line, "Content-Type") == 0) {
            snprintf(mp->part.content_type, sizeof(mp->part.content_type),
                     "%s", v);
        }
    }
    if (!disposition || mp->part.name[0] == '\0') {
        return mbk_fcgi_http_error(err, 400, "a part has no "
                                   "Content-Disposition name");
    }
    return 0;
}

/* HTTP/400 naming the part being read: its number from 1 and, once its
 * headers were read, its field name. */
static int __attribute__((format(printf, 3, 4)))
part_error(const struct mbk_fcgi_multipart *mp, struct mbk_error *err,
           const char *fmt, ...)
{
    char what[256];
    va_list ap;
    bool named = mp->state == S_BODY && mp->part.name[0] != '\0';

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (named) {
        return mbk_fcgi_http_error(err, 400, "multipart part %u (\"%.64s\"): "
                                   "%s", mp->parts, mp->part.name, what);
    }
    return mbk_fcgi_http_error(err, 400, "multipart part %u: %s",
                               mp->parts + 1, what);
}

/* Run the state machine over the window; returns with bytes kept when it
 * needs more input. */
static int
process(struct mbk_fcgi_multipart *mp, struct mbk_error *err)
{
    for (;;) {
        switch (mp->state) {
        case S_PREAMBLE:
        case S_BODY: {
            char *d = memmem(mp->buf, mp->len, mp->delim, mp->dlen);
            size_t safe;

            if (d != NULL) {
                size_t i = (size_t)(d - mp->buf);

                if (mp->state == S_BODY &&
                    ((i > 0 && mp->h.data(&mp->part, mp->buf, i, mp->h.ud,
                                          err) != 0) ||
                     mp->h.end(&mp->part, mp->h.ud, err) != 0)) {
                    return -1;
                }
                consume(mp, i + mp->dlen);
                mp->state = S_AFTER_DELIM;
                continue;
            }
            safe = mp->len >= mp->dlen ? mp->len - (mp->dlen - 1) : 0;
            if (mp->state == S_BODY && safe > 0 &&
                mp->h.data(&mp->part, mp->buf, safe, mp->h.ud, err) != 0) {
                return -1;
            }
            consume(mp, safe);
            return 0;
        }
        case S_AFTER_DELIM: {
            size_t ws = 0;

            /* Transport padding (spaces, tabs) may follow a delimiter:
             * skipped as it comes, never kept, and bounded. */
            while (ws < mp->len &&
                   (mp->buf[ws] == ' ' || mp->buf[ws] == '\t')) {
                ws++;
            }
            mp->padding += ws;
            consume(mp, ws);
            if (mp->padding > MBK_FCGI_MP_PADDING_MAX) {
                return part_error(mp, err, "more than %d bytes of padding "
                                  "after its boundary",
                                  MBK_FCGI_MP_PADDING_MAX);
            }
            if (mp->len < 2) {
                return 0;
            }
            if (mp->padding == 0 && mp->buf[0] == '-' && mp->buf[1] == '-') {
                mp->state = S_EPILOGUE;
                continue;
            }
            if (mp->buf[0] != '\r' || mp->buf[1] != '\n') {
                return part_error(mp, err, "its boundary is not followed "
                                  "by CRLF");
            }
            consume(mp, 2);
            mp->padding = 0;
            mp->state = S_HEADERS;
            continue;
        }
        case S_HEADERS: {
            char *e = memmem(mp->buf, mp->len, "\r\n\r\n", 4);
            size_t n;

            if (mp->len >= 2 && mp->buf[0] == '\r' && mp->buf[1] == '\n') {
                return mbk_fcgi_http_error(err, 400, "a part has no "
                                           "Content-Disposition name");
            }
            if (e == NULL) {
                if (mp->len > MBK_FCGI_MP_HEADERS_MAX) {
                    return part_error(mp, err, "its headers are longer "
                                      "than %d bytes",
                                      MBK_FCGI_MP_HEADERS_MAX);
                }
                return 0;
            }
            n = (size_t)(e - mp->buf);
            if (n > MBK_FCGI_MP_HEADERS_MAX) {
                return part_error(mp, err, "its headers are longer than %d "
                                  "bytes", MBK_FCGI_MP_HEADERS_MAX);
            }
            if (++mp->parts > MBK_FCGI_MP_PARTS_MAX) {
                return mbk_fcgi_http_error(err, 400, "too many parts in the "
                                           "form");
            }
            {
                char h[MBK_FCGI_MP_HEADERS_MAX + 1];

                memcpy(h, mp->buf, n);
                h[n] = '\0';
                if (memchr(h, '\0', n) != NULL ||
                    parse_headers(mp, h, err) != 0) {
                    if (err != NULL && err->domain != MBK_ERROR_HTTP) {
                        mbk_fcgi_http_error(err, 400, "bad part headers");
                    }
                    return -1;
                }
            }
            consume(mp, n + 4);
            mp->state = S_BODY;
            if (mp->h.begin(&mp->part, mp->h.ud, err) != 0) {
                return -1;
            }
            continue;
        }
        case S_EPILOGUE:
            mp->len = 0;
            return 0;
        }
        return 0;
    }
}

int
mbk_fcgi_multipart_feed_some(struct mbk_fcgi_multipart *mp, const char *data,
                             size_t len, size_t *used, struct mbk_error *err)
{
    size_t take = sizeof(mp->buf) - mp->len;

    *used = 0;
    if (mp->failed) {
        return mbk_fcgi_http_error(err, 400, "the multipart body was already "
                                   "refused");
    }
    if (take > len) {
        take = len;
    }
    memcpy(mp->buf + mp->len, data, take);
    mp->len += take;
    *used = take;
    if (process(mp, err) != 0) {
        mp->failed = true;
        return -1;
    }
    /* Progress or fail: a window still full after processing can never
     * move again, and waiting for more input would spin for ever. */
    if (mp->len == sizeof(mp->buf)) {
        mp->failed = true;
        return part_error(mp, err, "the parser's %d-byte window is full "
                          "without progress", MBK_FCGI_MP_BUF);
    }
    return 0;
}

int
mbk_fcgi_multipart_feed(struct mbk_fcgi_multipart *mp, const char *data,
                        size_t len, struct mbk_error *err)
{
    while (len > 0) {
        size_t used = 0;

        if (mbk_fcgi_multipart_feed_some(mp, data, len, &used, err) != 0) {
            return -1;
        }
        data += used;
        len -= used;
    }
    return 0;
}

int
mbk_fcgi_multipart_finish(struct mbk_fcgi_multipart *mp,
                          struct mbk_error *err)
{
    if (mp->state != S_EPILOGUE) {
        return mbk_fcgi_http_error(err, 400, "the multipart body ends before "
                                   "its closing boundary");
    }
    return 0;
}
