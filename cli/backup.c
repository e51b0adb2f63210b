/*
 * backup.c: `mbk backup` and `mbk stats`.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/gzip.h"
#include "engine/options.h"

static const char backup_usage[] =
    "usage: mbk backup [OPTIONS]\n"
    "Write the database out as a backup into the storage.\n"
    "  --name NAME          backup name (default: the database's)\n"
    "  --description TEXT   free text kept in the metadata\n"
    "  --gzip[=LEVEL]       gzip the file (level 1-12, default 6)\n"
    "  --gzip-level LEVEL   the same as --gzip=LEVEL\n"
    "  --include-indexes    keep index definitions (the default)\n"
    "  --no-indexes         leave index definitions out\n"
    "  --include PATTERN    only collections matching (repeat, or a,b; * glob)\n"
    "  --exclude PATTERN    leave collections matching out (repeatable)\n"
    "  --timestamp          append _YYYY-MM-DDTHH-MM-SSZ to the name\n"
    "  --jobs N             collections read at once (default 2)\n"
    "  --spool-dir DIR      where parts wait before assembly (default "
    "$TMPDIR)\n"
    "plus the common options (mbk --help).\n";

static void
print_result(const struct mbk_cli *c, const char *storage,
             const struct mbk_backup_result *res)
{
    char size[32];

    if (c->json) {
        mbk_cli_print_json(mbk_engine_backup_result_json(res, storage, NULL));
        return;
    }
    printf("backup %s written to %s: %s, %llu documents in %zu collections, "
           "%.2f s\n",
           res->file, storage, mbk_cli_bytes(res->size, size, sizeof(size)),
           (unsigned long long)res->docs, res->ncoll, res->seconds);
    for (size_t i = 0; i < res->ncoll; i++) {
        printf("  %-32s %10llu docs%s\n", res->colls[i].name,
               (unsigned long long)res->colls[i].docs,
               strcmp(res->colls[i].type, "view") == 0 ? " (view)" : "");
    }
}

static void
audit(const struct mbk_cli *c, const struct mbk_backup_opts *o,
      const struct mbk_backup_result *res, const struct mbk_error *failure)
{
    struct mbk_audit_entry ae;

    mbk_engine_backup_audit(o, c->storage, NULL, res, failure, &ae);
    mbk_cli_audit_record(c, &ae);
}

int
mbk_cli_backup(struct mbk_cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        MBK_CLI_COMMON_LONGOPTS,
        {"name", required_argument, NULL, 'n'},
        {"description", required_argument, NULL, 'd'},
        {"gzip", optional_argument, NULL, 'z'},
        {"gzip-level", required_argument, NULL, 'Z'},
        {"include-indexes", no_argument, NULL, 'I'},
        {"no-indexes", no_argument, NULL, 'N'},
        {"include", required_argument, NULL, 'i'},
        {"exclude", required_argument, NULL, 'x'},
        {"timestamp", no_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'j'},
        {"spool-dir", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    struct mbk_backup_opts o;
    struct mbk_backup_result res;
    struct mbk_cli_list inc = {NULL, 0};
    struct mbk_cli_list exc = {NULL, 0};
    struct mbk_mongo *m = NULL;
    struct mbk_storage *st = NULL;
    struct mbk_error err;
    int opt;
    int rc = MBK_EXIT_USAGE;

    mbk_engine_backup_opts_init(&o);
    memset(&res, 0, sizeof(res));
    mbk_error_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        if (mbk_cli_common_opt(c, opt, optarg)) {
            continue;
        }
        switch (opt) {
        case 'n':
            o.name = optarg;
            break;
        case 'd':
            o.description = optarg;
            break;
        case 'z':
        case 'Z':
            o.gzip_level = MBK_GZIP_LEVEL_DEFAULT;
            if (optarg != NULL &&
                mbk_gzip_level_parse(optarg, &o.gzip_level, &err) != 0) {
                fprintf(stderr, "mbk backup: %s: %s\n",
                        opt == 'z' ? "--gzip" : "--gzip-level", err.message);
                goto out;
            }
            break;
        case 'I':
            o.include_indexes = true;
            break;
        case 'N':
            o.include_indexes = false;
            break;
        case 'i':
        case 'x':
            if (mbk_cli_list_add(opt == 'i' ? &inc : &exc, optarg) != 0) {
                fprintf(stderr, "mbk backup: out of memory\n");
                rc = MBK_EXIT_FAILED;
                goto out;
            }
            break;
        case 't':
            o.timestamp = true;
            break;
        case 'j':
            if (mbk_cli_jobs("backup", optarg, &o.jobs) != 0) {
                goto out;
            }
            break;
        case 's':
            o.spool_dir = optarg;
            break;
        case 'h':
            fputs(backup_usage, stdout);
            rc = MBK_EXIT_OK;
            goto out;
        default:
            fputs(backup_usage, stderr);
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mbk backup: unexpected argument \"%s\"\n",
                argv[optind]);
        goto out;
    }
    c->progress = !c->quiet && isatty(STDERR_FILENO);
    o.include = (const char *const *)inc.v;
    o.exclude = (const char *const *)exc.v;
    o.progress = mbk_cli_progress;
    o.progress_ud = c;
    m = mbk_cli_mongo(c, o.jobs, &err);
    if (m == NULL || (o.db = mbk_cli_db(c, m, &err)) == NULL) {
        rc = mbk_cli_fail(c, "backup", &err);
        goto out;
    }
    st = mbk_cli_storage(c, &err);
    if (st == NULL ||
        mbk_engine_backup_run(m, st, &o, &res, &err) != 0) {
        rc = mbk_cli_fail(c, "backup", &err);
        audit(c, &o, &res, &err);
        goto out;
    }
    mbk_cli_progress_end(c);
    print_result(c, c->storage, &res);
    audit(c, &o, &res, NULL);
    rc = MBK_EXIT_OK;
out:
    mbk_engine_backup_result_free(&res);
    mbk_storage_close(st);
    mbk_mongo_close(m);
    mbk_cli_list_free(&inc);
    mbk_cli_list_free(&exc);
    return rc;
}
