/*
 * fuzz_schema.c: libFuzzer target for the request validators of the
 * responder (fcgi/schema.h): built twice, as fuzz_schema_body (a JSON
 * body) and, with FUZZ_SCHEMA_QUERY, fuzz_schema_query (a query string),
 * against one table with every field type, range, enum and name rule.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/names.h"
#include "fcgi/schema.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const storages[] = {"fs", "tar", NULL};
static const char *const conflicts[] = {"skip", "replace", "fail", NULL};

static int
check_coll(const char *s, struct mbk_error *err)
{
    return mbk_names_coll_check(NULL, s, err);
}

static const struct mbk_fcgi_field schema[] = {
    {"backupName", MBK_FCGI_T_STRING, false, 1, 128, NULL,
     mbk_names_backup_check},
    {"name", MBK_FCGI_T_STRING, false, 1, 128, NULL, NULL},
    {"description", MBK_FCGI_T_STRING, false, 0, 1024, NULL, NULL},
    {"storage", MBK_FCGI_T_STRING, false, 0, 8, storages, NULL},
    {"targetDatabase", MBK_FCGI_T_STRING, false, 1, 63, NULL,
     mbk_names_db_check},
    {"conflict", MBK_FCGI_T_STRING, false, 0, 8, conflicts, NULL},
    {"dropExisting", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {"async", MBK_FCGI_T_BOOL, false, 0, 0, NULL, NULL},
    {"limit", MBK_FCGI_T_INT, false, 1, 1000, NULL, NULL},
    {"offset", MBK_FCGI_T_INT, false, INT64_MIN, INT64_MAX, NULL, NULL},
    {"collections", MBK_FCGI_T_STRINGS, false, 0, 1000, NULL, check_coll},
    {"tags", MBK_FCGI_T_STRINGS, false, 0, 3, NULL, NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

/* What the handlers do with a checked object: every getter. */
static void
use(struct json_object *o)
{
    const char **v;

    (void)mbk_fcgi_get_str(o, "backupName", "x");
    (void)mbk_fcgi_get_str(o, "storage", "fs");
    (void)mbk_fcgi_get_bool(o, "dropExisting", false);
    (void)mbk_fcgi_get_int(o, "limit", 10);
    (void)mbk_fcgi_get_int(o, "offset", 0);
    v = mbk_fcgi_get_strv(o, "collections");
    for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
        (void)strlen(v[i]);
    }
    free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *out = NULL;
    struct mbk_error err;
    char *text = malloc(size + 1);
    int rc;

    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&err, 0, sizeof(err));
#ifdef FUZZ_SCHEMA_QUERY
    rc = mbk_fcgi_schema_parse_query(schema, text, &out, &err);
#else
    rc = mbk_fcgi_schema_parse_json(schema, text, size, &out, &err);
#endif
    if (rc == 0) {
        if (out == NULL || !json_object_is_type(out, json_type_object)) {
            abort();
        }
        use(out);
        json_object_put(out);
    } else if (out != NULL || err.message[0] == '\0' ||
               err.domain != MBK_ERROR_HTTP || err.code < 400 ||
               err.code > 599 ||
               strnlen(err.field, sizeof(err.field)) >= sizeof(err.field)) {
        abort(); /* a refusal is an HTTP error that says why */
    }
    free(text);
    return 0;
}
