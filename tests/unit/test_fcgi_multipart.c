/*
 * test_fcgi_multipart.c: the streaming multipart/form-data parser: parts
 * and their bytes come out right whatever the chunk sizes, a boundary
 * look-alike inside the data stays data, memory stays bounded for a big
 * part, and malformed bodies are refused.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/buf.h"
#include "fcgi/http.h"
#include "fcgi/multipart.h"

#define CT "multipart/form-data; boundary=XyZ"

struct collect {
    char names[4][128];
    struct mbk_buf data[4];
    unsigned n;
    unsigned ended;
    uint64_t big; /* bytes of the part named "big", not kept */
};

static int
on_begin(const struct mbk_fcgi_part *p, void *ud, struct mbk_error *err)
{
    struct collect *c = ud;

    if (c->n == 4) {
        return mbk_fcgi_http_error(err, 400, "too many parts for the test");
    }
    snprintf(c->names[c->n], sizeof(c->names[0]), "%s", p->name);
    mbk_buf_init(&c->data[c->n], 1 << 20);
    c->n++;
    return 0;
}

static int
on_data(const struct mbk_fcgi_part *p, const char *buf, size_t len, void *ud,
        struct mbk_error *err)
{
    struct collect *c = ud;

    if (strcmp(p->name, "big") == 0) {
        c->big += len;
        return 0;
    }
    return mbk_buf_append(&c->data[c->n - 1], buf, len, err);
}

static int
on_end(const struct mbk_fcgi_part *p, void *ud, struct mbk_error *err)
{
    struct collect *c = ud;

    (void)p;
    (void)err;
    c->ended++;
    return 0;
}

static void
collect_free(struct collect *c)
{
    for (unsigned i = 0; i < c->n; i++) {
        mbk_buf_free(&c->data[i]);
    }
}

/* Feed body in chunks of step bytes; returns the status or 0. */
static int
parse(const char *ct, const char *body, size_t len, size_t step,
      struct collect *c)
{
    struct mbk_fcgi_mp_handler h = {on_begin, on_data, on_end, c};
    struct mbk_fcgi_multipart *mp;
    struct mbk_error err;
    int rc = 0;

    memset(c, 0, sizeof(*c));
    memset(&err, 0, sizeof(err));
    mp = mbk_fcgi_multipart_new(ct, &h, &err);
    if (mp == NULL) {
        return mbk_fcgi_status_of(&err);
    }
    for (size_t off = 0; off < len && rc == 0; off += step) {
        size_t n = len - off < step ? len - off : step;

        rc = mbk_fcgi_multipart_feed(mp, body + off, n, &err);
    }
    if (rc == 0) {
        rc = mbk_fcgi_multipart_finish(mp, &err);
    }
    mbk_fcgi_multipart_free(mp);
    return rc == 0 ? 0 : mbk_fcgi_status_of(&err);
}

static const char form[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"options\"\r\n"
    "\r\n"
    "{\"dryRun\":true}\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"b.json\"\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "line1\r\n--XyNot a boundary\r\n--Xy\r\nend\r\n"
    "--XyZ--\r\n"
    "epilogue";

static void
test_multipart_parts_whatever_the_chunks(void **state)
{
    static const size_t steps[] = {1, 2, 3, 7, 13, 64, 4096};
    struct collect c;

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        assert_int_equal(parse(CT, form, sizeof(form) - 1, steps[i], &c), 0);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.ended, 2);
        assert_string_equal(c.names[0], "options");
        assert_string_equal(c.names[1], "file");
        assert_int_equal(c.data[0].len, 15);
        assert_memory_equal(c.data[0].data, "{\"dryRun\":true}", 15);
        assert_int_equal(c.data[1].len, 36);
        assert_memory_equal(c.data[1].data,
                            "line1\r\n--XyNot a boundary\r\n--Xy\r\nend", 36);
        collect_free(&c);
    }
}

static void
test_multipart_big_part_streams(void **state)
{
    /* 20 MiB of data in a part: it all comes out, none of it kept. */
    const size_t size = 20u << 20;
    const char head[] = "--XyZ\r\nContent-Disposition: form-data; "
                        "name=\"big\"\r\n\r\n";
    const char tail[] = "\r\n--XyZ--\r\n";
    size_t len = sizeof(head) - 1 + size + sizeof(tail) - 1;
    char *body = malloc(len);
    struct collect c;

    assert_non_null(body);
    memcpy(body, head, sizeof(head) - 1);
    memset(body + sizeof(head) - 1, '-', size); /* dashes, like a boundary */
    memcpy(body + sizeof(head) - 1 + size, tail, sizeof(tail) - 1);
    assert_int_equal(parse(CT, body, len, 65536, &c), 0);
    assert_int_equal(c.big, size);
    collect_free(&c);
    free(body);
}

static void
test_multipart_refuses_malformed(void **state)
{
    struct collect c;
    const char cut[] = "--XyZ\r\nContent-Disposition: form-data; "
                       "name=\"a\"\r\n\r\nhalf";
    const char noname[] = "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n"
                          "--XyZ--";
    const char nocrlf[] = "--XyZ garbage";
    char longhdr[MBK_FCGI_MP_HEADERS_MAX + 100];

    assert_int_equal(parse("text/plain", "", 0, 1, &c), 415);
    assert_int_equal(parse("multipart/form-data", "", 0, 1, &c), 400);
    assert_int_equal(parse("multipart/form-data; boundary=", "", 0, 1, &c),
                     400);
    assert_int_equal(parse(CT, cut, sizeof(cut) - 1, 5, &c), 400);
    collect_free(&c);
    assert_int_equal(parse(CT, noname, sizeof(noname) - 1, 5, &c), 400);
    assert_int_equal(parse(CT, nocrlf, sizeof(nocrlf) - 1, 5, &c), 400);
    assert_int_equal(parse(CT, "", 0, 5, &c), 400); /* empty body */
    snprintf(longhdr, sizeof(longhdr), "--XyZ\r\nX-Long: %0*d",
             MBK_FCGI_MP_HEADERS_MAX, 0);
    assert_int_equal(parse(CT, longhdr, strlen(longhdr), 512, &c), 400);
}

static void
test_multipart_quoted_boundary(void **state)
{
    const char body[] = "--a b\r\nContent-Disposition: form-data; "
                        "name=x\r\n\r\nv\r\n--a b--\r\n";
    struct collect c;

    assert_int_equal(parse("multipart/form-data; charset=utf-8; "
                           "boundary=\"a b\"",
                           body, sizeof(body) - 1, 3, &c),
                     0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.names[0], "x");
    assert_int_equal(c.data[0].len, 1);
    collect_free(&c);
}

/* Issue 11: 64 KiB of blanks after a boundary filled the window and the
 * feed loop spun for ever.  Now: 400 naming the part, at once, whatever
 * the chunk size; and feed_some consumes input or fails on every call. */
static void
test_multipart_padding_flood_fails(void **state)
{
    const size_t pad = 64 * 1024 + 100;
    const char head[] = "--XyZ";
    size_t len = sizeof(head) - 1 + pad;
    char *body = malloc(len);
    static const size_t steps[] = {1, 7, 4096, 65536, 1 << 20};
    struct mbk_fcgi_mp_handler h = {on_begin, on_data, on_end, NULL};
    struct collect c;

    assert_non_null(body);
    memcpy(body, head, sizeof(head) - 1);
    memset(body + sizeof(head) - 1, ' ', pad);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        assert_int_equal(parse(CT, body, len, steps[i], &c), 400);
        collect_free(&c);
    }
    /* the message names the part */
    {
        struct mbk_fcgi_multipart *mp;
        struct mbk_error err;
        size_t off = 0;
        int rc = 0;

        memset(&c, 0, sizeof(c));
        h.ud = &c;
        mp = mbk_fcgi_multipart_new(CT, &h, &err);
        assert_non_null(mp);
        while (off < len) {
            size_t used = 0;

            rc = mbk_fcgi_multipart_feed_some(mp, body + off, len - off,
                                              &used, &err);
            if (rc != 0) {
                break;
            }
            assert_true(used > 0); /* progress, or a failure */
            off += used;
        }
        assert_int_equal(rc, -1);
        assert_int_equal(mbk_fcgi_status_of(&err), 400);
        assert_non_null(strstr(err.message, "multipart part 1"));
        assert_non_null(strstr(err.message, "padding"));
        /* refused once, refused for good */
        assert_int_equal(mbk_fcgi_multipart_feed(mp, "\r\n", 2, &err), -1);
        mbk_fcgi_multipart_free(mp);
        collect_free(&c);
    }
    free(body);
}

/* A little padding after a boundary is still fine (RFC 2046). */
static void
test_multipart_some_padding_ok(void **state)
{
    const char body[] = "--XyZ  \t \r\nContent-Disposition: form-data; "
                        "name=x\r\n\r\nv\r\n--XyZ--\r\n";
    struct collect c;

    assert_int_equal(parse(CT, body, sizeof(body) - 1, 1, &c), 0);
    assert_int_equal(c.n, 1);
    collect_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multipart_parts_whatever_the_chunks),
        cmocka_unit_test(test_multipart_big_part_streams),
        cmocka_unit_test(test_multipart_refuses_malformed),
        cmocka_unit_test(test_multipart_quoted_boundary),
        cmocka_unit_test(test_multipart_padding_flood_fails),
        cmocka_unit_test(test_multipart_some_padding_ok),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
