/*
 * restore_private.h: what the parts of restore share: the plan (restore.c),
 * the writing pass (restore_write.c), what surrounds it (restore_target.c),
 * the two strategies that decide where documents go and how a failure is
 * undone (restore_staging.c with drop, restore_journal.c without), and
 * the recovery of crashed runs (restore_recover.c).  Not part of the
 * engine's interface.
 */
#ifndef MBK_ENGINE_RESTORE_PRIVATE_H
#define MBK_ENGINE_RESTORE_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>

#include <bson/bson.h>
#include <json-c/json.h>

#include "engine/restore/restore.h"
#include "engine/source.h"
#include "engine/spool.h"

/* The collection where a restore with drop records its swap, so that the
 * next run can finish or undo a swap a crash interrupted. */
#define MBK_RS_SWAP_JOURNAL MBK_RESTORE_STAGING_PREFIX "journal"

/* At most this many documents go to the server in one batch. */
#define MBK_RS_BATCH_DOCS 1000

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

/* One collection of the backup as restore handles it. */
struct rs_coll {
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

struct rs_strategy;

struct rs_plan {
    struct mbk_mongo *m;
    const struct mbk_restore_input *in;
    const struct mbk_restore_opts *o;
    const struct rs_strategy *st; /* chosen once, by restore.c */
    struct mbk_restore_report *rep;
    struct json_object *meta;
    char db[64];               /* the target database */
    struct rs_coll *colls;     /* parallel to rep->colls */
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

/*
 * How a restore writes and how it is undone.  restore.c picks one before
 * anything is written; restore_write.c and restore_target.c call it, in
 * this order: check_target, prepare per collection, write_batch (from
 * several threads at once), indexing and check per collection, swap,
 * view per view, commit; rollback on any failure before commit.  A NULL
 * member has nothing to do.  With dry_run only check_target and prepare
 * are called.
 */
struct rs_strategy {
    const char *name;
    /* Checks that need the target, before anything is written. */
    int (*check_target)(struct rs_plan *p, struct mbk_error *err);
    /* Collection c before the data: c->dest set, the collection made
     * when needed.  target_is_view: the target's c is a view. */
    int (*prepare)(struct rs_plan *p, struct rs_coll *c, bool target_is_view,
                   struct mbk_error *err);
    /* n documents of c written.  Thread-safe. */
    int (*write_batch)(struct rs_plan *p, struct rs_coll *c, bson_t **docs,
                       size_t n, struct mbk_error *err);
    /* The index specs (an array) about to be built on c->dest. */
    int (*indexing)(struct rs_plan *p, struct rs_coll *c, const bson_t *specs,
                    struct mbk_error *err);
    /* After the data and indexes: does c hold what the backup holds? */
    int (*check)(struct rs_plan *p, struct rs_coll *c, struct mbk_error *err);
    /* Every collection put in place under its name. */
    int (*swap)(struct rs_plan *p, struct mbk_error *err);
    /* Make room for view c; entry is the target's listCollections entry
     * of the name, NULL when there is none.  1: leave the target as it
     * is (skipped), 0: create the view, -1: error. */
    int (*view)(struct rs_plan *p, struct rs_coll *c, const bson_t *entry,
                struct mbk_error *err);
    /* The point of no return: from here the new data stays. */
    int (*commit)(struct rs_plan *p, struct mbk_error *err);
    /* Undo everything this run changed; adds to *undone (collections put
     * back) and *failures (steps that failed, the last in *last). */
    void (*rollback)(struct rs_plan *p, unsigned *undone, unsigned *failures,
                     struct mbk_error *last);
};

/* restore_staging.c: with drop: into staging collections, read back,
 * swapped in by rename, rolled back by renaming back. */
extern const struct rs_strategy mbk_engine_restore_staging;

/* restore_journal.c: without drop: inserted and replaced in place, every
 * change journaled first, rolled back from the journal. */
extern const struct rs_strategy mbk_engine_restore_journaled;

/* ---- restore.c -------------------------------------------------------- */

/* The source for the writing pass: the storage or the file again, or the
 * copy of a stream. */
struct mbk_source *
mbk_engine_restore_reopen(struct rs_plan *p, struct mbk_error *err);

void
mbk_engine_restore_progress(struct rs_plan *p, const char *phase,
                            const char *coll);

/* ---- restore_write.c: the writing pass -------------------------------- */

/* The writing pass (or, with dry_run, the conflict count): prepares,
 * writes batches, finishes; rolls back on any failure. */
int
mbk_engine_restore_apply(struct rs_plan *p, struct mbk_error *err);

/* Insert n documents into c->dest, counting and summing what went in and
 * noting per-document errors.  On failure, failed_map (n entries, may be
 * NULL) marks the documents the server refused and *failed counts them. */
int
mbk_engine_restore_insert(struct rs_plan *p, struct rs_coll *c,
                          bson_t **docs, size_t n, uint8_t *failed_map,
                          uint64_t *failed, struct mbk_error *err);

/* A per-document error of c's report. */
void
mbk_engine_restore_note_error(struct rs_coll *c, const bson_t *doc,
                              const char *message);

/* The _id element of doc (type byte to end): equal keys, equal ids. */
int
mbk_engine_restore_id_key(const bson_t *doc, const uint8_t **key,
                          size_t *len);

/* The _ids of docs appended to the array arr, keyed by their index. */
void
mbk_engine_restore_append_ids(bson_t *arr, bson_t *const *docs, size_t n);

/* The target's documents whose _id is one of docs' (whole, or _id only). */
struct rs_existing {
    bson_t *docs[MBK_RS_BATCH_DOCS];
    size_t n;
};

int
mbk_engine_restore_find_existing(struct rs_plan *p, struct rs_coll *c,
                                 bson_t **docs, size_t n, bool whole,
                                 struct rs_existing *ex,
                                 struct mbk_error *err);

/* The document of ex with doc's _id, or NULL. */
const bson_t *
mbk_engine_restore_existing_get(const struct rs_existing *ex,
                                const bson_t *doc);

void
mbk_engine_restore_existing_free(struct rs_existing *ex);

/* ---- restore_target.c: around the writing pass ------------------------ */

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

/* The listCollections entry of name in the target, copied into out (may
 * be NULL); 1 found, 0 not, -1 error. */
int
mbk_engine_restore_lookup(struct rs_plan *p, const char *name, bson_t *out,
                          struct mbk_error *err);

/* The options of a view's listCollections entry kept in c->old_view,
 * for the rollback. */
void
mbk_engine_restore_keep_view(struct rs_coll *c, const bson_t *entry);

/* c->dest holds exactly the backup's documents: the count, and the sums
 * of every document read back. */
int
mbk_engine_restore_read_back(struct rs_plan *p, struct rs_coll *c,
                             struct mbk_error *err);

/* c->dest created with the backup's options (unless no_options). */
int
mbk_engine_restore_create_dest(struct rs_plan *p, struct rs_coll *c,
                               struct mbk_error *err);

/* Before the writing pass: leftovers of crashed runs removed, what the
 * target holds, the strategy's preparation. */
int
mbk_engine_restore_prepare(struct rs_plan *p, struct mbk_error *err);

/* After it: indexes, checks, the swap, the views, the commit. */
int
mbk_engine_restore_finish(struct rs_plan *p, struct mbk_error *err);

/* Undo everything this run changed; says what in p->rep->rollback. */
void
mbk_engine_restore_rollback(struct rs_plan *p);

/* ---- restore_journal.c ------------------------------------------------ */

/* Without drop, every change is written to the run's journal collection
 * in the target database BEFORE it is made, so that this run's rollback,
 * or the next run's recovery if this one dies or loses the server, can
 * undo exactly it.  entry is one of {c, i: [_ids inserted]},
 * {c, ni: [_ids not ours after all]}, {c, r: original document},
 * {c, created: true} (a collection or view we create), {c, index: name},
 * {c, view: old view options}.  Thread-safe. */
int
mbk_engine_restore_journal(struct rs_plan *p, bson_t *entry,
                           struct mbk_error *err);

/* Replay a journal collection backwards, then drop it.  Returns the
 * number of failed steps (the journal stays then); *last the last error. */
unsigned
mbk_engine_restore_undo(struct mbk_mongo *m, const char *db,
                        const char *journal, struct mbk_error *last);

/* ---- restore_recover.c: run ids, name lists, crashed runs ------------- */

struct rs_names {
    char **v;
    size_t n;
};

void
mbk_engine_restore_runid(char *buf, size_t len);

/* A listCollections/listIndexes callback collecting "name"s into a
 * struct rs_names. */
int
mbk_engine_restore_on_name(const bson_t *doc, void *ud, struct mbk_error *err);

void
mbk_engine_restore_names_free(struct rs_names *ns);

bool
mbk_engine_restore_names_has(const struct rs_names *ns, const char *name);

#endif /* MBK_ENGINE_RESTORE_PRIVATE_H */
