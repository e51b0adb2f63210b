/*
 * router.c: the route table of /api/settings/backup, the login and
 * cross-site guard, and reading a bounded body.
 */
#include "config.h"

#include <string.h>

#include "fcgi/router.h"

struct route {
    const char *path;
    const char *method;
    mbk_fcgi_handler_fn fn;
    enum mbk_fcgi_role need; /* the least role; handlers may ask more */
    const char *what;        /* the operation, in a refusal */
};

#define VIEWER MBK_FCGI_ROLE_VIEWER
#define OPERATOR MBK_FCGI_ROLE_OPERATOR
#define ADMIN MBK_FCGI_ROLE_ADMIN

static const struct route routes[] = {
    {MBK_FCGI_API, "GET", mbk_fcgi_handle_list, VIEWER, "list"},
    {MBK_FCGI_API, "POST", mbk_fcgi_handle_create, OPERATOR, "backup"},
    {MBK_FCGI_API, "PUT", mbk_fcgi_handle_restore, ADMIN, "restore"},
    /* delete needs admin, cancelling one's own job operator: decided in
     * the handler */
    {MBK_FCGI_API, "DELETE", mbk_fcgi_handle_delete, OPERATOR, "delete"},
    {MBK_FCGI_API "/download", "GET", mbk_fcgi_handle_download, VIEWER,
     "download"},
    {MBK_FCGI_API "/stats", "GET", mbk_fcgi_handle_stats, VIEWER, "stats"},
    {MBK_FCGI_API "/health", "GET", mbk_fcgi_handle_health, VIEWER,
     "health"},
    {MBK_FCGI_API "/databases", "GET", mbk_fcgi_handle_databases, VIEWER,
     "databases"},
    {MBK_FCGI_API "/audit", "GET", mbk_fcgi_handle_audit, VIEWER, "audit"},
    {MBK_FCGI_API "/jobs", "GET", mbk_fcgi_handle_jobs, VIEWER, "jobs"},
    {MBK_FCGI_API "/jobs/cancel", "POST", mbk_fcgi_handle_cancel, OPERATOR,
     "cancel"},
    {MBK_FCGI_API "/verify", "POST", mbk_fcgi_handle_verify, OPERATOR,
     "verify"},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const struct route *
find(const char *method, const char *path, char *allow, size_t allow_len,
     struct mbk_error *err)
{
    size_t n = 0;
    size_t plen;

    if (allow_len > 0) {
        allow[0] = '\0';
    }
    if (path == NULL || method == NULL) {
        mbk_fcgi_http_error(err, 404, "no such resource");
        return NULL;
    }
    /* One trailing slash is the same resource. */
    plen = strlen(path);
    if (plen > 1 && path[plen - 1] == '/') {
        plen--;
    }
    for (size_t i = 0; i < NROUTES; i++) {
        if (strlen(routes[i].path) != plen ||
            strncmp(routes[i].path, path, plen) != 0) {
            continue;
        }
        if (strcmp(routes[i].method, method) == 0) {
            return &routes[i];
        }
        if (n < allow_len) {
            n += (size_t)snprintf(allow + n, allow_len - n, "%s%s",
                                  n > 0 ? ", " : "", routes[i].method);
        }
    }
    if (n == 0) {
        mbk_fcgi_http_error(err, 404, "no such resource: %.200s", path);
    } else {
        mbk_fcgi_http_error(err, 405, "method %.16s is not allowed here "
                            "(allowed: %s)", method, allow);
    }
    return NULL;
}

mbk_fcgi_handler_fn
mbk_fcgi_route_find(const char *method, const char *path, char *allow,
                    size_t allow_len, struct mbk_error *err)
{
    const struct route *r = find(method, path, allow, allow_len, err);

    return r != NULL ? r->fn : NULL;
}

/* A refusal of who is asking goes to the audit log too. */
static void
audit_refusal(struct mbk_fcgi_app *app, const struct mbk_fcgi_request *rq,
              const char *what, const struct mbk_error *err)
{
    struct mbk_audit_entry ae;

    memset(&ae, 0, sizeof(ae));
    ae.operation = what;
    ae.outcome = "refused";
    ae.error = err->message;
    mbk_fcgi_app_audit(app, rq, &ae);
}

/* The host:port of an Origin, after its scheme; NULL when the scheme is
 * not the request's own (an http:// page must not drive an https site). */
static const char *
origin_host(const char *origin, const char *scheme)
{
    if (strncmp(origin, "https://", 8) == 0 &&
        (scheme == NULL || strcmp(scheme, "https") == 0)) {
        return origin + 8;
    }
    if (strncmp(origin, "http://", 7) == 0 && scheme != NULL &&
        strcmp(scheme, "http") == 0) {
        return origin + 7;
    }
    return NULL;
}

int
mbk_fcgi_route_guard(const struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_request *rq,
                     struct mbk_error *err)
{
    bool changes = strcmp(rq->method, "GET") != 0 &&
                   strcmp(rq->method, "HEAD") != 0;

    if (rq->origin != NULL && rq->origin[0] != '\0') {
        const char *h = origin_host(rq->origin, rq->scheme);

        if (h == NULL || rq->host == NULL || strcmp(h, rq->host) != 0) {
            return mbk_fcgi_http_error(err, 403, "cross-site request "
                                       "refused (Origin does not match "
                                       "Host)");
        }
    }
    if (!changes) {
        return 0;
    }
    if ((rq->remote_user == NULL || rq->remote_user[0] == '\0') &&
        !app->cfg.allow_anonymous) {
        return mbk_fcgi_http_error(err, 401, "a login is required to change "
                                   "anything");
    }
    if (rq->requested_with == NULL || rq->requested_with[0] == '\0') {
        return mbk_fcgi_http_error(err, 403, "cross-site request refused: "
                                   "send the header X-Requested-With");
    }
    return 0;
}

void
mbk_fcgi_route(struct mbk_fcgi_app *app, const struct mbk_fcgi_request *rq,
               struct mbk_fcgi_response *rs)
{
    struct mbk_fcgi_request r = *rq;
    struct mbk_error err;
    char allow[64];
    const struct route *route;

    mbk_error_clear(&err);
    /* First who is asking: only the trusted proxy vouches for a user. */
    r.role = MBK_FCGI_ROLE_NONE;
    if (mbk_fcgi_access_check_proxy(&app->access, rq->proxy_secret,
                                    &err) != 0) {
        audit_refusal(app, &r, "request", &err);
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    r.role = (int)mbk_fcgi_access_role(&app->access, rq->remote_user);
    route = find(r.method, r.path, allow, sizeof(allow), &err);
    if (route == NULL) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        if (allow[0] != '\0') {
            mbk_fcgi_response_header(rs, "Allow", allow);
        }
        return;
    }
    if (mbk_fcgi_route_guard(app, &r, &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    if (mbk_fcgi_access_require(&r, route->need, route->what, &err) != 0) {
        audit_refusal(app, &r, route->what, &err);
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    route->fn(app, &r, rs);
}

int
mbk_fcgi_read_body(const struct mbk_fcgi_request *rq, struct mbk_buf *b,
                   size_t max, struct mbk_error *err)
{
    char chunk[16384];

    if (rq->content_length > (int64_t)max) {
        return mbk_fcgi_http_error(err, 413, "the body is larger than %zu "
                                   "bytes", max);
    }
    if (rq->read == NULL) {
        return 0;
    }
    for (;;) {
        ssize_t n = rq->read(rq->read_ud, chunk, sizeof(chunk), err);

        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            return 0;
        }
        if (b->len + (size_t)n > max) {
            return mbk_fcgi_http_error(err, 413, "the body is larger than "
                                       "%zu bytes", max);
        }
        if (mbk_buf_append(b, chunk, (size_t)n, err) != 0) {
            return -1;
        }
    }
}
