/*
 * restore_recover.c: what lets the next restore clean up after one that
 * died: run ids (host, pid, start) that tell a live run from a dead one,
 * collection-name lists, and the recovery of what crashed runs of either
 * strategy left in a database (staging collections, swaps, journals).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine/names.h"
#include "engine/restore/restore_private.h"

#define DEAD_AFTER_MS (24LL * 3600 * 1000) /* another host's run */

static uint32_t
host_id(void)
{
    char host[256] = "";
    uint32_t h = 2166136261u;

    gethostname(host, sizeof(host) - 1);
    for (const char *c = host; *c != '\0'; c++) {
        h = (h ^ (unsigned char)*c) * 16777619u;
    }
    return h;
}

/* A run id: hostid-pid-startms; staging names carry it. */
void
mbk_engine_restore_runid(char *buf, size_t len)
{
    snprintf(buf, len, "%08x-%ld-%lld", host_id(), (long)getpid(),
             (long long)mbk_names_now_ms());
}

static bool
run_alive(const char *runid)
{
    unsigned int host;
    long pid;
    long long start;

    if (sscanf(runid, "%8x-%ld-%lld", &host, &pid, &start) != 3) {
        return false;
    }
    if (host == host_id()) {
        return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
    }
    return mbk_names_now_ms() - start < DEAD_AFTER_MS;
}


int
mbk_engine_restore_on_name(const bson_t *doc, void *ud, struct mbk_error *err)
{
    struct rs_names *ns = ud;
    bson_iter_t it;
    char **v;

    if (!bson_iter_init_find(&it, doc, "name") || !BSON_ITER_HOLDS_UTF8(&it)) {
        return 0;
    }
    v = realloc(ns->v, (ns->n + 1) * sizeof(*v));
    if (v == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory");
    }
    ns->v = v;
    ns->v[ns->n] = strdup(bson_iter_utf8(&it, NULL));
    if (ns->v[ns->n] == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory");
    }
    ns->n++;
    return 0;
}

void
mbk_engine_restore_names_free(struct rs_names *ns)
{
    for (size_t i = 0; i < ns->n; i++) {
        free(ns->v[i]);
    }
    free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

bool
mbk_engine_restore_names_has(const struct rs_names *ns, const char *name)
{
    for (size_t i = 0; i < ns->n; i++) {
        if (strcmp(ns->v[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- recovery of crashed runs ------------------------------------------ */

struct recover {
    struct mbk_mongo *m;
    const char *db;
    struct rs_names names;
    unsigned removed;
    bson_t dead; /* _ids of journal entries to delete */
    uint32_t ndead;
};

static int
on_journal(const bson_t *doc, void *ud, struct mbk_error *err)
{
    struct recover *r = ud;
    bson_iter_t it;
    bson_iter_t arr;
    const char *runid;
    bool commit;
    char k[16];
    const char *key;

    if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it)) {
        return 0;
    }
    runid = bson_iter_utf8(&it, NULL);
    if (run_alive(runid)) {
        return 0;
    }
    bson_uint32_to_string(r->ndead++, &key, k, sizeof(k));
    bson_append_iter(&r->dead, key, -1, &it);
    commit = bson_iter_init_find(&it, doc, "state") &&
             BSON_ITER_HOLDS_UTF8(&it) &&
             strcmp(bson_iter_utf8(&it, NULL), "commit") == 0;
    if (!bson_iter_init_find(&it, doc, "colls") ||
        !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
        return 0;
    }
    while (bson_iter_next(&arr)) {
        bson_iter_t f;
        const char *target = NULL;
        const char *orig = NULL;

        if (bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "target") &&
            BSON_ITER_HOLDS_UTF8(&f)) {
            target = bson_iter_utf8(&f, NULL);
        }
        if (bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "orig") &&
            BSON_ITER_HOLDS_UTF8(&f)) {
            orig = bson_iter_utf8(&f, NULL);
        }
        if (target == NULL || orig == NULL ||
            !mbk_engine_restore_names_has(&r->names, orig)) {
            continue;
        }
        /* swap: the old data goes back; commit: it was replaced for good */
        if (commit ? mbk_mongo_drop(r->m, r->db, orig, err)
                   : mbk_mongo_rename(r->m, r->db, orig, target, true, err)) {
            return -1;
        }
        r->removed++;
    }
    return 0;
}

int
mbk_engine_restore_recover(struct mbk_mongo *m, const char *db,
                           unsigned *removed, struct mbk_error *err)
{
    struct recover r;
    const size_t plen = strlen(MBK_RESTORE_STAGING_PREFIX);
    bson_t filter = BSON_INITIALIZER;
    int rc = -1;

    memset(&r, 0, sizeof(r));
    r.m = m;
    r.db = db;
    bson_init(&r.dead);
    if (mbk_mongo_list_collections(m, db, mbk_engine_restore_on_name,
                                   &r.names, err) != 0) {
        goto out;
    }
    if (mbk_engine_restore_names_has(&r.names, MBK_RS_SWAP_JOURNAL)) {
        if (mbk_mongo_find_each(m, db, MBK_RS_SWAP_JOURNAL, &filter, NULL,
                                on_journal, &r, err) != 0) {
            goto out;
        }
        if (r.ndead > 0 &&
            mbk_mongo_delete_ids(m, db, MBK_RS_SWAP_JOURNAL, &r.dead,
                                 err) != 0) {
            goto out;
        }
        mbk_engine_restore_names_free(&r.names);
        if (mbk_mongo_list_collections(m, db, mbk_engine_restore_on_name,
                                   &r.names, err) != 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < r.names.n; i++) {
        const char *name = r.names.v[i];
        char runid[64];
        const char *dot;

        if (strncmp(name, MBK_RESTORE_STAGING_PREFIX, plen) != 0 ||
            strcmp(name, MBK_RS_SWAP_JOURNAL) == 0) {
            continue;
        }
        dot = strchr(name + plen, '.');
        if (dot == NULL || (size_t)(dot - name - plen) >= sizeof(runid)) {
            continue;
        }
        snprintf(runid, sizeof(runid), "%.*s", (int)(dot - name - plen),
                 name + plen);
        if (run_alive(runid)) {
            continue;
        }
        if (strcmp(dot, ".j") == 0) {
            /* a restore without drop that died: undo what it did */
            if (mbk_engine_restore_undo(m, db, name, err) != 0) {
                mbk_error_prefix(err, "undoing the journal \"%s\"", name);
                goto out;
            }
            r.removed++;
            continue;
        }
        if (mbk_mongo_drop(m, db, name, err) != 0) {
            goto out;
        }
        r.removed++;
    }
    if (mbk_engine_restore_names_has(&r.names, MBK_RS_SWAP_JOURNAL) &&
        mbk_mongo_count(m, db, MBK_RS_SWAP_JOURNAL, NULL) == 0) {
        mbk_mongo_drop(m, db, MBK_RS_SWAP_JOURNAL, NULL);
    }
    if (removed != NULL) {
        *removed = r.removed;
    }
    rc = 0;
out:
    mbk_engine_restore_names_free(&r.names);
    bson_destroy(&r.dead);
    bson_destroy(&filter);
    return rc;
}
