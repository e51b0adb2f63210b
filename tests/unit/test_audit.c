/*
 * test_audit.c: the audit trail: the lines and their keys, the SHA-256
 * chain and what breaks it, torn lines, secrets, concurrent appends from
 * threads and processes, reading newest first, and log rotation.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "engine/audit/audit.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

struct fixture {
    char dir[64];
    char log[128];
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/mbk-test-audit.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->log, sizeof(fx->log), "%s/audit.log", fx->dir);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    free(fx);
    return 0;
}

static void
sha256_hex(const char *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int n = 0;

    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
}

/* The whole file, NUL-terminated; *len its size. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL) {
        *len = (size_t)n;
    }
    return buf;
}

static void
spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Split buf into its lines (in place); returns how many. */
static size_t
split_lines(char *buf, char **lines, size_t max)
{
    size_t n = 0;

    for (char *p = buf; *p != '\0' && n < max;) {
        char *nl = strchr(p, '\n');

        lines[n++] = p;
        if (nl == NULL) {
            break;
        }
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

static void
append_one(struct mbk_audit *a, const char *op, const char *user, int i)
{
    struct mbk_audit_entry e;
    struct json_object *params = json_object_new_object();
    struct mbk_error err;

    json_object_object_add(params, "i", json_object_new_int(i));
    memset(&e, 0, sizeof(e));
    e.user = user;
    e.client = "127.0.0.1";
    e.operation = op;
    e.outcome = i % 3 == 0 ? "failed" : "ok";
    e.params = params;
    e.duration = 0.25;
    if (mbk_audit_append(a, &e, &err) != 0) {
        fail_msg("append: %s", err.message);
    }
    json_object_put(params);
}

static void
write_log(const char *path, int n)
{
    struct mbk_error err;
    struct mbk_audit *a = mbk_audit_open(path, &err);

    assert_non_null(a);
    for (int i = 0; i < n; i++) {
        append_one(a, i % 2 ? "restore" : "backup", "alice", i);
    }
    mbk_audit_close(a);
}

/* verify: -1 and the bad line, or 0 and 0. */
static uint64_t
bad_line_of(const char *path, struct mbk_error *err)
{
    uint64_t lines = 0;
    uint64_t bad = 0;

    if (mbk_audit_verify(path, &lines, &bad, err) == 0) {
        return 0;
    }
    assert_int_not_equal(bad, 0);
    return bad;
}

static void
test_audit_line_keys_in_order(void **state)
{
    static const char *const all[] = {
        "time", "user", "client", "operation", "backup", "params",
        "outcome", "error", "counts", "duration", "sha256", "prev",
    };
    static const char *const few[] = {"time", "operation", "outcome",
                                      "duration", "prev"};
    struct fixture *fx = *state;
    struct mbk_audit_entry e;
    struct mbk_error err;
    struct mbk_audit *a = mbk_audit_open(fx->log, &err);
    struct json_object *params = json_object_new_object();
    struct json_object *counts = json_object_new_object();
    char *lines[4];
    char hex[65];
    char *buf;
    size_t i;

    assert_non_null(a);
    json_object_object_add(params, "db", json_object_new_string("crm"));
    json_object_object_add(counts, "inserted", json_object_new_int(7));
    memset(&e, 0, sizeof(e));
    e.user = "alice";
    e.client = "10.1.2.3";
    e.operation = "restore";
    e.backup = "crm_daily";
    e.params = params;
    e.outcome = "failed";
    e.error = "E11000 duplicate key";
    e.counts = counts;
    e.duration = 2.5;
    e.sha256 = "ab12";
    assert_int_equal(mbk_audit_append(a, &e, &err), 0);
    memset(&e, 0, sizeof(e));
    e.operation = "delete";
    e.outcome = "ok";
    assert_int_equal(mbk_audit_append(a, &e, &err), 0);
    mbk_audit_close(a);
    json_object_put(params);
    json_object_put(counts);

    buf = slurp(fx->log, NULL);
    assert_int_equal(split_lines(buf, lines, 4), 2);
    {
        struct json_object *o = json_tokener_parse(lines[0]);
        struct json_object *v;

        assert_non_null(o);
        i = 0;
        json_object_object_foreach(o, key, val)
        {
            (void)val;
            assert_true(i < 12);
            assert_string_equal(key, all[i]);
            i++;
        }
        assert_int_equal(i, 12);
        assert_true(json_object_object_get_ex(o, "time", &v));
        /* 2026-11-26T13:05:09.042Z */
        assert_int_equal(strlen(json_object_get_string(v)), 24);
        assert_int_equal(json_object_get_string(v)[10], 'T');
        assert_int_equal(json_object_get_string(v)[19], '.');
        assert_int_equal(json_object_get_string(v)[23], 'Z');
        assert_true(json_object_object_get_ex(o, "prev", &v));
        assert_string_equal(json_object_get_string(v), ZEROS);
        json_object_put(o);
    }
    assert_non_null(strstr(lines[0], "\"params\":{\"db\":\"crm\"}"));
    assert_non_null(strstr(lines[0], "\"counts\":{\"inserted\":7}"));
    assert_non_null(strstr(lines[0], "\"duration\":2.500,"));
    assert_non_null(strstr(lines[0], "\"error\":\"E11000 duplicate key\""));
    {
        struct json_object *o = json_tokener_parse(lines[1]);
        struct json_object *v;

        assert_non_null(o);
        i = 0;
        json_object_object_foreach(o, key, val)
        {
            (void)val;
            assert_true(i < 5);
            assert_string_equal(key, few[i]);
            i++;
        }
        assert_int_equal(i, 5);
        /* prev is the hash of line 1 without its newline. */
        sha256_hex(lines[0], strlen(lines[0]), hex);
        assert_true(json_object_object_get_ex(o, "prev", &v));
        assert_string_equal(json_object_get_string(v), hex);
        json_object_put(o);
    }
    free(buf);
}

static void
test_audit_append_refuses_incomplete_entries(void **state)
{
    struct fixture *fx = *state;
    struct mbk_audit_entry e;
    struct mbk_error err;
    struct mbk_audit *a = mbk_audit_open(fx->log, &err);

    assert_non_null(a);
    memset(&e, 0, sizeof(e));
    e.operation = "backup";
    assert_int_equal(mbk_audit_append(a, &e, &err), -1);
    assert_int_equal(err.code, MBK_ENGINE_EINVAL);
    mbk_audit_close(a);
    assert_null(mbk_audit_open(fx->dir, &err));
}

static void
test_audit_verify_intact_chain(void **state)
{
    struct fixture *fx = *state;
    struct mbk_error err;
    uint64_t lines = 0;
    uint64_t bad = 0;

    /* An empty log is a valid one. */
    write_log(fx->log, 0);
    assert_int_equal(mbk_audit_verify(fx->log, &lines, &bad, &err), 0);
    assert_int_equal(lines, 0);
    write_log(fx->log, 10);
    /* Appends by a second opening chain on to the first's. */
    write_log(fx->log, 3);
    assert_int_equal(mbk_audit_verify(fx->log, &lines, &bad, &err), 0);
    assert_int_equal(lines, 13);
    assert_int_equal(bad, 0);
    assert_int_equal(mbk_audit_verify("/nonexistent/x.log", &lines, &bad,
                                      &err),
                     -1);
    assert_int_equal(err.code, ENOENT);
}

/* Every byte of every line but the last, changed: verify names that line
 * (it no longer parses, or its prev changed) or the next. */
static void
test_audit_verify_any_edited_byte(void **state)
{
    struct fixture *fx = *state;
    char path[160];
    char *orig;
    size_t len;
    size_t last_start;
    struct mbk_error err;

    write_log(fx->log, 4);
    orig = slurp(fx->log, &len);
    last_start = len - 1;
    while (last_start > 0 && orig[last_start - 1] != '\n') {
        last_start--;
    }
    snprintf(path, sizeof(path), "%s/edited.log", fx->dir);
    for (size_t pos = 0; pos < last_start; pos++) {
        char *copy;
        uint64_t line_no = 1;
        uint64_t bad;

        if (orig[pos] == '\n') {
            continue;
        }
        copy = malloc(len);
        for (size_t i = 0; i < pos; i++) {
            line_no += orig[i] == '\n';
        }
        memcpy(copy, orig, len);
        copy[pos] ^= 0x01;
        spit(path, copy, len);
        bad = bad_line_of(path, &err);
        if (bad != line_no && bad != line_no + 1) {
            fail_msg("byte %zu (line %llu) edited: verify says line %llu",
                     pos, (unsigned long long)line_no,
                     (unsigned long long)bad);
        }
        free(copy);
    }
    /* A plausible edit keeps the JSON: the next line names it. */
    {
        char *copy = strdup(orig);
        char *p = strstr(copy, "\"outcome\":\"failed\"");

        assert_non_null(p);
        memcpy(p, "\"outcome\":\"fooled\"", 18);
        spit(path, copy, len);
        assert_int_equal(bad_line_of(path, &err), 2);
        assert_int_equal(err.code, MBK_ENGINE_EDIGEST);
        assert_non_null(strstr(err.message, "line 2 has a \"prev\""));
        free(copy);
    }
    free(orig);
}

static void
test_audit_verify_deleted_and_reordered_lines(void **state)
{
    struct fixture *fx = *state;
    char path[160];
    char *buf;
    char *lines[8];
    struct mbk_error err;
    FILE *f;

    write_log(fx->log, 5);
    buf = slurp(fx->log, NULL);
    assert_int_equal(split_lines(buf, lines, 8), 5);
    snprintf(path, sizeof(path), "%s/changed.log", fx->dir);

    /* Line 3 deleted: line 4, now the third, no longer chains. */
    f = fopen(path, "w");
    fprintf(f, "%s\n%s\n%s\n%s\n", lines[0], lines[1], lines[3], lines[4]);
    fclose(f);
    assert_int_equal(bad_line_of(path, &err), 3);
    assert_int_equal(err.code, MBK_ENGINE_EDIGEST);

    /* The first line deleted. */
    f = fopen(path, "w");
    fprintf(f, "%s\n%s\n%s\n%s\n", lines[1], lines[2], lines[3], lines[4]);
    fclose(f);
    assert_int_equal(bad_line_of(path, &err), 1);
    assert_non_null(strstr(err.message, "not 64 zeros"));

    /* Lines 2 and 3 swapped. */
    f = fopen(path, "w");
    fprintf(f, "%s\n%s\n%s\n%s\n%s\n", lines[0], lines[2], lines[1], lines[3],
            lines[4]);
    fclose(f);
    assert_int_equal(bad_line_of(path, &err), 2);
    assert_non_null(strstr(err.message, "line 2 has a \"prev\""));
    assert_non_null(strstr(err.message, "breaks again at line 3"));

    /* An empty line slipped in. */
    f = fopen(path, "w");
    fprintf(f, "%s\n\n%s\n", lines[0], lines[1]);
    fclose(f);
    assert_int_equal(bad_line_of(path, &err), 2);
    assert_non_null(strstr(err.message, "not a JSON object"));
    free(buf);
}

static int
count_fn(struct json_object *line, void *ud)
{
    struct json_object **newest = ud;

    if (*newest == NULL) {
        *newest = json_object_get(line);
    }
    return 0;
}

static void
test_audit_torn_last_line(void **state)
{
    struct fixture *fx = *state;
    struct json_object *newest = NULL;
    struct json_object *v;
    struct mbk_error err;
    struct mbk_audit *a;
    uint64_t total = 0;
    uint64_t lines = 0;
    uint64_t bad = 0;
    char *buf;
    size_t len;
    int fd;

    write_log(fx->log, 3);
    /* A crash in the middle of a write. */
    fd = open(fx->log, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"time\":\"2026-", 14), 14);
    close(fd);
    assert_int_equal(mbk_audit_verify(fx->log, &lines, &bad, &err), -1);
    assert_int_equal(lines, 4);
    assert_int_equal(bad, 4);
    assert_non_null(strstr(err.message, "line 4 is torn"));

    /* The next append ends the torn line and chains on from it. */
    a = mbk_audit_open(fx->log, &err);
    assert_non_null(a);
    append_one(a, "upload", "carol", 99);
    append_one(a, "upload", "carol", 100);
    mbk_audit_close(a);
    buf = slurp(fx->log, &len);
    assert_non_null(strstr(buf, "{\"time\":\"2026-\n{\"time\":"));
    assert_int_equal(buf[len - 1], '\n');
    free(buf);
    assert_int_equal(mbk_audit_verify(fx->log, &lines, &bad, &err), -1);
    assert_int_equal(lines, 6);
    assert_int_equal(bad, 4);
    assert_non_null(strstr(err.message, "line 4 is not a JSON object"));
    assert_non_null(strstr(err.message, "the 2 lines after it chain on"));

    /* Reading skips it. */
    assert_int_equal(mbk_audit_read(fx->log, NULL, 0, 0, count_fn, &newest,
                                    &total, &err),
                     0);
    assert_int_equal(total, 5);
    assert_true(json_object_object_get_ex(newest, "params", &v));
    assert_string_equal(json_object_to_json_string(v), "{ \"i\": 100 }");
    json_object_put(newest);
}

static void
test_audit_secrets_never_written(void **state)
{
    static const char *const secrets[] = {"hunter2", "s3cr3t", "tok-123",
                                          "sekret", "pw0rd", "p@ss",
                                          "deep-pass"};
    struct fixture *fx = *state;
    struct mbk_audit_entry e;
    struct mbk_error err;
    struct mbk_audit *a = mbk_audit_open(fx->log, &err);
    struct json_object *params = json_tokener_parse(
        "{\"uri\":\"mongodb://admin:hunter2@db1:27017/crm?authSource=admin\","
        "\"password\":\"s3cr3t\",\"apiToken\":\"tok-123\","
        "\"Client_Secret\":\"sekret\",\"DbPassword\":\"pw0rd\","
        "\"hosts\":[\"mongodb+srv://u:p@ss@cluster0/x\",\"plain\"],"
        "\"nested\":{\"auth\":{\"PASSWORD\":\"deep-pass\",\"user\":\"u\"}},"
        "\"collections\":[\"users\",\"roles\"]}");
    struct json_object *v;
    char *buf;

    assert_non_null(a);
    assert_non_null(params);
    memset(&e, 0, sizeof(e));
    e.operation = "backup";
    e.outcome = "failed";
    e.params = params;
    e.error = "connection to mongodb://admin:hunter2@db1:27017 failed";
    assert_int_equal(mbk_audit_append(a, &e, &err), 0);
    mbk_audit_close(a);
    /* The caller's object is not touched. */
    assert_true(json_object_object_get_ex(params, "password", &v));
    json_object_put(params);

    buf = slurp(fx->log, NULL);
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (strstr(buf, secrets[i]) != NULL) {
            fail_msg("\"%s\" written: %s", secrets[i], buf);
        }
    }
    assert_non_null(strstr(
        buf, "\"uri\":\"mongodb://admin:***@db1:27017/crm?authSource=admin\""));
    assert_non_null(strstr(buf, "\"mongodb+srv://u:***@cluster0/x\""));
    assert_non_null(strstr(buf, "\"auth\":{\"user\":\"u\"}"));
    assert_non_null(strstr(buf, "\"collections\":[\"users\",\"roles\"]"));
    assert_non_null(strstr(buf, "mongodb://admin:***@db1:27017 failed"));
    free(buf);
}

static void
test_audit_line_size_is_bounded(void **state)
{
    struct fixture *fx = *state;
    struct mbk_audit_entry e;
    struct mbk_error err;
    struct mbk_audit *a = mbk_audit_open(fx->log, &err);
    struct json_object *params = json_object_new_object();
    char *big = malloc(100001);
    char *buf;
    char *lines[4];
    uint64_t n = 0;
    uint64_t bad = 0;

    assert_non_null(a);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    json_object_object_add(params, "filter", json_object_new_string(big));
    memset(&e, 0, sizeof(e));
    e.operation = "restore";
    e.outcome = "failed";
    e.params = params;
    e.error = big; /* cut at 4 KiB */
    assert_int_equal(mbk_audit_append(a, &e, &err), 0);
    /* Nothing left to cut: refused, and the log is unchanged. */
    e.params = NULL;
    e.user = big;
    assert_int_equal(mbk_audit_append(a, &e, &err), -1);
    assert_non_null(strstr(err.message, "does not fit"));
    mbk_audit_close(a);
    json_object_put(params);
    free(big);

    buf = slurp(fx->log, NULL);
    assert_int_equal(split_lines(buf, lines, 4), 1);
    assert_true(strlen(lines[0]) <= MBK_AUDIT_LINE_MAX);
    assert_non_null(strstr(lines[0], "\"params\":{\"truncated\":true,"
                                     "\"bytes\":100013}"));
    assert_non_null(strstr(lines[0], "\"error\":\"xxxx"));
    assert_true(strlen(lines[0]) < 4096 + 400);
    free(buf);
    assert_int_equal(mbk_audit_verify(fx->log, &n, &bad, &err), 0);
    assert_int_equal(n, 1);
}

/* ---- concurrency ------------------------------------------------------ */

struct worker {
    struct mbk_audit *shared; /* or NULL: open its own */
    const char *path;
    int id;
};

#define PER_WORKER 40

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    struct mbk_error err;
    struct mbk_audit *a = w->shared;

    if (a == NULL) {
        a = mbk_audit_open(w->path, &err);
        if (a == NULL) {
            return "open";
        }
    }
    for (int i = 0; i < PER_WORKER; i++) {
        struct mbk_audit_entry e;

        memset(&e, 0, sizeof(e));
        e.operation = "download";
        e.outcome = "ok";
        e.user = w->id % 2 ? "odd" : "even";
        if (mbk_audit_append(a, &e, &err) != 0) {
            return "append";
        }
    }
    if (w->shared == NULL) {
        mbk_audit_close(a);
    }
    return NULL;
}

static void
test_audit_concurrent_threads(void **state)
{
    struct fixture *fx = *state;
    struct mbk_error err;
    struct mbk_audit *a = mbk_audit_open(fx->log, &err);
    pthread_t t[4];
    struct worker w[4];
    uint64_t lines = 0;
    uint64_t bad = 0;

    assert_non_null(a);
    /* Two threads share one struct, two open their own. */
    for (int i = 0; i < 4; i++) {
        w[i].shared = i < 2 ? a : NULL;
        w[i].path = fx->log;
        w[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *res;

        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    mbk_audit_close(a);
    if (mbk_audit_verify(fx->log, &lines, &bad, &err) != 0) {
        fail_msg("verify: %s", err.message);
    }
    assert_int_equal(lines, 4 * PER_WORKER);
}

static void
test_audit_concurrent_processes(void **state)
{
    struct fixture *fx = *state;
    struct mbk_error err;
    struct mbk_audit *a;
    pid_t pid[2];
    uint64_t lines = 0;
    uint64_t bad = 0;
    struct worker w = {NULL, fx->log, 0};

    /* The parent's struct caches its last hash: children appending in
     * between must not break its chain. */
    a = mbk_audit_open(fx->log, &err);
    assert_non_null(a);
    append_one(a, "backup", "parent", 1);
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            w.id = i;
            _exit(worker_run(&w) == NULL ? 0 : 1);
        }
    }
    w.shared = a;
    assert_null(worker_run(&w));
    for (int i = 0; i < 2; i++) {
        int status;

        assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    append_one(a, "backup", "parent", 2);
    mbk_audit_close(a);
    if (mbk_audit_verify(fx->log, &lines, &bad, &err) != 0) {
        fail_msg("verify: %s", err.message);
    }
    assert_int_equal(lines, 3 * PER_WORKER + 2);
}

/* ---- reading ---------------------------------------------------------- */

struct collect {
    int ids[64];
    int n;
    int stop_after;
};

static int
collect_fn(struct json_object *line, void *ud)
{
    struct collect *c = ud;
    struct json_object *params;
    struct json_object *i;

    assert_true(json_object_object_get_ex(line, "params", &params));
    assert_true(json_object_object_get_ex(params, "i", &i));
    assert_true(c->n < 64);
    c->ids[c->n++] = json_object_get_int(i);
    return c->stop_after != 0 && c->n == c->stop_after;
}

static void
test_audit_read_filter_and_pages(void **state)
{
    struct fixture *fx = *state;
    struct mbk_audit_filter f;
    struct collect c;
    struct mbk_error err;
    uint64_t total = 0;

    write_log(fx->log, 30); /* i even: backup, odd: restore */

    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, NULL, 0, 0, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 30);
    assert_int_equal(c.n, 30);
    for (int i = 0; i < 30; i++) {
        assert_int_equal(c.ids[i], 29 - i);
    }

    /* Restores, the third to the seventh newest. */
    memset(&f, 0, sizeof(f));
    f.operation = "restore";
    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, &f, 2, 5, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 15);
    assert_int_equal(c.n, 5);
    assert_int_equal(c.ids[0], 25);
    assert_int_equal(c.ids[4], 17);

    /* Failed restores: i odd and a multiple of 3. */
    f.outcome = "failed";
    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, &f, 0, 0, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 5);
    assert_int_equal(c.ids[0], 27);
    assert_int_equal(c.ids[4], 3);

    /* Text, case ignored; a user that never appears. */
    memset(&f, 0, sizeof(f));
    f.text = "\"I\":2}";
    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, &f, 0, 0, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 1);
    assert_int_equal(c.ids[0], 2);
    memset(&f, 0, sizeof(f));
    f.user = "mallory";
    assert_int_equal(mbk_audit_read(fx->log, &f, 0, 0, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 0);

    /* Past the end: nothing handed, total still counted. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, NULL, 40, 10, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 30);
    assert_int_equal(c.n, 0);

    /* The callback stops the walk. */
    memset(&c, 0, sizeof(c));
    c.stop_after = 2;
    assert_int_equal(mbk_audit_read(fx->log, NULL, 0, 0, collect_fn, &c,
                                    &total, &err),
                     -1);
    assert_int_equal(err.code, MBK_ENGINE_ECANCELED);
    assert_int_equal(c.n, 2);

    /* A missing log reads as empty. */
    total = 7;
    assert_int_equal(mbk_audit_read("/nonexistent/audit.log", NULL, 0, 0,
                                    collect_fn, &c, &total, &err),
                     0);
    assert_int_equal(total, 0);
}

/* Lines written here with chosen times, chained by the test's own
 * SHA-256: the format is what the engine reads and verifies. */
static void
write_timed_log(const char *path, int n, int pad)
{
    FILE *f = fopen(path, "w");
    char prev[65] = ZEROS;
    char *line = malloc((size_t)pad + 256);

    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        int len = snprintf(line, (size_t)pad + 256,
                           "{\"time\":\"2026-01-%02dT%02d:00:00.000Z\","
                           "\"operation\":\"backup\",\"params\":{\"i\":%d,"
                           "\"pad\":\"%*s\"},\"outcome\":\"ok\","
                           "\"duration\":0.000,\"prev\":\"%s\"}",
                           1 + i / 24, i % 24, i, pad, "", prev);

        fprintf(f, "%s\n", line);
        sha256_hex(line, (size_t)len, prev);
    }
    fclose(f);
    free(line);
}

static void
test_audit_read_times(void **state)
{
    struct fixture *fx = *state;
    struct mbk_audit_filter f;
    struct collect c;
    struct mbk_error err;
    uint64_t total = 0;
    uint64_t lines = 0;
    uint64_t bad = 0;

    write_timed_log(fx->log, 48, 10); /* Jan 1 and 2, hourly */
    assert_int_equal(mbk_audit_verify(fx->log, &lines, &bad, &err), 0);
    assert_int_equal(lines, 48);
    memset(&f, 0, sizeof(f));
    f.since = "2026-01-02";
    assert_int_equal(mbk_audit_read(fx->log, &f, 0, 0, NULL, NULL, &total,
                                    &err),
                     0);
    assert_int_equal(total, 24);
    /* since is inclusive, until exclusive, whatever the precision. */
    f.since = "2026-01-01T05:00:00Z";
    f.until = "2026-01-01T07:00";
    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, &f, 0, 0, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 2);
    assert_int_equal(c.ids[0], 6);
    assert_int_equal(c.ids[1], 5);
    f.until = "2026-01-01 05:00:00.001";
    assert_int_equal(mbk_audit_read(fx->log, &f, 0, 0, NULL, NULL, &total,
                                    &err),
                     0);
    assert_int_equal(total, 1);
    f.since = "yesterday";
    assert_int_equal(mbk_audit_read(fx->log, &f, 0, 0, NULL, NULL, &total,
                                    &err),
                     -1);
    assert_int_equal(err.code, MBK_ENGINE_EINVAL);
}

/* A log of several chunks read backwards and walked forwards. */
static void
test_audit_read_large_log(void **state)
{
    struct fixture *fx = *state;
    struct collect c;
    struct mbk_error err;
    struct mbk_audit *a;
    uint64_t total = 0;
    uint64_t lines = 0;
    uint64_t bad = 0;

    write_timed_log(fx->log, 2000, 1000); /* about 2.2 MB */
    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, NULL, 1234, 3, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(total, 2000);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.ids[0], 765);
    assert_int_equal(c.ids[2], 763);
    memset(&c, 0, sizeof(c));
    assert_int_equal(mbk_audit_read(fx->log, NULL, 1998, 0, collect_fn, &c,
                                    &total, &err),
                     0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ids[1], 0);
    /* The engine chains on to lines it did not write. */
    a = mbk_audit_open(fx->log, &err);
    assert_non_null(a);
    append_one(a, "delete", "bob", 2000);
    mbk_audit_close(a);
    if (mbk_audit_verify(fx->log, &lines, &bad, &err) != 0) {
        fail_msg("verify: %s", err.message);
    }
    assert_int_equal(lines, 2001);
}

static void
test_audit_reopen_after_rotation(void **state)
{
    struct fixture *fx = *state;
    struct mbk_error err;
    struct mbk_audit *a = mbk_audit_open(fx->log, &err);
    char rotated[160];
    char rotated2[160];
    char *buf;
    char *lines[4];
    uint64_t n = 0;
    uint64_t bad = 0;

    assert_non_null(a);
    snprintf(rotated, sizeof(rotated), "%s.1", fx->log);
    snprintf(rotated2, sizeof(rotated2), "%s.2", fx->log);
    append_one(a, "backup", "alice", 1);
    append_one(a, "backup", "alice", 2);

    /* logrotate renames; the next append lands in a new file at path,
     * which starts its own chain. */
    assert_int_equal(rename(fx->log, rotated), 0);
    append_one(a, "backup", "alice", 3);
    assert_int_equal(mbk_audit_verify(rotated, &n, &bad, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(mbk_audit_verify(fx->log, &n, &bad, &err), 0);
    assert_int_equal(n, 1);
    buf = slurp(fx->log, NULL);
    assert_int_equal(split_lines(buf, lines, 4), 1);
    assert_non_null(strstr(lines[0], "\"prev\":\"" ZEROS "\""));
    free(buf);

    /* And with a created file and an explicit reopen (SIGHUP). */
    assert_int_equal(rename(fx->log, rotated2), 0);
    spit(fx->log, "", 0);
    assert_int_equal(mbk_audit_reopen(a, &err), 0);
    append_one(a, "backup", "alice", 4);
    append_one(a, "backup", "alice", 5);
    mbk_audit_close(a);
    assert_int_equal(mbk_audit_verify(fx->log, &n, &bad, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(mbk_audit_verify(rotated2, &n, &bad, &err), 0);
    assert_int_equal(n, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_audit_line_keys_in_order),
        T(test_audit_append_refuses_incomplete_entries),
        T(test_audit_verify_intact_chain),
        T(test_audit_verify_any_edited_byte),
        T(test_audit_verify_deleted_and_reordered_lines),
        T(test_audit_torn_last_line),
        T(test_audit_secrets_never_written),
        T(test_audit_line_size_is_bounded),
        T(test_audit_concurrent_threads),
        T(test_audit_concurrent_processes),
        T(test_audit_read_filter_and_pages),
        T(test_audit_read_times),
        T(test_audit_read_large_log),
        T(test_audit_reopen_after_rotation),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
