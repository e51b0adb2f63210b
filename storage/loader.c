/*
 * loader.c: loads storage plugin modules, checks them against the ABI
 * (hwloc's components.c shape: dlopen, dlsym, check, dlclose on any
 * mismatch), and wraps their calls with the host's name and caps checks.
 */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char name[MBK_STORAGE_PLUGIN_NAME_MAX + 1];
};

/* The methods every plugin has, and those a capability asks for. */
static const struct {
    const char *name;
    size_t offset;
    uint32_t cap; /* 0: always required */
} methods[] = {
#define M(m, cap) { #m, offsetof(struct mbk_storage_plugin, m), cap }
    M(open, 0),      M(close, 0),     M(list, 0),
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

struct mbk_storage *
mbk_storage_open(const char *spec, const char *plugin_dir,
                 struct mbk_error *err)
{
    struct mbk_storage *s;
    const char *location;
    char *path = NULL;
    size_t n;

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "calloc", "struct mbk_storage");
        return NULL;
    }
    if (mbk_storage_spec_split(spec, s->name, sizeof(s->name), &location,
                               err) != 0) {
        goto fail;
    }
    if (plugin_dir == NULL) {
        plugin_dir = secure_getenv("MBK_PLUGIN_DIR");
    }
    if (plugin_dir == NULL || plugin_dir[0] == '\0') {
        plugin_dir = MBK_PLUGIN_DIR;
    }
    n = strlen(plugin_dir) + sizeof("/mbk_storage_.so") + strlen(s->name);
    path = malloc(n);
    if (path == NULL) {
        mbk_storage_fail_sys(err, ENOMEM, "malloc", spec);
        goto fail;
    }
    snprintf(path, n, "%s/mbk_storage_%s.so", plugin_dir, s->name);
    s->plugin = mbk_storage_plugin_load(path, s->name, &s->handle, err);
    if (s->plugin == NULL) {
        goto fail;
    }
    s->location = mbk_storage_location_resolve(
        location, (s->plugin->caps & MBK_STORAGE_CAP_FILE_LOCATION) != 0, err);
    if (s->location == NULL) {
        goto fail;
    }
    s->store = s->plugin->open(s->location, err);
    if (s->store == NULL) {
        goto fail;
    }
    free(path);
    return s;
fail:
    free(path);
    mbk_storage_close(s);
    return NULL;
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
