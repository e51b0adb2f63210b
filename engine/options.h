/*
 * options.h: option values both front ends take, parsed and defaulted
 * once here: the restore conflict policy by name, and the spool folder
 * ($TMPDIR, else /tmp).  Pure functions, thread-safe.
 */
#ifndef MBK_ENGINE_OPTIONS_H
#define MBK_ENGINE_OPTIONS_H

#include "engine/error.h"
#include "engine/restore/restore.h"

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
