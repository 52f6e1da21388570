#!/usr/bin/env bash
# Builds the Control UI (web/control-ui) into DIR: npm ci from the committed lockfile when
# node_modules does not match it (the npm registry must be reachable that once), then
# esbuild through build.mjs. Called by the build (src/gateway/CMakeLists.txt); by hand:
#   bash scripts/build-ui.sh build/control-ui
# `--check` instead type-checks the sources (tsc --noEmit; CI's static checks).
set -euo pipefail
out=${1:?usage: build-ui.sh OUT_DIR | --check}
ui=$(cd "$(dirname "$0")/../web/control-ui" && pwd)
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "build-ui: node and npm are needed to build the Control UI: run scripts/deps.sh" >&2; exit 1; }
# One npm ci at a time (two build trees may build the UI at once).
exec 9>"$ui/.npm.lock"
flock 9
if ! cmp -s "$ui/package-lock.json" "$ui/node_modules/.installed-lock" 2>/dev/null; then
  echo "build-ui: npm ci in $ui ..." >&2
  (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error) ||
    { echo "build-ui: npm ci failed: the npm registry must be reachable once (then node_modules is kept)" >&2; exit 1; }
  cp "$ui/package-lock.json" "$ui/node_modules/.installed-lock"
fi
flock -u 9
if [ "$out" = --check ]; then
  (cd "$ui" && ./node_modules/.bin/tsc --noEmit -p .) && echo "control-ui: types check"
  exit
fi
node "$ui/build.mjs" --out "$out"
