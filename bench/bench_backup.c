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

#include <mongoc/mongoc.h>

#include "bench/crm.h"
#include "tests/integration/harness.h"

int
main(int argc, char **argv)
{
    long sizes[16] = {10000, 100000};
    int nsizes = 2;
    int nsizes_given = 0;
    int with_restore = 0;
    const char *uri;
    char dir[] = "/tmp/mbk-bench-backup-XXXXXX";

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
        struct bench_usage u;
        double t0 = bench_now();

        bench_crm_fill(client, db, sizes[i]);
        fprintf(stderr, "(filled %ld documents in %.1f s)\n", sizes[i],
                bench_now() - t0);
        snprintf(storage, sizeof(storage), "fs:%s", dir);
        snprintf(plain, sizeof(plain), "bench-%ld", sizes[i]);
        snprintf(gz, sizeof(gz), "bench-%ld-gz", sizes[i]);
        {
            const char *a[] = {"backup", "--uri", uri, "--db", db,
                               "--storage", storage, "--name", plain,
                               "--quiet", NULL};
            const char *b[] = {"backup", "--uri", uri, "--db", db,
                               "--storage", storage, "--name", gz,
                               "--gzip", "--quiet", NULL};

            bench_run_mbk("backup", sizes[i], a, &u);
            bench_run_mbk("backup --gzip", sizes[i], b, &u);
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
            bench_run_mbk("restore", sizes[i], r, &u);
            bench_run_mbk("restore gz --drop", sizes[i], rd, &u);
            mbk_test_db_drop(target);
        }
        mbk_test_db_drop(db);
        free(db);
        mongoc_client_destroy(client);
    }
    bench_rm_rf(dir);
    mongoc_cleanup();
    return 0;
}
