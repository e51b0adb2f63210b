/*
 * options.c: the option parsers and defaults both front ends share
 * (options.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/options.h"

void
mbk_engine_backup_opts_init(struct mbk_backup_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->include_indexes = true;
    o->jobs = MBK_ENGINE_JOBS_DEFAULT;
}

void
mbk_engine_restore_opts_init(struct mbk_restore_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->conflict = MBK_RESTORE_SKIP;
    o->jobs = MBK_ENGINE_JOBS_DEFAULT;
}

const char *const mbk_engine_conflict_names[] = {"skip", "replace", "fail",
                                                 NULL};

int
mbk_engine_conflict_parse(const char *s, enum mbk_restore_conflict *out,
                          struct mbk_error *err)
{
    static const enum mbk_restore_conflict values[] = {
        MBK_RESTORE_SKIP, MBK_RESTORE_REPLACE, MBK_RESTORE_FAIL};

    for (size_t i = 0; mbk_engine_conflict_names[i] != NULL; i++) {
        if (strcmp(s, mbk_engine_conflict_names[i]) == 0) {
            *out = values[i];
            return 0;
        }
    }
    mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                  "conflict policy \"%.64s\" is not one of skip, "
                         "replace, fail", s);
    return mbk_error_field(err, "conflict");
}

const char *
mbk_engine_conflict_name(enum mbk_restore_conflict c)
{
    switch (c) {
    case MBK_RESTORE_REPLACE:
        return "replace";
    case MBK_RESTORE_FAIL:
        return "fail";
    case MBK_RESTORE_SKIP:
        break;
    }
    return "skip";
}

const char *
mbk_engine_spool_dir(const char *configured)
{
    const char *dir = configured;

    if (dir == NULL || dir[0] == '\0') {
        dir = getenv("TMPDIR");
    }
    return dir != NULL && dir[0] != '\0' ? dir : "/tmp";
}
