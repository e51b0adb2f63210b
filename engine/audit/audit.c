/*
 * audit.c: the audit trail, writing side: an entry becomes one JSON line
 * (secrets removed, bounded size), chained by SHA-256 to the line before
 * and appended under a mutex and an flock, then fsync'd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/audit/audit.h"
#include "engine/audit/audit_private.h"
#include "engine/names.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define ERROR_MAX 4096   /* bytes of an error message kept */
#define TAIL_CHUNK 4096  /* bytes read at a time looking for the last line */
#define REOPEN_TRIES 3   /* renames seen in a row before giving up */
#define TIME_PLACEHOLDER "0000-00-00T00:00:00.000Z"
#define DEPTH_MAX 16     /* levels kept inside params and counts: lines
                          * then parse with json-c's default depth (32) */
#define TOO_DEEP "(nested too deep)"

struct mbk_audit {
    pthread_mutex_t mu;
    char *path;
    int fd;                               /* -1 after a failed reopen */
    bool cached;                          /* hash below is the file's end */
    off_t cached_size;                    /* the size it was taken at */
    char cached_hash[MBK_AUDIT_HASH_HEX + 1];
};

void
mbk_audit_sha256_hex(const void *data, size_t len,
                     char hex[MBK_AUDIT_HASH_HEX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    mbk_names_hex(md, 32, hex);
}

/* ---- secrets ---------------------------------------------------------- */

static bool
contains_nocase(const char *s, const char *word)
{
    size_t n = strlen(word);

    for (; *s != '\0'; s++) {
        if (strncasecmp(s, word, n) == 0) {
            return true;
        }
    }
    return false;
}

static bool
secret_key(const char *key)
{
    return contains_nocase(key, "password") ||
           contains_nocase(key, "passwd") || contains_nocase(key, "secret") ||
           contains_nocase(key, "token");
}

/*
 * Every "scheme://user:password@host" inside s with the password replaced
 * by "***" (the userinfo ends at the last '@' before the path, as in
 * mbk_mongo_uri_redact).  NULL when s has no such password (or on ENOMEM:
 * then the caller drops the string).
 */
char *
mbk_audit_redact_uris(const char *s, bool *changed)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 4);
    size_t o = 0;
    const char *p = s;

    *changed = false;
    if (out == NULL) {
        *changed = true;
        return NULL;
    }
    for (;;) {
        const char *sep = strstr(p, "://");
        const char *auth;
        const char *end;
        const char *at = NULL;
        const char *colon;

        if (sep == NULL) {
            break;
        }
        auth = sep + 3;
        end = auth;
        while (*end != '\0' && strchr("/?# \t\r\n\"'<>", *end) == NULL) {
            if (*end == '@') {
                at = end;
            }
            end++;
        }
        colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon == NULL) {
            memcpy(out + o, p, (size_t)(end - p));
            o += (size_t)(end - p);
        } else {
            memcpy(out + o, p, (size_t)(colon + 1 - p));
            o += (size_t)(colon + 1 - p);
            memcpy(out + o, "***", 3);
            o += 3;
            memcpy(out + o, at, (size_t)(end - at));
            o += (size_t)(end - at);
            *changed = true;
        }
        p = end;
    }
    memcpy(out + o, p, strlen(p) + 1);
    if (!*changed) {
        free(out);
        return NULL;
    }
    return out;
}

static bool
is_container(struct json_object *o)
{
    return json_object_is_type(o, json_type_object) ||
           json_object_is_type(o, json_type_array);
}

/* Remove secret keys and URI passwords from o, in place, recursively;
 * containers deeper than DEPTH_MAX become a string saying so. */
static void
redact(struct json_object *o, int depth)
{
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, key, val)
        {
            /* The macro keeps the next entry: deleting this one, or
             * replacing its value, is safe. */
            if (secret_key(key)) {
                json_object_object_del(o, key);
            } else if (depth >= DEPTH_MAX && is_container(val)) {
                json_object_object_add(o, key,
                                       json_object_new_string(TOO_DEEP));
            } else {
                redact(val, depth + 1);
            }
        }
    } else if (json_object_is_type(o, json_type_array)) {
        size_t n = json_object_array_length(o);

        for (size_t i = 0; i < n; i++) {
            struct json_object *val = json_object_array_get_idx(o, i);

            if (depth >= DEPTH_MAX && is_container(val)) {
                json_object_array_put_idx(o, i,
                                          json_object_new_string(TOO_DEEP));
            } else {
                redact(val, depth + 1);
            }
        }
    } else if (json_object_is_type(o, json_type_string)) {
        bool changed;
        char *clean = mbk_audit_redact_uris(json_object_get_string(o), &changed);

        if (changed) {
            json_object_set_string(o, clean != NULL ? clean : "***");
        }
        free(clean);
    }
}

/* ---- building a line -------------------------------------------------- */

static void
add_string(struct json_object *o, const char *key, const char *value)
{
    if (value != NULL) {
        json_object_object_add(o, key, json_object_new_string(value));
    }
}

/* A redacted deep copy of v (NULL stays NULL). */
static int
clean_copy(struct json_object *v, struct json_object **out,
           struct mbk_error *err)
{
    *out = NULL;
    if (v == NULL) {
        return 0;
    }
    if (json_object_deep_copy(v, out, NULL) != 0) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                             "audit: cannot copy the entry's parameters");
    }
    redact(*out, 1);
    return 0;
}

/* The error message: URI passwords out, at most ERROR_MAX bytes, cut on
 * a UTF-8 character boundary.  Caller frees. */
static char *
clean_error(const char *msg)
{
    bool changed;
    char *s = mbk_audit_redact_uris(msg, &changed);
    size_t n;

    if (!changed) {
        s = strdup(msg);
    }
    if (s == NULL) {
        return NULL;
    }
    n = strlen(s);
    if (n > ERROR_MAX) {
        n = ERROR_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
        s[n] = '\0';
    }
    return s;
}

/*
 * The entry as an object in the key order of the format, with "time" and
 * "prev" as placeholders of their final length, so that the size is
 * known before the lock is taken.
 */
static struct json_object *
entry_object(const struct mbk_audit_entry *e, struct mbk_error *err)
{
    struct json_object *o = json_object_new_object();
    struct json_object *params = NULL;
    struct json_object *counts = NULL;
    char duration[32];
    double d = e->duration;

    if (o == NULL || clean_copy(e->params, &params, err) != 0 ||
        clean_copy(e->counts, &counts, err) != 0) {
        if (o == NULL) {
            mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                          "audit: out of memory");
        }
        json_object_put(params);
        json_object_put(o);
        return NULL;
    }
    add_string(o, "time", TIME_PLACEHOLDER);
    add_string(o, "user", e->user);
    add_string(o, "role", e->role);
    add_string(o, "client", e->client);
    add_string(o, "operation", e->operation);
    add_string(o, "backup", e->backup);
    if (params != NULL) {
        json_object_object_add(o, "params", params);
    }
    add_string(o, "outcome", e->outcome);
    if (e->error != NULL) {
        char *msg = clean_error(e->error);

        add_string(o, "error", msg != NULL ? msg : "(out of memory)");
        free(msg);
    }
    if (counts != NULL) {
        json_object_object_add(o, "counts", counts);
    }
    if (!isfinite(d) || d < 0) {
        d = 0;
    }
    snprintf(duration, sizeof(duration), "%.3f", d);
    json_object_object_add(o, "duration",
                           json_object_new_double_s(d, duration));
    add_string(o, "sha256", e->sha256);
    add_string(o, "prev", MBK_AUDIT_ZERO_HASH);
    return o;
}

/* Make o fit in a line: params summarised if need be, else an error. */
static int
fit(struct json_object *o, struct mbk_error *err)
{
    size_t len;
    struct json_object *params;

    json_object_to_json_string_length(o, JSON_FLAGS, &len);
    if (len <= MBK_AUDIT_LINE_MAX) {
        return 0;
    }
    if (json_object_object_get_ex(o, "params", &params)) {
        size_t plen;
        struct json_object *sum = json_object_new_object();

        json_object_to_json_string_length(params, JSON_FLAGS, &plen);
        json_object_object_add(sum, "truncated", json_object_new_boolean(1));
        json_object_object_add(sum, "bytes",
                               json_object_new_int64((int64_t)plen));
        /* Replacing keeps the key where it was. */
        json_object_object_add(o, "params", sum);
        json_object_to_json_string_length(o, JSON_FLAGS, &len);
        if (len <= MBK_AUDIT_LINE_MAX) {
            return 0;
        }
    }
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ELIMIT,
                         "audit: an entry of %zu bytes does not fit in a "
                         "line of at most %d bytes",
                         len, MBK_AUDIT_LINE_MAX);
}

/* ---- the file --------------------------------------------------------- */

static int
open_fd(struct mbk_audit *a, struct mbk_error *err)
{
    struct stat st;
    int fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

    if (fd < 0) {
        return mbk_error_sys(err, errno, "open", a->path);
    }
    if (fstat(fd, &st) != 0) {
        mbk_error_sys(err, errno, "fstat", a->path);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "audit log \"%s\" is not a regular file",
                             a->path);
    }
    a->fd = fd;
    a->cached = false;
    return 0;
}

struct mbk_audit *
mbk_audit_open(const char *path, struct mbk_error *err)
{
    struct mbk_audit *a = calloc(1, sizeof(*a));

    if (a == NULL || (a->path = strdup(path)) == NULL) {
        free(a);
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "audit: out of memory");
        return NULL;
    }
    a->fd = -1;
    if (open_fd(a, err) != 0) {
        free(a->path);
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    return a;
}

void
mbk_audit_close(struct mbk_audit *a)
{
    if (a == NULL) {
        return;
    }
    if (a->fd >= 0) {
        close(a->fd);
    }
    pthread_mutex_destroy(&a->mu);
    free(a->path);
    free(a);
}

static int
reopen_locked(struct mbk_audit *a, struct mbk_error *err)
{
    if (a->fd >= 0) {
        close(a->fd);
        a->fd = -1;
    }
    a->cached = false;
    return open_fd(a, err);
}

int
mbk_audit_reopen(struct mbk_audit *a, struct mbk_error *err)
{
    int rc;

    pthread_mutex_lock(&a->mu);
    rc = reopen_locked(a, err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static int
lock_fd(int fd, int op, const char *path, struct mbk_error *err)
{
    while (flock(fd, op) != 0) {
        if (errno != EINTR) {
            return mbk_error_sys(err, errno, "flock", path);
        }
    }
    return 0;
}

/* Whether path still names the file open on fd (not after a rename). */
static bool
same_file(int fd, const char *path)
{
    struct stat a;
    struct stat b;

    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/*
 * The hash of the last line of a file of `size` bytes (the bytes after the
 * last-but-one newline, without the final newline), read backwards in
 * small chunks and hashed forwards: a big log is not read whole.  *torn
 * tells that the file does not end with a newline.
 */
static int
tail_hash(int fd, off_t size, char hex[MBK_AUDIT_HASH_HEX + 1], bool *torn,
          const char *path, struct mbk_error *err)
{
    char buf[TAIL_CHUNK];
    off_t end;
    off_t start = 0;
    off_t pos;
    EVP_MD_CTX *ctx;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int rc = -1;

    *torn = false;
    if (size == 0) {
        memcpy(hex, MBK_AUDIT_ZERO_HASH, MBK_AUDIT_HASH_HEX + 1);
        return 0;
    }
    if (pread(fd, buf, 1, size - 1) != 1) {
        return mbk_error_sys(err, errno, "pread", path);
    }
    *torn = buf[0] != '\n';
    end = *torn ? size : size - 1;
    for (pos = end; pos > 0 && start == 0;) {
        size_t n = pos < TAIL_CHUNK ? (size_t)pos : TAIL_CHUNK;
        ssize_t got = pread(fd, buf, n, pos - (off_t)n);

        if (got != (ssize_t)n) {
            return mbk_error_sys(err, got < 0 ? errno : EIO, "pread", path);
        }
        pos -= (off_t)n;
        for (size_t i = n; i > 0; i--) {
            if (buf[i - 1] == '\n') {
                start = pos + (off_t)i;
                break;
            }
        }
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "audit: cannot start a SHA-256");
        goto out;
    }
    for (pos = start; pos < end;) {
        size_t n = end - pos < TAIL_CHUNK ? (size_t)(end - pos) : TAIL_CHUNK;
        ssize_t got = pread(fd, buf, n, pos);

        if (got != (ssize_t)n) {
            mbk_error_sys(err, got < 0 ? errno : EIO, "pread", path);
            goto out;
        }
        EVP_DigestUpdate(ctx, buf, n);
        pos += (off_t)n;
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    for (unsigned int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The flock is taken on the file the path names now, reopening it if
 * logrotate renamed the one open. */
static int
lock_current(struct mbk_audit *a, struct mbk_error *err)
{
    for (int tries = 0;; tries++) {
        if (a->fd < 0 && open_fd(a, err) != 0) {
            return -1;
        }
        if (lock_fd(a->fd, LOCK_EX, a->path, err) != 0) {
            return -1;
        }
        if (same_file(a->fd, a->path) || tries == REOPEN_TRIES) {
            return 0;
        }
        flock(a->fd, LOCK_UN);
        if (reopen_locked(a, err) != 0) {
            return -1;
        }
    }
}

/* Under a->mu: lock, chain, write, fsync, unlock. */
static int
append_locked(struct mbk_audit *a, struct json_object *o,
              struct mbk_error *err)
{
    char now[32];
    char prev[MBK_AUDIT_HASH_HEX + 1];
    const char *line;
    char *buf = NULL;
    size_t len;
    size_t n = 0;
    bool torn = false;
    struct stat st;
    int rc = -1;

    if (lock_current(a, err) != 0) {
        return -1;
    }
    if (fstat(a->fd, &st) != 0) {
        mbk_error_sys(err, errno, "fstat", a->path);
        goto out;
    }
    /* Another process may have appended since our last line. */
    if (a->cached && a->cached_size == st.st_size) {
        memcpy(prev, a->cached_hash, sizeof(prev));
    } else if (tail_hash(a->fd, st.st_size, prev, &torn, a->path, err) != 0) {
        goto out;
    }
    mbk_names_iso8601(mbk_names_now_ms(), now, sizeof(now));
    json_object_object_add(o, "time", json_object_new_string(now));
    json_object_object_add(o, "prev", json_object_new_string(prev));
    line = json_object_to_json_string_length(o, JSON_FLAGS, &len);
    buf = malloc(len + 2);
    if (line == NULL || buf == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "audit: out of memory");
        goto out;
    }
    /* A torn line (a crash mid-write) is ended, not continued: verify
     * names it, and this line chains to its bytes. */
    if (torn) {
        buf[n++] = '\n';
    }
    memcpy(buf + n, line, len);
    n += len;
    buf[n++] = '\n';
    a->cached = false;
    if (write_all(a->fd, buf, n) != 0) {
        mbk_error_sys(err, errno, "write", a->path);
        /* Best effort: leave no half line behind. */
        if (ftruncate(a->fd, st.st_size) != 0) {
            /* The next append sees the torn line and ends it. */
        }
        goto out;
    }
    if (fsync(a->fd) != 0) {
        mbk_error_sys(err, errno, "fsync", a->path);
        goto out;
    }
    mbk_audit_sha256_hex(line, len, a->cached_hash);
    a->cached_size = st.st_size + (off_t)n;
    a->cached = true;
    rc = 0;
out:
    free(buf);
    flock(a->fd, LOCK_UN);
    return rc;
}

void
mbk_audit_entry_release(struct mbk_audit_entry *e)
{
    if (e != NULL) {
        json_object_put(e->params);
        json_object_put(e->counts);
        e->params = NULL;
        e->counts = NULL;
    }
}

int
mbk_audit_append(struct mbk_audit *a, const struct mbk_audit_entry *e,
                 struct mbk_error *err)
{
    struct json_object *o;
    int rc;

    if (e == NULL || e->operation == NULL || e->outcome == NULL) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "audit: an entry needs an operation and an "
                             "outcome");
    }
    o = entry_object(e, err);
    if (o == NULL) {
        return -1;
    }
    if (fit(o, err) != 0) {
        json_object_put(o);
        return -1;
    }
    pthread_mutex_lock(&a->mu);
    rc = append_locked(a, o, err);
    pthread_mutex_unlock(&a->mu);
    json_object_put(o);
    if (rc != 0) {
        mbk_error_prefix(err, "audit log");
    }
    return rc;
}
