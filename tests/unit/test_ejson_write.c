/*
 * test_ejson_write.c: the streaming Extended JSON encoder prints exactly what
 * libbson's bson_as_canonical_extended_json() prints, on every type, edge
 * case and thousands of random documents, and fails cleanly where it must.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json.h>

#include "engine/ejson/ejson_write.h"
#include "engine/ejson/ejson_write_private.h"

/* A deterministic generator, so a failure can be replayed. */
static uint64_t rng_state;

static uint64_t
rnd(void)
{
    uint64_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static unsigned
rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/*
 * The reference for the escape rule, built on libbson: each value that is
 * not a document, array or scope is libbson's text; a document whose first
 * key is a keyword, or which holds a key twice, is wrapped in the escape.
 */
static int
needs_escape(const bson_t *doc)
{
    bson_iter_t it;
    bson_iter_t jt;
    int first = 1;

    if (!bson_iter_init(&it, doc)) {
        return 0;
    }
    while (bson_iter_next(&it)) {
        if (first && mbk_ejson_key_is_keyword(bson_iter_key(&it))) {
            return 1;
        }
        first = 0;
        bson_iter_init(&jt, doc);
        while (bson_iter_next(&jt) && jt.off < it.off) {
            if (strcmp(bson_iter_key(&jt), bson_iter_key(&it)) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* libbson's text of the single element at it: what follows "key" : . */
static void
libbson_value(bson_iter_t *it, struct mbk_buf *out)
{
    bson_t one = BSON_INITIALIZER;
    size_t n;
    char *t;

    assert_true(bson_append_iter(&one, "k", 1, it));
    t = bson_as_canonical_extended_json(&one, &n);
    assert_non_null(t);
    assert_true(n > 10);
    /* { "k" : VALUE } */
    assert_int_equal(mbk_buf_append(out, t + 8, n - 10, NULL), 0);
    bson_free(t);
    bson_destroy(&one);
}

static void reference(const bson_t *doc, int array, int top,
                      struct mbk_buf *out);

static void
reference_sub(bson_iter_t *it, struct mbk_buf *out)
{
    const uint8_t *data;
    uint32_t len;
    uint32_t n;
    bson_t sub;
    const char *code;

    switch (bson_iter_type(it)) {
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
        if (BSON_ITER_HOLDS_ARRAY(it)) {
            bson_iter_array(it, &len, &data);
        } else {
            bson_iter_document(it, &len, &data);
        }
        assert_true(bson_init_static(&sub, data, len));
        reference(&sub, BSON_ITER_HOLDS_ARRAY(it), 0, out);
        break;
    case BSON_TYPE_CODEWSCOPE: {
        bson_t c = BSON_INITIALIZER;
        bson_iter_t ct;

        code = bson_iter_codewscope(it, &n, &len, &data);
        assert_true(bson_init_static(&sub, data, len));
        if (len >= 5 && data[4] == 0) {
            libbson_value(it, out); /* an empty scope, libbson's way */
            break;
        }
        bson_append_utf8(&c, "k", 1, code, (int)n);
        bson_iter_init(&ct, &c);
        bson_iter_next(&ct);
        mbk_buf_append_str(out, "{ \"$code\" : ", NULL);
        libbson_value(&ct, out);
        mbk_buf_append_str(out, ", \"$scope\" : ", NULL);
        reference(&sub, 0, 0, out);
        mbk_buf_append_str(out, " }", NULL);
        bson_destroy(&c);
        break;
    }
    default:
        libbson_value(it, out);
    }
}

static void
reference(const bson_t *doc, int array, int top, struct mbk_buf *out)
{
    bson_iter_t it;
    int esc = !array && needs_escape(doc);
    int count = 0;

    if (doc->len == 5 && top) {
        mbk_buf_append_str(out, "{ }", NULL);
        return;
    }
    mbk_buf_append_str(out, esc ? "{ \"$mbk:doc\" : { " : array ? "[ " : "{ ",
                       NULL);
    bson_iter_init(&it, doc);
    while (bson_iter_next(&it)) {
        if (count++ > 0) {
            mbk_buf_append_str(out, ", ", NULL);
        }
        if (!array) {
            bson_t k = BSON_INITIALIZER;
            char *t;
            size_t n;

            /* the key, escaped as libbson escapes it */
            bson_append_null(&k, bson_iter_key(&it), -1);
            t = bson_as_canonical_extended_json(&k, &n);
            mbk_buf_append(out, t + 2, n - 2 - 9, NULL);
            mbk_buf_append_str(out, " : ", NULL);
            bson_free(t);
            bson_destroy(&k);
        }
        reference_sub(&it, out);
    }
    mbk_buf_append_str(out, esc ? " } }" : array ? " ]" : " }", NULL);
}

/* Encode doc both ways; the texts must be equal, byte for byte: libbson's
 * when nothing is escaped, else the reference with the escape rule. */
static void
expect_same(const bson_t *doc)
{
    struct mbk_buf out;
    struct mbk_buf ref;
    struct mbk_error err;
    size_t n;
    char *want;
    int escapes = -1;

    want = bson_as_canonical_extended_json(doc, &n);
    assert_non_null(want);
    mbk_buf_init(&out, (size_t)1 << 30);
    mbk_buf_init(&ref, (size_t)1 << 30);
    mbk_error_clear(&err);
    if (mbk_ejson_write_ex(&out, bson_get_data(doc), doc->len, &escapes,
                           &err) != 0) {
        fail_msg("encoder failed: %s\nlibbson: %s", err.message, want);
    }
    if (escapes == 0
        && (out.len != n || memcmp(out.data, want, n) != 0)) {
        fail_msg("text differs\nlibbson: %s\nmbk:     %s", want, out.data);
    }
    reference(doc, 0, 1, &ref);
    if (out.len != ref.len || memcmp(out.data, ref.data, ref.len) != 0) {
        size_t d = 0;

        while (d < out.len && d < ref.len && out.data[d] == ref.data[d]) {
            d++;
        }
        d = d > 40 ? d - 40 : 0;
        fail_msg("text differs at byte %zu\nreference: %.200s\nmbk:       "
                 "%.200s", d, ref.data + d, out.data + d);
    }
    assert_int_equal(out.data[out.len], '\0');
    bson_free(want);
    mbk_buf_free(&out);
    mbk_buf_free(&ref);
}

/* Encoding must fail, leave out as it was and say `why`. */
static void
expect_fail(const uint8_t *data, size_t len, const char *why)
{
    struct mbk_buf out;
    struct mbk_error err;

    mbk_buf_init(&out, 1 << 20);
    assert_int_equal(mbk_buf_append_str(&out, "[before]", NULL), 0);
    mbk_error_clear(&err);
    assert_int_equal(mbk_ejson_write(&out, data, len, &err), -1);
    assert_int_equal(out.len, 8);
    assert_string_equal(out.data, "[before]");
    assert_int_equal(err.domain, MBK_ERROR_ENGINE);
    if (strstr(err.message, why) == NULL) {
        fail_msg("error \"%s\" does not say \"%s\"", err.message, why);
    }
    mbk_buf_free(&out);
}

static void
expect_same_raw(const uint8_t *raw, size_t len)
{
    bson_t view;

    assert_true(bson_init_static(&view, raw, len));
    expect_same(&view);
}

/* libbson must refuse it too. */
static void
expect_both_fail(const bson_t *doc, const char *why)
{
    char *s = bson_as_canonical_extended_json(doc, NULL);

    assert_null(s);
    expect_fail(bson_get_data(doc), doc->len, why);
}

static void
test_ejson_write_doubles(void **state)
{
    static const double values[] = {
        0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 100.0, 1e308, 1.7976931348623157e308,
        5e-324, 2.2250738585072014e-308, 2.2250738585072009e-308,
        9007199254740993.0, 9007199254740992.0, 4503599627370495.5,
        1e15, 1e16, 1e17, 1e19, 1e20, 1e21, 1e22, 1e23, 123456789012345678.0,
        9.2233720368547758e18, 1.8446744073709552e19, 3.14159, 2.718281828459045,
        1e-3, 1e-4, 1e-5, 1.5e-5, 1e-7, 1e-8, 1e-9, 1e-10, 0.000123456789,
        0.00099999999999999999, 0.0001, 99999.999999999999, 0.3, 2.0 / 3.0,
        1234567890.12345678905, 4.35, 1e-300, 123e-20, 0.1 + 0.2,
        INT32_MAX, INT32_MIN, (double)INT64_MAX, (double)INT64_MIN,
    };
    bson_t doc;
    size_t i;

    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        bson_init(&doc);
        BSON_APPEND_DOUBLE(&doc, "d", values[i]);
        BSON_APPEND_DOUBLE(&doc, "neg", -values[i]);
        expect_same(&doc);
        bson_destroy(&doc);
    }
    bson_init(&doc);
    BSON_APPEND_DOUBLE(&doc, "nan", NAN);
    BSON_APPEND_DOUBLE(&doc, "negnan", -NAN);
    BSON_APPEND_DOUBLE(&doc, "payload", nan("0x12345"));
    BSON_APPEND_DOUBLE(&doc, "inf", INFINITY);
    BSON_APPEND_DOUBLE(&doc, "ninf", -INFINITY);
    BSON_APPEND_DOUBLE(&doc, "negzero", -0.0);
    expect_same(&doc);
    bson_destroy(&doc);
}

/* Compare with "%.20g" plus libbson's ".0" rule. */
static void
check_double(double v)
{
    char want[64];
    char got[MBK_EJSON_DOUBLE_MAX + 8];
    size_t n;
    int w;

    if (isnan(v) || isinf(v)) {
        return;
    }
    w = snprintf(want, sizeof(want), "%.20g", v);
    if (strspn(want, "0123456789-") == (size_t)w) {
        strcat(want, ".0");
    }
    n = mbk_ejson_fmt_double(got, v);
    assert_true(n <= MBK_EJSON_DOUBLE_MAX);
    got[n] = '\0';
    if (strcmp(want, got) != 0) {
        fail_msg("%a: printf %s, mbk %s", v, want, got);
    }
}

static void
test_ejson_write_double_formatter(void **state)
{
    uint64_t bits;
    double v;
    int i;
    int k;

    rng_state = 0x9e3779b97f4a7c15u;
    for (i = 0; i < 300000; i++) {
        /* any bit pattern */
        bits = rnd();
        memcpy(&v, &bits, sizeof(v));
        check_double(v);
        /* decimal-looking values: prices, coordinates, ratios */
        v = (double)(int64_t)(rnd() % 20000000) / 1000.0;
        check_double(v);
        v = (double)(int64_t)(rnd() % 2000000000) / pow(10, rnd_below(12));
        check_double(-v);
        /* every exponent the exact path covers, and its edges */
        v = ldexp((double)(rnd() >> 11), (int)rnd_below(160) - 110);
        check_double(v);
        /* integers, small and huge */
        v = (double)(int64_t)(rnd() >> rnd_below(64));
        check_double(v);
    }
    /* exact ties at the 21st digit: round half to even */
    for (k = 1; k < 30; k++) {
        for (i = 0; i < 2000; i++) {
            v = ldexp((double)(rnd() >> 12) + 0.5, -k);
            check_double(v);
            check_double(nextafter(v, 0));
            check_double(nextafter(v, 1e300));
        }
    }
    /* around powers of ten, where the exponent and the carry change */
    for (k = -12; k < 23; k++) {
        v = pow(10, k);
        for (i = 0; i < 50; i++) {
            check_double(v);
            check_double(-v);
            v = nextafter(v, 0);
        }
        v = pow(10, k);
        for (i = 0; i < 50; i++) {
            v = nextafter(v, 1e300);
            check_double(v);
        }
    }
}

static void
test_ejson_write_integers_and_dates(void **state)
{
    bson_t doc;

    bson_init(&doc);
    BSON_APPEND_INT32(&doc, "i0", 0);
    BSON_APPEND_INT32(&doc, "imin", INT32_MIN);
    BSON_APPEND_INT32(&doc, "imax", INT32_MAX);
    BSON_APPEND_INT32(&doc, "i9", 9);
    BSON_APPEND_INT32(&doc, "i10", -10);
    BSON_APPEND_INT64(&doc, "l0", 0);
    BSON_APPEND_INT64(&doc, "lmin", INT64_MIN);
    BSON_APPEND_INT64(&doc, "lmax", INT64_MAX);
    BSON_APPEND_INT64(&doc, "l53", (INT64_C(1) << 53) + 1);
    BSON_APPEND_DATE_TIME(&doc, "epoch", 0);
    BSON_APPEND_DATE_TIME(&doc, "before", -1);
    BSON_APPEND_DATE_TIME(&doc, "y1", INT64_C(-62135596800000));
    BSON_APPEND_DATE_TIME(&doc, "far", INT64_C(253402300800000));
    BSON_APPEND_DATE_TIME(&doc, "dmin", INT64_MIN);
    BSON_APPEND_DATE_TIME(&doc, "dmax", INT64_MAX);
    BSON_APPEND_TIMESTAMP(&doc, "ts0", 0, 0);
    BSON_APPEND_TIMESTAMP(&doc, "ts", 1700000000, 7);
    BSON_APPEND_TIMESTAMP(&doc, "tsmax", UINT32_MAX, UINT32_MAX);
    expect_same(&doc);
    bson_destroy(&doc);
}

static void
test_ejson_write_every_type(void **state)
{
    bson_t doc;
    bson_t child;
    bson_t scope;
    bson_oid_t oid;
    bson_decimal128_t dec;
    static const uint8_t bytes[] = {0, 1, 2, 0xfb, 0xfc, 0xff, 0x80, 'x'};

    bson_oid_init_from_string(&oid, "5f0c8e3a9b1e4c2d7a6b5c4d");
    bson_decimal128_from_string("1.5E+3", &dec);
    bson_init(&doc);
    BSON_APPEND_OID(&doc, "_id", &oid);
    BSON_APPEND_UTF8(&doc, "s", "text");
    BSON_APPEND_BOOL(&doc, "t", true);
    BSON_APPEND_BOOL(&doc, "f", false);
    BSON_APPEND_NULL(&doc, "n");
    BSON_APPEND_UNDEFINED(&doc, "u");
    BSON_APPEND_MINKEY(&doc, "min");
    BSON_APPEND_MAXKEY(&doc, "max");
    BSON_APPEND_DECIMAL128(&doc, "dec", &dec);
    BSON_APPEND_CODE(&doc, "code", "function () { return \"x\"; }");
    BSON_APPEND_SYMBOL(&doc, "sym", "a symbol");
    BSON_APPEND_DBPOINTER(&doc, "dbp", "db.coll", &oid);
    BSON_APPEND_REGEX(&doc, "re", "^a.*b$", "mix");
    BSON_APPEND_BINARY(&doc, "bin", BSON_SUBTYPE_BINARY, bytes, 8);
    bson_init(&scope);
    BSON_APPEND_INT32(&scope, "x", 1);
    BSON_APPEND_UTF8(&scope, "y", "two");
    BSON_APPEND_CODE_WITH_SCOPE(&doc, "cws", "f(x, y)", &scope);
    bson_destroy(&scope);
    bson_init(&scope);
    BSON_APPEND_CODE_WITH_SCOPE(&doc, "cws_empty", "g()", &scope);
    BSON_APPEND_DOCUMENT(&doc, "emptydoc", &scope);
    BSON_APPEND_ARRAY(&doc, "emptyarr", &scope);
    bson_destroy(&scope);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "sub", &child);
    BSON_APPEND_INT32(&child, "a", 1);
    BSON_APPEND_ARRAY_BEGIN(&child, "arr", &scope);
    BSON_APPEND_INT64(&scope, "0", 5);
    BSON_APPEND_UTF8(&scope, "1", "x");
    bson_append_document_end(&child, &scope);
    bson_append_document_end(&doc, &child);
    expect_same(&doc);
    bson_destroy(&doc);

    bson_init(&doc);
    expect_same(&doc); /* "{ }" */
    bson_destroy(&doc);
}

static void
test_ejson_write_decimal128(void **state)
{
    static const char *const texts[] = {
        "0", "-0", "0E-10", "-0.00", "1.5", "NaN", "-NaN", "Inf", "-Inf",
        "1E+6144", "1E-6176", "9.999999999999999999999999999999999E+6144",
        "123456789012345678901234567890123", "1.0E+3", "0.001", "-1E-6176",
        "1000000000000000000000000000000000E+6111",
    };
    bson_decimal128_t dec;
    bson_t doc;
    size_t i;

    bson_init(&doc);
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_true(bson_decimal128_from_string(texts[i], &dec));
        BSON_APPEND_DECIMAL128(&doc, texts[i], &dec);
    }
    /* raw bit patterns, non-canonical ones included */
    rng_state = 42;
    for (i = 0; i < 200; i++) {
        dec.high = rnd();
        dec.low = rnd();
        BSON_APPEND_DECIMAL128(&doc, "raw", &dec);
    }
    expect_same(&doc);
    bson_destroy(&doc);
}

static void
test_ejson_write_binary(void **state)
{
    static const int subtypes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x10, 0x7f,
                                   0x80, 0x81, 0xfe, 0xff};
    uint8_t bytes[64];
    bson_t doc;
    size_t i;
    size_t n;

    for (i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)(i * 37 + 250);
    }
    bson_init(&doc);
    for (i = 0; i < sizeof(subtypes) / sizeof(subtypes[0]); i++) {
        for (n = 0; n < 8; n++) {
            BSON_APPEND_BINARY(&doc, "b", (bson_subtype_t)subtypes[i], bytes,
                               (uint32_t)n);
        }
        BSON_APPEND_BINARY(&doc, "b64", (bson_subtype_t)subtypes[i], bytes,
                           64);
    }
    expect_same(&doc);
    bson_destroy(&doc);
}

static void
test_ejson_write_regex_options(void **state)
{
    static const char *const opts[] = {"", "i", "xusmli", "lmsixu", "ii",
                                       "q", "zyxabc", "mmmsss", "uxi"};
    bson_t doc;
    size_t i;

    bson_init(&doc);
    for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        BSON_APPEND_REGEX(&doc, opts[i], "a\"b\\/c\t\x01", opts[i]);
    }
    BSON_APPEND_REGEX(&doc, "unicode", "caf\xc3\xa9|\xf0\x9f\x98\x80", "");
    expect_same(&doc);
    bson_destroy(&doc);
}

static void
test_ejson_write_keys_and_strings(void **state)
{
    static const char *const keys[] = {
        "", "a.b", "$where", "$oid", "quo\"te", "back\\slash", "tab\t",
        "nl\n", "ctl\x01\x1f\x7f", "caf\xc3\xa9", "\xe2\x82\xac",
        "\xf0\x9f\x98\x80", "slash/", "sp ace",
    };
    char all_ascii[128];
    bson_t doc;
    size_t i;

    bson_init(&doc);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        BSON_APPEND_UTF8(&doc, keys[i], keys[i]);
    }
    for (i = 0; i < 127; i++) {
        all_ascii[i] = (char)(i + 1);
    }
    all_ascii[127] = '\0';
    BSON_APPEND_UTF8(&doc, "ascii", all_ascii);
    bson_append_utf8(&doc, "nul", -1, "a\0b\0", 4);
    bson_append_utf8(&doc, "onlynul", -1, "\0", 1);
    bson_append_utf8(&doc, "empty", -1, "", 0);
    bson_append_code(&doc, "code", -1, "x\ty");
    bson_append_symbol(&doc, "symnul", -1, "s\0t", 3);
    BSON_APPEND_UTF8(&doc, "edges", "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
                                    "\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80"
                                    "\xf4\x8f\xbf\xbf");
    expect_same(&doc);
    bson_destroy(&doc);
}

static void
test_ejson_write_big_string(void **state)
{
    size_t n = (size_t)3 << 19; /* 1.5 MiB */
    char *s = malloc(n + 1);
    bson_t doc;
    size_t i;

    assert_non_null(s);
    for (i = 0; i < n; i++) {
        s[i] = (char)('a' + i % 26);
        if (i % 1000 == 999) {
            s[i] = '"';
        }
    }
    memcpy(s + 5000, "\xe2\x82\xac\n", 4);
    s[n] = '\0';
    bson_init(&doc);
    BSON_APPEND_UTF8(&doc, "big", s);
    BSON_APPEND_CODE(&doc, "bigcode", s);
    BSON_APPEND_BINARY(&doc, "bigbin", BSON_SUBTYPE_BINARY, (uint8_t *)s,
                       (uint32_t)n);
    expect_same(&doc);
    bson_destroy(&doc);
    free(s);
}

/* Each 2- to 4-byte sequence (the telling bytes in each position) in a
 * string: mbk accepts exactly what libbson's encoder accepts (stricter
 * than bson_utf8_validate(), which lets "\xc0\x80" pass) and copies it. */
static void
test_ejson_write_utf8_sequences(void **state)
{
    static const uint8_t tails[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                    0xa0, 0xbf, 0xc0, 0xff};
    static const uint8_t lasts[] = {0x00, 0x7f, 0x80, 0xbf, 0xc0};
    struct mbk_buf out;
    bson_t view;
    uint8_t doc[32];
    uint8_t s[4];
    unsigned b1;
    unsigned b2;
    size_t t3;
    size_t t4;
    size_t n;
    char *want;
    int ok;
    int accepted = 0;

    mbk_buf_init(&out, 1 << 20);
    for (b1 = 0x80; b1 <= 0xff; b1++) {
        for (b2 = 0; b2 <= 0xff; b2++) {
            for (t3 = 0; t3 < sizeof(tails); t3++) {
                for (t4 = 0; t4 < (b1 >= 0xf0 ? sizeof(lasts) : 1); t4++) {
                    s[0] = (uint8_t)b1;
                    s[1] = (uint8_t)b2;
                    s[2] = tails[t3];
                    s[3] = lasts[t4];
                    n = b1 < 0xe0 ? 2 : b1 < 0xf0 ? 3 : 4;
                    /* { "s" : "<n bytes>" } */
                    doc[0] = (uint8_t)(4 + 1 + 2 + 4 + n + 1 + 1);
                    memcpy(doc + 1, "\0\0\0\x02s\0", 6);
                    doc[7] = (uint8_t)(n + 1);
                    memcpy(doc + 8, "\0\0\0", 3);
                    memcpy(doc + 11, s, n);
                    doc[11 + n] = 0;
                    doc[12 + n] = 0;
                    mbk_buf_reset(&out);
                    ok = mbk_ejson_write(&out, doc, doc[0], NULL) == 0;
                    assert_true(bson_init_static(&view, doc, doc[0]));
                    want = bson_as_canonical_extended_json(&view, NULL);
                    if (ok != (want != NULL)) {
                        fail_msg("%02x %02x %02x %02x: mbk %s", s[0], s[1],
                                 s[2], s[3], ok ? "accepts" : "refuses");
                    }
                    if (ok) {
                        assert_string_equal(out.data, want);
                        accepted++;
                    }
                    bson_free(want);
                }
            }
        }
    }
    assert_true(accepted > 1000);
    mbk_buf_free(&out);
}

/* A chain of `levels` documents (or arrays) inside the top one. */
static bson_t *
nested(int levels, int arrays)
{
    bson_t *docs[MBK_EJSON_MAX_DEPTH + 10];
    bson_t *top;
    int i;

    docs[levels] = bson_new();
    BSON_APPEND_INT32(docs[levels], "0", levels);
    for (i = levels - 1; i >= 0; i--) {
        docs[i] = bson_new();
        if (arrays && i % 2 == 1) {
            BSON_APPEND_ARRAY(docs[i], "0", docs[i + 1]);
        } else {
            BSON_APPEND_DOCUMENT(docs[i], "0", docs[i + 1]);
        }
        bson_destroy(docs[i + 1]);
    }
    top = docs[0];
    return top;
}

/* `levels` under the top one, the deepest holding an empty document or
 * array. */
static bson_t *
nested_empty(int levels, int array)
{
    bson_t *doc = nested(levels, 0);
    bson_t *top = bson_new();
    bson_iter_t it;
    bson_t empty = BSON_INITIALIZER;
    char path[2 * MBK_EJSON_MAX_DEPTH + 8];
    int i;

    /* rebuild the chain with {"0": {}} at its bottom */
    bson_destroy(doc);
    doc = bson_new();
    if (array) {
        BSON_APPEND_ARRAY(doc, "e", &empty);
    } else {
        BSON_APPEND_DOCUMENT(doc, "e", &empty);
    }
    for (i = 0; i < levels; i++) {
        bson_t *up = bson_new();

        BSON_APPEND_DOCUMENT(up, "0", doc);
        bson_destroy(doc);
        doc = up;
    }
    (void)top;
    (void)it;
    (void)path;
    bson_destroy(top);
    return doc;
}

static void
test_ejson_write_nesting(void **state)
{
    bson_t *doc;
    bson_t arr;
    bson_t outer;
    char key[16];
    int i;

    /* the top document and 179 levels under it: mongod's 180 */
    doc = nested(MBK_EJSON_MAX_DEPTH - 1, 0);
    expect_same(doc);
    bson_destroy(doc);
    doc = nested(MBK_EJSON_MAX_DEPTH - 1, 1);
    expect_same(doc);
    bson_destroy(doc);
    /* an empty document or array adds no level, as in mongod */
    doc = nested_empty(MBK_EJSON_MAX_DEPTH - 1, 0);
    expect_same(doc);
    bson_destroy(doc);
    doc = nested_empty(MBK_EJSON_MAX_DEPTH - 1, 1);
    expect_same(doc);
    bson_destroy(doc);
    /* one level more: libbson 1.23 prints it, mbk refuses (mongod
     * stores no such document) */
    doc = nested(MBK_EJSON_MAX_DEPTH, 0);
    expect_fail(bson_get_data(doc), doc->len,
                "nested deeper than 180 levels at \"...0.0.0.0");
    bson_destroy(doc);

    /* a wide array */
    bson_init(&outer);
    BSON_APPEND_ARRAY_BEGIN(&outer, "wide", &arr);
    for (i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "%d", i);
        BSON_APPEND_INT32(&arr, key, i);
    }
    bson_append_array_end(&outer, &arr);
    expect_same(&outer);
    bson_destroy(&outer);
}

/* A random value at `depth`; strings mix ASCII, escapes and UTF-8. */
static void
random_string(char *s, size_t *len)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "0", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
        "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf",
        "hello world ", "\0",
    };
    size_t n = 0;
    unsigned count = rnd_below(40);
    unsigned i;
    const char *p;
    size_t pl;

    for (i = 0; i < count; i++) {
        p = pieces[rnd_below(sizeof(pieces) / sizeof(pieces[0]))];
        pl = *p == '\0' ? 1 : strlen(p);
        memcpy(s + n, p, pl);
        n += pl;
    }
    s[n] = '\0';
    *len = n;
}

static void
random_doc(bson_t *doc, int depth, int is_array)
{
    char key[64];
    char s[1024];
    size_t slen;
    unsigned count = rnd_below(depth == 0 ? 14 : 6);
    unsigned i;
    bson_t child;
    bson_oid_t oid;
    bson_decimal128_t dec;
    uint64_t bits;
    double d;
    int t;

    for (i = 0; i < count; i++) {
        if (is_array) {
            snprintf(key, sizeof(key), "%u", i);
        } else {
            random_string(s, &slen);
            if (memchr(s, '\0', slen) != NULL || slen > 60) {
                snprintf(key, sizeof(key), "k%u", i);
            } else {
                memcpy(key, s, slen + 1);
            }
        }
        t = (int)rnd_below(22);
        switch (t) {
        case 0:
            bits = rnd();
            memcpy(&d, &bits, sizeof(d));
            BSON_APPEND_DOUBLE(doc, key, d);
            break;
        case 1:
            BSON_APPEND_DOUBLE(doc, key,
                               (double)(int64_t)(rnd() % 100000) / 100.0);
            break;
        case 2:
            random_string(s, &slen);
            bson_append_utf8(doc, key, -1, s, (int)slen);
            break;
        case 3:
        case 4:
            if (depth < 6) {
                if (t == 3) {
                    BSON_APPEND_DOCUMENT_BEGIN(doc, key, &child);
                    random_doc(&child, depth + 1, 0);
                    bson_append_document_end(doc, &child);
                } else {
                    BSON_APPEND_ARRAY_BEGIN(doc, key, &child);
                    random_doc(&child, depth + 1, 1);
                    bson_append_array_end(doc, &child);
                }
            }
            break;
        case 5:
            random_string(s, &slen);
            BSON_APPEND_BINARY(doc, key, (bson_subtype_t)rnd_below(256),
                               (const uint8_t *)s, (uint32_t)slen);
            break;
        case 6:
            BSON_APPEND_UNDEFINED(doc, key);
            break;
        case 7:
            bson_oid_init_from_data(&oid, (const uint8_t *)"0123456789ab");
            oid.bytes[0] = (uint8_t)rnd();
            BSON_APPEND_OID(doc, key, &oid);
            break;
        case 8:
            BSON_APPEND_BOOL(doc, key, rnd() & 1);
            break;
        case 9:
            BSON_APPEND_DATE_TIME(doc, key, (int64_t)rnd());
            break;
        case 10:
            BSON_APPEND_NULL(doc, key);
            break;
        case 11:
            random_string(s, &slen);
            if (memchr(s, '\0', slen) == NULL) {
                BSON_APPEND_REGEX(doc, key, s, "smix");
            }
            break;
        case 12:
            random_string(s, &slen);
            if (memchr(s, '\0', slen) == NULL) {
                BSON_APPEND_DBPOINTER(doc, key, s, &oid);
            }
            break;
        case 13:
            random_string(s, &slen);
            bson_append_code(doc, key, -1, memchr(s, '\0', slen) ? "x" : s);
            break;
        case 14:
            random_string(s, &slen);
            bson_append_symbol(doc, key, -1, s, (int)slen);
            break;
        case 15:
            bson_init(&child);
            if (depth < 5) {
                random_doc(&child, depth + 1, 0);
            }
            random_string(s, &slen);
            bson_append_code_with_scope(
                doc, key, -1, memchr(s, '\0', slen) ? "y" : s, &child);
            bson_destroy(&child);
            break;
        case 16:
            BSON_APPEND_INT32(doc, key, (int32_t)rnd());
            break;
        case 17:
            BSON_APPEND_TIMESTAMP(doc, key, (uint32_t)rnd(), (uint32_t)rnd());
            break;
        case 18:
            BSON_APPEND_INT64(doc, key, (int64_t)(rnd() >> rnd_below(64)));
            break;
        case 19:
            dec.high = rnd();
            dec.low = rnd();
            BSON_APPEND_DECIMAL128(doc, key, &dec);
            break;
        case 20:
            BSON_APPEND_MAXKEY(doc, key);
            break;
        default:
            BSON_APPEND_MINKEY(doc, key);
            break;
        }
    }
}

static void
test_ejson_write_random_documents(void **state)
{
    bson_t doc;
    int i;

    rng_state = 20240601;
    for (i = 0; i < 4000; i++) {
        bson_init(&doc);
        random_doc(&doc, 0, 0);
        expect_same(&doc);
        bson_destroy(&doc);
    }
}


static void
test_ejson_write_not_a_document(void **state)
{
    static const uint8_t empty[] = {5, 0, 0, 0, 0};
    static const uint8_t short_len[] = {6, 0, 0, 0, 0};
    static const uint8_t no_nul[] = {5, 0, 0, 0, 1};
    static const uint8_t junk[] = {6, 0, 0, 0, 0, 0};
    struct mbk_buf out;

    expect_fail(empty, 4, "corrupt BSON: 4 bytes are not a document");
    expect_fail(short_len, 5, "corrupt BSON");
    expect_fail(no_nul, 5, "corrupt BSON");
    expect_fail(junk, 6, "corrupt BSON at offset 6");
    expect_fail(NULL, 0, "corrupt BSON");

    mbk_buf_init(&out, 100);
    assert_int_equal(mbk_ejson_write(&out, empty, 5, NULL), 0);
    assert_string_equal(out.data, "{ }");
    mbk_buf_free(&out);
}

static void
test_ejson_write_invalid_utf8(void **state)
{
    bson_t doc;
    bson_t child;
    bson_oid_t oid;

    bson_init(&doc);
    BSON_APPEND_INT32(&doc, "ok", 1);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "a", &child);
    bson_append_utf8(&child, "b", -1, "caf\xc3", 4);
    bson_append_document_end(&doc, &child);
    expect_both_fail(&doc, "invalid UTF-8 in the string at \"a.b\"");
    bson_destroy(&doc);

    bson_init(&doc);
    BSON_APPEND_ARRAY_BEGIN(&doc, "list", &child);
    BSON_APPEND_INT32(&child, "0", 1);
    bson_append_utf8(&child, "1", -1, "\xed\xa0\x80", 3); /* a surrogate */
    bson_append_array_end(&doc, &child);
    expect_both_fail(&doc, "invalid UTF-8 in the string at \"list.1\"");
    bson_destroy(&doc);

    bson_init(&doc);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "a", &child);
    bson_append_null(&child, "bad\xff", -1);
    bson_append_document_end(&doc, &child);
    expect_both_fail(&doc, "invalid UTF-8 in the key at offset 11 "
                           "(inside \"a\")");
    bson_destroy(&doc);

    bson_init(&doc);
    bson_append_utf8(&doc, "overlong", -1, "\xc0\x80", 2);
    expect_both_fail(&doc, "string at \"overlong\"");
    bson_destroy(&doc);

    bson_init(&doc);
    bson_append_code(&doc, "c", -1, "x\xf4\x90\x80\x80");
    expect_both_fail(&doc, "invalid UTF-8 in the code at \"c\"");
    bson_destroy(&doc);

    bson_init(&doc);
    bson_append_symbol(&doc, "s", -1, "\x80", 1);
    expect_both_fail(&doc, "invalid UTF-8 in the symbol at \"s\"");
    bson_destroy(&doc);

    bson_init(&doc);
    bson_append_regex(&doc, "r", -1, "a\xe0\x80\x80", "i");
    expect_both_fail(&doc, "regular expression at \"r\"");
    bson_destroy(&doc);

    bson_init(&doc);
    bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
    bson_append_dbpointer(&doc, "p", -1, "db.\xfe", &oid);
    expect_both_fail(&doc, "DBPointer at \"p\"");
    bson_destroy(&doc);

    bson_init(&doc);
    bson_init(&child);
    bson_append_utf8(&child, "x", -1, "\xff", 1);
    bson_append_code_with_scope(&doc, "cws", -1, "f()", &child);
    bson_destroy(&child);
    expect_both_fail(&doc, "invalid UTF-8 in the string at \"cws.x\"");
    bson_destroy(&doc);
}

static void
test_ejson_write_corrupt_elements(void **state)
{
    bson_t doc;
    bson_t child;
    uint8_t *raw;
    uint32_t len;

    bson_init(&doc);
    BSON_APPEND_DOCUMENT_BEGIN(&doc, "a", &child);
    BSON_APPEND_UTF8(&child, "s", "hello");
    bson_append_document_end(&doc, &child);
    len = doc.len;
    raw = bson_destroy_with_steal(&doc, true, &len);
    /* Offsets: "a" at 4, its document at 7, "s" at 11, its length at 14,
     * "hello" at 18, the end of "a" at 24. */
    raw[14] = 200;
    expect_fail(raw, len, "corrupt BSON at offset 14 (inside \"a\")");
    raw[14] = 6;
    raw[11] = 0x42; /* an unknown element type */
    expect_fail(raw, len, "corrupt BSON at offset 14 (inside \"a\")");
    raw[11] = BSON_TYPE_UTF8;
    expect_same_raw(raw, len);
    /* an embedded document whose last byte is not NUL: libbson prints
     * "a" : with no value; mbk refuses */
    raw[24] = 1;
    expect_fail(raw, len, "corrupt BSON at offset 4 (inside \"(top level)\")");
    bson_free(raw);
}

static void
test_ejson_write_buffer_limit(void **state)
{
    struct mbk_buf out;
    struct mbk_error err;
    bson_t doc;
    size_t n;
    char *want;
    char big[3000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    bson_init(&doc);
    BSON_APPEND_UTF8(&doc, "big", big);
    BSON_APPEND_INT32(&doc, "n", 1);
    want = bson_as_canonical_extended_json(&doc, &n);

    /* exactly enough room: success, even though the worst case is not */
    mbk_buf_init(&out, 3 + n);
    assert_int_equal(mbk_buf_append_str(&out, "[x]", NULL), 0);
    assert_int_equal(mbk_ejson_write_bson(&out, &doc, &err), 0);
    assert_int_equal(out.len, 3 + n);
    assert_string_equal(out.data + 3, want);
    mbk_buf_free(&out);

    /* one byte short: failure, out untouched */
    mbk_buf_init(&out, 3 + n - 1);
    assert_int_equal(mbk_buf_append_str(&out, "[x]", NULL), 0);
    assert_int_equal(mbk_ejson_write_bson(&out, &doc, &err), -1);
    assert_int_equal(err.code, MBK_ENGINE_ELIMIT);
    assert_non_null(strstr(err.message, "limit"));
    assert_int_equal(out.len, 3);
    assert_string_equal(out.data, "[x]");
    mbk_buf_free(&out);

    /* appending twice to one buffer gives both texts */
    mbk_buf_init(&out, 1 << 20);
    assert_int_equal(mbk_ejson_write_bson(&out, &doc, NULL), 0);
    assert_int_equal(mbk_ejson_write_bson(&out, &doc, NULL), 0);
    assert_int_equal(out.len, 2 * n);
    assert_memory_equal(out.data + n, want, n);
    mbk_buf_free(&out);
    bson_free(want);
    bson_destroy(&doc);
}

/* Is text well-formed JSON? (libbson prints some corrupt input as text
 * that is not) */
static int
json_ok(const char *text)
{
    struct json_tokener *tok = json_tokener_new_ex(10000);
    struct json_object *obj;
    int ok;

    obj = json_tokener_parse_ex(tok, text, (int)strlen(text));
    ok = obj != NULL && json_tokener_get_error(tok) == json_tokener_success;
    json_object_put(obj);
    json_tokener_free(tok);
    return ok;
}

/* Damaged documents: where libbson fails, mbk fails; where libbson prints
 * JSON, mbk prints the same, unless the input is corrupt (bson_validate says
 * so) or libbson's text is not JSON at all; then mbk refuses it. */
static void
test_ejson_write_damaged_documents(void **state)
{
    struct mbk_buf out;
    struct mbk_error err;
    bson_t doc;
    bson_t view;
    uint8_t *raw;
    uint32_t len;
    char *want;
    size_t n;
    int i;
    int j;
    int same = 0;
    int refused = 0;
    int diverged = 0;
    int escapes;

    rng_state = 777;
    mbk_buf_init(&out, (size_t)1 << 30);
    for (i = 0; i < 6000; i++) {
        bson_init(&doc);
        random_doc(&doc, 0, 0);
        len = doc.len;
        raw = bson_destroy_with_steal(&doc, true, &len);
        for (j = (int)rnd_below(3); j >= 0 && len > 5; j--) {
            switch (rnd_below(3)) {
            case 0:
                raw[4 + rnd_below(len - 5)] ^= (uint8_t)(1u << rnd_below(8));
                break;
            case 1:
                raw[4 + rnd_below(len - 5)] = (uint8_t)rnd();
                break;
            default:
                raw[4 + rnd_below(len - 5)] = 0;
                break;
            }
        }
        assert_true(bson_init_static(&view, raw, len));
        want = bson_as_canonical_extended_json(&view, &n);
        mbk_buf_reset(&out);
        if (mbk_ejson_write_ex(&out, raw, len, &escapes, &err) == 0) {
            assert_non_null(want);
            /* with escapes > 0 the rule is checked on valid documents
             * (random, above); here only that libbson printed it too */
            if (escapes == 0
                && (out.len != n || memcmp(out.data, want, n) != 0)) {
                fail_msg("doc %d differs\nlibbson: %s\nmbk:     %s", i, want,
                         out.data);
            }
            same++;
        } else if (want == NULL) {
            assert_int_equal(out.len, 0);
            refused++;
        } else {
            if (bson_validate(&view, BSON_VALIDATE_NONE, NULL)
                && json_ok(want)) {
                fail_msg("doc %d: mbk refused (%s) what libbson prints as "
                         "%s", i, err.message, want);
            }
            diverged++;
        }
        bson_free(want);
        bson_free(raw);
    }
    mbk_buf_free(&out);
    print_message("damaged: %d same, %d refused by both, %d refused by mbk "
                  "only (corrupt)\n", same, refused, diverged);
    assert_true(same > 500);
    assert_true(refused > 500);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ejson_write_doubles),
        cmocka_unit_test(test_ejson_write_double_formatter),
        cmocka_unit_test(test_ejson_write_integers_and_dates),
        cmocka_unit_test(test_ejson_write_every_type),
        cmocka_unit_test(test_ejson_write_decimal128),
        cmocka_unit_test(test_ejson_write_binary),
        cmocka_unit_test(test_ejson_write_regex_options),
        cmocka_unit_test(test_ejson_write_keys_and_strings),
        cmocka_unit_test(test_ejson_write_big_string),
        cmocka_unit_test(test_ejson_write_utf8_sequences),
        cmocka_unit_test(test_ejson_write_nesting),
        cmocka_unit_test(test_ejson_write_random_documents),
        cmocka_unit_test(test_ejson_write_not_a_document),
        cmocka_unit_test(test_ejson_write_invalid_utf8),
        cmocka_unit_test(test_ejson_write_corrupt_elements),
        cmocka_unit_test(test_ejson_write_buffer_limit),
        cmocka_unit_test(test_ejson_write_damaged_documents),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
