/*
 * fuzz_ejson_doc.c: libFuzzer target for the one-shot Extended JSON to
 * BSON converter (mbk_ejson_to_bson).  What it accepts must be valid BSON
 * and must come back identical through libbson's canonical Extended JSON.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "engine/ejson/ejson_read.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, not NUL-terminated, so ASan sees any overread. */
    char *json = malloc(size ? size : 1);
    struct mbk_error err;
    bson_t doc;
    bson_t back;
    char *canon;
    size_t clen = 0;

    if (json == NULL) {
        return 0;
    }
    memcpy(json, data, size);
    if (mbk_ejson_to_bson(json, size, &doc, &err) != 0) {
        if (err.message[0] == '\0') {
            abort(); /* every failure says why */
        }
        free(json);
        return 0;
    }
    if (!bson_validate(&doc, BSON_VALIDATE_NONE, NULL)) {
        fprintf(stderr, "accepted input gave invalid BSON\n");
        abort();
    }
    canon = bson_as_canonical_extended_json(&doc, &clen);
    if (canon != NULL) {
        if (mbk_ejson_to_bson(canon, clen, &back, &err) != 0) {
            fprintf(stderr, "round trip refused: %s\n%s\n", err.message,
                    canon);
            abort();
        }
        if (back.len != doc.len ||
            memcmp(bson_get_data(&back), bson_get_data(&doc), doc.len) != 0) {
            fprintf(stderr, "round trip changed the document:\n%s\n", canon);
            abort();
        }
        bson_destroy(&back);
        bson_free(canon);
    }
    bson_destroy(&doc);
    free(json);
    return 0;
}
