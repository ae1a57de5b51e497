#!/usr/bin/env bash
# Two builds of our server side by side on one workload, alternating, to see what a
# change does to the hot path on a noisy machine:
#
#   bench/compare.sh OLD_BIN NEW_BIN [ROUNDS] [LOADGEN-ARGS...]
#
# Default: two rounds of W2 (32 clients all sending 100/s, one room) on SQLite. Each
# run gets a fresh port and database. Build an older commit with
# `git worktree add /tmp/old REV && (cd /tmp/old && cargo build --release --features ssr --bin chat)`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/toolchain.sh"
use_toolchain
cd "$ROOT"
old="${1:?OLD_BIN}" new="${2:?NEW_BIN}" rounds="${3:-2}"
shift $(($# < 3 ? $# : 3))
[ $# -gt 0 ] || set -- --clients 32 --rate 100 --warmup 2 --duration 10
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --quiet --release --features ssr --example loadgen
loadgen="$TARGET/release/examples/loadgen"
for round in $(seq "$rounds"); do
    for which in old new; do
        bin="$old"; [ "$which" = old ] || bin="$new"
        dir="$(mktemp -d)"
        port=$((21000 + RANDOM % 9000))
        RUST_LOG=warn CHAT_LISTEN_ADDR="127.0.0.1:$port" CHAT_DATABASE_URL="sqlite://$dir/chat.db" \
            CHAT_SITE_ROOT="$TARGET/site" CHAT_SENDS_PER_SECOND=1000000 CHAT_SEND_BURST=1000000 \
            CHAT_MAX_CONNECTIONS_PER_IP=1000000 CHAT_SIGN_INS_PER_SECOND_PER_IP=1000000 \
            CHAT_SIGN_IN_BURST_PER_IP=1000000 CHAT_SIGN_UP_BURST_PER_IP=1000000 CHAT_SIGN_UPS_PER_MINUTE_PER_IP=100000000 "$bin" >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
        "$loadgen" --addr "127.0.0.1:$port" --pid "$pid" --label "$which" --workload compare "$@" |
            grep -E "deliveries/s|latency" | sed "s/^/$which, round $round:/"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        rm -rf "$dir"
    done
done
