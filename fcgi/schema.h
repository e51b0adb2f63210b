/*
 * schema.h: strict validation of request input, as Zod's strict objects:
 * a JSON body or a query string is checked against a table of fields
 * (name, type, required, range, length, enum, a name rule); unknown
 * fields, wrong types, out-of-range values and control characters are
 * refused with HTTP/400 naming the field.  Pure functions, thread-safe.
 */
#ifndef MBK_FCGI_SCHEMA_H
#define MBK_FCGI_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "engine/error.h"

enum mbk_fcgi_type {
    MBK_FCGI_T_STRING = 1,
    MBK_FCGI_T_BOOL,
    MBK_FCGI_T_INT,
    MBK_FCGI_T_STRINGS /* an array of strings; in a query: "a,b" */
};

/* A name rule: 0, or -1 with err (e.g. mbk_names_db_check). */
typedef int (*mbk_fcgi_check_fn)(const char *s, struct mbk_error *err);

struct mbk_fcgi_field {
    const char *name;
    enum mbk_fcgi_type type;
    bool required;
    int64_t min;     /* INT: smallest value; STRING: shortest length */
    int64_t max;     /* INT: largest; STRING: longest; STRINGS: items */
    const char *const *values; /* NULL-terminated enum, or NULL */
    mbk_fcgi_check_fn check;   /* applied to each string, or NULL */
};

/* A schema is an array of fields ended by one with name NULL. */

/*
 * Check obj (must be an object) against schema.  On failure -1 with
 * HTTP/400 in err, and the offending field's name in err->field ("" when
 * the body as a whole is wrong).
 */
int
mbk_fcgi_schema_check(const struct mbk_fcgi_field *schema,
                      struct json_object *obj, struct mbk_error *err);

/*
 * Parse a JSON body of len bytes (at most MBK_FCGI_JSON_MAX, nesting 8)
 * strictly and check it: *out is the caller's on success.
 */
int
mbk_fcgi_schema_parse_json(const struct mbk_fcgi_field *schema,
                           const char *text, size_t len,
                           struct json_object **out, struct mbk_error *err);

/*
 * Parse a query string ("a=1&b=x%20y"; '+' is a space) into an object of
 * the schema's types and check it.  Percent-decoding happens once; a
 * repeated key, a malformed escape, a NUL or control character is refused.
 */
int
mbk_fcgi_schema_parse_query(const struct mbk_fcgi_field *schema,
                            const char *query, struct json_object **out,
                            struct mbk_error *err);

/* Lookups on a checked object: the default when the field is absent. */
const char *
mbk_fcgi_get_str(struct json_object *o, const char *key, const char *dflt);

bool
mbk_fcgi_get_bool(struct json_object *o, const char *key, bool dflt);

int64_t
mbk_fcgi_get_int(struct json_object *o, const char *key, int64_t dflt);

/* A NULL-terminated array of the strings of an array field (lent from
 * o), or NULL when absent; free() the array itself. */
const char **
mbk_fcgi_get_strv(struct json_object *o, const char *key);

#endif /* MBK_FCGI_SCHEMA_H */
