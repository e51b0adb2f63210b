/*
 * test_tar.c: what only the tar plugin promises, beyond the conformance
 * suite: appends leave earlier bytes alone, damaged archives give
 * ECORRUPT with the offset, other tar readers read the archive.
 */
#include "config.h"

#include <fcntl.h>
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

static char fixture[512];
static char archive[600];
static const char *plugin_dir;

static int
setup(void **state)
{
    struct mbk_error err;
    char spec[700];
    char *real;

    snprintf(fixture, sizeof(fixture), "/tmp/mbk-tar-XXXXXX");
    if (mkdtemp(fixture) == NULL) {
        return -1;
    }
    real = realpath(fixture, NULL);
    snprintf(fixture, sizeof(fixture), "%s", real);
    free(real);
    snprintf(archive, sizeof(archive), "%s/b.tar", fixture);
    snprintf(spec, sizeof(spec), "tar:%s", archive);
    *state = mbk_storage_open(spec, plugin_dir, &err);
    return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    char cmd[600];

    mbk_storage_close(*state);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture);
    return system(cmd) == 0 ? 0 : -1;
}

static void
put_ok(struct mbk_storage *s, const char *name, size_t size, int fill,
       const char *meta)
{
    struct mbk_storage_writer *w;
    struct mbk_error err;
    char *buf = malloc(size + 1);

    assert_non_null(buf);
    memset(buf, fill, size);
    w = mbk_storage_put_begin(s, name, (int64_t) size, meta, &err);
    if (w == NULL || mbk_storage_put_write(s, w, buf, size, &err) != 0
        || mbk_storage_put_commit(s, w, &err) != 0) {
        fail_msg("put %s: %s", name, err.message);
    }
    free(buf);
}

static off_t
archive_size(void)
{
    struct stat sb;

    assert_int_equal(stat(archive, &sb), 0);
    return sb.st_size;
}

static char *
slurp(off_t len)
{
    char *buf = malloc((size_t) len);
    int fd = open(archive, O_RDONLY);

    assert_non_null(buf);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, (size_t) len, 0), len);
    close(fd);
    return buf;
}

static int
count(const struct mbk_storage_entry *e, void *ud)
{
    (*(int *) ud)++;
    return 0;
}

static void
test_tar_append_keeps_earlier_bytes(void **state)
{
    struct mbk_storage *s = *state;
    off_t end_a;
    char *before;
    char *after;

    put_ok(s, "a.json", 3000, 'a', "{\"a\":1}");
    end_a = archive_size() - 1024; /* the end-of-archive mark follows */
    assert_int_equal(end_a % 512, 0);
    before = slurp(end_a);
    put_ok(s, "b.json", 5000, 'b', "{\"b\":2}");
    assert_true(archive_size() > end_a + 5000);
    after = slurp(end_a);
    assert_memory_equal(before, after, (size_t) end_a);
    free(before);
    free(after);
}

static void
test_tar_readable_by_gnu_tar(void **state)
{
    struct mbk_storage *s = *state;
    char cmd[800];
    char line[256];
    FILE *p;

    if (access("/usr/bin/tar", X_OK) != 0) {
        skip();
    }
    put_ok(s, "a.json", 3000, 'a', "{\"a\":1}");
    put_ok(s, "b.json.gz", 10, 'b', NULL);
    snprintf(cmd, sizeof(cmd), "/usr/bin/tar -tf '%s' 2>&1", archive);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof(line), p));
    assert_string_equal(line, "a.json\n");
    assert_non_null(fgets(line, sizeof(line), p));
    assert_string_equal(line, "b.json.gz\n");
    assert_null(fgets(line, sizeof(line), p));
    assert_int_equal(pclose(p), 0);
    snprintf(cmd, sizeof(cmd), "/usr/bin/tar -xOf '%s' b.json.gz", archive);
    p = popen(cmd, "r");
    assert_non_null(fgets(line, sizeof(line), p));
    assert_string_equal(line, "bbbbbbbbbb");
    assert_int_equal(pclose(p), 0);
}

static void
test_tar_garbage_is_corrupt(void **state)
{
    struct mbk_storage *s = *state;
    struct mbk_error err;
    char junk[2048];
    FILE *f;
    int n = 0;

    memset(junk, 'x', sizeof(junk));
    f = fopen(archive, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
    fclose(f);
    assert_int_equal(mbk_storage_list(s, count, &n, &err), -1);
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_ECORRUPT);
    assert_non_null(strstr(err.message, "is damaged at offset 0"));
    /* Nothing is appended to an archive that cannot be read. */
    assert_null(mbk_storage_put_begin(s, "a.json", 1, NULL, &err));
    assert_int_equal(err.code, MBK_STORAGE_ECORRUPT);
    assert_null(mbk_storage_put_begin(s, "a.json", -1, NULL, &err));
    assert_int_equal(err.code, MBK_STORAGE_ECORRUPT);
    assert_int_equal(archive_size(), sizeof(junk));
}

static void
test_tar_truncated_is_corrupt(void **state)
{
    struct mbk_storage *s = *state;
    struct mbk_storage_reader *r;
    struct mbk_error err;
    char expect[256];
    char buf[4096];
    off_t start_b;
    ssize_t got;
    int n = 0;

    put_ok(s, "a.json", 3000, 'a', NULL);
    start_b = archive_size() - 1024;
    put_ok(s, "b.json", 100000, 'b', NULL);

    /* Cut in b's data: a reads fine, b fails with the offset. */
    assert_int_equal(truncate(archive, start_b + 40000), 0);
    r = mbk_storage_get_open(s, "a.json", &err);
    assert_non_null(r);
    assert_int_equal(mbk_storage_get_read(s, r, buf, sizeof(buf), &err),
                     3000);
    mbk_storage_get_close(s, r);
    r = mbk_storage_get_open(s, "b.json", &err);
    assert_non_null(r);
    while ((got = mbk_storage_get_read(s, r, buf, sizeof(buf), &err)) > 0) {
    }
    assert_int_equal(got, -1);
    assert_int_equal(err.code, MBK_STORAGE_ECORRUPT);
    snprintf(expect, sizeof(expect), "is damaged at offset %lld",
             (long long) start_b);
    assert_non_null(strstr(err.message, expect));
    mbk_storage_get_close(s, r);
    assert_int_equal(mbk_storage_list(s, count, &n, &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_ECORRUPT);

    /* Cut in b's header. */
    assert_int_equal(truncate(archive, start_b + 100), 0);
    n = 0;
    assert_int_equal(mbk_storage_list(s, count, &n, &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_ECORRUPT);
    snprintf(expect, sizeof(expect), "is damaged at offset %lld, after the "
             "member at offset 0", (long long) start_b);
    assert_non_null(strstr(err.message, expect));
}

static void
test_tar_huge_metadata_left_out(void **state)
{
    struct mbk_storage *s = *state;
    size_t len = 2 * 1024 * 1024;
    char *meta = malloc(len + 1);
    int n = 0;

    assert_non_null(meta);
    memset(meta, ' ', len);
    meta[0] = '{';
    meta[len - 1] = '}';
    meta[len] = '\0';
    put_ok(s, "a.json", 10, 'a', meta);
    assert_int_equal(mbk_storage_list(s, count, &n, NULL), 0);
    assert_int_equal(n, 1);
    free(meta);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tar_append_keeps_earlier_bytes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_tar_readable_by_gnu_tar, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tar_garbage_is_corrupt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tar_truncated_is_corrupt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tar_huge_metadata_left_out,
                                        setup, teardown),
    };

    plugin_dir = getenv("MBK_TEST_PLUGIN_DIR");
    if (plugin_dir == NULL) {
        fprintf(stderr, "MBK_TEST_PLUGIN_DIR is not set: run through make "
                        "check\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
