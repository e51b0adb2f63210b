/*
 * fuzz_source.c: libFuzzer target for the gzip/plain source with its size
 * limit (engine/source.h): raw bytes come in short reads, decompressed
 * bytes go out in reads of varying size.  Plain input must come out
 * unchanged; nothing may come out past the limit.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/source.h"
#include "tests/fuzz/fuzz_split.h"

#define LIMIT (1024 * 1024)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *p;
    size_t len;
    size_t off;
    struct fuzz_split sp;
};

static ssize_t
mem_read(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct mem *m = ud;
    size_t n;

    (void)err;
    if (m->off == m->len) {
        return 0;
    }
    n = fuzz_split_next(&m->sp, m->len - m->off);
    if (n > len) {
        n = len;
    }
    memcpy(buf, m->p + m->off, n);
    m->off += n;
    return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char out[64 * 1024];
    struct mem m = {data, size, 0, {0}};
    struct fuzz_split sp;
    struct mbk_error err;
    struct mbk_source *s;
    uint64_t total = 0;
    int plain_same = 1;
    ssize_t n;

    fuzz_split_init(&m.sp, data, size);
    fuzz_split_init(&sp, data, size / 2);
    s = mbk_source_new(mem_read, &m, LIMIT, "fuzz input", &err);
    if (s == NULL) {
        abort();
    }
    for (;;) {
        size_t want = fuzz_split_next(&sp, sizeof(out));

        n = mbk_source_read(s, out, want, &err);
        if (n <= 0) {
            break;
        }
        if ((size_t)n > want) {
            abort();
        }
        if (total + (uint64_t)n > size ||
            memcmp(out, data + total, (size_t)n) != 0) {
            plain_same = 0;
        }
        total += (uint64_t)n;
        if (total > LIMIT) {
            abort(); /* the limit let more through */
        }
    }
    if (n < 0 && err.message[0] == '\0') {
        abort();
    }
    if (mbk_source_raw_bytes(s) > size) {
        abort();
    }
    if (n == 0 && !mbk_source_is_gzip(s) && (total != size || !plain_same)) {
        abort(); /* plain input must come out as it went in */
    }
    mbk_source_free(s);
    return 0;
}
