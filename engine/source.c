/*
 * source.c: reading a backup file: gzip or plain JSON by magic bytes,
 * concatenated gzip members (each block-sized one inflated at once by
 * libdeflate, anything else streamed by zlib), a bound on the decompressed
 * total.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "engine/ejson/ejson_read.h"
#include "engine/gzip.h"
#include "engine/source.h"

#define RAW_CHUNK (128 * 1024)

enum kind { UNKNOWN, PLAIN, GZIP };

struct mbk_source {
    mbk_source_read_fn fn;
    void *ud;
    uint64_t max_total;
    uint64_t total; /* decompressed bytes handed out */
    uint64_t raw;   /* raw bytes read */
    enum kind kind;
    int eof;        /* the raw input ended */
    int member_end; /* inflate ended a member; more may follow */
    z_stream z;
    int z_live;
    struct mbk_gzip_inflater *fast;
    const unsigned char *out; /* inflated by fast, not handed out yet */
    size_t out_len;
    unsigned char *in;
    size_t in_cap;
    size_t in_len;
    size_t in_pos;
    char what[200];
    /* storage-backed sources */
    struct mbk_storage *st;
    struct mbk_storage_reader *rd;
    int fd;
    int own_fd;
    mbk_source_tee_fn tee;
    void *tee_ud;
};

struct mbk_source *
mbk_source_new(mbk_source_read_fn fn, void *ud, uint64_t max_total,
               const char *what, struct mbk_error *err)
{
    struct mbk_source *s = calloc(1, sizeof(*s));

    if (s == NULL || (s->in = malloc(RAW_CHUNK)) == NULL) {
        free(s);
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        return NULL;
    }
    s->in_cap = RAW_CHUNK;
    s->fn = fn;
    s->ud = ud;
    s->max_total = max_total;
    s->fd = -1;
    snprintf(s->what, sizeof(s->what), "%s", what);
    return s;
}

static ssize_t
read_storage(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct mbk_source *s = ud;

    return mbk_storage_get_read(s->st, s->rd, buf, len, err);
}

struct mbk_source *
mbk_source_open_storage(struct mbk_storage *st, const char *name,
                        uint64_t max_total, struct mbk_error *err)
{
    struct mbk_storage_reader *rd;
    struct mbk_source *s;
    char what[200];

    rd = mbk_storage_get_open(st, name, err);
    if (rd == NULL) {
        return NULL;
    }
    snprintf(what, sizeof(what), "backup \"%s\"", name);
    s = mbk_source_new(read_storage, NULL, max_total, what, err);
    if (s == NULL) {
        mbk_storage_get_close(st, rd);
        return NULL;
    }
    s->ud = s;
    s->st = st;
    s->rd = rd;
    return s;
}

static ssize_t
read_fd(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct mbk_source *s = ud;
    ssize_t n;

    do {
        n = read(s->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return mbk_error_sys(err, errno, "read", s->what);
    }
    return n;
}

struct mbk_source *
mbk_source_open_fd(int fd, const char *what, uint64_t max_total,
                   struct mbk_error *err)
{
    struct mbk_source *s = mbk_source_new(read_fd, NULL, max_total, what, err);

    if (s != NULL) {
        s->ud = s;
        s->fd = fd;
    }
    return s;
}

struct mbk_source *
mbk_source_open_path(const char *path, uint64_t max_total,
                     struct mbk_error *err)
{
    struct mbk_source *s;
    char what[300];
    int fd;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        mbk_error_sys(err, errno, "open", path);
        return NULL;
    }
    snprintf(what, sizeof(what), "file \"%s\"", path);
    s = mbk_source_open_fd(fd, what, max_total, err);
    if (s == NULL) {
        close(fd);
        return NULL;
    }
    s->own_fd = 1;
    return s;
}

void
mbk_source_free(struct mbk_source *s)
{
    if (s == NULL) {
        return;
    }
    if (s->own_fd) {
        close(s->fd);
    }
    if (s->z_live) {
        inflateEnd(&s->z);
    }
    mbk_gzip_inflater_free(s->fast);
    if (s->rd != NULL) {
        mbk_storage_get_close(s->st, s->rd);
    }
    free(s->in);
    free(s);
}

/* Read until want raw bytes are buffered (what is left moves to the
 * front), the buffer is full or the input ends. */
static int
top_up(struct mbk_source *s, size_t want, struct mbk_error *err)
{
    while (!s->eof && s->in_len - s->in_pos < want) {
        unsigned char *at;
        ssize_t n;

        if (s->in_pos > 0) {
            memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
            s->in_len -= s->in_pos;
            s->in_pos = 0;
        }
        if (s->in_len == s->in_cap) {
            break;
        }
        at = s->in + s->in_len;
        n = s->fn(s->ud, at, s->in_cap - s->in_len, err);
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            s->eof = 1;
        }
        s->in_len += (size_t)n;
        s->raw += (uint64_t)n;
        if (n > 0 && s->tee != NULL && s->tee(s->tee_ud, at, (size_t)n, err)) {
            return -1;
        }
    }
    return 0;
}

/* Refill the raw buffer when it is empty; 0 at EOF too. */
static int
fill(struct mbk_source *s, struct mbk_error *err)
{
    return top_up(s, 1, err);
}

static int
detect(struct mbk_source *s, struct mbk_error *err)
{
    unsigned char c;
    int rc;

    if (fill(s, err) != 0) {
        return -1;
    }
    if (s->in_len == 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "%s is empty", s->what);
    }
    c = s->in[0];
    if (c == 0x1f && (s->in_len < 2 || s->in[1] == 0x8b)) {
        memset(&s->z, 0, sizeof(s->z));
        rc = inflateInit2(&s->z, 15 + 16);
        if (rc != Z_OK) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "zlib inflateInit2 failed (%d)", rc);
        }
        s->z_live = 1;
        s->kind = GZIP;
        /* Room for a whole block-sized member, for libdeflate. */
        s->fast = mbk_gzip_inflater_new(err);
        if (s->fast == NULL) {
            return -1;
        }
        s->in_cap = MBK_GZIP_MEMBER_WINDOW + RAW_CHUNK;
        s->member_end = 1; /* at the start of the first member */
        {
            unsigned char *p = realloc(s->in, s->in_cap);

            if (p == NULL) {
                return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                     "out of memory");
            }
            s->in = p;
        }
        return 0;
    }
    /* JSON text starts with '{', maybe after white space or a BOM. */
    if (c == '{' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
        c == 0xef) {
        s->kind = PLAIN;
        return 0;
    }
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                         "%s is neither JSON nor gzip (it starts with byte "
                         "0x%02x)",
                         s->what, c);
}

/* Hand out what libdeflate inflated. */
static ssize_t
take_out(struct mbk_source *s, void *buf, size_t len)
{
    size_t k = s->out_len < len ? s->out_len : len;

    memcpy(buf, s->out, k);
    s->out += k;
    s->out_len -= k;
    return (ssize_t)k;
}

/* At a member's start: inflate it at once when it is block-sized and
 * whole in the buffer; 1 if so, 0 to stream it with zlib. */
static int
try_fast(struct mbk_source *s, struct mbk_error *err)
{
    size_t used;

    if (top_up(s, MBK_GZIP_MEMBER_WINDOW, err) != 0) {
        return -1;
    }
    if (s->in_pos == s->in_len ||
        !mbk_gzip_inflate_member(s->fast, s->in + s->in_pos,
                                 s->in_len - s->in_pos, &used, &s->out,
                                 &s->out_len)) {
        return 0;
    }
    s->in_pos += used;
    s->member_end = 1;
    return 1;
}

static ssize_t
read_gzip(struct mbk_source *s, void *buf, size_t len, struct mbk_error *err)
{
    for (;;) {
        int rc;
        size_t produced;

        if (s->out_len > 0) {
            return take_out(s, buf, len);
        }
        if (fill(s, err) != 0) {
            return -1;
        }
        if (s->member_end) {
            if (s->in_pos == s->in_len) {
                return 0; /* clean end after a whole member */
            }
            if (s->in[s->in_pos] != 0x1f) {
                return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                                     "%s: garbage after the gzip data at "
                                     "byte %llu",
                                     s->what,
                                     (unsigned long long)(s->raw - s->in_len +
                                                          s->in_pos));
            }
            inflateReset(&s->z);
            s->member_end = 0;
            rc = try_fast(s, err);
            if (rc < 0) {
                return -1;
            }
            if (rc == 1) {
                continue;
            }
        }
        if (s->in_pos == s->in_len && s->eof) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                                 "%s: the gzip data is truncated", s->what);
        }
        s->z.next_in = s->in + s->in_pos;
        s->z.avail_in = (uInt)(s->in_len - s->in_pos);
        s->z.next_out = buf;
        s->z.avail_out = (uInt)(len > (1u << 30) ? (1u << 30) : len);
        produced = s->z.avail_out;
        rc = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        produced -= s->z.avail_out;
        if (rc == Z_STREAM_END) {
            s->member_end = 1;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                                 "%s: corrupt gzip data (%s)", s->what,
                                 s->z.msg ? s->z.msg : "inflate failed");
        }
        if (produced > 0) {
            return (ssize_t)produced;
        }
    }
}

ssize_t
mbk_source_read(struct mbk_source *s, void *buf, size_t len,
                struct mbk_error *err)
{
    ssize_t n;

    if (s->kind == UNKNOWN && detect(s, err) != 0) {
        return -1;
    }
    if (s->kind == GZIP) {
        n = read_gzip(s, buf, len, err);
    } else {
        if (fill(s, err) != 0) {
            return -1;
        }
        n = (ssize_t)(s->in_len - s->in_pos);
        if ((size_t)n > len) {
            n = (ssize_t)len;
        }
        memcpy(buf, s->in + s->in_pos, (size_t)n);
        s->in_pos += (size_t)n;
    }
    if (n > 0) {
        s->total += (uint64_t)n;
        if (s->max_total > 0 && s->total > s->max_total) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ELIMIT,
                                 "%s: decompressed size exceeds the limit "
                                 "of %llu bytes",
                                 s->what, (unsigned long long)s->max_total);
        }
    }
    return n;
}

void
mbk_source_set_tee(struct mbk_source *s, mbk_source_tee_fn fn, void *ud)
{
    s->tee = fn;
    s->tee_ud = ud;
}

bool
mbk_source_is_gzip(const struct mbk_source *s)
{
    return s->kind == GZIP;
}

uint64_t
mbk_source_raw_bytes(const struct mbk_source *s)
{
    return s->raw;
}

int
mbk_source_parse(struct mbk_source *s, struct mbk_ejson_reader *r, void *buf,
                 size_t len, struct mbk_error *err)
{
    for (;;) {
        ssize_t n = mbk_source_read(s, buf, len, err);

        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        if (mbk_ejson_reader_feed(r, buf, (size_t)n, err) != 0) {
            return -1;
        }
    }
    return mbk_ejson_reader_finish(r, err);
}
