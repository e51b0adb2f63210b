/*
 * test_path.c: the host's storage safety rules: backup names, storage
 * specs, and how locations are resolved (symlinks, files, parents).
 */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/loader.h"
#include "storage/path.h"

static char fixture[1024];

static int
setup(void **state)
{
    char *real;

    snprintf(fixture, sizeof(fixture), "%s/mbk-path-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(fixture) == NULL) {
        return -1;
    }
    /* Results are realpaths: compare against the fixture's own. */
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
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture);
    return system(cmd) == 0 ? 0 : -1;
}

/* fixture/rel, in a static buffer. */
static const char *
at(const char *rel)
{
    static char buf[2][2048];
    static int i;

    i = !i;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", fixture, rel);
    return buf[i];
}

static void
touch(const char *path)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fclose(f);
}

static void
assert_bad_name(const char *name, size_t len, const char *message)
{
    struct mbk_error err;

    memset(&err, 0, sizeof(err));
    assert_int_equal(mbk_storage_name_check_n(name, len, &err), -1);
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
    assert_string_equal(err.message, message);
}

static void
test_name_good(void **state)
{
    char longest[MBK_STORAGE_NAME_MAX + 1];

    assert_int_equal(mbk_storage_name_check("a", NULL), 0);
    assert_int_equal(mbk_storage_name_check("daily_2026-11-26T13-00-00Z.json",
                                            NULL), 0);
    assert_int_equal(mbk_storage_name_check("A-z_0.9.json.gz", NULL), 0);
    assert_int_equal(mbk_storage_name_check("a..b", NULL), 0);
    memset(longest, 'x', MBK_STORAGE_NAME_MAX);
    longest[MBK_STORAGE_NAME_MAX] = '\0';
    assert_int_equal(mbk_storage_name_check(longest, NULL), 0);
}

static void
test_name_refused(void **state)
{
    char toolong[MBK_STORAGE_NAME_MAX + 2];
    struct mbk_error err;

    assert_bad_name("", 0, "backup name is empty");
    assert_bad_name(".", 1, "backup name \".\" starts with a dot");
    assert_bad_name("..", 2, "backup name \"..\" starts with a dot");
    assert_bad_name(".hidden.json", 12,
                    "backup name \".hidden.json\" starts with a dot");
    assert_bad_name("/x", 2, "backup name has a forbidden character '/' at "
                             "byte 0 (allowed: A-Z a-z 0-9 . _ -)");
    assert_bad_name("a/b", 3, "backup name has a forbidden character '/' at "
                              "byte 1 (allowed: A-Z a-z 0-9 . _ -)");
    assert_bad_name("../x", 4, "backup name has a forbidden character '/' at "
                               "byte 2 (allowed: A-Z a-z 0-9 . _ -)");
    assert_bad_name("a b", 3, "backup name has a forbidden byte 0x20 at byte "
                              "1 (allowed: A-Z a-z 0-9 . _ -)");
    assert_bad_name("a\nb", 3, "backup name has a forbidden byte 0x0a at "
                               "byte 1 (allowed: A-Z a-z 0-9 . _ -)");
    assert_bad_name("a\x01", 2, "backup name has a forbidden byte 0x01 at "
                                "byte 1 (allowed: A-Z a-z 0-9 . _ -)");
    assert_bad_name("a\0b.json", 8, "backup name has a forbidden byte 0x00 "
                                    "at byte 1 (allowed: A-Z a-z 0-9 . _ -)");
    assert_bad_name("caf\xc3\xa9", 5, "backup name has a forbidden byte 0xc3 "
                                      "at byte 3 (allowed: A-Z a-z 0-9 . _ "
                                      "-)");
    assert_bad_name("a\\b", 3, "backup name has a forbidden character '\\' "
                               "at byte 1 (allowed: A-Z a-z 0-9 . _ -)");
    memset(toolong, 'x', sizeof(toolong) - 1);
    toolong[sizeof(toolong) - 1] = '\0';
    assert_bad_name(toolong, MBK_STORAGE_NAME_MAX + 1,
                    "backup name is too long: 129 bytes, at most 128");
    /* The NUL-terminated form reads at most 129 bytes of a long name. */
    assert_int_equal(mbk_storage_name_check(toolong, &err), -1);
    assert_string_equal(err.message,
                        "backup name is too long: 129 bytes, at most 128");
    assert_int_equal(mbk_storage_name_check(NULL, &err), -1);
    assert_string_equal(err.message, "backup name is empty");
}

static void
test_spec_split(void **state)
{
    char plugin[MBK_STORAGE_PLUGIN_NAME_MAX + 1];
    const char *loc = NULL;
    struct mbk_error err;

    assert_int_equal(mbk_storage_spec_split("fs:/var/b", plugin,
                                            sizeof(plugin), &loc, &err), 0);
    assert_string_equal(plugin, "fs");
    assert_string_equal(loc, "/var/b");
    assert_int_equal(mbk_storage_spec_split("tar:x:y.tar", plugin,
                                            sizeof(plugin), &loc, &err), 0);
    assert_string_equal(plugin, "tar");
    assert_string_equal(loc, "x:y.tar");

    assert_int_equal(mbk_storage_spec_split("/var/b", plugin, sizeof(plugin),
                                            &loc, &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_EBADROOT);
    assert_string_equal(err.message, "storage \"/var/b\" is not "
                                     "PLUGIN:LOCATION (e.g. fs:/var/backups)");
    assert_int_equal(mbk_storage_spec_split("fs:", plugin, sizeof(plugin),
                                            &loc, &err), -1);
    assert_string_equal(err.message, "storage \"fs:\" has no location "
                                     "after ':'");
    assert_int_equal(mbk_storage_spec_split("FS:/x", plugin, sizeof(plugin),
                                            &loc, &err), -1);
    assert_int_equal(err.domain, MBK_ERROR_PLUGIN);
    assert_int_equal(err.code, MBK_PLUGIN_EBADNAME);
    assert_string_equal(err.message, "plugin name \"FS\" is not [a-z0-9]+");
    assert_int_equal(mbk_storage_spec_split("../fs:/x", plugin,
                                            sizeof(plugin), &loc, &err), -1);
    assert_string_equal(err.message, "plugin name \"../fs\" is not "
                                     "[a-z0-9]+");
    assert_int_equal(mbk_storage_spec_split(":/x", plugin, sizeof(plugin),
                                            &loc, &err), -1);
    assert_string_equal(err.message, "storage \":/x\": plugin name must be 1 "
                                     "to 32 characters [a-z0-9]");
}

static void
assert_bad_root(const char *location, int is_file, const char *suffix)
{
    struct mbk_error err;
    char *r;
    size_t n;
    size_t m;

    memset(&err, 0, sizeof(err));
    r = mbk_storage_location_resolve(location, is_file, &err);
    assert_null(r);
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_EBADROOT);
    n = strlen(err.message);
    m = strlen(suffix);
    if (n < m || strcmp(err.message + n - m, suffix) != 0) {
        fail_msg("\"%s\" does not end in \"%s\"", err.message, suffix);
    }
}

static void
test_location_dir(void **state)
{
    char cwd[PATH_MAX];
    char *r;

    assert_int_equal(mkdir(at("real"), 0700), 0);
    r = mbk_storage_location_resolve(at("real"), 0, NULL);
    assert_non_null(r);
    assert_string_equal(r, at("real"));
    free(r);
    /* Trailing slashes and "." are resolved away. */
    r = mbk_storage_location_resolve(at("./real//"), 0, NULL);
    assert_non_null(r);
    assert_string_equal(r, at("real"));
    free(r);
    /* A relative location becomes absolute. */
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(fixture), 0);
    r = mbk_storage_location_resolve("real", 0, NULL);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(r);
    assert_string_equal(r, at("real"));
    free(r);

    assert_int_equal(symlink("real", at("link")), 0);
    assert_bad_root(at("link"), 0, "is a symbolic link, not followed (give "
                                   "its target)");
    /* "link/" must not slip through by following the link. */
    assert_bad_root(at("link/"), 0, "is a symbolic link, not followed (give "
                                    "its target)");
    touch(at("file"));
    assert_bad_root(at("file"), 0, "is not a directory");
    assert_bad_root(at("missing"), 0, "is not usable: No such file or "
                                      "directory");
    assert_bad_root("", 0, "storage location is empty");
}

static void
test_location_file(void **state)
{
    char *r;

    assert_int_equal(mkdir(at("real"), 0700), 0);
    r = mbk_storage_location_resolve(at("real/b.tar"), 1, NULL);
    assert_non_null(r);
    assert_string_equal(r, at("real/b.tar"));
    free(r);
    /* A symlinked parent is resolved (the administrator's choice). */
    assert_int_equal(symlink("real", at("ldir")), 0);
    r = mbk_storage_location_resolve(at("ldir/b.tar"), 1, NULL);
    assert_non_null(r);
    assert_string_equal(r, at("real/b.tar"));
    free(r);
    touch(at("real/b.tar"));
    r = mbk_storage_location_resolve(at("real/b.tar"), 1, NULL);
    assert_non_null(r);
    free(r);

    /* The archive itself must not be a symlink. */
    assert_int_equal(symlink("b.tar", at("real/l.tar")), 0);
    assert_bad_root(at("real/l.tar"), 1, "is a symbolic link, not followed "
                                         "(give its target)");
    assert_bad_root(at("real"), 1, "is not a regular file");
    assert_bad_root(at("real/"), 1, "does not end in a file name");
    assert_bad_root(at("real/.."), 1, "does not end in a file name");
    assert_bad_root(at("missing/b.tar"), 1, "is not usable: No such file or "
                                            "directory");
    touch(at("plain"));
    assert_bad_root(at("plain/b.tar"), 1, "is not usable: not a directory");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_good),
        cmocka_unit_test(test_name_refused),
        cmocka_unit_test(test_spec_split),
        cmocka_unit_test_setup_teardown(test_location_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_location_file, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
