/*
 * names.h: the naming rules mbk enforces: backup names and the files they
 * become, MongoDB database and collection names, include/exclude globs,
 * and the timestamps written into backups.  All functions are pure and
 * thread-safe.
 */
#ifndef MBK_ENGINE_NAMES_H
#define MBK_ENGINE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

/* A backup name, with its extension (storage/mbk_storage.h's rule). */
#define MBK_NAMES_BACKUP_MAX MBK_STORAGE_NAME_MAX
#define MBK_NAMES_DB_MAX 63      /* MongoDB: fewer than 64 bytes */
#define MBK_NAMES_NS_MAX 255     /* MongoDB: "db.collection" in bytes */

/* A backup name: [A-Za-z0-9._-], 1..128 characters, no leading dot: the
 * one rule of storage/mbk_storage.h (STORAGE/EBADNAME), which host and
 * plugins share. */
int
mbk_names_backup_check(const char *name, struct mbk_error *err);

/*
 * The file a backup is stored as: name, then "_YYYY-MM-DDTHH-MM-SSZ" of
 * now_ms when timestamp is set, then ".json" or ".json.gz".  A name that
 * already ends in the extension the compression asks for keeps it; the
 * other extension is an error.  stem gets the name without extension.
 */
int
mbk_names_backup_file(const char *name, bool timestamp, bool gzip,
                      int64_t now_ms, char *file, size_t file_len,
                      char *stem, size_t stem_len, struct mbk_error *err);

/* MongoDB's rules for database names (on Unix). */
int
mbk_names_db_check(const char *db, struct mbk_error *err);

/* MongoDB's rules for collection names in db (db may be NULL). */
int
mbk_names_coll_check(const char *db, const char *coll, struct mbk_error *err);

/* "*" matches any run of characters, everything else itself. */
bool
mbk_names_glob_match(const char *pattern, const char *name);

/* Whether any pattern of the NULL-terminated list matches. */
bool
mbk_names_list_match(const char *const *patterns, const char *name);

/* ISO-8601 UTC with milliseconds: "2026-11-26T13:00:00.123Z". */
void
mbk_names_iso8601(int64_t ms, char *buf, size_t len);

/* Lowercase hex of the n bytes at d into out, which holds 2n + 1 bytes:
 * how digests are written everywhere (metadata, audit, reports). */
void
mbk_names_hex(const unsigned char *d, size_t n, char *out);

/* Seconds on the monotonic clock, for durations. */
double
mbk_names_seconds(void);

/* Milliseconds since the epoch, now. */
int64_t
mbk_names_now_ms(void);

#endif /* MBK_ENGINE_NAMES_H */
