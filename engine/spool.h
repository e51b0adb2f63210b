/*
 * spool.h: an anonymous temporary file that holds one part of a backup
 * being written (plain text, or complete gzip members), so that parts
 * written in parallel can be assembled in order afterwards.  The file is
 * unlinked from the start: a crash leaves nothing behind.  One owner.
 */
#ifndef MBK_ENGINE_SPOOL_H
#define MBK_ENGINE_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/buf.h"
#include "engine/error.h"
#include "engine/gzip.h"

struct mbk_spool;

/* gz NULL: plain; else the content becomes gzip members compressed by
 * that pool (which must outlive the spool). */
struct mbk_spool *
mbk_spool_new(const char *dir, struct mbk_gzip_pool *gz,
              struct mbk_error *err);

void
mbk_spool_free(struct mbk_spool *sp); /* NULL-safe; closes the file */

int
mbk_spool_write(struct mbk_spool *sp, const void *p, size_t n,
                struct mbk_error *err);

/* Ends the gzip members and flushes; no write after it. */
int
mbk_spool_finish(struct mbk_spool *sp, struct mbk_error *err);

/* Bytes in the file (valid after finish). */
uint64_t
mbk_spool_get_size(const struct mbk_spool *sp);

typedef int (*mbk_spool_sink_fn)(void *ud, const void *p, size_t n,
                                 struct mbk_error *err);

/* Stream the file's bytes to sink in bounded chunks. */
int
mbk_spool_copy(struct mbk_spool *sp, mbk_spool_sink_fn sink, void *ud,
               struct mbk_error *err);

/* Read back up to len bytes at off (after finish): >0, 0 at the end. */
ssize_t
mbk_spool_pread(struct mbk_spool *sp, void *buf, size_t len, uint64_t off,
                struct mbk_error *err);

/* Compress p..n as one whole gzip member appended to out (level: see
 * gzip.h). */
int
mbk_spool_gzip_buf(const void *p, size_t n, int level, struct mbk_buf *out,
                   struct mbk_error *err);

#endif /* MBK_ENGINE_SPOOL_H */
