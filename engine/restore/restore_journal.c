/*
 * restore_journal.c: the strategy of a restore without drop: documents are
 * inserted into the target (a conflict settled by the policy), every change
 * journaled in the target database before it is made, and a rollback
 * replays the journal backwards.  Also the checks that refuse, before any
 * write, what such a rollback could not undo (capped collections).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/names.h"
#include "engine/restore/restore_private.h"

/* ---- the journal of changes (without drop) ------------------------------ */

int
mbk_engine_restore_journal(struct rs_plan *p, bson_t *entry,
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


/* ---- before the data -------------------------------------------------- */


static int64_t
opt_int(const bson_t *doc, const char *key)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it)) {
        return bson_iter_as_int64(&it);
    }
    return 0;
}

/* Without drop, inserting into an existing capped collection can make
 * MongoDB evict its oldest documents (past "size" bytes of documents or
 * "max" documents), which a rollback cannot put back.  Before any write:
 * refuse when what the target holds (collStats' count and size) plus what
 * the backup brings could pass either limit. */
static int
capped_room(struct rs_plan *p, struct rs_coll *c, const bson_t *entry,
            struct mbk_error *err)
{
    bson_t opts;
    bson_t cmd = BSON_INITIALIZER;
    bson_t reply;
    bson_iter_t it;
    const uint8_t *data;
    uint32_t len;
    int64_t size, max, count, used;
    uint64_t docs = c->rep->docs;

    if (!bson_iter_init_find(&it, entry, "options") ||
        !BSON_ITER_HOLDS_DOCUMENT(&it)) {
        return 0;
    }
    bson_iter_document(&it, &len, &data);
    if (!bson_init_static(&opts, data, len) ||
        !bson_iter_init_find(&it, &opts, "capped") || !bson_iter_as_bool(&it)) {
        return 0;
    }
    size = opt_int(&opts, "size");
    max = opt_int(&opts, "max");
    c->rep->target_capped = true;
    if (!c->sized) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "collection \"%s\" is capped in the target "
                             "(size %lld bytes, max %lld documents): a "
                             "single-pass restore cannot know before writing "
                             "whether MongoDB would evict its documents; "
                             "restore it without single pass, or with --drop",
                             c->rep->name, (long long)size, (long long)max);
    }
    BSON_APPEND_UTF8(&cmd, "collStats", c->rep->name);
    if (mbk_mongo_command(p->m, p->db, &cmd, &reply, err) != 0) {
        bson_destroy(&cmd);
        bson_destroy(&reply);
        return mbk_error_prefix(err, "collStats \"%s\"", c->rep->name);
    }
    bson_destroy(&cmd);
    count = opt_int(&reply, "count");
    used = opt_int(&reply, "size");
    bson_destroy(&reply);
    if ((size > 0 && (uint64_t)used + c->bson_bytes > (uint64_t)size) ||
        (max > 0 && (uint64_t)count + docs > (uint64_t)max)) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "collection \"%s\" is capped in the target "
                             "(size %lld bytes, max %lld documents) and holds "
                             "%lld documents of %lld bytes; adding the "
                             "backup's %llu documents of %llu bytes could "
                             "make MongoDB evict documents a rollback cannot "
                             "put back; restore it with --drop",
                             c->rep->name, (long long)size, (long long)max,
                             (long long)count, (long long)used,
                             (unsigned long long)docs,
                             (unsigned long long)c->bson_bytes);
    }
    return 0;
}

/* Every check that needs the target, before anything is written. */
static int
check_target(struct rs_plan *p, struct mbk_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        struct rs_coll *c = &p->colls[i];
        bson_t entry = BSON_INITIALIZER;
        int found;
        int rc = 0;

        if (!c->selected || c->is_view) {
            bson_destroy(&entry);
            continue;
        }
        found = mbk_engine_restore_lookup(p, c->rep->name, &entry, err);
        if (found < 0) {
            rc = -1;
        } else if (found == 1) {
            rc = capped_room(p, c, &entry, err);
        }
        bson_destroy(&entry);
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

/* Documents go into the target itself; a collection it lacks is made,
 * and journaled as made. */
static int
prepare(struct rs_plan *p, struct rs_coll *c, bool target_is_view,
        struct mbk_error *err)
{
    bson_t j = BSON_INITIALIZER;
    int jrc;

    if (target_is_view) {
        bson_destroy(&j);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "\"%s\" is a view in the target: restore "
                             "it with drop",
                             c->rep->name);
    }
    snprintf(c->dest, sizeof(c->dest), "%s", c->rep->name);
    if (p->o->dry_run || c->existed) {
        bson_destroy(&j);
        return 0;
    }
    BSON_APPEND_UTF8(&j, "c", c->dest);
    BSON_APPEND_BOOL(&j, "created", true);
    jrc = mbk_engine_restore_journal(p, &j, err);
    bson_destroy(&j);
    if (jrc != 0) {
        return -1;
    }
    return mbk_engine_restore_create_dest(p, c, err);
}

/* ---- the data --------------------------------------------------------- */

/* The _ids journaled before an insert that did not go in
 * belong to someone else's documents (one inserted between our conflict
 * check and our insert): journal them as "not ours", so that the undo
 * leaves those documents alone. */
static void
journal_not_inserted(struct rs_plan *p, struct rs_coll *c, bson_t **docs,
                     size_t n, const uint8_t *map)
{
    bson_t entry = BSON_INITIALIZER;
    bson_t ids;
    uint32_t k = 0;
    struct mbk_error e;

    BSON_APPEND_UTF8(&entry, "c", c->dest);
    BSON_APPEND_ARRAY_BEGIN(&entry, "ni", &ids);
    for (size_t i = 0; i < n; i++) {
        bson_iter_t it;
        char key[16];
        const char *kp;

        bool ours = false;

        if (!map[i] || !bson_iter_init_find(&it, docs[i], "_id")) {
            continue;
        }
        /* the same _id twice in the batch: if one copy went in, the _id
         * is ours after all */
        for (size_t j = 0; j < n && !ours; j++) {
            const uint8_t *a;
            const uint8_t *b;
            size_t la;
            size_t lb;

            ours = !map[j] &&
                   mbk_engine_restore_id_key(docs[i], &a, &la) == 0 &&
                   mbk_engine_restore_id_key(docs[j], &b, &lb) == 0 &&
                   la == lb &&
                   memcmp(a, b, la) == 0;
        }
        if (!ours) {
            bson_uint32_to_string(k++, &kp, key, sizeof(key));
            bson_append_iter(&ids, kp, -1, &it);
        }
    }
    bson_append_array_end(&entry, &ids);
    if (k > 0) {
        mbk_engine_restore_journal(p, &entry, &e);
    }
    bson_destroy(&entry);
}
/* An insert into a collection that was there before: what the server
 * refused is journaled as not ours. */
static int
insert(struct rs_plan *p, struct rs_coll *c, bson_t **docs, size_t n,
       struct mbk_error *err)
{
    uint8_t map[MBK_RS_BATCH_DOCS];
    uint64_t failed = 0;
    size_t len = n < MBK_RS_BATCH_DOCS ? n : MBK_RS_BATCH_DOCS;
    int rc;

    rc = mbk_engine_restore_insert(p, c, docs, n, map, &failed, err);
    if (rc != 0 && failed > 0) {
        if (p->o->ordered) {
            /* an ordered insert stops at its first error */
            size_t first = len;

            for (size_t i = 0; i < len; i++) {
                if (map[i]) {
                    first = i;
                    break;
                }
            }
            for (size_t i = first; i < len; i++) {
                map[i] = 1;
            }
        }
        journal_not_inserted(p, c, docs, n, map);
    }
    return rc;
}

/* Into an existing collection: settle each conflict by the policy,
 * journal what changes, insert the rest. */
static int
merge(struct rs_plan *p, struct rs_coll *c, bson_t **docs, size_t n,
      struct mbk_error *err)
{
    enum mbk_restore_conflict policy = p->o->conflict;
    struct rs_existing ex;
    bson_t *fresh[MBK_RS_BATCH_DOCS];
    size_t nfresh = 0;
    int rc = -1;

    ex.n = 0;
    if (mbk_engine_restore_find_existing(p, c, docs, n,
                                         policy == MBK_RESTORE_REPLACE, &ex,
                                         err) != 0) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const bson_t *old = mbk_engine_restore_existing_get(&ex, docs[i]);

        if (old == NULL) {
            fresh[nfresh++] = docs[i];
            continue;
        }
        if (policy == MBK_RESTORE_FAIL) {
            char id[128];

            mbk_engine_restore_id_text(docs[i], id, sizeof(id));
            pthread_mutex_lock(&c->mu);
            c->rep->failed++;
            mbk_engine_restore_note_error(c, docs[i],
                                          "the _id exists in the target");
            pthread_mutex_unlock(&c->mu);
            mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                          "collection \"%s\": document _id %s exists in "
                          "the target (conflict policy: fail)",
                          c->rep->name, id);
            goto out;
        }
        if (policy == MBK_RESTORE_SKIP) {
            pthread_mutex_lock(&c->mu);
            c->rep->skipped++;
            pthread_mutex_unlock(&c->mu);
            continue;
        }
        /* replace: keep the original in the journal first */
        {
            bson_t entry = BSON_INITIALIZER;

            BSON_APPEND_UTF8(&entry, "c", c->dest);
            BSON_APPEND_DOCUMENT(&entry, "r", old);
            rc = mbk_engine_restore_journal(p, &entry, err);
            bson_destroy(&entry);
        }
        if (rc != 0 ||
            mbk_mongo_replace(p->m, p->db, c->dest, docs[i],
                              p->o->bypass_validation, err) != 0) {
            rc = -1;
            pthread_mutex_lock(&c->mu);
            c->rep->failed++;
            mbk_engine_restore_note_error(c, docs[i],
                                          err ? err->message
                                              : "replace failed");
            pthread_mutex_unlock(&c->mu);
            goto out;
        }
        pthread_mutex_lock(&c->mu);
        c->rep->replaced++;
        pthread_mutex_unlock(&c->mu);
    }
    /* the _ids about to go in, journaled first */
    if (nfresh > 0) {
        bson_t entry = BSON_INITIALIZER;
        bson_t ids;

        BSON_APPEND_UTF8(&entry, "c", c->dest);
        BSON_APPEND_ARRAY_BEGIN(&entry, "i", &ids);
        mbk_engine_restore_append_ids(&ids, fresh, nfresh);
        bson_append_array_end(&entry, &ids);
        rc = mbk_engine_restore_journal(p, &entry, err);
        bson_destroy(&entry);
        if (rc != 0) {
            goto out;
        }
    }
    rc = insert(p, c, fresh, nfresh, err);
out:
    mbk_engine_restore_existing_free(&ex);
    return rc;
}
static int
write_batch(struct rs_plan *p, struct rs_coll *c, bson_t **docs, size_t n,
            struct mbk_error *err)
{
    if (c->created) {
        /* a collection this run made: nothing to collide with but the
         * file itself, and the rollback drops it whole */
        return mbk_engine_restore_insert(p, c, docs, n, NULL, NULL, err);
    }
    return merge(p, c, docs, n, err);
}

/* ---- after the data --------------------------------------------------- */

/* What we add to a collection that was there before is journaled first,
 * so that a rollback can take it away again. */
static int
indexing(struct rs_plan *p, struct rs_coll *c, const bson_t *specs,
         struct mbk_error *err)
{
    bson_iter_t it;

    if (c->created || !bson_iter_init(&it, specs)) {
        return 0;
    }
    while (bson_iter_next(&it)) {
        bson_iter_t f;

        if (bson_iter_recurse(&it, &f) && bson_iter_find(&f, "name") &&
            BSON_ITER_HOLDS_UTF8(&f)) {
            bson_t entry = BSON_INITIALIZER;
            int jrc;

            BSON_APPEND_UTF8(&entry, "c", c->dest);
            BSON_APPEND_UTF8(&entry, "index", bson_iter_utf8(&f, NULL));
            jrc = mbk_engine_restore_journal(p, &entry, err);
            bson_destroy(&entry);
            if (jrc != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* A collection this run made is read back; into one that was there, every
 * document of the backup was inserted, skipped or replaced. */
static int
check(struct rs_plan *p, struct rs_coll *c, struct mbk_error *err)
{
    uint64_t handled = c->rep->inserted + c->rep->skipped + c->rep->replaced;

    if (c->created) {
        return mbk_engine_restore_read_back(p, c, err);
    }
    if (handled != c->rep->docs) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                             "collection \"%s\": %llu documents handled, "
                             "the backup has %llu",
                             c->rep->name, (unsigned long long)handled,
                             (unsigned long long)c->rep->docs);
    }
    return 0;
}

/* A view's name held by a view is settled by the conflict policy (a
 * replaced view journaled first); held by a collection, it is refused. */
static int
view(struct rs_plan *p, struct rs_coll *c, const bson_t *entry,
     struct mbk_error *err)
{
    bson_t j = BSON_INITIALIZER;
    bson_iter_t it;
    bool is_view;
    int jrc;

    if (entry == NULL) {
        BSON_APPEND_UTF8(&j, "c", c->rep->name);
        BSON_APPEND_BOOL(&j, "created", true);
        jrc = mbk_engine_restore_journal(p, &j, err);
        bson_destroy(&j);
        return jrc != 0 ? -1 : 0;
    }
    if (p->o->conflict == MBK_RESTORE_SKIP) {
        bson_destroy(&j);
        c->rep->skipped++;
        return 1;
    }
    is_view = bson_iter_init_find(&it, entry, "type") &&
              BSON_ITER_HOLDS_UTF8(&it) &&
              strcmp(bson_iter_utf8(&it, NULL), "view") == 0;
    if (p->o->conflict == MBK_RESTORE_FAIL || !is_view) {
        bson_destroy(&j);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "\"%s\" exists in the target (conflict policy: "
                             "%s)",
                             c->rep->name, is_view ? "fail" : "a collection");
    }
    mbk_engine_restore_keep_view(c, entry);
    BSON_APPEND_UTF8(&j, "c", c->rep->name);
    BSON_APPEND_DOCUMENT(&j, "view", &c->old_view);
    jrc = mbk_engine_restore_journal(p, &j, err);
    bson_destroy(&j);
    if (jrc != 0 || mbk_mongo_drop(p->m, p->db, c->rep->name, err) != 0) {
        return -1;
    }
    c->had_view = true;
    return 0;
}

/* The changes stay: their journal goes. */
static int
commit(struct rs_plan *p, struct mbk_error *err)
{
    if (p->journaled && mbk_mongo_drop(p->m, p->db, p->journal, err) != 0) {
        return mbk_error_prefix(err, "dropping the restore journal");
    }
    return 0;
}

/* ---- rollback: everything this run changed is in its journal ---------- */

static void
rollback(struct rs_plan *p, unsigned *undone, unsigned *failures,
         struct mbk_error *last)
{
    if (!p->journaled) {
        return;
    }
    *failures += mbk_engine_restore_undo(p->m, p->db, p->journal, last);
    for (size_t i = 0; i < p->n && *failures == 0; i++) {
        *undone += p->colls[i].selected;
    }
}

const struct rs_strategy mbk_engine_restore_journaled = {
    .name = "journal",
    .check_target = check_target,
    .prepare = prepare,
    .write_batch = write_batch,
    .indexing = indexing,
    .check = check,
    .swap = NULL,
    .view = view,
    .commit = commit,
    .rollback = rollback,
};
