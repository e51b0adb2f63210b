/*
 * tar_archive.c: the tar plugin's archive layer: scanning headers with
 * libarchive (data is skipped by seeking), the writers' lock, cleanup of
 * leftovers, and remove (a rewrite into a temp archive, renamed over).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/tar_private.h"

int
mbk_tar_write_all(int fd, const void *buf, size_t len, int64_t off)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t) off);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        p += n;
        len -= (size_t) n;
        off += n;
    }
    return 0;
}

int
mbk_tar_corrupt(struct mbk_storage_store *st, int64_t off, const char *why,
        struct mbk_error *err)
{
    return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ECORRUPT,
                            "tar archive \"%s\" is damaged at offset %lld: "
                            "%s", st->path, (long long) off,
                            why == NULL ? "unreadable" : why);
}

/* Open the archive: 0 with *fd, 1 when it does not exist, -1 on error. */
int
mbk_tar_open_archive(struct mbk_storage_store *st, int flags, int *fdp,
             struct mbk_error *err)
{
    struct stat sb;
    int fd;

    fd = openat(st->dirfd, st->base, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        return 1;
    }
    if (fd < 0) {
        return mbk_storage_fail_sys(err, errno, "open", st->path);
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "tar archive \"%s\" is not a regular file",
                                st->path);
    }
    *fdp = fd;
    return 0;
}

int
mbk_tar_scan_open(struct mbk_tar_scan *sc, struct mbk_storage_store *st, int fd,
          struct mbk_error *err)
{
    sc->st = st;
    sc->next = 0;
    sc->prev = -1;
    sc->a = archive_read_new();
    if (sc->a == NULL) {
        return mbk_storage_fail_sys(err, ENOMEM, "archive_read_new",
                                    st->path);
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        archive_read_free(sc->a);
        sc->a = NULL;
        return mbk_storage_fail_sys(err, errno, "lseek", st->path);
    }
    archive_read_support_format_tar(sc->a);
    archive_read_support_format_empty(sc->a);
    if (archive_read_open_fd(sc->a, fd, 16384) != ARCHIVE_OK) {
        mbk_tar_corrupt(st, 0, archive_error_string(sc->a), err);
        archive_read_free(sc->a);
        sc->a = NULL;
        return -1;
    }
    return 0;
}

void
mbk_tar_scan_close(struct mbk_tar_scan *sc)
{
    if (sc->a != NULL) {
        archive_read_free(sc->a);
        sc->a = NULL;
    }
}

/*
 * The next member: 1 with *m filled, 0 at the end of the archive (then
 * sc->next is its offset), -1 on a damaged archive (ECORRUPT).
 */
int
mbk_tar_scan_next(struct mbk_tar_scan *sc, struct mbk_tar_member *m, struct mbk_error *err)
{
    struct archive_entry *e;
    const char *xname;
    const void *xval;
    size_t xlen;
    int rc;

    rc = archive_read_next_header(sc->a, &e);
    if (rc == ARCHIVE_EOF) {
        sc->next = archive_read_header_position(sc->a);
        return 0;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        if (sc->prev >= 0) {
            return mbk_storage_fail(err, MBK_ERROR_STORAGE,
                                    MBK_STORAGE_ECORRUPT,
                                    "tar archive \"%s\" is damaged at offset "
                                    "%lld, after the member at offset %lld: "
                                    "%s", sc->st->path, (long long) sc->next,
                                    (long long) sc->prev,
                                    archive_error_string(sc->a) == NULL
                                        ? "unreadable"
                                        : archive_error_string(sc->a));
        }
        return mbk_tar_corrupt(sc->st, sc->next, archive_error_string(sc->a),
                               err);
    }
    memset(m, 0, sizeof(*m));
    m->name = archive_entry_pathname(e);
    m->regular = archive_entry_filetype(e) == AE_IFREG && m->name != NULL;
    m->size = archive_entry_size(e);
    m->mtime = (int64_t) archive_entry_mtime(e);
    m->start = archive_read_header_position(sc->a);
    m->end = archive_filter_bytes(sc->a, 0) + ((m->size + BLOCK - 1)
                                               & ~(int64_t) (BLOCK - 1));
    sc->next = m->end;
    sc->prev = m->start;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xname, &xval, &xlen) == ARCHIVE_OK) {
        if (strcmp(xname, META_XATTR) == 0) {
            m->meta = xval;
            m->meta_len = xlen;
            break;
        }
    }
    return 1;
}

/*
 * Find name: 1 (*m filled, sc positioned at its data), 0 when absent
 * (*end_out = end of archive), -1 on error.
 */
int
mbk_tar_scan_find(struct mbk_tar_scan *sc, const char *name, struct mbk_tar_member *m,
          int64_t *end_out, struct mbk_error *err)
{
    int rc;

    while ((rc = mbk_tar_scan_next(sc, m, err)) == 1) {
        if (m->regular && strcmp(m->name, name) == 0) {
            return 1;
        }
    }
    if (rc == 0 && end_out != NULL) {
        *end_out = sc->next;
    }
    return rc;
}

static int
pid_gone(long pid)
{
    return pid <= 0 || (kill((pid_t) pid, 0) != 0 && errno == ESRCH);
}

unsigned long
mbk_tar_random_word(void)
{
    unsigned long r;
    struct timespec ts;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t) sizeof(r)) {
        return r;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long) ts.tv_nsec ^ ((unsigned long) ts.tv_sec << 20);
}

/* Lock the store against other writers; creates the lock file. */
int
mbk_tar_lock_take(struct mbk_storage_store *st, int blocking, int *busy,
          struct mbk_error *err)
{
    int fd;

    fd = openat(st->dirfd, st->lockname,
                O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        return mbk_storage_fail_sys(err, errno, "open", st->lockname);
    }
    while (flock(fd, LOCK_EX | (blocking ? 0 : LOCK_NB)) != 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno == EWOULDBLOCK && busy != NULL) {
            *busy = 1;
        } else {
            mbk_storage_fail_sys(err, errno, "flock", st->lockname);
        }
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Remove leftovers: temp archives of dead removers, and whatever a dead
 * writer left past the end-of-archive mark (only when nobody holds the
 * lock).  Best effort: a failure here only leaves garbage behind.
 */
void
mbk_tar_cleanup(struct mbk_storage_store *st)
{
    char prefix[NAME_MAX + 1];
    struct dirent *de;
    struct stat sb;
    struct mbk_tar_scan sc;
    struct mbk_tar_member m;
    DIR *d;
    int fd;
    int lock;
    int busy = 0;
    int rc;

    snprintf(prefix, sizeof(prefix), ".%s" TMP_TAG, st->base);
    fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = fd < 0 ? NULL : fdopendir(fd);
    while (d != NULL && (de = readdir(d)) != NULL) {
        const char *dash = strrchr(de->d_name, '-');
        int tfd;

        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0
            || dash == NULL) {
            continue;
        }
        tfd = openat(st->dirfd, de->d_name,
                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (tfd < 0) {
            continue;
        }
        if (fstat(tfd, &sb) == 0 && S_ISREG(sb.st_mode)
            && flock(tfd, LOCK_EX | LOCK_NB) == 0
            && (pid_gone(strtol(de->d_name + strlen(prefix), NULL, 10))
                || time(NULL) - sb.st_mtime > TMP_STALE_SECONDS)) {
            unlinkat(st->dirfd, de->d_name, 0);
        }
        close(tfd);
    }
    if (d != NULL) {
        closedir(d);
    } else if (fd >= 0) {
        close(fd);
    }

    /* Only if a writer ever ran: never create the lock file here. */
    if (fstatat(st->dirfd, st->lockname, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        return;
    }
    lock = mbk_tar_lock_take(st, 0, &busy, NULL);
    if (lock < 0) {
        return;
    }
    fd = -1;
    if (mbk_tar_open_archive(st, O_RDWR, &fd, NULL) == 0
        && mbk_tar_scan_open(&sc, st, fd, NULL) == 0) {
        while ((rc = mbk_tar_scan_next(&sc, &m, NULL)) == 1) {
        }
        if (rc == 0 && fstat(fd, &sb) == 0
            && sb.st_size > sc.next + 2 * BLOCK) {
            static const unsigned char zeros[2 * BLOCK];

            if (mbk_tar_write_all(fd, zeros, sizeof(zeros), sc.next) == 0
                && ftruncate(fd, (off_t) (sc.next + 2 * BLOCK)) == 0) {
                fsync(fd);
            }
        }
        mbk_tar_scan_close(&sc);
    }
    if (fd >= 0) {
        close(fd);
    }
    close(lock);
}

/* Copy bytes [from, to) of in to the end of out. */
static int
copy_range(int in, int out, int64_t from, int64_t to, int64_t *at,
           char *buf, struct mbk_error *err)
{
    while (from < to) {
        size_t want = (size_t) (to - from < COPY_CHUNK ? to - from
                                                       : COPY_CHUNK);
        ssize_t n = pread(in, buf, want, (off_t) from);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return mbk_storage_fail_sys(err, n < 0 ? errno : EIO, "read",
                                        "tar archive");
        }
        if (mbk_tar_write_all(out, buf, (size_t) n, *at) != 0) {
            return mbk_storage_fail_sys(err, errno, "write", "tar archive");
        }
        from += n;
        *at += n;
    }
    return 0;
}

/*
 * Rewrite the archive without name into a temp file, then rename it over
 * the archive, all under the lock (writers open the archive only after
 * taking it, so none writes into the old file).
 */
int
mbk_tar_remove(struct mbk_storage_store *st, const char *name,
           struct mbk_error *err)
{
    static const unsigned char zeros[2 * BLOCK];
    char tmp[NAME_MAX + 1];
    struct mbk_tar_scan sc;
    struct mbk_tar_member m;
    struct stat sb;
    int64_t end = 0;
    int64_t cut_from = -1;
    int64_t cut_to = -1;
    int64_t at = 0;
    char *buf = NULL;
    int lock;
    int fd = -1;
    int out = -1;
    int rc;
    int i;

    lock = mbk_tar_lock_take(st, 1, NULL, err);
    if (lock < 0) {
        return -1;
    }
    rc = mbk_tar_open_archive(st, O_RDONLY, &fd, err);
    if (rc != 0) {
        if (rc == 1) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                             "no backup \"%s\" in \"%s\"", name, st->path);
        }
        rc = -1;
        goto out;
    }
    rc = mbk_tar_scan_open(&sc, st, fd, err);
    if (rc != 0) {
        goto out;
    }
    while ((rc = mbk_tar_scan_next(&sc, &m, err)) == 1) {
        if (cut_from < 0 && m.regular && strcmp(m.name, name) == 0) {
            cut_from = m.start;
            cut_to = m.end;
        }
    }
    end = sc.next;
    mbk_tar_scan_close(&sc);
    if (rc < 0) {
        goto out;
    }
    if (cut_from < 0) {
        rc = mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                              "no backup \"%s\" in \"%s\"", name, st->path);
        goto out;
    }
    for (i = 0; out < 0 && i < 16; i++) {
        snprintf(tmp, sizeof(tmp), ".%s" TMP_TAG "%ld-%08lx", st->base,
                 (long) getpid(), mbk_tar_random_word() & 0xffffffffUL);
        out = openat(st->dirfd, tmp,
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0640);
        if (out < 0 && errno != EEXIST) {
            break;
        }
    }
    if (out < 0) {
        rc = mbk_storage_fail_sys(err, errno, "open", tmp);
        goto out;
    }
    /* The lock on the temp file tells mbk_tar_cleanup() we live. */
    flock(out, LOCK_EX | LOCK_NB);
    if (fstat(fd, &sb) == 0) {
        fchmod(out, sb.st_mode & 07777);
    }
    buf = malloc(COPY_CHUNK);
    if (buf == NULL) {
        rc = mbk_storage_fail_sys(err, ENOMEM, "malloc", name);
        goto out;
    }
    if (copy_range(fd, out, 0, cut_from, &at, buf, err) != 0
        || copy_range(fd, out, cut_to, end, &at, buf, err) != 0) {
        rc = -1;
        goto out;
    }
    if (mbk_tar_write_all(out, zeros, sizeof(zeros), at) != 0 || fsync(out) != 0) {
        rc = mbk_storage_fail_sys(err, errno, "write", tmp);
        goto out;
    }
    if (renameat(st->dirfd, tmp, st->dirfd, st->base) != 0) {
        rc = mbk_storage_fail_sys(err, errno, "rename", tmp);
        goto out;
    }
    close(out);
    out = -1;
    if (fsync(st->dirfd) != 0) {
        rc = mbk_storage_fail_sys(err, errno, "fsync", st->dir);
        goto out;
    }
    rc = 0;
out:
    if (out >= 0) {
        unlinkat(st->dirfd, tmp, 0);
        close(out);
    }
    free(buf);
    if (fd >= 0) {
        close(fd);
    }
    close(lock);
    return rc;
}
