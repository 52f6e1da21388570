#!/usr/bin/env python3
"""Fills a running gateway with N enabled cron jobs through cron.add (the real path: each
job validated, its first due time computed, committed), pipelined 64 at a time over one
WebSocket. A mix like a big real deployment: cron expressions in a dozen zones, `every`
intervals, one-shot `at` times, some staggered.

Usage: cron_seed.py STATE_DIR N   (reads STATE_DIR/gateway.json and gateway.token)
Prints progress on stderr and "RESULT jobs=N seconds=S" on stdout. Needs
python3-websockets (Debian).
"""
import asyncio
import json
import sys
import time

import websockets

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
         "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "America/Sao_Paulo",
         "Africa/Cairo", "Pacific/Auckland", "Asia/Shanghai"]
EXPRS = ["0 9 * * 1-5", "*/15 * * * *", "30 2 * * *", "0 */6 * * *", "15 8 1 * *",
         "0 18 * * 5", "45 23 * * 0", "0 7,12,19 * * *"]


def job(i, now_ms):
    j = {"name": f"bench job {i}",
         "payload": {"kind": "agentTurn", "message": f"task {i}"},
         "delivery": {"mode": "none"}}
    k = i % 10
    if k < 7:
        j["schedule"] = {"kind": "cron", "expr": EXPRS[i % len(EXPRS)], "tz": ZONES[i % len(ZONES)]}
        if k == 6:
            j["schedule"]["staggerMs"] = 120000
    elif k < 9:
        j["schedule"] = {"kind": "every", "everyMs": (i % 48 + 1) * 1800000}
    else:
        at_s = now_ms // 1000 + (i + 1) * 3600
        j["schedule"] = {"kind": "at", "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at_s))}
    return j


async def main():
    state, n = sys.argv[1], int(sys.argv[2])
    info = json.load(open(f"{state}/gateway.json"))
    token = open(f"{state}/gateway.token").read().strip()
    url = f"ws://127.0.0.1:{info['port']}"
    async with websockets.connect(url, max_size=64 << 20) as ws:
        json.loads(await ws.recv())  # connect.challenge
        await ws.send(json.dumps({"type": "req", "id": "c", "method": "connect", "params": {
            "minProtocol": 4, "maxProtocol": 4,
            "client": {"id": "cron-seed", "version": "1", "platform": "linux", "mode": "cli"},
            "role": "operator", "scopes": ["operator.admin"], "auth": {"token": token}}}))
        while True:
            f = json.loads(await ws.recv())
            if f.get("type") == "res":
                if not f.get("ok"):
                    sys.exit(f"connect failed: {f}")
                break
        t0 = time.time()
        now_ms = int(t0 * 1000)
        sent = done = 0
        window = 64
        while done < n:
            while sent < n and sent - done < window:
                await ws.send(json.dumps({"type": "req", "id": str(sent), "method": "cron.add",
                                          "params": job(sent, now_ms)}))
                sent += 1
            f = json.loads(await ws.recv())
            if f.get("type") != "res":
                continue
            if not f.get("ok"):
                sys.exit(f"cron.add failed: {f.get('error')}")
            done += 1
            if done % 1000 == 0:
                print(f"[cron_seed] {done}/{n} jobs", file=sys.stderr, flush=True)
        print(f"RESULT jobs={n} seconds={time.time() - t0:.2f}")


asyncio.run(main())
