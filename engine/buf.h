/*
 * buf.h: a growable byte buffer with a hard maximum (curl's dynbuf), the
 * output of the Extended JSON encoder and the staging area of the writers.
 * Not thread-safe: one owner at a time.
 */
#ifndef MBK_ENGINE_BUF_H
#define MBK_ENGINE_BUF_H

#include <stddef.h>

#include "engine/error.h"

struct mbk_buf {
    char *data;  /* NUL-terminated when len < cap; owned */
    size_t len;
    size_t cap;
    size_t max;  /* growing past this fails with MBK_ENGINE_ELIMIT */
};

/* A buffer that may grow to max bytes; nothing is allocated yet. */
void
mbk_buf_init(struct mbk_buf *b, size_t max);

void
mbk_buf_free(struct mbk_buf *b); /* NULL-safe; leaves b empty */

/* Make room for n more bytes. */
int
mbk_buf_reserve(struct mbk_buf *b, size_t n, struct mbk_error *err);

int
mbk_buf_append(struct mbk_buf *b, const void *p, size_t n,
               struct mbk_error *err);

int
mbk_buf_append_str(struct mbk_buf *b, const char *s, struct mbk_error *err);

int
mbk_buf_printf(struct mbk_buf *b, struct mbk_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forget the content, keep the allocation. */
static inline void
mbk_buf_reset(struct mbk_buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

#endif /* MBK_ENGINE_BUF_H */
