/*
 * ejson_read_types.c: the type wrappers of canonical and relaxed Extended
 * JSON v2 ($oid, $date, $binary, $numberLong ...) plus libbson's legacy
 * $regex and $binary forms, written as BSON the way libbson writes them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "engine/ejson/ejson_read_private.h"

static int
b64(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* Decode base64 at d[0..n) in place; -1 when it is not canonical base64. */
static long
base64_in_place(unsigned char *d, size_t n)
{
    size_t o = 0;
    size_t pad = 0;

    if (n % 4 != 0) {
        return -1;
    }
    if (n > 0 && d[n - 1] == '=') {
        pad = n > 1 && d[n - 2] == '=' ? 2 : 1;
    }
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int last = i + 4 == n;

        for (int k = 0; k < 4; k++) {
            v[k] = b64(d[i + k]);
            if (v[k] < 0 && !(last && k >= 4 - (int)pad)) {
                return -1;
            }
        }
        d[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (!(last && pad == 2)) {
            d[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
        }
        if (!(last && pad >= 1)) {
            d[o++] = (unsigned char)(v[2] << 6 | v[3]);
        }
    }
    return (long)o;
}

/* The base64 string at p, decoded in place at the end of the output. */
static int
base64_value(struct mbk_ejr_conv *c, size_t *dlen)
{
    const char *at = c->p;
    size_t mark;
    size_t n;
    long r;

    if (mbk_ejr_tmp_string(c, "$binary base64", &mark, &n) < 0) {
        return -1;
    }
    r = base64_in_place(c->out + mark, n);
    if (r < 0) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                            "invalid base64 in $binary");
    }
    c->len = mark + (size_t)r;
    *dlen = (size_t)r;
    return 0;
}

static int
subtype_value(struct mbk_ejr_conv *c, int *sub)
{
    const char *at = c->p;
    size_t mark;
    size_t n;
    int v = 0;

    if (mbk_ejr_tmp_string(c, "$binary subType", &mark, &n) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n && n <= 2; i++) {
        int ch = (unsigned char)c->out[mark + i];
        int h;

        if (ch >= '0' && ch <= '9') {
            h = ch - '0';
        } else if (ch >= 'a' && ch <= 'f') {
            h = ch - 'a' + 10;
        } else if (ch >= 'A' && ch <= 'F') {
            h = ch - 'A' + 10;
        } else {
            n = 0;
            break;
        }
        v = v << 4 | h;
    }
    c->len = mark;
    if (n < 1 || n > 2) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                            "$binary subType must be 1 or 2 hex digits");
    }
    *sub = v;
    return 0;
}

/* Binary: {"base64": ..., "subType": ...} in any order, or legacy. */
static int
binary(struct mbk_ejr_conv *c)
{
    size_t hdr = c->len;
    size_t dlen = 0;
    int sub = -1;
    int have = 0;
    char name[16];

    if (mbk_ejr_reserve(c, 5) < 0) {
        return -1;
    }
    c->len += 5;
    if (c->p < c->end && *c->p == '"') {
        /* libbson's legacy {"$binary": "<base64>", "$type": "<hex>"} */
        if (base64_value(c, &dlen) < 0) {
            return -1;
        }
        mbk_ejr_ws(c);
        if (c->p >= c->end || *c->p != ',') {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "$binary needs a $type");
        }
        c->p++;
        mbk_ejr_ws(c);
        if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
            return -1;
        }
        if (strcmp(name, "$type") != 0) {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "$binary needs a $type");
        }
        if (subtype_value(c, &sub) < 0) {
            return -1;
        }
        have = 1;
        if (mbk_ejr_close_wrapper(c, "$binary") < 0) {
            return -1;
        }
    } else {
        int more;

        if (mbk_ejr_open_object(c, "$binary") < 0) {
            return -1;
        }
        do {
            if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
                return -1;
            }
            if (strcmp(name, "base64") == 0 && !have) {
                if (base64_value(c, &dlen) < 0) {
                    return -1;
                }
                have = 1;
            } else if (strcmp(name, "subType") == 0 && sub < 0) {
                if (subtype_value(c, &sub) < 0) {
                    return -1;
                }
            } else {
                return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                    "unexpected key \"%s\" in $binary", name);
            }
            more = mbk_ejr_next_member(c, "$binary");
            if (more < 0) {
                return -1;
            }
        } while (more);
        if (mbk_ejr_close_wrapper(c, "$binary") < 0) {
            return -1;
        }
    }
    if (!have || sub < 0) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "$binary needs base64 and subType");
    }
    if (sub == 2) {
        /* The old binary subtype repeats the length inside, as libbson. */
        if (mbk_ejr_reserve(c, 4) < 0) {
            return -1;
        }
        memmove(c->out + hdr + 9, c->out + hdr + 5, dlen);
        mbk_ejr_put32(c->out + hdr + 5, (uint32_t)dlen);
        c->len += 4;
        dlen += 4;
    }
    mbk_ejr_put32(c->out + hdr, (uint32_t)dlen);
    c->out[hdr + 4] = (unsigned char)sub;
    return MBK_EJR_T_BINARY;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Hinnant). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int
digits(const char *s, size_t n, size_t at, size_t count, int *v)
{
    int r = 0;

    if (at + count > n) {
        return -1;
    }
    for (size_t i = at; i < at + count; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        r = r * 10 + (s[i] - '0');
    }
    *v = r;
    return 0;
}

/*
 * ISO-8601 as relaxed Extended JSON writes it and libbson reads it:
 * YYYY-MM-DDTHH:MM[:SS[.f{1,3}]] then Z, +HHMM or +HH:MM (year >= 0).
 */
static int
iso_date(const char *s, size_t n, int64_t *ms)
{
    int64_t y = 0;
    int mo, d, h, mi, sec = 0, frac = 0, tzh = 0, tzm = 0;
    size_t i = 0;
    int sign = 0;

    /* Four digits or more: libbson's relaxed form writes years > 9999. */
    while (i < n && i < 9 && s[i] >= '0' && s[i] <= '9') {
        y = y * 10 + (s[i++] - '0');
    }
    if (i < 4) {
        return -1;
    }
    s += i - 4;
    n -= i - 4;
    i = 16;
    if (n < 17 || s[4] != '-' || digits(s, n, 5, 2, &mo) < 0 || s[7] != '-'
        || digits(s, n, 8, 2, &d) < 0 || s[10] != 'T'
        || digits(s, n, 11, 2, &h) < 0 || s[13] != ':'
        || digits(s, n, 14, 2, &mi) < 0) {
        return -1;
    }
    if (s[i] == ':') {
        if (digits(s, n, i + 1, 2, &sec) < 0) {
            return -1;
        }
        i += 3;
        if (i < n && s[i] == '.') {
            int scale = 100;

            i++;
            if (i >= n || s[i] < '0' || s[i] > '9') {
                return -1;
            }
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (scale == 0) {
                    return -1; /* more than milliseconds */
                }
                frac += (s[i] - '0') * scale;
                scale /= 10;
                i++;
            }
        }
    }
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        sign = s[i] == '-' ? -1 : 1;
        if (digits(s, n, i + 1, 2, &tzh) < 0) {
            return -1;
        }
        i += 3;
        if (i < n && s[i] == ':') {
            i++;
        }
        if (digits(s, n, i, 2, &tzm) < 0) {
            return -1;
        }
        i += 2;
    } else {
        return -1;
    }
    if (i != n || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
        || sec > 60 || tzh > 23 || tzm > 59) {
        return -1;
    }
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
    *ms -= sign * (tzh * 3600 + tzm * 60);
    *ms = *ms * 1000 + frac;
    return 0;
}

static int
date(struct mbk_ejr_conv *c)
{
    const char *at = c->p;
    char name[16];
    int64_t v;

    if (c->p < c->end && *c->p == '{') {
        c->p++;
        mbk_ejr_ws(c);
        if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
            return -1;
        }
        if (strcmp(name, "$numberLong") != 0) {
            return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                                "$date must hold $numberLong, a string or a "
                                "number");
        }
        if (mbk_ejr_string_int(c, "$numberLong", INT64_MIN, INT64_MAX, &v) < 0
            || mbk_ejr_close_wrapper(c, "$numberLong") < 0) {
            return -1;
        }
    } else if (c->p < c->end && *c->p == '"') {
        size_t mark;
        size_t n;

        if (mbk_ejr_tmp_string(c, "$date", &mark, &n) < 0) {
            return -1;
        }
        if (iso_date((const char *)c->out + mark, n, &v) < 0) {
            return mbk_ejr_fail(
                c, at, MBK_EJR_E_SYNTAX,
                "$date \"%.*s\" is not ISO-8601 with a time zone",
                (int)(n > 40 ? 40 : n), c->out + mark);
        }
        c->len = mark;
    } else if (mbk_ejr_json_int(c, "$date", INT64_MIN, INT64_MAX, &v) < 0) {
        return -1;
    }
    return mbk_ejr_put_i64(c, v) < 0 || mbk_ejr_close_wrapper(c, "$date") < 0
               ? -1
               : MBK_EJR_T_DATE;
}

static int
timestamp(struct mbk_ejr_conv *c)
{
    int64_t t = -1;
    int64_t i = -1;
    char name[16];
    int more;

    if (mbk_ejr_open_object(c, "$timestamp") < 0) {
        return -1;
    }
    do {
        if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
            return -1;
        }
        if (strcmp(name, "t") == 0 && t < 0) {
            if (mbk_ejr_json_int(c, "$timestamp t", 0, UINT32_MAX, &t) < 0) {
                return -1;
            }
        } else if (strcmp(name, "i") == 0 && i < 0) {
            if (mbk_ejr_json_int(c, "$timestamp i", 0, UINT32_MAX, &i) < 0) {
                return -1;
            }
        } else {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "unexpected key \"%s\" in $timestamp", name);
        }
        more = mbk_ejr_next_member(c, "$timestamp");
        if (more < 0) {
            return -1;
        }
    } while (more);
    if (t < 0 || i < 0) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "$timestamp needs t and i");
    }
    return mbk_ejr_put_i64(c, (int64_t)((uint64_t)t << 32 | (uint64_t)i)) < 0
                   || mbk_ejr_close_wrapper(c, "$timestamp") < 0
               ? -1
               : MBK_EJR_T_TIMESTAMP;
}

static int
regex(struct mbk_ejr_conv *c)
{
    unsigned mask = 0;
    int pattern = 0;
    int options = 0;
    char name[16];
    int more;

    if (mbk_ejr_open_object(c, "$regularExpression") < 0) {
        return -1;
    }
    do {
        if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
            return -1;
        }
        if (strcmp(name, "pattern") == 0 && !pattern) {
            if (mbk_ejr_put_cstring(c, "regex pattern") < 0) {
                return -1;
            }
            pattern = 1;
        } else if (strcmp(name, "options") == 0 && !options) {
            if (mbk_ejr_regex_options(c, &mask) < 0) {
                return -1;
            }
            options = 1;
        } else {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "unexpected key \"%s\" in $regularExpression",
                                name);
        }
        more = mbk_ejr_next_member(c, "$regularExpression");
        if (more < 0) {
            return -1;
        }
    } while (more);
    if (!pattern || !options) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "$regularExpression needs pattern and options");
    }
    return mbk_ejr_put_options(c, mask) < 0
                   || mbk_ejr_close_wrapper(c, "$regularExpression") < 0
               ? -1
               : MBK_EJR_T_REGEX;
}

/* libbson's legacy {"$regex": "<pattern>"[, "$options": "<flags>"]}. */
static int
legacy_regex(struct mbk_ejr_conv *c)
{
    unsigned mask = 0;
    char name[16];

    if (mbk_ejr_put_cstring(c, "$regex") < 0) {
        return -1;
    }
    mbk_ejr_ws(c);
    if (c->p < c->end && *c->p == ',') {
        c->p++;
        mbk_ejr_ws(c);
        if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
            return -1;
        }
        if (strcmp(name, "$options") != 0) {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "unexpected key \"%s\" after $regex", name);
        }
        if (mbk_ejr_regex_options(c, &mask) < 0) {
            return -1;
        }
    }
    return mbk_ejr_put_options(c, mask) < 0
                   || mbk_ejr_close_wrapper(c, "$regex") < 0
               ? -1
               : MBK_EJR_T_REGEX;
}

static int
dbpointer(struct mbk_ejr_conv *c)
{
    unsigned char oid[12];
    int ref = 0;
    int id = 0;
    char name[16];
    int more;

    if (mbk_ejr_open_object(c, "$dbPointer") < 0) {
        return -1;
    }
    do {
        if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
            return -1;
        }
        if (strcmp(name, "$ref") == 0 && !ref) {
            if (mbk_ejr_put_string_value(c, "$dbPointer $ref") < 0) {
                return -1;
            }
            ref = 1;
        } else if (strcmp(name, "$id") == 0 && !id) {
            if (mbk_ejr_open_object(c, "$dbPointer $id") < 0
                || mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
                return -1;
            }
            if (strcmp(name, "$oid") != 0) {
                return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                    "$dbPointer $id must be an $oid");
            }
            if (mbk_ejr_oid_string(c, oid) < 0
                || mbk_ejr_close_wrapper(c, "$oid") < 0) {
                return -1;
            }
            id = 1;
        } else {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "unexpected key \"%s\" in $dbPointer", name);
        }
        more = mbk_ejr_next_member(c, "$dbPointer");
        if (more < 0) {
            return -1;
        }
    } while (more);
    if (!ref || !id) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "$dbPointer needs $ref and $id");
    }
    return mbk_ejr_put_fixed(c, oid, 12) < 0
                   || mbk_ejr_close_wrapper(c, "$dbPointer") < 0
               ? -1
               : MBK_EJR_T_DBPOINTER;
}

/* $code, optionally with $scope: either key may come first. */
static int
code(struct mbk_ejr_conv *c, int scope_first)
{
    size_t at = c->len;
    size_t slen;
    size_t dlen;
    unsigned char *doc;
    char name[16];

    if (scope_first) {
        if (mbk_ejr_reserve(c, 4) < 0) {
            return -1;
        }
        c->len += 4;
        if (c->p >= c->end || *c->p != '{') {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "$scope must be an object");
        }
        if (mbk_ejr_object(c) < 0) {
            return -1;
        }
        dlen = c->len - at - 4;
        mbk_ejr_ws(c);
        if (c->p >= c->end || *c->p != ',') {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "$scope needs a $code");
        }
        c->p++;
        mbk_ejr_ws(c);
        if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
            return -1;
        }
        if (strcmp(name, "$code") != 0) {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                                "$scope needs a $code");
        }
        if (mbk_ejr_put_string_value(c, "$code") < 0) {
            return -1;
        }
        /* Reorder [total][doc][string] into [total][string][doc]. */
        slen = c->len - at - 4 - dlen;
        doc = malloc(dlen);
        if (doc == NULL) {
            return mbk_ejr_fail(c, c->p, MBK_EJR_E_NOMEM, "out of memory");
        }
        memcpy(doc, c->out + at + 4, dlen);
        memmove(c->out + at + 4, c->out + at + 4 + dlen, slen);
        memcpy(c->out + at + 4 + slen, doc, dlen);
        free(doc);
        mbk_ejr_put32(c->out + at, (uint32_t)(c->len - at));
        return mbk_ejr_close_wrapper(c, "$code") < 0 ? -1
                                                     : MBK_EJR_T_CODEWSCOPE;
    }
    if (mbk_ejr_put_string_value(c, "$code") < 0) {
        return -1;
    }
    mbk_ejr_ws(c);
    if (c->p >= c->end || *c->p != ',') {
        return mbk_ejr_close_wrapper(c, "$code") < 0 ? -1 : MBK_EJR_T_CODE;
    }
    c->p++;
    mbk_ejr_ws(c);
    if (mbk_ejr_sub_key(c, name, sizeof(name)) < 0) {
        return -1;
    }
    if (strcmp(name, "$scope") != 0 || c->p >= c->end || *c->p != '{') {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                            "$code may only be followed by a $scope object");
    }
    /* Make room for the total length in front of the string. */
    slen = c->len - at;
    if (mbk_ejr_reserve(c, 4) < 0) {
        return -1;
    }
    memmove(c->out + at + 4, c->out + at, slen);
    c->len += 4;
    if (mbk_ejr_object(c) < 0) {
        return -1;
    }
    mbk_ejr_put32(c->out + at, (uint32_t)(c->len - at));
    return mbk_ejr_close_wrapper(c, "$code") < 0 ? -1 : MBK_EJR_T_CODEWSCOPE;
}

static int
literal_value(struct mbk_ejr_conv *c, const char *word, const char *name)
{
    size_t n = strlen(word);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX, "%s must be %s", name,
                            word);
    }
    c->p += n;
    return mbk_ejr_close_wrapper(c, name);
}

/* A legacy form in an mbk file: mbk never writes one, and it escapes
 * documents that look like one, so this is not a backup of mbk's. */
static int
legacy_refused(struct mbk_ejr_conv *c, const char *name)
{
    return mbk_ejr_fail(c, c->p, MBK_EJR_E_SYNTAX,
                        "legacy %s form in an mbk file (mbk writes canonical "
                        "Extended JSON and escapes look-alike documents)",
                        name);
}

/* {"$uuid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}: Binary subtype 4. */
static int
uuid(struct mbk_ejr_conv *c)
{
    const char *at = c->p;
    unsigned char bytes[16];
    size_t mark;
    size_t n;
    size_t k = 0;
    const unsigned char *s;

    if (mbk_ejr_tmp_string(c, "$uuid", &mark, &n) < 0) {
        return -1;
    }
    s = c->out + mark;
    for (size_t i = 0; n == 36 && i < n; i++) {
        int h;

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                break;
            }
            continue;
        }
        h = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
            : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
            : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                         : -1;
        if (h < 0) {
            break;
        }
        if (k % 2 == 0) {
            bytes[k / 2] = (unsigned char)(h << 4);
        } else {
            bytes[k / 2] |= (unsigned char)h;
        }
        k++;
    }
    if (k != 32) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                            "$uuid \"%.*s\" is not a UUID "
                            "(8-4-4-4-12 hex digits)",
                            (int)(n > 40 ? 40 : n), (const char *)s);
    }
    c->len = mark;
    if (mbk_ejr_reserve(c, 5) < 0) {
        return -1;
    }
    mbk_ejr_put32(c->out + c->len, 16);
    c->out[c->len + 4] = 4;
    c->len += 5;
    return mbk_ejr_put_fixed(c, bytes, 16) < 0
                   || mbk_ejr_close_wrapper(c, "$uuid") < 0
               ? -1
               : MBK_EJR_T_BINARY;
}

/* {"$timestamp": "<t * 2^32 + i>"}: what js-bson's Timestamp.toJSON()
 * gives, so what the original service wrote. */
static int
timestamp_string(struct mbk_ejr_conv *c)
{
    const char *at = c->p;
    size_t mark;
    size_t n;
    uint64_t v = 0;
    const unsigned char *s;

    if (mbk_ejr_tmp_string(c, "$timestamp", &mark, &n) < 0) {
        return -1;
    }
    s = c->out + mark;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || n > 20
            || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
            n = 0;
            break;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    c->len = mark;
    if (n == 0) {
        return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                            "$timestamp string is not an unsigned 64-bit "
                            "integer");
    }
    return mbk_ejr_put_i64(c, (int64_t)v) < 0
                   || mbk_ejr_close_wrapper(c, "$timestamp") < 0
               ? -1
               : MBK_EJR_T_TIMESTAMP;
}

/* key[0..klen) is the literal: a length test, then an inlined memcmp. */
#define IS(lit) (klen == sizeof(lit) - 1 && memcmp(key, lit, klen) == 0)

int
mbk_ejr_wrapper(struct mbk_ejr_conv *c, const char *key, size_t klen)
{
    const char *at = c->p;
    unsigned char oid[12];
    int64_t v;
    double d;

    if (IS("$oid")) {
        return mbk_ejr_oid_string(c, oid) < 0
                       || mbk_ejr_put_fixed(c, oid, 12) < 0
                       || mbk_ejr_close_wrapper(c, key) < 0
                   ? -1
                   : MBK_EJR_T_OID;
    }
    if (IS("$date")) {
        if (c->strict && c->p < c->end && *c->p != '{' && *c->p != '"') {
            return legacy_refused(c, "$date");
        }
        return date(c);
    }
    if (IS("$numberInt")) {
        if (mbk_ejr_string_int(c, key, INT32_MIN, INT32_MAX, &v) < 0
            || mbk_ejr_reserve(c, 4) < 0) {
            return -1;
        }
        mbk_ejr_put32(c->out + c->len, (uint32_t)v);
        c->len += 4;
        return mbk_ejr_close_wrapper(c, key) < 0 ? -1 : MBK_EJR_T_INT32;
    }
    if (IS("$numberLong")) {
        /* A string only, as the specification and libbson say. */
        if (mbk_ejr_string_int(c, key, INT64_MIN, INT64_MAX, &v) < 0) {
            return -1;
        }
        return mbk_ejr_put_i64(c, v) < 0 || mbk_ejr_close_wrapper(c, key) < 0
                   ? -1
                   : MBK_EJR_T_INT64;
    }
    if (IS("$numberDouble")) {
        size_t mark;
        size_t n;
        struct mbk_ejr_num nm;
        const char *s;

        if (mbk_ejr_tmp_string(c, key, &mark, &n) < 0) {
            return -1;
        }
        s = (const char *)c->out + mark;
        if (n == 3 && memcmp(s, "NaN", 3) == 0) {
            d = __builtin_nan("");
        } else if (n == 8 && memcmp(s, "Infinity", 8) == 0) {
            d = __builtin_inf();
        } else if (n == 9 && memcmp(s, "-Infinity", 9) == 0) {
            d = -__builtin_inf();
        } else if (n == 0 || mbk_ejr_scan_number(s, s + n, &nm) != n
                   || mbk_ejr_num_double(s, n, &nm, &d) < 0) {
            return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                                "$numberDouble \"%.*s\" is not a double",
                                (int)(n > 40 ? 40 : n), s);
        }
        c->len = mark;
        return mbk_ejr_put_fixed(c, &d, 8) < 0
                       || mbk_ejr_close_wrapper(c, key) < 0
                   ? -1
                   : MBK_EJR_T_DOUBLE;
    }
    if (IS("$numberDecimal")) {
        bson_decimal128_t dec;
        size_t mark;
        size_t n;

        if (mbk_ejr_tmp_string(c, key, &mark, &n) < 0) {
            return -1;
        }
        if (mbk_ejr_reserve(c, 1) < 0) {
            return -1;
        }
        c->out[mark + n] = '\0'; /* libbson compares "NaN" up to a NUL */
        if (!bson_decimal128_from_string_w_len((const char *)c->out + mark,
                                               (int)n, &dec)) {
            return mbk_ejr_fail(c, at, MBK_EJR_E_SYNTAX,
                                "$numberDecimal \"%.*s\" is not a decimal",
                                (int)(n > 40 ? 40 : n), c->out + mark);
        }
        c->len = mark;
        if (mbk_ejr_put_i64(c, (int64_t)dec.low) < 0
            || mbk_ejr_put_i64(c, (int64_t)dec.high) < 0) {
            return -1;
        }
        return mbk_ejr_close_wrapper(c, key) < 0 ? -1 : MBK_EJR_T_DECIMAL;
    }
    if (IS("$binary")) {
        if (c->strict && c->p < c->end && *c->p == '"') {
            return legacy_refused(c, "$binary");
        }
        return binary(c);
    }
    if (IS("$uuid")) {
        return uuid(c);
    }
    if (IS("$timestamp")) {
        if (c->p < c->end && *c->p == '"') {
            return c->strict ? legacy_refused(c, "$timestamp")
                             : timestamp_string(c);
        }
        return timestamp(c);
    }
    if (IS("$regularExpression")) {
        return regex(c);
    }
    if (IS("$regex")) {
        /* Only a string: {"$regex": {...}} is a query operator. */
        if (c->p < c->end && *c->p == '"') {
            return c->strict ? legacy_refused(c, "$regex") : legacy_regex(c);
        }
        return 0;
    }
    if (IS("$symbol")) {
        return mbk_ejr_put_string_value(c, key) < 0
                       || mbk_ejr_close_wrapper(c, key) < 0
                   ? -1
                   : MBK_EJR_T_SYMBOL;
    }
    if (IS("$code")) {
        return code(c, 0);
    }
    if (IS("$scope")) {
        return code(c, 1);
    }
    if (IS("$dbPointer")) {
        return dbpointer(c);
    }
    if (IS("$minKey")) {
        return literal_value(c, "1", key) < 0 ? -1 : MBK_EJR_T_MINKEY;
    }
    if (IS("$maxKey")) {
        return literal_value(c, "1", key) < 0 ? -1 : MBK_EJR_T_MAXKEY;
    }
    if (IS("$undefined")) {
        return literal_value(c, "true", key) < 0 ? -1 : MBK_EJR_T_UNDEFINED;
    }
    return 0; /* $ref, $id, $type, an operator or a plain "$key" */
}

#undef IS
