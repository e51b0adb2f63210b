# engine/: the core, as a convenience library the CLI and the responder link.
noinst_LTLIBRARIES += engine/libmbk.la
engine_libmbk_la_SOURCES = \
	engine/error.c engine/error.h \
	engine/buf.c engine/buf.h \
	engine/names.c engine/names.h \
	engine/spool.c engine/spool.h \
	engine/gzip.h engine/gzip_pool.c engine/gzip_inflate.c \
	engine/mongo.c engine/mongo.h \
	engine/stats.c engine/stats.h \
	engine/backup.c engine/backup.h engine/backup_private.h \
	engine/backup_meta.c \
	engine/source.c engine/source.h \
	engine/catalog.c engine/catalog.h engine/stored.c engine/stored.h \
	engine/options.c engine/options.h \
	engine/restore.c engine/restore.h engine/restore_private.h \
	engine/restore_write.c engine/restore_target.c \
	engine/restore_staging.c engine/restore_journal.c \
	engine/restore_recover.c engine/restore_report.c
engine_libmbk_la_CFLAGS = $(AM_CFLAGS) $(MONGOC_CFLAGS) $(BSON_CFLAGS) \
	$(JSONC_CFLAGS) $(ZLIB_CFLAGS) $(LIBDEFLATE_CFLAGS) $(CRYPTO_CFLAGS)
engine_libmbk_la_LIBADD = $(MONGOC_LIBS) $(BSON_LIBS) $(JSONC_LIBS) \
	$(ZLIB_LIBS) $(LIBDEFLATE_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
