/*
 * gzip_write.c: test helper: stdin through mbk's gzip pool to stdout, the
 * way a backup's spool receives it (writes of at most 256 KiB, or stdin
 * whole in one write with --one-write).  Usage: gzip_write LEVEL
 * [--one-write]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gzip.h"

static int
stdout_sink(void *ud, const void *p, size_t n, struct mbk_error *err)
{
    (void)ud;
    if (fwrite(p, 1, n, stdout) != n) {
        return mbk_error_set(err, MBK_ERROR_SYS, 0, "fwrite() failed");
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct mbk_gzip_pool *p = NULL;
    struct mbk_gzip_stream *s = NULL;
    struct mbk_buf in;
    struct mbk_error err;
    char chunk[256 * 1024];
    size_t n;
    int level = 0;
    int one = argc > 2 && strcmp(argv[2], "--one-write") == 0;
    int rc = 1;

    mbk_buf_init(&in, (size_t)1 << 30);
    mbk_error_clear(&err);
    if (argc < 2 || mbk_gzip_level_parse(argv[1], &level, &err) != 0) {
        fprintf(stderr, "usage: gzip_write LEVEL [--one-write] %s\n",
                err.message);
        return 2;
    }
    p = mbk_gzip_pool_new(level, 0, &err);
    if (p == NULL || (s = mbk_gzip_stream_new(p, stdout_sink, NULL, &err)) ==
                         NULL) {
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if ((one ? mbk_buf_append(&in, chunk, n, &err)
                 : mbk_gzip_stream_write(s, chunk, n, &err)) != 0) {
            goto out;
        }
    }
    if (one && mbk_gzip_stream_write(s, in.data, in.len, &err) != 0) {
        goto out;
    }
    if (mbk_gzip_stream_finish(s, &err) != 0 || fflush(stdout) != 0) {
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) {
        fprintf(stderr, "gzip_write: %s\n", err.message);
    }
    mbk_gzip_stream_free(s);
    mbk_gzip_pool_free(p);
    mbk_buf_free(&in);
    return rc;
}
