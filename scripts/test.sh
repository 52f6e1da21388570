#!/usr/bin/env bash
# The whole test run, as CI runs it (.ci/run -> this script; `make test` is the same):
#   1. install missing Debian packages; static checks: every #include against the layer
#      order (scripts/check_layering.py) and clang-format (scripts/check_format.sh)
#   2. ASan+UBSan build (clang, Debug at -O1: asserts on, and the tests run faster than
#      at -O0) of everything, the libFuzzer targets included: the libraries are compiled
#      once for both (coverage instrumentation is harmless in the tests); fuzz smoke:
#      each target runs briefly; then the unit + integration tests
#   3. release build and every test (unit, integration, interop, e2e: the Control UI in
#      headless Chromium) — last, so the output
#      ends with ctest's summary line
# Knobs for local runs: SIMPLECLAW_SKIP_FUZZ=1, SIMPLECLAW_SKIP_ASAN=1 (skips both),
# FUZZ_SECONDS=N.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
stage() { echo; echo "==> [$(( $(date +%s) - start ))s] $*"; }

stage "dependencies"
bash scripts/deps.sh

stage "static checks: layers and formatting"
python3 scripts/check_layering.py
bash scripts/check_format.sh
bash scripts/build-ui.sh --check   # the Control UI's TypeScript
# Real MCP servers from npm for the MCP client tests (skipped quietly when offline).
bash tests/fakes/install_mcp_servers.sh

if [ "${SIMPLECLAW_SKIP_ASAN:-0}" != 1 ]; then
  stage "ASan + UBSan build (clang, with the libFuzzer targets)"
  cmake --preset asan >/dev/null
  cmake --build --preset asan

  if [ "${SIMPLECLAW_SKIP_FUZZ:-0}" != 1 ]; then
    stage "fuzz smoke, ${FUZZ_SECONDS:-10}s each"
    for f in build-asan/fuzz/fuzz_*; do
      [ -x "$f" ] || continue
      name=$(basename "$f")
      corpus=$(mktemp -d)
      cp fuzz/corpus/"${name#fuzz_}"/* "$corpus"/ 2>/dev/null || true
      echo "fuzz: $name"
      "$f" -max_total_time="${FUZZ_SECONDS:-10}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
      rm -rf "$corpus"
    done
  fi

  stage "ASan + UBSan tests"
  ctest --preset asan
fi

stage "release build and all tests (unit, integration, interop, e2e)"
cmake --preset default >/dev/null
cmake --build --preset default
echo "total so far: $(( $(date +%s) - start ))s"
ctest --preset default
