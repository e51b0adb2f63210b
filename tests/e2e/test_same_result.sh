#!/bin/sh
# test_same_result.sh: the engine owns the results (issue 13).  The same
# backup, verify, list, restore dry run, restore, delete and audit page,
# run once through
# `mbk --json` and once through the API (the responder over its socket,
# behind nginx), answer with the same "data" object, key for key.  Values
# that must differ are named below and compared by type and shape only:
# what the operation was told (the backup's name, the target database),
# when it ran and how long it took, and the storage as each front end
# names it (the CLI its --storage SPEC, the API the configured name).
# The two audit entries of a backup and a dry run carry the same params.

. "$MBK_SRCDIR/tests/e2e/lib.sh"

MBK=$MBK_BUILDDIR/cli/mbk
[ -x "$MBK" ] || skip "cli/mbk is not built"

e2e_start
J='Content-Type: application/json'
OUT=$STACK_RUN/same
mkdir -p "$OUT"
SPEC=fs:$STACK_RUN/backups
export MBK_PLUGIN_DIR="$MBK_BUILDDIR/storage/.libs"

# cli NAME ARGS...: `mbk ARGS --json` into $OUT/NAME.cli.json; status 0.
cli() {
    _n=$1
    shift
    if "$MBK" "$@" -q --json --uri "$STACK_MONGO_URI" --storage "$SPEC" \
        >"$OUT/$_n.cli.json" 2>"$OUT/$_n.cli.err"; then
        ok "mbk $1 --json ($_n)"
    else
        fail "mbk $* --json ($_n): exit $?: $(head -c 400 "$OUT/$_n.cli.err")"
    fi
}

# api_data NAME METHOD URL [curl args]: the answer's data (a job's result
# when the answer is 202) into $OUT/NAME.api.json.
api_data() {
    _n=$1
    shift
    api "$@"
    if [ "$STATUS" = 202 ]; then
        # still running after sync_wait: follow the job to its end
        e2e_wait_job "$(jget 'd["data"]["jobId"]')"
        if [ "$JOB_STATE" != done ]; then
            fail "$_n: the job ended $JOB_STATE"
            return
        fi
        jget '{"success": True, "data": d["data"]["result"]}' >"$OUT/$_n.api.json"
        ok "$_n through the API (a job)"
        return
    fi
    expect_status 200 "$_n through the API" && cp "$BODY" "$OUT/$_n.api.json"
}

# same NAME WHAT [KEY=KIND ...]: the two data objects have the same keys
# at every depth and the same values, but for the paths named: "shape"
# (the same JSON type), "iso" (an ISO-8601 UTC time), "number",
# "cli-only" and "api-only" (framing one front end adds).  A path is
# keys joined by "/"; "*" matches any one key (a collection's name).  For
# "list", the CLI's array is the API's data.backups, entries by name.
same() {
    _n=$1
    _what=$2
    shift 2
    if [ ! -s "$OUT/$_n.cli.json" ] || [ ! -s "$OUT/$_n.api.json" ]; then
        fail "$_what: an answer is missing"
        return
    fi
    if _diff=$("$PY" - "$OUT/$_n.cli.json" "$OUT/$_n.api.json" "$_n" "$@" \
        2>&1 <<'EOF'
import json, re, sys

cli = json.load(open(sys.argv[1]))
api = json.load(open(sys.argv[2]))
name = sys.argv[3]
rules = dict(a.split("=", 1) for a in sys.argv[4:])
assert cli.get("success") is True, "the CLI's answer is not a success"
assert api.get("success") is True, "the API's answer is not a success"
a, b = cli["data"], api["data"]
if name == "list":
    # the API's list adds who asks and where backups may go; its
    # backups are the CLI's list
    assert isinstance(a, list), "mbk list --json: data is not an array"
    a = {e["name"]: e for e in a}
    b = {e["name"]: e for e in b["backups"]}
problems = []
used = set()
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

def rule(path):
    for pat, kind in rules.items():
        p, q = pat.split("/"), path.split("/")
        if len(p) == len(q) and all(x in ("*", y) for x, y in zip(p, q)):
            used.add(pat)
            return kind
    return None

def kind_of(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__

def walk(x, y, path):
    r = rule(path) if path else None
    if r == "shape":
        if kind_of(x) != kind_of(y):
            problems.append("%s: %s vs %s" % (path, kind_of(x), kind_of(y)))
        return
    if r == "iso":
        for v in (x, y):
            if not (isinstance(v, str) and ISO.match(v)):
                problems.append("%s: %r is not an ISO-8601 UTC time" % (path, v))
        return
    if r == "number":
        for v in (x, y):
            if kind_of(v) != "number" or v < 0:
                problems.append("%s: %r is not a number >= 0" % (path, v))
        return
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)):
            p = path + "/" + k if path else k
            if k not in x:
                if rule(p) != "api-only":
                    problems.append("%s: only the API has it" % p)
            elif k not in y:
                if rule(p) != "cli-only":
                    problems.append("%s: only the CLI has it" % p)
            else:
                walk(x[k], y[k], p)
        return
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (u, v) in enumerate(zip(x, y)):
            walk(u, v, "%s/%d" % (path, i))
        return
    if x != y or kind_of(x) != kind_of(y):
        problems.append("%s: CLI %s, API %s" % (path, json.dumps(x),
                                                json.dumps(y)))

walk(a, b, "")
unused = set(rules) - used
if unused:
    problems.append("rules that matched nothing: %s" % sorted(unused))
if problems:
    print("; ".join(problems[:12]))
    sys.exit(1)
print(len(json.dumps(a)))
EOF
    ); then
        ok "$_what: the same data, key for key"
    else
        fail "$_what: $_diff"
    fi
}

# ---- backup: the same database, two names of one length ----------------
cli backup backup --db "$STACK_DB" --name same-cli
api_data backup POST "$API" -H "$J" \
    -d '{"backupName":"same-api","storage":"fs"}'
same backup "backup" file=shape backupName=shape storage=shape \
    timestamp=iso durationSeconds=number publishSeconds=number \
    sha256=shape size=number jsonBytes=number

# ---- verify and list: the same stored backup -----------------------------
cli verify verify same-cli.json
api_data verify POST "$API/verify?name=same-cli.json&storage=fs"
same verify "verify" storage=shape

cli list list
api_data list GET "$API?storage=fs"
same list "list" '*/storage=shape'

# ---- restore: a dry run, then for real, into targets of one length -------
cli dry restore same-cli.json --dry-run --target-db same_tc
api_data dry PUT "$API" -H "$J" -d '{"backupName":"same-cli.json",
    "storage":"fs","dryRun":true,"targetDatabase":"same_ta"}'
same dry "restore dry run" targetDatabase=shape durationSeconds=number \
    'collections/*/durationSeconds=number'

# --collections repeated (the CLI) is the API's "collections" list
cli part restore same-cli.json --dry-run --target-db same_tc \
    --collections roles --collections departments,users
api_data part PUT "$API" -H "$J" -d '{"backupName":"same-cli.json",
    "storage":"fs","dryRun":true,"targetDatabase":"same_ta",
    "collections":["roles","departments","users"]}'
same part "restore dry run of some collections" targetDatabase=shape \
    durationSeconds=number 'collections/*/durationSeconds=number'
expect_eq "$(jget 'sorted(d["data"]["collections"])' "$OUT/part.cli.json")" \
    '["departments", "roles", "users"]' "--collections given twice adds up"

cli restore restore same-cli.json --target-db same_rc
api_data restore PUT "$API" -H "$J" -d '{"backupName":"same-cli.json",
    "storage":"fs","targetDatabase":"same_ra"}'
same restore "restore" targetDatabase=shape durationSeconds=number \
    'collections/*/durationSeconds=number'
expect_eq "$(jget 'd["data"]["status"]' "$OUT/restore.api.json")" ok \
    "the restore through the API is ok"
expect_eq "$(jget 'd["data"]["inserted"] > 0' "$OUT/restore.cli.json")" \
    true "the restore through the CLI inserted documents"

# ---- the audit entries' source means the same from both ----------------
# (the CLI's own log: a CLI entry names its --storage SPEC, a server path
# the API's answers must not show)
"$MBK" backup -q --json --uri "$STACK_MONGO_URI" --db "$STACK_DB" \
    --storage "$SPEC" --name same-aud --audit-log "$OUT/cli-audit.log" \
    >/dev/null 2>"$OUT/aud.err" || fail "mbk backup --audit-log: $(cat "$OUT/aud.err")"
"$MBK" restore same-cli.json -q --dry-run --uri "$STACK_MONGO_URI" \
    --storage "$SPEC" --target-db same_tc --audit-log "$OUT/cli-audit.log" \
    >/dev/null 2>"$OUT/aud.err" || fail "mbk restore --audit-log: $(cat "$OUT/aud.err")"

# ---- delete: two backups of the same database ----------------------------
cli rm rm same-aud.json --audit-log "$OUT/cli-audit.log"
api_data rm DELETE "$API?name=same-api.json&storage=fs"
same rm "delete" deleted=shape storage=shape
expect_eq "$(jget 'sorted(e["name"] for e in d["data"]["backups"])' \
    "$OUT/list.api.json")" '["same-api.json", "same-cli.json"]' \
    "the list had both backups"

if _a=$("$PY" - "$STACK_RUN/audit.log" "$OUT/cli-audit.log" 2>&1 <<'EOF'
import json, sys
lines = [json.loads(l) for p in sys.argv[1:] for l in open(p) if l.strip()]
by = {}
for e in lines:
    side = "cli" if str(e.get("client", "")).startswith("cli") else "api"
    by.setdefault((e["operation"], side), e)
for op in ("backup", "dry-run", "delete"):
    c, a = by.get((op, "cli")), by.get((op, "api"))
    assert c and a, "no %s entry from both: %s" % (op, sorted(by))
    kc, ka = set(c["params"]), set(a["params"])
    assert kc == ka, "%s params: CLI %s, API %s" % (op, sorted(kc), sorted(ka))
    if op == "dry-run":
        assert c["params"]["source"] == a["params"]["source"] == "storage", \
            (c["params"]["source"], a["params"]["source"])
print("ok")
EOF
); then
    ok "the audit entries of CLI and API (backup, dry run, delete) have the same params, source a kind"
else
    fail "audit entries: $_a"
fi

# ---- the audit log, one page of it, read by both --------------------------
"$MBK" audit --log "$STACK_RUN/audit.log" --limit 20 --json \
    >"$OUT/audit.cli.json" 2>"$OUT/audit.cli.err" &&
    ok "mbk audit --json" || fail "mbk audit --json: $(cat "$OUT/audit.cli.err")"
api_data audit GET "$API/audit?limit=20"
same audit "audit page" log=cli-only enabled=api-only
# A CLI entry in the service's own log (CLI and service may share one):
# the API shows it without the --storage SPEC's path (e2e_done scans).
"$MBK" verify same-cli.json -q --storage "$SPEC" \
    --audit-log "$STACK_RUN/audit.log" >/dev/null 2>"$OUT/aud.err" ||
    fail "mbk verify --audit-log: $(cat "$OUT/aud.err")"
api GET "$API/audit?operation=verify&limit=1"
expect_eq "$(jget 'd["data"]["entries"][0]["client"].startswith("cli")')" \
    true "the API shows the CLI's entry"
expect_eq "$(jget 'd["data"]["entries"][0]["params"]["storage"].startswith("fs:")')" \
    true "with its storage's scheme"
e2e_done
