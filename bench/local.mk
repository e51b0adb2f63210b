# bench/: benchmarks; `make bench` builds them, `make check` never runs them.
# Fragments add their programs to both EXTRA_PROGRAMS and BENCH_PROGRAMS.
bench: $(BENCH_PROGRAMS)
.PHONY: bench
CLEANFILES += $(BENCH_PROGRAMS)
