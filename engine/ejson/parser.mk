# engine/ejson/parser.mk: the streaming backup-file parser (Extended JSON
# to BSON), its tests and benchmark.
engine_libmbk_la_SOURCES += \
	engine/ejson/ejson_read.c engine/ejson/ejson_read.h \
	engine/ejson/ejson_read_check.c engine/ejson/ejson_read_private.h \
	engine/ejson/ejson_read_conv.c engine/ejson/ejson_read_num.c \
	engine/ejson/ejson_read_wrap.c engine/ejson/ejson_read_types.c \
	engine/ejson/ejson_read_scan.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_ejson_read
TESTS += tests/unit/test_ejson_read
else
NOCMOCKA_TESTS += tests/unit/test_ejson_read
endif
tests_unit_test_ejson_read_SOURCES = tests/unit/test_ejson_read.c
tests_unit_test_ejson_read_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ejson_read_LDADD = $(UNIT_LDADD) $(BSON_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_ejson_read_stream
TESTS += tests/unit/test_ejson_read_stream
else
NOCMOCKA_TESTS += tests/unit/test_ejson_read_stream
endif
tests_unit_test_ejson_read_stream_SOURCES = \
	tests/unit/test_ejson_read_stream.c
tests_unit_test_ejson_read_stream_CFLAGS = $(UNIT_CFLAGS) $(CRYPTO_CFLAGS) \
	-DMBK_BAD_FILES='"$(abs_top_srcdir)/tests/unit/bad-files"'
tests_unit_test_ejson_read_stream_LDADD = $(UNIT_LDADD) $(BSON_LIBS) \
	$(CRYPTO_LIBS)
EXTRA_DIST += tests/unit/bad-files

EXTRA_PROGRAMS += bench/bench_parse
MBK_BENCH += bench/bench_parse
bench_bench_parse_SOURCES = bench/bench_parse.c
bench_bench_parse_CFLAGS = $(AM_CFLAGS) $(BSON_CFLAGS) -O2
bench_bench_parse_LDADD = engine/libmbk.la $(BSON_LIBS)

# Every case of the BSON corpus specification, from our table of it.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_bson_corpus
TESTS += tests/unit/test_bson_corpus
else
NOCMOCKA_TESTS += tests/unit/test_bson_corpus
endif
tests_unit_test_bson_corpus_SOURCES = tests/unit/test_bson_corpus.c
tests_unit_test_bson_corpus_CFLAGS = $(UNIT_CFLAGS) \
	-DMBK_BSON_CORPUS='"$(abs_top_srcdir)/tests/unit/bson-corpus.jsonl"'
tests_unit_test_bson_corpus_LDADD = $(UNIT_LDADD) $(BSON_LIBS)
EXTRA_DIST += tests/unit/bson-corpus.jsonl tests/unit/gen_bson_corpus.py
