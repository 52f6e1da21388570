#!/usr/bin/env python3
"""echo-channel: an example simpleclaw channel plugin (stdlib only).

Speaks JSON-RPC 2.0 over stdio, one JSON object per line (docs/plugins.md). Its
"platform" is a tiny HTTP control server on 127.0.0.1, one per account:

  POST /inbound  {"senderId", "text", "chatId"?, "group"?, "threadId"?, "mentioned"?,
                  "senderName"?, "messageId"?}  -> {"messageId"}
      sends channel/inbound to the gateway; the gateway answers once the message is
      durable, and only then the id shows up in "acked".
  POST /button   {"senderId", "chatId", "data"}  -> channel/button
  GET  /state    -> {"sent": [channel/send params...], "acked": [ids], "pending": [ids],
                     "typing": n, "accounts": [...]}
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

out_lock = threading.Lock()
state_lock = threading.Lock()
next_id = [1]
pending = {}      # our request id -> ("inbound", accountId, messageId)
accounts = {}     # accountId -> {"server", "sent", "acked", "pending", "typing", "seq"}


def write(msg):
    line = json.dumps(msg, separators=(",", ":"))
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(level, message):
    write({"jsonrpc": "2.0", "method": "log", "params": {"level": level, "message": message}})


def request(method, params, tag):
    with state_lock:
        rid = next_id[0]
        next_id[0] += 1
        pending[rid] = tag
    write({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})


def make_handler(account_id):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep stderr quiet
            pass

        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != "/state":
                return self.reply(404, {"error": "not found"})
            with state_lock:
                a = accounts.get(account_id)
                if a is None:
                    return self.reply(410, {"error": "account stopped"})
                snap = {k: a[k] for k in ("sent", "acked", "pending", "typing")}
                snap["accounts"] = sorted(accounts)
            self.reply(200, snap)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(min(n, 1 << 20)) or b"{}")
            except ValueError:
                return self.reply(400, {"error": "bad json"})
            with state_lock:
                a = accounts.get(account_id)
                if a is None:
                    return self.reply(410, {"error": "account stopped"})
                a["seq"] += 1
                mid = str(body.get("messageId") or "m%d" % a["seq"])
            peer = {"chatId": str(body.get("chatId") or body.get("senderId", "")),
                    "group": bool(body.get("group", False))}
            if body.get("threadId"):
                peer["threadId"] = str(body["threadId"])
            if self.path == "/inbound":
                with state_lock:
                    a["pending"].append(mid)
                request("channel/inbound", {
                    "accountId": account_id, "messageId": mid,
                    "senderId": str(body.get("senderId", "")),
                    "senderName": str(body.get("senderName", body.get("senderId", ""))),
                    "peer": peer, "text": str(body.get("text", "")),
                    "mentioned": bool(body.get("mentioned", False))},
                    ("inbound", account_id, mid))
                return self.reply(200, {"messageId": mid})
            if self.path == "/button":
                write({"jsonrpc": "2.0", "method": "channel/button", "params": {
                    "accountId": account_id, "senderId": str(body.get("senderId", "")),
                    "senderName": str(body.get("senderId", "")), "peer": peer,
                    "data": str(body.get("data", ""))}})
                return self.reply(200, {})
            self.reply(404, {"error": "not found"})
    return Handler


def start_account(account_id, settings):
    port = int(settings.get("port", 0))
    server = HTTPServer(("127.0.0.1", port), make_handler(account_id))
    with state_lock:
        accounts[account_id] = {"server": server, "sent": [], "acked": [], "pending": [],
                                "typing": 0, "seq": 0}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real_port = server.server_address[1]
    if settings.get("port_file"):
        tmp = settings["port_file"] + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(real_port))
        import os
        os.replace(tmp, settings["port_file"])
    detail = "%s on 127.0.0.1:%d" % (settings.get("bot_name", "echo"), real_port)
    write({"jsonrpc": "2.0", "method": "channel/status",
           "params": {"accountId": account_id, "connected": True, "detail": detail}})


def stop_account(account_id):
    with state_lock:
        a = accounts.pop(account_id, None)
    if a:
        threading.Thread(target=a["server"].shutdown, daemon=True).start()


def handle(msg):
    method = msg.get("method")
    mid = msg.get("id")
    params = msg.get("params") or {}
    if method is None:  # a response to one of our requests
        with state_lock:
            tag = pending.pop(mid, None)
            if tag and tag[0] == "inbound" and tag[1] in accounts:
                a = accounts[tag[1]]
                if tag[2] in a["pending"]:
                    a["pending"].remove(tag[2])
                if "result" in msg:
                    a["acked"].append(tag[2])
        return
    result, error = {}, None
    if method == "initialize":
        result = {"name": "echo-channel", "version": "0.1.0",
                  "capabilities": {"maxText": 2000, "buttons": True}}
    elif method in ("ping", "shutdown"):
        result = {}
    elif method == "channel/start":
        try:
            start_account(params["accountId"], params.get("settings") or {})
        except Exception as e:  # report, never crash
            error = {"code": -32000, "message": "cannot start: %s" % e}
    elif method == "channel/stop":
        stop_account(params.get("accountId"))
    elif method == "channel/send":
        with state_lock:
            a = accounts.get(params.get("accountId"))
            if a is None:
                error = {"code": -32001, "message": "account not started"}
            else:
                a["sent"].append(params)
                result = {"messageId": "out%d" % len(a["sent"])}
    elif method == "channel/typing":
        with state_lock:
            a = accounts.get(params.get("accountId"))
            if a:
                a["typing"] += 1
    else:
        error = {"code": -32601, "message": "Method not found: %s" % method}
    if mid is not None:
        reply = {"jsonrpc": "2.0", "id": mid}
        if error:
            reply["error"] = error
        else:
            reply["result"] = result
        write(reply)
    if method == "shutdown":
        sys.exit(0)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            log("warn", "ignored a non-JSON line")
            continue
        if isinstance(msg, dict):
            handle(msg)


if __name__ == "__main__":
    main()
