#!/usr/bin/env python3
"""bench/soak.py — the load and the sampling of the soak test (bench/soak.sh starts the
gateway, sc_fake_llm and the fake Telegram Bot API, then runs this).

First the store is seeded as a gateway's would be after a while up (Soak.seed: 4 MB of
old transcript, Telegram DMs 2,000 entries long), so the run sees steady state rather
than bounded things filling. Then the load, all at once and at a steady, modest rate
(the point is drift over hours, not throughput; a 2-core machine shared with a build
must not be saturated):
  * SOAK_OPERATORS [100] operator WebSocket connections kept open for the whole run
    (protocol v4 handshake with the gateway token), reading every event they get; a tenth
    of them also `sessions.subscribe`. An unexpected close is an error (and the connection
    is opened again, so the count stays put).
  * SOAK_CHATTERS [4] of those connections chat: `chat.send`, then wait for the run's
    `chat` final, pause ~SOAK_PAUSE_MS [1000]. Every 4th turn says "run-probe": the fake
    model calls `exec`, the gateway asks for an approval, the chatter answers
    `exec.approval.resolve` allow-once and the turn ends with "exec done: run-probe". A
    chatter moves to a fresh session every 20 turns (people start new chats: short
    transcripts here, long ones in the Telegram DMs below).
  * SOAK_TELEGRAM_USERS [4] Telegram users (threads) each send a DM through the fake Bot
    API and wait for the bot's reply in its sendMessage log, then pause ~SOAK_PAUSE_MS.
  * a churner: connect, `health`, disconnect, pause SOAK_CHURN_MS [500] (0: none).

Errors counted: an RPC answered ok:false (or not at all within 30 s), a turn without a
`chat` final within 30 s, a final in state error/aborted or with the wrong text, a
Telegram reply missing after 30 s, a failed handshake, an unexpected disconnect, the
gateway process gone.

Every --interval seconds one CSV row (header first) and one progress line on stderr:
gateway RSS (VmRSS, and RssAnon: the heap, without mapped files) and open fds
(/proc/PID/fd); SQLite size (*.db + *.db-wal under the state dir, and the *.db alone:
the WAL is checkpointed and truncated now and then);
event-loop delay (the `status` RPC's subsystems.eventLoop: p99 and max over the
gateway's sliding 60 s window of 500 ms timer ticks); p50/p99 of the operator turns
(chat.send -> final, plain and exec turns together: p50 is a plain turn, p99 an exec
turn, which waits for the approval round trip and a sandboxed process) and of the
Telegram round trips finished in the interval; turn, message and churn counts; errors;
and, to read a latency bump by, the gateway's CPU use and the machine's 1-minute load
average (a compiler running beside the soak shows there, not in the gateway).

At the end the targets are judged on quarters of the run (the first quarter is warm-up):
RSS and fd means of the last quarter within 5% of the second quarter's, the median of the
per-interval turn p99 in the last quarter at most 1.5x the second quarter's + 5 ms, and no
error at all. Markdown tables on stdout; exit 0 when every target holds, else 1 (the
failed targets named on stderr).

Usage: soak.py --port P --pid GATEWAY_PID --state-dir DIR --tg-port P --duration S
               --interval S --csv FILE   (the gateway token in env SOAK_TOKEN)
Python 3 standard library + python3-websockets (Debian's, 10.x: the asyncio client).
"""
import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
import uuid

import websockets

RPC_TIMEOUT = 30.0
SEED_MB = 4  # transcript in the store before the load starts (see Soak.seed)
SEED_DM_ENTRIES = 2000  # earlier entries in each Telegram DM (see Soak.seed)
TURN_TIMEOUT = 30.0
TELEGRAM_FIRST_USER = 7001  # soak.sh puts SOAK_TELEGRAM_USERS ids from here in allow_from
MAX_ERROR_LINES = 30  # printed as they happen; all of them are counted


def log(msg):
    print("[soak] " + msg, file=sys.stderr, flush=True)


def pct(values, q):
    """Nearest-rank percentile (q in 0..1) of a non-empty list; None when empty."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


class Stats:
    """Everything the load records, shared by asyncio tasks and the Telegram threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.turns = []  # (kind, latency ms) since the last sample
        self.telegram = []  # latency ms since the last sample
        self.churn = 0
        self.errors = 0  # since the last sample
        self.total = {"turns": 0, "tool_turns": 0, "approvals": 0, "telegram": 0, "churn": 0,
                      "errors": 0}
        self.by_kind = {}
        self.printed = 0

    def turn(self, kind, ms):
        with self.lock:
            self.turns.append((kind, ms))
            self.total["turns"] += 1
            if kind == "tool":
                self.total["tool_turns"] += 1

    def tg(self, ms):
        with self.lock:
            self.telegram.append(ms)
            self.total["telegram"] += 1

    def add(self, key):
        with self.lock:
            self.total[key] += 1
            if key == "churn":
                self.churn += 1

    def error(self, kind, detail):
        with self.lock:
            self.errors += 1
            self.total["errors"] += 1
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            show = self.printed < MAX_ERROR_LINES
            self.printed += 1
        if show:
            log("error %s: %s" % (kind, detail[:400]))

    def take(self):
        """The interval's records, reset for the next one."""
        with self.lock:
            out = (self.turns, self.telegram, self.churn, self.errors)
            self.turns, self.telegram, self.churn, self.errors = [], [], 0, 0
            return out


class RpcError(Exception):
    pass


class Conn:
    """One operator WebSocket: handshake, a reader task that answers RPC futures and
    hands events to on_event, and call()."""

    def __init__(self, args, stats, name, scopes, on_event=None):
        self.args, self.stats, self.name, self.scopes = args, stats, name, scopes
        self.on_event = on_event
        self.ws = None
        self.pending = {}
        self.next_id = 0
        self.closing = False
        self.reader = None
        self.closed = asyncio.Event()

    async def open(self):
        self.ws = await websockets.connect("ws://127.0.0.1:%d/" % self.args.port,
                                           max_size=None, open_timeout=RPC_TIMEOUT)
        challenge = json.loads(await asyncio.wait_for(self.ws.recv(), RPC_TIMEOUT))
        if challenge.get("event") != "connect.challenge":
            raise RpcError("%s: first frame is not connect.challenge: %s" % (self.name, challenge))
        await self.ws.send(json.dumps({
            "type": "req", "id": "connect", "method": "connect",
            "params": {"minProtocol": 4, "maxProtocol": 4, "role": "operator",
                       "scopes": self.scopes, "auth": {"token": self.args.token},
                       "client": {"id": "simpleclaw-soak", "version": "1", "platform": "linux",
                                  "mode": "cli", "instanceId": self.name}}}))
        while True:  # nothing but the answer is expected before hello-ok; skip anything else
            f = json.loads(await asyncio.wait_for(self.ws.recv(), RPC_TIMEOUT))
            if f.get("type") == "res" and f.get("id") == "connect":
                break
        if not f.get("ok"):
            raise RpcError("%s: connect refused: %s" % (self.name, json.dumps(f.get("error"))))
        self.reader = asyncio.create_task(self.read())
        return self

    async def read(self):
        try:
            async for raw in self.ws:
                f = json.loads(raw)
                if f.get("type") == "res":
                    fut = self.pending.pop(f.get("id"), None)
                    if fut and not fut.done():
                        fut.set_result(f)
                elif f.get("type") == "event" and self.on_event:
                    self.on_event(f)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # a frame we cannot parse is the gateway's bug: count it
            self.stats.error("bad-frame", "%s: %r" % (self.name, e))
        finally:
            if not self.closing:
                code = getattr(self.ws, "close_code", None)
                reason = getattr(self.ws, "close_reason", "")
                self.stats.error("disconnect", "%s closed by the gateway (code %s %s)" %
                                 (self.name, code, reason))
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_exception(RpcError("%s: connection closed" % self.name))
            self.pending.clear()
            self.closed.set()

    async def call(self, method, params=None):
        self.next_id += 1
        rid = str(self.next_id)
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        frame = {"type": "req", "id": rid, "method": method}
        if params is not None:
            frame["params"] = params
        await self.ws.send(json.dumps(frame))
        try:
            f = await asyncio.wait_for(fut, RPC_TIMEOUT)
        except asyncio.TimeoutError:
            self.pending.pop(rid, None)
            raise RpcError("%s %s: no answer in %.0f s" % (self.name, method, RPC_TIMEOUT))
        if not f.get("ok"):
            raise RpcError("%s %s %s -> %s" % (self.name, method, json.dumps(params)[:200],
                                               json.dumps(f.get("error"))))
        return f.get("payload")

    async def close(self):
        self.closing = True
        if self.ws:
            await self.ws.close()
        if self.reader:
            await self.reader


class Soak:
    def __init__(self, args):
        self.args = args
        self.stats = Stats()
        self.stop = asyncio.Event()
        self.stop_threads = threading.Event()
        self.conns = []

    # --- the 100 operators ---------------------------------------------------------------

    async def operator(self, i, ready):
        """Keeps operator i connected until the end; reopens after an unexpected close."""
        subscribe = i % 10 == 0
        first = True
        while not self.stop.is_set():
            c = Conn(self.args, self.stats, "op%d" % i, ["operator.read"])
            try:
                await c.open()
                if subscribe:
                    await c.call("sessions.subscribe", {})
            except Exception as e:
                self.stats.error("connect", "op%d: %r" % (i, e))
                c.closing = True
                await asyncio.sleep(1)
                continue
            finally:
                if first:
                    first = False
                    ready.release()
            self.conns.append(c)
            waits = [asyncio.create_task(self.stop.wait()), asyncio.create_task(c.closed.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
            self.conns.remove(c)
            if self.stop.is_set():
                await c.close()
                return
            await asyncio.sleep(1)  # the close was counted by the reader; open it again

    async def chatter(self, i, ready):
        """Operator i chats: plain turns and, every 4th, an exec turn with an approval."""
        runs = {}  # runId -> future of the chat event that ends it
        prefix = "agent:main:soak-c%d-" % i
        conn = None
        approving = set()

        def on_event(f):
            p = f.get("payload") or {}
            if f.get("event") == "chat" and p.get("state") in ("final", "error", "aborted"):
                fut = runs.pop(p.get("runId"), None)
                if fut and not fut.done():
                    fut.set_result(p)
            elif f.get("event") == "exec.approval.requested":
                if str((p.get("request") or {}).get("sessionKey", "")).startswith(prefix):
                    t = asyncio.create_task(approve(p["id"]))
                    approving.add(t)  # the loop keeps only a weak reference to a task
                    t.add_done_callback(approving.discard)

        async def approve(aid):
            try:
                await conn.call("exec.approval.resolve", {"id": aid, "decision": "allow-once"})
                self.stats.add("approvals")
            except Exception as e:
                self.stats.error("approval", repr(e))

        n = 0
        first = True
        while not self.stop.is_set():
            conn = Conn(self.args, self.stats, "chat%d" % i,
                        ["operator.write", "operator.approvals"], on_event)
            try:
                await conn.open()
            except Exception as e:
                self.stats.error("connect", "chat%d: %r" % (i, e))
                await asyncio.sleep(1)
                continue
            finally:
                if first:
                    first = False
                    ready.release()
            self.conns.append(conn)
            await asyncio.sleep(random.uniform(0, self.args.pause))  # spread the chatters
            while not self.stop.is_set() and not conn.closed.is_set():
                tool = n % 4 == 3
                key = prefix + str(n // 20)
                text = "please run-probe %d.%d" % (i, n) if tool else "soak %d.%d" % (i, n)
                want = "exec done: run-probe" if tool else "echo: " + text
                rid = str(uuid.uuid4())
                fut = asyncio.get_running_loop().create_future()
                runs[rid] = fut
                n += 1
                t0 = time.monotonic()
                try:
                    await conn.call("chat.send", {"sessionKey": key, "message": text,
                                                  "idempotencyKey": rid})
                    left = TURN_TIMEOUT - (time.monotonic() - t0)
                    p = await asyncio.wait_for(fut, max(0.1, left))
                    ms = (time.monotonic() - t0) * 1000
                    got = "".join(c.get("text", "") for c in
                                  ((p.get("message") or {}).get("content") or [])
                                  if isinstance(c, dict))
                    if p.get("state") != "final":
                        self.stats.error("turn-" + str(p.get("state")), "%s %r: %s" % (
                            key, text, json.dumps(p)[:300]))
                    elif want not in got:
                        self.stats.error("turn-text", "%s %r: final says %r, expected %r" %
                                         (key, text, got, want))
                    else:
                        self.stats.turn("tool" if tool else "plain", ms)
                except asyncio.TimeoutError:
                    runs.pop(rid, None)
                    self.stats.error("turn-timeout", "%s %r: no chat final in %.0f s" %
                                     (key, text, TURN_TIMEOUT))
                except RpcError as e:
                    runs.pop(rid, None)
                    self.stats.error("rpc", str(e))
                await self.pause()
            self.conns.remove(conn)
            if self.stop.is_set():
                await conn.close()
                return

    async def pause(self):
        # Jittered so the chatters do not fall into lockstep.
        try:
            await asyncio.wait_for(self.stop.wait(), self.args.pause * random.uniform(0.8, 1.2))
        except asyncio.TimeoutError:
            pass

    async def churner(self):
        """Connect, `health`, disconnect, then pause SOAK_CHURN_MS (0: no churner)."""
        k = 0
        while self.args.churn_pause > 0 and not self.stop.is_set():
            k += 1
            c = Conn(self.args, self.stats, "churn%d" % k, [])
            try:
                await c.open()
                h = await c.call("health")
                if not h.get("ok"):
                    self.stats.error("health", json.dumps(h)[:300])
                await c.close()
                self.stats.add("churn")
            except Exception as e:
                c.closing = True
                self.stats.error("churn", repr(e))
            try:
                await asyncio.wait_for(self.stop.wait(), self.args.churn_pause)
            except asyncio.TimeoutError:
                pass

    # --- Telegram users (threads: the fake's control API is plain blocking HTTP) ---------

    def http(self, method, path, body=None, timeout=RPC_TIMEOUT + 10):
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.args.tg_port, path), method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")

    def telegram_user(self, uid):
        n = 1  # seed() sent the first message
        time.sleep(random.uniform(0, self.args.pause))
        while not self.stop_threads.is_set():
            n += 1
            t0 = time.monotonic()
            try:
                self.http("POST", "/control/message",
                          {"from_id": uid, "text": "tg %d.%d" % (uid, n)})
                got = self.http("POST", "/control/wait_sent",
                                {"chat_id": uid, "count": n, "timeout": TURN_TIMEOUT})["count"]
                if got >= n:
                    self.stats.tg((time.monotonic() - t0) * 1000)
                else:
                    self.stats.error("telegram-missing", "user %d message %d: no reply in %.0f s"
                                     % (uid, n, TURN_TIMEOUT))
                    n = got  # count a late reply once, not as every later reply
            except Exception as e:
                self.stats.error("telegram", "user %d: %r" % (uid, e))
            self.stop_threads.wait(self.args.pause * random.uniform(0.8, 1.2))

    # --- sampling ------------------------------------------------------------------------

    def proc(self):
        pid = self.args.pid
        kb = {}
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmRSS:", "RssAnon:")):
                    kb[line.split(":")[0]] = int(line.split()[1])
        rss_kb, anon_kb = kb["VmRSS"], kb.get("RssAnon", 0)
        fds = len(os.listdir("/proc/%d/fd" % pid))
        with open("/proc/%d/stat" % pid) as f:  # utime + stime, after the command name
            fields = f.read().rsplit(")", 1)[1].split()
        cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        db = wal = 0
        for d, _, files in os.walk(self.args.state_dir):
            for name in files:
                if name.endswith(".db") or name.endswith(".db-wal"):
                    try:
                        size = os.path.getsize(os.path.join(d, name))
                    except OSError:
                        continue  # a WAL checkpointed away between listing and stat
                    if name.endswith(".db"):
                        db += size
                    else:
                        wal += size
        with open("/proc/loadavg") as f:
            load1 = float(f.read().split()[0])
        return rss_kb, anon_kb, fds, db, wal, cpu_s, load1

    async def sampler(self, sconn, t_start, csv):
        fmt = lambda v: "" if v is None else "%.2f" % v
        rows = []
        k = 0
        cpu_prev, t_prev = self.proc()[5], time.monotonic()
        while True:
            k += 1
            due = t_start + k * self.args.interval
            if due > t_start + self.args.duration + 0.001:
                break
            await asyncio.sleep(max(0, due - time.monotonic()))
            try:
                rss_kb, anon_kb, fds, db, wal, cpu_s, load1 = self.proc()
            except OSError:
                self.stats.error("gateway-gone", "pid %d is not running" % self.args.pid)
                self.stop.set()
                break
            loop_p99 = loop_max = conns = None
            try:
                st = await sconn.call("status")
                el = st["subsystems"]["eventLoop"]
                loop_p99, loop_max = el.get("delayP99Ms"), el.get("delayMaxMs")
                conns = st["connections"]["total"]
            except Exception as e:
                self.stats.error("status", repr(e))
            turns, tg, churn, errors = self.stats.take()
            lat = [ms for _, ms in turns]
            row = {"t_s": k * self.args.interval, "rss_mb": rss_kb / 1024,
                   "rss_anon_mb": anon_kb / 1024, "fds": fds,
                   "sqlite_mb": (db + wal) / 1048576, "sqlite_db_mb": db / 1048576,
                   "loop_p99_ms": loop_p99, "loop_max_ms": loop_max,
                   "turns": len(turns), "tool_turns": sum(1 for kd, _ in turns if kd == "tool"),
                   "turn_p50_ms": pct(lat, 0.5), "turn_p99_ms": pct(lat, 0.99),
                   "tg_msgs": len(tg), "tg_p50_ms": pct(tg, 0.5), "tg_p99_ms": pct(tg, 0.99),
                   "churn": churn, "conns": conns, "errors": errors,
                   "gw_cpu_pct": (cpu_s - cpu_prev) / (time.monotonic() - t_prev) * 100,
                   "load1": load1}
            cpu_prev, t_prev = cpu_s, time.monotonic()
            rows.append(row)
            csv.write(",".join(str(row[c]) if isinstance(row[c], int) else fmt(row[c])
                               for c in COLUMNS) + "\n")
            csv.flush()
            log("t=%4ds rss %.1f MB (anon %.1f) fds %d db %.2f MB loop p99 %s ms"
                " | turns %d p50 %s p99 %s ms | tg %d p99 %s ms | churn %d conns %s"
                " | cpu %.0f%% load %.1f | errors %d" % (
                    row["t_s"], row["rss_mb"], row["rss_anon_mb"], fds, row["sqlite_mb"],
                    fmt(loop_p99), len(turns), fmt(row["turn_p50_ms"]), fmt(row["turn_p99_ms"]),
                    len(tg), fmt(row["tg_p99_ms"]), churn, conns, row["gw_cpu_pct"], load1,
                    errors))
        return rows

    async def seed(self):
        """Puts the store where a gateway that has been up a while has it, so a run's first
        quarter is not spent filling bounded things (which a short run would judge as a
        leak) and every quarter sees the steady-state cost:
          * SEED_MB of transcript in one session no one reads again: SQLite's page cache
            (2 MB per connection by default) is full from the start instead of growing
            with the store for minutes;
          * each Telegram user's DM holds SEED_DM_ENTRIES earlier entries: a run loads up
            to that many of its session's newest entries (kMaxContextEntries in
            src/agents/run_engine.cpp) before trimming them to the context window, so a
            DM's per-turn CPU and peak heap grow with it until then (a slope over the
            first ~1,000 turns of every conversation).
        The chatters' sessions stay short (a new one every 20 turns). chat.inject is
        pipelined (the gateway commits a batch per fsync): a few seconds in all."""
        t0 = time.monotonic()
        conn = await Conn(self.args, self.stats, "seed", ["operator.admin"]).open()
        window = asyncio.Semaphore(64)

        async def inject(key, text):
            async with window:
                await conn.call("chat.inject", {"sessionKey": key, "message": text})

        chunk = ("soak seed " * 3300)[:32768]
        await asyncio.gather(*(inject("agent:main:soak-seed", "%d %s" % (n, chunk))
                               for n in range(SEED_MB * 32)))
        # Each DM is opened by a real message first, so the channel path creates it.
        loop = asyncio.get_running_loop()
        users = [TELEGRAM_FIRST_USER + u for u in range(self.args.telegram_users)]
        for uid in users:
            await loop.run_in_executor(None, self.http, "POST", "/control/message",
                                       {"from_id": uid, "text": "hello"})
        for uid in users:
            got = await loop.run_in_executor(None, self.http, "POST", "/control/wait_sent",
                                             {"chat_id": uid, "count": 1, "timeout": TURN_TIMEOUT})
            if got["count"] < 1:
                raise SystemExit("soak: Telegram user %d got no reply to its first message" % uid)
        reply = "an earlier reply in this conversation, about as long as the fake model's. " * 2
        await asyncio.gather(*(inject("agent:main:telegram:direct:%d" % uid, "%d %s" % (n, reply))
                               for uid in users for n in range(SEED_DM_ENTRIES)))
        await conn.close()
        log("seeded the store: %d MB in one session, %d Telegram DMs of %d entries (%.1f s)" % (
            SEED_MB, len(users), SEED_DM_ENTRIES, time.monotonic() - t0))

    async def run(self):
        a = self.args
        # The Telegram channel is up once the gateway long-polls the fake.
        deadline = time.monotonic() + 15
        while self.http("GET", "/control/state")["getUpdates"] == 0:
            if time.monotonic() > deadline:
                raise SystemExit("soak: the gateway never polled the fake Telegram")
            await asyncio.sleep(0.1)
        await self.seed()
        # Open the operators in small batches: the gateway allows 32 unauthenticated
        # sockets per IP at a time.
        log("opening %d operator connections (%d chatting)" % (a.operators, a.chatters))
        sconn = await Conn(a, self.stats, "sampler", ["operator.read"]).open()
        ready = asyncio.Semaphore(0)
        tasks = []
        for i in range(a.operators):
            if i < a.chatters:
                tasks.append(asyncio.create_task(self.chatter(i, ready)))
            else:
                tasks.append(asyncio.create_task(self.operator(i, ready)))
            if i % 10 == 9:
                for _ in range(10):
                    await ready.acquire()
        for _ in range(a.operators % 10):
            await ready.acquire()
        log("%d connections open; load for %d s, a sample every %d s" % (
            len(self.conns), a.duration, a.interval))
        tasks.append(asyncio.create_task(self.churner()))
        threads = [threading.Thread(target=self.telegram_user, args=(TELEGRAM_FIRST_USER + u,),
                                    daemon=True) for u in range(a.telegram_users)]
        for t in threads:
            t.start()
        t_start = time.monotonic()
        with open(a.csv, "w") as csv:
            csv.write(",".join(COLUMNS) + "\n")
            rows = await self.sampler(sconn, t_start, csv)
        # Stop: turns and Telegram messages in flight finish (their errors still count).
        self.stop.set()
        self.stop_threads.set()
        await asyncio.gather(*tasks)
        await asyncio.get_running_loop().run_in_executor(None, lambda: [t.join() for t in threads])
        await sconn.close()
        return rows


COLUMNS = ["t_s", "rss_mb", "fds", "sqlite_mb", "loop_p99_ms", "loop_max_ms", "turns",
           "tool_turns", "turn_p50_ms", "turn_p99_ms", "tg_msgs", "tg_p50_ms", "tg_p99_ms",
           "churn", "conns", "errors", "gw_cpu_pct", "load1", "sqlite_db_mb",
           "rss_anon_mb"]


def judge(rows, args, stats):
    """The targets on quarters of the run (by each interval's midpoint); the first
    quarter is warm-up. Prints the tables; returns the failed targets' descriptions."""
    q = [[], [], [], []]
    for r in rows:
        mid = r["t_s"] - args.interval / 2
        q[min(3, int(4 * mid / args.duration))].append(r)
    q2, q4 = q[1], q[3]
    failed = []
    lines = []

    def flat(name, col, unit, pct):
        a = statistics.mean(r[col] for r in q2)
        b = statistics.mean(r[col] for r in q4)
        change = (b - a) / a * 100 if a else 0.0
        ok = abs(change) <= pct
        lines.append("| %s, mean | %.1f %s | %.1f %s | within %g%% | %+.1f%% | %s |" % (
            name, a, unit, b, unit, pct, change, "ok" if ok else "**FAIL**"))
        if not ok:
            failed.append("%s: last-quarter mean %.1f %s is %+.1f%% from the second quarter's "
                          "%.1f %s (limit %g%%)" % (name, b, unit, change, a, unit, pct))

    flat("gateway RSS", "rss_mb", "MB", args.rss_pct)
    flat("open fds", "fds", "", 5.0)
    # Turn p99 drift. Per interval the p99 of ~20-40 turns is about the slowest turn, which
    # on a shared 2-core machine (a compiler running beside) swings with scheduling noise;
    # the median over a quarter drops single bad intervals, 1.5x leaves room for that
    # noise, and the +5 ms floor keeps a few-ms baseline from failing on 1-2 ms of jitter.
    # A real drift (a transcript or index growing into every turn, a queue backing up)
    # grows without bound and crosses it.
    p2 = [r["turn_p99_ms"] for r in q2 if r["turn_p99_ms"] is not None]
    p4 = [r["turn_p99_ms"] for r in q4 if r["turn_p99_ms"] is not None]
    if p2 and p4:
        a, b = statistics.median(p2), statistics.median(p4)
        limit = 1.5 * a + 5
        # CI mode (SOAK_LATENCY_TARGET=0): ctest runs the short soak beside other tests on
        # the same 2 cores, so its latency measures them; it is shown, not judged there.
        ok = b <= limit or not args.latency_target
        verdict = ("ok" if b <= limit else "**FAIL**") if args.latency_target else \
            "not judged (SOAK_LATENCY_TARGET=0)"
        lines.append("| turn p99, median of intervals | %.1f ms | %.1f ms "
                     "| <= 1.5x + 5 ms = %.1f ms | %.2fx | %s |" % (
                         a, b, limit, b / a if a else 0, verdict))
        if not ok:
            failed.append("turn p99: last-quarter median %.1f ms > 1.5 x %.1f ms + 5 ms = %.1f ms"
                          % (b, a, limit))
    else:
        lines.append("| turn p99, median of intervals | - | - | turns in both quarters | - "
                     "| **FAIL** |")
        failed.append("turn p99: no turn finished in the second or the last quarter")
    errors = stats.total["errors"]
    kinds = ", ".join("%s %d" % kv for kv in sorted(stats.by_kind.items()))
    lines.append("| errors, whole run | - | %d | 0 | %s | %s |" % (
        errors, kinds or "-", "ok" if errors == 0 else "**FAIL**"))
    if errors:
        failed.append("errors: %d (%s)" % (errors, kinds))

    print("| target | second quarter | last quarter | limit | change | result |")
    print("|---|---:|---:|---|---:|---|")
    for line in lines:
        print(line)
    print()
    t = stats.total
    mean = lambda rs, c: statistics.mean(r[c] for r in rs if r[c] is not None) if any(
        r[c] is not None for r in rs) else float("nan")
    med = lambda rs, c: statistics.median(r[c] for r in rs if r[c] is not None) if any(
        r[c] is not None for r in rs) else float("nan")
    print("| run | value |")
    print("|---|---:|")
    print("| duration, samples | %d s, %d x %d s |" % (args.duration, len(rows), args.interval))
    print("| operators open / chatting | %d / %d |" % (args.operators, args.chatters))
    print("| turns (with exec approval) | %d (%d; %d approvals) |" % (
        t["turns"], t["tool_turns"], t["approvals"]))
    print("| turns/s | %.1f |" % (t["turns"] / args.duration))
    print("| turn p50, median of intervals: second / last quarter | %.1f / %.1f ms |" % (
        med(q2, "turn_p50_ms"), med(q4, "turn_p50_ms")))
    print("| Telegram round trips (%d users) | %d |" % (args.telegram_users, t["telegram"]))
    print("| Telegram p99, median of intervals: second / last quarter | %.1f / %.1f ms |" % (
        med(q2, "tg_p99_ms"), med(q4, "tg_p99_ms")))
    print("| churn connections (connect, health, close) | %d |" % t["churn"])
    print("| event-loop delay p99: second / last quarter mean; max seen | %.2f / %.2f ms; %.1f ms |"
          % (mean(q2, "loop_p99_ms"), mean(q4, "loop_p99_ms"),
             max((r["loop_max_ms"] or 0) for r in rows)))
    print("| gateway CPU, mean: second / last quarter | %.0f%% / %.0f%% |" % (
        mean(q2, "gw_cpu_pct"), mean(q4, "gw_cpu_pct")))
    print("| machine load average (1 min), mean: second / last quarter | %.2f / %.2f |" % (
        mean(q2, "load1"), mean(q4, "load1")))
    print("| RSS first sample / last sample | %.1f / %.1f MB |" % (
        rows[0]["rss_mb"], rows[-1]["rss_mb"]))
    print("| SQLite db + wal (db alone): first / last sample | %.2f (%.2f) / %.2f (%.2f) MB |" % (
        rows[0]["sqlite_mb"], rows[0]["sqlite_db_mb"], rows[-1]["sqlite_mb"],
        rows[-1]["sqlite_db_mb"]))
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--tg-port", type=int, required=True)
    ap.add_argument("--duration", type=int, required=True)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--csv", required=True)
    args = ap.parse_args()
    args.token = os.environ["SOAK_TOKEN"]
    args.operators = int(os.environ.get("SOAK_OPERATORS", 100))
    args.chatters = min(args.operators, int(os.environ.get("SOAK_CHATTERS", 4)))
    args.telegram_users = int(os.environ.get("SOAK_TELEGRAM_USERS", 4))
    args.pause = int(os.environ.get("SOAK_PAUSE_MS", 1000)) / 1000
    args.churn_pause = int(os.environ.get("SOAK_CHURN_MS", 500)) / 1000
    args.latency_target = os.environ.get("SOAK_LATENCY_TARGET", "1") != "0"
    args.rss_pct = float(os.environ.get("SOAK_RSS_PCT", 5))
    if args.duration < 4 * args.interval:
        raise SystemExit("soak: the duration must hold at least 4 intervals (one per quarter)")
    soak = Soak(args)
    rows = asyncio.run(soak.run())
    if len(rows) < 4:
        print("soak: only %d samples; nothing to judge" % len(rows), file=sys.stderr)
        return 1
    failed = judge(rows, args, soak.stats)
    for f in failed:
        print("soak: FAILED %s" % f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
