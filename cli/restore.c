/*
 * restore.c: `mbk restore NAME | --file PATH | -`.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/options.h"
#include "engine/restore/restore.h"

static const char restore_usage[] =
    "usage: mbk restore NAME | --file PATH | - [OPTIONS]\n"
    "Restore a backup from the storage (NAME), a file, or stdin (-).\n"
    "  --target-db NAME       restore into this database (default: the "
    "backup's)\n"
    "  --collections a,b      only these collections (repeatable; "
    "default: all)\n"
    "  --drop                 replace the collections wholesale, safely: "
    "staged,\n"
    "                         checked, then swapped in; any failure leaves "
    "the\n"
    "                         target as it was\n"
    "  --dry-run              validate and report what would happen; write "
    "nothing\n"
    "  --conflict POLICY      existing _id without --drop: skip (default), "
    "replace, fail\n"
    "  --no-indexes           do not build the backup's indexes\n"
    "  --no-options           create collections without their options\n"
    "  --ordered              insert in file order (one writer)\n"
    "  --single-pass          no validation pass first (large files); "
    "rollback\n"
    "                         still protects the target\n"
    "  --bypass-validation    bypass collection validators\n"
    "  --max-bytes N          refuse more than N decompressed bytes\n"
    "  --jobs N               insert workers (default 2)\n"
    "  --file PATH            restore from a file instead of the storage\n"
    "plus the common options (mbk --help).\n";

static void
print_report(const struct mbk_restore_report *r, bool dry, bool drop)
{
    char size[32];

    if (!r->typed && r->ncoll > 0) {
        printf("note: this file carries no type information (plain JSON "
               "documents): values restore as plain JSON types\n");
    }
    for (size_t i = 0; i < r->ncoll; i++) {
        if (r->colls[i].target_capped) {
            printf("note: %s: the target is capped; what it holds plus the "
                   "backup's documents fit its limits, so nothing is "
                   "evicted\n",
                   r->colls[i].name);
        }
    }
    for (size_t i = 0; i < r->ncoll && !dry; i++) {
        if (r->colls[i].indexes_converted > 0) {
            printf("note: %s: %u legacy index spec(s) converted as "
                   "mongorestore --convertLegacyIndexes does\n",
                   r->colls[i].name, r->colls[i].indexes_converted);
        }
        if (r->colls[i].reordered + r->colls[i].filled_timestamps > 0) {
            printf("note: %s: the server moved _id first in %llu document(s) "
                   "and filled %llu empty top-level timestamp(s), as MongoDB "
                   "does\n",
                   r->colls[i].name,
                   (unsigned long long)r->colls[i].reordered,
                   (unsigned long long)r->colls[i].filled_timestamps);
        }
    }
    if (dry) {
        printf("dry run: %s -> %s, %llu documents, nothing written\n",
               r->source_db, r->target_db, (unsigned long long)r->docs);
        printf("  %-28s %10s %10s %7s %7s %10s %10s\n", "collection",
               "documents", "size", "indexes", "exists", "target",
               drop ? "dropped" : "conflicts");
        for (size_t i = 0; i < r->ncoll; i++) {
            const struct mbk_restore_coll *c = &r->colls[i];

            printf("  %-28s %10llu %10s %7u %7s %10lld %10llu%s\n", c->name,
                   (unsigned long long)c->docs,
                   mbk_cli_bytes(c->bytes, size, sizeof(size)), c->indexes,
                   c->target_exists ? "yes" : "no", (long long)c->target_docs,
                   drop ? (unsigned long long)c->target_docs
                        : (unsigned long long)c->conflicts,
                   strcmp(c->type, "view") == 0 ? " (view)" : "");
        }
        return;
    }
    printf("restore %s: %s -> %s, %llu inserted, %llu skipped, %llu "
           "replaced, %llu failed, %.2f s\n",
           r->status, r->source_db, r->target_db,
           (unsigned long long)r->inserted, (unsigned long long)r->skipped,
           (unsigned long long)r->replaced, (unsigned long long)r->failed,
           r->seconds);
    printf("  %-28s %10s %10s %10s %10s %8s %8s\n", "collection", "inserted",
           "skipped", "replaced", "failed", "indexes", "seconds");
    for (size_t i = 0; i < r->ncoll; i++) {
        const struct mbk_restore_coll *c = &r->colls[i];

        printf("  %-28s %10llu %10llu %10llu %10llu %8u %8.2f\n", c->name,
               (unsigned long long)c->inserted, (unsigned long long)c->skipped,
               (unsigned long long)c->replaced, (unsigned long long)c->failed,
               c->indexes_created, c->seconds);
        for (uint32_t k = 0; k < c->nerrors; k++) {
            printf("      _id %s: %s\n", c->errors[k].id, c->errors[k].message);
        }
    }
    if (r->rollback[0] != '\0') {
        printf("  %s\n", r->rollback);
    }
}

static void
audit(const struct mbk_cli *c, const struct mbk_restore_opts *o,
      const struct mbk_restore_input *in,
      const struct mbk_restore_report *rep, const struct mbk_error *failure)
{
    struct mbk_audit_entry ae;

    mbk_engine_restore_audit(in, c->storage, NULL, o, rep, failure, &ae);
    mbk_cli_audit_record(c, &ae);
}

int
mbk_cli_restore(struct mbk_cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        MBK_CLI_COMMON_LONGOPTS,
        {"target-db", required_argument, NULL, 't'},
        {"collections", required_argument, NULL, 'C'},
        {"drop", no_argument, NULL, 'D'},
        {"dry-run", no_argument, NULL, 'n'},
        {"conflict", required_argument, NULL, 'c'},
        {"no-indexes", no_argument, NULL, 'I'},
        {"no-options", no_argument, NULL, 'O'},
        {"ordered", no_argument, NULL, 'o'},
        {"single-pass", no_argument, NULL, 's'},
        {"bypass-validation", no_argument, NULL, 'b'},
        {"max-bytes", required_argument, NULL, 'm'},
        {"jobs", required_argument, NULL, 'j'},
        {"file", required_argument, NULL, 'f'},
        {"spool-dir", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    struct mbk_restore_opts o;
    struct mbk_restore_input in;
    struct mbk_restore_report rep;
    struct mbk_mongo *m = NULL;
    struct mbk_storage *st = NULL;
    struct mbk_error err;
    struct mbk_cli_list colls = {NULL, 0};
    const char *file = NULL;
    const char *name = NULL;
    int opt;
    int rc = MBK_EXIT_USAGE;

    mbk_engine_restore_opts_init(&o);
    memset(&rep, 0, sizeof(rep));
    memset(&in, 0, sizeof(in));
    mbk_error_clear(&err);
    in.fd = -1;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        char *end;

        if (mbk_cli_common_opt(c, opt, optarg)) {
            continue;
        }
        switch (opt) {
        case 't':
            o.target_db = optarg;
            break;
        case 'C':
            if (mbk_cli_list_add(&colls, optarg) != 0) {
                fprintf(stderr, "mbk restore: out of memory\n");
                rc = MBK_EXIT_FAILED;
                goto out;
            }
            o.collections = (const char *const *)colls.v;
            break;
        case 'D':
            o.drop = true;
            break;
        case 'n':
            o.dry_run = true;
            break;
        case 'c':
            if (mbk_engine_conflict_parse(optarg, &o.conflict, &err) != 0) {
                fprintf(stderr, "mbk restore: --conflict: %s\n", err.message);
                goto out;
            }
            break;
        case 'I':
            o.no_indexes = true;
            break;
        case 'O':
            o.no_options = true;
            break;
        case 'o':
            o.ordered = true;
            break;
        case 's':
            o.single_pass = true;
            break;
        case 'b':
            o.bypass_validation = true;
            break;
        case 'm':
            o.max_bytes = strtoull(optarg, &end, 10);
            if (*end != '\0' || o.max_bytes == 0) {
                fprintf(stderr, "mbk restore: --max-bytes \"%s\" is not a "
                        "positive number\n", optarg);
                goto out;
            }
            break;
        case 'j':
            if (mbk_cli_jobs("restore", optarg, &o.jobs) != 0) {
                goto out;
            }
            break;
        case 'f':
            file = optarg;
            break;
        case 'S':
            o.spool_dir = optarg;
            break;
        case 'h':
            fputs(restore_usage, stdout);
            rc = MBK_EXIT_OK;
            goto out;
        default:
            fputs(restore_usage, stderr);
            goto out;
        }
    }
    if (optind < argc) {
        name = argv[optind++];
    }
    if (optind < argc || (name == NULL) == (file == NULL)) {
        fputs("mbk restore: give exactly one of NAME, --file PATH or -\n",
              stderr);
        goto out;
    }
    c->progress = !c->quiet && isatty(STDERR_FILENO);
    o.progress = mbk_cli_progress;
    o.progress_ud = c;
    if (file != NULL) {
        in.path = file;
    } else if (strcmp(name, "-") == 0) {
        in.fd = STDIN_FILENO;
    } else {
        st = mbk_cli_storage(c, &err);
        if (st == NULL) {
            rc = mbk_cli_fail(c, "restore", &err);
            goto out;
        }
        in.storage = st;
        in.name = name;
    }
    if (o.target_db == NULL) {
        o.target_db = c->db; /* --db names the target too */
    }
    m = mbk_cli_mongo(c, o.jobs, &err);
    if (m == NULL) {
        rc = mbk_cli_fail(c, "restore", &err);
        goto out;
    }
    if (mbk_engine_restore_run(m, &in, &o, &rep, &err) != 0) {
        mbk_cli_progress_end(c);
        audit(c, &o, &in, &rep, &err);
        if (rep.ncoll > 0 && !c->json) {
            print_report(&rep, o.dry_run, o.drop);
        }
        if (c->json && rep.ncoll > 0) {
            struct json_object *d = mbk_engine_restore_report_json(&rep, &o);
            struct json_object *top = json_object_new_object();

            json_object_object_add(top, "success", json_object_new_boolean(0));
            json_object_object_add(top, "error",
                                   json_object_new_string(err.message));
            json_object_object_add(top, "details", d);
            puts(json_object_to_json_string_ext(
                top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(top);
            fprintf(stderr, "mbk restore: %s\n", err.message);
            rc = MBK_EXIT_FAILED;
        } else {
            rc = mbk_cli_fail(c, "restore", &err);
        }
        goto out;
    }
    mbk_cli_progress_end(c);
    audit(c, &o, &in, &rep, NULL);
    if (c->json) {
        mbk_cli_print_json(mbk_engine_restore_report_json(&rep, &o));
    } else {
        print_report(&rep, o.dry_run, o.drop);
    }
    rc = MBK_EXIT_OK;
out:
    mbk_engine_restore_report_free(&rep);
    mbk_storage_close(st);
    mbk_mongo_close(m);
    mbk_cli_list_free(&colls);
    return rc;
}
