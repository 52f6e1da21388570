#!/usr/bin/env python3
"""A fake Slack for the slack channel tests: the Web API methods the channel calls and a
Socket Mode WebSocket, plus a control API the test drives. Speaks the real wire format.

Run with Debian's python (python3-websockets 10.4):
  /usr/bin/python3 fake_slack.py --app-token xapp-1 --bot-token xoxb-1 [--ping-interval S]
It prints one JSON line {"http": PORT, "ws": PORT} and stops when stdin closes.

Web API (http://127.0.0.1:HTTP/api/<method>, Authorization: Bearer <token>):
  auth.test               bot token -> {ok, user_id: "UBOT", user: "clawbot", ...}
  apps.connections.open   app token -> {ok, url: "ws://127.0.0.1:WS/link/?ticket=N"}
  chat.postMessage        bot token, JSON body; recorded; answers HTTP 429 + Retry-After
                          with {ok:false, error:"ratelimited"} while `ratelimit` > 0
  conversations.open      bot token, JSON {"users": "U..."}; recorded; the DM with that
                          user: {ok, channel: {id: "D<user without its U>"}}; a user id
                          that is not upper-case [UW][A-Z0-9]+ -> user_not_found; while
                          `open_fail` > 0 it answers `open_error` (ratelimited = 429)
  A wrong token answers {ok:false, error:"invalid_auth"} (HTTP 200, as Slack does).

Socket Mode (ws://127.0.0.1:WS/link/?ticket=N, one use per ticket): sends
{"type":"hello",...} first, then whatever the test injects; every frame the client sends
is recorded, those with an envelope_id also as acks. With --ping-interval the server
sends WebSocket pings at that interval (the client's WebSocket layer answers them).
As Slack does, an events_api envelope that was never acknowledged is delivered again on
the next connection (a new envelope id, retry_attempt + 1, retry_reason "timeout"); the
time from sending an event to its ack is recorded (ack_ms, milliseconds per ack).

Control (same HTTP port):
  GET  /control/state            {opens, connections, posts, acks, received, auth_tests,
                                  dm_opens (the `users` of each conversations.open),
                                  ack_ms, unacked (envelope ids still waiting)}
  POST /control/event  {"event": {...}, "envelope_id"?}  events_api envelope -> {envelope_id}
  POST /control/interactive {"payload": {...}}           interactive envelope -> {envelope_id}
  POST /control/inject {"frame": <json>} | {"raw": "text"}  sent as is -> {sent: n}
  POST /control/drop   {"abort"?: bool}                  closes every socket
  POST /control/ratelimit {"count": n}                   next n chat.postMessage get 429
  POST /control/open_fail {"count": n, "error"?: "..."}  next n conversations.open fail
  POST /control/refuse_open {"count": n, "status"?: 200, "error"?: "internal_error"}
                                 next n apps.connections.open are refused: HTTP `status`
                                 with {ok:false, error} (a 429 also carries Retry-After:
                                 `retry_after`, default 1)
  POST /control/close_after_hello {"count": n, "code"?: 1011}  the next n sockets are
                                 closed by the server right after their hello
  GET /control/state also has open_attempts (every apps.connections.open, refused or not),
                                 open_at (their times, seconds on the fake's monotonic
                                 clock) and now (that clock)
Stdlib + websockets only."""
import argparse, asyncio, json, os, re, sys, threading, time

import websockets

ap = argparse.ArgumentParser()
ap.add_argument("--app-token", default="xapp-test")
ap.add_argument("--bot-token", default="xoxb-test")
ap.add_argument("--ping-interval", type=float, default=0.0)
args = ap.parse_args()

state = {
    "opens": 0, "posts": [], "acks": [], "received": [], "auth_tests": 0,
    "ratelimit": 0, "dm_opens": [], "open_fail": 0, "open_error": "internal_error",
    "tickets": set(), "next_ticket": 1, "next_env": 1, "next_ts": 1,
    "unacked": {}, "sent_at": {}, "ack_ms": [],
    "open_attempts": 0, "open_at": [], "refuse_open": 0, "refuse_status": 200,
    "refuse_error": "internal_error", "refuse_retry_after": 1, "close_after_hello": 0,
    "close_code": 1011,
}
conns = set()
ports = {}


def bearer(headers):
    v = headers.get("authorization", "")
    return v[len("Bearer "):] if v.startswith("Bearer ") else None


def ok(obj):
    return 200, {}, json.dumps(obj).encode()


async def api(method, headers, body):
    tok = bearer(headers)
    if method == "auth.test":
        state["auth_tests"] += 1
        if tok != args.bot_token:
            return ok({"ok": False, "error": "invalid_auth"})
        return ok({"ok": True, "url": "https://fake.slack.com/", "team": "Fake",
                   "user": "clawbot", "team_id": "T0001", "user_id": "UBOT",
                   "bot_id": "B0001"})
    if method == "apps.connections.open":
        state["open_attempts"] += 1
        state["open_at"].append(time.monotonic())
        if tok != args.app_token:
            return ok({"ok": False, "error": "invalid_auth"})
        if state["refuse_open"] > 0:
            state["refuse_open"] -= 1
            st, extra = state["refuse_status"], {}
            if st == 429:
                extra = {"Retry-After": str(state["refuse_retry_after"])}
            return st, extra, json.dumps({"ok": False, "error": state["refuse_error"]}).encode()
        state["opens"] += 1
        t = str(state["next_ticket"])
        state["next_ticket"] += 1
        state["tickets"].add(t)
        return ok({"ok": True, "url": "ws://127.0.0.1:%d/link/?ticket=%s" % (ports["ws"], t)})
    if method == "conversations.open":
        if tok != args.bot_token:
            return ok({"ok": False, "error": "invalid_auth"})
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return ok({"ok": False, "error": "invalid_json"})
        users = req.get("users", "") if isinstance(req, dict) else ""
        state["dm_opens"].append(users)
        if state["open_fail"] > 0:
            state["open_fail"] -= 1
            if state["open_error"] == "ratelimited":
                return 429, {"Retry-After": "1"}, json.dumps(
                    {"ok": False, "error": "ratelimited"}).encode()
            return ok({"ok": False, "error": state["open_error"]})
        if not isinstance(users, str) or not users:
            return ok({"ok": False, "error": "users_list_not_supplied"})
        if not re.fullmatch(r"[UW][A-Z0-9]+", users):  # one user, as Slack spells ids
            return ok({"ok": False, "error": "user_not_found"})
        return ok({"ok": True, "no_op": True, "already_open": True,
                   "channel": {"id": "D" + users[1:]}})
    if method == "chat.postMessage":
        if tok != args.bot_token:
            return ok({"ok": False, "error": "invalid_auth"})
        try:
            msg = json.loads(body or b"{}")
        except ValueError:
            return ok({"ok": False, "error": "invalid_json"})
        if state["ratelimit"] > 0:
            state["ratelimit"] -= 1
            state.setdefault("limited", []).append(msg)
            return 429, {"Retry-After": "1"}, json.dumps(
                {"ok": False, "error": "ratelimited"}).encode()
        if not msg.get("channel"):
            return ok({"ok": False, "error": "channel_not_found"})
        state["posts"].append(msg)
        ts = "1700000000.%06d" % state["next_ts"]
        state["next_ts"] += 1
        return ok({"ok": True, "channel": msg["channel"], "ts": ts})
    return 404, {}, json.dumps({"ok": False, "error": "unknown_method"}).encode()


async def send_all(text):
    n = 0
    for ws in list(conns):
        try:
            await ws.send(text)
            n += 1
        except websockets.ConnectionClosed:
            pass
    return n


def new_envelope_id(given):
    if given:
        return given
    e = "env-%d" % state["next_env"]
    state["next_env"] += 1
    return e


async def control(method, path, body):
    req = json.loads(body) if body else {}
    if path == "/control/state":
        return ok({"opens": state["opens"], "connections": len(conns),
                   "posts": state["posts"], "acks": state["acks"],
                   "received": state["received"], "auth_tests": state["auth_tests"],
                   "limited": state.get("limited", []), "dm_opens": state["dm_opens"],
                   "ack_ms": state["ack_ms"], "unacked": list(state["unacked"]),
                   "open_attempts": state["open_attempts"], "open_at": state["open_at"],
                   "now": time.monotonic()})
    if path == "/control/event":
        eid = new_envelope_id(req.get("envelope_id"))
        env = {"envelope_id": eid, "type": "events_api", "accepts_response_payload": False,
               "retry_attempt": 0, "retry_reason": "",
               "payload": {"token": "x", "team_id": "T0001", "api_app_id": "A0001",
                           "type": "event_callback", "event_id": "Ev" + eid,
                           "event_time": 1700000000, "event": req["event"]}}
        state["unacked"][eid] = env
        state["sent_at"][eid] = time.monotonic()
        return ok({"envelope_id": eid, "sent": await send_all(json.dumps(env))})
    if path == "/control/interactive":
        eid = new_envelope_id(req.get("envelope_id"))
        env = {"envelope_id": eid, "type": "interactive", "accepts_response_payload": False,
               "payload": req["payload"]}
        return ok({"envelope_id": eid, "sent": await send_all(json.dumps(env))})
    if path == "/control/inject":
        text = req["raw"] if "raw" in req else json.dumps(req["frame"])
        return ok({"sent": await send_all(text)})
    if path == "/control/drop":
        for ws in list(conns):
            if req.get("abort"):
                ws.transport.abort()
            else:
                await ws.close(1001, "going away")
        return ok({"dropped": True})
    if path == "/control/open_fail":
        state["open_fail"] = int(req.get("count", 1))
        state["open_error"] = req.get("error", "internal_error")
        return ok({"open_fail": state["open_fail"]})
    if path == "/control/refuse_open":
        state["refuse_open"] = int(req.get("count", 1))
        state["refuse_status"] = int(req.get("status", 200))
        state["refuse_error"] = req.get("error", "internal_error")
        state["refuse_retry_after"] = req.get("retry_after", 1)
        return ok({"refuse_open": state["refuse_open"]})
    if path == "/control/close_after_hello":
        state["close_after_hello"] = int(req.get("count", 1))
        state["close_code"] = int(req.get("code", 1011))
        return ok({"close_after_hello": state["close_after_hello"]})
    if path == "/control/ratelimit":
        state["ratelimit"] = int(req.get("count", 1))
        return ok({"ratelimit": state["ratelimit"]})
    return 404, {}, b'{"error":"no such control"}'


async def handle_http(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            n = int(headers.get("content-length", "0"))
            body = await reader.readexactly(n) if n else b""
            path = target.split("?", 1)[0]
            try:
                if path.startswith("/api/"):
                    status, extra, out = await api(path[5:], headers, body)
                else:
                    status, extra, out = await control(method, path, body)
            except Exception as e:  # a test bug: answer it rather than hang
                status, extra, out = 500, {}, json.dumps({"error": repr(e)}).encode()
            reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests",
                      503: "Service Unavailable"}.get(status, "Error")
            resp = "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n" \
                   "Content-Length: %d\r\n" % (status, reason, len(out))
            for k, v in extra.items():
                resp += "%s: %s\r\n" % (k, v)
            close = headers.get("connection", "").lower() == "close"
            if close:
                resp += "Connection: close\r\n"
            writer.write(resp.encode() + b"\r\n" + out)
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def handle_ws(ws, path=None):
    path = path or ws.path
    ticket = path.split("ticket=", 1)[1] if "ticket=" in path else ""
    if ticket not in state["tickets"]:
        await ws.close(1008, "invalid ticket")
        return
    state["tickets"].discard(ticket)
    conns.add(ws)
    try:
        await ws.send(json.dumps({"type": "hello", "num_connections": len(conns),
                                  "debug_info": {"host": "fake-slack",
                                                 "approximate_connection_time": 3600},
                                  "connection_info": {"app_id": "A0001"}}))
        if state["close_after_hello"] > 0:
            # A socket that dies at once: before any event (none is redelivered on it).
            state["close_after_hello"] -= 1
            await ws.close(state["close_code"], "server error")
            return
        # Events never acknowledged come again, as Slack's retries do.
        for old_id, env in list(state["unacked"].items()):
            del state["unacked"][old_id]
            state["sent_at"].pop(old_id, None)
            env = dict(env, envelope_id=new_envelope_id(None),
                       retry_attempt=env.get("retry_attempt", 0) + 1, retry_reason="timeout")
            state["unacked"][env["envelope_id"]] = env
            state["sent_at"][env["envelope_id"]] = time.monotonic()
            await ws.send(json.dumps(env))
        async for msg in ws:
            try:
                j = json.loads(msg)
            except ValueError:
                j = {"raw": msg if isinstance(msg, str) else repr(msg)}
            state["received"].append(j)
            if isinstance(j, dict) and "envelope_id" in j:
                state["acks"].append(j["envelope_id"])
                state["unacked"].pop(j["envelope_id"], None)
                t = state["sent_at"].pop(j["envelope_id"], None)
                if t is not None:
                    state["ack_ms"].append((time.monotonic() - t) * 1000.0)
    except websockets.ConnectionClosed:
        pass
    finally:
        conns.discard(ws)


async def main():
    pi = args.ping_interval if args.ping_interval > 0 else None
    wsrv = await websockets.serve(handle_ws, "127.0.0.1", 0, ping_interval=pi,
                                  ping_timeout=pi, max_size=1 << 20)
    hsrv = await asyncio.start_server(handle_http, "127.0.0.1", 0)
    ports["ws"] = wsrv.sockets[0].getsockname()[1]
    ports["http"] = hsrv.sockets[0].getsockname()[1]
    print(json.dumps({"http": ports["http"], "ws": ports["ws"]}), flush=True)
    await asyncio.Event().wait()


def watch_stdin():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=watch_stdin, daemon=True).start()
asyncio.run(main())
