#!/usr/bin/env python3
"""dice-tool: an example simpleclaw tool plugin (stdlib only, JSON-RPC 2.0 over stdio)."""
import json
import random
import sys

config = {}

TOOLS = [
    {"name": "roll", "description": "Roll dice: count dice with sides sides each.",
     "inputSchema": {"type": "object", "required": ["sides"], "properties": {
         "sides": {"type": "integer", "minimum": 2},
         "count": {"type": "integer", "minimum": 1, "maximum": 100}}}},
    {"name": "upper", "description": "Upper-case a text.",
     "inputSchema": {"type": "object", "required": ["text"],
                     "properties": {"text": {"type": "string"}}}},
]


def call(name, args):
    if name == "roll":
        sides = int(args.get("sides", 6))
        count = int(args.get("count", 1))
        limit = int(config.get("max_sides", 100))
        if sides < 2 or sides > limit:
            return {"content": [{"type": "text", "text": "sides must be 2..%d" % limit}],
                    "isError": True}
        rolls = [random.randint(1, sides) for _ in range(max(1, min(count, 100)))]
        return {"content": [{"type": "text", "text": " ".join(map(str, rolls))}]}
    if name == "upper":
        return {"content": [{"type": "text", "text": str(args.get("text", "")).upper()}]}
    raise KeyError(name)


def main():
    global config
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if not isinstance(msg, dict) or "method" not in msg:
            continue
        method, params, mid = msg["method"], msg.get("params") or {}, msg.get("id")
        result, error = {}, None
        if method == "initialize":
            config = params.get("config") or {}
            result = {"name": "dice-tool", "version": "1.0.0", "capabilities": {"tools": True}}
        elif method == "tools/list":
            result = {"tools": TOOLS}
        elif method == "tools/call":
            try:
                result = call(params.get("name"), params.get("arguments") or {})
            except KeyError:
                error = {"code": -32602, "message": "unknown tool %s" % params.get("name")}
        elif method in ("ping", "shutdown"):
            result = {}
        else:
            error = {"code": -32601, "message": "Method not found: %s" % method}
        if mid is not None:
            reply = {"jsonrpc": "2.0", "id": mid}
            reply["error" if error else "result"] = error or result
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
        if method == "shutdown":
            return


if __name__ == "__main__":
    main()
