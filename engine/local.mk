# engine/: the core, as a convenience library the CLI and the responder link.
# The shared pieces stay at engine/; each subsystem has its folder (its
# README.md says what it holds); the codec and the audit trail bring their
# own fragments (engine/ejson/*.mk, engine/audit/audit.mk).
noinst_LTLIBRARIES += engine/libmbk.la
engine_libmbk_la_SOURCES = \
	engine/error.c engine/error.h \
	engine/buf.c engine/buf.h \
	engine/names.c engine/names.h \
	engine/spool.c engine/spool.h \
	engine/gzip.h engine/gzip_pool.c engine/gzip_inflate.c \
	engine/source.c engine/source.h \
	engine/options.c engine/options.h \
	engine/mongo/mongo.c engine/mongo/mongo.h \
	engine/mongo/stats.c engine/mongo/stats.h \
	engine/backup/backup.c engine/backup/backup.h \
	engine/backup/backup_private.h engine/backup/backup_meta.c \
	engine/backup/backup_meta.h engine/backup/backup_report.c \
	engine/backup/catalog.c engine/backup/catalog.h \
	engine/backup/catalog_report.c \
	engine/backup/stored.c engine/backup/stored.h \
	engine/restore/restore.c engine/restore/restore.h \
	engine/restore/restore_private.h \
	engine/restore/restore_write.c engine/restore/restore_target.c \
	engine/restore/restore_staging.c engine/restore/restore_journal.c \
	engine/restore/restore_recover.c engine/restore/restore_report.c
engine_libmbk_la_CFLAGS = $(AM_CFLAGS) $(MONGOC_CFLAGS) $(BSON_CFLAGS) \
	$(JSONC_CFLAGS) $(ZLIB_CFLAGS) $(LIBDEFLATE_CFLAGS) $(CRYPTO_CFLAGS)
engine_libmbk_la_LIBADD = $(MONGOC_LIBS) $(BSON_LIBS) $(JSONC_LIBS) \
	$(ZLIB_LIBS) $(LIBDEFLATE_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += engine/README.md engine/ejson/README.md engine/mongo/README.md \
	engine/backup/README.md engine/restore/README.md engine/audit/README.md
