/*
 * router.h: which handler answers a request (path and method, 404 and
 * 405 with Allow), and the checks every request passes first: a login
 * for state changes and no cross-site request.  The handlers, declared
 * here, take the plain structs of fcgi/http.h and fill the response.
 * Thread-safe: the table is constant.
 */
#ifndef MBK_FCGI_ROUTER_H
#define MBK_FCGI_ROUTER_H

#include "fcgi/app.h"
#include "fcgi/http.h"

#define MBK_FCGI_API "/api/settings/backup"

typedef void (*mbk_fcgi_handler_fn)(struct mbk_fcgi_app *app,
                                    const struct mbk_fcgi_request *rq,
                                    struct mbk_fcgi_response *rs);

/* The handler for method on path; NULL with HTTP/404, or HTTP/405 and
 * the methods the path takes in allow ("GET, POST"). */
mbk_fcgi_handler_fn
mbk_fcgi_route_find(const char *method, const char *path, char *allow,
                    size_t allow_len, struct mbk_error *err);

/* Refuse what must not reach a handler: a state change without a login
 * (unless allow_anonymous), or from another site (an Origin that is not
 * this host, or no X-Requested-With header).  HTTP/401 or 403. */
int
mbk_fcgi_route_guard(const struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_request *rq,
                     struct mbk_error *err);

/* Route and run: the response is always filled. */
void
mbk_fcgi_route(struct mbk_fcgi_app *app, const struct mbk_fcgi_request *rq,
               struct mbk_fcgi_response *rs);

/* The handlers (fcgi/handlers.c, fcgi/create.c, fcgi/restore.c). */
void
mbk_fcgi_handle_list(struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_request *rq,
                     struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_create(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_restore(struct mbk_fcgi_app *app,
                        const struct mbk_fcgi_request *rq,
                        struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_delete(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_download(struct mbk_fcgi_app *app,
                         const struct mbk_fcgi_request *rq,
                         struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_stats(struct mbk_fcgi_app *app,
                      const struct mbk_fcgi_request *rq,
                      struct mbk_fcgi_response *rs);
/* fcgi/inspect.c: health (MongoDB and storages), the databases one may
 * inspect, statistics of one (?database=NAME). */
void
mbk_fcgi_handle_health(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_databases(struct mbk_fcgi_app *app,
                          const struct mbk_fcgi_request *rq,
                          struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_audit(struct mbk_fcgi_app *app,
                      const struct mbk_fcgi_request *rq,
                      struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_jobs(struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_request *rq,
                     struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_verify(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs);
void
mbk_fcgi_handle_cancel(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs);

/* Read the whole body (at most max bytes) into b; HTTP/413 beyond. */
int
mbk_fcgi_read_body(const struct mbk_fcgi_request *rq, struct mbk_buf *b,
                   size_t max, struct mbk_error *err);

#endif /* MBK_FCGI_ROUTER_H */
