/*
 * test_names.c: backup, database and collection naming rules, globs and
 * timestamps.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine/names.h"

/* 2026-11-26T13:05:09.042Z */
#define T0 1795698309042LL

static void
test_names_backup_accepts_the_allowed_set(void **state)
{
    struct mbk_error err;

    assert_int_equal(mbk_names_backup_check("Daily-crm_1.2", &err), 0);
    assert_int_equal(mbk_names_backup_check("a", &err), 0);
}

static void
test_names_backup_refuses_bad_names(void **state)
{
    static const char *const bad[] = {
        "", ".hidden", "a/b", "../x", "a b", "x\n", "caf\xc3\xa9", "a:b",
    };
    char longname[130];
    struct mbk_error err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mbk_error plugin_side;

        mbk_error_clear(&err);
        assert_int_equal(mbk_names_backup_check(bad[i], &err), -1);
        assert_int_equal(err.domain, MBK_ERROR_STORAGE);
        assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
        assert_non_null(strstr(err.message, "backup name"));
        /* One rule: the engine and a plugin say the same thing. */
        assert_int_equal(mbk_storage_name_check(bad[i], &plugin_side), -1);
        assert_string_equal(err.message, plugin_side.message);
    }
    mbk_names_backup_check("a/b", &err);
    assert_string_equal(err.message, "backup name has a forbidden character "
                                     "'/' at byte 1 (allowed: A-Z a-z 0-9 . "
                                     "_ -)");
    memset(longname, 'a', 129);
    longname[129] = '\0';
    assert_int_equal(mbk_names_backup_check(longname, &err), -1);
    assert_string_equal(err.message, "backup name is too long: 129 bytes, "
                                     "at most 128");
    longname[128] = '\0';
    assert_int_equal(mbk_names_backup_check(longname, &err), 0);
}

static void
test_names_backup_file_extensions_and_timestamp(void **state)
{
    char file[200];
    char stem[200];
    struct mbk_error err;

    assert_int_equal(mbk_names_backup_file("daily", true, true, T0, file,
                                           sizeof(file), stem, sizeof(stem),
                                           &err),
                     0);
    assert_string_equal(file, "daily_2026-11-26T13-05-09Z.json.gz");
    assert_string_equal(stem, "daily_2026-11-26T13-05-09Z");
    assert_int_equal(mbk_names_backup_file("daily.json", false, false, T0,
                                           file, sizeof(file), stem,
                                           sizeof(stem), &err),
                     0);
    assert_string_equal(file, "daily.json");
    assert_int_equal(mbk_names_backup_file("daily.json", false, true, T0,
                                           file, sizeof(file), stem,
                                           sizeof(stem), &err),
                     -1);
    assert_non_null(strstr(err.message, "compression is gzip"));
}

static void
test_names_backup_file_too_long_with_timestamp(void **state)
{
    char name[129];
    char file[200];
    char stem[200];
    struct mbk_error err;

    memset(name, 'n', 120);
    name[120] = '\0';
    assert_int_equal(mbk_names_backup_file(name, true, false, T0, file,
                                           sizeof(file), stem, sizeof(stem),
                                           &err),
                     -1);
    assert_non_null(strstr(err.message, "timestamp"));
}

static void
test_names_db_rules(void **state)
{
    static const char *const bad[] = {
        "", "a.b", "a b", "a/b", "a\\b", "a$b", "a\"b", "a*b", "a<b", "a>b",
        "a:b", "a|b", "a?b",
    };
    char longname[65];
    struct mbk_error err;

    assert_int_equal(mbk_names_db_check("crm_2026-prod", &err), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mbk_names_db_check(bad[i], &err), -1);
        assert_non_null(strstr(err.message, "database name"));
    }
    memset(longname, 'd', 64);
    longname[64] = '\0';
    assert_int_equal(mbk_names_db_check(longname, &err), -1);
    longname[63] = '\0';
    assert_int_equal(mbk_names_db_check(longname, &err), 0);
}

static void
test_names_coll_rules(void **state)
{
    char longname[260];
    struct mbk_error err;

    assert_int_equal(mbk_names_coll_check("crm", "users.archive", &err), 0);
    assert_int_equal(mbk_names_coll_check("crm", "", &err), -1);
    assert_int_equal(mbk_names_coll_check("crm", "a$b", &err), -1);
    assert_non_null(strstr(err.message, "'$'"));
    assert_int_equal(mbk_names_coll_check("crm", "system.users", &err), -1);
    assert_non_null(strstr(err.message, "reserved"));
    memset(longname, 'c', 252);
    longname[252] = '\0';
    assert_int_equal(mbk_names_coll_check("crm", longname, &err), -1);
    assert_non_null(strstr(err.message, "255"));
}

static void
test_names_glob(void **state)
{
    assert_true(mbk_names_glob_match("users", "users"));
    assert_false(mbk_names_glob_match("users", "users2"));
    assert_true(mbk_names_glob_match("user*", "users"));
    assert_true(mbk_names_glob_match("*", ""));
    assert_true(mbk_names_glob_match("*log*", "audit_logs_2026"));
    assert_true(mbk_names_glob_match("a*b*c", "axxbyyc"));
    assert_false(mbk_names_glob_match("a*b*c", "axxbyy"));
    assert_true(mbk_names_glob_match("*.archive", "users.archive"));
    assert_false(mbk_names_glob_match("?sers", "users"));
}

static void
test_names_list_match(void **state)
{
    const char *const pats[] = {"audit*", "roles", NULL};

    assert_true(mbk_names_list_match(pats, "roles"));
    assert_true(mbk_names_list_match(pats, "audit_events"));
    assert_false(mbk_names_list_match(pats, "users"));
    assert_false(mbk_names_list_match(NULL, "users"));
}

static void
test_names_iso8601_has_milliseconds(void **state)
{
    char buf[32];

    mbk_names_iso8601(T0, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-26T13:05:09.042Z");
    mbk_names_iso8601(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
}

static void
test_names_hex_lowercase(void **state)
{
    static const unsigned char d[] = {0x00, 0x9f, 0xa0, 0xff};
    char out[9];

    memset(out, 'x', sizeof(out));
    mbk_names_hex(d, sizeof(d), out);
    assert_string_equal(out, "009fa0ff");
    mbk_names_hex(d, 0, out);
    assert_string_equal(out, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_backup_accepts_the_allowed_set),
        cmocka_unit_test(test_names_backup_refuses_bad_names),
        cmocka_unit_test(test_names_backup_file_extensions_and_timestamp),
        cmocka_unit_test(test_names_backup_file_too_long_with_timestamp),
        cmocka_unit_test(test_names_db_rules),
        cmocka_unit_test(test_names_coll_rules),
        cmocka_unit_test(test_names_glob),
        cmocka_unit_test(test_names_list_match),
        cmocka_unit_test(test_names_iso8601_has_milliseconds),
        cmocka_unit_test(test_names_hex_lowercase),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
