/*
 * path.h: the host's path and name safety for storage.  Backup names and
 * storage specs are checked here, and locations resolved, before any
 * plugin sees them; plugins then open relative to the root, O_NOFOLLOW.
 * All functions are thread-safe (no shared state).
 */
#ifndef MBK_STORAGE_PATH_H
#define MBK_STORAGE_PATH_H

#include <stddef.h>

#include "storage/mbk_storage.h"

/* Longest plugin name in a spec ("fs", "tar"): [a-z0-9]+. */
#define MBK_STORAGE_PLUGIN_NAME_MAX 32

/* Backup names: mbk_storage_name_check() of storage/mbk_storage.h. */

/* A plugin name: [a-z0-9]+, at most MBK_STORAGE_PLUGIN_NAME_MAX bytes;
 * else PLUGIN/MBK_PLUGIN_EBADNAME. */
int
mbk_storage_plugin_name_check(const char *name, struct mbk_error *err);

/*
 * Split "fs:DIR" (or "s3://bucket/prefix") into its scheme (copied to
 * plugin, plugin_len bytes with the NUL; a scheme follows the plugin-name
 * rule) and the rest (a pointer into spec after the ':', never empty).
 * STORAGE/EBADROOT when spec has no ':' or an empty location;
 * PLUGIN/MBK_PLUGIN_EBADNAME when the plugin name breaks its rule.
 */
int
mbk_storage_spec_split(const char *spec, char *plugin, size_t plugin_len,
                       const char **location, struct mbk_error *err);

/*
 * Resolve a location for a plugin.  is_file 0: location must be an
 * existing directory that is not itself a symbolic link; the result is
 * its realpath().  is_file 1: the parent directory must exist (its
 * realpath is taken), the last component must be a plain name (not "."
 * or "..", no trailing '/'), and if it exists it must be a regular file,
 * not a symbolic link.  Returns a malloc'd absolute path the caller
 * frees, or NULL with STORAGE/EBADROOT (or SYS for out of memory).
 */
char *
mbk_storage_location_resolve(const char *location, int is_file,
                             struct mbk_error *err);

/*
 * Open rel (a relative path, no "." or ".." component) beneath the
 * directory dirfd without following any symbolic link and without
 * leaving dirfd: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or where
 * the kernel lacks it a walk opening each component O_NOFOLLOW (the
 * directories O_DIRECTORY).  flags are open(2)'s for the last component
 * (O_NOFOLLOW and O_CLOEXEC are added).  The descriptor, or -1 with
 * errno: ENOENT, ELOOP (a symbolic link on the way), EXDEV (an escape),
 * ENOTDIR, EINVAL (a bad rel), or what open(2) says.
 */
int
mbk_storage_open_beneath(int dirfd, const char *rel, int flags);

/* The fallback walk alone (what runs where openat2 is missing), for
 * tests. */
int
mbk_storage_open_beneath_walk(int dirfd, const char *rel, int flags);

#endif /* MBK_STORAGE_PATH_H */
