#!/usr/bin/env bash
# bench/link_order.sh [BUILD_DIR] — remakes cmake/link_order.txt, the order lld gives the
# gateway's functions (src/CMakeLists.txt; why: docs/benchmarks.md, "Idle RSS (issue 18)").
#
# Runs BUILD_DIR/src/simpleclaw gateway (default config, fresh state dir) under valgrind's
# callgrind: start, then 35 s idle (the 15 s health refresh and the 30 s tick run once),
# then a dump; then health RPCs from BUILD_DIR/bench/sc_loadgen over a few connections.
# Writes the functions of our binary that ran, as linker symbol names: first those of the
# start and the idle time, then those the RPCs added. Needs valgrind; takes ~1.5 minutes.
# Rerun it after big changes to what the start-up runs: names it lists that no longer
# exist are skipped by the linker, functions it misses only cost idle RSS.
set -euo pipefail

BUILD=${1:-build}
NAME=link_order.sh
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
GATEWAY=$BUILD/src/simpleclaw
LOADGEN=$BUILD/bench/sc_loadgen
OUT=$(cd "$(dirname "$0")/.." && pwd)/cmake/link_order.txt
need_binaries "$GATEWAY" "$LOADGEN"
command -v valgrind >/dev/null || { echo "$NAME: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
bench_workdir

log() { echo "[link_order] $*" >&2; }

log "gateway under callgrind: start + 35 s idle"
valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.%p" --dump-instr=no \
  --compress-strings=no --compress-pos=no --demangle=no \
  "$GATEWAY" gateway --port 0 --state-dir "$WORK/state" >"$WORK/gateway.out" 2>&1 &
GPID=$!
PIDS+=($GPID)
for _ in $(seq 600); do [[ -s $WORK/state/gateway.json ]] && break; sleep 0.1; done
[[ -s $WORK/state/gateway.json ]] || { cat "$WORK/gateway.out" >&2; exit 1; }
sleep 35
callgrind_control -d "$GPID" >/dev/null 2>&1
log "health RPCs"
"$LOADGEN" rpc --state-dir "$WORK/state" --conns 4 --pipeline 2 --duration 3 --warmup 1 \
  --setup-timeout 60 >/dev/null 2>&1 || true
kill "$GPID"
wait "$GPID" 2>/dev/null || true

# Each dump: "ob=<object>" then "fn=<symbol>" lines; keep the symbols of our binary that
# have a cost line (they ran), in the order of the dumps.
python3 - "$OUT" "$(basename "$GATEWAY")" "$WORK"/cg.* <<'EOF'
import sys
# cg.PID.1 (start + idle, dumped), then cg.PID (the rest, written at exit)
def part(p):
    tail = p.rsplit(".", 1)[-1]
    return (0, int(tail)) if p.count(".") > 1 and tail.isdigit() else (1, 0)
out, exe, dumps = sys.argv[1], sys.argv[2], sorted(sys.argv[3:], key=part)
seen, order = set(), []
for path in dumps:
    ob = fn = None
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            ob = line[3:].strip()
        elif line.startswith("fn="):
            fn = line[3:].strip()
        elif fn and ob and line[:1].isdigit() and ob.endswith("/" + exe):
            if fn not in seen:
                seen.add(fn)
                order.append(fn)
with open(out, "w") as f:
    f.write("\n".join(order) + "\n")
print(f"link_order: {len(order)} functions -> {out}", file=sys.stderr)
EOF
# Then the read-only data with a name, less what a start leaves alone: the type names
# (_ZTS*, ~0.5 MB) and the Control UI's and the protocol schemas' embedded files. Callgrind
# does not see data reads; so the small tables (and the config's embedded schema, read at
# every start) sit together after the strings instead of in scattered 64 KB windows.
nm --defined-only "$GATEWAY" | awk '$2 ~ /^[rR]$/ {print $3}' | grep -v '^_ZTS' |
  grep -vE '_ZN10simpleclaw(7gateway|8protocol)12_GLOBAL__N_1L[0-9]+d[0-9]+E' >>"$OUT"
log "$(wc -l <"$OUT") names in $OUT"
