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

    if (o != NULL && json_object_object_get_ex(o, key, &v)) {
        return json_object_get_string(v);
    }
    return "";
}

/* The document count the metadata promises, or -1. */
static long long
meta_docs(struct json_object *meta)
{
    struct json_object *info;
    long long total = 0;

    if (meta == NULL ||
        !json_object_object_get_ex(meta, "collectionInfo", &info)) {
        return -1;
    }
    json_object_object_foreach(info, key, ci)
    {
        struct json_object *n;

        (void)key;
        if (json_object_object_get_ex(ci, "documentCount", &n)) {
            total += json_object_get_int64(n);
        }
    }
    return total;
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
    char size[32];
    long long docs = meta_docs(e->meta);

    s->n++;
    if (s->c->json) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(e->name));
        json_object_object_add(o, "size", json_object_new_int64((int64_t)e->size));
        json_object_object_add(o, "mtime", json_object_new_int64(e->mtime));
        if (docs >= 0) {
            json_object_object_add(o, "documentCount",
                                   json_object_new_int64(docs));
        }
        json_object_object_add(o, "metadata", json_object_get(e->meta));
        if (e->meta_error != NULL) {
            json_object_object_add(o, "metadataError",
                                   json_object_new_string(e->meta_error));
        }
        json_object_array_add(s->arr, o);
        return 0;
    }
    if (e->meta == NULL) {
        printf("%-44s %10s  (metadata unreadable: %s)\n", e->name,
               mbk_cli_bytes(e->size, size, sizeof(size)), e->meta_error);
        return 0;
    }
    {
        char count[32] = "?";
        struct json_object *names = NULL;

        if (docs >= 0) {
            snprintf(count, sizeof(count), "%lld", docs);
        }
        json_object_object_get_ex(e->meta, "collections", &names);
        printf("%-44s %10s  %-24s  %-16s %4zu coll %10s docs  %s\n", e->name,
               mbk_cli_bytes(e->size, size, sizeof(size)),
               str(e->meta, "timestamp"), str(e->meta, "database"),
               json_object_is_type(names, json_type_array)
                   ? json_object_array_length(names)
                   : 0,
               count, str(e->meta, "description"));
    }
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
    if (mbk_engine_verify(st, name, &res, &err) != 0) {
        rc = mbk_cli_fail(c, "verify", &err);
        goto out;
    }
    if (c->json) {
        struct json_object *d = json_object_new_object();
        struct json_object *colls = json_object_new_object();

        json_object_object_add(d, "name", json_object_new_string(name));
        json_object_object_add(d, "valid", json_object_new_boolean(1));
        json_object_object_add(d, "digestsChecked",
                               json_object_new_boolean(res.has_digests));
        json_object_object_add(d, "documentCount",
                               json_object_new_int64((int64_t)res.docs));
        json_object_object_add(d, "jsonBytes",
                               json_object_new_int64((int64_t)res.json_bytes));
        json_object_object_add(d, "compression",
                               json_object_new_string(res.gzip ? "gzip"
                                                               : "none"));
        for (size_t i = 0; i < res.ncoll; i++) {
            struct json_object *o = json_object_new_object();

            json_object_object_add(o, "documentCount",
                                   json_object_new_int64(
                                       (int64_t)res.colls[i].docs));
            json_object_object_add(o, "sha256",
                                   json_object_new_string(res.colls[i].sha256));
            json_object_object_add(o, "typed",
                                   json_object_new_boolean(res.colls[i].typed));
            json_object_object_add(colls, res.colls[i].name, o);
        }
        json_object_object_add(d, "collections", colls);
        mbk_cli_print_json(d);
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

/* The engine's audit entry of rm or cat, recorded when a log is set. */
static void
record(const struct mbk_cli *c, const struct mbk_audit_entry *ae, int rc,
       const struct mbk_error *err)
{
    mbk_cli_audit_record(c, ae->operation, NULL, ae->outcome,
                         rc == 0 ? NULL : err, NULL, ae->duration,
                         ae->backup, NULL);
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
    rc = mbk_engine_stored_remove(st, name, &ae, &err);
    record(c, &ae, rc, &err);
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
    s = mbk_engine_stored_open(st, name, &ae, &err);
    rc = s != NULL ? copy_out(s, &err) : -1;
    if (s != NULL && rc != 0) {
        ae.outcome = "failed"; /* opened, then cut short */
        ae.error = err.message;
    }
    mbk_engine_stored_close(s);
    record(c, &ae, rc, &err);
    rc = rc == 0 ? MBK_EXIT_OK : mbk_cli_fail(c, "cat", &err);
    mbk_storage_close(st);
    return rc;
}
