/*
 * fs.c: the "fs" storage plugin: one file per backup in a root directory.
 * A put writes a hidden temp file, fsyncs it, renames it into place
 * without replacing anything, and fsyncs the directory.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/mbk_storage.h"

#define TMP_PREFIX ".mbk-tmp-"
/* A temp file with no lock holder and older than this is stale even when
 * its pid now belongs to someone else. */
#define TMP_STALE_SECONDS 3600

struct mbk_storage_store {
    int dirfd;
    char *root;
};

struct mbk_storage_writer {
    struct mbk_storage_store *st;
    int fd;
    int64_t size;
    uint64_t written;
    char name[MBK_STORAGE_NAME_MAX + 1];
    char tmp[MBK_STORAGE_NAME_MAX + 64];
};

/* `call() "ROOT/NAME" failed: reason`: the whole path, so that a user
 * sees which disk filled up. */
static int
fail_at(struct mbk_error *err, int errnum, const char *call,
        const struct mbk_storage_store *st, const char *name)
{
    char path[4096 + MBK_STORAGE_NAME_MAX + 80];

    snprintf(path, sizeof(path), "%s/%s", st->root, name);
    return mbk_storage_fail_sys(err, errnum, call, path);
}


struct mbk_storage_reader {
    int fd;
    char name[MBK_STORAGE_NAME_MAX + 1];
};

static int
sync_dir(struct mbk_storage_store *st, struct mbk_error *err)
{
    if (fsync(st->dirfd) != 0) {
        return mbk_storage_fail_sys(err, errno, "fsync", st->root);
    }
    return 0;
}

static int
pid_gone(long pid)
{
    return pid <= 0 || (kill((pid_t) pid, 0) != 0 && errno == ESRCH);
}

/* ".mbk-tmp-<name>-<pid>-<rand>": the pid is the second field from the
 * end (names may hold '-'). */
static long
tmp_pid(const char *tmp)
{
    const char *last = strrchr(tmp, '-');
    const char *p;

    if (last == NULL || last <= tmp) {
        return -1;
    }
    p = last - 1;
    while (p > tmp && *p >= '0' && *p <= '9') {
        p--;
    }
    if (*p != '-' || p + 1 == last) {
        return -1;
    }
    return strtol(p + 1, NULL, 10);
}

/*
 * Remove temp files of writers that died.  A live writer holds an flock
 * on its temp file; the pid covers the moment between create and flock.
 */
static void
cleanup_leftovers(struct mbk_storage_store *st)
{
    struct dirent *de;
    DIR *d;
    int fd;
    int removed = 0;

    fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat sb;
        int tfd;

        if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0) {
            continue;
        }
        tfd = openat(st->dirfd, de->d_name,
                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (tfd < 0) {
            continue;
        }
        if (fstat(tfd, &sb) == 0 && S_ISREG(sb.st_mode)
            && flock(tfd, LOCK_EX | LOCK_NB) == 0
            && (pid_gone(tmp_pid(de->d_name))
                || time(NULL) - sb.st_mtime > TMP_STALE_SECONDS)
            && unlinkat(st->dirfd, de->d_name, 0) == 0) {
            removed++;
        }
        close(tfd);
    }
    closedir(d);
    if (removed > 0) {
        sync_dir(st, NULL);
    }
}

static struct mbk_storage_store *
fs_open(const struct mbk_storage_location *loc, struct mbk_error *err)
{
    const char *location = loc->text;
    struct mbk_storage_store *st;

    st = calloc(1, sizeof(*st));
    if (st == NULL || (st->root = strdup(location)) == NULL) {
        free(st);
        mbk_storage_fail_sys(err, ENOMEM, "malloc", location);
        return NULL;
    }
    st->dirfd = mbk_storage_root_open(loc, location);
    if (st->dirfd < 0) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "open() \"%s\" failed: %s", location,
                         strerror(errno));
        free(st->root);
        free(st);
        return NULL;
    }
    cleanup_leftovers(st);
    return st;
}

static void
fs_close(struct mbk_storage_store *st)
{
    if (st == NULL) {
        return;
    }
    close(st->dirfd);
    free(st->root);
    free(st);
}

static int
fs_list(struct mbk_storage_store *st, mbk_storage_list_fn fn, void *ud,
        struct mbk_error *err)
{
    struct dirent *de;
    DIR *d;
    int fd;

    fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return mbk_storage_fail_sys(err, errno, "open", st->root);
    }
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return mbk_storage_fail_sys(err, errno, "fdopendir", st->root);
    }
    for (;;) {
        struct mbk_storage_entry e;
        struct stat sb;

        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            break;
        }
        if (!mbk_storage_name_listable(de->d_name)
            || fstatat(st->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(sb.st_mode)) {
            continue;
        }
        e.name = de->d_name;
        e.size = (uint64_t) sb.st_size;
        e.mtime = (int64_t) sb.st_mtime;
        e.meta_json = NULL;
        if (fn(&e, ud) != 0) {
            closedir(d);
            return 0;
        }
    }
    if (errno != 0) {
        int e = errno;

        closedir(d);
        return mbk_storage_fail_sys(err, e, "readdir", st->root);
    }
    closedir(d);
    return 0;
}

static unsigned long
random_word(void)
{
    unsigned long r;
    struct timespec ts;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t) sizeof(r)) {
        return r;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long) ts.tv_nsec ^ ((unsigned long) ts.tv_sec << 20);
}

static struct mbk_storage_writer *
fs_put_begin(struct mbk_storage_store *st, const char *name, int64_t size,
             const char *meta_json, struct mbk_error *err)
{
    struct mbk_storage_writer *w;
    struct stat sb;
    int i;

    if (!mbk_storage_name_listable(name)) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADNAME,
                         "fs stores backups as NAME.json or NAME.json.gz, "
                         "not \"%s\"", name);
        return NULL;
    }
    if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EEXIST,
                         "backup \"%s\" exists already in \"%s\"", name,
                         st->root);
        return NULL;
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "calloc", name);
        return NULL;
    }
    w->st = st;
    w->size = size;
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->fd = -1;
    for (i = 0; i < 16 && w->fd < 0; i++) {
        snprintf(w->tmp, sizeof(w->tmp), TMP_PREFIX "%s-%ld-%08lx", name,
                 (long) getpid(), random_word() & 0xffffffffUL);
        w->fd = openat(st->dirfd, w->tmp,
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0640);
        if (w->fd < 0 && errno != EEXIST) {
            break;
        }
    }
    if (w->fd < 0) {
        fail_at(err, errno, "open", st, w->tmp);
        free(w);
        return NULL;
    }
    /* The lock tells cleanup_leftovers() this writer is alive. */
    if (flock(w->fd, LOCK_EX) != 0) {
        fail_at(err, errno, "flock", st, w->tmp);
        unlinkat(st->dirfd, w->tmp, 0);
        close(w->fd);
        free(w);
        return NULL;
    }
    return w;
}

static void
fs_put_abort(struct mbk_storage_writer *w)
{
    if (w == NULL) {
        return;
    }
    unlinkat(w->st->dirfd, w->tmp, 0);
    close(w->fd);
    free(w);
}

static int
fs_put_write(struct mbk_storage_writer *w, const void *buf, size_t len,
             struct mbk_error *err)
{
    const char *p = buf;

    if (w->size >= 0 && w->written + len > (uint64_t) w->size) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                "put \"%s\": more than the %lld bytes "
                                "announced", w->name, (long long) w->size);
    }
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return fail_at(err, errno, "write", w->st, w->tmp);
        }
        p += n;
        len -= (size_t) n;
        w->written += (uint64_t) n;
    }
    if (w->written > 0) {
        mbk_storage_test_stop("storage-put-write"); /* a temp file, data */
    }
    return 0;
}

/* Rename tmp to name unless name exists (link() where renameat2 lacks). */
static int
publish(struct mbk_storage_writer *w, struct mbk_error *err)
{
    int dfd = w->st->dirfd;

    if (renameat2(dfd, w->tmp, dfd, w->name, RENAME_NOREPLACE) == 0) {
        return 0;
    }
    if (errno == EINVAL || errno == ENOSYS) {
        if (linkat(dfd, w->tmp, dfd, w->name, 0) == 0) {
            unlinkat(dfd, w->tmp, 0);
            return 0;
        }
    }
    if (errno == EEXIST) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EEXIST,
                                "backup \"%s\" exists already in \"%s\"",
                                w->name, w->st->root);
    }
    return mbk_storage_fail_sys(err, errno, "rename", w->name);
}

static int
fs_put_commit(struct mbk_storage_writer *w, struct mbk_error *err)
{
    int rc = -1;

    if (w->size >= 0 && w->written != (uint64_t) w->size) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                         "put \"%s\": %llu bytes written, %lld announced",
                         w->name, (unsigned long long) w->written,
                         (long long) w->size);
        goto out;
    }
    if (fsync(w->fd) != 0) {
        fail_at(err, errno, "fsync", w->st, w->tmp);
        goto out;
    }
    if (publish(w, err) != 0) {
        goto out;
    }
    /* Renamed into place, the directory not yet fsync'd. */
    mbk_storage_test_stop("storage-commit-last-step");
    rc = sync_dir(w->st, err);
    close(w->fd);
    free(w);
    return rc;
out:
    fs_put_abort(w);
    return rc;
}

/* Open name for reading: a regular file, never through a symlink. */
static int
open_backup(struct mbk_storage_store *st, const char *name,
            struct mbk_error *err)
{
    struct stat sb;
    int fd;

    fd = openat(st->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK
                                     | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "no backup \"%s\" in \"%s\"", name, st->root);
    }
    if (fd < 0 && errno == ELOOP) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "\"%s\" in \"%s\" is a symbolic link, not a "
                                "backup (not followed)", name, st->root);
    }
    if (fd < 0) {
        return mbk_storage_fail_sys(err, errno, "open", name);
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "\"%s\" in \"%s\" is not a regular file",
                                name, st->root);
    }
    return fd;
}

static struct mbk_storage_reader *
fs_get_open(struct mbk_storage_store *st, const char *name,
            struct mbk_error *err)
{
    struct mbk_storage_reader *r;
    int fd;

    fd = open_backup(st, name, err);
    if (fd < 0) {
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        close(fd);
        mbk_storage_fail_sys(err, ENOMEM, "calloc", name);
        return NULL;
    }
    r->fd = fd;
    snprintf(r->name, sizeof(r->name), "%s", name);
    return r;
}

static ssize_t
fs_get_read(struct mbk_storage_reader *r, void *buf, size_t len,
            struct mbk_error *err)
{
    for (;;) {
        ssize_t n = read(r->fd, buf, len);

        if (n >= 0) {
            return n;
        }
        if (errno != EINTR) {
            mbk_storage_fail_sys(err, errno, "read", r->name);
            return -1;
        }
    }
}

static void
fs_get_close(struct mbk_storage_reader *r)
{
    if (r != NULL) {
        close(r->fd);
        free(r);
    }
}

static int
fs_stat(struct mbk_storage_store *st, const char *name,
        mbk_storage_list_fn fn, void *ud, struct mbk_error *err)
{
    struct mbk_storage_entry e;
    struct stat sb;

    if (!mbk_storage_name_listable(name)
        || fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0
        || !S_ISREG(sb.st_mode)) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "no backup \"%s\" in \"%s\"", name, st->root);
    }
    e.name = name;
    e.size = (uint64_t) sb.st_size;
    e.mtime = (int64_t) sb.st_mtime;
    e.meta_json = NULL;
    fn(&e, ud);
    return 0;
}

static int
fs_remove(struct mbk_storage_store *st, const char *name,
          struct mbk_error *err)
{
    struct stat sb;

    if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0
        || !S_ISREG(sb.st_mode) || !mbk_storage_name_listable(name)) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "no backup \"%s\" in \"%s\"", name, st->root);
    }
    if (unlinkat(st->dirfd, name, 0) != 0) {
        if (errno == ENOENT) {
            return mbk_storage_fail(err, MBK_ERROR_STORAGE,
                                    MBK_STORAGE_ENOTFOUND,
                                    "no backup \"%s\" in \"%s\"", name,
                                    st->root);
        }
        return mbk_storage_fail_sys(err, errno, "unlink", name);
    }
    return sync_dir(st, err);
}

static int
fs_path(struct mbk_storage_store *st, const char *name, char *buf, size_t len,
        struct mbk_error *err)
{
    struct stat sb;

    if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0
        || !S_ISREG(sb.st_mode) || !mbk_storage_name_listable(name)) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTFOUND,
                                "no backup \"%s\" in \"%s\"", name, st->root);
    }
    if ((size_t) snprintf(buf, len, "%s", name) >= len) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                                "path of \"%s\" needs more than %zu bytes",
                                name, len);
    }
    return 0;
}

static const char *const fs_schemes[] = { "fs", NULL };

const struct mbk_storage_plugin mbk_storage_fs_plugin = {
    .abi = MBK_STORAGE_ABI,
    .size = sizeof(struct mbk_storage_plugin),
    .name = "fs",
    .caps = MBK_STORAGE_CAP_REMOVE | MBK_STORAGE_CAP_LOCAL_PATH,
    .schemes = fs_schemes,
    .open = fs_open,
    .close = fs_close,
    .list = fs_list,
    .stat = fs_stat,
    .put_begin = fs_put_begin,
    .put_write = fs_put_write,
    .put_commit = fs_put_commit,
    .put_abort = fs_put_abort,
    .get_open = fs_get_open,
    .get_read = fs_get_read,
    .get_close = fs_get_close,
    .remove = fs_remove,
    .path = fs_path,
};
