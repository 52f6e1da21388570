#!/usr/bin/env python3
"""A webhook receiver that checks Standard Webhooks signatures the way a careful
receiver does (https://www.standardwebhooks.com), written apart from the gateway's own
signing code so the two are checked against each other:

  * webhook-id, webhook-timestamp and webhook-signature must all be present
  * the timestamp must be within 5 minutes of now
  * one of the space-separated "v1,<base64>" signatures must equal
    base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")), where key is the base64 after
    "whsec_" (or the secret's bytes as they are)
  * an id seen before is a replay

  POST /<any path>        -> 204 when verified, 401 {"error": why} when not
  GET  /control/received  every request: {path, verified, reason, id, body (parsed JSON)}

Usage: webhook_receiver.py <secret>; prints {"port": N} once listening. Standard library
only; stops when stdin closes.
"""
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = sys.argv[1] if len(sys.argv) > 1 else ""
KEY = base64.b64decode(SECRET[6:]) if SECRET.startswith("whsec_") else SECRET.encode()
TOLERANCE_S = 300

lock = threading.Lock()
received = []
seen_ids = set()


def verify(headers, body):
    wid = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if not wid or not ts or not sigs:
        return False, "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        ts_i = int(ts)
    except ValueError:
        return False, "bad timestamp"
    if abs(time.time() - ts_i) > TOLERANCE_S:
        return False, "timestamp outside the tolerance"
    expected = base64.b64encode(
        hmac.new(KEY, wid.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256).digest()
    ).decode()
    ok = any(
        s.startswith("v1,") and hmac.compare_digest(s[3:], expected) for s in sigs.split(" ")
    )
    if not ok:
        return False, "no signature matches"
    with lock:
        if wid in seen_ids:
            return False, "replayed webhook-id"
        seen_ids.add(wid)
    return True, ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, obj=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/control/received":
            with lock:
                return self.answer(200, list(received))
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n > 0 else b""
        ok, why = verify(self.headers, body)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        with lock:
            received.append({"path": self.path, "verified": ok, "reason": why,
                             "id": self.headers.get("webhook-id"), "body": parsed})
        if ok:
            self.answer(204)
        else:
            self.answer(401, {"error": why})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    sys.stdin.read()  # until the test closes our stdin (or dies)


if __name__ == "__main__":
    main()
