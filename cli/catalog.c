/*
 * catalog.c: `mbk list`, `mbk verify`, and one stored backup: `mbk rm`
 * (remove it) and `mbk cat` (its stored bytes to stdout).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/backup/catalog.h"
#include "engine/backup/stored.h"

static const char list_usage[] =
    "usage: mbk list [--storage SPEC] [--json]\n"
    "The backups in the storage, with their metadata.\n";

static const char verify_usage[] =
    "usage: mbk verify NAME [--storage SPEC] [--json]\n"
    "Re-read backup NAME: structure, document counts and SHA-256 digests.\n";

static const char rm_usage[] =
    "usage: mbk rm NAME [--storage SPEC] [--json]\n"
    "Remove backup NAME from the storage.\n";

static const char cat_usage[] =
    "usage: mbk cat NAME [--storage SPEC] > FILE\n"
    "Write backup NAME to stdout, its bytes as stored (gzip stays gzip).\n";

static const char *
str(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (o != NULL && json_object_object_get_ex(o, key, &v) && v != NULL) {
        return json_object_get_string(v);
    }
    return "";
}

struct list_state {
    const struct mbk_cli *c;
    struct json_object *arr;
    unsigned n;
};

static int
on_entry(const struct mbk_catalog_entry *e, void *ud)
{
    struct list_state *s = ud;
    struct json_object *o = mbk_engine_catalog_entry_json(e, s->c->storage);
    struct json_object *count = NULL;
    char size[32];

    s->n++;
    if (s->c->json) {
        json_object_array_add(s->arr, o);
        return 0;
    }
    if (e->meta == NULL) {
        printf("%-44s %10s  (metadata unreadable: %s)\n", e->name,
               mbk_cli_bytes(e->size, size, sizeof(size)), e->meta_error);
    } else {
        struct json_object *names = NULL;

        json_object_object_get_ex(o, "collections", &names);
        json_object_object_get_ex(o, "documentCount", &count);
        printf("%-44s %10s  %-24s  %-16s %4zu coll %10s docs  %s\n",
               e->name, mbk_cli_bytes(e->size, size, sizeof(size)),
               str(o, "timestamp"), str(o, "database"),
               json_object_is_type(names, json_type_array)
                   ? json_object_array_length(names)
                   : 0,
               count != NULL ? json_object_get_string(count) : "?",
               str(o, "description"));
    }
    json_object_put(o);
    return 0;
}

static int
parse_common(struct mbk_cli *c, int argc, char **argv, const char *usage,
             int *rc)
{
    static const struct option longopts[] = {
        MBK_CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        if (mbk_cli_common_opt(c, opt, optarg)) {
            continue;
        }
        if (opt == 'h') {
            fputs(usage, stdout);
            *rc = MBK_EXIT_OK;
            return -1;
        }
        fputs(usage, stderr);
        *rc = MBK_EXIT_USAGE;
        return -1;
    }
    return 0;
}

int
mbk_cli_list(struct mbk_cli *c, int argc, char **argv)
{
    struct list_state s = {c, NULL, 0};
    struct mbk_storage *st;
    struct mbk_error err;
    int rc = MBK_EXIT_USAGE;

    if (parse_common(c, argc, argv, list_usage, &rc) != 0) {
        return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "mbk list: unexpected argument \"%s\"\n", argv[optind]);
        return MBK_EXIT_USAGE;
    }
    st = mbk_cli_storage(c, &err);
    if (st == NULL) {
        return mbk_cli_fail(c, "list", &err);
    }
    s.arr = json_object_new_array();
    if (mbk_engine_catalog_list(st, on_entry, &s, &err) != 0) {
        rc = mbk_cli_fail(c, "list", &err);
        json_object_put(s.arr);
    } else {
        if (c->json) {
            mbk_cli_print_json(s.arr);
        } else {
            json_object_put(s.arr);
            if (s.n == 0) {
                printf("no backups in %s\n", c->storage);
            }
        }
        rc = MBK_EXIT_OK;
    }
    mbk_storage_close(st);
    return rc;
}

int
mbk_cli_verify(struct mbk_cli *c, int argc, char **argv)
{
    struct mbk_verify_result res;
    struct mbk_audit_entry ae;
    struct mbk_storage *st;
    struct mbk_error err;
    const char *name;
    char size[32];
    int rc = MBK_EXIT_USAGE;

    if (parse_common(c, argc, argv, verify_usage, &rc) != 0) {
        return rc;
    }
    if (optind + 1 != argc) {
        fputs(verify_usage, stderr);
        return MBK_EXIT_USAGE;
    }
    name = argv[optind];
    memset(&res, 0, sizeof(res));
    st = mbk_cli_storage(c, &err);
    if (st == NULL) {
        return mbk_cli_fail(c, "verify", &err);
    }
    rc = mbk_engine_verify(st, name, &res, &err);
    mbk_engine_verify_audit(name, c->storage, &res, rc == 0 ? NULL : &err,
                            &ae);
    mbk_cli_audit_record(c, &ae);
    if (rc != 0) {
        rc = mbk_cli_fail(c, "verify", &err);
        goto out;
    }
    if (c->json) {
        mbk_cli_print_json(mbk_engine_verify_result_json(name, c->storage,
                                                         &res));
    } else {
        printf("%s: valid, %llu documents in %zu collections, %s of JSON%s\n",
               name, (unsigned long long)res.docs, res.ncoll,
               mbk_cli_bytes(res.json_bytes, size, sizeof(size)),
               res.has_digests ? ", counts and digests match"
                               : " (no digests in this file to check)");
    }
    rc = MBK_EXIT_OK;
out:
    mbk_engine_verify_result_free(&res);
    mbk_storage_close(st);
    return rc;
}

/* NAME, the one argument of rm and cat; else usage and -1. */
static const char *
one_name(int argc, char **argv, const char *usage)
{
    if (optind + 1 != argc) {
        fputs(usage, stderr);
        return NULL;
    }
    return argv[optind];
}

int
mbk_cli_rm(struct mbk_cli *c, int argc, char **argv)
{
    struct mbk_audit_entry ae;
    struct mbk_storage *st;
    struct mbk_error err;
    const char *name;
    int rc = MBK_EXIT_USAGE;

    if (parse_common(c, argc, argv, rm_usage, &rc) != 0) {
        return rc;
    }
    name = one_name(argc, argv, rm_usage);
    if (name == NULL) {
        return MBK_EXIT_USAGE;
    }
    st = mbk_cli_storage(c, &err);
    if (st == NULL) {
        return mbk_cli_fail(c, "rm", &err);
    }
    rc = mbk_engine_stored_remove(st, name, c->storage, &ae, &err);
    mbk_cli_audit_record(c, &ae);
    if (rc != 0) {
        rc = mbk_cli_fail(c, "rm", &err);
    } else {
        if (c->json) {
            mbk_cli_print_json(mbk_engine_stored_remove_json(name,
                                                             c->storage));
        } else if (!c->quiet) {
            printf("removed %s\n", name);
        }
        rc = MBK_EXIT_OK;
    }
    mbk_storage_close(st);
    return rc;
}

/* Every byte of s to stdout; -1 and err (SYS) when stdout fails. */
static int
copy_out(struct mbk_engine_stored *s, struct mbk_error *err)
{
    char buf[65536];
    ssize_t n;

    while ((n = mbk_engine_stored_read(s, buf, sizeof(buf), err)) > 0) {
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
            return mbk_error_sys(err, errno, "write", "stdout");
        }
    }
    if (n < 0) {
        return -1;
    }
    if (fflush(stdout) != 0) {
        return mbk_error_sys(err, errno, "write", "stdout");
    }
    return 0;
}

int
mbk_cli_cat(struct mbk_cli *c, int argc, char **argv)
{
    struct mbk_audit_entry ae;
    struct mbk_engine_stored *s;
    struct mbk_storage *st;
    struct mbk_error err;
    const char *name;
    int rc = MBK_EXIT_USAGE;

    if (parse_common(c, argc, argv, cat_usage, &rc) != 0) {
        return rc;
    }
    name = one_name(argc, argv, cat_usage);
    if (name == NULL) {
        return MBK_EXIT_USAGE;
    }
    if (isatty(STDOUT_FILENO)) {
        fprintf(stderr, "mbk cat: stdout is a terminal: redirect it "
                        "(mbk cat %s > FILE)\n", name);
        return MBK_EXIT_USAGE;
    }
    c->json = false; /* stdout carries the backup itself */
    st = mbk_cli_storage(c, &err);
    if (st == NULL) {
        return mbk_cli_fail(c, "cat", &err);
    }
    s = mbk_engine_stored_open(st, name, c->storage, &ae, &err);
    rc = s != NULL ? copy_out(s, &err) : -1;
    if (s != NULL && rc != 0) {
        ae.outcome = "failed"; /* opened, then cut short */
        ae.error = err.message;
    }
    mbk_engine_stored_close(s);
    mbk_cli_audit_record(c, &ae);
    rc = rc == 0 ? MBK_EXIT_OK : mbk_cli_fail(c, "cat", &err);
    mbk_storage_close(st);
    return rc;
}
