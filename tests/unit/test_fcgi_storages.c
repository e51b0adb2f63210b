/*
 * test_fcgi_storages.c: the responder's list of storages (issue 13):
 * `storage = NAME LOCATION [key=value ...]` lines, the legacy storage_fs /
 * storage_tar aliases, bad lines refused by line number without showing an
 * option's value, and opening the list through the real plugins (default,
 * X-Accel per storage, lookup by name; an unreachable s3 storage kept
 * unavailable, a missing directory stopping the start).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "fcgi/app.h"

static char dir[] = "/tmp/mbk-storages-XXXXXX";
static char conf[300];

static int
setup(void **state)
{
    char p[300];

    (void)state;
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(conf, sizeof(conf), "%s/mbk-fcgi.conf", dir);
    snprintf(p, sizeof(p), "%s/a", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/b", dir);
    mkdir(p, 0700);
    unsetenv("MBK_FCGI_STORAGE");
    return 0;
}

static int
teardown(void **state)
{
    char cmd[400];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write the configuration, each @ replaced by the test folder. */
static void
write_conf(const char *text)
{
    FILE *f = fopen(conf, "w");
    const char *p;

    assert_non_null(f);
    for (p = text; *p != '\0'; p++) {
        if (p[0] == '@') {
            fputs(dir, f);
        } else {
            fputc(*p, f);
        }
    }
    fclose(f);
}

static void
test_storages_lines_and_options(void **state)
{
    struct mbk_fcgi_config c;
    struct mbk_error err;

    (void)state;
    write_conf("storage = one fs:@/a x_accel=/_files/ endpoint=http://x\n"
               "storage =   two-2   tar:@/b/all.tar  \n"
               "default_storage = two-2\n");
    assert_int_equal(mbk_fcgi_config_load(&c, conf, &err), 0);
    assert_int_equal(c.nstorages, 2);
    assert_string_equal(c.storages[0].name, "one");
    assert_non_null(strstr(c.storages[0].location, "fs:/"));
    assert_string_equal(c.storages[0].x_accel, "/_files/");
    /* x_accel is the host's: not an option for the plugin */
    assert_int_equal(c.storages[0].noptions, 1);
    assert_string_equal(c.storages[0].options[0].key, "endpoint");
    assert_string_equal(c.storages[0].options[0].value, "http://x");
    assert_string_equal(c.storages[1].name, "two-2");
    assert_non_null(strstr(c.storages[1].location, "/b/all.tar"));
    assert_int_equal(c.storages[1].noptions, 0);
    assert_string_equal(c.default_storage, "two-2");
    mbk_fcgi_config_free(&c);
}

static void
test_storages_aliases(void **state)
{
    struct mbk_fcgi_config c;
    struct mbk_error err;

    (void)state;
    write_conf("storage_tar = @/b/all.tar\n"
               "storage_fs = @/a\n"
               "storage = first fs:@/b\n");
    assert_int_equal(mbk_fcgi_config_load(&c, conf, &err), 0);
    assert_int_equal(c.nstorages, 3);
    assert_string_equal(c.storages[0].name, "first");
    assert_string_equal(c.storages[1].name, "fs");
    assert_string_equal(c.storages[2].name, "tar");
    assert_non_null(strstr(c.storages[1].location, "fs:/"));
    assert_non_null(strstr(c.storages[2].location, "tar:/"));
    mbk_fcgi_config_free(&c);
}

/* A bad line fails naming file:line and what is wrong, never a value. */
static void
expect_bad(const char *text, const char *want)
{
    struct mbk_fcgi_config c;
    struct mbk_error err;

    write_conf(text);
    memset(&err, 0, sizeof(err));
    assert_int_equal(mbk_fcgi_config_load(&c, conf, &err), -1);
    mbk_fcgi_config_free(&c);
    if (strstr(err.message, want) == NULL ||
        strstr(err.message, "s3cr3t") != NULL) {
        fail_msg("\"%s\": got \"%s\", want \"%s\"", text, err.message, want);
    }
}

static void
test_storages_bad_lines(void **state)
{
    (void)state;
    expect_bad("storage = Big fs:/x\n", "conf:1: storage: expected NAME");
    expect_bad("storage =\n", "storage: expected NAME");
    expect_bad("storage = a\n", "storage \"a\": expected a location");
    expect_bad("storage = a fs:@/a\nstorage = a fs:@/b\n",
               "conf:2: storage \"a\" is defined twice");
    expect_bad("storage = a fs:@/a key=s3cr3t key=s3cr3t\n",
               "option \"key\" given twice");
    expect_bad("storage = a fs:@/a s3cr3t\n", "option 1 is not key=value");
    expect_bad("storage = a fs:@/a x_accel=s3cr3t\n", "x_accel must be");
    expect_bad("storage_fs = @/a\nstorage = fs fs:@/b\n",
               "storage \"fs\" is defined twice");
}

static void
test_storages_environment(void **state)
{
    struct mbk_fcgi_config c;
    struct mbk_error err;

    (void)state;
    write_conf("storage = file fs:@/a\n");
    setenv("MBK_FCGI_STORAGE", "env1 fs:/a\n  env2 fs:/b k=v\n", 1);
    assert_int_equal(mbk_fcgi_config_load(&c, conf, &err), 0);
    unsetenv("MBK_FCGI_STORAGE");
    assert_int_equal(c.nstorages, 2);
    assert_string_equal(c.storages[0].name, "env1");
    assert_string_equal(c.storages[1].name, "env2");
    assert_int_equal(c.storages[1].noptions, 1);
    assert_string_equal(c.storages[1].options[0].key, "k");
    assert_string_equal(c.storages[1].options[0].value, "v");
    mbk_fcgi_config_free(&c);
}

/* Open through the built plugins; NULL plugin dir skips. */
static int
open_app(struct mbk_fcgi_app *app, const char *text, struct mbk_error *err)
{
    const char *plugins = getenv("MBK_TEST_PLUGIN_DIR");
    char *full;

    memset(app, 0, sizeof(*app));
    if (asprintf(&full, "plugin_dir = %s\n%s", plugins, text) < 0) {
        return -1;
    }
    write_conf(full);
    free(full);
    if (mbk_fcgi_config_load(&app->cfg, conf, err) != 0) {
        return -1;
    }
    return mbk_fcgi_storages_open(app, err);
}

static void
close_app(struct mbk_fcgi_app *app)
{
    mbk_fcgi_storages_close(app);
    mbk_fcgi_config_free(&app->cfg);
}

static void
test_storages_open(void **state)
{
    struct mbk_fcgi_app app;
    struct mbk_error err;
    const struct mbk_fcgi_storage *s;

    (void)state;
    if (getenv("MBK_TEST_PLUGIN_DIR") == NULL) {
        skip();
    }
    assert_int_equal(open_app(&app, "storage = one fs:@/a\n"
                                    "storage = two fs:@/b x_accel=/_b/\n"
                                    "storage = arch tar:@/b/all.tar\n"
                                    "x_accel_prefix = /_default/\n", &err),
                     0);
    assert_int_equal(app.nstorages, 3);
    s = mbk_fcgi_app_storage(&app, NULL, &err);
    assert_non_null(s);
    assert_string_equal(s->name, "one");
    assert_true(s->is_default);
    assert_string_equal(s->x_accel, "/_default/");
    s = mbk_fcgi_app_storage(&app, "two", &err);
    assert_non_null(s);
    assert_false(s->is_default);
    assert_string_equal(s->x_accel, "/_b/");
    s = mbk_fcgi_app_storage(&app, "arch", &err);
    assert_non_null(s);
    assert_null(s->x_accel);
    assert_null(mbk_fcgi_app_storage(&app, "fs", &err));
    assert_int_equal(err.domain, MBK_ERROR_HTTP);
    assert_int_equal(err.code, 400);
    assert_non_null(strstr(err.message, "no storage \"fs\""));
    close_app(&app);

    /* default_storage; the global prefix never goes to a tar file */
    assert_int_equal(open_app(&app, "storage = one fs:@/a\n"
                                    "storage = arch tar:@/b/all.tar\n"
                                    "default_storage = arch\n"
                                    "x_accel_prefix = /_default/\n", &err),
                     0);
    s = mbk_fcgi_app_storage(&app, NULL, &err);
    assert_string_equal(s->name, "arch");
    assert_null(s->x_accel);
    assert_null(mbk_fcgi_app_storage(&app, "one", &err)->x_accel);
    close_app(&app);

    assert_int_equal(open_app(&app, "storage = one fs:@/a\n"
                                    "default_storage = nope\n", &err), -1);
    assert_non_null(strstr(err.message, "no storage is named \"nope\""));
    close_app(&app);
    assert_int_equal(open_app(&app, "storage = arch tar:@/b/t.tar "
                                    "x_accel=/_t/\n", &err), -1);
    assert_non_null(strstr(err.message, "storage \"arch\": x_accel needs"));
    close_app(&app);
    assert_int_equal(open_app(&app, "storage = gone fs:@/missing\n", &err),
                     -1);
    assert_non_null(strstr(err.message, "storage \"gone\""));
    close_app(&app);
    assert_int_equal(open_app(&app, "", &err), -1);
    assert_non_null(strstr(err.message, "no storage"));
    close_app(&app);
}

/* A loopback port nothing listens on (bound, then closed). */
static int
dead_port(void)
{
    struct sockaddr_in a;
    socklen_t n = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* A storage whose remote service is unreachable at start is kept,
 * unavailable, with its reason (no secret) and a 503; the others serve;
 * a use within the backoff does not try again; a missing local
 * directory still stops the start (above). */
static void
test_storages_unavailable(void **state)
{
    struct mbk_fcgi_app app;
    struct mbk_error err;
    const struct mbk_fcgi_storage *s;
    char text[600];
    char why[256];
    unsigned retry_in = 99;
    struct mbk_fcgi_response rs;

    (void)state;
    if (getenv("MBK_TEST_PLUGIN_DIR") == NULL) {
        skip();
    }
    snprintf(text, sizeof(text),
             "storage = one fs:@/a\n"
             "storage = far s3://bkt/p endpoint=http://127.0.0.1:%d "
             "region=us-east-1 access_key_id=AKIDMBKTEST "
             "secret_access_key=Sup3rSecretValue max_attempts=1\n",
             dead_port());
    if (open_app(&app, text, &err) != 0 && err.domain == MBK_ERROR_PLUGIN) {
        close_app(&app);
        skip(); /* built without the s3 plugin (no libcurl) */
    }
    assert_int_equal(app.nstorages, 2);
    s = mbk_fcgi_app_storage(&app, NULL, &err);
    assert_non_null(s);
    assert_string_equal(s->name, "one");
    assert_false(mbk_fcgi_storage_state(&app.storages[1], why, sizeof(why),
                                        &retry_in));
    assert_true(retry_in <= MBK_FCGI_RETRY_AFTER);
    assert_non_null(strstr(why, "127.0.0.1"));
    assert_null(app.storages[1].st);
    assert_null(mbk_fcgi_app_storage(&app, "far", &err));
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_EUNAVAIL);
    assert_int_equal(mbk_fcgi_status_of(&err), 503);
    assert_non_null(strstr(err.message, "storage \"far\" is unavailable"));
    assert_null(strstr(err.message, "Sup3rSecretValue"));
    assert_null(strstr(why, "Sup3rSecretValue"));
    /* the answer: 503 with Retry-After */
    mbk_fcgi_response_init(&rs);
    mbk_fcgi_reply_error(&rs, &err, "storage");
    assert_int_equal(rs.status, 503);
    assert_non_null(strstr(rs.headers, "Retry-After: "
                                       MBK_FCGI_RETRY_AFTER_TEXT "\r\n"));
    mbk_fcgi_response_free(&rs);
    close_app(&app);
    /* a remote that refuses our keys, access or bucket: 502 */
    mbk_error_set(&err, MBK_ERROR_STORAGE, MBK_STORAGE_EREFUSED, "refused");
    assert_int_equal(mbk_fcgi_status_of(&err), 502);
    assert_string_equal(mbk_fcgi_status_reason(502), "Bad Gateway");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storages_lines_and_options),
        cmocka_unit_test(test_storages_aliases),
        cmocka_unit_test(test_storages_bad_lines),
        cmocka_unit_test(test_storages_environment),
        cmocka_unit_test(test_storages_open),
        cmocka_unit_test(test_storages_unavailable),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
