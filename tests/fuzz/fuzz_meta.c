/*
 * fuzz_meta.c: libFuzzer target for the metadata head reading that `mbk
 * list` does on every backup (mbk_engine_meta_read over a source on the
 * input, gzip or plain, in short reads).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/backup/catalog.h"
#include "engine/source.h"
#include "tests/fuzz/fuzz_split.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *p;
    size_t len;
    size_t off;
    struct fuzz_split sp;
};

static ssize_t
mem_read(void *ud, void *buf, size_t len, struct mbk_error *err)
{
    struct mem *m = ud;
    size_t n;

    (void)err;
    if (m->off == m->len) {
        return 0;
    }
    n = fuzz_split_next(&m->sp, m->len - m->off);
    if (n > len) {
        n = len;
    }
    memcpy(buf, m->p + m->off, n);
    m->off += n;
    return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem m = {data, size, 0, {0}};
    struct json_object *meta = NULL;
    struct mbk_error err;
    struct mbk_source *s;

    fuzz_split_init(&m.sp, data, size);
    s = mbk_source_new(mem_read, &m, 4 * 1024 * 1024, "fuzz input", &err);
    if (s == NULL) {
        abort();
    }
    memset(&err, 0, sizeof(err));
    if (mbk_engine_meta_read(s, &meta, &err) == 0) {
        if (meta == NULL || !json_object_is_type(meta, json_type_object)) {
            abort(); /* success means an object */
        }
        /* what list prints */
        (void)json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN);
        json_object_put(meta);
    } else if (err.message[0] == '\0' || meta != NULL) {
        abort(); /* a failure says why and hands out nothing */
    }
    mbk_source_free(s);
    return 0;
}
