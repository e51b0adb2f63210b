/*
 * restore.c: PUT /api/settings/backup: restore a backup, both methods of
 * the seed.  Server file: a JSON body naming a stored backup or a path
 * under an allowed root.  Upload: multipart/form-data with a "file" part
 * and an "options" part (JSON), or the raw file as the body with the
 * options in the query.  The upload is streamed to an unlinked spool
 * file (bounded memory, max_upload bytes) whose descriptor the restore
 * engine reads.  Runs as an exclusive job on the target database.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/names.h"
#include "engine/options.h"
#include "engine/mongo/stats.h"
#include "engine/restore/restore.h"
#include "fcgi/handlers.h"
#include "fcgi/multipart.h"
#include "fcgi/router.h"
#include "fcgi/validate.h"

#define OPTION_FIELDS                                                       \
    {"targetDatabase", MBK_FCGI_T_STRING, false, 1, MBK_NAMES_DB_MAX, NULL, \
     mbk_fcgi_check_db},                                                    \
        {"dropExisting", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},         \
        {"dryRun", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},               \
        {"collections", MBK_FCGI_T_STRINGS, false, 0, 1000, NULL,          \
         mbk_fcgi_check_coll},                                              \
        {"conflict", MBK_FCGI_T_STRING, false, 0, 8,                      \
         mbk_engine_conflict_names, NULL},                                  \
        {"async", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL}

/* A server-side restore: which backup, and the options. */
static const struct mbk_fcgi_field server_schema[] = {
    {"backupName", MBK_FCGI_T_STRING, false, 1, MBK_STORAGE_NAME_MAX, NULL,
     mbk_fcgi_check_backup_name},
    {"storage", MBK_FCGI_T_STRING, false, 1, MBK_FCGI_STORAGE_NAME_MAX,
     NULL, mbk_fcgi_check_storage_name},
    {"path", MBK_FCGI_T_STRING, false, 1, 4096, NULL, NULL},
    {"uploadId", MBK_FCGI_T_STRING, false, 1, MBK_FCGI_UPLOAD_ID_LEN, NULL,
     mbk_fcgi_check_upload_id},
    OPTION_FIELDS,
    {NULL, 0, false, 0, 0, NULL, NULL},
};

/* An upload's options (the "options" part, or the query). */
static const struct mbk_fcgi_field upload_schema[] = {
    OPTION_FIELDS,
    {"upload", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {"validateOnly", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

struct restore_job {
    struct mbk_fcgi_app *app;
    struct json_object *opts;   /* the checked options */
    const struct mbk_fcgi_storage *st; /* a stored backup: lent from app */
    const char *name;
    char *path;                 /* a resolved server file */
    int fd;                     /* an upload's spool file, or -1 */
    char *user;
    char *client;
    const char *role; /* static */
    const char **collections;
    uint64_t upload_bytes;      /* an upload's size, else 0 */
    char target[MBK_NAMES_DB_MAX + 1];
};

static void
restore_job_free(void *ud)
{
    struct restore_job *r = ud;

    json_object_put(r->opts);
    free(r->path);
    if (r->fd >= 0) {
        close(r->fd);
    }
    free(r->user);
    free(r->client);
    free(r->collections);
    free(r);
}

static int
run_restore(struct mbk_fcgi_job *job, void *ud, struct json_object **result,
            struct mbk_error *err)
{
    struct restore_job *r = ud;
    struct mbk_restore_input in;
    struct mbk_restore_opts o;
    struct mbk_restore_report rep;
    struct mbk_audit_entry ae;
    int rc;

    memset(&in, 0, sizeof(in));
    mbk_engine_restore_opts_init(&o);
    memset(&rep, 0, sizeof(rep));
    in.storage = r->st != NULL ? r->st->st : NULL;
    in.name = r->name;
    /* A server file was opened once, in the request, beneath its root:
     * the engine reads that descriptor, never the name again. */
    in.fd = r->fd;
    if (r->fd >= 0 && lseek(r->fd, 0, SEEK_SET) != 0) {
        return mbk_error_sys(err, errno, "lseek", r->path != NULL
                                                      ? r->path
                                                      : "the uploaded backup");
    }
    o.target_db = r->target;
    o.collections = r->collections;
    o.drop = mbk_fcgi_get_bool(r->opts, "dropExisting", o.drop);
    o.dry_run = mbk_fcgi_get_bool(r->opts, "dryRun", o.dry_run);
    /* the schema let only the engine's names through */
    if (mbk_fcgi_get_str(r->opts, "conflict", NULL) != NULL &&
        mbk_engine_conflict_parse(mbk_fcgi_get_str(r->opts, "conflict", NULL),
                                  &o.conflict, err) != 0) {
        return mbk_error_prefix(err, "field \"conflict\"");
    }
    o.jobs = r->app->cfg.read_jobs;
    o.spool_dir = r->app->cfg.spool_dir;
    o.cancel = mbk_fcgi_job_cancel_flag(job);
    o.progress = mbk_fcgi_job_progress;
    o.progress_ud = job;
    rc = mbk_engine_restore_run(r->app->mongo, &in, &o, &rep, err);
    if (rc != 0 && rep.rollback[0] != '\0') {
        mbk_error_prefix(err, "%s (rollback: %s)", "restore failed",
                         rep.rollback);
    }
    mbk_engine_restore_audit(&in, r->st != NULL ? r->st->name : NULL,
                             r->path, &o, &rep, rc == 0 ? NULL : err, &ae);
    ae.user = r->user;
    ae.client = r->client;
    ae.role = r->role;
    if (r->upload_bytes > 0) {
        /* what only the service knows: how much was uploaded */
        json_object_object_add(ae.params, "uploadBytes",
                               json_object_new_int64(
                                   (int64_t)r->upload_bytes));
    }
    if (rc == 0) {
        *result = mbk_engine_restore_report_json(&rep, &o);
    }
    mbk_fcgi_app_audit(r->app, NULL, &ae);
    mbk_audit_entry_release(&ae);
    mbk_engine_restore_report_free(&rep);
    return rc;
}

static void
submit(struct mbk_fcgi_app *app, struct restore_job *r,
       struct mbk_fcgi_response *rs)
{
    struct mbk_fcgi_job *job;
    struct mbk_error err;
    struct json_object *info;
    bool async = mbk_fcgi_get_bool(r->opts, "async", false);

    snprintf(r->target, sizeof(r->target), "%s",
             mbk_fcgi_get_str(r->opts, "targetDatabase",
                              mbk_fcgi_app_db(app)));
    /* MongoDB's own databases are never a restore target. */
    if (mbk_engine_db_internal(r->target)) {
        mbk_fcgi_http_error(&err, 400, "field \"targetDatabase\": \"%s\" "
                            "is MongoDB's own database, never a restore "
                            "target", r->target);
        mbk_fcgi_reply_error(rs, &err, "targetDatabase");
        restore_job_free(r);
        return;
    }
    r->collections = mbk_fcgi_get_strv(r->opts, "collections");
    job = mbk_fcgi_jobs_submit(app->jobs, "restore", r->target, r->user,
                               true, run_restore, r, restore_job_free, &err);
    if (job == NULL) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    info = mbk_fcgi_restore_info(r->opts, r->target);
    /* what the job reads, as the API calls it (the audit entry says
     * "stream" for an upload: the engine's word for any unnamed input) */
    json_object_object_add(info, "source", json_object_new_string(
                                               r->st != NULL     ? "storage"
                                               : r->path != NULL ? "path"
                                                                 : "upload"));
    if (r->upload_bytes > 0) {
        json_object_object_add(info, "uploadBytes",
                               json_object_new_int64(
                                   (int64_t)r->upload_bytes));
    }
    mbk_fcgi_job_describe(job, info);
    mbk_fcgi_reply_job(app, job, async, rs);
}

static struct restore_job *
job_new(struct mbk_fcgi_app *app, const struct mbk_fcgi_request *rq)
{
    struct restore_job *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        return NULL;
    }
    r->app = app;
    r->fd = -1;
    r->user = rq->remote_user != NULL && rq->remote_user[0] != '\0'
                  ? strdup(rq->remote_user)
                  : NULL;
    r->client = rq->remote_addr != NULL ? strdup(rq->remote_addr) : NULL;
    r->role = mbk_fcgi_role_name((enum mbk_fcgi_role)rq->role);
    return r;
}

/* ---- server file ----------------------------------------------------- */

static void
restore_server(struct mbk_fcgi_app *app, const struct mbk_fcgi_request *rq,
               struct mbk_fcgi_response *rs)
{
    struct json_object *body = NULL;
    struct restore_job *r;
    struct mbk_error err;
    const char *name;
    const char *path;
    const char *upload;

    if (mbk_fcgi_json_body(rq, server_schema, &body, rs) != 0) {
        return;
    }
    name = mbk_fcgi_get_str(body, "backupName", NULL);
    path = mbk_fcgi_get_str(body, "path", NULL);
    upload = mbk_fcgi_get_str(body, "uploadId", NULL);
    if ((name != NULL) + (path != NULL) + (upload != NULL) != 1) {
        json_object_put(body);
        mbk_fcgi_http_error(&err, 400, "field \"backupName\": give one of "
                            "backupName, path or uploadId");
        mbk_fcgi_reply_error(rs, &err, "backupName");
        return;
    }
    r = job_new(app, rq);
    if (r == NULL) {
        json_object_put(body);
        mbk_fcgi_http_error(&err, 500, "out of memory");
        mbk_fcgi_reply_error(rs, &err, NULL);
        return;
    }
    r->opts = body;
    if (name != NULL) {
        r->name = name;
        r->st = mbk_fcgi_app_storage(app, mbk_fcgi_get_str(body, "storage",
                                                           NULL), &err);
        if (r->st == NULL) {
            mbk_fcgi_reply_error(rs, &err, "storage");
            restore_job_free(r);
            return;
        }
    } else if (upload != NULL) {
        /* an upload validated before (fcgi/validate.c) */
        r->fd = mbk_fcgi_upload_take(app, upload, &err);
        if (r->fd < 0) {
            mbk_fcgi_reply_error(rs, &err, "uploadId");
            restore_job_free(r);
            return;
        }
    } else {
        r->path = strdup(path); /* as the request named it */
        r->fd = mbk_fcgi_path_open(app, path, &err);
        if (r->fd < 0) {
            mbk_error_prefix(&err, "field \"path\"");
            mbk_fcgi_reply_error(rs, &err, "path");
            restore_job_free(r);
            return;
        }
    }
    submit(app, r, rs);
}

/* ---- uploads --------------------------------------------------------- */

struct upload {
    int fd;
    uint64_t bytes;
    uint64_t max;
    bool file_seen;
    bool in_file;
    bool in_options;
    struct mbk_buf options;
};

static int
spool_write(struct upload *u, const char *p, size_t n, struct mbk_error *err)
{
    u->bytes += n;
    if (u->bytes > u->max) {
        return mbk_fcgi_http_error(err, 413, "the upload is larger than "
                                   "max_upload (%llu bytes)",
                                   (unsigned long long)u->max);
    }
    while (n > 0) {
        ssize_t w = write(u->fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            return mbk_error_sys(err, errno, "write", "the upload spool");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int
part_begin(const struct mbk_fcgi_part *part, void *ud, struct mbk_error *err)
{
    struct upload *u = ud;

    if (strcmp(part->name, "file") == 0) {
        if (u->file_seen) {
            mbk_fcgi_http_error(err, 400, "field \"file\": given more "
                                "than once");
            return mbk_error_field(err, "file");
        }
        u->file_seen = true;
        u->in_file = true;
        return 0;
    }
    if (strcmp(part->name, "options") == 0) {
        if (u->options.len > 0) {
            mbk_fcgi_http_error(err, 400, "field \"options\": given "
                                "more than once");
            return mbk_error_field(err, "options");
        }
        u->in_options = true;
        return 0;
    }
    mbk_fcgi_http_error(err, 400, "field \"%.64s\": unknown form "
                        "field (expected file and options)", part->name);
    return mbk_error_field(err, part->name);
}

static int
part_data(const struct mbk_fcgi_part *part, const char *buf, size_t len,
          void *ud, struct mbk_error *err)
{
    struct upload *u = ud;

    (void)part;
    if (u->in_file) {
        return spool_write(u, buf, len, err);
    }
    if (u->options.len + len > MBK_FCGI_JSON_MAX) {
        mbk_fcgi_http_error(err, 413, "field \"options\": larger "
                            "than %d bytes", MBK_FCGI_JSON_MAX);
        return mbk_error_field(err, "options");
    }
    return mbk_buf_append(&u->options, buf, len, err);
}

static int
part_end(const struct mbk_fcgi_part *part, void *ud, struct mbk_error *err)
{
    struct upload *u = ud;

    (void)part;
    (void)err;
    u->in_file = false;
    u->in_options = false;
    return 0;
}

/* Read the whole body: into the multipart parser, or raw to the spool. */
static int
receive(const struct mbk_fcgi_request *rq, struct upload *u, bool multipart,
        struct mbk_error *err)
{
    static const struct mbk_fcgi_mp_handler h0 = {part_begin, part_data,
                                                  part_end, NULL};
    struct mbk_fcgi_mp_handler h = h0;
    struct mbk_fcgi_multipart *mp = NULL;
    char *chunk;
    uint64_t slack;
    int rc = -1;

    /* A multipart body carries the form's framing and options too. */
    slack = multipart ? MBK_FCGI_JSON_MAX + 16384 : 0;
    if (rq->content_length >= 0 &&
        (uint64_t)rq->content_length > u->max + slack) {
        return mbk_fcgi_http_error(err, 413, "the upload is larger than "
                                   "max_upload (%llu bytes)",
                                   (unsigned long long)u->max);
    }
    h.ud = u;
    if (multipart) {
        mp = mbk_fcgi_multipart_new(rq->content_type, &h, err);
        if (mp == NULL) {
            return -1;
        }
    }
    chunk = malloc(65536);
    if (chunk == NULL) {
        mbk_fcgi_multipart_free(mp);
        return mbk_fcgi_http_error(err, 500, "out of memory");
    }
    for (;;) {
        ssize_t n = rq->read != NULL ? rq->read(rq->read_ud, chunk, 65536, err)
                                     : 0;

        if (n < 0) {
            goto out;
        }
        if (n == 0) {
            break;
        }
        if (mp != NULL ? mbk_fcgi_multipart_feed(mp, chunk, (size_t)n, err)
                       : spool_write(u, chunk, (size_t)n, err)) {
            goto out;
        }
    }
    if (mp != NULL && mbk_fcgi_multipart_finish(mp, err) != 0) {
        goto out;
    }
    if (multipart && !u->file_seen) {
        mbk_fcgi_http_error(err, 400, "field \"file\": is required");
        mbk_error_field(err, "file");
        goto out;
    }
    if (u->bytes == 0) {
        mbk_fcgi_http_error(err, 400, "field \"file\": the upload is empty");
        mbk_error_field(err, "file");
        goto out;
    }
    rc = 0;
out:
    free(chunk);
    mbk_fcgi_multipart_free(mp);
    return rc;
}

static void
restore_upload(struct mbk_fcgi_app *app, const struct mbk_fcgi_request *rq,
               struct mbk_fcgi_response *rs, bool multipart)
{
    struct json_object *opts = NULL;
    struct restore_job *r;
    struct upload u;
    struct mbk_error err;

    memset(&u, 0, sizeof(u));
    u.max = app->cfg.max_upload;
    mbk_buf_init(&u.options, MBK_FCGI_JSON_MAX + 1);
    /* The query of a raw upload holds the options: check them first; a
     * form has its options in a part and takes no query. */
    if (multipart ? mbk_fcgi_no_query(rq, rs) != 0
                  : mbk_fcgi_query(rq, upload_schema, &opts, rs) != 0) {
        mbk_buf_free(&u.options);
        return;
    }
    u.fd = mbk_fcgi_upload_spool_open(app, &err);
    if (u.fd < 0) {
        goto fail;
    }
    if (receive(rq, &u, multipart, &err) != 0) {
        goto fail;
    }
    if (multipart && mbk_fcgi_schema_parse_json(
                         upload_schema, u.options.len ? u.options.data : "{}",
                         u.options.len ? u.options.len : 2, &opts,
                         &err) != 0) {
        goto fail;
    }
    if (mbk_fcgi_get_bool(opts, "validateOnly", false)) {
        /* checked, not restored: no lock, no job (fcgi/validate.c) */
        mbk_fcgi_validate_upload(app, rq, u.fd, u.bytes, opts, rs);
        json_object_put(opts);
        close(u.fd);
        mbk_buf_free(&u.options);
        return;
    }
    r = job_new(app, rq);
    if (r == NULL) {
        mbk_fcgi_http_error(&err, 500, "out of memory");
        goto fail;
    }
    r->opts = opts;
    r->fd = u.fd;
    r->upload_bytes = u.bytes;
    mbk_buf_free(&u.options);
    submit(app, r, rs);
    return;
fail:
    mbk_fcgi_reply_error(rs, &err, NULL); /* the field the error names */
    json_object_put(opts);
    if (u.fd >= 0) {
        close(u.fd);
    }
    mbk_buf_free(&u.options);
}

void
mbk_fcgi_handle_restore(struct mbk_fcgi_app *app,
                        const struct mbk_fcgi_request *rq,
                        struct mbk_fcgi_response *rs)
{
    const char *ct = rq->content_type != NULL ? rq->content_type : "";
    bool has_query = rq->query != NULL && rq->query[0] != '\0';
    struct mbk_error err;

    if (strncmp(ct, "multipart/form-data", 19) == 0) {
        restore_upload(app, rq, rs, true);
    } else if (strncmp(ct, "application/gzip", 16) == 0 ||
               strncmp(ct, "application/x-gzip", 18) == 0 ||
               (strncmp(ct, "application/json", 16) == 0 && has_query)) {
        restore_upload(app, rq, rs, false);
    } else if (strncmp(ct, "application/json", 16) == 0) {
        restore_server(app, rq, rs);
    } else {
        mbk_fcgi_http_error(&err, 415, "expected application/json (a "
                            "server-side restore, or a raw upload with the "
                            "options in the query), application/gzip or "
                            "multipart/form-data");
        mbk_fcgi_reply_error(rs, &err, NULL);
    }
}
