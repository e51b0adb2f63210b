/*
 * app.h: what mbk-fcgi shares between its threads: the configuration
 * (one small key = value file, then MBK_FCGI_* environment variables),
 * the MongoDB pool, the storages, the audit log and the job pool; and
 * the path rules for server-side files (allowed roots, no symlink escape).
 * The app is built before the threads start and read-only afterwards
 * (each member documents its own thread safety).
 */
#ifndef MBK_FCGI_APP_H
#define MBK_FCGI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/audit.h"
#include "engine/error.h"
#include "engine/mongo.h"
#include "fcgi/access.h"
#include "fcgi/http.h"
#include "storage/loader.h"

struct mbk_fcgi_jobs;

struct mbk_fcgi_config {
    char *mongo_uri;      /* mongo_uri: default mongodb://127.0.0.1:27017 */
    char *db;             /* db: default the URI's database */
    char *storage_fs;     /* storage_fs: a directory, or unset */
    char *storage_tar;    /* storage_tar: a tar file, or unset */
    char *plugin_dir;     /* plugin_dir: default the compiled-in one */
    char *allowed_roots;  /* allowed_roots: DIR:DIR..., server-side paths */
    char *audit_log;      /* audit_log: unset, no audit trail */
    char *log;            /* log: error log file; unset, stderr */
    char *spool_dir;      /* spool_dir: uploads and spools; default $TMPDIR */
    char *listen;         /* listen: unix:PATH or 127.0.0.1:PORT; unset:
                           * the socket handed over (LISTEN_FDS or fd 0) */
    char *x_accel_prefix; /* x_accel_prefix: nginx internal location for
                           * fs downloads; unset: stream them */
    unsigned socket_mode; /* socket_mode: 0660 */
    unsigned threads;     /* threads: request threads, default 8 */
    unsigned jobs;        /* jobs: job workers, default 2 */
    unsigned queue;       /* queue: jobs waiting at most, default 16 */
    unsigned keep_jobs;   /* keep_jobs: finished jobs remembered, 64 */
    unsigned read_jobs;   /* read_jobs: collections read at once, 2 */
    uint64_t max_upload;  /* max_upload: bytes, default 1 GiB */
    unsigned body_timeout; /* body_timeout: seconds a request body may
                            * take to arrive, default 600 */
    unsigned sync_wait;    /* sync_wait: seconds a synchronous request
                            * waits for its job before answering 202,
                            * default 300 */
    bool allow_anonymous; /* allow_anonymous: state changes without
                           * REMOTE_USER (demo only), default no */
    char *proxy_secret_file; /* proxy_secret_file: a file whose first line
                              * is the secret nginx sends as the FastCGI
                              * parameter MBK_PROXY_SECRET; unset: none */
    char *roles;          /* roles: "alice:admin bob:viewer" */
    char *default_role;   /* default_role: of unmapped users, "none" */
};

/* Defaults, then the file (NULL: $MBK_FCGI_CONFIG if set), then the
 * environment.  A bad line or value fails with ENGINE/EINVAL naming it. */
int
mbk_fcgi_config_load(struct mbk_fcgi_config *c, const char *file,
                     struct mbk_error *err);

void
mbk_fcgi_config_free(struct mbk_fcgi_config *c);

struct mbk_fcgi_app {
    struct mbk_fcgi_config cfg;
    struct mbk_mongo *mongo;  /* thread-safe pool */
    struct mbk_storage *fs;   /* thread-safe; NULL when not configured */
    struct mbk_storage *tar;
    struct mbk_audit *audit;  /* thread-safe; NULL without audit_log */
    struct mbk_fcgi_jobs *jobs;
    struct mbk_fcgi_access access; /* proxy secret and roles */
    char **roots;             /* realpaths of the allowed roots */
    int *root_fds;            /* each root, opened at start */
    size_t nroots;
};

/* Open everything the configuration names (not the socket). */
int
mbk_fcgi_app_open(struct mbk_fcgi_app *app, struct mbk_error *err);

void
mbk_fcgi_app_close(struct mbk_fcgi_app *app);

/*
 * A server-side path from a request: absolute, no control characters,
 * no "." or ".." component, and once resolved (realpath of the path, or
 * of its parent when is_file and it does not exist yet) inside one of
 * the allowed roots, the last component not a symbolic link.  *out is a
 * malloc'd resolved path.  HTTP/400 naming the problem otherwise.
 */
int
mbk_fcgi_path_check(const struct mbk_fcgi_app *app, const char *path,
                    bool is_file, char **out, struct mbk_error *err);

/*
 * Open a server-side file for reading, once: path passes the syntax rules
 * above, must lie under an allowed root by its name (else HTTP/403 "not
 * allowed", whatever is there), and is opened beneath that root's
 * directory descriptor with mbk_storage_open_beneath (no symbolic link,
 * no escape, O_NONBLOCK so that a FIFO never blocks), then fstat'ed: a
 * regular file, or HTTP/400.  A missing file is HTTP/404.  Messages name
 * the path as the request gave it.  The descriptor is the caller's.
 */
int
mbk_fcgi_path_open(const struct mbk_fcgi_app *app, const char *path,
                   struct mbk_error *err);

/* The storage a request names ("fs", "tar"; NULL: fs if configured,
 * else tar); HTTP/400 when that one is not configured. */
struct mbk_storage *
mbk_fcgi_app_storage(const struct mbk_fcgi_app *app, const char *name,
                     struct mbk_error *err);

/* The database operations run on: the configured one, else the URI's. */
const char *
mbk_fcgi_app_db(const struct mbk_fcgi_app *app);

/* Append an audit line when the audit log is on; failures are logged,
 * never returned (the operation itself already happened). */
void
mbk_fcgi_app_audit(struct mbk_fcgi_app *app,
                   const struct mbk_fcgi_request *rq,
                   const struct mbk_audit_entry *e);

/* A line on the error log (stderr or `log`), thread-safe. */
void
mbk_fcgi_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reopen the error log (SIGHUP). */
int
mbk_fcgi_log_reopen(const char *path, struct mbk_error *err);

#endif /* MBK_FCGI_APP_H */
