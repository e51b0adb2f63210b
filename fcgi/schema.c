/*
 * schema.c: the strict validator of request bodies and query strings
 * (Zod's strict objects): one table per request, every refusal naming the
 * field, with HTTP/400.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/http.h"
#include "fcgi/schema.h"

static int
bad(struct mbk_error *err, const char *name, const char *what)
{
    if (name == NULL) {
        return mbk_fcgi_http_error(err, 400, "%s", what);
    }
    mbk_fcgi_http_error(err, 400, "field \"%s\": %s", name, what);
    return mbk_error_field(err, name);
}

/* Strict UTF-8 (RFC 3629: no overlong form, no surrogate, nothing past
 * U+10FFFF) without control characters (C0, DEL, C1, NUL) nor the
 * characters that reorder text on screen (bidirectional marks, embeddings,
 * overrides and isolates): NULL, or what is wrong. */
static const char *
text_problem(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t n;
        uint32_t min;

        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                return "control characters are not allowed";
            }
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return "invalid UTF-8";
        }
        if (i + n > len) {
            return "invalid UTF-8";
        }
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return "invalid UTF-8";
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return "invalid UTF-8 (an overlong form or a surrogate)";
        }
        if (cp <= 0x9f) {
            return "control characters are not allowed";
        }
        if (cp == 0x061c || cp == 0x200e || cp == 0x200f ||
            (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
            return "bidirectional control characters are not allowed";
        }
        i += n;
    }
    return NULL;
}

static bool
clean_text(const char *s, size_t len)
{
    return text_problem(s, len) == NULL;
}

static const struct mbk_fcgi_field *
find_field(const struct mbk_fcgi_field *schema, const char *name)
{
    for (const struct mbk_fcgi_field *f = schema; f->name != NULL; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

static int
check_string(const struct mbk_fcgi_field *f, struct json_object *v,
             struct mbk_error *err)
{
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    char what[300];
    struct mbk_error sub;

    if (text_problem(s, len) != NULL) {
        return bad(err, f->name, text_problem(s, len));
    }
    if ((int64_t)len < f->min) {
        snprintf(what, sizeof(what), "must be at least %" PRId64
                 " characters long", f->min);
        return bad(err, f->name, what);
    }
    if (f->max > 0 && (int64_t)len > f->max) {
        snprintf(what, sizeof(what), "must be at most %" PRId64
                 " characters long", f->max);
        return bad(err, f->name, what);
    }
    if (f->values != NULL) {
        size_t i;

        for (i = 0; f->values[i] != NULL; i++) {
            if (strcmp(f->values[i], s) == 0) {
                break;
            }
        }
        if (f->values[i] == NULL) {
            size_t n = (size_t)snprintf(what, sizeof(what), "must be one of");

            for (i = 0; f->values[i] != NULL && n < sizeof(what); i++) {
                n += (size_t)snprintf(what + n, sizeof(what) - n, "%s \"%s\"",
                                      i == 0 ? "" : ",", f->values[i]);
            }
            return bad(err, f->name, what);
        }
    }
    if (f->check != NULL && f->check(s, &sub) != 0) {
        return bad(err, f->name, sub.message);
    }
    return 0;
}

static int
check_value(const struct mbk_fcgi_field *f, struct json_object *v,
            struct mbk_error *err)
{
    char what[128];

    switch (f->type) {
    case MBK_FCGI_T_STRING:
        if (!json_object_is_type(v, json_type_string)) {
            return bad(err, f->name, "must be a string");
        }
        return check_string(f, v, err);
    case MBK_FCGI_T_BOOL:
        if (!json_object_is_type(v, json_type_boolean)) {
            return bad(err, f->name, "must be a boolean");
        }
        return 0;
    case MBK_FCGI_T_INT: {
        int64_t n;

        if (!json_object_is_type(v, json_type_int)) {
            return bad(err, f->name, "must be an integer");
        }
        errno = 0;
        n = json_object_get_int64(v);
        if (errno != 0 || n < f->min || n > f->max) {
            snprintf(what, sizeof(what), "must be from %" PRId64 " to %"
                     PRId64, f->min, f->max);
            return bad(err, f->name, what);
        }
        return 0;
    }
    case MBK_FCGI_T_STRINGS: {
        size_t n;
        struct mbk_fcgi_field item = *f;

        if (!json_object_is_type(v, json_type_array)) {
            return bad(err, f->name,
                       "must be an array of strings");
        }
        n = json_object_array_length(v);
        if (f->max > 0 && (int64_t)n > f->max) {
            snprintf(what, sizeof(what), "must have at most %" PRId64
                     " items", f->max);
            return bad(err, f->name, what);
        }
        item.min = 1;
        item.max = 255;
        for (size_t i = 0; i < n; i++) {
            struct json_object *e = json_object_array_get_idx(v, i);

            if (!json_object_is_type(e, json_type_string)) {
                return bad(err, f->name,
                           "must be an array of strings");
            }
            if (check_string(&item, e, err) != 0) {
                return -1;
            }
        }
        return 0;
    }
    }
    return bad(err, f->name, "has an unknown type");
}

int
mbk_fcgi_schema_check(const struct mbk_fcgi_field *schema,
                      struct json_object *obj, struct mbk_error *err)
{
    if (!json_object_is_type(obj, json_type_object)) {
        return bad(err, NULL,
                   "the body must be a JSON object");
    }
    json_object_object_foreach(obj, key, val)
    {
        const struct mbk_fcgi_field *f = find_field(schema, key);

        if (f == NULL) {
            char name[72];

            /* The unknown key itself may hold anything: show it safely. */
            snprintf(name, sizeof(name), "%.64s", key);
            if (!clean_text(name, strlen(name))) {
                snprintf(name, sizeof(name), "?");
            }
            return bad(err, name, "unknown field");
        }
        if (check_value(f, val, err) != 0) {
            return -1;
        }
    }
    for (const struct mbk_fcgi_field *f = schema; f->name != NULL; f++) {
        if (f->required && !json_object_object_get_ex(obj, f->name, NULL)) {
            return bad(err, f->name, "is required");
        }
    }
    return 0;
}

/* The value of 4 hex digits at p, or -1. */
static long
hex4(const char *p, const char *end)
{
    long v = 0;

    if (end - p < 4) {
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v |= c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v |= c - 'A' + 10;
        } else {
            return -1;
        }
    }
    return v;
}

/* Whether a string of the JSON text has a \u escape of a lone surrogate
 * (json-c would quietly make it U+FFFD: refused instead). */
static bool
lone_surrogate(const char *text, size_t len)
{
    const char *p = text;
    const char *end = text + len;
    bool in_string = false;

    while (p < end) {
        if (!in_string) {
            in_string = *p++ == '"';
            continue;
        }
        if (*p == '"') {
            in_string = false;
            p++;
        } else if (*p == '\\' && p + 1 < end && p[1] == 'u') {
            long cp = hex4(p + 2, end);

            p += 6;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                return true;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                long lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u'
                              ? hex4(p + 2, end)
                              : -1;

                if (lo < 0xdc00 || lo > 0xdfff) {
                    return true;
                }
                p += 6;
            }
        } else {
            p += *p == '\\' ? 2 : 1;
        }
    }
    return false;
}

int
mbk_fcgi_schema_parse_json(const struct mbk_fcgi_field *schema,
                           const char *text, size_t len,
                           struct json_object **out, struct mbk_error *err)
{
    struct json_tokener *tok;
    struct json_object *obj;
    enum json_tokener_error jerr;

    if (len > MBK_FCGI_JSON_MAX) {
        return mbk_fcgi_http_error(err, 413, "the JSON body is larger than "
                                   "%d bytes", MBK_FCGI_JSON_MAX);
    }
    if (lone_surrogate(text, len)) {
        return mbk_fcgi_http_error(err, 400, "the body is not valid JSON: a "
                                   "\\u escape of a lone surrogate");
    }
    tok = json_tokener_new_ex(8);
    if (tok == NULL) {
        return mbk_fcgi_http_error(err, 500, "out of memory");
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    if (obj == NULL || jerr != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len) {
        const char *why = jerr == json_tokener_continue
                              ? "unexpected end of input"
                              : json_tokener_error_desc(jerr);

        if (obj != NULL) {
            why = "trailing characters after the JSON value";
        }
        json_object_put(obj);
        json_tokener_free(tok);
        return mbk_fcgi_http_error(err, 400, "the body is not valid JSON: %s",
                                   why);
    }
    json_tokener_free(tok);
    if (mbk_fcgi_schema_check(schema, obj, err) != 0) {
        json_object_put(obj);
        return -1;
    }
    *out = obj;
    return 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decode n bytes of s into a new string; NULL on a bad escape or NUL. */
static char *
url_decode(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    size_t j = 0;

    if (d == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            d[j++] = ' ';
        } else if (s[i] == '%') {
            int hi;

            if (i + 2 >= n) {
                free(d);
                return NULL;
            }
            hi = hexval(s[i + 1]);
            if (hi < 0 || hexval(s[i + 2]) < 0) {
                free(d);
                return NULL;
            }
            d[j++] = (char)(hi * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    if (strlen(d) != j) { /* an encoded NUL */
        free(d);
        return NULL;
    }
    return d;
}

/* A query value as the field's type; NULL with err when it is not one. */
static struct json_object *
typed_value(const struct mbk_fcgi_field *f, const char *v,
            struct mbk_error *err)
{
    switch (f->type) {
    case MBK_FCGI_T_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
            return json_object_new_boolean(1);
        }
        if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
            return json_object_new_boolean(0);
        }
        bad(err, f->name, "must be true or false");
        return NULL;
    case MBK_FCGI_T_INT: {
        char *end;
        long long n;

        errno = 0;
        n = strtoll(v, &end, 10);
        if (v[0] == '\0' || *end != '\0' || errno != 0 ||
            strspn(v, "-0123456789") != strlen(v)) {
            bad(err, f->name, "must be an integer");
            return NULL;
        }
        return json_object_new_int64(n);
    }
    case MBK_FCGI_T_STRINGS: {
        struct json_object *a = json_object_new_array();
        const char *p = v;

        while (*p != '\0') {
            size_t n = strcspn(p, ",");

            json_object_array_add(a, json_object_new_string_len(p, (int)n));
            p += n;
            if (*p == ',') {
                p++;
            }
        }
        return a;
    }
    default:
        return json_object_new_string(v);
    }
}

int
mbk_fcgi_schema_parse_query(const struct mbk_fcgi_field *schema,
                            const char *query, struct json_object **out,
                            struct mbk_error *err)
{
    struct json_object *obj = json_object_new_object();
    const char *p = query != NULL ? query : "";

    if (strlen(p) > 8192) {
        json_object_put(obj);
        return bad(err, NULL, "the query is too long");
    }
    while (*p != '\0') {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        size_t klen = eq != NULL ? (size_t)(eq - p) : n;
        char *key = url_decode(p, klen);
        char *val = eq != NULL ? url_decode(eq + 1, n - klen - 1) : strdup("");
        const struct mbk_fcgi_field *f;
        struct json_object *v;

        if (key == NULL || val == NULL) {
            free(key);
            free(val);
            json_object_put(obj);
            return bad(err, NULL,
                       "the query has a malformed escape or a NUL");
        }
        f = find_field(schema, key);
        if (f == NULL || json_object_object_get_ex(obj, key, NULL)) {
            char name[72];

            snprintf(name, sizeof(name), "%.64s", key);
            if (!clean_text(name, strlen(name))) {
                snprintf(name, sizeof(name), "?");
            }
            free(key);
            free(val);
            json_object_put(obj);
            return bad(err, name,
                       f == NULL ? "unknown parameter"
                                 : "given more than once");
        }
        if (text_problem(val, strlen(val)) != NULL) {
            bad(err, f->name,
                text_problem(val, strlen(val)));
            v = NULL;
        } else {
            v = typed_value(f, val, err);
        }
        free(val);
        if (v == NULL) {
            free(key);
            json_object_put(obj);
            return -1;
        }
        json_object_object_add(obj, key, v);
        free(key);
        p += n;
        if (*p == '&') {
            p++;
        }
    }
    if (mbk_fcgi_schema_check(schema, obj, err) != 0) {
        json_object_put(obj);
        return -1;
    }
    *out = obj;
    return 0;
}

const char *
mbk_fcgi_get_str(struct json_object *o, const char *key, const char *dflt)
{
    struct json_object *v;

    if (o != NULL && json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_string)) {
        return json_object_get_string(v);
    }
    return dflt;
}

bool
mbk_fcgi_get_bool(struct json_object *o, const char *key, bool dflt)
{
    struct json_object *v;

    if (o != NULL && json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_boolean)) {
        return json_object_get_boolean(v);
    }
    return dflt;
}

int64_t
mbk_fcgi_get_int(struct json_object *o, const char *key, int64_t dflt)
{
    struct json_object *v;

    if (o != NULL && json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_int)) {
        return json_object_get_int64(v);
    }
    return dflt;
}

const char **
mbk_fcgi_get_strv(struct json_object *o, const char *key)
{
    struct json_object *v;
    const char **strv;
    size_t n;

    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_array)) {
        return NULL;
    }
    n = json_object_array_length(v);
    strv = calloc(n + 1, sizeof(*strv));
    if (strv == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        strv[i] = json_object_get_string(json_object_array_get_idx(v, i));
    }
    return strv;
}
