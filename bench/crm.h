/*
 * crm.h: what the end-to-end benchmarks share: the CRM-like documents of
 * about 450 bytes they fill a database with, and running the real `mbk`
 * (or any program) as a child whose wall time, CPU seconds and peak RSS
 * are taken with wait4().  Single-threaded; exits on failure (benchmarks).
 */
#ifndef MBK_BENCH_CRM_H
#define MBK_BENCH_CRM_H

#include <mongoc/mongoc.h>

struct bench_usage {
    double wall; /* seconds */
    double cpu;  /* user + system seconds of the child */
    double rss;  /* peak RSS, MiB */
};

double
bench_now(void);

/* Insert n CRM-like documents into db.people. */
void
bench_crm_fill(mongoc_client_t *client, const char *db, long n);

/* Run argv[0] (a path) with argv, stdin from in_path (NULL: inherited),
 * stdout to out_path (NULL: /dev/null); exit(1) unless it exits 0. */
void
bench_run(const char *const *argv, const char *in_path, const char *out_path,
          struct bench_usage *u);

/* Run $MBK_BUILDDIR/cli/mbk with args (NULL-terminated); print one line
 * "N docs  WHAT  client CPU  peak RSS  wall". */
void
bench_run_mbk(const char *what, long n, const char *const *args,
              struct bench_usage *u);

/* rm -rf dir (a mkdtemp() folder of ours). */
void
bench_rm_rf(const char *dir);

#endif /* MBK_BENCH_CRM_H */
