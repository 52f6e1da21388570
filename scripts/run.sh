#!/usr/bin/env bash
# The README's first command: install missing Debian packages, build (release preset),
# run the gateway on the embedded default config (or ~/.simpleclaw/config.yaml).
# Extra arguments go to `simpleclaw gateway`, e.g. `bash scripts/run.sh --port 18790`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
exec ./build/src/simpleclaw gateway "$@"
