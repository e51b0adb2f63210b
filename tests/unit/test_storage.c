/*
 * test_storage.c: the storage conformance suite.  The same cases run
 * against every plugin (fs, tar, and each URL of $MBK_TEST_STORAGE_URLS,
 * e.g. "s3://bucket/prefix"), skipping by capability, through the host API
 * a caller uses; fixtures live in a mkdtemp() folder, and a URL store gets
 * a fresh sub-prefix per case, emptied after it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/loader.h"

#define MIB (1024 * 1024)

/* The stores under test: a local one in the fixture folder (+ suffix),
 * or a URL (then name is its scheme). */
struct target {
    char name[64];
    const char *suffix; /* local: the location is the folder + this */
    const char *url;    /* else: the location is url/<fixture's name> */
};

#define TARGETS_MAX 8
static struct target plugins[TARGETS_MAX] = {
    { "fs", "", NULL },
    { "tar", "/backups.tar", NULL },
};
static size_t nplugins = 2;

static int current;          /* index in plugins[] */
static const char *plugin_dir;
static char fixture[512];    /* the test's mkdtemp() folder */
static char root[600];       /* fixture/store: the folder the store uses */

struct fx {
    struct mbk_storage *s;
    uint32_t caps;
};

/* Whether the store under test is local: what it leaves on disk is
 * checked too. */
static int
local(void)
{
    return plugins[current].url == NULL;
}

static struct mbk_storage *
open_at(const char *folder, struct mbk_error *err)
{
    char loc[700];
    char spec[800];

    if (!local()) {
        snprintf(spec, sizeof(spec), "%s/%s", plugins[current].url,
                 strrchr(fixture, '/') + 1);
        return mbk_storage_open(spec, plugin_dir, err);
    }
    snprintf(loc, sizeof(loc), "%s%s", folder, plugins[current].suffix);
    snprintf(spec, sizeof(spec), "%s:%s", plugins[current].name, loc);
    return mbk_storage_open(spec, plugin_dir, err);
}

static int
remove_each(const struct mbk_storage_entry *e, void *ud)
{
    struct mbk_error err;

    if (mbk_storage_remove(ud, e->name, &err) != 0) {
        fprintf(stderr, "teardown: remove %s: %s\n", e->name, err.message);
    }
    return 0;
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    struct mbk_error err;
    char *real;

    snprintf(fixture, sizeof(fixture), "/tmp/mbk-storage-XXXXXX");
    if (fx == NULL || mkdtemp(fixture) == NULL) {
        return -1;
    }
    real = realpath(fixture, NULL);
    snprintf(fixture, sizeof(fixture), "%s", real);
    free(real);
    snprintf(root, sizeof(root), "%s/store", fixture);
    if (mkdir(root, 0700) != 0) {
        return -1;
    }
    fx->s = open_at(root, &err);
    if (fx->s == NULL) {
        char cmd[600];

        fprintf(stderr, "open %s: %s\n", plugins[current].name, err.message);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", fixture);
        }
        free(fx);
        return -1;
    }
    fx->caps = mbk_storage_get_caps(fx->s);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    char cmd[600];

    if (!local() && (fx->caps & MBK_STORAGE_CAP_REMOVE)) {
        /* A bucket is not removed with the fixture: empty the prefix. */
        mbk_storage_list(fx->s, remove_each, fx->s, &err);
    }
    mbk_storage_close(fx->s);
    free(fx);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture);
    return system(cmd) == 0 ? 0 : -1;
}

/* Deterministic bytes: backup "seed" at offset off. */
static void
pattern(unsigned char *buf, size_t len, unsigned seed, uint64_t off)
{
    size_t i;

    for (i = 0; i < len; i++) {
        uint64_t o = off + i;

        buf[i] = (unsigned char) (seed * 131u + o * 7u + (o >> 9));
    }
}

/* Put total bytes of pattern seed in chunks; announce the size or not. */
static int
put(struct mbk_storage *s, const char *name, size_t total, size_t chunk,
    int known, unsigned seed, const char *meta, struct mbk_error *err)
{
    struct mbk_storage_writer *w;
    unsigned char *buf = malloc(chunk);
    size_t off = 0;

    assert_non_null(buf);
    w = mbk_storage_put_begin(s, name, known ? (int64_t) total : -1, meta,
                              err);
    if (w == NULL) {
        free(buf);
        return -1;
    }
    while (off < total) {
        size_t n = total - off < chunk ? total - off : chunk;

        pattern(buf, n, seed, off);
        if (mbk_storage_put_write(s, w, buf, n, err) != 0) {
            mbk_storage_put_abort(s, w);
            free(buf);
            return -1;
        }
        off += n;
    }
    free(buf);
    return mbk_storage_put_commit(s, w, err);
}

static void
put_ok(struct mbk_storage *s, const char *name, size_t total, int known,
       unsigned seed, const char *meta)
{
    struct mbk_error err;

    if (put(s, name, total, 65536, known, seed, meta, &err) != 0) {
        fail_msg("put %s: %s", name, err.message);
    }
}

/* Read name back in odd-sized chunks; 0 if it is exactly the pattern. */
static int
get_matches(struct mbk_storage *s, const char *name, size_t total,
            unsigned seed)
{
    struct mbk_storage_reader *r;
    struct mbk_error err;
    unsigned char buf[10007];
    unsigned char want[10007];
    uint64_t off = 0;
    ssize_t n;

    r = mbk_storage_get_open(s, name, &err);
    if (r == NULL) {
        fprintf(stderr, "get %s: %s\n", name, err.message);
        return -1;
    }
    while ((n = mbk_storage_get_read(s, r, buf, sizeof(buf), &err)) > 0) {
        pattern(want, (size_t) n, seed, off);
        if (off + (uint64_t) n > total || memcmp(buf, want, (size_t) n) != 0) {
            mbk_storage_get_close(s, r);
            return -1;
        }
        off += (uint64_t) n;
    }
    mbk_storage_get_close(s, r);
    return n == 0 && off == total ? 0 : -1;
}

struct listing {
    int n;
    char names[16][MBK_STORAGE_NAME_MAX + 1];
    uint64_t sizes[16];
    int64_t mtimes[16];
    char *metas[16];
    int stop_after;
};

static int
collect(const struct mbk_storage_entry *e, void *ud)
{
    struct listing *l = ud;

    assert_true(l->n < 16);
    snprintf(l->names[l->n], sizeof(l->names[0]), "%s", e->name);
    l->sizes[l->n] = e->size;
    l->mtimes[l->n] = e->mtime;
    l->metas[l->n] = e->meta_json == NULL ? NULL : strdup(e->meta_json);
    l->n++;
    return l->stop_after > 0 && l->n >= l->stop_after;
}

static void
list_free(struct listing *l)
{
    int i;

    for (i = 0; i < l->n; i++) {
        free(l->metas[i]);
    }
}

/* List into l (zeroed first); fails the test on error. */
static void
list_ok(struct mbk_storage *s, struct listing *l)
{
    struct mbk_error err;

    memset(l, 0, sizeof(*l));
    if (mbk_storage_list(s, collect, l, &err) != 0) {
        fail_msg("list: %s", err.message);
    }
}

static int
find(const struct listing *l, const char *name)
{
    int i;

    for (i = 0; i < l->n; i++) {
        if (strcmp(l->names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* Bytes in regular files under dir, and whether a temp file is there. */
static uint64_t
dir_bytes(const char *dir, int *has_tmp)
{
    struct dirent *de;
    uint64_t total = 0;
    DIR *d = opendir(dir);

    assert_non_null(d);
    if (has_tmp != NULL) {
        *has_tmp = 0;
    }
    while ((de = readdir(d)) != NULL) {
        char p[1200];
        struct stat sb;

        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            total += (uint64_t) sb.st_size;
        }
        if (has_tmp != NULL && strstr(de->d_name, "mbk-tmp") != NULL) {
            *has_tmp = 1;
        }
    }
    closedir(d);
    return total;
}

static int
dir_entries(const char *dir)
{
    struct dirent *de;
    int n = 0;
    DIR *d = opendir(dir);

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static void
test_storage_fresh_store_is_empty(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    struct mbk_error err;

    list_ok(fx->s, &l);
    assert_int_equal(l.n, 0);
    assert_null(mbk_storage_get_open(fx->s, "a.json", &err));
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    /* Opening, listing and a failed get create nothing. */
    if (local()) {
        assert_int_equal(dir_entries(root), 0);
    }
}

static void
test_storage_roundtrip_empty(void **state)
{
    struct fx *fx = *state;
    struct listing l;

    put_ok(fx->s, "empty.json", 0, 1, 1, NULL);
    put_ok(fx->s, "empty2.json", 0, 0, 1, NULL);
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.sizes[find(&l, "empty.json")], 0);
    assert_int_equal(l.sizes[find(&l, "empty2.json")], 0);
    assert_int_equal(get_matches(fx->s, "empty.json", 0, 1), 0);
    assert_int_equal(get_matches(fx->s, "empty2.json", 0, 1), 0);
    list_free(&l);
}

static void
test_storage_roundtrip_small(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    time_t now = time(NULL);
    int i;

    put_ok(fx->s, "small.json", 5, 1, 7, NULL);
    put_ok(fx->s, "small.json.gz", 513, 0, 8, NULL);
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 2);
    i = find(&l, "small.json");
    assert_true(i >= 0);
    assert_int_equal(l.sizes[i], 5);
    assert_true(l.mtimes[i] >= now - 60 && l.mtimes[i] <= now + 60);
    assert_int_equal(l.sizes[find(&l, "small.json.gz")], 513);
    assert_int_equal(get_matches(fx->s, "small.json", 5, 7), 0);
    assert_int_equal(get_matches(fx->s, "small.json.gz", 513, 8), 0);
    /* The check itself can fail: a wrong seed does not match. */
    assert_int_equal(get_matches(fx->s, "small.json", 5, 9), -1);
    list_free(&l);
}

static void
test_storage_roundtrip_multi_mb(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    struct listing l;

    put_ok(fx->s, "big.json", 5 * MIB + 3, 1, 21, NULL);
    /* Unknown size, small chunks: tar spools, fs streams. */
    assert_int_equal(put(fx->s, "big2.json.gz", 3 * MIB + 1, 1000, 0, 22,
                         NULL, &err), 0);
    list_ok(fx->s, &l);
    assert_int_equal(l.sizes[find(&l, "big.json")], 5 * MIB + 3);
    assert_int_equal(l.sizes[find(&l, "big2.json.gz")], 3 * MIB + 1);
    assert_int_equal(get_matches(fx->s, "big.json", 5 * MIB + 3, 21), 0);
    assert_int_equal(get_matches(fx->s, "big2.json.gz", 3 * MIB + 1, 22), 0);
    list_free(&l);
}

static void
test_storage_size_mismatch_refused(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    struct listing l;

    /* Fewer bytes than announced: commit fails, nothing is listed. */
    assert_int_equal(put(fx->s, "short.json", 100, 10, 1, 1, NULL, &err), 0);
    {
        struct mbk_storage_writer *w;

        w = mbk_storage_put_begin(fx->s, "short2.json", 100, NULL, &err);
        assert_non_null(w);
        assert_int_equal(mbk_storage_put_write(fx->s, w, "abc", 3, &err), 0);
        assert_int_equal(mbk_storage_put_commit(fx->s, w, &err), -1);
        assert_string_equal(err.message, "put \"short2.json\": 3 bytes "
                                         "written, 100 announced");
        w = mbk_storage_put_begin(fx->s, "long.json", 2, NULL, &err);
        assert_non_null(w);
        assert_int_equal(mbk_storage_put_write(fx->s, w, "abc", 3, &err), -1);
        assert_string_equal(err.message, "put \"long.json\": more than the 2 "
                                         "bytes announced");
        mbk_storage_put_abort(fx->s, w);
    }
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.names[0], "short.json");
    list_free(&l);
}

static void
test_storage_abort_leaves_nothing(void **state)
{
    struct fx *fx = *state;
    struct mbk_storage_writer *w;
    struct mbk_error err;
    unsigned char buf[65536];
    struct listing l;
    int has_tmp;
    int known;

    for (known = 0; known < 2; known++) {
        w = mbk_storage_put_begin(fx->s, "a.json", known ? 10 * 65536 : -1,
                                  "{\"a\":1}", &err);
        assert_non_null(w);
        pattern(buf, sizeof(buf), 3, 0);
        assert_int_equal(mbk_storage_put_write(fx->s, w, buf, sizeof(buf),
                                               &err), 0);
        mbk_storage_put_abort(fx->s, w);
        list_ok(fx->s, &l);
        assert_int_equal(l.n, 0);
        assert_null(mbk_storage_get_open(fx->s, "a.json", &err));
        assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
        if (local()) {
            assert_true(dir_bytes(root, &has_tmp) <= 2048);
            assert_false(has_tmp);
        }
    }
    put_ok(fx->s, "a.json", 1000, 1, 4, NULL);
    assert_int_equal(get_matches(fx->s, "a.json", 1000, 4), 0);
}

static void
test_storage_duplicate_eexist(void **state)
{
    struct fx *fx = *state;
    struct mbk_storage_writer *w1;
    struct mbk_storage_writer *w2;
    struct mbk_error err;
    struct listing l;

    put_ok(fx->s, "a.json", 1000, 1, 1, NULL);
    assert_null(mbk_storage_put_begin(fx->s, "a.json", 10, NULL, &err));
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_EEXIST);
    assert_non_null(strstr(err.message, "\"a.json\" exists already"));
    assert_int_equal(put(fx->s, "a.json", 10, 10, 0, 2, NULL, &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_EEXIST);
    assert_int_equal(get_matches(fx->s, "a.json", 1000, 1), 0);

    /* Two writers of one new name: the first commit wins, the second
     * gets EEXIST and replaces nothing. */
    w1 = mbk_storage_put_begin(fx->s, "b.json", 4, NULL, &err);
    assert_non_null(w1);
    w2 = mbk_storage_put_begin(fx->s, "b.json", 4, NULL, &err);
    assert_non_null(w2);
    assert_int_equal(mbk_storage_put_write(fx->s, w1, "1111", 4, &err), 0);
    assert_int_equal(mbk_storage_put_write(fx->s, w2, "2222", 4, &err), 0);
    assert_int_equal(mbk_storage_put_commit(fx->s, w1, &err), 0);
    assert_int_equal(mbk_storage_put_commit(fx->s, w2, &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_EEXIST);
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 2);
    list_free(&l);
    {
        struct mbk_storage_reader *r = mbk_storage_get_open(fx->s, "b.json",
                                                            &err);
        char buf[8] = { 0 };

        assert_non_null(r);
        assert_int_equal(mbk_storage_get_read(fx->s, r, buf, sizeof(buf),
                                              &err), 4);
        assert_string_equal(buf, "1111");
        mbk_storage_get_close(fx->s, r);
    }
}

static void
test_storage_not_found(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    char buf[256];

    put_ok(fx->s, "there.json", 10, 1, 1, NULL);
    assert_null(mbk_storage_get_open(fx->s, "nope.json", &err));
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_non_null(strstr(err.message, "no backup \"nope.json\""));
    if (fx->caps & MBK_STORAGE_CAP_REMOVE) {
        assert_int_equal(mbk_storage_remove(fx->s, "nope.json", &err), -1);
        assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    }
    if (fx->caps & MBK_STORAGE_CAP_LOCAL_PATH) {
        assert_int_equal(mbk_storage_path(fx->s, "nope.json", buf,
                                          sizeof(buf), &err), -1);
        assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    }
}

static void
test_storage_remove(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    struct listing l;

    if (!(fx->caps & MBK_STORAGE_CAP_REMOVE)) {
        skip();
    }
    put_ok(fx->s, "a.json", 70000, 1, 1, "{\"n\":\"a\"}");
    put_ok(fx->s, "b.json", 80000, 0, 2, "{\"n\":\"b\"}");
    put_ok(fx->s, "c.json", 90000, 1, 3, "{\"n\":\"c\"}");
    assert_int_equal(mbk_storage_remove(fx->s, "b.json", &err), 0);
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 2);
    assert_true(find(&l, "a.json") >= 0);
    assert_true(find(&l, "c.json") >= 0);
    assert_int_equal(find(&l, "b.json"), -1);
    if (fx->caps & MBK_STORAGE_CAP_LIST_META) {
        assert_string_equal(l.metas[find(&l, "c.json")], "{\"n\":\"c\"}");
    }
    list_free(&l);
    assert_int_equal(get_matches(fx->s, "a.json", 70000, 1), 0);
    assert_int_equal(get_matches(fx->s, "c.json", 90000, 3), 0);
    assert_int_equal(mbk_storage_remove(fx->s, "b.json", &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_int_equal(mbk_storage_remove(fx->s, "c.json", &err), 0);
    assert_int_equal(mbk_storage_remove(fx->s, "a.json", &err), 0);
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 0);
    put_ok(fx->s, "b.json", 100, 1, 5, NULL);
    assert_int_equal(get_matches(fx->s, "b.json", 100, 5), 0);
}

static void
test_storage_names_refused(void **state)
{
    struct fx *fx = *state;
    char toolong[MBK_STORAGE_NAME_MAX + 2];
    const char *bad[] = {
        "..", ".", "", "/x", "/etc/passwd", "a/b", "../a.json",
        ".hidden.json", "a\x01.json", "a\n.json", "a b.json", toolong,
    };
    struct mbk_error err;
    char buf[256];
    size_t i;

    memset(toolong, 'x', sizeof(toolong) - 1);
    toolong[sizeof(toolong) - 1] = '\0';
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = 0;
        assert_null(mbk_storage_put_begin(fx->s, bad[i], 1, NULL, &err));
        assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
        assert_non_null(strstr(err.message, "backup name"));
        err.code = 0;
        assert_null(mbk_storage_get_open(fx->s, bad[i], &err));
        assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
        err.code = 0;
        assert_int_equal(mbk_storage_remove(fx->s, bad[i], &err), -1);
        assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
        err.code = 0;
        assert_int_equal(mbk_storage_path(fx->s, bad[i], buf, sizeof(buf),
                                          &err), -1);
        assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
    }
    /* A name with a NUL is cut there in C: the host checks what the
     * plugin would see (test_path covers the counted form). */
    if (local()) {
        assert_int_equal(dir_entries(root), 0);
        assert_int_equal(dir_entries(fixture), 1);
    }
}

static void
test_storage_meta_roundtrip(void **state)
{
    struct fx *fx = *state;
    const char *meta = "{\"database\":\"d\\\"q\",\"description\":\"caf\xc3"
                       "\xa9\\nline\",\"collections\":[\"a\",\"b\"]}";
    char *big;
    struct listing l;

    big = malloc(200001);
    assert_non_null(big);
    memset(big, 'm', 200000);
    big[0] = '"';
    big[199999] = '"';
    big[200000] = '\0';
    put_ok(fx->s, "m.json", 10, 1, 1, meta);
    put_ok(fx->s, "m2.json", 10, 0, 1, NULL);
    put_ok(fx->s, "m3.json", 10, 1, 1, big);
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 3);
    if (fx->caps & MBK_STORAGE_CAP_LIST_META) {
        assert_string_equal(l.metas[find(&l, "m.json")], meta);
        assert_string_equal(l.metas[find(&l, "m3.json")], big);
    } else {
        assert_null(l.metas[find(&l, "m.json")]);
        assert_null(l.metas[find(&l, "m3.json")]);
    }
    assert_null(l.metas[find(&l, "m2.json")]);
    list_free(&l);
    free(big);
}

static void
test_storage_list_stops_early(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    struct listing l;

    put_ok(fx->s, "a.json", 1, 1, 1, NULL);
    put_ok(fx->s, "b.json", 1, 1, 1, NULL);
    put_ok(fx->s, "c.json", 1, 1, 1, NULL);
    memset(&l, 0, sizeof(l));
    l.stop_after = 1;
    assert_int_equal(mbk_storage_list(fx->s, collect, &l, &err), 0);
    assert_int_equal(l.n, 1);
    list_free(&l);
}

static void
test_storage_crash_leftovers_cleaned(void **state)
{
    struct fx *fx = *state;
    struct mbk_storage *s2;
    struct mbk_storage_writer *live;
    struct mbk_error err;
    struct listing l;
    int has_tmp;
    int status;
    pid_t pid;

    /* A writer that dies in the middle of a put. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct mbk_storage *c = open_at(root, NULL);
        struct mbk_storage_writer *w;
        static unsigned char buf[MIB];

        w = c == NULL ? NULL
                      : mbk_storage_put_begin(c, "crash.json", 2 * MIB, NULL,
                                              NULL);
        if (w == NULL || mbk_storage_put_write(c, w, buf, MIB, NULL) != 0) {
            _exit(1);
        }
        _exit(0); /* no commit, no abort: a crash */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (local()) {
        assert_true(dir_bytes(root, NULL) >= MIB); /* it left something */
    }
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 0);

    /* The next open cleans it up. */
    s2 = open_at(root, &err);
    assert_non_null(s2);
    if (local()) {
        assert_true(dir_bytes(root, &has_tmp) < 64 * 1024);
        assert_false(has_tmp);
    }
    list_ok(s2, &l);
    assert_int_equal(l.n, 0);
    mbk_storage_close(s2);

    /* But a live writer's work survives someone else's open. */
    live = mbk_storage_put_begin(fx->s, "live.json", 3, NULL, &err);
    assert_non_null(live);
    assert_int_equal(mbk_storage_put_write(fx->s, live, "abc", 3, &err), 0);
    s2 = open_at(root, &err);
    assert_non_null(s2);
    assert_int_equal(mbk_storage_put_commit(fx->s, live, &err), 0);
    list_ok(s2, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.names[0], "live.json");
    assert_int_equal(l.sizes[0], 3);
    list_free(&l);
    mbk_storage_close(s2);
    put_ok(fx->s, "crash.json", 1000, 1, 6, NULL);
    assert_int_equal(get_matches(fx->s, "crash.json", 1000, 6), 0);
}

static void
test_storage_symlink_root_refused(void **state)
{
    struct mbk_error err;
    char real[700];
    char link[800];
    const char *base;

    if (!local()) {
        skip(); /* no local root to link to */
    }
    /* The store's own location, then a symlink to it beside it. */
    snprintf(real, sizeof(real), "%s%s", root, plugins[current].suffix);
    put_ok(((struct fx *) *state)->s, "a.json", 10, 1, 1, NULL);
    assert_int_equal(access(real, F_OK), 0);
    base = strrchr(real, '/') + 1;
    snprintf(link, sizeof(link), "%s-link", real);
    assert_int_equal(symlink(base, link), 0);
    {
        char spec[900];

        snprintf(spec, sizeof(spec), "%s:%s", plugins[current].name, link);
        assert_null(mbk_storage_open(spec, plugin_dir, &err));
        assert_int_equal(err.domain, MBK_ERROR_STORAGE);
        assert_int_equal(err.code, MBK_STORAGE_EBADROOT);
        assert_non_null(strstr(err.message, "is a symbolic link, not "
                                            "followed"));
    }
}

/* The race a destinationPath has: the host opened the directory
 * (root/sub) after its check, then a component of the name is swapped for
 * a symbolic link to elsewhere (root renamed away, root -> elsewhere, with
 * an elsewhere/sub) before the plugin opens and writes.  With the
 * descriptor the store lands beneath the directory opened (now
 * moved/sub), and nothing at all where the link points. */
static void
test_storage_dirfd_root_survives_swap(void **state)
{
    struct mbk_storage *s;
    struct mbk_error err;
    struct listing l;
    struct stat sb;
    char sub[700];
    char moved[700];
    char elsewhere[700];
    char spec[900];
    char file[900];
    DIR *d;
    int dfd;

    (void) state;
    if (!local()) {
        skip(); /* a URL store has no directory */
    }
    snprintf(sub, sizeof(sub), "%s/sub", root);
    assert_int_equal(mkdir(sub, 0700), 0);
    dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);

    snprintf(moved, sizeof(moved), "%s/moved", fixture);
    snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", fixture);
    assert_int_equal(mkdir(elsewhere, 0700), 0);
    snprintf(file, sizeof(file), "%s/sub", elsewhere);
    assert_int_equal(mkdir(file, 0700), 0);
    assert_int_equal(rename(root, moved), 0);
    assert_int_equal(symlink(elsewhere, root), 0);

    snprintf(spec, sizeof(spec), "%s:%s%s", plugins[current].name, sub,
             plugins[current].suffix);
    s = mbk_storage_open_at(spec, NULL, 0, dfd, plugin_dir, &err);
    if (s == NULL) {
        fail_msg("open_at: %s", err.message);
    }
    assert_int_equal(close(dfd), 0); /* lent: the plugin keeps a dup */
    put_ok(s, "swapped.json", 1000, 1, 7, NULL);
    list_ok(s, &l);
    assert_int_equal(l.n, 1);
    mbk_storage_close(s);

    /* Beneath the directory opened, under its new name... */
    snprintf(file, sizeof(file), "%s/sub%s", moved,
             plugins[current].suffix[0] != '\0' ? plugins[current].suffix
                                                : "/swapped.json");
    assert_int_equal(lstat(file, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    /* ...and nothing at all where the link points. */
    snprintf(file, sizeof(file), "%s/sub", elsewhere);
    d = opendir(file);
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            fail_msg("\"%s\" appeared in the link's target", de->d_name);
        }
    }
    closedir(d);
}

/* A directory descriptor is for local stores only; a bad one is refused. */
static void
test_storage_dirfd_not_a_directory(void **state)
{
    struct mbk_error err;
    char spec[900];
    char file[700];
    int fd;

    (void) state;
    if (!local()) {
        skip();
    }
    snprintf(file, sizeof(file), "%s/plain", fixture);
    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    snprintf(spec, sizeof(spec), "%s:%s%s", plugins[current].name, root,
             plugins[current].suffix);
    assert_null(mbk_storage_open_at(spec, NULL, 0, fd, plugin_dir, &err));
    assert_int_equal(err.domain, MBK_ERROR_STORAGE);
    assert_int_equal(err.code, MBK_STORAGE_EBADROOT);
    snprintf(spec, sizeof(spec), "%s:relative%s", plugins[current].name,
             plugins[current].suffix);
    assert_null(mbk_storage_open_at(spec, NULL, 0, fd, plugin_dir, &err));
    assert_int_equal(err.code, MBK_STORAGE_EBADROOT);
    assert_non_null(strstr(err.message, "not an absolute local path"));
    close(fd);
}

static void
test_storage_symlink_backup_not_followed(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    struct listing l;
    struct stat sb;
    char secret[700];
    char evil[700];
    char buf[64] = { 0 };
    FILE *f;

    if (!(fx->caps & MBK_STORAGE_CAP_LOCAL_PATH)) {
        skip(); /* no file per backup to replace */
    }
    snprintf(secret, sizeof(secret), "%s/secret", fixture);
    f = fopen(secret, "w");
    assert_non_null(f);
    fputs("secret", f);
    fclose(f);
    snprintf(evil, sizeof(evil), "%s/evil.json", root);
    assert_int_equal(symlink(secret, evil), 0);

    list_ok(fx->s, &l);
    assert_int_equal(l.n, 0);
    assert_null(mbk_storage_get_open(fx->s, "evil.json", &err));
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_non_null(strstr(err.message, "symbolic link"));
    assert_int_equal(put(fx->s, "evil.json", 5, 5, 1, 1, NULL, &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_EEXIST);
    assert_int_equal(mbk_storage_path(fx->s, "evil.json", buf, sizeof(buf),
                                      &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_int_equal(mbk_storage_remove(fx->s, "evil.json", &err), -1);
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_int_equal(lstat(evil, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    f = fopen(secret, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    assert_string_equal(buf, "secret");
}

static void
test_storage_path(void **state)
{
    struct fx *fx = *state;
    struct mbk_error err;
    char buf[256];
    char full[1000];

    if (!(fx->caps & MBK_STORAGE_CAP_LOCAL_PATH)) {
        assert_int_equal(mbk_storage_path(fx->s, "a.json", buf, sizeof(buf),
                                          &err), -1);
        assert_int_equal(err.code, MBK_STORAGE_ENOTSUP);
        return;
    }
    put_ok(fx->s, "a.json", 4321, 1, 9, NULL);
    assert_int_equal(mbk_storage_path(fx->s, "a.json", buf, sizeof(buf),
                                      &err), 0);
    assert_string_equal(buf, "a.json");
    snprintf(full, sizeof(full), "%s/%s", mbk_storage_get_location(fx->s),
             buf);
    {
        struct stat sb;

        assert_int_equal(stat(full, &sb), 0);
        assert_int_equal(sb.st_size, 4321);
    }
    assert_int_equal(mbk_storage_path(fx->s, "a.json", buf, 4, &err), -1);
}

/* What stat() gave: one entry, copied. */
struct one {
    int calls;
    char name[MBK_STORAGE_NAME_MAX + 1];
    uint64_t size;
    int64_t mtime;
    char *meta;
};

static int
keep_one(const struct mbk_storage_entry *e, void *ud)
{
    struct one *o = ud;

    o->calls++;
    snprintf(o->name, sizeof(o->name), "%s", e->name);
    o->size = e->size;
    o->mtime = e->mtime;
    free(o->meta);
    o->meta = e->meta_json == NULL ? NULL : strdup(e->meta_json);
    return 0;
}

static void
test_storage_stat(void **state)
{
    struct fx *fx = *state;
    struct mbk_storage_writer *w;
    struct mbk_error err;
    struct one o = { 0 };
    struct listing l;
    int i;

    /* The store was opened by its scheme, which is the plugin's here. */
    assert_string_equal(mbk_storage_get_scheme(fx->s), plugins[current].name);
    put_ok(fx->s, "a.json", 5000, 1, 1, "{\"n\":\"a\"}");
    put_ok(fx->s, "b.json.gz", 70001, 0, 2, "{\"n\":\"b\"}");
    list_ok(fx->s, &l);
    for (i = 0; i < l.n; i++) {
        /* stat() says what list() says, entry for entry. */
        o.calls = 0;
        assert_int_equal(mbk_storage_stat(fx->s, l.names[i], keep_one, &o,
                                          &err), 0);
        assert_int_equal(o.calls, 1);
        assert_string_equal(o.name, l.names[i]);
        assert_int_equal(o.size, l.sizes[i]);
        assert_int_equal(o.mtime, l.mtimes[i]);
        if (fx->caps & MBK_STORAGE_CAP_LIST_META) {
            assert_non_null(o.meta);
            assert_string_equal(o.meta, l.metas[i]);
        } else {
            assert_null(o.meta);
        }
    }
    assert_int_equal(l.n, 2);
    list_free(&l);

    /* Absent, not yet committed, removed: not found, fn never called. */
    o.calls = 0;
    assert_int_equal(mbk_storage_stat(fx->s, "nope.json", keep_one, &o, &err),
                     -1);
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    w = mbk_storage_put_begin(fx->s, "c.json", 3, NULL, &err);
    assert_non_null(w);
    assert_int_equal(mbk_storage_put_write(fx->s, w, "abc", 3, &err), 0);
    assert_int_equal(mbk_storage_stat(fx->s, "c.json", keep_one, &o, &err),
                     -1);
    assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    assert_int_equal(mbk_storage_put_commit(fx->s, w, &err), 0);
    assert_int_equal(mbk_storage_stat(fx->s, "c.json", keep_one, &o, &err), 0);
    assert_int_equal(o.size, 3);
    if (fx->caps & MBK_STORAGE_CAP_REMOVE) {
        assert_int_equal(mbk_storage_remove(fx->s, "a.json", &err), 0);
        assert_int_equal(mbk_storage_stat(fx->s, "a.json", keep_one, &o,
                                          &err), -1);
        assert_int_equal(err.code, MBK_STORAGE_ENOTFOUND);
    }
    assert_int_equal(o.calls, 1);
    assert_int_equal(mbk_storage_stat(fx->s, "../a.json", keep_one, &o, &err),
                     -1);
    assert_int_equal(err.code, MBK_STORAGE_EBADNAME);
    free(o.meta);
}

struct job {
    struct mbk_storage *s;
    char name[32];
    size_t size;
    int known;
    unsigned seed;
    int rc;
    char message[MBK_ERROR_MESSAGE_MAX];
};

static void *
writer_thread(void *ud)
{
    struct job *j = ud;
    struct mbk_error err;

    j->rc = put(j->s, j->name, j->size, 65536, j->known, j->seed, NULL, &err);
    if (j->rc != 0) {
        snprintf(j->message, sizeof(j->message), "%s", err.message);
    }
    return NULL;
}

static void
test_storage_two_writers_at_once(void **state)
{
    struct fx *fx = *state;
    struct job jobs[4];
    pthread_t t[4];
    struct listing l;
    int i;

    for (i = 0; i < 4; i++) {
        jobs[i].s = fx->s;
        snprintf(jobs[i].name, sizeof(jobs[i].name), "w%d.json", i);
        jobs[i].size = 2 * MIB + (size_t) i * 1000;
        jobs[i].known = i < 2; /* two announce their size, two do not */
        jobs[i].seed = 40 + (unsigned) i;
        assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &jobs[i]),
                         0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (jobs[i].rc != 0) {
            fail_msg("writer %d: %s", i, jobs[i].message);
        }
    }
    list_ok(fx->s, &l);
    assert_int_equal(l.n, 4);
    for (i = 0; i < 4; i++) {
        assert_int_equal(l.sizes[find(&l, jobs[i].name)], jobs[i].size);
        assert_int_equal(get_matches(fx->s, jobs[i].name, jobs[i].size,
                                     jobs[i].seed), 0);
    }
    list_free(&l);
}

/*
 * A writer and a lister in step: at each checkpoint (after the first
 * chunk of a put, half way, and after its commit) the writer waits until
 * the lister has made a whole listing that began after the checkpoint,
 * so that listings provably overlap every put whatever the speed.
 */
struct stepped {
    struct mbk_storage *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int checkpoint; /* raised by the writer */
    int expect;     /* backups committed at that checkpoint */
    int listed;     /* the last checkpoint a whole listing followed */
    int done;
    int rc;
    char why[MBK_ERROR_MESSAGE_MAX + 16];
};

#define STEP_COUNT 6
#define STEP_SIZE (256 * 1024 + 17)
#define STEP_WAIT_SECONDS 600 /* generous: sanitizers, a busy machine */

/* Raise a checkpoint and wait for a listing after it; -1 past the
 * deadline (the lister died). */
static int
checkpoint(struct stepped *st, int committed)
{
    struct timespec deadline;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += STEP_WAIT_SECONDS;
    pthread_mutex_lock(&st->mu);
    st->checkpoint++;
    st->expect = committed;
    pthread_cond_broadcast(&st->cv);
    while (rc == 0 && st->listed < st->checkpoint) {
        rc = pthread_cond_timedwait(&st->cv, &st->mu, &deadline);
    }
    pthread_mutex_unlock(&st->mu);
    return rc == 0 ? 0 : -1;
}

static void *
stepped_writer(void *ud)
{
    struct stepped *st = ud;
    struct mbk_storage_writer *w;
    struct mbk_error err;
    static unsigned char buf[8192];
    char name[32];
    int i;

    for (i = 0; i < STEP_COUNT && st->rc == 0; i++) {
        size_t off = 0;
        int chunk = 0;

        snprintf(name, sizeof(name), "slow%d.json", i);
        w = mbk_storage_put_begin(st->s, name, STEP_SIZE, NULL, &err);
        if (w == NULL) {
            snprintf(st->why, sizeof(st->why), "begin: %s", err.message);
            st->rc = -1;
            break;
        }
        while (off < STEP_SIZE && st->rc == 0) {
            size_t n = STEP_SIZE - off < sizeof(buf) ? STEP_SIZE - off
                                                     : sizeof(buf);

            pattern(buf, n, (unsigned) i, off);
            if (mbk_storage_put_write(st->s, w, buf, n, &err) != 0) {
                snprintf(st->why, sizeof(st->why), "write: %s", err.message);
                st->rc = -1;
            }
            off += n;
            chunk++;
            if ((chunk == 1 || off == STEP_SIZE / 2 / sizeof(buf)
                                           * sizeof(buf))
                && checkpoint(st, i) != 0) {
                snprintf(st->why, sizeof(st->why), "no listing came");
                st->rc = -1;
            }
        }
        if (st->rc != 0) {
            mbk_storage_put_abort(st->s, w);
        } else if (mbk_storage_put_commit(st->s, w, &err) != 0) {
            snprintf(st->why, sizeof(st->why), "commit: %s", err.message);
            st->rc = -1;
        } else if (checkpoint(st, i + 1) != 0) {
            snprintf(st->why, sizeof(st->why), "no listing came");
            st->rc = -1;
        }
    }
    pthread_mutex_lock(&st->mu);
    st->done = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

static void
test_storage_list_during_put_never_partial(void **state)
{
    struct fx *fx = *state;
    struct stepped st;
    pthread_t t;
    int fresh_checked = 0;

    memset(&st, 0, sizeof(st));
    st.s = fx->s;
    pthread_mutex_init(&st.mu, NULL);
    pthread_cond_init(&st.cv, NULL);
    assert_int_equal(pthread_create(&t, NULL, stepped_writer, &st), 0);
    for (;;) {
        struct listing l;
        int cp;
        int expect;
        int fresh;
        int i;

        /* Wait for a checkpoint not yet followed by a listing. */
        pthread_mutex_lock(&st.mu);
        while (!st.done && st.listed == st.checkpoint) {
            pthread_cond_wait(&st.cv, &st.mu);
        }
        cp = st.checkpoint;
        expect = st.expect;
        fresh = st.listed < cp;
        pthread_mutex_unlock(&st.mu);
        if (!fresh) {
            break; /* done, every checkpoint answered */
        }
        list_ok(fx->s, &l);
        /* The writer waits at checkpoint cp all along this listing: it
         * shows exactly the committed backups, each whole and readable,
         * never the one being written. */
        assert_int_equal(l.n, expect);
        for (i = 0; i < l.n; i++) {
            unsigned seed = (unsigned) (l.names[i][4] - '0');

            assert_int_equal(l.sizes[i], STEP_SIZE);
            assert_int_equal(get_matches(fx->s, l.names[i], STEP_SIZE, seed),
                             0);
        }
        list_free(&l);
        fresh_checked++;
        pthread_mutex_lock(&st.mu);
        st.listed = cp;
        pthread_cond_broadcast(&st.cv);
        pthread_mutex_unlock(&st.mu);
    }
    pthread_join(t, NULL);
    if (st.rc != 0) {
        fail_msg("writer: %s", st.why);
    }
    /* Three checkpoints a put: all of them were listed at. */
    assert_int_equal(fresh_checked, 3 * STEP_COUNT);
    pthread_mutex_destroy(&st.mu);
    pthread_cond_destroy(&st.cv);
}

#define CASES(pre)                                                          \
    cmocka_unit_test_setup_teardown(pre##fresh_store_is_empty, setup,      \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##roundtrip_empty, setup, teardown), \
    cmocka_unit_test_setup_teardown(pre##roundtrip_small, setup, teardown), \
    cmocka_unit_test_setup_teardown(pre##roundtrip_multi_mb, setup,        \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##size_mismatch_refused, setup,     \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##abort_leaves_nothing, setup,      \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##duplicate_eexist, setup,          \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##not_found, setup, teardown),      \
    cmocka_unit_test_setup_teardown(pre##remove, setup, teardown),         \
    cmocka_unit_test_setup_teardown(pre##names_refused, setup, teardown),  \
    cmocka_unit_test_setup_teardown(pre##meta_roundtrip, setup, teardown), \
    cmocka_unit_test_setup_teardown(pre##list_stops_early, setup,          \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##crash_leftovers_cleaned, setup,   \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##symlink_root_refused, setup,      \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##dirfd_root_survives_swap, setup,  \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##dirfd_not_a_directory, setup,     \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##symlink_backup_not_followed,      \
                                    setup, teardown),                       \
    cmocka_unit_test_setup_teardown(pre##path, setup, teardown),           \
    cmocka_unit_test_setup_teardown(pre##stat, setup, teardown),           \
    cmocka_unit_test_setup_teardown(pre##two_writers_at_once, setup,       \
                                    teardown),                              \
    cmocka_unit_test_setup_teardown(pre##list_during_put_never_partial,    \
                                    setup, teardown)

/* More targets: "s3://bucket/prefix other://..." (space-separated); the
 * number of entries refused. */
static int
urls_add(const char *list)
{
    int bad = 0;

    static char copy[2048];
    char *save = NULL;
    char *u;

    if (list == NULL) {
        return 0;
    }
    snprintf(copy, sizeof(copy), "%s", list);
    for (u = strtok_r(copy, " ", &save); u != NULL && nplugins < TARGETS_MAX;
         u = strtok_r(NULL, " ", &save)) {
        const char *colon = strchr(u, ':');

        if (colon == NULL) {
            fprintf(stderr, "MBK_TEST_STORAGE_URLS: \"%s\" has no scheme\n",
                    u);
            bad++;
            continue;
        }
        snprintf(plugins[nplugins].name, sizeof(plugins[0].name), "%.*s",
                 (int) (colon - u), u);
        plugins[nplugins].suffix = "";
        plugins[nplugins].url = u;
        nplugins++;
    }
    if (u != NULL) {
        fprintf(stderr, "MBK_TEST_STORAGE_URLS: more than %d stores\n",
                TARGETS_MAX);
        bad++;
    }
    return bad;
}

int
main(void)
{
    const struct CMUnitTest tests[] = { CASES(test_storage_) };
    char group[64];
    int failed = 0;
    size_t i;

    plugin_dir = getenv("MBK_TEST_PLUGIN_DIR");
    if (plugin_dir == NULL) {
        fprintf(stderr, "MBK_TEST_PLUGIN_DIR is not set: run through make "
                        "check\n");
        return 77;
    }
    if (urls_add(getenv("MBK_TEST_STORAGE_URLS")) != 0) {
        return 1; /* a store asked for and not tested fails the run */
    }
    for (i = 0; i < nplugins; i++) {
        current = (int) i;
        snprintf(group, sizeof(group), "storage conformance: %s",
                 plugins[i].name);
        failed += cmocka_run_group_tests_name(group, tests, NULL, NULL);
    }
    return failed;
}
