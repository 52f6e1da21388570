#!/usr/bin/env bash
# Interop test: the official `openai` npm client against simpleclaw's OpenAI-compatible
# API (docs/http-api.md), with the fake LLM as the agent's model: models.list, a streamed
# and a plain chat completion, responses.create, and an exec call held for approval
# (approved, then denied). The checks are in openai_client.mjs.
#
# Usage: tests/interop/openai_client.sh <simpleclaw-binary> <sc_fake_llm-binary>
#
# Installs (once, idempotently) into ${SIMPLECLAW_INTEROP_CACHE:-$HOME/.cache/simpleclaw-interop}:
#   node/              Node 24 (lib.sh), shared with the other interop tests
#   openai-<ver>/      openai@<ver>
# Only the npm registry is contacted, and only when something is missing. Without it (offline)
# the test is skipped with a message saying so (exit 0, "SKIPPED").
#
# Output ends with "N passed, N failed"; exit status is non-zero on any failure.
set -u -o pipefail

OPENAI_VERSION=7.55.0

log() { printf '[interop-openai] %s\n' "$*" >&2; }
die() { printf '[interop-openai] ERROR: %s\n' "$*" >&2; echo "0 passed, 1 failed"; exit 1; }
skip() { printf '[interop-openai] SKIPPED: %s\n' "$*" >&2; echo "SKIPPED: $*"; exit 0; }

[ $# -eq 2 ] || { echo "usage: $0 <simpleclaw-binary> <sc_fake_llm-binary>" >&2; exit 2; }
BIN=$(readlink -f "$1") FAKE=$(readlink -f "$2")
[ -x "$BIN" ] && [ -x "$FAKE" ] || { echo "$0: not executable: $BIN / $FAKE" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
OA_DIR="$CACHE/openai-$OPENAI_VERSION"

install_all() {
  if ! node_ok || [ ! -f "$OA_DIR/.installed" ]; then
    npm_reachable "openai@$OPENAI_VERSION" ||
      skip "$CACHE lacks Node $NODE_MAJOR / openai@$OPENAI_VERSION and the npm registry is unreachable ($NPM_SAID)"
  fi
  ensure_node
  [ -f "$OA_DIR/.installed" ] || npm_install "$OA_DIR" "openai@$OPENAI_VERSION"
}
with_install_lock install_all
# ES modules resolve packages next to the script: run a copy beside node_modules.
cp "$HERE/openai_client.mjs" "$OA_DIR/openai_client.mjs"

interop_tmp openai
start_fake_llm "$FAKE"

TOKEN=openai-interop-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$TMP/config.yaml" <<YAML
gateway:
  auth: {mode: token, token: $TOKEN}
  http:
    endpoints: {chat_completions: {enabled: true}, responses: {enabled: true}}
$(fake_model_yaml "$LLM_PORT")
YAML
start_gateway "$BIN"
log "gateway on $PORT, fake LLM on $LLM_PORT, openai@$OPENAI_VERSION, node $("$NODE" -v)"

timeout 300 "$NODE" "$OA_DIR/openai_client.mjs" --base-url "http://127.0.0.1:$PORT/v1" \
  --token "$TOKEN" --bin "$BIN" 2>&1 | tee "$TMP/driver.log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || log "gateway log tail: $(tail -20 "$TMP/gw.err")"
exit "$rc"
