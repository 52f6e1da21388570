#!/usr/bin/env bash
# Installs the reference MCP servers that tests/unit/tools/mcp_client_test.cpp runs
# against when present (@modelcontextprotocol/server-everything and server-filesystem).
# Optional: without npm or without network this prints why and exits 0; the tests that
# need the servers then skip. The install directory is shared by all worktrees:
#   ${SIMPLECLAW_TEST_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simpleclaw-test-npm}
set -u
dir="${SIMPLECLAW_TEST_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simpleclaw-test-npm}"
packages=(
  "@modelcontextprotocol/server-everything@2026.8.31"
  "@modelcontextprotocol/server-filesystem@2026.8.31"
)
if ! command -v npm >/dev/null 2>&1; then
  echo "install_mcp_servers: npm not found; the npm MCP server tests will skip"
  exit 0
fi
if ! mkdir -p "$dir"; then
  echo "install_mcp_servers: cannot create $dir; the npm MCP server tests will skip"
  exit 0
fi
if npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "${packages[@]}"; then
  echo "install_mcp_servers: installed into $dir"
else
  echo "install_mcp_servers: npm install failed (offline?); the npm MCP server tests will skip"
fi
exit 0
