#!/bin/sh
# demo.sh: what `make demo` runs until the web service exists: start the
# development MongoDB server with the sample CRM database, back it up with
# mbk into a directory and a tar archive, list, verify and show statistics.
# The server is stopped on exit (Ctrl-C included); nothing is left running.
set -eu

: "${MBK_SRCDIR:?}" "${MBK_BUILDDIR:?}"
port=${DEMO_MONGO_PORT:-27217}
out=${DEMO_DIR:-$MBK_BUILDDIR/demo}
server=$MBK_SRCDIR/tests/mongo-dev-server
export MBK_PLUGIN_DIR="$MBK_BUILDDIR/storage/.libs"
export MBK_DEVSERVER_RUNDIR="$out/run"
mbk="$MBK_BUILDDIR/cli/mbk"

mkdir -p "$out/run" "$out/backups"
"$server/start" "$port" --seed crm >/dev/null
trap '"$server/stop" "$port" >/dev/null 2>&1 || true' EXIT INT TERM
export MBK_URI="mongodb://127.0.0.1:$port/crm"

say() { printf '\n$ %s\n' "$*"; }

say mbk stats
"$mbk" stats
say mbk backup --storage "fs:$out/backups" --name crm --timestamp --gzip
"$mbk" backup --storage "fs:$out/backups" --name crm --timestamp --gzip \
    --description "demo backup of the sample CRM database"
say mbk backup --storage "tar:$out/backups/archive.tar" --name crm-plain
"$mbk" backup --storage "tar:$out/backups/archive.tar" --name crm-plain \
    --timestamp
say mbk list --storage "fs:$out/backups"
"$mbk" list --storage "fs:$out/backups"
say mbk list --storage "tar:$out/backups/archive.tar"
"$mbk" list --storage "tar:$out/backups/archive.tar"
latest=$(ls -t "$out/backups" | grep '\.json\.gz$' | head -n 1)
say mbk verify "$latest" --storage "fs:$out/backups"
"$mbk" verify "$latest" --storage "fs:$out/backups"
echo
echo "mbk demo done: backups are in $out/backups (the development server" \
     "is stopped again)."
