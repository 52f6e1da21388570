#!/usr/bin/env bash
# Interop test: OpenClaw's own Control UI (dist/control-ui of the openclaw npm package),
# served by simpleclaw through gateway.control_ui.root, opened in headless Debian
# Chromium (driven by npm playwright-core) with #token=, as a user would. It visits the
# panels, sends a chat message to the fake LLM and waits for the streamed reply on screen,
# allows an exec command from the approval prompt and finds it in the Approvals panel's
# history, opens the Usage and Models panels again to find the chat's tokens and cost, and
# fails on any error banner, page error or failed method in those panels.
#
# Usage: tests/interop/control_ui.sh <simpleclaw-binary> <sc_fake_llm-binary>
#
# Needs /usr/bin/chromium (scripts/deps.sh installs Debian's chromium). Node and openclaw
# come from openclaw_cli.sh --install-only; playwright-core is installed once into
# ${SIMPLECLAW_INTEROP_CACHE:-~/.cache/simpleclaw-interop}/browser-<ver>.
# SIMPLECLAW_INTEROP_KEEP=1 keeps the temp dir (gateway log, screenshots, result.json).
set -u -o pipefail

PLAYWRIGHT_VERSION=1.65.2
HERE=$(cd "$(dirname "$0")" && pwd)
log() { printf '[control-ui] %s\n' "$*" >&2; }
die() { printf '[control-ui] ERROR: %s\n' "$*" >&2; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 <simpleclaw-binary> <sc_fake_llm-binary>" >&2; exit 2; }
BIN=$(readlink -f "$1") FAKE=$(readlink -f "$2")
[ -x "$BIN" ] && [ -x "$FAKE" ] || { echo "$0: not executable: $BIN / $FAKE" >&2; exit 2; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || die "$CHROMIUM is missing: run scripts/deps.sh (installs Debian's chromium)"

eval "$(bash "$HERE/openclaw_cli.sh" --install-only)" || die "installing Node and openclaw failed"
UI_ROOT="$OC_DIR/node_modules/openclaw/dist/control-ui"
[ -f "$UI_ROOT/index.html" ] || die "no Control UI build at $UI_ROOT"
PW_DIR="$CACHE/browser-$PLAYWRIGHT_VERSION"
install_browser() {
  [ -f "$PW_DIR/.installed" ] || npm_install "$PW_DIR" "playwright-core@$PLAYWRIGHT_VERSION"
}
with_install_lock install_browser
# ES modules resolve packages next to the script: run a copy that sits beside node_modules.
cp "$HERE/control_ui.mjs" "$PW_DIR/control_ui.mjs"

interop_tmp cui
start_fake_llm "$FAKE"

TOKEN=control-ui-test-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$TMP/config.yaml" <<EOF
gateway:
  auth: {mode: token, token: $TOKEN}
  control_ui: {root: $UI_ROOT}
$(fake_model_yaml "$LLM_PORT" | sed 's/max_tokens: 256}/max_tokens: 256, cost: {input: 2, output: 8}}/')
EOF
start_gateway "$BIN"
log "gateway on $PORT, fake LLM on $LLM_PORT, UI from $UI_ROOT"

# A scheduled job for the Automations panel to list.
"$BIN" call cron.add --url "ws://127.0.0.1:$PORT" --token "$TOKEN" --params \
  '{"name":"nightly digest","schedule":{"kind":"cron","expr":"30 2 * * *","tz":"Europe/Berlin"},"payload":{"kind":"agentTurn","message":"digest"},"delivery":{"mode":"none"}}' \
  >"$TMP/cron_add.json" 2>&1 || die "cron.add failed: $(cat "$TMP/cron_add.json")"

# Every panel the issue names. Usage and Models are visited again after the chat
# (--after-panels), when there is usage to show.
PANELS=chat,sessions,agents,agent-settings,channels,systems,devices,approvals,config,models,logs,usage,automations,connection,debug
mkdir -p "$TMP/shots"
CHROMIUM="$CHROMIUM" timeout 600 "$NODE" "$PW_DIR/control_ui.mjs" --url "http://127.0.0.1:$PORT" \
  --token "$TOKEN" --panels "$PANELS" --chat "hello from the browser" \
  --expect-reply "echo: hello from the browser" --approve run-probe --after-panels usage,models \
  --shots "$TMP/shots" --out "$TMP/result.json" \
  >"$TMP/driver.log" 2>&1 || die "the browser run failed: $(tail -20 "$TMP/driver.log")"

# Judge: every panel loads without a failed method or an error on screen; the reply shows.
"$NODE" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const KNOWN = new Set();
  let pass = 0, fail = 0;
  const check = (name, problems) => {
    if (problems.length === 0) { pass++; console.log("PASS " + name); }
    else { fail++; console.log("FAIL " + name + "\n     | " + problems.join("\n     | ")); }
  };
  const failed = (list) => list.filter((f) => !KNOWN.has(f.method))
    .map((f) => f.method + ": " + (f.error && f.error.message));
  const bootFailed = r.bootCalls.filter((c) => !c.ok && !KNOWN.has(c.method)).map((c) => c.method + ": " + c.error);
  check("boot (connect, pairing, first page)", [...bootFailed, ...r.boot.banners,
    ...(r.boot.url.includes("/chat") ? [] : ["landed on " + r.boot.url])]);
  for (const p of r.panels) {
    const problems = [...failed(p.failed), ...p.banners,
      ...(p.pageErrors || []).map((e) => "page error: " + e)];
    if (p.methods.length === 0) problems.push("no method was called (did the panel load?)");
    if (p.id === "automations" && !p.text.includes("nightly digest"))
      problems.push("the scheduled job is not listed on screen");
    check("panel " + p.id + " (" + p.route + ")", problems);
  }
  // After the chat: the Usage and Models panels again, now with usage to show. The
  // fake model costs $2/$8 per 1M tokens, so the chat session has tokens and a cost.
  for (const p of r.afterPanels || []) {
    const problems = [...failed(p.failed), ...p.banners,
      ...(p.pageErrors || []).map((e) => "page error: " + e)];
    if (!p.methods.includes("sessions.usage")) problems.push("sessions.usage was not called");
    const last = p.usage[p.usage.length - 1];
    const used = last ? last.sessions.filter((s) => s.usage && s.usage.totalTokens > 0) : [];
    if (used.length === 0) problems.push("sessions.usage listed no session with tokens");
    else if (!(last.totals.totalCost > 0)) problems.push("the priced model cost nothing: " + JSON.stringify(last.totals));
    check("panel " + p.id + " after the chat (" + p.route + ")", problems);
  }
  const c = r.chat || {};
  check("chat: the streamed reply is on screen", [
    ...(c.replyOnScreen ? [] : ["the reply never appeared"]),
    ...(c.methods || []).includes("chat.send") ? [] : ["chat.send was not called"],
    ...((c.chatEvents || []).includes("final") ? [] : ["no final chat event"]),
    ...(c.pageErrors || []).map((e) => "page error: " + e),
    ...failed(c.failed || [])]);
  const a = r.approval || {};
  check("approval: allowed from the UI, the command ran, the history shows it", [
    ...(a.requested ? [] : ["no exec.approval.requested event"]),
    ...(a.clicked ? [] : ["no allow button on screen"]),
    ...(a.decision === "allow-once" ? [] : ["resolved as " + a.decision]),
    ...(a.runFinished && a.replyOnScreen ? [] : ["the run did not finish on screen"]),
    ...(a.inHistory ? [] : ["the Approvals panel history does not list it"]),
    ...(a.pageErrors || []).map((e) => "page error: " + e),
    ...failed(a.failed || [])]);
  console.log(pass + " passed, " + fail + " failed");
  process.exit(fail ? 1 : 0);' "$TMP/result.json"
