/*
 * stored.c: one stored backup as an engine operation: remove, open for
 * reading (stat, then a reader), its local path; each builds its audit
 * entry.  See stored.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/names.h"
#include "engine/backup/stored.h"

struct mbk_engine_stored {
    struct mbk_storage *st;
    struct mbk_storage_reader *r;
    uint64_t size;
};

/* The audit entry of operation on name in storage, started at t0, ended
 * by rc; its params {"name", "storage"} are the entry's own. */
static int
audit(struct mbk_audit_entry *ae, const char *operation, const char *name,
      const char *storage, double t0, int rc, const struct mbk_error *err)
{
    if (ae != NULL) {
        struct json_object *p = json_object_new_object();

        memset(ae, 0, sizeof(*ae));
        json_object_object_add(p, "name", json_object_new_string(name));
        json_object_object_add(p, "storage", json_object_new_string(
                                                 storage ? storage : ""));
        ae->params = p;
        ae->operation = operation;
        ae->backup = name;
        ae->outcome = rc == 0 ? "ok" : "failed";
        ae->error = rc == 0 || err == NULL ? NULL : err->message;
        ae->duration = mbk_names_seconds() - t0;
    }
    return rc;
}

int
mbk_engine_stored_remove(struct mbk_storage *st, const char *name,
                         const char *storage, struct mbk_audit_entry *ae, struct mbk_error *err)
{
    double t0 = mbk_names_seconds();

    return audit(ae, "delete", name, storage, t0,
                 mbk_storage_remove(st, name, err), err);
}

struct json_object *
mbk_engine_stored_remove_json(const char *name, const char *storage)
{
    struct json_object *d = json_object_new_object();

    json_object_object_add(d, "deleted", json_object_new_string(name));
    json_object_object_add(d, "storage", json_object_new_string(storage));
    return d;
}

static int
on_stat(const struct mbk_storage_entry *e, void *ud)
{
    *(uint64_t *)ud = e->size;
    return 1;
}

struct mbk_engine_stored *
mbk_engine_stored_open(struct mbk_storage *st, const char *name,
                       const char *storage, struct mbk_audit_entry *ae, struct mbk_error *err)
{
    double t0 = mbk_names_seconds();
    struct mbk_engine_stored *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory opening \"%s\"", name);
        audit(ae, "download", name, storage, t0, -1, err);
        return NULL;
    }
    s->st = st;
    if (mbk_storage_stat(st, name, on_stat, &s->size, err) != 0) {
        free(s);
        audit(ae, "download", name, storage, t0, -1, err);
        return NULL;
    }
    s->r = mbk_storage_get_open(st, name, err);
    if (s->r == NULL) {
        free(s);
        audit(ae, "download", name, storage, t0, -1, err);
        return NULL;
    }
    audit(ae, "download", name, storage, t0, 0, err);
    return s;
}

uint64_t
mbk_engine_stored_size(const struct mbk_engine_stored *s)
{
    return s->size;
}

ssize_t
mbk_engine_stored_read(struct mbk_engine_stored *s, void *buf, size_t len,
                       struct mbk_error *err)
{
    return mbk_storage_get_read(s->st, s->r, buf, len, err);
}

void
mbk_engine_stored_close(struct mbk_engine_stored *s)
{
    if (s != NULL) {
        mbk_storage_get_close(s->st, s->r);
        free(s);
    }
}

const char *
mbk_engine_stored_type(const char *name)
{
    size_t n = strlen(name);

    return n > 3 && strcmp(name + n - 3, ".gz") == 0 ? "application/gzip"
                                                     : "application/json";
}

int
mbk_engine_stored_path(struct mbk_storage *st, const char *name,
                       const char *storage, char *buf, size_t len,
                       struct mbk_audit_entry *ae,
                       struct mbk_error *err)
{
    double t0 = mbk_names_seconds();
    uint64_t size;
    int rc = mbk_storage_path(st, name, buf, len, err);

    if (rc == 0) {
        rc = mbk_storage_stat(st, name, on_stat, &size, err);
    }
    return audit(ae, "download", name, storage, t0, rc, err);
}
