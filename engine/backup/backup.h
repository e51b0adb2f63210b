/*
 * backup.h: writing a database out as an mbk backup file (the seed's JSON
 * structure, documents in canonical Extended JSON v2) into a storage
 * backend, collections read in parallel, published atomically.
 * mbk_engine_backup_run() blocks; it may run in several threads at once on
 * different options.  The progress callback runs in the calling thread.
 */
#ifndef MBK_ENGINE_BACKUP_H
#define MBK_ENGINE_BACKUP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "engine/audit/audit.h"
#include "engine/error.h"
#include "engine/mongo/mongo.h"
#include "storage/loader.h"

#define MBK_BACKUP_FORMAT "mbk/1"
#define MBK_BACKUP_SEED_VERSION "1.0" /* metadata.version of the seed */

/* A snapshot of a running operation, for progress lines and job APIs. */
struct mbk_progress {
    const char *phase;      /* "listing", "reading", "publishing", "done" */
    const char *collection; /* the latest one started, or NULL */
    uint32_t collections_done;
    uint32_t collections_total;
    uint64_t docs_done;
    uint64_t docs_total; /* estimate from the server's counts */
    uint64_t bytes_done; /* JSON text bytes written */
    double elapsed;      /* seconds */
    uint32_t indexes_done;  /* a restore's "building indexes" phase: index */
    uint32_t indexes_total; /* specs of the backup built so far, in all */
};

typedef void (*mbk_progress_fn)(const struct mbk_progress *p, void *ud);

struct mbk_backup_opts {
    const char *db;             /* required */
    const char *name;           /* the backup's name; NULL: db's */
    const char *description;    /* NULL: "" */
    int gzip_level;             /* 0: none; else gzip, engine/gzip.h */
    bool include_indexes;
    bool timestamp;             /* append _YYYY-MM-DDTHH-MM-SSZ to name */
    const char *const *include; /* NULL-terminated globs; NULL: all */
    const char *const *exclude; /* NULL-terminated globs; NULL: none */
    unsigned jobs;              /* collections read at once; 0: the
                                 * default (engine/options.h) */
    const char *spool_dir;      /* NULL: $TMPDIR, else /tmp */
    atomic_int *cancel;         /* set non-zero to stop; may be NULL */
    mbk_progress_fn progress;   /* may be NULL */
    void *progress_ud;
};

struct mbk_backup_coll {
    char *name;
    char type[16];          /* "collection" or "view" */
    uint64_t docs;
    uint64_t bytes;         /* of its JSON array text */
    char sha256[65];        /* hex */
};

struct mbk_backup_result {
    char file[160];         /* the stored name, e.g. "x.json.gz" */
    char backup_name[160];  /* metadata.backupName */
    char timestamp[32];     /* metadata.timestamp */
    uint64_t size;          /* bytes stored */
    char sha256[65];        /* SHA-256 of the bytes stored (hex) */
    uint64_t docs;
    uint64_t json_bytes;    /* uncompressed size */
    size_t ncoll;
    struct mbk_backup_coll *colls;
    double seconds;
    double publish_seconds; /* of which: metadata + copying the spools */
};

/*
 * The options' rules, before anything runs (mbk_engine_backup_run checks
 * them again): a database, a gzip level in range, a backup name that the
 * naming rule accepts and that agrees with the compression.  0, or -1
 * with err->field naming the option at fault ("backupName",
 * "compressionLevel") where one is.  A front end that answers before the
 * run starts (the API's 202) calls it first.
 */
int
mbk_engine_backup_check(const struct mbk_backup_opts *o,
                        struct mbk_error *err);

int
mbk_engine_backup_run(struct mbk_mongo *m, struct mbk_storage *st,
                      const struct mbk_backup_opts *o,
                      struct mbk_backup_result *res, struct mbk_error *err);

void
mbk_engine_backup_result_free(struct mbk_backup_result *res); /* NULL-safe */

/*
 * The result as the one JSON object both front ends print (`mbk backup
 * --json`, the API's "data"): {"file", "backupName", "storage",
 * ["destinationPath",] "timestamp", "size", "sha256", "documentCount",
 * "jsonBytes", "durationSeconds", "publishSeconds", "collections": {NAME:
 * {"type", "documentCount", "bytes", "sha256"}}}.  storage is the name the
 * front end knows the storage by; destination, when not NULL, the folder
 * the request named.  The caller owns the object.
 */
struct json_object *
mbk_engine_backup_result_json(const struct mbk_backup_result *res,
                              const char *storage, const char *destination);

/*
 * The audit entry of a backup run with o, whose result is res (failure
 * NULL) or which failed with failure: operation "backup", params (the
 * options under the API's names), outcome ("ok", "failed", "canceled"),
 * counts, duration, backup, sha256.  Release it with
 * mbk_audit_entry_release (engine/audit.h).
 */
void
mbk_engine_backup_audit(const struct mbk_backup_opts *o, const char *storage,
                        const char *destination,
                        const struct mbk_backup_result *res,
                        const struct mbk_error *failure,
                        struct mbk_audit_entry *ae);

#endif /* MBK_ENGINE_BACKUP_H */
