# bench/: benchmarks; `make bench` builds them, `make check` never runs them.
# Fragments add their programs to both EXTRA_PROGRAMS and MBK_BENCH.
bench: $(MBK_BENCH)
.PHONY: bench
CLEANFILES += $(MBK_BENCH)

EXTRA_DIST += bench/backup bench/restore bench/compress
EXTRA_PROGRAMS += bench/bench_backup
MBK_BENCH += bench/bench_backup
bench_bench_backup_SOURCES = bench/bench_backup.c bench/crm.c bench/crm.h
bench_bench_backup_CFLAGS = $(AM_CFLAGS) $(MONGOC_CFLAGS)
bench_bench_backup_LDADD = tests/integration/libharness.la $(MONGOC_LIBS)

EXTRA_PROGRAMS += bench/bench_compress
MBK_BENCH += bench/bench_compress
bench_bench_compress_SOURCES = bench/bench_compress.c bench/crm.c bench/crm.h
bench_bench_compress_CFLAGS = $(AM_CFLAGS) $(MONGOC_CFLAGS) $(ZLIB_CFLAGS)
bench_bench_compress_LDADD = tests/integration/libharness.la engine/libmbk.la \
	$(MONGOC_LIBS) $(ZLIB_LIBS)

# The s3 plugin against a fresh Ceph gateway, and curl beside it (bench/s3).
EXTRA_DIST += bench/s3 bench/s3-rss
EXTRA_PROGRAMS += bench/bench_s3
MBK_BENCH += bench/bench_s3
bench_bench_s3_SOURCES = bench/bench_s3.c
bench_bench_s3_LDADD = engine/libmbk.la
