#!/usr/bin/env python3
"""A fake Discord (REST API v10 + gateway v10, JSON encoding) for the discord channel
tests. asyncio + python3-websockets 10.x, one process, two ports; prints
{"rest": N, "gateway": M} on stdout and stops when stdin closes.

  python3 fake_discord.py [--token T] [--heartbeat-ms N]

REST (under /api/v10, `Authorization: Bot <token>` required except the callback):
  GET  /gateway/bot                          -> {"url": "ws://127.0.0.1:<gateway>"}
  POST /channels/<id>/messages               recorded; 429 once per /_control/rate_limit;
                                             404 Unknown Channel for a user id (one the DM
                                             table knows)
  POST /channels/<id>/typing                 recorded, 204
  POST /interactions/<id>/<token>/callback   recorded, 204
  POST /users/@me/channels {"recipient_id"}   recorded; 200 with the DM channel object
                                             {id, type: 1, recipients: [user]}: the one
                                             set by /_control/dm, else a new id (kept)
Gateway: HELLO (heartbeat_interval), IDENTIFY (token checked: 4004 otherwise) -> READY,
RESUME (session + token checked) -> missed events replayed, RESUMED; else op 9 false.
Heartbeats answered with op 11 unless acks are stopped.
Control (no auth, on the REST port):
  GET  /_control/state        counters, posted messages, typing, callbacks
  POST /_control/inject       {"t": "MESSAGE_CREATE", "d": {...}} -> dispatched (seq++)
  POST /_control/stop_acks    heartbeats go unanswered from now on; with {"zombie": true}
                              only on the current connection, which also stops carrying
                              dispatches (kept for a RESUME replay): a half-dead link, the
                              next connection is healthy again
  POST /_control/drop         the gateway TCP connection is cut (no close frame)
  POST /_control/close        {"code": 4000, "reason": "..."} close frame from the server
  POST /_control/raw          {"text": "..."} sent as is on the gateway
  POST /_control/op           {"op": 7, "d": null} sent as is (op 1, 7, 9 ...)
  POST /_control/rate_limit   {"count": 1, "retry_after": 0.2} next sends answer 429
  POST /_control/dm           {"user": id, "channel": id} the DM channel opened for user
  POST /_control/dm_fail      {"count": 1, "status": 500} next DM opens answer that status
  POST /_control/invalid_session {"count": N, "resumable": false}  an invalid-session storm:
                              the next N IDENTIFY/RESUME are answered with op 9 d=resumable
                              instead of READY/RESUMED. resumable=false ends the session
                              (its events are gone, as on Discord); true keeps it, so a
                              later RESUME still replays what was dispatched meanwhile
Dispatches go only to a connection that identified or resumed (as on Discord); the
others are kept for a RESUME replay. `attempts` in the state counts IDENTIFY + RESUME
frames, `invalidated` the op 9 answers given.
"""
import argparse, asyncio, json, sys

import websockets

BOT_ID = "100000000000000001"


class State:
    def __init__(self, token, heartbeat_ms):
        self.token = token
        self.heartbeat_ms = heartbeat_ms
        self.gateway_port = 0
        self.ws = None                  # the current gateway connection
        self.acks = True
        self.zombie = None              # a connection that carries nothing any more
        self.session_id = None
        self.seq = 0
        self.events = []                # (seq, t, d) of the session, for RESUME replay
        self.identifies = 0
        self.resumes = 0
        self.last_connect = ""
        self.resume_seq = None          # the seq the last RESUME asked from
        self.heartbeats = 0
        self.last_heartbeat_seq = None
        self.connections = 0
        self.posted = []
        self.typing = []
        self.callbacks = []
        self.dm_channels = {}           # user id -> DM channel id
        self.dm_opens = []              # recipient ids asked for, in order
        self.dm_fail = 0
        self.dm_fail_status = 500
        self.rate_limit = 0
        self.retry_after = 0.2
        self.next_id = 900000000000000000
        self.ready_ws = None            # the connection that identified or resumed
        self.invalid_storm = 0          # IDENTIFY/RESUME still to answer with op 9
        self.invalid_resumable = False
        self.attempts = 0
        self.invalidated = 0


S = None


async def dispatch(t, d):
    S.seq += 1
    S.events.append((S.seq, t, d))
    del S.events[:-1000]
    if S.ws is not None and S.ws is not S.zombie and S.ws is S.ready_ws:
        try:
            await S.ws.send(json.dumps({"op": 0, "t": t, "s": S.seq, "d": d}))
        except websockets.ConnectionClosed:
            pass


async def gateway(ws, path):
    S.connections += 1
    S.ws = ws
    if S.zombie is not None:            # a new connection after a zombie one: healthy
        S.zombie = None
        S.acks = True
    try:
        await ws.send(json.dumps({"op": 10, "d": {"heartbeat_interval": S.heartbeat_ms}}))
        async for raw in ws:
            try:
                msg = json.loads(raw)
                op = msg.get("op")
                d = msg.get("d")
            except (ValueError, AttributeError):
                await ws.close(4002, "Error while decoding payload.")
                return
            if op == 1:
                S.heartbeats += 1
                S.last_heartbeat_seq = d
                if S.acks:
                    await ws.send(json.dumps({"op": 11}))
            elif op in (2, 6) and S.invalid_storm > 0 and S.ws is ws:
                S.attempts += 1
                S.invalid_storm -= 1
                S.invalidated += 1
                if not S.invalid_resumable:
                    S.session_id = None
                    S.events = []
                await ws.send(json.dumps({"op": 9, "d": S.invalid_resumable}))
            elif op == 2:
                S.attempts += 1
                if not isinstance(d, dict) or d.get("token") != S.token:
                    await ws.close(4004, "Authentication failed.")
                    return
                S.identifies += 1
                S.last_connect = "identify"
                S.session_id = "session-%d" % S.identifies
                S.events = []
                S.seq = 0
                S.ready_ws = ws
                await dispatch("READY", {
                    "v": 10, "session_id": S.session_id,
                    "resume_gateway_url": "ws://127.0.0.1:%d" % S.gateway_port,
                    "user": {"id": BOT_ID, "username": "fakebot", "bot": True},
                    "guilds": [], "intents": d.get("intents")})
            elif op == 6:
                S.attempts += 1
                ok = (isinstance(d, dict) and d.get("token") == S.token and
                      S.session_id is not None and d.get("session_id") == S.session_id)
                if not ok:
                    await ws.send(json.dumps({"op": 9, "d": False}))
                    continue
                S.resumes += 1
                S.last_connect = "resume"
                S.resume_seq = d.get("seq")
                # Before the replay: an event dispatched while it runs goes out on this
                # connection (perhaps ahead of older ones) rather than nowhere.
                S.ready_ws = ws
                since = d.get("seq") or 0
                for seq, t, dd in list(S.events):
                    if seq > since:
                        await ws.send(json.dumps({"op": 0, "t": t, "s": seq, "d": dd}))
                await dispatch("RESUMED", {})
    except websockets.ConnectionClosed:
        pass
    finally:
        if S.ws is ws:
            S.ws = None
        if S.ready_ws is ws:
            S.ready_ws = None


# --- a small HTTP/1.1 server (keep-alive) for REST and control --------------------------

def reply(status, body=None, headers=()):
    data = b"" if body is None else json.dumps(body).encode()
    reason = {200: "OK", 204: "No Content", 401: "Unauthorized", 404: "Not Found",
              429: "Too Many Requests", 400: "Bad Request"}.get(status, "X")
    head = "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n" % (status, reason, len(data))
    if body is not None:
        head += "Content-Type: application/json\r\n"
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    return (head + "\r\n").encode() + data


async def route(method, path, headers, body):
    try:
        j = json.loads(body) if body else {}
    except ValueError:
        return reply(400, {"message": "bad json"})
    if path.startswith("/_control/"):
        return await control(method, path[len("/_control/"):], j)
    if path.startswith("/api/v10"):
        path = path[len("/api/v10"):]
    parts = [p for p in path.split("?")[0].split("/") if p]
    if parts[:1] == ["interactions"] and len(parts) == 4 and parts[3] == "callback":
        S.callbacks.append({"id": parts[1], "token": parts[2], "body": j})
        return reply(204)
    if headers.get("authorization") != "Bot " + S.token:
        return reply(401, {"message": "401: Unauthorized", "code": 0})
    if method == "GET" and parts == ["gateway", "bot"]:
        return reply(200, {"url": "ws://127.0.0.1:%d" % S.gateway_port, "shards": 1,
                           "session_start_limit": {"total": 1000, "remaining": 999}})
    if method == "POST" and parts == ["users", "@me", "channels"]:
        uid = j.get("recipient_id") if isinstance(j, dict) else None
        S.dm_opens.append(uid)
        if S.dm_fail > 0:
            S.dm_fail -= 1
            st = S.dm_fail_status
            if st == 429:
                return reply(429, {"message": "You are being rate limited.",
                                   "retry_after": S.retry_after, "global": False},
                             [("Retry-After", str(S.retry_after))])
            return reply(st, {"message": "Internal Server Error" if st >= 500
                              else "Invalid Recipient(s)", "code": 0 if st >= 500 else 50033})
        if not isinstance(uid, str) or not uid.isdigit():
            return reply(400, {"message": "Invalid Form Body", "code": 50035,
                               "errors": {"recipient_id": {"_errors": [
                                   {"code": "NUMBER_TYPE_COERCE",
                                    "message": "Value is not snowflake."}]}}})
        if uid not in S.dm_channels:
            S.next_id += 1
            S.dm_channels[uid] = str(S.next_id)
        return reply(200, {"id": S.dm_channels[uid], "type": 1, "last_message_id": None,
                           "flags": 0,
                           "recipients": [{"id": uid, "username": "user" + uid[-4:],
                                           "discriminator": "0", "global_name": None,
                                           "avatar": None}]})
    if method == "POST" and len(parts) == 3 and parts[0] == "channels":
        if parts[2] == "typing":
            S.typing.append(parts[1])
            return reply(204)
        if parts[2] == "messages":
            if parts[1] in S.dm_channels:   # a user id is not a channel
                return reply(404, {"message": "Unknown Channel", "code": 10003})
            if S.rate_limit > 0:
                S.rate_limit -= 1
                return reply(429, {"message": "You are being rate limited.",
                                   "retry_after": S.retry_after, "global": False},
                             [("Retry-After", str(S.retry_after))])
            S.next_id += 1
            S.posted.append({"channel_id": parts[1], "body": j, "id": str(S.next_id)})
            return reply(200, {"id": str(S.next_id), "channel_id": parts[1],
                               "content": j.get("content", "")})
    return reply(404, {"message": "404: Not Found", "code": 0})


async def control(method, what, j):
    if what == "state":
        return reply(200, {
            "identifies": S.identifies, "resumes": S.resumes, "last_connect": S.last_connect,
            "resume_seq": S.resume_seq,
            "connections": S.connections, "connected": S.ws is not None,
            "heartbeats": S.heartbeats, "last_heartbeat_seq": S.last_heartbeat_seq,
            "seq": S.seq, "posted": S.posted, "typing": S.typing, "callbacks": S.callbacks,
            "dm_opens": S.dm_opens, "attempts": S.attempts, "invalidated": S.invalidated,
            "storm_left": S.invalid_storm})
    if what == "inject":
        await dispatch(j["t"], j["d"])
    elif what == "stop_acks":
        S.acks = False
        if j.get("zombie"):
            S.zombie = S.ws
    elif what == "drop":
        if S.ws is not None:
            S.ws.transport.abort()
    elif what == "close":
        if S.ws is not None:
            await S.ws.close(j.get("code", 4000), j.get("reason", ""))
    elif what == "raw":
        if S.ws is not None:
            await S.ws.send(j["text"])
    elif what == "op":
        if S.ws is not None:
            await S.ws.send(json.dumps({"op": j["op"], "d": j.get("d")}))
    elif what == "rate_limit":
        S.rate_limit = j.get("count", 1)
        S.retry_after = j.get("retry_after", 0.2)
    elif what == "invalid_session":
        S.invalid_storm = int(j.get("count", 1))
        S.invalid_resumable = bool(j.get("resumable", False))
    elif what == "dm":
        S.dm_channels[j["user"]] = j["channel"]
    elif what == "dm_fail":
        S.dm_fail = j.get("count", 1)
        S.dm_fail_status = j.get("status", 500)
    else:
        return reply(404, {"message": "unknown control"})
    return reply(200, {"ok": True})


async def http_conn(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            method, path, _ = line.decode("latin-1").split(" ", 2)
            headers = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            n = int(headers.get("content-length", "0"))
            body = await reader.readexactly(n) if n else b""
            writer.write(await route(method, path, headers, body))
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def main():
    global S
    ap = argparse.ArgumentParser()
    ap.add_argument("--token", default="test-token")
    ap.add_argument("--heartbeat-ms", type=int, default=200)
    a = ap.parse_args()
    S = State(a.token, a.heartbeat_ms)
    gw = await websockets.serve(gateway, "127.0.0.1", 0, max_size=1 << 20)
    S.gateway_port = gw.sockets[0].getsockname()[1]
    rest = await asyncio.start_server(http_conn, "127.0.0.1", 0)
    rest_port = rest.sockets[0].getsockname()[1]
    print(json.dumps({"rest": rest_port, "gateway": S.gateway_port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
