# engine/ejson/encoder.mk: the streaming Extended JSON encoder, its tests
# and benchmark.
engine_libmbk_la_SOURCES += \
	engine/ejson/ejson_write.c engine/ejson/ejson_write.h \
	engine/ejson/ejson_fmt.c engine/ejson/ejson_write_private.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_ejson_write
TESTS += tests/unit/test_ejson_write
else
NOCMOCKA_TESTS += tests/unit/test_ejson_write
endif
tests_unit_test_ejson_write_SOURCES = tests/unit/test_ejson_write.c
tests_unit_test_ejson_write_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_ejson_write_LDADD = $(UNIT_LDADD) $(BSON_LIBS) $(JSONC_LIBS) -lm

EXTRA_PROGRAMS += bench/bench_encoder
MBK_BENCH += bench/bench_encoder
bench_bench_encoder_SOURCES = bench/bench_encoder.c
bench_bench_encoder_CFLAGS = $(AM_CFLAGS) $(BSON_CFLAGS)
bench_bench_encoder_LDADD = engine/libmbk.la $(BSON_LIBS)
