# root.sh: the Debian 12 root the deploy test boots, made by debootstrap
# once and cached under $DEPLOY_CACHE (default /var/cache/mbk-deploy),
# keyed by the suite, the mirror and the package list, so that later runs
# only copy-on-write it (overlayfs).  Sourced by tests/deploy/test_deploy.sh;
# POSIX sh.
#
# In:  DEPLOY_MIRROR, DEPLOY_SUITE, DEPLOY_PACKAGES (space separated).
# Out: deploy_root_cached prints the cached root's path.

DEPLOY_CACHE=${DEPLOY_CACHE:-/var/cache/mbk-deploy}

deploy_root_key() {
    printf '%s\n' "$DEPLOY_SUITE" "$DEPLOY_MIRROR" $DEPLOY_PACKAGES |
        sort -u | sha256sum | cut -c1-16
}

# Make (or reuse) the cached root; print its path.  A half-made root is
# never used: debootstrap writes into NAME.tmp, renamed when complete.
deploy_root_cached() {
    _key=$(deploy_root_key) || return 1
    _dir=$DEPLOY_CACHE/bookworm-$_key
    if [ -f "$_dir/.mbk-deploy-complete" ]; then
        printf '%s\n' "$_dir"
        return 0
    fi
    mkdir -p "$DEPLOY_CACHE" || return 1
    rm -rf "$_dir.tmp"
    _inc=$(printf '%s\n' $DEPLOY_PACKAGES | sort -u | paste -sd, -)
    echo "deploy: debootstrap $DEPLOY_SUITE into $_dir (first run only;" \
        "minutes)" >&2
    if ! debootstrap --variant=minbase --include="$_inc" \
        "$DEPLOY_SUITE" "$_dir.tmp" "$DEPLOY_MIRROR" \
        >"$DEPLOY_CACHE/debootstrap-$_key.log" 2>&1; then
        echo "deploy: debootstrap failed; the end of its log:" >&2
        tail -n 30 "$DEPLOY_CACHE/debootstrap-$_key.log" >&2
        rm -rf "$_dir.tmp"
        return 1
    fi
    # Nothing from the network afterwards: the container has none.
    rm -f "$_dir.tmp/var/cache/apt/archives/"*.deb
    printf '%s\n' $DEPLOY_PACKAGES | sort -u >"$_dir.tmp/.mbk-deploy-packages"
    touch "$_dir.tmp/.mbk-deploy-complete"
    rm -rf "$_dir"
    mv "$_dir.tmp" "$_dir" || return 1
    # Roots made for other package lists are not used again.
    for _old in "$DEPLOY_CACHE"/bookworm-*; do
        case $_old in
        "$_dir"|*.tmp|*.log) ;;
        *) [ -d "$_old" ] && rm -rf "$_old" "$DEPLOY_CACHE/debootstrap-${_old##*-}.log" ;;
        esac
    done
    printf '%s\n' "$_dir"
}
