/*
 * gzip_pool.c: parallel gzip compression with libdeflate.  A stream's
 * owner fills a block; full blocks queue for the pool's threads; each
 * block becomes one gzip member and goes to the stream's sink in order.
 * One mutex guards the pool and its streams' queues; sinks run outside it.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "engine/gzip.h"

#define THREADS_MAX 64

struct block {
    struct block *next;       /* free list or job queue */
    struct block *next_order; /* the stream's members, in order */
    struct mbk_gzip_stream *st;
    unsigned char *in;        /* MBK_GZIP_BLOCK bytes, allocated lazily */
    size_t in_len;
    unsigned char *out;       /* out_cap bytes */
    size_t out_len;
    int done;
};

struct mbk_gzip_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv_job;  /* a job was queued, or stop */
    pthread_cond_t cv_done; /* a block was freed or a member written */
    struct block *blocks;
    unsigned nblocks;
    struct block *free;
    struct block *jobs;
    struct block *jobs_tail;
    int stop;
    int level;
    size_t out_cap;
    unsigned nthreads;
    pthread_t tids[THREADS_MAX];
    struct libdeflate_compressor *comp[THREADS_MAX];
};

struct mbk_gzip_stream {
    struct mbk_gzip_pool *p;
    mbk_gzip_sink_fn sink;
    void *ud;
    struct block *cur;    /* being filled by the owner */
    struct block *head;   /* submitted, oldest first (under p->mu) */
    struct block *tail;
    int writing;          /* a thread is in sink (under p->mu) */
    int failed;           /* err holds why (under p->mu) */
    uint64_t members;     /* submitted so far (owner only) */
    struct mbk_error err;
};

struct worker_arg {
    struct mbk_gzip_pool *p;
    unsigned i;
};

static int
no_memory(struct mbk_error *err)
{
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                         "out of memory");
}

int
mbk_gzip_level_check(long level, struct mbk_error *err)
{
    if (level < MBK_GZIP_LEVEL_MIN || level > MBK_GZIP_LEVEL_MAX) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "gzip level %ld is not between %d and %d",
                             level, MBK_GZIP_LEVEL_MIN, MBK_GZIP_LEVEL_MAX);
    }
    return 0;
}

int
mbk_gzip_level_parse(const char *s, int *level, struct mbk_error *err)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "gzip level \"%.32s\" is not a number between "
                             "%d and %d",
                             s, MBK_GZIP_LEVEL_MIN, MBK_GZIP_LEVEL_MAX);
    }
    if (mbk_gzip_level_check(v, err) != 0) {
        return -1;
    }
    *level = (int)v;
    return 0;
}

int
mbk_gzip_compress_buf(const void *p, size_t n, int level, struct mbk_buf *out,
                      struct mbk_error *err)
{
    struct libdeflate_compressor *c;
    size_t bound;
    size_t got;

    if (mbk_gzip_level_check(level, err) != 0) {
        return -1;
    }
    c = libdeflate_alloc_compressor(level);
    if (c == NULL) {
        return no_memory(err);
    }
    bound = libdeflate_gzip_compress_bound(c, n);
    if (mbk_buf_reserve(out, bound, err) != 0) {
        libdeflate_free_compressor(c);
        return -1;
    }
    got = libdeflate_gzip_compress(c, p, n, out->data + out->len, bound);
    libdeflate_free_compressor(c);
    if (got == 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "libdeflate_gzip_compress() failed for %zu "
                             "bytes",
                             n);
    }
    out->len += got;
    return 0;
}

/* ---- writing members in order (p->mu held) ---------------------------- */

static void
release(struct mbk_gzip_pool *p, struct block *b)
{
    b->st = NULL;
    b->in_len = 0;
    b->out_len = 0;
    b->done = 0;
    b->next = p->free;
    p->free = b;
}

/* Hand the stream's finished members to its sink, oldest first; one
 * thread at a time, the lock released around the sink. */
static void
drain(struct mbk_gzip_pool *p, struct mbk_gzip_stream *s)
{
    while (!s->writing && s->head != NULL && s->head->done) {
        struct block *b = s->head;

        if (!s->failed) {
            struct mbk_error e;
            int rc;

            s->writing = 1;
            pthread_mutex_unlock(&p->mu);
            mbk_error_clear(&e);
            rc = s->sink(s->ud, b->out, b->out_len, &e);
            pthread_mutex_lock(&p->mu);
            s->writing = 0;
            if (rc != 0) {
                s->failed = 1;
                s->err = e;
            }
        }
        s->head = b->next_order;
        if (s->head == NULL) {
            s->tail = NULL;
        }
        release(p, b);
        pthread_cond_broadcast(&p->cv_done);
    }
}

static void *
worker(void *arg)
{
    struct worker_arg *wa = arg;
    struct mbk_gzip_pool *p = wa->p;
    struct libdeflate_compressor *c = p->comp[wa->i];

    free(wa);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct block *b;

        while (p->jobs == NULL && !p->stop) {
            pthread_cond_wait(&p->cv_job, &p->mu);
        }
        if (p->jobs == NULL) {
            break;
        }
        b = p->jobs;
        p->jobs = b->next;
        if (p->jobs == NULL) {
            p->jobs_tail = NULL;
        }
        pthread_mutex_unlock(&p->mu);
        /* The output buffer is the bound: this cannot run short. */
        b->out_len =
            libdeflate_gzip_compress(c, b->in, b->in_len, b->out, p->out_cap);
        pthread_mutex_lock(&p->mu);
        if (b->out_len == 0 && !b->st->failed) {
            b->st->failed = 1;
            mbk_error_set(&b->st->err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                          "libdeflate_gzip_compress() failed for %zu bytes",
                          b->in_len);
        }
        b->done = 1;
        drain(p, b->st);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the pool ------------------------------------------------------- */

struct mbk_gzip_pool *
mbk_gzip_pool_new(int level, unsigned threads, struct mbk_error *err)
{
    struct mbk_gzip_pool *p;

    if (mbk_gzip_level_check(level, err) != 0) {
        return NULL;
    }
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        threads = n > 0 ? (unsigned)n : 1;
    }
    if (threads > THREADS_MAX) {
        threads = THREADS_MAX;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        no_memory(err);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_job, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->level = level;
    /* One block per thread at work, one waiting for each, and one being
     * filled: the memory is bounded whatever the number of streams. */
    p->nblocks = 2 * threads + 1;
    p->blocks = calloc(p->nblocks, sizeof(*p->blocks));
    if (p->blocks == NULL) {
        no_memory(err);
        goto fail;
    }
    for (unsigned i = 0; i < p->nblocks; i++) {
        release(p, &p->blocks[i]);
    }
    for (unsigned i = 0; i < threads; i++) {
        p->comp[i] = libdeflate_alloc_compressor(level);
        if (p->comp[i] == NULL) {
            no_memory(err);
            goto fail;
        }
    }
    p->out_cap = libdeflate_gzip_compress_bound(p->comp[0], MBK_GZIP_BLOCK);
    for (unsigned i = 0; i < threads; i++) {
        struct worker_arg *wa = malloc(sizeof(*wa));

        if (wa == NULL) {
            no_memory(err);
            goto fail;
        }
        wa->p = p;
        wa->i = i;
        if (pthread_create(&p->tids[i], NULL, worker, wa) != 0) {
            free(wa);
            mbk_error_set(err, MBK_ERROR_SYS, 0,
                          "pthread_create() failed for the gzip threads");
            goto fail;
        }
        p->nthreads++;
    }
    return p;

fail:
    mbk_gzip_pool_free(p);
    return NULL;
}

void
mbk_gzip_pool_free(struct mbk_gzip_pool *p)
{
    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv_job);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++) {
        pthread_join(p->tids[i], NULL);
    }
    for (unsigned i = 0; i < THREADS_MAX; i++) {
        libdeflate_free_compressor(p->comp[i]);
    }
    for (unsigned i = 0; p->blocks != NULL && i < p->nblocks; i++) {
        free(p->blocks[i].in);
        free(p->blocks[i].out);
    }
    free(p->blocks);
    pthread_cond_destroy(&p->cv_done);
    pthread_cond_destroy(&p->cv_job);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* ---- streams -------------------------------------------------------- */

struct mbk_gzip_stream *
mbk_gzip_stream_new(struct mbk_gzip_pool *p, mbk_gzip_sink_fn sink, void *ud,
                    struct mbk_error *err)
{
    struct mbk_gzip_stream *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        no_memory(err);
        return NULL;
    }
    s->p = p;
    s->sink = sink;
    s->ud = ud;
    return s;
}

/* A free block for the owner; while none is, write what is finished. */
static struct block *
acquire(struct mbk_gzip_stream *s, struct mbk_error *err)
{
    struct mbk_gzip_pool *p = s->p;
    struct block *b;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        drain(p, s);
        if (p->free != NULL) {
            break;
        }
        pthread_cond_wait(&p->cv_done, &p->mu);
    }
    b = p->free;
    p->free = b->next;
    pthread_mutex_unlock(&p->mu);
    if (b->in == NULL) {
        b->in = malloc(MBK_GZIP_BLOCK);
        b->out = malloc(p->out_cap);
    }
    if (b->in == NULL || b->out == NULL) {
        pthread_mutex_lock(&p->mu);
        free(b->in);
        free(b->out);
        b->in = NULL;
        b->out = NULL;
        release(p, b);
        pthread_cond_broadcast(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
        no_memory(err);
        return NULL;
    }
    b->st = s;
    return b;
}

static void
submit(struct mbk_gzip_stream *s)
{
    struct mbk_gzip_pool *p = s->p;
    struct block *b = s->cur;

    s->cur = NULL;
    s->members++;
    pthread_mutex_lock(&p->mu);
    b->next_order = NULL;
    if (s->tail != NULL) {
        s->tail->next_order = b;
    } else {
        s->head = b;
    }
    s->tail = b;
    b->next = NULL;
    if (p->jobs_tail != NULL) {
        p->jobs_tail->next = b;
    } else {
        p->jobs = b;
    }
    p->jobs_tail = b;
    pthread_cond_signal(&p->cv_job);
    pthread_mutex_unlock(&p->mu);
}

static int
failed(struct mbk_gzip_stream *s, struct mbk_error *err)
{
    int rc = 0;

    pthread_mutex_lock(&s->p->mu);
    if (s->failed) {
        if (err != NULL) {
            *err = s->err;
        }
        rc = -1;
    }
    pthread_mutex_unlock(&s->p->mu);
    return rc;
}

int
mbk_gzip_stream_write(struct mbk_gzip_stream *s, const void *buf, size_t n,
                      struct mbk_error *err)
{
    const unsigned char *c = buf;

    if (failed(s, err) != 0) {
        return -1;
    }
    while (n > 0) {
        size_t take;

        if (s->cur == NULL) {
            s->cur = acquire(s, err);
            if (s->cur == NULL) {
                return -1;
            }
        }
        take = MBK_GZIP_BLOCK - s->cur->in_len;
        if (take > n) {
            take = n;
        }
        memcpy(s->cur->in + s->cur->in_len, c, take);
        s->cur->in_len += take;
        c += take;
        n -= take;
        if (s->cur->in_len == MBK_GZIP_BLOCK) {
            submit(s);
        }
    }
    return 0;
}

/* Wait until every submitted member went to the sink (or was dropped). */
static void
wait_written(struct mbk_gzip_stream *s)
{
    struct mbk_gzip_pool *p = s->p;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        drain(p, s);
        if (s->head == NULL && !s->writing) {
            break;
        }
        pthread_cond_wait(&p->cv_done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

int
mbk_gzip_stream_finish(struct mbk_gzip_stream *s, struct mbk_error *err)
{
    if (s->cur == NULL && s->members == 0) {
        s->cur = acquire(s, err);
        if (s->cur == NULL) {
            return -1;
        }
    }
    if (s->cur != NULL) {
        submit(s);
    }
    wait_written(s);
    return failed(s, err);
}

void
mbk_gzip_stream_free(struct mbk_gzip_stream *s)
{
    struct mbk_gzip_pool *p;

    if (s == NULL) {
        return;
    }
    p = s->p;
    pthread_mutex_lock(&p->mu);
    if (s->cur != NULL) {
        release(p, s->cur);
        s->cur = NULL;
        pthread_cond_broadcast(&p->cv_done);
    }
    if (!s->failed) {
        s->failed = 1;
        mbk_error_set(&s->err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                      "gzip stream abandoned");
    }
    pthread_mutex_unlock(&p->mu);
    wait_written(s);
    free(s);
}
