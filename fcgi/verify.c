/*
 * verify.c: POST /api/settings/backup/verify?name=N[&storage=S]: re-read a
 * stored backup (structure, counts, digests) and say whether it is sound;
 * audited as "verify", so the page can show when a backup was verified.
 * Runs on the job pool like create and restore (&async=true: 202).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/backup/catalog.h"
#include "fcgi/handlers.h"
#include "fcgi/paths.h"
#include "fcgi/router.h"

static const struct mbk_fcgi_field verify_query[] = {
    {"name", MBK_FCGI_T_STRING, true, 1, MBK_STORAGE_NAME_MAX, NULL,
     mbk_fcgi_check_backup_name},
    {"storage", MBK_FCGI_T_STRING, false, 1, MBK_FCGI_STORAGE_NAME_MAX,
     NULL, mbk_fcgi_check_storage_name},
    {"path", MBK_FCGI_T_STRING, false, 1, 4096, NULL, NULL},
    {"async", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

/* What the job needs, owned by it. */
struct verify_job {
    struct mbk_fcgi_app *app;
    struct json_object *q;
    struct mbk_fcgi_place *place; /* a storage, or a recorded path */
    char *user;
    char *client;
    const char *role; /* static */
};

static void
verify_job_free(void *ud)
{
    struct verify_job *v = ud;

    json_object_put(v->q);
    mbk_fcgi_place_free(v->place);
    free(v->user);
    free(v->client);
    free(v);
}

/* Reading a whole backup is long work: it runs on the job pool. */
static int
run_verify(struct mbk_fcgi_job *job, void *ud, struct json_object **result,
           struct mbk_error *err)
{
    struct verify_job *v = ud;
    const char *name = mbk_fcgi_get_str(v->q, "name", "");
    struct mbk_verify_result res;
    struct mbk_audit_entry ae;
    int rc;

    (void)job;
    rc = mbk_engine_verify(v->place->storage->st, name, &res, err);
    mbk_engine_verify_audit(name, v->place->storage->name, &res,
                            rc == 0 ? NULL : err, &ae);
    ae.user = v->user;
    ae.client = v->client;
    ae.role = v->role;
    mbk_fcgi_app_audit(v->app, NULL, &ae);
    mbk_audit_entry_release(&ae);
    if (rc == 0) {
        *result = mbk_engine_verify_result_json(name, v->place->storage->name,
                                                &res);
    }
    mbk_engine_verify_result_free(&res);
    return rc;
}

void
mbk_fcgi_handle_verify(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct verify_job *v;
    struct mbk_fcgi_job *job;
    struct mbk_fcgi_place *place;
    struct mbk_error err;
    const char *field;

    if (mbk_fcgi_query(rq, verify_query, &q, rs) != 0) {
        return;
    }
    place = mbk_fcgi_place_open(app, mbk_fcgi_get_str(q, "storage", NULL),
                                mbk_fcgi_get_str(q, "path", NULL), &field,
                                &err);
    if (place == NULL) {
        mbk_fcgi_reply_error(rs, &err, field);
        json_object_put(q);
        return;
    }
    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        mbk_fcgi_place_free(place);
        json_object_put(q);
        mbk_fcgi_http_error(&err, 500, "out of memory");
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    v->app = app;
    v->q = q;
    v->place = place;
    v->user = rq->remote_user != NULL && rq->remote_user[0] != '\0'
                  ? strdup(rq->remote_user)
                  : NULL;
    v->client = rq->remote_addr != NULL ? strdup(rq->remote_addr) : NULL;
    v->role = mbk_fcgi_role_name((enum mbk_fcgi_role)rq->role);
    /* verify reads a stored file, no database: it conflicts with
     * nothing ("" is no database's name) */
    job = mbk_fcgi_jobs_submit(app->jobs, "verify", "", v->user, false,
                               run_verify, v, verify_job_free, &err);
    if (job == NULL) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    mbk_fcgi_reply_job(app, job, mbk_fcgi_get_bool(q, "async", false), rs);
}
