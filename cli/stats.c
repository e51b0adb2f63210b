/*
 * stats.c: `mbk stats`: dbStats and per collection count, size, indexes.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/mongo/stats.h"

static const char stats_usage[] =
    "usage: mbk stats [--uri URI] [--db NAME] [--json]\n"
    "Database statistics: size, and per collection documents, size and "
    "indexes.\n";

static long long
num(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
                                                 : 0;
}

static void
print_table(struct json_object *s)
{
    struct json_object *list;
    char a[32];
    char b[32];

    json_object_object_get_ex(s, "collectionList", &list);
    printf("database %s: %lld collections, %lld documents, data %s, "
           "indexes %s\n",
           json_object_get_string(json_object_object_get(s, "database")),
           num(s, "collections"), num(s, "objects"),
           mbk_cli_bytes((unsigned long long)num(s, "dataSize"), a, sizeof(a)),
           mbk_cli_bytes((unsigned long long)num(s, "indexSize"), b,
                         sizeof(b)));
    printf("  %-32s %12s %12s %8s\n", "collection", "documents", "size",
           "indexes");
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *c = json_object_array_get_idx(list, i);
        const char *type =
            json_object_get_string(json_object_object_get(c, "type"));

        if (strcmp(type, "view") == 0) {
            printf("  %-32s %12s\n",
                   json_object_get_string(json_object_object_get(c, "name")),
                   "(view)");
            continue;
        }
        printf("  %-32s %12lld %12s %8lld\n",
               json_object_get_string(json_object_object_get(c, "name")),
               num(c, "count"),
               mbk_cli_bytes((unsigned long long)num(c, "size"), a, sizeof(a)),
               num(c, "nindexes"));
    }
}

int
mbk_cli_stats(struct mbk_cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        MBK_CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct mbk_mongo *m = NULL;
    struct json_object *s = NULL;
    struct mbk_error err;
    const char *db;
    int opt;
    int rc = MBK_EXIT_USAGE;

    mbk_error_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        if (mbk_cli_common_opt(c, opt, optarg)) {
            continue;
        }
        if (opt == 'h') {
            fputs(stats_usage, stdout);
            return MBK_EXIT_OK;
        }
        fputs(stats_usage, stderr);
        return MBK_EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "mbk stats: unexpected argument \"%s\"\n",
                argv[optind]);
        return MBK_EXIT_USAGE;
    }
    m = mbk_cli_mongo(c, 1, &err);
    if (m == NULL || (db = mbk_cli_db(c, m, &err)) == NULL ||
        mbk_engine_stats(m, db, &s, &err) != 0) {
        rc = mbk_cli_fail(c, "stats", &err);
        goto out;
    }
    if (c->json) {
        mbk_cli_print_json(s);
        s = NULL;
    } else {
        print_table(s);
    }
    rc = MBK_EXIT_OK;
out:
    json_object_put(s);
    mbk_mongo_close(m);
    return rc;
}
