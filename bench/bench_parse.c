/*
 * bench_parse.c: parsing alone, no server.  Generates a backup file of
 * CRM-like documents in memory, then times libbson's bson_init_from_json
 * per document against mbk's streaming reader over the whole text.
 * Usage: bench_parse [documents [runs]] (default 100000 documents, best
 * of 3 runs of the reader).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "engine/buf.h"
#include "engine/ejson/ejson_read.h"

/* CPU seconds of this (single-threaded) process: on a shared, loaded
 * machine the wall clock also counts other programs' time slices. */
static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
crm_doc(bson_t *b, uint32_t i)
{
    static const char *const cities[] = {"Lyon",  "Zürich", "Québec",
                                         "Osaka", "Lagos",  "Austin"};
    static const char *const status[] = {"lead", "customer", "churned"};
    bson_oid_t oid;
    bson_decimal128_t dec;
    bson_t child;
    char s[128];

    bson_oid_init(&oid, NULL);
    BSON_APPEND_OID(b, "_id", &oid);
    snprintf(s, sizeof(s), "Customer %u", i);
    BSON_APPEND_UTF8(b, "name", s);
    snprintf(s, sizeof(s), "customer%u@example.com", i);
    BSON_APPEND_UTF8(b, "email", s);
    snprintf(s, sizeof(s), "+1-555-%04u", i % 10000);
    BSON_APPEND_UTF8(b, "phone", s);
    BSON_APPEND_DOCUMENT_BEGIN(b, "address", &child);
    snprintf(s, sizeof(s), "%u Main Street", i % 997);
    BSON_APPEND_UTF8(&child, "street", s);
    BSON_APPEND_UTF8(&child, "city", cities[i % 6]);
    BSON_APPEND_UTF8(&child, "zip", "69001");
    bson_append_document_end(b, &child);
    BSON_APPEND_ARRAY_BEGIN(b, "tags", &child);
    BSON_APPEND_UTF8(&child, "0", "vip");
    BSON_APPEND_UTF8(&child, "1", i % 2 ? "newsletter" : "b2b");
    bson_append_array_end(b, &child);
    BSON_APPEND_UTF8(b, "status", status[i % 3]);
    BSON_APPEND_INT32(b, "visits", (int32_t)(i % 1000));
    BSON_APPEND_DOUBLE(b, "score", (double)(i % 1000) / 7.0);
    if (i % 4 == 0) {
        snprintf(s, sizeof(s), "%u.%02u", i % 100000, i % 100);
        bson_decimal128_from_string(s, &dec);
        BSON_APPEND_DECIMAL128(b, "balance", &dec);
    }
    BSON_APPEND_BOOL(b, "active", i % 5 != 0);
    BSON_APPEND_DATE_TIME(b, "createdAt", 1600000000000 + (int64_t)i * 1000);
    if (i % 2 == 0) {
        BSON_APPEND_INT64(b, "lifetimeCents", (int64_t)i * 1234567);
    }
}

static int
count_doc(void *ud, const bson_t *doc, struct mbk_error *err)
{
    uint64_t *bytes = ud;

    *bytes += doc->len;
    return 0;
}

int
main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    struct mbk_buf text;
    size_t *starts = calloc((size_t)n + 1, sizeof(*starts));
    size_t doc_bytes = 0;
    uint64_t bson_libbson = 0;
    double t0;
    double t_lib;
    double t_ours = 1e9;
    uint64_t bson_ours = 0;

    mbk_buf_init(&text, (size_t)1 << 34);
    mbk_buf_append_str(&text,
                       "{\"metadata\": {\"database\": \"crm\", \"format\": "
                       "\"mbk/1\"},\n\"collections\": {\"customers\": [\n",
                       NULL);
    for (uint32_t i = 0; i < n; i++) {
        bson_t b = BSON_INITIALIZER;
        size_t len;
        char *json;

        crm_doc(&b, i);
        json = bson_as_canonical_extended_json(&b, &len);
        if (i > 0) {
            mbk_buf_append_str(&text, ",\n", NULL);
        }
        starts[i] = text.len;
        mbk_buf_append(&text, json, len, NULL);
        doc_bytes += len;
        bson_free(json);
        bson_destroy(&b);
    }
    starts[n] = text.len;
    mbk_buf_append_str(&text, "\n]}}\n", NULL);
    printf("%u documents, %.1f MB of JSON (%.0f bytes each), file %.1f MB\n",
           n, (double)doc_bytes / 1e6, (double)doc_bytes / n,
           (double)text.len / 1e6);

    /* libbson, one document at a time, as restore would without mbk's. */
    t0 = now();
    for (uint32_t i = 0; i < n; i++) {
        bson_t b;
        bson_error_t e;
        size_t len = starts[i + 1] - starts[i];

        if (i + 1 < n) {
            len -= 2; /* ",\n" */
        } else {
            len =
                strchr(text.data + starts[i], '\n') - (text.data + starts[i]);
        }
        if (!bson_init_from_json(&b, text.data + starts[i], (ssize_t)len,
                                 &e)) {
            fprintf(stderr, "libbson: %s\n", e.message);
            return 1;
        }
        bson_libbson += b.len;
        bson_destroy(&b);
    }
    t_lib = now() - t0;

    /* mbk's reader over the whole file in 64 KiB chunks; best of runs. */
    for (int run = 0; run < runs; run++) {
        struct mbk_ejson_reader_cb cb = {NULL, NULL, count_doc, NULL};
        struct mbk_ejson_reader *r;
        struct mbk_error err;
        double t;

        bson_ours = 0;
        r = mbk_ejson_reader_new(NULL, &cb, &bson_ours);
        t0 = now();
        for (size_t off = 0; off < text.len; off += 65536) {
            size_t len = text.len - off < 65536 ? text.len - off : 65536;

            if (mbk_ejson_reader_feed(r, text.data + off, len, &err) < 0) {
                fprintf(stderr, "mbk: %s\n", err.message);
                return 1;
            }
        }
        if (mbk_ejson_reader_finish(r, &err) < 0) {
            fprintf(stderr, "mbk: %s\n", err.message);
            return 1;
        }
        t = now() - t0;
        mbk_ejson_reader_free(r);
        if (t < t_ours) {
            t_ours = t;
        }
    }
    if (bson_ours != bson_libbson) {
        fprintf(stderr, "BSON sizes differ: %llu vs %llu\n",
                (unsigned long long)bson_ours,
                (unsigned long long)bson_libbson);
        return 1;
    }
    printf("libbson bson_init_from_json per document: %7.1f MB/s of JSON "
           "(%.3f s)\n",
           (double)doc_bytes / 1e6 / t_lib, t_lib);
    printf("mbk reader, whole file, SHA-256 included: %7.1f MB/s of JSON "
           "(%.3f s)\n",
           (double)text.len / 1e6 / t_ours, t_ours);
    printf("ratio: %.2fx\n",
           ((double)text.len / t_ours) / ((double)doc_bytes / t_lib));
    mbk_buf_free(&text);
    free(starts);
    return 0;
}
