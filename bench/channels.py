#!/usr/bin/env python3
"""bench/channels.py — Telegram message -> agent -> reply through the gateway.

Drives the fake Bot API (tests/fakes/fake_telegram.py) as N Telegram users: each user
sends a message, waits for the bot's reply to appear in the fake's sendMessage log, and
sends the next one. Reports messages/s and the user-visible latency (message posted to the
fake -> reply received by the fake) p50/p99. The gateway's only model is sc_fake_llm
answering instantly, so the figure is the channel path's own cost: long poll answer,
access check, transcript commit, run, reply queue, sendMessage. The fake is Python and
its long poll wakes on each injected update, so it is part of what is measured.

Usage: bench/channels.py BUILD_DIR [users=20] [seconds=5]; one markdown table row on
stdout, progress on stderr. Standard library only.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import http, start_fake_llm

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
USERS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 5
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "4242:BENCH"


def first_line(proc):
    return proc.stdout.readline().decode()




def main():
    work = tempfile.mkdtemp(prefix="sc-chan-bench.")
    procs = []
    try:
        fake_llm, llm_port = start_fake_llm(BUILD)
        procs.append(fake_llm)
        tg = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/fakes/fake_telegram.py"), TOKEN],
                              stdout=subprocess.PIPE)
        procs.append(tg)
        tg_port = json.loads(first_line(tg))["port"]
        users = list(range(1000, 1000 + USERS))
        with open(os.path.join(work, "config.yaml"), "w") as f:
            f.write("models:\n  providers:\n    fake: {api: openai, base_url: \"http://127.0.0.1:%d/v1\","
                    " models: [{id: instant}]}\n" % llm_port)
            f.write("sessions: {max_queue: 10000}\nlogging: {level: warn}\n")
            f.write("channels:\n  telegram:\n    token: \"%s\"\n    api_base: http://127.0.0.1:%d\n"
                    "    poll_timeout_s: 10\n    allow_from: %s\n" % (TOKEN, tg_port, json.dumps(users)))
        gw = subprocess.Popen([os.path.join(BUILD, "src", "simpleclaw"), "gateway", "--port", "0",
                               "--state-dir", os.path.join(work, "state"), "--config",
                               os.path.join(work, "config.yaml")], stderr=subprocess.DEVNULL)
        procs.append(gw)
        deadline = time.time() + 10
        while time.time() < deadline and http(tg_port, "GET", "/control/state")["getUpdates"] == 0:
            time.sleep(0.05)
        print("[bench] channels: %d Telegram users, %.0fs" % (USERS, SECONDS), file=sys.stderr)
        lat = []
        lock = threading.Lock()
        seen = [0]  # replies counted so far (sendMessage log length)
        stop = time.time() + SECONDS

        def user(uid):
            n = 0
            while time.time() < stop:
                n += 1
                t0 = time.time()
                http(tg_port, "POST", "/control/message", {"from_id": uid, "text": "m%d" % n})
                got = http(tg_port, "POST", "/control/wait_sent",
                           {"chat_id": uid, "count": n, "timeout": max(0.1, stop + 10 - time.time())})
                want = time.time() - t0 if got["count"] >= n else None
                if want is None:
                    return
                with lock:
                    lat.append(want)

        def cpu_s(pid):  # utime + stime of a process, in seconds
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        cpu0 = {p.pid: cpu_s(p.pid) for p in procs}
        threads = [threading.Thread(target=user, args=(u,)) for u in users]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - t0
        cpu = {p.pid: (cpu_s(p.pid) - cpu0[p.pid]) / took * 100 for p in procs}
        rss = 0
        with open("/proc/%d/status" % gw.pid) as f:
            for line in f:
                if line.startswith("VmHWM"):
                    rss = int(line.split()[1]) / 1024
        lat.sort()
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        print("| Telegram users | messages | messages/s | p50 ms | p99 ms | gateway peak RSS "
              "| CPU gateway / fake Telegram / fake LLM |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print("| %d | %d | %.0f | %.1f | %.1f | %.1f MB | %.0f%% / %.0f%% / %.0f%% |" % (
            USERS, len(lat), len(lat) / took, p(0.5), p(0.99), rss,
            cpu[gw.pid], cpu[tg.pid], cpu[fake_llm.pid]))
    finally:
        for p in procs:
            p.kill()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
