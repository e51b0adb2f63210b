/*
 * mbk.c: the mbk command for scripts and cron: dispatch to subcommands and
 * the helpers they share.  Only main() may exit().
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pwd.h>

#include "cli/cli.h"
#include "engine/audit/audit.h"
#include "engine/names.h"

static const char usage_text[] =
    "usage: mbk COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  backup     write a database out as a backup\n"
    "  list       list the backups in a storage\n"
    "  verify     re-read a backup: structure, counts, digests\n"
    "  rm         remove a backup from the storage\n"
    "  cat        write a backup's stored bytes to stdout\n"
    "  stats      database statistics\n"
    "  restore    restore a backup (from the storage, a file or stdin)\n"
    "  audit      the audit log, newest first; `audit verify` checks it\n"
    "\n"
    "Common options:\n"
    "  --uri URI          MongoDB URI (env MBK_URI; default "
    "mongodb://127.0.0.1:27017)\n"
    "  --db NAME          database (env MBK_DB; default: the URI's)\n"
    "  --storage SPEC     fs:DIR, tar:FILE or s3://BUCKET/PREFIX (env "
    "MBK_STORAGE;\n"
    "                     default fs:.; S3 settings from AWS_*, see mbk(1))\n"
    "  --plugin-dir DIR   where storage plugins are (env MBK_PLUGIN_DIR)\n"
    "  --json             machine-readable output on stdout\n"
    "  --audit-log PATH   append backups and restores to this audit log\n"
    "                     (env MBK_AUDIT_LOG; default: none)\n"
    "  -q, --quiet        no progress line\n"
    "  -h, --help         help (also after a command)\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage, 3 MongoDB unreachable,\n"
    "4 storage error, 5 a backup failed verification.  See mbk(1).\n";

int
mbk_cli_common_opt(struct mbk_cli *c, int opt, const char *arg)
{
    switch (opt) {
    case 1001:
        c->uri = arg;
        return 1;
    case 1002:
        c->db = arg;
        return 1;
    case 1003:
        c->storage = arg;
        return 1;
    case 1004:
        c->plugin_dir = arg;
        return 1;
    case 1005:
        c->json = true;
        return 1;
    case 1006:
        c->audit_log = arg;
        return 1;
    case 'q':
        c->quiet = true;
        return 1;
    default:
        return 0;
    }
}

struct mbk_mongo *
mbk_cli_mongo(const struct mbk_cli *c, unsigned jobs, struct mbk_error *err)
{
    return mbk_mongo_open(c->uri, jobs + 2, err);
}

struct mbk_storage *
mbk_cli_storage(const struct mbk_cli *c, struct mbk_error *err)
{
    return mbk_storage_open(c->storage, c->plugin_dir, err);
}

const char *
mbk_cli_db(const struct mbk_cli *c, const struct mbk_mongo *m,
           struct mbk_error *err)
{
    const char *db = c->db ? c->db : mbk_mongo_get_uri_db(m);

    if (db == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                      "no database: give --db NAME or put it in the URI");
        return NULL;
    }
    if (mbk_names_db_check(db, err) != 0) {
        return NULL;
    }
    return db;
}

static int
exit_code(const struct mbk_error *err)
{
    switch (err->domain) {
    case MBK_ERROR_MONGO:
        /* engine/mongo/mongo.c classifies: only its UNREACHABLE is */
        return err->code == MBK_MONGO_CODE_UNREACHABLE ? MBK_EXIT_UNREACHABLE
                                                       : MBK_EXIT_FAILED;
    case MBK_ERROR_STORAGE:
        /* A bad backup name is the command line's, whoever checked it. */
        return err->code == MBK_STORAGE_EBADNAME ? MBK_EXIT_USAGE
                                                 : MBK_EXIT_STORAGE;
    case MBK_ERROR_PLUGIN:
    case MBK_ERROR_ARCHIVE:
        return MBK_EXIT_STORAGE;
    case MBK_ERROR_ENGINE:
        if (err->code == MBK_ENGINE_EDIGEST ||
            err->code == MBK_ENGINE_EFORMAT) {
            return MBK_EXIT_INVALID;
        }
        if (err->code == MBK_ENGINE_ELIMIT) {
            return MBK_EXIT_LIMIT;
        }
        return err->code == MBK_ENGINE_EINVAL ||
                       err->code == MBK_ENGINE_EBADNAME
                   ? MBK_EXIT_USAGE
                   : MBK_EXIT_FAILED;
    default:
        return MBK_EXIT_FAILED;
    }
}

int
mbk_cli_fail(const struct mbk_cli *c, const char *what,
             const struct mbk_error *err)
{
    mbk_cli_progress_end(c);
    if (c->json) {
        struct json_object *o = json_object_new_object();
        struct json_object *d = json_object_new_object();

        json_object_object_add(o, "success", json_object_new_boolean(0));
        json_object_object_add(o, "error", json_object_new_string(err->message));
        json_object_object_add(d, "operation", json_object_new_string(what));
        json_object_object_add(
            d, "domain",
            json_object_new_string(mbk_error_domain_name(err->domain)));
        json_object_object_add(d, "code", json_object_new_int(err->code));
        if (err->field[0] != '\0') {
            /* the input at fault, as the API's details name it */
            json_object_object_add(d, "field",
                                   json_object_new_string(err->field));
        }
        json_object_object_add(o, "details", d);
        puts(json_object_to_json_string_ext(
            o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    }
    fprintf(stderr, "mbk %s: %s\n", what, err->message);
    return exit_code(err);
}

void
mbk_cli_print_json(struct json_object *data)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "data", data);
    puts(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

int
mbk_cli_list_add(struct mbk_cli_list *p, const char *arg)
{
    char *copy = strdup(arg);
    char *save = NULL;

    if (copy == NULL) {
        return -1;
    }
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        char **v = realloc(p->v, (p->n + 2) * sizeof(*v));

        if (v == NULL) {
            free(copy);
            return -1;
        }
        p->v = v;
        p->v[p->n] = strdup(tok);
        if (p->v[p->n] == NULL) {
            free(copy);
            return -1;
        }
        p->n++;
        p->v[p->n] = NULL;
    }
    free(copy);
    return 0;
}

void
mbk_cli_list_free(struct mbk_cli_list *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i]);
    }
    free(p->v);
}

int
mbk_cli_jobs(const char *cmd, const char *arg, unsigned *jobs)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);

    if (arg[0] == '\0' || *end != '\0' || v < 1 || v > 64) {
        fprintf(stderr, "mbk %s: --jobs \"%s\" is not 1-64\n", cmd, arg);
        return -1;
    }
    *jobs = (unsigned)v;
    return 0;
}

const char *
mbk_cli_bytes(unsigned long long n, char *buf, unsigned len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    unsigned u = 0;

    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    if (u == 0) {
        snprintf(buf, len, "%llu B", n);
    } else {
        snprintf(buf, len, "%.1f %s", v, units[u]);
    }
    return buf;
}

void
mbk_cli_progress(const struct mbk_progress *p, void *ud)
{
    const struct mbk_cli *c = ud;
    char bytes[32];
    double rate;

    if (!c->progress) {
        return;
    }
    rate = p->elapsed > 0 ? (double)p->docs_done / p->elapsed : 0;
    fprintf(stderr,
            "\r\033[K%s %u/%u %s: %llu/%llu docs, %s, %.0f docs/s",
            p->phase, p->collections_done, p->collections_total,
            p->collection ? p->collection : "-",
            (unsigned long long)p->docs_done,
            (unsigned long long)p->docs_total,
            mbk_cli_bytes(p->bytes_done, bytes, sizeof(bytes)), rate);
    fflush(stderr);
}

void
mbk_cli_progress_end(const struct mbk_cli *c)
{
    if (c->progress) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

void
mbk_cli_audit_record(const struct mbk_cli *c, struct mbk_audit_entry *ae)
{
    struct mbk_audit *a;
    struct mbk_error err;
    struct passwd *pw = getpwuid(getuid());
    char client[300] = "cli";

    if (c->audit_log != NULL) {
        char host[256] = "";

        if (gethostname(host, sizeof(host) - 1) == 0) {
            snprintf(client, sizeof(client), "cli@%s", host);
        }
        ae->user = pw != NULL ? pw->pw_name : NULL;
        ae->client = client;
        a = mbk_audit_open(c->audit_log, &err);
        if (a == NULL || mbk_audit_append(a, ae, &err) != 0) {
            fprintf(stderr, "mbk: warning: the audit log was not written: "
                    "%s\n", err.message);
        }
        mbk_audit_close(a);
        ae->user = NULL;
        ae->client = NULL;
    }
    mbk_audit_entry_release(ae);
}

/* Whether dir holds any storage plugin module (whichever it is). */
static bool
has_plugins(const char *dir)
{
    char pattern[4300];
    glob_t g;
    bool any;

    snprintf(pattern, sizeof(pattern), "%s/mbk_storage_*.so", dir);
    any = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    return any;
}

/* Run from a build tree (not installed), the plugins are beside us in
 * storage/.libs: use them when the installed directory has none. */
static const char *
build_tree_plugin_dir(void)
{
    static char dir[4200];
    char exe[4096];
    ssize_t n;
    char *slash;

    if (has_plugins(MBK_PLUGIN_DIR)) {
        return NULL;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        return NULL;
    }
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL) {
        return NULL;
    }
    *slash = '\0';
    snprintf(dir, sizeof(dir), "%s/../storage/.libs", exe);
    return has_plugins(dir) ? dir : NULL;
}

static const char *
env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : fallback;
}

int
main(int argc, char **argv)
{
    struct mbk_cli c;
    const char *cmd;

    memset(&c, 0, sizeof(c));
    c.uri = env_or("MBK_URI", "mongodb://127.0.0.1:27017");
    c.db = env_or("MBK_DB", NULL);
    c.storage = env_or("MBK_STORAGE", "fs:.");
    c.plugin_dir = env_or("MBK_PLUGIN_DIR", NULL);
    if (c.plugin_dir == NULL) {
        c.plugin_dir = build_tree_plugin_dir();
    }
    c.audit_log = env_or("MBK_AUDIT_LOG", NULL);
    if (argc < 2) {
        fputs(usage_text, stderr);
        return MBK_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return MBK_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("mbk %s\n", PACKAGE_VERSION);
        return MBK_EXIT_OK;
    }
    argc--;
    argv++;
    if (strcmp(cmd, "backup") == 0) {
        return mbk_cli_backup(&c, argc, argv);
    }
    if (strcmp(cmd, "list") == 0) {
        return mbk_cli_list(&c, argc, argv);
    }
    if (strcmp(cmd, "verify") == 0) {
        return mbk_cli_verify(&c, argc, argv);
    }
    if (strcmp(cmd, "rm") == 0) {
        return mbk_cli_rm(&c, argc, argv);
    }
    if (strcmp(cmd, "cat") == 0) {
        return mbk_cli_cat(&c, argc, argv);
    }
    if (strcmp(cmd, "stats") == 0) {
        return mbk_cli_stats(&c, argc, argv);
    }
    if (strcmp(cmd, "restore") == 0) {
        return mbk_cli_restore(&c, argc, argv);
    }
    if (strcmp(cmd, "audit") == 0) {
        return mbk_cli_audit(&c, argc, argv);
    }
    fprintf(stderr, "mbk: unknown command \"%s\"\n\n%s", cmd, usage_text);
    return MBK_EXIT_USAGE;
}
