#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR] — the benchmark scenarios of docs/benchmarks.md.
#
# Builds nothing: it expects BUILD_DIR/src/simpleclaw, BUILD_DIR/bench/sc_loadgen and
# BUILD_DIR/bench/sc_echo_server (configure with -DSIMPLECLAW_BENCH=ON, the default).
# The server under test (gateway or echo server) is pinned to CPU 0 and the load
# generator to CPU 1 with taskset. Each scenario is bounded; the whole run takes about
# a minute and a half. Prints progress on stderr and ONE markdown table on stdout.
#
# Environment knobs (defaults in brackets): BENCH_DURATION [5] measured seconds per
# throughput scenario, BENCH_WARMUP [1], BENCH_IDLE_CONNS [10000], BENCH_REPEAT [10]
# first-hello runs, BENCH_SERVER_CPU [0], BENCH_CLIENT_CPU [1].
set -euo pipefail

BUILD=${1:-build}
NAME=run.sh
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
GATEWAY=$BUILD/src/simpleclaw
LOADGEN=$BUILD/bench/sc_loadgen
ECHO=$BUILD/bench/sc_echo_server
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
REPEAT=${BENCH_REPEAT:-10}
need_binaries "$GATEWAY" "$LOADGEN" "$ECHO"
pin_cpus

# Many sockets: both processes inherit the hard limit.
ulimit -n "$(ulimit -Hn)"

LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/sc-bench.XXXXXX)
SERVER_PID=""
stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[bench] $*" >&2; }
# field KEY LINE: the value of key=value in a RESULT line
field() { local v; v=$(sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"); echo "${v:-0}"; }
result() { grep '^RESULT' | tail -1 || true; }

# start_gateway NAME: a fresh gateway on a free port, pinned; sets SERVER_PID and STATE.
start_gateway() {
  STATE=$WORK/$1
  mkdir -p "$STATE"
  "${PIN_S[@]}" "$GATEWAY" gateway --port 0 --state-dir "$STATE" >"$STATE/stdout.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do
    [[ -s $STATE/gateway.json ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "run.sh: the gateway did not start; see $STATE/stdout.log" >&2
  cat "$STATE/stdout.log" >&2
  exit 1
}

rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
# rss_kind PID KIND: RssAnon (heap, stacks) or RssFile (mapped code and data), in KB
rss_kind() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status"; }

# ------------------------------------------------------------------ 1. start -> hello-ok
log "start -> first hello-ok ($REPEAT spawns)"
FH=$( ("${PIN_C[@]}" "$LOADGEN" first-hello --gateway "$GATEWAY" --state-dir "$WORK/first-hello" \
      --repeat "$REPEAT" --gateway-cpu "$SCPU" || true) | result)
FH_MED=$(field median_ms "$FH"); FH_MAX=$(field max_ms "$FH"); FH_LISTEN=$(field listen_median_ms "$FH")

# ------------------------------------------------------------------ 2. idle RSS
log "idle RSS"
start_gateway idle
sleep 3  # past the store's idle release (2 s, src/sessions/db_worker.h)
IDLE_RSS=$(rss_kb "$SERVER_PID")
IDLE_ANON=$(rss_kind "$SERVER_PID" RssAnon); IDLE_FILE=$(rss_kind "$SERVER_PID" RssFile)

# ------------------------------------------------------------------ 3. idle connections
log "$IDLE_CONNS idle authenticated connections"
IDLE=$( ("${PIN_C[@]}" "$LOADGEN" idle --state-dir "$STATE" --conns "$IDLE_CONNS" --role node \
        --max-pending 16 --settle 2 --hold 2 --rss-pid "$SERVER_PID" --setup-timeout 60 || true) | result)
IDLE_READY=$(field ready "$IDLE"); IDLE_AFTER=$(field rss_after_kb "$IDLE")
IDLE_BEFORE=$(field rss_before_kb "$IDLE"); PER_CONN=$(field per_conn_kb "$IDLE")
IDLE_SETUP=$(field setup_s "$IDLE")
stop_server

# The same with operator connections, which get presence: each connect changes the
# presence list every operator receives (coalesced to <= 1 broadcast per 250 ms) and each
# hello-ok carries the whole list.
OPS=${BENCH_OPERATOR_CONNS:-1000}
log "$OPS idle operator connections (presence fan-out)"
start_gateway operators
sleep 0.5
OPR=$( ("${PIN_C[@]}" "$LOADGEN" idle --state-dir "$STATE" --conns "$OPS" --role operator \
       --max-pending 16 --settle 1 --hold 1 --rss-pid "$SERVER_PID" --setup-timeout 60 || true) | result)
OP_SETUP=$(field setup_s "$OPR"); OP_PER=$(field per_conn_kb "$OPR"); OP_EVBYTES=$(field event_bytes "$OPR")
stop_server

# ------------------------------------------------------------------ 4. health RPC
declare -A RPC ECHO_R
run_traffic() {  # MODE TARGET_ARGS... -- sets LAST
  local mode=$1 conns=$2 pipeline=$3; shift 3
  LAST=$( ("${PIN_C[@]}" "$LOADGEN" "$mode" "$@" --conns "$conns" --pipeline "$pipeline" \
          --duration "$DURATION" --warmup "$WARMUP" --setup-timeout 60 || true) | result)
}
CASES=("8 1" "64 1" "256 1" "64 8")
for c in "${CASES[@]}"; do
  read -r n k <<<"$c"
  log "health RPC: $n connections x pipeline $k"
  start_gateway "rpc-$n-$k"
  run_traffic rpc "$n" "$k" --state-dir "$STATE" --server-pid "$SERVER_PID"
  RPC[$c]=$LAST
  stop_server
done

# ------------------------------------------------------------------ 5. echo server
"${PIN_S[@]}" "$ECHO" --max-seconds 300 >"$WORK/echo.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do grep -q '^port' "$WORK/echo.out" 2>/dev/null && break; sleep 0.05; done
EPORT=$(awk '/^port/{print $2}' "$WORK/echo.out")
for c in "${CASES[@]}"; do
  read -r n k <<<"$c"
  log "echo: $n connections x pipeline $k"
  run_traffic echo "$n" "$k" --port "$EPORT" --server-pid "$SERVER_PID"
  ECHO_R[$c]=$LAST
done
stop_server

# ------------------------------------------------------------------ table
ok() { if awk "BEGIN{exit !($1)}"; then echo "yes"; else echo "**no**"; fi; }
mb() { awk "BEGIN{printf \"%.1f MB\", $1/1024}"; }

CPU=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
echo "Machine: $(nproc) CPUs ($CPU), $(uname -sr), $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM;" \
     "$PINNING; load average before the run: $LOAD0."
echo "Measured $(date -u +%Y-%m-%dT%H:%MZ); $DURATION s per throughput scenario after $WARMUP s warm-up; pipeline = health requests in flight per connection."
echo
echo "| Scenario | simpleclaw | echo server | simpleclaw / echo | Target | Met |"
echo "|---|---|---|---|---|---|"
echo "| start → first hello-ok, median of $REPEAT (max) | $FH_MED ms ($FH_MAX ms max; listening at $FH_LISTEN ms) | – | – | ≤ 20 ms | $(ok "$FH_MED > 0 && $FH_MED <= 20") |"
echo "| idle RSS, no clients (anonymous + file-backed; issue 18) | $(mb "$IDLE_RSS") ($(mb "$IDLE_ANON") + $(mb "$IDLE_FILE")) | – | – | ≤ 8 MB | $(ok "$IDLE_RSS > 0 && $IDLE_RSS <= 8192") |"
echo "| RSS with $IDLE_READY idle authenticated connections (node role; connected in $IDLE_SETUP s) | $(mb "$IDLE_AFTER") (from $(mb "$IDLE_BEFORE")) | – | – | – | – |"
echo "| RSS per idle connection | $PER_CONN KB | – | – | ≤ 16 KB | $(ok "$PER_CONN > 0 && $PER_CONN <= 16 && $IDLE_READY >= $IDLE_CONNS") |"
echo "| $OPS idle *operator* connections (presence fan-out) | connect all: $OP_SETUP s; $OP_PER KB/conn; $(awk "BEGIN{printf \"%.0f\", $OP_EVBYTES/1048576}") MB of presence events sent | – | – | – | – |"
for c in "${CASES[@]}"; do
  read -r n k <<<"$c"
  g=${RPC[$c]}; e=${ECHO_R[$c]}
  grps=$(field rps "$g"); erps=$(field rps "$e")
  ratio=$(awk "BEGIN{ if ($erps>0) printf \"%.0f%%\", 100*$grps/$erps; else print \"n/a\"}")
  target="≥ 50,000/s; ≥ 50% of echo"
  met=$(ok "$grps >= 50000 && $grps >= 0.5*$erps")
  cell() { echo "$(field rps "$1") ($(field p50_us "$1") / $(field p99_us "$1") µs; CPU $(field cpu_server "$1")% / $(field cpu_client "$1")%)"; }
  echo "| health RPC, $n conns × pipeline $k: req/s (p50 / p99 latency; CPU server / loadgen) | $(cell "$g") | $(cell "$e") | $ratio | $target | $met |"
  for r in "$g" "$e"; do
    awk "BEGIN{exit !($(field cpu_server "$r") < 90)}" && LOW_CPU=$((${LOW_CPU:-0} + 1))
  done
done
if ((${LOW_CPU:-0} > 0)); then
  echo
  echo "Note: in $LOW_CPU throughput runs the server used < 90% of its CPU: the machine was busy" \
       "(other processes on the pinned CPUs) or the load generator was the limit; rerun on an idle machine."
fi
