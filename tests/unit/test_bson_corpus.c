/*
 * test_bson_corpus.c: every case of the BSON corpus specification (its
 * valid, decodeErrors and parseErrors of every file) against our Extended
 * JSON writer and reader, from the table tests/unit/bson-corpus.jsonl
 * (generated from mongo-c-driver's copy of the corpus: see its header).  Cases that do
 * not apply to mbk are listed below, each with the reason; an exemption
 * that no longer fails is reported, so the list stays true.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "engine/buf.h"
#include "engine/ejson/ejson_read.h"
#include "engine/ejson/ejson_write.h"

/*
 * What each case checks ("part"):
 *  valid:   "write"  canonical_bson -> our writer -> canonical_extjson
 *                    (whitespace outside strings aside), and likewise
 *                    degenerate_bson -> canonical_extjson ("write-degenerate");
 *           "read"   canonical_extjson -> our reader -> canonical_bson,
 *                    byte for byte; degenerate_extjson too ("read-degenerate");
 *           "read-relaxed" relaxed_extjson -> our reader -> canonical_bson,
 *                    or, where the relaxed form has lost the type (an
 *                    int64 that fits 32 bits reads as int32, as in libbson),
 *                    -> libbson's relaxed text -> relaxed_extjson again: the
 *                    spec's rEJ -> native -> rEJ.
 *           With "lossy" (NaN payloads, non-canonical decimals) the spec
 *           says the text cannot give the bytes back: the read checks are
 *           skipped for those cases, as it asks.
 *  decodeErrors: "decode" the writer refuses the BSON, with a message.
 *  parseErrors:  "parse"  the reader refuses the text, with a message;
 *                "parse-mbk" so does the strict reader of mbk files (the
 *                text as a document of an mbk/1 backup file).
 * Text comparisons are of JSON as json-c prints it (spacing and escapes
 * such as \u00e9 for the UTF-8 of the character do not count).
 * converted_bson / converted_extjson are not checked: they are for drivers
 * that turn deprecated types (symbol, undefined, DBPointer) into others;
 * mbk keeps every type as the server holds it, as libbson does, and the
 * canonical forms of those cases are checked.
 */

/* A case (file, description prefix, part) deliberately not applicable. */
struct exempt {
    const char *file;
    const char *desc;
    const char *part;
    const char *why;
    int used;
};

static struct exempt exempts[] = {
    /* The escape (README, "The backup file"): a (sub)document whose first
     * key is an Extended JSON keyword is written inside {"$mbk:doc": ...}
     * so that it reads back as the document it is, never as a type; the
     * corpus text of these query operators is still read ("read"). */
    {"binary.json", "$type query operator", "write",
     "written inside the $mbk:doc escape, by design", 0},
    {"regex.json", "Regular expression as value of $regex query operator",
     "write", "written inside the $mbk:doc escape, by design", 0},
    /* Our writer prints doubles byte for byte as libbson 1.23's
     * bson_as_canonical_extended_json() (the format's promise), which
     * gives 1234567892123200000.0 for the corpus' 1.2345678921232E+18:
     * the same double, and the corpus' text is read to the same bytes. */
    {"double.json", "1.2345678921232E+18", "write",
     "libbson's spelling of the same double", 0},
    {"double.json", "-1.2345678921232E+18", "write",
     "libbson's spelling of the same double", 0},
    /* {"$date": 42}: libbson's legacy form, which the README says the
     * reader accepts in files of other writers; refused in mbk files, as
     * "parse-mbk" checks. */
    {"top.json", "Bad $date (number, not string or hash)", "parse",
     "legacy $date accepted outside mbk files (README)", 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct exempt *
exempted(const char *file, const char *desc, const char *part)
{
    for (struct exempt *x = exempts; x->file != NULL; x++) {
        if (strcmp(x->file, file) == 0 && strcmp(x->part, part) == 0
            && strncmp(x->desc, desc, strlen(x->desc)) == 0) {
            x->used++;
            return x;
        }
    }
    return NULL;
}

struct tally {
    int lossy;
    int cases;
    int checks;
    int exempt;
    int failed;
    int files;
};

static void
failed(struct tally *t, const char *file, const char *desc, const char *part,
       const char *fmt, ...)
{
    va_list ap;

    if (exempted(file, desc, part) != NULL) {
        t->exempt++;
        return;
    }
    t->failed++;
    fprintf(stderr, "FAIL %s \"%s\" [%s]: ", file, desc, part);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* hex -> bytes (malloc'd); NULL if not hex. */
static uint8_t *
unhex(const char *h, size_t *len)
{
    size_t n = strlen(h);
    uint8_t *b = malloc(n / 2 + 1);

    if (b == NULL || n % 2 != 0) {
        free(b);
        return NULL;
    }
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;

        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(b);
            return NULL;
        }
        b[i] = (uint8_t)v;
    }
    *len = n / 2;
    return b;
}

/* JSON text as json-c prints it (same members, same order; escapes and
 * spacing normalised: the corpus writes \u00e9 where we write the UTF-8);
 * a malloc'd copy of s itself if json-c cannot read it. */
static char *
normal(const char *s)
{
    struct json_tokener *tok = json_tokener_new_ex(1000);
    struct json_object *j = json_tokener_parse_ex(tok, s, (int)strlen(s));
    char *o;

    if (json_tokener_get_error(tok) != json_tokener_success || j == NULL) {
        o = strdup(s);
    } else {
        o = strdup(json_object_to_json_string_ext(
            j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    json_object_put(j);
    json_tokener_free(tok);
    return o;
}

static const char *
field(struct json_object *c, const char *k)
{
    struct json_object *v;

    if (!json_object_object_get_ex(c, k, &v)
        || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

/* The writer's text of hex BSON equals want (squeezed). */
static void
check_write(struct tally *t, const char *file, const char *desc,
            const char *part, const char *hex, const char *want)
{
    struct mbk_buf b;
    struct mbk_error err;
    size_t len;
    uint8_t *data = unhex(hex, &len);
    char *x;
    char *y;

    t->checks++;
    mbk_buf_init(&b, (size_t)64 << 20);
    mbk_error_clear(&err);
    if (data == NULL || mbk_ejson_write(&b, data, len, &err) != 0) {
        failed(t, file, desc, part, "the writer refused it: %s", err.message);
        goto out;
    }
    mbk_buf_append(&b, "", 1, NULL);
    x = normal(b.data);
    y = normal(want);
    if (strcmp(x, y) != 0) {
        failed(t, file, desc, part, "wrote %s, the corpus says %s", x, y);
    }
    free(x);
    free(y);
out:
    mbk_buf_free(&b);
    free(data);
}

/* The reader's BSON of text equals hex, byte for byte. */
static void
check_read(struct tally *t, const char *file, const char *desc,
           const char *part, const char *text, const char *hex)
{
    struct mbk_error err;
    bson_t got;
    size_t len;
    uint8_t *data = unhex(hex, &len);

    t->checks++;
    mbk_error_clear(&err);
    if (mbk_ejson_to_bson(text, strlen(text), &got, &err) != 0) {
        failed(t, file, desc, part, "the reader refused it: %s", err.message);
        free(data);
        return;
    }
    if (got.len != len || memcmp(bson_get_data(&got), data, len) != 0) {
        char *s = bson_as_canonical_extended_json(&got, NULL);

        failed(t, file, desc, part, "read as %s", s);
        bson_free(s);
    }
    bson_destroy(&got);
    free(data);
}

/* relaxed_extjson gives canonical_bson, or its relaxed text again. */
static void
check_relaxed(struct tally *t, const char *file, const char *desc,
              const char *r, const char *hex)
{
    struct mbk_error err;
    bson_t got;
    size_t len;
    uint8_t *data = unhex(hex, &len);
    char *text;
    char *x;
    char *y;

    t->checks++;
    mbk_error_clear(&err);
    if (mbk_ejson_to_bson(r, strlen(r), &got, &err) != 0) {
        failed(t, file, desc, "read-relaxed", "the reader refused it: %s",
               err.message);
        free(data);
        return;
    }
    if (got.len != len || memcmp(bson_get_data(&got), data, len) != 0) {
        text = bson_as_relaxed_extended_json(&got, NULL);
        x = normal(text);
        y = normal(r);
        if (strcmp(x, y) != 0) {
            failed(t, file, desc, "read-relaxed", "read as %s", text);
        }
        free(x);
        free(y);
        bson_free(text);
    }
    bson_destroy(&got);
    free(data);
}

static void
check_valid(struct tally *t, const char *file, struct json_object *c)
{
    const char *desc = field(c, "desc");
    const char *b = field(c, "B");
    const char *e = field(c, "E");
    struct json_object *lossy;

    check_write(t, file, desc, "write", b, e);
    if (json_object_object_get_ex(c, "lossy", &lossy)
        && json_object_get_boolean(lossy)) {
        t->lossy++;
        if (field(c, "DB") != NULL) {
            check_write(t, file, desc, "write-degenerate", field(c, "DB"), e);
        }
        return;
    }
    check_read(t, file, desc, "read", e, b);
    if (field(c, "DB") != NULL) {
        check_write(t, file, desc, "write-degenerate", field(c, "DB"), e);
    }
    if (field(c, "DE") != NULL) {
        check_read(t, file, desc, "read-degenerate", field(c, "DE"), b);
    }
    if (field(c, "R") != NULL) {
        check_relaxed(t, file, desc, field(c, "R"), b);
    }
}

static void
check_decode_error(struct tally *t, const char *file, struct json_object *c)
{
    const char *desc = field(c, "desc");
    struct mbk_buf b;
    struct mbk_error err;
    size_t len;
    uint8_t *data = unhex(field(c, "B"), &len);

    t->checks++;
    mbk_buf_init(&b, (size_t)64 << 20);
    mbk_error_clear(&err);
    assert_non_null(data);
    if (mbk_ejson_write(&b, data, len, &err) == 0) {
        failed(t, file, desc, "decode", "the writer took it: %.*s",
               (int)b.len, b.data);
    } else if (err.message[0] == '\0') {
        failed(t, file, desc, "decode", "refused without a message");
    }
    mbk_buf_free(&b);
    free(data);
}

/* The text as the one document of an mbk/1 file: the strict reader
 * refuses it, with a message. */
static void
check_parse_strict(struct tally *t, const char *file, const char *desc,
                   const char *j)
{
    static const char head[] =
        "{\"metadata\":{\"database\":\"corpus\",\"format\":\"mbk/1\","
        "\"collections\":[\"c\"]},\"collections\":{\"c\":[\n";
    static const char tail[] = "\n]}}\n";
    struct mbk_ejson_reader_cb cb = {NULL, NULL, NULL, NULL};
    struct mbk_ejson_reader *r = mbk_ejson_reader_new(NULL, &cb, NULL);
    struct mbk_error err;

    t->checks++;
    assert_non_null(r);
    mbk_error_clear(&err);
    if (mbk_ejson_reader_feed(r, head, strlen(head), &err) == 0
        && mbk_ejson_reader_feed(r, j, strlen(j), &err) == 0
        && mbk_ejson_reader_feed(r, tail, strlen(tail), &err) == 0
        && mbk_ejson_reader_finish(r, &err) == 0) {
        failed(t, file, desc, "parse-mbk", "an mbk file took %s", j);
    } else if (err.message[0] == '\0') {
        failed(t, file, desc, "parse-mbk", "refused without a message");
    }
    mbk_ejson_reader_free(r);
}

static void
check_parse_error(struct tally *t, const char *file, struct json_object *c)
{
    const char *desc = field(c, "desc");
    const char *j = field(c, "J");
    struct mbk_error err;
    bson_t got;

    t->checks++;
    mbk_error_clear(&err);
    if (mbk_ejson_to_bson(j, strlen(j), &got, &err) == 0) {
        char *s = bson_as_canonical_extended_json(&got, NULL);

        failed(t, file, desc, "parse", "the reader took %s as %s", j, s);
        bson_free(s);
        bson_destroy(&got);
    } else if (err.message[0] == '\0') {
        failed(t, file, desc, "parse", "refused without a message");
    }
    check_parse_strict(t, file, desc, j);
}

static void
test_bson_corpus_every_case(void **state)
{
    FILE *f = fopen(MBK_BSON_CORPUS, "r");
    struct tally t = {0, 0, 0, 0, 0, 0};
    char *line = NULL;
    size_t cap = 0;
    char file[64] = "";
    int expect = 0;
    int seen = 0;

    (void)state;
    assert_non_null(f);
    while (getline(&line, &cap, f) > 0) {
        struct json_object *c;
        const char *kind;

        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        c = json_tokener_parse(line);
        assert_non_null(c);
        kind = field(c, "kind");
        if (strcmp(kind, "file") == 0) {
            struct json_object *n;

            assert_int_equal(seen, expect);
            snprintf(file, sizeof(file), "%s", field(c, "file"));
            assert_true(json_object_object_get_ex(c, "cases", &n));
            expect = json_object_get_int(n);
            seen = 0;
            t.files++;
        } else {
            assert_string_equal(field(c, "file"), file);
            seen++;
            t.cases++;
            if (strcmp(kind, "valid") == 0) {
                check_valid(&t, file, c);
            } else if (strcmp(kind, "decodeError") == 0) {
                check_decode_error(&t, file, c);
            } else if (strcmp(kind, "parseError") == 0) {
                check_parse_error(&t, file, c);
            } else {
                fail_msg("unknown kind %s", kind);
            }
        }
        json_object_put(c);
    }
    assert_int_equal(seen, expect);
    free(line);
    fclose(f);
    for (struct exempt *x = exempts; x->file != NULL; x++) {
        if (x->used == 0) {
            t.failed++;
            fprintf(stderr, "FAIL exemption %s \"%s\" [%s] matched no "
                            "failing check: remove it\n",
                    x->file, x->desc, x->part);
        }
    }
    fprintf(stderr, "%d files, %d cases (%d lossy: read checks skipped as "
                    "the spec says), %d checks: %d not applicable (listed "
                    "with reasons), %d failed\n",
            t.files, t.cases, t.lossy, t.checks, t.exempt, t.failed);
    /* the specification's corpus has 31 files */
    assert_int_equal(t.files, 31);
    assert_int_equal(t.failed, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bson_corpus_every_case),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
