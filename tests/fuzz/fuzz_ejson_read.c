/*
 * fuzz_ejson_read.c: libFuzzer target for the streaming backup-file reader
 * (engine/ejson/ejson_read.h), fed the input in chunk splits drawn from the
 * input.  Every document handed out must survive a round trip through
 * libbson's canonical Extended JSON and mbk_ejson_to_bson byte for byte.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "engine/ejson/ejson_read.h"
#include "tests/fuzz/fuzz_split.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    int in_coll;
    uint64_t docs;
};

static int
on_meta(void *ud, const char *json, size_t len, struct mbk_error *err)
{
    (void)ud;
    (void)err;
    if (len < 2 || json[0] != '{' || json[len - 1] != '}' ||
        json[len] != '\0') {
        abort(); /* the header promises '{' to '}', NUL-terminated */
    }
    return 0;
}

static int
on_begin(void *ud, const char *name, struct mbk_error *err)
{
    struct seen *s = ud;

    (void)err;
    if (s->in_coll || name[0] == '\0') {
        abort();
    }
    s->in_coll = 1;
    s->docs = 0;
    return 0;
}

/* Round trip: doc -> canonical Extended JSON (libbson) -> our converter. */
static void
round_trip(const bson_t *doc)
{
    struct mbk_error err;
    size_t len = 0;
    char *json = bson_as_canonical_extended_json(doc, &len);
    bson_t back;

    if (json == NULL) {
        return; /* libbson cannot write it (invalid UTF-8 it let through) */
    }
    if (mbk_ejson_to_bson(json, len, &back, &err) != 0) {
        fprintf(stderr, "round trip refused: %s\n%s\n", err.message, json);
        abort();
    }
    if (back.len != doc->len ||
        memcmp(bson_get_data(&back), bson_get_data(doc), doc->len) != 0) {
        fprintf(stderr, "round trip changed the document:\n%s\n", json);
        abort();
    }
    bson_destroy(&back);
    bson_free(json);
}

static int
on_doc(void *ud, const bson_t *doc, struct mbk_error *err)
{
    struct seen *s = ud;

    (void)err;
    if (!s->in_coll) {
        abort();
    }
    s->docs++;
    round_trip(doc);
    return 0;
}

static int
on_end(void *ud, const char *name, uint64_t count, const unsigned char *sha,
       int typed, struct mbk_error *err)
{
    struct seen *s = ud;

    (void)name;
    (void)sha;
    (void)err;
    if (!s->in_coll || count != s->docs || (typed != 0 && typed != 1)) {
        abort();
    }
    s->in_coll = 0;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small limits so that each of them is reached quickly. */
    const struct mbk_ejson_limits lim = {
        .depth = 40,
        .doc_bytes = 64 * 1024,
        .total_bytes = 1024 * 1024,
        .collections = 64,
        .metadata_bytes = 64 * 1024,
    };
    const struct mbk_ejson_reader_cb cb = {on_meta, on_begin, on_doc, on_end};
    struct seen s = {0, 0};
    struct mbk_ejson_reader *r = mbk_ejson_reader_new(&lim, &cb, &s);
    struct fuzz_split sp;
    struct mbk_error err;
    size_t off = 0;
    int rc = 0;

    if (r == NULL) {
        abort();
    }
    fuzz_split_init(&sp, data, size);
    while (off < size && rc == 0) {
        size_t n = fuzz_split_next(&sp, size - off);

        rc = mbk_ejson_reader_feed(r, data + off, n, &err);
        off += n;
    }
    if (rc == 0) {
        rc = mbk_ejson_reader_finish(r, &err);
    }
    if (rc != 0 && strlen(err.message) == 0) {
        abort(); /* every failure says why */
    }
    if (rc == 0 && mbk_ejson_reader_offset(r) != size) {
        abort();
    }
    mbk_ejson_reader_free(r);
    return 0;
}
