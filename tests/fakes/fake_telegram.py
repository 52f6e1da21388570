#!/usr/bin/env python3
"""A fake Telegram Bot API server (the real wire format: POST /bot<token>/<method> with
JSON, answers {"ok":true,"result":...} or {"ok":false,"error_code","description"}).

getUpdates implements the real offset semantics (an offset confirms every update below
it; unconfirmed updates are sent again) and long polling (waits up to `timeout` seconds
for an update). A control API lets a test act as Telegram users and as faults:

  POST /control/message   {from_id, chat_id?, text, chat_type?, first_name?,
                           reply_to_bot?, thread_id?}          -> {update_id, message_id}
  POST /control/callback  {from_id, chat_id, data}             -> {update_id}
  POST /control/stall     {count}   the next `count` getUpdates calls never answer
  POST /control/fail_send {count, code}  the next sendMessage calls fail (429 / 500)
  POST /control/lose_send {count}  the next sendMessage calls are lost: held unanswered
                                    (60 s) and not sent, like a request lost on the way
  POST /control/slow_send {count, ms}  the next sendMessage calls are sent (recorded) at
                                    once but answered only after `ms`: a slow link
  POST /control/outage    {on}      while on, every Bot API call answers 502 Bad Gateway
                                    (Telegram down); the pending long polls are woken
  POST /control/conflict  {seconds} for that long every getUpdates answers 409 Conflict
                                    ("terminated by other getUpdates request": a second
                                    poller on the same token); {seconds: 0} ends it
  POST /control/flood     {count, retry_after}  the next `count` getUpdates answer 429 Too
                                    Many Requests with parameters.retry_after (seconds)
  GET  /control/sent      messages the bot sent (sendMessage bodies, in order)
  POST /control/wait_sent {chat_id, count, timeout?}  waits until `count` messages were
                           sent to chat_id (or the timeout)   -> {count}
  GET  /control/state     {getUpdates, offsets, pending, actions, answered, stalled, now,
                           calls: [{method, t, status}] for getMe/getUpdates, t in seconds
                           on the fake's monotonic clock (`now` is that clock)}

Usage: fake_telegram.py <token>; prints {"port": N} on stdout once listening.
Standard library only.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = sys.argv[1] if len(sys.argv) > 1 else "TEST:TOKEN"
BOT = {"id": 999000, "is_bot": True, "first_name": "Claw", "username": "claw_test_bot"}

lock = threading.Condition()
updates = []          # unconfirmed updates, in order
next_id = [1000]
sent = []
actions = []
answered = []
offsets = []
calls = {"getUpdates": 0}
stall = [0]
fail_send = [0, 429]
lose_send = [0]         # sendMessage requests still to lose: never answered, never sent
slow_send = [0, 0]      # [count, ms]: sendMessage requests still to answer late
outage = [False]
conflict_until = [0.0]   # monotonic time until which getUpdates answers 409
flood = [0, 1]           # [count, retry_after seconds] of 429s still to give
CONFLICT = {"ok": False, "error_code": 409,
            "description": "Conflict: terminated by other getUpdates request; make sure that "
                           "only one bot instance is running"}
call_log = []            # {method, t, status} of getMe / getUpdates, t = time.monotonic()
message_id = [1]


def log_call(method, status):
    with lock:
        call_log.append({"method": method, "t": time.monotonic(), "status": status})
        del call_log[:-5000]


def add_update(u):
    with lock:
        u["update_id"] = next_id[0]
        next_id[0] += 1
        updates.append(u)
        lock.notify_all()
        return u["update_id"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle plus the client's
    # delayed ACK adds ~40 ms to every keep-alive answer (real Bot API servers do not).
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on this request (a cancelled long poll)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        if self.path == "/control/sent":
            with lock:
                return self.reply(200, sent)
        if self.path == "/control/state":
            with lock:
                return self.reply(200, {"getUpdates": calls["getUpdates"], "offsets": offsets,
                                        "pending": [u["update_id"] for u in updates],
                                        "actions": actions, "answered": answered,
                                        "stalled": stall[0], "now": time.monotonic(),
                                        "calls": call_log})
        self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def do_POST(self):
        b = self.body()
        if self.path.startswith("/control/"):
            return self.control(self.path[len("/control/"):], b or {})
        parts = self.path.split("/")
        if len(parts) != 3 or not parts[1].startswith("bot"):
            return self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if parts[1][3:] != TOKEN:
            return self.reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if b is None:
            return self.reply(400, {"ok": False, "error_code": 400,
                                    "description": "Bad Request: can't parse JSON"})
        method = parts[2]
        with lock:
            down = outage[0]
        if down:
            if method in ("getMe", "getUpdates"):
                log_call(method, 502)
            return self.reply(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
        if method == "getMe":
            log_call("getMe", 200)
            return self.reply(200, {"ok": True, "result": BOT})
        if method == "getUpdates":
            return self.get_updates(b)
        if method == "sendMessage":
            with lock:
                lost = lose_send[0] > 0
                if lost:
                    lose_send[0] -= 1
            if lost:
                time.sleep(60)
                return
            with lock:
                if fail_send[0] > 0:
                    fail_send[0] -= 1
                    code = fail_send[1]
                    desc = "Too Many Requests: retry after 1" if code == 429 else "Internal Server Error"
                    obj = {"ok": False, "error_code": code, "description": desc}
                    if code == 429:
                        obj["parameters"] = {"retry_after": 1}
                    return self.reply(code, obj)
                if not b.get("chat_id") or not isinstance(b.get("text"), str) or not b["text"]:
                    return self.reply(400, {"ok": False, "error_code": 400,
                                            "description": "Bad Request: message text is empty"})
                if len(b["text"]) > 4096:
                    return self.reply(400, {"ok": False, "error_code": 400,
                                            "description": "Bad Request: message is too long"})
                sent.append(b)
                lock.notify_all()  # wakes /control/wait_sent
                message_id[0] += 1
                result = {"ok": True, "result": {
                    "message_id": message_id[0], "date": int(time.time()),
                    "chat": {"id": b["chat_id"]}, "text": b["text"]}}
                delay_ms = 0
                if slow_send[0] > 0:
                    slow_send[0] -= 1
                    delay_ms = slow_send[1]
            if delay_ms:
                time.sleep(delay_ms / 1000.0)  # delivered already; the answer is late
            return self.reply(200, result)
        if method == "sendChatAction":
            with lock:
                actions.append(b)
            return self.reply(200, {"ok": True, "result": True})
        if method == "answerCallbackQuery":
            with lock:
                answered.append(b)
            return self.reply(200, {"ok": True, "result": True})
        self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})

    def get_updates(self, b):
        offset = b.get("offset")
        timeout = min(int(b.get("timeout") or 0), 50)
        with lock:
            calls["getUpdates"] += 1
            # Another poller on the same token: Telegram ends this request at once, before
            # looking at the offset (nothing is confirmed by it).
            if time.monotonic() < conflict_until[0]:
                log_call("getUpdates", 409)
                return self.reply(409, CONFLICT)
            if flood[0] > 0:
                flood[0] -= 1
                log_call("getUpdates", 429)
                return self.reply(429, {
                    "ok": False, "error_code": 429,
                    "description": "Too Many Requests: retry after %d" % flood[1],
                    "parameters": {"retry_after": flood[1]}})
            log_call("getUpdates", 200)
            if offset is not None:
                offsets.append(offset)
                updates[:] = [u for u in updates if u["update_id"] >= offset]
            if stall[0] > 0:
                stall[0] -= 1
                stalled = True
            else:
                stalled = False
        if stalled:
            # A dead long poll: the connection stays open and nothing ever comes back.
            time.sleep(3600)
            return
        deadline = time.time() + timeout
        with lock:
            while (not updates and not outage[0] and time.monotonic() >= conflict_until[0]
                   and time.time() < deadline):
                lock.wait(max(0.0, deadline - time.time()))
            if time.monotonic() < conflict_until[0]:
                # The other poller's request ends this one (what Telegram does to the older).
                log_call("getUpdates", 409)
                return self.reply(409, CONFLICT)
            if outage[0]:
                return self.reply(502, {"ok": False, "error_code": 502,
                                        "description": "Bad Gateway"})
            result = list(updates)
        self.reply(200, {"ok": True, "result": result})

    def control(self, what, b):
        if what == "message":
            chat_type = b.get("chat_type", "private")
            chat_id = b.get("chat_id", b["from_id"])
            # Unique like Telegram's (two inbound messages never share an id).
            with lock:
                message_id[0] += 1
                mid = message_id[0]
            msg = {"message_id": mid, "date": int(time.time()),
                   "from": {"id": b["from_id"], "is_bot": False,
                            "first_name": b.get("first_name", "User")},
                   "chat": {"id": chat_id, "type": chat_type}, "text": b["text"]}
            if b.get("reply_to_bot"):
                msg["reply_to_message"] = {"message_id": 1, "from": BOT, "text": "earlier"}
            if b.get("thread_id"):
                msg["message_thread_id"] = b["thread_id"]
                msg["is_topic_message"] = True
            return self.reply(200, {"update_id": add_update({"message": msg}), "message_id": mid})
        if what == "callback":
            q = {"id": "cq%d" % next_id[0], "from": {"id": b["from_id"], "is_bot": False,
                                                      "first_name": "User"},
                 "message": {"message_id": 1, "chat": {"id": b.get("chat_id", b["from_id"]),
                                                       "type": "private"}},
                 "data": b["data"]}
            return self.reply(200, {"update_id": add_update({"callback_query": q})})
        if what == "wait_sent":
            chat, want = str(b["chat_id"]), int(b["count"])
            deadline = time.time() + float(b.get("timeout", 10))
            with lock:
                n = lambda: sum(1 for m in sent if str(m["chat_id"]) == chat)
                while n() < want and time.time() < deadline:
                    lock.wait(max(0.0, deadline - time.time()))
                return self.reply(200, {"count": n()})
        if what == "stall":
            with lock:
                stall[0] = int(b.get("count", 1))
            return self.reply(200, {"ok": True})
        if what == "outage":
            with lock:
                outage[0] = bool(b.get("on", True))
                lock.notify_all()
            return self.reply(200, {"ok": True})
        if what == "conflict":
            with lock:
                conflict_until[0] = time.monotonic() + float(b.get("seconds", 3))
                lock.notify_all()  # a long poll waiting now is the one the other poller ends
            return self.reply(200, {"ok": True})
        if what == "flood":
            with lock:
                flood[0] = int(b.get("count", 1))
                flood[1] = int(b.get("retry_after", 1))
            return self.reply(200, {"ok": True})
        if what == "slow_send":
            with lock:
                slow_send[0] = int(b.get("count", 1))
                slow_send[1] = int(b.get("ms", 1000))
            return self.reply(200, {"ok": True})
        if what == "lose_send":
            with lock:
                lose_send[0] = int(b.get("count", 1))
            return self.reply(200, {"ok": True})
        if what == "fail_send":
            with lock:
                fail_send[0] = int(b.get("count", 1))
                fail_send[1] = int(b.get("code", 429))
            return self.reply(200, {"ok": True})
        self.reply(404, {"error": "unknown control " + what})


class Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: with many clients connecting at once a
    # SYN is dropped and retried a second later, a latency the real API does not have.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client killed mid-request (the tests kill -9 the gateway) is not the fake's error.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(json.dumps({"port": srv.server_address[1]}), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
