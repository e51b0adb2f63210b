/*
 * handlers.c: the read side of /api/settings/backup (list, download,
 * statistics, audit log, jobs) and delete, plus the helpers the handler
 * files share (handlers.h).
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backup/catalog.h"
#include "engine/names.h"
#include "engine/backup/stored.h"
#include "engine/mongo/stats.h"
#include "fcgi/handlers.h"
#include "fcgi/paths.h"
#include "fcgi/router.h"
#include "storage/path.h"

int
mbk_fcgi_check_backup_name(const char *s, struct mbk_error *err)
{
    return mbk_storage_name_check(s, err);
}

int
mbk_fcgi_check_db(const char *s, struct mbk_error *err)
{
    return mbk_names_db_check(s, err);
}

int
mbk_fcgi_check_coll(const char *s, struct mbk_error *err)
{
    return mbk_names_coll_check(NULL, s, err);
}

int
mbk_fcgi_check_job_id(const char *s, struct mbk_error *err)
{
    if (strlen(s) != MBK_FCGI_JOB_ID_LEN ||
        strspn(s, "0123456789abcdef") != MBK_FCGI_JOB_ID_LEN) {
        return mbk_fcgi_http_error(err, 400, "not a job id");
    }
    return 0;
}

int
mbk_fcgi_query(const struct mbk_fcgi_request *rq,
               const struct mbk_fcgi_field *schema, struct json_object **out,
               struct mbk_fcgi_response *rs)
{
    struct mbk_error err;

    if (mbk_fcgi_schema_parse_query(schema, rq->query, out, &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        return -1;
    }
    return 0;
}

static const struct mbk_fcgi_field no_fields[] = {
    {NULL, 0, false, 0, 0, NULL, NULL},
};

int
mbk_fcgi_no_query(const struct mbk_fcgi_request *rq,
                  struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;

    if (mbk_fcgi_query(rq, no_fields, &q, rs) != 0) {
        return -1;
    }
    json_object_put(q);
    return 0;
}

int
mbk_fcgi_json_body(const struct mbk_fcgi_request *rq,
                   const struct mbk_fcgi_field *schema,
                   struct json_object **out, struct mbk_fcgi_response *rs)
{
    struct mbk_error err;
    struct mbk_buf b;
    int rc = -1;

    mbk_buf_init(&b, MBK_FCGI_JSON_MAX + 1);
    if (rq->content_type == NULL ||
        strncmp(rq->content_type, "application/json", 16) != 0 ||
        (rq->content_type[16] != '\0' && rq->content_type[16] != ';')) {
        mbk_fcgi_http_error(&err, 415, "expected a body of type "
                            "application/json");
    } else if (mbk_fcgi_read_body(rq, &b, MBK_FCGI_JSON_MAX, &err) == 0 &&
               mbk_fcgi_schema_parse_json(schema, b.data ? b.data : "", b.len,
                                          out, &err) == 0) {
        rc = 0;
    }
    if (rc != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
    }
    mbk_buf_free(&b);
    return rc;
}

static atomic_uint sync_waiters;

void
mbk_fcgi_reply_job(struct mbk_fcgi_app *app, struct mbk_fcgi_job *job,
                   bool async, struct mbk_fcgi_response *rs)
{
    struct json_object *result = NULL;
    struct mbk_error err;
    unsigned cap = app->cfg.threads / 2 > 0 ? app->cfg.threads / 2 : 1;
    int rc = 1;

    if (!async) {
        /* The request threads answer lists and cancels: only some of
         * them may sit waiting for long work. */
        if (atomic_fetch_add(&sync_waiters, 1) < cap) {
            rc = mbk_fcgi_job_wait_until(job, app->cfg.sync_wait, &result,
                                         &err);
        }
        atomic_fetch_sub(&sync_waiters, 1);
    }
    if (rc == 1) {
        struct json_object *d = json_object_new_object();
        char url[128];

        snprintf(url, sizeof(url), MBK_FCGI_API "?job=%s",
                 mbk_fcgi_job_id(job));
        json_object_object_add(d, "jobId",
                               json_object_new_string(mbk_fcgi_job_id(job)));
        json_object_object_add(d, "status", json_object_new_string(url));
        if (!async) {
            json_object_object_add(d, "note", json_object_new_string(
                                                  "still running: follow "
                                                  "it at status"));
        }
        mbk_fcgi_response_header(rs, "Location", url);
        mbk_fcgi_reply_data_take(rs, 202, d);
    } else if (rc == 0) {
        mbk_fcgi_reply_data_take(rs, 200, result);
    } else {
        mbk_fcgi_reply_error(rs, &err, NULL);
    }
    mbk_fcgi_job_release(job);
}

/* ---- GET: the backups ------------------------------------------------ */

static const struct mbk_fcgi_field list_query[] = {
    {"storage", MBK_FCGI_T_STRING, false, 1, MBK_FCGI_STORAGE_NAME_MAX,
     NULL, mbk_fcgi_check_storage_name},
    {"path", MBK_FCGI_T_STRING, false, 1, 4096, NULL, NULL},
    {"job", MBK_FCGI_T_STRING, false, 0, 0, NULL, mbk_fcgi_check_job_id},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

struct list_state {
    const char *storage;
    const char *path; /* a recorded destinationPath's, else NULL */
    bool path_file;   /* that path is the store's file (tar), not a dir */
    const struct mbk_fcgi_app *app;
    struct json_object *arr;
};

static int
on_backup(const struct mbk_catalog_entry *e, void *ud)
{
    struct list_state *s = ud;
    struct json_object *o = mbk_engine_catalog_entry_json(e, s->storage);

    if (s->path != NULL) {
        /* a recorded destinationPath's backup: no storage, its place */
        json_object_object_add(o, "path", json_object_new_string(s->path));
        json_object_object_add(o, "pathIsFile",
                               json_object_new_boolean(s->path_file));
    }
    json_object_array_add(s->arr, o);
    return 0;
}

/* The backups of one recorded destinationPath; one that cannot be read
 * (moved away, a root no longer allowed) is left out and logged, so the
 * list of everything else still shows. */
static int
on_path(const char *path, const char *scheme, bool file, void *ud)
{
    struct list_state *s = ud;
    struct mbk_storage *st;
    struct mbk_error err;
    char *real = NULL;

    if (s->path != NULL && strcmp(s->path, path) != 0) {
        return 0;
    }
    st = mbk_fcgi_paths_open(s->app, scheme, path, file, &real, &err);
    if (st == NULL ||
        mbk_engine_catalog_list(st, on_backup,
                                &(struct list_state){NULL, path, file,
                                                     s->app, s->arr},
                                &err) != 0) {
        mbk_fcgi_log("list: backups at %s left out: %s", path, err.message);
    }
    mbk_storage_close(st);
    free(real);
    return 0;
}

/* A storage as the list shows it: its name and what it can do, in words;
 * never its location; unavailable ones with why (and no capabilities:
 * its plugin has not answered yet). */
static struct json_object *
storage_json(const struct mbk_fcgi_storage *st)
{
    char why[256];
    unsigned retry_in = 0;
    bool up = mbk_fcgi_storage_state(st, why, sizeof(why), &retry_in);
    static const struct {
        uint32_t cap;
        const char *word;
    } words[] = {
        {MBK_STORAGE_CAP_LIST_META, "metadata"},
        {MBK_STORAGE_CAP_REMOVE, "remove"},
        {MBK_STORAGE_CAP_LOCAL_PATH, "local-path"},
        {MBK_STORAGE_CAP_NEEDS_SIZE, "needs-size"},
        {MBK_STORAGE_CAP_FILE_LOCATION, "file-location"},
        {MBK_STORAGE_CAP_URL_LOCATION, "url-location"},
    };
    struct json_object *o = json_object_new_object();
    struct json_object *caps = json_object_new_array();
    uint32_t have = up ? mbk_storage_get_caps(st->st) : 0;

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if ((have & words[i].cap) != 0) {
            json_object_array_add(caps, json_object_new_string(words[i].word));
        }
    }
    json_object_object_add(o, "name", json_object_new_string(st->name));
    /* the same, under the key the list used before it was a list */
    json_object_object_add(o, "storage", json_object_new_string(st->name));
    json_object_object_add(o, "default", json_object_new_boolean(
                                             st->is_default));
    json_object_object_add(o, "download", json_object_new_string(
                                              st->x_accel != NULL ? "x-accel"
                                                                  : "stream"));
    json_object_object_add(o, "remove", json_object_new_boolean(
                                            (have & MBK_STORAGE_CAP_REMOVE)
                                            != 0));
    json_object_object_add(o, "capabilities", caps);
    json_object_object_add(o, "available", json_object_new_boolean(up));
    if (!up) {
        json_object_object_add(o, "error", json_object_new_string(why));
        json_object_object_add(o, "retryIn",
                               json_object_new_int64(retry_in));
    }
    return o;
}

void
mbk_fcgi_handle_list(struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_request *rq,
                     struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct json_object *d;
    struct json_object *stores;
    struct list_state s;
    struct mbk_error err;
    const char *which;
    const char *job;

    if (mbk_fcgi_query(rq, list_query, &q, rs) != 0) {
        return;
    }
    job = mbk_fcgi_get_str(q, "job", NULL);
    if (job != NULL) {
        struct json_object *st = mbk_fcgi_jobs_status(app->jobs, job, &err);

        if (st == NULL) {
            mbk_fcgi_reply_error(rs, &err, "job");
        } else {
            mbk_fcgi_reply_data_take(rs, 200, st);
        }
        json_object_put(q);
        return;
    }
    which = mbk_fcgi_get_str(q, "storage", NULL);
    if (which != NULL && mbk_fcgi_app_storage(app, which, &err) == NULL) {
        mbk_fcgi_reply_error(rs, &err, "storage");
        json_object_put(q);
        return;
    }
    s.arr = json_object_new_array();
    s.app = app;
    s.path = mbk_fcgi_get_str(q, "path", NULL);
    stores = json_object_new_array();
    for (size_t i = 0; i < app->nstorages; i++) {
        const struct mbk_fcgi_storage *st = &app->storages[i];
        size_t before = json_object_array_length(s.arr);
        struct mbk_storage *store;

        s.storage = st->name;
        if ((which != NULL && strcmp(which, st->name) != 0) ||
            s.path != NULL) {
            json_object_array_add(stores, storage_json(st));
            continue;
        }
        store = mbk_fcgi_storage_use(app, st, &err);
        if (store == NULL ||
            mbk_engine_catalog_list(store, on_backup, &s, &err) != 0) {
            char msg[sizeof(err.message) + 64];
            struct json_object *o;

            if (which != NULL) {
                mbk_fcgi_reply_error(rs, &err, NULL);
                json_object_put(stores);
                json_object_put(s.arr);
                json_object_put(q);
                return;
            }
            /* Every storage: the others are listed, this one says why
             * its backups are missing (none of them shown, not some). */
            json_object_array_del_idx(s.arr, before,
                                      json_object_array_length(s.arr) -
                                          before);
            mbk_fcgi_scrub(err.message, msg, sizeof(msg));
            mbk_fcgi_log("list: storage \"%s\" left out: %s", st->name,
                         msg);
            o = storage_json(st);
            json_object_object_add(o, "error", json_object_new_string(msg));
            json_object_array_add(stores, o);
            continue;
        }
        json_object_array_add(stores, storage_json(st));
    }
    /* then the backups written to a destinationPath (fcgi/paths.c) */
    if (which == NULL &&
        mbk_fcgi_paths_each(app, on_path, &s, &err) != 0) {
        mbk_fcgi_log("list: %s", err.message);
    }
    d = json_object_new_object();
    json_object_object_add(d, "database",
                           json_object_new_string(mbk_fcgi_app_db(app)));
    /* who is asking and what they may do: the page hides the rest */
    json_object_object_add(d, "user",
                           rq->remote_user != NULL && rq->remote_user[0]
                               ? json_object_new_string(rq->remote_user)
                               : NULL);
    json_object_object_add(d, "role", json_object_new_string(
                                          mbk_fcgi_role_name(
                                              (enum mbk_fcgi_role)rq->role)));
    json_object_object_add(d, "count", json_object_new_int64(
                                           (int64_t)json_object_array_length(
                                               s.arr)));
    json_object_object_add(d, "backups", s.arr);
    /* where backups may go: the page offers these as destinations */
    {
        struct json_object *roots = json_object_new_array();

        for (size_t i = 0; i < app->nroots; i++) {
            json_object_array_add(roots, json_object_new_string(app->roots[i]));
        }
        json_object_object_add(d, "storages", stores);
        json_object_object_add(d, "allowedRoots", roots);
    }
    mbk_fcgi_reply_data_take(rs, 200, d);
    json_object_put(q);
}

/* ---- DELETE: a backup, or a job -------------------------------------- */

static const struct mbk_fcgi_field name_query[] = {
    {"name", MBK_FCGI_T_STRING, true, 1, MBK_STORAGE_NAME_MAX, NULL,
     mbk_fcgi_check_backup_name},
    {"storage", MBK_FCGI_T_STRING, false, 1, MBK_FCGI_STORAGE_NAME_MAX,
     NULL, mbk_fcgi_check_storage_name},
    {"path", MBK_FCGI_T_STRING, false, 1, 4096, NULL, NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

static const struct mbk_fcgi_field delete_query[] = {
    {"name", MBK_FCGI_T_STRING, false, 1, MBK_STORAGE_NAME_MAX, NULL,
     mbk_fcgi_check_backup_name},
    {"storage", MBK_FCGI_T_STRING, false, 1, MBK_FCGI_STORAGE_NAME_MAX,
     NULL, mbk_fcgi_check_storage_name},
    {"path", MBK_FCGI_T_STRING, false, 1, 4096, NULL, NULL},
    {"job", MBK_FCGI_T_STRING, false, 0, 0, NULL, mbk_fcgi_check_job_id},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

/* An admin cancels any job, an operator the jobs it started. */
static void
cancel_job(struct mbk_fcgi_app *app, const struct mbk_fcgi_request *rq,
           const char *id, struct mbk_fcgi_response *rs)
{
    struct mbk_error err;
    struct json_object *d;
    const char *as_user = rq->role >= (int)MBK_FCGI_ROLE_ADMIN
                              ? NULL
                              : (rq->remote_user != NULL ? rq->remote_user
                                                         : "");

    if (mbk_fcgi_jobs_cancel(app->jobs, id, as_user, &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, "job");
        return;
    }
    d = json_object_new_object();
    json_object_object_add(d, "jobId", json_object_new_string(id));
    json_object_object_add(d, "cancelRequested", json_object_new_boolean(1));
    mbk_fcgi_reply_data_take(rs, 202, d);
}

void
mbk_fcgi_handle_delete(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct mbk_fcgi_place *place = NULL;
    const struct mbk_fcgi_storage *st;
    struct mbk_audit_entry ae;
    struct mbk_error err;
    const char *field;
    const char *name;
    const char *job;

    if (mbk_fcgi_query(rq, delete_query, &q, rs) != 0) {
        return;
    }
    job = mbk_fcgi_get_str(q, "job", NULL);
    name = mbk_fcgi_get_str(q, "name", NULL);
    if (job != NULL) {
        cancel_job(app, rq, job, rs);
        json_object_put(q);
        return;
    }
    if (mbk_fcgi_access_require(rq, MBK_FCGI_ROLE_ADMIN, "delete",
                                &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        json_object_put(q);
        return;
    }
    if (name == NULL) {
        mbk_fcgi_http_error(&err, 400, "field \"name\": is required");
        mbk_fcgi_reply_error(rs, &err, "name");
        json_object_put(q);
        return;
    }
    place = mbk_fcgi_place_open(app, mbk_fcgi_get_str(q, "storage", NULL),
                                mbk_fcgi_get_str(q, "path", NULL), &field,
                                &err);
    st = place != NULL ? place->storage : NULL;
    if (st == NULL) {
        mbk_fcgi_reply_error(rs, &err, field);
    } else if (mbk_engine_stored_remove(st->st, name, st->name, &ae,
                                        &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
    } else {
        mbk_fcgi_reply_data_take(rs, 200, mbk_engine_stored_remove_json(
                                              name, st->name));
    }
    if (st != NULL) {
        mbk_fcgi_app_audit(app, rq, &ae);
        mbk_audit_entry_release(&ae);
    }
    mbk_fcgi_place_free(place);
    json_object_put(q);
}

/* ---- GET download ---------------------------------------------------- */

/* A download streamed: the reader, and the place it reads from (a
 * recorded path's storage lives as long as the stream). */
struct download {
    struct mbk_engine_stored *d;
    struct mbk_fcgi_place *place;
};

static ssize_t
download_read(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct download *dl = ud;

    return mbk_engine_stored_read(dl->d, buf, len, err);
}

static void
download_close(void *ud)
{
    struct download *dl = ud;

    mbk_engine_stored_close(dl->d);
    mbk_fcgi_place_free(dl->place);
    free(dl);
}

void
mbk_fcgi_handle_download(struct mbk_fcgi_app *app,
                         const struct mbk_fcgi_request *rq,
                         struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct mbk_fcgi_place *place;
    const struct mbk_fcgi_storage *sto;
    struct mbk_audit_entry ae;
    struct mbk_error err;
    const char *field;
    const char *name;
    char disp[MBK_STORAGE_NAME_MAX + 64];
    int rc;

    if (mbk_fcgi_query(rq, name_query, &q, rs) != 0) {
        return;
    }
    name = mbk_fcgi_get_str(q, "name", "");
    place = mbk_fcgi_place_open(app, mbk_fcgi_get_str(q, "storage", NULL),
                                mbk_fcgi_get_str(q, "path", NULL), &field,
                                &err);
    if (place == NULL) {
        mbk_fcgi_reply_error(rs, &err, field);
        json_object_put(q);
        return;
    }
    sto = place->storage;
    snprintf(rs->content_type, sizeof(rs->content_type), "%s",
             mbk_engine_stored_type(name));
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
    if (sto->x_accel != NULL) {
        char rel[1024];
        char uri[1200];

        /* nginx sends the file; the engine checked that it exists */
        rc = mbk_engine_stored_path(sto->st, name, sto->name, rel,
                                    sizeof(rel), &ae, &err);
        if (rc == 0) {
            snprintf(uri, sizeof(uri), "%s%s", sto->x_accel, rel);
            mbk_fcgi_response_header(rs, "X-Accel-Redirect", uri);
        }
    } else {
        struct mbk_engine_stored *d = mbk_engine_stored_open(
            sto->st, name, sto->name, &ae, &err);
        struct download *dl = d != NULL ? calloc(1, sizeof(*dl)) : NULL;
        char len[32];

        rc = dl != NULL ? 0 : -1;
        if (d != NULL && dl == NULL) {
            mbk_engine_stored_close(d);
            mbk_fcgi_http_error(&err, 500, "out of memory");
        }
        if (dl != NULL) {
            dl->d = d;
            dl->place = place;
            place = NULL; /* the stream's now */
            rs->stream = download_read;
            rs->stream_close = download_close;
            rs->stream_ud = dl;
            /* Buffered by nginx (to disk past its memory buffers): a slow
             * client then holds nginx's cheap connection, not one of our
             * threads (with X-Accel-Buffering: no, sixteen slow readers
             * stopped the service, found by the load test).  With its
             * length a download cut short shows as such. */
            snprintf(len, sizeof(len), "%llu",
                     (unsigned long long)mbk_engine_stored_size(d));
            mbk_fcgi_response_header(rs, "Content-Length", len);
        }
    }
    if (rc == 0) {
        rs->status = 200;
        mbk_fcgi_response_header(rs, "Content-Disposition", disp);
    } else {
        mbk_fcgi_reply_error(rs, &err, NULL);
    }
    mbk_fcgi_app_audit(app, rq, &ae);
    mbk_audit_entry_release(&ae);
    mbk_fcgi_place_free(place);
    json_object_put(q);
}

/* ---- GET audit ------------------------------------------------------- */

static const struct mbk_fcgi_field audit_query[] = {
    {"offset", MBK_FCGI_T_INT, false, 0, 1000000000, NULL, NULL},
    {"limit", MBK_FCGI_T_INT, false, 1, 500, NULL, NULL},
    {"operation", MBK_FCGI_T_STRING, false, 1, 32, NULL, NULL},
    {"user", MBK_FCGI_T_STRING, false, 1, 128, NULL, NULL},
    {"outcome", MBK_FCGI_T_STRING, false, 1, 32, NULL, NULL},
    {"text", MBK_FCGI_T_STRING, false, 1, 128, NULL, NULL},
    {"since", MBK_FCGI_T_STRING, false, 4, 40, NULL, NULL},
    {"until", MBK_FCGI_T_STRING, false, 4, 40, NULL, NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

/* o[key], when a string, scrubbed like any error text. */
static void
scrub_key(struct json_object *o, const char *key)
{
    struct json_object *v;
    char msg[4200];

    if (json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_string)) {
        mbk_fcgi_scrub(json_object_get_string(v), msg, sizeof(msg));
        json_object_object_add(o, key, json_object_new_string(msg));
    }
}

/* An audit line as an answer shows it: its error, backup and string
 * params scrubbed like any other error (an entry `mbk` wrote names its
 * --storage SPEC, a path here); the file itself keeps the whole text. */
static int
on_audit_line(struct json_object *line, void *ud)
{
    struct json_object *copy = NULL;
    struct json_object *p;

    if (json_object_deep_copy(line, &copy, NULL) != 0) {
        return -1;
    }
    scrub_key(copy, "error");
    scrub_key(copy, "backup");
    if (json_object_object_get_ex(copy, "params", &p) &&
        json_object_is_type(p, json_type_object)) {
        json_object_object_foreach(p, key, v)
        {
            (void)v;
            scrub_key(p, key);
        }
    }
    json_object_array_add(ud, copy);
    return 0;
}

void
mbk_fcgi_handle_audit(struct mbk_fcgi_app *app,
                      const struct mbk_fcgi_request *rq,
                      struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct json_object *d;
    struct json_object *arr;
    struct mbk_audit_filter f;
    struct mbk_error err;
    uint64_t total = 0;
    int64_t offset;
    int64_t limit;

    if (mbk_fcgi_query(rq, audit_query, &q, rs) != 0) {
        return;
    }
    offset = mbk_fcgi_get_int(q, "offset", 0);
    limit = mbk_fcgi_get_int(q, "limit", MBK_AUDIT_PAGE_DEFAULT);
    memset(&f, 0, sizeof(f));
    f.operation = mbk_fcgi_get_str(q, "operation", NULL);
    f.user = mbk_fcgi_get_str(q, "user", NULL);
    f.outcome = mbk_fcgi_get_str(q, "outcome", NULL);
    f.text = mbk_fcgi_get_str(q, "text", NULL);
    f.since = mbk_fcgi_get_str(q, "since", NULL);
    f.until = mbk_fcgi_get_str(q, "until", NULL);
    arr = json_object_new_array();
    if (app->cfg.audit_log != NULL &&
        mbk_audit_read(app->cfg.audit_log, &f, (uint64_t)offset,
                       (uint64_t)limit, on_audit_line, arr, &total,
                       &err) != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
        json_object_put(arr);
        json_object_put(q);
        return;
    }
    d = mbk_audit_page_json(total, (uint64_t)offset, (uint64_t)limit, arr);
    json_object_object_add(d, "enabled",
                           json_object_new_boolean(app->cfg.audit_log != NULL));
    mbk_fcgi_reply_data_take(rs, 200, d);
    json_object_put(q);
}

/* ---- jobs ------------------------------------------------------------ */

static const struct mbk_fcgi_field job_query[] = {
    {"id", MBK_FCGI_T_STRING, false, 0, 0, NULL, mbk_fcgi_check_job_id},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

static const struct mbk_fcgi_field cancel_query[] = {
    {"id", MBK_FCGI_T_STRING, true, 0, 0, NULL, mbk_fcgi_check_job_id},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

void
mbk_fcgi_handle_jobs(struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_request *rq,
                     struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct mbk_error err;
    const char *id;

    if (mbk_fcgi_query(rq, job_query, &q, rs) != 0) {
        return;
    }
    id = mbk_fcgi_get_str(q, "id", NULL);
    if (id == NULL) {
        struct json_object *d = json_object_new_object();

        json_object_object_add(d, "jobs", mbk_fcgi_jobs_list(app->jobs));
        mbk_fcgi_reply_data_take(rs, 200, d);
    } else {
        struct json_object *st = mbk_fcgi_jobs_status(app->jobs, id, &err);

        if (st == NULL) {
            mbk_fcgi_reply_error(rs, &err, "id");
        } else {
            mbk_fcgi_reply_data_take(rs, 200, st);
        }
    }
    json_object_put(q);
}

void
mbk_fcgi_handle_cancel(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;

    if (mbk_fcgi_query(rq, cancel_query, &q, rs) != 0) {
        return;
    }
    cancel_job(app, rq, mbk_fcgi_get_str(q, "id", ""), rs);
    json_object_put(q);
}
