/*
 * tar.c: the "tar" storage plugin: every backup is a member of one pax
 * archive (libarchive), its metadata in the pax attribute
 * SCHILY.xattr.MBK.metadata so list() reads headers only.  Appends never
 * rewrite earlier members; a member's first header block is written last.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/tar_private.h"

struct mbk_storage_writer {
    struct mbk_storage_store *st;
    char name[MBK_STORAGE_NAME_MAX + 1];
    int64_t size;
    uint64_t written;
    char *meta;
    int spool_fd; /* >= 0 while spooling to a temp file */
    int lock_fd;
    int fd;
    int created;
    int64_t start; /* where the member goes: the old end of archive */
    int64_t pos;   /* member bytes produced so far */
    unsigned char first[BLOCK];
    struct archive *aw;
    struct mbk_error werr; /* set by the write callback */
    int discard;           /* closing: drop what libarchive still writes */
};

struct mbk_storage_reader {
    struct mbk_tar_scan sc;
    int fd;
    char name[MBK_STORAGE_NAME_MAX + 1];
    int64_t start;
};
static void
tar_close(struct mbk_storage_store *st)
{
    if (st == NULL) {
        return;
    }
    if (st->dirfd >= 0) {
        close(st->dirfd);
    }
    free(st->dir);
    free(st->base);
    free(st->lockname);
    free(st->path);
    free(st);
}

static struct mbk_storage_store *
tar_open(const struct mbk_storage_location *loc, struct mbk_error *err)
{
    const char *location = loc->text;
    struct mbk_storage_store *st;
    const char *slash = strrchr(location, '/');
    struct stat sb;
    size_t n;

    if (slash == NULL || slash[1] == '\0') {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "tar location \"%s\" is not an absolute file path",
                         location);
        return NULL;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "calloc", location);
        return NULL;
    }
    st->dirfd = -1;
    st->dir = slash == location ? strdup("/")
                                : strndup(location, (size_t) (slash - location));
    st->base = strdup(slash + 1);
    st->path = strdup(location);
    n = strlen(slash + 1) + sizeof(".lock");
    st->lockname = malloc(n);
    if (st->dir == NULL || st->base == NULL || st->path == NULL
        || st->lockname == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "malloc", location);
        tar_close(st);
        return NULL;
    }
    snprintf(st->lockname, n, "%s.lock", st->base);
    st->dirfd = mbk_storage_root_open(loc, st->dir);
    if (st->dirfd < 0) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "open() \"%s\" failed: %s", st->dir, strerror(errno));
        tar_close(st);
        return NULL;
    }
    if (fstatat(st->dirfd, st->base, &sb, AT_SYMLINK_NOFOLLOW) == 0
        && !S_ISREG(sb.st_mode)) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "tar archive \"%s\" is not a regular file", location);
        tar_close(st);
        return NULL;
    }
    mbk_tar_cleanup(st);
    return st;
}

/* A member's entry, its metadata copied to a string (freed by the caller). */
static int
member_entry(const struct mbk_tar_member *m, struct mbk_storage_entry *e,
             char **meta, struct mbk_error *err)
{
    *meta = NULL;
    if (m->meta != NULL) {
        *meta = malloc(m->meta_len + 1);
        if (*meta == NULL) {
            return mbk_storage_fail_sys(err, ENOMEM, "malloc", m->name);
        }
        memcpy(*meta, m->meta, m->meta_len);
        (*meta)[m->meta_len] = '\0';
    }
    e->name = m->name;
    e->size = (uint64_t) m->size;
    e->mtime = m->mtime;
    e->meta_json = *meta;
    return 0;
}

static int
tar_stat(struct mbk_storage_store *st, const char *name,
         mbk_storage_list_fn fn, void *ud, struct mbk_error *err)
{
    struct mbk_storage_entry e;
    struct mbk_tar_member m;
    struct mbk_tar_scan sc;
    char *meta;
    int fd = -1;
    int rc;

    rc = mbk_tar_open_archive(st, O_RDONLY, &fd, err);
    if (rc == 0) {
        if (mbk_tar_scan_open(&sc, st, fd, err) != 0) {
            close(fd);
            return -1;
        }
        rc = mbk_tar_scan_find(&sc, name, &m, NULL, err);
        if (rc == 1) {
            rc = member_entry(&m, &e, &meta, err);
            if (rc == 0) {
                fn(&e, ud);
                free(meta);
                rc = 1;
            }
        }
        mbk_tar_scan_close(&sc);
        close(fd);
    } else if (rc == 1) {
        rc = 0; /* no archive yet: no backups */
    }
    if (rc == 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "no backup \"%s\" in \"%s\"", name, st->path);
    }
    return rc < 0 ? -1 : 0;
}

static int
tar_list(struct mbk_storage_store *st, mbk_storage_list_fn fn, void *ud,
         struct mbk_error *err)
{
    struct mbk_tar_scan sc;
    struct mbk_tar_member m;
    int fd = -1;
    int rc;

    rc = mbk_tar_open_archive(st, O_RDONLY, &fd, err);
    if (rc != 0) {
        return rc < 0 ? -1 : 0; /* no archive yet: no backups */
    }
    if (mbk_tar_scan_open(&sc, st, fd, err) != 0) {
        close(fd);
        return -1;
    }
    while ((rc = mbk_tar_scan_next(&sc, &m, err)) == 1) {
        struct mbk_storage_entry e;
        char *meta = NULL;
        int stop;

        if (!m.regular || mbk_storage_name_check(m.name, NULL) != 0) {
            continue;
        }
        if (member_entry(&m, &e, &meta, err) != 0) {
            rc = -1;
            break;
        }
        stop = fn(&e, ud);
        free(meta);
        if (stop != 0) {
            rc = 0;
            break;
        }
    }
    mbk_tar_scan_close(&sc);
    close(fd);
    return rc < 0 ? -1 : 0;
}

/* Writes the member's bytes: the first block is held back in w->first. */
static la_ssize_t
member_out(struct archive *a, void *ud, const void *buf, size_t n)
{
    struct mbk_storage_writer *w = ud;
    const unsigned char *p = buf;
    size_t left = n;

    if (w->discard) {
        return (la_ssize_t) n;
    }
    if (w->pos < BLOCK) {
        size_t k = (size_t) (BLOCK - w->pos);

        if (k > left) {
            k = left;
        }
        memcpy(w->first + w->pos, p, k);
        w->pos += (int64_t) k;
        p += k;
        left -= k;
    }
    if (left > 0) {
        if (mbk_tar_write_all(w->fd, p, left, w->start + w->pos) != 0) {
            mbk_storage_fail_sys(&w->werr, errno, "write", w->st->path);
            archive_set_error(a, errno, "%s", w->werr.message);
            return -1;
        }
        w->pos += (int64_t) left;
    }
    return (la_ssize_t) n;
}

static int
archive_fail(struct mbk_storage_writer *w, struct mbk_error *err)
{
    if (w->werr.code != 0) {
        if (err != NULL) {
            *err = w->werr;
        }
        return -1;
    }
    return mbk_storage_fail(err, MBK_ERROR_ARCHIVE, archive_errno(w->aw),
                            "tar member \"%s\": %s", w->name,
                            archive_error_string(w->aw));
}

/* Start the member's header at w->start (lock held, archive open). */
static int
member_start(struct mbk_storage_writer *w, struct mbk_error *err)
{
    struct archive_entry *e;
    int rc;

    w->aw = archive_write_new();
    e = archive_entry_new();
    if (w->aw == NULL || e == NULL) {
        archive_entry_free(e);
        return mbk_storage_fail_sys(err, ENOMEM, "archive_write_new",
                                    w->name);
    }
    w->pos = 0;
    if (archive_write_set_format_pax(w->aw) != ARCHIVE_OK
        || archive_write_set_format_option(w->aw, "pax", "xattrheader",
                                           "SCHILY") != ARCHIVE_OK
        || archive_write_set_bytes_per_block(w->aw, 0) != ARCHIVE_OK
        || archive_write_open(w->aw, w, NULL, member_out, NULL)
               != ARCHIVE_OK) {
        archive_entry_free(e);
        return archive_fail(w, err);
    }
    archive_entry_set_pathname(e, w->name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0640);
    archive_entry_set_size(e, (la_int64_t) w->size);
    archive_entry_set_mtime(e, time(NULL), 0);
    if (w->meta != NULL) {
        archive_entry_xattr_add_entry(e, META_XATTR, w->meta,
                                      strlen(w->meta));
    }
    rc = archive_write_header(w->aw, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) {
        return archive_fail(w, err);
    }
    return 0;
}

/*
 * Take the lock, open (or create) the archive, refuse a duplicate name,
 * find the end and start the member there.  With blocking 0 and the lock
 * busy, returns 1 and the caller spools instead.
 */
static int
append_begin(struct mbk_storage_writer *w, int blocking, struct mbk_error *err)
{
    struct mbk_storage_store *st = w->st;
    struct mbk_tar_scan sc;
    struct mbk_tar_member m;
    int busy = 0;
    int rc;

    w->lock_fd = mbk_tar_lock_take(st, blocking, &busy, err);
    if (w->lock_fd < 0) {
        return busy ? 1 : -1;
    }
    rc = mbk_tar_open_archive(st, O_RDWR, &w->fd, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 1) {
        w->fd = openat(st->dirfd, st->base,
                       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0640);
        if (w->fd < 0) {
            return mbk_storage_fail_sys(err, errno, "open", st->path);
        }
        w->created = 1;
    }
    if (mbk_tar_scan_open(&sc, st, w->fd, err) != 0) {
        return -1;
    }
    rc = mbk_tar_scan_find(&sc, w->name, &m, &w->start, err);
    mbk_tar_scan_close(&sc);
    if (rc == 1) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EEXIST,
                                "backup \"%s\" exists already in \"%s\"",
                                w->name, st->path);
    }
    if (rc < 0) {
        return -1;
    }
    return member_start(w, err);
}

/* Undo an append that did not finish: the end mark back at w->start. */
static void
append_undo(struct mbk_storage_writer *w)
{
    static const unsigned char zeros[2 * BLOCK];

    if (w->fd < 0 || w->lock_fd < 0) {
        return;
    }
    if (w->created) {
        unlinkat(w->st->dirfd, w->st->base, 0);
    } else if (w->pos > 0) {
        if (mbk_tar_write_all(w->fd, zeros, sizeof(zeros), w->start) == 0) {
            ftruncate(w->fd, (off_t) (w->start + 2 * BLOCK));
        }
    }
}

static void
writer_free(struct mbk_storage_writer *w)
{
    if (w->aw != NULL) {
        /* Its padding and end mark go nowhere: ours are written already.
         * (archive_write_fail() would leak libarchive's client state.) */
        w->discard = 1;
        archive_write_close(w->aw);
        archive_write_free(w->aw);
    }
    if (w->spool_fd >= 0) {
        close(w->spool_fd);
    }
    if (w->fd >= 0) {
        close(w->fd);
    }
    if (w->lock_fd >= 0) {
        close(w->lock_fd);
    }
    free(w->meta);
    free(w);
}

/* An unnamed temp file in the archive's directory. */
static int
spool_open(struct mbk_storage_writer *w, struct mbk_error *err)
{
    char tmp[NAME_MAX + 1];
    int i;

    w->spool_fd = openat(w->st->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
                         0600);
    for (i = 0; w->spool_fd < 0 && i < 16; i++) {
        snprintf(tmp, sizeof(tmp), ".%s" TMP_TAG "%ld-%08lx", w->st->base,
                 (long) getpid(), mbk_tar_random_word() & 0xffffffffUL);
        w->spool_fd = openat(w->st->dirfd, tmp,
                             O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW
                                 | O_CLOEXEC, 0600);
        if (w->spool_fd >= 0) {
            unlinkat(w->st->dirfd, tmp, 0);
        }
    }
    if (w->spool_fd < 0) {
        return mbk_storage_fail_sys(err, errno, "open", w->st->dir);
    }
    return 0;
}

static struct mbk_storage_writer *
tar_put_begin(struct mbk_storage_store *st, const char *name, int64_t size,
              const char *meta_json, struct mbk_error *err)
{
    struct mbk_storage_writer *w;
    struct mbk_tar_scan sc;
    struct mbk_tar_member m;
    int rc = 0;
    int fd = -1;

    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "calloc", name);
        return NULL;
    }
    w->st = st;
    w->size = size;
    w->spool_fd = -1;
    w->lock_fd = -1;
    w->fd = -1;
    snprintf(w->name, sizeof(w->name), "%s", name);
    if (meta_json != NULL && strlen(meta_json) <= META_MAX) {
        w->meta = strdup(meta_json);
        if (w->meta == NULL) {
            mbk_storage_fail_sys(err, ENOMEM, "strdup", name);
            goto fail;
        }
    }
    if (size >= 0) {
        /* Straight into the archive if no other writer is busy. */
        rc = append_begin(w, 0, err);
        if (rc < 0) {
            append_undo(w);
            goto fail;
        }
        if (rc == 0) {
            return w;
        }
    }
    /* Spool; refuse a duplicate now rather than after the whole write. */
    rc = mbk_tar_open_archive(st, O_RDONLY, &fd, err);
    if (rc < 0) {
        goto fail;
    }
    if (rc == 0) {
        if (mbk_tar_scan_open(&sc, st, fd, err) == 0) {
            rc = mbk_tar_scan_find(&sc, name, &m, NULL, err);
            mbk_tar_scan_close(&sc);
        } else {
            rc = -1;
        }
        close(fd);
        if (rc == 1) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EEXIST,
                             "backup \"%s\" exists already in \"%s\"", name,
                             st->path);
        }
        if (rc != 0) {
            goto fail;
        }
    }
    if (spool_open(w, err) != 0) {
        goto fail;
    }
    return w;
fail:
    writer_free(w);
    return NULL;
}

static int
tar_put_write(struct mbk_storage_writer *w, const void *buf, size_t len,
              struct mbk_error *err)
{
    const char *p = buf;

    if (w->size >= 0 && w->written + len > (uint64_t) w->size) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                "put \"%s\": more than the %lld bytes "
                                "announced", w->name, (long long) w->size);
    }
    if (w->spool_fd >= 0) {
        if (mbk_tar_write_all(w->spool_fd, buf, len, (int64_t) w->written) != 0) {
            return mbk_storage_fail_sys(err, errno, "write", "tar spool file");
        }
        w->written += len;
        return 0;
    }
    while (len > 0) {
        la_ssize_t n = archive_write_data(w->aw, p, len);

        if (n <= 0) {
            return archive_fail(w, err);
        }
        p += n;
        len -= (size_t) n;
        w->written += (uint64_t) n;
    }
    if (w->written > 0) {
        mbk_storage_test_stop("storage-put-write"); /* member data or spool */
    }
    return 0;
}

/* Copy the spool into the member now that the lock is held. */
static int
spool_copy(struct mbk_storage_writer *w, struct mbk_error *err)
{
    char *buf;
    uint64_t off = 0;
    int rc = 0;

    buf = malloc(COPY_CHUNK);
    if (buf == NULL) {
        return mbk_storage_fail_sys(err, ENOMEM, "malloc", w->name);
    }
    while (rc == 0 && off < w->written) {
        ssize_t n = pread(w->spool_fd, buf, COPY_CHUNK, (off_t) off);
        la_ssize_t k;

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = mbk_storage_fail_sys(err, n < 0 ? errno : EIO, "read",
                                      "tar spool file");
            break;
        }
        for (k = 0; rc == 0 && k < n;) {
            la_ssize_t m = archive_write_data(w->aw, buf + k, (size_t) (n - k));

            if (m <= 0) {
                rc = archive_fail(w, err);
            } else {
                k += m;
            }
        }
        off += (uint64_t) n;
    }
    free(buf);
    return rc;
}

static int
tar_put_commit(struct mbk_storage_writer *w, struct mbk_error *err)
{
    static const unsigned char zeros[2 * BLOCK];
    int64_t end;

    if (w->size >= 0 && w->written != (uint64_t) w->size) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                         "put \"%s\": %llu bytes written, %lld announced",
                         w->name, (unsigned long long) w->written,
                         (long long) w->size);
        goto fail;
    }
    if (w->spool_fd >= 0) {
        w->size = (int64_t) w->written;
        if (append_begin(w, 1, err) != 0 || spool_copy(w, err) != 0) {
            goto fail;
        }
    }
    if (archive_write_finish_entry(w->aw) != ARCHIVE_OK) {
        archive_fail(w, err);
        goto fail;
    }
    /* Data and a fresh end mark first; block 0 of the member last. */
    end = w->start + w->pos;
    if (mbk_tar_write_all(w->fd, zeros, sizeof(zeros), end) != 0
        || ftruncate(w->fd, (off_t) (end + 2 * BLOCK)) != 0) {
        mbk_storage_fail_sys(err, errno, "write", w->st->path);
        goto fail;
    }
    if (fdatasync(w->fd) != 0) {
        mbk_storage_fail_sys(err, errno, "fdatasync", w->st->path);
        goto fail;
    }
    /* Data and end mark durable, the member's first block not written:
     * readers still see the old end of the archive. */
    mbk_storage_test_stop("storage-commit-last-step");
    if (mbk_tar_write_all(w->fd, w->first, BLOCK, w->start) != 0
        || fdatasync(w->fd) != 0) {
        mbk_storage_fail_sys(err, errno, "write", w->st->path);
        goto fail;
    }
    if (w->created && fsync(w->st->dirfd) != 0) {
        mbk_storage_fail_sys(err, errno, "fsync", w->st->dir);
        writer_free(w);
        return -1;
    }
    writer_free(w);
    return 0;
fail:
    append_undo(w);
    writer_free(w);
    return -1;
}

static void
tar_put_abort(struct mbk_storage_writer *w)
{
    if (w != NULL) {
        append_undo(w);
        writer_free(w);
    }
}

static struct mbk_storage_reader *
tar_get_open(struct mbk_storage_store *st, const char *name,
             struct mbk_error *err)
{
    struct mbk_storage_reader *r;
    struct mbk_tar_member m;
    int rc;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "calloc", name);
        return NULL;
    }
    snprintf(r->name, sizeof(r->name), "%s", name);
    rc = mbk_tar_open_archive(st, O_RDONLY, &r->fd, err);
    if (rc != 0) {
        if (rc == 1) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                             "no backup \"%s\" in \"%s\"", name, st->path);
        }
        free(r);
        return NULL;
    }
    if (mbk_tar_scan_open(&r->sc, st, r->fd, err) != 0) {
        close(r->fd);
        free(r);
        return NULL;
    }
    rc = mbk_tar_scan_find(&r->sc, name, &m, NULL, err);
    if (rc != 1) {
        if (rc == 0) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                             "no backup \"%s\" in \"%s\"", name, st->path);
        }
        mbk_tar_scan_close(&r->sc);
        close(r->fd);
        free(r);
        return NULL;
    }
    r->start = m.start;
    return r;
}

static ssize_t
tar_get_read(struct mbk_storage_reader *r, void *buf, size_t len,
             struct mbk_error *err)
{
    la_ssize_t n = archive_read_data(r->sc.a, buf, len);

    if (n < 0) {
        mbk_tar_corrupt(r->sc.st, r->start, archive_error_string(r->sc.a), err);
        return -1;
    }
    return (ssize_t) n;
}

static void
tar_get_close(struct mbk_storage_reader *r)
{
    if (r != NULL) {
        mbk_tar_scan_close(&r->sc);
        close(r->fd);
        free(r);
    }
}

static const char *const tar_schemes[] = { "tar", NULL };

const struct mbk_storage_plugin mbk_storage_tar_plugin = {
    .abi = MBK_STORAGE_ABI,
    .size = sizeof(struct mbk_storage_plugin),
    .name = "tar",
    .caps = MBK_STORAGE_CAP_LIST_META | MBK_STORAGE_CAP_REMOVE
            | MBK_STORAGE_CAP_NEEDS_SIZE | MBK_STORAGE_CAP_FILE_LOCATION,
    .schemes = tar_schemes,
    .open = tar_open,
    .close = tar_close,
    .list = tar_list,
    .stat = tar_stat,
    .put_begin = tar_put_begin,
    .put_write = tar_put_write,
    .put_commit = tar_put_commit,
    .put_abort = tar_put_abort,
    .get_open = tar_get_open,
    .get_read = tar_get_read,
    .get_close = tar_get_close,
    .remove = mbk_tar_remove,
};
