/*
 * gunzip_all.h: for tests: inflate every member of a gzip file with zlib
 * (an independent reader of what mbk writes), noting where each member's
 * output ends.  Include after cmocka.h.
 */
#ifndef MBK_TESTS_UNIT_GUNZIP_ALL_H
#define MBK_TESTS_UNIT_GUNZIP_ALL_H

#include <string.h>

#include <zlib.h>

#include "engine/buf.h"

/* Appends to out (initialised by the caller); returns the member count;
 * ends[i] (i < max_ends) is out->len after member i. */
static inline size_t
gunzip_all(const void *gz, size_t n, struct mbk_buf *out, size_t *ends,
           size_t max_ends)
{
    unsigned char chunk[1 << 16]; /* not static: tests call it in threads */
    size_t members = 0;
    z_stream z;
    int rc;

    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)gz;
    z.avail_in = (uInt)n;
    for (;;) {
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        assert_true(rc == Z_OK || rc == Z_STREAM_END);
        assert_int_equal(mbk_buf_append(out, chunk, sizeof(chunk) - z.avail_out,
                                        NULL),
                         0);
        if (rc == Z_STREAM_END) {
            if (members < max_ends) {
                ends[members] = out->len;
            }
            members++;
            if (z.avail_in == 0) {
                break;
            }
            assert_int_equal(inflateReset(&z), Z_OK);
        }
    }
    inflateEnd(&z);
    return members;
}

#endif /* MBK_TESTS_UNIT_GUNZIP_ALL_H */
