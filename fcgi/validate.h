/*
 * validate.h: checking an upload without restoring it (validateOnly) and
 * keeping it for the restore that follows (uploadId); the upload spool
 * file.  Thread-safe.
 */
#ifndef MBK_FCGI_VALIDATE_H
#define MBK_FCGI_VALIDATE_H

#include <stdint.h>

#include <json-c/json.h>

#include "fcgi/app.h"

#define MBK_FCGI_UPLOAD_ID_LEN 32  /* hex characters */
#define MBK_FCGI_UPLOAD_TTL 3600   /* seconds a validated upload is kept */

/* A nameless read-write file in the spool directory for an upload. */
int
mbk_fcgi_upload_spool_open(const struct mbk_fcgi_app *app,
                           struct mbk_error *err);

/* Schema check of an uploadId. */
int
mbk_fcgi_check_upload_id(const char *s, struct mbk_error *err);

/*
 * Read the whole upload in fd (bytes long), check it like verify (no
 * MongoDB, no lock, no job) and reply: 200 {valid, digestsChecked,
 * documentCount, collectionCount, database, collections {NAME:
 * {documentCount, sha256}}, uploadId, expiresSeconds...}
 * or the error (422 for a damaged file).  A valid upload is kept under
 * uploadId (null when it cannot be) for MBK_FCGI_UPLOAD_TTL seconds.
 * Audited as "validate".  fd stays the caller's.
 */
void
mbk_fcgi_validate_upload(struct mbk_fcgi_app *app,
                         const struct mbk_fcgi_request *rq, int fd,
                         uint64_t bytes, struct json_object *opts,
                         struct mbk_fcgi_response *rs);

/* The kept upload id names, opened for reading (it stays, for a dry run
 * and the restore after it, until it expires); -1 with HTTP/404 when it
 * is unknown or expired. */
int
mbk_fcgi_upload_take(const struct mbk_fcgi_app *app, const char *id,
                     struct mbk_error *err);

#endif /* MBK_FCGI_VALIDATE_H */
