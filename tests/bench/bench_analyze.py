#!/usr/bin/python3
"""Benchmark of `attune analyze` against the vectorised scipy reference (bench_analyze_ref.py) on
a generated 1-hour, 4-channel, 250 Hz CSV (900k lines): wall time, real-time factor and peak
memory (max RSS from /usr/bin/time -v) of each, their ratios, and whether the two agree.
Goals: >= 10000x real time, >= 5x faster than the reference, <= 1/4 of its peak memory.

usage: bench_analyze.py ATTUNE_EXE [--seconds S] [--rate HZ] [--runs N] [--keep FILE]"""
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def arg(name, default):
    a = sys.argv
    return type(default)(a[a.index(name) + 1]) if name in a else default


def generate(path, seconds, rate):
    """A couple with truth: A leads B by 30 degrees, breathing ~12 /min with a random rate wander
    (AR(1), tau 3 s, sd 0.03 Hz: breath to breath variation) shared by both; hearts at 68 and 61 bpm
    that rise and fall with each one's breath by 3 bpm and wander on their own (AR(1), tau 30 s,
    sd 2 bpm), so the heart-rate cross-correlation and its surrogates run in full; offsets, drift
    and noise like real sensors."""
    from scipy import signal
    rng = np.random.default_rng(42)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    a = np.exp(-1 / (3 * rate))
    f = 0.2 + signal.lfilter([0.03 * np.sqrt(1 - a * a)], [1, -a], rng.standard_normal(n))
    phi = 2 * np.pi * np.cumsum(f) / rate
    cols = [t]
    for who, (off, hr, base) in enumerate(((0.0, 68, 2.4), (np.radians(30), 61, 2.0))):
        resp = base + 0.002 * t / 60 + 0.8 * np.cos(phi - off) + 0.02 * rng.standard_normal(n)
        b30 = np.exp(-1 / (30 * rate))
        wander = signal.lfilter([2 * np.sqrt(1 - b30 * b30)], [1, -b30], rng.standard_normal(n))
        hr_t = hr + 3 * np.sin(phi - off) + wander
        u = (np.cumsum(hr_t) / 60 / rate + 0.3 * who) % 1
        ppg = 1.6 + 0.9 * (np.exp(-0.5 * ((u - 0.15) / 0.07) ** 2)
                           + 0.35 * np.exp(-0.5 * ((u - 0.45) / 0.09) ** 2))
        ppg += 0.01 * rng.standard_normal(n)
        cols += [resp, ppg]
    data = np.column_stack(cols)
    np.savetxt(path, data, delimiter=",", fmt=["%.4f", "%.5f", "%.5f", "%.5f", "%.5f"],
               header="t,a_resp,a_ppg,b_resp,b_ppg", comments="")


def timed(cmd):
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"bench_analyze: {' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): (\S+)", p.stderr).group(1))
              for k in ("User", "System"))
    return secs, rss_kb / 1024.0, p.stdout, cpu


def main():
    exe = sys.argv[1]
    seconds = arg("--seconds", 3600.0)
    rate = arg("--rate", 250.0)
    runs = arg("--runs", 3)
    keep = arg("--keep", "")
    tmp = tempfile.mkdtemp(prefix="attune-bench-")
    path = keep or os.path.join(tmp, "session.csv")
    if not os.path.exists(path):
        generate(path, seconds, rate)
    size_mb = os.path.getsize(path) / 1e6
    lines = sum(1 for _ in open(path, "rb")) - 1
    print(f"input: {path}: {lines} lines, {size_mb:.1f} MB, {seconds:.0f} s at {rate:.0f} Hz, 4 channels")

    load = os.getloadavg()
    ours = [timed([exe, "analyze", path, "--json"]) for _ in range(runs)]
    ref = [timed(["/usr/bin/python3", os.path.join(HERE, "bench_analyze_ref.py"), path])
           for _ in range(runs)]
    o_t, o_m, o_c = min(r[0] for r in ours), max(r[1] for r in ours), min(r[3] for r in ours)
    r_t, r_m, r_c = min(r[0] for r in ref), max(r[1] for r in ref), min(r[3] for r in ref)
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"attune analyze : {o_t:7.3f} s wall (best of {runs}), {seconds / o_t:8.0f}x real time, "
          f"{o_c:6.3f} s CPU, max RSS {o_m:7.1f} MB")
    print(f"scipy reference: {r_t:7.3f} s wall (best of {runs}), {seconds / r_t:8.0f}x real time, "
          f"{r_c:6.3f} s CPU, max RSS {r_m:7.1f} MB")
    print(f"ratios: attune is {r_t / o_t:.1f}x faster in wall time, {r_c / o_c:.1f}x in CPU time, "
          f"and uses {o_m / r_m:.3f} of the reference's peak memory")

    a, b = json.loads(ours[0][2]), json.loads(ref[0][2])
    print("agreement (attune | reference):")
    for path_ in (("a", "breath_rate_bpm"), ("b", "breath_rate_bpm"), ("a", "heart_rate_bpm"),
                  ("b", "heart_rate_bpm"), ("a", "breaths"), ("sync", "plv"),
                  ("sync", "plv_chance"), ("sync", "relative_phase_deg"), ("sync", "lag_s"),
                  ("sync", "match"), ("sync", "in_sync_fraction"), ("sync", "coherence"),
                  ("sync", "hr_sync_r"), ("a", "breath_rate_median_bpm"),
                  ("sync", "session_plv"), ("sync", "session_plv_chance"),
                  ("sync", "chance_informative_fraction"), ("sync", "hr_sync_r_max"),
                  ("sync", "hr_sync_lag_s"), ("sync", "hr_sync_chance")):
        x, y = a[path_[0]][path_[1]], b[path_[0]][path_[1]]
        fmt = lambda v: "null" if v is None else f"{v:.4g}"
        print(f"  {'.'.join(path_):24s} {fmt(x):>10s} | {fmt(y):>10s}")
    print(f"  timeline windows         {len(a['timeline']):>10d} | {b['windows']:>10d}")
    goals = [seconds / o_t >= 10000, r_t / o_t >= 5, o_m <= r_m / 4]
    print("goals (>= 10000x real time, >= 5x faster, <= 1/4 memory):",
          " ".join("met" if g else "MISSED" for g in goals))
    if not keep:
        os.remove(path)
        os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
