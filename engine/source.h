/*
 * source.h: the bytes of a backup file as the parser wants them: read
 * from a storage reader or a file descriptor, recognised as gzip or plain
 * JSON by its first bytes (never by its name), gunzipped across
 * concatenated members, and bounded in total size (gzip bombs).
 * One owner at a time.
 */
#ifndef MBK_ENGINE_SOURCE_H
#define MBK_ENGINE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/error.h"
#include "storage/loader.h"

struct mbk_source;

/* Raw bytes in: like read(2), with err set on -1. */
typedef ssize_t (*mbk_source_read_fn)(void *ud, void *buf, size_t len,
                                      struct mbk_error *err);

/* max_total: most decompressed bytes accepted (0: no limit). what names
 * the input in errors, e.g. "backup \"x.json\"". */
struct mbk_source *
mbk_source_new(mbk_source_read_fn fn, void *ud, uint64_t max_total,
               const char *what, struct mbk_error *err);

/* A source on a backup in a storage; the reader is closed with it. */
struct mbk_source *
mbk_source_open_storage(struct mbk_storage *st, const char *name,
                        uint64_t max_total, struct mbk_error *err);

/* A source on an open descriptor (not closed with it). */
struct mbk_source *
mbk_source_open_fd(int fd, const char *what, uint64_t max_total,
                   struct mbk_error *err);

/* A source on a file, opened O_NOFOLLOW and closed with the source. */
struct mbk_source *
mbk_source_open_path(const char *path, uint64_t max_total,
                     struct mbk_error *err);

void
mbk_source_free(struct mbk_source *s); /* NULL-safe */

/* Decompressed bytes: >0, 0 at the end, -1 with err. */
ssize_t
mbk_source_read(struct mbk_source *s, void *buf, size_t len,
                struct mbk_error *err);

/* Read s to its end into the Extended JSON reader r, through buf (len
 * bytes), then finish r: 0, or -1 with err (a read, parse or finish
 * error). */
struct mbk_ejson_reader;
int
mbk_source_parse(struct mbk_source *s, struct mbk_ejson_reader *r, void *buf,
                 size_t len, struct mbk_error *err);

/* Every raw byte read is also handed to fn (a copy to a spool file, a
 * digest); an error from fn fails the read. */
typedef int (*mbk_source_tee_fn)(void *ud, const void *p, size_t n,
                                 struct mbk_error *err);
void
mbk_source_set_tee(struct mbk_source *s, mbk_source_tee_fn fn, void *ud);

/* After the first read: whether the input was gzip. */
bool
mbk_source_is_gzip(const struct mbk_source *s);

/* Raw (stored) bytes consumed so far. */
uint64_t
mbk_source_raw_bytes(const struct mbk_source *s);

#endif /* MBK_ENGINE_SOURCE_H */
