/*
 * paths.c: the places backups were written outside the configured
 * storages (a destinationPath under an allowed root), remembered in
 * STATE_DIR/paths.json so the list, download, verify and delete find
 * them again; and opening such a place, or a configured storage, for a
 * request (see paths.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "engine/options.h"
#include "fcgi/paths.h"

#define REGISTRY "paths.json"
#define REGISTRY_MAX (1024 * 1024) /* bytes read at most */

/* One writer at a time in this process (readers see the old or the new
 * file whole: it is renamed into place). */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
state_dir(const struct mbk_fcgi_app *app)
{
    return app->cfg.state_dir != NULL
               ? app->cfg.state_dir
               : mbk_engine_spool_dir(app->cfg.spool_dir);
}

/* The recorded places as a JSON array (new reference); a missing file
 * is an empty list. */
static struct json_object *
registry_read(const struct mbk_fcgi_app *app, struct mbk_error *err)
{
    char file[4200];
    struct json_object *root;
    struct json_object *arr = NULL;
    char *buf;
    ssize_t n;
    size_t len = 0;
    int fd;

    snprintf(file, sizeof(file), "%s/%s", state_dir(app), REGISTRY);
    fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            return json_object_new_array();
        }
        mbk_error_sys(err, errno, "open", file);
        return NULL;
    }
    buf = malloc(REGISTRY_MAX + 1);
    if (buf == NULL) {
        close(fd);
        mbk_error_sys(err, ENOMEM, "malloc", file);
        return NULL;
    }
    while (len < REGISTRY_MAX &&
           (n = read(fd, buf + len, REGISTRY_MAX - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            mbk_error_sys(err, errno, "read", file);
            free(buf);
            close(fd);
            return NULL;
        }
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    root = json_tokener_parse(buf);
    free(buf);
    if (root != NULL && json_object_object_get_ex(root, "paths", &arr) &&
        json_object_is_type(arr, json_type_array)) {
        json_object_get(arr);
        json_object_put(root);
        return arr;
    }
    json_object_put(root);
    mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                  "%s: not a list of paths (move it away to start anew)",
                  file);
    return NULL;
}

/* Write arr whole, then rename it into place: a crash leaves the old
 * file or the new one, never half of one. */
static int
registry_write(const struct mbk_fcgi_app *app, struct json_object *arr,
               struct mbk_error *err)
{
    char file[4200];
    char tmp[4300];
    struct json_object *root = json_object_new_object();
    const char *text;
    size_t len;
    size_t off = 0;
    int fd;
    int rc = -1;

    snprintf(file, sizeof(file), "%s/%s", state_dir(app), REGISTRY);
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file);
    json_object_object_add(root, "paths", json_object_get(arr));
    text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
    len = strlen(text);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        mbk_error_sys(err, errno, "mkostemp", tmp);
        goto out;
    }
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            mbk_error_sys(err, errno, "write", tmp);
            break;
        }
        off += (size_t)n;
    }
    if (off == len && fsync(fd) != 0) {
        mbk_error_sys(err, errno, "fsync", tmp);
        off = 0;
    }
    close(fd);
    if (off != len || len == 0) {
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, file) != 0) {
        mbk_error_sys(err, errno, "rename", file);
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    json_object_put(root);
    return rc;
}

static const char *
entry_str(struct json_object *e, const char *key)
{
    struct json_object *v;

    if (json_object_object_get_ex(e, key, &v) &&
        json_object_is_type(v, json_type_string)) {
        return json_object_get_string(v);
    }
    return NULL;
}

static bool
entry_file(struct json_object *e)
{
    struct json_object *v;

    return json_object_object_get_ex(e, "file", &v) &&
           json_object_get_boolean(v);
}

void
mbk_fcgi_paths_record(const struct mbk_fcgi_app *app, const char *scheme,
                      const char *real, bool file)
{
    struct json_object *arr;
    struct json_object *e;
    struct mbk_error err;

    mbk_error_clear(&err);
    pthread_mutex_lock(&registry_lock);
    arr = registry_read(app, &err);
    if (arr == NULL) {
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        const char *p = entry_str(json_object_array_get_idx(arr, i), "path");

        if (p != NULL && strcmp(p, real) == 0) {
            goto out; /* known already */
        }
    }
    while (json_object_array_length(arr) >= MBK_FCGI_PATHS_MAX) {
        json_object_array_del_idx(arr, 0, 1);
    }
    e = json_object_new_object();
    json_object_object_add(e, "path", json_object_new_string(real));
    json_object_object_add(e, "scheme", json_object_new_string(scheme));
    json_object_object_add(e, "file", json_object_new_boolean(file));
    json_object_array_add(arr, e);
    (void)registry_write(app, arr, &err);
out:
    pthread_mutex_unlock(&registry_lock);
    json_object_put(arr);
    if (err.message[0] != '\0') {
        mbk_fcgi_log("cannot record the backup place %s: %s", real,
                     err.message);
    }
}

int
mbk_fcgi_paths_each(const struct mbk_fcgi_app *app, mbk_fcgi_paths_fn fn,
                    void *ud, struct mbk_error *err)
{
    struct json_object *arr;

    pthread_mutex_lock(&registry_lock);
    arr = registry_read(app, err);
    pthread_mutex_unlock(&registry_lock);
    if (arr == NULL) {
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);
        const char *p = entry_str(e, "path");
        const char *s = entry_str(e, "scheme");

        if (p != NULL && s != NULL && fn(p, s, entry_file(e), ud) != 0) {
            break;
        }
    }
    json_object_put(arr);
    return 0;
}

struct mbk_storage *
mbk_fcgi_paths_open(const struct mbk_fcgi_app *app, const char *scheme,
                    const char *shown, bool file, char **real,
                    struct mbk_error *err)
{
    struct mbk_storage *st;
    char *resolved = NULL;
    char spec[4200];
    int dirfd;

    if (mbk_fcgi_path_check(app, shown, file, &resolved, err) != 0) {
        return NULL;
    }
    /* Checked by name above; opened once here, beneath the root, and the
     * plugin works through that descriptor, never by the name again. */
    dirfd = mbk_fcgi_dir_open(app, resolved, file, shown, err);
    if (dirfd < 0) {
        free(resolved);
        return NULL;
    }
    snprintf(spec, sizeof(spec), "%s:%s", scheme, resolved);
    st = mbk_storage_open_at(spec, NULL, 0, dirfd, app->cfg.plugin_dir,
                             err);
    close(dirfd);
    if (st == NULL) {
        free(resolved);
        return NULL;
    }
    *real = resolved;
    return st;
}

struct find_ud {
    const char *path;
    char scheme[32];
    bool file;
    bool found;
};

static int
find_path(const char *path, const char *scheme, bool file, void *ud)
{
    struct find_ud *f = ud;

    if (strcmp(path, f->path) != 0) {
        return 0;
    }
    snprintf(f->scheme, sizeof(f->scheme), "%s", scheme);
    f->file = file;
    f->found = true;
    return 1;
}

struct mbk_fcgi_place *
mbk_fcgi_place_open(const struct mbk_fcgi_app *app, const char *storage,
                    const char *path, const char **field,
                    struct mbk_error *err)
{
    struct mbk_fcgi_place *p;
    struct find_ud f;
    char *real = NULL;
    int rc;

    *field = storage != NULL ? "storage" : "path";
    if (storage != NULL && path != NULL) {
        mbk_fcgi_http_error(err, 400, "give \"storage\" or \"path\", not "
                            "both");
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        mbk_fcgi_http_error(err, 500, "out of memory");
        return NULL;
    }
    if (path == NULL) {
        p->storage = mbk_fcgi_app_storage(app, storage, err);
        if (p->storage == NULL) {
            free(p);
            return NULL;
        }
        return p;
    }
    /* recorded resolved: a request may name it as the create did */
    if (mbk_fcgi_path_check(app, path, false, &real, err) != 0) {
        mbk_error_prefix(err, "field \"path\"");
        free(p);
        return NULL;
    }
    memset(&f, 0, sizeof(f));
    f.path = real;
    rc = mbk_fcgi_paths_each(app, find_path, &f, err);
    free(real);
    real = NULL;
    if (rc != 0) {
        free(p);
        return NULL;
    }
    if (!f.found) {
        mbk_fcgi_http_error(err, 404, "no backups were written to \"%.200s\"",
                            path);
        free(p);
        return NULL;
    }
    p->own.st = mbk_fcgi_paths_open(app, f.scheme, path, f.file, &real, err);
    if (p->own.st == NULL) {
        mbk_error_prefix(err, "field \"path\"");
        free(p);
        return NULL;
    }
    free(real);
    p->path = strdup(path);
    p->own.name = p->path;
    p->storage = &p->own;
    if (p->path == NULL) {
        mbk_fcgi_place_free(p);
        mbk_fcgi_http_error(err, 500, "out of memory");
        return NULL;
    }
    return p;
}

void
mbk_fcgi_place_free(struct mbk_fcgi_place *p)
{
    if (p == NULL) {
        return;
    }
    mbk_storage_close(p->own.st);
    free(p->path);
    free(p);
}
