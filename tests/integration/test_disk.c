/*
 * test_disk.c: a full disk (a 2 MiB tmpfs or loop file system the test
 * mounts; root only, else SKIP saying why) under the storage or the spool
 * during `mbk backup`: "No space left on device", nothing listed or left.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>

#include "storage/loader.h"
#include "tests/integration/child.h"
#include "tests/integration/harness.h"

#define DOCS 1000 /* 4 MB of JSON, 3 MB gzipped: more than 2 MiB */

struct ctx {
    char *src;
    char tmp[256];
    char mnt[300];   /* the small file system */
    char image[300]; /* its backing file, when a loop mount */
    char spool[300]; /* a spool dir off the small disk */
    int mounted;
    mongoc_client_t *client;
};

static struct ctx *global;

static void
fill(mongoc_client_t *client, const char *db, int n)
{
    mongoc_collection_t *c = mongoc_client_get_collection(client, db, "big");
    mongoc_bulk_operation_t *b =
        mongoc_collection_create_bulk_operation_with_opts(c, NULL);
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned long long x = 88172645463325252ull;
    char text[4097];
    bson_error_t e;

    for (int i = 0; i < n; i++) {
        bson_t *doc;

        for (size_t k = 0; k < sizeof(text) - 1; k++) {
            /* random letters from 64: gzip keeps 3/4 of them */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text[k] = alphabet[x % 64];
        }
        text[sizeof(text) - 1] = '\0';
        doc = BCON_NEW("_id", BCON_INT32(i), "text", BCON_UTF8(text));
        mongoc_bulk_operation_insert(b, doc);
        bson_destroy(doc);
    }
    assert_true(mongoc_bulk_operation_execute(b, NULL, &e) != 0);
    mongoc_bulk_operation_destroy(b);
    mongoc_collection_destroy(c);
}

/* A 2 MiB file system at c->mnt: tmpfs, else a loop-mounted ext2 image.
 * NULL, or why not. */
static const char *
small_disk(struct ctx *c)
{
    static char why[300];
    char cmd[2048];

    if (geteuid() != 0) {
        return "not running as root: cannot mount a small file system";
    }
    if (mount("tmpfs", c->mnt, "tmpfs", MS_NOSUID | MS_NODEV,
              "size=2m,mode=0700") == 0) {
        c->mounted = 1;
        return NULL;
    }
    snprintf(why, sizeof(why), "mount -t tmpfs failed (%s)",
             strerror(errno));
    snprintf(c->image, sizeof(c->image), "%s/disk.img", c->tmp);
    snprintf(cmd, sizeof(cmd),
             "dd if=/dev/zero of='%s' bs=1024 count=2048 2>/dev/null && "
             "mkfs.ext2 -q -F '%s' >/dev/null 2>&1 && "
             "mount -o loop '%s' '%s' 2>/dev/null",
             c->image, c->image, c->image, c->mnt);
    if (system(cmd) == 0) {
        c->mounted = 1;
        return NULL;
    }
    snprintf(why + strlen(why), sizeof(why) - strlen(why),
             " and a loop mount of an ext2 image failed too");
    return why;
}

static void
unmount_disk(void)
{
    if (global != NULL && global->mounted) {
        if (umount2(global->mnt, 0) != 0) {
            umount2(global->mnt, MNT_DETACH);
        }
        global->mounted = 0;
    }
}

static int
setup(void **state)
{
    struct ctx *c = global;

    c->src = mbk_test_db_new("dsrc");
    c->client = mongoc_client_new(mbk_test_mongo_uri());
    fill(c->client, c->src, DOCS);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    mongoc_client_destroy(c->client);
    mbk_test_db_drop(c->src);
    free(c->src);
    return 0;
}

static int
count(const struct mbk_storage_entry *e, void *ud)
{
    (void)e;
    (*(int *)ud)++;
    return 0;
}

/* Files in dir other than those named in keep (NULL-terminated). */
static int
others(const char *dir, const char *const *keep)
{
    struct dirent *de;
    DIR *d = opendir(dir);
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        int kept = strcmp(de->d_name, ".") == 0 ||
                   strcmp(de->d_name, "..") == 0 ||
                   strcmp(de->d_name, "lost+found") == 0;

        for (int i = 0; keep[i] != NULL && !kept; i++) {
            kept = strcmp(de->d_name, keep[i]) == 0;
        }
        if (!kept) {
            fprintf(stderr, "left on the disk: %s\n", de->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

static unsigned long long
free_bytes(const char *dir)
{
    struct statvfs sv;

    assert_int_equal(statvfs(dir, &sv), 0);
    return (unsigned long long)sv.f_bavail * sv.f_frsize;
}

/* Back up into spec with the spool in spool_dir: the disk fills up. */
static void
backup_fills_disk(struct ctx *c, const char *spec, const char *spool_dir,
                  int gzip, const char *const *keep)
{
    const char *const args[] = {"backup",      "--db",    c->src,
                                "--storage",   spec,      "--name",
                                "full",        "--spool-dir", spool_dir,
                                "--quiet",     gzip ? "--gzip=1" : NULL,
                                NULL};
    unsigned long long before = free_bytes(c->mnt);
    struct mbk_storage *st;
    struct mbk_error err;
    char errfile[300];
    char *msg;
    int listed = 0;
    int rc;

    snprintf(errfile, sizeof(errfile), "%s/backup.err", c->tmp);
    rc = mbk_child_run(args, NULL, NULL, errfile);
    msg = mbk_child_slurp(errfile);
    if (rc == 0 || rc >= 128 || mbk_child_sanitized(msg) ||
        strstr(msg, "mbk backup:") == NULL ||
        strstr(msg, "No space left on device") == NULL) {
        fail_msg("a full disk should fail the backup clearly (exit %d): %s",
                 rc, msg);
    }
    fprintf(stderr, "test_disk: %s", msg);
    free(msg);
    st = mbk_storage_open(spec, getenv("MBK_TEST_PLUGIN_DIR"), &err);
    if (st == NULL) {
        fail_msg("open %s: %s", spec, err.message);
    }
    assert_int_equal(mbk_storage_list(st, count, &listed, &err), 0);
    assert_int_equal(listed, 0);
    mbk_storage_close(st);
    /* nothing half-written stays on the disk, the space is back */
    assert_int_equal(others(c->mnt, keep), 0);
    assert_true(free_bytes(c->mnt) + 64 * 1024 >= before);
}

static void
test_disk_full_fs_storage(void **state)
{
    struct ctx *c = *state;
    const char *const keep[] = {NULL};
    char spec[400];

    snprintf(spec, sizeof(spec), "fs:%s", c->mnt);
    backup_fills_disk(c, spec, c->spool, 0, keep);
}

static void
test_disk_full_tar_storage(void **state)
{
    struct ctx *c = *state;
    const char *const keep[] = {"b.tar.lock", NULL};
    char spec[400];

    char lock[400];

    snprintf(spec, sizeof(spec), "tar:%s/b.tar", c->mnt);
    backup_fills_disk(c, spec, c->spool, 0, keep);
    snprintf(lock, sizeof(lock), "%s/b.tar.lock", c->mnt);
    unlink(lock); /* the empty lock file stays by design */
}

static void
test_disk_full_spool(void **state)
{
    struct ctx *c = *state;
    const char *const keep[] = {NULL};
    char spec[400];
    char root[300];

    /* the storage has room; the spool (on the small disk) has not */
    snprintf(root, sizeof(root), "%s/store", c->tmp);
    assert_int_equal(mkdir(root, 0700), 0);
    snprintf(spec, sizeof(spec), "fs:%s", root);
    backup_fills_disk(c, spec, c->mnt, 0, keep);
}

static void
test_disk_full_fs_storage_gzip(void **state)
{
    struct ctx *c = *state;
    const char *const keep[] = {NULL};
    char spec[400];

    /* gzipped, the backup still needs more than 2 MiB */
    snprintf(spec, sizeof(spec), "fs:%s", c->mnt);
    backup_fills_disk(c, spec, c->spool, 1, keep);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full_fs_storage),
        cmocka_unit_test(test_disk_full_tar_storage),
        cmocka_unit_test(test_disk_full_spool),
        cmocka_unit_test(test_disk_full_fs_storage_gzip),
    };
    struct ctx c;
    const char *why;
    char cmd[300];
    int rc;

    memset(&c, 0, sizeof(c));
    snprintf(c.tmp, sizeof(c.tmp), "%s/mbk-test-disk-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(c.tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(c.mnt, sizeof(c.mnt), "%s/disk", c.tmp);
    snprintf(c.spool, sizeof(c.spool), "%s/spool", c.tmp);
    if (mkdir(c.mnt, 0700) != 0 || mkdir(c.spool, 0700) != 0) {
        perror("mkdir");
        return 1;
    }
    global = &c;
    why = small_disk(&c);
    if (why != NULL) {
        fprintf(stderr, "test_disk: SKIP: %s\n", why);
        rc = 77;
    } else if (mbk_test_mongo_uri() == NULL) {
        rc = 77;
    } else {
        rc = cmocka_run_group_tests(tests, setup, teardown);
    }
    unmount_disk();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c.tmp);
    if (system(cmd) != 0) {
        fprintf(stderr, "test_disk: could not remove %s\n", c.tmp);
    }
    return rc;
}
