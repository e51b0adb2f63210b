/*
 * test_fcgi_paths.c: server-side files are opened once, beneath their
 * root (issue 11): mbk_storage_open_beneath (openat2 and its O_NOFOLLOW
 * walk) never follows a symbolic link nor leaves the root, and
 * mbk_fcgi_path_open refuses what lies outside the roots without looking
 * at it, a FIFO without blocking, and says 404 for a missing file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcgi/app.h"
#include "fcgi/http.h"
#include "storage/path.h"

static char dir[] = "/tmp/mbk-paths-XXXXXX";
static char root[256];
static char outside[256];

static void
put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int
setup(void **state)
{
    char p[512];

    (void)state;
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(root, sizeof(root), "%s/root", dir);
    snprintf(outside, sizeof(outside), "%s/outside", dir);
    mkdir(root, 0700);
    mkdir(outside, 0700);
    snprintf(p, sizeof(p), "%s/sub", root);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/sub/in.json", root);
    put(p, "{\"in\":1}");
    snprintf(p, sizeof(p), "%s/secret.json", outside);
    put(p, "{\"outside\":1}");
    snprintf(p, sizeof(p), "%s/link.json", root);
    symlink("sub/in.json", p);
    snprintf(p, sizeof(p), "%s/out", root);
    symlink(outside, p);
    snprintf(p, sizeof(p), "%s/fifo.json", root);
    mkfifo(p, 0600);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[600];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef int (*open_fn)(int, const char *, int);

static void
check_beneath(open_fn fn)
{
    int rfd = open(root, O_RDONLY | O_DIRECTORY);
    int fd;

    assert_true(rfd >= 0);
    fd = fn(rfd, "sub/in.json", O_RDONLY);
    assert_true(fd >= 0);
    close(fd);
    /* a link as the last component, or on the way, is not followed */
    assert_int_equal(fn(rfd, "link.json", O_RDONLY), -1);
    assert_true(errno == ELOOP || errno == ENOTDIR);
    assert_int_equal(fn(rfd, "out/secret.json", O_RDONLY), -1);
    assert_true(errno == ELOOP || errno == ENOTDIR || errno == EXDEV);
    /* no way up, no absolute path, no empty component */
    assert_int_equal(fn(rfd, "../outside/secret.json", O_RDONLY), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(fn(rfd, "/etc/passwd", O_RDONLY), -1);
    assert_int_equal(fn(rfd, "sub//in.json", O_RDONLY), -1);
    assert_int_equal(fn(rfd, "sub/", O_RDONLY), -1);
    assert_int_equal(fn(rfd, "sub/none.json", O_RDONLY), -1);
    assert_int_equal(errno, ENOENT);
    /* a FIFO opened O_NONBLOCK does not wait for a writer */
    fd = fn(rfd, "fifo.json", O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    close(fd);
    close(rfd);
}

static void
test_open_beneath(void **state)
{
    (void)state;
    check_beneath(mbk_storage_open_beneath);
    check_beneath(mbk_storage_open_beneath_walk);
}

static int
status_of_open(struct mbk_fcgi_app *app, const char *path, char *msg,
               size_t msg_len)
{
    struct mbk_error err;
    int fd;

    memset(&err, 0, sizeof(err));
    fd = mbk_fcgi_path_open(app, path, &err);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    snprintf(msg, msg_len, "%s", err.message);
    return mbk_fcgi_status_of(&err);
}

static void
test_path_open(void **state)
{
    struct mbk_fcgi_app app;
    char *roots[1];
    int fds[1];
    char p[512];
    char m1[sizeof(((struct mbk_error *)0)->message)];
    char m2[sizeof(((struct mbk_error *)0)->message)];
    char *real = realpath(root, NULL);

    (void)state;
    assert_non_null(real);
    memset(&app, 0, sizeof(app));
    roots[0] = real;
    fds[0] = open(real, O_RDONLY | O_DIRECTORY);
    app.roots = roots;
    app.root_fds = fds;
    app.nroots = 1;
    snprintf(p, sizeof(p), "%s/sub/in.json", real);
    assert_int_equal(status_of_open(&app, p, m1, sizeof(m1)), 0);
    snprintf(p, sizeof(p), "%s/sub/none.json", real);
    assert_int_equal(status_of_open(&app, p, m1, sizeof(m1)), 404);
    snprintf(p, sizeof(p), "%s/fifo.json", real);
    assert_int_equal(status_of_open(&app, p, m1, sizeof(m1)), 400);
    assert_non_null(strstr(m1, "not a regular file"));
    snprintf(p, sizeof(p), "%s/sub", real);
    assert_int_equal(status_of_open(&app, p, m1, sizeof(m1)), 400);
    snprintf(p, sizeof(p), "%s/out/secret.json", real);
    assert_int_equal(status_of_open(&app, p, m1, sizeof(m1)), 400);
    assert_non_null(strstr(m1, "not allowed"));
    /* outside: one answer whatever is there */
    assert_int_equal(status_of_open(&app, "/etc/passwd", m1, sizeof(m1)),
                     400);
    assert_int_equal(status_of_open(&app, "/etc/nonexistent", m2, sizeof(m2)),
                     400);
    assert_non_null(strstr(m1, "not allowed"));
    assert_non_null(strstr(m2, "not allowed"));
    assert_null(strstr(m2, "does not"));
    assert_int_equal(status_of_open(&app, real, m1, sizeof(m1)), 400);
    close(fds[0]);
    free(real);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_beneath),
        cmocka_unit_test(test_path_open),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
