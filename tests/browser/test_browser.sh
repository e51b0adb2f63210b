#!/bin/sh
# test_browser.sh: the admin page in headless Chromium (Debian's chromium
# driven by playwright-core from npm) against the local stack (MongoDB dev
# server, mbk-fcgi, nginx over HTTPS with basic auth) started here on free
# ports and stopped by PID file.  Screenshots go to
# $MBK_BUILDDIR/tests/browser/out.  Skips (77) without chromium or node.
set -u
: "${MBK_SRCDIR:?run through make check}" "${MBK_BUILDDIR:?}"
PY=${MBK_PYTHON:-/usr/bin/python3}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
CURL=${CURL:-$(command -v curl || true)}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
FIREFOX=${FIREFOX:-/usr/bin/firefox-esr}
NODE=${NODE:-node}
NPM=${NPM:-npm}
export NGINX CURL

skip() {
    echo "SKIP: $*"
    exit 77
}

[ -x "$CHROMIUM" ] || skip "no chromium at $CHROMIUM (apt-get install chromium)"
command -v "$NODE" >/dev/null 2>&1 || skip "node is not installed"
command -v "$NPM" >/dev/null 2>&1 || skip "npm is not installed"
[ -x "$NGINX" ] || skip "nginx is not installed"
[ -n "$CURL" ] && [ -x "$CURL" ] || skip "curl is not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
[ -x "$PY" ] || skip "no python3 at $PY for the development MongoDB server"
[ -x "$MBK_BUILDDIR/fcgi/mbk-fcgi" ] || skip "fcgi/mbk-fcgi is not built"
[ -f "$MBK_BUILDDIR/www-dist/index.html" ] || {
    echo "FAIL: $MBK_BUILDDIR/www-dist is not built (run make)"
    exit 1
}

# playwright-core, puppeteer-core and axe-core, installed from the
# lockfile into the build folder.
dir=$MBK_BUILDDIR/tests/browser
# screenshots: out/, or MBK_BROWSER_OUT (another flow running beside)
out=${MBK_BROWSER_OUT:-$dir/out}
rm -rf "$out"
mkdir -p "$out"
if ! cmp -s "$MBK_SRCDIR/tests/browser/package-lock.json" \
    "$dir/package-lock.json" 2>/dev/null ||
    [ ! -d "$dir/node_modules/playwright-core" ] ||
    [ ! -d "$dir/node_modules/puppeteer-core" ] ||
    [ ! -d "$dir/node_modules/axe-core" ]; then
    cp "$MBK_SRCDIR/tests/browser/package.json" \
        "$MBK_SRCDIR/tests/browser/package-lock.json" "$dir/"
    (cd "$dir" && "$NPM" ci --ignore-scripts --no-audit --no-fund \
        --prefer-offline --silent) || {
        echo "FAIL: npm ci of playwright-core failed in $dir"
        exit 99
    }
fi

STACK_RUN=$(mktemp -d "${TMPDIR:-/tmp}/mbk-browser.XXXXXX")
STACK_PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# nginx must serve the built site.  local-stack.sh takes STACK_WWW when it
# knows it; until then it serves $MBK_SRCDIR/www, so hand it a source
# tree whose www/ is the build.
STACK_WWW=$MBK_BUILDDIR/www-dist
export STACK_WWW
real_src=$MBK_SRCDIR
if ! grep -q STACK_WWW "$MBK_SRCDIR/nginx/local-stack.sh"; then
    mkdir -p "$STACK_RUN/src"
    ln -s "$real_src/nginx" "$STACK_RUN/src/nginx"
    ln -s "$real_src/tests" "$STACK_RUN/src/tests"
    ln -s "$STACK_WWW" "$STACK_RUN/src/www"
    MBK_SRCDIR=$STACK_RUN/src
fi
. "$MBK_SRCDIR/nginx/local-stack.sh"

# The development server's test gate (tests/mongo-dev-server/README.md):
# createIndexes waits while $STACK_RUN/gate/createIndexes.hold exists, so
# the page can be seen in a restore's "building indexes" phase without a
# race (indexes.mjs).  Inherited by the server the stack starts and by the
# ones the flows restart; a real MongoDB (MBK_TEST_MONGO_URI) has none.
if [ -z "${MBK_TEST_MONGO_URI:-}" ]; then
    MBK_DEVSERVER_GATE_DIR=$STACK_RUN/gate
    export MBK_DEVSERVER_GATE_DIR
    mkdir -p "$MBK_DEVSERVER_GATE_DIR"
fi

rc=1
cleanup() {
    stack_stop
    if [ "$rc" -eq 0 ]; then
        rm -rf "$STACK_RUN"
    else
        echo "logs kept in $STACK_RUN"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

stack_start || { echo "FAIL: the stack did not start"; exit 1; }
MBK_URL=$STACK_URL MBK_USER=$STACK_USER MBK_PASSWORD=$STACK_PASSWORD \
MBK_STACK_RUN=$STACK_RUN MBK_OUT=$out CHROMIUM=$CHROMIUM \
MBK_PW_DIR=$dir MBK_MONGO_PORT=${STACK_MONGO_PORT:-} \
MBK_SRCDIR_REAL=$real_src \
    "$NODE" "${MBK_BROWSER_RUN:-$real_src/tests/browser/run.mjs}"
rc=$?
# The same page in Firefox (Debian's firefox-esr over WebDriver BiDi);
# not for another flow (MBK_BROWSER_RUN: tests/s3/test_browser.sh).
if [ -n "${MBK_BROWSER_RUN:-}" ]; then
    :
elif [ -x "$FIREFOX" ]; then
    MBK_URL=$STACK_URL MBK_USER=$STACK_USER MBK_PASSWORD=$STACK_PASSWORD \
    MBK_STACK_RUN=$STACK_RUN MBK_OUT=$out FIREFOX=$FIREFOX \
    MBK_PW_DIR=$dir MBK_MONGO_PORT=${STACK_MONGO_PORT:-} \
    MBK_SRCDIR_REAL=$real_src \
        "$NODE" "$real_src/tests/browser/firefox.mjs" || rc=1
else
    echo "ok - firefox # SKIP no firefox-esr at $FIREFOX (apt-get install firefox-esr)"
fi
exit $rc
