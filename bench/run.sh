#!/usr/bin/env bash
# Runs the chat server (release build, SQLite, only the limits raised: sends, sign-ins and
# connections per address, all clients being on 127.0.0.1) and its
# peers (Bun, Node ws, socket.io; bench/peers) side by side under the same load
# generator (bench/loadgen/), one server at a time, alternating, and prints a table:
# deliveries/s, deliveries per server CPU-second, latency, RSS, our ratio to each peer.
#
#   bench/run.sh                 every workload, every server; writes docs/BENCHMARKS.md's
#                                results section (between its bench markers)
#   bench/run.sh --only chat     one server (chat, bun, ws, socketio), no file written
#   bench/run.sh --smoke         a few seconds against our server, a crash and restart
#                                under resuming clients, and two nodes on PostgreSQL and
#                                Redis; fails on any loss, duplicate or refusal (run by
#                                scripts/test.sh)
#   bench/run.sh --cluster       W2 and W3 on 1, 2 and 3 nodes: ours on PostgreSQL + Redis,
#                                socket.io with its Redis adapter; CPU counted over every
#                                server process (nodes, Redis, PostgreSQL for ours); writes
#                                docs/BENCHMARKS.md's cluster section
#
# Loopback only. Each run of a server gets a fresh port and a fresh database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/toolchain.sh"
use_toolchain
cd "$ROOT"

mode=full
only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) mode=smoke ;;
        --cluster) mode=cluster ;;
        --only) only="$2"; shift ;;
        *) echo "usage: bench/run.sh [--smoke | --cluster | --only chat|bun|ws|socketio]" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
work="$(mktemp -d)"
server_pid=""
node_pids=()
cleanup() {
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    for pid in "${node_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if declare -F stop_services >/dev/null; then stop_services "$work"; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A loopback port nothing listens on, below the ephemeral range (where the load
# generator's own connections take theirs).
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 12000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

wait_for_port() {
    local port=$1 i
    for i in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    log "nothing listens on $port; the server said:"
    cat "$work"/*.log >&2 || true
    return 1
}

# start_server NAME PORT: starts it in the background, sets server_pid.
start_server() {
    local name=$1 port=$2
    case "$name" in
        chat)
            mkdir -p "$work/db-$port"
            RUST_LOG=warn CHAT_LISTEN_ADDR="127.0.0.1:$port" \
                CHAT_DATABASE_URL="sqlite://$work/db-$port/chat.db" \
                CHAT_SITE_ROOT="$TARGET/site" \
                CHAT_SENDS_PER_SECOND=1000000 CHAT_SEND_BURST=1000000 \
                CHAT_MAX_CONNECTIONS=1000000 CHAT_MAX_CONNECTIONS_PER_IP=1000000 \
                CHAT_SIGN_INS_PER_SECOND_PER_IP=1000000 CHAT_SIGN_IN_BURST_PER_IP=1000000 \
                CHAT_SIGN_UPS_PER_MINUTE_PER_IP=100000000 CHAT_SIGN_UP_BURST_PER_IP=1000000 \
                "$CHAT_BIN" >"$work/$name.log" 2>&1 &
            ;;
        bun) PORT=$port "$ROOT/bench/peers/node_modules/.bin/bun" "$ROOT/bench/peers/bun-server.js" >"$work/$name.log" 2>&1 & ;;
        ws) PORT=$port node "$ROOT/bench/peers/ws-server.js" >"$work/$name.log" 2>&1 & ;;
        socketio) PORT=$port node "$ROOT/bench/peers/socketio-server.js" >"$work/$name.log" 2>&1 & ;;
    esac
    server_pid=$!
    wait_for_port "$port"
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

protocol_of() {
    case "$1" in chat) echo chat ;; socketio) echo socketio ;; *) echo json ;; esac
}

# run_one NAME WORKLOAD LOADGEN-ARGS...: one server, one workload; appends a JSON line.
run_one() {
    local name=$1 workload=$2 port
    shift 2
    port=$(free_port)
    start_server "$name" "$port"
    log "$workload: $name"
    if ! "$LOADGEN" --addr "127.0.0.1:$port" --protocol "$(protocol_of "$name")" --pid "$server_pid" \
        --label "$name" --workload "$workload" --json "$@" >>"$work/results.jsonl"; then
        log "$workload: $name failed"
    fi
    stop_server
}

# restart_under_load SIGNAL AFTER LOADGEN-ARGS...: our server under resuming clients
# (loadgen --reconnect), stopped with SIGNAL (TERM: a restart; KILL: a crash) AFTER
# seconds into the sending and started again on the same port and database at once.
# Returns the load generator's status.
restart_under_load() {
    local signal=$1 after=$2 port loadgen status=0
    shift 2
    port=$(free_port)
    start_server chat "$port"
    rm -f "$work/sending"
    "$LOADGEN" --addr "127.0.0.1:$port" --protocol chat --label chat --reconnect \
        --ready-file "$work/sending" "$@" &
    loadgen=$!
    until [ -f "$work/sending" ]; do
        kill -0 "$loadgen" 2>/dev/null || break
        sleep 0.1
    done
    sleep "$after"
    kill -s "$signal" "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    start_server chat "$port"
    wait "$loadgen" || status=$?
    stop_server
    return $status
}

# Several nodes (--cluster, and two in the smoke): PostgreSQL and Redis of their own.
start_backing() {
    source "$ROOT/scripts/services.sh"
    install_services
    start_postgres "$work"
    start_redis "$work"
    redis_pid="$(cat "$work/redis/redis.pid")"
    pg_pid="$(head -n1 "$work/postgres/data/postmaster.pid")"
}
runs=0
# start_nodes KIND N: N processes of our server (on a fresh PostgreSQL database) or
# of socket.io with the Redis adapter; sets node_pids and node_addrs.
start_nodes() {
    local kind=$1 n=$2 i port database
    runs=$((runs + 1))
    database="postgres://chat@127.0.0.1:$PG_PORT/bench$runs"
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    node_pids=()
    node_addrs=""
    for i in $(seq "$n"); do
        port=$(free_port)
        case "$kind" in
            chat)
                RUST_LOG=warn CHAT_LISTEN_ADDR="127.0.0.1:$port" CHAT_DATABASE_URL="$database" \
                    CHAT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" CHAT_SITE_ROOT="$TARGET/site" \
                    CHAT_SENDS_PER_SECOND=1000000 CHAT_SEND_BURST=1000000 \
                    CHAT_MAX_CONNECTIONS=1000000 CHAT_MAX_CONNECTIONS_PER_IP=1000000 \
                    CHAT_SIGN_INS_PER_SECOND_PER_IP=1000000 CHAT_SIGN_IN_BURST_PER_IP=1000000 \
                    CHAT_SIGN_UPS_PER_MINUTE_PER_IP=100000000 CHAT_SIGN_UP_BURST_PER_IP=1000000 \
                    "$CHAT_BIN" >"$work/node-$i.log" 2>&1 &
                ;;
            socketio)
                PORT=$port REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
                    node "$ROOT/bench/peers/socketio-redis-server.js" >"$work/node-$i.log" 2>&1 &
                ;;
        esac
        server_pid=$!
        node_pids+=("$server_pid")
        wait_for_port "$port"
        node_addrs="${node_addrs:+$node_addrs,}127.0.0.1:$port"
    done
    server_pid=""
}
stop_nodes() {
    local pid
    for pid in "${node_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    node_pids=()
}
# run_nodes KIND N WORKLOAD LOADGEN-ARGS...: CPU over the nodes and Redis (and, for
# ours, PostgreSQL and its backends).
run_nodes() {
    local kind=$1 n=$2 workload="$3, $2 node$([ "$2" = 1 ] || echo s)" pids tree=()
    shift 3
    start_nodes "$kind" "$n"
    pids="$(IFS=,; echo "${node_pids[*]}"),$redis_pid"
    [ "$kind" != chat ] || tree=(--pid-tree "$pg_pid")
    log "$workload: $kind"
    if ! "$LOADGEN" --addr "$node_addrs" --protocol "$(protocol_of "$kind")" --pid "$pids" "${tree[@]}" \
        --label "$kind" --workload "$workload" --json "$@" >>"$work/results.jsonl"; then
        log "$workload: $kind failed"
    fi
    stop_nodes
}

if [ "$mode" = smoke ]; then
    # The test command has just built the release server and the debug load generator.
    CHAT_BIN="${CHAT_BIN:-$TARGET/release/chat}"
    LOADGEN="${LOADGEN:-$TARGET/debug/examples/loadgen}"
    [ -x "$CHAT_BIN" ] && [ -x "$LOADGEN" ] || { log "build the server and the load generator first"; exit 1; }
    port=$(free_port)
    start_server chat "$port"
    status=0
    "$LOADGEN" --addr "127.0.0.1:$port" --pid "$server_pid" --label chat --workload smoke \
        --clients 8 --senders 4 --rate 50 --warmup 0.5 --duration 2 --drain 2 --check || status=$?
    stop_server
    # A crash under resuming clients: every message arrives once, nothing is lost.
    restart_under_load KILL 1 --workload "smoke: crash and restart" --clients 8 --senders 4 \
        --rate 50 --warmup 0.5 --duration 3 --drain 4 --check || status=$?
    # Two nodes on PostgreSQL and Redis, clients spread over both: nothing lost or twice.
    start_backing
    start_nodes chat 2
    "$LOADGEN" --addr "$node_addrs" --pid "$(IFS=,; echo "${node_pids[*]}")" --label chat \
        --workload "smoke: two nodes" --clients 8 --senders 4 --rate 50 --warmup 0.5 --duration 2 \
        --drain 2 --check || status=$?
    stop_nodes
    exit $status
fi

log "building the release server and load generator"
cargo build --quiet --release --features ssr --bin chat --example loadgen
CHAT_BIN="$TARGET/release/chat"
LOADGEN="$TARGET/release/examples/loadgen"
stamp="$ROOT/bench/peers/node_modules/.lock-sha256"
want="$(sha256sum "$ROOT/bench/peers/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "npm ci in bench/peers (Bun, ws, socket.io)"
    (cd "$ROOT/bench/peers" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
fi

if [ "$mode" = cluster ]; then
    start_backing
    for n in 1 2 3; do
        for kind in chat socketio; do
            run_nodes "$kind" "$n" "W2 32 clients, all send 100/s" --clients 32 --rate 100 --warmup 2 --duration 10
        done
        for kind in chat socketio; do
            run_nodes "$kind" "$n" "W2 256 clients, 16 send 100/s" --clients 256 --senders 16 --rate 100 \
                --warmup 2 --duration 10
        done
        for size in 10 100 1000; do
            for kind in chat socketio; do
                rooms=$((10000 / size))
                run_nodes "$kind" "$n" "W3 10,000 in rooms of $size" --clients 10000 --rooms "$rooms" \
                    --senders "$rooms" --size 150 --ladder 1,2,3,4,6,8,12,16 --p99-limit 50 --warmup 1 \
                    --duration 3 --drain 2 --connect-concurrency 64
            done
        done
    done
    python3 "$ROOT/bench/table.py" "$work/results.jsonl" | tee "$work/table.md"
    python3 "$ROOT/bench/table.py" --into "$ROOT/docs/BENCHMARKS.md" --marker cluster "$work/results.jsonl" \
        --command "bench/run.sh --cluster" \
        --machine "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load generator, nodes, Redis and PostgreSQL on the same cores"
    log "results written to docs/BENCHMARKS.md (cluster section)"
    exit 0
fi

servers=(chat bun ws socketio)
[ -z "$only" ] || servers=("$only")
# W2 burst: one room, every message 100 bytes.
for server in "${servers[@]}"; do
    run_one "$server" "W2 32 clients, all send 100/s" --clients 32 --rate 100 --warmup 2 --duration 10
done
for server in "${servers[@]}"; do
    run_one "$server" "W2 256 clients, 16 send 100/s" --clients 256 --senders 16 --rate 100 --warmup 2 --duration 10
done

# W6 slow readers: 1,000 clients in 10 rooms of 100, 10 senders a room at 10/s (99k
# deliveries/s offered), without and with 1% of the clients reading nothing once the
# sending starts: the others' latency and the server's memory are the figures.
for server in "${servers[@]}"; do
    run_one "$server" "W6 1,000 in rooms of 100, none stalled" --clients 1000 --rooms 10 --senders 100 \
        --rate 10 --warmup 2 --duration 15
    run_one "$server" "W6 1,000 in rooms of 100, 1% stop reading" --clients 1000 --rooms 10 --senders 100 \
        --rate 10 --warmup 2 --duration 15 --stalled 10
done
# W7 overload: one room of 32 offered 794k deliveries/s for 30 s, about twice what our
# server carries at most on this machine (441k/s, BENCHMARKS.md).
for server in "${servers[@]}"; do
    run_one "$server" "W7 overload: 32 clients all send 800/s" --clients 32 --rate 800 --warmup 2 --duration 30 --drain 5
done

# W3 paced fan-out: 10,000 connections in rooms of 10, 100 and 1,000, one sender a room,
# 150-byte messages; the sending rate climbs step by step (each rate a second per room
# makes about 10,000 deliveries a second) until p99 passes 50 ms or less than 95% of
# what is offered arrives. The highest rate that passed is the figure.
for size in 10 100 1000; do
    for server in "${servers[@]}"; do
        rooms=$((10000 / size))
        run_one "$server" "W3 10,000 in rooms of $size" --clients 10000 --rooms "$rooms" --senders "$rooms" \
            --size 150 --ladder 1,2,3,4,6,8,12,16,24,32 --p99-limit 50 --warmup 1 --duration 3 --drain 2 \
            --connect-concurrency 64
    done
done

# W5 idle: connections that log in (ours: and join one of 200 rooms) and stay quiet.
for server in "${servers[@]}"; do
    run_one "$server" "W5 2,000 idle connections" --clients 2000 --senders 0 --rooms 200 --warmup 1 --duration 2 --drain 0
done
# Connect: ours only (the peers have no login to do).
if [[ " ${servers[*]} " == *" chat "* ]]; then
    run_one chat "connect 10,000 (log in, join one of 1,000 rooms)" --clients 10000 --senders 0 --rooms 1000 \
        --connect-concurrency 64 --warmup 1 --duration 2 --drain 0
fi

# W8 resume storm (ours only: the peers keep nothing to resume): 2,000 clients in 20
# rooms, one sender a room at 10/s, all resuming as the browser does; the server is
# restarted (SIGTERM, then started again) and, apart, killed (SIGKILL) and started again
# 4 s into the sending. Every message must arrive exactly once.
if [[ " ${servers[*]} " == *" chat "* ]]; then
    for signal in TERM KILL; do
        log "W8: chat, SIG$signal"
        restart_under_load "$signal" 4 --workload "W8 2,000 resuming, server SIG$signal and restarted" \
            --clients 2000 --rooms 20 --senders 20 --rate 10 --warmup 1 --duration 15 --drain 10 \
            --connect-concurrency 64 --json >>"$work/results.jsonl" || log "W8 SIG$signal failed"
    done
fi

table="$work/table.md"
python3 "$ROOT/bench/table.py" "$work/results.jsonl" >"$table"
cat "$table"
if [ -z "$only" ]; then
    python3 "$ROOT/bench/table.py" --into "$ROOT/docs/BENCHMARKS.md" "$work/results.jsonl" \
        --command "bench/run.sh" --machine "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
    log "results written to docs/BENCHMARKS.md"
fi
