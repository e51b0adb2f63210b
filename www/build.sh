#!/bin/sh
# build.sh: build the static site: copy the page's sources into OUT and
# SweetAlert2's two dist files into OUT/vendor, taken from the npm
# tarball of the exact version in package-lock.json after checking that
# tarball's sha512 against the lockfile's integrity.  Run by www/local.mk.
#
# Usage: build.sh SRCDIR OUT CACHE   (SRCDIR: the www/ sources; CACHE: a
# build directory for the tarball).  NPM and NODE may name the tools.
set -eu

src=$1
out=$2
cache=$3
NPM=${NPM:-npm}
NODE=${NODE:-node}
pkg=sweetalert2
files="sweetalert2.esm.min.js sweetalert2.min.css"

die() {
    printf 'www/build.sh: %s\n' "$*" >&2
    exit 1
}

command -v "$NODE" >/dev/null 2>&1 ||
    die "node is missing (Debian: apt-get install nodejs npm)"
command -v "$NPM" >/dev/null 2>&1 ||
    die "npm is missing (Debian: apt-get install npm)"

# The version and integrity the lockfile pins.
lock=$src/package-lock.json
set -- $("$NODE" -e '
const l = require(process.argv[1]);
const p = l.packages["node_modules/" + process.argv[2]];
if (!p || !/^sha512-/.test(p.integrity || "")) process.exit(1);
console.log(p.version, p.integrity.slice(7));
' "$(cd "$(dirname "$lock")" && pwd)/$(basename "$lock")" "$pkg") ||
    die "no sha512 integrity for $pkg in $lock"
version=$1
want=$2

# The tarball, from npm's cache or the registry.
mkdir -p "$cache"
tgz=$cache/$pkg-$version.tgz
if [ ! -f "$tgz" ]; then
    (cd "$cache" && "$NPM" pack "$pkg@$version" --ignore-scripts \
        --prefer-offline --silent >/dev/null) ||
        die "npm pack $pkg@$version failed (is the npm registry reachable?)"
fi
got=$(openssl dgst -sha512 -binary "$tgz" | openssl base64 -A)
if [ "$got" != "$want" ]; then
    rm -f "$tgz"
    die "$pkg-$version.tgz: sha512 $got does not match the lockfile's $want"
fi

# A fresh site, built beside OUT and moved in place at the end.
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp/vendor" "$tmp/js" "$tmp/css"
for f in $files; do
    tar -xzf "$tgz" -O "package/dist/$f" >"$tmp/vendor/$f" ||
        die "$f is not in $pkg-$version.tgz"
done
# The copied file must say it is the pinned version.
head -c 200 "$tmp/vendor/sweetalert2.esm.min.js" | grep -q "v$version" ||
    die "vendor/sweetalert2.esm.min.js is not version $version"
tar -xzf "$tgz" -O package/LICENSE >"$tmp/vendor/sweetalert2.LICENSE" \
    2>/dev/null || true
cp "$src/index.html" "$src/favicon.svg" "$tmp/"
cp "$src"/js/*.js "$tmp/js/"
cp "$src"/css/*.css "$tmp/css/"
# Refuse inline scripts and styles: the CSP would block them anyway.
if grep -n -E '<script>|<script [^>]*>[^<]|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' \
    "$tmp/index.html"; then
    die "index.html has an inline script, style or handler"
fi
(cd "$tmp" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort |
    xargs sha256sum >SHA256SUMS)
rm -rf "$out"
mv "$tmp" "$out"
