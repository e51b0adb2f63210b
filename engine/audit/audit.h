/*
 * audit.h: the audit trail.  Every backup, restore, dry run, download,
 * upload and delete appends one JSON line: time, user, client address,
 * operation, parameters (never a password), outcome, counts, duration,
 * the backup's digest, and "prev": the SHA-256 of the previous line, so
 * that any edit breaks the chain (mbk audit verify).  Each line is
 * fsync'd before append returns.
 * Thread-safe: one struct mbk_audit may be shared by many threads (and
 * processes append safely too: lines are written under an flock).
 *
 * A torn last line (no newline at the end, after a crash) is kept: the
 * next append ends it with a newline and chains to its bytes, so verify
 * reports exactly that line (as not JSON) and the chain goes on after it.
 * Rotation (logrotate's rename and create) starts a new chain: each file
 * verifies on its own.  The chain has no key: it shows edits and removals
 * of lines followed by later lines, not a cut at the end of the file.
 */
#ifndef MBK_ENGINE_AUDIT_H
#define MBK_ENGINE_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "engine/error.h"

struct mbk_audit;

/* A line, without its newline, is at most this many bytes: params are
 * replaced by {"truncated":true,"bytes":N} when they would not fit, and
 * an entry that still does not fit is refused.  Reading treats a longer
 * line as not an audit line. */
#define MBK_AUDIT_LINE_MAX 65536

/* Codes of the ENGINE domain are reused: EFORMAT for a broken line,
 * EDIGEST for a broken chain. */

struct mbk_audit_entry {
    const char *user;           /* the authenticated user, or NULL */
    const char *client;         /* the client's address, or NULL */
    const char *operation;      /* "backup", "restore", "dry-run",
                                 * "download", "upload", "delete", ...
                                 * (required) */
    struct json_object *params; /* lent; may be NULL; no secrets in it */
    const char *outcome;        /* "ok", "failed", "rolled-back", ...
                                 * (required) */
    const char *error;          /* the error message when failed, or NULL
                                 * (URI passwords removed, cut at 4 KiB) */
    struct json_object *counts; /* lent; may be NULL */
    double duration;            /* seconds */
    const char *backup;         /* the backup's name, or NULL */
    const char *sha256;         /* the backup's digest (hex), or NULL */
    const char *role;           /* the user's role (mbk-fcgi), or NULL */
};

/* An entry the engine built for an operation (mbk_engine_backup_audit,
 * mbk_engine_restore_audit, mbk_engine_verify_audit, stored.h) owns its
 * params and counts: the front end adds who asked (user, client, role),
 * appends it, then releases it here (NULL-safe; the strings stay lent
 * from the operation's options, result and error). */
void
mbk_audit_entry_release(struct mbk_audit_entry *e);

/*
 * Every "scheme://user:password@host" inside s with the password replaced
 * by "***".  A malloc'd copy when *changed, else NULL (also NULL with
 * *changed on ENOMEM: then drop the string).
 */
char *
mbk_audit_redact_uris(const char *s, bool *changed);

/* Open (creating it 0640) the log at path for appending.  Only a
 * regular file is accepted. */
struct mbk_audit *
mbk_audit_open(const char *path, struct mbk_error *err);

void
mbk_audit_close(struct mbk_audit *a); /* NULL-safe */

/* Close and open the file again (after logrotate; SIGHUP). */
int
mbk_audit_reopen(struct mbk_audit *a, struct mbk_error *err);

/* Append one line, chained to the last line in the file, and fsync.
 * Secrets are removed from a copy of params (keys containing "password",
 * "passwd", "secret" or "token", any case; the password of a URI inside a
 * string becomes ***).  When the path now names another file than the
 * one open (renamed by logrotate), the path is opened again first. */
int
mbk_audit_append(struct mbk_audit *a, const struct mbk_audit_entry *e,
                 struct mbk_error *err);

/* Reading, newest first: lines matching the filter (NULL fields match
 * anything; operation, user and outcome match exactly; text matches a
 * substring anywhere in the line, ASCII case ignored), skipping `offset`
 * matches, at most `limit` (0: all).  Each line is handed to fn as a
 * parsed object (lent); fn returns 0 to go on, anything else stops the
 * walk and mbk_audit_read fails with ECANCELED.  *total gets the number
 * of matches.  Lines that are not JSON objects are skipped (verify
 * reports them); a missing log reads as an empty one. */
struct mbk_audit_filter {
    const char *operation;
    const char *user;
    const char *outcome;
    const char *text;
    const char *since; /* ISO-8601 UTC time, inclusive */
    const char *until; /* ISO-8601 UTC time, exclusive; both may be a
                        * date, or a date with a time down to the
                        * milliseconds ("2026-11-26", "2026-11-26T13:05",
                        * "2026-11-26T13:05:09.042Z"); other forms are
                        * an EINVAL error */
};

typedef int (*mbk_audit_fn)(struct json_object *line, void *ud);

/* Entries a page holds when the caller names no limit. */
#define MBK_AUDIT_PAGE_DEFAULT 50

/* One page of the log as both front ends print it (`mbk audit --json`,
 * the API's GET .../audit): {"total", "offset", "limit", "entries"}
 * (entries taken).  A front end adds its framing: the CLI "log" (the
 * path), the service "enabled". */
struct json_object *
mbk_audit_page_json(uint64_t total, uint64_t offset, uint64_t limit,
                    struct json_object *entries);

int
mbk_audit_read(const char *path, const struct mbk_audit_filter *f,
               uint64_t offset, uint64_t limit, mbk_audit_fn fn, void *ud,
               uint64_t *total, struct mbk_error *err);

/* Walk the whole chain: 0 when every line is well-formed and its "prev"
 * is the SHA-256 of the line before (the first line's prev is 64 zeros).
 * *lines gets the count; on a break, *bad_line the 1-based line number
 * and err says what is wrong there (EFORMAT: not a JSON object, torn or
 * too long; EDIGEST: a "prev" that does not match).  When the log cannot
 * be read at all, *bad_line is left alone. */
int
mbk_audit_verify(const char *path, uint64_t *lines, uint64_t *bad_line,
                 struct mbk_error *err);

#endif /* MBK_ENGINE_AUDIT_H */
