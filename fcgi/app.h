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

#include "engine/audit/audit.h"
#include "engine/error.h"
#include "engine/mongo/mongo.h"
#include "fcgi/access.h"
#include "fcgi/http.h"
#include "storage/loader.h"

struct mbk_fcgi_jobs;

/* One `storage = NAME LOCATION [key=value ...]` line, all malloc'd. */
struct mbk_fcgi_storage_conf {
    char *name;       /* [a-z0-9_-]{1,32}: the label users see */
    char *location;   /* fs:DIR, tar:FILE, s3://bucket/prefix */
    struct mbk_storage_option *options; /* for the plugin; values may be
                                         * secrets: never shown */
    size_t noptions;
    char *x_accel;    /* x_accel=PREFIX (the host's, not the plugin's):
                       * nginx's internal location aliased on a local
                       * directory storage; NULL: stream downloads */
};

/* Longest storage name. */
#define MBK_FCGI_STORAGE_NAME_MAX 32

/* A storage name: 1 to MBK_FCGI_STORAGE_NAME_MAX of [a-z0-9_-]; HTTP/400
 * naming the problem otherwise (a schema check). */
int
mbk_fcgi_check_storage_name(const char *s, struct mbk_error *err);

struct mbk_fcgi_storage_state; /* fcgi/storages.c: open attempts */

/*
 * A storage from its configuration line.  A storage whose remote service
 * is down or refuses us at start (STORAGE/EUNAVAIL or EREFUSED) is kept,
 * unavailable, with st NULL: mbk_fcgi_app_storage() and
 * mbk_fcgi_storage_use() open it again on use, at most once every 1, 2,
 * 4... MBK_FCGI_RETRY_AFTER seconds.  st and x_accel are written once, by
 * fcgi/storages.c under the state's lock; read them only after one of
 * those two calls answered the storage available (then they never change
 * until mbk_fcgi_storages_close).
 */
struct mbk_fcgi_storage {
    const char *name;          /* lent from the configuration */
    const struct mbk_fcgi_storage_conf *conf; /* lent */
    struct mbk_storage *st;    /* thread-safe; NULL while unavailable */
    const char *x_accel;       /* NULL: downloads stream */
    bool is_default;
    struct mbk_fcgi_storage_state *state; /* thread-safe */
};

struct mbk_fcgi_config {
    char *mongo_uri;      /* mongo_uri: default mongodb://127.0.0.1:27017 */
    char *db;             /* db: default the URI's database */
    /* storage = NAME LOCATION [key=value ...], repeated: the stores in
     * the order given (MBK_FCGI_STORAGE: such lines, one a line, instead
     * of the file's).  The legacy keys storage_fs = DIR and storage_tar =
     * FILE are aliases of `storage = fs fs:DIR` / `storage = tar tar:FILE`
     * (kept for one release), appended after the others. */
    struct mbk_fcgi_storage_conf *storages;
    size_t nstorages;
    char *default_storage; /* default_storage: NAME; default the first */
    char *storage_fs;     /* legacy alias, see above */
    char *storage_tar;    /* legacy alias, see above */
    char *plugin_dir;     /* plugin_dir: default the compiled-in one */
    char *allowed_roots;  /* allowed_roots: DIR:DIR..., server-side paths */
    char *audit_log;      /* audit_log: unset, no audit trail */
    char *log;            /* log: error log file; unset, stderr */
    char *spool_dir;      /* spool_dir: uploads and spools; default $TMPDIR */
    char *listen;         /* listen: unix:PATH or 127.0.0.1:PORT; unset:
                           * the socket handed over (LISTEN_FDS or fd 0) */
    char *x_accel_prefix; /* x_accel_prefix: nginx internal location for
                           * the default storage's downloads (when it is a
                           * local directory and has no x_accel= of its
                           * own); unset: stream them */
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
    char *state_dir;      /* state_dir: where the responder keeps what it
                           * must remember (paths.json, the backups
                           * written to a destinationPath); default
                           * spool_dir */
};

/* Defaults, then the file (NULL: $MBK_FCGI_CONFIG if set), then the
 * environment.  A bad line or value fails with ENGINE/EINVAL naming it. */
int
mbk_fcgi_config_load(struct mbk_fcgi_config *c, const char *file,
                     struct mbk_error *err);

void
mbk_fcgi_config_free(struct mbk_fcgi_config *c);

/* fcgi/storages.c, for the configuration: add one `storage` line (the
 * value after "storage ="; where: FILE:LINE for messages, which never show
 * option values); free the list; then, once the file is read, apply
 * MBK_FCGI_STORAGE and the legacy aliases. */
int
mbk_fcgi_storage_conf_add(struct mbk_fcgi_config *c, const char *line,
                          const char *where, struct mbk_error *err);

void
mbk_fcgi_storage_conf_free(struct mbk_fcgi_config *c);

int
mbk_fcgi_storage_conf_finish(struct mbk_fcgi_config *c,
                             struct mbk_error *err);

struct mbk_fcgi_app {
    struct mbk_fcgi_config cfg;
    struct mbk_mongo *mongo;  /* thread-safe pool */
    struct mbk_fcgi_storage *storages; /* nstorages, in configured order */
    size_t nstorages;
    const struct mbk_fcgi_storage *default_storage;
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

/* fcgi/storages.c: open every configured storage, choose the default and
 * each one's X-Accel prefix; close them.  A storage that cannot be opened
 * stops the start (the error names it) unless its remote service is what
 * failed (STORAGE/EUNAVAIL or EREFUSED): that one is kept unavailable,
 * logged, and opened again on use. */
int
mbk_fcgi_storages_open(struct mbk_fcgi_app *app, struct mbk_error *err);

void
mbk_fcgi_storages_close(struct mbk_fcgi_app *app);

/* The opened store of s, opening it again when it is unavailable and its
 * next attempt is due (another thread's attempt under way: no wait).
 * NULL with err when unavailable: "storage "NAME" is unavailable (next
 * attempt in N s): REASON", STORAGE/EREFUSED (HTTP 502) when the remote
 * refused us, else STORAGE/EUNAVAIL (503). */
struct mbk_storage *
mbk_fcgi_storage_use(const struct mbk_fcgi_app *app,
                     const struct mbk_fcgi_storage *s, struct mbk_error *err);

/* What GET .../health and the storage list show of s without opening it:
 * available or not; when not, the scrubbed reason into why (why_len) and
 * the seconds until the next attempt into *retry_in. */
bool
mbk_fcgi_storage_state(const struct mbk_fcgi_storage *s, char *why,
                       size_t why_len, unsigned *retry_in);

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

/*
 * Open, once, the directory a resolved path (real, from
 * mbk_fcgi_path_check) lies in for a storage: real itself, or its parent
 * when parent (a file location).  Opened beneath the allowed root's
 * directory descriptor with mbk_storage_open_beneath (O_DIRECTORY, no
 * symbolic link, no escape), so a directory swapped for a link after the
 * check is refused, not followed.  Messages name shown (the path as the
 * request gave it).  The descriptor is the caller's; -1 with HTTP/400
 * ("not allowed"), 403 or 404.
 */
int
mbk_fcgi_dir_open(const struct mbk_fcgi_app *app, const char *real,
                  bool parent, const char *shown, struct mbk_error *err);

/* The storage a request names (NULL: the default one), available
 * (mbk_fcgi_storage_use); HTTP/400 naming the field "storage" when none
 * has that name, 502/503 when it is unavailable. */
const struct mbk_fcgi_storage *
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
