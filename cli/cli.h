/*
 * cli.h: what the mbk subcommands share: the common options, exit codes,
 * and helpers to open the database and storage they name.
 */
#ifndef MBK_CLI_H
#define MBK_CLI_H

#include <stdbool.h>

#include <json-c/json.h>

#include "engine/backup/backup.h"
#include "engine/error.h"
#include "engine/mongo/mongo.h"
#include "storage/loader.h"

/* Exit codes, documented in mbk(1). */
enum {
    MBK_EXIT_OK = 0,
    MBK_EXIT_FAILED = 1,      /* the operation failed (message says why) */
    MBK_EXIT_USAGE = 2,       /* bad command line */
    MBK_EXIT_UNREACHABLE = 3, /* MongoDB could not be reached */
    MBK_EXIT_STORAGE = 4,     /* storage: not found, exists, I/O */
    MBK_EXIT_INVALID = 5,     /* a backup failed verification */
    MBK_EXIT_LIMIT = 6        /* input over a limit (size, depth, length) */
};

struct mbk_cli {
    const char *uri;
    const char *db;
    const char *storage;
    const char *plugin_dir;
    bool json;
    bool quiet;
    bool progress; /* a live progress line on stderr */
    const char *audit_log; /* --audit-log / MBK_AUDIT_LOG, or NULL: none */
};

/* Long options every subcommand takes; returns 1 if opt was one. */
int
mbk_cli_common_opt(struct mbk_cli *c, int opt, const char *arg);

#define MBK_CLI_COMMON_LONGOPTS                                        \
    {"uri", required_argument, NULL, 1001},                            \
        {"db", required_argument, NULL, 1002},                         \
        {"storage", required_argument, NULL, 1003},                    \
        {"plugin-dir", required_argument, NULL, 1004},                 \
        {"json", no_argument, NULL, 1005},                             \
        {"audit-log", required_argument, NULL, 1006},                  \
        {"quiet", no_argument, NULL, 'q'},                             \
        {"help", no_argument, NULL, 'h'}

struct mbk_mongo *
mbk_cli_mongo(const struct mbk_cli *c, unsigned jobs, struct mbk_error *err);

struct mbk_storage *
mbk_cli_storage(const struct mbk_cli *c, struct mbk_error *err);

/* The database: --db, else the URI's, else an error. */
const char *
mbk_cli_db(const struct mbk_cli *c, const struct mbk_mongo *m,
           struct mbk_error *err);

/* Print the error (as JSON with --json) and map it to an exit code. */
int
mbk_cli_fail(const struct mbk_cli *c, const char *what,
             const struct mbk_error *err);

/* Print a JSON result object with --json ({"success":true,"data":obj})
 * and release it. */
void
mbk_cli_print_json(struct json_object *data);

/* The progress callback: one line on stderr, rewritten in place. */
void
mbk_cli_progress(const struct mbk_progress *p, void *ud);
void
mbk_cli_progress_end(const struct mbk_cli *c);

/* Append the engine's audit entry of an operation, with who ran it (the
 * user, "cli@HOST"), when an audit log is set (a warning on stderr if it
 * cannot be written); then release it (mbk_audit_entry_release). */
void
mbk_cli_audit_record(const struct mbk_cli *c, struct mbk_audit_entry *ae);

/* A growing NULL-terminated list of an option's values, repeatable, and
 * "a,b" adds two (--include, --exclude, --collections). */
struct mbk_cli_list {
    char **v;
    size_t n;
};

int
mbk_cli_list_add(struct mbk_cli_list *l, const char *arg); /* -1: ENOMEM */

void
mbk_cli_list_free(struct mbk_cli_list *l);

/* --jobs N: 1 to 64; else a message naming cmd and -1. */
int
mbk_cli_jobs(const char *cmd, const char *arg, unsigned *jobs);

/* "12.3 MB" style sizes. */
const char *
mbk_cli_bytes(unsigned long long n, char *buf, unsigned len);

int
mbk_cli_backup(struct mbk_cli *c, int argc, char **argv);
int
mbk_cli_list(struct mbk_cli *c, int argc, char **argv);
int
mbk_cli_verify(struct mbk_cli *c, int argc, char **argv);
int
mbk_cli_stats(struct mbk_cli *c, int argc, char **argv);
int
mbk_cli_restore(struct mbk_cli *c, int argc, char **argv);
int
mbk_cli_audit(struct mbk_cli *c, int argc, char **argv);
int
mbk_cli_rm(struct mbk_cli *c, int argc, char **argv);
int
mbk_cli_cat(struct mbk_cli *c, int argc, char **argv);

#endif /* MBK_CLI_H */
