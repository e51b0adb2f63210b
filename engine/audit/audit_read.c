/*
 * audit_read.c: the audit trail, reading side: lines newest first (read
 * backwards in chunks, filtered, paged) and the walk that verifies the
 * SHA-256 chain.  Memory is bounded by the line size, not the file's.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/audit/audit.h"
#include "engine/audit/audit_private.h"
#include "engine/names.h"

#define CHUNK 65536

/* Open path for reading and take its size under a shared flock: bytes
 * before it are whole lines, since appends hold the lock while writing. */
static int
open_snapshot(const char *path, int *fd, off_t *size, struct mbk_error *err)
{
    struct stat st;
    int f = open(path, O_RDONLY | O_CLOEXEC);

    if (f < 0) {
        return mbk_error_sys(err, errno, "open", path);
    }
    while (flock(f, LOCK_SH) != 0) {
        if (errno != EINTR) {
            mbk_error_sys(err, errno, "flock", path);
            close(f);
            return -1;
        }
    }
    if (fstat(f, &st) != 0) {
        mbk_error_sys(err, errno, "fstat", path);
        close(f);
        return -1;
    }
    flock(f, LOCK_UN);
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                             "audit log \"%s\" is not a regular file", path);
    }
    *fd = f;
    *size = st.st_size;
    return 0;
}

/* ---- lines, last first ------------------------------------------------ */

/* buf holds the file's bytes [pos, pos + len) not handed out yet; they
 * end where the last line handed out began (its newline dropped). */
struct rev {
    int fd;
    const char *path;
    off_t pos;
    char *buf;
    size_t len;
    size_t cap;
    bool done; /* the first line has been handed out */
};

static int
rev_init(struct rev *r, int fd, off_t size, const char *path,
         struct mbk_error *err)
{
    char last;

    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->path = path;
    r->done = size == 0;
    r->pos = size;
    if (size > 0) {
        if (pread(fd, &last, 1, size - 1) != 1) {
            return mbk_error_sys(err, errno, "pread", path);
        }
        if (last == '\n') {
            r->pos--;
        }
    }
    return 0;
}

/* Read the chunk before pos in front of what buf holds. */
static int
rev_fill(struct rev *r, struct mbk_error *err)
{
    size_t k = r->pos < CHUNK ? (size_t)r->pos : CHUNK;
    ssize_t got;

    if (r->len > MBK_AUDIT_LINE_MAX) {
        return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT,
                             "\"%s\": the line ending at byte %lld is longer "
                             "than %d bytes: not an audit log?",
                             r->path, (long long)(r->pos + (off_t)r->len),
                             MBK_AUDIT_LINE_MAX);
    }
    if (r->len + k > r->cap) {
        char *nb = realloc(r->buf, r->len + k);

        if (nb == NULL) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                                 "audit: out of memory");
        }
        r->buf = nb;
        r->cap = r->len + k;
    }
    memmove(r->buf + k, r->buf, r->len);
    got = pread(r->fd, r->buf, k, r->pos - (off_t)k);
    if (got != (ssize_t)k) {
        return mbk_error_sys(err, got < 0 ? errno : EIO, "pread", r->path);
    }
    r->pos -= (off_t)k;
    r->len += k;
    return 0;
}

/* The previous line: 1 with *line and *n set (valid until the next
 * call), 0 when the first line has been handed out, -1 on error. */
static int
rev_next(struct rev *r, const char **line, size_t *n, struct mbk_error *err)
{
    size_t scanned = 0; /* bytes at the end of buf known to hold no '\n' */

    if (r->done) {
        return 0;
    }
    for (;;) {
        for (size_t i = r->len - scanned; i > 0; i--) {
            if (r->buf[i - 1] == '\n') {
                *line = r->buf + i;
                *n = r->len - i;
                r->len = i - 1;
                return 1;
            }
        }
        scanned = r->len;
        if (r->pos == 0) {
            *line = r->buf != NULL ? r->buf : "";
            *n = r->len;
            r->len = 0;
            r->done = true;
            return 1;
        }
        if (rev_fill(r, err) != 0) {
            return -1;
        }
    }
}

/* ---- lines, first first ----------------------------------------------- */

struct fwd {
    int fd;
    const char *path;
    off_t pos;
    off_t size;
    char *buf;
    size_t start;
    size_t len;
    size_t cap;
};

/*
 * The next line: 1 with *line, *n and *newline (it ended with one) set,
 * 0 at the end, 2 when the line is longer than MBK_AUDIT_LINE_MAX (the
 * walk cannot go on), -1 on error.
 */
static int
fwd_next(struct fwd *f, const char **line, size_t *n, bool *newline,
         struct mbk_error *err)
{
    for (;;) {
        const char *nl = memchr(f->buf + f->start, '\n', f->len);

        if (nl != NULL) {
            *line = f->buf + f->start;
            *n = (size_t)(nl - *line);
            *newline = true;
            f->start += *n + 1;
            f->len -= *n + 1;
            return *n > MBK_AUDIT_LINE_MAX ? 2 : 1;
        }
        if (f->len > MBK_AUDIT_LINE_MAX) {
            return 2;
        }
        if (f->pos == f->size) {
            if (f->len == 0) {
                return 0;
            }
            *line = f->buf + f->start;
            *n = f->len;
            *newline = false;
            f->len = 0;
            return 1;
        }
        {
            size_t room;
            ssize_t got;

            memmove(f->buf, f->buf + f->start, f->len);
            f->start = 0;
            room = f->cap - f->len;
            if ((off_t)room > f->size - f->pos) {
                room = (size_t)(f->size - f->pos);
            }
            got = pread(f->fd, f->buf + f->len, room, f->pos);
            if (got <= 0) {
                return mbk_error_sys(err, got < 0 ? errno : EIO, "pread",
                                     f->path);
            }
            f->pos += got;
            f->len += (size_t)got;
        }
    }
}

/* ---- parsing and filtering -------------------------------------------- */

/* The line as a JSON object, or NULL. */
static struct json_object *
parse_line(struct json_tokener *tok, const char *line, size_t n)
{
    struct json_object *o;

    if (n == 0 || n > MBK_AUDIT_LINE_MAX) {
        return NULL;
    }
    json_tokener_reset(tok);
    o = json_tokener_parse_ex(tok, line, (int)n);
    if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != n ||
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static const char *
get_string(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_string)) {
        return json_object_get_string(v);
    }
    return NULL;
}

static bool
find_nocase(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++) {
        if (strncasecmp(hay + i, needle, k) == 0) {
            return true;
        }
    }
    return false;
}

/* Up to 4 digits of s into *v; false unless exactly `count` digits. */
static bool
digits(const char **s, int count, int *v)
{
    *v = 0;
    for (int i = 0; i < count; i++) {
        if (!isdigit((unsigned char)(*s)[i])) {
            return false;
        }
        *v = *v * 10 + ((*s)[i] - '0');
    }
    *s += count;
    return true;
}

/* "YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z]" in the form of the log's lines,
 * which then compare as strings. */
static int
norm_time(const char *s, char out[32], struct mbk_error *err)
{
    const char *p = s;
    struct tm tm;
    int y;
    int mo;
    int d;
    int h = 0;
    int mi = 0;
    int sec = 0;
    int ms = 0;
    time_t t;

    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
        *p++ != '-' || !digits(&p, 2, &d)) {
        goto bad;
    }
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) {
            goto bad;
        }
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec)) {
                goto bad;
            }
            if (*p == '.') {
                int scale = 100;

                p++;
                if (!isdigit((unsigned char)*p)) {
                    goto bad;
                }
                for (; isdigit((unsigned char)*p); p++, scale /= 10) {
                    ms += (*p - '0') * scale;
                }
            }
        }
    }
    if (*p == 'Z') {
        p++;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60) {
        goto bad;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    mbk_names_iso8601((int64_t)t * 1000 + ms, out, 32);
    return 0;
bad:
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EINVAL,
                         "audit: time \"%.64s\" is not YYYY-MM-DD, "
                         "YYYY-MM-DDTHH:MM[:SS[.mmm]][Z] (UTC)",
                         s);
}

struct query {
    const struct mbk_audit_filter *f;
    char since[32];
    char until[32];
};

/* Whether the line may hold "key":"want": a cheap test before parsing,
 * exact for values that JSON writes without escapes. */
static bool
may_hold(const char *line, size_t n, const char *key, const char *want)
{
    char pat[256];
    int k;

    if (want == NULL || strpbrk(want, "\"\\") != NULL) {
        return true;
    }
    for (const char *c = want; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20) {
            return true;
        }
    }
    k = snprintf(pat, sizeof(pat), "\"%s\":\"%s\"", key, want);
    if (k < 0 || (size_t)k >= sizeof(pat)) {
        return true;
    }
    return memmem(line, n, pat, (size_t)k) != NULL;
}

static bool
field_is(struct json_object *o, const char *key, const char *want)
{
    const char *v;

    if (want == NULL) {
        return true;
    }
    v = get_string(o, key);
    return v != NULL && strcmp(v, want) == 0;
}

static bool
matches(const struct query *q, struct json_object *o)
{
    const struct mbk_audit_filter *f = q->f;
    const char *t = get_string(o, "time");

    if (f == NULL) {
        return true;
    }
    if (!field_is(o, "operation", f->operation) ||
        !field_is(o, "user", f->user) || !field_is(o, "outcome", f->outcome)) {
        return false;
    }
    if (f->since != NULL && (t == NULL || strcmp(t, q->since) < 0)) {
        return false;
    }
    if (f->until != NULL && (t == NULL || strcmp(t, q->until) >= 0)) {
        return false;
    }
    return true;
}

static bool
may_match(const struct query *q, const char *line, size_t n)
{
    const struct mbk_audit_filter *f = q->f;

    if (f == NULL) {
        return true;
    }
    if (f->text != NULL && !find_nocase(line, n, f->text)) {
        return false;
    }
    return may_hold(line, n, "operation", f->operation) &&
           may_hold(line, n, "user", f->user) &&
           may_hold(line, n, "outcome", f->outcome);
}

int
mbk_audit_read(const char *path, const struct mbk_audit_filter *f,
               uint64_t offset, uint64_t limit, mbk_audit_fn fn, void *ud,
               uint64_t *total, struct mbk_error *err)
{
    struct query q;
    struct rev r;
    struct json_tokener *tok = NULL;
    uint64_t matched = 0;
    uint64_t handed = 0;
    const char *line = NULL;
    size_t n = 0;
    off_t size;
    int fd = -1;
    int got;
    int rc = -1;

    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    q.f = f;
    if (f != NULL && ((f->since != NULL && norm_time(f->since, q.since,
                                                     err) != 0) ||
                      (f->until != NULL && norm_time(f->until, q.until,
                                                     err) != 0))) {
        return -1;
    }
    if (open_snapshot(path, &fd, &size, err) != 0) {
        if (err != NULL && err->domain == MBK_ERROR_SYS &&
            err->code == ENOENT) {
            mbk_error_clear(err);
            *total = 0;
            return 0;
        }
        return -1;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "audit: out of memory");
        goto out;
    }
    if (rev_init(&r, fd, size, path, err) != 0) {
        goto out;
    }
    while ((got = rev_next(&r, &line, &n, err)) == 1) {
        struct json_object *o;

        if (!may_match(&q, line, n)) {
            continue;
        }
        o = parse_line(tok, line, n);
        if (o == NULL) {
            continue;
        }
        if (matches(&q, o)) {
            matched++;
            if (matched > offset && (limit == 0 || handed < limit)) {
                handed++;
                if (fn != NULL && fn(o, ud) != 0) {
                    json_object_put(o);
                    mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ECANCELED,
                                  "audit: reading stopped by the caller");
                    goto out;
                }
            }
        }
        json_object_put(o);
    }
    if (got < 0) {
        goto out;
    }
    *total = matched;
    rc = 0;
out:
    json_tokener_free(tok);
    free(r.buf);
    close(fd);
    return rc;
}

/* ---- verify ----------------------------------------------------------- */

/* What is wrong with a line, or NULL; sets *code. */
static const char *
check_line(struct json_tokener *tok, const char *line, size_t n,
           bool newline, bool first, const char *expect, int *code)
{
    struct json_object *o;
    const char *prev;
    bool ok;

    *code = MBK_ENGINE_EFORMAT;
    if (!newline) {
        return "is torn: the file does not end with a newline (an "
               "interrupted write?)";
    }
    o = parse_line(tok, line, n);
    if (o == NULL) {
        return "is not a JSON object";
    }
    prev = get_string(o, "prev");
    if (prev == NULL) {
        json_object_put(o);
        return "has no \"prev\"";
    }
    ok = strcmp(prev, expect) == 0;
    json_object_put(o);
    if (!ok) {
        *code = MBK_ENGINE_EDIGEST;
        if (first) {
            return "has a \"prev\" that is not 64 zeros: lines removed "
                   "at the start?";
        }
        return "has a \"prev\" that is not the SHA-256 of the line "
               "before: a line was edited, removed or reordered";
    }
    return NULL;
}

int
mbk_audit_verify(const char *path, uint64_t *lines, uint64_t *bad_line,
                 struct mbk_error *err)
{
    char expect[MBK_AUDIT_HASH_HEX + 1] = MBK_AUDIT_ZERO_HASH;
    struct json_tokener *tok = NULL;
    struct fwd f;
    const char *why = NULL;
    const char *line = NULL;
    size_t n = 0;
    bool newline = false;
    uint64_t no = 0;
    uint64_t bad = 0;
    uint64_t after = 0;   /* lines after the bad one that chain on */
    uint64_t again = 0;   /* where the chain breaks again after it */
    int code = 0;
    int got;
    int fd;
    int rc = -1;

    memset(&f, 0, sizeof(f));
    if (open_snapshot(path, &fd, &f.size, err) != 0) {
        return -1;
    }
    f.fd = fd;
    f.path = path;
    f.cap = MBK_AUDIT_LINE_MAX + CHUNK + 1;
    f.buf = malloc(f.cap);
    tok = json_tokener_new();
    if (f.buf == NULL || tok == NULL) {
        mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM,
                      "audit: out of memory");
        goto out;
    }
    while ((got = fwd_next(&f, &line, &n, &newline, err)) == 1) {
        no++;
        if (bad == 0) {
            why = check_line(tok, line, n, newline, no == 1, expect,
                             &code);
            if (why != NULL) {
                bad = no;
            }
        } else if (again == 0) {
            int c;
            const char *w = check_line(tok, line, n, newline, false,
                                          expect, &c);

            if (w == NULL) {
                after++;
            } else {
                again = no;
            }
        }
        mbk_audit_sha256_hex(line, n, expect);
    }
    if (got < 0) {
        goto out;
    }
    if (got == 2) {
        no++;
        if (bad == 0) {
            bad = no;
            code = MBK_ENGINE_EFORMAT;
            why = "is longer than the longest audit line (65536 bytes)";
        }
    }
    *lines = no;
    if (bad == 0) {
        rc = 0;
        goto out;
    }
    *bad_line = bad;
    if (again != 0) {
        mbk_error_set(err, MBK_ERROR_ENGINE, code,
                      "line %llu %s; the chain breaks again at line %llu",
                      (unsigned long long)bad, why,
                      (unsigned long long)again);
    } else if (after > 0 && code == MBK_ENGINE_EFORMAT) {
        mbk_error_set(err, MBK_ERROR_ENGINE, code,
                      "line %llu %s; the %llu lines after it chain on from "
                      "it (a line torn by a crash, then ended?)",
                      (unsigned long long)bad, why,
                      (unsigned long long)after);
    } else {
        mbk_error_set(err, MBK_ERROR_ENGINE, code, "line %llu %s",
                      (unsigned long long)bad, why);
    }
out:
    json_tokener_free(tok);
    free(f.buf);
    close(fd);
    return rc;
}

struct json_object *
mbk_audit_page_json(uint64_t total, uint64_t offset, uint64_t limit,
                    struct json_object *entries)
{
    struct json_object *d = json_object_new_object();

    json_object_object_add(d, "total", json_object_new_int64((int64_t)total));
    json_object_object_add(d, "offset",
                           json_object_new_int64((int64_t)offset));
    json_object_object_add(d, "limit", json_object_new_int64((int64_t)limit));
    json_object_object_add(d, "entries", entries);
    return d;
}
