#!/usr/bin/env python3
"""watch_check.py CHECK DIR: judges the watch's JSON lines in DIR/watch.jsonl
against the run in DIR/run (summary.json), lined up by the run's started_at
(the wall time of scenario time 0). See scripts/watch-check.sh. Exit 0 when
every figure is within its bound, 1 when one is not."""
import collections
import datetime
import json
import sys


def wall(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def load(d):
    sm = json.load(open(d + "/run/summary.json"))
    rows = []  # (wall time, group name in the scenario, group object)
    for line in open(d + "/watch.jsonl"):
        s = json.loads(line)
        for g in s["groups"]:
            rows.append((wall(s["time"]), g["group"].split("-", 2)[-1], g))
    return sm, wall(sm["started_at"]), sm["speedup"], rows


def keeps_up(rows, name, after):
    ks = [g for t, n, g in rows if n == name and t > after]
    states = collections.Counter(g["state"] for g in ks)
    drains = sum(1 for g in ks if (g.get("forecast") or {}).get("drained_in_s") is not None)
    at_least = all(g["processing_rate_at_least"] for g in ks if g["state"] == "keeping-up")
    ok = len(ks) > 0 and set(states) == {"keeping-up"} and drains == 0 and at_least
    print("%s: %d samples, states %s, drain forecasts %d, μ 'at least λ' in every keeping-up sample: %s -> %s"
          % (name, len(ks), dict(states), drains, at_least, "pass" if ok else "FAIL"))
    return ok


def recovery(d):
    sm, t0, x, rows = load(d)
    obs = sm["groups"]["recovering"]["observed"]["drained_at_s"]
    rec, truth = t0 + 120 / x, t0 + obs / x
    length = truth - rec
    print("recovering: drained at %.1f s scenario time (predicted %s), recovery %.2f s wall"
          % (obs, sm["groups"]["recovering"]["predicted"]["drained_at_s"], length))
    n, worst = 0, 0.0
    for t, name, g in rows:
        f = g.get("forecast") or {}
        if name != "recovering" or t < rec + 20 / x or t > truth or f.get("drained_in_s") is None:
            continue
        err = (t + f["drained_in_s"] - truth) / length
        n, worst = n + 1, max(worst, abs(err))
        print("  recovery +%5.2f s: %-8s lag %6d, μ %7.1f/s, drains in %6.2f s [%.2f, %.2f]: %+.2f%% of the recovery"
              % (t - rec, g["state"], g["lag"], g["processing_rate"], f["drained_in_s"],
                 f["drained_in_s_low"], f["drained_in_s_high"], 100 * err))
    ok = n > 0 and worst <= 0.05
    print("recovering: %d drain forecasts after the first 20 s of the recovery, worst %.2f%% of its length (bound 5%%) -> %s"
          % (n, 100 * worst, "pass" if ok else "FAIL"))
    return keeps_up(rows, "keeping-up", t0 + 30 / x) and ok


def flash_sale(d, window=10):
    sm, t0, x, rows = load(d)
    # Samples whose whole window (10 samples of 1 s) lies in the growth
    # phase, 2:00-7:00 scenario time.
    gr = [g for t, n, g in rows if n == "analytics" and t0 + 120 / x + window + 1 < t < t0 + 420 / x]
    if not gr:
        print("analytics: no sample in the growth phase -> FAIL")
        return False
    states = collections.Counter(g["state"] for g in gr)
    growth = [g["forecast"]["growth_per_s"] for g in gr if g.get("forecast")]
    mu = [g["processing_rate"] for g in gr]
    wg = max(abs(v / (60 * x) - 1) for v in growth) if growth else 1
    wm = max(abs(v / (120 * x) - 1) for v in mu)
    ok = set(states) == {"growing"} and len(growth) == len(gr) and wg <= 0.03 and wm <= 0.03
    print("analytics: %d samples in the growth phase, states %s; growth %.1f..%.1f/s (worst %.2f%% off %g); "
          "μ %.1f..%.1f/s (worst %.2f%% off %g) -> %s"
          % (len(gr), dict(states), min(growth or [0]), max(growth or [0]), 100 * wg, 60 * x,
             min(mu), max(mu), 100 * wm, 120 * x, "pass" if ok else "FAIL"))
    for name in ("email", "inventory-feed", "loyalty"):
        ok = keeps_up(rows, name, t0 + 30 / x) and ok
    return ok


if __name__ == "__main__":
    check, d = sys.argv[1], sys.argv[2]
    ok = recovery(d) if check == "recovery" else flash_sale(d)
    sys.exit(0 if ok else 1)
