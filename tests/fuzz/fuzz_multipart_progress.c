/*
 * fuzz_multipart_progress.c: libFuzzer target asserting that the
 * multipart parser (fcgi/multipart.h) makes progress or fails on every
 * call.  The input's first line is the Content-Type, the rest the body;
 * after the body, a flood of its last byte (70000 copies, more than the
 * parser's window) follows, so that a part, its headers or the padding
 * after a boundary can fill the window.  Everything is fed with
 * mbk_fcgi_multipart_feed_some in chunk sizes drawn from the input: each
 * call must use at least one byte or fail, and a failure must stick.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/multipart.h"
#include "tests/fuzz/fuzz_split.h"

#define FLOOD 70000

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_begin(const struct mbk_fcgi_part *p, void *ud, struct mbk_error *err)
{
    (void)p;
    (void)ud;
    (void)err;
    return 0;
}

static int
on_data(const struct mbk_fcgi_part *p, const char *buf, size_t len, void *ud,
        struct mbk_error *err)
{
    (void)p;
    (void)buf;
    (void)err;
    *(size_t *)ud += len;
    return 0;
}

/* Feed n bytes in chunks; 0, or -1 once the parser refused. */
static int
feed(struct mbk_fcgi_multipart *mp, struct fuzz_split *sp, const char *p,
     size_t n, struct mbk_error *err)
{
    size_t off = 0;

    while (off < n) {
        size_t want = fuzz_split_next(sp, n - off);
        size_t used = 0;

        if (mbk_fcgi_multipart_feed_some(mp, p + off, want, &used,
                                         err) != 0) {
            if (err->message[0] == '\0') {
                abort(); /* a failure says what */
            }
            if (mbk_fcgi_multipart_feed_some(mp, "x", 1, &used, err) == 0) {
                abort(); /* a refused body stays refused */
            }
            return -1;
        }
        if (used == 0 || used > want) {
            abort(); /* no progress: the caller would spin */
        }
        off += used;
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ct_len = nl != NULL ? (size_t)(nl - data) : size;
    const uint8_t *body = nl != NULL ? nl + 1 : data + size;
    size_t body_len = (size_t)(data + size - body);
    size_t bytes = 0;
    struct mbk_fcgi_mp_handler h = {on_begin, on_data, NULL, &bytes};
    struct mbk_fcgi_multipart *mp;
    struct fuzz_split sp;
    struct mbk_error err;
    char *ct = malloc(ct_len + 1);
    char *flood;

    if (ct == NULL) {
        return 0;
    }
    h.end = (int (*)(const struct mbk_fcgi_part *, void *,
                     struct mbk_error *))on_begin;
    memcpy(ct, data, ct_len);
    ct[ct_len] = '\0';
    memset(&err, 0, sizeof(err));
    mp = mbk_fcgi_multipart_new(ct, &h, &err);
    free(ct);
    if (mp == NULL) {
        return 0;
    }
    fuzz_split_init(&sp, data, size);
    if (feed(mp, &sp, (const char *)body, body_len, &err) == 0 &&
        body_len > 0) {
        flood = malloc(FLOOD);
        if (flood != NULL) {
            memset(flood, body[body_len - 1], FLOOD);
            (void)feed(mp, &sp, flood, FLOOD, &err);
            free(flood);
        }
    }
    if (bytes > body_len + FLOOD) {
        abort();
    }
    mbk_fcgi_multipart_free(mp);
    return 0;
}
