#!/usr/bin/env bash
# Browser tests of the Control UI (ctest label e2e): installs playwright-core from the
# committed lockfile (once; npm ci), then runs every *.test.mjs with node's test runner
# against the given binaries in headless Debian chromium. Screenshots of the panels go to
# build/e2e-artifacts (SC_E2E_ARTIFACTS).
#
# Usage: tests/e2e/run.sh <simpleclaw> <sc_fake_llm> [test files...]
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
log() { printf '[e2e] %s\n' "$*" >&2; }
die() { printf '[e2e] ERROR: %s\n' "$*" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: $0 <simpleclaw> <sc_fake_llm> [tests...]" >&2; exit 2; }
export SC_BIN=$(readlink -f "$1") SC_FAKE_LLM=$(readlink -f "$2")
shift 2
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || die "$CHROMIUM is missing: run scripts/deps.sh (installs Debian's chromium)"
# playwright-core needs Node >= 20; Debian 12's nodejs is 18: use the Node the interop
# tests keep in their cache (tests/interop/lib.sh, installed from npm once).
# shellcheck source=../interop/lib.sh
. "$HERE/../interop/lib.sh"
with_install_lock ensure_node
export PATH="$(dirname "$NODE"):$PATH"
export SC_E2E_ARTIFACTS=${SC_E2E_ARTIFACTS:-$(dirname "$SC_BIN")/../e2e-artifacts}
# One npm ci at a time (ctest runs two test files at once).
exec 9>"$HERE/.npm.lock"
flock 9
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.installed-lock" 2>/dev/null; then
  log "npm ci (playwright-core) ..."
  (cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >&2 ||
    die "npm ci in $HERE failed: the npm registry must be reachable once"
  cp "$HERE/package-lock.json" "$HERE/node_modules/.installed-lock"
fi
flock -u 9
cd "$HERE"
if [ $# -eq 0 ]; then set -- ./*.test.mjs; fi
exec node --test --test-concurrency=1 --test-reporter=spec "$@"
