/*
 * restore_swap.c: what surrounds restore's writing pass: preparing the
 * target (leftovers of crashed runs removed, staging collections made),
 * indexes and checks after the data, the swap of staging collections onto
 * the targets with a journal document, and the rollback.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "engine/names.h"
#include "engine/restore_private.h"

#define JOURNAL_COLL MBK_RESTORE_STAGING_PREFIX "journal"

/* ---- small helpers ---------------------------------------------------- */

void
mbk_engine_restore_sum(uint64_t sum[2], const uint8_t *data, size_t len)
{
    /* An integrity check of our own pipeline, not a defence against an
     * adversary: CRC-32 and Adler-32 (zlib, several GB/s) of each
     * document, summed so that order does not matter. */
    uLong crc = crc32(0L, data, (uInt)len);
    uLong adler = adler32(1L, data, (uInt)len);

    sum[0] += ((uint64_t)crc << 32) | (uint64_t)(adler & 0xffffffffu);
    sum[1] += (uint64_t)len * 0x9e3779b97f4a7c15ULL + crc;
}

/* The bytes of data/len as mongod keeps them: _id moved first. */
static uint8_t *
id_moved_first(const uint8_t *data, size_t len)
{
    bson_iter_t it;
    uint8_t *out;
    size_t s;
    size_t e;

    if (!bson_iter_init_from_data(&it, data, len)
        || !bson_iter_find(&it, "_id")) {
        return NULL;
    }
    out = malloc(len);
    if (out == NULL) {
        return NULL;
    }
    s = it.off;
    e = it.next_off;
    memcpy(out, data, 4);
    memcpy(out + 4, data + s, e - s);
    memcpy(out + 4 + (e - s), data + 4, s - 4);
    memcpy(out + 4 + (e - s) + (s - 4), data + e, len - e);
    return out;
}

/* Top-level Timestamps but _id's: 0 none, 1 some, 2 some Timestamp(0, 0)
 * (mongod replaces those with the time of the insert).  With zero set,
 * each is zeroed in place. */
static int
timestamps(uint8_t *data, size_t len, bool zero)
{
    bson_iter_t it;
    int rc = 0;

    if (!bson_iter_init_from_data(&it, data, len)) {
        return 0;
    }
    while (bson_iter_next(&it)) {
        static const uint8_t none[8];
        uint8_t *v;

        if (bson_iter_type_unsafe(&it) != BSON_TYPE_TIMESTAMP
            || strcmp(bson_iter_key_unsafe(&it), "_id") == 0) {
            continue;
        }
        v = data + it.d1;
        if (memcmp(v, none, 8) == 0) {
            rc = 2;
        } else if (rc == 0) {
            rc = 1;
        }
        if (zero) {
            memset(v, 0, 8);
        }
    }
    return rc;
}

void
mbk_engine_restore_sum_doc(struct mbk_restore_sums *s, const uint8_t *data,
                           size_t len)
{
    uint8_t *moved = NULL;
    uint8_t *zeroed;
    int ts;

    /* mongod stores _id first (engine/restore.h) */
    if (len > 9 && memcmp(data + 5, "_id", 4) != 0) {
        moved = id_moved_first(data, len);
        if (moved != NULL) {
            data = moved;
            s->reordered++;
        }
    }
    mbk_engine_restore_sum(s->full, data, len);
    ts = timestamps((uint8_t *)data, len, false);
    if (ts == 0) {
        mbk_engine_restore_sum(s->no_ts, data, len);
    } else {
        s->empty_ts += ts == 2;
        zeroed = malloc(len);
        if (zeroed == NULL) {
            s->oom = true;
        } else {
            memcpy(zeroed, data, len);
            (void)timestamps(zeroed, len, true);
            mbk_engine_restore_sum(s->no_ts, zeroed, len);
            free(zeroed);
        }
    }
    free(moved);
}

bool
mbk_engine_restore_sums_equal(const struct mbk_restore_sums *written,
                              const struct mbk_restore_sums *read)
{
    if (written->oom || read->oom) {
        return false;
    }
    if (written->empty_ts > 0) {
        return written->no_ts[0] == read->no_ts[0]
               && written->no_ts[1] == read->no_ts[1];
    }
    return written->full[0] == read->full[0]
           && written->full[1] == read->full[1];
}

void
mbk_engine_restore_id_text(const bson_t *doc, char *buf, size_t len)
{
    bson_iter_t it;
    bson_t one = BSON_INITIALIZER;
    char *text;

    snprintf(buf, len, "(none)");
    if (!bson_iter_init_find(&it, doc, "_id")) {
        bson_destroy(&one);
        return;
    }
    bson_append_iter(&one, "_id", 3, &it);
    text = bson_as_relaxed_extended_json(&one, NULL);
    if (text != NULL) {
        /* { "_id" : X } -> X */
        const char *v = strstr(text, ": ");
        size_t n = v ? strlen(v + 2) : 0;

        if (v != NULL && n >= 2) {
            snprintf(buf, len, "%.*s", (int)(n - 2), v + 2);
        }
        bson_free(text);
    }
    bson_destroy(&one);
}

/* The listCollections entry of db.name, copied into out; 1 found, 0 not,
 * -1 error. */
struct one {
    const char *name;
    bson_t *out;
    int found;
};

static int
on_entry(const bson_t *doc, void *ud, struct mbk_error *err)
{
    struct one *o = ud;
    bson_iter_t it;

    (void)err;
    if (bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it) &&
        strcmp(bson_iter_utf8(&it, NULL), o->name) == 0) {
        o->found = 1;
        if (o->out != NULL) {
            bson_destroy(o->out);
            bson_copy_to(doc, o->out);
        }
    }
    return 0;
}

static int
lookup_coll(struct plan *p, const char *name, bson_t *out,
            struct mbk_error *err)
{
    struct one o = {name, out, 0};

    if (mbk_mongo_list_collections(p->m, p->db, on_entry, &o, err) != 0) {
        return -1;
    }
    return o.found;
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
capped_room(struct plan *p, struct rcoll *c, const bson_t *entry,
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
check_targets(struct plan *p, struct mbk_error *err)
{
    for (size_t i = 0; i < p->n && !p->o->drop; i++) {
        struct rcoll *c = &p->colls[i];
        bson_t entry = BSON_INITIALIZER;
        int found;
        int rc = 0;

        if (!c->selected || c->is_view) {
            bson_destroy(&entry);
            continue;
        }
        found = lookup_coll(p, c->rep->name, &entry, err);
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

int
mbk_engine_restore_prepare(struct plan *p, struct mbk_error *err)
{
    if (!p->o->dry_run &&
        mbk_engine_restore_recover(p->m, p->db, NULL, err) != 0) {
        return mbk_error_prefix(err, "removing what a crashed restore left");
    }
    if (check_targets(p, err) != 0) {
        return -1;
    }
    mbk_engine_restore_runid(p->runid, sizeof(p->runid));
    snprintf(p->journal, sizeof(p->journal), "%s%s.j",
             MBK_RESTORE_STAGING_PREFIX, p->runid);
    for (size_t i = 0; i < p->n; i++) {
        struct rcoll *c = &p->colls[i];
        bson_t entry = BSON_INITIALIZER;
        bson_iter_t it;
        int found;
        bool target_is_view = false;

        if (!c->selected) {
            bson_destroy(&entry);
            continue;
        }
        found = lookup_coll(p, c->rep->name, &entry, err);
        if (found < 0) {
            bson_destroy(&entry);
            return -1;
        }
        target_is_view = found && bson_iter_init_find(&it, &entry, "type") &&
                         BSON_ITER_HOLDS_UTF8(&it) &&
                         strcmp(bson_iter_utf8(&it, NULL), "view") == 0;
        bson_destroy(&entry);
        c->existed = found == 1;
        c->rep->target_exists = c->existed;
        if (c->existed && !target_is_view) {
            c->rep->target_docs = mbk_mongo_count(p->m, p->db, c->rep->name,
                                                  err);
            if (c->rep->target_docs < 0) {
                return -1;
            }
        }
        if (c->is_view) {
            continue;
        }
        if (target_is_view && !p->o->drop) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                                 "\"%s\" is a view in the target: restore "
                                 "it with drop",
                                 c->rep->name);
        }
        if (p->o->drop) {
            snprintf(c->dest, sizeof(c->dest), "%s%s.s.%s",
                     MBK_RESTORE_STAGING_PREFIX, p->runid, c->rep->name);
            snprintf(c->orig, sizeof(c->orig), "%s%s.o.%s",
                     MBK_RESTORE_STAGING_PREFIX, p->runid, c->rep->name);
            if (mbk_names_coll_check(p->db, c->orig, NULL) != 0) {
                return mbk_error_set(err, MBK_ERROR_ENGINE,
                                     MBK_ENGINE_EBADNAME,
                                     "collection \"%s\": the name is too long "
                                     "for a staging collection",
                                     c->rep->name);
            }
        } else {
            snprintf(c->dest, sizeof(c->dest), "%s", c->rep->name);
        }
        if (p->o->dry_run || (!p->o->drop && c->existed)) {
            continue;
        }
        if (!p->o->drop) {
            bson_t j = BSON_INITIALIZER;
            int jrc;

            BSON_APPEND_UTF8(&j, "c", c->dest);
            BSON_APPEND_BOOL(&j, "created", true);
            jrc = mbk_engine_restore_journal(p, &j, err);
            bson_destroy(&j);
            if (jrc != 0) {
                return -1;
            }
        }
        if (mbk_mongo_create(p->m, p->db, c->dest,
                             p->o->no_options ? NULL : &c->options,
                             err) != 0) {
            return mbk_error_prefix(err, "creating \"%s\"", c->dest);
        }
        c->created = true;
    }
    return 0;
}

/* ---- after the data: indexes and checks ------------------------------ */

struct idx_names {
    struct names names;
};

static int
on_index_name(const bson_t *doc, void *ud, struct mbk_error *err)
{
    return mbk_engine_restore_on_name(doc, ud, err);
}

/*
 * Index specs of old deployments, converted as mongorestore's
 * --convertLegacyIndexes does (our own code, same rules): a key value that
 * is a number equal to 0, an empty string or neither number nor string
 * becomes 1; options mongod no longer knows (dropDups, safe, ...) are
 * dropped; a numeric "background" becomes a boolean.  Returns how many
 * changes were made; the report counts converted specs.
 */
static int
legacy_key(const bson_t *key, bson_t *out)
{
    bson_iter_t it;
    int changed = 0;

    if (!bson_iter_init(&it, key)) {
        return 0;
    }
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        bool one;

        switch (bson_iter_type(&it)) {
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
            one = bson_iter_as_double(&it) == 0.0;
            break;
        case BSON_TYPE_DECIMAL128: {
            bson_decimal128_t d;
            char text[BSON_DECIMAL128_STRING];
            double v;

            bson_iter_decimal128(&it, &d);
            bson_decimal128_to_string(&d, text);
            v = strtod(text, NULL);
            one = v == 0.0;
            break;
        }
        case BSON_TYPE_UTF8:
            one = bson_iter_utf8(&it, NULL)[0] == '\0';
            break;
        default:
            one = true;
            break;
        }
        if (one) {
            BSON_APPEND_INT32(out, k, 1);
            changed++;
        } else {
            bson_append_iter(out, k, -1, &it);
        }
    }
    return changed;
}

static int
legacy_index(const bson_t *spec, bson_t *out)
{
    static const char *const known[] = {
        "v", "key", "name", "unique", "partialFilterExpression", "sparse",
        "expireAfterSeconds", "storageEngine", "weights", "default_language",
        "language_override", "textIndexVersion", "2dsphereIndexVersion",
        "bits", "min", "max", "bucketSize", "collation", "wildcardProjection",
        "hidden", "background", "coarsestIndexedLevel", "finestIndexedLevel",
        "clustered", "prepareUnique", "columnstoreProjection", NULL};
    bson_iter_t it;
    int changed = 0;

    if (!bson_iter_init(&it, spec)) {
        return 0;
    }
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        const char *const *w = known;

        if (strcmp(k, "ns") == 0) {
            continue; /* mongod 4.4+ does not keep it: not a change */
        }
        while (*w != NULL && strcmp(*w, k) != 0) {
            w++;
        }
        if (*w == NULL) {
            changed++;
        } else if (strcmp(k, "key") == 0 && BSON_ITER_HOLDS_DOCUMENT(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t key;
            bson_t conv;

            bson_iter_document(&it, &len, &data);
            bson_init_static(&key, data, len);
            BSON_APPEND_DOCUMENT_BEGIN(out, "key", &conv);
            changed += legacy_key(&key, &conv);
            bson_append_document_end(out, &conv);
        } else if (strcmp(k, "background") == 0 && !BSON_ITER_HOLDS_BOOL(&it)) {
            BSON_APPEND_BOOL(out, "background", bson_iter_as_bool(&it));
            changed++;
        } else {
            bson_append_iter(out, k, -1, &it);
        }
    }
    return changed;
}

/* The backup's index specs, less _id_, converted as above. */
static int
index_specs(const struct rcoll *c, const struct names *skip, bson_t *out,
            struct mbk_error *err)
{
    bson_iter_t it;
    uint32_t n = 0;

    bson_init(out);
    if (!bson_iter_init(&it, &c->indexes)) {
        return 0;
    }
    while (bson_iter_next(&it)) {
        const uint8_t *data;
        uint32_t len;
        bson_t spec;
        bson_t clean = BSON_INITIALIZER;
        bson_iter_t f;
        const char *name = "";
        char k[16];
        const char *key;

        if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
            continue;
        }
        bson_iter_document(&it, &len, &data);
        bson_init_static(&spec, data, len);
        if (bson_iter_init_find(&f, &spec, "name") &&
            BSON_ITER_HOLDS_UTF8(&f)) {
            name = bson_iter_utf8(&f, NULL);
        }
        if (strcmp(name, "_id_") == 0 ||
            (skip != NULL && mbk_engine_restore_names_has(skip, name))) {
            bson_destroy(&clean);
            continue;
        }
        if (legacy_index(&spec, &clean) > 0) {
            c->rep->indexes_converted++;
        }
        bson_uint32_to_string(n++, &key, k, sizeof(k));
        if (!bson_append_document(out, key, -1, &clean)) {
            bson_destroy(&clean);
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "index list too large");
        }
        bson_destroy(&clean);
    }
    return (int)n;
}

static int
build_indexes(struct plan *p, struct rcoll *c, struct mbk_error *err)
{
    struct names existing = {NULL, 0};
    bson_t specs;
    bson_iter_t it;
    int n;
    int rc = -1;

    if (!p->o->drop && !c->created &&
        mbk_mongo_list_indexes(p->m, p->db, c->dest, on_index_name, &existing,
                               err) != 0) {
        return -1;
    }
    n = index_specs(c, &existing, &specs, err);
    if (n < 0) {
        goto out;
    }
    /* what we add to a collection that was there before is journaled
     * first, so that a rollback can take it away again */
    if (!p->o->drop && !c->created && bson_iter_init(&it, &specs)) {
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
                    goto out;
                }
            }
        }
    }
    if (n > 0 &&
        mbk_mongo_create_indexes(p->m, p->db, c->dest, &specs, err) != 0) {
        mbk_error_prefix(err, "collection \"%s\": building indexes",
                         c->rep->name);
        goto out;
    }
    c->rep->indexes_created = (uint32_t)n;
    rc = 0;
out:
    bson_destroy(&specs);
    mbk_engine_restore_names_free(&existing);
    return rc;
}

static int
on_sum(const bson_t *doc, void *ud, struct mbk_error *err)
{
    (void)err;
    mbk_engine_restore_sum_doc(ud, bson_get_data(doc), doc->len);
    return 0;
}

/* With drop: the staging collection holds exactly the file's documents:
 * the count, and the sum of every document's SHA-256 read back. */
static int
check_staging(struct plan *p, struct rcoll *c, struct mbk_error *err)
{
    bson_t filter = BSON_INITIALIZER;
    struct mbk_restore_sums sums;
    int64_t n;

    memset(&sums, 0, sizeof(sums));
    int rc;

    n = mbk_mongo_count(p->m, p->db, c->dest, err);
    if (n < 0) {
        bson_destroy(&filter);
        return -1;
    }
    if ((uint64_t)n != c->rep->docs) {
        bson_destroy(&filter);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                             "collection \"%s\": staging holds %lld "
                             "documents, the backup %llu",
                             c->rep->name, (long long)n,
                             (unsigned long long)c->rep->docs);
    }
    rc = mbk_mongo_find_each(p->m, p->db, c->dest, &filter, NULL, on_sum,
                             &sums, err);
    bson_destroy(&filter);
    if (rc != 0) {
        return -1;
    }
    if (!mbk_engine_restore_sums_equal(&c->sums, &sums)) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                             "collection \"%s\": the documents read back "
                             "from staging differ from those written",
                             c->rep->name);
    }
    return 0;
}

/* ---- views, and the swap ---------------------------------------------- */

static int
restore_view(struct plan *p, struct rcoll *c, struct mbk_error *err)
{
    bson_t entry = BSON_INITIALIZER;
    bson_iter_t it;
    int found;
    bool is_view;
    int rc = -1;

    found = lookup_coll(p, c->rep->name, &entry, err);
    if (found < 0) {
        goto out;
    }
    if (found) {
        is_view = bson_iter_init_find(&it, &entry, "type") &&
                  BSON_ITER_HOLDS_UTF8(&it) &&
                  strcmp(bson_iter_utf8(&it, NULL), "view") == 0;
        if (!p->o->drop && p->o->conflict == MBK_RESTORE_SKIP) {
            c->rep->skipped++;
            rc = 0;
            goto out;
        }
        if (!p->o->drop && (p->o->conflict == MBK_RESTORE_FAIL || !is_view)) {
            mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                          "\"%s\" exists in the target (conflict policy: "
                          "%s)",
                          c->rep->name, is_view ? "fail" : "a collection");
            goto out;
        }
        if (is_view) {
            if (bson_iter_init_find(&it, &entry, "options") &&
                BSON_ITER_HOLDS_DOCUMENT(&it)) {
                const uint8_t *d;
                uint32_t l;
                bson_t o;

                bson_iter_document(&it, &l, &d);
                bson_init_static(&o, d, l);
                bson_destroy(&c->old_view);
                bson_copy_to(&o, &c->old_view);
            }
            if (!p->o->drop) {
                bson_t j = BSON_INITIALIZER;
                int jrc;

                BSON_APPEND_UTF8(&j, "c", c->rep->name);
                BSON_APPEND_DOCUMENT(&j, "view", &c->old_view);
                jrc = mbk_engine_restore_journal(p, &j, err);
                bson_destroy(&j);
                if (jrc != 0) {
                    goto out;
                }
            }
            if (mbk_mongo_drop(p->m, p->db, c->rep->name, err) != 0) {
                goto out;
            }
            c->had_view = true;
        } else {
            snprintf(c->orig, sizeof(c->orig), "%s%s.o.%s",
                     MBK_RESTORE_STAGING_PREFIX, p->runid, c->rep->name);
            if (mbk_mongo_rename(p->m, p->db, c->rep->name, c->orig, false,
                                 err) != 0) {
                goto out;
            }
            c->moved = true;
        }
    } else if (!p->o->drop) {
        bson_t j = BSON_INITIALIZER;
        int jrc;

        BSON_APPEND_UTF8(&j, "c", c->rep->name);
        BSON_APPEND_BOOL(&j, "created", true);
        jrc = mbk_engine_restore_journal(p, &j, err);
        bson_destroy(&j);
        if (jrc != 0) {
            goto out;
        }
    }
    if (mbk_mongo_create(p->m, p->db, c->rep->name, &c->options, err) != 0) {
        mbk_error_prefix(err, "creating view \"%s\"", c->rep->name);
        goto out;
    }
    c->created = true;
    rc = 0;
out:
    bson_destroy(&entry);
    return rc;
}

static int
journal_put(struct plan *p, const char *state, struct mbk_error *err)
{
    bson_t doc = BSON_INITIALIZER;
    bson_t arr;
    uint32_t n = 0;
    int rc;

    BSON_APPEND_UTF8(&doc, "_id", p->runid);
    BSON_APPEND_UTF8(&doc, "state", state);
    BSON_APPEND_ARRAY_BEGIN(&doc, "colls", &arr);
    for (size_t i = 0; i < p->n; i++) {
        struct rcoll *c = &p->colls[i];
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
        rc = mbk_mongo_insert_many(p->m, p->db, JOURNAL_COLL, docs, 1, true,
                                   false, &wr, err);
    } else {
        rc = mbk_mongo_replace(p->m, p->db, JOURNAL_COLL, &doc, false, err);
    }
    bson_destroy(&doc);
    return rc;
}

static void
journal_delete(struct plan *p)
{
    bson_t ids = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&ids, "0", p->runid);
    mbk_mongo_delete_ids(p->m, p->db, JOURNAL_COLL, &ids, NULL);
    bson_destroy(&ids);
    if (mbk_mongo_count(p->m, p->db, JOURNAL_COLL, NULL) == 0) {
        mbk_mongo_drop(p->m, p->db, JOURNAL_COLL, NULL);
    }
}

static int
swap(struct plan *p, struct mbk_error *err)
{
    if (journal_put(p, "swap", err) != 0) {
        return mbk_error_prefix(err, "writing the restore journal");
    }
    for (size_t i = 0; i < p->n; i++) {
        struct rcoll *c = &p->colls[i];

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

int
mbk_engine_restore_finish(struct plan *p, struct mbk_error *err)
{
    if (p->o->dry_run) {
        return 0;
    }
    for (size_t i = 0; i < p->n && !p->o->no_indexes; i++) {
        if (p->colls[i].selected && !p->colls[i].is_view) {
            p->indexes_total += bson_count_keys(&p->colls[i].indexes);
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        struct rcoll *c = &p->colls[i];

        if (!c->selected || c->is_view) {
            continue;
        }
        mbk_engine_restore_progress(p, "building indexes", c->rep->name);
        if (!p->o->no_indexes && build_indexes(p, c, err) != 0) {
            return -1;
        }
        if (!p->o->no_indexes) {
            p->indexes_done += bson_count_keys(&c->indexes);
        }
        if (p->o->drop || c->created) {
            if (check_staging(p, c, err) != 0) {
                return -1;
            }
        } else if (c->rep->inserted + c->rep->skipped + c->rep->replaced !=
                   c->rep->docs) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                                 "collection \"%s\": %llu documents handled, "
                                 "the backup has %llu",
                                 c->rep->name,
                                 (unsigned long long)(c->rep->inserted +
                                                      c->rep->skipped +
                                                      c->rep->replaced),
                                 (unsigned long long)c->rep->docs);
        }
        c->rep->seconds = mbk_names_seconds() - c->started;
    }
    mbk_engine_restore_progress(p, "swapping", NULL);
    if (p->o->drop && swap(p, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct rcoll *c = &p->colls[i];

        if (c->selected && c->is_view && restore_view(p, c, err) != 0) {
            return -1;
        }
    }
    if (!p->o->drop && p->journaled &&
        mbk_mongo_drop(p->m, p->db, p->journal, err) != 0) {
        return mbk_error_prefix(err, "dropping the restore journal");
    }
    if (p->o->drop) {
        struct mbk_error e;

        /* The point of no return: from here the new data stays. */
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
    }
    return 0;
}

/* ---- rollback --------------------------------------------------------- */

void
mbk_engine_restore_rollback(struct plan *p)
{
    unsigned failures = 0;
    unsigned undone = 0;
    struct mbk_error e;

    mbk_error_clear(&e);
    if (!p->o->drop) {
        /* everything this run changed is in its journal */
        if (p->journaled) {
            failures = mbk_engine_restore_undo(p->m, p->db, p->journal, &e);
            for (size_t i = 0; i < p->n && failures == 0; i++) {
                undone += p->colls[i].selected;
            }
        }
    } else {
        for (size_t k = p->n; k-- > 0;) {
            struct rcoll *c = &p->colls[k];

            if (!c->selected) {
                continue;
            }
            if (c->is_view) {
                if (c->created) {
                    failures +=
                        mbk_mongo_drop(p->m, p->db, c->rep->name, &e) != 0;
                }
                if (c->had_view) {
                    failures += mbk_mongo_create(p->m, p->db, c->rep->name,
                                                 &c->old_view, &e) != 0;
                }
                if (c->moved) {
                    failures += mbk_mongo_rename(p->m, p->db, c->orig,
                                                 c->rep->name, true, &e) != 0;
                }
                undone += c->created || c->had_view || c->moved;
                continue;
            }
            if (c->moved) {
                failures += mbk_mongo_rename(p->m, p->db, c->orig,
                                             c->rep->name, true, &e) != 0;
            } else if (c->swapped) {
                failures += mbk_mongo_drop(p->m, p->db, c->rep->name, &e) != 0;
            }
            if (c->created) {
                failures += mbk_mongo_drop(p->m, p->db, c->dest, &e) != 0;
            }
            undone += c->created;
        }
        journal_delete(p);
    }
    if (failures == 0 && undone == 0) {
        snprintf(p->rep->rollback, sizeof(p->rep->rollback), "%s",
                 "nothing to roll back: the target had not been changed");
    } else if (failures == 0) {
        snprintf(p->rep->rollback, sizeof(p->rep->rollback),
                 "rolled back: %u collection(s) put back as they were",
                 undone);
    } else {
        snprintf(p->rep->rollback, sizeof(p->rep->rollback),
                 "rollback incomplete: %u step(s) failed (last: %.120s); "
                 "the next restore into this database finishes it",
                 failures, e.message);
    }
}
