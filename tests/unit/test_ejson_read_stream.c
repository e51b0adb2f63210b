/*
 * test_ejson_read_stream.c: the streaming backup-file reader: whole files
 * fed in chunks of 1, 7 and random sizes give the same callbacks, counts
 * and digests; plain-JSON files of the TypeScript service; and the corpus
 * of bad files in tests/unit/bad-files, each with its expected error.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "engine/backup/backup_meta.h"
#include "engine/buf.h"
#include "engine/ejson/ejson_read.h"

/* What the callbacks saw, as text, plus a digest of every BSON byte. */
struct seen {
    struct mbk_buf log;
    EVP_MD_CTX *docs;
    int stop_at_doc; /* make the document callback fail at this count */
    int ndocs;
};

static int
on_metadata(void *ud, const char *json, size_t len, struct mbk_error *err)
{
    struct seen *s = ud;

    assert_int_equal(json[len], '\0');
    return mbk_buf_printf(&s->log, err, "metadata %zu:%s\n", len, json);
}

static int
on_begin(void *ud, const char *name, struct mbk_error *err)
{
    struct seen *s = ud;

    return mbk_buf_printf(&s->log, err, "begin %s\n", name);
}

static int
on_document(void *ud, const bson_t *doc, struct mbk_error *err)
{
    struct seen *s = ud;

    if (++s->ndocs == s->stop_at_doc) {
        return mbk_error_set(err, MBK_ERROR_MONGO, 11000,
                             "E11000 duplicate key");
    }
    EVP_DigestUpdate(s->docs, bson_get_data(doc), doc->len);
    return 0;
}

static int
on_end(void *ud, const char *name, uint64_t count,
       const unsigned char sha256[32], int typed, struct mbk_error *err)
{
    struct seen *s = ud;
    char hex[65];

    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", sha256[i]);
    }
    return mbk_buf_printf(&s->log, err, "end %s %llu typed=%d %s\n", name,
                          (unsigned long long)count, typed, hex);
}

static const struct mbk_ejson_reader_cb callbacks = {
    on_metadata,
    on_begin,
    on_document,
    on_end,
};

/*
 * Feed text in chunks: chunk 0 means random sizes.  Returns the result of
 * feed/finish; the log and the documents' digest go to log/digest.
 */
static int
parse(const char *text, size_t len, size_t chunk,
      const struct mbk_ejson_limits *lim, int stop_at_doc, char **log,
      unsigned char digest[32], struct mbk_error *err)
{
    struct seen s;
    struct mbk_ejson_reader *r;
    size_t off = 0;
    int rc = 0;

    memset(&s, 0, sizeof(s));
    mbk_buf_init(&s.log, 1 << 24);
    mbk_buf_append_str(&s.log, "", NULL);
    s.docs = EVP_MD_CTX_new();
    s.stop_at_doc = stop_at_doc;
    EVP_DigestInit_ex(s.docs, EVP_sha256(), NULL);
    r = mbk_ejson_reader_new(lim, &callbacks, &s);
    assert_non_null(r);
    srand(7);
    while (off < len && rc == 0) {
        size_t n = chunk ? chunk : 1 + (size_t)rand() % 4096;

        if (n > len - off) {
            n = len - off;
        }
        rc = mbk_ejson_reader_feed(r, text + off, n, err);
        off += n;
    }
    if (rc == 0) {
        rc = mbk_ejson_reader_finish(r, err);
    } else {
        /* Errors are sticky. */
        struct mbk_error again;

        assert_int_equal(mbk_ejson_reader_feed(r, "x", 1, &again), -1);
        assert_string_equal(again.message, err->message);
    }
    mbk_ejson_reader_free(r);
    EVP_DigestFinal_ex(s.docs, digest, NULL);
    EVP_MD_CTX_free(s.docs);
    *log = s.log.data;
    return rc;
}

static void
sha256_hex(const char *p, size_t n, char hex[65])
{
    unsigned char md[32];

    EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
}

/* --- a good file, built with the expected log alongside ------------- */

struct file {
    struct mbk_buf text;
    struct mbk_buf expect; /* the log the callbacks must write */
    EVP_MD_CTX *docs;
    unsigned char docs_md[32]; /* SHA-256 of libbson's BSON of each doc */
};

static void
add_collection(struct file *f, const char *name, const char *const *docs,
               size_t n, int typed, const char *sep)
{
    size_t start;
    char hex[65];

    mbk_buf_printf(&f->text, NULL, "%s\"%s\" :%s[", sep, name,
                   n % 2 ? " " : "\n");
    start = f->text.len - 1;
    mbk_buf_printf(&f->expect, NULL, "begin %s\n", name);
    for (size_t i = 0; i < n; i++) {
        bson_t b;

        assert_true(bson_init_from_json(&b, docs[i], -1, NULL));
        EVP_DigestUpdate(f->docs, bson_get_data(&b), b.len);
        bson_destroy(&b);
        mbk_buf_printf(&f->text, NULL, "%s%s", i ? ",\n  " : "\n  ", docs[i]);
    }
    mbk_buf_append_str(&f->text, n ? "\n]" : "]", NULL);
    sha256_hex(f->text.data + start, f->text.len - start, hex);
    mbk_buf_printf(&f->expect, NULL, "end %s %zu typed=%d %s\n", name, n,
                   typed, hex);
}

static const char *const users[] = {
    "{ \"_id\" : { \"$oid\" : \"0123456789abcdef01234567\" }, \"name\" : "
    "\"Ann \\\"the\\\" \\u00e9\\ud83d\\ude00\", \"age\" : { \"$numberInt\" : "
    "\"41\" }, \"created\" : { \"$date\" : { \"$numberLong\" : "
    "\"-1000\" } }, \"tags\" : [ \"a]\", \"}b\", \"\\\\\" ] }",
    "{\"_id\":{\"$oid\":\"0123456789abcdef01234568\"},\"nested\":{\"a\":[{"
    "\"b\":{\"$numberDecimal\":\"1.5\"}}]},\"bin\":{\"$binary\":{\"base64\":"
    "\"AQID\",\"subType\":\"04\"}}}",
    "{\n  \"_id\" : 3,\n  \"s\" : \"line1\\nline2\"\n}",
};

static const char *const roles[] = {
    "{ \"_id\" : \"admin\", \"perms\" : [ \"read\", \"write\" ] }",
};

static void
build(struct file *f, int metadata_last)
{
    static const char meta[] =
        "\"metadata\" : {\"database\": \"crm_database\", \"timestamp\": "
        "\"2025-10-09T10:00:00.000Z\", \"collections\": [\"users\", "
        "\"roles\", \"empty\"], \"format\": \"mbk/1\", \"collectionInfo\":"
        " {\"users\": {\"indexes\": [{\"key\": {\"_id\": 1}}]}}}";
    mbk_buf_init(&f->text, 1 << 20);
    mbk_buf_init(&f->expect, 1 << 20);
    mbk_buf_append_str(&f->expect, "", NULL);
    f->docs = EVP_MD_CTX_new();
    EVP_DigestInit_ex(f->docs, EVP_sha256(), NULL);
    mbk_buf_append_str(&f->text, "{\n", NULL);
    if (!metadata_last) {
        mbk_buf_printf(&f->text, NULL, "%s,\n", meta);
        mbk_buf_printf(&f->expect, NULL, "metadata %zu:%s\n",
                       strlen(strchr(meta, '{')), strchr(meta, '{'));
    }
    mbk_buf_append_str(&f->text, "\"collections\" : {", NULL);
    add_collection(f, "users", users, 3, 1, "\n");
    add_collection(f, "roles", roles, 1, 0, ",\n");
    add_collection(f, "empty", NULL, 0, 0, ",\r\n\t");
    mbk_buf_append_str(&f->text, "}", NULL);
    if (metadata_last) {
        mbk_buf_printf(&f->text, NULL, ",%s", meta);
        mbk_buf_printf(&f->expect, NULL, "metadata %zu:%s\n",
                       strlen(strchr(meta, '{')), strchr(meta, '{'));
    }
    mbk_buf_append_str(&f->text, "\n}\n", NULL);
    EVP_DigestFinal_ex(f->docs, f->docs_md, NULL);
    EVP_MD_CTX_free(f->docs);
    f->docs = NULL;
}

static void
test_ejson_read_stream_chunks(void **state)
{
    for (int last = 0; last <= 1; last++) {
        static const size_t chunks[] = {1000000, 1, 7, 0, 2, 64};
        struct file f;

        build(&f, last);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(*chunks); i++) {
            struct mbk_error err;
            unsigned char digest[32];
            char *log = NULL;
            int rc;

            memset(&err, 0, sizeof(err));
            rc = parse(f.text.data, f.text.len, chunks[i], NULL, 0, &log,
                       digest, &err);
            if (rc != 0) {
                fprintf(stderr, "chunk %zu: %s\n", chunks[i], err.message);
            }
            assert_int_equal(rc, 0);
            assert_string_equal(log, f.expect.data);
            assert_memory_equal(digest, f.docs_md, 32);
            free(log);
        }
        mbk_buf_free(&f.text);
        mbk_buf_free(&f.expect);
    }
}

static void
test_ejson_read_stream_empty_collections(void **state)
{
    static const char text[] =
        "{\"collections\": {}, \"metadata\": {\"database\": \"d\"}}";
    struct mbk_error err;
    unsigned char digest[32];
    char *log = NULL;

    assert_int_equal(parse(text, strlen(text), 3, NULL, 0, &log, digest, &err),
                     0);
    assert_string_equal(log, "metadata 17:{\"database\": \"d\"}\n");
    free(log);
}

/* Files of the original TypeScript service: plain JSON, typed = 0. */
static int
plain_doc(void *ud, const bson_t *doc, struct mbk_error *err)
{
    char **out = ud;

    *out = bson_as_canonical_extended_json(doc, NULL);
    return 0;
}

static void
test_ejson_read_stream_typescript_file(void **state)
{
    static const char text[] =
        "{\"metadata\":{\"database\":\"crm_database\",\"timestamp\":"
        "\"2025-10-09T10:00:00.000Z\",\"backupName\":\"daily-backup\","
        "\"description\":\"Daily CRM backup\",\"version\":\"1.0\","
        "\"collections\":[\"users\"],\"compression\":\"none\"},"
        "\"collections\":{\"users\":[{\"_id\":\"652f1e0c9b1e8a0012345678\","
        "\"n\":5,\"big\":3000000000,\"f\":1.5,\"neg\":-0.0,\"ok\":true,"
        "\"at\":\"2025-10-09T10:00:00.000Z\",\"x\":null}]}}";
    struct mbk_error err;
    unsigned char digest[32];
    char *log = NULL;
    char *doc = NULL;
    struct mbk_ejson_reader_cb cb = {NULL, NULL, plain_doc, NULL};
    struct mbk_ejson_reader *r;

    assert_int_equal(parse(text, strlen(text), 5, NULL, 0, &log, digest, &err),
                     0);
    assert_non_null(strstr(log, "end users 1 typed=0 "));
    free(log);
    r = mbk_ejson_reader_new(NULL, &cb, &doc);
    assert_int_equal(mbk_ejson_reader_feed(r, text, strlen(text), &err), 0);
    assert_int_equal(mbk_ejson_reader_finish(r, &err), 0);
    mbk_ejson_reader_free(r);
    assert_string_equal(
        doc, "{ \"_id\" : \"652f1e0c9b1e8a0012345678\", \"n\" : { "
             "\"$numberInt\" : \"5\" }, \"big\" : { \"$numberLong\" : "
             "\"3000000000\" }, \"f\" : { \"$numberDouble\" : \"1.5\" }, "
             "\"neg\" : { \"$numberDouble\" : \"-0.0\" }, \"ok\" : true, "
             "\"at\" : \"2025-10-09T10:00:00.000Z\", \"x\" : null }");
    bson_free(doc);
}

/* A callback's error stops the parse and comes back unchanged. */
/* check_text (mbk verify): in an mbk file each document must be exactly
 * what the writer would write again; other files are not held to it. */
static void
test_ejson_read_stream_check_text(void **state)
{
    static const char head[] =
        "{\"metadata\": {\"database\": \"crm\", \"collections\": [\"c\"]%s},"
        "\n\"collections\": {\"c\": [\n%s\n]}}";
    static const char good[] =
        "{ \"_id\" : { \"$numberInt\" : \"1\" }, \"q\" : { \"$mbk:doc\" : "
        "{ \"$regex\" : \"^a\", \"$options\" : \"i\" } } }";
    static const char loose[] = "{\"_id\": {\"$numberInt\": \"1\"}}";
    struct mbk_ejson_limits lim = {.check_text = 1};
    struct mbk_error err;
    unsigned char digest[32];
    char text[1024];
    char *log;

    (void)state;
    snprintf(text, sizeof(text), head, ", \"format\": \"mbk/1\"", good);
    assert_int_equal(parse(text, strlen(text), 0, &lim, 0, &log, digest, &err),
                     0);
    free(log);
    snprintf(text, sizeof(text), head, ", \"format\": \"mbk/1\"", loose);
    assert_int_equal(parse(text, strlen(text), 0, &lim, 0, &log, digest, &err),
                     -1);
    assert_non_null(strstr(err.message,
                           "collection \"c\", document 1 would not come back "
                           "identical: written again it differs at byte 2"));
    free(log);
    snprintf(text, sizeof(text), head, "", loose);
    assert_int_equal(parse(text, strlen(text), 0, &lim, 0, &log, digest, &err),
                     0);
    free(log);
}

/* Options that a server holds with a key twice are in the escape in the
 * metadata: the reader takes them, and read back through json-c (which
 * keeps one of two equal keys) they still print both. */
static void
test_ejson_read_stream_metadata_escape(void **state)
{
    static const char opts[] =
        "{ \"validator\" : { \"$mbk:doc\" : { \"a\" : { \"$exists\" : true }, "
        "\"a\" : { \"$ne\" : { \"$numberInt\" : \"5\" } }, \"q\" : "
        "{ \"$mbk:doc\" : { \"$regex\" : \"^a\", \"$options\" : \"i\" } } } } }";
    static const char spec[] =
        "{ \"v\" : { \"$numberInt\" : \"2\" }, \"key\" : { \"k\" : "
        "{ \"$numberInt\" : \"1\" } }, \"name\" : \"k\", "
        "\"partialFilterExpression\" : { \"$mbk:doc\" : { \"k\" : "
        "{ \"$numberInt\" : \"1\" }, \"k\" : { \"$numberInt\" : \"2\" } } } }";
    char meta[2048];
    char text[2600];
    struct json_object *j;
    struct json_object *ci;
    struct json_object *v;
    struct mbk_error err;
    unsigned char digest[32];
    char *log;

    (void)state;
    snprintf(meta, sizeof(meta),
             "{\"database\": \"crm\", \"collections\": [\"c\"], "
             "\"collectionInfo\": {\"c\": {\"options\": %s, "
             "\"indexes\": [%s]}}}", opts, spec);
    snprintf(text, sizeof(text), "{\"metadata\": %s,\n\"collections\": "
             "{\"c\": []}}", meta);
    if (parse(text, strlen(text), 0, NULL, 0, &log, digest, &err) != 0) {
        fail_msg("%s", err.message);
    }
    free(log);
    j = json_tokener_parse(meta);
    assert_non_null(j);
    if (mbk_engine_meta_exact(j, meta, strlen(meta), &err) != 0) {
        fail_msg("%s", err.message);
    }
    assert_true(json_object_object_get_ex(j, "collectionInfo", &ci));
    assert_true(json_object_object_get_ex(ci, "c", &ci));
    assert_true(json_object_object_get_ex(ci, "options", &v));
    assert_string_equal(json_object_to_json_string(v), opts);
    assert_true(json_object_object_get_ex(ci, "indexes", &v));
    assert_string_equal(json_object_to_json_string(
                            json_object_array_get_idx(v, 0)), spec);
    json_object_put(j);
    /* outside an escape, a repeated key is still refused */
    snprintf(text, sizeof(text), "{\"metadata\": {\"database\": \"crm\", "
             "\"collectionInfo\": {\"c\": {\"options\": {\"a\": 1, "
             "\"a\": 2}}}},\n\"collections\": {\"c\": []}}");
    assert_int_equal(parse(text, strlen(text), 0, NULL, 0, &log, digest, &err),
                     -1);
    assert_non_null(strstr(err.message, "duplicate key \"a\""));
    free(log);
}

static void
test_ejson_read_stream_callback_error(void **state)
{
    struct file f;
    struct mbk_error err;
    unsigned char digest[32];
    char *log = NULL;

    build(&f, 0);
    assert_int_equal(
        parse(f.text.data, f.text.len, 7, NULL, 2, &log, digest, &err), -1);
    assert_int_equal(err.domain, MBK_ERROR_MONGO);
    assert_int_equal(err.code, 11000);
    assert_string_equal(err.message, "E11000 duplicate key");
    assert_null(strstr(log, "end users"));
    free(log);
    mbk_buf_free(&f.text);
    mbk_buf_free(&f.expect);
}

/* --- the bad-file corpus ------------------------------------------- */

static char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *p;
    long n;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
    p[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return p;
}

/* "limits: string_bytes=100 collections=2" */
static void
read_limits(const char *line, struct mbk_ejson_limits *lim)
{
    const char *p = line + strlen("limits:");

    memset(lim, 0, sizeof(*lim));
    if (strncmp(line, "limits:", 7) != 0) {
        return;
    }
    while (*p != '\0') {
        char key[32];
        unsigned long long v;
        int used;

        if (sscanf(p, " %31[a-z_]=%llu%n", key, &v, &used) != 2) {
            break;
        }
        p += used;
        if (strcmp(key, "string_bytes") == 0) {
            lim->string_bytes = (size_t)v;
        } else if (strcmp(key, "collections") == 0) {
            lim->collections = (size_t)v;
        } else if (strcmp(key, "total_bytes") == 0) {
            lim->total_bytes = v;
        } else if (strcmp(key, "doc_bytes") == 0) {
            lim->doc_bytes = (size_t)v;
        } else {
            fail_msg("unknown limit %s", key);
        }
    }
}

static int32_t
code_named(const char *name)
{
    if (strcmp(name, "EFORMAT") == 0) {
        return MBK_ENGINE_EFORMAT;
    }
    if (strcmp(name, "EBADNAME") == 0) {
        return MBK_ENGINE_EBADNAME;
    }
    if (strcmp(name, "ENOMEM") == 0) {
        return MBK_ENGINE_ENOMEM;
    }
    fail_msg("unknown code %s", name);
    return 0;
}

/*
 * Every NAME.json in bad-files fails, whole and byte by byte, with the
 * code on line 1 of NAME.err and a message containing line 2; line 3 may
 * set limits.
 */
static void
test_ejson_read_stream_bad_files(void **state)
{
    DIR *d = opendir(MBK_BAD_FILES);
    struct dirent *e;
    int files = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        static const size_t chunks[] = {1u << 30, 1, 5};
        char path[512];
        char *text;
        char *expect;
        char *want_msg;
        char *limits;
        size_t len;
        size_t elen;
        struct mbk_ejson_limits lim;
        size_t n = strlen(e->d_name);

        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", MBK_BAD_FILES, e->d_name);
        text = slurp(path, &len);
        snprintf(path + strlen(path) - 5, 5, ".err");
        expect = slurp(path, &elen);
        want_msg = strchr(expect, '\n');
        assert_non_null(want_msg);
        *want_msg++ = '\0';
        limits = strchr(want_msg, '\n');
        assert_non_null(limits);
        *limits++ = '\0';
        read_limits(limits, &lim);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(*chunks); i++) {
            struct mbk_error err;
            unsigned char digest[32];
            char *log = NULL;

            memset(&err, 0, sizeof(err));
            if (parse(text, len, chunks[i], &lim, 0, &log, digest, &err) == 0
                || err.domain != MBK_ERROR_ENGINE
                || err.code != code_named(expect)
                || strstr(err.message, want_msg) == NULL) {
                fail_msg("%s (chunk %zu): got code %d \"%s\"\n"
                         "wanted %s \"%s\"",
                         e->d_name, chunks[i], (int)err.code, err.message,
                         expect, want_msg);
            }
            free(log);
        }
        free(text);
        free(expect);
        files++;
    }
    closedir(d);
    assert_true(files >= 30);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ejson_read_stream_chunks),
        cmocka_unit_test(test_ejson_read_stream_empty_collections),
        cmocka_unit_test(test_ejson_read_stream_typescript_file),
        cmocka_unit_test(test_ejson_read_stream_callback_error),
        cmocka_unit_test(test_ejson_read_stream_check_text),
        cmocka_unit_test(test_ejson_read_stream_metadata_escape),
        cmocka_unit_test(test_ejson_read_stream_bad_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
