/*
 * test_source_gzip.c: the backup reader (engine/source.c) on what mbk's
 * gzip pool writes (block-sized members, inflated by libdeflate) mixed
 * with what other tools write (one large member, streamed by zlib):
 * bytes back at every read size, corruption named, and a whitespace
 * gzip bomb refused at the limit with flat memory in both layouts.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <zlib.h>

#include "engine/buf.h"
#include "engine/gzip.h"
#include "engine/source.h"
#include "tests/unit/mem_read.h"

/* Read it all through a source into out (or only count, out NULL). */
static int
read_all(const struct mbk_buf *in, size_t step, size_t rd, uint64_t max,
         struct mbk_buf *out, uint64_t *total, struct mbk_error *err)
{
    struct mem m = {in->data, in->len, 0, step};
    struct mbk_source *s;
    char *buf = malloc(rd);
    ssize_t k;

    assert_non_null(buf);
    s = mbk_source_new(mem_read, &m, max, "test input", err);
    assert_non_null(s);
    *total = 0;
    while ((k = mbk_source_read(s, buf, rd, err)) > 0) {
        *total += (uint64_t)k;
        if (out != NULL) {
            assert_int_equal(mbk_buf_append(out, buf, (size_t)k, NULL), 0);
        }
    }
    mbk_source_free(s);
    free(buf);
    return k < 0 ? -1 : 0;
}

static int
buf_sink(void *ud, const void *p, size_t n, struct mbk_error *err)
{
    return mbk_buf_append(ud, p, n, err);
}

/* n bytes of p as mbk writes them: 1 MiB members from the pool. */
static void
pool_gzip(const void *p, size_t n, struct mbk_buf *out)
{
    struct mbk_gzip_pool *pool = mbk_gzip_pool_new(1, 2, NULL);
    struct mbk_gzip_stream *s;

    assert_non_null(pool);
    s = mbk_gzip_stream_new(pool, buf_sink, out, NULL);
    assert_non_null(s);
    assert_int_equal(mbk_gzip_stream_write(s, p, n, NULL), 0);
    assert_int_equal(mbk_gzip_stream_finish(s, NULL), 0);
    mbk_gzip_stream_free(s);
    mbk_gzip_pool_free(pool);
}

/* n bytes as one zlib member, as gzip(1) writes them. */
static void
zlib_gzip(const void *p, size_t n, struct mbk_buf *out)
{
    z_stream z;

    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8,
                                  Z_DEFAULT_STRATEGY),
                     Z_OK);
    assert_int_equal(mbk_buf_reserve(out, deflateBound(&z, n), NULL), 0);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)(out->cap - out->len);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->len += z.total_out;
    deflateEnd(&z);
}

static unsigned char *
text(size_t n)
{
    unsigned char *p = malloc(n);
    uint32_t x = 7;

    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)"{}[]\":,0123456789 abcdefxyz\n"[(x >> 16) % 29];
    }
    return p;
}

static void
test_source_gzip_mixed_members(void **state)
{
    size_t a = 3 * MBK_GZIP_BLOCK + 17;
    size_t b = 5 * MBK_GZIP_BLOCK / 2;
    unsigned char *p = text(a + b + a);
    struct mbk_buf gz;
    struct mbk_buf out;
    struct mbk_error err;
    uint64_t total;
    static const size_t steps[] = {0, 1, 4093, 65536};
    static const size_t reads[] = {1, 1000, 256 * 1024, 3 << 20};

    (void)state;
    mbk_buf_init(&gz, (size_t)64 << 20);
    pool_gzip(p, a, &gz);
    zlib_gzip(p + a, b, &gz); /* one member larger than a block */
    pool_gzip(p + a + b, a, &gz);
    for (size_t i = 0; i < 4; i++) {
        mbk_buf_init(&out, (size_t)64 << 20);
        if (read_all(&gz, steps[i], reads[i], 0, &out, &total, &err) != 0) {
            fail_msg("step %zu: %s", steps[i], err.message);
        }
        assert_int_equal(out.len, a + b + a);
        assert_memory_equal(out.data, p, out.len);
        mbk_buf_free(&out);
    }
    mbk_buf_free(&gz);
    free(p);
}

static void
test_source_gzip_corrupt_member_named(void **state)
{
    unsigned char *p = text(2 * MBK_GZIP_BLOCK);
    struct mbk_buf gz;
    struct mbk_error err;
    uint64_t total;

    (void)state;
    mbk_buf_init(&gz, (size_t)64 << 20);
    pool_gzip(p, 2 * MBK_GZIP_BLOCK, &gz);
    /* a byte inside the first member's compressed data */
    gz.data[gz.len / 4] ^= 0x55;
    assert_int_equal(read_all(&gz, 0, 65536, 0, NULL, &total, &err), -1);
    assert_non_null(strstr(err.message, "test input: corrupt gzip data"));
    mbk_buf_free(&gz);
    /* cut inside the second member */
    mbk_buf_init(&gz, (size_t)64 << 20);
    pool_gzip(p, 2 * MBK_GZIP_BLOCK, &gz);
    gz.len -= 100;
    assert_int_equal(read_all(&gz, 0, 65536, 0, NULL, &total, &err), -1);
    assert_non_null(strstr(err.message, "truncated"));
    mbk_buf_free(&gz);
    free(p);
}

static long
max_rss_kib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 512 MiB of spaces against a 256 MiB limit: refused at the limit, and the
 * reader's memory does not grow with what it inflates. */
static void
bomb(int layout)
{
    size_t n = (size_t)512 << 20;
    size_t piece = (size_t)8 << 20;
    unsigned char *spaces = malloc(piece);
    struct mbk_buf gz;
    struct mbk_error err;
    uint64_t total;
    long before;

    memset(spaces, ' ', piece);
    mbk_buf_init(&gz, (size_t)16 << 20);
    if (layout == 0) {
        struct mbk_gzip_pool *pool = mbk_gzip_pool_new(1, 2, NULL);
        struct mbk_gzip_stream *s;

        s = mbk_gzip_stream_new(pool, buf_sink, &gz, NULL);
        for (size_t off = 0; off < n; off += piece) {
            assert_int_equal(mbk_gzip_stream_write(s, spaces, piece, NULL), 0);
        }
        assert_int_equal(mbk_gzip_stream_finish(s, NULL), 0);
        mbk_gzip_stream_free(s);
        mbk_gzip_pool_free(pool);
    } else {
        z_stream z;
        unsigned char chunk[65536];

        memset(&z, 0, sizeof(z));
        assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8,
                                      Z_DEFAULT_STRATEGY),
                         Z_OK);
        for (size_t off = 0; off <= n; off += piece) {
            int flush = off == n ? Z_FINISH : Z_NO_FLUSH;

            z.next_in = spaces;
            z.avail_in = off == n ? 0 : (uInt)piece;
            do {
                z.next_out = chunk;
                z.avail_out = sizeof(chunk);
                deflate(&z, flush);
                assert_int_equal(mbk_buf_append(&gz, chunk,
                                                sizeof(chunk) - z.avail_out,
                                                NULL),
                                 0);
            } while (z.avail_out == 0);
        }
        deflateEnd(&z);
    }
    free(spaces);
    assert_true(gz.len < n / 200); /* a bomb: tiny in, huge out */
    before = max_rss_kib();
    assert_int_equal(read_all(&gz, 0, 256 * 1024, (uint64_t)256 << 20, NULL,
                              &total, &err),
                     -1);
    assert_non_null(strstr(err.message, "exceeds the limit of 268435456"));
    assert_true(total <= (uint64_t)256 << 20);
    /* Flat: the peak grew by far less than the 256 MiB inflated (the
     * reader keeps about 2.3 MiB of buffers). */
    assert_true(max_rss_kib() - before < 16 * 1024);
    mbk_buf_free(&gz);
}

static void
test_source_gzip_bomb_in_blocks(void **state)
{
    (void)state;
    bomb(0);
}

static void
test_source_gzip_bomb_one_member(void **state)
{
    (void)state;
    bomb(1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_gzip_mixed_members),
        cmocka_unit_test(test_source_gzip_corrupt_member_named),
        cmocka_unit_test(test_source_gzip_bomb_in_blocks),
        cmocka_unit_test(test_source_gzip_bomb_one_member),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
