/*
 * jobs.h: the bounded job pool of mbk-fcgi.  Backups and restores run on
 * a fixed number of worker threads, so long work never takes the request
 * threads that answer listings.  A job holds its database while queued
 * and running: restores exclusively, backups shared with other backups
 * (a second operation that conflicts is refused with 409).  A job is seen
 * by its id while running and for a while after (keep_jobs).
 * Everything here is thread-safe.
 */
#ifndef MBK_FCGI_JOBS_H
#define MBK_FCGI_JOBS_H

#include <stdatomic.h>
#include <stdbool.h>

#include <json-c/json.h>

#include "engine/backup/backup.h"
#include "engine/error.h"

struct mbk_fcgi_jobs;
struct mbk_fcgi_job;

#define MBK_FCGI_JOB_ID_LEN 16 /* hex characters */

/* The work: fills *result (taken by the job) or err; runs in a worker. */
typedef int (*mbk_fcgi_job_fn)(struct mbk_fcgi_job *job, void *ud,
                               struct json_object **result,
                               struct mbk_error *err);
typedef void (*mbk_fcgi_job_free_fn)(void *ud);

struct mbk_fcgi_jobs *
mbk_fcgi_jobs_new(unsigned workers, unsigned queue, unsigned keep,
                  struct mbk_error *err);

/* Cancel every job, wait for the workers, free everything. */
void
mbk_fcgi_jobs_free(struct mbk_fcgi_jobs *js); /* NULL-safe */

/*
 * Queue fn(job, ud) for kind ("backup", "restore") on db, asked by owner
 * (the user, NULL if anonymous: only an admin may cancel it).  exclusive:
 * no other job on db at all; else only other shared ones.  Returns the
 * job with a reference for the caller (mbk_fcgi_job_release), or NULL
 * with HTTP/409 (db busy) or HTTP/503 (queue full).  free_ud(ud) runs
 * when the job is gone, whatever happened (also on failure here).
 */
struct mbk_fcgi_job *
mbk_fcgi_jobs_submit(struct mbk_fcgi_jobs *js, const char *kind,
                     const char *db, const char *owner, bool exclusive,
                     mbk_fcgi_job_fn fn, void *ud,
                     mbk_fcgi_job_free_fn free_ud, struct mbk_error *err);

/* Wait for the end; 0 and *result (a new reference) on success, else -1
 * with the job's error. */
int
mbk_fcgi_job_wait(struct mbk_fcgi_job *job, struct json_object **result,
                  struct mbk_error *err);

/* The same, waiting at most seconds (<= 0: no limit): 1 when the job is
 * still queued or running then. */
int
mbk_fcgi_job_wait_until(struct mbk_fcgi_job *job, double seconds,
                        struct json_object **result, struct mbk_error *err);

void
mbk_fcgi_job_release(struct mbk_fcgi_job *job); /* NULL-safe */

const char *
mbk_fcgi_job_id(const struct mbk_fcgi_job *job);

/* The flag the engine polls (its opts.cancel). */
atomic_int *
mbk_fcgi_job_cancel_flag(struct mbk_fcgi_job *job);

/* The engine's progress callback; ud is the job. */
void
mbk_fcgi_job_progress(const struct mbk_progress *p, void *ud);

/* What the request asked, shown in the job's status: an object whose
 * keys (dryRun, source, targetDatabase...) are added to it.  Takes
 * info. */
void
mbk_fcgi_job_describe(struct mbk_fcgi_job *job, struct json_object *info);

/* {id, kind, database, state, phase, collection, collectionsDone,
 *  collectionsTotal, docsDone, docsTotal, bytesDone, elapsedSeconds,
 *  docsPerSecond, bytesPerSecond, etaSeconds, indexesDone, indexesTotal
 *  (of the phase "building indexes"), what mbk_fcgi_job_describe gave,
 *  result | error}; NULL with
 * HTTP/404 when no such job. */
struct json_object *
mbk_fcgi_jobs_status(struct mbk_fcgi_jobs *js, const char *id,
                     struct mbk_error *err);

/* Every job known, newest first, as the status objects. */
struct json_object *
mbk_fcgi_jobs_list(struct mbk_fcgi_jobs *js);

/* Ask a job to stop (a restore rolls back); HTTP/404 if unknown, 409 if
 * it has already finished, 403 when as_user (NULL: anyone may, an admin)
 * is not the job's owner. */
int
mbk_fcgi_jobs_cancel(struct mbk_fcgi_jobs *js, const char *id,
                     const char *as_user, struct mbk_error *err);

#endif /* MBK_FCGI_JOBS_H */
