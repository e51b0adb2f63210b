/*
 * gzip_inflate.c: whole gzip members inflated by libdeflate, for readers
 * (engine/source.c) that fall back to zlib's streaming inflate for members
 * larger than a block, so memory stays bounded whatever the input.
 */
#include "config.h"

#include <stdlib.h>

#include <libdeflate.h>

#include "engine/gzip.h"

struct mbk_gzip_inflater {
    struct libdeflate_decompressor *d;
    unsigned char *out; /* MBK_GZIP_BLOCK bytes */
};

struct mbk_gzip_inflater *
mbk_gzip_inflater_new(struct mbk_error *err)
{
    struct mbk_gzip_inflater *z = calloc(1, sizeof(*z));

    if (z != NULL) {
        z->d = libdeflate_alloc_decompressor();
        z->out = malloc(MBK_GZIP_BLOCK);
    }
    if (z == NULL || z->d == NULL || z->out == NULL) {
        mbk_gzip_inflater_free(z);
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "out of memory");
        return NULL;
    }
    return z;
}

void
mbk_gzip_inflater_free(struct mbk_gzip_inflater *z)
{
    if (z == NULL) {
        return;
    }
    libdeflate_free_decompressor(z->d);
    free(z->out);
    free(z);
}

int
mbk_gzip_inflate_member(struct mbk_gzip_inflater *z, const void *in,
                        size_t n, size_t *used, const unsigned char **out,
                        size_t *out_len)
{
    size_t in_used = 0;
    size_t got = 0;
    enum libdeflate_result rc;

    /* SHORT_OUTPUT cannot happen with actual_out_nbytes; BAD_DATA covers
     * a member cut short by the end of in[], INSUFFICIENT_SPACE one that
     * is larger than a block: zlib streams both. */
    rc = libdeflate_gzip_decompress_ex(z->d, in, n, z->out, MBK_GZIP_BLOCK,
                                       &in_used, &got);
    if (rc != LIBDEFLATE_SUCCESS) {
        return 0;
    }
    *used = in_used;
    *out = z->out;
    *out_len = got;
    return 1;
}
