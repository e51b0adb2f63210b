/*
 * catalog.h: what is in a storage: the backups with their metadata (read
 * from the head of each file, or from the plugin when it keeps it), and
 * verification of one backup against its own metadata.
 */
#ifndef MBK_ENGINE_CATALOG_H
#define MBK_ENGINE_CATALOG_H

#include <stdint.h>

#include <json-c/json.h>

#include "engine/error.h"
#include "storage/loader.h"

/* One backup as listed.  meta is NULL when the head could not be read;
 * meta_error then says why.  Everything is lent for the callback. */
struct mbk_catalog_entry {
    const char *name;
    uint64_t size;
    int64_t mtime;
    struct json_object *meta; /* the "metadata" object */
    const char *meta_error;
};

typedef int (*mbk_catalog_fn)(const struct mbk_catalog_entry *e, void *ud);

/* Entries sorted by name.  A file whose head is unreadable is listed with
 * meta_error; only a storage failure fails the call. */
int
mbk_engine_catalog_list(struct mbk_storage *st, mbk_catalog_fn fn, void *ud,
                        struct mbk_error *err);

/* One backup's entry without listing the storage (mbk_storage_stat, and
 * the head when the plugin does not keep the metadata): fn is called once,
 * as by mbk_engine_catalog_list; STORAGE/ENOTFOUND when it is absent. */
int
mbk_engine_catalog_entry(struct mbk_storage *st, const char *name,
                         mbk_catalog_fn fn, void *ud, struct mbk_error *err);

/* The metadata of one backup; the caller owns *meta. */
int
mbk_engine_catalog_meta(struct mbk_storage *st, const char *name,
                        struct json_object **meta, struct mbk_error *err);

/* The metadata at the head of an open source; *meta is the caller's. */
struct mbk_source;
int
mbk_engine_meta_read(struct mbk_source *src, struct json_object **meta,
                     struct mbk_error *err);

struct mbk_verify_coll {
    char name[256];
    uint64_t docs;
    uint64_t bson_bytes; /* the documents' total BSON size */
    char sha256[65];
    int checked; /* 1: count and digest matched the metadata */
    int typed;   /* any Extended JSON type wrappers seen */
};

struct mbk_verify_result {
    int has_digests; /* the metadata carries counts and digests (mbk/1) */
    uint64_t docs;
    uint64_t json_bytes; /* decompressed size */
    uint64_t stored_bytes;
    int gzip;
    size_t ncoll;
    struct mbk_verify_coll *colls;
    double seconds; /* mbk_engine_verify's, success or not */
};

/* Re-read the whole backup: structure, documents, and each collection's
 * count and SHA-256 against the metadata.  A mismatch is ENGINE/EDIGEST,
 * a broken file ENGINE/EFORMAT. */
int
mbk_engine_verify(struct mbk_storage *st, const char *name,
                  struct mbk_verify_result *res, struct mbk_error *err);

/* The same on an open source, with parser limits (NULL: defaults); the
 * metadata object is handed to *meta when meta is not NULL. */
struct mbk_ejson_limits;
int
mbk_engine_verify_stream(struct mbk_source *src,
                         const struct mbk_ejson_limits *limits,
                         struct mbk_verify_result *res,
                         struct json_object **meta, struct mbk_error *err);

/* Free res->colls; call it whatever verify returned. */
void
mbk_engine_verify_result_free(struct mbk_verify_result *res);

/*
 * What both front ends print, rendered once here (`mbk list --json`, `mbk
 * verify --json`, and the API's "data"); storage is the name the front
 * end knows the storage by.  The caller owns each object.
 *
 * A listed backup: {"name", "storage" (null for a place that is no named storage), "size", "modified" (ISO-8601 UTC),
 * "backupName", "database", "timestamp", "description", "collections",
 * "documentCount", "compression", "format" (from the metadata; null when
 * absent), "digestStatus" ("present", "none", "unreadable"),
 * ["metadataError"]}.
 */
struct json_object *
mbk_engine_catalog_entry_json(const struct mbk_catalog_entry *e,
                              const char *storage);

/* A verified backup: {"name", "storage", "valid": true, "digestsChecked",
 * "documentCount", "jsonBytes", "compression", "collections": {NAME:
 * {"documentCount", "sha256", "typed"}}}. */
struct json_object *
mbk_engine_verify_result_json(const char *name, const char *storage,
                              const struct mbk_verify_result *res);

/* The audit entry of verifying name (failure NULL when it held):
 * operation "verify", params {"name", "storage"}, outcome, error,
 * duration.  Release it with mbk_audit_entry_release. */
struct mbk_audit_entry;
void
mbk_engine_verify_audit(const char *name, const char *storage,
                        const struct mbk_verify_result *res,
                        const struct mbk_error *failure,
                        struct mbk_audit_entry *ae);

#endif /* MBK_ENGINE_CATALOG_H */
