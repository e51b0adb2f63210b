/*
 * handlers.h: what the handler files (handlers.c, create.c, restore.c)
 * share: name rules as schema checks, parsing input with the error reply
 * done, and the reply to an operation that ran as a job.
 */
#ifndef MBK_FCGI_HANDLERS_H
#define MBK_FCGI_HANDLERS_H

#include <json-c/json.h>

#include "fcgi/app.h"
#include "fcgi/http.h"
#include "fcgi/jobs.h"
#include "fcgi/schema.h"

/* Schema checks (mbk_fcgi_check_fn). */
int
mbk_fcgi_check_backup_name(const char *s, struct mbk_error *err);
int
mbk_fcgi_check_db(const char *s, struct mbk_error *err);
int
mbk_fcgi_check_coll(const char *s, struct mbk_error *err);
int
mbk_fcgi_check_job_id(const char *s, struct mbk_error *err);

/* Parse the query against schema; on failure the error is the reply. */
int
mbk_fcgi_query(const struct mbk_fcgi_request *rq,
               const struct mbk_fcgi_field *schema, struct json_object **out,
               struct mbk_fcgi_response *rs);

/* A request whose input is its body takes no query: any parameter is
 * refused as unknown (the error is the reply). */
int
mbk_fcgi_no_query(const struct mbk_fcgi_request *rq,
                  struct mbk_fcgi_response *rs);

/* Parse a JSON body (Content-Type application/json, 415 otherwise). */
int
mbk_fcgi_json_body(const struct mbk_fcgi_request *rq,
                   const struct mbk_fcgi_field *schema,
                   struct json_object **out, struct mbk_fcgi_response *rs);

/* Wait for job (sync) and reply with its result or error, or (async)
 * reply 202 {jobId, status URL}.  A request thread waits at most
 * sync_wait seconds, and at most half the request threads wait at once:
 * past either, the answer is the 202 of an async request (the job goes
 * on, and can be followed or cancelled like any other).  Releases the
 * caller's reference. */
void
mbk_fcgi_reply_job(struct mbk_fcgi_app *app, struct mbk_fcgi_job *job,
                   bool async, struct mbk_fcgi_response *rs);

/* fcgi/inspect.c: what a restore job shows of its request (dryRun,
 * targetDatabase, source and where from), a new object. */
struct json_object *
mbk_fcgi_restore_info(struct json_object *opts, const char *target);

#endif /* MBK_FCGI_HANDLERS_H */
