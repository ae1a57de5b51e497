#!/usr/bin/env bash
# Several chat servers behind one address, on this machine: PostgreSQL, Redis, three
# nodes of the release build and nginx in front of them (round robin, no stickiness),
# all on free loopback ports in a temporary folder. docs/SCALING.md explains it.
#
#   scripts/cluster.sh                 # start, print the addresses, stop on Ctrl-C
#   scripts/cluster.sh start DIR [N]   # start N nodes (default 3) in DIR and return;
#                                      # DIR/cluster.env says where everything is
#   scripts/cluster.sh stop DIR        # stop what `start` started
#
# Needs the release build (target/release/chat and target/site): `run` builds it;
# `start` expects it (scripts/test.sh builds it first). PostgreSQL, Redis and nginx
# come from Debian's packages (installed by `run` if missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
source "$ROOT/scripts/services.sh"

log() { printf '\033[1m[cluster]\033[0m %s\n' "$*" >&2; }

BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/chat"
SITE="$ROOT/target/site"

start_nginx() {
    local dir="$1/nginx" port="$2"
    shift 2
    mkdir -p "$dir/tmp"
    local upstream="" p
    for p in "$@"; do upstream="$upstream        server 127.0.0.1:$p;"$'\n'; done
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    # Any node serves any request, WebSocket or page: no sticky sessions.
    upstream chat {
$upstream    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://chat;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            # The host and port the browser used: the node checks Origin against it.
            proxy_set_header Host \$http_host;
            # The node counts per-address limits by the client (trusted_proxies).
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # Longer than the heartbeat: idle sockets are the server's to close.
            proxy_read_timeout 120s;
            proxy_send_timeout 120s;
            proxy_buffering off;
        }
    }
}
EOF
    nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
    log "nginx on 127.0.0.1:$port -> nodes $*"
}

wait_ready() {
    local port="$1" i
    for i in $(seq 300); do
        if curl -fsS "http://127.0.0.1:$port/healthz/ready" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    log "node on port $port did not become ready"
    return 1
}

start_cluster() {
    local dir="$1" nodes="${2:-3}"
    [ -x "$BIN" ] && [ -d "$SITE" ] || { log "no release build at $BIN and $SITE (cargo leptos build --release)"; return 1; }
    mkdir -p "$dir"
    start_postgres "$dir"
    start_redis "$dir"
    local database_url="postgres://chat@127.0.0.1:$PG_PORT/chat"
    local redis_url="redis://127.0.0.1:$REDIS_PORT"
    local ports=() urls=() i port
    for i in $(seq "$nodes"); do
        port="$(free_port)"
        CHAT_LISTEN_ADDR="127.0.0.1:$port" CHAT_DATABASE_URL="$database_url" CHAT_REDIS_URL="$redis_url" \
            CHAT_SITE_ROOT="$SITE" CHAT_FILES_DIR="$dir/files" CHAT_TRUSTED_PROXIES='["127.0.0.1"]' \
            CHAT_MAX_CONNECTIONS_PER_IP="${CHAT_MAX_CONNECTIONS_PER_IP:-200}" \
            CHAT_SIGN_IN_BURST_PER_IP="${CHAT_SIGN_IN_BURST_PER_IP:-1000}" \
            CHAT_SIGN_UP_BURST_PER_IP="${CHAT_SIGN_UP_BURST_PER_IP:-1000}" \
            RUST_LOG="${RUST_LOG:-info}" NO_COLOR=1 \
            nohup "$BIN" >"$dir/node-$i.log" 2>&1 &
        echo $! >"$dir/node-$i.pid"
        ports+=("$port")
        urls+=("http://127.0.0.1:$port")
        # The first creates the database and its schema; the others find it there.
        [ "$i" -gt 1 ] || wait_ready "$port"
    done
    for port in "${ports[@]}"; do wait_ready "$port"; done
    local front
    front="$(free_port)"
    start_nginx "$dir" "$front" "${ports[@]}"
    local joined
    joined="$(IFS=,; echo "${urls[*]}")"
    cat >"$dir/cluster.env" <<EOF
CLUSTER_URL=http://127.0.0.1:$front
CLUSTER_NODE_URLS=$joined
CLUSTER_DATABASE_URL=$database_url
CLUSTER_REDIS_URL=$redis_url
EOF
    log "$nodes nodes: ${urls[*]}; nginx: http://127.0.0.1:$front"
}

stop_cluster() {
    local dir="$1" pidfile
    for pidfile in "$dir"/node-*.pid; do
        [ -f "$pidfile" ] || continue
        kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    for pidfile in "$dir"/node-*.pid; do
        [ -f "$pidfile" ] || continue
        local pid i
        pid="$(cat "$pidfile")"
        for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$pidfile"
    done
    stop_services "$dir"
}

case "${1:-run}" in
start) start_cluster "${2:?DIR}" "${3:-3}" ;;
stop) stop_cluster "${2:?DIR}" ;;
run)
    "$ROOT/scripts/setup.sh"
    install_services
    use_toolchain
    (cd "$ROOT" && cargo leptos build --release --precompress)
    dir="$(mktemp -d)"
    trap 'stop_cluster "$dir"; rm -rf "$dir"' EXIT
    start_cluster "$dir" "${2:-3}"
    # shellcheck disable=SC1091
    source "$dir/cluster.env"
    log "open $CLUSTER_URL (or a node directly: $CLUSTER_NODE_URLS); Ctrl-C stops everything"
    while sleep 3600; do :; done
    ;;
*)
    echo "usage: $0 [run [N] | start DIR [N] | stop DIR]" >&2
    exit 2
    ;;
esac
