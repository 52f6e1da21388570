#!/usr/bin/env python3
"""echo-provider: an example simpleclaw provider plugin (stdlib only, JSON-RPC 2.0 over stdio).

Its "model" (echo-1) answers the last user message:
  * "call <tool> <json arguments>"  -> a tool call of <tool>; once the tool's result comes
                                       back it answers "tool said: <result>"
  * "fail <message>"                -> a JSON-RPC error answer with <message>
  * "slow <text>"                   -> "echo: <text>", one word every 200 ms (cancellable)
  * "crash"                         -> the process exits in the middle of the reply
  * anything else                   -> "echo: <text>"
Replies stream word by word as provider/delta notifications; provider/cancel stops one.
"""
import json
import os
import sys
import threading
import time

config = {}
out_lock = threading.Lock()
cancelled = set()
cancel_lock = threading.Lock()


def send(msg):
    line = json.dumps(msg) + "\n"
    with out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def reply(mid, result=None, error=None):
    msg = {"jsonrpc": "2.0", "id": mid}
    if error is not None:
        msg["error"] = error
    else:
        msg["result"] = result if result is not None else {}
    send(msg)


def delta(rid, **fields):
    fields["requestId"] = rid
    send({"jsonrpc": "2.0", "method": "provider/delta", "params": fields})


def is_cancelled(rid):
    with cancel_lock:
        return rid in cancelled


def stream_words(rid, text, delay):
    words = text.split(" ")
    for i, w in enumerate(words):
        if is_cancelled(rid):
            return False
        delta(rid, text=w if i == 0 else " " + w)
        if delay:
            time.sleep(delay)
    return not is_cancelled(rid)


def chat(mid, params):
    rid = params.get("requestId", "")
    record = config.get("record_file")
    if record:
        with open(record, "a") as f:
            f.write(json.dumps(params) + "\n")
    messages = params.get("messages") or []
    last = messages[-1] if messages else {"role": "user", "content": ""}
    delay = config.get("word_delay_ms", 0) / 1000.0
    usage = {"input": sum(len(str(m.get("content", "")).split()) for m in messages)}
    if last.get("role") == "tool":
        text = "tool said: " + str(last.get("content", ""))
    else:
        text = str(last.get("content", ""))
        if text.startswith("call "):
            parts = text.split(" ", 2)
            name = parts[1] if len(parts) > 1 else ""
            args = parts[2] if len(parts) > 2 else "{}"
            half = len(args) // 2
            call_id = "call_%d" % len(messages)
            delta(rid, text="calling " + name)
            # Arguments arrive in pieces, as real models stream them.
            delta(rid, toolCall={"id": call_id, "name": name, "argumentsDelta": args[:half]})
            delta(rid, toolCall={"id": call_id, "argumentsDelta": args[half:]})
            usage["output"] = 2
            return reply(mid, {"stopReason": "tool_use", "usage": usage})
        if text.startswith("fail "):
            return reply(mid, error={"code": -32000, "message": text[5:]})
        if text == "crash":
            delta(rid, text="about to crash")
            os._exit(3)
        if text.startswith("slow "):
            text, delay = text[5:], max(delay, 0.2)
        text = "echo: " + text
    if not stream_words(rid, text, delay):
        return reply(mid, error={"code": -32800, "message": "cancelled"})
    usage["output"] = len(text.split())
    reply(mid, {"stopReason": "end", "usage": usage})


def main():
    global config
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if not isinstance(msg, dict) or "method" not in msg:
            continue
        method, params, mid = msg["method"], msg.get("params") or {}, msg.get("id")
        if method == "initialize":
            config = params.get("config") or {}
            reply(mid, {"name": "echo-provider", "version": "0.1.0", "capabilities": {}})
        elif method == "provider/models":
            reply(mid, {"models": [{"id": "echo-1", "contextWindow": 32000, "maxOutput": 1024,
                                    "tools": True}]})
        elif method == "provider/chat":
            # A thread per request: deltas stream while stdin is still read (cancel, ping).
            threading.Thread(target=chat, args=(mid, params), daemon=True).start()
        elif method == "provider/cancel":
            with cancel_lock:
                cancelled.add(params.get("requestId", ""))
        elif method in ("ping", "shutdown"):
            if mid is not None:
                reply(mid, {})
            if method == "shutdown":
                return
        elif mid is not None:
            reply(mid, error={"code": -32601, "message": "Method not found: %s" % method})


if __name__ == "__main__":
    main()
