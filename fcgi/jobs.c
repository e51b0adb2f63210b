/*
 * jobs.c: the job pool: a FIFO queue, a fixed set of worker threads, the
 * per-database conflict rule, progress snapshots and the list of recent
 * jobs.  One mutex guards it all; the work itself runs unlocked.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/names.h"
#include "fcgi/http.h"
#include "fcgi/jobs.h"

enum jstate { J_QUEUED, J_RUNNING, J_DONE, J_FAILED, J_CANCELED };

static const char *const state_names[] = {
    "queued", "running", "done", "failed", "canceled",
};

struct mbk_fcgi_job {
    struct mbk_fcgi_jobs *js;
    char id[MBK_FCGI_JOB_ID_LEN + 1];
    char kind[16];
    char db[64];
    char owner[128]; /* the user who asked for it, "" if anonymous */
    bool exclusive;
    enum jstate state;
    unsigned refs; /* the list's and the callers' */
    atomic_int cancel;
    mbk_fcgi_job_fn fn;
    void *ud;
    mbk_fcgi_job_free_fn free_ud;
    /* progress, under the lock */
    char phase[32];
    char collection[256];
    uint32_t colls_done;
    uint32_t colls_total;
    uint64_t docs_done;
    uint64_t docs_total;
    uint64_t bytes_done;
    double elapsed;     /* the engine's, at its last report */
    double reported_at; /* mbk_names_seconds() of that report, or 0 */
    uint32_t indexes_done;
    uint32_t indexes_total;
    int64_t created_ms;
    struct json_object *info; /* what the request asked: dryRun, source,
                               * targetDatabase (mbk_fcgi_job_describe) */
    struct json_object *result;
    struct mbk_error error;
    struct mbk_fcgi_job *next;  /* every job, newest first */
    struct mbk_fcgi_job *qnext; /* the queue */
};

struct mbk_fcgi_jobs {
    pthread_mutex_t lock;
    pthread_cond_t work;
    pthread_cond_t done;
    pthread_t *threads;
    unsigned nthreads;
    unsigned queue_max;
    unsigned queued;
    unsigned keep;
    bool stopping;
    struct mbk_fcgi_job *qhead;
    struct mbk_fcgi_job *qtail;
    struct mbk_fcgi_job *all;
};

static void
job_unref_locked(struct mbk_fcgi_job *job)
{
    if (--job->refs > 0) {
        return;
    }
    if (job->free_ud != NULL) {
        job->free_ud(job->ud);
    }
    json_object_put(job->result);
    json_object_put(job->info);
    free(job);
}

/* Forget the oldest finished jobs beyond keep. */
static void
prune_locked(struct mbk_fcgi_jobs *js)
{
    struct mbk_fcgi_job **pp = &js->all;
    unsigned finished = 0;

    while (*pp != NULL) {
        struct mbk_fcgi_job *j = *pp;

        if (j->state >= J_DONE && ++finished > js->keep) {
            *pp = j->next;
            job_unref_locked(j);
            continue;
        }
        pp = &j->next;
    }
}

static void *
worker(void *arg)
{
    struct mbk_fcgi_jobs *js = arg;

    pthread_mutex_lock(&js->lock);
    for (;;) {
        struct mbk_fcgi_job *job;
        struct json_object *result = NULL;
        struct mbk_error err;
        int rc;

        while (js->qhead == NULL && !js->stopping) {
            pthread_cond_wait(&js->work, &js->lock);
        }
        if (js->qhead == NULL) {
            break;
        }
        job = js->qhead;
        js->qhead = job->qnext;
        if (js->qhead == NULL) {
            js->qtail = NULL;
        }
        js->queued--;
        mbk_error_clear(&err);
        if (atomic_load(&job->cancel) != 0) {
            rc = mbk_error_set(&err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                               "the job was canceled before it started");
        } else {
            job->state = J_RUNNING;
            pthread_mutex_unlock(&js->lock);
            rc = job->fn(job, job->ud, &result, &err);
            pthread_mutex_lock(&js->lock);
        }
        if (rc == 0) {
            job->state = J_DONE;
            job->result = result;
            snprintf(job->phase, sizeof(job->phase), "done");
        } else {
            json_object_put(result);
            job->error = err;
            job->state = err.domain == MBK_ERROR_ENGINE &&
                                 err.code == MBK_ENGINE_ECANCELED
                             ? J_CANCELED
                             : J_FAILED;
            if (job->error.message[0] == '\0') {
                snprintf(job->error.message, sizeof(job->error.message),
                         "the job failed");
            }
        }
        pthread_cond_broadcast(&js->done);
        prune_locked(js);
    }
    pthread_mutex_unlock(&js->lock);
    return NULL;
}

struct mbk_fcgi_jobs *
mbk_fcgi_jobs_new(unsigned workers, unsigned queue, unsigned keep,
                  struct mbk_error *err)
{
    struct mbk_fcgi_jobs *js = calloc(1, sizeof(*js));

    if (js == NULL) {
        mbk_error_sys(err, ENOMEM, "calloc", "jobs");
        return NULL;
    }
    pthread_mutex_init(&js->lock, NULL);
    pthread_cond_init(&js->work, NULL);
    {
        /* timed waits on the monotonic clock: a clock change never
         * shortens or stretches a request's wait */
        pthread_condattr_t ca;

        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&js->done, &ca);
        pthread_condattr_destroy(&ca);
    }
    js->queue_max = queue;
    js->keep = keep;
    js->threads = calloc(workers, sizeof(*js->threads));
    if (js->threads == NULL) {
        mbk_error_sys(err, ENOMEM, "calloc", "jobs");
        mbk_fcgi_jobs_free(js);
        return NULL;
    }
    for (unsigned i = 0; i < workers; i++) {
        int rc = pthread_create(&js->threads[i], NULL, worker, js);

        if (rc != 0) {
            mbk_error_sys(err, rc, "pthread_create", "job worker");
            mbk_fcgi_jobs_free(js);
            return NULL;
        }
        js->nthreads++;
    }
    return js;
}

void
mbk_fcgi_jobs_free(struct mbk_fcgi_jobs *js)
{
    if (js == NULL) {
        return;
    }
    pthread_mutex_lock(&js->lock);
    js->stopping = true;
    for (struct mbk_fcgi_job *j = js->all; j != NULL; j = j->next) {
        atomic_store(&j->cancel, 1);
    }
    pthread_cond_broadcast(&js->work);
    pthread_mutex_unlock(&js->lock);
    for (unsigned i = 0; i < js->nthreads; i++) {
        pthread_join(js->threads[i], NULL);
    }
    while (js->all != NULL) {
        struct mbk_fcgi_job *j = js->all;

        js->all = j->next;
        job_unref_locked(j);
    }
    free(js->threads);
    pthread_cond_destroy(&js->done);
    pthread_cond_destroy(&js->work);
    pthread_mutex_destroy(&js->lock);
    free(js);
}

static void
new_id(char *id)
{
    unsigned char r[MBK_FCGI_JOB_ID_LEN / 2];
    static const char hex[] = "0123456789abcdef";

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        /* Unique enough without the kernel's randomness. */
        uint64_t t = (uint64_t)mbk_names_now_ms() ^ (uint64_t)(uintptr_t)id;

        memcpy(r, &t, sizeof(r) < sizeof(t) ? sizeof(r) : sizeof(t));
    }
    for (size_t i = 0; i < sizeof(r); i++) {
        id[2 * i] = hex[r[i] >> 4];
        id[2 * i + 1] = hex[r[i] & 15];
    }
    id[MBK_FCGI_JOB_ID_LEN] = '\0';
}

struct mbk_fcgi_job *
mbk_fcgi_jobs_submit(struct mbk_fcgi_jobs *js, const char *kind,
                     const char *db, const char *owner, bool exclusive,
                     mbk_fcgi_job_fn fn, void *ud,
                     mbk_fcgi_job_free_fn free_ud, struct mbk_error *err)
{
    struct mbk_fcgi_job *job;

    pthread_mutex_lock(&js->lock);
    for (struct mbk_fcgi_job *j = js->all; j != NULL; j = j->next) {
        if (j->state <= J_RUNNING && strcmp(j->db, db) == 0 &&
            (exclusive || j->exclusive)) {
            /* db may live in ud: say it before ud goes. */
            mbk_fcgi_http_error(err, 409, "a %s (job %s) is already running "
                                "on database \"%s\"", j->kind, j->id, db);
            pthread_mutex_unlock(&js->lock);
            if (free_ud != NULL) {
                free_ud(ud);
            }
            return NULL;
        }
    }
    if (js->queued >= js->queue_max || js->stopping) {
        pthread_mutex_unlock(&js->lock);
        if (free_ud != NULL) {
            free_ud(ud);
        }
        mbk_fcgi_http_error(err, 503, "too many operations are waiting; "
                            "try again later");
        return NULL;
    }
    job = calloc(1, sizeof(*job));
    if (job == NULL) {
        pthread_mutex_unlock(&js->lock);
        if (free_ud != NULL) {
            free_ud(ud);
        }
        mbk_fcgi_http_error(err, 500, "out of memory");
        return NULL;
    }
    job->js = js;
    new_id(job->id);
    snprintf(job->owner, sizeof(job->owner), "%s",
             owner != NULL ? owner : "");
    snprintf(job->kind, sizeof(job->kind), "%s", kind);
    snprintf(job->db, sizeof(job->db), "%s", db);
    snprintf(job->phase, sizeof(job->phase), "queued");
    job->exclusive = exclusive;
    job->state = J_QUEUED;
    job->refs = 2;
    atomic_init(&job->cancel, 0);
    job->fn = fn;
    job->ud = ud;
    job->free_ud = free_ud;
    job->created_ms = mbk_names_now_ms();
    job->next = js->all;
    js->all = job;
    if (js->qtail != NULL) {
        js->qtail->qnext = job;
    } else {
        js->qhead = job;
    }
    js->qtail = job;
    js->queued++;
    pthread_cond_signal(&js->work);
    pthread_mutex_unlock(&js->lock);
    return job;
}

int
mbk_fcgi_job_wait(struct mbk_fcgi_job *job, struct json_object **result,
                  struct mbk_error *err)
{
    return mbk_fcgi_job_wait_until(job, 0, result, err);
}

int
mbk_fcgi_job_wait_until(struct mbk_fcgi_job *job, double seconds,
                        struct json_object **result, struct mbk_error *err)
{
    struct mbk_fcgi_jobs *js = job->js;
    struct timespec until;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)seconds;
    pthread_mutex_lock(&js->lock);
    while (job->state <= J_RUNNING) {
        if (seconds <= 0) {
            pthread_cond_wait(&js->done, &js->lock);
        } else if (pthread_cond_timedwait(&js->done, &js->lock, &until) ==
                       ETIMEDOUT &&
                   job->state <= J_RUNNING) {
            pthread_mutex_unlock(&js->lock);
            return 1;
        }
    }
    if (job->state == J_DONE) {
        *result = json_object_get(job->result);
        rc = 0;
    } else {
        if (err != NULL) {
            *err = job->error;
        }
        rc = -1;
    }
    pthread_mutex_unlock(&js->lock);
    return rc;
}

void
mbk_fcgi_job_release(struct mbk_fcgi_job *job)
{
    struct mbk_fcgi_jobs *js;

    if (job == NULL) {
        return;
    }
    js = job->js;
    pthread_mutex_lock(&js->lock);
    job_unref_locked(job);
    pthread_mutex_unlock(&js->lock);
}

const char *
mbk_fcgi_job_id(const struct mbk_fcgi_job *job)
{
    return job->id;
}

atomic_int *
mbk_fcgi_job_cancel_flag(struct mbk_fcgi_job *job)
{
    return &job->cancel;
}

void
mbk_fcgi_job_progress(const struct mbk_progress *p, void *ud)
{
    struct mbk_fcgi_job *job = ud;

    pthread_mutex_lock(&job->js->lock);
    snprintf(job->phase, sizeof(job->phase), "%s",
             p->phase != NULL ? p->phase : "");
    if (p->collection != NULL) {
        snprintf(job->collection, sizeof(job->collection), "%s",
                 p->collection);
    }
    job->colls_done = p->collections_done;
    job->colls_total = p->collections_total;
    job->docs_done = p->docs_done;
    job->docs_total = p->docs_total;
    job->bytes_done = p->bytes_done;
    job->elapsed = p->elapsed;
    job->reported_at = mbk_names_seconds();
    job->indexes_done = p->indexes_done;
    job->indexes_total = p->indexes_total;
    pthread_mutex_unlock(&job->js->lock);
}

void
mbk_fcgi_job_describe(struct mbk_fcgi_job *job, struct json_object *info)
{
    pthread_mutex_lock(&job->js->lock);
    json_object_put(job->info);
    job->info = info;
    pthread_mutex_unlock(&job->js->lock);
}

static struct json_object *
status_locked(const struct mbk_fcgi_job *j)
{
    struct json_object *o = json_object_new_object();
    char created[40];
    /* A running job's time goes on between the engine's reports (an
     * index build reports only when it ends). */
    double elapsed = j->state == J_RUNNING && j->reported_at > 0
                         ? j->elapsed + (mbk_names_seconds() - j->reported_at)
                         : j->elapsed;
    double docs_rate = elapsed > 0 ? (double)j->docs_done / elapsed : 0;
    double bytes_rate = elapsed > 0 ? (double)j->bytes_done / elapsed : 0;

    mbk_names_iso8601(j->created_ms, created, sizeof(created));
    json_object_object_add(o, "id", json_object_new_string(j->id));
    json_object_object_add(o, "kind", json_object_new_string(j->kind));
    json_object_object_add(o, "user", j->owner[0] != '\0'
                                          ? json_object_new_string(j->owner)
                                          : NULL);
    json_object_object_add(o, "database", json_object_new_string(j->db));
    json_object_object_add(o, "state",
                           json_object_new_string(state_names[j->state]));
    json_object_object_add(o, "created", json_object_new_string(created));
    json_object_object_add(o, "phase", json_object_new_string(j->phase));
    json_object_object_add(o, "collection",
                           j->collection[0] != '\0'
                               ? json_object_new_string(j->collection)
                               : NULL);
    json_object_object_add(o, "collectionsDone",
                           json_object_new_int64(j->colls_done));
    json_object_object_add(o, "collectionsTotal",
                           json_object_new_int64(j->colls_total));
    json_object_object_add(o, "docsDone",
                           json_object_new_int64((int64_t)j->docs_done));
    json_object_object_add(o, "docsTotal",
                           json_object_new_int64((int64_t)j->docs_total));
    json_object_object_add(o, "bytesDone",
                           json_object_new_int64((int64_t)j->bytes_done));
    json_object_object_add(o, "indexesDone",
                           json_object_new_int64(j->indexes_done));
    json_object_object_add(o, "indexesTotal",
                           json_object_new_int64(j->indexes_total));
    if (j->info != NULL) {
        json_object_object_foreach(j->info, key, val)
        {
            json_object_object_add(o, key, json_object_get(val));
        }
    }
    json_object_object_add(o, "elapsedSeconds",
                           json_object_new_double(elapsed));
    json_object_object_add(o, "docsPerSecond",
                           json_object_new_double(docs_rate));
    json_object_object_add(o, "bytesPerSecond",
                           json_object_new_double(bytes_rate));
    if (j->state == J_RUNNING && docs_rate > 0 &&
        j->docs_total > j->docs_done) {
        json_object_object_add(
            o, "etaSeconds",
            json_object_new_double((double)(j->docs_total - j->docs_done) /
                                   docs_rate));
    } else {
        json_object_object_add(o, "etaSeconds",
                               j->state == J_DONE ? json_object_new_double(0)
                                                  : NULL);
    }
    if (j->state == J_DONE) {
        json_object_object_add(o, "result", json_object_get(j->result));
    } else if (j->state >= J_FAILED) {
        struct json_object *e = json_object_new_object();
        char msg[sizeof(j->error.message) + 64];

        mbk_fcgi_scrub(j->error.message, msg, sizeof(msg));
        json_object_object_add(e, "message", json_object_new_string(msg));
        json_object_object_add(e, "status", json_object_new_int(
                                                mbk_fcgi_status_of(&j->error)));
        json_object_object_add(e, "domain",
                               json_object_new_string(
                                   mbk_error_domain_name(j->error.domain)));
        json_object_object_add(e, "code", json_object_new_int(j->error.code));
        json_object_object_add(o, "error", e);
    }
    return o;
}

static struct mbk_fcgi_job *
find_locked(struct mbk_fcgi_jobs *js, const char *id)
{
    for (struct mbk_fcgi_job *j = js->all; j != NULL; j = j->next) {
        if (strcmp(j->id, id) == 0) {
            return j;
        }
    }
    return NULL;
}

struct json_object *
mbk_fcgi_jobs_status(struct mbk_fcgi_jobs *js, const char *id,
                     struct mbk_error *err)
{
    struct mbk_fcgi_job *j;
    struct json_object *o = NULL;

    pthread_mutex_lock(&js->lock);
    j = find_locked(js, id);
    if (j != NULL) {
        o = status_locked(j);
    }
    pthread_mutex_unlock(&js->lock);
    if (o == NULL) {
        mbk_fcgi_http_error(err, 404, "no job \"%s\"", id);
    }
    return o;
}

struct json_object *
mbk_fcgi_jobs_list(struct mbk_fcgi_jobs *js)
{
    struct json_object *a = json_object_new_array();

    pthread_mutex_lock(&js->lock);
    for (struct mbk_fcgi_job *j = js->all; j != NULL; j = j->next) {
        json_object_array_add(a, status_locked(j));
    }
    pthread_mutex_unlock(&js->lock);
    return a;
}

int
mbk_fcgi_jobs_cancel(struct mbk_fcgi_jobs *js, const char *id,
                     const char *as_user, struct mbk_error *err)
{
    struct mbk_fcgi_job *j;
    int rc = 0;

    pthread_mutex_lock(&js->lock);
    j = find_locked(js, id);
    if (j == NULL) {
        rc = mbk_fcgi_http_error(err, 404, "no job \"%s\"", id);
    } else if (as_user != NULL && (j->owner[0] == '\0' ||
                                   strcmp(j->owner, as_user) != 0)) {
        rc = mbk_fcgi_http_error(err, 403, "cancelling another user's job "
                                 "needs the role admin");
    } else if (j->state > J_RUNNING) {
        rc = mbk_fcgi_http_error(err, 409, "job \"%s\" has already "
                                 "finished (%s)", id, state_names[j->state]);
    } else if (j->state == J_QUEUED) {
        /* Not started: out of the queue and finished at once. */
        struct mbk_fcgi_job **pp = &js->qhead;

        while (*pp != j) {
            pp = &(*pp)->qnext;
        }
        *pp = j->qnext;
        if (js->qtail == j) {
            js->qtail = NULL;
            for (struct mbk_fcgi_job *q = js->qhead; q != NULL; q = q->qnext) {
                js->qtail = q;
            }
        }
        js->queued--;
        atomic_store(&j->cancel, 1);
        j->state = J_CANCELED;
        mbk_error_set(&j->error, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                      "the job was canceled before it started");
        pthread_cond_broadcast(&js->done);
    } else {
        atomic_store(&j->cancel, 1);
    }
    pthread_mutex_unlock(&js->lock);
    return rc;
}
