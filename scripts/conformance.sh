#!/usr/bin/env bash
# WebSocket conformance: the Autobahn|Testsuite fuzzing client (cases 1-7, 9, 10) against
# the release server's test-only echo endpoint (`echo_endpoint`, the chat's socket code
# with 16 MiB messages). Every case must end OK, NON-STRICT or INFORMATIONAL, and each
# case's result must equal tests/conformance/expected.json: any change fails, so a
# regression (or an improvement) is seen and the file updated on purpose.
#
#   scripts/conformance.sh            run it (the release server must be built)
#   scripts/conformance.sh --update   run it and write the results as the expected ones
#
# autobahntestsuite 0.8.2 is Python 2 only: it is installed from PyPI for the machine's
# pyenv CPython 2.7 into ~/.cache/chat-autobahn (once; later runs reuse it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$ROOT"

log() { printf '\033[1m[conformance]\033[0m %s\n' "$*" >&2; }
update=false
[ "${1:-}" = "--update" ] && update=true

python2=""
for candidate in "$(command -v python2.7 || true)" "$HOME"/.pyenv/versions/2.7*/bin/python2.7; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
        python2="$candidate"
        break
    fi
done
[ -n "$python2" ] || { log "no CPython 2.7 found (pyenv's 2.7.18 is expected on these machines)"; exit 1; }

lib="$HOME/.cache/chat-autobahn/lib"
if [ ! -f "$lib/.installed-0.8.2" ]; then
    log "installing autobahntestsuite 0.8.2 for $python2"
    rm -rf "$lib"
    "$python2" -m pip install --quiet --disable-pip-version-check --target "$lib" autobahntestsuite==0.8.2
    # zope is a namespace package that a --target install leaves without its __init__.
    touch "$lib/zope/__init__.py"
    touch "$lib/.installed-0.8.2"
fi

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
CHAT_BIN="${CHAT_BIN:-$TARGET/release/chat}"
[ -x "$CHAT_BIN" ] || { log "build the release server first ($CHAT_BIN)"; exit 1; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 12000))
CHAT_ECHO_ENDPOINT=true CHAT_LISTEN_ADDR="127.0.0.1:$port" \
    CHAT_DATABASE_URL="sqlite://$work/chat.db" RUST_LOG=warn \
    "$CHAT_BIN" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
done

cat >"$work/spec.json" <<EOF
{"outdir": "$work/reports", "servers": [{"agent": "chat", "url": "ws://127.0.0.1:$port/echo"}],
 "cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"],
 "exclude-cases": [], "exclude-agent-cases": {}}
EOF
log "running the fuzzing client (about 30 s)"
if ! (cd "$work" && PYTHONPATH="$lib" PYTHONWARNINGS=ignore \
    "$python2" -m autobahntestsuite.wstest -m fuzzingclient -s spec.json >"$work/wstest.log" 2>&1); then
    tail -20 "$work/wstest.log" >&2
    log "the fuzzing client failed"
    exit 1
fi

python3 - "$work/reports/index.json" "$ROOT/tests/conformance/expected.json" "$update" <<'PY'
import collections, json, sys

index, expected_path, update = sys.argv[1], sys.argv[2], sys.argv[3] == "true"
results = json.load(open(index))["chat"]
got = {case: [r["behavior"], r["behaviorClose"]] for case, r in results.items()}
order = lambda case: [int(part) for part in case.split(".")]
counts = collections.Counter(b for b, _ in got.values())
print("autobahn: %d cases: %s" % (len(got), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
passing = {"OK", "NON-STRICT", "INFORMATIONAL"}
failed = sorted((c for c, (b, close) in got.items() if b not in passing or close not in passing), key=order)
if update:
    with open(expected_path, "w") as f:
        f.write("{\n" + ",\n".join('  "%s": %s' % (c, json.dumps(got[c])) for c in sorted(got, key=order)) + "\n}\n")
    print("autobahn: expected results written to " + expected_path)
expected = json.load(open(expected_path))
changed = sorted((c for c in set(got) | set(expected) if got.get(c) != expected.get(c)), key=order)
for c in changed:
    print("autobahn: case %s: expected %s, got %s" % (c, expected.get(c), got.get(c)))
for c in failed:
    print("autobahn: case %s failed: %s" % (c, got[c]))
sys.exit(1 if failed or changed else 0)
PY
