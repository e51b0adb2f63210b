#!/bin/sh
# check-stress.sh: `make check-stress`: the whole `make check` three times
# in a row while a second build of the tree (`make -j2`, over and over, in
# a folder of its own) keeps the machine busy.  Every run must pass: tests
# wait for conditions, never for times, so load must not fail them.
# Run from the build folder; MBK_STRESS_RUNS changes the count.
set -u
runs=${MBK_STRESS_RUNS:-3}
srcdir=${MBK_SRCDIR:?run through make check-stress}
make=${MAKE:-make}
load=$(mktemp -d "${TMPDIR:-/tmp}/mbk-stress-XXXXXX") || exit 1

# The load: its own process group, so that it is stopped by its id.
setsid sh -c '
    cd "$1" && "$2/configure" -q >configure.log 2>&1 || exit 1
    while :; do
        "$3" -s -j2 >/dev/null 2>&1
        "$3" -s clean >/dev/null 2>&1
    done' stress-load "$load" "$srcdir" "$make" &
loadpid=$!
stop_load() {
    kill -TERM -- "-$loadpid" 2>/dev/null
    wait "$loadpid" 2>/dev/null
    rm -rf "$load"
}
trap 'stop_load; exit 1' INT TERM

failed=0
i=1
while [ "$i" -le "$runs" ]; do
    echo "check-stress: make check, run $i of $runs, with a build running"
    if ! "$make" check; then
        # the next run writes test-suite.log (which holds the failed
        # tests' output) again: keep this run's
        cp test-suite.log "check-stress-run-$i.log" 2>/dev/null
        echo "check-stress: run $i FAILED (its test-suite.log kept as" \
            "check-stress-run-$i.log)"
        failed=$((failed + 1))
    fi
    # A load that died (its configure failed, say) loaded nothing.
    if ! kill -0 "$loadpid" 2>/dev/null; then
        echo "check-stress: the load build is not running: run $i was" \
            "not under load"
        failed=$((failed + 1))
    fi
    i=$((i + 1))
done
stop_load
echo "check-stress: $runs runs, $failed failed"
[ "$failed" -eq 0 ]
