#!/usr/bin/env python3
"""Checks cron next_after against a brute-force oracle of its documented DST semantics
(src/cron/schedule.h), computed minute by minute with Python's zoneinfo: an independent
reading of the same tzdata. Random 5-field expressions (hours near 01:00-03:00 weighted),
random times around 2026's DST transitions in UTC, Europe/Berlin, America/New_York,
Australia/Lord_Howe and Asia/Kathmandu.

  next_after_oracle.py DRIVER [SEED] [CASES]     exit 1 on any mismatch
"""
import random, subprocess, sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

DRIVER = sys.argv[1]
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]

def field(lo, hi):
    r = random.random()
    if r < 0.35: return "*", set(range(lo, hi + 1))
    if r < 0.5:
        n = random.choice([2, 3, 5, 10, 15, 20, 30]); n = min(n, hi)
        return f"*/{n}", set(range(lo, hi + 1, n))
    if r < 0.8:
        vs = sorted(set(random.randint(lo, hi) for _ in range(random.randint(1, 3))))
        return ",".join(map(str, vs)), set(vs)
    a = random.randint(lo, hi); b = random.randint(a, hi)
    return f"{a}-{b}", set(range(a, b + 1))

def gen():
    m, ms = field(0, 59)
    # Hours near DST transitions more often
    if random.random() < 0.5:
        h, hs = random.choice([("2", {2}), ("1", {1}), ("1,2,3", {1, 2, 3}), ("*", set(range(24))), ("*/2", set(range(0, 24, 2))), ("2-3", {2, 3})])
    else:
        h, hs = field(0, 23)
    if random.random() < 0.7: dom, doms = "*", set(range(1, 32))
    else: dom, doms = field(1, 31)
    mon, mons = ("*", set(range(1, 13))) if random.random() < 0.8 else field(1, 12)
    if random.random() < 0.7: dow, dows = "*", set(range(7))
    else: dow, dows = field(0, 6)
    expr = f"{m} {h} {dom} {mon} {dow}"
    domstar, dowstar = dom.startswith("*"), dow.startswith("*")
    def match(dt):
        if dt.minute not in ms or dt.hour not in hs or dt.month not in mons: return False
        wd = (dt.weekday() + 1) % 7
        a, b = dt.day in doms, wd in dows
        return (a and b) if (domstar or dowstar) else (a or b)
    return expr, match, h.startswith("*")

def reading(t, z):  # instant (s) -> naive local datetime
    return datetime.fromtimestamp(t, z).replace(tzinfo=None)

def instant_first(L, z):  # naive local -> (exists, first instant)
    ts = int(L.replace(tzinfo=z, fold=0).timestamp())
    return reading(ts, z) == L, ts

LIMIT = 40 * 86400
def oracle(match, wildcard, z, after_s):
    if wildcard:
        t = (after_s // 60 + 1) * 60
        while t <= after_s + LIMIT:
            if match(reading(t, z)): return t
            t += 60
        return None
    L = reading(after_s, z).replace(second=0) - timedelta(hours=3)
    end = L + timedelta(seconds=LIMIT)
    while L <= end:
        if match(L):
            ok, ts = instant_first(L, z)
            if not ok:  # skipped: the first existing minute after it
                L2 = L
                while True:
                    L2 += timedelta(minutes=1)
                    ok2, ts = instant_first(L2, z)
                    if ok2: break
            if ts > after_s: return ts
        L += timedelta(minutes=1)
    return None

# Times around 2026's transitions in each zone.
focus = ["2026-03-28T20:00:00+00:00", "2026-03-08T03:00:00+00:00", "2026-10-24T20:00:00+00:00",
         "2026-11-01T03:00:00+00:00", "2026-04-04T10:00:00+00:00", "2026-10-03T10:00:00+00:00",
         "2026-06-15T12:00:00+00:00"]
cases = []
for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 300):
    expr, match, wild = gen()
    zn = random.choice(ZONES)
    base = int(datetime.fromisoformat(random.choice(focus)).timestamp())
    after = base + random.randint(0, 10 * 3600)
    after = after - after % 60 + random.choice([0, 0, 30])
    cases.append((expr, match, wild, zn, after))
inp = "".join(f"{e}|{zn}|{a*1000}\n" for e, _, _, zn, a in cases)
out = subprocess.run([DRIVER], input=inp, capture_output=True, text=True).stdout.split("\n")
bad = 0
for (expr, match, wild, zn, after), got in zip(cases, out):
    want = oracle(match, wild, ZoneInfo(zn), after)
    if got == "never" and want is None: continue
    if want is None and not got.startswith("ERR") and got != "never" and int(got) // 1000 - after > LIMIT - 4 * 3600: continue
    if got.startswith("ERR") or want is None or got == "never" or int(got) != want * 1000:
        bad += 1
        print("MISMATCH", expr, zn, datetime.fromtimestamp(after, timezone.utc).isoformat(), "got", got if got in ("never",) or got.startswith("ERR") else datetime.fromtimestamp(int(got)/1000, timezone.utc).isoformat(), "want", want and datetime.fromtimestamp(want, timezone.utc).isoformat())
print("cases", len(cases), "mismatches", bad)
sys.exit(1 if bad or len(out) < len(cases) else 0)
