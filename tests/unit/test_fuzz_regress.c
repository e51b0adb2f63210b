/*
 * test_fuzz_regress.c: the inputs libFuzzer found crashing (tests/fuzz/),
 * minimized, each with what the user must get instead.  Some of these
 * only fail under the sanitizer build (--enable-sanitizers), as the
 * fuzzers saw them.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/ejson/ejson_read.h"

/* json converts; the result as canonical Extended JSON is want. */
static void
converts(const char *json, const char *want)
{
    struct mbk_error err;
    bson_t doc;
    char *got;

    if (mbk_ejson_to_bson(json, strlen(json), &doc, &err) != 0) {
        fail_msg("%s refused: %s", json, err.message);
    }
    got = bson_as_canonical_extended_json(&doc, NULL);
    assert_string_equal(got, want);
    bson_free(got);
    bson_destroy(&doc);
}

/* json is refused with a message holding why. */
static void
refused(const char *json, const char *why)
{
    struct mbk_error err;
    bson_t doc;

    memset(&err, 0, sizeof(err));
    if (mbk_ejson_to_bson(json, strlen(json), &doc, &err) == 0) {
        char *got = bson_as_canonical_extended_json(&doc, NULL);

        bson_destroy(&doc);
        fail_msg("%s accepted as %s", json, got);
    }
    if (strstr(err.message, why) == NULL) {
        fail_msg("%s refused, but not for \"%s\": %s", json, why,
                 err.message);
    }
}

/* fuzz_ejson_read: a first key of 24 bytes starting with '$' wrote one
 * byte past the wrapper-name buffer (ASan: stack-buffer-overflow). */
static void
test_fuzz_regress_dollar_key_24(void **state)
{
    (void)state;
    converts("{\"a\":{\"$23456789012345678901234\":1}}",
             "{ \"a\" : { \"$23456789012345678901234\" : "
             "{ \"$numberInt\" : \"1\" } } }");
    converts("{\"a\":{\"$2345678901234567890123\":1}}",
             "{ \"a\" : { \"$2345678901234567890123\" : "
             "{ \"$numberInt\" : \"1\" } } }");
    converts("{\"a\":{\"$234567890123456789012345\":1}}",
             "{ \"a\" : { \"$234567890123456789012345\" : "
             "{ \"$numberInt\" : \"1\" } } }");
}

/* fuzz_ejson_doc: a long $binary subType shifted an int past its width
 * (UBSan) before its length was checked. */
static void
test_fuzz_regress_binary_subtype_long(void **state)
{
    (void)state;
    refused("{\"b\":{\"$binary\":{\"base64\":\"AAEC\",\"subType\":"
            "\"05a69788796a5b4\"}}}",
            "subType must be 1 or 2 hex digits");
}

/* Found reading that code: '`' passed for the hex digit 9. */
static void
test_fuzz_regress_binary_subtype_not_hex(void **state)
{
    (void)state;
    refused("{\"b\":{\"$binary\":{\"base64\":\"AAEC\",\"subType\":\"`\"}}}",
            "subType must be 1 or 2 hex digits");
    refused("{\"b\":{\"$binary\":{\"base64\":\"AAEC\",\"subType\":\"0g\"}}}",
            "subType must be 1 or 2 hex digits");
    converts("{\"b\":{\"$binary\":{\"base64\":\"AAEC\",\"subType\":\"8F\"}}}",
             "{ \"b\" : { \"$binary\" : { \"base64\" : \"AAEC\", "
             "\"subType\" : \"8f\" } } }");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_regress_dollar_key_24),
        cmocka_unit_test(test_fuzz_regress_binary_subtype_long),
        cmocka_unit_test(test_fuzz_regress_binary_subtype_not_hex),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
