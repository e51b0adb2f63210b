/*
 * validate.c: an upload checked without restoring it (validateOnly: the
 * whole file read, its structure, counts and digests checked against its
 * metadata; no MongoDB, no database lock, no job), then kept for a while
 * under an id so the restore that follows names it (uploadId) instead of
 * sending the file again.  Also the upload spool file itself.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/backup/catalog.h"
#include "engine/ejson/ejson_read.h"
#include "engine/names.h"
#include "engine/options.h"
#include "engine/source.h"
#include "fcgi/handlers.h"
#include "fcgi/validate.h"

#define KEPT_PREFIX "mbk-upload-kept-"

static const char *
spool(const struct mbk_fcgi_app *app)
{
    return mbk_engine_spool_dir(app->cfg.spool_dir);
}

int
mbk_fcgi_upload_spool_open(const struct mbk_fcgi_app *app,
                           struct mbk_error *err)
{
    char path[PATH_MAX];
    int fd;

    /* O_TMPFILE: nameless, and linkable once validated (below) */
    fd = open(spool(app), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        return fd;
    }
    snprintf(path, sizeof(path), "%s/mbk-upload-XXXXXX", spool(app));
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        return mbk_error_sys(err, errno, "mkostemp", path);
    }
    unlink(path);
    return fd;
}

int
mbk_fcgi_check_upload_id(const char *s, struct mbk_error *err)
{
    if (strlen(s) != MBK_FCGI_UPLOAD_ID_LEN ||
        strspn(s, "0123456789abcdef") != MBK_FCGI_UPLOAD_ID_LEN) {
        return mbk_fcgi_http_error(err, 400, "not an upload id");
    }
    return 0;
}

/* Forget kept uploads older than MBK_FCGI_UPLOAD_TTL. */
static void
sweep(const struct mbk_fcgi_app *app)
{
    DIR *d = opendir(spool(app));
    struct dirent *e;
    time_t now = time(NULL);

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat sb;

        if (strncmp(e->d_name, KEPT_PREFIX, strlen(KEPT_PREFIX)) != 0 ||
            fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }
        if (now - sb.st_mtime > MBK_FCGI_UPLOAD_TTL) {
            unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
}

/* Give the spool file a name, so a restore can take it; false when the
 * kernel or the sandbox does not let us (then no id is offered). */
static bool
keep(const struct mbk_fcgi_app *app, int fd, char *id)
{
    unsigned char r[MBK_FCGI_UPLOAD_ID_LEN / 2];
    char proc[64];
    char path[PATH_MAX];

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        return false;
    }
    mbk_names_hex(r, sizeof(r), id);
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    snprintf(path, sizeof(path), "%s/" KEPT_PREFIX "%s", spool(app), id);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
        mbk_fcgi_log("upload not kept for reuse: linkat: %s",
                     strerror(errno));
        return false;
    }
    return true;
}

int
mbk_fcgi_upload_take(const struct mbk_fcgi_app *app, const char *id,
                     struct mbk_error *err)
{
    char path[PATH_MAX];
    struct stat sb;
    int fd;

    sweep(app);
    snprintf(path, sizeof(path), "%s/" KEPT_PREFIX "%s", spool(app), id);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return mbk_fcgi_http_error(err, 404, "field \"uploadId\": no upload "
                                   "\"%s\" (unknown, or older than %d "
                                   "minutes): send the file again", id,
                                   MBK_FCGI_UPLOAD_TTL / 60);
    }
    /* the name stays for a dry run and the restore after it; the sweep
     * removes it once expired, the job reads this descriptor */
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return mbk_fcgi_http_error(err, 404, "field \"uploadId\": no upload "
                                   "\"%s\"", id);
    }
    return fd;
}

static atomic_uint validating;

static struct json_object *
result_json(const struct mbk_verify_result *res, struct json_object *meta,
            uint64_t bytes, const char *id)
{
    struct json_object *d = json_object_new_object();
    struct json_object *v = NULL;

    json_object_object_add(d, "valid", json_object_new_boolean(1));
    json_object_object_add(d, "validateOnly", json_object_new_boolean(1));
    json_object_object_add(d, "digestsChecked",
                           json_object_new_boolean(res->has_digests));
    json_object_object_add(d, "documentCount",
                           json_object_new_int64((int64_t)res->docs));
    json_object_object_add(d, "collectionCount",
                           json_object_new_int64((int64_t)res->ncoll));
    json_object_object_add(d, "jsonBytes",
                           json_object_new_int64((int64_t)res->json_bytes));
    json_object_object_add(d, "uploadBytes",
                           json_object_new_int64((int64_t)bytes));
    json_object_object_add(d, "compression",
                           json_object_new_string(res->gzip ? "gzip"
                                                            : "none"));
    if (meta != NULL) {
        json_object_object_get_ex(meta, "database", &v);
    }
    json_object_object_add(d, "database", json_object_get(v));
    {
        struct json_object *colls = json_object_new_object();

        for (size_t i = 0; i < res->ncoll; i++) {
            struct json_object *o = json_object_new_object();

            json_object_object_add(o, "documentCount", json_object_new_int64(
                                                           (int64_t)res->colls[i]
                                                               .docs));
            json_object_object_add(o, "sha256", json_object_new_string(
                                                    res->colls[i].sha256));
            json_object_object_add(colls, res->colls[i].name, o);
        }
        json_object_object_add(d, "collections", colls);
    }
    json_object_object_add(d, "uploadId",
                           id != NULL ? json_object_new_string(id) : NULL);
    json_object_object_add(d, "expiresSeconds",
                           id != NULL
                               ? json_object_new_int(MBK_FCGI_UPLOAD_TTL)
                               : NULL);
    return d;
}

void
mbk_fcgi_validate_upload(struct mbk_fcgi_app *app,
                         const struct mbk_fcgi_request *rq, int fd,
                         uint64_t bytes, struct json_object *opts,
                         struct mbk_fcgi_response *rs)
{
    unsigned cap = app->cfg.threads / 2 > 0 ? app->cfg.threads / 2 : 1;
    struct mbk_verify_result res;
    struct json_object *meta = NULL;
    struct mbk_source *src = NULL;
    struct mbk_audit_entry ae;
    struct mbk_error err;
    double t0 = mbk_names_seconds();
    char id[MBK_FCGI_UPLOAD_ID_LEN + 1];
    bool kept = false;
    int rc = -1;

    memset(&res, 0, sizeof(res));
    /* reading a file takes a request thread: only some at once */
    if (atomic_fetch_add(&validating, 1) >= cap) {
        mbk_fcgi_http_error(&err, 503, "too many uploads are being checked; "
                            "try again later");
        goto out;
    }
    sweep(app);
    if (lseek(fd, 0, SEEK_SET) != 0) {
        mbk_error_sys(&err, errno, "lseek", "the uploaded backup");
        goto out;
    }
    src = mbk_source_open_fd(fd, "the uploaded backup", MBK_EJSON_TOTAL_BYTES,
                             &err);
    if (src == NULL ||
        mbk_engine_verify_stream(src, NULL, &res, &meta, &err) != 0) {
        goto out;
    }
    kept = keep(app, fd, id);
    rc = 0;
out:
    atomic_fetch_sub(&validating, 1);
    memset(&ae, 0, sizeof(ae));
    ae.operation = "validate";
    ae.params = opts;
    ae.outcome = rc == 0 ? "ok" : "failed";
    ae.error = rc == 0 ? NULL : err.message;
    ae.duration = mbk_names_seconds() - t0;
    mbk_fcgi_app_audit(app, rq, &ae);
    if (rc == 0) {
        mbk_fcgi_reply_data_take(rs, 200, result_json(&res, meta, bytes,
                                                      kept ? id : NULL));
    } else {
        mbk_fcgi_reply_error(rs, &err, NULL);
    }
    json_object_put(meta);
    mbk_source_free(src);
    mbk_engine_verify_result_free(&res);
}
