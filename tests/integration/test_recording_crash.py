#!/usr/bin/python3
"""Crash safety: a session recorded in real time (250 Hz) is killed with SIGKILL at random moments;
`attune recover` must rebuild files holding every sample up to at most 1 s before the kill, each
equal to what was fed in, and MNE must read the rebuilt EDF.

The helper prints the CLOCK_MONOTONIC time of its first sample; sample i is pushed at that time +
i / 250 s, so the samples due 1 s before the kill are known. Python's time.monotonic_ns() reads the
same clock. Runs: ATTUNE_CRASH_RUNS (default 6), kill after 1.2-4.5 s (seeded, so reproducible).
"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # the helper sits in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rectest import check, done, need_mne, programs  # noqa: E402

RATE = 250


def main():
    mne, np = need_mne("test_recording_crash")
    gen, attune = programs()
    runs = int(os.environ.get("ATTUNE_CRASH_RUNS", "6"))
    rng = random.Random(20261124)
    truth = np.loadtxt(subprocess.run([gen, "truth", str(6 * RATE)], capture_output=True,
                                      text=True, check=True).stdout.splitlines(),
                       delimiter=",", dtype=np.int64)[:, 1:]

    with tempfile.TemporaryDirectory(prefix="att_rec_crash_") as d:
        for run in range(runs):
            base = os.path.join(d, f"s{run}")
            p = subprocess.Popen([gen, "record", base, "30", "--realtime"],
                                 stdout=subprocess.PIPE, text=True)
            line = p.stdout.readline().split()
            if len(line) != 2 or line[0] != "started":
                check(False, f"run {run}: helper did not start ({line})")
                p.kill()
                p.wait()
                continue
            t0 = int(line[1])
            delay = rng.uniform(1.2, 4.5)
            time.sleep(max(0.0, t0 / 1e9 + delay - time.monotonic()))
            t_kill = time.monotonic_ns()
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            p.stdout.close()
            due = int((t_kill - t0) / 1e9 * RATE)            # samples pushed by the kill
            need = int((t_kill - t0 - 1e9) / 1e9 * RATE)      # due 1 s before it
            r = subprocess.run([attune, "recover", base + ".attraw"], capture_output=True,
                               text=True, timeout=120)
            check(r.returncode == 0, f"run {run}: recover failed: {r.stderr.strip()}")
            if r.returncode != 0:
                continue
            print(f"run {run}: killed after {delay:.2f} s; " + r.stdout.strip().replace("\n", " | "))
            raw = mne.io.read_raw_edf(base + ".edf", preload=True)
            with open(base + ".csv") as f:
                rows = [ln.split(",") for ln in f.read().splitlines()[1:]]
            got = np.array([[int(x) for x in r_[1:5]] for r_ in rows], dtype=np.int64)
            n = len(got)
            check(n >= need, f"run {run}: recovered {n} samples, need >= {need} (due {due})")
            check(n <= due + 1, f"run {run}: recovered {n} samples, more than the {due} pushed")
            check(np.array_equal(got, truth[:n]), f"run {run}: recovered values differ")
            check(raw.ch_names[:4] == ["Resp A", "PPG A", "Resp B", "PPG B"],
                  f"run {run}: MNE labels {raw.ch_names[:4]}")
            counts = raw.get_data(picks=[0, 1, 2, 3]) * 1e3 * 1024.0 / 5000.0
            check(raw.n_times >= n and np.abs(counts[:, :n] - truth[:n].T).max() < 0.5,
                  f"run {run}: MNE values differ from the counts fed in")
            print(f"run {run}: {n} samples recovered, {due} pushed, {need} required; "
                  f"lost {(due - n) / RATE:.2f} s")

    done("recording_crash")


main()
