/*
 * test_source.c: reading a backup's bytes: gzip or JSON by the first bytes,
 * concatenated gzip members, truncation, garbage after the data, and the
 * decompressed-size limit against gzip bombs.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "engine/buf.h"
#include "engine/source.h"
#include "engine/spool.h"
#include "tests/unit/mem_read.h"

/* Read everything; -1 with err on failure. */
static int
read_all(const char *p, size_t n, size_t step, uint64_t max,
         struct mbk_buf *out, bool *gzip, struct mbk_error *err)
{
    struct mem m = {p, n, 0, step};
    struct mbk_source *s = mbk_source_new(mem_read, &m, max, "test input", err);
    char buf[1000];
    ssize_t k;
    int rc = 0;

    assert_non_null(s);
    mbk_buf_init(out, 1u << 26);
    while ((k = mbk_source_read(s, buf, sizeof(buf), err)) > 0) {
        assert_int_equal(mbk_buf_append(out, buf, (size_t)k, NULL), 0);
    }
    if (k < 0) {
        rc = -1;
    }
    *gzip = mbk_source_is_gzip(s);
    mbk_source_free(s);
    return rc;
}

static void
gz(const char *text, struct mbk_buf *out)
{
    assert_int_equal(mbk_spool_gzip_buf(text, strlen(text), 6, out, NULL), 0);
}

static void
test_source_plain_json(void **state)
{
    static const char text[] = "  {\"metadata\":{}}";
    struct mbk_buf out;
    struct mbk_error err;
    bool gzip;

    assert_int_equal(read_all(text, strlen(text), 0, 0, &out, &gzip, &err), 0);
    assert_false(gzip);
    assert_string_equal(out.data, text);
    mbk_buf_free(&out);
}

static void
test_source_concatenated_gzip_members(void **state)
{
    struct mbk_buf z;
    struct mbk_buf out;
    struct mbk_error err;
    bool gzip;

    mbk_buf_init(&z, 1 << 20);
    gz("{\"a\":", &z);
    gz("[1,2,3]", &z);
    gz("}\n", &z);
    /* one byte at a time too, across every member boundary */
    for (size_t step = 0; step <= 1; step++) {
        assert_int_equal(read_all(z.data, z.len, step, 0, &out, &gzip, &err),
                         0);
        assert_true(gzip);
        assert_string_equal(out.data, "{\"a\":[1,2,3]}\n");
        mbk_buf_free(&out);
    }
    mbk_buf_free(&z);
}

static void
test_source_refuses_other_formats(void **state)
{
    struct mbk_buf out;
    struct mbk_error err;
    bool gzip;

    assert_int_equal(read_all("PK\x03\x04", 4, 0, 0, &out, &gzip, &err), -1);
    assert_non_null(strstr(err.message, "neither JSON nor gzip"));
    assert_non_null(strstr(err.message, "0x50"));
    mbk_buf_free(&out);
    assert_int_equal(read_all("", 0, 0, 0, &out, &gzip, &err), -1);
    assert_non_null(strstr(err.message, "is empty"));
    mbk_buf_free(&out);
}

static void
test_source_truncated_and_trailing_garbage(void **state)
{
    struct mbk_buf z;
    struct mbk_buf out;
    struct mbk_error err;
    bool gzip;

    mbk_buf_init(&z, 1 << 20);
    gz("{\"metadata\":{\"database\":\"x\"}}", &z);
    assert_int_equal(read_all(z.data, z.len - 6, 0, 0, &out, &gzip, &err), -1);
    assert_non_null(strstr(err.message, "truncated"));
    mbk_buf_free(&out);
    assert_int_equal(mbk_buf_append(&z, "junk", 4, NULL), 0);
    assert_int_equal(read_all(z.data, z.len, 0, 0, &out, &gzip, &err), -1);
    assert_non_null(strstr(err.message, "garbage after the gzip data"));
    mbk_buf_free(&out);
    mbk_buf_free(&z);
}

static void
test_source_limit_stops_a_gzip_bomb(void **state)
{
    size_t n = 8u << 20;
    char *zeros = calloc(1, n);
    struct mbk_buf z;
    struct mbk_buf out;
    struct mbk_error err;
    bool gzip;

    mbk_buf_init(&z, 1 << 24);
    memset(zeros, ' ', n);
    assert_int_equal(mbk_spool_gzip_buf(zeros, n, 9, &z, NULL), 0);
    assert_true(z.len < n / 100); /* a bomb: tiny in, large out */
    assert_int_equal(read_all(z.data, z.len, 0, 1u << 20, &out, &gzip, &err),
                     -1);
    assert_non_null(strstr(err.message, "exceeds the limit of 1048576"));
    mbk_buf_free(&out);
    /* the same within the limit reads fine */
    if (read_all(z.data, z.len, 0, n, &out, &gzip, &err) != 0) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(out.len, n);
    mbk_buf_free(&out);
    mbk_buf_free(&z);
    free(zeros);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_plain_json),
        cmocka_unit_test(test_source_concatenated_gzip_members),
        cmocka_unit_test(test_source_refuses_other_formats),
        cmocka_unit_test(test_source_truncated_and_trailing_garbage),
        cmocka_unit_test(test_source_limit_stops_a_gzip_bomb),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
