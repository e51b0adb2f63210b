/*
 * loader.h: the host side of storage.  Loads a plugin module, checks it
 * against the ABI of storage/mbk_storage.h, opens a store on a checked
 * location, and wraps every call with the name and capability checks.
 *
 * Ownership: mbk_storage_open returns a store the caller frees with
 * mbk_storage_close.  Thread safety: a struct mbk_storage never changes
 * after open and may be used from several threads at once; each writer
 * and reader belongs to one thread at a time.  A thread must not hold
 * two writers on one store that wants sizes (CAP_NEEDS_SIZE) and commit
 * the spooled one first: tar's writers take one lock in turn.
 */
#ifndef MBK_STORAGE_LOADER_H
#define MBK_STORAGE_LOADER_H

#include <stdint.h>
#include <sys/types.h>

#include "storage/mbk_storage.h"

/* Codes of the PLUGIN domain: one meaning each. */
enum mbk_plugin_code {
    MBK_PLUGIN_EBADNAME = 1, /* a plugin name or spec that breaks the rules */
    MBK_PLUGIN_ELOAD,        /* dlopen() failed (message has dlerror()) */
    MBK_PLUGIN_ESYMBOL,      /* the plugin symbol is missing */
    MBK_PLUGIN_EABI,         /* abi or size do not match this host */
    MBK_PLUGIN_EINVALID,     /* name, caps, schemes or a method are wrong */
    MBK_PLUGIN_ESCHEME       /* no plugin handles a location's scheme */
};

struct mbk_storage; /* an opened store: plugin + location */

/*
 * Load the module at path and check its symbol mbk_storage_<name>_plugin.
 * On success *handle is the dlopen() handle (dlclose it when done) and the
 * plugin is returned; on any mismatch the module is closed again and a
 * PLUGIN error says what is wrong.
 */
const struct mbk_storage_plugin *
mbk_storage_plugin_load(const char *path, const char *name, void **handle,
                        struct mbk_error *err);

/*
 * Open a location: "SCHEME:LOCATION" ("fs:DIR", "tar:FILE") or a URL
 * ("s3://bucket/prefix").  The plugin is the one that declares SCHEME in
 * its schemes: <plugin_dir>/mbk_storage_<SCHEME>.so when it exists, else
 * the first module of plugin_dir (in name order) that declares it
 * (plugin_dir NULL: $MBK_PLUGIN_DIR, else the compiled-in MBK_PLUGIN_DIR);
 * none: PLUGIN/ESCHEME.  A local location is resolved
 * (mbk_storage_location_resolve); a URL (CAP_URL_LOCATION) is checked for
 * its form and handed over whole.  options (noptions, may be NULL) are the
 * configuration's settings for the plugin, lent for the call.
 */
struct mbk_storage *
mbk_storage_open_options(const char *spec,
                         const struct mbk_storage_option *options,
                         size_t noptions, const char *plugin_dir,
                         struct mbk_error *err);

/*
 * mbk_storage_open_options() on a directory the caller opened safely
 * (dirfd >= 0, lent: the plugin dups it): the local store's directory, or
 * for a CAP_FILE_LOCATION plugin the directory holding the file.  The
 * location after "SCHEME:" must then be absolute and is not resolved by
 * name again (the caller resolved it; it names the store in messages);
 * a URL plugin is refused (STORAGE/EBADROOT).  dirfd -1: the same as
 * mbk_storage_open_options().
 */
struct mbk_storage *
mbk_storage_open_at(const char *spec,
                    const struct mbk_storage_option *options,
                    size_t noptions, int dirfd, const char *plugin_dir,
                    struct mbk_error *err);

/* mbk_storage_open_options() without options. */
struct mbk_storage *
mbk_storage_open(const char *spec, const char *plugin_dir,
                 struct mbk_error *err);

void
mbk_storage_close(struct mbk_storage *s); /* NULL-safe, dlcloses */

const char *
mbk_storage_get_name(const struct mbk_storage *s); /* e.g. "fs" */

uint32_t
mbk_storage_get_caps(const struct mbk_storage *s);

/* The scheme of the location, e.g. "s3". */
const char *
mbk_storage_get_scheme(const struct mbk_storage *s);

/* What the plugin got as its location: the resolved absolute path, or
 * the URL (CAP_URL_LOCATION). */
const char *
mbk_storage_get_location(const struct mbk_storage *s);

/* Entries in no particular order; see struct mbk_storage_entry. */
int
mbk_storage_list(struct mbk_storage *s, mbk_storage_list_fn fn, void *ud,
                 struct mbk_error *err);

/* One backup's entry (size, mtime, metadata with CAP_LIST_META) without
 * listing the store: fn is called once; STORAGE/ENOTFOUND if absent. */
int
mbk_storage_stat(struct mbk_storage *s, const char *name,
                 mbk_storage_list_fn fn, void *ud, struct mbk_error *err);

/* Writing: begin, write*, then commit or abort (both free the writer). */
struct mbk_storage_writer *
mbk_storage_put_begin(struct mbk_storage *s, const char *name, int64_t size,
                      const char *meta_json, struct mbk_error *err);

int
mbk_storage_put_write(struct mbk_storage *s, struct mbk_storage_writer *w,
                      const void *buf, size_t len, struct mbk_error *err);

int
mbk_storage_put_commit(struct mbk_storage *s, struct mbk_storage_writer *w,
                       struct mbk_error *err);

void
mbk_storage_put_abort(struct mbk_storage *s, struct mbk_storage_writer *w);

struct mbk_storage_reader *
mbk_storage_get_open(struct mbk_storage *s, const char *name,
                     struct mbk_error *err);

/* Bytes read, 0 at the end, -1 on error. */
ssize_t
mbk_storage_get_read(struct mbk_storage *s, struct mbk_storage_reader *r,
                     void *buf, size_t len, struct mbk_error *err);

void
mbk_storage_get_close(struct mbk_storage *s, struct mbk_storage_reader *r);

/* CAP_REMOVE, else STORAGE/ENOTSUP. */
int
mbk_storage_remove(struct mbk_storage *s, const char *name,
                   struct mbk_error *err);

/* CAP_LOCAL_PATH, else STORAGE/ENOTSUP: the path relative to location. */
int
mbk_storage_path(struct mbk_storage *s, const char *name, char *buf,
                 size_t len, struct mbk_error *err);

#endif /* MBK_STORAGE_LOADER_H */
