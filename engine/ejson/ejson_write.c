/*
 * ejson_write.c: BSON to canonical Extended JSON v2, byte-identical to
 * libbson 1.23's bson_as_canonical_extended_json() but streaming into a
 * struct mbk_buf: one walk with bson_iter and an explicit stack, no
 * allocation per document, one worst-case reservation per element.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ejson/ejson_write.h"
#include "engine/ejson/ejson_write_private.h"

enum frame_kind {
    FRAME_DOC,
    FRAME_ARRAY,
    FRAME_SCOPE /* the scope of a code-with-scope: closes with " } }" */
};

struct frame {
    bson_iter_t it;
    const uint8_t *data; /* this document, to walk it again */
    size_t len;
    size_t base;      /* offset of this document inside the top one */
    size_t open;      /* offset in out of its '{', to write it again */
    uint64_t seen[4]; /* a Bloom filter of the keys written so far */
    int kind;
    int count;   /* elements written so far */
    int escaped; /* written inside the $mbk:doc escape */
};

struct enc {
    struct mbk_buf *out;
    const uint8_t *top;
    int depth; /* index of the current frame: the top document is 0 */
    int escapes;
    char *wstart; /* where write_element started writing ... */
    size_t wbase; /* ... and the offset in out that stands for */
    /* Up to MBK_EJSON_MAX_DEPTH non-empty levels, plus an empty one. */
    struct frame stack[MBK_EJSON_MAX_DEPTH + 1];
};

#define ESCAPE_OPEN "{ \"" MBK_EJSON_ESCAPE_KEY "\" : { "

/*
 * The escape rule (README, "The backup file"): a document whose first key
 * a reader would take for a type wrapper, or which holds one key twice, is
 * written as {"$mbk:doc": {its members as given}}.  The escape key is in
 * the list, so a document that starts with it is escaped too.
 */
int
mbk_ejson_key_is_keyword(const char *k)
{
    static const char *const words[] = {
        "$oid", "$date", "$numberInt", "$numberLong", "$numberDouble",
        "$numberDecimal", "$binary", "$type", "$uuid", "$timestamp",
        "$regularExpression", "$regex", "$options", "$symbol", "$code",
        "$scope", "$dbPointer", "$minKey", "$maxKey", "$undefined",
        MBK_EJSON_ESCAPE_KEY};

    if (k[0] != '$') {
        return 0;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(k, words[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* One bit of 256 for a key of klen bytes (length, first, middle and last
 * bytes, mixed by a multiplication). */
static inline unsigned
key_bit(const char *k, size_t klen)
{
    uint32_t h;

    if (klen == 0) {
        return 0;
    }
    h = (uint32_t)klen | (uint32_t)(uint8_t)k[0] << 8
        | (uint32_t)(uint8_t)k[klen / 2] << 16
        | (uint32_t)(uint8_t)k[klen - 1] << 24;
    return (h * 0x9e3779b1u) >> 24;
}

/* Does frame f hold the key k before its current element? */
static int
key_seen_before(const struct frame *f, const char *k, size_t klen)
{
    bson_iter_t it;

    if (!bson_iter_init_from_data(&it, f->data, f->len)) {
        return 0;
    }
    while (bson_iter_next(&it) && it.off < f->it.off) {
        const char *o = bson_iter_key_unsafe(&it);

        if (memcmp(o, k, klen + 1) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What each element may add on top of its escaped key and variable part. */
#define ELEMENT_SLACK 160

#define PUT(p, lit)                              \
    do {                                         \
        memcpy((p), (lit), sizeof(lit) - 1);     \
        (p) += sizeof(lit) - 1;                  \
    } while (0)

/*
 * Errors: what, and where as a dotted key path (array indexes included).
 */

/* Append s to the path, bytes below 0x20 and DEL shown as '?'. */
static size_t
path_add(char *path, size_t len, size_t cap, const char *s)
{
    if (len > 0 && len < cap - 1) {
        path[len++] = '.';
    }
    for (; *s != '\0' && len < cap - 1; s++) {
        path[len++] = (uint8_t)*s < 0x20 || *s == 0x7f ? '?' : *s;
    }
    path[len] = '\0';
    return len;
}

/* The path of the current element of frame `upto` (its key too when
 * with_key), shortened from the front to fit a message. */
static const char *
path_of(const struct enc *e, int upto, int with_key, char *buf, size_t cap)
{
    char full[1024];
    size_t len = 0;
    size_t keep;
    int i;

    full[0] = '\0';
    for (i = 0; i < upto + (with_key ? 1 : 0); i++) {
        len = path_add(full, len, sizeof(full),
                       bson_iter_key_unsafe(&e->stack[i].it));
    }
    if (len == 0) {
        snprintf(buf, cap, "%s", "(top level)");
        return buf;
    }
    if (len < cap) {
        memcpy(buf, full, len + 1);
        return buf;
    }
    keep = cap - 4;
    i = (int)(len - keep);
    while ((full[i] & 0xc0) == 0x80 || full[i] == '.') {
        i++; /* do not cut a UTF-8 character, nor start with a dot */
    }
    snprintf(buf, cap, "...%s", full + i);
    return buf;
}

static int
fail_corrupt(const struct enc *e, size_t offset, struct mbk_error *err)
{
    char path[160];

    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                         "corrupt BSON at offset %zu (inside \"%s\")", offset,
                         path_of(e, e->depth, 0, path, sizeof(path)));
}

static int
fail_utf8(const struct enc *e, const char *what, struct mbk_error *err)
{
    char path[160];

    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                         "invalid UTF-8 in the %s at \"%s\"", what,
                         path_of(e, e->depth, 1, path, sizeof(path)));
}

static int
fail_key(const struct enc *e, const struct frame *f, struct mbk_error *err)
{
    char path[160];

    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                         "invalid UTF-8 in the key at offset %zu "
                         "(inside \"%s\")",
                         f->base + f->it.off,
                         path_of(e, e->depth, 0, path, sizeof(path)));
}

/*
 * Elements.
 */

/* Start a child document at data/len: a new frame, or an error. */
static int
push(struct enc *e, const uint8_t *data, size_t len, int kind,
     struct mbk_error *err)
{
    struct frame *f = &e->stack[e->depth];
    struct frame *child;
    char path[160];

    /* MongoDB's count: the top document is level 1 (frame 0), and an
     * empty document or array adds no level. */
    if (e->depth + 2 > MBK_EJSON_MAX_DEPTH && len > 5) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "document nested deeper than %d levels at "
                             "\"%s\"",
                             MBK_EJSON_MAX_DEPTH,
                             path_of(e, e->depth, 1, path, sizeof(path)));
    }
    child = &e->stack[e->depth + 1];
    if (data == NULL
        || !bson_iter_init_from_data(&child->it, data, len)) {
        return fail_corrupt(e, f->base + f->it.off, err);
    }
    child->data = data;
    child->len = len;
    child->base = (size_t)(data - e->top);
    child->kind = kind;
    child->count = 0;
    memset(child->seen, 0, sizeof(child->seen));
    child->escaped = kind != FRAME_ARRAY && len > 5
                     && mbk_ejson_key_is_keyword((const char *)data + 5);
    e->escapes += child->escaped;
    e->depth++;
    return 0;
}

/* Room the current element's text may take.  Small elements get six times
 * their BSON size (the worst escaping), large ones their exact need, so a
 * big string does not reserve six times itself. */
static size_t
element_room(bson_iter_t *it, size_t klen)
{
    size_t size = it->next_off - it->off;
    size_t need = ELEMENT_SLACK + 6 * klen;
    uint32_t n;
    uint32_t stored;
    const char *s;

    if (size <= 4096) {
        return ELEMENT_SLACK + 6 * size;
    }
    switch (bson_iter_type_unsafe(it)) {
    case BSON_TYPE_UTF8:
    case BSON_TYPE_CODE:
    case BSON_TYPE_SYMBOL:
        n = bson_iter_utf8_len_unsafe(it);
        return need + mbk_ejson_escaped_len((const char *)(it->raw + it->d2), n);
    case BSON_TYPE_CODEWSCOPE:
        memcpy(&stored, it->raw + it->d2, sizeof(stored));
        n = BSON_UINT32_FROM_LE(stored);
        if (n == 0) {
            return need;
        }
        return need + mbk_ejson_escaped_len((const char *)(it->raw + it->d3), n - 1);
    case BSON_TYPE_BINARY:
        memcpy(&stored, it->raw + it->d1, sizeof(stored));
        return need + 4 * ((size_t)BSON_UINT32_FROM_LE(stored) / 3 + 1);
    case BSON_TYPE_REGEX:
        s = (const char *)(it->raw + it->d1);
        return need + mbk_ejson_escaped_len(s, strlen(s)) + 8;
    case BSON_TYPE_DBPOINTER:
        memcpy(&stored, it->raw + it->d1, sizeof(stored));
        n = BSON_UINT32_FROM_LE(stored);
        s = (const char *)(it->raw + it->d2);
        return need + mbk_ejson_escaped_len(s, n == 0 ? 0 : strnlen(s, n - 1));
    default:
        return need;
    }
}

static char *
put_string(struct enc *e, char *p, const char *s, size_t n, const char *what,
           struct mbk_error *err)
{
    p = mbk_ejson_escape(p, s, n);
    if (p == NULL) {
        fail_utf8(e, what, err);
    }
    return p;
}

/* Write the current element of frame f at p; the end, or NULL on error. */
static char *
write_element(struct enc *e, struct frame *f, size_t klen, char *p,
              struct mbk_error *err)
{
    bson_iter_t *it = &f->it;
    const char *key = bson_iter_key_unsafe(it);
    char *q;

    if (f->count++ > 0) {
        PUT(p, ", ");
    }
    if (f->kind != FRAME_ARRAY) {
        *p++ = '"';
        q = mbk_ejson_escape(p, key, klen);
        if (q == NULL) {
            fail_key(e, f, err);
            return NULL;
        }
        p = q;
        PUT(p, "\" : ");
    } else if (!mbk_ejson_utf8_valid(key, klen)) {
        fail_key(e, f, err);
        return NULL;
    }

    switch (bson_iter_type_unsafe(it)) {
    case BSON_TYPE_DOUBLE: {
        double v = bson_iter_double_unsafe(it);

        PUT(p, "{ \"$numberDouble\" : \"");
        if (isnan(v)) {
            PUT(p, "NaN");
        } else if (isinf(v)) {
            if (v > 0) {
                PUT(p, "Infinity");
            } else {
                PUT(p, "-Infinity");
            }
        } else {
            p += mbk_ejson_fmt_double(p, v);
        }
        PUT(p, "\" }");
        break;
    }
    case BSON_TYPE_UTF8: {
        size_t n;
        const char *s = bson_iter_utf8_unsafe(it, &n);

        *p++ = '"';
        p = put_string(e, p, s, n, "string", err);
        if (p == NULL) {
            return NULL;
        }
        *p++ = '"';
        break;
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
        const uint8_t *data;
        uint32_t len;
        int array = bson_iter_type_unsafe(it) == BSON_TYPE_ARRAY;

        if (array) {
            bson_iter_array(it, &len, &data);
        } else {
            bson_iter_document(it, &len, &data);
        }
        if (push(e, data, len, array ? FRAME_ARRAY : FRAME_DOC, err) != 0) {
            return NULL;
        }
        e->stack[e->depth].open = e->wbase + (size_t)(p - e->wstart);
        if (e->stack[e->depth].escaped) {
            PUT(p, ESCAPE_OPEN);
        } else {
            *p++ = array ? '[' : '{';
            *p++ = ' ';
        }
        break;
    }
    case BSON_TYPE_BINARY: {
        bson_subtype_t subtype;
        uint32_t len;
        const uint8_t *bin;
        uint8_t st;

        bson_iter_binary(it, &subtype, &len, &bin);
        st = (uint8_t)subtype;
        PUT(p, "{ \"$binary\" : { \"base64\" : \"");
        p += mbk_ejson_fmt_base64(p, bin, len);
        PUT(p, "\", \"subType\" : \"");
        p += mbk_ejson_fmt_hex(p, &st, 1);
        PUT(p, "\" } }");
        break;
    }
    case BSON_TYPE_UNDEFINED:
        PUT(p, "{ \"$undefined\" : true }");
        break;
    case BSON_TYPE_OID:
        PUT(p, "{ \"$oid\" : \"");
        p += mbk_ejson_fmt_hex(p, bson_iter_oid_unsafe(it)->bytes, 12);
        PUT(p, "\" }");
        break;
    case BSON_TYPE_BOOL:
        if (bson_iter_bool_unsafe(it)) {
            PUT(p, "true");
        } else {
            PUT(p, "false");
        }
        break;
    case BSON_TYPE_DATE_TIME:
        PUT(p, "{ \"$date\" : { \"$numberLong\" : \"");
        p += mbk_ejson_fmt_i64(p, bson_iter_int64_unsafe(it));
        PUT(p, "\" } }");
        break;
    case BSON_TYPE_NULL:
        PUT(p, "null");
        break;
    case BSON_TYPE_REGEX: {
        const char *opts;
        const char *re = bson_iter_regex(it, &opts);
        const char *c;

        PUT(p, "{ \"$regularExpression\" : { \"pattern\" : \"");
        p = put_string(e, p, re, strlen(re), "regular expression", err);
        if (p == NULL) {
            return NULL;
        }
        PUT(p, "\", \"options\" : \"");
        /* libbson keeps the known flags, sorted, once each. */
        for (c = "ilmsux"; *c != '\0'; c++) {
            if (strchr(opts, *c) != NULL) {
                *p++ = *c;
            }
        }
        PUT(p, "\" } }");
        break;
    }
    case BSON_TYPE_DBPOINTER: {
        uint32_t stored;
        uint32_t clen;
        const char *coll;
        const bson_oid_t *oid;

        memcpy(&stored, it->raw + it->d1, sizeof(stored));
        if (BSON_UINT32_FROM_LE(stored) == 0) {
            fail_corrupt(e, f->base + it->off, err);
            return NULL;
        }
        bson_iter_dbpointer(it, &clen, &coll, &oid);
        /* libbson checks all of it, then prints up to the first NUL. */
        if (!mbk_ejson_utf8_valid(coll, clen)) {
            fail_utf8(e, "DBPointer", err);
            return NULL;
        }
        PUT(p, "{ \"$dbPointer\" : { \"$ref\" : \"");
        p = put_string(e, p, coll, strnlen(coll, clen), "DBPointer", err);
        if (p == NULL) {
            return NULL;
        }
        PUT(p, "\", \"$id\" : { \"$oid\" : \"");
        p += mbk_ejson_fmt_hex(p, oid->bytes, 12);
        PUT(p, "\" } } }");
        break;
    }
    case BSON_TYPE_CODE: {
        uint32_t n;
        const char *s = bson_iter_code(it, &n);

        PUT(p, "{ \"$code\" : \"");
        p = put_string(e, p, s, n, "code", err);
        if (p == NULL) {
            return NULL;
        }
        PUT(p, "\" }");
        break;
    }
    case BSON_TYPE_SYMBOL: {
        uint32_t n;
        const char *s = bson_iter_symbol(it, &n);

        PUT(p, "{ \"$symbol\" : \"");
        p = put_string(e, p, s, n, "symbol", err);
        if (p == NULL) {
            return NULL;
        }
        PUT(p, "\" }");
        break;
    }
    case BSON_TYPE_CODEWSCOPE: {
        uint32_t stored;
        uint32_t n;
        uint32_t slen;
        const uint8_t *scope;
        const char *s;

        memcpy(&stored, it->raw + it->d2, sizeof(stored));
        if (BSON_UINT32_FROM_LE(stored) == 0) {
            fail_corrupt(e, f->base + it->off, err);
            return NULL;
        }
        s = bson_iter_codewscope(it, &n, &slen, &scope);
        PUT(p, "{ \"$code\" : \"");
        p = put_string(e, p, s, n, "code", err);
        if (p == NULL) {
            return NULL;
        }
        PUT(p, "\", \"$scope\" : ");
        if (slen >= 5 && scope[4] == 0 && scope[slen - 1] == 0) {
            /* libbson encodes the scope as a top document, and a top
             * document whose first byte ends it is "{ }" (bson_empty),
             * whatever follows; bson_validate() lets that pass. */
            PUT(p, "{ } }");
            break;
        }
        if (push(e, scope, slen, FRAME_SCOPE, err) != 0) {
            return NULL;
        }
        e->stack[e->depth].open = e->wbase + (size_t)(p - e->wstart);
        if (e->stack[e->depth].escaped) {
            PUT(p, ESCAPE_OPEN);
        } else {
            PUT(p, "{ ");
        }
        break;
    }
    case BSON_TYPE_INT32:
        PUT(p, "{ \"$numberInt\" : \"");
        p += mbk_ejson_fmt_i64(p, bson_iter_int32_unsafe(it));
        PUT(p, "\" }");
        break;
    case BSON_TYPE_TIMESTAMP: {
        uint32_t t;
        uint32_t i;

        bson_iter_timestamp(it, &t, &i);
        PUT(p, "{ \"$timestamp\" : { \"t\" : ");
        p += mbk_ejson_fmt_u64(p, t);
        PUT(p, ", \"i\" : ");
        p += mbk_ejson_fmt_u64(p, i);
        PUT(p, " } }");
        break;
    }
    case BSON_TYPE_INT64:
        PUT(p, "{ \"$numberLong\" : \"");
        p += mbk_ejson_fmt_i64(p, bson_iter_int64_unsafe(it));
        PUT(p, "\" }");
        break;
    case BSON_TYPE_DECIMAL128: {
        bson_decimal128_t dec;
        char text[BSON_DECIMAL128_STRING];
        size_t n;

        bson_iter_decimal128_unsafe(it, &dec);
        bson_decimal128_to_string(&dec, text);
        n = strlen(text);
        PUT(p, "{ \"$numberDecimal\" : \"");
        memcpy(p, text, n);
        p += n;
        PUT(p, "\" }");
        break;
    }
    case BSON_TYPE_MAXKEY:
        PUT(p, "{ \"$maxKey\" : 1 }");
        break;
    case BSON_TYPE_MINKEY:
        PUT(p, "{ \"$minKey\" : 1 }");
        break;
    case BSON_TYPE_EOD:
    default:
        /* bson_iter_next() never yields these. */
        fail_corrupt(e, f->base + it->off, err);
        return NULL;
    }
    return p;
}

/* Near out's max: write into a scratch buffer, then append exactly what
 * was written, so the limit is met to the byte. */
static int
element_spill(struct enc *e, struct frame *f, size_t klen, size_t need,
              struct mbk_error *err)
{
    char *tmp;
    char *end;
    int rc;

    tmp = malloc(need);
    if (tmp == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "out of memory (%zu bytes)", need);
    }
    e->wstart = tmp;
    e->wbase = e->out->len;
    end = write_element(e, f, klen, tmp, err);
    rc = end == NULL ? -1 : mbk_buf_append(e->out, tmp, (size_t)(end - tmp),
                                           err);
    free(tmp);
    return rc;
}

/* Frame f holds a key twice: write it again from its '{', escaped. */
static int
restart_escaped(struct enc *e, struct frame *f, struct mbk_error *err)
{
    e->out->len = f->open;
    if (mbk_buf_append(e->out, ESCAPE_OPEN, sizeof(ESCAPE_OPEN) - 1, err)
        != 0) {
        return -1;
    }
    (void)bson_iter_init_from_data(&f->it, f->data, f->len);
    f->count = 0;
    f->escaped = 1;
    e->escapes++;
    return 0;
}

static int
element(struct enc *e, struct frame *f, struct mbk_error *err)
{
    struct mbk_buf *out = e->out;
    const char *key = bson_iter_key_unsafe(&f->it);
    size_t klen = strlen(key);
    size_t need;
    char *end;

    if (f->kind != FRAME_ARRAY && !f->escaped) {
        unsigned bit = key_bit(key, klen);
        uint64_t mask = (uint64_t)1 << (bit & 63);

        if ((f->seen[bit >> 6] & mask) != 0
            && key_seen_before(f, key, klen)) {
            return restart_escaped(e, f, err);
        }
        f->seen[bit >> 6] |= mask;
    }
    need = element_room(&f->it, klen);
    if (out->cap - out->len <= need
        && mbk_buf_reserve(out, need, NULL) != 0) {
        return element_spill(e, f, klen, need, err);
    }
    e->wstart = out->data + out->len;
    e->wbase = out->len;
    end = write_element(e, f, klen, out->data + out->len, err);
    if (end == NULL) {
        return -1;
    }
    out->len = (size_t)(end - out->data);
    return 0;
}

static int
encode(struct enc *e, const uint8_t *data, size_t len, struct mbk_error *err)
{
    struct frame *f = &e->stack[0];
    char path[160];
    int rc;

    e->depth = 0;
    e->escapes = 0;
    (void)bson_iter_init_from_data(&f->it, data, len);
    f->data = data;
    f->len = len;
    f->base = 0;
    f->open = e->out->len;
    memset(f->seen, 0, sizeof(f->seen));
    f->kind = FRAME_DOC;
    f->count = 0;
    f->escaped = mbk_ejson_key_is_keyword((const char *)data + 5);
    e->escapes += f->escaped;
    if (f->escaped) {
        rc = mbk_buf_append(e->out, ESCAPE_OPEN, sizeof(ESCAPE_OPEN) - 1,
                            err);
    } else {
        rc = mbk_buf_append(e->out, "{ ", 2, err);
    }
    if (rc != 0) {
        return -1;
    }
    for (;;) {
        f = &e->stack[e->depth];
        if (bson_iter_next(&f->it)) {
            if (element(e, f, err) != 0) {
                if (err != NULL && (err->code == MBK_ENGINE_ELIMIT
                                    || err->code == MBK_ENGINE_ENOMEM)) {
                    mbk_error_prefix(err, "Extended JSON of \"%s\"",
                                     path_of(e, e->depth, 0, path,
                                             sizeof(path)));
                }
                return -1;
            }
            continue;
        }
        if (f->it.err_off != 0) {
            return fail_corrupt(e, f->base + f->it.err_off, err);
        }
        if (f->escaped && mbk_buf_append(e->out, " }", 2, err) != 0) {
            return -1;
        }
        switch (f->kind) {
        case FRAME_ARRAY:
            rc = mbk_buf_append(e->out, " ]", 2, err);
            break;
        case FRAME_SCOPE:
            rc = mbk_buf_append(e->out, " } }", 4, err);
            break;
        default:
            rc = mbk_buf_append(e->out, " }", 2, err);
            break;
        }
        if (rc != 0) {
            return -1;
        }
        if (e->depth == 0) {
            return 0;
        }
        e->depth--;
    }
}

int
mbk_ejson_write(struct mbk_buf *out, const uint8_t *data, size_t len,
                struct mbk_error *err)
{
    return mbk_ejson_write_ex(out, data, len, NULL, err);
}

int
mbk_ejson_write_ex(struct mbk_buf *out, const uint8_t *data, size_t len,
                   int *escapes, struct mbk_error *err)
{
    struct enc *e;
    struct enc local;
    size_t start = out->len;
    uint32_t hdr = 0;

    if (data != NULL && len >= 5) {
        memcpy(&hdr, data, sizeof(hdr));
        hdr = BSON_UINT32_FROM_LE(hdr);
    }
    if (data == NULL || len < 5 || len > INT32_MAX || hdr != len
        || data[len - 1] != 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "corrupt BSON: %zu bytes are not a document",
                             len);
    }
    if (escapes != NULL) {
        *escapes = 0;
    }
    if (len == 5) {
        return mbk_buf_append(out, "{ }", 3, err);
    }
    e = &local;
    e->out = out;
    e->top = data;
    if (encode(e, data, len, err) != 0) {
        out->len = start;
        if (out->data != NULL) {
            out->data[start] = '\0';
        }
        return -1;
    }
    out->data[out->len] = '\0';
    if (escapes != NULL) {
        *escapes = e->escapes;
    }
    return 0;
}

int
mbk_ejson_write_bson(struct mbk_buf *out, const bson_t *doc,
                     struct mbk_error *err)
{
    return mbk_ejson_write(out, bson_get_data(doc), doc->len, err);
}
