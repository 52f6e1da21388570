#!/usr/bin/env python3
"""A small MCP server on stdio for the McpClient tests (Python 3 standard library only).

Newline-delimited JSON-RPC 2.0 on stdin/stdout, log lines on stderr. It answers
initialize, tools/list (two pages: the second needs cursor "page2"), tools/call and ping.

Tools:
  echo {text}      -> the text
  add {a, b}       -> the sum (also as structuredContent {"sum": ...})
  fail             -> isError: true
  slow {ms}        -> sleeps ms milliseconds, then answers
  crash            -> exits with code 3 without answering
  garbage          -> prints a non-JSON line, then answers
  ping_me          -> sends a ping request to the client and answers once the reply came
  ask_unknown      -> sends a roots/list request; answers with the error code it got back
  notify           -> adds the tool "extra" and sends notifications/tools/list_changed
  image            -> a text part and a 4-byte PNG image part
  huge             -> prints one 9 MiB line (over the client's limit)

Options: --protocol V (answer this protocolVersion whatever the client asked),
         --starts FILE (append one line per start, so tests can count restarts).
"""
import base64
import json
import os
import sys
import time

SUPPORTED = ("2024-11-05", "2025-03-26", "2025-06-18")


def schema(props=None, required=None):
    s = {"type": "object", "properties": props or {}}
    if required:
        s["required"] = required
    return s


PAGE1 = [
    {"name": "echo", "description": "Echoes the text back",
     "inputSchema": schema({"text": {"type": "string"}}, ["text"])},
    {"name": "add", "description": "Adds two numbers",
     "inputSchema": schema({"a": {"type": "number"}, "b": {"type": "number"}}, ["a", "b"])},
    {"name": "fail", "description": "Always reports an error", "inputSchema": schema()},
    {"name": "slow", "description": "Sleeps ms milliseconds",
     "inputSchema": schema({"ms": {"type": "integer"}})},
]
PAGE2 = [
    {"name": "crash", "description": "Exits the server", "inputSchema": schema()},
    {"name": "garbage", "description": "Prints a non-JSON line first", "inputSchema": schema()},
    {"name": "ping_me", "description": "Pings the client first", "inputSchema": schema()},
    {"name": "ask_unknown", "description": "Sends roots/list to the client",
     "inputSchema": schema()},
    {"name": "notify", "description": "Changes the tool list", "inputSchema": schema()},
    {"name": "image", "description": "Returns an image", "inputSchema": schema()},
    {"name": "huge", "description": "Prints a 9 MiB line", "inputSchema": schema()},
]
EXTRA = {"name": "extra", "description": "Appears after notify", "inputSchema": schema()}


class Server:
    def __init__(self, protocol):
        self.protocol = protocol
        self.backlog = []  # messages read while waiting for a reply of ours
        self.notified = False
        self.next_id = 1

    def log(self, text):
        sys.stderr.write("fake-mcp: %s\n" % text)
        sys.stderr.flush()

    def send(self, msg):
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()

    def raw(self, text):
        sys.stdout.write(text)
        sys.stdout.flush()

    def read(self):
        if self.backlog:
            return self.backlog.pop(0)
        while True:
            line = sys.stdin.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                continue
            try:
                return json.loads(line)
            except ValueError:
                self.log("client sent non-JSON: %r" % line[:100])

    def ask_client(self, method):
        """Sends a request to the client and waits for its reply (others are kept)."""
        rid = "srv-%d" % self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method})
        while True:
            line = sys.stdin.readline()
            if not line:
                sys.exit(0)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("id") == rid and "method" not in msg:
                return msg
            self.backlog.append(msg)

    def result(self, mid, result):
        self.send({"jsonrpc": "2.0", "id": mid, "result": result})

    def error(self, mid, code, message):
        self.send({"jsonrpc": "2.0", "id": mid, "error": {"code": code, "message": message}})

    def text(self, mid, text, is_error=False, extra=None):
        r = {"content": [{"type": "text", "text": text}]}
        if is_error:
            r["isError"] = True
        if extra:
            r.update(extra)
        self.result(mid, r)

    def call(self, mid, name, args):
        if name == "echo":
            self.text(mid, str(args.get("text", "")))
        elif name == "add":
            s = args.get("a", 0) + args.get("b", 0)
            self.text(mid, str(s), extra={"structuredContent": {"sum": s}})
        elif name == "fail":
            self.text(mid, "it failed", is_error=True)
        elif name == "slow":
            time.sleep(int(args.get("ms", 1000)) / 1000.0)
            self.text(mid, "slept")
        elif name == "crash":
            self.log("crashing on purpose")
            sys.stdout.flush()
            os._exit(3)
        elif name == "garbage":
            self.raw("this is not json {\n")
            self.text(mid, "after garbage")
        elif name == "ping_me":
            reply = self.ask_client("ping")
            self.text(mid, "pong ok" if reply.get("result") == {} else "pong bad: %r" % reply)
        elif name == "ask_unknown":
            reply = self.ask_client("roots/list")
            self.text(mid, "error %s" % reply.get("error", {}).get("code"))
        elif name == "notify":
            self.notified = True
            self.send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
            self.text(mid, "notified")
        elif name == "image":
            data = base64.b64encode(b"\x89PNG").decode()
            self.result(mid, {"content": [{"type": "text", "text": "see"},
                                          {"type": "image", "data": data,
                                           "mimeType": "image/png"}]})
        elif name == "huge":
            self.raw('{"jsonrpc":"2.0","method":"x","params":"' + "a" * (9 * 1024 * 1024) +
                     '"}\n')
            self.text(mid, "huge done")
        else:
            self.error(mid, -32602, "Unknown tool: %s" % name)

    def handle(self, msg):
        method = msg.get("method")
        mid = msg.get("id")
        params = msg.get("params") or {}
        if method is None:
            return  # a response we did not wait for
        if mid is None:
            if method == "notifications/initialized":
                self.log("initialized")
            return
        if method == "initialize":
            asked = params.get("protocolVersion")
            version = self.protocol or (asked if asked in SUPPORTED else SUPPORTED[-1])
            self.result(mid, {"protocolVersion": version,
                              "capabilities": {"tools": {"listChanged": True}},
                              "serverInfo": {"name": "fake-mcp", "version": "1.0"}})
        elif method == "ping":
            self.result(mid, {})
        elif method == "tools/list":
            cursor = params.get("cursor")
            if cursor is None:
                self.result(mid, {"tools": PAGE1, "nextCursor": "page2"})
            elif cursor == "page2":
                self.result(mid, {"tools": PAGE2 + ([EXTRA] if self.notified else [])})
            else:
                self.error(mid, -32602, "bad cursor")
        elif method == "tools/call":
            self.call(mid, params.get("name"), params.get("arguments") or {})
        else:
            self.error(mid, -32601, "Method not found: %s" % method)

    def run(self):
        while True:
            msg = self.read()
            if msg is None:
                self.log("stdin closed; bye")
                return
            self.handle(msg)


def main():
    protocol = None
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--protocol":
            protocol = args.pop(0)
        elif a == "--starts":
            with open(args.pop(0), "a") as f:
                f.write("start %d\n" % os.getpid())
    server = Server(protocol)
    server.log("started pid %d" % os.getpid())
    server.run()


if __name__ == "__main__":
    main()
