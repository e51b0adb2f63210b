/*
 * snapshot.c: a database as one comparable text, for "unchanged" checks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tests/integration/snapshot.h"

struct lines {
    char **v;
    size_t n;
};

static void
push(struct lines *l, char *s)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = s;
}

static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Join sorted lines, freeing them. */
static char *
join(struct lines *l)
{
    size_t len = 1;
    char *out;
    char *p;

    if (l->n > 1) {
        qsort(l->v, l->n, sizeof(*l->v), cmp);
    }
    for (size_t i = 0; i < l->n; i++) {
        len += strlen(l->v[i]) + 1;
    }
    out = malloc(len);
    p = out;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = strlen(l->v[i]);

        memcpy(p, l->v[i], k);
        p[k] = '\n';
        p += k + 1;
        bson_free(l->v[i]);
    }
    *p = '\0';
    free(l->v);
    l->v = NULL;
    l->n = 0;
    return out;
}

/* Hex of a document's bytes: exact, unlike any JSON form. */
static char *
hex_doc(const bson_t *doc)
{
    const uint8_t *d = bson_get_data(doc);
    char *out = bson_malloc(doc->len * 2 + 1);

    for (uint32_t i = 0; i < doc->len; i++) {
        static const char digits[] = "0123456789abcdef";

        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[doc->len * 2] = '\0';
    return out;
}

char *
mbk_snapshot_docs(mongoc_client_t *client, const char *db, const char *coll)
{
    mongoc_collection_t *c = mongoc_client_get_collection(client, db, coll);
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, NULL,
                                                            NULL);
    const bson_t *doc;
    struct lines l = {NULL, 0};

    while (mongoc_cursor_next(cur, &doc)) {
        push(&l, hex_doc(doc));
    }
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(c);
    bson_destroy(&filter);
    return join(&l);
}

char *
mbk_snapshot(mongoc_client_t *client, const char *db, const char *skip_prefix)
{
    mongoc_database_t *d = mongoc_client_get_database(client, db);
    mongoc_cursor_t *cur = mongoc_database_find_collections_with_opts(d, NULL);
    const bson_t *info;
    struct lines l = {NULL, 0};

    while (mongoc_cursor_next(cur, &info)) {
        bson_iter_t it;
        const char *name;
        bson_t clean = BSON_INITIALIZER;
        mongoc_collection_t *c;
        mongoc_cursor_t *ix;
        const bson_t *spec;
        char *docs;
        char *text;

        if (!bson_iter_init_find(&it, info, "name")) {
            continue;
        }
        name = bson_iter_utf8(&it, NULL);
        if (strncmp(name, "system.", 7) == 0 ||
            (skip_prefix && strncmp(name, skip_prefix, strlen(skip_prefix)) == 0)) {
            continue;
        }
        /* the entry less its uuid (a new collection gets a new one) */
        bson_copy_to_excluding_noinit(info, &clean, "info", NULL);
        text = bson_as_canonical_extended_json(&clean, NULL);
        push(&l, bson_strdup_printf("collection %s", text));
        bson_free(text);
        bson_destroy(&clean);
        c = mongoc_client_get_collection(client, db, name);
        ix = mongoc_collection_find_indexes_with_opts(c, NULL);
        while (mongoc_cursor_next(ix, &spec)) {
            bson_t s = BSON_INITIALIZER;

            bson_copy_to_excluding_noinit(spec, &s, "ns", NULL);
            text = bson_as_canonical_extended_json(&s, NULL);
            push(&l, bson_strdup_printf("index %s %s", name, text));
            bson_free(text);
            bson_destroy(&s);
        }
        mongoc_cursor_destroy(ix);
        mongoc_collection_destroy(c);
        docs = mbk_snapshot_docs(client, db, name);
        for (char *p = docs, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
            push(&l, bson_strdup_printf("doc %s %.*s", name, (int)(nl - p), p));
        }
        free(docs);
    }
    mongoc_cursor_destroy(cur);
    mongoc_database_destroy(d);
    return join(&l);
}
