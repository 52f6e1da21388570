#!/usr/bin/env bash
# Interop test: drive a running `simpleclaw gateway` with the real OpenClaw CLI
# (`openclaw gateway call ... --json`) and check the published protocol schema.
#
# Usage: tests/interop/openclaw_cli.sh <path-to-simpleclaw-binary> [<sc_fake_llm-binary>]
#
# With the fake LLM the gateway also gets a model and a Telegram account (the fake Bot API,
# tests/fakes/fake_telegram.py), and the scripted commands are checked against what the
# gateway and the fakes hold: `openclaw agent --message`, `approvals resolve` of the exec
# call the model makes, `message send`.
#
# Installs (once, idempotently) into ${SIMPLECLAW_INTEROP_CACHE:-$HOME/.cache/simpleclaw-interop}:
#   node/       Node 24 runtime from the npm package node-linux-<arch>@24 (openclaw needs >= 24.16)
#   openclaw-<ver>/   openclaw@<ver> (the CLI), installed with that Node on PATH
#   tools-<ver>/      @openclaw/gateway-protocol@<ver> + ajv + ws (raw-frame schema checks)
# Only the npm registry is contacted, and only when something is missing.
#
# Env:
#   SIMPLECLAW_INTEROP_CACHE   cache dir (default $HOME/.cache/simpleclaw-interop)
#   SIMPLECLAW_INTEROP_KEEP=1  keep the temp dir (gateway log, CLI outputs) for debugging
#
# Output ends with "N passed, N failed"; exit status is non-zero on any failure.
set -u -o pipefail

OPENCLAW_VERSION=2026.9.6
PROTOCOL_PKG_VERSION=2026.9.1
GATEWAY_READY_TIMEOUT_S=10
CLI_TIMEOUT_MS=10000

log() { printf '[interop] %s\n' "$*" >&2; }
die() { printf '[interop] ERROR: %s\n' "$*" >&2; exit 1; }
# a failure after the install step still ends with the summary line
die_test() { printf '[interop] ERROR: %s\n' "$*" >&2; echo "0 passed, 1 failed"; exit 1; }

# --install-only: install (or find) Node and OpenClaw, print NODE=, OC_ENTRY=, OC_DIR= lines
# and exit (used by control_ui.sh).
INSTALL_ONLY=0
if [ "${1:-}" = "--install-only" ]; then
  INSTALL_ONLY=1
elif [ $# -lt 1 ] || [ $# -gt 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: $0 <path-to-simpleclaw-binary> [<sc_fake_llm-binary>] | --install-only" >&2
  exit 2
else
  BIN=$1
  case "$BIN" in /*) ;; *) BIN="$(pwd)/$BIN" ;; esac
  [ -x "$BIN" ] || { echo "$0: not an executable file: $BIN" >&2; exit 2; }
  FAKE_LLM=${2:-}
  if [ -n "$FAKE_LLM" ]; then
    case "$FAKE_LLM" in /*) ;; *) FAKE_LLM="$(pwd)/$FAKE_LLM" ;; esac
    [ -x "$FAKE_LLM" ] || { echo "$0: not an executable file: $FAKE_LLM" >&2; exit 2; }
  fi
fi
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# ---------------------------------------------------------------------------
# 1. install Node 24 + openclaw CLI + protocol schema tools (idempotent)
# ---------------------------------------------------------------------------
OC_DIR="$CACHE/openclaw-$OPENCLAW_VERSION"
OC_ENTRY="$OC_DIR/node_modules/openclaw/openclaw.mjs"
TOOLS_DIR="$CACHE/tools-$PROTOCOL_PKG_VERSION"
SCHEMA_FILE="$TOOLS_DIR/node_modules/@openclaw/gateway-protocol/protocol.schema.json"

install_all() {
  ensure_node
  # openclaw's own scripts (preinstall/postinstall) are run: its postinstall completes the
  # package lifecycle marker that the CLI otherwise completes (by writing into the package) on first run.
  if [ ! -f "$OC_DIR/.installed" ] || [ ! -f "$OC_ENTRY" ]; then
    npm_install "$OC_DIR" "openclaw@$OPENCLAW_VERSION"
  fi
  if [ ! -f "$TOOLS_DIR/.installed" ] || [ ! -f "$SCHEMA_FILE" ]; then
    npm_install "$TOOLS_DIR" "@openclaw/gateway-protocol@$PROTOCOL_PKG_VERSION" "ajv@8" "ws@8"
  fi
}
with_install_lock install_all
log "node $("$NODE" -v), openclaw $OPENCLAW_VERSION, gateway-protocol $PROTOCOL_PKG_VERSION (cache: $CACHE)"
if [ "$INSTALL_ONLY" = 1 ]; then
  printf 'NODE=%s\nOC_ENTRY=%s\nOC_DIR=%s\nCACHE=%s\n' "$NODE" "$OC_ENTRY" "$OC_DIR" "$CACHE"
  exit 0
fi

# ---------------------------------------------------------------------------
# 2. start the gateway
# ---------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/simpleclaw-interop.XXXXXX") || die "mktemp failed"
STATE="$TMP/state"
GW_PID="" FAKE_PID="" TG_PID=""
cleanup() {
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
  [ -n "$TG_PID" ] && kill "$TG_PID" 2>/dev/null
  if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$GW_PID" 2>/dev/null; then
      pkill -KILL -P "$GW_PID" 2>/dev/null
      kill -KILL "$GW_PID" 2>/dev/null
    fi
    wait "$GW_PID" 2>/dev/null
  fi
  if [ "${SIMPLECLAW_INTEROP_KEEP:-0}" = 1 ]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The CLI writes only its Node compile cache (into os.tmpdir()); keep that in the cache dir.
mkdir -p "$TMP/gw-home" "$TMP/oc-home" "$CACHE/tmp"
TG_PORT=""
if [ -n "$FAKE_LLM" ]; then
  # A model ("run-probe" in a message makes it call exec, which needs an approval) and a
  # Telegram bot on the fake Bot API; the token stays generated (no auth in the file).
  "$FAKE_LLM" --exec-when run-probe >"$TMP/fake_llm.out" 2>"$TMP/fake_llm.err" &
  FAKE_PID=$!
  python3 -u "$HERE/../fakes/fake_telegram.py" "4242:TESTTOKEN" >"$TMP/fake_tg.out" 2>"$TMP/fake_tg.err" &
  TG_PID=$!
  for _ in $(seq 100); do
    grep -q '^port ' "$TMP/fake_llm.out" 2>/dev/null && grep -q port "$TMP/fake_tg.out" 2>/dev/null && break
    sleep 0.05
  done
  LLM_PORT=$(awk '/^port /{print $2}' "$TMP/fake_llm.out")
  TG_PORT=$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' "$TMP/fake_tg.out" | head -1)
  [ -n "$LLM_PORT" ] && [ -n "$TG_PORT" ] || die_test "the fakes did not start: $(cat "$TMP/fake_llm.err" "$TMP/fake_tg.err")"
  mkdir -p "$STATE"
  cat >"$STATE/config.yaml" <<EOF
$(fake_model_yaml "$LLM_PORT")
channels:
  telegram:
    token: "4242:TESTTOKEN"
    api_base: http://127.0.0.1:$TG_PORT
    poll_timeout_s: 2
    allow_from: [111]
gateway:
  # Plays a reverse proxy on loopback, so a client can come "from elsewhere" (the device
  # pairing check sends X-Forwarded-For); every other client here sends no such header.
  trusted_proxies: [127.0.0.1/32]
EOF
fi
log "starting: $BIN gateway --port 0 --state-dir $STATE"
env -u SIMPLECLAW_CONFIG -u SIMPLECLAW_PORT -u SIMPLECLAW_GATEWAY_TOKEN -u SIMPLECLAW_HOME \
  HOME="$TMP/gw-home" \
  "$BIN" gateway --port 0 --state-dir "$STATE" >"$TMP/gateway.log" 2>&1 &
GW_PID=$!

PORT=""
GW_JSON_PID=""
deadline=$((SECONDS + GATEWAY_READY_TIMEOUT_S))
while [ $SECONDS -le $deadline ]; do
  if ! kill -0 "$GW_PID" 2>/dev/null; then
    wait "$GW_PID"; rc=$?; GW_PID=""
    tail -40 "$TMP/gateway.log" >&2
    die_test "gateway exited (status $rc) before writing $STATE/gateway.json"
  fi
  if [ -s "$STATE/gateway.json" ] && [ -s "$STATE/gateway.token" ]; then
    if info=$("$NODE" -e '
        const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        if (!Number.isInteger(j.port) || j.port <= 0 || !Number.isInteger(j.pid)) process.exit(1);
        if (j.url !== "ws://127.0.0.1:" + j.port) { console.error("bad url in gateway.json: " + j.url); process.exit(1); }
        console.log(j.port + " " + j.pid);' "$STATE/gateway.json" 2>/dev/null); then
      PORT=${info% *}; GW_JSON_PID=${info#* }
      break
    fi
  fi
  sleep 0.1
done
if [ -z "$PORT" ]; then
  tail -40 "$TMP/gateway.log" >&2
  [ -f "$STATE/gateway.json" ] && { echo "gateway.json:" >&2; cat "$STATE/gateway.json" >&2; }
  die_test "gateway did not write a valid $STATE/gateway.json (+ gateway.token) within ${GATEWAY_READY_TIMEOUT_S}s"
fi
URL="ws://127.0.0.1:$PORT"
TOKEN=$(tr -d '\r\n' <"$STATE/gateway.token")
log "gateway ready at $URL (pid $GW_JSON_PID)"

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); printf 'PASS %s\n' "$1"; }
fail() {
  FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$1"
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/     | /'
  return 0
}

# oc NAME METHOD [extra args...] -> runs the CLI; stdout in $TMP/NAME.out, stderr in $TMP/NAME.err, rc in $OC_RC
oc() {
  local name=$1; shift
  env -u OPENCLAW_GATEWAY_URL -u OPENCLAW_GATEWAY_TOKEN -u OPENCLAW_GATEWAY_PASSWORD \
      -u OPENCLAW_CONFIG_PATH -u OPENCLAW_STATE_DIR -u OPENCLAW_HOME -u OPENCLAW_PROFILE \
      -u NODE_OPTIONS \
      HOME="$TMP/oc-home" TMPDIR="$CACHE/tmp" NO_COLOR=1 FORCE_COLOR=0 CI=1 \
      PATH="$(dirname "$NODE"):$PATH" \
      timeout 60 "$NODE" "$OC_ENTRY" gateway call "$@" --url "$URL" --timeout "$CLI_TIMEOUT_MS" --json \
      >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
  OC_RC=$?
}

# ocx NAME ARGS... -> runs an everyday `openclaw <ARGS>` command (not `gateway call`) pointed
# at our gateway the way a user would: OPENCLAW_GATEWAY_URL / OPENCLAW_GATEWAY_TOKEN.
ocx() {
  local name=$1; shift
  env -u OPENCLAW_CONFIG_PATH -u OPENCLAW_STATE_DIR -u OPENCLAW_HOME -u OPENCLAW_PROFILE \
      -u NODE_OPTIONS -u OPENCLAW_GATEWAY_PASSWORD \
      OPENCLAW_GATEWAY_URL="$URL" OPENCLAW_GATEWAY_TOKEN="$TOKEN" \
      HOME="$TMP/oc-home" TMPDIR="$CACHE/tmp" NO_COLOR=1 FORCE_COLOR=0 CI=1 \
      PATH="$(dirname "$NODE"):$PATH" \
      timeout 90 "$NODE" "$OC_ENTRY" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
  OC_RC=$?
}

# check_cmd NAME EXPR -- ARGS...: an everyday command exits 0 and prints JSON satisfying EXPR.
check_cmd() {
  local name=$1 expr=$2; shift 3
  ocx "$name" "$@"
  judge "$name" ok "$expr"
}

# jtest FILE EXPR -> evaluates JS EXPR with j = parsed JSON of FILE, T = gateway token
jtest() {
  "$NODE" -e '
    const fs = require("fs");
    let j;
    try { j = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); }
    catch (e) { console.error("stdout is not JSON: " + e.message); process.exit(2); }
    const T = process.argv[3];
    let ok = false;
    try { ok = Boolean(new Function("j", "T", "return (" + process.argv[2] + ");")(j, T)); }
    catch (e) { console.error("assertion threw: " + e.message); }
    process.exit(ok ? 0 : 1);' "$1" "$2" "$TOKEN"
}

# check_call NAME EXPECT(ok|fail) EXPR -- METHOD ARGS...
check_call() {
  local name=$1 expect=$2 expr=$3; shift 4
  oc "$name" "$@"
  judge "$name" "$expect" "$expr"
}

# judge NAME EXPECT EXPR: the last command's exit status (OC_RC) and its JSON stdout.
judge() {
  local name=$1 expect=$2 expr=$3
  local why=""
  if [ "$expect" = ok ] && [ "$OC_RC" -ne 0 ]; then why="exit status $OC_RC (expected 0)"; fi
  if [ "$expect" = fail ] && [ "$OC_RC" -eq 0 ]; then why="exit status 0 (expected non-zero)"; fi
  if [ -z "$why" ]; then
    local jerr
    if ! jerr=$(jtest "$TMP/$name.out" "$expr" 2>&1); then why="assertion failed: $expr${jerr:+ ($jerr)}"; fi
  fi
  if [ -z "$why" ]; then
    pass "$name"
  else
    fail "$name" "$why" "stdout: $(head -c 1500 "$TMP/$name.out")" "stderr: $(head -c 800 "$TMP/$name.err")"
  fi
}

# ---------------------------------------------------------------------------
# 3. checks
# ---------------------------------------------------------------------------
mode=$(stat -c '%a' "$STATE/gateway.token" 2>/dev/null)
if [ "$mode" = 600 ]; then pass "gateway.token has mode 0600"; else fail "gateway.token has mode 0600" "mode is $mode"; fi
if [ "${#TOKEN}" -ge 43 ]; then pass "gateway.token is >= 32 bytes base64url"; else fail "gateway.token is >= 32 bytes base64url" "length ${#TOKEN}"; fi

# The CLI prints the res payload (pretty JSON) on stdout and exits 0 on success.
check_call "cli health" ok \
  'j.ok === true && Number.isInteger(j.ts) && j.ts > 0' \
  -- health --token "$TOKEN"

check_call "cli status" ok \
  'typeof j.version === "string" && j.version.length > 0 && Number.isInteger(j.pid) && j.pid === '"$GW_JSON_PID" \
  -- status --token "$TOKEN"

check_call "cli config.get" ok \
  '/^[0-9a-f]{64}$/.test(j.hash) && typeof j.path === "string" && j.path.length > 0 && typeof j.raw === "string" && !j.raw.includes(T) && !JSON.stringify(j).includes(T)' \
  -- config.get --token "$TOKEN"

check_call "cli config.schema" ok \
  'j.schema !== null && typeof j.schema === "object" && j.uiHints !== null && typeof j.uiHints === "object"' \
  -- config.schema --token "$TOKEN"

check_call "cli system-presence" ok \
  'Array.isArray(j) && j.every(e => e && Number.isInteger(e.ts))' \
  -- system-presence --token "$TOKEN"

check_call "cli health with --params" ok \
  'j.ok === true && Number.isInteger(j.ts)' \
  -- health --token "$TOKEN" --params '{"probe":false}'

check_call "cli exec.approval.list" ok \
  'Array.isArray(j)' \
  -- exec.approval.list --token "$TOKEN"

# Everyday commands (they fell back to local files while our schemas refused their fields).
check_cmd "openclaw approvals pending" \
  'Array.isArray(j.approvals) && j.approvals.length === 0' \
  -- approvals pending --json
check_cmd "openclaw devices list" \
  'Array.isArray(j.pending) && Array.isArray(j.paired) && !JSON.stringify(j).includes(T)' \
  -- devices list --json
check_cmd "openclaw channels status" \
  'Array.isArray(j.channelOrder) && j.channelOrder.includes("webchat") && j.channelLabels.webchat === "Web chat"' \
  -- channels status --json

# Scripted commands, checked against what the gateway and the fakes hold afterwards.
if [ -n "$FAKE_LLM" ]; then
  check_cmd "openclaw agent --message" \
    'j.status === "ok" && j.result.payloads.length === 1 && j.result.payloads[0].text === "echo: hello agent" && j.result.meta.agentMeta.sessionKey === "agent:main:main"' \
    -- agent --message "hello agent" --json
  check_call "cli chat.history holds the agent turn" ok \
    'j.messages.length === 2 && j.messages[0].content[0].text === "hello agent" && j.messages[1].content[0].text === "echo: hello agent"' \
    -- chat.history --token "$TOKEN" --params '{"sessionKey":"main"}'

  # An agent run whose exec call waits for a human: `approvals pending` shows it,
  # `approvals resolve` allows it, and the run finishes with the command's outcome.
  ocx "agent-probe" agent --message "run-probe please" --json &
  PROBE_PID=$!
  APPROVAL_ID=""
  for _ in $(seq 60); do
    ocx "approvals-pending-probe" approvals pending --json
    APPROVAL_ID=$("$NODE" -e 'try { const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (j.approvals.length === 1) console.log(j.approvals[0].id); } catch {}' "$TMP/approvals-pending-probe.out")
    [ -n "$APPROVAL_ID" ] && break
    sleep 0.5
  done
  if [ -n "$APPROVAL_ID" ]; then pass "openclaw approvals pending shows the exec call"; else fail "openclaw approvals pending shows the exec call" "$(cat "$TMP/approvals-pending-probe.out")"; fi
  check_cmd "openclaw approvals resolve" \
    'j.applied === true && j.approval.decision === "allow-once" && j.approval.presentation.commandText === "echo run-probe-ran"' \
    -- approvals resolve "${APPROVAL_ID:-missing}" allow-once --json
  wait "$PROBE_PID"; OC_RC=$?
  judge "agent-probe" ok 'j.status === "ok" && j.result.payloads[0].text === "exec done: run-probe"'
  check_call "cli exec.approval.list is empty again" ok 'Array.isArray(j) && j.length === 0' \
    -- exec.approval.list --token "$TOKEN"

  # The agent turns' tokens, by OpenClaw's own usage report. The fake model has no price
  # in this config: its replies are counted and flagged as missing a cost, never priced.
  check_cmd "openclaw gateway usage-cost" \
    'j.daily.length === 7 && j.totals.totalTokens > 0 && j.totals.totalCost === 0 && j.totals.missingCostEntries >= 2 && j.totals.missingCostByModel["fake/gpt-test"] === j.totals.missingCostEntries' \
    -- gateway usage-cost --days 7 --all-agents --json

  check_cmd "openclaw message send" \
    'j.action === "send" && j.channel === "telegram" && typeof j.messageId === "string" && j.messageId.length > 0' \
    -- message send --channel telegram --target 111 -m "hi from the openclaw cli" --json
  if "$NODE" -e '
      require("http").get(process.argv[1], (r) => { let b = ""; r.on("data", (d) => b += d); r.on("end", () => {
        const sent = JSON.parse(b);
        process.exit(sent.filter((m) => m.chat_id === "111" && m.text === "hi from the openclaw cli").length === 1 ? 0 : 1); }); });' \
      "http://127.0.0.1:$TG_PORT/control/sent"; then
    pass "the Telegram chat got the message once"
  else
    fail "the Telegram chat got the message once" "$(curl -s "http://127.0.0.1:$TG_PORT/control/sent" | head -c 800)"
  fi
fi

# Everyday read commands, checked against what the gateway holds.
check_cmd "openclaw health" \
  'j.ok === true && Number.isInteger(j.ts) && typeof j.channels === "object" && j.channels.webchat !== undefined' \
  -- health --json
check_cmd "openclaw status" \
  'JSON.stringify(j).includes("'"$PORT"'") && !JSON.stringify(j).includes(T)' \
  -- status --json
check_cmd "openclaw nodes status" \
  'Array.isArray(j.nodes) && j.nodes.length === 0' \
  -- nodes status --json

# Automations: a job added by OpenClaw's CLI, listed, run now (the CLI waits for the run
# record by the run id cron.run answered) and its run record read back.
check_cmd "openclaw cron add" \
  'typeof j.id === "string" && j.name === "interop cron" && j.schedule.kind === "every" && j.schedule.everyMs === 3600000 && j.payload.kind === "agentTurn" && j.payload.message === "cron probe" && j.delivery.mode === "none"' \
  -- cron add --name "interop cron" --every 1h --message "cron probe" --no-deliver --json
CRON_ID=$("$NODE" -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).id || "") } catch { console.log("") }' "$TMP/openclaw cron add.out")
check_cmd "openclaw cron list" \
  'j.jobs.some((x) => x.id === "'"$CRON_ID"'" && x.name === "interop cron" && x.state.nextRunAtMs > Date.now())' \
  -- cron list --json
check_cmd "openclaw cron run --wait" \
  'j.ok === true && typeof j.runId === "string"' \
  -- cron run "$CRON_ID" --wait --poll-interval 200ms --wait-timeout 30s --json
check_cmd "openclaw cron runs" \
  'j.entries.length === 1 && j.entries[0].status === "ok" && j.entries[0].summary.includes("cron probe") && j.entries[0].jobId === "'"$CRON_ID"'"' \
  -- cron runs "$CRON_ID" --json
# Heartbeats: none configured here, so none has happened; pausing and resuming answers as
# OpenClaw's CLI expects.
check_cmd "openclaw system heartbeat last" 'j === null' -- system heartbeat last --json
check_cmd "openclaw system heartbeat disable" 'j.ok === true && j.enabled === false' \
  -- system heartbeat disable --json
check_cmd "openclaw system heartbeat enable" 'j.ok === true && j.enabled === true' \
  -- system heartbeat enable --json
ocx "logs" logs --json --limit 50
# JSON lines: a meta record, then log records whose time and message OpenClaw could read.
if [ "$OC_RC" -eq 0 ] && "$NODE" -e '
    const out = require("fs").readFileSync(process.argv[1], "utf8");
    const recs = out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const logs = recs.filter((r) => r.type === "log");
    const ok = recs[0].type === "meta" && /gateway\.log$/.test(recs[0].file) && logs.length > 0 &&
      logs.every((r) => r.message && r.time) && logs.some((r) => /connected from 127\.0\.0\.1/.test(r.message)) &&
      !out.includes(process.argv[2]);
    process.exit(ok ? 0 : 1);' "$TMP/logs.out" "$TOKEN"; then
  pass "openclaw logs shows the gateway's log lines (time, message; no token)"
else
  fail "openclaw logs shows the gateway's log lines (time, message; no token)" "exit $OC_RC" "stdout: $(head -c 1200 "$TMP/logs.out")" "stderr: $(head -c 600 "$TMP/logs.err")"
fi

if [ -n "$FAKE_LLM" ]; then
  # sessions: archive the session the agent run wrote to; the gateway's row says so.
  check_cmd "openclaw sessions archive" \
    'j.ok === true && j.results.length === 1 && j.results[0].status === "archived"' \
    -- sessions archive agent:main:main --json
  check_call "cli sessions.list shows it archived" ok \
    'j.sessions.some((s) => s.key === "agent:main:main" && s.archived === true)' \
    -- sessions.list --token "$TOKEN"

  # devices: a device from another address waits for approval; `devices approve` lets it in.
  DEV_KEY="$TMP/device-key.pem"
  "$NODE" "$HERE/device_request.cjs" "$TOOLS_DIR" "$URL" "$TOKEN" "$DEV_KEY" >"$TMP/device1.out" 2>&1
  DEV_REQ=$("$NODE" -e 'try { const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (j.ok === false && j.details.requestId) console.log(j.details.requestId); } catch {}' "$TMP/device1.out")
  if [ -n "$DEV_REQ" ]; then pass "a device from elsewhere waits for approval"; else fail "a device from elsewhere waits for approval" "$(cat "$TMP/device1.out")"; fi
  check_cmd "openclaw devices list shows the request" \
    'j.pending.some((p) => p.requestId === "'"$DEV_REQ"'")' \
    -- devices list --json
  ocx "devices-approve" devices approve "${DEV_REQ:-missing}" --json
  judge "devices-approve" ok 'JSON.stringify(j).includes("'"$DEV_REQ"'")'
  "$NODE" "$HERE/device_request.cjs" "$TOOLS_DIR" "$URL" "$TOKEN" "$DEV_KEY" >"$TMP/device2.out" 2>&1
  if grep -q '"ok":true' "$TMP/device2.out" && grep -q '"deviceToken":true' "$TMP/device2.out"; then
    pass "the approved device connects and gets its device token"
  else
    fail "the approved device connects and gets its device token" "$(cat "$TMP/device2.out")"
  fi
fi

check_call "cli node.list" ok \
  'Array.isArray(j.nodes) && Number.isInteger(j.ts)' \
  -- node.list --token "$TOKEN"

check_call "cli node.pair.list" ok \
  'Array.isArray(j.pending) && Array.isArray(j.paired)' \
  -- node.pair.list --token "$TOKEN"

check_call "cli exec.approval.resolve unknown id fails" fail \
  'j.ok === false && j.error.code === "APPROVAL_NOT_FOUND"' \
  -- exec.approval.resolve --token "$TOKEN" --params '{"id":"00000000-0000-4000-8000-000000000000","decision":"deny"}'

# Errors: with --json the CLI prints {ok:false,error:{type,code,message,details?,retryable}} and exits 1.
check_call "cli unknown method fails" fail \
  'j.ok === false && j.error.type === "gateway_request_error" && j.error.code === "INVALID_REQUEST" && j.error.message === "unknown method: simpleclaw.no-such-method"' \
  -- simpleclaw.no-such-method --token "$TOKEN"

check_call "cli wrong token fails" fail \
  'j.ok === false && j.error.type === "gateway_request_error" && j.error.code === "INVALID_REQUEST" && /^unauthorized/.test(j.error.message) && j.error.details && j.error.details.code === "AUTH_TOKEN_MISMATCH"' \
  -- health --token "wrong-$TOKEN"

# Raw-frame checks against @openclaw/gateway-protocol's protocol.schema.json (what strict clients validate).
cat >"$TMP/raw_checks.cjs" <<'EOF'
const fs = require("fs");
const [toolsDir, schemaFile, url, token] = process.argv.slice(2);
const WebSocket = require(toolsDir + "/node_modules/ws");
const Ajv = require(toolsDir + "/node_modules/ajv");
const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(schema, "oc");
const def = (name) => ajv.getSchema("oc#/definitions/" + name);
const sub = (s) => ajv.compile({ ...s, definitions: schema.definitions });
const V = {
  event: def("EventFrame"), res: def("ResponseFrame"), hello: def("HelloOk"), presence: def("PresenceEntry"),
  tick: def("TickEvent"), shutdown: def("ShutdownEvent"),
  health: sub(schema.definitions.HelloOk.properties.snapshot.properties.health),
};
const results = [];
const check = (name, ok, detail) => results.push({ name, ok: Boolean(ok), detail: ok ? undefined : detail });
const errs = (v) => JSON.stringify(v.errors || []).slice(0, 1500);

function session(tok, onReady) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const frames = [];
    const pending = new Map();
    let n = 0;
    const req = (method, params) => new Promise((res) => {
      const id = `${++n}:${method}`;
      pending.set(id, res);
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
    const timer = setTimeout(() => { check("raw session finished in time", false, "timeout; frames: " + JSON.stringify(frames).slice(0, 1500)); ws.terminate(); }, 10000);
    ws.on("message", (data) => {
      let f;
      try { f = JSON.parse(data.toString()); } catch { check("server frames are JSON", false, data.toString().slice(0, 300)); return; }
      frames.push(f);
      if (f.type === "res" && pending.has(f.id)) { const r = pending.get(f.id); pending.delete(f.id); r(f); }
      if (frames.length === 1) onReady({ ws, req, frames, first: f });
    });
    ws.on("error", (e) => check("raw websocket connects", false, String(e)));
    ws.on("close", (code, reason) => { clearTimeout(timer); resolve({ frames, code, reason: reason.toString() }); });
  });
}

// Same connect params the openclaw CLI sends (recorded from openclaw@2026.9.6 `gateway call`).
const connectParams = (tok) => ({
  minProtocol: 4, maxProtocol: 4,
  client: { id: "cli", version: "2026.9.6", platform: "linux", deviceFamily: "Linux", mode: "cli", instanceId: "00000000-0000-4000-8000-000000000001" },
  caps: [], auth: { token: tok }, role: "operator", scopes: ["operator.read"],
});

(async () => {
  // --- good session
  const good = await session(token, async ({ ws, req, first }) => {
    check("first frame is event connect.challenge", first.type === "event" && first.event === "connect.challenge", JSON.stringify(first));
    check("connect.challenge is a valid EventFrame", V.event(first), errs(V.event));
    const p = first.payload || {};
    check("connect.challenge payload {nonce: string, ts: integer}", typeof p.nonce === "string" && p.nonce.length > 0 && Number.isInteger(p.ts), JSON.stringify(p));
    const hello = await req("connect", connectParams(token));
    check("connect res is a valid ResponseFrame", V.res(hello), errs(V.res));
    check("connect res ok:true", hello.ok === true, JSON.stringify(hello).slice(0, 800));
    if (hello.ok) {
      const h = hello.payload;
      check("hello-ok validates against HelloOk (closed)", V.hello(h), errs(V.hello));
      check("hello-ok protocol 4", h.protocol === 4, h.protocol);
      check("hello-ok policy values", h.policy && h.policy.maxPayload === 26214400 && h.policy.maxBufferedBytes === 52428800 && h.policy.tickIntervalMs === 30000, JSON.stringify(h.policy));
      const sd = h.snapshot && h.snapshot.sessionDefaults;
      check("hello-ok sessionDefaults", sd && sd.defaultAgentId === "main" && sd.mainKey === "main" && sd.mainSessionKey === "agent:main:main", JSON.stringify(sd));
      check("hello-ok auth.role operator with requested scope", h.auth && h.auth.role === "operator" && Array.isArray(h.auth.scopes) && h.auth.scopes.includes("operator.read"), JSON.stringify(h.auth));
      const m = (h.features && h.features.methods) || [];
      const missing = ["health", "status", "system-presence", "config.get", "config.schema"].filter((x) => !m.includes(x));
      check("hello-ok features.methods lists the called methods", missing.length === 0, "missing: " + missing.join(","));
    }
    const health = await req("health", {});
    check("health res is a valid ResponseFrame", V.res(health), errs(V.res));
    check("health payload validates against snapshot.health (closed)", health.ok && V.health(health.payload), errs(V.health) + " " + JSON.stringify(health).slice(0, 500));
    const pres = await req("system-presence", {});
    check("system-presence entries validate against PresenceEntry (closed)",
      pres.ok && Array.isArray(pres.payload) && pres.payload.every((e) => V.presence(e)), errs(V.presence) + " " + JSON.stringify(pres).slice(0, 500));
    const unk = await req("simpleclaw.no-such-method", {});
    check("unknown method res is a valid ResponseFrame", V.res(unk), errs(V.res));
    check("unknown method error", unk.ok === false && unk.error && unk.error.code === "INVALID_REQUEST" && unk.error.message === "unknown method: simpleclaw.no-such-method", JSON.stringify(unk));
    ws.close(1000);
  });
  // every event after the handshake: valid frame, seq present and consecutive from 1
  const evs = good.frames.filter((f) => f.type === "event").slice(1);
  check("post-handshake events are valid EventFrames", evs.every((f) => V.event(f)), JSON.stringify(evs).slice(0, 800));
  check("post-handshake events carry consecutive seq from 1", evs.every((f, i) => f.seq === i + 1), JSON.stringify(evs.map((f) => [f.event, f.seq])));
  const ticks = evs.filter((f) => f.event === "tick");
  check("tick payloads validate", ticks.every((f) => V.tick(f.payload)), JSON.stringify(ticks).slice(0, 300));
  check("all res frames are valid ResponseFrames", good.frames.filter((f) => f.type === "res").every((f) => V.res(f)), "");

  // --- wrong token
  let wrongRes = null;
  const bad = await session("wrong-" + token, async ({ req }) => { wrongRes = await req("connect", connectParams("wrong-" + token)); });
  check("wrong-token res is a valid ResponseFrame", wrongRes && V.res(wrongRes), errs(V.res));
  check("wrong-token error INVALID_REQUEST unauthorized AUTH_TOKEN_MISMATCH",
    wrongRes && wrongRes.ok === false && wrongRes.error.code === "INVALID_REQUEST" && /^unauthorized/.test(wrongRes.error.message) &&
    wrongRes.error.details && wrongRes.error.details.code === "AUTH_TOKEN_MISMATCH", JSON.stringify(wrongRes));
  check("wrong-token socket closed with 1008", bad.code === 1008, `close ${bad.code} ${bad.reason}`);

  for (const r of results) console.log((r.ok ? "PASS raw: " : "FAIL raw: ") + r.name + (r.ok ? "" : "\n     | " + String(r.detail)));
  process.exit(0);
})().catch((e) => { console.log("FAIL raw: checks crashed\n     | " + (e && e.stack || e)); process.exit(0); });
EOF
raw_out=$(timeout 60 "$NODE" "$TMP/raw_checks.cjs" "$TOOLS_DIR" "$SCHEMA_FILE" "$URL" "$TOKEN" 2>&1)
raw_rc=$?
printf '%s\n' "$raw_out"
PASS=$((PASS + $(printf '%s\n' "$raw_out" | grep -c '^PASS ')))
FAIL=$((FAIL + $(printf '%s\n' "$raw_out" | grep -c '^FAIL ')))
if [ "$raw_rc" -ne 0 ] || ! printf '%s\n' "$raw_out" | grep -q '^\(PASS\|FAIL\) '; then
  fail "raw protocol checks ran" "exit status $raw_rc"
fi

# Params schemas: every field OpenClaw's published schema allows is taken; unknown fields
# are refused where OpenClaw refuses them.
pc_out=$("$NODE" "$HERE/params_compat.cjs" "$SCHEMA_FILE" "$HERE/../../src/gateway/protocol/schemas/methods" 2>&1)
printf '%s\n' "$pc_out"
PASS=$((PASS + $(printf '%s\n' "$pc_out" | grep -c '^PASS ')))
FAIL=$((FAIL + $(printf '%s\n' "$pc_out" | grep -c '^FAIL ')))

# The gateway is still alive after all of the above, then shuts down cleanly on SIGTERM.
if kill -0 "$GW_PID" 2>/dev/null; then
  pass "gateway still running after the calls"
  kill -TERM "$GW_PID"
  stopped=0
  for _ in $(seq 1 50); do kill -0 "$GW_PID" 2>/dev/null || { stopped=1; break; }; sleep 0.1; done
  if [ "$stopped" = 1 ]; then
    wait "$GW_PID"; rc=$?
    GW_PID=""
    if [ "$rc" -eq 0 ]; then pass "gateway exits 0 within 5s of SIGTERM"; else fail "gateway exits 0 within 5s of SIGTERM" "exit status $rc"; fi
  else
    fail "gateway exits 0 within 5s of SIGTERM" "still running after 5s"
  fi
else
  fail "gateway still running after the calls" "$(tail -20 "$TMP/gateway.log")"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
