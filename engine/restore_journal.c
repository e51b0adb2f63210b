/*
 * restore_journal.c: what lets a restore be undone after the fact: run ids
 * (host, pid, start) that tell a live run from a dead one, the journal of
 * changes a restore without drop writes before it makes them, its replay,
 * and the recovery of what crashed runs left in a database.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine/names.h"
#include "engine/restore_private.h"

#define JOURNAL_COLL MBK_RESTORE_STAGING_PREFIX "journal"
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
    struct names *ns = ud;
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
mbk_engine_restore_names_free(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++) {
        free(ns->v[i]);
    }
    free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

bool
mbk_engine_restore_names_has(const struct names *ns, const char *name)
{
    for (size_t i = 0; i < ns->n; i++) {
        if (strcmp(ns->v[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- the journal of changes (without drop) ------------------------------ */

int
mbk_engine_restore_journal(struct plan *p, bson_t *entry,
                           struct mbk_error *err)
{
    struct mbk_mongo_write_result wr;
    const bson_t *docs[1] = {entry};

    BSON_APPEND_INT64(entry, "n",
                      (int64_t)atomic_fetch_add(&p->journal_seq, 1));
    memset(&wr, 0, sizeof(wr));
    p->journaled = true;
    if (mbk_mongo_insert_many(p->m, p->db, p->journal, docs, 1, true, true,
                              &wr, err) != 0) {
        return mbk_error_prefix(err, "writing the restore journal");
    }
    return 0;
}

static const char *
entry_str(const bson_t *e, const char *key)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, e, key) && BSON_ITER_HOLDS_UTF8(&it)) {
        return bson_iter_utf8(&it, NULL);
    }
    return NULL;
}

struct undo {
    struct mbk_mongo *m;
    const char *db;
    unsigned failures;
    struct mbk_error last;
    bson_t *not_ours; /* _ids of "ni" entries: {coll: [ids]} flattened */
};

/* Whether the _id at it is one the run did not insert into c. */
static bool
not_ours(const struct undo *u, const char *c, const bson_iter_t *id)
{
    bson_iter_t it;

    if (!bson_iter_init(&it, u->not_ours)) {
        return false;
    }
    while (bson_iter_next(&it)) {
        bson_iter_t f;
        bson_iter_t ids;

        if (!bson_iter_recurse(&it, &f) || !bson_iter_find(&f, "c") ||
            !BSON_ITER_HOLDS_UTF8(&f) ||
            strcmp(bson_iter_utf8(&f, NULL), c) != 0 ||
            !bson_iter_recurse(&it, &f) || !bson_iter_find(&f, "ni") ||
            !bson_iter_recurse(&f, &ids)) {
            continue;
        }
        while (bson_iter_next(&ids)) {
            if (bson_iter_type(&ids) == bson_iter_type(id) &&
                ids.next_off - ids.d1 == id->next_off - id->d1 &&
                memcmp(ids.raw + ids.d1, id->raw + id->d1,
                       ids.next_off - ids.d1) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* Undo one journal entry; newest entries come first. */
static int
undo_entry(const bson_t *e, void *ud, struct mbk_error *err)
{
    struct undo *u = ud;
    const char *c = entry_str(e, "c");
    const char *name;
    bson_iter_t it;
    int rc = 0;

    (void)err;
    if (c == NULL) {
        return 0;
    }
    if (bson_iter_init_find(&it, e, "ni") && BSON_ITER_HOLDS_ARRAY(&it)) {
        /* newest first: this comes before the "i" entry it corrects */
        char k[16];
        const char *key;

        bson_uint32_to_string(bson_count_keys(u->not_ours), &key, k,
                              sizeof(k));
        BSON_APPEND_DOCUMENT(u->not_ours, key, e);
    } else if (bson_iter_init_find(&it, e, "i") &&
               BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_t id;
        bson_t ids = BSON_INITIALIZER;
        uint32_t n = 0;

        if (bson_iter_recurse(&it, &id)) {
            while (bson_iter_next(&id)) {
                char k[16];
                const char *key;

                if (not_ours(u, c, &id)) {
                    continue;
                }
                bson_uint32_to_string(n++, &key, k, sizeof(k));
                bson_append_iter(&ids, key, -1, &id);
            }
        }
        if (n > 0) {
            rc = mbk_mongo_delete_ids(u->m, u->db, c, &ids, &u->last);
        }
        bson_destroy(&ids);
    } else if (bson_iter_init_find(&it, e, "r") &&
               BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *d;
        uint32_t l;
        bson_t orig;

        bson_iter_document(&it, &l, &d);
        bson_init_static(&orig, d, l);
        rc = mbk_mongo_replace(u->m, u->db, c, &orig, true, &u->last);
    } else if ((name = entry_str(e, "index")) != NULL) {
        struct mbk_error ie;

        /* an index that never got built is not an error */
        if (mbk_mongo_drop_index(u->m, u->db, c, name, &ie) != 0 &&
            ie.code != 27 && ie.code != MBK_MONGO_CODE_NAMESPACE_NOT_FOUND) {
            u->last = ie;
            rc = -1;
        }
    } else if (bson_iter_init_find(&it, e, "created")) {
        rc = mbk_mongo_drop(u->m, u->db, c, &u->last);
    } else if (bson_iter_init_find(&it, e, "view") &&
               BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *d;
        uint32_t l;
        bson_t opts;

        bson_iter_document(&it, &l, &d);
        bson_init_static(&opts, d, l);
        if (mbk_mongo_drop(u->m, u->db, c, &u->last) != 0 ||
            mbk_mongo_create(u->m, u->db, c, &opts, &u->last) != 0) {
            rc = -1;
        }
    }
    u->failures += rc != 0;
    return 0;
}

/* Replay a journal backwards, then drop it.  Returns the failures; the
 * journal stays when any step failed, for the next run to try again. */
unsigned
mbk_engine_restore_undo(struct mbk_mongo *m, const char *db,
                        const char *journal, struct mbk_error *last)
{
    struct undo u = {m, db, 0, {0, 0, "", ""}, bson_new()};
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("sort", "{", "n", BCON_INT32(-1), "}",
                            "batchSize", BCON_INT32(16));
    struct mbk_error e;

    if (mbk_mongo_find_each(m, db, journal, &filter, opts, undo_entry, &u,
                            &e) != 0) {
        u.failures++;
        u.last = e;
    }
    bson_destroy(&filter);
    bson_destroy(opts);
    bson_destroy(u.not_ours);
    if (u.failures == 0 && mbk_mongo_drop(m, db, journal, &e) != 0) {
        u.failures++;
        u.last = e;
    }
    if (last != NULL && u.failures > 0) {
        *last = u.last;
    }
    return u.failures;
}

/* ---- recovery of crashed runs ------------------------------------------ */

struct recover {
    struct mbk_mongo *m;
    const char *db;
    struct names names;
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
    if (mbk_engine_restore_names_has(&r.names, JOURNAL_COLL)) {
        if (mbk_mongo_find_each(m, db, JOURNAL_COLL, &filter, NULL, on_journal,
                                &r, err) != 0) {
            goto out;
        }
        if (r.ndead > 0 &&
            mbk_mongo_delete_ids(m, db, JOURNAL_COLL, &r.dead, err) != 0) {
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
            strcmp(name, JOURNAL_COLL) == 0) {
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
    if (mbk_engine_restore_names_has(&r.names, JOURNAL_COLL) &&
        mbk_mongo_count(m, db, JOURNAL_COLL, NULL) == 0) {
        mbk_mongo_drop(m, db, JOURNAL_COLL, NULL);
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
