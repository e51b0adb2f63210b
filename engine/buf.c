/*
 * buf.c: growable byte buffer with a hard maximum.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buf.h"

void
mbk_buf_init(struct mbk_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
mbk_buf_free(struct mbk_buf *b)
{
    if (b == NULL) {
        return;
    }
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int
mbk_buf_reserve(struct mbk_buf *b, size_t n, struct mbk_error *err)
{
    size_t need;
    size_t cap;
    char *p;

    /* One byte more than asked, for the terminating NUL. */
    if (n > b->max - b->len || b->len + n + 1 < b->len) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ELIMIT,
                             "buffer limit of %zu bytes reached", b->max);
    }
    need = b->len + n + 1;
    if (need <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap *= 2;
    }
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    p = realloc(b->data, cap);
    if (p == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory growing a buffer to %zu bytes",
                             cap);
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int
mbk_buf_append(struct mbk_buf *b, const void *p, size_t n,
               struct mbk_error *err)
{
    if (mbk_buf_reserve(b, n, err) != 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
mbk_buf_append_str(struct mbk_buf *b, const char *s, struct mbk_error *err)
{
    return mbk_buf_append(b, s, strlen(s), err);
}

int
mbk_buf_printf(struct mbk_buf *b, struct mbk_error *err, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "bad format \"%s\"", fmt);
    }
    if (mbk_buf_reserve(b, (size_t)n, err) != 0) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}
