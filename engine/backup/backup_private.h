/*
 * backup_private.h: what backup.c (listing, reading, publishing) and
 * backup_meta.c (the metadata object) share.  Not part of the engine's
 * interface.
 */
#ifndef MBK_ENGINE_BACKUP_PRIVATE_H
#define MBK_ENGINE_BACKUP_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>

#include <bson/bson.h>

#include "engine/backup/backup.h"
#include "engine/buf.h"
#include "engine/spool.h"

struct bk_coll {
    char *name;
    char type[16];
    /* bson_t must not move once used (it may point into itself), and
     * this array is grown and sorted: hold them by pointer. */
    bson_t *info;    /* the listCollections entry */
    bson_t *indexes; /* an array of listIndexes specs */
    int64_t estimate;
    struct mbk_spool *spool;
    uint64_t docs;
    uint64_t escaped; /* documents holding an escape (README) */
    uint64_t bytes;
    unsigned char sha[32];
};

struct bk_run {
    const struct mbk_backup_opts *o;
    struct mbk_mongo *m;
    const char *spool_dir;
    struct mbk_gzip_pool *gz; /* compresses every spool; NULL: plain */
    struct bk_coll *colls;
    size_t n;
    size_t cap;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;
    unsigned running;
    int failed;
    struct mbk_error err; /* the first failure, under mu */
    const char *current;  /* under mu */

    atomic_uint_fast64_t docs_done;
    atomic_uint_fast64_t bytes_done;
    atomic_uint colls_done;
    unsigned char include_hit[64]; /* include patterns that matched */
};

/* The metadata object of the backup, as JSON text appended to out. */
int
mbk_engine_backup_metadata(const struct bk_run *r, const char *stem,
                           const char *ts, const char *server_version,
                           struct mbk_buf *out, struct mbk_error *err);

#endif /* MBK_ENGINE_BACKUP_PRIVATE_H */
