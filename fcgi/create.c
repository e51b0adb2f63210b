/*
 * create.c: POST /api/settings/backup: a backup of the database into a
 * storage (the configured root, or a destinationPath under an allowed
 * root), run as a job; sync by default, 202 with a job id with "async".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/backup/backup.h"
#include "engine/gzip.h"
#include "engine/names.h"
#include "engine/options.h"
#include "fcgi/handlers.h"
#include "fcgi/paths.h"
#include "fcgi/router.h"

static const char *const compressions[] = {"none", "gzip", NULL};

/* Include/exclude patterns: collection names, "*" as a wildcard. */
static int
check_pattern(const char *s, struct mbk_error *err)
{
    char copy[256];

    snprintf(copy, sizeof(copy), "%s", s);
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == '*') {
            *p = 'x';
        }
    }
    return mbk_names_coll_check(NULL, copy, err);
}

static const struct mbk_fcgi_field create_schema[] = {
    {"destinationPath", MBK_FCGI_T_STRING, false, 1, 4096, NULL, NULL},
    {"backupName", MBK_FCGI_T_STRING, false, 1, MBK_NAMES_BACKUP_MAX, NULL,
     mbk_names_backup_check},
    {"description", MBK_FCGI_T_STRING, false, 0, 1024, NULL, NULL},
    {"compression", MBK_FCGI_T_STRING, false, 0, 8, compressions, NULL},
    {"compressionLevel", MBK_FCGI_T_INT, false, MBK_GZIP_LEVEL_MIN,
     MBK_GZIP_LEVEL_MAX, NULL, NULL},
    {"includeIndexes", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {"generateTimestamp", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {"includeCollections", MBK_FCGI_T_STRINGS, false, 0, 1000, NULL,
     check_pattern},
    {"excludeCollections", MBK_FCGI_T_STRINGS, false, 0, 1000, NULL,
     check_pattern},
    {"storage", MBK_FCGI_T_STRING, false, 1, MBK_FCGI_STORAGE_NAME_MAX,
     NULL, mbk_fcgi_check_storage_name},
    {"async", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

/* What the job needs, owned by it (the request is gone when async). */
struct create_job {
    struct mbk_fcgi_app *app;
    struct json_object *body;
    struct mbk_storage *st;    /* lent from app, or owned_st */
    struct mbk_storage *owned_st;
    const char *name;          /* the storage's, lent from app */
    char *destination;         /* the resolved destinationPath, or NULL */
    bool dest_file;            /* destination is the store's file */
    char *user;
    char *client;
    const char *role; /* static */
    const char **include;
    const char **exclude;
    struct mbk_backup_opts opts; /* from body, checked before queuing */
};

static void
create_job_free(void *ud)
{
    struct create_job *c = ud;

    json_object_put(c->body);
    mbk_storage_close(c->owned_st);
    free(c->destination);
    free(c->user);
    free(c->client);
    free(c->include);
    free(c->exclude);
    free(c);
}

/* c->opts: the engine's options from the request (the engine's defaults
 * where it says nothing; its strings are body's); the run's own fields
 * are set by run_create. */
static void
create_opts(struct create_job *c)
{
    const struct mbk_fcgi_app *app = c->app;
    struct mbk_backup_opts *o = &c->opts;

    mbk_engine_backup_opts_init(o);
    o->db = mbk_fcgi_app_db(app);
    o->name = mbk_fcgi_get_str(c->body, "backupName", NULL);
    o->description = mbk_fcgi_get_str(c->body, "description", NULL);
    if (strcmp(mbk_fcgi_get_str(c->body, "compression", "none"),
               "gzip") == 0) {
        o->gzip_level = (int)mbk_fcgi_get_int(c->body, "compressionLevel",
                                              MBK_GZIP_LEVEL_DEFAULT);
    }
    o->include_indexes = mbk_fcgi_get_bool(c->body, "includeIndexes",
                                           o->include_indexes);
    o->timestamp = mbk_fcgi_get_bool(c->body, "generateTimestamp",
                                     o->timestamp);
    o->include = c->include;
    o->exclude = c->exclude;
    o->jobs = app->cfg.read_jobs;
    o->spool_dir = app->cfg.spool_dir;
}

static int
run_create(struct mbk_fcgi_job *job, void *ud, struct json_object **result,
           struct mbk_error *err)
{
    struct create_job *c = ud;
    struct mbk_fcgi_app *app = c->app;
    struct mbk_backup_opts o = c->opts;
    struct mbk_backup_result res;
    struct mbk_audit_entry ae;
    const char *destination;
    int rc;

    memset(&res, 0, sizeof(res));
    o.cancel = mbk_fcgi_job_cancel_flag(job);
    o.progress = mbk_fcgi_job_progress;
    o.progress_ud = job;
    /* the destination as the request named it, not resolved */
    destination = c->destination != NULL
                      ? mbk_fcgi_get_str(c->body, "destinationPath", NULL)
                      : NULL;
    rc = mbk_engine_backup_run(app->mongo, c->st, &o, &res, err);
    mbk_engine_backup_audit(&o, c->name, destination, &res,
                            rc == 0 ? NULL : err, &ae);
    ae.user = c->user;
    ae.client = c->client;
    ae.role = c->role;
    if (rc == 0) {
        *result = mbk_engine_backup_result_json(&res, c->name, destination);
        if (c->destination != NULL) {
            /* the list finds it again (fcgi/paths.c) */
            mbk_fcgi_paths_record(app, mbk_storage_get_scheme(c->st),
                                  c->destination, c->dest_file);
        }
    }
    mbk_fcgi_app_audit(app, NULL, &ae);
    mbk_audit_entry_release(&ae);
    mbk_engine_backup_result_free(&res);
    return rc;
}

/* The storage the backup goes to: a configured one, or one opened on
 * destinationPath (after the allowed-roots check) with the plugin of the
 * storage named (else of the default one): a directory, or a file when
 * that plugin keeps its store in one file (CAP_FILE_LOCATION). */
static int
pick_storage(struct create_job *c, const char **field, struct mbk_error *err)
{
    const char *dest = mbk_fcgi_get_str(c->body, "destinationPath", NULL);
    const struct mbk_fcgi_storage *configured;
    uint32_t caps;

    *field = "storage";
    configured = mbk_fcgi_app_storage(
        c->app, mbk_fcgi_get_str(c->body, "storage", NULL), err);
    if (configured == NULL) {
        return -1;
    }
    c->name = configured->name;
    if (dest == NULL ||
        strcmp(dest, mbk_storage_get_location(configured->st)) == 0) {
        c->st = configured->st;
        return 0;
    }
    caps = mbk_storage_get_caps(configured->st);
    if ((caps & MBK_STORAGE_CAP_URL_LOCATION) != 0) {
        return mbk_fcgi_http_error(err, 400, "field \"destinationPath\": "
                                   "storage \"%s\" is not on this server's "
                                   "disks", configured->name);
    }
    *field = "destinationPath";
    c->owned_st = mbk_fcgi_paths_open(
        c->app, mbk_storage_get_scheme(configured->st), dest,
        (caps & MBK_STORAGE_CAP_FILE_LOCATION) != 0, &c->destination, err);
    if (c->owned_st == NULL) {
        return mbk_error_prefix(err, "field \"destinationPath\"");
    }
    c->dest_file = (caps & MBK_STORAGE_CAP_FILE_LOCATION) != 0;
    c->st = c->owned_st;
    return 0;
}

void
mbk_fcgi_handle_create(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs)
{
    struct json_object *body = NULL;
    struct create_job *c;
    struct mbk_fcgi_job *job;
    struct mbk_error err;
    const char *field = NULL;
    bool async;

    if (mbk_fcgi_no_query(rq, rs) != 0 ||
        mbk_fcgi_json_body(rq, create_schema, &body, rs) != 0) {
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        json_object_put(body);
        mbk_fcgi_http_error(&err, 500, "out of memory");
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    c->app = app;
    c->body = body;
    c->user = rq->remote_user != NULL && rq->remote_user[0] != '\0'
                  ? strdup(rq->remote_user)
                  : NULL;
    c->client = rq->remote_addr != NULL ? strdup(rq->remote_addr) : NULL;
    c->role = mbk_fcgi_role_name((enum mbk_fcgi_role)rq->role);
    c->include = mbk_fcgi_get_strv(body, "includeCollections");
    c->exclude = mbk_fcgi_get_strv(body, "excludeCollections");
    async = mbk_fcgi_get_bool(body, "async", false);
    if (pick_storage(c, &field, &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, field);
        create_job_free(c);
        return;
    }
    /* the engine's rules now, so a bad name is a 400 naming the field,
     * not a job that fails */
    create_opts(c);
    if (mbk_engine_backup_check(&c->opts, &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        create_job_free(c);
        return;
    }
    job = mbk_fcgi_jobs_submit(app->jobs, "backup", mbk_fcgi_app_db(app),
                               c->user, false, run_create, c,
                               create_job_free, &err);
    if (job == NULL) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    mbk_fcgi_reply_job(app, job, async, rs);
}
