#!/usr/bin/env bash
# Sets the machine up if needed, then runs every test: formatting and lints,
# unit and integration tests of the server, the Playwright tests in Chromium
# against the release build (the WASM optimised by wasm-opt), and a smoke run of
# the benchmark's load generator.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
"$ROOT/scripts/setup.sh"
# PostgreSQL, Redis and nginx: the tests start their own (the run command needs none).
install_services
use_toolchain
cd "$ROOT"

# Services and databases of this run, in one temporary folder, stopped and removed at exit.
scratch="$(mktemp -d)"
cleanup() {
    "$ROOT/scripts/cluster.sh" stop "$scratch/cluster" || true
    stop_services "$scratch"
    rm -rf "$scratch"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# rustfmt and clippy come with rustup's toolchain; on the Debian route they check
# the server build only (rustup's toolchain has no wasm32 std there).
lint_cargo=cargo
[ "$(wasm_toolchain)" = rustup ] || lint_cargo="$CARGO_HOME/bin/cargo"

step "cargo fmt --check"
"$lint_cargo" fmt --check
step "cargo clippy (server)"
"$lint_cargo" clippy --all-targets --features ssr -- -D warnings
if [ "$(wasm_toolchain)" = rustup ]; then
    step "cargo clippy (client, wasm32)"
    cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
fi

step "unit and integration tests"
start_postgres "$scratch" fast
# Storage's own tests run on SQLite and on this server.
export CHAT_TEST_POSTGRES_URL="postgres://chat@127.0.0.1:$PG_PORT"
# --show-output prints the delivery counts (sent, received, lost, duplicated) of passing tests.
cargo test --features ssr -- --show-output

step "chat and lossless suites again, on PostgreSQL"
CHAT_TEST_STORE=postgres cargo test --features ssr --test chat --test delivery --test conversations --test devices --test passkeys --test moderation --test private_rooms --test blocks --test slow_mode --test reports --test files -- --show-output

step "release build, and a cluster of three nodes behind nginx (PostgreSQL, Redis)"
cargo leptos build --release --precompress
"$ROOT/scripts/cluster.sh" start "$scratch/cluster" 3
# end2end/tests/cluster.spec.ts: pages served by different nodes.
set -a
source "$scratch/cluster/cluster.env"
set +a

step "Playwright end-to-end, release build"
# The shared server gets a fresh database; tests that restart a server start the
# release binary themselves (end2end/tests/support.ts).
e2e_db="$scratch/e2e"
mkdir -p "$e2e_db"
export CHAT_SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/chat"
# Every browser of the tests connects from 127.0.0.1, which by default may hold 20
# connections, sign in 50 times at once and make 20 new users at once.
export CHAT_SIGN_UP_BURST_PER_IP=1000 CHAT_SIGN_UPS_PER_MINUTE_PER_IP=100000
# Playwright's summary of failures comes before cargo-leptos' own backtrace; it is
# printed again as the run's last lines, where a log's tail shows it.
e2e_log="$scratch/e2e.log"
if ! CHAT_DATABASE_URL="sqlite://$e2e_db/chat.db" CHAT_MAX_CONNECTIONS_PER_IP=200 CHAT_SIGN_IN_BURST_PER_IP=1000 \
    cargo leptos end-to-end --release --precompress 2>&1 | tee "$e2e_log"; then
    step "Playwright failed:"
    grep -E '✘|^ +[0-9]+\) |Error:|Expected|Received|failed$|flaky$' "$e2e_log" | head -60 || true
    exit 1
fi

step "WebSocket conformance (Autobahn|Testsuite, release build)"
# The fuzzing client's cases 1-7, 9 and 10 against the chat's socket code; each case's
# result must equal tests/conformance/expected.json.
scripts/conformance.sh

step "benchmark smoke"
# A few seconds of bench/loadgen against the release server: the harness keeps working,
# and nothing is lost, duplicated or refused under a little load. (bench/run.sh alone
# runs the whole comparison with the peers.)
bench/run.sh --smoke
