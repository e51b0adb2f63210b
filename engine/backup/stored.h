/*
 * stored.h: one stored backup as an engine operation, for both front ends
 * (mbk rm / mbk cat, DELETE and download): remove it, or open it for
 * reading (its size, then its bytes as stored), each with the result and
 * the audit entry the engine builds.
 *
 * Ownership: mbk_engine_stored_open returns what the caller frees with
 * mbk_engine_stored_close; one reader belongs to one thread at a time.
 */
#ifndef MBK_ENGINE_STORED_H
#define MBK_ENGINE_STORED_H

#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "engine/audit/audit.h"
#include "engine/error.h"
#include "storage/loader.h"

/*
 * Remove one backup (STORAGE/ENOTSUP without CAP_REMOVE, STORAGE/ENOTFOUND
 * when absent).  ae, when not NULL, receives the audit entry of the
 * operation whatever the result: operation "delete", params {"name",
 * "storage"}, backup, outcome, error (lent from err), duration; the caller
 * adds who asked (user, client, role), records it and releases it
 * (mbk_audit_entry_release).  storage: the name the front end knows the
 * storage by.
 */
int
mbk_engine_stored_remove(struct mbk_storage *st, const char *name,
                         const char *storage, struct mbk_audit_entry *ae,
                         struct mbk_error *err);

/* The result of a remove, as both front ends print it (caller's):
 * {"deleted": name, "storage": storage}. */
struct json_object *
mbk_engine_stored_remove_json(const char *name, const char *storage);

struct mbk_engine_stored;

/*
 * Open one backup for reading: its entry (mbk_storage_stat: the size,
 * without listing the store), then a reader.  ae as above, operation
 * "download".  NULL and err (STORAGE/ENOTFOUND when absent) on failure.
 */
struct mbk_engine_stored *
mbk_engine_stored_open(struct mbk_storage *st, const char *name,
                       const char *storage, struct mbk_audit_entry *ae,
                       struct mbk_error *err);

/* Bytes as stored. */
uint64_t
mbk_engine_stored_size(const struct mbk_engine_stored *s);

/* Bytes read into buf, 0 at the end, -1 and err on failure. */
ssize_t
mbk_engine_stored_read(struct mbk_engine_stored *s, void *buf, size_t len,
                       struct mbk_error *err);

void
mbk_engine_stored_close(struct mbk_engine_stored *s); /* NULL-safe */

/* The media type of a backup by its name: application/gzip for .gz,
 * else application/json. */
const char *
mbk_engine_stored_type(const char *name);

/*
 * CAP_LOCAL_PATH: the backup's path relative to the storage's location,
 * after checking that it exists (stat), for a server that sends the file
 * itself (nginx's X-Accel-Redirect).  ae as mbk_engine_stored_open.
 */
int
mbk_engine_stored_path(struct mbk_storage *st, const char *name,
                       const char *storage, char *buf, size_t len,
                       struct mbk_audit_entry *ae, struct mbk_error *err);

#endif /* MBK_ENGINE_STORED_H */
