/*
 * test_fcgi_router.c: routing (404, 405 with Allow), the login and
 * cross-site guard, the (domain, code) -> status table, response headers,
 * the job pool's rules, and handlers called through the router on a real
 * fs storage in a mkdtemp() folder; no libfcgi.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/mongo/mongo.h"
#include "fcgi/app.h"
#include "fcgi/http.h"
#include "fcgi/jobs.h"
#include "fcgi/router.h"

static void
test_route_find_paths_and_methods(void **state)
{
    struct mbk_error err;
    char allow[64];

    assert_ptr_equal(mbk_fcgi_route_find("GET", MBK_FCGI_API, allow,
                                         sizeof(allow), &err),
                     mbk_fcgi_handle_list);
    assert_ptr_equal(mbk_fcgi_route_find("PUT", MBK_FCGI_API "/", allow,
                                         sizeof(allow), &err),
                     mbk_fcgi_handle_restore);
    assert_ptr_equal(mbk_fcgi_route_find("GET", MBK_FCGI_API "/download",
                                         allow, sizeof(allow), &err),
                     mbk_fcgi_handle_download);
    assert_null(mbk_fcgi_route_find("PATCH", MBK_FCGI_API, allow,
                                    sizeof(allow), &err));
    assert_int_equal(mbk_fcgi_status_of(&err), 405);
    assert_string_equal(allow, "GET, POST, PUT, DELETE");
    assert_null(mbk_fcgi_route_find("POST", MBK_FCGI_API "/stats", allow,
                                    sizeof(allow), &err));
    assert_int_equal(mbk_fcgi_status_of(&err), 405);
    assert_string_equal(allow, "GET");
    assert_null(mbk_fcgi_route_find("GET", MBK_FCGI_API "/../x", allow,
                                    sizeof(allow), &err));
    assert_int_equal(mbk_fcgi_status_of(&err), 404);
    assert_null(mbk_fcgi_route_find("GET", "/api/settings/backupx", allow,
                                    sizeof(allow), &err));
    assert_int_equal(mbk_fcgi_status_of(&err), 404);
}

static void
test_route_guard_login_and_cross_site(void **state)
{
    struct mbk_fcgi_app app;
    struct mbk_fcgi_request rq;
    struct mbk_error err;

    memset(&app, 0, sizeof(app));
    memset(&rq, 0, sizeof(rq));
    rq.method = "POST";
    rq.host = "127.0.0.1:8443";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 401);
    rq.remote_user = "";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 401);
    rq.remote_user = "alice";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 403); /* no header */
    rq.requested_with = "XMLHttpRequest";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), 0);
    rq.origin = "https://127.0.0.1:8443";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), 0);
    rq.origin = "https://evil.example";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 403);
    rq.origin = "null";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    /* The right host with the other scheme is another origin. */
    rq.scheme = "https";
    rq.origin = "http://127.0.0.1:8443";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 403);
    rq.origin = "https://127.0.0.1:8443";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), 0);
    rq.scheme = "http";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    rq.origin = "http://127.0.0.1:8443";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), 0);
    rq.scheme = NULL;
    /* Reading needs neither, but a foreign Origin is still refused. */
    rq.method = "GET";
    rq.remote_user = NULL;
    rq.requested_with = NULL;
    rq.origin = NULL;
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), 0);
    rq.origin = "https://evil.example";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), -1);
    /* The demo configuration may allow anonymous changes. */
    app.cfg.allow_anonymous = true;
    rq.method = "DELETE";
    rq.origin = NULL;
    rq.requested_with = "x";
    assert_int_equal(mbk_fcgi_route_guard(&app, &rq, &err), 0);
}

static void
test_status_table(void **state)
{
    static const struct {
        uint32_t domain;
        int32_t code;
        int status;
    } cases[] = {
        {MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT, 422},
        {MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST, 422},
        {MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL, 400},
        {MBK_ERROR_ENGINE, MBK_ENGINE_EBADNAME, 400},
        {MBK_ERROR_ENGINE, MBK_ENGINE_EBUSY, 409},
        {MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND, 404},
        {MBK_ERROR_STORAGE, MBK_STORAGE_EEXIST, 409},
        {MBK_ERROR_STORAGE, MBK_STORAGE_EBADNAME, 400},
        {MBK_ERROR_STORAGE, MBK_STORAGE_EIO, 500},
        {MBK_ERROR_MONGO, MBK_MONGO_CODE_UNREACHABLE, 503},
        {MBK_ERROR_MONGO, MBK_MONGO_CODE_DUPLICATE_KEY, 409},
        {MBK_ERROR_MONGO, 13, 500},
        {MBK_ERROR_HTTP, 415, 415},
        {MBK_ERROR_HTTP, 42, 500},
        {MBK_ERROR_PLUGIN, 1, 500},
        {MBK_ERROR_SYS, 28 /* ENOSPC */, 507},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mbk_error err = {cases[i].domain, cases[i].code, "x", ""};

        assert_int_equal(mbk_fcgi_status_of(&err), cases[i].status);
    }
    assert_string_equal(mbk_fcgi_status_reason(200), "OK");
    assert_string_equal(mbk_fcgi_status_reason(422), "Unprocessable Content");
}

static void
test_response_envelopes_and_headers(void **state)
{
    struct mbk_fcgi_response rs;
    struct mbk_error err;
    struct json_object *o;
    struct json_object *v;

    mbk_fcgi_response_init(&rs);
    assert_int_equal(mbk_fcgi_response_header(&rs, "X-A", "1"), 0);
    assert_int_equal(mbk_fcgi_response_header(&rs, "X-B", "a\r\nSet-Cookie: x"),
                     -1);
    assert_string_equal(rs.headers, "X-A: 1\r\n");
    mbk_error_set(&err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                  "no backup \"x\"");
    mbk_fcgi_reply_error(&rs, &err, "name");
    assert_int_equal(rs.status, 404);
    o = json_tokener_parse(rs.body.data);
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "success", &v));
    assert_false(json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(o, "error", &v));
    assert_string_equal(json_object_get_string(v), "no backup \"x\"");
    assert_true(json_object_object_get_ex(o, "details", &v));
    assert_true(json_object_object_get_ex(v, "field", &v));
    assert_string_equal(json_object_get_string(v), "name");
    json_object_put(o);
    /* no field given: the one the error itself names */
    mbk_error_set(&err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL, "bad policy");
    mbk_error_field(&err, "conflict");
    mbk_fcgi_response_free(&rs);
    mbk_fcgi_response_init(&rs);
    mbk_fcgi_reply_error(&rs, &err, NULL);
    assert_int_equal(rs.status, 400);
    o = json_tokener_parse(rs.body.data);
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "details", &v));
    assert_true(json_object_object_get_ex(v, "field", &v));
    assert_string_equal(json_object_get_string(v), "conflict");
    json_object_put(o);
    /* an error that names none has no field */
    mbk_error_set(&err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL, "other");
    mbk_fcgi_response_free(&rs);
    mbk_fcgi_response_init(&rs);
    mbk_fcgi_reply_error(&rs, &err, NULL);
    o = json_tokener_parse(rs.body.data);
    assert_true(json_object_object_get_ex(o, "details", &v));
    assert_false(json_object_object_get_ex(v, "field", NULL));
    json_object_put(o);
    mbk_fcgi_reply_data_take(&rs, 200, json_object_new_int(7));
    assert_string_equal(rs.body.data, "{\"success\":true,\"data\":7}\n");
    mbk_fcgi_response_free(&rs);
}

/* ---- the job pool ----------------------------------------------------- */

static int
job_ok(struct mbk_fcgi_job *job, void *ud, struct json_object **result,
       struct mbk_error *err)
{
    int *gate = ud;

    while (__atomic_load_n(gate, __ATOMIC_SEQ_CST) == 0 &&
           atomic_load(mbk_fcgi_job_cancel_flag(job)) == 0) {
        usleep(1000);
    }
    if (atomic_load(mbk_fcgi_job_cancel_flag(job)) != 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                             "canceled");
    }
    *result = json_object_new_string("done");
    return 0;
}

static void
test_jobs_conflicts_wait_and_cancel(void **state)
{
    struct mbk_fcgi_jobs *js = mbk_fcgi_jobs_new(2, 4, 8, NULL);
    struct mbk_fcgi_job *a;
    struct mbk_fcgi_job *b;
    struct mbk_fcgi_job *c;
    struct json_object *res = NULL;
    struct json_object *st;
    struct json_object *v;
    struct mbk_error err;
    int gate = 0;

    assert_non_null(js);
    a = mbk_fcgi_jobs_submit(js, "backup", "crm", "alice", false, job_ok,
                             &gate, NULL, &err);
    assert_non_null(a);
    b = mbk_fcgi_jobs_submit(js, "backup", "crm", "alice", false, job_ok,
                             &gate, NULL, &err);
    assert_non_null(b); /* backups share a database */
    assert_null(mbk_fcgi_jobs_submit(js, "restore", "crm", "alice", true,
                                     job_ok, &gate, NULL, &err));
    assert_int_equal(mbk_fcgi_status_of(&err), 409);
    c = mbk_fcgi_jobs_submit(js, "restore", "other", "alice", true, job_ok,
                             &gate, NULL, &err);
    assert_non_null(c); /* another database is free */
    /* only its owner or an admin (as_user NULL) cancels a job */
    assert_int_equal(mbk_fcgi_jobs_cancel(js, mbk_fcgi_job_id(c), "bob",
                                          &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 403);
    assert_int_equal(mbk_fcgi_jobs_cancel(js, mbk_fcgi_job_id(c), NULL,
                                          &err), 0);
    assert_int_equal(mbk_fcgi_job_wait(c, &res, &err), -1);
    assert_int_equal(err.code, MBK_ENGINE_ECANCELED);
    st = mbk_fcgi_jobs_status(js, mbk_fcgi_job_id(c), &err);
    assert_true(json_object_object_get_ex(st, "state", &v));
    assert_string_equal(json_object_get_string(v), "canceled");
    json_object_put(st);
    __atomic_store_n(&gate, 1, __ATOMIC_SEQ_CST);
    assert_int_equal(mbk_fcgi_job_wait(a, &res, &err), 0);
    assert_string_equal(json_object_get_string(res), "done");
    json_object_put(res);
    assert_int_equal(mbk_fcgi_job_wait(b, &res, &err), 0);
    json_object_put(res);
    assert_int_equal(mbk_fcgi_jobs_cancel(js, mbk_fcgi_job_id(a), NULL,
                                          &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 409); /* already done */
    assert_null(mbk_fcgi_jobs_status(js, "0123456789abcdef", &err));
    assert_int_equal(mbk_fcgi_status_of(&err), 404);
    mbk_fcgi_job_release(a);
    mbk_fcgi_job_release(b);
    mbk_fcgi_job_release(c);
    mbk_fcgi_jobs_free(js);
}

/* ---- handlers through the router, on a real fs storage --------------- */

static void
call(struct mbk_fcgi_app *app, const char *method, const char *path,
     const char *query, const char *user, struct mbk_fcgi_response *rs)
{
    struct mbk_fcgi_request rq;

    memset(&rq, 0, sizeof(rq));
    rq.method = method;
    rq.path = path;
    rq.query = query;
    rq.remote_user = user;
    rq.requested_with = "test";
    rq.content_length = -1;
    mbk_fcgi_response_init(rs);
    mbk_fcgi_route(app, &rq, rs);
}

static void
test_handlers_list_delete_download(void **state)
{
    const char *plugins = getenv("MBK_TEST_PLUGIN_DIR");
    char dir[] = "/tmp/mbk-fcgi-test-XXXXXX";
    char spec[64];
    struct mbk_fcgi_app app;
    struct mbk_fcgi_response rs;
    struct mbk_error err;

    if (plugins == NULL) {
        skip();
    }
    assert_non_null(mkdtemp(dir));
    memset(&app, 0, sizeof(app));
    snprintf(spec, sizeof(spec), "main fs:%s", dir);
    assert_int_equal(mbk_fcgi_storage_conf_add(&app.cfg, spec, "test", &err),
                     0);
    app.cfg.plugin_dir = (char *)plugins;
    assert_int_equal(mbk_fcgi_storages_open(&app, &err), 0);
    app.cfg.db = "crm";
    app.access.default_role = MBK_FCGI_ROLE_ADMIN; /* roles: own test */
    app.jobs = mbk_fcgi_jobs_new(1, 1, 1, &err);

    call(&app, "GET", MBK_FCGI_API, "", NULL, &rs);
    assert_int_equal(rs.status, 200);
    assert_non_null(strstr(rs.body.data, "\"count\":0"));
    assert_non_null(strstr(rs.body.data, "\"storages\":[{\"name\":\"main\","
                                         "\"storage\":\"main\","
                                         "\"default\":true,"
                                         "\"download\":\"stream\","
                                         "\"remove\":true,"
                                         "\"capabilities\":[\"remove\","
                                         "\"local-path\"],"
                                         "\"available\":true}]"));
    mbk_fcgi_response_free(&rs);
    call(&app, "GET", MBK_FCGI_API, "storage=tar", NULL, &rs);
    assert_int_equal(rs.status, 400); /* no storage is named tar */
    assert_non_null(strstr(rs.body.data, "no storage \\\"tar\\\""));
    mbk_fcgi_response_free(&rs);
    call(&app, "GET", MBK_FCGI_API, "storage=Main", NULL, &rs);
    assert_int_equal(rs.status, 400); /* not a storage name */
    assert_non_null(strstr(rs.body.data, "\"field\":\"storage\""));
    mbk_fcgi_response_free(&rs);
    call(&app, "DELETE", MBK_FCGI_API, "name=x.json", NULL, &rs);
    assert_int_equal(rs.status, 401);
    mbk_fcgi_response_free(&rs);
    call(&app, "DELETE", MBK_FCGI_API, "name=x.json", "alice", &rs);
    assert_int_equal(rs.status, 404);
    mbk_fcgi_response_free(&rs);
    call(&app, "GET", MBK_FCGI_API "/download", "name=..%2fx", NULL, &rs);
    assert_int_equal(rs.status, 400);
    assert_non_null(strstr(rs.body.data, "\"field\":\"name\""));
    mbk_fcgi_response_free(&rs);
    call(&app, "GET", MBK_FCGI_API "/download", "name=x.json", NULL, &rs);
    assert_int_equal(rs.status, 404);
    mbk_fcgi_response_free(&rs);
    call(&app, "GET", MBK_FCGI_API, "job=0123456789abcdef", NULL, &rs);
    assert_int_equal(rs.status, 404);
    mbk_fcgi_response_free(&rs);

    mbk_fcgi_jobs_free(app.jobs);
    mbk_fcgi_storages_close(&app);
    mbk_fcgi_storage_conf_free(&app.cfg);
    rmdir(dir);
}

/* What answers must not show (issue 11): URI passwords, the server's own
 * paths, long quoted text. */
static void
test_scrub(void **state)
{
    char out[600];
    char longq[400];

    (void)state;
    mbk_fcgi_private_path_add("/var/lib/mbk/backups/", "[fs storage]");
    mbk_fcgi_scrub("no backup \"x\" in \"/var/lib/mbk/backups\"", out,
                   sizeof(out));
    assert_string_equal(out, "no backup \"x\" in \"[fs storage]\"");
    mbk_fcgi_scrub("open() \"/var/lib/mbk/backups/a.json\" failed", out,
                   sizeof(out));
    assert_string_equal(out, "open() \"[fs storage]/a.json\" failed");
    /* a longer name that merely starts alike is another path */
    mbk_fcgi_scrub("/var/lib/mbk/backups2/x", out, sizeof(out));
    assert_string_equal(out, "/var/lib/mbk/backups2/x");
    mbk_fcgi_scrub("bad \"mongodb://u:hunter2@db:27017/x\" here", out,
                   sizeof(out));
    assert_null(strstr(out, "hunter2"));
    assert_non_null(strstr(out, "mongodb://u:***@db:27017/x"));
    memset(longq, 'a', sizeof(longq));
    longq[0] = '"';
    longq[sizeof(longq) - 2] = '"';
    longq[sizeof(longq) - 1] = '\0';
    mbk_fcgi_scrub(longq, out, sizeof(out));
    assert_true(strlen(out) < 130);
    assert_non_null(strstr(out, "...\""));
    /* a small output buffer is never overrun */
    mbk_fcgi_scrub("no backup \"x\" in \"/var/lib/mbk/backups\"", out, 12);
    assert_int_equal(strlen(out), 11);
}

/* Roles and the proxy secret (fcgi/access.h). */
static void
test_access_roles_and_secret(void **state)
{
    struct mbk_fcgi_access a;
    struct mbk_fcgi_request rq;
    struct mbk_error err;
    char dir[] = "/tmp/mbk-access-XXXXXX";
    char file[64];
    FILE *f;

    (void)state;
    assert_int_equal(mbk_fcgi_access_open(&a, "alice:admin, bob:viewer "
                                          "carol:operator", "viewer", NULL,
                                          &err), 0);
    assert_int_equal(mbk_fcgi_access_role(&a, "alice"), MBK_FCGI_ROLE_ADMIN);
    assert_int_equal(mbk_fcgi_access_role(&a, "bob"), MBK_FCGI_ROLE_VIEWER);
    assert_int_equal(mbk_fcgi_access_role(&a, "carol"),
                     MBK_FCGI_ROLE_OPERATOR);
    assert_int_equal(mbk_fcgi_access_role(&a, "dave"), MBK_FCGI_ROLE_VIEWER);
    assert_int_equal(mbk_fcgi_access_role(&a, NULL), MBK_FCGI_ROLE_VIEWER);
    assert_int_equal(mbk_fcgi_access_check_proxy(&a, NULL, &err), 0);
    memset(&rq, 0, sizeof(rq));
    rq.role = MBK_FCGI_ROLE_OPERATOR;
    assert_int_equal(mbk_fcgi_access_require(&rq, MBK_FCGI_ROLE_ADMIN,
                                             "restore", &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 403);
    assert_string_equal(err.message, "restore needs the role admin (yours: "
                                     "operator)");
    mbk_fcgi_access_close(&a);
    /* the default is none; bad entries are named */
    assert_int_equal(mbk_fcgi_access_open(&a, NULL, NULL, NULL, &err), 0);
    assert_int_equal(mbk_fcgi_access_role(&a, "x"), MBK_FCGI_ROLE_NONE);
    mbk_fcgi_access_close(&a);
    assert_int_equal(mbk_fcgi_access_open(&a, "alice:root", NULL, NULL,
                                          &err), -1);
    assert_non_null(strstr(err.message, "alice:root"));
    mbk_fcgi_access_close(&a);
    assert_int_equal(mbk_fcgi_access_open(&a, "alice", NULL, NULL, &err), -1);
    mbk_fcgi_access_close(&a);
    assert_int_equal(mbk_fcgi_access_open(&a, "a:viewer a:admin", NULL, NULL,
                                          &err), -1);
    mbk_fcgi_access_close(&a);
    assert_int_equal(mbk_fcgi_access_open(&a, NULL, "god", NULL, &err), -1);
    mbk_fcgi_access_close(&a);
    /* the secret: a missing, short or non-hex file stops the start */
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/secret", dir);
    assert_int_equal(mbk_fcgi_access_open(&a, NULL, NULL, file, &err), -1);
    mbk_fcgi_access_close(&a);
    f = fopen(file, "w");
    fputs("0123456789abcdef\n", f);
    fclose(f);
    assert_int_equal(mbk_fcgi_access_open(&a, NULL, NULL, file, &err), -1);
    mbk_fcgi_access_close(&a);
    f = fopen(file, "w");
    fputs("0123456789abcdef0123456789ABCDEF\nignored\n", f);
    fclose(f);
    assert_int_equal(mbk_fcgi_access_open(&a, NULL, NULL, file, &err), 0);
    assert_int_equal(mbk_fcgi_access_check_proxy(&a, NULL, &err), -1);
    assert_int_equal(mbk_fcgi_status_of(&err), 403);
    assert_int_equal(mbk_fcgi_access_check_proxy(
                         &a, "0123456789abcdef0123456789ABCDEE", &err), -1);
    assert_int_equal(mbk_fcgi_access_check_proxy(
                         &a, "0123456789abcdef0123456789ABCDEF0", &err), -1);
    assert_int_equal(mbk_fcgi_access_check_proxy(
                         &a, "0123456789abcdef0123456789ABCDE", &err), -1);
    assert_int_equal(mbk_fcgi_access_check_proxy(
                         &a, "0123456789abcdef0123456789ABCDEF", &err), 0);
    mbk_fcgi_access_close(&a);
    unlink(file);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_find_paths_and_methods),
        cmocka_unit_test(test_route_guard_login_and_cross_site),
        cmocka_unit_test(test_access_roles_and_secret),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_response_envelopes_and_headers),
        cmocka_unit_test(test_jobs_conflicts_wait_and_cancel),
        cmocka_unit_test(test_handlers_list_delete_download),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
