/*
 * ejson_read_wrap.c: helpers for the type wrappers of Extended JSON
 * ($oid, $date, $binary ...): reading their strings, keys and integers
 * and writing fixed-size BSON values.  The wrappers are ejson_read_types.c.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "engine/ejson/ejson_read_private.h"

/* --- helpers for wrapper values ------------------------------------ */

/* A string at p, decoded at out[*mark..*mark + *n); caller truncates. */
int
mbk_ejr_tmp_string(struct mbk_ejr_conv *c, const char *what, size_t *mark,
                   size_t *n)
{
    int has_nul;

    if (c->p >= c->end || *c->p != '"') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "%s must be a string",
                            what);
    }
    c->p++;
    *mark = c->len;
    if (mbk_ejr_string(c, n, &has_nul) < 0) {
        return -1;
    }
    if (has_nul) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "%s contains \\u0000",
                            what);
    }
    return 0;
}

/* The key of a member of a wrapper's object: copied to name. */
int
mbk_ejr_sub_key(struct mbk_ejr_conv *c, char *name, size_t cap)
{
    size_t mark;
    size_t n;

    if (mbk_ejr_tmp_string(c, "a key", &mark, &n) < 0) {
        return -1;
    }
    if (n >= cap) {
        n = cap - 1;
        memcpy(name, "?", 2);
    } else {
        memcpy(name, c->out + mark, n);
        name[n] = '\0';
    }
    c->len = mark;
    mbk_ejr_ws(c);
    if (c->p >= c->end || *c->p != ':') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "expected ':' after a key");
    }
    c->p++;
    mbk_ejr_ws(c);
    return 0;
}

/* After a member: 1 at ',' (consumed), 0 at '}' (consumed), -1 else. */
int
mbk_ejr_next_member(struct mbk_ejr_conv *c, const char *what)
{
    mbk_ejr_ws(c);
    if (c->p < c->end && *c->p == ',') {
        c->p++;
        mbk_ejr_ws(c);
        return 1;
    }
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "expected ',' or '}' in %s",
                        what);
}

int
mbk_ejr_close_wrapper(struct mbk_ejr_conv *c, const char *name)
{
    mbk_ejr_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                        "expected '}' to close the %s wrapper", name);
}

int
mbk_ejr_open_object(struct mbk_ejr_conv *c, const char *what)
{
    if (c->p >= c->end || *c->p != '{') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "%s must be an object",
                            what);
    }
    c->p++;
    mbk_ejr_ws(c);
    return 0;
}

/* A string wrapper value holding an integer. */
int
mbk_ejr_string_int(struct mbk_ejr_conv *c, const char *what, int64_t min,
                   int64_t max, int64_t *v)
{
    const char *at = c->p;
    size_t mark;
    size_t n;
    int rc;

    if (mbk_ejr_tmp_string(c, what, &mark, &n) < 0) {
        return -1;
    }
    rc = mbk_ejr_parse_int(c, at, (const char *)c->out + mark, n, min, max, v);
    c->len = mark;
    return rc;
}

/* A bare JSON integer (no fraction or exponent) in [min, max]. */
int
mbk_ejr_json_int(struct mbk_ejr_conv *c, const char *what, int64_t min,
                 int64_t max, int64_t *v)
{
    struct mbk_ejr_num nm;
    size_t n = mbk_ejr_scan_number(c->p, c->end, &nm);

    if (n == 0 || !nm.is_int) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "%s must be an integer",
                            what);
    }
    if (mbk_ejr_parse_int(c, c->p, c->p, n, min, max, v) < 0) {
        return -1;
    }
    c->p += n;
    return 0;
}

int
mbk_ejr_put_fixed(struct mbk_ejr_conv *c, const void *p, size_t n)
{
    if (mbk_ejr_reserve(c, n) < 0) {
        return -1;
    }
    memcpy(c->out + c->len, p, n);
    c->len += n;
    return 0;
}

int
mbk_ejr_put_i64(struct mbk_ejr_conv *c, int64_t v)
{
    if (mbk_ejr_reserve(c, 8) < 0) {
        return -1;
    }
    mbk_ejr_put64(c->out + c->len, (uint64_t)v);
    c->len += 8;
    return 0;
}

/* 24 hex digits at p (a string) into 12 bytes. */
int
mbk_ejr_oid_string(struct mbk_ejr_conv *c, unsigned char oid[12])
{
    const char *at = c->p;
    size_t mark;
    size_t n;
    const char *s;

    if (mbk_ejr_tmp_string(c, "$oid", &mark, &n) < 0) {
        return -1;
    }
    s = (const char *)c->out + mark;
    if (n != 24) {
        goto bad;
    }
    for (int i = 0; i < 12; i++) {
        int hi = s[2 * i];
        int lo = s[2 * i + 1];

        hi = hi <= '9' ? hi - '0' : (hi | 0x20) - 'a' + 10;
        lo = lo <= '9' ? lo - '0' : (lo | 0x20) - 'a' + 10;
        if (hi < 0 || hi > 15 || lo < 0 || lo > 15) {
            goto bad;
        }
        oid[i] = (unsigned char)(hi << 4 | lo);
    }
    c->len = mark;
    return 0;
bad:
    return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                        "$oid must be 24 hexadecimal digits");
}

/* A value that is a string: int32 length, bytes, NUL. */
int
mbk_ejr_put_string_value(struct mbk_ejr_conv *c, const char *what)
{
    size_t at = c->len;
    size_t n;
    int has_nul;

    if (c->p >= c->end || *c->p != '"') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "%s must be a string",
                            what);
    }
    c->p++;
    if (mbk_ejr_reserve(c, 4) < 0) {
        return -1;
    }
    c->len += 4;
    if (mbk_ejr_string(c, &n, &has_nul) < 0 || mbk_ejr_reserve(c, 1) < 0) {
        return -1;
    }
    c->out[c->len++] = 0;
    mbk_ejr_put32(c->out + at, (uint32_t)(n + 1));
    return 0;
}

/* A C string (regex pattern, options): no NUL inside. */
int
mbk_ejr_put_cstring(struct mbk_ejr_conv *c, const char *what)
{
    size_t mark;
    size_t n;

    if (mbk_ejr_tmp_string(c, what, &mark, &n) < 0
        || mbk_ejr_reserve(c, 1) < 0) {
        return -1;
    }
    c->out[c->len++] = 0;
    return 0;
}

/* Regex options as libbson stores them: sorted, deduplicated, known. */
int
mbk_ejr_regex_options(struct mbk_ejr_conv *c, unsigned *mask)
{
    static const char known[] = "ilmsux";
    size_t mark;
    size_t n;

    if (mbk_ejr_tmp_string(c, "regex options", &mark, &n) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *k = memchr(known, c->out[mark + i], 6);

        if (k != NULL) {
            *mask |= 1u << (k - known);
        }
    }
    c->len = mark;
    return 0;
}

int
mbk_ejr_put_options(struct mbk_ejr_conv *c, unsigned mask)
{
    static const char known[] = "ilmsux";

    if (mbk_ejr_reserve(c, 7) < 0) {
        return -1;
    }
    for (int i = 0; i < 6; i++) {
        if (mask & (1u << i)) {
            c->out[c->len++] = (unsigned char)known[i];
        }
    }
    c->out[c->len++] = 0;
    return 0;
}
