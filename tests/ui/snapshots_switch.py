"""Headless snapshots follow the couple: with the switch script (anti-phase, in phase from 60 s,
anti-phase again from 120 s) the match crosses 0.7 within 8 s after the switch to in-phase and falls
below 0.7 within 8 s of the switch back. Also checks the JSON lines carry the contract's keys.

usage: /usr/bin/python3 snapshots_switch.py ATTUNE"""
import json
import subprocess
import sys

KEYS = ["t", "match", "plv", "plv_chance", "relative_phase_deg", "lag_s", "a_breath_rate_bpm",
        "b_breath_rate_bpm", "a_heart_rate_bpm", "b_heart_rate_bpm", "a_resp_quality",
        "a_ppg_quality", "b_resp_quality", "b_ppg_quality", "frames_lost"]

attune = sys.argv[1]
out = subprocess.run([attune, "live", "--headless", "--synthetic", "switch", "--speed", "0",
                      "--duration", "170", "--snapshots", "-"],
                     capture_output=True, text=True, timeout=300)
failures = []
if out.returncode != 0:
    failures.append("attune exited %d: %s" % (out.returncode, out.stderr.strip()))
rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
if len(rows) < 1000:
    failures.append("only %d snapshots for 170 s (want ~10 Hz)" % len(rows))
for k in KEYS:
    if rows and k not in rows[0]:
        failures.append("snapshot has no key %r" % k)


def first(cond, t0, t1):
    for r in rows:
        if t0 <= r["t"] <= t1 and cond(r):
            return r["t"]
    return None


up = first(lambda r: r["match"] is not None and r["match"] >= 0.7, 60.0, 100.0)
down = first(lambda r: r["match"] is None or r["match"] < 0.7, 120.0, 160.0)
before = [r["match"] for r in rows if 40.0 <= r["t"] < 60.0 and r["match"] is not None]
print("match crosses 0.7 at %s s (switch at 60 s), falls below at %s s (switch at 120 s)" %
      (up, down))
if before and max(before) >= 0.7:
    failures.append("match already >= 0.7 in anti-phase before the switch (max %.2f)" % max(before))
if up is None or up > 68.0:
    failures.append("match did not reach 0.7 within 8 s of the switch to in-phase (at %s)" % up)
if down is None or down > 128.0:
    failures.append("match did not fall below 0.7 within 8 s of the switch back (at %s)" % down)
for f in failures:
    print("FAIL:", f, file=sys.stderr)
print("snapshots_switch: %s" % ("all checks passed" if not failures else "%d failed" % len(failures)))
sys.exit(1 if failures else 0)
