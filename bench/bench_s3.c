/*
 * bench_s3.c: upload and download throughput of one backup through the s3
 * plugin, and the process's peak RSS.  Run by bench/s3 under
 * tests/s3/with-rgw (AWS_* and MBK_TEST_S3_BUCKET set).
 * Usage: bench_s3 PLUGIN_DIR MIB [part_size_mib]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "storage/loader.h"

#define MIB (1024 * 1024)

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The resident set now (VmRSS), KiB; -1 when /proc does not say. */
static long
rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return kib;
}

/* Every GiB: the RSS then, to show that it stays flat. */
static void
sample(const char *what, long mib_done)
{
    if (mib_done > 0 && mib_done % 1024 == 0) {
        printf("  %s %5ld MiB: RSS %ld KiB\n", what, mib_done, rss_kib());
        fflush(stdout);
    }
}

static long
peak_rss_kib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int
main(int argc, char **argv)
{
    static unsigned char buf[MIB];
    struct mbk_storage_option opt[1] = { { "part_size_mib", "8" } };
    struct mbk_storage_writer *w;
    struct mbk_storage_reader *r;
    struct mbk_storage *s;
    struct mbk_error err;
    const char *bucket = getenv("MBK_TEST_S3_BUCKET");
    char spec[256];
    long mib;
    long i;
    double t0;
    double up;
    double down;
    long long got = 0;
    ssize_t n;

    if (argc < 3 || bucket == NULL) {
        fprintf(stderr, "usage: bench_s3 PLUGIN_DIR MIB [part_size_mib] "
                        "(under tests/s3/with-rgw)\n");
        return 2;
    }
    mib = strtol(argv[2], NULL, 10);
    if (argc > 3) {
        opt[0].value = argv[3];
    }
    for (i = 0; i < (long) sizeof(buf); i++) {
        buf[i] = (unsigned char) (i * 7 + (i >> 9));
    }
    snprintf(spec, sizeof(spec), "s3://%s/bench", bucket);
    s = mbk_storage_open_options(spec, opt, 1, argv[1], &err);
    if (s == NULL) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    t0 = now();
    w = mbk_storage_put_begin(s, "bench.json", mib * MIB, NULL, &err);
    for (i = 0; w != NULL && i < mib; i++) {
        buf[0] = (unsigned char) i;
        if (mbk_storage_put_write(s, w, buf, sizeof(buf), &err) != 0) {
            mbk_storage_put_abort(s, w);
            w = NULL;
        }
        sample("uploaded", i + 1);
    }
    if (w == NULL || mbk_storage_put_commit(s, w, &err) != 0) {
        fprintf(stderr, "put: %s\n", err.message);
        return 1;
    }
    up = now() - t0;
    printf("upload   %ld MiB in %.2f s: %.1f MiB/s (parts of %s MiB), peak "
           "RSS %ld KiB\n", mib, up, (double) mib / up, opt[0].value,
           peak_rss_kib());
    t0 = now();
    r = mbk_storage_get_open(s, "bench.json", &err);
    while (r != NULL && (n = mbk_storage_get_read(s, r, buf, sizeof(buf),
                                                  &err)) > 0) {
        if ((got + n) / MIB != got / MIB) {
            sample("read", (long) ((got + n) / MIB));
        }
        got += n;
    }
    if (r == NULL || got != (long long) mib * MIB) {
        fprintf(stderr, "get: %s\n", err.message);
        return 1;
    }
    mbk_storage_get_close(s, r);
    down = now() - t0;
    printf("download %ld MiB in %.2f s: %.1f MiB/s, peak RSS %ld KiB\n", mib,
           down, (double) mib / down, peak_rss_kib());
    mbk_storage_remove(s, "bench.json", &err);
    mbk_storage_close(s);
    return 0;
}
