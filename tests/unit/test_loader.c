/*
 * test_loader.c: the plugin loader against fake plugins, each broken in
 * one way (storage/fake/fake_plugin.c), and the host wrappers' name and
 * capability checks.  Every failure must say clearly what is wrong.
 */
#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/loader.h"

static char fakedir[1024];
static char fixture[1024];

static int
setup(void **state)
{
    const char *b = getenv("MBK_BUILDDIR");
    char *real;

    if (b == NULL) {
        fprintf(stderr, "MBK_BUILDDIR is not set: run through make check\n");
        return -1;
    }
    snprintf(fakedir, sizeof(fakedir), "%s/storage/fake/.libs", b);
    snprintf(fixture, sizeof(fixture), "/tmp/mbk-loader-XXXXXX");
    if (mkdtemp(fixture) == NULL) {
        return -1;
    }
    real = realpath(fixture, NULL);
    if (real == NULL) {
        return -1;
    }
    snprintf(fixture, sizeof(fixture), "%s", real);
    free(real);
    return 0;
}

static int
teardown(void **state)
{
    return rmdir(fixture);
}

static void
assert_contains(const char *s, const char *part)
{
    if (strstr(s, part) == NULL) {
        fail_msg("\"%s\" does not contain \"%s\"", s, part);
    }
}

/* Load fake <name> and expect the message "plugin \"<path>\" <tail>". */
static void
assert_refused(const char *name, int32_t code, const char *tail)
{
    char path[1200];
    char expect[1500];
    struct mbk_error err;
    void *h = NULL;

    snprintf(path, sizeof(path), "%s/mbk_storage_%s.so", fakedir, name);
    memset(&err, 0, sizeof(err));
    assert_null(mbk_storage_plugin_load(path, name, &h, &err));
    assert_null(h);
    assert_int_equal(err.domain, MBK_ERROR_PLUGIN);
    assert_int_equal(err.code, code);
    snprintf(expect, sizeof(expect), "plugin \"%s\" %s", path, tail);
    assert_string_equal(err.message, expect);
}

static void
test_loader_good(void **state)
{
    const struct mbk_storage_plugin *p;
    char path[1200];
    void *h = NULL;

    snprintf(path, sizeof(path), "%s/mbk_storage_fakegood.so", fakedir);
    p = mbk_storage_plugin_load(path, "fakegood", &h, NULL);
    assert_non_null(p);
    assert_non_null(h);
    assert_string_equal(p->name, "fakegood");
    assert_int_equal(p->abi, MBK_STORAGE_ABI);
    assert_int_equal(dlclose(h), 0);
}

static void
test_loader_wrong_abi(void **state)
{
    char tail[128];

    snprintf(tail, sizeof(tail), "has ABI 99, this mbk needs %u",
             MBK_STORAGE_ABI);
    assert_refused("fakeabi", MBK_PLUGIN_EABI, tail);
}

static void
test_loader_size_too_small(void **state)
{
    char tail[128];

    snprintf(tail, sizeof(tail), "has a table of %zu bytes, too small: this "
             "mbk needs %zu", offsetof(struct mbk_storage_plugin, put_begin),
             offsetof(struct mbk_storage_plugin, reserved));
    assert_refused("fakesmall", MBK_PLUGIN_EABI, tail);
}

static void
test_loader_wrong_name(void **state)
{
    assert_refused("fakename", MBK_PLUGIN_EINVALID,
                   "calls itself \"impostor\", expected \"fakename\"");
}

static void
test_loader_missing_method(void **state)
{
    assert_refused("fakemethod", MBK_PLUGIN_EINVALID,
                   "lacks method put_commit");
}

static void
test_loader_unknown_caps(void **state)
{
    assert_refused("fakecaps", MBK_PLUGIN_EINVALID,
                   "has unknown capability bits 0x100");
}

static void
test_loader_missing_symbol(void **state)
{
    char path[1200];
    char expect[1500];
    struct mbk_error err;
    void *h = NULL;

    snprintf(path, sizeof(path), "%s/mbk_storage_fakenosym.so", fakedir);
    assert_null(mbk_storage_plugin_load(path, "fakenosym", &h, &err));
    assert_int_equal(err.domain, MBK_ERROR_PLUGIN);
    assert_int_equal(err.code, MBK_PLUGIN_ESYMBOL);
    /* Our context, then dlerror()'s own words. */
    snprintf(expect, sizeof(expect), "dlsym() \"mbk_storage_fakenosym_plugin\""
             " in \"%s\" failed: ", path);
    assert_memory_equal(err.message, expect, strlen(expect));
    assert_contains(err.message,
                    "undefined symbol: mbk_storage_fakenosym_plugin");
}

static void
test_loader_missing_file(void **state)
{
    char path[1200];
    char expect[1500];
    struct mbk_error err;
    void *h = NULL;

    snprintf(path, sizeof(path), "%s/mbk_storage_nothere.so", fakedir);
    assert_null(mbk_storage_plugin_load(path, "nothere", &h, &err));
    assert_int_equal(err.domain, MBK_ERROR_PLUGIN);
    assert_int_equal(err.code, MBK_PLUGIN_ELOAD);
    snprintf(expect, sizeof(expect), "dlopen() \"%s\" failed: ", path);
    assert_memory_equal(err.message, expect, strlen(expect));
    /* dlerror()'s cause, however deep the build folder is. */
    assert_contains(err.message, "cannot open shared object file: No such "
                                 "file or directory");
}

static void
test_loader_no_plugin_for_scheme(void **state)
{
    char expect[1500];
    struct mbk_error err;

    /* No module is named for it, and none of the fakes declares it. */
    assert_null(mbk_storage_open("nothere:/tmp", fakedir, &err));
    assert_int_equal(err.domain, MBK_ERROR_PLUGIN);
    assert_int_equal(err.code, MBK_PLUGIN_ESCHEME);
    snprintf(expect, sizeof(expect), "no storage plugin in \"%s\" handles "
             "\"nothere:\" locations (", fakedir);
    assert_memory_equal(err.message, expect, strlen(expect));
    /* The broken fakes are named, with why the first did not load. */
    assert_contains(err.message, "modules did not load; the first: plugin \"");
}

static void
test_loader_no_schemes(void **state)
{
    assert_refused("fakenoscheme", MBK_PLUGIN_EINVALID,
                   "declares no location scheme");
}

static int
keep_entry(const struct mbk_storage_entry *e, void *ud)
{
    char *out = ud;

    snprintf(out, 1100, "%s %llu %s", e->name, (unsigned long long) e->size,
             e->meta_json == NULL ? "-" : e->meta_json);
    return 0;
}

static void
test_loader_url_location_by_scheme(void **state)
{
    static const struct mbk_storage_option opts[] = {
        { "endpoint", "http://127.0.0.1:9" }, { "region", "eu" },
    };
    struct mbk_storage *s;
    struct mbk_error err;
    char got[1100];

    /* "fakes3:" is declared by mbk_storage_fakeurl.so: found by scanning,
     * the URL handed over whole with the options. */
    s = mbk_storage_open_options("fakes3://bucket/pre/fix", opts, 2, fakedir,
                                 &err);
    if (s == NULL) {
        fail_msg("open: %s", err.message);
    }
    assert_string_equal(mbk_storage_get_name(s), "fakeurl");
    assert_string_equal(mbk_storage_get_scheme(s), "fakes3");
    assert_string_equal(mbk_storage_get_location(s), "fakes3://bucket/pre/fix");
    assert_true(mbk_storage_get_caps(s) & MBK_STORAGE_CAP_URL_LOCATION);
    assert_int_equal(mbk_storage_stat(s, "given.json", keep_entry, got, &err),
                     0);
    assert_string_equal(got, "given.json 7 fakes3 fakes3://bucket/pre/fix "
                             "endpoint=http://127.0.0.1:9,region=eu");
    assert_int_equal(mbk_storage_stat(s, "other.json", keep_entry, got, &err),
                     -1);
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_int_equal(mbk_storage_stat(s, "../x", keep_entry, got, &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
    mbk_storage_close(s);

    /* Its other scheme, without options. */
    s = mbk_storage_open("fakeobj://b", fakedir, &err);
    assert_non_null(s);
    assert_int_equal(mbk_storage_stat(s, "given.json", keep_entry, got, &err),
                     0);
    assert_string_equal(got, "given.json 7 fakeobj fakeobj://b");
    mbk_storage_close(s);

    /* Not a URL, or one with a space: refused by the host. */
    assert_null(mbk_storage_open("fakes3:/local/path", fakedir, &err));
    assert_int_equal(err.code, MBK_STORAGE_EBADROOT);
    assert_string_equal(err.message, "storage \"fakes3:/local/path\" is not "
                                     "a URL: write fakes3://HOST/PATH");
    assert_null(mbk_storage_open("fakes3://b/a b", fakedir, &err));
    assert_int_equal(err.code, MBK_STORAGE_EBADROOT);
    assert_string_equal(err.message, "storage URL has a space or control "
                                     "byte 0x20 at byte 12");
}

static void
test_loader_bad_plugin_name(void **state)
{
    struct mbk_error err;

    assert_null(mbk_storage_open("../fakegood:/tmp", fakedir, &err));
    assert_int_equal(err.domain, MBK_ERROR_PLUGIN);
    assert_int_equal(err.code, MBK_PLUGIN_EBADNAME);
    assert_string_equal(err.message, "plugin name \"../fakegood\" is not "
                                     "[a-z0-9]+");
}

static int
count_entry(const struct mbk_storage_entry *e, void *ud)
{
    assert_string_equal(e->name, "fake.json");
    (*(int *) ud)++;
    return 0;
}

static void
test_loader_wrappers_check_first(void **state)
{
    struct mbk_storage *s;
    struct mbk_error err;
    char spec[1100];
    char buf[64];
    int n = 0;

    memset(&err, 0, sizeof(err));
    s = mbk_storage_open(fixture, fakedir, &err);
    assert_null(s); /* no "plugin:" */
    snprintf(spec, sizeof(spec), "fakegood:%s", fixture);
    s = mbk_storage_open(spec, fakedir, &err);
    assert_non_null(s);
    assert_string_equal(mbk_storage_get_name(s), "fakegood");
    assert_int_equal(mbk_storage_get_caps(s), 0);
    assert_string_equal(mbk_storage_get_location(s), fixture);
    assert_int_equal(mbk_storage_list(s, count_entry, &n, &err), 0);
    assert_int_equal(n, 1);

    /* Bad names stop in the host: the fake would say something else. */
    assert_null(mbk_storage_put_begin(s, "../x.json", 1, NULL, &err));
    assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
    assert_null(mbk_storage_get_open(s, "a/b", &err));
    assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
    assert_null(mbk_storage_get_open(s, "ok.json", &err));
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_string_equal(err.message, "fake plugin has no \"ok.json\"");

    /* Missing capabilities become STORAGE/ENOTSUP. */
    assert_int_equal(mbk_storage_remove(s, "ok.json", &err), -1);
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_ENOTSUP);
    assert_string_equal(err.message, "storage plugin \"fakegood\" cannot "
                                     "remove backups");
    assert_int_equal(mbk_storage_path(s, "ok.json", buf, sizeof(buf), &err),
                     -1);
    assert_int_equal(err.code, MBK_STORAGE_ENOTSUP);
    assert_int_equal(mbk_storage_remove(s, ".x", &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
    mbk_storage_close(s);
    mbk_storage_close(NULL);
}

static void
test_loader_plugin_dir_from_env(void **state)
{
    struct mbk_storage *s;
    struct mbk_error err;
    char spec[1100];

    snprintf(spec, sizeof(spec), "fakegood:%s", fixture);
    assert_int_equal(setenv("MBK_PLUGIN_DIR", fakedir, 1), 0);
    s = mbk_storage_open(spec, NULL, &err);
    assert_non_null(s);
    mbk_storage_close(s);
    /* Without it: the compiled-in directory, which has no fakes. */
    assert_int_equal(unsetenv("MBK_PLUGIN_DIR"), 0);
    assert_null(mbk_storage_open(spec, NULL, &err));
    assert_int_equal(err.code, MBK_PLUGIN_ESCHEME);
    assert_contains(err.message, "\"" MBK_PLUGIN_DIR "\"");
}

static void
test_loader_real_plugins(void **state)
{
    const char *dir = getenv("MBK_TEST_PLUGIN_DIR");
    const struct mbk_storage_plugin *p;
    char path[1200];
    void *h = NULL;

    if (dir == NULL) {
        skip();
    }
    snprintf(path, sizeof(path), "%s/mbk_storage_fs.so", dir);
    p = mbk_storage_plugin_load(path, "fs", &h, NULL);
    assert_non_null(p);
    assert_int_equal(p->caps, MBK_STORAGE_CAP_REMOVE
                                  | MBK_STORAGE_CAP_LOCAL_PATH);
    assert_string_equal(p->schemes[0], "fs");
    assert_null(p->schemes[1]);
    dlclose(h);
    snprintf(path, sizeof(path), "%s/mbk_storage_tar.so", dir);
    p = mbk_storage_plugin_load(path, "tar", &h, NULL);
    assert_non_null(p);
    assert_int_equal(p->caps, MBK_STORAGE_CAP_LIST_META
                                  | MBK_STORAGE_CAP_REMOVE
                                  | MBK_STORAGE_CAP_NEEDS_SIZE
                                  | MBK_STORAGE_CAP_FILE_LOCATION);
    assert_string_equal(p->schemes[0], "tar");
    assert_null(p->schemes[1]);
    dlclose(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_good),
        cmocka_unit_test(test_loader_wrong_abi),
        cmocka_unit_test(test_loader_size_too_small),
        cmocka_unit_test(test_loader_wrong_name),
        cmocka_unit_test(test_loader_missing_method),
        cmocka_unit_test(test_loader_unknown_caps),
        cmocka_unit_test(test_loader_missing_symbol),
        cmocka_unit_test(test_loader_missing_file),
        cmocka_unit_test(test_loader_no_plugin_for_scheme),
        cmocka_unit_test(test_loader_no_schemes),
        cmocka_unit_test(test_loader_url_location_by_scheme),
        cmocka_unit_test(test_loader_bad_plugin_name),
        cmocka_unit_test(test_loader_wrappers_check_first),
        cmocka_unit_test(test_loader_plugin_dir_from_env),
        cmocka_unit_test(test_loader_real_plugins),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
