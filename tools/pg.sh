#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for tests and benchmarks: Debian's postgresql-15 binaries,
# a new cluster in DIR, run as an unprivileged user (initdb refuses root), listening on a
# free loopback port and a private socket directory. Stopped by PID, never by name.
#
#   tools/pg.sh start DIR   prints the connection URL (user tock, password tock, database
#                           tock) on stdout; writes DIR/pid and DIR/url
#   tools/pg.sh stop DIR    fast shutdown (SIGINT) of the server whose PID is in DIR/pid,
#                           then removes DIR
#   tools/pg.sh down DIR    fast shutdown, keeping the cluster (an outage, for fault tests)
#   tools/pg.sh up DIR      starts the cluster of DIR again, on the port it had
#
# Durability settings stay PostgreSQL's defaults (fsync on, synchronous_commit on): the
# tests and benchmarks measure what a user would run.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: tools/pg.sh start|stop|down|up DIR" >&2; exit 2; }

bin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
[ -x "$bin/postgres" ] || { echo "pg.sh: postgresql-15 is not installed (tools/deps.sh --test)" >&2; exit 1; }

# Runs a command as the unprivileged owner of the cluster.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts postgres on DIR's cluster at $1 and waits until it answers; sets pid to the runuser
# process, or to "" (and returns 1) if it did not come up.
run_server() {
  local port=$1
  as_owner "$bin/postgres" -D "$dir/data" -p "$port" -k "$dir/socket" \
    -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB \
    >>"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do  # up to 30 s on a loaded machine
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    # runuser forks: the PID to stop is the postmaster's own, from its pid file.
    head -1 "$dir/data/postmaster.pid" > "$dir/pid"
    return 0
  fi
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  return 1
}

# Fast shutdown (SIGINT) of the postmaster in DIR/pid; SIGKILL after 30 s.
stop_server() {
  [ -f "$dir/pid" ] || return 0
  local pid
  pid=$(cat "$dir/pid")
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$dir/pid"
}

case $cmd in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    echo tock > "$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U tock --pwfile="$dir/pwfile" \
      --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    mkdir -p "$dir/socket"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/socket"
    # A port taken between free_port and the bind makes postgres exit: try a few.
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      if run_server "$port"; then break; fi
    done
    [ -n "$pid" ] || { tail -5 "$dir/server.log" >&2; echo "pg.sh: postgres did not start" >&2; exit 1; }
    url="postgresql://tock:tock@127.0.0.1:$port/tock?sslmode=disable"
    PGPASSWORD=tock "$bin/psql" -q -h 127.0.0.1 -p "$port" -U tock -d postgres \
      -c "CREATE DATABASE tock" >/dev/null
    echo "$url" > "$dir/url"
    echo "$url"
    ;;
  stop)
    stop_server
    rm -rf "$dir"
    ;;
  down)
    stop_server
    ;;
  up)
    [ -f "$dir/url" ] || { echo "pg.sh: no cluster in $dir" >&2; exit 1; }
    [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null && exit 0
    port=$(sed -E 's|.*:([0-9]+)/.*|\1|' "$dir/url")
    run_server "$port" || { tail -5 "$dir/server.log" >&2; echo "pg.sh: postgres did not start" >&2; exit 1; }
    ;;
  *) echo "usage: tools/pg.sh start|stop|down|up DIR" >&2; exit 2 ;;
esac
