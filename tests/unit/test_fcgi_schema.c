/*
 * test_fcgi_schema.c: the strict validator of request bodies and query
 * strings: what passes, and that each refusal is a 400 naming the field.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/names.h"
#include "fcgi/http.h"
#include "fcgi/schema.h"

static const char *const colours[] = {"red", "blue", NULL};

static const struct mbk_fcgi_field schema[] = {
    {"name", MBK_FCGI_T_STRING, true, 1, 16, NULL, mbk_names_backup_check},
    {"colour", MBK_FCGI_T_STRING, false, 0, 8, colours, NULL},
    {"count", MBK_FCGI_T_INT, false, 1, 10, NULL, NULL},
    {"flag", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {"list", MBK_FCGI_T_STRINGS, false, 0, 3, NULL, NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

/* Parse text; return the status (0 when accepted) and the field. */
static int
json_status(const char *text, char *field)
{
    struct json_object *o = NULL;
    struct mbk_error err;

    memset(&err, 0, sizeof(err));
    if (mbk_fcgi_schema_parse_json(schema, text, strlen(text), &o,
                                   &err) == 0) {
        json_object_put(o);
        return 0;
    }
    assert_null(o);
    /* the field at fault travels in the error */
    snprintf(field, 64, "%s", err.field);
    return mbk_fcgi_status_of(&err);
}

static void
test_schema_json_accepts_a_valid_body(void **state)
{
    struct json_object *o = NULL;
    struct mbk_error err;
    const char *text = "{\"name\":\"daily\",\"colour\":\"red\",\"count\":3,"
                       "\"flag\":true,\"list\":[\"a\",\"b\"]}";
    const char **v;

    assert_int_equal(mbk_fcgi_schema_parse_json(schema, text, strlen(text),
                                                &o, &err),
                     0);
    assert_string_equal(mbk_fcgi_get_str(o, "name", NULL), "daily");
    assert_int_equal(mbk_fcgi_get_int(o, "count", 0), 3);
    assert_true(mbk_fcgi_get_bool(o, "flag", false));
    v = mbk_fcgi_get_strv(o, "list");
    assert_non_null(v);
    assert_string_equal(v[1], "b");
    assert_null(v[2]);
    free(v);
    json_object_put(o);
}

static void
test_schema_json_refuses_and_names_the_field(void **state)
{
    static const struct {
        const char *text;
        const char *field;
    } cases[] = {
        {"{\"name\":\"a\",\"extra\":1}", "extra"},       /* unknown */
        {"{\"colour\":\"red\"}", "name"},                /* required */
        {"{\"name\":5}", "name"},                        /* type */
        {"{\"name\":\"../etc\"}", "name"},               /* name rule */
        {"{\"name\":\"aaaaaaaaaaaaaaaaa\"}", "name"},    /* too long */
        {"{\"name\":\"a\",\"colour\":\"green\"}", "colour"}, /* enum */
        {"{\"name\":\"a\",\"count\":11}", "count"},      /* range */
        {"{\"name\":\"a\",\"count\":1.5}", "count"},     /* not an int */
        {"{\"name\":\"a\",\"flag\":\"yes\"}", "flag"},
        {"{\"name\":\"a\",\"list\":[\"a\",\"b\",\"c\",\"d\"]}", "list"},
        {"{\"name\":\"a\",\"list\":[1]}", "list"},
        {"{\"name\":\"a\\u0007b\"}", "name"},            /* control char */
        {"{\"name\":\"a\",\"colour\":\"r\\u0000d\"}", "colour"}, /* NUL */
    };
    char field[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        field[0] = '\0';
        assert_int_equal(json_status(cases[i].text, field), 400);
        assert_string_equal(field, cases[i].field);
    }
}

static void
test_schema_json_refuses_what_is_not_json(void **state)
{
    char field[64];
    char big[MBK_FCGI_JSON_MAX + 16];

    assert_int_equal(json_status("{\"name\":\"a\"", field), 400);
    assert_int_equal(json_status("{\"name\":\"a\"} x", field), 400);
    assert_int_equal(json_status("[1,2]", field), 400);
    assert_int_equal(json_status("{'name':'a'}", field), 400);
    assert_int_equal(json_status("{\"name\":\"\xff\"}", field), 400);
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(json_status(big, field), 413);
}

static int
query_status(const char *q, struct json_object **out, char *field)
{
    struct mbk_error err;

    memset(&err, 0, sizeof(err));
    *out = NULL;
    if (mbk_fcgi_schema_parse_query(schema, q, out, &err) == 0) {
        return 0;
    }
    snprintf(field, 64, "%s", err.field);
    return mbk_fcgi_status_of(&err);
}

static void
test_schema_query_types_and_decoding(void **state)
{
    struct json_object *o;
    char field[64];

    assert_int_equal(query_status("name=a%2Db&count=7&flag=true&list=x,y",
                                  &o, field),
                     0);
    assert_string_equal(mbk_fcgi_get_str(o, "name", NULL), "a-b");
    assert_int_equal(mbk_fcgi_get_int(o, "count", 0), 7);
    assert_true(mbk_fcgi_get_bool(o, "flag", false));
    json_object_put(o);
    assert_int_equal(query_status("name=b+c", &o, field), 400); /* space */
    assert_string_equal(field, "name");
}

static void
test_schema_query_refuses_tricks(void **state)
{
    static const struct {
        const char *q;
        const char *field;
    } cases[] = {
        {"name=%2e%2e%2fetc", "name"},     /* decoded once: "../etc" */
        {"name=a&name=b", "name"},          /* repeated */
        {"name=a&evil=1", "evil"},          /* unknown */
        {"name=a%0ab", "name"},             /* control character */
        {"name=a&count=1x", "count"},
        {"name=a&count=99", "count"},
        {"name=a&flag=maybe", "flag"},
        {"count=1", "name"},                /* required */
    };
    struct json_object *o;
    char field[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        field[0] = '\0';
        assert_int_equal(query_status(cases[i].q, &o, field), 400);
        assert_null(o);
        assert_string_equal(field, cases[i].field);
    }
    /* A bad escape or an encoded NUL refuses the whole query. */
    assert_int_equal(query_status("name=a%2", &o, field), 400);
    assert_int_equal(query_status("name=a%zz", &o, field), 400);
    assert_int_equal(query_status("name=a%00b", &o, field), 400);
}

/* Issue 11: strict UTF-8 and no bidirectional controls, in query values
 * and JSON strings alike; ordinary non-ASCII text passes. */
static void
test_schema_strict_text(void **state)
{
    static const char *const bad_q[] = {
        "name=a&list=%C0%AF",          /* overlong "/" */
        "name=a&list=%E0%80%AF",       /* overlong, 3 bytes */
        "name=a&list=%ED%A0%80",       /* a surrogate */
        "name=a&list=%F4%90%80%80",    /* past U+10FFFF */
        "name=a&list=%E2%80%AEtxt",    /* U+202E RIGHT-TO-LEFT OVERRIDE */
        "name=a&list=%E2%81%A6",       /* U+2066 LEFT-TO-RIGHT ISOLATE */
        "name=a&list=%E2%80%8F",       /* U+200F RIGHT-TO-LEFT MARK */
        "name=a&list=%C2%85",          /* C1 control NEL */
        "name=a&list=%C3",             /* cut short */
        "name=a&list=%80",             /* a lone continuation byte */
    };
    static const char *const bad_json[] = {
        "{\"name\":\"a\",\"list\":[\"\xc0\xaf\"]}",
        "{\"name\":\"a\",\"list\":[\"\xed\xa0\x80\"]}",
        "{\"name\":\"a\",\"list\":[\"\\u202e\"]}",
        "{\"name\":\"a\",\"list\":[\"\xe2\x81\xa9\"]}",
        "{\"name\":\"a\",\"list\":[\"\\ud800\"]}",
        "{\"name\":\"a\",\"list\":[\"\\u0085\"]}",
    };
    struct json_object *o;
    char field[64];

    (void)state;
    for (size_t i = 0; i < sizeof(bad_q) / sizeof(bad_q[0]); i++) {
        field[0] = '\0';
        assert_int_equal(query_status(bad_q[i], &o, field), 400);
        assert_string_equal(field, "list");
    }
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
        if (json_status(bad_json[i], field) != 400) {
            print_message("accepted: %s\n", bad_json[i]);
            fail();
        }
    }
    assert_int_equal(query_status("name=a&list=caf%C3%A9,%F0%9F%98%80", &o,
                                  field), 0);
    json_object_put(o);
    assert_int_equal(json_status("{\"name\":\"a\",\"list\":"
                                 "[\"caf\xc3\xa9\"]}", field), 0);
    /* a surrogate pair escaped is one character; an escaped backslash
     * before "u" is no escape */
    assert_int_equal(json_status("{\"name\":\"a\",\"list\":"
                                 "[\"\\ud83d\\ude00\", \"\\\\ud800\"]}",
                                 field), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_json_accepts_a_valid_body),
        cmocka_unit_test(test_schema_json_refuses_and_names_the_field),
        cmocka_unit_test(test_schema_json_refuses_what_is_not_json),
        cmocka_unit_test(test_schema_query_types_and_decoding),
        cmocka_unit_test(test_schema_query_refuses_tricks),
        cmocka_unit_test(test_schema_strict_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
