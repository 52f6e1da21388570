#!/usr/bin/env bash
# scripts/fuzz-long.sh [SECONDS_PER_TARGET] [BUILD_DIR] — the long fuzzing campaign (not
# in CI; CI's scripts/test.sh runs each target for 10 s).
#
# Runs every libFuzzer target in BUILD_DIR/fuzz (default build-asan: ASan + UBSan +
# libFuzzer; build it with `cmake --preset asan && cmake --build --preset asan`) for
# SECONDS_PER_TARGET (default 1800) or until it has made FUZZ_EXECS executions (default
# 10,000,000), whichever comes first, on FUZZ_JOBS workers (default: the CPU count). Each
# target starts from fuzz/corpus/<name>/ and the inputs that reached new code are merged
# back into it (minimized, so the corpus stays small): commit them. A crash, leak or
# timeout stops that target; its reproducer is saved as fuzz/findings/<target>-*.
#
# To end a campaign early and still keep its corpus, create the stop file it names at the
# start (FUZZ_STOP_FILE, default /tmp/sc-fuzz-long.stop): the running target stops at once
# (the fork parent waits in system(), which ignores SIGINT, and it does not read
# -stop_file, so the script sends it SIGTERM), its corpus is merged, and the remaining
# targets are skipped.
#
# Output: progress per target on stderr, then one markdown table on stdout (target,
# executions, exec/s, corpus files before/after, findings). Exit 1 if anything was found.
set -euo pipefail

SECONDS_PER=${1:-1800}
BUILD=${2:-build-asan}
EXECS=${FUZZ_EXECS:-10000000}
JOBS=${FUZZ_JOBS:-$(nproc)}
STOP=${FUZZ_STOP_FILE:-/tmp/sc-fuzz-long.stop}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

shopt -s nullglob
targets=("$BUILD"/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz-long: no targets in $BUILD/fuzz; build them: cmake --preset asan && cmake --build --preset asan" >&2
  exit 2
fi
mkdir -p fuzz/findings
rm -f "$STOP"
echo "fuzz-long: to stop early and keep the corpus: touch $STOP" >&2
WORK=$(mktemp -d /tmp/sc-fuzz-long.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

rows=()
found=0
for t in "${targets[@]}"; do
  [ -x "$t" ] || continue
  [ -e "$STOP" ] && break
  name=$(basename "$t")
  short=${name#fuzz_}
  corpus=fuzz/corpus/$short
  mkdir -p "$corpus"
  before=$(find "$corpus" -type f | wc -l)
  live="$WORK/$short"
  mkdir -p "$live"
  cp "$corpus"/* "$live"/ 2>/dev/null || true
  # Each worker gets an equal share of the executions; -fork shares one corpus.
  per_job=$(( (EXECS + JOBS - 1) / JOBS ))
  echo "fuzz-long: $name for up to ${SECONDS_PER}s / $EXECS execs on $JOBS worker(s)" >&2
  log="$WORK/$short.log"
  touch "$log.start"
  t0=$(date +%s)
  "$t" -fork="$JOBS" -ignore_crashes=0 -max_total_time="$SECONDS_PER" -runs="$EXECS" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/findings/$short-" "$live" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -e "$STOP" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
    sleep 2
  done
  set +e
  wait "$pid"
  rc=$?
  set -e
  # Executions: the fork mode's last status line ("#N ... exec/s: M"), else the stats.
  execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  [ -n "$execs" ] || execs=$(awk '/stat::number_of_executed_units/{print $2}' "$log" | tail -1 || true)
  took=$(( $(date +%s) - t0 ))
  rate=$(( ${execs:-0} / (took > 0 ? took : 1) ))
  crashes=$(find fuzz/findings -name "$short-*" -newer "$log.start" 2>/dev/null | wc -l || true)
  if [ "$rc" -ne 0 ] && grep -qE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|SUMMARY:' "$log"; then
    found=1
    crashes=$(( crashes > 0 ? crashes : 1 ))
    echo "fuzz-long: $name FOUND a problem; see $log (kept as fuzz/findings/$short.log)" >&2
    cp "$log" "fuzz/findings/$short.log"
  fi
  # Keep what reached new code, minimized into the committed corpus.
  "$t" -merge=1 "$corpus" "$live" >/dev/null 2>&1 || true
  after=$(find "$corpus" -type f | wc -l)
  rows+=("| $name | ${execs:-?} | ${rate:-?} | $before → $after | $crashes |")
  echo "fuzz-long: $name: ${execs:-?} execs, ${rate:-?}/s, corpus $before → $after" >&2
done

echo "| target | executions | exec/s | corpus files | findings |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
exit $found
