# tests/fuzz/fuzz.mk: libFuzzer targets for every parser of outside input.
# Built only by `make fuzz`, with clang straight from the sources (the
# regular build uses gcc and never sees them); `make fuzz FUZZ_SECONDS=N`
# runs each target N seconds on its seed corpus and fails on a crash.
# One target: `make fuzz FUZZ_TARGETS=fuzz_tar`.  New inputs are kept in
# tests/fuzz/work/<target>/ of the build tree, crashes as
# tests/fuzz/crash-<target>-*.

# Regression tests: the crashes found, minimized (part of make check).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_fuzz_regress
TESTS += tests/unit/test_fuzz_regress
else
NOCMOCKA_TESTS += tests/unit/test_fuzz_regress
endif
tests_unit_test_fuzz_regress_SOURCES = tests/unit/test_fuzz_regress.c
tests_unit_test_fuzz_regress_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fuzz_regress_LDADD = $(UNIT_LDADD) $(BSON_LIBS)

FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_FLAGS = -timeout=10 -rss_limit_mb=2048 -max_len=65536
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CPPFLAGS = -I$(top_srcdir) -I$(top_builddir) \
	$(BSON_CFLAGS) $(JSONC_CFLAGS) $(ZLIB_CFLAGS) $(LIBDEFLATE_CFLAGS) \
	$(CRYPTO_CFLAGS)
FUZZ_TARGETS = fuzz_ejson_read fuzz_ejson_doc fuzz_source fuzz_meta \
	fuzz_tar fuzz_schema_body fuzz_schema_query fuzz_multipart \
	fuzz_multipart_progress

# The engine sources each target needs, compiled into it.
FUZZ_PARSER_SRC = $(srcdir)/engine/error.c $(srcdir)/engine/buf.c \
	$(srcdir)/engine/ejson/ejson_read.c \
	$(srcdir)/engine/ejson/ejson_read_check.c \
	$(srcdir)/engine/ejson/ejson_read_conv.c \
	$(srcdir)/engine/ejson/ejson_read_num.c \
	$(srcdir)/engine/ejson/ejson_read_wrap.c \
	$(srcdir)/engine/ejson/ejson_read_types.c \
	$(srcdir)/engine/ejson/ejson_read_scan.c \
	$(srcdir)/engine/ejson/ejson_write.c $(srcdir)/engine/ejson/ejson_fmt.c
FUZZ_SOURCE_SRC = $(FUZZ_PARSER_SRC) $(srcdir)/engine/source.c \
	$(srcdir)/engine/gzip_inflate.c $(srcdir)/engine/names.c \
	$(srcdir)/engine/backup/catalog.c $(srcdir)/storage/loader.c \
	$(srcdir)/storage/path.c
FUZZ_TAR_SRC = $(srcdir)/storage/tar.c $(srcdir)/storage/tar_archive.c
FUZZ_FCGI_SRC = $(srcdir)/engine/error.c $(srcdir)/engine/buf.c \
	$(srcdir)/engine/names.c $(srcdir)/fcgi/http.c \
	$(srcdir)/fcgi/schema.c $(srcdir)/fcgi/multipart.c \
	$(srcdir)/engine/audit/audit.c
FUZZ_PARSER_LIBS = $(BSON_LIBS) $(JSONC_LIBS) $(CRYPTO_LIBS)
FUZZ_SOURCE_LIBS = $(FUZZ_PARSER_LIBS) $(ZLIB_LIBS) $(LIBDEFLATE_LIBS) -ldl
FUZZ_FCGI_LIBS = $(JSONC_LIBS) $(MONGOC_LIBS) $(BSON_LIBS) $(CRYPTO_LIBS) -lm
FUZZ_INCS = $(srcdir)/tests/fuzz/fuzz_split.h
FUZZ_LINK = $(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) \
	$(FUZZ_CPPFLAGS)
FUZZ_SEEDS = $(srcdir)/tests/fuzz/corpus

EXTRA_DIST += tests/fuzz/fuzz_ejson_read.c tests/fuzz/fuzz_ejson_doc.c \
	tests/fuzz/fuzz_source.c tests/fuzz/fuzz_meta.c tests/fuzz/fuzz_tar.c \
	tests/fuzz/fuzz_schema.c tests/fuzz/fuzz_multipart.c \
	tests/fuzz/fuzz_multipart_progress.c \
	tests/fuzz/fuzz_split.h tests/fuzz/corpus tests/fuzz/README.md

tests/fuzz/fuzz_ejson_read: $(srcdir)/tests/fuzz/fuzz_ejson_read.c \
		$(FUZZ_PARSER_SRC) $(FUZZ_INCS)
	$(FUZZ_LINK) -o $@ $(srcdir)/tests/fuzz/fuzz_ejson_read.c \
	    $(FUZZ_PARSER_SRC) $(FUZZ_PARSER_LIBS)
tests/fuzz/fuzz_ejson_doc: $(srcdir)/tests/fuzz/fuzz_ejson_doc.c \
		$(FUZZ_PARSER_SRC)
	$(FUZZ_LINK) -o $@ $(srcdir)/tests/fuzz/fuzz_ejson_doc.c \
	    $(FUZZ_PARSER_SRC) $(FUZZ_PARSER_LIBS)
tests/fuzz/fuzz_source: $(srcdir)/tests/fuzz/fuzz_source.c \
		$(FUZZ_SOURCE_SRC) $(FUZZ_INCS)
	$(FUZZ_LINK) -o $@ $(srcdir)/tests/fuzz/fuzz_source.c \
	    $(FUZZ_SOURCE_SRC) $(FUZZ_SOURCE_LIBS)
tests/fuzz/fuzz_meta: $(srcdir)/tests/fuzz/fuzz_meta.c \
		$(FUZZ_SOURCE_SRC) $(FUZZ_INCS)
	$(FUZZ_LINK) -o $@ $(srcdir)/tests/fuzz/fuzz_meta.c \
	    $(FUZZ_SOURCE_SRC) $(FUZZ_SOURCE_LIBS)
tests/fuzz/fuzz_tar: $(srcdir)/tests/fuzz/fuzz_tar.c $(FUZZ_TAR_SRC)
	$(FUZZ_LINK) $(ARCHIVE_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz_tar.c \
	    $(FUZZ_TAR_SRC) $(ARCHIVE_LIBS)
tests/fuzz/fuzz_schema_body: $(srcdir)/tests/fuzz/fuzz_schema.c \
		$(FUZZ_FCGI_SRC)
	$(FUZZ_LINK) $(MONGOC_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz_schema.c \
	    $(FUZZ_FCGI_SRC) $(FUZZ_FCGI_LIBS)
tests/fuzz/fuzz_schema_query: $(srcdir)/tests/fuzz/fuzz_schema.c \
		$(FUZZ_FCGI_SRC)
	$(FUZZ_LINK) $(MONGOC_CFLAGS) -DFUZZ_SCHEMA_QUERY -o $@ \
	    $(srcdir)/tests/fuzz/fuzz_schema.c $(FUZZ_FCGI_SRC) $(FUZZ_FCGI_LIBS)
tests/fuzz/fuzz_multipart: $(srcdir)/tests/fuzz/fuzz_multipart.c \
		$(FUZZ_FCGI_SRC) $(FUZZ_INCS)
	$(FUZZ_LINK) $(MONGOC_CFLAGS) -o $@ \
	    $(srcdir)/tests/fuzz/fuzz_multipart.c $(FUZZ_FCGI_SRC) \
	    $(FUZZ_FCGI_LIBS)
tests/fuzz/fuzz_multipart_progress: \
		$(srcdir)/tests/fuzz/fuzz_multipart_progress.c \
		$(FUZZ_FCGI_SRC) $(FUZZ_INCS)
	$(FUZZ_LINK) $(MONGOC_CFLAGS) -o $@ \
	    $(srcdir)/tests/fuzz/fuzz_multipart_progress.c $(FUZZ_FCGI_SRC) \
	    $(FUZZ_FCGI_LIBS)

# Seed directories per target (the bad-file corpus feeds the file readers).
fuzz_seeds_fuzz_ejson_read = $(FUZZ_SEEDS)/ejson_read \
	$(srcdir)/tests/unit/bad-files
fuzz_seeds_fuzz_ejson_doc = $(FUZZ_SEEDS)/ejson_doc
fuzz_seeds_fuzz_source = $(FUZZ_SEEDS)/source
fuzz_seeds_fuzz_meta = $(FUZZ_SEEDS)/meta \
	$(srcdir)/tests/unit/bad-files
fuzz_seeds_fuzz_tar = $(FUZZ_SEEDS)/tar
fuzz_seeds_fuzz_schema_body = $(FUZZ_SEEDS)/schema_body
fuzz_seeds_fuzz_schema_query = $(FUZZ_SEEDS)/schema_query
fuzz_seeds_fuzz_multipart = $(FUZZ_SEEDS)/multipart
fuzz_seeds_fuzz_multipart_progress = $(FUZZ_SEEDS)/multipart

fuzz-build: tests/fuzz/fuzz_ejson_read tests/fuzz/fuzz_ejson_doc \
	tests/fuzz/fuzz_source tests/fuzz/fuzz_meta tests/fuzz/fuzz_tar \
	tests/fuzz/fuzz_schema_body tests/fuzz/fuzz_schema_query \
	tests/fuzz/fuzz_multipart tests/fuzz/fuzz_multipart_progress

# Each target runs FUZZ_SECONDS on a work corpus (new inputs) plus its
# seeds (read only); libFuzzer exits non-zero on a crash, leak or timeout.
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	    case $$t in \
	    fuzz_ejson_read) seeds="$(fuzz_seeds_fuzz_ejson_read)" ;; \
	    fuzz_ejson_doc) seeds="$(fuzz_seeds_fuzz_ejson_doc)" ;; \
	    fuzz_source) seeds="$(fuzz_seeds_fuzz_source)" ;; \
	    fuzz_meta) seeds="$(fuzz_seeds_fuzz_meta)" ;; \
	    fuzz_tar) seeds="$(fuzz_seeds_fuzz_tar)" ;; \
	    fuzz_schema_body) seeds="$(fuzz_seeds_fuzz_schema_body)" ;; \
	    fuzz_schema_query) seeds="$(fuzz_seeds_fuzz_schema_query)" ;; \
	    fuzz_multipart) seeds="$(fuzz_seeds_fuzz_multipart)" ;; \
	    fuzz_multipart_progress) \
	        seeds="$(fuzz_seeds_fuzz_multipart_progress)" ;; \
	    esac; \
	    $(MKDIR_P) tests/fuzz/work/$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    tests/fuzz/$$t $(FUZZ_FLAGS) \
	        -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=tests/fuzz/crash-$$t- \
	        tests/fuzz/work/$$t $$seeds \
	        >tests/fuzz/$$t.log 2>&1 || { \
	        tail -n 60 tests/fuzz/$$t.log; \
	        echo "fuzz: $$t FAILED (log tests/fuzz/$$t.log)"; exit 1; }; \
	    grep -E '^stat::number_of_executed_units' tests/fuzz/$$t.log \
	        | sed "s/^/fuzz: $$t: /"; \
	done

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf tests/fuzz/work tests/fuzz/fuzz_ejson_read \
	    tests/fuzz/fuzz_ejson_doc tests/fuzz/fuzz_source tests/fuzz/fuzz_meta \
	    tests/fuzz/fuzz_tar tests/fuzz/fuzz_schema_body \
	    tests/fuzz/fuzz_schema_query tests/fuzz/fuzz_multipart \
	    tests/fuzz/fuzz_multipart_progress tests/fuzz/fuzz_*.log tests/fuzz/crash-*

.PHONY: fuzz fuzz-build clean-fuzz
