/*
 * restore_staging.c: the strategy of a restore with drop: documents go
 * into staging collections, are read back and compared, then swapped in
 * by rename under a journal document that lets a crashed run's swap be
 * finished or undone; a rollback renames the old collections back.
 */
#include "config.h"

#include <string.h>

#include "engine/names.h"
#include "engine/restore/restore_private.h"

/* ---- before the data -------------------------------------------------- */

static int
prepare(struct rs_plan *p, struct rs_coll *c, bool target_is_view,
        struct mbk_error *err)
{
    (void)target_is_view; /* dropped with the rest */
    snprintf(c->dest, sizeof(c->dest), "%s%s.s.%s",
             MBK_RESTORE_STAGING_PREFIX, p->runid, c->rep->name);
    snprintf(c->orig, sizeof(c->orig), "%s%s.o.%s",
             MBK_RESTORE_STAGING_PREFIX, p->runid, c->rep->name);
    if (mbk_names_coll_check(p->db, c->orig, NULL) != 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EBADNAME,
                             "collection \"%s\": the name is too long "
                             "for a staging collection",
                             c->rep->name);
    }
    if (p->o->dry_run) {
        return 0;
    }
    return mbk_engine_restore_create_dest(p, c, err);
}

/* ---- the data: a staging collection has nothing to collide with but the
 * file itself --------------------------------------------------------- */

static int
write_batch(struct rs_plan *p, struct rs_coll *c, bson_t **docs, size_t n,
            struct mbk_error *err)
{
    return mbk_engine_restore_insert(p, c, docs, n, NULL, NULL, err);
}

/* ---- the swap --------------------------------------------------------- */

static int
journal_put(struct rs_plan *p, const char *state, struct mbk_error *err)
{
    bson_t doc = BSON_INITIALIZER;
    bson_t arr;
    uint32_t n = 0;
    int rc;

    BSON_APPEND_UTF8(&doc, "_id", p->runid);
    BSON_APPEND_UTF8(&doc, "state", state);
    BSON_APPEND_ARRAY_BEGIN(&doc, "colls", &arr);
    for (size_t i = 0; i < p->n; i++) {
        struct rs_coll *c = &p->colls[i];
        bson_t e;
        char k[16];
        const char *key;

        if (!c->selected || c->is_view) {
            continue;
        }
        bson_uint32_to_string(n++, &key, k, sizeof(k));
        BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &e);
        BSON_APPEND_UTF8(&e, "target", c->rep->name);
        BSON_APPEND_UTF8(&e, "orig", c->orig);
        BSON_APPEND_BOOL(&e, "existed", c->existed);
        bson_append_document_end(&arr, &e);
    }
    bson_append_array_end(&doc, &arr);
    if (strcmp(state, "swap") == 0) {
        struct mbk_mongo_write_result wr;
        const bson_t *docs[1] = {&doc};

        memset(&wr, 0, sizeof(wr));
        rc = mbk_mongo_insert_many(p->m, p->db, MBK_RS_SWAP_JOURNAL, docs, 1,
                                   true, false, &wr, err);
    } else {
        rc = mbk_mongo_replace(p->m, p->db, MBK_RS_SWAP_JOURNAL, &doc, false,
                               err);
    }
    bson_destroy(&doc);
    return rc;
}

static void
journal_delete(struct rs_plan *p)
{
    bson_t ids = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&ids, "0", p->runid);
    mbk_mongo_delete_ids(p->m, p->db, MBK_RS_SWAP_JOURNAL, &ids, NULL);
    bson_destroy(&ids);
    if (mbk_mongo_count(p->m, p->db, MBK_RS_SWAP_JOURNAL, NULL) == 0) {
        mbk_mongo_drop(p->m, p->db, MBK_RS_SWAP_JOURNAL, NULL);
    }
}

static int
swap(struct rs_plan *p, struct mbk_error *err)
{
    if (journal_put(p, "swap", err) != 0) {
        return mbk_error_prefix(err, "writing the restore journal");
    }
    for (size_t i = 0; i < p->n; i++) {
        struct rs_coll *c = &p->colls[i];

        if (!c->selected || c->is_view) {
            continue;
        }
        if (c->existed) {
            if (mbk_mongo_rename(p->m, p->db, c->rep->name, c->orig, false,
                                 err) != 0) {
                return mbk_error_prefix(err, "moving \"%s\" aside",
                                        c->rep->name);
            }
            c->moved = true;
        }
        if (mbk_mongo_rename(p->m, p->db, c->dest, c->rep->name, true,
                             err) != 0) {
            return mbk_error_prefix(err, "swapping in \"%s\"", c->rep->name);
        }
        c->swapped = true;
    }
    return 0;
}

/* Whatever held a view's name is put aside: a view dropped (its options
 * kept for the rollback), a collection renamed to orig. */
static int
view(struct rs_plan *p, struct rs_coll *c, const bson_t *entry,
     struct mbk_error *err)
{
    bson_iter_t it;

    if (entry == NULL) {
        return 0;
    }
    if (bson_iter_init_find(&it, entry, "type") && BSON_ITER_HOLDS_UTF8(&it)
        && strcmp(bson_iter_utf8(&it, NULL), "view") == 0) {
        mbk_engine_restore_keep_view(c, entry);
        if (mbk_mongo_drop(p->m, p->db, c->rep->name, err) != 0) {
            return -1;
        }
        c->had_view = true;
        return 0;
    }
    snprintf(c->orig, sizeof(c->orig), "%s%s.o.%s",
             MBK_RESTORE_STAGING_PREFIX, p->runid, c->rep->name);
    if (mbk_mongo_rename(p->m, p->db, c->rep->name, c->orig, false,
                         err) != 0) {
        return -1;
    }
    c->moved = true;
    return 0;
}

/* The old collections dropped, the swap's journal document removed. */
static int
commit(struct rs_plan *p, struct mbk_error *err)
{
    struct mbk_error e;

    if (journal_put(p, "commit", err) != 0) {
        return mbk_error_prefix(err, "writing the restore journal");
    }
    for (size_t i = 0; i < p->n; i++) {
        if (p->colls[i].moved) {
            mbk_mongo_drop(p->m, p->db, p->colls[i].orig, &e);
            p->colls[i].moved = false;
        }
    }
    journal_delete(p);
    return 0;
}

/* ---- rollback: every rename undone, staging dropped -------------------- */

static void
rollback(struct rs_plan *p, unsigned *undone, unsigned *failures,
         struct mbk_error *e)
{
    for (size_t k = p->n; k-- > 0;) {
        struct rs_coll *c = &p->colls[k];

        if (!c->selected) {
            continue;
        }
        if (c->is_view) {
            if (c->created) {
                *failures +=
                    mbk_mongo_drop(p->m, p->db, c->rep->name, e) != 0;
            }
            if (c->had_view) {
                *failures += mbk_mongo_create(p->m, p->db, c->rep->name,
                                              &c->old_view, e) != 0;
            }
            if (c->moved) {
                *failures += mbk_mongo_rename(p->m, p->db, c->orig,
                                              c->rep->name, true, e) != 0;
            }
            *undone += c->created || c->had_view || c->moved;
            continue;
        }
        if (c->moved) {
            *failures += mbk_mongo_rename(p->m, p->db, c->orig,
                                          c->rep->name, true, e) != 0;
        } else if (c->swapped) {
            *failures += mbk_mongo_drop(p->m, p->db, c->rep->name, e) != 0;
        }
        if (c->created) {
            *failures += mbk_mongo_drop(p->m, p->db, c->dest, e) != 0;
        }
        *undone += c->created;
    }
    journal_delete(p);
}

const struct rs_strategy mbk_engine_restore_staging = {
    .name = "staging",
    .check_target = NULL,
    .prepare = prepare,
    .write_batch = write_batch,
    .indexing = NULL,
    .check = mbk_engine_restore_read_back,
    .swap = swap,
    .view = view,
    .commit = commit,
    .rollback = rollback,
};
