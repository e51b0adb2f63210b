/*
 * test_kill.c: `mbk backup` (a child process) killed with SIGKILL while
 * reading, while publishing and at the last step of the commit, into fs
 * and tar: no incomplete backup is ever listed, and the next run cleans up
 * the rest.  No race with the child: it is killed once it holds a spool
 * file (reading), or once it has stopped itself at a point named by
 * MBK_TEST_STOP_AT (storage/mbk_storage.h: mbk_storage_test_stop).
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
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
#include <mongoc/mongoc.h>

#include "engine/backup/catalog.h"
#include "storage/loader.h"
#include "tests/integration/child.h"
#include "tests/integration/harness.h"

#define ROUNDS 9 /* kills per storage: three of each kind */
#define DOCS 3000
/* Generous: sanitizer builds on a busy 2-core machine are slow. */
#define WAIT_SECONDS 600.0

enum when { READING, PUBLISHING, LAST_STEP };

struct ctx {
    char *src;
    char tmp[256];
    char spool[300];
    mongoc_client_t *client;
};

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nap(double seconds)
{
    struct timespec ts;

    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

static void
fill(mongoc_client_t *client, const char *db, const char *coll, int n)
{
    mongoc_collection_t *c = mongoc_client_get_collection(client, db, coll);
    mongoc_bulk_operation_t *b =
        mongoc_collection_create_bulk_operation_with_opts(c, NULL);
    bson_error_t e;

    for (int i = 0; i < n; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT32(i), "text",
                               "a document of the kill tests, padded out to "
                               "about two hundred bytes of JSON text ......",
                               "n", BCON_INT64((int64_t)i * 31), "tags", "[",
                               "x", "y", "]");

        mongoc_bulk_operation_insert(b, doc);
        bson_destroy(doc);
    }
    assert_true(mongoc_bulk_operation_execute(b, NULL, &e) != 0);
    mongoc_bulk_operation_destroy(b);
    mongoc_collection_destroy(c);
}

/* stop_at: the MBK_TEST_STOP_AT point where the child stops, or NULL. */
static pid_t
start_backup(struct ctx *c, const char *spec, const char *name, int gzip,
             const char *stop_at)
{
    const char *const args[] = {"backup",   "--db",         c->src,
                                "--storage", spec,          "--name",
                                name,       "--spool-dir",  c->spool,
                                "--quiet",  gzip ? "--gzip" : NULL, NULL};
    char var[64];
    const char *const env[] = {var, NULL};
    char errfile[300];

    snprintf(var, sizeof(var), "MBK_TEST_STOP_AT=%s",
             stop_at != NULL ? stop_at : "");
    snprintf(errfile, sizeof(errfile), "%s/backup.err", c->tmp);
    return mbk_child_start(args, NULL, stop_at != NULL ? env : NULL, errfile);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    c->src = mbk_test_db_new("ksrc");
    snprintf(c->tmp, sizeof(c->tmp), "%s/mbk-test-kill-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(c->tmp));
    snprintf(c->spool, sizeof(c->spool), "%s/spool", c->tmp);
    assert_int_equal(mkdir(c->spool, 0700), 0);
    c->client = mongoc_client_new(mbk_test_mongo_uri());
    fill(c->client, c->src, "first", DOCS);
    fill(c->client, c->src, "second", DOCS);
    fill(c->client, c->src, "third", DOCS / 3);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;
    char cmd[300];

    mongoc_client_destroy(c->client);
    mbk_test_db_drop(c->src);
    free(c->src);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->tmp);
    assert_int_equal(system(cmd), 0);
    free(c);
    return 0;
}

/* Entries of a directory whose names start with prefix ("" for all). */
static int
count_files(const char *dir, const char *prefix)
{
    struct dirent *de;
    DIR *d = opendir(dir);
    int n = 0;

    if (d == NULL) {
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' &&
            (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0)) {
            continue;
        }
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static off_t
file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* The tar archive ends right after its end-of-archive mark (2 blocks). */
static void
assert_tar_tidy(const char *path)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    off_t size = file_size(path);
    int rc;

    if (size < 0) {
        archive_read_free(a);
        return; /* killed before the archive was made: fine */
    }
    archive_read_support_format_tar(a);
    archive_read_support_format_empty(a);
    assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        archive_read_data_skip(a);
    }
    if (rc != ARCHIVE_EOF) {
        fail_msg("tar archive unreadable after a kill: %s",
                 archive_error_string(a));
    }
    if (size > archive_read_header_position(a) + 1024) {
        fail_msg("tar archive has %lld bytes of garbage past its end",
                 (long long)(size - archive_read_header_position(a) - 1024));
    }
    archive_read_free(a);
}

/* Whether bytes lie past the archive's end mark (before cleanup). */
static int
garbage(const char *path)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    off_t size = file_size(path);
    int rc;
    int dirty = 0;

    archive_read_support_format_tar(a);
    archive_read_support_format_empty(a);
    if (size > 0 && archive_read_open_filename(a, path, 10240) == ARCHIVE_OK) {
        while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
            archive_read_data_skip(a);
        }
        dirty = rc != ARCHIVE_EOF ||
                size > archive_read_header_position(a) + 1024;
    }
    archive_read_free(a);
    return dirty;
}

struct listing {
    struct mbk_storage *st;
    int n;
    int bad;
    char why[MBK_STORAGE_NAME_MAX + MBK_ERROR_MESSAGE_MAX + 8];
};

static int
verify_each(const struct mbk_storage_entry *e, void *ud)
{
    struct listing *l = ud;
    struct mbk_verify_result res;
    struct mbk_error err;

    memset(&res, 0, sizeof(res));
    l->n++;
    if (mbk_engine_verify(l->st, e->name, &res, &err) != 0) {
        l->bad++;
        snprintf(l->why, sizeof(l->why), "%s: %s", e->name, err.message);
    } else if (!res.has_digests || res.ncoll != 3) {
        l->bad++;
        snprintf(l->why, sizeof(l->why), "%s: %zu collections", e->name,
                 res.ncoll);
    }
    mbk_engine_verify_result_free(&res);
    return 0;
}

/* What the next run sees: every listed backup whole, no leftovers. */
static int
check_store(struct ctx *c, const char *spec, const char *root,
            const char *archive)
{
    struct listing l = {NULL, 0, 0, ""};
    struct mbk_error err;

    l.st = mbk_storage_open(spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
    if (l.st == NULL) {
        fail_msg("open %s after a kill: %s", spec, err.message);
    }
    if (mbk_storage_list(l.st, verify_each, &l, &err) != 0) {
        fail_msg("list %s after a kill: %s", spec, err.message);
    }
    if (l.bad > 0) {
        fail_msg("an incomplete backup is listed: %s", l.why);
    }
    if (archive == NULL) {
        assert_int_equal(count_files(root, ".mbk-tmp-"), 0);
    } else {
        assert_tar_tidy(archive);
        assert_int_equal(count_files(root, "."), 0); /* no temp archive */
    }
    assert_int_equal(count_files(c->spool, ""), 0);
    mbk_storage_close(l.st);
    return l.n;
}

/* Whether pid holds a file of dir open: its spool files are O_TMPFILE,
 * invisible in dir but not in /proc/PID/fd. */
static int
holds_file_in(pid_t pid, const char *dir)
{
    char fds[64];
    char link[600];
    char target[700];
    struct dirent *de;
    size_t n = strlen(dir);
    DIR *d;
    int found = 0;

    snprintf(fds, sizeof(fds), "/proc/%ld/fd", (long)pid);
    d = opendir(fds);
    if (d == NULL) {
        return 0;
    }
    while (!found && (de = readdir(d)) != NULL) {
        ssize_t k;

        snprintf(link, sizeof(link), "%s/%s", fds, de->d_name);
        k = readlink(link, target, sizeof(target) - 1);
        if (k > 0) {
            target[k] = '\0';
            found = strncmp(target, dir, n) == 0 && target[n] == '/';
        }
    }
    closedir(d);
    return found;
}

/*
 * One run killed at `when`: READING once it holds a spool file, the others
 * once it stopped itself at their point.  Returns 1 if it finished first
 * (only READING can: the child may be past reading when it is seen).
 */
static int
kill_one(struct ctx *c, const char *spec, const char *name, enum when when,
         int gzip)
{
    static const char *const points[] = {
        NULL, "storage-put-write", "storage-commit-last-step",
    };
    double deadline = now() + WAIT_SECONDS;
    pid_t pid = start_backup(c, spec, name, gzip, points[when]);
    char shm[64];
    int status = -1;
    int rc;

    assert_true(pid > 0);
    if (when == READING) {
        /* a condition, polled: the child is reading into its spool */
        while (!holds_file_in(pid, c->spool) && now() < deadline &&
               waitpid(pid, &status, WNOHANG) == 0) {
            nap(0.001);
        }
        assert_true(now() < deadline);
        if (status != -1) {
            fail_msg("the backup ended (status 0x%x) before it was seen "
                     "reading", status);
        }
    } else {
        rc = mbk_child_wait_stopped(pid, WAIT_SECONDS, &status);
        if (rc != 1) {
            fail_msg("the backup did not stop at %s: %s %d", points[when],
                     rc == 0 ? "it ended with status" : "deadline, status",
                     status);
        }
    }
    kill(pid, SIGKILL);
    rc = mbk_child_wait(pid);
    /* libmongoc's shared-memory counters of the dead child */
    snprintf(shm, sizeof(shm), "/dev/shm/mongoc-%ld", (long)pid);
    unlink(shm);
    assert_true(rc == 0 || rc == 128 + SIGKILL);
    return rc == 0;
}

static void
kill_rounds(struct ctx *c, const char *kind)
{
    char root[300];
    char archive[320];
    char spec[400];
    const char *arch = NULL;
    char name[32];
    int finished = 0;
    int leftovers = 0;
    int listed;
    char errfile[300];
    char *msg;

    snprintf(root, sizeof(root), "%s/%s", c->tmp, kind);
    assert_int_equal(mkdir(root, 0700), 0);
    if (strcmp(kind, "tar") == 0) {
        snprintf(archive, sizeof(archive), "%s/backups.tar", root);
        snprintf(spec, sizeof(spec), "tar:%s", archive);
        arch = archive;
    } else {
        snprintf(spec, sizeof(spec), "fs:%s", root);
    }
    for (int i = 0; i < ROUNDS; i++) {
        enum when when = (enum when)(i % 3);
        int before = check_store(c, spec, root, arch);
        int left;

        snprintf(name, sizeof(name), "k%d", i);
        finished += kill_one(c, spec, name, when, i % 2);
        left = arch == NULL ? count_files(root, ".mbk-tmp-") > 0
                            : garbage(arch);
        leftovers += left;
        listed = check_store(c, spec, root, arch);
        assert_true(listed >= finished);
        if (when == PUBLISHING) {
            /* killed with its first bytes written: nothing new listed,
             * something for the next open to remove */
            assert_int_equal(listed, before);
            assert_true(left);
        } else if (when == LAST_STEP) {
            /* fs: renamed, listed whole (only the directory's fsync was
             * to come); tar: its first block unwritten, not listed, data
             * past the end mark until the next open */
            assert_int_equal(listed, before + (arch == NULL));
            assert_true(arch == NULL ? !left : left);
        }
    }
    assert_true(leftovers >= ROUNDS / 3);
    /* and the next run works */
    assert_int_equal(
        mbk_child_wait(start_backup(c, spec, "after", 1, NULL)), 0);
    snprintf(errfile, sizeof(errfile), "%s/backup.err", c->tmp);
    msg = mbk_child_slurp(errfile);
    if (mbk_child_sanitized(msg)) {
        fail_msg("the run after the kills: %s", msg);
    }
    free(msg);
    listed = check_store(c, spec, root, arch);
    fprintf(stderr, "test_kill: %s: %d kills, %d finished first, %d left "
            "leftovers, %d listed at the end\n", kind, ROUNDS, finished,
            leftovers, listed);
}

static void
test_kill_backup_fs(void **state)
{
    kill_rounds(*state, "fs");
}

static void
test_kill_backup_tar(void **state)
{
    kill_rounds(*state, "tar");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_backup_fs),
        cmocka_unit_test(test_kill_backup_tar),
    };

    if (mbk_test_mongo_uri() == NULL) {
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
