/*
 * ejson_read.c: the streaming backup-file reader: a push state machine over
 * the top level of {"metadata": ..., "collections": {...}} that captures
 * one document at a time, converts it (ejson_read_conv.c) and digests
 * each collection's array text.  Error positions and excerpts live here.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "engine/ejson/ejson_read.h"
#include "engine/ejson/ejson_read_private.h"
#include "engine/ejson/ejson_write.h"

/* --- capture -------------------------------------------------------- */

static void
cap_start(struct mbk_ejson_reader *r, size_t i, enum mbk_ejr_state next)
{
    r->cap_len = 0;
    r->cap_depth = 0;
    r->cap_str = 0;
    r->cap_esc = 0;
    r->cap_offset = r->offset + i;
    r->cap_line = r->line;
    r->cap_line_start = r->line_start;
    r->state = next;
}

/* check_text: the converted document, written again, must be its text. */
static int
again_differs(struct mbk_ejson_reader *r, const char *text, size_t n,
              struct mbk_error *err)
{
    struct mbk_error we;
    size_t k = 0;

    while (n > 0 && (*text == ' ' || *text == '\n' || *text == '\r'
                     || *text == '\t')) {
        text++;
        n--;
    }
    mbk_buf_reset(&r->again);
    mbk_error_clear(&we);
    if (mbk_ejson_write(&r->again, r->conv.out, r->conv.len, &we) != 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "collection \"%.40s\", document %llu would not "
                             "come back identical: %.120s",
                             r->coll, (unsigned long long)r->count,
                             we.message);
    }
    if (r->again.len == n && memcmp(r->again.data, text, n) == 0) {
        return 0;
    }
    while (k < n && k < r->again.len && r->again.data[k] == text[k]) {
        k++;
    }
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                         "collection \"%.40s\", document %llu would not come "
                         "back identical: written again it differs at byte "
                         "%zu of its text",
                         r->coll, (unsigned long long)r->count, k + 1);
}

/* The converted document (in r->conv) to the callback. */
static int
document_emit(struct mbk_ejson_reader *r, const char *text, size_t n,
              struct mbk_error *err)
{
    bson_t doc;

    r->count++;
    r->typed |= r->conv.typed;
    if (r->lim.check_text && r->conv.strict
        && again_differs(r, text, n, err) != 0) {
        return -1;
    }
    if (r->cb.document == NULL) {
        return 0;
    }
    if (!bson_init_static(&doc, r->conv.out, r->conv.len)) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "internal: bad BSON from the converter");
    }
    return r->cb.document(r->ud, &doc, err);
}

static int
document_done(struct mbk_ejson_reader *r, const char *text, size_t n,
              struct mbk_error *err)
{
    if (mbk_ejr_document(&r->conv, text, n, NULL) < 0) {
        char ctx[96];

        snprintf(ctx, sizeof(ctx),
                 "collection \"%.40s\", document %llu: ", r->coll,
                 (unsigned long long)r->count + 1);
        return mbk_ejr_fail_conv(r, &r->conv, r->cap_offset, r->cap_line,
                                 r->cap_line_start, err, ctx);
    }
    return document_emit(r, text, n, err);
}

/*
 * The fast path: a document that lies whole in the chunk is converted in
 * place, without a scan or a copy.  1 when done, 0 when the caller must
 * capture (the chunk ends inside it, or it is bad), -1 on error.
 */
static int
document_in_place(struct mbk_ejson_reader *r, const char *buf, size_t *pi,
                  size_t len, struct mbk_error *err)
{
    const char *d = buf + *pi;
    size_t used;
    const char *nl;

    if (mbk_ejr_document(&r->conv, d, len - *pi, &used) < 0) {
        return 0;
    }
    if (used > r->lim.doc_text_bytes) {
        return 0; /* capture reports it */
    }
    for (nl = memchr(d, '\n', used); nl != NULL;
         nl = memchr(nl + 1, '\n', used - (size_t)(nl + 1 - d))) {
        r->line++;
        r->line_start = r->offset + (size_t)(nl + 1 - buf);
    }
    *pi += used;
    r->state = MBK_EJR_S_DOC_NEXT;
    return document_emit(r, d, used, err) < 0 ? -1 : 1;
}

/* The metadata object or a document, from buf[*pi]. */
static int
capture(struct mbk_ejson_reader *r, const char *buf, size_t *pi, size_t len,
        struct mbk_error *err)
{
    size_t from = *pi;
    int done = 0;
    int meta = r->state == MBK_EJR_S_META;
    size_t max = meta ? r->lim.metadata_bytes : r->lim.doc_text_bytes;
    const char *what = meta ? "metadata" : "document text";

    if (!meta && r->cap_len == 0 && r->cap_depth == 0) {
        int rc = document_in_place(r, buf, pi, len, err);

        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }
    }
    if (mbk_ejr_scan(r, buf, pi, len, &done, err) < 0) {
        return -1;
    }
    if (done && !meta && r->cap_len == 0 && *pi - from <= max) {
        r->state = MBK_EJR_S_DOC_NEXT; /* whole here but bad: report it */
        return document_done(r, buf + from, *pi - from, err);
    }
    if (mbk_ejr_cap_append(r, buf + from, *pi - from, max, what, err) < 0) {
        return -1;
    }
    if (!done) {
        return 0;
    }
    if (meta) {
        r->state = MBK_EJR_S_TOP_NEXT;
        return mbk_ejr_metadata_done(r, err);
    }
    r->state = MBK_EJR_S_DOC_NEXT;
    return document_done(r, r->cap, r->cap_len, err);
}

/* --- top level ------------------------------------------------------ */

static int
fail_name(struct mbk_ejson_reader *r, int32_t code, struct mbk_error *err,
          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail_name(struct mbk_ejson_reader *r, int32_t code, struct mbk_error *err,
          const char *fmt, ...)
{
    char what[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return mbk_ejr_fail_at(r, code, r->s_off, r->s_line,
                           r->s_off - r->s_line_start + 1, "\"", 1, r->sraw,
                           r->sraw_len, err, "%s", what);
}

/* A top-level key or a collection name ended: decode and check it. */
static int
string_done(struct mbk_ejson_reader *r, struct mbk_error *err)
{
    struct mbk_ejr_conv c;
    const char *why;
    char *name;
    size_t n;
    int has_nul;
    int rc = -1;

    mbk_ejr_init(&c, MBK_EJR_NAME_RAW_MAX * 4, MBK_EJR_NAME_RAW_MAX * 4, 1);
    r->sraw[r->sraw_len] = '"';
    c.start = r->sraw;
    c.p = r->sraw;
    c.end = r->sraw + r->sraw_len + 1;
    if (mbk_ejr_string(&c, &n, &has_nul) < 0 || mbk_ejr_reserve(&c, 1) < 0) {
        rc = mbk_ejr_fail_conv(r, &c, r->s_off + 1, r->s_line, r->s_line_start,
                               err,
                               r->s_for_coll ? "collection name: " : "key: ");
        goto out;
    }
    c.out[n] = '\0';
    name = (char *)c.out;
    if (has_nul) {
        rc = fail_name(r, MBK_ENGINE_EBADNAME, err,
                       "%s \"%.60s\" contains NUL (\\u0000)",
                       r->s_for_coll ? "collection name" : "key", name);
        goto out;
    }
    if (!r->s_for_coll) {
        if (strcmp(name, "metadata") == 0 && !r->seen_meta) {
            r->key = MBK_EJR_K_META;
            r->seen_meta = 1;
        } else if (strcmp(name, "collections") == 0 && !r->seen_colls) {
            r->key = MBK_EJR_K_COLLS;
            r->seen_colls = 1;
        } else {
            rc = fail_name(r, MBK_ENGINE_EFORMAT, err,
                           "%s top-level key "
                           "\"%.60s\"",
                           strcmp(name, "metadata") == 0
                                   || strcmp(name, "collections") == 0
                               ? "duplicate"
                               : "unknown",
                           name);
            goto out;
        }
        r->state = MBK_EJR_S_TOP_COLON;
        rc = 0;
        goto out;
    }
    if (r->names_len >= r->lim.collections) {
        rc = fail_name(r, MBK_ENGINE_ENOMEM, err,
                       "too many collections at \"%.60s\" (limit %zu)", name,
                       r->lim.collections);
        goto out;
    }
    why = mbk_ejr_coll_name_problem(name, n, r->database);
    if (why != NULL) {
        rc = fail_name(r, MBK_ENGINE_EBADNAME, err,
                       "collection name \"%.60s\" %s", name, why);
        goto out;
    }
    switch (mbk_ejr_names_add(r, name)) {
    case 0:
        rc = fail_name(r, MBK_ENGINE_EFORMAT, err,
                       "duplicate collection \"%.60s\"", name);
        goto out;
    case -1:
        rc = mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                           "out of memory");
        goto out;
    default:
        break;
    }
    free(r->coll);
    r->coll = strdup(name);
    if (r->coll == NULL) {
        rc = mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                           "out of memory");
        goto out;
    }
    r->state = MBK_EJR_S_COLL_COLON;
    rc = 0;
out:
    mbk_ejr_free(&c);
    return rc;
}

static void
string_start(struct mbk_ejson_reader *r, size_t i, int for_coll)
{
    r->sraw_len = 0;
    r->s_esc = 0;
    r->s_for_coll = for_coll;
    r->s_off = r->offset + i;
    r->s_line = r->line;
    r->s_line_start = r->line_start;
    r->state = MBK_EJR_S_STRING;
}

/* Inside a top-level string from buf[*pi]. */
static int
string_bytes(struct mbk_ejson_reader *r, const char *buf, size_t *pi,
             size_t len, struct mbk_error *err)
{
    size_t i = *pi;

    while (i < len) {
        char ch = buf[i];

        if (r->s_esc) {
            r->s_esc = 0;
        } else if (ch == '\\') {
            r->s_esc = 1;
        } else if (ch == '"') {
            break;
        }
        if (r->sraw_len >= MBK_EJR_NAME_RAW_MAX) {
            return fail_name(
                r, r->s_for_coll ? MBK_ENGINE_EBADNAME : MBK_ENGINE_EFORMAT,
                err, "name \"%.40s...\" is too long", r->sraw);
        }
        r->sraw[r->sraw_len++] = ch;
        i++;
    }
    *pi = i;
    if (i == len) {
        return 0;
    }
    *pi = i + 1;
    return string_done(r, err);
}

static int
collection_begin(struct mbk_ejson_reader *r, struct mbk_error *err)
{
    r->count = 0;
    r->typed = 0;
    if (EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL) != 1) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "EVP_DigestInit_ex(SHA-256) failed");
    }
    r->hashing = 1;
    if (r->cb.collection_begin != NULL) {
        return r->cb.collection_begin(r->ud, r->coll, err);
    }
    return 0;
}

static int
collection_end(struct mbk_ejson_reader *r, const char *from, size_t n,
               struct mbk_error *err)
{
    unsigned char md[32];
    unsigned int mdlen = 0;

    r->hashing = 0;
    if (EVP_DigestUpdate(r->sha, from, n) != 1
        || EVP_DigestFinal_ex(r->sha, md, &mdlen) != 1 || mdlen != 32) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "SHA-256 of collection \"%s\" failed", r->coll);
    }
    if (r->cb.collection_end != NULL) {
        return r->cb.collection_end(r->ud, r->coll, r->count, md, r->typed,
                                    err);
    }
    return 0;
}

/* One structural byte buf[i] in state r->state (not whitespace). */
static int
token(struct mbk_ejson_reader *r, const char *buf, size_t i, size_t len,
      size_t *hash_from, struct mbk_error *err)
{
    char ch = buf[i];
    const char *what = NULL;

    switch (r->state) {
    case MBK_EJR_S_START:
        if (ch != '{') {
            what = "expected '{' at the start of a backup file";
            break;
        }
        r->state = MBK_EJR_S_TOP_FIRST;
        return 0;
    case MBK_EJR_S_TOP_FIRST:
    case MBK_EJR_S_TOP_KEY:
        if (ch == '"') {
            string_start(r, i, 0);
            return 0;
        }
        if (ch == '}' && r->state == MBK_EJR_S_TOP_FIRST) {
            r->state = MBK_EJR_S_END;
            return 0;
        }
        what = "expected a key (\"metadata\" or \"collections\")";
        break;
    case MBK_EJR_S_TOP_COLON:
    case MBK_EJR_S_COLL_COLON:
        if (ch != ':') {
            what = "expected ':'";
            break;
        }
        r->state = r->state == MBK_EJR_S_TOP_COLON ? MBK_EJR_S_TOP_VALUE
                                                   : MBK_EJR_S_COLL_OPEN;
        return 0;
    case MBK_EJR_S_TOP_VALUE:
        if (ch != '{') {
            what = r->key == MBK_EJR_K_META
                       ? "\"metadata\" must be an object"
                       : "\"collections\" must be an object";
            break;
        }
        if (r->key == MBK_EJR_K_META) {
            cap_start(r, i, MBK_EJR_S_META);
        } else {
            r->state = MBK_EJR_S_COLL_FIRST;
        }
        return 0;
    case MBK_EJR_S_TOP_NEXT:
        if (ch == ',' || ch == '}') {
            r->state = ch == ',' ? MBK_EJR_S_TOP_KEY : MBK_EJR_S_END;
            return 0;
        }
        what = "expected ',' or '}' after a top-level value";
        break;
    case MBK_EJR_S_COLL_FIRST:
    case MBK_EJR_S_COLL_KEY:
        if (ch == '"') {
            string_start(r, i, 1);
            return 0;
        }
        if (ch == '}' && r->state == MBK_EJR_S_COLL_FIRST) {
            r->state = MBK_EJR_S_TOP_NEXT;
            return 0;
        }
        what = "expected a collection name";
        break;
    case MBK_EJR_S_COLL_OPEN:
        if (ch != '[') {
            what = "a collection must be an array of documents";
            break;
        }
        *hash_from = i;
        r->state = MBK_EJR_S_DOC_FIRST;
        return collection_begin(r, err);
    case MBK_EJR_S_DOC_FIRST:
    case MBK_EJR_S_DOC:
        if (ch == '{') {
            cap_start(r, i, MBK_EJR_S_DOC_BODY);
            return 0;
        }
        if (ch == ']' && r->state == MBK_EJR_S_DOC_FIRST) {
            r->state = MBK_EJR_S_COLL_NEXT;
            return collection_end(r, buf + *hash_from, i + 1 - *hash_from,
                                  err);
        }
        what = "a document must be an object";
        break;
    case MBK_EJR_S_DOC_NEXT:
        if (ch == ',') {
            r->state = MBK_EJR_S_DOC;
            return 0;
        }
        if (ch == ']') {
            r->state = MBK_EJR_S_COLL_NEXT;
            return collection_end(r, buf + *hash_from, i + 1 - *hash_from,
                                  err);
        }
        what = "expected ',' or ']' after a document";
        break;
    case MBK_EJR_S_COLL_NEXT:
        if (ch == ',' || ch == '}') {
            r->state = ch == ',' ? MBK_EJR_S_COLL_KEY : MBK_EJR_S_TOP_NEXT;
            return 0;
        }
        what = "expected ',' or '}' after a collection";
        break;
    case MBK_EJR_S_END:
        what = "trailing garbage after the top-level object";
        break;
    default:
        what = "internal: bad state";
        break;
    }
    return mbk_ejr_fail_here(r, buf, i, len, MBK_ENGINE_EFORMAT, err, what);
}

static int
feed(struct mbk_ejson_reader *r, const char *buf, size_t len,
     struct mbk_error *err)
{
    size_t i = 0;
    size_t hash_from = 0;

    while (i < len) {
        char ch;

        if (r->state == MBK_EJR_S_STRING) {
            if (string_bytes(r, buf, &i, len, err) < 0) {
                return -1;
            }
            continue;
        }
        if (r->state == MBK_EJR_S_META || r->state == MBK_EJR_S_DOC_BODY) {
            if (capture(r, buf, &i, len, err) < 0) {
                return -1;
            }
            continue;
        }
        ch = buf[i];
        if (ch == ' ' || ch == '\t' || ch == '\r') {
            i++;
            continue;
        }
        if (ch == '\n') {
            r->line++;
            r->line_start = r->offset + i + 1;
            i++;
            continue;
        }
        if (token(r, buf, i, len, &hash_from, err) < 0) {
            return -1;
        }
        if (r->state != MBK_EJR_S_META && r->state != MBK_EJR_S_DOC_BODY) {
            i++; /* a capture starts at its own '{' */
        }
    }
    if (r->hashing
        && EVP_DigestUpdate(r->sha, buf + hash_from, len - hash_from) != 1) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "SHA-256 update failed");
    }
    return 0;
}

/* --- API ------------------------------------------------------------ */

struct mbk_ejson_reader *
mbk_ejson_reader_new(const struct mbk_ejson_limits *limits,
                     const struct mbk_ejson_reader_cb *cb, void *ud)
{
    struct mbk_ejson_reader *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        return NULL;
    }
    if (limits != NULL) {
        r->lim = *limits;
    }
    if (r->lim.depth <= 0) {
        r->lim.depth = MBK_EJSON_DEPTH;
    }
    if (r->lim.doc_bytes == 0) {
        r->lim.doc_bytes = MBK_EJSON_DOC_BYTES;
    }
    if (r->lim.doc_text_bytes == 0) {
        r->lim.doc_text_bytes = r->lim.doc_bytes * 4;
    }
    if (r->lim.total_bytes == 0) {
        r->lim.total_bytes = MBK_EJSON_TOTAL_BYTES;
    }
    if (r->lim.collections == 0) {
        r->lim.collections = MBK_EJSON_COLLECTIONS;
    }
    if (r->lim.string_bytes == 0) {
        r->lim.string_bytes = r->lim.doc_bytes;
    }
    if (r->lim.metadata_bytes == 0) {
        r->lim.metadata_bytes = MBK_EJSON_METADATA_BYTES;
    }
    if (cb != NULL) {
        r->cb = *cb;
    }
    r->ud = ud;
    r->line = 1;
    r->state = MBK_EJR_S_START;
    r->sha = EVP_MD_CTX_new();
    if (r->sha == NULL) {
        free(r);
        return NULL;
    }
    mbk_ejr_init(&r->conv, r->lim.doc_bytes, r->lim.string_bytes,
                 r->lim.depth);
    mbk_buf_init(&r->again, r->lim.doc_text_bytes * 2);
    return r;
}

void
mbk_ejson_reader_free(struct mbk_ejson_reader *r)
{
    if (r == NULL) {
        return;
    }
    mbk_ejr_free(&r->conv);
    mbk_buf_free(&r->again);
    for (size_t i = 0; i < r->names_cap; i++) {
        free(r->names[i]);
    }
    free(r->names);
    free(r->database);
    free(r->coll);
    free(r->cap);
    EVP_MD_CTX_free(r->sha);
    free(r);
}

uint64_t
mbk_ejson_reader_offset(const struct mbk_ejson_reader *r)
{
    return r->offset;
}

static int
sticky(struct mbk_ejson_reader *r, const struct mbk_error *e,
       struct mbk_error *err)
{
    if (!r->failed) {
        r->failed = 1;
        r->saved = *e;
        if (r->saved.domain == MBK_ERROR_NONE) {
            mbk_error_set(&r->saved, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                          "a callback stopped the parse");
        }
    }
    if (err != NULL) {
        *err = r->saved;
    }
    return -1;
}

static void
keep_tail(struct mbk_ejson_reader *r, const char *buf, size_t len)
{
    if (len >= MBK_EJR_TAIL) {
        memcpy(r->tail, buf + len - MBK_EJR_TAIL, MBK_EJR_TAIL);
        r->tail_len = MBK_EJR_TAIL;
        return;
    }
    if (r->tail_len + len > MBK_EJR_TAIL) {
        size_t drop = r->tail_len + len - MBK_EJR_TAIL;

        memmove(r->tail, r->tail + drop, r->tail_len - drop);
        r->tail_len -= drop;
    }
    memcpy(r->tail + r->tail_len, buf, len);
    r->tail_len += len;
}

int
mbk_ejson_reader_feed(struct mbk_ejson_reader *r, const void *buf, size_t len,
                      struct mbk_error *err)
{
    struct mbk_error e;
    int rc;

    mbk_error_clear(&e);
    if (r->failed) {
        return sticky(r, &r->saved, err);
    }
    if (len > r->lim.total_bytes - r->offset) {
        size_t ok = (size_t)(r->lim.total_bytes - r->offset);

        mbk_ejr_fail_at(
            r, MBK_ENGINE_ENOMEM, r->lim.total_bytes, r->line,
            r->offset + ok - r->line_start + 1, "", 0, (const char *)buf + ok,
            len - ok, &e,
            "input larger than the limit of %llu decompressed bytes",
            (unsigned long long)r->lim.total_bytes);
        return sticky(r, &e, err);
    }
    rc = feed(r, buf, len, &e);
    keep_tail(r, buf, len);
    r->offset += len;
    if (rc < 0) {
        return sticky(r, &e, err);
    }
    return 0;
}

static const char *
where(const struct mbk_ejson_reader *r)
{
    switch (r->state) {
    case MBK_EJR_S_START:
        return "before the top-level object (empty input)";
    case MBK_EJR_S_META:
        return "inside the metadata object";
    case MBK_EJR_S_STRING:
        return "inside a key or collection name";
    case MBK_EJR_S_DOC_BODY:
        return "inside a document";
    case MBK_EJR_S_COLL_OPEN:
    case MBK_EJR_S_DOC_FIRST:
    case MBK_EJR_S_DOC:
    case MBK_EJR_S_DOC_NEXT:
        return "inside a collection's array";
    case MBK_EJR_S_COLL_FIRST:
    case MBK_EJR_S_COLL_KEY:
    case MBK_EJR_S_COLL_COLON:
    case MBK_EJR_S_COLL_NEXT:
        return "inside the collections object";
    default:
        return "inside the top-level object";
    }
}

int
mbk_ejson_reader_finish(struct mbk_ejson_reader *r, struct mbk_error *err)
{
    struct mbk_error e;
    const char *missing = NULL;

    mbk_error_clear(&e);
    if (r->failed) {
        return sticky(r, &r->saved, err);
    }
    if (r->state != MBK_EJR_S_END) {
        mbk_ejr_fail_at(r, MBK_ENGINE_EFORMAT, r->offset, r->line,
                        r->offset - r->line_start + 1, r->tail, r->tail_len,
                        "", 0, &e, "truncated file: the input ends %s",
                        where(r));
        return sticky(r, &e, err);
    }
    if (!r->seen_meta) {
        missing = "no \"metadata\" object in the file";
    } else if (!r->seen_colls) {
        missing = "no \"collections\" object in the file";
    }
    if (missing != NULL) {
        mbk_error_set(&e, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT, "%s", missing);
        return sticky(r, &e, err);
    }
    return 0;
}

/* One JSON object to BSON with these limits (mbk_ejson_to_bson). */
static int
to_bson(const char *json, size_t len, size_t max_bytes, int depth, bson_t *out,
        struct mbk_error *err)
{
    struct mbk_ejr_conv c;
    bson_t tmp;
    int rc = -1;

    mbk_ejr_init(&c, max_bytes, max_bytes, depth);
    if (mbk_ejr_document(&c, json, len, NULL) < 0) {
        mbk_ejr_fail_conv(NULL, &c, 0, 1, 0, err, "");
        goto out;
    }
    if (!bson_init_static(&tmp, c.out, c.len)) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                      "internal: bad BSON from the converter");
        goto out;
    }
    bson_copy_to(&tmp, out);
    rc = 0;
out:
    mbk_ejr_free(&c);
    return rc;
}

int
mbk_ejson_to_bson(const char *json, size_t len, bson_t *out,
                  struct mbk_error *err)
{
    return to_bson(json, len, MBK_EJSON_DOC_BYTES, MBK_EJSON_DEPTH, out, err);
}

int
mbk_ejson_meta_to_bson(const char *json, size_t len, bson_t *out,
                       struct mbk_error *err)
{
    return to_bson(json, len, MBK_EJSON_METADATA_BYTES * 8 + 1024,
                   MBK_EJSON_META_DEPTH, out, err);
}
