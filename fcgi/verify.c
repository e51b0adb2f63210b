/*
 * verify.c: POST /api/settings/backup/verify?name=N[&storage=S]: re-read a
 * stored backup (structure, counts, digests) and say whether it is sound;
 * audited as "verify", so the page can show when a backup was verified.
 */
#include "config.h"

#include <string.h>

#include "engine/catalog.h"
#include "engine/names.h"
#include "fcgi/handlers.h"
#include "fcgi/router.h"

static const struct mbk_fcgi_field verify_query[] = {
    {"name", MBK_FCGI_T_STRING, true, 1, MBK_STORAGE_NAME_MAX, NULL,
     mbk_fcgi_check_backup_name},
    {"storage", MBK_FCGI_T_STRING, false, 0, 8, mbk_fcgi_storage_values,
     NULL},
    {NULL, 0, false, 0, 0, NULL, NULL},
};

static struct json_object *
result_json(const char *name, const char *storage,
            const struct mbk_verify_result *res)
{
    struct json_object *d = json_object_new_object();
    struct json_object *colls = json_object_new_object();

    json_object_object_add(d, "name", json_object_new_string(name));
    json_object_object_add(d, "storage", json_object_new_string(storage));
    json_object_object_add(d, "valid", json_object_new_boolean(1));
    json_object_object_add(d, "digestsChecked",
                           json_object_new_boolean(res->has_digests));
    json_object_object_add(d, "documentCount",
                           json_object_new_int64((int64_t)res->docs));
    json_object_object_add(d, "jsonBytes",
                           json_object_new_int64((int64_t)res->json_bytes));
    json_object_object_add(d, "compression",
                           json_object_new_string(res->gzip ? "gzip" : "none"));
    for (size_t i = 0; i < res->ncoll; i++) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "documentCount",
                               json_object_new_int64(
                                   (int64_t)res->colls[i].docs));
        json_object_object_add(o, "sha256",
                               json_object_new_string(res->colls[i].sha256));
        json_object_object_add(colls, res->colls[i].name, o);
    }
    json_object_object_add(d, "collections", colls);
    return d;
}

void
mbk_fcgi_handle_verify(struct mbk_fcgi_app *app,
                       const struct mbk_fcgi_request *rq,
                       struct mbk_fcgi_response *rs)
{
    struct json_object *q = NULL;
    struct mbk_verify_result res;
    struct mbk_audit_entry ae;
    struct mbk_storage *st;
    struct mbk_error err;
    double t0;
    const char *name;
    int rc;

    if (mbk_fcgi_query(rq, verify_query, &q, rs) != 0) {
        return;
    }
    name = mbk_fcgi_get_str(q, "name", NULL);
    st = mbk_fcgi_app_storage(app, mbk_fcgi_get_str(q, "storage", NULL),
                              &err);
    if (st == NULL) {
        mbk_fcgi_reply_error(rs, &err, "storage");
        json_object_put(q);
        return;
    }
    t0 = mbk_names_seconds();
    rc = mbk_engine_verify(st, name, &res, &err);
    memset(&ae, 0, sizeof(ae));
    ae.operation = "verify";
    ae.backup = name;
    ae.params = q;
    ae.outcome = rc == 0 ? "ok" : "failed";
    ae.error = rc == 0 ? NULL : err.message;
    ae.duration = mbk_names_seconds() - t0;
    mbk_fcgi_app_audit(app, rq, &ae);
    if (rc != 0) {
        mbk_fcgi_reply_error(rs, &err, NULL);
    } else {
        mbk_fcgi_reply_data_take(rs, 200,
                                 result_json(name, mbk_storage_get_name(st),
                                             &res));
    }
    mbk_engine_verify_result_free(&res);
    json_object_put(q);
}
