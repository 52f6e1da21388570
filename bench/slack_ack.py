#!/usr/bin/env python3
"""bench/slack_ack.py — how long a Slack message waits for its acknowledgement.

The gateway acks a Socket Mode envelope only once the message is durable (the user
message committed to SQLite with fsync, group-committed), so the ack time is the commit
path's cost, and it must stay well inside Slack's 3 s redelivery window. Drives the fake
Slack (tests/fakes/fake_slack.py, which times each envelope from send to ack) with N
direct messages from one user, one at a time and then in a burst of N at once, with
sc_fake_llm answering instantly. Prints one markdown table (p50 / p99 / max ack ms).

Usage: bench/slack_ack.py BUILD_DIR [messages=200]. Standard library only.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from benchlib import http, start_fake_llm

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP, BOT = "xapp-1-A0001-bench", "xoxb-0001-bench"




def dm(i):
    return {"event": {"type": "message", "channel": "D111", "channel_type": "im", "user": "U111",
                      "text": "m%d" % i, "ts": "1700000000.%06d" % i}}


def wait_acks(port, n, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ms = http(port, "GET", "/control/state")["ack_ms"]
        if len(ms) >= n:
            return ms
        time.sleep(0.02)
    raise SystemExit("slack_ack: only %d of %d messages acknowledged" % (len(ms), n))


def row(name, ms):
    ms = sorted(ms)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return "| %s | %d | %.1f | %.1f | %.1f |" % (name, len(ms), p(0.5), p(0.99), ms[-1])


def main():
    work = tempfile.mkdtemp(prefix="sc-slack-ack.")
    procs = []
    try:
        llm, llm_port = start_fake_llm(BUILD)
        procs.append(llm)
        slack = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/fakes/fake_slack.py"),
                                  "--app-token", APP, "--bot-token", BOT],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        procs.append(slack)
        port = json.loads(slack.stdout.readline())["http"]
        with open(os.path.join(work, "config.yaml"), "w") as f:
            f.write("models:\n  providers:\n    fake: {api: openai, base_url: \"http://127.0.0.1:%d/v1\","
                    " models: [{id: instant}]}\n" % llm_port)
            f.write("sessions: {max_queue: 10000}\nlogging: {level: warn}\n")
            f.write("channels:\n  slack:\n    app_token: %s\n    bot_token: %s\n"
                    "    api_base: http://127.0.0.1:%d/api\n    allow_from: [U111]\n" % (APP, BOT, port))
        gw = subprocess.Popen([os.path.join(BUILD, "src", "simpleclaw"), "gateway", "--port", "0",
                               "--state-dir", os.path.join(work, "state"), "--config",
                               os.path.join(work, "config.yaml")], stderr=subprocess.DEVNULL)
        procs.append(gw)
        deadline = time.time() + 10
        while time.time() < deadline and http(port, "GET", "/control/state")["connections"] == 0:
            time.sleep(0.05)
        time.sleep(0.3)  # the hello
        print("[bench] slack_ack: %d messages one at a time, then %d at once" % (N, N),
              file=sys.stderr)
        for i in range(N):
            http(port, "POST", "/control/event", dm(i))
            wait_acks(port, i + 1)
        one = http(port, "GET", "/control/state")["ack_ms"][:N]
        for i in range(N, 2 * N):
            http(port, "POST", "/control/event", dm(i))
        burst = wait_acks(port, 2 * N)[N:]
        print("| Slack messages | count | ack p50 ms | ack p99 ms | ack max ms |")
        print("|---|---:|---:|---:|---:|")
        print(row("one at a time", one))
        print(row("burst of %d" % N, burst))
    finally:
        for p in reversed(procs):
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
