/*
 * restore.h: restoring an mbk backup (or a file of the original service)
 * into MongoDB, streaming, validated before any write, and safe: with drop
 * the data is built in staging collections and swapped in only when every
 * collection succeeded; without drop every insert and replacement is
 * journaled and undone on failure.  mbk_engine_restore_run() blocks; the
 * progress callback runs in the calling thread.
 */
#ifndef MBK_ENGINE_RESTORE_H
#define MBK_ENGINE_RESTORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "engine/backup/backup.h"
#include "engine/error.h"
#include "engine/mongo/mongo.h"
#include "storage/loader.h"

/* Staging and journal collections carry this prefix; backups skip them. */
#define MBK_RESTORE_STAGING_PREFIX "__mbk_staging."

enum mbk_restore_conflict {
    MBK_RESTORE_SKIP = 0, /* keep the existing document (mongorestore's) */
    MBK_RESTORE_REPLACE,  /* replace it by the backup's */
    MBK_RESTORE_FAIL      /* fail the restore (and roll back) */
};

/* Where the backup comes from: exactly one of the three. */
struct mbk_restore_input {
    struct mbk_storage *storage; /* with name: a backup in a storage */
    const char *name;
    const char *path; /* a file the caller checked lies under an allowed
                       * root; opened O_NOFOLLOW */
    int fd;           /* a stream (upload, stdin), read once; -1 if unused */
};

struct mbk_restore_opts {
    const char *target_db;           /* NULL: the backup's database */
    const char *const *collections;  /* NULL-terminated; NULL: all */
    bool drop;                       /* replace the collections wholesale */
    bool dry_run;
    enum mbk_restore_conflict conflict;
    bool no_indexes;                 /* leave indexes out */
    bool no_options;                 /* create collections without options */
    bool ordered;                    /* keep insertion order (slower) */
    bool single_pass;                /* no validation pass first */
    bool bypass_validation;          /* bypassDocumentValidation */
    unsigned jobs;                   /* insert workers; 0: 2 */
    uint64_t max_bytes;              /* decompressed size limit; 0: 64 GiB */
    const char *spool_dir;           /* NULL: $TMPDIR, else /tmp */
    atomic_int *cancel;              /* non-zero: stop and roll back */
    mbk_progress_fn progress;
    void *progress_ud;
};

#define MBK_RESTORE_ERRORS_KEPT 5

struct mbk_restore_coll {
    char name[256];
    char type[16]; /* "collection" or "view" */
    uint64_t docs; /* in the file */
    uint64_t bytes;
    uint64_t inserted;
    uint64_t skipped;
    uint64_t replaced;
    uint64_t failed;
    uint32_t indexes;         /* index specs in the backup */
    uint32_t indexes_created;
    uint32_t indexes_converted; /* legacy specs converted as mongorestore's
                                 * --convertLegacyIndexes would */
    bool options;             /* the backup has collection options */
    bool typed;               /* Extended JSON type wrappers seen */
    /* documents whose _id the server moved first, and those with an empty
     * top-level Timestamp the server filled in (counted with drop) */
    uint64_t reordered;
    uint64_t filled_timestamps;
    double seconds;
    /* what the target held (dry run, and before a real restore) */
    bool target_exists;
    int64_t target_docs;
    bool target_capped; /* without drop: capped, and the backup fits */
    uint64_t conflicts; /* _ids of the file already in the target */
    uint32_t nerrors;
    struct {
        char id[128]; /* the document's _id, relaxed Extended JSON */
        char message[200];
    } errors[MBK_RESTORE_ERRORS_KEPT];
};

struct mbk_restore_report {
    const char *status; /* "ok", "dry-run", "failed", "rolled-back" */
    char source_db[64];
    char target_db[64];
    char backup_sha256[65]; /* of the stored bytes */
    bool typed;             /* the file carries type information */
    bool digests_checked;
    uint64_t docs;
    uint64_t inserted;
    uint64_t skipped;
    uint64_t replaced;
    uint64_t failed;
    size_t ncoll;
    struct mbk_restore_coll *colls;
    double seconds;
    char rollback[256]; /* what the rollback did, when there was one */
};

/* 0 when everything asked was done (or, for a dry run, validated); -1
 * with err otherwise, the report then says what was done and undone.
 * Free the report in both cases. */
int
mbk_engine_restore_run(struct mbk_mongo *m, const struct mbk_restore_input *in,
                       const struct mbk_restore_opts *o,
                       struct mbk_restore_report *rep, struct mbk_error *err);

void
mbk_engine_restore_report_free(struct mbk_restore_report *rep);

/*
 * The report as the JSON both front ends print unchanged (restore_report.c):
 * {"status", "sourceDatabase", "targetDatabase", "dryRun", "dropExisting",
 *  "backupSha256", "digestsChecked", "typed", "documentCount", "inserted",
 *  "skipped", "replaced", "failed", "durationSeconds", ["rollback"],
 *  "collections": {NAME: {"type", "documentCount", "bytes", "indexes",
 *  "options", "typed", "targetExists", "targetDocuments", "cappedTarget",
 *  "conflicts", "inserted", "skipped", "replaced", "failed",
 *  "indexesCreated", "indexesConverted", "reorderedByServer",
 *  "timestampsFilledByServer", "durationSeconds",
 *  "errors": [{"_id", "message"}]}}}.  The caller owns it (json_object_put).
 */
struct json_object *
mbk_engine_restore_report_json(const struct mbk_restore_report *rep,
                               const struct mbk_restore_opts *o);

/*
 * The audit entry of a restore (or dry run) with o from in, whose report
 * is rep, failed with failure (NULL when it held): operation "restore" or
 * "dry-run", params under the API's names with "source" the kind of input
 * ("storage" with "backupName" and "storage", "path" with "path", or
 * "stream": an upload or stdin), outcome (rep->status), error, counts,
 * duration, backup, sha256.  storage: the name the front end knows the
 * storage by; path: the file in->fd was opened from, when it was.
 * Release it with mbk_audit_entry_release (engine/audit.h).
 */
void
mbk_engine_restore_audit(const struct mbk_restore_input *in,
                         const char *storage, const char *path,
                         const struct mbk_restore_opts *o,
                         const struct mbk_restore_report *rep,
                         const struct mbk_error *failure,
                         struct mbk_audit_entry *ae);

/* Remove what crashed restores left in db: staging collections, and
 * interrupted swaps rolled back.  Also run at the start of every restore.
 * *removed counts the collections dropped or renamed back. */
int
mbk_engine_restore_recover(struct mbk_mongo *m, const char *db,
                           unsigned *removed, struct mbk_error *err);

#endif /* MBK_ENGINE_RESTORE_H */
