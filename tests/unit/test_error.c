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
        cmocka_unit_test(test_error_null_is_safe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
