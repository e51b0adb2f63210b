# bench/: benchmarks; `make bench` builds them, `make check` never runs them.
# Fragments add their programs to both EXTRA_PROGRAMS and MBK_BENCH.
bench: $(MBK_BENCH)
.PHONY: bench
CLEANFILES += $(MBK_BENCH)
