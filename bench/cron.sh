#!/usr/bin/env bash
# bench/cron.sh [BUILD_DIR] — a gateway holding 10,000 enabled cron jobs: start to first
# hello-ok (the jobs load off the loop, so this must stay what it is with no jobs), how
# long the jobs take to load and get their next due times, RSS with them, and the
# per-job schedule cost (sc_cron_bench). Prints progress on stderr and one markdown
# table on stdout.
#
# Needs BUILD_DIR/src/simpleclaw, BUILD_DIR/bench/sc_loadgen, BUILD_DIR/bench/sc_cron_bench
# and python3-websockets (Debian). Knobs: BENCH_CRON_JOBS [10000], BENCH_REPEAT [10]
# first-hello runs, BENCH_SERVER_CPU [0], BENCH_CLIENT_CPU [1]. Short mode for CI smoke
# runs: BENCH_CRON_JOBS=200 BENCH_REPEAT=2.
set -euo pipefail

BUILD=${1:-build}
NAME=cron.sh
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
GATEWAY=$BUILD/src/simpleclaw
LOADGEN=$BUILD/bench/sc_loadgen
CRONBENCH=$BUILD/bench/sc_cron_bench
JOBS=${BENCH_CRON_JOBS:-10000}
REPEAT=${BENCH_REPEAT:-10}
need_binaries "$GATEWAY" "$LOADGEN" "$CRONBENCH"
# Debian's python3 has python3-websockets (another python3 on PATH may not).
PY=python3; [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
pin_cpus

WORK=$(mktemp -d /tmp/sc-cron-bench.XXXXXX)
PID=""
stop() {
  [[ -n $PID ]] || return 0
  kill "$PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}
trap 'stop; rm -rf "$WORK"' EXIT
log() { echo "[cron-bench] $*" >&2; }
field() { local v; v=$(sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"); echo "${v:-0}"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }

# start STATE: a gateway on a free port over STATE (pinned); waits for gateway.json.
start() {
  rm -f "$1/gateway.json"
  "${PIN_S[@]}" "$GATEWAY" gateway --port 0 --state-dir "$1" >>"$1/stdout.log" 2>&1 &
  PID=$!
  for _ in $(seq 400); do
    [[ -s $1/gateway.json ]] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "cron.sh: the gateway did not start; see $1/stdout.log" >&2
  exit 1
}
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
loaded_ms() {  # the "cron: N job(s) loaded in X ms" line of a gateway's log
  sed -n 's/.*cron: [0-9]* job(s) loaded in \([0-9]*\) ms.*/\1/p' "$@" | tail -1
}

log "seeding $JOBS jobs through cron.add"
SEED=$WORK/seed
mkdir -p "$SEED"
start "$SEED"
SEEDED=$("${PIN_C[@]}" "$PY" "$HERE/cron_seed.py" "$SEED" "$JOBS" | grep '^RESULT' || true)
[[ -n $SEEDED ]] || { echo "cron.sh: seeding failed" >&2; exit 1; }
stop
rm -f "$SEED"/gateway.json "$SEED"/stdout.log

log "start -> first hello-ok, no jobs ($REPEAT runs)"
R0=$("${PIN_C[@]}" "$LOADGEN" first-hello --gateway "$GATEWAY" --state-dir "$WORK/fh0" \
     --repeat "$REPEAT" --gateway-cpu "$SCPU" | grep '^RESULT' | tail -1 || true)
log "start -> first hello-ok, $JOBS jobs ($REPEAT runs)"
R1=$("${PIN_C[@]}" "$LOADGEN" first-hello --gateway "$GATEWAY" --state-dir "$WORK/fh1" \
     --seed-state "$SEED" --repeat "$REPEAT" --gateway-cpu "$SCPU" | grep '^RESULT' | tail -1 || true)
LOAD_MED=$(for f in "$WORK"/fh1/run-*/gateway.out "$WORK"/fh1/run-*/logs/*.log; do
  [[ -f $f ]] && loaded_ms "$f"; done | median)

log "RSS idle, no jobs and $JOBS jobs"
EMPTY=$WORK/empty
mkdir -p "$EMPTY"
start "$EMPTY"; sleep 2; RSS0=$(rss_kb "$PID"); stop
start "$SEED"; sleep 2; RSS1=$(rss_kb "$PID")
STATUS=$("$GATEWAY" call cron.status --url "ws://127.0.0.1:$(python3 -c "import json;print(json.load(open('$SEED/gateway.json'))['port'])")" \
         --token "$(cat "$SEED/gateway.token")" --json 2>/dev/null || echo '{}')
stop
LOADED_JOBS=$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('jobs', 0))" "$STATUS")

log "schedule cost per job (sc_cron_bench $JOBS)"
CRON_TABLE=$("$CRONBENCH" "$JOBS")

echo "| gateway with $JOBS enabled cron jobs | value |"
echo "|---|---|"
echo "| seeding through cron.add (one socket, 64 in flight) | $(field seconds "$SEEDED") s |"
echo "| start → first hello-ok, no jobs (median of $REPEAT, max) | $(field median_ms "$R0") ms ($(field max_ms "$R0") ms) |"
echo "| start → first hello-ok, $JOBS jobs (median of $REPEAT, max) | $(field median_ms "$R1") ms ($(field max_ms "$R1") ms) |"
echo "| jobs loaded with next due times, after start (median) | ${LOAD_MED:-?} ms |"
echo "| jobs the scheduler reports (cron.status) | $LOADED_JOBS |"
echo "| RSS idle, no jobs → $JOBS jobs | $((RSS0 / 1024)).$(((RSS0 % 1024) * 10 / 1024)) MB → $((RSS1 / 1024)).$(((RSS1 % 1024) * 10 / 1024)) MB |"
echo
echo "$CRON_TABLE"
