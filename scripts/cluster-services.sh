#!/usr/bin/env bash
# scripts/cluster-services.sh start|stop|status|pg-stop|pg-start [DIR] — a local PostgreSQL and NATS for
# cluster mode (issue 19): for the test suite (ctest starts it once as a fixture) and for
# trying a cluster by hand.
#
#   start  initdb + start PostgreSQL (Debian postgresql 15) as the `postgres` user (it
#          refuses to run as root) in a directory under /tmp (DIR may sit where that user
#          cannot reach, such as a clone under /root), and nats-server in DIR/nats, both on free
#          loopback ports with generated passwords; writes DIR/env (shell syntax):
#            SIMPLECLAW_PG_URL=postgres://simpleclaw:…@127.0.0.1:PORT/simpleclaw
#            SIMPLECLAW_NATS_URL=nats://127.0.0.1:PORT  SIMPLECLAW_NATS_USER/PASSWORD=…
#            SIMPLECLAW_PG_CA=DIR/certs/ca.pem (PostgreSQL also takes TLS: its certificate
#            for 127.0.0.1 is signed by this throwaway CA, scripts/test-certs.sh)
#          and prints it. Starting again while both run only prints the env.
#   stop   stops both and removes DIR.
#   status says what runs.
#   pg-stop / pg-start  stops PostgreSQL (fast shutdown: sessions cut) and starts it
#          again on the same port and data: an outage, for the tests and by hand.
#
# DIR defaults to /tmp/simpleclaw-cluster. CLUSTER_PG_FSYNC=on keeps PostgreSQL's fsync
# (benchmarks); the tests turn it off, which only matters if the machine itself crashes.
set -euo pipefail

cmd=${1:-start}
DIR=${2:-/tmp/simpleclaw-cluster}
ENV_FILE=$DIR/env
HERE=$(cd "$(dirname "$0")" && pwd)

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  echo "cluster-services: PostgreSQL server binaries not found; run scripts/deps.sh (package postgresql)" >&2
  exit 1
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
secret() { head -c 18 /dev/urandom | base64 | tr -d '/+=' | cut -c1-20; }

# PostgreSQL's directory: under /tmp, named in DIR/pgdir (the postgres user must be able
# to reach it, and a repository clone's path may not be).
pg_dir() { cat "$DIR/pgdir" 2>/dev/null || true; }

running() {
  [ -f "$ENV_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  as_pg "$(pg_bin)/pg_ctl" -D "$(pg_dir)/data" status >/dev/null 2>&1 || return 1
  [ -f "$DIR/nats/pid" ] && kill -0 "$(cat "$DIR/nats/pid")" 2>/dev/null
}

start() {
  if running; then cat "$ENV_FILE"; return; fi
  stop_all quiet
  local bin pg_port nats_port pg_pass nats_pass
  bin=$(pg_bin)
  command -v nats-server >/dev/null || {
    echo "cluster-services: nats-server not found; run scripts/deps.sh (package nats-server)" >&2
    exit 1
  }
  mkdir -p "$DIR/nats"
  local pg
  pg=$(mktemp -d /tmp/simpleclaw-pg.XXXXXX)
  echo "$pg" >"$DIR/pgdir"
  pg_port=$(free_port)
  nats_port=$(free_port)
  pg_pass=$(secret)
  nats_pass=$(secret)
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg"
  chmod 700 "$pg"

  # PostgreSQL: password auth over TCP only; its socket stays in its directory, not /run.
  printf '%s\n' "$pg_pass" >"$pg/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg/pwfile"
  as_pg "$bin/initdb" -D "$pg/data" -U simpleclaw --pwfile="$pg/pwfile" \
    -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$pg/initdb.log" 2>&1 || {
    cat "$pg/initdb.log" >&2
    exit 1
  }
  rm -f "$pg/pwfile"
  # TLS offered (not required): the tests connect both ways (sslmode=verify-full with
  # this throwaway CA, and plain). The key must belong to the server's user.
  bash "$HERE/test-certs.sh" "$pg/certs"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$pg/certs"
  mkdir -p "$DIR/certs" && cp "$pg/certs/ca.pem" "$pg/certs/other-ca.pem" "$DIR/certs/"
  cat >>"$pg/data/postgresql.conf" <<EOF
ssl = on
ssl_cert_file = '$pg/certs/server.pem'
ssl_key_file = '$pg/certs/server.key'
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg'
max_connections = 200
fsync = ${CLUSTER_PG_FSYNC:-off}
full_page_writes = ${CLUSTER_PG_FSYNC:-off}
log_min_messages = warning
EOF
  as_pg "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 30 start >/dev/null || {
    cat "$pg/server.log" >&2
    exit 1
  }
  PGPASSWORD=$pg_pass "$bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U simpleclaw -d postgres \
    -c "CREATE DATABASE simpleclaw" >/dev/null

  # NATS: user/password auth, loopback only, no JetStream (the database is the log).
  cat >"$DIR/nats/nats.conf" <<EOF
listen: 127.0.0.1:$nats_port
authorization { user: simpleclaw, password: "$nats_pass" }
pid_file: "$DIR/nats/pid"
log_file: "$DIR/nats/server.log"
EOF
  chmod 600 "$DIR/nats/nats.conf"
  nats-server -c "$DIR/nats/nats.conf" >/dev/null 2>&1 &
  for _ in $(seq 100); do
    [ -f "$DIR/nats/pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null && break
    sleep 0.05
  done
  [ -f "$DIR/nats/pid" ] || {
    cat "$DIR/nats/server.log" >&2 2>/dev/null || true
    echo "cluster-services: nats-server did not start" >&2
    exit 1
  }

  umask 077
  cat >"$ENV_FILE" <<EOF
SIMPLECLAW_PG_URL=postgres://simpleclaw:$pg_pass@127.0.0.1:$pg_port/simpleclaw
SIMPLECLAW_PG_PORT=$pg_port
SIMPLECLAW_PG_PASSWORD=$pg_pass
SIMPLECLAW_PG_DATA=$pg/data
SIMPLECLAW_PG_CA=$DIR/certs/ca.pem
SIMPLECLAW_PG_OTHER_CA=$DIR/certs/other-ca.pem
SIMPLECLAW_NATS_URL=nats://127.0.0.1:$nats_port
SIMPLECLAW_NATS_USER=simpleclaw
SIMPLECLAW_NATS_PASSWORD=$nats_pass
SIMPLECLAW_NATS_CONF=$DIR/nats/nats.conf
EOF
  cat "$ENV_FILE"
}

stop_all() {
  local bin
  bin=$(pg_bin)
  local pg
  pg=$(pg_dir)
  if [ -n "$pg" ] && [ -d "$pg/data" ]; then
    as_pg "$bin/pg_ctl" -D "$pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "$pg" ] && rm -rf "$pg"
  if [ -f "$DIR/nats/pid" ]; then
    kill "$(cat "$DIR/nats/pid")" 2>/dev/null || true
  fi
  rm -rf "$DIR"
  [ "${1:-}" = quiet ] || echo "cluster-services: stopped"
}

case "$cmd" in
  start) start ;;
  stop) stop_all ;;
  pg-stop)
    as_pg "$(pg_bin)/pg_ctl" -D "$(pg_dir)/data" -m fast -w -t 30 stop >/dev/null
    echo "cluster-services: PostgreSQL stopped"
    ;;
  pg-start)
    as_pg "$(pg_bin)/pg_ctl" -D "$(pg_dir)/data" -l "$(pg_dir)/server.log" -w -t 30 start \
      >/dev/null
    echo "cluster-services: PostgreSQL started"
    ;;
  status)
    if running; then echo "cluster-services: PostgreSQL and NATS running"; cat "$ENV_FILE"; else
      echo "cluster-services: not running"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status|pg-stop|pg-start [DIR]" >&2
    exit 2
    ;;
esac
