/*
 * bench_backup.c: end-to-end backup benchmark.  Fills a database on the
 * development server (or MBK_TEST_MONGO_URI) with N CRM-like documents of
 * about 450 bytes, then runs the real `mbk backup` as a child process and
 * reports documents/s, the child's CPU seconds and its peak RSS.
 * Usage: bench_backup [N ...]     (default 10000 100000)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "tests/integration/harness.h"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fill(mongoc_client_t *client, const char *db, long n)
{
    mongoc_collection_t *c = mongoc_client_get_collection(client, db, "people");
    long done = 0;

    while (done < n) {
        mongoc_bulk_operation_t *bulk =
            mongoc_collection_create_bulk_operation_with_opts(c, NULL);
        bson_error_t e;
        bson_t reply;

        for (long i = 0; i < 10000 && done < n; i++, done++) {
            bson_t *doc = bson_new();
            bson_t sub;
            bson_t arr;
            bson_oid_t oid;
            char buf[96];

            bson_oid_init(&oid, NULL);
            BSON_APPEND_OID(doc, "_id", &oid);
            snprintf(buf, sizeof(buf), "Customer number %ld", done);
            BSON_APPEND_UTF8(doc, "name", buf);
            snprintf(buf, sizeof(buf), "customer%ld@example.com", done);
            BSON_APPEND_UTF8(doc, "email", buf);
            BSON_APPEND_INT32(doc, "age", (int32_t)(20 + done % 60));
            BSON_APPEND_INT64(doc, "accountNumber", 1000000000LL + done);
            BSON_APPEND_DOUBLE(doc, "balance", (double)done * 1.25 + 0.5);
            BSON_APPEND_BOOL(doc, "active", done % 3 != 0);
            BSON_APPEND_DATE_TIME(doc, "createdAt",
                                  1700000000000LL + done * 1000LL);
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

/* Run mbk with argv; print one result line. */
static void
run(const char *what, long n, const char *const *args)
{
    char mbk[4096];
    const char *argv[32];
    struct rusage ru;
    double t0;
    double wall;
    double cpu;
    int status;
    int k = 0;
    pid_t pid;

    snprintf(mbk, sizeof(mbk), "%s/cli/mbk", getenv("MBK_BUILDDIR"));
    argv[k++] = mbk;
    for (int i = 0; args[i] != NULL && k < 31; i++) {
        argv[k++] = args[i];
    }
    argv[k] = NULL;
    t0 = now();
    pid = fork();
    if (pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL) {
            _exit(126);
        }
        execv(mbk, (char *const *)argv);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "mbk %s failed (status %d)\n", what, status);
        exit(1);
    }
    wall = now() - t0;
    cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
          (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("%9ld docs  %-14s  client CPU %6.3f s  peak RSS %6.1f MiB  "
           "wall %6.2f s\n",
           n, what, cpu, (double)ru.ru_maxrss / 1024.0, wall);
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    long sizes[16] = {10000, 100000};
    int nsizes = 2;
    int nsizes_given = 0;
    int with_restore = 0;
    const char *uri;
    char dir[] = "/tmp/mbk-bench-backup-XXXXXX";
    char cmd[256];

    if (getenv("MBK_BUILDDIR") == NULL) {
        fprintf(stderr, "bench_backup: set MBK_BUILDDIR (bench/backup does)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--restore") == 0) {
            with_restore = 1;
            continue;
        }
        if (nsizes_given == 0) {
            nsizes = 0;
        }
        nsizes_given = 1;
        if (nsizes < 16) {
            sizes[nsizes++] = strtol(argv[i], NULL, 10);
        }
    }
    uri = mbk_test_mongo_uri();
    if (uri == NULL) {
        return 1;
    }
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    mongoc_init();
    for (int i = 0; i < nsizes; i++) {
        mongoc_client_t *client = mongoc_client_new(uri);
        char *db = mbk_test_db_new("bench");
        char storage[300];
        char plain[64];
        char gz[64];
        char target[96];
        double t0 = now();

        fill(client, db, sizes[i]);
        fprintf(stderr, "(filled %ld documents in %.1f s)\n", sizes[i],
                now() - t0);
        snprintf(storage, sizeof(storage), "fs:%s", dir);
        snprintf(plain, sizeof(plain), "bench-%ld", sizes[i]);
        snprintf(gz, sizeof(gz), "bench-%ld-gz", sizes[i]);
        {
            const char *a[] = {"backup", "--uri", uri, "--db", db,
                               "--storage", storage, "--name", plain,
                               "--quiet", NULL};
            const char *b[] = {"backup", "--uri", uri, "--db", db,
                               "--storage", storage, "--name", gz,
                               "--gzip=1", "--quiet", NULL};

            run("backup", sizes[i], a);
            run("backup gzip", sizes[i], b);
        }
        if (with_restore) {
            char file[96];
            char file_gz[96];
            const char *r[] = {"restore", file, "--uri", uri, "--storage",
                               storage, "--target-db", target, "--quiet",
                               NULL};
            const char *rd[] = {"restore", file_gz, "--uri", uri,
                                "--storage", storage, "--target-db", target,
                                "--drop", "--quiet", NULL};

            snprintf(file, sizeof(file), "%s.json", plain);
            snprintf(file_gz, sizeof(file_gz), "%s.json.gz", gz);
            snprintf(target, sizeof(target), "%s_r", db);
            run("restore", sizes[i], r);
            run("restore --drop", sizes[i], rd);
            mbk_test_db_drop(target);
        }
        mbk_test_db_drop(db);
        free(db);
        mongoc_client_destroy(client);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    mongoc_cleanup();
    return 0;
}
