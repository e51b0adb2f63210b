/*
 * audit.c: `mbk audit` (the audit log, newest first, filtered and paged)
 * and `mbk audit verify` (the SHA-256 chain of its lines).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "engine/audit/audit.h"

static const char audit_usage[] =
    "usage: mbk audit [OPTIONS]\n"
    "       mbk audit verify [--log PATH] [--json]\n"
    "The audit log, newest first; `verify` checks its SHA-256 chain.\n"
    "  --log PATH         the log (env MBK_AUDIT_LOG; default "
    "./mbk-audit.log)\n"
    "  --operation OP     only this operation (backup, restore, ...)\n"
    "  --user U           only this user\n"
    "  --outcome O        only this outcome (ok, failed, ...)\n"
    "  --grep TEXT        only lines holding TEXT (case ignored)\n"
    "  --since T          from time T on (UTC: 2026-11-26[T13:05[:09]])\n"
    "  --until T          before time T\n"
    "  --limit N          at most N entries (default 50; 0: all)\n"
    "  --offset N         skip the N newest matching entries\n"
    "  --json             the entries as JSON\n";

struct show {
    const struct mbk_cli *c;
    struct json_object *arr;
    uint64_t n;
};

static const char *
str(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (json_object_object_get_ex(o, key, &v) &&
        !json_object_is_type(v, json_type_null)) {
        return json_object_get_string(v);
    }
    return "-";
}

/* s for a terminal: control characters (escape sequences a writer of the
 * log could have planted) become '?'; at most width bytes when width. */
static void
put_field(const char *s, int width)
{
    int n = 0;

    for (; *s != '\0' && (width == 0 || n < width); s++, n++) {
        unsigned char ch = (unsigned char)*s;

        putchar(ch < 0x20 || ch == 0x7f ? '?' : ch);
    }
    for (; n < width; n++) {
        putchar(' ');
    }
}

static int
on_line(struct json_object *line, void *ud)
{
    struct show *s = ud;
    struct json_object *v;

    s->n++;
    if (s->c->json) {
        json_object_array_add(s->arr, json_object_get(line));
        return 0;
    }
    if (s->n == 1) {
        printf("%-24s  %-12s %-15s %-9s %-8s %9s  %s\n", "TIME", "USER",
               "CLIENT", "OPERATION", "OUTCOME", "DURATION", "BACKUP");
    }
    put_field(str(line, "time"), 24);
    fputs("  ", stdout);
    put_field(str(line, "user"), 12);
    putchar(' ');
    put_field(str(line, "client"), 15);
    putchar(' ');
    put_field(str(line, "operation"), 9);
    putchar(' ');
    put_field(str(line, "outcome"), 8);
    if (json_object_object_get_ex(line, "duration", &v)) {
        printf(" %9.3fs  ", json_object_get_double(v));
    } else {
        printf(" %10s  ", "-");
    }
    put_field(str(line, "backup"), 0);
    putchar('\n');
    if (json_object_object_get_ex(line, "error", &v)) {
        fputs("    error: ", stdout);
        put_field(json_object_get_string(v), 0);
        putchar('\n');
    }
    return 0;
}

static int
parse_count(const char *arg, const char *what, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-') {
        fprintf(stderr, "mbk audit: %s \"%s\" is not a number\n", what, arg);
        return -1;
    }
    *out = v;
    return 0;
}

static const char *
default_log(void)
{
    const char *v = getenv("MBK_AUDIT_LOG");

    return v != NULL && v[0] != '\0' ? v : "./mbk-audit.log";
}

/* An absent log is an error here (a mistyped --log shows), although the
 * engine reads it as empty. */
static int
log_exists(const struct mbk_cli *c, const char *what, const char *path)
{
    struct stat st;
    struct mbk_error err;

    if (stat(path, &st) != 0) {
        mbk_error_sys(&err, errno, "stat", path);
        mbk_error_prefix(&err, "audit log (--log or MBK_AUDIT_LOG)");
        return mbk_cli_fail(c, what, &err);
    }
    return 0;
}

static int
verify(struct mbk_cli *c, const char *path)
{
    struct mbk_error err;
    uint64_t lines = 0;
    uint64_t bad = 0;
    int rc;

    rc = log_exists(c, "audit verify", path);
    if (rc != 0) {
        return rc;
    }
    mbk_error_clear(&err);
    if (mbk_audit_verify(path, &lines, &bad, &err) == 0) {
        if (c->json) {
            struct json_object *d = json_object_new_object();

            json_object_object_add(d, "log", json_object_new_string(path));
            json_object_object_add(d, "valid", json_object_new_boolean(1));
            json_object_object_add(d, "lines",
                                   json_object_new_int64((int64_t)lines));
            mbk_cli_print_json(d);
        } else {
            printf("%s: %llu lines, chain intact\n", path,
                   (unsigned long long)lines);
        }
        return MBK_EXIT_OK;
    }
    if (bad == 0) {
        /* Not a break: the log could not be read. */
        return mbk_cli_fail(c, "audit verify", &err);
    }
    if (c->json) {
        struct json_object *o = json_object_new_object();
        struct json_object *d = json_object_new_object();

        json_object_object_add(o, "success", json_object_new_boolean(0));
        json_object_object_add(o, "error",
                               json_object_new_string(err.message));
        json_object_object_add(d, "operation",
                               json_object_new_string("audit verify"));
        json_object_object_add(d, "log", json_object_new_string(path));
        json_object_object_add(d, "valid", json_object_new_boolean(0));
        json_object_object_add(d, "lines",
                               json_object_new_int64((int64_t)lines));
        json_object_object_add(d, "badLine",
                               json_object_new_int64((int64_t)bad));
        json_object_object_add(o, "details", d);
        puts(json_object_to_json_string_ext(
            o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    }
    fprintf(stderr, "mbk audit verify: %s: %s\n", path, err.message);
    return MBK_EXIT_INVALID;
}

int
mbk_cli_audit(struct mbk_cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        MBK_CLI_COMMON_LONGOPTS,
        {"log", required_argument, NULL, 'L'},
        {"operation", required_argument, NULL, 'o'},
        {"user", required_argument, NULL, 'u'},
        {"outcome", required_argument, NULL, 'O'},
        {"grep", required_argument, NULL, 'g'},
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'U'},
        {"limit", required_argument, NULL, 'l'},
        {"offset", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    struct mbk_audit_filter f;
    struct mbk_error err;
    struct show s = {c, NULL, 0};
    const char *path = default_log();
    uint64_t limit = MBK_AUDIT_PAGE_DEFAULT;
    uint64_t offset = 0;
    uint64_t total = 0;
    bool is_verify = false;
    int opt;
    int rc;

    memset(&f, 0, sizeof(f));
    if (argc > 1 && strcmp(argv[1], "verify") == 0) {
        is_verify = true;
        argc--;
        argv++;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        if (mbk_cli_common_opt(c, opt, optarg)) {
            continue;
        }
        switch (opt) {
        case 'L':
            path = optarg;
            break;
        case 'o':
            f.operation = optarg;
            break;
        case 'u':
            f.user = optarg;
            break;
        case 'O':
            f.outcome = optarg;
            break;
        case 'g':
            f.text = optarg;
            break;
        case 's':
            f.since = optarg;
            break;
        case 'U':
            f.until = optarg;
            break;
        case 'l':
            if (parse_count(optarg, "--limit", &limit) != 0) {
                return MBK_EXIT_USAGE;
            }
            break;
        case 'f':
            if (parse_count(optarg, "--offset", &offset) != 0) {
                return MBK_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(audit_usage, stdout);
            return MBK_EXIT_OK;
        default:
            fputs(audit_usage, stderr);
            return MBK_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mbk audit: unexpected argument \"%s\"\n\n%s",
                argv[optind], audit_usage);
        return MBK_EXIT_USAGE;
    }
    if (is_verify) {
        if (f.operation != NULL || f.user != NULL || f.outcome != NULL ||
            f.text != NULL || f.since != NULL || f.until != NULL) {
            fputs("mbk audit verify: filters do not apply: the whole chain "
                  "is checked\n",
                  stderr);
            return MBK_EXIT_USAGE;
        }
        return verify(c, path);
    }
    rc = log_exists(c, "audit", path);
    if (rc != 0) {
        return rc;
    }
    mbk_error_clear(&err);
    s.arr = json_object_new_array();
    if (mbk_audit_read(path, &f, offset, limit, on_line, &s, &total,
                       &err) != 0) {
        json_object_put(s.arr);
        return mbk_cli_fail(c, "audit", &err);
    }
    if (c->json) {
        struct json_object *d = mbk_audit_page_json(total, offset, limit,
                                                    s.arr);

        json_object_object_add(d, "log", json_object_new_string(path));
        mbk_cli_print_json(d);
        return MBK_EXIT_OK;
    }
    json_object_put(s.arr);
    if (total == 0) {
        printf("no %sentries in %s\n",
               f.operation || f.user || f.outcome || f.text || f.since ||
                       f.until
                   ? "matching "
                   : "",
               path);
    } else if (s.n == 0) {
        printf("no entries past --offset %llu (%llu in all)\n",
               (unsigned long long)offset, (unsigned long long)total);
    } else if (s.n < total) {
        printf("entries %llu-%llu of %llu, newest first (--offset, "
               "--limit)\n",
               (unsigned long long)offset + 1,
               (unsigned long long)(offset + s.n), (unsigned long long)total);
    } else {
        printf("%llu entries\n", (unsigned long long)total);
    }
    return MBK_EXIT_OK;
}
