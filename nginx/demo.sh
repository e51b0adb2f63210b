#!/bin/sh
# demo.sh: what `make demo` runs: the development MongoDB server with the
# sample CRM database, mbk-fcgi, and nginx on an HTTPS loopback port
# (DEMO_PORT, default 8443) with one user.  Once every part answers it
# prints exactly one line on stdout,
#     mbk demo ready: URL user USER password PASSWORD
# and runs until Ctrl-C or SIGTERM, which stop everything it started.
# Backups stay in $MBK_BUILDDIR/demo/backups between runs.
set -u
: "${MBK_SRCDIR:?}" "${MBK_BUILDDIR:?}"
for tool in "${NGINX:-nginx}" openssl "${MBK_PYTHON:-/usr/bin/python3}"; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "$tool" ] &&
        [ ! -x "/usr/sbin/$tool" ]; then
        echo "mbk demo: $tool is missing (see the README's Debian packages)" >&2
        exit 1
    fi
done
if [ -z "${NGINX:-}" ]; then
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
CURL=${CURL:-curl}
export NGINX CURL

unset MBK_TEST_MONGO_URI # the demo always runs its own development server
STACK_RUN=${DEMO_DIR:-$MBK_BUILDDIR/demo}
STACK_PORT=${DEMO_PORT:-8443}
STACK_USER=${DEMO_USER:-demo}
STACK_PASSWORD=${DEMO_PASSWORD:-}
STACK_FCGI_EXTRA="keep_jobs = 32"
case $STACK_PORT in
''|*[!0-9]*) echo "mbk demo: DEMO_PORT '$STACK_PORT' is not a port" >&2; exit 2 ;;
esac
mkdir -p "$STACK_RUN" || exit 1
STACK_RUN=$(CDPATH= cd "$STACK_RUN" && pwd)
rm -f "$STACK_RUN"/*.pid "$STACK_RUN/mbk-fcgi.sock"
. "$MBK_SRCDIR/nginx/local-stack.sh"

stopping=0
stop() {
    [ "$stopping" = 1 ] && return
    stopping=1
    stack_stop
    echo "mbk demo: stopped" >&2
}
trap 'stop; exit 0' INT TERM HUP
trap 'stop' EXIT

echo "mbk demo: starting in $STACK_RUN (port $STACK_PORT)..." >&2
if ! stack_start; then
    echo "mbk demo: could not start (is port $STACK_PORT free? try" \
         "DEMO_PORT=N make demo)" >&2
    exit 1
fi
echo "mbk demo ready: $STACK_URL user $STACK_USER password $STACK_PASSWORD"
echo "mbk demo: self-signed certificate (curl -k); Ctrl-C stops it" >&2

# Watch the parts; if one dies, stop the rest.
pidfiles="nginx.pid mbk-fcgi.pid"
if [ -n "$STACK_MONGO_PORT" ]; then
    pidfiles="$pidfiles mbk-mongo-dev-$STACK_MONGO_PORT.pid"
fi
while :; do
    for f in $pidfiles; do
        if ! kill -0 "$(cat "$STACK_RUN/$f" 2>/dev/null)" 2>/dev/null; then
            # A Ctrl-C reaches the whole process group: let its trap run.
            sleep 1
            echo "mbk demo: ${f%.pid} exited; stopping" >&2
            exit 1
        fi
    done
    sleep 1
done
