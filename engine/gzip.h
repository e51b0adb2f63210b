/*
 * gzip.h: gzip compression for backups with libdeflate: a pool of threads
 * (one per core) that compresses fixed-size blocks of a stream as separate
 * gzip members, and writes them to the stream's sink in order.  At most a
 * fixed number of blocks is in memory at once; several streams (one per
 * collection being read) share one pool, so a single large collection is
 * compressed on every core too.  Concatenated members are one gzip file
 * (RFC 1952, section 2.2).
 *
 * Thread safety: a pool is used by any number of threads at once; a stream
 * has one owner thread, but its sink is called from pool threads (one at a
 * time, in order).
 */
#ifndef MBK_ENGINE_GZIP_H
#define MBK_ENGINE_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/error.h"

/* libdeflate's levels; the default chosen by bench/compress (README,
 * Performance): the output within 3% of `gzip -6`'s size, faster. */
#define MBK_GZIP_LEVEL_MIN 1
#define MBK_GZIP_LEVEL_MAX 12
#define MBK_GZIP_LEVEL_DEFAULT 6

/* Uncompressed bytes per member written by a pool. */
#define MBK_GZIP_BLOCK ((size_t)1 << 20)

/* 0, or -1 with an error naming the level and the range. */
int
mbk_gzip_level_check(long level, struct mbk_error *err);

/* A level given as text ("6"); *level set only on success. */
int
mbk_gzip_level_parse(const char *s, int *level, struct mbk_error *err);

/* Compress p..n as one gzip member appended to out. */
int
mbk_gzip_compress_buf(const void *p, size_t n, int level, struct mbk_buf *out,
                      struct mbk_error *err);

struct mbk_gzip_pool;
struct mbk_gzip_stream;

/* threads 0: one per online core. */
struct mbk_gzip_pool *
mbk_gzip_pool_new(int level, unsigned threads, struct mbk_error *err);

/* NULL-safe; every stream of it must be freed first. */
void
mbk_gzip_pool_free(struct mbk_gzip_pool *p);

/* Called with each member, in order, from a pool thread or the owner. */
typedef int (*mbk_gzip_sink_fn)(void *ud, const void *p, size_t n,
                                struct mbk_error *err);

struct mbk_gzip_stream *
mbk_gzip_stream_new(struct mbk_gzip_pool *p, mbk_gzip_sink_fn sink, void *ud,
                    struct mbk_error *err);

/* Blocks while the pool has no free block.  A sink's error comes back
 * from the next write or finish. */
int
mbk_gzip_stream_write(struct mbk_gzip_stream *s, const void *buf, size_t n,
                      struct mbk_error *err);

/* Compresses what is left (an empty stream gives one empty member) and
 * returns once every member went to the sink. */
int
mbk_gzip_stream_finish(struct mbk_gzip_stream *s, struct mbk_error *err);

/* NULL-safe; waits for its blocks in flight and drops their output. */
void
mbk_gzip_stream_free(struct mbk_gzip_stream *s);

/* ---- inflating whole members (gzip_inflate.c) ----------------------
 * Members of at most MBK_GZIP_BLOCK bytes (what mbk writes) are inflated
 * at once by libdeflate, about three times faster than zlib; anything
 * else is left to the caller's streaming zlib.  One owner. */
struct mbk_gzip_inflater;

struct mbk_gzip_inflater *
mbk_gzip_inflater_new(struct mbk_error *err);

void
mbk_gzip_inflater_free(struct mbk_gzip_inflater *z); /* NULL-safe */

/* Inflate the member that starts at in[0] (n bytes available).  1: done,
 * *used input bytes, the output lent in *out, *out_len (valid until the
 * next call); 0: not one whole small member (larger, cut short in in[],
 * or corrupt): stream it with zlib instead, which says what is wrong. */
int
mbk_gzip_inflate_member(struct mbk_gzip_inflater *z, const void *in,
                        size_t n, size_t *used, const unsigned char **out,
                        size_t *out_len);

/* The input that always holds a whole member of mbk's, if the file has it:
 * libdeflate's bound for MBK_GZIP_BLOCK at level 1 and a header's names. */
#define MBK_GZIP_MEMBER_WINDOW (MBK_GZIP_BLOCK + ((size_t)128 << 10))

#endif /* MBK_ENGINE_GZIP_H */
