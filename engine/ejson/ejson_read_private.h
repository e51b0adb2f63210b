/*
 * ejson_read_private.h: what the files of the backup-file reader share
 * (prefix mbk_ejr_): the converter (ejson_read_conv.c, _num.c, _wrap.c,
 * _types.c) and the reader (ejson_read.c, _check.c, _scan.c).  Not for
 * other modules.  Nothing here is thread-safe; one owner per struct.
 */
#ifndef MBK_ENGINE_EJSON_READ_PRIVATE_H
#define MBK_ENGINE_EJSON_READ_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

/* Element types of the BSON spec, as the converter writes them. */
#define MBK_EJR_T_DOUBLE 0x01
#define MBK_EJR_T_STRING 0x02
#define MBK_EJR_T_DOC 0x03
#define MBK_EJR_T_ARRAY 0x04
#define MBK_EJR_T_BINARY 0x05
#define MBK_EJR_T_UNDEFINED 0x06
#define MBK_EJR_T_OID 0x07
#define MBK_EJR_T_BOOL 0x08
#define MBK_EJR_T_DATE 0x09
#define MBK_EJR_T_NULL 0x0a
#define MBK_EJR_T_REGEX 0x0b
#define MBK_EJR_T_DBPOINTER 0x0c
#define MBK_EJR_T_CODE 0x0d
#define MBK_EJR_T_SYMBOL 0x0e
#define MBK_EJR_T_CODEWSCOPE 0x0f
#define MBK_EJR_T_INT32 0x10
#define MBK_EJR_T_TIMESTAMP 0x11
#define MBK_EJR_T_INT64 0x12
#define MBK_EJR_T_DECIMAL 0x13
#define MBK_EJR_T_MINKEY 0xff
#define MBK_EJR_T_MAXKEY 0x7f

/* Error kinds; the reader maps them to (domain, code). */
enum mbk_ejr_err {
    MBK_EJR_E_SYNTAX = 1, /* not JSON, or a malformed type wrapper */
    MBK_EJR_E_UTF8,       /* invalid UTF-8 or a lone surrogate */
    MBK_EJR_E_LIMIT,      /* depth, document or string size */
    MBK_EJR_E_NOMEM       /* malloc failed */
};

/*
 * One conversion: input [start, end), output out[0..len).  The output
 * buffer is owned by the struct and reused from one document to the next
 * (mbk_ejr_free releases it).  Not thread-safe.
 */
struct mbk_ejr_conv {
    const char *start;
    const char *p;
    const char *end;
    unsigned char *out;
    size_t len;
    size_t cap;
    size_t max_bytes;  /* the BSON document limit (16 MiB) */
    size_t max_string; /* longest string, in decoded bytes */
    int max_depth;     /* BSON nesting; the top document is depth 1 */
    int depth;
    int plain;  /* 1: no type wrappers, only the escape (metadata) */
    int strict; /* 1: an mbk file: no legacy forms (see ejson_read.h) */
    int typed;  /* set when a type wrapper was converted */
    int escaped; /* set when an mbk escape ($mbk:doc) was converted */
    /* The first error: where, what kind, and a message without position. */
    const char *err_at;
    int err_kind;
    char err_msg[160];
};

void
mbk_ejr_init(struct mbk_ejr_conv *c, size_t max_bytes, size_t max_string,
             int max_depth);

void
mbk_ejr_free(struct mbk_ejr_conv *c);

/*
 * Convert the JSON object at json: 0 or -1 (c->err_*).  With used NULL
 * the object must fill [json, json + len) but for whitespace; else it may
 * be followed by anything and *used gets its length.
 */
int
mbk_ejr_document(struct mbk_ejr_conv *c, const char *json, size_t len,
                 size_t *used);

/* Shared by the two .c files of the converter. */
int
mbk_ejr_fail(struct mbk_ejr_conv *c, const char *at, int kind, const char *fmt,
             ...) __attribute__((format(printf, 4, 5)));

int
mbk_ejr_grow(struct mbk_ejr_conv *c, size_t n);

static inline int
mbk_ejr_reserve(struct mbk_ejr_conv *c, size_t n)
{
    if (c->cap - c->len >= n) {
        return 0;
    }
    return mbk_ejr_grow(c, n);
}

static inline void
mbk_ejr_put32(unsigned char *d, uint32_t v)
{
    d[0] = (unsigned char)v;
    d[1] = (unsigned char)(v >> 8);
    d[2] = (unsigned char)(v >> 16);
    d[3] = (unsigned char)(v >> 24);
}

static inline void
mbk_ejr_put64(unsigned char *d, uint64_t v)
{
    mbk_ejr_put32(d, (uint32_t)v);
    mbk_ejr_put32(d + 4, (uint32_t)(v >> 32));
}

static inline void
mbk_ejr_ws(struct mbk_ejr_conv *c)
{
    while (
        c->p < c->end
        && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) {
        c->p++;
    }
}

/* p after the opening quote; appends the decoded bytes to the output. */
int
mbk_ejr_string(struct mbk_ejr_conv *c, size_t *n, int *has_nul);

/* p at '{' or '['; appends the whole embedded document or array.
 * literal: the object's members are field names as given (the inside of
 * an mbk escape): no duplicate check. */
int
mbk_ejr_doc_body(struct mbk_ejr_conv *c, int literal);

int
mbk_ejr_array_body(struct mbk_ejr_conv *c);

/* A document at p ('{'): the escape {"$mbk:doc": {...}} or a plain
 * object (no type wrapper: a top document or a $scope). */
int
mbk_ejr_object(struct mbk_ejr_conv *c);

/*
 * p at the value of a first key key[0..klen) that starts with '$'.
 * Returns the element type written, 0 when key is not a wrapper (nothing
 * consumed, nothing written), -1 on error.
 */
int
mbk_ejr_wrapper(struct mbk_ejr_conv *c, const char *key, size_t klen);

/* A JSON number at p: the element type written (int32, int64, double). */
int
mbk_ejr_number(struct mbk_ejr_conv *c);

/* A JSON number, split while its grammar is checked. */
struct mbk_ejr_num {
    int neg;
    int is_int;    /* no fraction, no exponent */
    int digits;    /* significant digits seen */
    uint64_t mant; /* the first 19 significant digits */
    int64_t exp10; /* value = mant * 10^exp10 (when digits <= 19) */
};

/* Length of the JSON number at s, 0 when it is not one. */
size_t
mbk_ejr_scan_number(const char *s, const char *end, struct mbk_ejr_num *nm);

/* The double of the number text s[0..n): 0, -1 (no memory), -2 (range). */
int
mbk_ejr_num_double(const char *s, size_t n, const struct mbk_ejr_num *nm,
                   double *out);

/* Decimal integer text with an optional sign, in [min, max]. */
int
mbk_ejr_parse_int(struct mbk_ejr_conv *c, const char *at, const char *s,
                  size_t n, int64_t min, int64_t max, int64_t *v);

/* Helpers of the wrappers (ejson_read_wrap.c). */
int
mbk_ejr_tmp_string(struct mbk_ejr_conv *c, const char *what, size_t *mark,
                   size_t *n);

int
mbk_ejr_sub_key(struct mbk_ejr_conv *c, char *name, size_t cap);

int
mbk_ejr_next_member(struct mbk_ejr_conv *c, const char *what);

int
mbk_ejr_close_wrapper(struct mbk_ejr_conv *c, const char *name);

int
mbk_ejr_open_object(struct mbk_ejr_conv *c, const char *what);

int
mbk_ejr_string_int(struct mbk_ejr_conv *c, const char *what, int64_t min,
                   int64_t max, int64_t *v);

int
mbk_ejr_json_int(struct mbk_ejr_conv *c, const char *what, int64_t min,
                 int64_t max, int64_t *v);

int
mbk_ejr_put_fixed(struct mbk_ejr_conv *c, const void *p, size_t n);

int
mbk_ejr_put_i64(struct mbk_ejr_conv *c, int64_t v);

int
mbk_ejr_oid_string(struct mbk_ejr_conv *c, unsigned char oid[12]);

int
mbk_ejr_put_string_value(struct mbk_ejr_conv *c, const char *what);

int
mbk_ejr_put_cstring(struct mbk_ejr_conv *c, const char *what);

int
mbk_ejr_regex_options(struct mbk_ejr_conv *c, unsigned *mask);

int
mbk_ejr_put_options(struct mbk_ejr_conv *c, unsigned mask);

/*
 * The reader (ejson_read.c, ejson_read_check.c).
 */
#include <openssl/evp.h>

#include "engine/buf.h"
#include "engine/ejson/ejson_read.h"

#define MBK_EJR_NAME_RAW_MAX                                                  \
    1024                /* a key or collection name, as escaped text */
#define MBK_EJR_TAIL 24 /* bytes of earlier chunks kept for excerpts */

enum mbk_ejr_state {
    MBK_EJR_S_START,     /* before the top-level '{' */
    MBK_EJR_S_TOP_FIRST, /* after '{': a key or '}' */
    MBK_EJR_S_TOP_KEY,   /* after ',': a key */
    MBK_EJR_S_STRING,    /* inside a top-level key or collection name */
    MBK_EJR_S_TOP_COLON,
    MBK_EJR_S_TOP_VALUE,
    MBK_EJR_S_META,       /* capturing the metadata object */
    MBK_EJR_S_TOP_NEXT,   /* ',' or '}' */
    MBK_EJR_S_COLL_FIRST, /* after "collections": {: a name or '}' */
    MBK_EJR_S_COLL_KEY,
    MBK_EJR_S_COLL_COLON,
    MBK_EJR_S_COLL_OPEN, /* the '[' */
    MBK_EJR_S_DOC_FIRST, /* a document or ']' */
    MBK_EJR_S_DOC,       /* a document after ',' */
    MBK_EJR_S_DOC_BODY,  /* capturing a document */
    MBK_EJR_S_DOC_NEXT,  /* ',' or ']' */
    MBK_EJR_S_COLL_NEXT, /* ',' or '}' */
    MBK_EJR_S_END        /* only whitespace may follow */
};

struct mbk_ejson_reader {
    struct mbk_ejson_limits lim;
    struct mbk_ejson_reader_cb cb;
    void *ud;
    enum mbk_ejr_state state;
    int failed;
    struct mbk_error saved;

    /* Position of the next byte; line and the offset where it began. */
    uint64_t offset;
    uint64_t line;
    uint64_t line_start;
    char tail[MBK_EJR_TAIL];
    size_t tail_len;

    /* A top-level string being captured (raw, escapes undecoded). */
    char sraw[MBK_EJR_NAME_RAW_MAX + 2];
    size_t sraw_len;
    int s_esc;
    int s_for_coll;
    uint64_t s_off;
    uint64_t s_line;
    uint64_t s_line_start;
    enum { MBK_EJR_K_NONE, MBK_EJR_K_META, MBK_EJR_K_COLLS } key;
    int seen_meta;
    int seen_colls;

    /* A value being captured: its text, depth and string state. */
    char *cap;
    size_t cap_len;
    size_t cap_size;
    int cap_depth;
    int cap_str;
    int cap_esc;
    uint64_t cap_offset;
    uint64_t cap_line;
    uint64_t cap_line_start;

    /* The current collection. */
    char *coll;
    uint64_t count;
    int typed;
    EVP_MD_CTX *sha;
    int hashing;

    /* Names seen: open addressing, for duplicates. */
    char **names;
    size_t names_cap;
    size_t names_len;

    char *database;
    struct mbk_ejr_conv conv;
    struct mbk_buf again; /* check_text: the document written again */
};

int
mbk_ejr_fail_at(struct mbk_ejson_reader *r, int32_t code, uint64_t off,
                uint64_t line, uint64_t col, const char *before, size_t nb,
                const char *after, size_t na, struct mbk_error *err,
                const char *fmt, ...) __attribute__((format(printf, 11, 12)));

int
mbk_ejr_fail_here(struct mbk_ejson_reader *r, const char *chunk, size_t i,
                  size_t len, int32_t code, struct mbk_error *err,
                  const char *what);

int
mbk_ejr_fail_conv(struct mbk_ejson_reader *r, const struct mbk_ejr_conv *c,
                  uint64_t off, uint64_t line, uint64_t line_start,
                  struct mbk_error *err, const char *ctx);

int
mbk_ejr_names_add(struct mbk_ejson_reader *r, const char *name);

const char *
mbk_ejr_coll_name_problem(const char *name, size_t n, const char *db);

const char *
mbk_ejr_db_name_problem(const char *name, size_t n);

int
mbk_ejr_metadata_done(struct mbk_ejson_reader *r, struct mbk_error *err);

/* Append p[0..n) to the capture buffer, at most max bytes in all. */
int
mbk_ejr_cap_append(struct mbk_ejson_reader *r, const char *p, size_t n,
                   size_t max, const char *what, struct mbk_error *err);

/*
 * Scan the value being captured from buf[*pi]: stops past its closing
 * bracket (*done = 1) or at len.  Tracks strings, depth and lines.
 */
int
mbk_ejr_scan(struct mbk_ejson_reader *r, const char *buf, size_t *pi,
             size_t len, int *done, struct mbk_error *err);

#endif /* MBK_ENGINE_EJSON_READ_PRIVATE_H */
