#!/usr/bin/env python3
"""A tiny WebSocket server for the ws_client tests (python3-websockets 10.x). Prints
{"port": N} on stdout, stops when stdin closes. `ws_echo.py CERT KEY` serves wss://
with that certificate instead. Paths:
  /echo     echoes every message; "close-me" -> the server closes with 4001 "bye";
            "headers?" -> answers with the X-Test request header
  /big      sends one 100000-byte message at once
  /reject   refuses the upgrade with HTTP 403"""
import asyncio, http, json, ssl, sys

import websockets


async def handler(ws, path):
    try:
        await serve(ws, path)
    except websockets.ConnectionClosed:
        pass  # the tests cut connections on purpose


async def serve(ws, path):
    if path == "/big":
        await ws.send("x" * 100000)
        await asyncio.sleep(5)
        return
    async for msg in ws:
        if msg == "close-me":
            await ws.close(4001, "bye")
            return
        if msg == "headers?":
            await ws.send(ws.request_headers.get("X-Test", ""))
            continue
        await ws.send(msg)


async def process_request(path, headers):
    if path == "/reject":
        return http.HTTPStatus.FORBIDDEN, [], b"no\n"
    return None


async def main():
    tls = None
    if len(sys.argv) == 3:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(sys.argv[1], sys.argv[2])
    server = await websockets.serve(handler, "127.0.0.1", 0, max_size=None, ssl=tls,
                                    process_request=process_request)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes stdin
    server.close()


asyncio.run(main())
