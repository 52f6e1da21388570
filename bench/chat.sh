#!/usr/bin/env bash
# bench/chat.sh [BUILD_DIR] — the chat scenario of docs/benchmarks.md (issue 3).
#
# A gateway (pinned to CPU 0) whose only model is sc_fake_llm answering instantly
# (pinned to CPU 1 with the load generator), so the latency measured is the gateway's
# own overhead per turn: user message committed, run queued and started, transcript and
# system prompt loaded, provider request streamed, reply committed, `final` sent.
# sc_loadgen chat keeps 1, 100 and 1,000 sessions busy (each message in a fresh session)
# and reports chat.send -> final p50/p99; the gateway's peak RSS and CPU are read from
# /proc. "Saturated" rows send each session's next message at once (the latency is then
# mostly queueing: sessions / throughput); paced rows pause ~P ms per session between
# turns, a load below saturation where the latency is the gateway's own overhead.
# Builds nothing; prints progress on stderr and one markdown table on stdout.
# Knobs: BENCH_DURATION [5], BENCH_WARMUP [1],
#        BENCH_CHAT_RUNS ["1:0 100:0 1000:0 100:1000 100:100 1000:1000"] (sessions:pause_ms),
#        BENCH_FAKE_ARGS [""] (e.g. --tool-round: every turn = model call, `ls` tool, model call),
#        BENCH_OPERATORS [100]: the operators table (0 = skip): that many connections, each
#        chatting in its own sessions, with per-session delta routing (each sees its own
#        stream) and with every connection subscribed to every stream (--subscribe-all:
#        the fan-out before routing).
set -euo pipefail

BUILD=${1:-build}
NAME=chat.sh
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
GATEWAY=$BUILD/src/simpleclaw
LOADGEN=$BUILD/bench/sc_loadgen
FAKE=$BUILD/tests/sc_fake_llm
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
RUNS=${BENCH_CHAT_RUNS:-"1:0 100:0 1000:0 100:1000 100:100 1000:1000"}
need_binaries "$GATEWAY" "$LOADGEN" "$FAKE"
pin_cpus
bench_workdir
# shellcheck disable=SC2086  # BENCH_FAKE_ARGS is a list of flags
start_fake_llm "$FAKE" ${BENCH_FAKE_ARGS:-}
cat >"$WORK/config.yaml" <<YAML
models:
  providers:
    fake: {api: openai, base_url: "http://127.0.0.1:$FPORT/v1", models: [{id: instant}]}
sessions: {max_queue: 10000}
logging: {level: warn}
YAML
start_gateway "$GATEWAY" "$WORK/config.yaml"

echo "| sessions | pause between turns | turns/s | p50 ms | p99 ms | errors | gateway CPU | gateway peak RSS |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for run in $RUNS; do
  n=${run%%:*} pause=${run##*:}
  echo "[bench] chat: $n concurrent sessions, pause ${pause} ms, ${DURATION}s" >&2
  out=$("${PIN_C[@]}" "$LOADGEN" chat --state-dir "$WORK/state" --conns 1 --pipeline "$n" \
          --pause-ms "$pause" --duration "$DURATION" --warmup "$WARMUP" --server-pid "$GPID" |
        grep '^RESULT')
  val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$out"; }
  hwm=$(awk '/VmHWM/{printf "%.1f MB", $2/1024}' /proc/$GPID/status)
  pause_txt=$([[ $pause == 0 ]] && echo "none (saturated)" || echo "~$pause ms")
  printf "| %s | %s | %s | %.2f | %.2f | %s | %s%% | %s |\n" "$n" "$pause_txt" "$(val rps)" \
    "$(awk "BEGIN{print $(val p50_us)/1000}")" "$(awk "BEGIN{print $(val p99_us)/1000}")" \
    "$(val errors)" "$(val cpu_server)" "$hwm"
done

OPS=${BENCH_OPERATORS:-100}
if [[ $OPS -gt 0 ]]; then
  echo
  echo "| operators, one session each | deltas go to | turns/s | p50 ms | p99 ms | errors | gateway CPU |"
  echo "|---:|---|---:|---:|---:|---:|---:|"
  for mode in own all; do
    flag=() who="the session's watchers"
    [[ $mode == all ]] && flag=(--subscribe-all) who="every operator (sessions.subscribe)"
    echo "[bench] chat: $OPS operators, deltas to $who, ${DURATION}s" >&2
    out=$("${PIN_C[@]}" "$LOADGEN" chat --state-dir "$WORK/state" --conns "$OPS" --pipeline 1 \
            "${flag[@]}" --duration "$DURATION" --warmup "$WARMUP" --server-pid "$GPID" |
          grep '^RESULT')
    val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$out"; }
    printf "| %s | %s | %s | %.2f | %.2f | %s | %s%% |\n" "$OPS" "$who" "$(val rps)" \
      "$(awk "BEGIN{print $(val p50_us)/1000}")" "$(awk "BEGIN{print $(val p99_us)/1000}")" \
      "$(val errors)" "$(val cpu_server)"
  done
fi
