#!/usr/bin/env bash
# bench/soak.sh [DURATION] [BUILD_DIR] — the long-run soak test: does the gateway stay
# flat (memory, file descriptors, latency) under hours of mixed traffic, with no error?
#
# Starts, on 127.0.0.1 with ephemeral ports and a temp state dir, sc_fake_llm (which
# calls `exec` for messages containing "run-probe"), the fake Telegram Bot API
# (tests/fakes/fake_telegram.py) and a gateway using both. bench/soak.py then seeds the
# store as after a while in service (4 MB of old transcript, 2,000-entry Telegram DMs:
# steady state from the start, not caches filling) and keeps a steady, modest mixed load
# on it for DURATION: 100 operator connections open, 4 of them chatting (every 4th turn
# runs `exec`, which needs an approval they grant), 4 Telegram users talking to the bot,
# a connect/health/disconnect churner. Every SOAK_INTERVAL seconds it samples gateway
# RSS, open fds, SQLite size (db + wal), event-loop delay (`status` RPC), turn latency
# p50/p99 and errors.
#
# DURATION: 1h (default), 2m, 90s, 1h30m or plain seconds; at least 4 intervals.
# BUILD_DIR: a CMake build dir (src/simpleclaw, tests/sc_fake_llm) or a directory holding
# simpleclaw and sc_fake_llm themselves [build].
# Env: SOAK_OUT (output dir) [BUILD_DIR/soak for a build dir, else build/soak in the
#      repo], SOAK_INTERVAL [10] s; load knobs SOAK_OPERATORS [100], SOAK_CHATTERS [4],
#      SOAK_TELEGRAM_USERS [4], SOAK_PAUSE_MS [1000] (each chatter's and user's pause
#      between turns), SOAK_CHURN_MS [500] (the churner's pause; 0 = no churner).
#      SOAK_LATENCY_TARGET [1]: 0 shows the turn p99 without judging it (ctest's short
#      soak shares the machine with other tests; RSS, fds and errors are still judged);
#      SOAK_RSS_PCT [5]: the RSS target's limit (ctest's 2 minutes: 10, as its caches are
#      still filling: a 1 h run's RSS rises for its first ~25 minutes, then stays flat).
#
# Reading the output: one progress line per sample on stderr; on stdout a markdown table
# of the targets (second quarter against last quarter; the first quarter is warm-up and
# not judged) and one of run totals. Files in SOAK_OUT: soak.csv (one row per sample,
# header first), soak.png (RSS and fds; turn p50/p99, Telegram p99 and event-loop
# delay; SQLite size, turns and errors per interval; gateway CPU and machine load, which
# tell a latency bump from a busy machine), gateway.err (the gateway's stderr).
# Targets: RSS and fd means of the last quarter within 5% of the second quarter's; the
# median per-interval turn p99 of the last quarter <= 1.5x the second's + 5 ms; zero
# errors. Exit 0 when all hold, 1 otherwise (the failed targets and their numbers on
# stderr), 2 when a binary or a tool is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAME=soak.sh
DUR_ARG=${1:-1h}
BUILD=${2:-$ROOT/build}
INTERVAL=${SOAK_INTERVAL:-10}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# DURATION -> seconds: "1h30m", "2m", "90s", "120".
parse_duration() {
  local s=$1 total=0 n u
  [[ $s =~ ^[0-9]+$ ]] && { echo "$s"; return; }
  [[ $s =~ ^([0-9]+[hms])+$ ]] || return 1
  while [[ $s =~ ^([0-9]+)([hms])(.*)$ ]]; do
    n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
    case $u in h) total=$((total + n * 3600)) ;; m) total=$((total + n * 60)) ;; *) total=$((total + n)) ;; esac
  done
  echo "$total"
}
DURATION=$(parse_duration "$DUR_ARG") ||
  { echo "usage: bench/soak.sh [DURATION (1h, 2m, 90s, seconds)] [BUILD_DIR]" >&2; exit 2; }
[[ $INTERVAL =~ ^[1-9][0-9]*$ ]] || { echo "$NAME: SOAK_INTERVAL must be whole seconds" >&2; exit 2; }
((DURATION >= 4 * INTERVAL)) ||
  { echo "$NAME: DURATION ${DURATION}s holds fewer than 4 intervals of ${INTERVAL}s" >&2; exit 2; }

# Both layouts: a build dir, or a directory with the two binaries side by side.
if [[ -x $BUILD/src/simpleclaw ]]; then
  GATEWAY=$BUILD/src/simpleclaw FAKE=$BUILD/tests/sc_fake_llm OUT_DEFAULT=$BUILD/soak
else
  GATEWAY=$BUILD/simpleclaw FAKE=$BUILD/sc_fake_llm OUT_DEFAULT=$ROOT/build/soak
fi
need_binaries "$GATEWAY" "$FAKE"
OUT=${SOAK_OUT:-$OUT_DEFAULT}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/soak.png" "$OUT/soak.csv"  # never mistake an earlier run's output for this one's

# Debian's python3 has python3-websockets; a python3 earlier in PATH (pyenv) may not.
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
"$PY" -c 'import websockets' 2>/dev/null ||
  { echo "$NAME: $PY lacks the websockets module (scripts/deps.sh installs python3-websockets)" >&2; exit 2; }
command -v gnuplot >/dev/null ||
  echo "$NAME: gnuplot not found (scripts/deps.sh installs gnuplot-nox): no PNG" >&2

# No CPU pinning: gateway, fakes and load share the machine as in real life, and the
# judged quantity is drift over time, not absolute throughput.
PIN_S=() PIN_C=()
bench_workdir
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -f $WORK/gateway.err ]]; then cp "$WORK/gateway.err" "$OUT/gateway.err"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# Ctrl-C / SIGTERM: leave through the EXIT trap, which stops everything started here.
trap 'exit 130' INT
trap 'exit 143' TERM

start_fake_llm "$FAKE" --exec-when run-probe
TG_TOKEN=424242:SOAK
"$PY" "$ROOT/tests/fakes/fake_telegram.py" "$TG_TOKEN" >"$WORK/tg.out" &
PIDS+=($!)
for _ in $(seq 100); do [[ -s $WORK/tg.out ]] && break; sleep 0.05; done
TG_PORT=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["port"])' \
  "$WORK/tg.out") || { echo "$NAME: fake Telegram did not start" >&2; exit 1; }

USERS=${SOAK_TELEGRAM_USERS:-4}
ALLOW=$(seq -s, 7001 $((7000 + USERS)))  # soak.py's Telegram user ids
# chat.send's idempotency cache keeps each finished run's result for dedupe_ttl_ms (5
# min by default, at most 1000): it fills for minutes, a slope a short run would judge
# as a leak, and a run shorter than the TTL never sees an entry expire. An eighth of the
# run (at most the default) fills it within the warm-up quarter and exercises expiry.
DEDUPE_TTL_MS=$((DURATION * 1000 / 8 < 300000 ? DURATION * 1000 / 8 : 300000))
SOAK_TOKEN=soak-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
export SOAK_TOKEN
cat >"$WORK/config.yaml" <<YAML
gateway:
  auth: {mode: token, token: $SOAK_TOKEN}
models:
  default: fake/gpt-test
  providers:
    fake:
      api: openai
      base_url: http://127.0.0.1:$FPORT/v1
      api_key: sk-test
      models: [{id: gpt-test, context_window: 8192, max_tokens: 256}]
sessions: {dedupe_ttl_ms: $DEDUPE_TTL_MS}
logging: {level: warn}
channels:
  telegram:
    token: "$TG_TOKEN"
    api_base: http://127.0.0.1:$TG_PORT
    poll_timeout_s: 10
    allow_from: [$ALLOW]
YAML
start_gateway "$GATEWAY" "$WORK/config.yaml"
echo "[soak] gateway pid $GPID port $PORT; ${DURATION}s, a sample every ${INTERVAL}s; output in $OUT" >&2

# In the background and waited for, so that a signal reaches the traps at once (bash
# runs traps only after a foreground command returns).
rc=0
"$PY" "$ROOT/bench/soak.py" --port "$PORT" --pid "$GPID" --state-dir "$WORK/state" \
  --tg-port "$TG_PORT" --duration "$DURATION" --interval "$INTERVAL" --csv "$OUT/soak.csv" &
SPID=$!
PIDS+=("$SPID")
wait "$SPID" || rc=$?

# A plot needs two samples (the header is the CSV's first line).
if command -v gnuplot >/dev/null && [[ $(wc -l <"$OUT/soak.csv" 2>/dev/null || echo 0) -gt 2 ]]; then
  gnuplot -e "csv='$OUT/soak.csv'; png='$OUT/soak.png'; title='simpleclaw soak, ${DURATION}s'" \
    "$ROOT/bench/soak_plot.gp" && echo "[soak] plot: $OUT/soak.png" >&2
fi
echo "[soak] csv: $OUT/soak.csv" >&2
if ((rc == 0)); then echo "[soak] PASS" >&2; else echo "[soak] FAIL (exit $rc)" >&2; fi
exit "$rc"
