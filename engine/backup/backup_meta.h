/*
 * backup_meta.h: the metadata object of a backup read back exactly
 * (backup_meta.c, which also writes it).  Thread-safe.
 */
#ifndef MBK_ENGINE_BACKUP_META_H
#define MBK_ENGINE_BACKUP_META_H

#include <stddef.h>

#include <json-c/json.h>

#include "engine/error.h"

/*
 * meta is json-c's parse of the metadata text json[0..len).  json-c keeps
 * one of two equal keys, so a collection's options or index spec whose
 * text holds an escape with a repeated key would lose one: make each of
 * them print (json_object_to_json_string) as the document the text holds,
 * with the streaming Extended JSON codec; their members stay for lookups.
 * 0, or -1 with err set (meta then prints as before, maybe lossy).
 */
int
mbk_engine_meta_exact(struct json_object *meta, const char *json, size_t len,
                      struct mbk_error *err);

#endif /* MBK_ENGINE_BACKUP_META_H */
