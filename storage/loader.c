/*
 * loader.c: loads storage plugin modules, checks them against the ABI
 * (hwloc's components.c shape: dlopen, dlsym, check, dlclose on any
 * mismatch), and wraps their calls with the host's name and caps checks.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/loader.h"
#include "storage/path.h"

#ifndef MBK_PLUGIN_DIR
#define MBK_PLUGIN_DIR "/usr/local/lib/mbk"
#endif

struct mbk_storage {
    void *handle;
    const struct mbk_storage_plugin *plugin;
    struct mbk_storage_store *store;
    char *location;
    char name[MBK_STORAGE_PLUGIN_NAME_MAX + 1];      /* the plugin's */
    char scheme[MBK_STORAGE_SCHEME_MAX + 1];         /* the location's */
};

/* The methods every plugin has, and those a capability asks for. */
static const struct {
    const char *name;
    size_t offset;
    uint32_t cap; /* 0: always required */
} methods[] = {
#define M(m, cap) { #m, offsetof(struct mbk_storage_plugin, m), cap }
    M(open, 0),      M(close, 0),     M(list, 0),      M(stat, 0),
    M(put_begin, 0), M(put_write, 0), M(put_commit, 0),
    M(put_abort, 0), M(get_open, 0),  M(get_read, 0),
    M(get_close, 0), M(remove, MBK_STORAGE_CAP_REMOVE),
    M(path, MBK_STORAGE_CAP_LOCAL_PATH),
#undef M
};

static const char *
dl_message(void)
{
    const char *m = dlerror();

    return m == NULL ? "no reason given" : m;
}

/* 1 when s is a scheme: [a-z0-9]+, at most MBK_STORAGE_SCHEME_MAX. */
static int
scheme_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > MBK_STORAGE_SCHEME_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) {
            return 0;
        }
    }
    return 1;
}

#define SCHEMES_MAX 16

static int
schemes_check(const struct mbk_storage_plugin *p, const char *path,
              struct mbk_error *err)
{
    size_t i;

    if (p->schemes == NULL || p->schemes[0] == NULL) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EINVALID,
                                "plugin \"%s\" declares no location scheme",
                                path);
    }
    for (i = 0; p->schemes[i] != NULL; i++) {
        const char *sc = p->schemes[i];

        if (i == SCHEMES_MAX) {
            return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EINVALID,
                                    "plugin \"%s\" declares more than %d "
                                    "schemes", path, SCHEMES_MAX);
        }
        if (!scheme_ok(sc, strnlen(sc, MBK_STORAGE_SCHEME_MAX + 1))) {
            return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EINVALID,
                                    "plugin \"%s\" declares scheme \"%.*s\","
                                    " which is not [a-z0-9]+ of at most %d "
                                    "bytes", path, MBK_STORAGE_SCHEME_MAX + 1,
                                    sc, MBK_STORAGE_SCHEME_MAX);
        }
    }
    return 0;
}

static int
handles(const struct mbk_storage_plugin *p, const char *scheme)
{
    size_t i;

    for (i = 0; p->schemes[i] != NULL; i++) {
        if (strcmp(p->schemes[i], scheme) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
plugin_check(const struct mbk_storage_plugin *p, const char *path,
             const char *name, struct mbk_error *err)
{
    size_t need = offsetof(struct mbk_storage_plugin, reserved);
    size_t i;

    if (p->abi != MBK_STORAGE_ABI) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EABI,
                                "plugin \"%s\" has ABI %u, this mbk needs %u",
                                path, p->abi, MBK_STORAGE_ABI);
    }
    if (p->size < need) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EABI,
                                "plugin \"%s\" has a table of %u bytes, too "
                                "small: this mbk needs %zu", path, p->size,
                                need);
    }
    if (p->name == NULL || strcmp(p->name, name) != 0) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EINVALID,
                                "plugin \"%s\" calls itself \"%s\", expected "
                                "\"%s\"", path,
                                p->name == NULL ? "(null)" : p->name, name);
    }
    if ((p->caps & ~MBK_STORAGE_CAP_ALL) != 0) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EINVALID,
                                "plugin \"%s\" has unknown capability bits "
                                "0x%x", path, p->caps & ~MBK_STORAGE_CAP_ALL);
    }
    if ((p->caps & MBK_STORAGE_CAP_FILE_LOCATION) != 0
        && (p->caps & MBK_STORAGE_CAP_URL_LOCATION) != 0) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EINVALID,
                                "plugin \"%s\" says its location is both a "
                                "file and a URL", path);
    }
    if (schemes_check(p, path, err) != 0) {
        return -1;
    }
    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        void (*fn)(void);

        if (methods[i].cap != 0 && (p->caps & methods[i].cap) == 0) {
            continue;
        }
        memcpy(&fn, (const char *) p + methods[i].offset, sizeof(fn));
        if (fn == NULL) {
            return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_EINVALID,
                                    "plugin \"%s\" lacks method %s", path,
                                    methods[i].name);
        }
    }
    return 0;
}

const struct mbk_storage_plugin *
mbk_storage_plugin_load(const char *path, const char *name, void **handle,
                        struct mbk_error *err)
{
    const struct mbk_storage_plugin *p;
    char sym[sizeof("mbk_storage__plugin") + MBK_STORAGE_PLUGIN_NAME_MAX];
    void *h;

    if (mbk_storage_plugin_name_check(name, err) != 0) {
        return NULL;
    }
    snprintf(sym, sizeof(sym), "mbk_storage_%s_plugin", name);
    dlerror();
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_ELOAD,
                         "dlopen() \"%s\" failed: %s", path, dl_message());
        return NULL;
    }
    dlerror();
    p = dlsym(h, sym);
    if (p == NULL) {
        mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_ESYMBOL,
                         "dlsym() \"%s\" in \"%s\" failed: %s", sym, path,
                         dl_message());
        dlclose(h);
        return NULL;
    }
    if (plugin_check(p, path, name, err) != 0) {
        dlclose(h);
        return NULL;
    }
    *handle = h;
    return p;
}

/*
 * Load <dir>/mbk_storage_<name>.so into s if it handles scheme: 1 done, 0
 * it loads but handles other schemes, -1 it does not load (err set).
 */
static int
try_module(struct mbk_storage *s, const char *dir, const char *name,
           const char *scheme, struct mbk_error *err)
{
    const struct mbk_storage_plugin *p;
    void *h = NULL;
    char *path;
    size_t n;

    n = strlen(dir) + sizeof("/mbk_storage_.so") + strlen(name);
    path = malloc(n);
    if (path == NULL) {
        return mbk_storage_fail_sys(err, ENOMEM, "malloc", dir);
    }
    snprintf(path, n, "%s/mbk_storage_%s.so", dir, name);
    p = mbk_storage_plugin_load(path, name, &h, err);
    free(path);
    if (p == NULL) {
        return -1;
    }
    if (!handles(p, scheme)) {
        dlclose(h);
        return 0;
    }
    s->plugin = p;
    s->handle = h;
    snprintf(s->name, sizeof(s->name), "%s", name);
    return 1;
}

/* scandir() filter: "mbk_storage_<name>.so". */
static int
is_module(const struct dirent *de)
{
    size_t n = strlen(de->d_name);
    size_t pre = strlen("mbk_storage_");

    return n > pre + 3 && strncmp(de->d_name, "mbk_storage_", pre) == 0
           && strcmp(de->d_name + n - 3, ".so") == 0
           && n - pre - 3 <= MBK_STORAGE_PLUGIN_NAME_MAX;
}

/*
 * The plugin for a scheme: the module named for it when there is one (one
 * dlopen, the usual case; a broken one is reported, not skipped), else
 * every module of the folder in name order, the first that declares it.
 */
static int
find_plugin(struct mbk_storage *s, const char *dir, const char *scheme,
            struct mbk_error *err)
{
    struct dirent **list = NULL;
    struct mbk_error first;
    char path[PATH_MAX];
    int broken = 0;
    int found = 0;
    int rc;
    int n;
    int i;

    snprintf(path, sizeof(path), "%s/mbk_storage_%s.so", dir, scheme);
    if (access(path, F_OK) == 0) {
        found = try_module(s, dir, scheme, scheme, err);
        if (found != 0) {
            return found > 0 ? 0 : -1;
        }
    }
    n = scandir(dir, &list, is_module, alphasort);
    if (n < 0) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_ESCHEME,
                                "no storage plugin for \"%s:\" locations: "
                                "scandir() \"%s\" failed: %s", scheme, dir,
                                strerror(errno));
    }
    memset(&first, 0, sizeof(first));
    for (i = 0; i < n && !found; i++) {
        char name[MBK_STORAGE_PLUGIN_NAME_MAX + 1];
        size_t len = strlen(list[i]->d_name) - strlen("mbk_storage_") - 3;
        struct mbk_error e;

        memcpy(name, list[i]->d_name + strlen("mbk_storage_"), len);
        name[len] = '\0';
        if (strcmp(name, scheme) == 0
            || mbk_storage_plugin_name_check(name, NULL) != 0) {
            continue; /* tried above, or not a name a plugin can have */
        }
        rc = try_module(s, dir, name, scheme, &e);
        if (rc > 0) {
            found = 1;
        } else if (rc < 0 && broken++ == 0) {
            first = e;
        }
    }
    for (i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
    if (found) {
        return 0;
    }
    if (broken > 0) {
        return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_ESCHEME,
                                "no storage plugin in \"%s\" handles \"%s:\" "
                                "locations (%d modules did not load; the "
                                "first: %s)", dir, scheme, broken,
                                first.message);
    }
    return mbk_storage_fail(err, MBK_ERROR_PLUGIN, MBK_PLUGIN_ESCHEME,
                            "no storage plugin in \"%s\" handles \"%s:\" "
                            "locations", dir, scheme);
}

/* What the plugin's open() gets as text: a checked URL, or a resolved
 * local path. */
static char *
location_text(const struct mbk_storage *s, const char *spec,
              const char *rest, struct mbk_error *err)
{
    uint32_t caps = s->plugin->caps;
    char *copy;
    size_t i;

    if ((caps & MBK_STORAGE_CAP_URL_LOCATION) == 0) {
        return mbk_storage_location_resolve(
            rest, (caps & MBK_STORAGE_CAP_FILE_LOCATION) != 0, err);
    }
    if (strncmp(rest, "//", 2) != 0 || rest[2] == '\0' || rest[2] == '/') {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage \"%s\" is not a URL: write %s://HOST/PATH",
                         spec, s->scheme);
        return NULL;
    }
    for (i = 0; spec[i] != '\0'; i++) {
        unsigned char c = (unsigned char) spec[i];

        if (c <= 0x20 || c == 0x7f) {
            mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                             "storage URL has a space or control byte 0x%02x "
                             "at byte %zu", c, i);
            return NULL;
        }
    }
    copy = strdup(spec);
    if (copy == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "strdup", spec);
    }
    return copy;
}

/* With a host dirfd the location is not looked up by name again: the
 * caller resolved it and opened its directory. */
static char *
location_text_at(const struct mbk_storage *s, const char *spec,
                 const char *rest, int dirfd, struct mbk_error *err)
{
    char *copy;

    if (dirfd < 0) {
        return location_text(s, spec, rest, err);
    }
    if ((s->plugin->caps & MBK_STORAGE_CAP_URL_LOCATION) != 0
        || rest[0] != '/') {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EBADROOT,
                         "storage \"%s\" with a directory descriptor is not "
                         "an absolute local path", spec);
        return NULL;
    }
    copy = strdup(rest);
    if (copy == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "strdup", spec);
    }
    return copy;
}

struct mbk_storage *
mbk_storage_open_options(const char *spec,
                         const struct mbk_storage_option *options,
                         size_t noptions, const char *plugin_dir,
                         struct mbk_error *err)
{
    return mbk_storage_open_at(spec, options, noptions, -1, plugin_dir, err);
}

struct mbk_storage *
mbk_storage_open_at(const char *spec,
                    const struct mbk_storage_option *options,
                    size_t noptions, int dirfd, const char *plugin_dir,
                    struct mbk_error *err)
{
    struct mbk_storage_location loc;
    struct mbk_storage *s;
    const char *rest;

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "calloc", "struct mbk_storage");
        return NULL;
    }
    if (mbk_storage_spec_split(spec, s->scheme, sizeof(s->scheme), &rest,
                               err) != 0) {
        goto fail;
    }
    if (plugin_dir == NULL) {
        plugin_dir = secure_getenv("MBK_PLUGIN_DIR");
    }
    if (plugin_dir == NULL || plugin_dir[0] == '\0') {
        plugin_dir = MBK_PLUGIN_DIR;
    }
    if (find_plugin(s, plugin_dir, s->scheme, err) != 0) {
        goto fail;
    }
    s->location = location_text_at(s, spec, rest, dirfd, err);
    if (s->location == NULL) {
        goto fail;
    }
    memset(&loc, 0, sizeof(loc));
    loc.size = (uint32_t) sizeof(loc);
    loc.scheme = s->scheme;
    loc.text = s->location;
    loc.options = noptions > 0 ? options : NULL;
    loc.noptions = loc.options != NULL ? noptions : 0;
    loc.dirfd = dirfd;
    s->store = s->plugin->open(&loc, err);
    if (s->store == NULL) {
        goto fail;
    }
    return s;
fail:
    mbk_storage_close(s);
    return NULL;
}

struct mbk_storage *
mbk_storage_open(const char *spec, const char *plugin_dir,
                 struct mbk_error *err)
{
    return mbk_storage_open_options(spec, NULL, 0, plugin_dir, err);
}

void
mbk_storage_close(struct mbk_storage *s)
{
    if (s == NULL) {
        return;
    }
    if (s->store != NULL) {
        s->plugin->close(s->store);
    }
    if (s->handle != NULL) {
        dlclose(s->handle);
    }
    free(s->location);
    free(s);
}

const char *
mbk_storage_get_name(const struct mbk_storage *s)
{
    return s->name;
}

uint32_t
mbk_storage_get_caps(const struct mbk_storage *s)
{
    return s->plugin->caps;
}

const char *
mbk_storage_get_scheme(const struct mbk_storage *s)
{
    return s->scheme;
}

const char *
mbk_storage_get_location(const struct mbk_storage *s)
{
    return s->location;
}

static int
need_cap(const struct mbk_storage *s, uint32_t cap, const char *what,
         struct mbk_error *err)
{
    if ((s->plugin->caps & cap) != 0) {
        return 0;
    }
    return mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_ENOTSUP,
                            "storage plugin \"%s\" cannot %s", s->name, what);
}

int
mbk_storage_list(struct mbk_storage *s, mbk_storage_list_fn fn, void *ud,
                 struct mbk_error *err)
{
    return s->plugin->list(s->store, fn, ud, err);
}

int
mbk_storage_stat(struct mbk_storage *s, const char *name,
                 mbk_storage_list_fn fn, void *ud, struct mbk_error *err)
{
    if (mbk_storage_name_check(name, err) != 0) {
        return -1;
    }
    return s->plugin->stat(s->store, name, fn, ud, err);
}

struct mbk_storage_writer *
mbk_storage_put_begin(struct mbk_storage *s, const char *name, int64_t size,
                      const char *meta_json, struct mbk_error *err)
{
    if (mbk_storage_name_check(name, err) != 0) {
        return NULL;
    }
    if (size < -1) {
        mbk_storage_fail(err, MBK_ERROR_STORAGE, MBK_STORAGE_EIO,
                         "put \"%s\": size %lld is not a byte count or -1",
                         name, (long long) size);
        return NULL;
    }
    return s->plugin->put_begin(s->store, name, size, meta_json, err);
}

int
mbk_storage_put_write(struct mbk_storage *s, struct mbk_storage_writer *w,
                      const void *buf, size_t len, struct mbk_error *err)
{
    return s->plugin->put_write(w, buf, len, err);
}

int
mbk_storage_put_commit(struct mbk_storage *s, struct mbk_storage_writer *w,
                       struct mbk_error *err)
{
    return s->plugin->put_commit(w, err);
}

void
mbk_storage_put_abort(struct mbk_storage *s, struct mbk_storage_writer *w)
{
    if (w != NULL) {
        s->plugin->put_abort(w);
    }
}

struct mbk_storage_reader *
mbk_storage_get_open(struct mbk_storage *s, const char *name,
                     struct mbk_error *err)
{
    if (mbk_storage_name_check(name, err) != 0) {
        return NULL;
    }
    return s->plugin->get_open(s->store, name, err);
}

ssize_t
mbk_storage_get_read(struct mbk_storage *s, struct mbk_storage_reader *r,
                     void *buf, size_t len, struct mbk_error *err)
{
    return s->plugin->get_read(r, buf, len, err);
}

void
mbk_storage_get_close(struct mbk_storage *s, struct mbk_storage_reader *r)
{
    if (r != NULL) {
        s->plugin->get_close(r);
    }
}

int
mbk_storage_remove(struct mbk_storage *s, const char *name,
                   struct mbk_error *err)
{
    if (mbk_storage_name_check(name, err) != 0
        || need_cap(s, MBK_STORAGE_CAP_REMOVE, "remove backups", err) != 0) {
        return -1;
    }
    return s->plugin->remove(s->store, name, err);
}

int
mbk_storage_path(struct mbk_storage *s, const char *name, char *buf,
                 size_t len, struct mbk_error *err)
{
    if (mbk_storage_name_check(name, err) != 0
        || need_cap(s, MBK_STORAGE_CAP_LOCAL_PATH,
                    "give a backup's file path", err) != 0) {
        return -1;
    }
    return s->plugin->path(s->store, name, buf, len, err);
}
