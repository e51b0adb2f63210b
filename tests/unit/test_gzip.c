/*
 * test_gzip.c: the parallel gzip compressor (engine/gzip_pool.c) read back
 * by zlib, member by member: every block-size edge (empty, one byte under,
 * at and over a block, one 16 MiB write), streams sharing a small pool from
 * several threads, a sink's failure, and the level rules.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/buf.h"
#include "engine/gzip.h"
#include "tests/unit/gunzip_all.h"

static int
buf_sink(void *ud, const void *p, size_t n, struct mbk_error *err)
{
    return mbk_buf_append(ud, p, n, err);
}

/* JSON-like text that does not compress to nothing. */
static unsigned char *
text(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;

    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i % 97 == 96) ? '\n' : (unsigned char)("{}\":,abcdef0123 "
                                                      [(x >> 16) % 16]);
    }
    return p;
}

/* Compress n bytes written in pieces of step; check the round trip. */
static void
round_trip(struct mbk_gzip_pool *p, size_t n, size_t step)
{
    unsigned char *in = text(n, (unsigned)n);
    struct mbk_buf gz;
    struct mbk_buf back;
    struct mbk_gzip_stream *s;
    struct mbk_error err;
    size_t members;

    mbk_buf_init(&gz, (size_t)64 << 20);
    mbk_buf_init(&back, (size_t)64 << 20);
    s = mbk_gzip_stream_new(p, buf_sink, &gz, &err);
    assert_non_null(s);
    for (size_t off = 0; off < n; off += step) {
        size_t k = n - off < step ? n - off : step;

        assert_int_equal(mbk_gzip_stream_write(s, in + off, k, &err), 0);
    }
    assert_int_equal(mbk_gzip_stream_finish(s, &err), 0);
    mbk_gzip_stream_free(s);
    members = gunzip_all(gz.data, gz.len, &back, NULL, 0);
    assert_int_equal(back.len, n);
    assert_memory_equal(back.data, in, n);
    /* one member per block, and one (empty) for an empty stream */
    assert_int_equal(members, n == 0 ? 1 : (n + MBK_GZIP_BLOCK - 1) /
                                               MBK_GZIP_BLOCK);
    mbk_buf_free(&gz);
    mbk_buf_free(&back);
    free(in);
}

static void
test_gzip_block_edges(void **state)
{
    struct mbk_gzip_pool *p = mbk_gzip_pool_new(MBK_GZIP_LEVEL_DEFAULT, 2,
                                                NULL);

    (void)state;
    assert_non_null(p);
    round_trip(p, 0, 1);
    round_trip(p, 1, 1);
    round_trip(p, MBK_GZIP_BLOCK - 1, 256 * 1024);
    round_trip(p, MBK_GZIP_BLOCK, 256 * 1024);
    round_trip(p, MBK_GZIP_BLOCK + 1, 256 * 1024);
    round_trip(p, MBK_GZIP_BLOCK + 1, 4093);
    /* one 16 MiB document's text in a single write */
    round_trip(p, (size_t)16 << 20, (size_t)16 << 20);
    mbk_gzip_pool_free(p);
}

static void
test_gzip_levels_round_trip(void **state)
{
    (void)state;
    for (int level = MBK_GZIP_LEVEL_MIN; level <= MBK_GZIP_LEVEL_MAX;
         level += 11) {
        struct mbk_gzip_pool *p = mbk_gzip_pool_new(level, 1, NULL);

        assert_non_null(p);
        round_trip(p, 3 * MBK_GZIP_BLOCK / 2, 100000);
        mbk_gzip_pool_free(p);
    }
}

struct writer {
    struct mbk_gzip_pool *p;
    size_t n;
};

static void *
writer(void *arg)
{
    struct writer *w = arg;

    round_trip(w->p, w->n, 65536);
    return NULL;
}

/* More streams than blocks in flight: each keeps its order, none waits
 * forever. */
static void
test_gzip_streams_share_a_pool(void **state)
{
    struct mbk_gzip_pool *p = mbk_gzip_pool_new(1, 1, NULL);
    struct writer w[6];
    pthread_t t[6];

    (void)state;
    assert_non_null(p);
    for (size_t i = 0; i < 6; i++) {
        w[i].p = p;
        w[i].n = (i + 1) * MBK_GZIP_BLOCK + i * 7919;
        assert_int_equal(pthread_create(&t[i], NULL, writer, &w[i]), 0);
    }
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    mbk_gzip_pool_free(p);
}

static int
failing_sink(void *ud, const void *p, size_t n, struct mbk_error *err)
{
    (void)p;
    (void)n;
    if (++*(int *)ud == 2) {
        return mbk_error_set(err, MBK_ERROR_SYS, 28,
                             "write() \"spool\" failed: No space left");
    }
    return 0;
}

static void
test_gzip_sink_error_is_reported(void **state)
{
    struct mbk_gzip_pool *p = mbk_gzip_pool_new(1, 2, NULL);
    unsigned char *in = text(4 * MBK_GZIP_BLOCK, 1);
    struct mbk_gzip_stream *s;
    struct mbk_error err;
    int calls = 0;
    int rc = 0;

    (void)state;
    s = mbk_gzip_stream_new(p, failing_sink, &calls, NULL);
    assert_non_null(s);
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        rc = mbk_gzip_stream_write(s, in + i * MBK_GZIP_BLOCK, MBK_GZIP_BLOCK,
                                   &err);
    }
    if (rc == 0) {
        rc = mbk_gzip_stream_finish(s, &err);
    }
    assert_int_equal(rc, -1);
    assert_int_equal(err.domain, MBK_ERROR_SYS);
    assert_non_null(strstr(err.message, "No space left"));
    /* nothing goes to the sink after its failure */
    assert_int_equal(calls, 2);
    mbk_gzip_stream_free(s);
    mbk_gzip_pool_free(p);
    free(in);
}

/* A stream dropped half way (a failed backup) frees its blocks. */
static void
test_gzip_stream_abandoned(void **state)
{
    struct mbk_gzip_pool *p = mbk_gzip_pool_new(1, 1, NULL);
    unsigned char *in = text(3 * MBK_GZIP_BLOCK / 2, 2);
    struct mbk_buf gz;

    (void)state;
    mbk_buf_init(&gz, (size_t)64 << 20);
    for (int i = 0; i < 8; i++) {
        struct mbk_gzip_stream *s = mbk_gzip_stream_new(p, buf_sink, &gz,
                                                        NULL);

        assert_int_equal(mbk_gzip_stream_write(s, in, 3 * MBK_GZIP_BLOCK / 2,
                                               NULL),
                         0);
        mbk_gzip_stream_free(s);
    }
    round_trip(p, 2 * MBK_GZIP_BLOCK, MBK_GZIP_BLOCK);
    mbk_buf_free(&gz);
    mbk_gzip_pool_free(p);
    free(in);
}

static void
test_gzip_level_rules(void **state)
{
    struct mbk_error err;
    int level = -1;

    (void)state;
    assert_int_equal(mbk_gzip_level_parse("12", &level, &err), 0);
    assert_int_equal(level, 12);
    assert_int_equal(mbk_gzip_level_parse("0", &level, &err), -1);
    assert_string_equal(err.message, "gzip level 0 is not between 1 and 12");
    assert_int_equal(mbk_gzip_level_parse("13", &level, &err), -1);
    assert_int_equal(mbk_gzip_level_parse("", &level, &err), -1);
    assert_int_equal(mbk_gzip_level_parse("-1", &level, &err), -1);
    assert_int_equal(mbk_gzip_level_parse("6x", &level, &err), -1);
    assert_string_equal(err.message,
                        "gzip level \"6x\" is not a number between 1 and 12");
    assert_int_equal(level, 12);
    assert_null(mbk_gzip_pool_new(0, 1, &err));
    assert_int_equal(err.code, MBK_ENGINE_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_block_edges),
        cmocka_unit_test(test_gzip_levels_round_trip),
        cmocka_unit_test(test_gzip_streams_share_a_pool),
        cmocka_unit_test(test_gzip_sink_error_is_reported),
        cmocka_unit_test(test_gzip_stream_abandoned),
        cmocka_unit_test(test_gzip_level_rules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
