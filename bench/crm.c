/*
 * crm.c: the CRM-like bench documents and timed child processes shared by
 * bench_backup and bench_compress.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/crm.h"

double
bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bson_t *
crm_doc(long i)
{
    bson_t *doc = bson_new();
    bson_t sub;
    bson_t arr;
    bson_oid_t oid;
    char buf[96];

    bson_oid_init(&oid, NULL);
    BSON_APPEND_OID(doc, "_id", &oid);
    snprintf(buf, sizeof(buf), "Customer number %ld", i);
    BSON_APPEND_UTF8(doc, "name", buf);
    snprintf(buf, sizeof(buf), "customer%ld@example.com", i);
    BSON_APPEND_UTF8(doc, "email", buf);
    BSON_APPEND_INT32(doc, "age", (int32_t)(20 + i % 60));
    BSON_APPEND_INT64(doc, "accountNumber", 1000000000LL + i);
    BSON_APPEND_DOUBLE(doc, "balance", (double)i * 1.25 + 0.5);
    BSON_APPEND_BOOL(doc, "active", i % 3 != 0);
    BSON_APPEND_DATE_TIME(doc, "createdAt", 1700000000000LL + i * 1000LL);
    BSON_APPEND_DOCUMENT_BEGIN(doc, "address", &sub);
    BSON_APPEND_UTF8(&sub, "street", "1200 Long Industrial Avenue");
    BSON_APPEND_UTF8(&sub, "city", "Springfield");
    BSON_APPEND_UTF8(&sub, "zip", "12345-6789");
    BSON_APPEND_UTF8(&sub, "country", "United States of America");
    bson_append_document_end(doc, &sub);
    BSON_APPEND_ARRAY_BEGIN(doc, "tags", &arr);
    BSON_APPEND_UTF8(&arr, "0", "customer");
    BSON_APPEND_UTF8(&arr, "1", "newsletter");
    BSON_APPEND_UTF8(&arr, "2", "priority-support");
    bson_append_array_end(doc, &arr);
    BSON_APPEND_UTF8(doc, "notes",
                     "Prefers e-mail contact in the morning; renewed "
                     "the annual plan twice; asked about invoices.");
    return doc;
}

void
bench_crm_fill(mongoc_client_t *client, const char *db, long n)
{
    mongoc_collection_t *c = mongoc_client_get_collection(client, db, "people");
    long done = 0;

    while (done < n) {
        mongoc_bulk_operation_t *bulk =
            mongoc_collection_create_bulk_operation_with_opts(c, NULL);
        bson_error_t e;
        bson_t reply;

        for (long i = 0; i < 10000 && done < n; i++, done++) {
            bson_t *doc = crm_doc(done);

            mongoc_bulk_operation_insert(bulk, doc);
            bson_destroy(doc);
        }
        if (!mongoc_bulk_operation_execute(bulk, &reply, &e)) {
            fprintf(stderr, "fill: %s\n", e.message);
            exit(1);
        }
        bson_destroy(&reply);
        mongoc_bulk_operation_destroy(bulk);
    }
    mongoc_collection_destroy(c);
}

static void
redirect(const char *path, int flags, int target)
{
    int fd = open(path, flags | O_CLOEXEC, 0600);

    if (fd < 0 || dup2(fd, target) < 0) {
        _exit(126);
    }
}

void
bench_run(const char *const *argv, const char *in_path, const char *out_path,
          struct bench_usage *u)
{
    struct rusage ru;
    double t0;
    int status;
    pid_t pid;

    t0 = bench_now();
    pid = fork();
    if (pid == 0) {
        if (in_path != NULL) {
            redirect(in_path, O_RDONLY, 0);
        }
        redirect(out_path != NULL ? out_path : "/dev/null",
                 O_WRONLY | O_CREAT | O_TRUNC, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s %s failed (status %d)\n", argv[0],
                argv[1] ? argv[1] : "", status);
        exit(1);
    }
    u->wall = bench_now() - t0;
    u->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    u->rss = (double)ru.ru_maxrss / 1024.0;
}

void
bench_run_mbk(const char *what, long n, const char *const *args,
              struct bench_usage *u)
{
    char mbk[4096];
    const char *argv[32];
    int k = 0;

    snprintf(mbk, sizeof(mbk), "%s/cli/mbk", getenv("MBK_BUILDDIR"));
    argv[k++] = mbk;
    for (int i = 0; args[i] != NULL && k < 31; i++) {
        argv[k++] = args[i];
    }
    argv[k] = NULL;
    bench_run(argv, NULL, NULL, u);
    printf("%9ld docs  %-14s  client CPU %6.3f s  peak RSS %6.1f MiB  "
           "wall %6.2f s\n",
           n, what, u->cpu, u->rss, u->wall);
    fflush(stdout);
}

void
bench_rm_rf(const char *dir)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
}
