/*
 * ejson_write.h: the streaming canonical Extended JSON v2 encoder.  It
 * turns one BSON document into the text libbson 1.23's
 * bson_as_canonical_extended_json() prints, byte for byte, appended to a
 * caller's struct mbk_buf.  Stateless and thread-safe (one buffer per thread).
 */
#ifndef MBK_ENGINE_EJSON_WRITE_H
#define MBK_ENGINE_EJSON_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include <bson.h>

#include "engine/buf.h"
#include "engine/error.h"

/* Deepest nesting accepted, counted as mongod counts it: the top document
 * is level 1, each non-empty embedded document, array or code-with-scope
 * scope adds one, an empty one adds none.  A default mongod stores up to
 * 180 levels (maxBSONDepth 200 less the 20 it keeps for itself).  The
 * reader (ejson_read.h) uses the same rule and number. */
#define MBK_EJSON_MAX_DEPTH 180

/* The escape key: {"$mbk:doc": {members}} is the document with exactly
 * those members, field names as given, never a type wrapper. */
#define MBK_EJSON_ESCAPE_KEY "$mbk:doc"

/* Would a document whose first key is k be escaped?  (k is one of the
 * Extended JSON keywords $oid, $date, $numberLong ..., canonical or
 * legacy, or the escape key itself.) */
int
mbk_ejson_key_is_keyword(const char *k);

/* Append the canonical Extended JSON v2 text of the BSON document at
 * data/len to out.  A document or subdocument whose first key is a
 * keyword or which holds a key twice is written inside the escape (README,
 * "The backup file"); everything else is libbson's text byte for byte.
 * On failure (corrupt BSON, invalid UTF-8 in a key or string, nesting over
 * MBK_EJSON_MAX_DEPTH, out's max reached) out is left at its old length
 * and err says what and where (e.g. the dotted key path). */
int
mbk_ejson_write(struct mbk_buf *out, const uint8_t *data, size_t len,
                struct mbk_error *err);

/* Same, and *escapes (may be NULL) is set to 0 when nothing was escaped,
 * else to a positive number (a document written again after a repeated
 * key was found may count its subdocuments' escapes twice). */
int
mbk_ejson_write_ex(struct mbk_buf *out, const uint8_t *data, size_t len,
                   int *escapes, struct mbk_error *err);

/* Same, for a bson_t. */
int
mbk_ejson_write_bson(struct mbk_buf *out, const bson_t *doc, struct mbk_error *err);

#endif /* MBK_ENGINE_EJSON_WRITE_H */
