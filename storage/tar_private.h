/*
 * tar_private.h: what the tar plugin's two files share: the store, the
 * header scanner (libarchive reading headers only) and the writer lock.
 * Nothing here leaves the module (only mbk_storage_tar_plugin is exported).
 */
#ifndef MBK_STORAGE_TAR_PRIVATE_H
#define MBK_STORAGE_TAR_PRIVATE_H

#include <archive.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/mbk_storage.h"

#define BLOCK 512
#define META_XATTR "MBK.metadata"
/* libarchive refuses pax headers over 1 MiB: larger metadata is left out
 * and list() then gives NULL (the host reads the backup's head). */
#define META_MAX (512 * 1024)
#define COPY_CHUNK (64 * 1024)
#define TMP_TAG ".mbk-tmp-"
#define TMP_STALE_SECONDS 3600

struct mbk_storage_store {
    int dirfd;
    char *dir;
    char *base;     /* the archive's file name in dir */
    char *lockname; /* base + ".lock" */
    char *path;     /* dir/base, for messages */
};

/* One member, as mbk_tar_scan_next() finds it; strings are lent until the next
 * call. */
struct mbk_tar_member {
    const char *name;
    int regular;
    int64_t size;
    int64_t mtime;
    const void *meta;
    size_t meta_len;
    int64_t start; /* offset of the member's first header block */
    int64_t end;   /* offset just past its padded data */
};

struct mbk_tar_scan {
    struct archive *a;
    struct mbk_storage_store *st;
    int64_t next; /* where the next header should start */
    int64_t prev; /* start of the last member read, or -1 */
};

/* pwrite() all of buf at off; -1 with errno. */
int
mbk_tar_write_all(int fd, const void *buf, size_t len, int64_t off);

/* STORAGE/ECORRUPT naming the archive and the offset; returns -1. */
int
mbk_tar_corrupt(struct mbk_storage_store *st, int64_t off, const char *why,
                struct mbk_error *err);

/* Open the archive: 0 with *fdp, 1 when it does not exist, -1 on error. */
int
mbk_tar_open_archive(struct mbk_storage_store *st, int flags, int *fdp,
                     struct mbk_error *err);

/* Read fd's headers from offset 0 (the fd stays the caller's). */
int
mbk_tar_scan_open(struct mbk_tar_scan *sc, struct mbk_storage_store *st,
                  int fd, struct mbk_error *err);

void
mbk_tar_scan_close(struct mbk_tar_scan *sc);

/* 1 with *m filled, 0 at the end (sc->next = end of archive), -1 on a
 * damaged archive (ECORRUPT). */
int
mbk_tar_scan_next(struct mbk_tar_scan *sc, struct mbk_tar_member *m,
                  struct mbk_error *err);

/* Find a regular member: 1 (sc at its data), 0 absent (*end_out = end of
 * archive when not NULL), -1 on error. */
int
mbk_tar_scan_find(struct mbk_tar_scan *sc, const char *name,
                  struct mbk_tar_member *m, int64_t *end_out,
                  struct mbk_error *err);

unsigned long
mbk_tar_random_word(void);

/* flock "<archive>.lock" (created): the fd, or -1; *busy = 1 when
 * blocking is 0 and another writer holds it. */
int
mbk_tar_lock_take(struct mbk_storage_store *st, int blocking, int *busy,
                  struct mbk_error *err);

/* Remove leftovers of dead writers and removers (best effort). */
void
mbk_tar_cleanup(struct mbk_storage_store *st);

int
mbk_tar_remove(struct mbk_storage_store *st, const char *name,
               struct mbk_error *err);

#endif /* MBK_STORAGE_TAR_PRIVATE_H */
