/*
 * path.c: plugin names, storage spec parsing and location
 * resolution: the host's half of path safety (plugins do the other half
 * by opening relative to the root with O_NOFOLLOW).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/openat2.h>
#endif

#include "storage/loader.h"
#include "storage/path.h"

int
mbk_storage_plugin_name_check(const char *name, struct mbk_error *err)
{
    size_t i;
    size_t len = name == NULL ? 0 : strnlen(name,
                                            MBK_STORAGE_PLUGIN_NAME_MAX + 1);

    if (len == 0 || len > MBK_STORAGE_PLUGIN_NAME_MAX) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EBADNAME,
                                "plugin name must be 1 to %d characters "
                                "[a-z0-9]", MBK_STORAGE_PLUGIN_NAME_MAX);
    }
    for (i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EBADNAME,
                                    "plugin name \"%.*s\" is not [a-z0-9]+",
                                    (int) len, name);
        }
    }
    return 0;
}

int
mbk_storage_spec_split(const char *spec, char *plugin, size_t plugin_len,
                       const char **location, struct mbk_error *err)
{
    const char *colon;
    size_t n;
    char name[MBK_STORAGE_PLUGIN_NAME_MAX + 1];

    colon = spec == NULL ? NULL : strchr(spec, ':');
    if (colon == NULL) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "storage \"%s\" is not PLUGIN:LOCATION (e.g. "
                                "fs:/var/backups)", spec == NULL ? "" : spec);
    }
    n = (size_t) (colon - spec);
    if (n == 0 || n > MBK_STORAGE_PLUGIN_NAME_MAX) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EBADNAME,
                                "storage \"%s\": plugin name must be 1 to %d "
                                "characters [a-z0-9]", spec,
                                MBK_STORAGE_PLUGIN_NAME_MAX);
    }
    memcpy(name, spec, n);
    name[n] = '\0';
    if (mbk_storage_plugin_name_check(name, err) != 0) {
        return -1;
    }
    if (colon[1] == '\0') {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                                "storage \"%s\" has no location after ':'",
                                spec);
    }
    if (n + 1 > plugin_len) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EBADNAME,
                                "plugin name \"%s\" does not fit", name);
    }
    memcpy(plugin, name, n + 1);
    *location = colon + 1;
    return 0;
}

static char *
resolve_dir(const char *location, struct mbk_error *err)
{
    struct stat st;
    char *copy;
    char *real;
    size_t n;

    /* Without trailing slashes: lstat("link/") would follow the link. */
    copy = strdup(location);
    if (copy == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "strdup", location);
        return NULL;
    }
    n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') {
        copy[--n] = '\0';
    }
    if (lstat(copy, &st) != 0) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage directory \"%s\" is not usable: %s",
                         location, strerror(errno));
        free(copy);
        return NULL;
    }
    if (S_ISLNK(st.st_mode)) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage directory \"%s\" is a symbolic link, not "
                         "followed (give its target)", location);
        free(copy);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage directory \"%s\" is not a directory",
                         location);
        free(copy);
        return NULL;
    }
    real = realpath(copy, NULL);
    if (real == NULL) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage directory \"%s\" is not usable: %s",
                         location, strerror(errno));
    }
    free(copy);
    return real;
}

static char *
resolve_file(const char *location, struct mbk_error *err)
{
    const char *slash = strrchr(location, '/');
    const char *base = slash == NULL ? location : slash + 1;
    char *parent = NULL;
    char *real = NULL;
    char *out = NULL;
    struct stat st;
    size_t n;

    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage file \"%s\" does not end in a file name",
                         location);
        return NULL;
    }
    if (slash == NULL) {
        parent = strdup(".");
    } else if (slash == location) {
        parent = strdup("/");
    } else {
        parent = strndup(location, (size_t) (slash - location));
    }
    if (parent == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "strdup", location);
        return NULL;
    }
    real = realpath(parent, NULL);
    if (real == NULL || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "directory \"%s\" of storage file \"%s\" is not "
                         "usable: %s", parent, location,
                         real == NULL ? strerror(errno) : "not a directory");
        goto out;
    }
    n = strlen(real) + 1 + strlen(base) + 1;
    out = malloc(n);
    if (out == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "malloc", location);
        goto out;
    }
    snprintf(out, n, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
    if (lstat(out, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                             "storage file \"%s\" is a symbolic link, not "
                             "followed (give its target)", location);
            free(out);
            out = NULL;
        } else if (!S_ISREG(st.st_mode)) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                             "storage file \"%s\" is not a regular file",
                             location);
            free(out);
            out = NULL;
        }
    } else if (errno != ENOENT) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage file \"%s\" is not usable: %s", location,
                         strerror(errno));
        free(out);
        out = NULL;
    }
out:
    free(real);
    free(parent);
    return out;
}

char *
mbk_storage_location_resolve(const char *location, int is_file,
                             struct mbk_error *err)
{
    if (location == NULL || location[0] == '\0') {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage location is empty");
        return NULL;
    }
    if (strlen(location) >= PATH_MAX) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage location is longer than %d bytes", PATH_MAX);
        return NULL;
    }
    return is_file ? resolve_file(location, err) : resolve_dir(location, err);
}

/* rel must be relative, each component a plain name. */
static int
rel_ok(const char *rel)
{
    const char *p = rel;

    if (rel == NULL || rel[0] == '\0' || rel[0] == '/' ||
        strlen(rel) >= PATH_MAX) {
        return 0;
    }
    while (*p != '\0') {
        size_t n = strcspn(p, "/");

        if (n == 0 || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.')) {
            return 0;
        }
        p += n;
        if (*p == '/') {
            p++;
            if (*p == '\0') {
                return 0; /* a trailing slash */
            }
        }
    }
    return 1;
}

/* The fallback: one component at a time, none of them followed. */
static int
walk_beneath(int dirfd, const char *rel, int flags)
{
    char copy[PATH_MAX];
    char *save = NULL;
    char *next;
    int fd = dirfd;

    snprintf(copy, sizeof(copy), "%s", rel);
    for (char *c = strtok_r(copy, "/", &save); c != NULL; c = next) {
        int nfd;
        int e;

        next = strtok_r(NULL, "/", &save);
        nfd = openat(fd, c, next != NULL
                                ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                      O_CLOEXEC
                                : flags | O_NOFOLLOW | O_CLOEXEC,
                     0600);
        e = errno;
        if (fd != dirfd) {
            close(fd);
        }
        if (nfd < 0) {
            /* O_NOFOLLOW on a link: ELOOP; O_DIRECTORY on one: ENOTDIR */
            errno = e;
            return -1;
        }
        fd = nfd;
    }
    return fd;
}

int
mbk_storage_open_beneath(int dirfd, const char *rel, int flags)
{
    if (!rel_ok(rel)) {
        errno = EINVAL;
        return -1;
    }
#if defined(__linux__) && defined(SYS_openat2)
    {
        struct open_how how;
        long fd;

        memset(&how, 0, sizeof(how));
        how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC);
        how.mode = (flags & O_CREAT) != 0 ? 0600 : 0;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                      RESOLVE_NO_MAGICLINKS;
        fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
            return (int)fd;
        }
        /* ENOSYS: an old kernel; EPERM: a seccomp filter that forbids it */
    }
#endif
    return walk_beneath(dirfd, rel, flags);
}

int
mbk_storage_open_beneath_walk(int dirfd, const char *rel, int flags)
{
    if (!rel_ok(rel)) {
        errno = EINVAL;
        return -1;
    }
    return walk_beneath(dirfd, rel, flags);
}
