/*
 * ejson_read_check.c: what the streaming reader checks besides syntax:
 * error messages with offset, line, column and an excerpt; collection and
 * database names; the metadata object (syntax, duplicate keys, database).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ejson/ejson_read.h"
#include "engine/ejson/ejson_read_private.h"

/* --- errors --------------------------------------------------------- */

/* Printable excerpt of s[0..n) with the error at s[at]. */
static void
excerpt(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch >= 0x20 && ch < 0x7f) {
            dst[o++] = (char)ch;
        } else {
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", ch);
        }
    }
    dst[o] = '\0';
}

/*
 * Fail at a byte: off/line/col locate it, before[0..nb) and after[0..na)
 * surround it.  The reader keeps the error (feed makes it sticky).
 */
int
mbk_ejr_fail_at(struct mbk_ejson_reader *r, int32_t code, uint64_t off,
                uint64_t line, uint64_t col, const char *before, size_t nb,
                const char *after, size_t na, struct mbk_error *err,
                const char *fmt, ...)
{
    char what[176];
    char text[48];
    char ex[80];
    size_t n = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (nb > 16) {
        before += nb - 16;
        nb = 16;
    }
    memcpy(text, before, nb);
    n = nb;
    if (na > 20) {
        na = 20;
    }
    memcpy(text + n, after, na);
    n += na;
    excerpt(ex, sizeof(ex), text, n);
    (void)r;
    return mbk_error_set(err, MBK_ERROR_ENGINE, code,
                         "%s at byte %llu (line %llu, column %llu) near "
                         "\"%s\"",
                         what, (unsigned long long)off,
                         (unsigned long long)line, (unsigned long long)col,
                         ex);
}

/* Fail at chunk[i] of the chunk being fed. */
int
mbk_ejr_fail_here(struct mbk_ejson_reader *r, const char *chunk, size_t i,
                  size_t len, int32_t code, struct mbk_error *err,
                  const char *what)
{
    char before[MBK_EJR_TAIL + 16];
    size_t nb = 0;
    uint64_t off = r->offset + i;

    /* The line counters are up to date for every byte before chunk[i]. */
    if (i < 16) {
        size_t t = r->tail_len < 16 - i ? r->tail_len : 16 - i;

        memcpy(before, r->tail + r->tail_len - t, t);
        nb = t;
        memcpy(before + nb, chunk, i);
        nb += i;
    } else {
        memcpy(before, chunk + i - 16, 16);
        nb = 16;
    }
    return mbk_ejr_fail_at(r, code, off, r->line, off - r->line_start + 1,
                           before, nb, chunk + i, len - i, err, "%s", what);
}

static int32_t
conv_code(int kind)
{
    return kind == MBK_EJR_E_LIMIT || kind == MBK_EJR_E_NOMEM
               ? MBK_ENGINE_ENOMEM
               : MBK_ENGINE_EFORMAT;
}

/* A converter error in text that began at (off, line, line_start). */
int
mbk_ejr_fail_conv(struct mbk_ejson_reader *r, const struct mbk_ejr_conv *c,
                  uint64_t off, uint64_t line, uint64_t line_start,
                  struct mbk_error *err, const char *ctx)
{
    size_t rel = (size_t)(c->err_at - c->start);
    size_t nb = rel < 16 ? rel : 16;

    for (size_t i = 0; i < rel; i++) {
        if (c->start[i] == '\n') {
            line++;
            line_start = off + i + 1;
        }
    }
    return mbk_ejr_fail_at(r, conv_code(c->err_kind), off + rel, line,
                           off + rel - line_start + 1, c->err_at - nb, nb,
                           c->err_at, (size_t)(c->end - c->err_at), err,
                           "%s%s", ctx, c->err_msg);
}

/* --- names ---------------------------------------------------------- */

static uint64_t
hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s != '\0') {
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    }
    return h;
}

/* 1 when name was new (and is now recorded), 0 when seen, -1 on ENOMEM. */
int
mbk_ejr_names_add(struct mbk_ejson_reader *r, const char *name)
{
    size_t i;

    if (r->names_len * 2 >= r->names_cap) {
        size_t cap = r->names_cap ? r->names_cap * 2 : 64;
        char **t = calloc(cap, sizeof(*t));

        if (t == NULL) {
            return -1;
        }
        for (size_t k = 0; k < r->names_cap; k++) {
            if (r->names[k] != NULL) {
                i = hash_name(r->names[k]) & (cap - 1);
                while (t[i] != NULL) {
                    i = (i + 1) & (cap - 1);
                }
                t[i] = r->names[k];
            }
        }
        free(r->names);
        r->names = t;
        r->names_cap = cap;
    }
    i = hash_name(name) & (r->names_cap - 1);
    while (r->names[i] != NULL) {
        if (strcmp(r->names[i], name) == 0) {
            return 0;
        }
        i = (i + 1) & (r->names_cap - 1);
    }
    r->names[i] = strdup(name);
    if (r->names[i] == NULL) {
        return -1;
    }
    r->names_len++;
    return 1;
}

/* MongoDB's collection name rules; NULL or the reason. */
const char *
mbk_ejr_coll_name_problem(const char *name, size_t n, const char *db)
{
    if (n == 0) {
        return "is empty";
    }
    if (memchr(name, '$', n) != NULL) {
        return "must not contain '$'";
    }
    if (strncmp(name, "system.", 7) == 0) {
        return "uses the reserved prefix \"system.\"";
    }
    if (n > 255 || (db != NULL && strlen(db) + 1 + n > 255)) {
        return "makes the namespace longer than 255 bytes";
    }
    return NULL;
}

const char *
mbk_ejr_db_name_problem(const char *name, size_t n)
{
    if (n == 0) {
        return "is empty";
    }
    if (n >= 64) {
        return "must be shorter than 64 bytes";
    }
    for (size_t i = 0; i < n; i++) {
        if (strchr("/\\. \"$*<>:|?", name[i]) != NULL || name[i] == '\0') {
            return "must not contain any of /\\. \"$*<>:|? or NUL";
        }
    }
    return NULL;
}

/* --- metadata ------------------------------------------------------- */

/* The captured metadata text cap[0..cap_len): check it, hand it over. */
int
mbk_ejr_metadata_done(struct mbk_ejson_reader *r, struct mbk_error *err)
{
    struct mbk_ejr_conv c;
    bson_t doc;
    bson_iter_t it;
    const char *db;
    const char *why;
    uint32_t n;
    int rc = -1;

    mbk_ejr_init(&c, r->lim.metadata_bytes * 8 + 1024, r->lim.string_bytes,
                 2 * r->lim.depth + 16);
    c.plain = 1;
    if (mbk_ejr_document(&c, r->cap, r->cap_len, NULL) < 0) {
        rc = mbk_ejr_fail_conv(r, &c, r->cap_offset, r->cap_line,
                               r->cap_line_start, err, "metadata: ");
        goto out;
    }
    /* The conversion refused a key repeated in an object, but inside an
     * escape (a server's options document, as it holds it). */
    bson_init_static(&doc, c.out, c.len);
    if (!bson_iter_init_find(&it, &doc, "database")
        || !BSON_ITER_HOLDS_UTF8(&it)) {
        rc = mbk_ejr_fail_at(
            r, MBK_ENGINE_EFORMAT, r->cap_offset, r->cap_line,
            r->cap_offset - r->cap_line_start + 1, "", 0, r->cap, r->cap_len,
            err, "metadata: \"database\" is missing or not a string");
        goto out;
    }
    db = bson_iter_utf8(&it, &n);
    why = mbk_ejr_db_name_problem(db, n);
    if (why != NULL) {
        rc = mbk_ejr_fail_at(
            r, MBK_ENGINE_EBADNAME, r->cap_offset, r->cap_line,
            r->cap_offset - r->cap_line_start + 1, "", 0, r->cap, r->cap_len,
            err, "metadata: database name \"%.64s\" %s", db, why);
        goto out;
    }
    r->database = strdup(db);
    if (r->database == NULL) {
        rc = mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                           "out of memory");
        goto out;
    }
    /* An mbk file: its documents hold no legacy forms (ejson_read.h). */
    if (bson_iter_init_find(&it, &doc, "format") && BSON_ITER_HOLDS_UTF8(&it)
        && strncmp(bson_iter_utf8(&it, NULL), "mbk/", 4) == 0) {
        r->conv.strict = 1;
    }
    r->cap[r->cap_len] = '\0';
    rc = 0;
    if (r->cb.metadata != NULL) {
        rc = r->cb.metadata(r->ud, r->cap, r->cap_len, err);
    }
out:
    mbk_ejr_free(&c);
    return rc;
}
