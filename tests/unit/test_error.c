/*
 * test_error.c: struct mbk_error is set once and only gains context.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine/error.h"

static void
test_error_set_fills_all_fields(void **state)
{
    struct mbk_error err;

    mbk_error_clear(&err);
    assert_int_equal(mbk_error_set(&err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                   "bad \"%s\"", "jobs"),
                     -1);
    assert_int_equal(err.domain, MBK_ERROR_ENGINE);
    assert_int_equal(err.code, MBK_ENGINE_EINVAL);
    assert_string_equal(err.message, "bad \"jobs\"");
}

static void
test_error_sys_nginx_shape(void **state)
{
    struct mbk_error err;

    mbk_error_sys(&err, ENOENT, "open", "/x/y");
    assert_int_equal(err.domain, MBK_ERROR_SYS);
    assert_int_equal(err.code, ENOENT);
    assert_string_equal(err.message,
                        "open() \"/x/y\" failed: No such file or directory");
}

static void
test_error_prefix_keeps_cause(void **state)
{
    struct mbk_error err;

    mbk_error_set(&err, MBK_ERROR_STORAGE, 2, "no backup \"a\"");
    mbk_error_prefix(&err, "restore %s", "a");
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_string_equal(err.message, "restore a: no backup \"a\"");
}

/* A deep folder: "/tmp/aaaa.../aaaa.../..." of about len bytes. */
static void
deep_path(char *buf, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i++) {
        buf[i] = i % 40 == 0 ? '/' : (char) ('a' + (i / 40) % 26);
    }
    buf[len - 1] = '\0';
}

static void
test_error_long_path_keeps_cause(void **state)
{
    struct mbk_error err;
    char path[3000];
    const char *cause = "cannot open shared object file: No such file or "
                        "directory";
    size_t n;

    /* The loader's shape: the path twice, the cause at the very end. */
    deep_path(path, sizeof(path));
    mbk_error_set(&err, MBK_ERROR_PLUGIN, 2, "dlopen() \"%s/x.so\" failed: "
                  "%s/x.so: %s", path, path, cause);
    n = strlen(err.message);
    assert_true(n < sizeof(err.message));
    assert_true(n >= sizeof(err.message) - 8); /* cut, not emptied */
    assert_memory_equal(err.message, "dlopen() \"/aaa", 14);
    assert_non_null(strstr(err.message, "..."));
    assert_string_equal(err.message + n - strlen(cause), cause);
    assert_int_equal(err.domain, MBK_ERROR_PLUGIN);
}

static void
test_error_sys_shortens_path_in_the_middle(void **state)
{
    struct mbk_error err;
    char path[1000];
    char *dots;

    deep_path(path, sizeof(path));
    memcpy(path + sizeof(path) - 13, "/backup.json", 13); /* with NUL */
    mbk_error_sys(&err, ENOSPC, "write", path);
    /* The call, where the path starts, the file, and the cause. */
    assert_memory_equal(err.message, "write() \"/aaa", 13);
    assert_non_null(strstr(err.message, "/backup.json\" failed: No space "
                                        "left on device"));
    dots = strstr(err.message, "...");
    assert_non_null(dots);
    assert_true(strlen(err.message) < 60 + MBK_ERROR_PATH_SHOWN);
    /* A path that fits is shown whole. */
    mbk_error_sys(&err, ENOENT, "open", "/short/path");
    assert_string_equal(err.message, "open() \"/short/path\" failed: No "
                                     "such file or directory");
}

static void
test_error_prefix_of_full_message_keeps_cause(void **state)
{
    struct mbk_error err;
    char path[2000];
    size_t n;

    deep_path(path, sizeof(path));
    mbk_error_set(&err, MBK_ERROR_STORAGE, 1, "storage \"%s\": root gone",
                  path);
    mbk_error_prefix(&err, "backup %s", "crm");
    n = strlen(err.message);
    assert_true(n < sizeof(err.message));
    assert_memory_equal(err.message, "backup crm: storage \"/", 22);
    assert_string_equal(err.message + n - 12, "\": root gone");
}

static void
test_error_fit_cuts_no_utf8_sequence(void **state)
{
    char src[64];
    char dst[16];
    size_t i;

    /* "é" is two bytes: whatever the cut, dst stays valid UTF-8. */
    for (i = 0; i + 2 <= 40; i += 2) {
        src[i] = (char) 0xc3;
        src[i + 1] = (char) 0xa9;
    }
    for (i = 0; i < 2; i++) {
        size_t k;

        mbk_storage_msg_fit(dst, sizeof(dst), src + i, 40 - i);
        for (k = 0; dst[k] != '\0'; k++) {
            unsigned char c = (unsigned char) dst[k];

            if (c == 0xc3) {
                assert_int_equal((unsigned char) dst[k + 1], 0xa9);
                k++;
            } else if (c != '.') {
                assert_true(i == 1 && k == 0 && c == 0xa9);
            }
        }
        assert_non_null(strstr(dst, "..."));
    }
    /* What fits is copied as it is. */
    mbk_storage_msg_fit(dst, sizeof(dst), "short", 5);
    assert_string_equal(dst, "short");
}

static void
test_error_null_is_safe(void **state)
{
    assert_int_equal(mbk_error_set(NULL, 1, 1, "x"), -1);
    assert_int_equal(mbk_error_prefix(NULL, "x"), -1);
    mbk_error_clear(NULL);
    assert_string_equal(mbk_error_domain_name(MBK_ERROR_STORAGE), "storage");
    assert_string_equal(mbk_error_domain_name(999), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_fills_all_fields),
        cmocka_unit_test(test_error_sys_nginx_shape),
        cmocka_unit_test(test_error_prefix_keeps_cause),
        cmocka_unit_test(test_error_long_path_keeps_cause),
        cmocka_unit_test(test_error_sys_shortens_path_in_the_middle),
        cmocka_unit_test(test_error_prefix_of_full_message_keeps_cause),
        cmocka_unit_test(test_error_fit_cuts_no_utf8_sequence),
        cmocka_unit_test(test_error_null_is_safe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
