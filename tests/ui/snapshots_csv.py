"""Headless snapshots from a CSV recording: --speed 0 runs far faster than real time, covers the
whole file (also as attune replay FILE), and two chest signals breathing together (a known 6 /min sine pair, B 20 degrees
behind A) read as matched with A leading; a recording without b_resp is refused in one line.

usage: /usr/bin/python3 snapshots_csv.py ATTUNE"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

attune = sys.argv[1]
failures = []
rate, secs, f0, lag_deg = 100.0, 120.0, 0.1, 20.0

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "pair.csv")
    with open(path, "w") as f:
        f.write("t,a_resp,b_resp\n")
        for i in range(int(rate * secs)):
            t = i / rate
            a = 2.5 + 0.5 * math.sin(2 * math.pi * f0 * t)
            b = 2.5 + 0.4 * math.sin(2 * math.pi * f0 * t - math.radians(lag_deg))
            f.write("%.3f,%.5f,%.5f\n" % (t, a, b))
    t0 = time.monotonic()
    r = subprocess.run([attune, "live", "--headless", "--input", path, "--speed", "0",
                        "--snapshots", "-"], capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    if r.returncode != 0:
        failures.append("attune exited %d: %s" % (r.returncode, r.stderr.strip()))
    rows = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    print("%d snapshots for %g s of signal in %.2f s" % (len(rows), secs, took))
    if took > secs / 10:
        failures.append("--speed 0 took %.1f s for %g s of signal" % (took, secs))
    if not rows or rows[-1]["t"] < secs - 1.0:
        failures.append("snapshots stop before the end of the file")
    late = [x for x in rows if x["t"] > 60.0]
    if late:
        m = min(x["match"] if x["match"] is not None else 0.0 for x in late)
        ph = late[-1]["relative_phase_deg"]
        print("match from 60 s on >= %.2f, relative phase %s deg, lag %s s" %
              (m, ph, late[-1]["lag_s"]))
        if m < 0.8:
            failures.append("in-phase pair not matched (min match %.2f)" % m)
        if ph is None or abs(ph - lag_deg) > 10.0:
            failures.append("relative phase %s, want %g +- 10 (A leads)" % (ph, lag_deg))
        if late[-1]["a_ppg_quality"] != "absent":
            failures.append("no PPG column, but a_ppg_quality is %r" % late[-1]["a_ppg_quality"])

    # attune replay FILE is the same session through the same loop
    rr = subprocess.run([attune, "replay", path, "--headless", "--speed", "0", "--snapshots", "-"],
                        capture_output=True, text=True, timeout=120)
    if rr.returncode != 0 or rr.stdout != r.stdout:
        failures.append("attune replay differs from attune live --input (exit %d: %s)" %
                        (rr.returncode, rr.stderr.strip()))

    bad = os.path.join(d, "one.csv")
    with open(bad, "w") as f:
        f.write("t,a_resp\n0,1\n0.01,2\n")
    r = subprocess.run([attune, "live", "--headless", "--input", bad, "--snapshots", "-"],
                       capture_output=True, text=True, timeout=30)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    if r.returncode != 1 or len(lines) != 1:
        failures.append("one-person CSV: exit %d, stderr %r (want exit 1, one line)" %
                        (r.returncode, r.stderr))

for f in failures:
    print("FAIL:", f, file=sys.stderr)
print("snapshots_csv: %s" % ("all checks passed" if not failures else "%d failed" % len(failures)))
sys.exit(1 if failures else 0)
