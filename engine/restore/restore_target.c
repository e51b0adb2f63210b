/*
 * restore_target.c: what surrounds restore's writing pass, the same for
 * either strategy: the digests of what went in, preparing the target
 * (leftovers of crashed runs removed, what it holds), indexes, the read
 * back, views, and the order of the finish and of the rollback.  Where
 * the documents go and how a failure is undone is the strategy's
 * (restore_staging.c, restore_journal.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "engine/names.h"
#include "engine/restore/restore_private.h"

/* ---- small helpers ---------------------------------------------------- */

void
mbk_engine_restore_sum(uint64_t sum[2], const uint8_t *data, size_t len)
{
    /* An integrity check of our own pipeline, not a defence against an
     * adversary: CRC-32 and Adler-32 of each document, summed so that
     * order does not matter.  libdeflate's, not zlib's: the same values
     * (the standard CRC-32 and Adler-32; tests/unit/test_restore_sums.c
     * pins them), about 5x faster (PCLMUL, AVX2): 83 against 470 ns for
     * both over a 450-byte document here.  Why not one 64-bit hash such
     * as XXH3's: about the same odds against a random change (2^-64 per
     * document) but not CRC-32's certainty of catching every burst of at
     * most 32 bits; a 128-bit one would be stronger, and a new dependency
     * (libxxhash-dev) for hashing that now costs 4 % of restore's CPU
     * (README.md, "Performance"). */
    uint32_t crc = libdeflate_crc32(0, data, len);
    uint32_t adler = libdeflate_adler32(1, data, len);

    sum[0] += ((uint64_t)crc << 32) | (uint64_t)adler;
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

    /* mongod stores _id first (engine/restore/restore.h) */
    if (len > 9 && memcmp(data + 5, "_id", 4) != 0) {
        moved = id_moved_first(data, len);
        if (moved != NULL) {
            data = moved;
            s->reordered++;
        }
    }
    ts = timestamps((uint8_t *)data, len, false);
    if (ts == 0) {
        /* One sum for both digests.  timestamps(zero) writes only the 8
         * value bytes of top-level Timestamp elements other than _id, and
         * ts == 0 says there is none (or that data is not a document it
         * can walk, when it writes nothing either): the copy the branch
         * below would sum is byte for byte data.  mbk_engine_restore_sum
         * depends on the bytes and nothing else, and both digests are
         * sums, so adding this one value to each gives what summing twice
         * gave (tests/unit/test_restore_sums.c compares with a digest
         * computed the long way). */
        uint64_t one[2] = {0, 0};

        mbk_engine_restore_sum(one, data, len);
        s->full[0] += one[0];
        s->full[1] += one[1];
        s->no_ts[0] += one[0];
        s->no_ts[1] += one[1];
    } else {
        mbk_engine_restore_sum(s->full, data, len);
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

int
mbk_engine_restore_lookup(struct rs_plan *p, const char *name, bson_t *out,
                          struct mbk_error *err)
{
    struct one o = {name, out, 0};

    if (mbk_mongo_list_collections(p->m, p->db, on_entry, &o, err) != 0) {
        return -1;
    }
    return o.found;
}

static bool
is_view_entry(const bson_t *entry)
{
    bson_iter_t it;

    return bson_iter_init_find(&it, entry, "type") &&
           BSON_ITER_HOLDS_UTF8(&it) &&
           strcmp(bson_iter_utf8(&it, NULL), "view") == 0;
}

void
mbk_engine_restore_keep_view(struct rs_coll *c, const bson_t *entry)
{
    bson_iter_t it;

    if (bson_iter_init_find(&it, entry, "options") &&
        BSON_ITER_HOLDS_DOCUMENT(&it)) {
        const uint8_t *d;
        uint32_t l;
        bson_t o;

        bson_iter_document(&it, &l, &d);
        bson_init_static(&o, d, l);
        bson_destroy(&c->old_view);
        bson_copy_to(&o, &c->old_view);
    }
}

/* ---- before the data -------------------------------------------------- */

int
mbk_engine_restore_create_dest(struct rs_plan *p, struct rs_coll *c,
                               struct mbk_error *err)
{
    if (mbk_mongo_create(p->m, p->db, c->dest,
                         p->o->no_options ? NULL : &c->options, err) != 0) {
        return mbk_error_prefix(err, "creating \"%s\"", c->dest);
    }
    c->created = true;
    return 0;
}

int
mbk_engine_restore_prepare(struct rs_plan *p, struct mbk_error *err)
{
    if (!p->o->dry_run &&
        mbk_engine_restore_recover(p->m, p->db, NULL, err) != 0) {
        return mbk_error_prefix(err, "removing what a crashed restore left");
    }
    if (p->st->check_target != NULL && p->st->check_target(p, err) != 0) {
        return -1;
    }
    mbk_engine_restore_runid(p->runid, sizeof(p->runid));
    snprintf(p->journal, sizeof(p->journal), "%s%s.j",
             MBK_RESTORE_STAGING_PREFIX, p->runid);
    for (size_t i = 0; i < p->n; i++) {
        struct rs_coll *c = &p->colls[i];
        bson_t entry = BSON_INITIALIZER;
        int found;
        bool target_is_view = false;

        if (!c->selected) {
            bson_destroy(&entry);
            continue;
        }
        found = mbk_engine_restore_lookup(p, c->rep->name, &entry, err);
        if (found < 0) {
            bson_destroy(&entry);
            return -1;
        }
        target_is_view = found && is_view_entry(&entry);
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
        if (p->st->prepare(p, c, target_is_view, err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- after the data: indexes and checks ------------------------------ */

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

/* An element of a backup's index list that a restore builds: its name
 * ("" without one), or NULL when it is no spec (not a document) or _id_,
 * which MongoDB makes with every collection.  What index_specs sends and
 * what "building indexes" counts. */
static const char *
built_spec_name(const bson_iter_t *it)
{
    bson_iter_t f;
    const char *name = "";

    if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &f)) {
        return NULL;
    }
    if (bson_iter_find(&f, "name") && BSON_ITER_HOLDS_UTF8(&f)) {
        name = bson_iter_utf8(&f, NULL);
    }
    return strcmp(name, "_id_") == 0 ? NULL : name;
}

/* The backup's index specs, less _id_, converted as above. */
static int
index_specs(const struct rs_coll *c, const struct rs_names *skip, bson_t *out,
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
        const char *name = built_spec_name(&it);
        char k[16];
        const char *key;

        if (name == NULL ||
            (skip != NULL && mbk_engine_restore_names_has(skip, name))) {
            bson_destroy(&clean);
            continue;
        }
        bson_iter_document(&it, &len, &data);
        bson_init_static(&spec, data, len);
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

/* The backup's indexes built on c->dest; the strategy hears of them
 * first. */
static int
build_indexes(struct rs_plan *p, struct rs_coll *c, struct mbk_error *err)
{
    struct rs_names existing = {NULL, 0};
    bson_t specs;
    int n;
    int rc = -1;

    /* a collection that was there before keeps its indexes */
    if (!c->created &&
        mbk_mongo_list_indexes(p->m, p->db, c->dest,
                               mbk_engine_restore_on_name, &existing,
                               err) != 0) {
        return -1;
    }
    n = index_specs(c, &existing, &specs, err);
    if (n < 0) {
        goto out;
    }
    if (p->st->indexing != NULL && p->st->indexing(p, c, &specs, err) != 0) {
        goto out;
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

int
mbk_engine_restore_read_back(struct rs_plan *p, struct rs_coll *c,
                             struct mbk_error *err)
{
    bson_t filter = BSON_INITIALIZER;
    struct mbk_restore_sums sums;
    int64_t n;
    int rc;

    memset(&sums, 0, sizeof(sums));

    n = mbk_mongo_count(p->m, p->db, c->dest, err);
    if (n < 0) {
        bson_destroy(&filter);
        return -1;
    }
    if ((uint64_t)n != c->rep->docs) {
        bson_destroy(&filter);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EDIGEST,
                             "collection \"%s\": read back, MongoDB holds "
                             "%lld documents, the backup %llu",
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
                             "from MongoDB differ from those written",
                             c->rep->name);
    }
    return 0;
}

/* ---- views ------------------------------------------------------------ */

static int
restore_view(struct rs_plan *p, struct rs_coll *c, struct mbk_error *err)
{
    bson_t entry = BSON_INITIALIZER;
    int found;
    int rc = -1;

    found = mbk_engine_restore_lookup(p, c->rep->name, &entry, err);
    if (found < 0) {
        goto out;
    }
    rc = p->st->view(p, c, found ? &entry : NULL, err);
    if (rc != 0) {
        rc = rc > 0 ? 0 : -1;
        goto out;
    }
    rc = -1;
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

/* ---- the finish ------------------------------------------------------- */

/* The index specs of a backup that a restore builds (what "building
 * indexes" counts). */
static uint32_t
index_count(const bson_t *indexes)
{
    bson_iter_t it;
    uint32_t n = 0;

    if (!bson_iter_init(&it, indexes)) {
        return 0;
    }
    while (bson_iter_next(&it)) {
        n += built_spec_name(&it) != NULL;
    }
    return n;
}

int
mbk_engine_restore_finish(struct rs_plan *p, struct mbk_error *err)
{
    if (p->o->dry_run) {
        return 0;
    }
    for (size_t i = 0; i < p->n && !p->o->no_indexes; i++) {
        if (p->colls[i].selected && !p->colls[i].is_view) {
            p->indexes_total += index_count(&p->colls[i].indexes);
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        struct rs_coll *c = &p->colls[i];

        if (!c->selected || c->is_view) {
            continue;
        }
        mbk_engine_restore_progress(p, "building indexes", c->rep->name);
        if (!p->o->no_indexes && build_indexes(p, c, err) != 0) {
            return -1;
        }
        if (!p->o->no_indexes) {
            p->indexes_done += index_count(&c->indexes);
        }
        if (p->st->check(p, c, err) != 0) {
            return -1;
        }
        c->rep->seconds = mbk_names_seconds() - c->started;
    }
    mbk_engine_restore_progress(p, "swapping", NULL);
    if (p->st->swap != NULL && p->st->swap(p, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct rs_coll *c = &p->colls[i];

        if (c->selected && c->is_view && restore_view(p, c, err) != 0) {
            return -1;
        }
    }
    return p->st->commit(p, err);
}

/* ---- rollback --------------------------------------------------------- */

void
mbk_engine_restore_rollback(struct rs_plan *p)
{
    unsigned failures = 0;
    unsigned undone = 0;
    struct mbk_error e;

    mbk_error_clear(&e);
    p->st->rollback(p, &undone, &failures, &e);
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
