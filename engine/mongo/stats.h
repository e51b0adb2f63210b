/*
 * stats.h: database statistics (dbStats, and per collection count, size
 * and indexes) as one JSON object, for `mbk stats` and the API.
 */
#ifndef MBK_ENGINE_STATS_H
#define MBK_ENGINE_STATS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "engine/error.h"
#include "engine/mongo/mongo.h"

/*
 * {"database", "collections", "views", "objects", "dataSize",
 *  "storageSize", "indexes", "indexSize", "collectionList": [{"name",
 *  "type", "count", "size", "storageSize", "avgObjSize", "nindexes",
 *  "totalIndexSize", "indexes": [{"name", "key", "unique", "size"}]}]}
 * The caller owns *out (json_object_put).
 */
int
mbk_engine_stats(struct mbk_mongo *m, const char *db, struct json_object **out,
                 struct mbk_error *err);

/* admin, local and config: MongoDB's own databases, never a restore
 * target nor offered for statistics. */
bool
mbk_engine_db_internal(const char *db);

/* The names of the databases the login may read (listDatabases with
 * nameOnly and authorizedDatabases), MongoDB's own left out, sorted:
 * a JSON array of strings the caller owns. */
int
mbk_engine_databases(struct mbk_mongo *m, struct json_object **out,
                     struct mbk_error *err);

#endif /* MBK_ENGINE_STATS_H */
