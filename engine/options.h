/*
 * options.h: option values both front ends take, parsed and defaulted
 * once here: the options' defaults (init), the restore conflict policy by
 * name, and the spool folder ($TMPDIR, else /tmp).  Pure functions,
 * thread-safe.
 */
#ifndef MBK_ENGINE_OPTIONS_H
#define MBK_ENGINE_OPTIONS_H

#include "engine/error.h"
#include "engine/backup/backup.h"
#include "engine/restore/restore.h"

/* Collections read at once (backup), insert workers (restore). */
#define MBK_ENGINE_JOBS_DEFAULT 2u

/* The defaults, which both front ends start from: every field zero or
 * NULL but include_indexes (true) and jobs (MBK_ENGINE_JOBS_DEFAULT);
 * name NULL is the database's name, gzip_level 0 no gzip (a front end
 * that asks for gzip without a level uses MBK_GZIP_LEVEL_DEFAULT),
 * spool_dir NULL is mbk_engine_spool_dir(NULL). */
void
mbk_engine_backup_opts_init(struct mbk_backup_opts *o);

/* Every field zero or NULL (conflict MBK_RESTORE_SKIP, target_db NULL:
 * the backup's database) but jobs (MBK_ENGINE_JOBS_DEFAULT). */
void
mbk_engine_restore_opts_init(struct mbk_restore_opts *o);

/* The policies' names in enum order, NULL-terminated: what a front end
 * offers ("skip", "replace", "fail"). */
extern const char *const mbk_engine_conflict_names[];

/* A policy by name into *out; ENGINE/EINVAL naming the value and the
 * choices otherwise (*out unchanged). */
int
mbk_engine_conflict_parse(const char *s, enum mbk_restore_conflict *out,
                          struct mbk_error *err);

/* The name of a policy ("skip" for an unknown value). */
const char *
mbk_engine_conflict_name(enum mbk_restore_conflict c);

/* The folder for spool files: configured when set and not empty, else
 * $TMPDIR when set and not empty, else /tmp. */
const char *
mbk_engine_spool_dir(const char *configured);

#endif /* MBK_ENGINE_OPTIONS_H */
