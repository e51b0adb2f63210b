#!/bin/sh
# test_attack.sh: the responder under attack (issue 11), end to end
# through nginx: request bodies that used to hang a thread, and more
# requests of that kind than there are threads, must each get their 400
# and leave the service answering.
. "$MBK_SRCDIR/tests/e2e/lib.sh"
e2e_start
B=XyZattack

# A multipart body whose first boundary is followed by 64 KiB of blanks:
# the parser's window filled and its feed loop spun for ever.
FLOOD=$STACK_RUN/flood.bin
"$PY" -c 'import sys
sys.stdout.write("--'$B'" + " " * (64 * 1024 + 100))' >"$FLOOD"

# flood_put OUT: the upload, its status in OUT.status and body in OUT.
flood_put() {
    "$CURL" -sk -o "$1" -w '%{http_code}' --max-time 300 -u "$AUTH" \
        -H 'X-Requested-With: mbk-e2e' -X PUT \
        -H "Content-Type: multipart/form-data; boundary=$B" \
        --data-binary "@$FLOOD" "$API" >"$1.status"
}

flood_put "$STACK_RUN/flood1.json"
STATUS=$(cat "$STACK_RUN/flood1.json.status")
cp "$STACK_RUN/flood1.json" "$BODY"
expect_status 400 "64 KiB of padding after a boundary: 400, not a hung thread"
case $(jget 'd["error"]') in
*"multipart part 1"*) ok "the error names the part" ;;
*) fail "the error names the part" ;;
esac

# More such uploads at once than the responder has threads (16 in the
# local stack): each is answered, and the API still answers after them.
_pids=
_i=0
while [ "$_i" -lt 20 ]; do
    flood_put "$STACK_RUN/flood-$_i.json" &
    _pids="$_pids $!"
    _i=$((_i + 1))
done
for _p in $_pids; do
    wait "$_p"
done
_bad=0
_i=0
while [ "$_i" -lt 20 ]; do
    [ "$(cat "$STACK_RUN/flood-$_i.json.status")" = 400 ] || _bad=$((_bad + 1))
    _i=$((_i + 1))
done
expect_eq "$_bad" 0 "20 concurrent padding floods: every one answered 400"
api GET "$API"
expect_status 200 "the list still answers after the floods"

e2e_done
