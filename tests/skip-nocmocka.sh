#!/bin/sh
# skip-nocmocka.sh: what a C test tier runs as when cmocka is missing
# (tests/local.mk): it says so and exits 77, so that `make check` reports
# a SKIP for it instead of leaving it out.  $1: the test, as
# x-nocmocka.skip (a name of its own: x.log is the real test's log).
test=${1%-nocmocka.skip}
case $test in
*/tests/*) test=tests/${test#*/tests/} ;;
esac
echo "SKIP: $test: cmocka is not installed (apt-get install" \
    "libcmocka-dev, then configure again), so this C test was not built"
exit 77
