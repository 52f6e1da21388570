#!/usr/bin/env bash
# bench/http_api.sh [BUILD_DIR] — /v1/chat/completions overhead (issue 16, docs/benchmarks.md).
#
# A gateway (pinned to CPU 0) whose only model is sc_fake_llm answering instantly (pinned
# to CPU 1 with the client), with the OpenAI-compatible endpoint on. bench/http_api_client.py
# keeps 1 and 100 keep-alive connections busy, each request a fresh agent session, and
# reports request -> whole answer p50/p99 and requests/s, non-streaming and streaming
# (SSE, until [DONE]). What is measured is the gateway's HTTP + run overhead over the LLM:
# body parsed, session created, user message committed, run started, provider streamed,
# reply committed, answer written. Builds nothing; progress on stderr, one markdown table
# on stdout. Knobs: BENCH_DURATION [5], BENCH_WARMUP [1], BENCH_HTTP_RUNS ["1 100"].
set -euo pipefail

BUILD=${1:-build}
NAME=http_api.sh
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
GATEWAY=$BUILD/src/simpleclaw
FAKE=$BUILD/tests/sc_fake_llm
CLIENT=$(dirname "$0")/http_api_client.py
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
RUNS=${BENCH_HTTP_RUNS:-"1 100"}
need_binaries "$GATEWAY" "$FAKE"
pin_cpus
bench_workdir
start_fake_llm "$FAKE"
TOKEN=bench-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$WORK/config.yaml" <<YAML
gateway:
  auth: {mode: token, token: $TOKEN}
  http:
    endpoints: {chat_completions: {enabled: true}}
models:
  default: fake/instant
  providers:
    fake: {api: openai, base_url: "http://127.0.0.1:$FPORT/v1", models: [{id: instant}]}
sessions: {max_queue: 10000}
logging: {level: warn}
YAML
start_gateway "$GATEWAY" "$WORK/config.yaml"

echo "| concurrency | mode | requests | errors | req/s | p50 ms | p99 ms |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for c in $RUNS; do
  for mode in json sse; do
    flag=""
    [[ $mode == sse ]] && flag=--stream
    echo "http_api.sh: $c concurrent, $mode, ${DURATION}s ..." >&2
    # shellcheck disable=SC2086
    out=$("${PIN_C[@]}" python3 "$CLIENT" "$PORT" "$TOKEN" "$c" "$DURATION" --warmup "$WARMUP" $flag)
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("| %d | %s | %d | %d | %s | %s | %s |" % (r["concurrency"], sys.argv[2], r["requests"],
      r["errors"], r["rps"], r["p50_ms"], r["p99_ms"]))' "$out" "$mode"
  done
done
kill -0 "$GPID" 2>/dev/null || { echo "http_api.sh: the gateway died" >&2; cat "$WORK/gateway.err" >&2; exit 1; }
echo "http_api.sh: gateway RSS $(awk '/VmHWM/{print $2" "$3}' /proc/$GPID/status) peak" >&2
