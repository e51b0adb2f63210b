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

/* Deepest nesting accepted: the top document is level 0, each embedded
 * document, array or code-with-scope scope adds one (MongoDB allows 100). */
#define MBK_EJSON_MAX_DEPTH 100

/* Append the canonical Extended JSON v2 text of the BSON document at data/len to out.
 * On failure (corrupt BSON, invalid UTF-8 in a key or string, depth over 100, out's max
 * reached) out is left at its old length and err says what and where
 * (e.g. the dotted key path). */
int
mbk_ejson_write(struct mbk_buf *out, const uint8_t *data, size_t len,
                struct mbk_error *err);

/* Same, for a bson_t. */
int
mbk_ejson_write_bson(struct mbk_buf *out, const bson_t *doc, struct mbk_error *err);

#endif /* MBK_ENGINE_EJSON_WRITE_H */
