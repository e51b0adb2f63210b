#!/bin/sh
# test_soak.sh: the short load test (issue 7, "Load"): 30 clients listing
# and downloading through nginx for 15 s while backups and restores run
# (bench/load/loadgen.py checks every answer: lists against the expected
# backups, downloads by sha256), no fds or memory leaked by the responder,
# slow readers of a streamed download not blocking the others.
# `bench/load/run` is the full version (100 clients, 60 s).
. "$MBK_SRCDIR/tests/e2e/lib.sh"
e2e_start

pid=$(cat "$STACK_RUN/mbk-fcgi.pid")
port=${STACK_URL#https://127.0.0.1:}
port=${port%/}
rss=
if ldd "$MBK_BUILDDIR/fcgi/mbk-fcgi" | grep -q libasan; then
    rss=--no-rss    # ASan's quarantine grows RSS by design
fi
# threads = 16 in nginx/local-stack.sh: the flood is 18 slow readers.
# shellcheck disable=SC2086
"$PY" "$MBK_SRCDIR/bench/load/loadgen.py" --port "$port" \
    --user "$STACK_USER" --password "$STACK_PASSWORD" --pid "$pid" \
    --run "$STACK_RUN" --clients "${SOAK_CLIENTS:-30}" \
    --seconds "${SOAK_SECONDS:-15}" --warmup 4 --slow 2 --flood 18 \
    $rss >"$STACK_RUN/soak.out" 2>&1
sed 's/^/# /' "$STACK_RUN/soak.out"

if grep -q '^RESULT: PASS' "$STACK_RUN/soak.out"; then
    ok "load: every list and download right, no fd or RSS growth, slow readers crawl while lists answer"
else
    fail "load: $(grep '^FAIL:\|Traceback\|Error' "$STACK_RUN/soak.out" | head -5 | tr '\n' ' ')"
fi
# More slow readers of a streamed (tar) download than the responder has
# threads: nginx buffers the download (to disk past its memory buffers),
# so the readers hold nginx's connections, not the responder's threads.
if grep -q '^FLOOD: PASS' "$STACK_RUN/soak.out"; then
    ok "18 slow readers of a tar download do not block a list"
else
    fail "18 slow readers of a tar download block the responder"
fi
e2e_done
