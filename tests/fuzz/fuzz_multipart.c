/*
 * fuzz_multipart.c: libFuzzer target for the streaming multipart/form-data
 * parser (fcgi/multipart.h).  The input's first line is the Content-Type,
 * the rest the body, fed in chunk splits drawn from the input.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/multipart.h"
#include "tests/fuzz/fuzz_split.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
    int in_part;
    int parts;
    size_t bytes;
};

static void
check_part(const struct mbk_fcgi_part *p)
{
    if (memchr(p->name, '\0', sizeof(p->name)) == NULL ||
        memchr(p->filename, '\0', sizeof(p->filename)) == NULL ||
        memchr(p->content_type, '\0', sizeof(p->content_type)) == NULL) {
        abort();
    }
}

static int
on_begin(const struct mbk_fcgi_part *p, void *ud, struct mbk_error *err)
{
    struct state *s = ud;

    (void)err;
    check_part(p);
    if (s->in_part || ++s->parts > MBK_FCGI_MP_PARTS_MAX) {
        abort();
    }
    s->in_part = 1;
    return 0;
}

static int
on_data(const struct mbk_fcgi_part *p, const char *buf, size_t len, void *ud,
        struct mbk_error *err)
{
    struct state *s = ud;
    volatile char sink = 0;

    (void)err;
    check_part(p);
    if (!s->in_part) {
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        sink ^= buf[i]; /* touch every byte handed out */
    }
    (void)sink;
    s->bytes += len;
    return 0;
}

static int
on_end(const struct mbk_fcgi_part *p, void *ud, struct mbk_error *err)
{
    struct state *s = ud;

    (void)err;
    check_part(p);
    if (!s->in_part) {
        abort();
    }
    s->in_part = 0;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ct_len = nl != NULL ? (size_t)(nl - data) : size;
    char *ct = malloc(ct_len + 1);
    struct state s = {0, 0, 0};
    struct mbk_fcgi_mp_handler h = {on_begin, on_data, on_end, &s};
    struct mbk_fcgi_multipart *mp;
    struct fuzz_split sp;
    struct mbk_error err;
    const uint8_t *body = nl != NULL ? nl + 1 : data + size;
    size_t body_len = (size_t)(data + size - body);
    size_t off = 0;
    int rc = 0;

    if (ct == NULL) {
        return 0;
    }
    memcpy(ct, data, ct_len);
    ct[ct_len] = '\0';
    memset(&err, 0, sizeof(err));
    mp = mbk_fcgi_multipart_new(ct, &h, &err);
    free(ct);
    if (mp == NULL) {
        if (err.message[0] == '\0') {
            abort();
        }
        return 0;
    }
    fuzz_split_init(&sp, data, size);
    while (off < body_len && rc == 0) {
        size_t n = fuzz_split_next(&sp, body_len - off);
        /* each chunk in its own allocation: ASan sees reads past it */
        char *chunk = malloc(n);

        if (chunk == NULL) {
            break;
        }
        memcpy(chunk, body + off, n);
        rc = mbk_fcgi_multipart_feed(mp, chunk, n, &err);
        free(chunk);
        off += n;
    }
    if (rc == 0) {
        rc = mbk_fcgi_multipart_finish(mp, &err);
        if (rc == 0 && s.in_part) {
            abort(); /* finished with a part still open */
        }
    }
    if (rc != 0 && err.message[0] == '\0') {
        abort();
    }
    if (s.bytes > body_len) {
        abort(); /* more data out than went in */
    }
    mbk_fcgi_multipart_free(mp);
    return 0;
}
