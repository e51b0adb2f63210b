/*
 * names.c: naming rules for backups, databases and collections, globs and
 * timestamps.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/names.h"

/* "<kind> "<name>": <why>", the name cut at 64 bytes. */
static int
bad(struct mbk_error *err, const char *kind, const char *name,
    const char *why)
{
    return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EBADNAME,
                         "%s \"%.64s\"%s: %s", kind, name,
                         strlen(name) > 64 ? "..." : "", why);
}

int
mbk_names_backup_check(const char *name, struct mbk_error *err)
{
    return mbk_storage_name_check(name, err);
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int
mbk_names_backup_file(const char *name, bool timestamp, bool gzip,
                      int64_t now_ms, char *file, size_t file_len,
                      char *stem, size_t stem_len, struct mbk_error *err)
{
    const char *ext = gzip ? ".json.gz" : ".json";
    char base[MBK_NAMES_BACKUP_MAX + 1];
    char ts[32] = "";
    size_t n;
    int w;

    if (mbk_names_backup_check(name, err) != 0) {
        return -1;
    }
    n = strlen(name);
    if (ends_with(name, ".json.gz")) {
        if (!gzip) {
            return bad(err, "backup name", name,
                       "ends in .json.gz but compression is none");
        }
        n -= strlen(".json.gz");
    } else if (ends_with(name, ".json")) {
        if (gzip) {
            return bad(err, "backup name", name,
                       "ends in .json but compression is gzip");
        }
        n -= strlen(".json");
    }
    if (n == 0) {
        return bad(err, "backup name", name,
                   "is only an extension");
    }
    memcpy(base, name, n);
    base[n] = '\0';
    if (timestamp) {
        time_t t = (time_t)(now_ms / 1000);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "_%Y-%m-%dT%H-%M-%SZ", &tm);
    }
    w = snprintf(stem, stem_len, "%s%s", base, ts);
    if (w < 0 || (size_t)w >= stem_len || (size_t)w > MBK_NAMES_BACKUP_MAX) {
        return bad(err, "backup name", name,
                   "is too long once the timestamp is added");
    }
    w = snprintf(file, file_len, "%s%s", stem, ext);
    if (w < 0 || (size_t)w >= file_len) {
        return bad(err, "backup name", name,
                   "is too long once the extension is added");
    }
    return 0;
}

int
mbk_names_db_check(const char *db, struct mbk_error *err)
{
    size_t n = strlen(db);

    if (n == 0) {
        return bad(err, "database name", db, "is empty");
    }
    if (n > MBK_NAMES_DB_MAX) {
        return bad(err, "database name", db,
                   "must be shorter than 64 bytes");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)db[i];

        if (c < 0x20 || c == 0x7f || strchr("/\\. \"$*<>:|?", c) != NULL) {
            return mbk_error_set(err, MBK_ERROR_ENGINE, MBK_ENGINE_EBADNAME,
                                 "database name \"%s\": character %zu "
                                 "(0x%02x) is not allowed "
                                 "(none of /\\. \"$*<>:|? or control "
                                 "characters)",
                                 db, i + 1, c);
        }
    }
    return 0;
}

int
mbk_names_coll_check(const char *db, const char *coll, struct mbk_error *err)
{
    size_t n = strlen(coll);

    if (n == 0) {
        return bad(err, "collection name", coll, "is empty");
    }
    if (strchr(coll, '$') != NULL) {
        return bad(err, "collection name", coll,
                   "must not contain '$'");
    }
    if (strncmp(coll, "system.", 7) == 0) {
        return bad(err, "collection name", coll,
                   "the system. prefix is reserved");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)coll[i];

        if (c < 0x20 || c == 0x7f) {
            return bad(err, "collection name", coll,
                       "must not contain control characters");
        }
    }
    if (db != NULL && strlen(db) + 1 + n > MBK_NAMES_NS_MAX) {
        return bad(err, "collection name", coll,
                   "makes the namespace longer than 255 bytes");
    }
    return 0;
}

bool
mbk_names_glob_match(const char *pattern, const char *name)
{
    const char *star = NULL;
    const char *retry = NULL;

    /* Greedy match with one backtrack point: enough for '*' alone. */
    while (*name != '\0') {
        if (*pattern == '*') {
            star = ++pattern;
            retry = name;
        } else if (*pattern == *name) {
            pattern++;
            name++;
        } else if (star != NULL) {
            pattern = star;
            name = ++retry;
        } else {
            return false;
        }
    }
    while (*pattern == '*') {
        pattern++;
    }
    return *pattern == '\0';
}

bool
mbk_names_list_match(const char *const *patterns, const char *name)
{
    if (patterns == NULL) {
        return false;
    }
    for (; *patterns != NULL; patterns++) {
        if (mbk_names_glob_match(*patterns, name)) {
            return true;
        }
    }
    return false;
}

void
mbk_names_iso8601(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char day[24];

    gmtime_r(&t, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", day, (int)(ms % 1000));
}

void
mbk_names_hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

double
mbk_names_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
mbk_names_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
