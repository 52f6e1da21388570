#!/usr/bin/env bash
# The whole test run, as CI runs it (.ci/run -> this script; `make test` is the same):
#   1. install missing Debian packages
#   2. fuzz smoke: build the libFuzzer targets (clang) and run each briefly
#   3. ASan+UBSan build and its unit + integration tests
#   4. release build and every test (unit, integration, interop) — last, so the output
#      ends with ctest's summary line
# Knobs for local runs: SIMPLECLAW_SKIP_FUZZ=1, SIMPLECLAW_SKIP_ASAN=1, FUZZ_SECONDS=N.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
stage() { echo; echo "==> [$(( $(date +%s) - start ))s] $*"; }

stage "dependencies"
bash scripts/deps.sh
# Real MCP servers from npm for the MCP client tests (skipped quietly when offline).
bash tests/fakes/install_mcp_servers.sh

if [ "${SIMPLECLAW_SKIP_FUZZ:-0}" != 1 ]; then
  stage "fuzz targets (clang + libFuzzer), ${FUZZ_SECONDS:-20}s each"
  cmake --preset fuzz >/dev/null
  targets="fuzz_frame_decoder fuzz_config_loader fuzz_stream_decoder fuzz_shell_parser fuzz_irc_message fuzz_channel_payloads"
  cmake --build --preset fuzz --target $targets
  for f in $targets; do
    corpus=$(mktemp -d)
    cp fuzz/corpus/"${f#fuzz_}"/* "$corpus"/ 2>/dev/null || true
    echo "fuzz: $f"
    ./build-fuzz/fuzz/"$f" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
    rm -rf "$corpus"
  done
fi

if [ "${SIMPLECLAW_SKIP_ASAN:-0}" != 1 ]; then
  stage "ASan + UBSan build and tests"
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan
fi

stage "release build and all tests (unit, integration, interop)"
cmake --preset default >/dev/null
cmake --build --preset default
echo "total so far: $(( $(date +%s) - start ))s"
ctest --preset default
