/*
 * app.c: the configuration of mbk-fcgi (file, then environment), opening
 * what it names, the allowed-roots path check, and the error log.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/names.h"
#include "engine/options.h"
#include "fcgi/app.h"
#include "storage/path.h"
#include "fcgi/jobs.h"

enum kind { K_STR, K_UINT, K_SIZE, K_BOOL, K_MODE };

struct key {
    const char *name; /* in the file; MBK_FCGI_<NAME> in the environment */
    enum kind kind;
    size_t off;
};

#define KEY(n, k) {#n, k, offsetof(struct mbk_fcgi_config, n)}

static const struct key keys[] = {
    KEY(mongo_uri, K_STR),     KEY(db, K_STR),
    KEY(storage_fs, K_STR),    KEY(storage_tar, K_STR),
    KEY(default_storage, K_STR),
    KEY(plugin_dir, K_STR),    KEY(allowed_roots, K_STR),
    KEY(audit_log, K_STR),     KEY(log, K_STR),
    KEY(spool_dir, K_STR),     KEY(listen, K_STR),
    KEY(x_accel_prefix, K_STR), KEY(socket_mode, K_MODE),
    KEY(threads, K_UINT),      KEY(jobs, K_UINT),
    KEY(queue, K_UINT),        KEY(keep_jobs, K_UINT),
    KEY(read_jobs, K_UINT),    KEY(max_upload, K_SIZE),
    KEY(allow_anonymous, K_BOOL), KEY(proxy_secret_file, K_STR),
    KEY(body_timeout, K_UINT), KEY(sync_wait, K_UINT), KEY(roles, K_STR),
    KEY(default_role, K_STR),  KEY(state_dir, K_STR),
};

static int
set_key(struct mbk_fcgi_config *c, const struct key *k, const char *v,
        const char *where, struct mbk_error *err)
{
    char *p = (char *)c + k->off;
    char *end;
    unsigned long long n;

    switch (k->kind) {
    case K_STR: {
        char **s = (char **)(void *)p;

        free(*s);
        *s = v[0] != '\0' ? strdup(v) : NULL;
        return 0;
    }
    case K_BOOL:
        if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
            strcmp(v, "1") == 0) {
            *(bool *)(void *)p = true;
            return 0;
        }
        if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
            strcmp(v, "0") == 0) {
            *(bool *)(void *)p = false;
            return 0;
        }
        break;
    case K_MODE:
        errno = 0;
        n = strtoull(v, &end, 8);
        if (errno == 0 && end != v && *end == '\0' && n <= 0777) {
            *(unsigned *)(void *)p = (unsigned)n;
            return 0;
        }
        break;
    case K_UINT:
    case K_SIZE:
        errno = 0;
        n = strtoull(v, &end, 10);
        if (errno != 0 || end == v || v[0] == '-') {
            break;
        }
        if (k->kind == K_SIZE) {
            unsigned long long mul = 1;

            if (*end == 'k' || *end == 'K') {
                mul = 1024ULL;
            } else if (*end == 'm' || *end == 'M') {
                mul = 1024ULL * 1024;
            } else if (*end == 'g' || *end == 'G') {
                mul = 1024ULL * 1024 * 1024;
            }
            if (mul != 1) {
                end++;
            }
            if (*end != '\0' || n > UINT64_MAX / mul) {
                break;
            }
            *(uint64_t *)(void *)p = n * mul;
            return 0;
        }
        if (*end != '\0' || n == 0 || n > 1024) {
            break;
        }
        *(unsigned *)(void *)p = (unsigned)n;
        return 0;
    }
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                         "%s: bad value \"%s\" for %s", where, v, k->name);
}

static const struct key *
find_key(const char *name)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].name, name) == 0) {
            return &keys[i];
        }
    }
    return NULL;
}

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) {
        *--e = '\0';
    }
    return s;
}

static int
load_file(struct mbk_fcgi_config *c, const char *file, struct mbk_error *err)
{
    FILE *f = fopen(file, "re");
    char line[4096];
    unsigned lineno = 0;
    int rc = 0;

    if (f == NULL) {
        return mbk_error_sys(err, errno, "fopen", file);
    }
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        char where[PATH_MAX + 32];
        char *s = trim(line);
        char *eq;
        const struct key *k;

        lineno++;
        snprintf(where, sizeof(where), "%s:%u", file, lineno);
        if (s[0] == '\0' || s[0] == '#') {
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL) {
            rc = mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                               "%s: expected key = value", where);
            break;
        }
        *eq = '\0';
        if (strcmp(trim(s), "storage") == 0) {
            rc = mbk_fcgi_storage_conf_add(c, trim(eq + 1), where, err);
            continue;
        }
        k = find_key(trim(s));
        if (k == NULL) {
            rc = mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                               "%s: unknown key \"%s\"", where, trim(s));
            break;
        }
        rc = set_key(c, k, trim(eq + 1), where, err);
    }
    fclose(f);
    return rc;
}

int
mbk_fcgi_config_load(struct mbk_fcgi_config *c, const char *file,
                     struct mbk_error *err)
{
    memset(c, 0, sizeof(*c));
    c->mongo_uri = strdup("mongodb://127.0.0.1:27017");
    c->socket_mode = 0660;
    c->threads = 8;
    c->jobs = 2;
    c->queue = 16;
    c->keep_jobs = 64;
    c->read_jobs = MBK_ENGINE_JOBS_DEFAULT;
    c->max_upload = 1024ULL * 1024 * 1024;
    c->body_timeout = 600;
    c->sync_wait = 300;
    if (file == NULL) {
        file = getenv("MBK_FCGI_CONFIG");
    }
    if (file != NULL && file[0] != '\0' && load_file(c, file, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char env[64];
        const char *v;

        snprintf(env, sizeof(env), "MBK_FCGI_%s", keys[i].name);
        for (char *p = env; *p != '\0'; p++) {
            *p = (char)toupper((unsigned char)*p);
        }
        v = getenv(env);
        if (v != NULL && set_key(c, &keys[i], v, env, err) != 0) {
            return -1;
        }
    }
    return mbk_fcgi_storage_conf_finish(c, err);
}

void
mbk_fcgi_config_free(struct mbk_fcgi_config *c)
{
    mbk_fcgi_storage_conf_free(c);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (keys[i].kind == K_STR) {
            char **s = (char **)(void *)((char *)c + keys[i].off);

            free(*s);
            *s = NULL;
        }
    }
}

static int
add_roots(struct mbk_fcgi_app *app, struct mbk_error *err)
{
    char *copy;
    char *save = NULL;

    if (app->cfg.allowed_roots == NULL) {
        return 0;
    }
    copy = strdup(app->cfg.allowed_roots);
    if (copy == NULL) {
        return mbk_error_sys(err, ENOMEM, "strdup", "allowed_roots");
    }
    for (char *r = strtok_r(copy, ":", &save); r != NULL;
         r = strtok_r(NULL, ":", &save)) {
        char *real = realpath(r, NULL);
        char **v;
        int *fds;

        if (real == NULL) {
            mbk_error_sys(err, errno, "realpath", r);
            free(copy);
            return mbk_error_prefix(err, "allowed_roots");
        }
        v = realloc(app->roots, (app->nroots + 1) * sizeof(*v));
        if (v == NULL) {
            free(real);
            free(copy);
            return mbk_error_sys(err, ENOMEM, "realloc", "allowed_roots");
        }
        app->roots = v;
        fds = realloc(app->root_fds, (app->nroots + 1) * sizeof(*fds));
        if (fds == NULL) {
            free(real);
            free(copy);
            return mbk_error_sys(err, ENOMEM, "realloc", "allowed_roots");
        }
        app->root_fds = fds;
        fds[app->nroots] = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fds[app->nroots] < 0) {
            mbk_error_sys(err, errno, "open", real);
            free(real);
            free(copy);
            return mbk_error_prefix(err, "allowed_roots");
        }
        app->roots[app->nroots++] = real;
    }
    free(copy);
    return 0;
}

int
mbk_fcgi_app_open(struct mbk_fcgi_app *app, struct mbk_error *err)
{
    const struct mbk_fcgi_config *c = &app->cfg;
    /* Each request thread, each worker's readers, and spare. */
    uint32_t clients = c->threads + c->jobs * (c->read_jobs + 2) + 2;

    if (mbk_fcgi_access_open(&app->access, c->roles, c->default_role,
                             c->proxy_secret_file, err) != 0) {
        return -1;
    }
    app->mongo = mbk_mongo_open(c->mongo_uri, clients, err);
    if (app->mongo == NULL) {
        return -1;
    }
    if (mbk_fcgi_app_db(app) == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "no database: set db or put one in mongo_uri");
    }
    if (mbk_names_db_check(mbk_fcgi_app_db(app), err) != 0) {
        return -1;
    }
    if (mbk_fcgi_storages_open(app, err) != 0) {
        return -1;
    }
    if (add_roots(app, err) != 0) {
        return -1;
    }
    /* Answers never show where the server keeps things. */
    mbk_fcgi_private_path_add(c->spool_dir, "[spool]");
    mbk_fcgi_private_path_add(c->plugin_dir, "[plugins]");
    if (c->audit_log != NULL) {
        app->audit = mbk_audit_open(c->audit_log, err);
        if (app->audit == NULL) {
            return mbk_error_prefix(err, "audit_log");
        }
    }
    app->jobs = mbk_fcgi_jobs_new(c->jobs, c->queue, c->keep_jobs, err);
    return app->jobs == NULL ? -1 : 0;
}

void
mbk_fcgi_app_close(struct mbk_fcgi_app *app)
{
    mbk_fcgi_jobs_free(app->jobs);
    mbk_audit_close(app->audit);
    mbk_fcgi_storages_close(app);
    mbk_mongo_close(app->mongo);
    mbk_fcgi_access_close(&app->access);
    for (size_t i = 0; i < app->nroots; i++) {
        free(app->roots[i]);
        if (app->root_fds != NULL) {
            close(app->root_fds[i]);
        }
    }
    free(app->roots);
    free(app->root_fds);
    mbk_fcgi_config_free(&app->cfg);
    memset(app, 0, sizeof(*app));
}

/* The root path lies under by its name, or -1; *rest: after "root/". */
static int
root_of(const struct mbk_fcgi_app *app, const char *path, const char **rest)
{
    for (size_t i = 0; i < app->nroots; i++) {
        const char *r = app->roots[i];
        size_t n = strlen(r);

        if (n == 1 && r[0] == '/') {
            *rest = path + 1;
            return (int)i;
        }
        if (strncmp(path, r, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
            *rest = path[n] == '/' ? path + n + 1 : path + n;
            return (int)i;
        }
    }
    return -1;
}

static bool
under_root(const struct mbk_fcgi_app *app, const char *real)
{
    const char *rest;

    return root_of(app, real, &rest) >= 0;
}

/* Absolute, no control character, no "." or ".." component. */
static int
path_syntax(const char *path, struct mbk_error *err)
{
    const char *p;

    if (path[0] != '/') {
        return mbk_fcgi_http_error(err, 400, "path \"%.200s\" is not "
                                   "absolute", path);
    }
    for (p = path; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            return mbk_fcgi_http_error(err, 400, "path has control "
                                       "characters");
        }
    }
    for (p = path; *p != '\0';) {
        size_t n;

        p += strspn(p, "/");
        n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            return mbk_fcgi_http_error(err, 400, "path \"%.200s\" has a "
                                       "\".\" or \"..\" component", path);
        }
        p += n;
    }
    return 0;
}

static int
not_allowed(const char *path, struct mbk_error *err)
{
    return mbk_fcgi_http_error(err, 400, "path \"%.200s\" is not allowed "
                               "(not a file under an allowed root)", path);
}

/* An mbk_storage_open_beneath() failure (errno) as an HTTP error naming
 * path, a file's or a directory's (is_dir). */
static int
open_failed(const char *path, bool is_dir, struct mbk_error *err)
{
    int e = errno;

    if (e == ENOENT) {
        return is_dir ? mbk_fcgi_http_error(err, 404, "path \"%.200s\" does "
                                            "not exist", path)
                      : mbk_fcgi_http_error(err, 404, "no file \"%.200s\"",
                                            path);
    }
    if (e == ELOOP || e == EXDEV || e == ENOTDIR || e == EINVAL) {
        /* a symbolic link on the way, or a way out */
        return not_allowed(path, err);
    }
    return mbk_fcgi_http_error(err, e == EACCES ? 403 : 400,
                               "path \"%.200s\" cannot be opened: %s",
                               path, strerror(e));
}

int
mbk_fcgi_path_open(const struct mbk_fcgi_app *app, const char *path,
                   struct mbk_error *err)
{
    const char *rest = NULL;
    struct stat st;
    int root;
    int fd;

    if (path_syntax(path, err) != 0) {
        return -1;
    }
    /* Nothing outside the roots is looked at: no answer tells what is
     * there. */
    root = root_of(app, path, &rest);
    if (root < 0 || rest[0] == '\0') {
        return not_allowed(path, err);
    }
    fd = mbk_storage_open_beneath(app->root_fds[root], rest,
                                  O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        return open_failed(path, false, err);
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mbk_fcgi_http_error(err, 400, "path \"%.200s\" is not a "
                                   "regular file", path);
    }
    /* A regular file never blocks; reads then behave as usual. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int
mbk_fcgi_path_check(const struct mbk_fcgi_app *app, const char *path,
                    bool is_file, char **out, struct mbk_error *err)
{
    struct stat st;
    char *real = NULL;
    const char *rest;

    if (path_syntax(path, err) != 0) {
        return -1;
    }
    /* Outside the roots by its name: refused before anything is looked
     * at, so the answer says nothing of what is there. */
    if (root_of(app, path, &rest) < 0) {
        return not_allowed(path, err);
    }
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            return not_allowed(path, err);
        }
        if (is_file && !S_ISREG(st.st_mode)) {
            return mbk_fcgi_http_error(err, 400, "path \"%.200s\" is not a "
                                       "regular file", path);
        }
        if (!is_file && !S_ISDIR(st.st_mode)) {
            return mbk_fcgi_http_error(err, 400, "path \"%.200s\" is not a "
                                       "directory", path);
        }
        real = realpath(path, NULL);
    } else if (is_file && errno == ENOENT) {
        /* A file to be made: its parent must resolve under a root. */
        const char *slash = strrchr(path, '/');
        char *parent = strndup(path, (size_t)(slash - path));
        char *rp = parent != NULL ? realpath(parent[0] ? parent : "/", NULL)
                                  : NULL;

        free(parent);
        if (rp != NULL && slash[1] != '\0') {
            if (asprintf(&real, "%s/%s", rp, slash + 1) < 0) {
                real = NULL;
            }
        }
        free(rp);
    }
    if (real == NULL) {
        return mbk_fcgi_http_error(err, 404, "path \"%.200s\" does not "
                                   "exist", path);
    }
    if (!under_root(app, real)) {
        free(real);
        return not_allowed(path, err);
    }
    *out = real;
    return 0;
}

int
mbk_fcgi_dir_open(const struct mbk_fcgi_app *app, const char *real,
                  bool parent, const char *shown, struct mbk_error *err)
{
    const char *rest = NULL;
    char dir[PATH_MAX];
    const char *slash;
    int root;
    int fd;

    slash = parent ? strrchr(real, '/') : NULL;
    snprintf(dir, sizeof(dir), "%.*s",
             slash != NULL ? (int)(slash - real) : (int)strlen(real), real);
    root = root_of(app, dir[0] != '\0' ? dir : "/", &rest);
    if (root < 0) {
        return not_allowed(shown, err);
    }
    fd = rest[0] == '\0'
             ? openat(app->root_fds[root], ".",
                      O_RDONLY | O_DIRECTORY | O_CLOEXEC)
             : mbk_storage_open_beneath(app->root_fds[root], rest,
                                        O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return open_failed(shown, true, err);
    }
    return fd;
}

const char *
mbk_fcgi_app_db(const struct mbk_fcgi_app *app)
{
    if (app->cfg.db != NULL) {
        return app->cfg.db;
    }
    return app->mongo != NULL ? mbk_mongo_get_uri_db(app->mongo) : NULL;
}

void
mbk_fcgi_app_audit(struct mbk_fcgi_app *app,
                   const struct mbk_fcgi_request *rq,
                   const struct mbk_audit_entry *e)
{
    struct mbk_audit_entry copy = *e;
    struct mbk_error err;

    if (app->audit == NULL) {
        return;
    }
    if (copy.user == NULL && rq != NULL && rq->remote_user != NULL &&
        rq->remote_user[0] != '\0') {
        copy.user = rq->remote_user;
    }
    if (copy.client == NULL && rq != NULL) {
        copy.client = rq->remote_addr;
    }
    if (copy.role == NULL && rq != NULL) {
        copy.role = mbk_fcgi_role_name((enum mbk_fcgi_role)rq->role);
    }
    if (mbk_audit_append(app->audit, &copy, &err) != 0) {
        mbk_fcgi_log("audit: %s", err.message);
    }
}

/* ---- the error log --------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;

int
mbk_fcgi_log_reopen(const char *path, struct mbk_error *err)
{
    int fd;

    if (path == NULL) {
        return 0;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        return mbk_error_sys(err, errno, "open", path);
    }
    pthread_mutex_lock(&log_lock);
    if (log_fd != STDERR_FILENO) {
        close(log_fd);
    }
    log_fd = fd;
    pthread_mutex_unlock(&log_lock);
    return 0;
}

void
mbk_fcgi_log(const char *fmt, ...)
{
    char line[1024];
    char raw[1024];
    struct tm tm;
    time_t now = time(NULL);
    size_t n;
    va_list ap;

    gmtime_r(&now, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ mbk-fcgi: ", &tm);
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    {
        /* URI passwords never reach the log either. */
        bool changed = false;
        char *clean = mbk_audit_redact_uris(raw, &changed);

        snprintf(line + n, sizeof(line) - n - 1, "%s",
                 changed ? (clean != NULL ? clean : "(withheld)") : raw);
        free(clean);
    }
    n = strlen(line);
    line[n++] = '\n';
    pthread_mutex_lock(&log_lock);
    if (write(log_fd, line, n) < 0) {
        /* Nowhere left to report it. */
    }
    pthread_mutex_unlock(&log_lock);
}
