/*
 * ejson_read_conv.c: the JSON half of the Extended JSON -> BSON converter:
 * documents, arrays, strings (escapes, UTF-8 validation) and the output
 * buffer.  BSON bytes are written directly, no bson_append_* per element.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ejson/ejson_read_private.h"
#include "engine/ejson/ejson_write.h"

void
mbk_ejr_init(struct mbk_ejr_conv *c, size_t max_bytes, size_t max_string,
             int max_depth)
{
    memset(c, 0, sizeof(*c));
    c->max_bytes = max_bytes;
    c->max_string = max_string;
    c->max_depth = max_depth;
}

void
mbk_ejr_free(struct mbk_ejr_conv *c)
{
    free(c->out);
    c->out = NULL;
    c->cap = 0;
    c->len = 0;
}

int
mbk_ejr_fail(struct mbk_ejr_conv *c, const char *at, int kind, const char *fmt,
             ...)
{
    va_list ap;

    if (c->err_kind != 0) {
        return -1; /* keep the first, innermost error */
    }
    c->err_at = at;
    c->err_kind = kind;
    va_start(ap, fmt);
    vsnprintf(c->err_msg, sizeof(c->err_msg), fmt, ap);
    va_end(ap);
    return -1;
}

int
mbk_ejr_grow(struct mbk_ejr_conv *c, size_t n)
{
    size_t need = c->len + n;
    size_t cap = c->cap ? c->cap : 4096;
    unsigned char *p;

    /* Room for the whole limit plus slack: a write may overshoot a bit. */
    if (need > c->max_bytes + 64 || need < c->len) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_LIMIT,
                            "document larger than %zu bytes as BSON",
                            c->max_bytes);
    }
    while (cap < need) {
        cap *= 2;
    }
    if (cap > c->max_bytes + 64) {
        cap = c->max_bytes + 64;
    }
    p = realloc(c->out, cap);
    if (p == NULL) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_NOMEM,
                            "out of memory for a document of %zu bytes", cap);
    }
    c->out = p;
    c->cap = cap;
    return 0;
}

/* SWAR: a byte in w that is '"', '\\', below 0x20 or above 0x7f. */
static inline uint64_t
special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t high = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"');
    uint64_t b = w ^ (ones * '\\');

    uint64_t lt = (w - ones * 0x20) & ~w;

    return (((q - ones) & ~q) | ((b - ones) & ~b) | lt | w) & high;
}

static int
hexval(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static int
hex4(struct mbk_ejr_conv *c, const char *s, uint32_t *v)
{
    uint32_t r = 0;

    if (c->end - s < 4) {
        return mbk_ejr_fail(c, s, MBK_EJR_E_SYNTAX, "truncated \\u escape");
    }
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)s[i]);

        if (h < 0) {
            return mbk_ejr_fail(c, s, MBK_EJR_E_SYNTAX, "bad \\u escape");
        }
        r = r << 4 | (uint32_t)h;
    }
    *v = r;
    return 0;
}

/* One backslash escape at p (after the backslash); writes UTF-8. */
static int
escape(struct mbk_ejr_conv *c, int *has_nul)
{
    const char *at = c->p - 1;
    unsigned char *d;
    uint32_t cp;
    uint32_t lo;
    int ch;

    if (c->p >= c->end) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX, "truncated escape");
    }
    if (mbk_ejr_reserve(c, 4) < 0) {
        return -1;
    }
    d = c->out + c->len;
    ch = (unsigned char)*c->p++;
    switch (ch) {
    case '"':
    case '\\':
    case '/':
        *d = (unsigned char)ch;
        c->len++;
        return 0;
    case 'b':
        *d = '\b';
        c->len++;
        return 0;
    case 'f':
        *d = '\f';
        c->len++;
        return 0;
    case 'n':
        *d = '\n';
        c->len++;
        return 0;
    case 'r':
        *d = '\r';
        c->len++;
        return 0;
    case 't':
        *d = '\t';
        c->len++;
        return 0;
    case 'u':
        break;
    default:
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX, "bad escape \\%c",
                            ch >= 0x20 && ch < 0x7f ? ch : '?');
    }
    if (hex4(c, c->p, &cp) < 0) {
        return -1;
    }
    c->p += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_UTF8,
                            "lone low surrogate \\u%04x", (unsigned)cp);
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u'
            || hex4(c, c->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
            c->err_kind = 0;
            return mbk_ejr_fail(c, at, MBK_EJR_E_UTF8,
                                "high surrogate \\u%04x without its pair",
                                (unsigned)cp);
        }
        c->p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (cp < 0x80) {
        d[0] = (unsigned char)cp;
        c->len += 1;
        if (cp == 0) {
            *has_nul = 1;
        }
    } else if (cp < 0x800) {
        d[0] = (unsigned char)(0xc0 | cp >> 6);
        d[1] = (unsigned char)(0x80 | (cp & 0x3f));
        c->len += 2;
    } else if (cp < 0x10000) {
        d[0] = (unsigned char)(0xe0 | cp >> 12);
        d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (unsigned char)(0x80 | (cp & 0x3f));
        c->len += 3;
    } else {
        d[0] = (unsigned char)(0xf0 | cp >> 18);
        d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        d[3] = (unsigned char)(0x80 | (cp & 0x3f));
        c->len += 4;
    }
    return 0;
}

/* One multi-byte UTF-8 sequence at p (RFC 3629: no overlong, surrogate). */
static int
utf8_seq(struct mbk_ejr_conv *c)
{
    const unsigned char *s = (const unsigned char *)c->p;
    size_t left = (size_t)(c->end - c->p);
    size_t n;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
    } else {
        goto bad;
    }
    if (left < n) {
        goto bad;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            goto bad;
        }
    }
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f)
        || (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f)) {
        goto bad;
    }
    if (mbk_ejr_reserve(c, n) < 0) {
        return -1;
    }
    memcpy(c->out + c->len, s, n);
    c->len += n;
    c->p += n;
    return 0;
bad:
    return mbk_ejr_fail(c, c->p, MBK_EJR_E_UTF8, "invalid UTF-8 (byte 0x%02x)",
                        s[0]);
}

int
mbk_ejr_string(struct mbk_ejr_conv *c, size_t *n, int *has_nul)
{
    size_t start = c->len;
    const char *open = c->p - 1;

    *has_nul = 0;
    for (;;) {
        unsigned char ch;

        /*
         * Plain ASCII eight bytes at a time: each word is stored whole
         * (room for it is reserved) and the length advanced past the
         * bytes that belong to the string.
         */
        while (c->end - c->p >= 8) {
            uint64_t w;
            uint64_t m;

            if (c->cap - c->len < 8 && mbk_ejr_reserve(c, 8) < 0) {
                return -1;
            }
            memcpy(&w, c->p, 8);
            memcpy(c->out + c->len, &w, 8);
            m = special_bytes(w);
            if (m != 0) {
                size_t k = (size_t)__builtin_ctzll(m) >> 3;

                c->len += k;
                c->p += k;
                break;
            }
            c->len += 8;
            c->p += 8;
        }
        if (c->len - start > c->max_string) {
            return mbk_ejr_fail(c, open, MBK_EJR_E_LIMIT,
                                "string longer than %zu bytes", c->max_string);
        }
        if (c->p >= c->end) {
            return mbk_ejr_fail(c, open, MBK_EJR_E_SYNTAX,
                                "unterminated string");
        }
        ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            *n = c->len - start;
            return 0;
        }
        if (ch == '\\') {
            c->p++;
            if (escape(c, has_nul) < 0) {
                return -1;
            }
        } else if (ch < 0x20) {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "control character 0x%02x in a string", ch);
        } else if (ch > 0x7f) {
            if (utf8_seq(c) < 0) {
                return -1;
            }
        } else {
            if (mbk_ejr_reserve(c, 1) < 0) {
                return -1;
            }
            c->out[c->len++] = ch;
            c->p++;
        }
    }
}

/* A key at p (at the quote), written as a C string after the type byte. */
static int
key(struct mbk_ejr_conv *c)
{
    size_t n;
    int has_nul;
    const char *at = c->p;

    if (c->p >= c->end || *c->p != '"') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "expected a key");
    }
    c->p++;
    if (mbk_ejr_string(c, &n, &has_nul) < 0) {
        return -1;
    }
    if (has_nul) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX, "key contains \\u0000");
    }
    if (mbk_ejr_reserve(c, 1) < 0) {
        return -1;
    }
    c->out[c->len++] = 0;
    mbk_ejr_ws(c);
    if (c->p >= c->end || *c->p != ':') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "expected ':' after a key");
    }
    c->p++;
    mbk_ejr_ws(c);
    return 0;
}

static int
literal(struct mbk_ejr_conv *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "unexpected character");
    }
    c->p += n;
    return 0;
}

/* The inside of the escape {"$mbk:doc": {members}}: p at its value. */
static int
escape_body(struct mbk_ejr_conv *c)
{
    if (c->p >= c->end || *c->p != '{') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "%s must hold an object", MBK_EJSON_ESCAPE_KEY);
    }
    if (mbk_ejr_doc_body(c, 1) < 0) {
        return -1;
    }
    mbk_ejr_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        c->escaped = 1;
        return MBK_EJR_T_DOC;
    }
    return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                        "%s must be the only key of its object",
                        MBK_EJSON_ESCAPE_KEY);
}

/* The first key of an object at p ('{'): is it a type wrapper (or, with
 * only_escape, the escape)? */
static int
maybe_wrapper(struct mbk_ejr_conv *c, int only_escape)
{
    const char *save = c->p;
    size_t mark = c->len;
    char name[24];
    const char *k;
    const char *q;
    size_t n;
    int has_nul;
    int t;

    c->p++;
    mbk_ejr_ws(c);
    if (c->end - c->p < 2 || c->p[0] != '"'
        || (c->p[1] != '$' && c->p[1] != '\\')) {
        c->p = save;
        return 0;
    }
    /* The usual case: a short key without escapes, read in place. */
    k = c->p + 1;
    q = k;
    while (q < c->end && q - k < (ptrdiff_t)sizeof(name) - 1
           && *q != '"'
           && *q != '\\') {
        q++;
    }
    if (q < c->end && *q == '"') {
        n = (size_t)(q - k);
        memcpy(name, k, n);
        c->p = q + 1;
    } else if (q < c->end && *q == '\\') {
        c->p++;
        if (mbk_ejr_string(c, &n, &has_nul) < 0) {
            return -1;
        }
        if (n >= sizeof(name) || has_nul || c->out[mark] != '$') {
            c->len = mark;
            c->p = save;
            return 0;
        }
        memcpy(name, c->out + mark, n);
        c->len = mark;
    } else {
        c->p = save;
        return 0;
    }
    name[n] = '\0';
    mbk_ejr_ws(c);
    if (c->p >= c->end || *c->p != ':') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "expected ':' after a key");
    }
    c->p++;
    mbk_ejr_ws(c);
    if (n == sizeof(MBK_EJSON_ESCAPE_KEY) - 1
        && memcmp(name, MBK_EJSON_ESCAPE_KEY, n) == 0) {
        return escape_body(c);
    }
    t = only_escape ? 0 : mbk_ejr_wrapper(c, name, n);
    if (t == 0) {
        c->len = mark;
        c->p = save;
    } else if (t > 0) {
        c->typed = 1;
    }
    return t;
}

/* A value at p; writes its bytes and returns its element type. */
static int
value(struct mbk_ejr_conv *c)
{
    size_t n;
    int has_nul;
    size_t at;
    int t;

    if (c->p >= c->end) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "expected a value");
    }
    switch (*c->p) {
    case '"':
        c->p++;
        if (mbk_ejr_reserve(c, 4) < 0) {
            return -1;
        }
        at = c->len;
        c->len += 4;
        if (mbk_ejr_string(c, &n, &has_nul) < 0 || mbk_ejr_reserve(c, 1) < 0) {
            return -1;
        }
        c->out[c->len++] = 0;
        mbk_ejr_put32(c->out + at, (uint32_t)(n + 1));
        return MBK_EJR_T_STRING;
    case '{':
        /* plain (metadata): no type wrappers, but the escape */
        t = maybe_wrapper(c, c->plain);
        if (t != 0) {
            return t;
        }
        return mbk_ejr_doc_body(c, 0) < 0 ? -1 : MBK_EJR_T_DOC;
    case '[':
        return mbk_ejr_array_body(c) < 0 ? -1 : MBK_EJR_T_ARRAY;
    case 't':
        if (literal(c, "true", 4) < 0 || mbk_ejr_reserve(c, 1) < 0) {
            return -1;
        }
        c->out[c->len++] = 1;
        return MBK_EJR_T_BOOL;
    case 'f':
        if (literal(c, "false", 5) < 0 || mbk_ejr_reserve(c, 1) < 0) {
            return -1;
        }
        c->out[c->len++] = 0;
        return MBK_EJR_T_BOOL;
    case 'n':
        return literal(c, "null", 4) < 0 ? -1 : MBK_EJR_T_NULL;
    default:
        if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) {
            return mbk_ejr_number(c);
        }
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "unexpected character");
    }
}

/* Open an object or array at p.  Depth as mongod counts it (ejson_write.h):
 * the top document is 1, an empty object or array adds nothing. */
static int
enter(struct mbk_ejr_conv *c, size_t *at)
{
    const char *open = c->p;

    if (mbk_ejr_reserve(c, 4) < 0) {
        return -1;
    }
    *at = c->len;
    c->len += 4;
    c->p++;
    mbk_ejr_ws(c);
    if (++c->depth > c->max_depth && c->p < c->end && *c->p != '}'
        && *c->p != ']') {
        return mbk_ejr_fail(c, open, MBK_EJR_E_LIMIT,
                            "document nested deeper than %d levels",
                            c->max_depth);
    }
    return 0;
}

/* One bit of 256 for the key k[0..n) (as in ejson_write.c). */
static inline unsigned
key_bit(const unsigned char *k, size_t n)
{
    uint32_t h;

    if (n == 0) {
        return 0;
    }
    h = (uint32_t)n | (uint32_t)k[0] << 8 | (uint32_t)k[n / 2] << 16
        | (uint32_t)k[n - 1] << 24;
    return (h * 0x9e3779b1u) >> 24;
}

/* Does the object being written at out[at..) hold, before the element at
 * out[tpos], the key that element has?  The object's elements so far are
 * walked as a BSON document ending at tpos. */
static int
key_repeated(struct mbk_ejr_conv *c, size_t at, size_t tpos)
{
    const char *k = (const char *)c->out + tpos + 1;
    unsigned char saved = c->out[tpos];
    bson_iter_t it;
    int found = 0;

    mbk_ejr_put32(c->out + at, (uint32_t)(tpos - at + 1));
    c->out[tpos] = 0;
    if (bson_iter_init_from_data(&it, c->out + at, tpos - at + 1)) {
        while (!found && bson_iter_next(&it)) {
            found = strcmp(bson_iter_key_unsafe(&it), k) == 0;
        }
    }
    c->out[tpos] = saved;
    return found;
}

static int
leave(struct mbk_ejr_conv *c, size_t at)
{
    if (mbk_ejr_reserve(c, 1) < 0) {
        return -1;
    }
    c->out[c->len++] = 0;
    if (c->len - at > c->max_bytes) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_LIMIT,
                            "document larger than %zu bytes as BSON",
                            c->max_bytes);
    }
    mbk_ejr_put32(c->out + at, (uint32_t)(c->len - at));
    c->p++;
    c->depth--;
    return 0;
}

int
mbk_ejr_doc_body(struct mbk_ejr_conv *c, int literal)
{
    uint64_t seen[4] = {0, 0, 0, 0};
    size_t at;

    if (enter(c, &at) < 0) {
        return -1;
    }
    if (c->p < c->end && *c->p == '}') {
        return leave(c, at);
    }
    for (;;) {
        const char *kat;
        size_t tpos;
        int t;

        if (mbk_ejr_reserve(c, 1) < 0) {
            return -1;
        }
        tpos = c->len++;
        kat = c->p;
        if (key(c) < 0) {
            return -1;
        }
        if (!literal) {
            size_t kn = c->len - tpos - 2;
            unsigned bit = key_bit(c->out + tpos + 1, kn);
            uint64_t mask = (uint64_t)1 << (bit & 63);

            if ((seen[bit >> 6] & mask) != 0 && key_repeated(c, at, tpos)) {
                return mbk_ejr_fail(c, kat, MBK_EJR_E_SYNTAX,
                                    "duplicate key \"%.60s\" in an object",
                                    (const char *)c->out + tpos + 1);
            }
            seen[bit >> 6] |= mask;
        }
        t = value(c);
        if (t < 0) {
            return -1;
        }
        c->out[tpos] = (unsigned char)t;
        mbk_ejr_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            mbk_ejr_ws(c);
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            return leave(c, at);
        }
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "expected ',' or '}' in an object");
    }
}

int
mbk_ejr_object(struct mbk_ejr_conv *c)
{
    int t = c->plain ? 0 : maybe_wrapper(c, 1);

    if (t != 0) {
        return t < 0 ? -1 : 0;
    }
    return mbk_ejr_doc_body(c, 0);
}

int
mbk_ejr_array_body(struct mbk_ejr_conv *c)
{
    size_t at;
    uint32_t i = 0;

    if (enter(c, &at) < 0) {
        return -1;
    }
    if (c->p < c->end && *c->p == ']') {
        return leave(c, at);
    }
    for (;; i++) {
        char digits[12];
        size_t nd = 0;
        size_t tpos;
        uint32_t v = i;
        int t;

        do {
            digits[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
        if (mbk_ejr_reserve(c, nd + 2) < 0) {
            return -1;
        }
        tpos = c->len++;
        while (nd > 0) {
            c->out[c->len++] = (unsigned char)digits[--nd];
        }
        c->out[c->len++] = 0;
        t = value(c);
        if (t < 0) {
            return -1;
        }
        c->out[tpos] = (unsigned char)t;
        mbk_ejr_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            mbk_ejr_ws(c);
            continue;
        }
        if (c->p < c->end && *c->p == ']') {
            return leave(c, at);
        }
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "expected ',' or ']' in an array");
    }
}

int
mbk_ejr_document(struct mbk_ejr_conv *c, const char *json, size_t len,
                 size_t *used)
{
    c->start = json;
    c->p = json;
    c->end = json + len;
    c->len = 0;
    c->depth = 0;
    c->typed = 0;
    c->err_kind = 0;
    c->err_at = NULL;
    c->err_msg[0] = '\0';
    mbk_ejr_ws(c);
    if (c->p >= c->end || *c->p != '{') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "a document must be a JSON object");
    }
    if (mbk_ejr_object(c) < 0) {
        return -1;
    }
    if (used != NULL) {
        *used = (size_t)(c->p - json);
        return 0;
    }
    mbk_ejr_ws(c);
    if (c->p != c->end) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "unexpected text after the document");
    }
    return 0;
}
