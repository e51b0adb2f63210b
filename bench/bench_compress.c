/*
 * bench_compress.c: gzip compressors on the same backup JSON in one run.
 * Fills a database with N CRM-like documents (bench/crm.c), takes `mbk
 * backup` with and without --gzip (client CPU), then compresses the plain
 * backup file with zlib level 6 (in process, as mbk did before), mbk's
 * pool at several levels (in process, every core), `gzip -6` and `pigz -6`.
 * Usage: bench_compress [N]        (default 100000)
 *        bench_compress --file F   (compressors only, on F)
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "bench/crm.h"
#include "engine/gzip.h"
#include "tests/integration/harness.h"

struct input {
    unsigned char *p;
    size_t n;
};

static double
cpu_self(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
row(const char *what, const struct input *in, double wall, double cpu,
    unsigned long long size, unsigned long long anchor)
{
    printf("| %-24s | %7.3f s | %7.3f s | %11llu | %+6.1f %% | %7.1f |\n",
           what, wall, cpu, size,
           anchor ? 100.0 * ((double)size - (double)anchor) / (double)anchor
                  : 0.0,
           (double)in->n / wall / 1e6);
    fflush(stdout);
}

static void
load(const char *path, struct input *in)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;

    if (f == NULL || fstat(fileno(f), &sb) != 0) {
        perror(path);
        exit(1);
    }
    in->n = (size_t)sb.st_size;
    in->p = malloc(in->n ? in->n : 1);
    if (in->p == NULL || fread(in->p, 1, in->n, f) != in->n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
}

/* zlib level 6, one stream, 256 KiB of output at a time: mbk's old path. */
static unsigned long long
zlib6(const struct input *in)
{
    static unsigned char out[256 * 1024];
    unsigned long long total = 0;
    z_stream z;
    int rc;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        exit(1);
    }
    z.next_in = in->p;
    z.avail_in = (uInt)in->n;
    do {
        z.next_out = out;
        z.avail_out = sizeof(out);
        rc = deflate(&z, Z_FINISH);
        total += sizeof(out) - z.avail_out;
    } while (rc == Z_OK || rc == Z_BUF_ERROR);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        exit(1);
    }
    return total;
}

static int
count_sink(void *ud, const void *p, size_t n, struct mbk_error *err)
{
    (void)p;
    (void)err;
    *(unsigned long long *)ud += n;
    return 0;
}

/* The backup's path: one pool, one stream, 256 KiB writes. */
static unsigned long long
pool(const struct input *in, int level)
{
    unsigned long long total = 0;
    struct mbk_gzip_pool *p;
    struct mbk_gzip_stream *s;
    struct mbk_error e;

    p = mbk_gzip_pool_new(level, 0, &e);
    s = p ? mbk_gzip_stream_new(p, count_sink, &total, &e) : NULL;
    if (s == NULL) {
        fprintf(stderr, "pool: %s\n", e.message);
        exit(1);
    }
    for (size_t off = 0; off < in->n; off += 256 * 1024) {
        size_t k = in->n - off < 256 * 1024 ? in->n - off : 256 * 1024;

        if (mbk_gzip_stream_write(s, in->p + off, k, &e) != 0) {
            fprintf(stderr, "pool: %s\n", e.message);
            exit(1);
        }
    }
    if (mbk_gzip_stream_finish(s, &e) != 0) {
        fprintf(stderr, "pool: %s\n", e.message);
        exit(1);
    }
    mbk_gzip_stream_free(s);
    mbk_gzip_pool_free(p);
    return total;
}

static void
external(const char *label, const char *prog, const char *path,
         const struct input *in, unsigned long long *size,
         unsigned long long anchor)
{
    char out[] = "/tmp/mbk-bench-compress-XXXXXX";
    const char *argv[] = {prog, "-6", "-c", NULL};
    struct bench_usage u;
    struct stat sb;
    int fd;

    if (access(prog, X_OK) != 0) {
        printf("| %-24s | (%s is not installed: apt-get install %s) |\n",
               label, prog, strrchr(prog, '/') + 1);
        return;
    }
    fd = mkstemp(out);
    if (fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    close(fd);
    bench_run(argv, path, out, &u);
    if (stat(out, &sb) != 0) {
        exit(1);
    }
    unlink(out);
    *size = (unsigned long long)sb.st_size;
    row(label, in, u.wall, u.cpu, *size, anchor ? anchor : *size);
}

static void
compressors(const char *path)
{
    static const int levels[] = {1, 4, 5, 6, 7, 9};
    struct input in;
    unsigned long long gzip6 = 0;
    unsigned long long pigz6 = 0;
    unsigned long long size;
    char label[64];
    double t0;
    double c0;

    load(path, &in);
    printf("\n%zu bytes of backup JSON; %ld cores; size column: against "
           "gzip -6\n\n",
           in.n, sysconf(_SC_NPROCESSORS_ONLN));
    printf("| compressor               |    wall   |    CPU    |  output B   "
           "|  size    |  MB/s   |\n");
    printf("| --- | --- | --- | --- | --- | --- |\n");
    external("gzip -6", "/usr/bin/gzip", path, &in, &gzip6, 0);
    external("pigz -6", "/usr/bin/pigz", path, &in, &pigz6, gzip6);
    t0 = bench_now();
    c0 = cpu_self();
    size = zlib6(&in);
    row("zlib -6 (old mbk)", &in, bench_now() - t0, cpu_self() - c0, size,
        gzip6);
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        t0 = bench_now();
        c0 = cpu_self();
        size = pool(&in, levels[i]);
        snprintf(label, sizeof(label), "mbk pool level %d%s", levels[i],
                 levels[i] == MBK_GZIP_LEVEL_DEFAULT ? " (dflt)" : "");
        row(label, &in, bench_now() - t0, cpu_self() - c0, size, gzip6);
    }
    free(in.p);
}

int
main(int argc, char **argv)
{
    long n = 100000;
    const char *uri;
    char dir[] = "/tmp/mbk-bench-compress-XXXXXX";
    char storage[300];
    char path[400];
    mongoc_client_t *client;
    struct bench_usage plain;
    struct bench_usage gz;
    char *db;

    if (argc == 3 && strcmp(argv[1], "--file") == 0) {
        compressors(argv[2]);
        return 0;
    }
    if (argc > 1) {
        n = strtol(argv[1], NULL, 10);
    }
    if (getenv("MBK_BUILDDIR") == NULL) {
        fprintf(stderr, "bench_compress: set MBK_BUILDDIR (bench/compress "
                        "does)\n");
        return 2;
    }
    uri = mbk_test_mongo_uri();
    if (uri == NULL || mkdtemp(dir) == NULL) {
        return 1;
    }
    client = mongoc_client_new(uri);
    db = mbk_test_db_new("bench");
    bench_crm_fill(client, db, n);
    snprintf(storage, sizeof(storage), "fs:%s", dir);
    {
        const char *a[] = {"backup", "--uri", uri, "--db", db, "--storage",
                           storage, "--name", "plain", "--quiet", NULL};
        const char *b[] = {"backup", "--uri", uri, "--db", db, "--storage",
                           storage, "--name", "gz", "--gzip", "--quiet",
                           NULL};

        bench_run_mbk("backup", n, a, &plain);
        bench_run_mbk("backup --gzip", n, b, &gz);
        printf("backup --gzip (level %d) / backup: client CPU %.2fx\n",
               MBK_GZIP_LEVEL_DEFAULT, gz.cpu / plain.cpu);
    }
    snprintf(path, sizeof(path), "%s/plain.json", dir);
    compressors(path);
    mbk_test_db_drop(db);
    free(db);
    mongoc_client_destroy(client);
    bench_rm_rf(dir);
    return 0;
}
