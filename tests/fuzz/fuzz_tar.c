/*
 * fuzz_tar.c: libFuzzer target for the tar storage plugin reading an
 * archive: the input becomes the archive file, then the plugin (its
 * struct, linked in) opens the store (cleanup runs: a lock file exists),
 * lists it and reads every listed backup to the end.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/mbk_storage.h"

#define NAMES 16

extern const struct mbk_storage_plugin mbk_storage_tar_plugin;

int
LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];
static char archive[300];

static void
cleanup_dir(void)
{
    char path[320];

    unlink(archive);
    snprintf(path, sizeof(path), "%s.lock", archive);
    unlink(path);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[320];
    int fd;

    (void)argc;
    (void)argv;
    /* tmpfs when there is one: cleanup fsyncs */
    snprintf(dir, sizeof(dir), "%s/mbk-fuzz-tar-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(archive, sizeof(archive), "%s/a.tar", dir);
    snprintf(path, sizeof(path), "%s.lock", archive);
    fd = open(path, O_CREAT | O_WRONLY, 0600); /* so that cleanup runs */
    if (fd >= 0) {
        close(fd);
    }
    atexit(cleanup_dir);
    return 0;
}

struct names {
    char name[NAMES][MBK_STORAGE_NAME_MAX + 1];
    uint64_t size[NAMES];
    int n;
};

static int
collect(const struct mbk_storage_entry *e, void *ud)
{
    struct names *ns = ud;

    if (e->name == NULL || strlen(e->name) > MBK_STORAGE_NAME_MAX) {
        abort();
    }
    if (e->meta_json != NULL) {
        (void)strlen(e->meta_json); /* NUL-terminated */
    }
    for (int i = 0; i < ns->n; i++) {
        if (strcmp(ns->name[i], e->name) == 0) {
            return 0; /* a duplicate (damaged or foreign archive): get
                       * reads the first, so only that one is checked */
        }
    }
    if (ns->n < NAMES) {
        snprintf(ns->name[ns->n], sizeof(ns->name[0]), "%s", e->name);
        ns->size[ns->n] = e->size;
        ns->n++;
    }
    return 0;
}

static void
read_all(struct mbk_storage_store *st, const char *name, uint64_t size)
{
    const struct mbk_storage_plugin *p = &mbk_storage_tar_plugin;
    static char buf[16384];
    struct mbk_storage_reader *r;
    struct mbk_error err;
    uint64_t total = 0;
    ssize_t n;

    r = p->get_open(st, name, &err);
    if (r == NULL) {
        fprintf(stderr, "listed \"%s\" but get_open failed: %s\n", name,
                err.message);
        abort();
    }
    while ((n = p->get_read(r, buf, sizeof(buf), &err)) > 0) {
        total += (uint64_t)n;
    }
    if (n == 0 && total != size) {
        fprintf(stderr, "\"%s\": listed %llu bytes, read %llu\n", name,
                (unsigned long long)size, (unsigned long long)total);
        abort();
    }
    p->get_close(r);
}

static int
stat_found(const struct mbk_storage_entry *e, void *ud)
{
    (void)e;
    (void)ud;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct mbk_storage_plugin *p = &mbk_storage_tar_plugin;
    struct mbk_storage_store *st;
    struct names ns;
    struct mbk_storage_location loc = {sizeof(loc), "tar", archive, NULL,
                                       0};
    struct mbk_error err;
    int fd;

    fd = open(archive, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    close(fd);
    st = p->open(&loc, &err);
    if (st == NULL) {
        abort(); /* the location is fine: only the content is hostile */
    }
    ns.n = 0;
    if (p->list(st, collect, &ns, &err) == 0) {
        for (int i = 0; i < ns.n; i++) {
            /* stat() finds what list() listed (the first of a name). */
            if (p->stat(st, ns.name[i], stat_found, NULL, &err) != 0) {
                abort();
            }
            read_all(st, ns.name[i], ns.size[i]);
        }
    } else if (err.message[0] == '\0') {
        abort();
    }
    p->close(st);
    return 0;
}
