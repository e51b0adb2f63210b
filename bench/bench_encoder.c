/*
 * bench_encoder.c: BSON to canonical Extended JSON in memory, libbson's
 * bson_as_canonical_extended_json() against mbk_ejson_write() on the same
 * documents in the same run: MB/s of BSON for each and the ratio.
 * Usage: bench_encoder [seconds per measurement, default 0.5]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson.h>

#include "engine/ejson/ejson_write.h"

struct set {
    const char *name;
    uint8_t *data;   /* the documents, back to back */
    size_t *offs;    /* where each starts */
    size_t count;
    size_t bytes;
};

static uint64_t rng = 88172645463325252u;

static uint64_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const first[] = {"Anna", "Jürgen", "Li", "Olga", "Pedro",
                                    "Sam", "Zoë", "Marie-Claire"};
static const char *const last[] = {"Schmidt", "O'Brien", "García", "Nguyen",
                                   "Kowalski", "Smith", "Dubois", "Tanaka"};
static const char *const cities[] = {"Berlin", "São Paulo", "Lyon", "Osaka",
                                     "Chicago", "Kraków", "Dublin"};

/* A CRM contact of about 450 bytes: ObjectId, strings, ints, dates, a
 * nested document, an array and a double. */
static void
crm_doc(bson_t *b)
{
    bson_oid_t oid;
    bson_t child;
    char buf[128];
    int64_t now = INT64_C(1700000000000) + (int64_t)(rnd() % 100000000000u);
    const char *fn = first[rnd() % 8];
    const char *ln = last[rnd() % 8];
    const char *city = cities[rnd() % 7];
    const char *tag = rnd() & 1 ? "newsletter" : "vip";

    bson_oid_init(&oid, NULL);
    BSON_APPEND_OID(b, "_id", &oid);
    snprintf(buf, sizeof(buf), "%s %s", fn, ln);
    BSON_APPEND_UTF8(b, "name", buf);
    snprintf(buf, sizeof(buf), "%s.%s%u@example.com", fn, ln,
             (unsigned)(rnd() % 1000));
    BSON_APPEND_UTF8(b, "email", buf);
    snprintf(buf, sizeof(buf), "+49 30 %08u", (unsigned)(rnd() % 100000000));
    BSON_APPEND_UTF8(b, "phone", buf);
    BSON_APPEND_UTF8(b, "company", "Acme Widgets GmbH & Co. KG");
    BSON_APPEND_DOCUMENT_BEGIN(b, "address", &child);
    snprintf(buf, sizeof(buf), "%u Hauptstraße", (unsigned)(rnd() % 300));
    BSON_APPEND_UTF8(&child, "street", buf);
    /* BSON_APPEND_* evaluate their value twice: no rnd() inside */
    BSON_APPEND_UTF8(&child, "city", city);
    snprintf(buf, sizeof(buf), "%05u", (unsigned)(rnd() % 100000));
    BSON_APPEND_UTF8(&child, "zip", buf);
    BSON_APPEND_UTF8(&child, "country", "DE");
    bson_append_document_end(b, &child);
    BSON_APPEND_ARRAY_BEGIN(b, "tags", &child);
    BSON_APPEND_UTF8(&child, "0", "customer");
    BSON_APPEND_UTF8(&child, "1", tag);
    BSON_APPEND_UTF8(&child, "2", "region-eu");
    bson_append_array_end(b, &child);
    BSON_APPEND_DATE_TIME(b, "createdAt", now - 86400000);
    BSON_APPEND_DATE_TIME(b, "updatedAt", now);
    BSON_APPEND_INT32(b, "visits", (int32_t)(rnd() % 5000));
    BSON_APPEND_INT64(b, "revenueCents", (int64_t)(rnd() % 100000000));
    BSON_APPEND_DOUBLE(b, "score", (double)(rnd() % 10000) / 100.0);
    BSON_APPEND_BOOL(b, "active", rnd() & 1);
    BSON_APPEND_UTF8(b, "notes", "Called on Monday; asked for a quote "
                                 "(\"premium\" plan). Follow up next week.");
}

/* Mostly text: long strings with a little punctuation and UTF-8. */
static void
string_doc(bson_t *b)
{
    static const char *const words[] = {
        "lorem", "ipsum", "dolor", "sit", "amet,", "consectetur", "größe",
        "naïve", "\"quoted\"", "tab\there", "line\nbreak", "日本語", "emoji😀",
        "adipiscing", "elit.", "sed", "do", "eiusmod", "tempor",
    };
    char text[160];
    size_t n;
    int f;

    for (f = 0; f < 3; f++) {
        n = 0;
        while (n < 120) {
            const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];

            memcpy(text + n, w, strlen(w));
            n += strlen(w);
            text[n++] = ' ';
        }
        text[n] = '\0';
        bson_append_utf8(b, f == 0 ? "title" : f == 1 ? "body" : "summary",
                         -1, text, (int)n);
    }
}

/* Mostly numbers: doubles, ints and longs in arrays and fields. */
static void
number_doc(bson_t *b)
{
    bson_t arr;
    char key[8];
    int i;

    BSON_APPEND_INT64(b, "sensor", (int64_t)(rnd() % 100000));
    BSON_APPEND_DATE_TIME(b, "t", INT64_C(1700000000000)
                                      + (int64_t)(rnd() % 1000000000));
    BSON_APPEND_ARRAY_BEGIN(b, "readings", &arr);
    for (i = 0; i < 12; i++) {
        snprintf(key, sizeof(key), "%d", i);
        BSON_APPEND_DOUBLE(&arr, key,
                           (double)(rnd() % 2000000) / 1000.0 - 1000.0);
    }
    bson_append_array_end(b, &arr);
    BSON_APPEND_ARRAY_BEGIN(b, "counts", &arr);
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "%d", i);
        BSON_APPEND_INT32(&arr, key, (int32_t)(rnd() % 1000000));
    }
    bson_append_array_end(b, &arr);
    BSON_APPEND_DOUBLE(b, "lat", 52.52 + (double)(rnd() % 10000) / 1e6);
    BSON_APPEND_DOUBLE(b, "lon", 13.405 + (double)(rnd() % 10000) / 1e6);
    BSON_APPEND_DOUBLE(b, "total", (double)(rnd() % 100000));
    BSON_APPEND_INT64(b, "seq", (int64_t)rnd() >> 1);
}

static void
build(struct set *s, const char *name, void (*fill)(bson_t *), size_t count)
{
    size_t cap = count * 700;
    size_t i;
    bson_t b;

    s->name = name;
    s->data = malloc(cap);
    s->offs = malloc(count * sizeof(*s->offs));
    s->count = count;
    s->bytes = 0;
    if (s->data == NULL || s->offs == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (i = 0; i < count; i++) {
        bson_init(&b);
        fill(&b);
        if (s->bytes + b.len > cap) {
            fprintf(stderr, "document too big\n");
            exit(1);
        }
        s->offs[i] = s->bytes;
        memcpy(s->data + s->bytes, bson_get_data(&b), b.len);
        s->bytes += b.len;
        bson_destroy(&b);
    }
}

/* CPU seconds of this (single-threaded) process: on a shared, loaded
 * machine the wall clock also counts other programs' time slices. */
static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
len_at(const struct set *s, size_t i)
{
    uint32_t l;

    memcpy(&l, s->data + s->offs[i], sizeof(l));
    return l;
}

/* One pass with libbson; returns the bytes of JSON. */
static size_t
pass_libbson(const struct set *s)
{
    size_t total = 0;
    size_t n;
    size_t i;
    bson_t view;
    char *json;

    for (i = 0; i < s->count; i++) {
        bson_init_static(&view, s->data + s->offs[i], len_at(s, i));
        json = bson_as_canonical_extended_json(&view, &n);
        total += n;
        bson_free(json);
    }
    return total;
}

static size_t
pass_mbk(const struct set *s, struct mbk_buf *out)
{
    struct mbk_error err;
    size_t total = 0;
    size_t i;

    for (i = 0; i < s->count; i++) {
        mbk_buf_reset(out);
        if (mbk_ejson_write(out, s->data + s->offs[i], len_at(s, i),
                            &err) != 0) {
            fprintf(stderr, "mbk_ejson_write: %s\n", err.message);
            exit(1);
        }
        total += out->len;
    }
    return total;
}

/* Best MB/s of BSON over repeated passes for about `seconds`. */
static double
measure(const struct set *s, int mbk, double seconds, struct mbk_buf *out)
{
    double best = 0;
    double t0;
    double t;
    double start = now();

    do {
        t0 = now();
        if (mbk) {
            pass_mbk(s, out);
        } else {
            pass_libbson(s);
        }
        t = now() - t0;
        if ((double)s->bytes / t / 1e6 > best) {
            best = (double)s->bytes / t / 1e6;
        }
    } while (now() - start < seconds);
    return best;
}

int
main(int argc, char **argv)
{
    struct set sets[3];
    struct mbk_buf out;
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;
    double lib;
    double ours;
    size_t i;

    build(&sets[0], "crm", crm_doc, 20000);
    build(&sets[1], "strings", string_doc, 20000);
    build(&sets[2], "numbers", number_doc, 20000);
    mbk_buf_init(&out, (size_t)64 << 20);

    /* the same text, or the comparison means nothing */
    for (i = 0; i < 3; i++) {
        if (pass_mbk(&sets[i], &out) != pass_libbson(&sets[i])) {
            fprintf(stderr, "%s: output sizes differ\n", sets[i].name);
            return 1;
        }
    }
    printf("%-8s %7s %8s %12s %12s %7s\n", "set", "docs", "avg B",
           "libbson MB/s", "mbk MB/s", "ratio");
    for (i = 0; i < 3; i++) {
        lib = measure(&sets[i], 0, seconds, &out);
        ours = measure(&sets[i], 1, seconds, &out);
        printf("%-8s %7zu %8zu %12.1f %12.1f %6.1fx\n", sets[i].name,
               sets[i].count, sets[i].bytes / sets[i].count, lib, ours,
               ours / lib);
        free(sets[i].data);
        free(sets[i].offs);
    }
    mbk_buf_free(&out);
    return 0;
}
