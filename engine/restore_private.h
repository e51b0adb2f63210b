/*
 * restore_private.h: what restore.c (input, validation, planning, report)
 * and restore_apply.c (the writing pass, staging, swap and rollback)
 * share.  Not part of the engine's interface.
 */
#ifndef MBK_ENGINE_RESTORE_PRIVATE_H
#define MBK_ENGINE_RESTORE_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>

#include <bson/bson.h>
#include <json-c/json.h>

#include "engine/restore.h"
#include "engine/source.h"
#include "engine/spool.h"

/* One collection of the backup as restore handles it. */
/* Order-independent digests of documents as mongod keeps them (_id
 * first): of all their bytes, and with top-level Timestamps zeroed (the
 * comparison when some were Timestamp(0, 0), which mongod fills in). */
struct mbk_restore_sums {
    uint64_t full[2];
    uint64_t no_ts[2];
    uint64_t reordered; /* documents whose _id was not first */
    uint64_t empty_ts;  /* documents with an empty top-level Timestamp */
    bool oom;
};

struct rcoll {
    struct mbk_restore_coll *rep; /* its line of the report */
    bool selected;
    bool is_view;
    bson_t options; /* collectionInfo.options as BSON (may be empty) */
    bson_t indexes; /* collectionInfo.indexes: an array (may be empty) */
    char dest[400]; /* where documents go: staging (drop) or the target */
    char orig[400]; /* drop: the old target's name during the swap */
    bool existed;   /* the target existed before the restore */
    bool created;   /* we created dest */
    bool swapped;   /* drop: staging renamed onto the target */
    bool moved;     /* drop: the old target renamed to orig */
    bson_t old_view; /* a view we replaced: its listCollections options */
    bool had_view;
    bool sized;          /* bson_bytes known (the validation pass ran) */
    uint64_t bson_bytes; /* the documents' total BSON size */
    pthread_mutex_t mu; /* counters, sums and errors */
    struct mbk_restore_sums sums; /* of what went in */
    double started;
};

struct plan {
    struct mbk_mongo *m;
    const struct mbk_restore_input *in;
    const struct mbk_restore_opts *o;
    struct mbk_restore_report *rep;
    struct json_object *meta;
    char db[64];               /* the target database */
    struct rcoll *colls;       /* parallel to rep->colls */
    size_t n;
    char runid[64];            /* hostid-pid-startms */
    char journal[128];         /* without drop: __mbk_staging.<run>.j */
    atomic_uint_fast64_t journal_seq;
    bool journaled;            /* something was written to it */
    const char *spool_dir;
    struct mbk_spool *copy;    /* a stream input, kept for the second pass */
    uint64_t copy_off;         /* read position in copy */
    double t0;
    atomic_uint_fast64_t docs_done;
    atomic_uint_fast64_t bytes_done;
    uint64_t docs_total;
    uint32_t indexes_done;     /* progress of "building indexes" */
    uint32_t indexes_total;
};

/* The source for the writing pass: the storage or the file again, or the
 * copy of a stream. */
struct mbk_source *
mbk_engine_restore_reopen(struct plan *p, struct mbk_error *err);

/* The writing pass (or, with dry_run, the conflict count): creates,
 * inserts, builds indexes, checks, swaps; rolls back on any failure. */
int
mbk_engine_restore_apply(struct plan *p, struct mbk_error *err);

/* The order-independent checksum of one BSON document, added to sum. */
void
mbk_engine_restore_sum(uint64_t sum[2], const uint8_t *data, size_t len);

/* Add one document to s, as mongod would keep it. */
void
mbk_engine_restore_sum_doc(struct mbk_restore_sums *s, const uint8_t *data,
                           size_t len);

/* Do the documents read back match those written? */
bool
mbk_engine_restore_sums_equal(const struct mbk_restore_sums *written,
                              const struct mbk_restore_sums *read);

/* _id as short relaxed Extended JSON, for error reports. */
void
mbk_engine_restore_id_text(const bson_t *doc, char *buf, size_t len);

/* restore_swap.c: before the writing pass: leftovers of crashed runs
 * removed, what the target holds, staging or target collections made. */
int
mbk_engine_restore_prepare(struct plan *p, struct mbk_error *err);

/* After it: indexes, checks, then (with drop) the swap and the views. */
int
mbk_engine_restore_finish(struct plan *p, struct mbk_error *err);

/* Undo everything this run changed; says what in p->rep->rollback. */
void
mbk_engine_restore_rollback(struct plan *p);

/* Without drop, every change is written to the run's journal collection
 * in the target database BEFORE it is made, so that this run's rollback,
 * or the next run's recovery if this one dies or loses the server, can
 * undo exactly it.  entry is one of {c, i: [_ids inserted]},
 * {c, r: original document}, {c, created: true} (a collection or view we
 * create), {c, index: name}, {c, view: old view options}.  Thread-safe. */
int
mbk_engine_restore_journal(struct plan *p, bson_t *entry,
                           struct mbk_error *err);

/* restore_journal.c: run ids, collection-name lists, the journal replay. */
struct names {
    char **v;
    size_t n;
};

void
mbk_engine_restore_runid(char *buf, size_t len);

/* A listCollections/listIndexes callback collecting "name"s into a
 * struct names. */
int
mbk_engine_restore_on_name(const bson_t *doc, void *ud, struct mbk_error *err);

void
mbk_engine_restore_names_free(struct names *ns);

bool
mbk_engine_restore_names_has(const struct names *ns, const char *name);

/* Replay a journal collection backwards, then drop it.  Returns the
 * number of failed steps (the journal stays then); *last the last error. */
unsigned
mbk_engine_restore_undo(struct mbk_mongo *m, const char *db,
                        const char *journal, struct mbk_error *last);

void
mbk_engine_restore_progress(struct plan *p, const char *phase,
                            const char *coll);

#endif /* MBK_ENGINE_RESTORE_PRIVATE_H */
