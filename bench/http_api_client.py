#!/usr/bin/env python3
"""Load client for bench/http_api.sh: POST /v1/chat/completions at a fixed concurrency.

  http_api_client.py PORT TOKEN CONCURRENCY DURATION_S [--stream] [--warmup S]

Each of CONCURRENCY workers keeps one keep-alive HTTP/1.1 connection and sends one
request after another (each a fresh agent session: no `user` field). Latency is request
sent -> whole answer read (the [DONE] frame when streaming). Prints one JSON line:
{"concurrency", "stream", "requests", "errors", "rps", "p50_ms", "p99_ms"}.
Standard library only (asyncio streams), so the client stays cheap next to the gateway.
"""
import asyncio
import json
import sys
import time


async def read_answer(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip()
    if headers.get(b"transfer-encoding") == b"chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, body


async def worker(port, token, stream, until, warm_until, lat, counts):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps({"model": "openclaw", "stream": stream,
                          "messages": [{"role": "user", "content": "hello bench"}]}).encode()
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Authorization: Bearer " + token.encode() + b"\r\n"
           b"Content-Type: application/json\r\nContent-Length: " + str(len(payload)).encode() +
           b"\r\n\r\n" + payload)
    while time.monotonic() < until:
        t0 = time.monotonic()
        writer.write(req)
        await writer.drain()
        status, body = await read_answer(reader)
        t1 = time.monotonic()
        ok = status == 200 and (not stream or b"[DONE]" in body)
        if t0 >= warm_until:
            if ok:
                lat.append((t1 - t0) * 1000.0)
            else:
                counts["errors"] += 1
    writer.close()


async def main():
    port, token, conc, dur = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    stream = "--stream" in sys.argv
    warm = float(sys.argv[sys.argv.index("--warmup") + 1]) if "--warmup" in sys.argv else 1.0
    start = time.monotonic()
    warm_until, until = start + warm, start + warm + dur
    lat, counts = [], {"errors": 0}
    await asyncio.gather(*[worker(port, token, stream, until, warm_until, lat, counts)
                           for _ in range(conc)])
    lat.sort()
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None
    print(json.dumps({"concurrency": conc, "stream": stream, "requests": len(lat),
                      "errors": counts["errors"], "rps": round(len(lat) / dur, 1),
                      "p50_ms": pick(0.50), "p99_ms": pick(0.99)}))


asyncio.run(main())
