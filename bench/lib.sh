# Sourced by the bench scripts: binaries, CPU pinning, a work dir, the fake LLM and a
# gateway. The caller sets NAME (its name in messages) first.

# need_binaries PATH...: each must be executable, else exit 2 saying to build first.
need_binaries() {
  for b in "$@"; do
    [[ -x $b ]] || { echo "$NAME: $b not found; build first (cmake --build ${BUILD:-build})" >&2; exit 2; }
  done
}

# pin_cpus: PIN_S (the server) and PIN_C (the clients) run on CPUs BENCH_SERVER_CPU [0] and
# BENCH_CLIENT_CPU [1] with taskset; both empty (and PINNING says so) where that fails.
pin_cpus() {
  SCPU=${BENCH_SERVER_CPU:-0} CCPU=${BENCH_CLIENT_CPU:-1}
  PIN_S=(taskset -c "$SCPU") PIN_C=(taskset -c "$CCPU")
  PINNING="server pinned to CPU $SCPU, load generator to CPU $CCPU (taskset)"
  if ! taskset -c "$SCPU" true 2>/dev/null || ! taskset -c "$CCPU" true 2>/dev/null; then
    echo "$NAME: cannot pin to CPUs $SCPU/$CCPU; running unpinned" >&2
    PIN_S=() PIN_C=() PINNING="unpinned (taskset unavailable)"
  fi
}

# bench_workdir: WORK, a temp dir removed at exit after every pid in PIDS is killed.
bench_workdir() {
  WORK=$(mktemp -d "/tmp/sc-$NAME.XXXXXX")
  PIDS=()
  trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
}

# start_fake_llm FAKE [ARGS...]: sc_fake_llm on the client CPU; its port in FPORT.
start_fake_llm() {
  "${PIN_C[@]}" "$@" --port 0 >"$WORK/fake.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q '^port ' "$WORK/fake.out" && break; sleep 0.05; done
  FPORT=$(awk '/^port /{print $2}' "$WORK/fake.out")
  [[ -n $FPORT ]] || { echo "$NAME: sc_fake_llm did not start" >&2; exit 1; }
}

# start_gateway GATEWAY CONFIG: a gateway on the server CPU with state in $WORK/state; its
# pid in GPID and port in PORT.
start_gateway() {
  "${PIN_S[@]}" "$1" gateway --port 0 --state-dir "$WORK/state" --config "$2" \
    2>"$WORK/gateway.err" &
  GPID=$!
  PIDS+=($GPID)
  for _ in $(seq 100); do [[ -f $WORK/state/gateway.json ]] && break; sleep 0.05; done
  [[ -f $WORK/state/gateway.json ]] || { cat "$WORK/gateway.err" >&2; exit 1; }
  PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' \
    "$WORK/state/gateway.json")
}
