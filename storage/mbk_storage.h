/*
 * mbk_storage.h: the storage plugin ABI, and a plugin's only header.
 * Everything a plugin needs is here; helpers are static inline so a plugin
 * resolves no host symbol and links libc plus its own dependencies only.
 */
#ifndef MBK_STORAGE_H
#define MBK_STORAGE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Errors follow the bson_error_t model (STYLE.md §3).  The struct lives on
 * the caller's stack and is never freed.  engine/error.h has the same
 * definition behind the same guard.
 */
#ifndef MBK_ERROR_STRUCT_DEFINED
#define MBK_ERROR_STRUCT_DEFINED
/* A message longer than this keeps its head and its tail (where the cause
 * is) with "..." between them: see mbk_storage_msg_fit(). */
#define MBK_ERROR_MESSAGE_MAX 1024

/* The name of the input field at fault (an API field such as
 * "backupName", "conflict"), or "" when no one field is: set by whoever
 * knows it (mbk_error_field), never parsed out of the message. */
#define MBK_ERROR_FIELD_MAX 64

struct mbk_error {
    uint32_t domain;
    int32_t code;
    char message[MBK_ERROR_MESSAGE_MAX];
    char field[MBK_ERROR_FIELD_MAX]; /* since ABI 3 */
};

enum mbk_error_domain {
    MBK_ERROR_NONE = 0,
    MBK_ERROR_SYS,     /* code = errno */
    MBK_ERROR_MONGO,   /* code = server or driver code */
    MBK_ERROR_ARCHIVE, /* code = archive_errno() */
    MBK_ERROR_JSON,
    MBK_ERROR_PLUGIN,
    MBK_ERROR_STORAGE,
    MBK_ERROR_ENGINE,
    MBK_ERROR_HTTP
};
#endif

/* Codes of the STORAGE domain: one meaning each. */
enum mbk_storage_code {
    MBK_STORAGE_EIO = 1,      /* an I/O call failed (message says which) */
    MBK_STORAGE_ENOTFOUND,    /* no backup of that name */
    MBK_STORAGE_EEXIST,       /* a backup of that name exists already */
    MBK_STORAGE_EBADNAME,     /* a name that breaks the naming rules */
    MBK_STORAGE_EBADROOT,     /* the root is missing or not usable */
    MBK_STORAGE_ECORRUPT,     /* the store's own structure is damaged */
    MBK_STORAGE_EBUSY,        /* another writer holds the lock */
    MBK_STORAGE_ENOTSUP,      /* the plugin lacks that capability */
    /* Appended (older hosts treat them as EIO): a remote service... */
    MBK_STORAGE_EUNAVAIL,     /* ...unreachable or failing (5xx, timeouts)
                               * after the plugin's retries: try later */
    MBK_STORAGE_EREFUSED      /* ...that answers but refuses us: keys or
                               * signature refused, access denied, bucket
                               * missing, TLS certificate not trusted */
};

/*
 * Copy the len bytes of src into dst (cap bytes with the NUL).  What does
 * not fit is cut from the middle, never from the end: the head and the
 * tail stay, joined by "...", and no UTF-8 sequence is split.  A message
 * is written "what failed: why", so its cause survives any long path.
 */
static inline void
mbk_storage_msg_fit(char *dst, size_t cap, const char *src, size_t len)
{
    size_t head;
    size_t tail;

    if (cap == 0) {
        return;
    }
    if (len < cap) {
        memmove(dst, src, len);
        dst[len] = '\0';
        return;
    }
    if (cap < 8) {
        memmove(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return;
    }
    /* A third for the head, the rest for the tail: causes are longer
     * than the calls that name them. */
    head = (cap - 4) / 3;
    tail = cap - 4 - head;
    while (head > 0 && ((unsigned char) src[head] & 0xc0) == 0x80) {
        head--; /* src[head] would start the cut: keep whole sequences */
    }
    while (tail > 0 && ((unsigned char) src[len - tail] & 0xc0) == 0x80) {
        tail--;
    }
    memmove(dst, src, head);
    memcpy(dst + head, "...", 3);
    memmove(dst + head + 3, src + len - tail, tail);
    dst[head + 3 + tail] = '\0';
}

/*
 * The one error setter: fill err (NULL-safe) and return -1, so a caller
 * can write `return mbk_storage_fail(err, ...)`.  Set it once, where the
 * failure happens.  engine/error.c's mbk_error_set is this function.
 */
static inline int
mbk_storage_vfail(struct mbk_error *err, uint32_t domain, int32_t code,
                  const char *fmt, va_list ap)
{
    va_list again;
    char *whole;
    int n;

    if (err == NULL) {
        return -1;
    }
    err->domain = domain;
    err->code = code;
    err->field[0] = '\0';
    va_copy(again, ap);
    n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
    if (n >= (int) sizeof(err->message)) {
        /* Too long: format it whole, then cut from the middle.  Without
         * memory the end is cut, as vsnprintf() did already. */
        whole = (char *) malloc((size_t) n + 1);
        if (whole != NULL) {
            vsnprintf(whole, (size_t) n + 1, fmt, again);
            mbk_storage_msg_fit(err->message, sizeof(err->message), whole,
                                (size_t) n);
            free(whole);
        }
    } else if (n < 0) {
        snprintf(err->message, sizeof(err->message), "(unprintable error)");
    }
    va_end(again);
    return -1;
}

static inline int
mbk_storage_fail(struct mbk_error *err, uint32_t domain, int32_t code,
                 const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline int
mbk_storage_fail(struct mbk_error *err, uint32_t domain, int32_t code,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mbk_storage_vfail(err, domain, code, fmt, ap);
    va_end(ap);
    return -1;
}

/* The longest path a message shows whole; longer ones are cut in their
 * middle (mbk_storage_msg_fit), keeping where they start and the file. */
#define MBK_ERROR_PATH_SHOWN 240

/* `open() "%s" failed: %s` in nginx's shape, code = errno; a long path is
 * shortened in its middle. */
static inline int
mbk_storage_fail_sys(struct mbk_error *err, int errnum, const char *call,
                     const char *what)
{
    char shown[MBK_ERROR_PATH_SHOWN + 1];

    if (what == NULL) {
        what = "";
    }
    mbk_storage_msg_fit(shown, sizeof(shown), what, strlen(what));
    return mbk_storage_fail(err, MBK_ERROR_SYS, errnum,
                            "%s() \"%s\" failed: %s", call, shown,
                            strerror(errnum));
}

/*
 * A named point where a test may stop the process: when the environment
 * variable MBK_TEST_STOP_AT names the point, the process stops itself
 * (SIGSTOP) there, so that a test kills it exactly at that point instead
 * of racing it (tests/integration/test_kill.c).  Points in the plugins:
 * "storage-put-write" (after a put's first bytes are written, nothing
 * published) and "storage-commit-last-step" (a commit's data is durable,
 * its last step, which fs and tar describe, is still to come).
 */
static inline void
mbk_storage_test_stop(const char *point)
{
    const char *at = getenv("MBK_TEST_STOP_AT");

    if (at != NULL && strcmp(at, point) == 0) {
        raise(SIGSTOP);
    }
}

/*
 * The ABI.  Bump MBK_STORAGE_ABI only for an incompatible change; append
 * new members at the end (before reserved) and test `size` before use.
 * 2: locations that are not paths (struct mbk_storage_location, schemes,
 * CAP_URL_LOCATION) and stat().
 * 3: struct mbk_error gains field (the setter clears it).
 */
#define MBK_STORAGE_ABI 3u

/* Capabilities: callers test these bits, never plugin names. */
#define MBK_STORAGE_CAP_LIST_META  (1u << 0) /* list, stat give metadata */
#define MBK_STORAGE_CAP_REMOVE     (1u << 1) /* remove() works */
#define MBK_STORAGE_CAP_LOCAL_PATH (1u << 2) /* path() gives a file path */
#define MBK_STORAGE_CAP_NEEDS_SIZE (1u << 3) /* put wants the exact size */
/* The location is a file (made on first put) in an existing directory,
 * not a directory: the host resolves its parent instead. */
#define MBK_STORAGE_CAP_FILE_LOCATION (1u << 4)
/* The location is a URL ("s3://bucket/prefix"), not a local path: the
 * host checks its form and hands it over whole, resolving nothing.
 * Without FILE_ or URL_LOCATION the location is a local directory. */
#define MBK_STORAGE_CAP_URL_LOCATION (1u << 5)
#define MBK_STORAGE_CAP_ALL        0x3fu

/* Longest scheme ("fs", "tar", "s3"): [a-z0-9]+, like a plugin name. */
#define MBK_STORAGE_SCHEME_MAX 32

/* One setting from the configuration, e.g. {"endpoint", "http://..."}.
 * Values may be secrets: a plugin never puts one in a message. */
struct mbk_storage_option {
    const char *key;
    const char *value;
};

/*
 * Where a store is, as open() gets it; everything is lent for the call.
 * A location is written SCHEME:LOCATION ("fs:/var/backups",
 * "tar:/var/backups/all.tar") or as a URL ("s3://bucket/prefix"); the
 * host picks the plugin that declares SCHEME in its schemes.
 */
struct mbk_storage_location {
    uint32_t size;      /* sizeof(struct mbk_storage_location) of the host:
                         * members appended later are read only when size
                         * covers them */
    const char *scheme; /* the scheme that picked the plugin, e.g. "s3" */
    /* CAP_URL_LOCATION: the URL as given, whole ("s3://bucket/prefix");
     * else the local path the host resolved (absolute, no symbolic link
     * as its last component). */
    const char *text;
    const struct mbk_storage_option *options; /* noptions settings */
    size_t noptions;
    /* Appended (read only when size covers it: mbk_storage_loc_dirfd).
     * -1: none.  Else a directory the host opened safely (beneath an
     * allowed root, no symbolic link) and lends for the call: the plugin
     * uses it as its root instead of opening text by name (a local
     * directory: the store itself; CAP_FILE_LOCATION: the directory that
     * holds the file, text's last component being the file's name), and
     * dup()s it if it keeps it.  text still names the place in messages. */
    int dirfd;
};

/* loc->dirfd, or -1 when the host is older than that member. */
static inline int
mbk_storage_loc_dirfd(const struct mbk_storage_location *loc)
{
    if (loc->size < offsetof(struct mbk_storage_location, dirfd)
                        + sizeof(loc->dirfd)) {
        return -1;
    }
    return loc->dirfd;
}

/* A plugin's root directory descriptor (O_CLOEXEC, its own): a dup of the
 * host's loc->dirfd when there is one, else dir opened by name
 * (O_NOFOLLOW).  -1 with errno (ENOTDIR: the host's fd is no directory). */
static inline int
mbk_storage_root_open(const struct mbk_storage_location *loc,
                      const char *dir)
{
    int host = mbk_storage_loc_dirfd(loc);
    struct stat sb;
    int fd;

    if (host < 0) {
        return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fstat(host, &sb) != 0) {
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    fd = fcntl(host, F_DUPFD_CLOEXEC, 0);
    return fd;
}

/* Longest backup name (without its .json/.json.gz suffix rules: whole). */
#define MBK_STORAGE_NAME_MAX 128

/*
 * The backup-name rule, the one copy host and plugins share: 1 to
 * MBK_STORAGE_NAME_MAX bytes of [A-Za-z0-9._-], no leading dot (so not "."
 * or ".." either).  name holds len bytes and may hold a NUL (HTTP input).
 * 0, or -1 with STORAGE/EBADNAME and a message naming what is wrong (err
 * may be NULL: a plugin asking whether to list a name).
 */
static inline int
mbk_storage_name_check_n(const char *name, size_t len, struct mbk_error *err)
{
    size_t i;

    if (name == NULL || len == 0) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADNAME,
                                "backup name is empty");
    }
    if (len > MBK_STORAGE_NAME_MAX) {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADNAME,
                                "backup name is too long: %zu bytes, at most "
                                "%d", len, MBK_STORAGE_NAME_MAX);
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') {
            continue;
        }
        if (c > 0x20 && c < 0x7f) {
            return mbk_storage_fail(err, MBK_ERROR_STORAGE,
                                    MBK_STORAGE_EBADNAME,
                                    "backup name has a forbidden character "
                                    "'%c' at byte %zu (allowed: A-Z a-z 0-9 "
                                    ". _ -)", c, i);
        }
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADNAME,
                                "backup name has a forbidden byte 0x%02x at "
                                "byte %zu (allowed: A-Z a-z 0-9 . _ -)", c, i);
    }
    if (name[0] == '.') {
        return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADNAME,
                                "backup name \"%.*s\" starts with a dot",
                                (int) len, name);
    }
    return 0;
}

/* The same for a NUL-terminated name (NULL is empty); a name far too long
 * is refused without reading it all. */
static inline int
mbk_storage_name_check(const char *name, struct mbk_error *err)
{
    if (name == NULL) {
        return mbk_storage_name_check_n(NULL, 0, err);
    }
    return mbk_storage_name_check_n(name,
                                    strnlen(name, MBK_STORAGE_NAME_MAX + 1),
                                    err);
}

/* Whether a store lists a file or object of this name as a backup: a
 * valid backup name ending in .json or .json.gz (leftovers and temporary
 * files of a plugin are not). */
static inline int
mbk_storage_name_listable(const char *name)
{
    size_t n;

    if (mbk_storage_name_check(name, NULL) != 0) {
        return 0;
    }
    n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".json") == 0)
           || (n > 8 && strcmp(name + n - 8, ".json.gz") == 0);
}

/*
 * One stored backup, as list() reports it.  Everything is lent for the
 * duration of the callback.  meta_json is the backup's "metadata" object
 * as JSON text when the plugin has it cheaply (CAP_LIST_META), else NULL:
 * the host then reads the head of the backup itself.
 */
struct mbk_storage_entry {
    const char *name;      /* e.g. "daily_2026-11-26T13-00-00Z.json.gz" */
    uint64_t size;         /* bytes as stored */
    int64_t mtime;         /* seconds since the epoch */
    const char *meta_json; /* NULL unless CAP_LIST_META */
};

/* Return 0 to go on, non-zero to stop listing early (not an error). */
typedef int (*mbk_storage_list_fn)(const struct mbk_storage_entry *entry,
                                   void *ud);

struct mbk_storage_writer; /* plugin-private */
struct mbk_storage_reader; /* plugin-private */
struct mbk_storage_store;  /* plugin-private: one opened root */

/*
 * The plugin's one exported symbol is
 *     const struct mbk_storage_plugin mbk_storage_<name>_plugin;
 * in the module mbk_storage_<name>.so.
 *
 * Thread safety: a store may be used from several threads at once; each
 * writer and reader belongs to one thread at a time.  Plugins get names
 * the host has already checked (mbk_storage_name_check rules:
 * [A-Za-z0-9._-], no leading dot, at most MBK_STORAGE_NAME_MAX bytes) and a
 * location the host has resolved (absolute, no symlink as last component)
 * or, with CAP_URL_LOCATION, checked; local plugins still open everything
 * relative to the root with O_NOFOLLOW.
 */
struct mbk_storage_plugin {
    uint32_t abi;  /* MBK_STORAGE_ABI */
    uint32_t size; /* sizeof(struct mbk_storage_plugin) at build time */
    const char *name;
    uint32_t caps; /* MBK_STORAGE_CAP_* */
    /* The location schemes this plugin handles, NULL-terminated, at least
     * one, each [a-z0-9]+ of at most MBK_STORAGE_SCHEME_MAX bytes: the
     * host picks a plugin by the scheme of a location, never by name. */
    const char *const *schemes;

    /* On open the plugin cleans up leftovers of interrupted writes. */
    struct mbk_storage_store *(*open)(const struct mbk_storage_location *loc,
                                      struct mbk_error *err);
    void (*close)(struct mbk_storage_store *store); /* NULL-safe */

    int (*list)(struct mbk_storage_store *store, mbk_storage_list_fn fn,
                void *ud, struct mbk_error *err);

    /* One backup without listing the store: fn is called once with what
     * list() would give for name (meta_json only with CAP_LIST_META);
     * its return value is ignored.  No such backup: STORAGE/ENOTFOUND. */
    int (*stat)(struct mbk_storage_store *store, const char *name,
                mbk_storage_list_fn fn, void *ud, struct mbk_error *err);

    /* Writing is begin, write*, commit or abort.  Nothing is listed
     * until commit returns 0, and then it is durable (fsync'd).  size is
     * the exact byte count to come, or -1 if unknown (a plugin with
     * CAP_NEEDS_SIZE then spools).  meta_json may be NULL.  An existing
     * name fails with MBK_STORAGE_EEXIST.  abort frees the writer and
     * leaves nothing behind; commit frees it too, success or not. */
    struct mbk_storage_writer *(*put_begin)(struct mbk_storage_store *store,
                                            const char *name, int64_t size,
                                            const char *meta_json,
                                            struct mbk_error *err);
    int (*put_write)(struct mbk_storage_writer *w, const void *buf,
                     size_t len, struct mbk_error *err);
    int (*put_commit)(struct mbk_storage_writer *w, struct mbk_error *err);
    void (*put_abort)(struct mbk_storage_writer *w);

    /* Reading streams in chunks; read returns bytes read, 0 at the end,
     * -1 on error. */
    struct mbk_storage_reader *(*get_open)(struct mbk_storage_store *store,
                                           const char *name,
                                           struct mbk_error *err);
    ssize_t (*get_read)(struct mbk_storage_reader *r, void *buf, size_t len,
                        struct mbk_error *err);
    void (*get_close)(struct mbk_storage_reader *r); /* NULL-safe */

    int (*remove)(struct mbk_storage_store *store, const char *name,
                  struct mbk_error *err);

    /* CAP_LOCAL_PATH: the backup's path relative to the location, for
     * nginx X-Accel-Redirect.  Writes at most len bytes with the NUL. */
    int (*path)(struct mbk_storage_store *store, const char *name, char *buf,
                size_t len, struct mbk_error *err);

    void *reserved[4];
};

#ifdef __cplusplus
}
#endif

#endif /* MBK_STORAGE_H */
