/*
 * s3_store.h: the S3 plugin's methods and the object calls its files
 * share (s3.c, s3_put.c).  Keys under PREFIX that start with a dot are
 * the plugin's own: upload markers and metadata sidecars, never listed.
 */
#ifndef MBK_S3_STORE_H
#define MBK_S3_STORE_H

#include "storage/s3_private.h"

#define MBK_S3_MARKERS ".mbk-uploads/"
#define MBK_S3_SIDECARS ".mbk-meta/"

/* 1 when key exists, 0 when not, -1 with err. */
int mbk_s3_exists(struct mbk_storage_store *st, const char *key,
                  struct mbk_error *err);
int mbk_s3_delete(struct mbk_storage_store *st, const char *key,
                  struct mbk_error *err);
int mbk_s3_abort_upload(struct mbk_storage_store *st, const char *key,
                        const char *upload_id, struct mbk_error *err);

struct mbk_storage_writer *mbk_s3_put_begin(struct mbk_storage_store *st,
                                            const char *name, int64_t size,
                                            const char *meta_json,
                                            struct mbk_error *err);
int mbk_s3_put_write(struct mbk_storage_writer *w, const void *buf,
                     size_t len, struct mbk_error *err);
int mbk_s3_put_commit(struct mbk_storage_writer *w, struct mbk_error *err);
void mbk_s3_put_abort(struct mbk_storage_writer *w);

#endif /* MBK_S3_STORE_H */
