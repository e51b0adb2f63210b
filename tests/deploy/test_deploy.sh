#!/bin/sh
# test_deploy.sh: the deploy tier.  Builds the Debian package from this
# tree, boots a Debian 12 root (debootstrap, cached) with systemd as PID 1
# in systemd-nspawn with a private network, and runs tests/deploy/inside.sh
# in it: apt installs the package, the README's deployment steps, the
# service through nginx over HTTPS, restart, log rotation, remove, purge.
# Skips (77) when it cannot run here: not root, the tools missing, the
# build dependencies missing, no network to the Debian mirror (first run
# only), a sanitizer build (the tier runs once, in the plain build).
#
# Environment: DEPLOY_MIRROR (default http://deb.debian.org/debian),
# DEPLOY_CACHE (default /var/cache/mbk-deploy), DEPLOY_KEEP=1 keeps the
# work directory.  Logs: $MBK_BUILDDIR/tests/deploy/.
set -u
: "${MBK_SRCDIR:?run through make check}" "${MBK_BUILDDIR:?}"
DEPLOY_MIRROR=${DEPLOY_MIRROR:-http://deb.debian.org/debian}
DEPLOY_SUITE=bookworm
here=$MBK_SRCDIR/tests/deploy

skip() {
    echo "SKIP: $*"
    exit 77
}
log() {
    echo "# $(date -u +%H:%M:%S) $*"
}

if [ "${MBK_SANITIZERS:-no}" = yes ]; then
    skip "a sanitizer build: the package is built and booted once, by the plain build's make check"
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, mount, systemd-nspawn)"
for tool in debootstrap systemd-nspawn nsenter dpkg-buildpackage \
    dpkg-checkbuilddeps fakeroot curl mount; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
        skip "$tool is missing (apt-get install debootstrap systemd-container dpkg-dev debhelper fakeroot curl)"
done
grep -qw overlay /proc/filesystems ||
    skip "the kernel has no overlayfs (the cached root is mounted copy-on-write)"
if ! (cd "$MBK_SRCDIR" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
    skip "build dependencies missing: $(cd "$MBK_SRCDIR" && dpkg-checkbuilddeps 2>&1 | sed 's/.*Unmet build dependencies: //')"
fi

. "$here/root.sh"

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/mbk-deploy.XXXXXX") || exit 1
LOGS=$MBK_BUILDDIR/tests/deploy
mkdir -p "$LOGS"
NSPAWN_PID=
CT_PID=
ROOT=$WORK/root
MOUNTED=no

# Stop the container (poweroff, then wait; SIGKILL as a last resort),
# unmount, remove the work directory: on every way out.
cleanup() {
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        log "stopping the container"
        if [ -z "$CT_PID" ] || ! in_ct systemctl poweroff >/dev/null 2>&1; then
            # nspawn turns SIGTERM into an orderly shutdown of the container.
            kill -TERM "$NSPAWN_PID" 2>/dev/null
        fi
        if ! wait_gone "$NSPAWN_PID" 180; then
            log "the container did not power off in 180 s: SIGKILL"
            kill -KILL "$NSPAWN_PID" 2>/dev/null
            wait_gone "$NSPAWN_PID" 60
        fi
    fi
    cp "$WORK/nspawn.log" "$LOGS/nspawn.log" 2>/dev/null
    if [ "$MOUNTED" = yes ]; then
        umount "$ROOT" 2>/dev/null || umount -l "$ROOT"
    fi
    if [ -z "${DEPLOY_KEEP:-}" ]; then
        rm -rf "$WORK"
    else
        log "kept $WORK"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

wait_gone() { # PID SECONDS
    _end=$(($(date +%s) + $2))
    while kill -0 "$1" 2>/dev/null; do
        [ "$(date +%s)" -lt "$_end" ] || return 1
        sleep 0.5
    done
    return 0
}

# A command inside the booted container, in all its namespaces.
in_ct() {
    nsenter -t "$CT_PID" -a env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

# ---- the package, built from this tree --------------------------------
log "building the package (dpkg-buildpackage -us -uc -b)"
mkdir -p "$WORK/build/src"
if [ -e "$MBK_SRCDIR/.git" ] && command -v git >/dev/null 2>&1; then
    # The tree as it is (committed or not), without build folders.
    (cd "$MBK_SRCDIR" && git ls-files -co --exclude-standard -z |
        grep -zv '^_build' | xargs -0 tar -cf - --no-recursion) |
        tar -xf - -C "$WORK/build/src" || exit 1
else
    (cd "$MBK_SRCDIR" && tar -cf - --exclude='./_build*' --exclude=./.git .) |
        tar -xf - -C "$WORK/build/src" || exit 1
fi
# The page's npm tarball, already checked by this build: no network.
if [ -d "$MBK_BUILDDIR/www-npm" ]; then
    cp -R "$MBK_BUILDDIR/www-npm" "$WORK/build/src/www-npm"
fi
if ! (cd "$WORK/build/src" &&
    DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
        dpkg-buildpackage -us -uc -b) >"$LOGS/dpkg-buildpackage.log" 2>&1; then
    echo "not ok - dpkg-buildpackage failed; the end of its log:"
    tail -n 40 "$LOGS/dpkg-buildpackage.log" | sed 's/^/#   /'
    exit 1
fi
DEB=$(ls "$WORK"/build/mbk_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || { echo "not ok - no mbk_*.deb was built"; exit 1; }
log "built $(basename "$DEB")"

# ---- the root: debootstrap once, then copy-on-write -------------------
# What the test needs, and the package's dependencies (the container has
# no network: apt installs the .deb with what is already there).
deps=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' |
    sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' | grep -v '^$')
DEPLOY_PACKAGES="systemd systemd-sysv dbus nginx python3-bson python3-mongomock
curl ca-certificates openssl $deps"
if [ ! -f "$DEPLOY_CACHE/bookworm-$(deploy_root_key)/.mbk-deploy-complete" ] &&
    ! curl -sfI --max-time 60 "$DEPLOY_MIRROR/dists/$DEPLOY_SUITE/Release" >/dev/null; then
    skip "no network to $DEPLOY_MIRROR (needed once, to debootstrap the root)"
fi
CACHED=$(deploy_root_cached) || { echo "not ok - debootstrap failed"; exit 1; }
log "root: $CACHED"
mkdir -p "$WORK/upper" "$WORK/ovlwork" "$ROOT"
mount -t overlay overlay \
    -o "lowerdir=$CACHED,upperdir=$WORK/upper,workdir=$WORK/ovlwork" "$ROOT" ||
    { echo "not ok - cannot mount the overlay"; exit 1; }
MOUNTED=yes

# What the administrator brings: the package; what the test brings: the
# development MongoDB server as a service of its own.
mkdir -p "$ROOT/root/deploy" "$ROOT/opt/mbk-test"
cp "$DEB" "$ROOT/root/deploy/mbk.deb"
cp "$here/inside.sh" "$ROOT/root/deploy/inside.sh"
cp -R "$MBK_SRCDIR/tests/mongo-dev-server" "$ROOT/opt/mbk-test/"
cat >"$ROOT/etc/systemd/system/mbk-test-mongo.service" <<'EOF'
[Unit]
Description=mbk deploy test: the development MongoDB server (mongomock)
[Service]
DynamicUser=yes
ExecStart=/usr/bin/python3 /opt/mbk-test/mongo-dev-server/devserver.py --port 27017 --seed crm
EOF
echo mbk-deploy-test >"$ROOT/etc/hostname"

# ---- boot ---------------------------------------------------------------
log "booting: systemd-nspawn --register=no --keep-unit --private-network -b"
systemd-nspawn --register=no --keep-unit --private-network --quiet \
    --console=read-only -D "$ROOT" -b >"$WORK/nspawn.log" 2>&1 </dev/null &
NSPAWN_PID=$!
# The container's PID 1 is systemd, a child of systemd-nspawn.
end=$(($(date +%s) + 180))
while [ -z "$CT_PID" ]; do
    for p in $(ps -o pid= --ppid "$NSPAWN_PID" 2>/dev/null); do
        if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ]; then
            CT_PID=$p
        fi
    done
    [ -n "$CT_PID" ] && break
    if ! kill -0 "$NSPAWN_PID" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
        echo "not ok - the container did not start; systemd-nspawn said:"
        sed 's/^/#   /' "$WORK/nspawn.log" | tail -n 40
        NSPAWN_PID=
        exit 1
    fi
    sleep 0.2
done
log "container systemd: pid $CT_PID"
# Its bus first (systemctl talks to it), then the end of the boot.
end=$(($(date +%s) + 300))
until [ -S "/proc/$CT_PID/root/run/systemd/private" ]; do
    if ! kill -0 "$NSPAWN_PID" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
        echo "not ok - the container's systemd has no bus after 300 s"
        sed 's/^/#   /' "$WORK/nspawn.log" | tail -n 40
        exit 1
    fi
    sleep 0.2
done
state=$(timeout 600 nsenter -t "$CT_PID" -a systemctl is-system-running --wait 2>&1)
log "system state: $state"
case $state in
running|degraded) ;;
*)
    echo "not ok - the container did not finish booting: $state"
    in_ct systemctl --failed --no-pager 2>&1 | sed 's/^/#   /'
    exit 1
    ;;
esac
if [ "$state" = degraded ]; then
    in_ct systemctl --failed --no-pager --plain 2>&1 | sed 's/^/# failed unit: /'
fi

# ---- the administrator's steps, inside ---------------------------------
log "running tests/deploy/inside.sh in the container"
rc=0
in_ct env DEPLOY_PASSWORD="$(od -An -tx1 -N9 /dev/urandom | tr -d ' \n')" \
    sh /root/deploy/inside.sh || rc=$?
in_ct journalctl -b --no-pager -u mbk-fcgi.service -u mbk-fcgi.socket \
    -u nginx.service >"$LOGS/journal.log" 2>&1
log "inside.sh exited $rc (journal of mbk and nginx: $LOGS/journal.log)"
exit $rc
