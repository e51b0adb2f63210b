/*
 * paths.h: backups written to a destinationPath (a directory, or a file
 * for a plugin that keeps its store in one, under an allowed root) stay
 * findable: the responder records each such place in
 * STATE_DIR/paths.json (written whole to a temporary file, then renamed),
 * and a "place" opens either a configured storage or one recorded path,
 * re-checked beneath its allowed root on every open.  Thread-safe.
 */
#ifndef MBK_FCGI_PATHS_H
#define MBK_FCGI_PATHS_H

#include <stdbool.h>

#include "fcgi/app.h"

/* The most places remembered; the oldest goes first past it. */
#define MBK_FCGI_PATHS_MAX 256

/* Remember that a backup was written at real (a resolved path from
 * mbk_fcgi_path_check) with the plugin of scheme; file: real is the
 * store's file (CAP_FILE_LOCATION), not a directory.  Failures are
 * logged, not returned: the backup itself is done. */
void
mbk_fcgi_paths_record(const struct mbk_fcgi_app *app, const char *scheme,
                      const char *real, bool file);

/* Each recorded place, oldest first: fn(path, scheme, file, ud); fn's
 * non-zero return stops the walk. */
typedef int (*mbk_fcgi_paths_fn)(const char *path, const char *scheme,
                                 bool file, void *ud);

int
mbk_fcgi_paths_each(const struct mbk_fcgi_app *app, mbk_fcgi_paths_fn fn,
                    void *ud, struct mbk_error *err);

/*
 * Open a storage on a destination path: shown is the path as the request
 * names it (checked by name under the allowed roots: HTTP/400 otherwise),
 * scheme the plugin's; its directory (the parent when file) is opened
 * once beneath the root and the plugin works through that descriptor.
 * *real (malloc'd) is the resolved path.  Errors name shown.
 */
struct mbk_storage *
mbk_fcgi_paths_open(const struct mbk_fcgi_app *app, const char *scheme,
                    const char *shown, bool file, char **real,
                    struct mbk_error *err);

/* Where a stored backup is: a configured storage (lent) or a recorded
 * path (owned), as a request names it. */
struct mbk_fcgi_place {
    const struct mbk_fcgi_storage *storage; /* what handlers use */
    struct mbk_fcgi_storage own;            /* a path's; own.name = path */
    char *path;
};

/*
 * storage=NAME or path=PATH of a request (not both; neither: the default
 * storage).  A path must pass mbk_fcgi_path_check (else HTTP/400) and,
 * resolved, be one paths.json records (else HTTP/404, so a request opens
 * no other place), then is opened as above.  *field names
 * the field at fault.  Free with mbk_fcgi_place_free.
 */
struct mbk_fcgi_place *
mbk_fcgi_place_open(const struct mbk_fcgi_app *app, const char *storage,
                    const char *path, const char **field,
                    struct mbk_error *err);

void
mbk_fcgi_place_free(struct mbk_fcgi_place *p); /* NULL-safe */

#endif /* MBK_FCGI_PATHS_H */
