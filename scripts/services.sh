#!/usr/bin/env bash
# PostgreSQL, Redis and nginx from Debian's packages, each started in a folder of
# its own (under a temporary directory the caller owns) on a free loopback port,
# and stopped by the same script. Sourced by scripts/test.sh and scripts/cluster.sh;
# nothing here touches the system's own instances or their ports.
#
#   source scripts/services.sh
#   install_services                 # apt-get install what is missing (tests only)
#   start_postgres DIR [fast]        # sets PG_PORT; "fast" turns fsync off (tests)
#   start_redis DIR                  # sets REDIS_PORT
#   stop_services DIR                # stops whatever was started under DIR

services_log() { printf '\033[1m[services]\033[0m %s\n' "$*" >&2; }

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_bin() {
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    [ -n "$bin" ] || { services_log "PostgreSQL is not installed (scripts/test.sh installs it)"; return 1; }
    echo "$bin"
}

# PostgreSQL refuses to run as root: as root, its files belong to the postgres user.
as_pg_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Installs PostgreSQL, Redis and nginx from Debian without starting the system's own
# services (a policy-rc.d refuses them for the length of the install).
install_services() {
    local missing=() p sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    for p in postgresql redis-server nginx; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    services_log "apt-get install ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d placed=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod +x "$policy"
        placed=1
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ $placed -eq 0 ] || $sudo rm -f "$policy"
}

# start_postgres DIR [fast]: a new cluster in DIR/postgres, user "chat", no password
# (trust, loopback only). Sets PG_PORT.
start_postgres() {
    local dir="$1/postgres" fast="${2:-}" bin
    bin="$(pg_bin)" || return 1
    mkdir -p "$dir"
    # As root: the postgres user needs to reach its folder, and own it.
    [ "$(id -u)" -ne 0 ] || { chmod a+x "$1"; chown postgres: "$dir"; }
    as_pg_owner "$bin/initdb" -D "$dir/data" -U chat -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    PG_PORT="$(free_port)"
    local opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir -c max_connections=300"
    [ "$fast" != fast ] || opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null ||
        { cat "$dir/server.log" >&2; return 1; }
    echo "$PG_PORT" >"$dir/port"
    services_log "PostgreSQL on 127.0.0.1:$PG_PORT ($dir)"
}

# start_redis DIR: a Redis in DIR/redis with no persistence. Sets REDIS_PORT.
start_redis() {
    local dir="$1/redis"
    command -v redis-server >/dev/null || { services_log "Redis is not installed (scripts/setup.sh --services)"; return 1; }
    mkdir -p "$dir"
    REDIS_PORT="$(free_port)"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir" --save '' --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    local i
    for i in $(seq 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "$REDIS_PORT" >"$dir/port"
    services_log "Redis on 127.0.0.1:$REDIS_PORT ($dir)"
}

# stop_services DIR: stops what start_* started under DIR (each if it runs).
stop_services() {
    local dir="$1" bin
    if [ -f "$dir/redis/redis.pid" ]; then
        kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
    fi
    if [ -f "$dir/nginx/nginx.pid" ]; then
        kill "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null || true
    fi
    if [ -d "$dir/postgres/data" ] && bin="$(pg_bin 2>/dev/null)"; then
        as_pg_owner "$bin/pg_ctl" -D "$dir/postgres/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}
