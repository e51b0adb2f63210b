/*
 * audit_write.c: append one entry to an audit log through the engine, for
 * tests/unit/test_cli_audit.sh.
 * usage: audit_write LOG USER CLIENT OPERATION OUTCOME BACKUP [URI]
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine/audit/audit.h"

int
main(int argc, char **argv)
{
    struct mbk_audit_entry e;
    struct mbk_audit *a;
    struct mbk_error err;
    struct json_object *params = json_object_new_object();
    struct json_object *counts = json_object_new_object();
    int rc;

    if (argc < 7) {
        fputs("usage: audit_write LOG USER CLIENT OPERATION OUTCOME BACKUP "
              "[URI]\n",
              stderr);
        return 2;
    }
    memset(&e, 0, sizeof(e));
    e.user = argv[2];
    e.client = argv[3];
    e.operation = argv[4];
    e.outcome = argv[5];
    e.backup = argv[6];
    if (strcmp(e.outcome, "failed") == 0) {
        e.error = "the test says so";
    }
    if (argc > 7) {
        json_object_object_add(params, "uri", json_object_new_string(argv[7]));
        json_object_object_add(params, "password",
                               json_object_new_string("hunter2"));
    }
    json_object_object_add(counts, "documents", json_object_new_int(42));
    e.params = params;
    e.counts = counts;
    e.duration = 1.5;
    e.sha256 =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    a = mbk_audit_open(argv[1], &err);
    if (a == NULL) {
        fprintf(stderr, "audit_write: %s\n", err.message);
        return 1;
    }
    rc = mbk_audit_append(a, &e, &err);
    if (rc != 0) {
        fprintf(stderr, "audit_write: %s\n", err.message);
    }
    mbk_audit_close(a);
    json_object_put(params);
    json_object_put(counts);
    return rc == 0 ? 0 : 1;
}
