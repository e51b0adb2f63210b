/*
 * ejson_read.h: the streaming backup-file parser of restore.  A push
 * parser fed the decompressed bytes of a backup file in chunks of any size;
 * it walks {"metadata": {...}, "collections": {"name": [docs]}} without
 * loading the file and hands each document, converted to BSON, to
 * callbacks.  Also the one-shot Extended JSON -> BSON converter.
 *
 * Thread safety: a reader is used by one thread at a time; distinct
 * readers are independent.  mbk_ejson_to_bson is thread-safe.
 */
#ifndef MBK_ENGINE_EJSON_READ_H
#define MBK_ENGINE_EJSON_READ_H

#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "engine/error.h"

/*
 * Hard limits.  A zero field takes the default shown.  Every limit that is
 * hit fails with (MBK_ERROR_ENGINE, MBK_ENGINE_ENOMEM) and says which.
 */
struct mbk_ejson_limits {
    int depth;             /* BSON nesting as mongod counts it (180) */
    size_t doc_bytes;      /* one document as BSON (16 MiB) */
    size_t doc_text_bytes; /* one document as JSON text (4 x doc_bytes) */
    uint64_t total_bytes;  /* the whole decompressed stream (64 GiB) */
    size_t collections;    /* collections in the file (10000) */
    size_t string_bytes;   /* one string, decoded (doc_bytes) */
    size_t metadata_bytes; /* the metadata object's text (16 MiB) */
    /* Not a limit: in an mbk file (metadata "format": "mbk/..."), check
     * that each document, converted and written again, gives exactly its
     * text in the file, so it would come back identical (mbk verify). */
    int check_text;
};

#define MBK_EJSON_DEPTH 180 /* = MBK_EJSON_MAX_DEPTH of ejson_write.h */
/* JSON nesting of the metadata object (and of json-c tokeners reading it):
 * collection options as deep as a document, each level possibly inside an
 * escape, under the metadata's own few levels. */
#define MBK_EJSON_META_DEPTH (2 * MBK_EJSON_DEPTH + 16)
#define MBK_EJSON_DOC_BYTES ((size_t)16 * 1024 * 1024)
#define MBK_EJSON_TOTAL_BYTES ((uint64_t)64 * 1024 * 1024 * 1024)
#define MBK_EJSON_COLLECTIONS 10000
#define MBK_EJSON_METADATA_BYTES ((size_t)16 * 1024 * 1024)

/*
 * The callbacks, called in stream order (metadata may come before or after
 * "collections").  Each returns 0, or -1 with err set to stop the parse:
 * feed/finish then return -1 with that error, unchanged.  Any callback may
 * be NULL.  Everything passed is lent for the duration of the call only:
 * copy `json`, `name` or `doc` (bson_copy) to keep them.
 */
struct mbk_ejson_reader_cb {
    /*
     * The raw text of the "metadata" object, '{' to '}', NUL-terminated at
     * json[len].  Already checked: JSON syntax, UTF-8, no duplicate keys
     * in any object (but inside an escape {"$mbk:doc": {...}} of
     * collection options or index specs, which holds the server's
     * document as it is), "database" a valid MongoDB database name.
     */
    int (*metadata)(void *ud, const char *json, size_t len,
                    struct mbk_error *err);
    /* A collection's array starts; name is checked (MongoDB's rules). */
    int (*collection_begin)(void *ud, const char *name, struct mbk_error *err);
    /* One document of the current collection. */
    int (*document)(void *ud, const bson_t *doc, struct mbk_error *err);
    /*
     * The array ended: count documents; sha256 = SHA-256 of the array's
     * text exactly as in the stream, '[' to ']' inclusive; typed = 1 when
     * any document used an Extended JSON type wrapper ($oid, $date...),
     * 0 for plain JSON (files of the original TypeScript service).
     */
    int (*collection_end)(void *ud, const char *name, uint64_t count,
                          const unsigned char sha256[32], int typed,
                          struct mbk_error *err);
};

struct mbk_ejson_reader;

/*
 * A reader with the given limits (NULL: defaults) and callbacks (copied).
 * ud is passed to every callback.  NULL when out of memory.
 */
struct mbk_ejson_reader *
mbk_ejson_reader_new(const struct mbk_ejson_limits *limits,
                     const struct mbk_ejson_reader_cb *cb, void *ud);

/*
 * The next len bytes of the stream.  Errors are sticky: after a -1 every
 * later call returns -1 with the same error.  Format errors are
 * (MBK_ERROR_ENGINE, MBK_ENGINE_EFORMAT), bad collection or database
 * names MBK_ENGINE_EBADNAME, limits MBK_ENGINE_ENOMEM; the message names
 * the byte offset, line and column (bytes, from 1) and quotes the input
 * there: `at byte 120 (line 3, column 9): ... near "..."`.
 */
int
mbk_ejson_reader_feed(struct mbk_ejson_reader *r, const void *buf, size_t len,
                      struct mbk_error *err);

/* End of stream: fails unless a whole, valid file was fed. */
int
mbk_ejson_reader_finish(struct mbk_ejson_reader *r, struct mbk_error *err);

/* Bytes fed so far. */
uint64_t
mbk_ejson_reader_offset(const struct mbk_ejson_reader *r);

void
mbk_ejson_reader_free(struct mbk_ejson_reader *r); /* NULL-safe */

/*
 * One document: the JSON object in json[0..len) into *out, which this
 * initializes on success only (the caller then bson_destroy()s it).
 * Default limits.  Errors as for the reader, offsets relative to json.
 *
 * The conversion (shared with the reader):
 * - Canonical Extended JSON v2 as libbson writes it gives BSON bytes
 *   identical to bson_init_from_json's (and to the original document).
 * - Relaxed forms: plain numbers (int32 if they fit, else int64, else
 *   double, as libbson); $date as ISO-8601 (Z, +HHMM or +HH:MM, 0-3
 *   fraction digits) or an integer; $numberLong as a string or integer;
 *   libbson's legacy {"$binary": b64, "$type": hex} and {"$regex": ...,
 *   "$options": ...}; wrapper members in any order.
 * - A key starting with '$' that is not a wrapper, or a wrapper name that
 *   is not an object's first key, is a plain key, as in libbson (and as
 *   MongoDB 5.0+ allows): {"$ref": .., "$id": ..} (DBRef), {"$type":
 *   "string"} and {"$regex": {...}} stay documents.  A key repeated in an
 *   object is refused, but inside the escape {"$mbk:doc": {...}}, where
 *   the members are kept as given (a server can hold such a document).
 * - Stricter than libbson where it silently corrupts: $oid must be 24 hex
 *   digits, $numberDecimal must parse, $timestamp parts must fit 32 bits,
 *   no NUL in regex patterns or keys, integers beyond int64 become
 *   doubles.  Regex options are sorted and unknown letters dropped, as
 *   libbson does.
 */
int
mbk_ejson_to_bson(const char *json, size_t len, bson_t *out,
                  struct mbk_error *err);

/*
 * The metadata object's text (as the reader hands it over) to BSON, its
 * Extended JSON read as for documents: collection options and index
 * specs come back as the server held them, an escape's repeated keys
 * included.  Metadata limits (MBK_EJSON_METADATA_BYTES,
 * MBK_EJSON_META_DEPTH); errors as mbk_ejson_to_bson's.
 */
int
mbk_ejson_meta_to_bson(const char *json, size_t len, bson_t *out,
                       struct mbk_error *err);

#endif /* MBK_ENGINE_EJSON_READ_H */
