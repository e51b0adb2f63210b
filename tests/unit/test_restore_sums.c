/*
 * test_restore_sums.c: the digests restore's read-back check compares
 * (engine/restore/restore_target.c): the standard CRC-32 and Adler-32
 * values, one pass giving what the two-pass digest gave, and a changed
 * document caught whether or not the set holds empty Timestamps.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/restore/restore_private.h"

#define GOLDEN 0x9e3779b97f4a7c15ULL

/* CRC-32 of "123456789" is the check value of the CRC catalogue; Adler-32
 * of it is RFC 1950's algorithm by hand: the digest is what zlib's
 * crc32()/adler32() gave before. */
static void
test_restore_sums_known_values(void **state)
{
    uint64_t sum[2] = {0, 0};

    (void)state;
    mbk_engine_restore_sum(sum, (const uint8_t *)"123456789", 9);
    assert_true(sum[0] == ((0xcbf43926ULL << 32) | 0x091e01deULL));
    assert_true(sum[1] == 9 * GOLDEN + 0xcbf43926ULL);
    /* and it adds */
    mbk_engine_restore_sum(sum, (const uint8_t *)"", 0);
    assert_true(sum[0] == ((0xcbf43926ULL << 32) | 0x091e01deULL) + 1);
}

/* The long way, independent of restore_target.c: a copy with _id first
 * (libbson appends elements byte for byte), and a second copy with every
 * top-level Timestamp but _id's set to Timestamp(0, 0), each summed. */
static void
long_way(const bson_t *doc, uint64_t full[2], uint64_t no_ts[2])
{
    bson_t first = BSON_INITIALIZER;
    bson_t *zeroed;
    bson_iter_t it;

    if (bson_iter_init_find(&it, doc, "_id")) {
        bson_append_iter(&first, "_id", 3, &it);
    }
    assert_true(bson_iter_init(&it, doc));
    while (bson_iter_next(&it)) {
        if (strcmp(bson_iter_key(&it), "_id") != 0) {
            bson_append_iter(&first, NULL, 0, &it);
        }
    }
    mbk_engine_restore_sum(full, bson_get_data(&first), first.len);
    zeroed = bson_copy(&first);
    assert_true(bson_iter_init(&it, zeroed));
    while (bson_iter_next(&it)) {
        if (BSON_ITER_HOLDS_TIMESTAMP(&it) &&
            strcmp(bson_iter_key(&it), "_id") != 0) {
            bson_iter_overwrite_timestamp(&it, 0, 0);
        }
    }
    mbk_engine_restore_sum(no_ts, bson_get_data(zeroed), zeroed->len);
    bson_destroy(zeroed);
    bson_destroy(&first);
}

static void
add_json(struct mbk_restore_sums *s, const char *json)
{
    bson_error_t e;
    bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, &e);

    if (doc == NULL) {
        fail_msg("%s: %s", json, e.message);
    }
    mbk_engine_restore_sum_doc(s, bson_get_data(doc), doc->len);
    bson_destroy(doc);
}

/* Documents with and without top-level Timestamps (empty or not), _id
 * first or not, a Timestamp as _id or nested: the one-pass digest of each
 * is the long way's, and without a top-level Timestamp (_id's does not
 * count) both digests are the same sum. */
static void
test_restore_sums_one_pass_equals_two(void **state)
{
    static const struct {
        const char *json;
        bool has_ts;
        bool reordered;
    } docs[] = {
        {"{\"_id\": 1, \"a\": \"x\"}", false, false},
        {"{\"a\": \"x\", \"_id\": 1}", false, true},
        {"{\"a\": 1}", false, false},
        {"{}", false, false},
        {"{\"_id\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}, \"a\": 1}", false,
         false},
        {"{\"_id\": 1, \"s\": {\"t\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}}}",
         false, false},
        {"{\"_id\": 1, \"t\": {\"$timestamp\": {\"t\": 5, \"i\": 6}}}", true,
         false},
        {"{\"_id\": 1, \"t\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}}", true,
         false},
        {"{\"t\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}, \"_id\": 2, "
         "\"u\": {\"$timestamp\": {\"t\": 7, \"i\": 1}}}",
         true, true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct mbk_restore_sums s;
        uint64_t full[2] = {0, 0};
        uint64_t no_ts[2] = {0, 0};
        bson_error_t e;
        bson_t *doc = bson_new_from_json((const uint8_t *)docs[i].json, -1,
                                         &e);

        assert_non_null(doc);
        memset(&s, 0, sizeof(s));
        mbk_engine_restore_sum_doc(&s, bson_get_data(doc), doc->len);
        long_way(doc, full, no_ts);
        if (s.full[0] != full[0] || s.full[1] != full[1] ||
            s.no_ts[0] != no_ts[0] || s.no_ts[1] != no_ts[1]) {
            fail_msg("%s: the digest differs from the long way's",
                     docs[i].json);
        }
        if (!docs[i].has_ts) {
            assert_true(s.full[0] == s.no_ts[0] && s.full[1] == s.no_ts[1]);
        }
        assert_int_equal(s.reordered, docs[i].reordered ? 1 : 0);
        assert_false(s.oom);
        bson_destroy(doc);
    }
}

/* Written, then read back in another order with _id moved first: equal;
 * one character of one document changed: different. */
static void
test_restore_sums_detect_change(void **state)
{
    struct mbk_restore_sums w;
    struct mbk_restore_sums same;
    struct mbk_restore_sums changed;

    (void)state;
    memset(&w, 0, sizeof(w));
    memset(&same, 0, sizeof(same));
    memset(&changed, 0, sizeof(changed));
    add_json(&w, "{\"_id\": 1, \"name\": \"Ada\"}");
    add_json(&w, "{\"n\": 2, \"_id\": 2}");
    add_json(&w, "{\"_id\": 3, \"t\": {\"$timestamp\": {\"t\": 9, \"i\": 1}}}");
    assert_int_equal(w.empty_ts, 0);

    add_json(&same, "{\"_id\": 3, \"t\": {\"$timestamp\": {\"t\": 9, \"i\": 1}}}");
    add_json(&same, "{\"_id\": 2, \"n\": 2}");
    add_json(&same, "{\"_id\": 1, \"name\": \"Ada\"}");
    assert_true(mbk_engine_restore_sums_equal(&w, &same));

    add_json(&changed, "{\"_id\": 3, \"t\": {\"$timestamp\": {\"t\": 9, \"i\": 1}}}");
    add_json(&changed, "{\"_id\": 2, \"n\": 2}");
    add_json(&changed, "{\"_id\": 1, \"name\": \"Adb\"}");
    assert_false(mbk_engine_restore_sums_equal(&w, &changed));

    /* a non-empty Timestamp is compared whole */
    memset(&changed, 0, sizeof(changed));
    add_json(&changed, "{\"_id\": 3, \"t\": {\"$timestamp\": {\"t\": 9, \"i\": 2}}}");
    add_json(&changed, "{\"_id\": 2, \"n\": 2}");
    add_json(&changed, "{\"_id\": 1, \"name\": \"Ada\"}");
    assert_false(mbk_engine_restore_sums_equal(&w, &changed));
}

/* With an empty Timestamp among the written documents the digests without
 * Timestamps are compared: the filled-in time passes, a change in that
 * document or in one without any Timestamp (summed once now) does not. */
static void
test_restore_sums_detect_change_with_empty_ts(void **state)
{
    static const char *const written[] = {
        "{\"_id\": 1, \"t\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}, "
        "\"a\": \"x\"}",
        "{\"_id\": 2, \"name\": \"Ada\"}",
    };
    static const char *const reads[][2] = {
        {"{\"_id\": 1, \"t\": {\"$timestamp\": {\"t\": 1700000000, \"i\": 1}}, "
         "\"a\": \"x\"}",
         "{\"_id\": 2, \"name\": \"Ada\"}"},
        {"{\"_id\": 1, \"t\": {\"$timestamp\": {\"t\": 1700000000, \"i\": 1}}, "
         "\"a\": \"y\"}",
         "{\"_id\": 2, \"name\": \"Ada\"}"},
        {"{\"_id\": 1, \"t\": {\"$timestamp\": {\"t\": 1700000000, \"i\": 1}}, "
         "\"a\": \"x\"}",
         "{\"_id\": 2, \"name\": \"Adb\"}"},
    };
    struct mbk_restore_sums w;

    (void)state;
    memset(&w, 0, sizeof(w));
    add_json(&w, written[0]);
    add_json(&w, written[1]);
    assert_int_equal(w.empty_ts, 1);
    for (size_t i = 0; i < 3; i++) {
        struct mbk_restore_sums r;

        memset(&r, 0, sizeof(r));
        add_json(&r, reads[i][1]);
        add_json(&r, reads[i][0]);
        if (mbk_engine_restore_sums_equal(&w, &r) != (i == 0)) {
            fail_msg("read set %zu: %s", i, i == 0 ? "should match"
                                                   : "should differ");
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_sums_known_values),
        cmocka_unit_test(test_restore_sums_one_pass_equals_two),
        cmocka_unit_test(test_restore_sums_detect_change),
        cmocka_unit_test(test_restore_sums_detect_change_with_empty_ts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
