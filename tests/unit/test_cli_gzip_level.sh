#!/bin/sh
# test_cli_gzip_level.sh: `mbk backup --gzip-level` and `--gzip=LEVEL`
# refuse what the engine refuses, before connecting anywhere: exit status 2
# and a message naming the option and the range.
set -u

mbk="${MBK_BUILDDIR:-.}/cli/mbk"
if [ ! -x "$mbk" ]; then
    echo "SKIP: $mbk not built"
    exit 77
fi
fails=0

# refused OPTION WANT: mbk backup OPTION exits 2 and stderr holds WANT.
refused() {
    err=$("$mbk" backup "$1" --db x --storage fs:/nonexistent 2>&1 >/dev/null)
    rc=$?
    case $rc:$err in
    2:*"$2"*) echo "ok: $1 refused: $err" ;;
    *) echo "FAIL: $1: exit $rc, stderr: $err"; fails=$((fails + 1)) ;;
    esac
}

refused --gzip-level=0 '--gzip-level: gzip level 0 is not between 1 and 12'
refused --gzip-level=13 '--gzip-level: gzip level 13 is not between 1 and 12'
refused --gzip-level=six 'gzip level "six" is not a number between 1 and 12'
refused --gzip=-1 '--gzip: gzip level "-1" is not a number'
if "$mbk" backup --help | grep -q -- '--gzip-level LEVEL'; then
    echo "ok: --help lists --gzip-level"
else
    echo "FAIL: --help does not list --gzip-level"
    fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || exit 1
