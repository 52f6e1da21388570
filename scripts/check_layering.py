#!/usr/bin/env python3
"""Checks every #include "..." in src/ and include/ against the layer order.

The layers, bottom up (docs/architecture.md, "Layers"), and what each may include
besides itself. A folder is a layer; gateway/protocol is its own layer below the gateway.

  sdk        include/simpleclaw: the extension SDK. Standard library and nlohmann/json
             only: nothing under src/.
  base       Result re-exports, logging, clocks, ids, files
  cron       schedules of scheduled jobs: cron expressions, time zones, next due times
  config     typed config, YAML, schema
  store      SQLite
  net        HTTP/TLS/WebSocket clients, URLs, SSE
  proc       child processes, stdio JSON-RPC, supervision
  protocol   frames, codec, schemas, scopes, error wire codes
  providers  LLM wire formats, catalog, model calls
  sessions   keys, the session store, its writer thread
  nodes      device identity, pairing
  tools      tool runner, exec policy and approvals, MCP, file tools
  channels   the channel manager and the platform connectors
  discovery  mDNS, Tailscale
  agents     agent directory, run engine, session service
  plugins    the out-of-process plugin host and the built-in registry list
  gateway    the composition root, methods, server
  cli        the command line

Also: gateway/methods/* may not include gateway/gateway.h (handlers get Services);
only gateway/server/*.cpp, net/* and cli/ws_client.cpp may include Beast headers; a
private header (PRIVATE below) is included only by the files it names.

Exit 0 when clean; else prints each violation (file:line: what) and exits 1.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LAYERS = {
    "sdk": set(),
    "base": {"sdk"},
    "cron": {"sdk", "base"},
    "config": {"sdk", "base"},
    "store": {"sdk", "base"},
    "net": {"sdk", "base"},
    "proc": {"sdk", "base"},
    "protocol": {"sdk", "base"},
    "providers": {"sdk", "base", "config", "net"},
    "sessions": {"sdk", "base", "config", "store"},
    "cluster": {"sdk", "base", "config", "store", "sessions"},
    "nodes": {"sdk", "base", "config"},
    "tools": {"sdk", "base", "config", "net", "proc"},
    "channels": {"sdk", "base", "config", "net", "sessions"},
    "discovery": {"sdk", "base", "config", "proc"},
    "agents": {"sdk", "base", "config", "providers", "sessions", "tools"},
    "plugins": {"sdk", "base", "config", "net", "proc", "providers", "tools", "channels"},
    "gateway": {"sdk", "base", "cron", "config", "store", "net", "proc", "protocol", "providers",
                "sessions", "cluster", "nodes", "tools", "channels", "discovery", "agents", "plugins"},
    "cli": {"sdk", "base", "cron", "config", "store", "net", "proc", "protocol", "providers",
            "sessions", "cluster", "nodes", "tools", "channels", "discovery", "agents",
            "plugins", "gateway"},
}

# Headers private to a few files: header -> the path prefix of the files that may include it.
PRIVATE = {
    "agents/run_state.h": "src/agents/run_",
    "providers/wire_internal.h": "src/providers/",
}

BEAST_ALLOWED = ("src/gateway/server/", "src/net/", "src/cli/ws_client.cpp")
INCLUDE = re.compile(r'^\s*#\s*include\s*(["<])([^">]+)[">]')


def layer_of_path(rel):
    """The layer a file under src/ or include/ belongs to."""
    if rel.startswith("include/simpleclaw/"):
        return "sdk"
    if rel.startswith("src/gateway/protocol/"):
        return "protocol"
    parts = rel.split("/")
    if len(parts) >= 3 and parts[0] == "src" and parts[1] in LAYERS:
        return parts[1]
    return None  # src/main.cpp and build files


def layer_of_include(target):
    """The layer an include "dir/file.h" names; None for a non-project header."""
    if target.startswith("simpleclaw/"):
        return "sdk"
    if target.startswith("gateway/protocol/"):
        return "protocol"
    head = target.split("/")[0]
    return head if head in LAYERS and "/" in target else None


def main():
    problems = []
    checked = 0
    for top in ("src", "include"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)
                layer = layer_of_path(rel)
                if layer is None:
                    continue
                checked += 1
                with open(path, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        quote, target = m.groups()
                        where = f"{rel}:{lineno}"
                        if target.startswith("boost/beast") and not rel.startswith(BEAST_ALLOWED):
                            problems.append(f"{where}: Beast outside the server, net/ and the "
                                            f"CLI client ({target})")
                        if quote != '"':
                            continue
                        if ".." in target.split("/"):
                            problems.append(f"{where}: relative include {target}")
                            continue
                        if layer == "sdk" and not target.startswith("simpleclaw/"):
                            problems.append(f"{where}: the SDK includes a private header "
                                            f"{target} (only simpleclaw/... and system "
                                            f"headers)")
                            continue
                        owner = PRIVATE.get(target)
                        if owner and not rel.startswith(owner):
                            problems.append(f"{where}: {target} is private to {owner}*")
                        dep = layer_of_include(target)
                        if dep is None or dep == layer:
                            if (rel.startswith("src/gateway/methods/")
                                    and target == "gateway/gateway.h"):
                                problems.append(f"{where}: a method handler includes "
                                                f"gateway/gateway.h (use gateway/services.h)")
                            continue
                        if dep not in LAYERS[layer]:
                            problems.append(f"{where}: {layer} may not include {dep} "
                                            f"({target}); allowed: "
                                            f"{', '.join(sorted(LAYERS[layer])) or 'nothing'}")
    if problems:
        print("\n".join(problems))
        print(f"check_layering: {len(problems)} include(s) against the layer order "
              f"(scripts/check_layering.py, docs/architecture.md)")
        return 1
    print(f"check_layering: {checked} files, every include follows the layer order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
