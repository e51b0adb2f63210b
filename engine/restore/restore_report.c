/*
 * restore_report.c: a restore's report as the one JSON object both front
 * ends print unchanged (`mbk restore --json` and the API's "data"), and
 * its audit entry.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "engine/options.h"
#include "engine/restore/restore.h"

static void
add_u64(struct json_object *o, const char *key, uint64_t v)
{
    json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

/* What became of the documents: the counts a report and an audit entry
 * share. */
static void
add_outcomes(struct json_object *o, uint64_t inserted, uint64_t skipped,
             uint64_t replaced, uint64_t failed)
{
    add_u64(o, "inserted", inserted);
    add_u64(o, "skipped", skipped);
    add_u64(o, "replaced", replaced);
    add_u64(o, "failed", failed);
}

static struct json_object *
coll_json(const struct mbk_restore_coll *c)
{
    struct json_object *o = json_object_new_object();
    struct json_object *errs = json_object_new_array();

    json_object_object_add(o, "type", json_object_new_string(c->type));
    add_u64(o, "documentCount", c->docs);
    add_u64(o, "bytes", c->bytes);
    add_u64(o, "indexes", c->indexes);
    json_object_object_add(o, "options", json_object_new_boolean(c->options));
    json_object_object_add(o, "typed", json_object_new_boolean(c->typed));
    json_object_object_add(o, "targetExists",
                           json_object_new_boolean(c->target_exists));
    json_object_object_add(o, "targetDocuments",
                           json_object_new_int64(c->target_docs));
    json_object_object_add(o, "cappedTarget",
                           json_object_new_boolean(c->target_capped));
    add_u64(o, "conflicts", c->conflicts);
    add_outcomes(o, c->inserted, c->skipped, c->replaced, c->failed);
    add_u64(o, "indexesCreated", c->indexes_created);
    add_u64(o, "indexesConverted", c->indexes_converted);
    add_u64(o, "reorderedByServer", c->reordered);
    add_u64(o, "timestampsFilledByServer", c->filled_timestamps);
    json_object_object_add(o, "durationSeconds",
                           json_object_new_double(c->seconds));
    for (uint32_t i = 0; i < c->nerrors; i++) {
        struct json_object *e = json_object_new_object();

        json_object_object_add(e, "_id",
                               json_object_new_string(c->errors[i].id));
        json_object_object_add(e, "message",
                               json_object_new_string(c->errors[i].message));
        json_object_array_add(errs, e);
    }
    json_object_object_add(o, "errors", errs);
    return o;
}

struct json_object *
mbk_engine_restore_report_json(const struct mbk_restore_report *rep,
                               const struct mbk_restore_opts *o)
{
    struct json_object *d = json_object_new_object();
    struct json_object *colls = json_object_new_object();

    json_object_object_add(d, "status", json_object_new_string(
                                            rep->status ? rep->status : ""));
    json_object_object_add(d, "sourceDatabase",
                           json_object_new_string(rep->source_db));
    json_object_object_add(d, "targetDatabase",
                           json_object_new_string(rep->target_db));
    json_object_object_add(d, "dryRun", json_object_new_boolean(o->dry_run));
    json_object_object_add(d, "dropExisting",
                           json_object_new_boolean(o->drop));
    json_object_object_add(d, "backupSha256",
                           json_object_new_string(rep->backup_sha256));
    json_object_object_add(d, "digestsChecked",
                           json_object_new_boolean(rep->digests_checked));
    json_object_object_add(d, "typed", json_object_new_boolean(rep->typed));
    add_u64(d, "documentCount", rep->docs);
    add_outcomes(d, rep->inserted, rep->skipped, rep->replaced, rep->failed);
    json_object_object_add(d, "durationSeconds",
                           json_object_new_double(rep->seconds));
    if (rep->rollback[0] != '\0') {
        json_object_object_add(d, "rollback",
                               json_object_new_string(rep->rollback));
    }
    for (size_t i = 0; i < rep->ncoll; i++) {
        json_object_object_add(colls, rep->colls[i].name,
                               coll_json(&rep->colls[i]));
    }
    json_object_object_add(d, "collections", colls);
    return d;
}

void
mbk_engine_restore_audit(const struct mbk_restore_input *in,
                         const char *storage, const char *path,
                         const struct mbk_restore_opts *o,
                         const struct mbk_restore_report *rep,
                         const struct mbk_error *failure,
                         struct mbk_audit_entry *ae)
{
    struct json_object *p = json_object_new_object();
    struct json_object *n = json_object_new_object();
    struct json_object *cs = json_object_new_array();
    const char *target = rep->target_db[0] != '\0' ? rep->target_db
                                                   : o->target_db;

    memset(ae, 0, sizeof(*ae));
    if (in->name != NULL) {
        json_object_object_add(p, "source", json_object_new_string("storage"));
        json_object_object_add(p, "backupName",
                               json_object_new_string(in->name));
        json_object_object_add(p, "storage", json_object_new_string(
                                                 storage ? storage : ""));
        ae->backup = in->name;
    } else if (in->path != NULL || path != NULL) {
        ae->backup = in->path != NULL ? in->path : path;
        json_object_object_add(p, "source", json_object_new_string("path"));
        json_object_object_add(p, "path", json_object_new_string(ae->backup));
    } else {
        json_object_object_add(p, "source", json_object_new_string("stream"));
    }
    json_object_object_add(p, "targetDatabase",
                           target != NULL ? json_object_new_string(target)
                                          : NULL);
    for (const char *const *s = o->collections; s != NULL && *s != NULL;
         s++) {
        json_object_array_add(cs, json_object_new_string(*s));
    }
    json_object_object_add(p, "collections", cs);
    json_object_object_add(p, "dropExisting", json_object_new_boolean(o->drop));
    json_object_object_add(p, "dryRun", json_object_new_boolean(o->dry_run));
    json_object_object_add(p, "conflict", json_object_new_string(
                                              mbk_engine_conflict_name(
                                                  o->conflict)));
    json_object_object_add(p, "includeIndexes",
                           json_object_new_boolean(!o->no_indexes));
    json_object_object_add(p, "singlePass",
                           json_object_new_boolean(o->single_pass));
    add_u64(n, "documents", rep->docs);
    add_outcomes(n, rep->inserted, rep->skipped, rep->replaced, rep->failed);
    ae->operation = o->dry_run ? "dry-run" : "restore";
    ae->params = p;
    ae->counts = n;
    ae->outcome = rep->status != NULL ? rep->status
                  : failure != NULL   ? "failed"
                                      : "ok";
    ae->error = failure != NULL ? failure->message : NULL;
    ae->duration = rep->seconds;
    ae->sha256 = rep->backup_sha256[0] != '\0' ? rep->backup_sha256 : NULL;
}
