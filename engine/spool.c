/*
 * spool.c: anonymous temporary files holding backup parts, optionally as
 * gzip members compressed by a shared pool (gzip_pool.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/spool.h"

#define SPOOL_CHUNK (256 * 1024)

struct mbk_spool {
    int fd;
    struct mbk_gzip_stream *gz; /* NULL: plain */
    unsigned char *out; /* SPOOL_CHUNK bytes: plain staging, copying */
    size_t out_len;     /* plain mode: bytes staged */
    uint64_t size;      /* bytes written to the file */
    char dir[4096];
};

static int
write_all(struct mbk_spool *sp, const void *p, size_t n,
          struct mbk_error *err)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(sp->fd, c, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return mbk_error_sys(err, errno, "write", sp->dir);
        }
        c += w;
        n -= (size_t)w;
        sp->size += (uint64_t)w;
    }
    return 0;
}

static int
open_anonymous(const char *dir, struct mbk_error *err)
{
    char path[4096 + 32];
    int fd;

#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        return fd;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        return mbk_error_sys(err, errno, "open", dir);
    }
#endif
    snprintf(path, sizeof(path), "%s/.mbk-spool-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        return mbk_error_sys(err, errno, "mkostemp", path);
    }
    unlink(path);
    return fd;
}

/* The gzip stream's sink: members go to the file as they come. */
static int
write_member(void *ud, const void *p, size_t n, struct mbk_error *err)
{
    return write_all(ud, p, n, err);
}

struct mbk_spool *
mbk_spool_new(const char *dir, struct mbk_gzip_pool *gz,
              struct mbk_error *err)
{
    struct mbk_spool *sp;

    sp = calloc(1, sizeof(*sp));
    if (sp == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        return NULL;
    }
    sp->fd = -1;
    snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
    sp->out = malloc(SPOOL_CHUNK);
    if (sp->out == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        goto fail;
    }
    if (gz != NULL) {
        sp->gz = mbk_gzip_stream_new(gz, write_member, sp, err);
        if (sp->gz == NULL) {
            goto fail;
        }
    }
    sp->fd = open_anonymous(dir, err);
    if (sp->fd < 0) {
        goto fail;
    }
    return sp;

fail:
    mbk_spool_free(sp);
    return NULL;
}

void
mbk_spool_free(struct mbk_spool *sp)
{
    if (sp == NULL) {
        return;
    }
    mbk_gzip_stream_free(sp->gz); /* before the file it writes to */
    if (sp->fd >= 0) {
        close(sp->fd);
    }
    free(sp->out);
    free(sp);
}

int
mbk_spool_write(struct mbk_spool *sp, const void *p, size_t n,
                struct mbk_error *err)
{
    if (sp->gz != NULL) {
        return mbk_gzip_stream_write(sp->gz, p, n, err);
    }
    if (n >= SPOOL_CHUNK) {
        if (sp->out_len > 0 && write_all(sp, sp->out, sp->out_len, err) != 0) {
            return -1;
        }
        sp->out_len = 0;
        return write_all(sp, p, n, err);
    }
    if (sp->out_len + n > SPOOL_CHUNK) {
        if (write_all(sp, sp->out, sp->out_len, err) != 0) {
            return -1;
        }
        sp->out_len = 0;
    }
    memcpy(sp->out + sp->out_len, p, n);
    sp->out_len += n;
    return 0;
}

int
mbk_spool_finish(struct mbk_spool *sp, struct mbk_error *err)
{
    if (sp->gz != NULL) {
        return mbk_gzip_stream_finish(sp->gz, err);
    }
    if (sp->out_len > 0 && write_all(sp, sp->out, sp->out_len, err) != 0) {
        return -1;
    }
    sp->out_len = 0;
    return 0;
}

uint64_t
mbk_spool_get_size(const struct mbk_spool *sp)
{
    return sp->size;
}

int
mbk_spool_copy(struct mbk_spool *sp, mbk_spool_sink_fn sink, void *ud,
               struct mbk_error *err)
{
    off_t off = 0;

    for (;;) {
        ssize_t r = pread(sp->fd, sp->out, SPOOL_CHUNK, off);

        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return mbk_error_sys(err, errno, "pread", sp->dir);
        }
        if (r == 0) {
            break;
        }
        if (sink(ud, sp->out, (size_t)r, err) != 0) {
            return -1;
        }
        off += r;
    }
    if ((uint64_t)off != sp->size) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "spool file in \"%s\" shrank from %llu to "
                             "%lld bytes",
                             sp->dir, (unsigned long long)sp->size,
                             (long long)off);
    }
    return 0;
}

ssize_t
mbk_spool_pread(struct mbk_spool *sp, void *buf, size_t len, uint64_t off,
                struct mbk_error *err)
{
    ssize_t r;

    do {
        r = pread(sp->fd, buf, len, (off_t)off);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return mbk_error_sys(err, errno, "pread", sp->dir);
    }
    return r;
}

int
mbk_spool_gzip_buf(const void *p, size_t n, int level, struct mbk_buf *out,
                   struct mbk_error *err)
{
    return mbk_gzip_compress_buf(p, n, level, out, err);
}
