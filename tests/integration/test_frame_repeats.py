#!/usr/bin/python3
"""Repeated, swapped and replayed frames are dropped and counted, never taken as new samples.

A proxy between the simulated board (fed a ramp: sample k reads 4 k counts, modulo a period) and
attune record repeats 1 % of the frames, swaps 0.5 % with the next one and replays 0.5 % from
about 40 frames back, as a misbehaving USB bridge or driver would. Wanted: every sample the
recording holds as measured (filled = 0) is the ramp value of its own time, the summary counts
the repeated and old frames (and so do the snapshots and NAME.json's "session"), and none of
them is counted as lost or as a gap.
usage: test_frame_repeats.py ATTUNE SIMBOARD FIRMWARE
"""
import csv
import json
import os
import pty
import random
import re
import select
import shutil
import subprocess
import sys
import tempfile
import termios
import time
import tty

attune, simboard, firmware = sys.argv[1:4]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


tmp = tempfile.mkdtemp(prefix="attune-repeats-")
STEP, PERIOD = 4, 200  # counts per sample, samples per ramp
ramp = os.path.join(tmp, "ramp.csv")
with open(ramp, "w") as f:  # volts that the 10-bit ADC (5 V) reads as 4 k + 40 counts
    f.write("t,a_resp,a_ppg,b_resp,b_ppg\n")
    for i in range(PERIOD):
        v = (STEP * i + 40 + 0.5) * 5.0 / 1024
        f.write(f"{i / 250:.6f},{v:.6f},2.5,{v:.6f},2.5\n")
link = os.path.join(tmp, "board")
board = subprocess.Popen([simboard, "--firmware", firmware, "--input", ramp, "--volts", "--loop",
                          "--link", link, "--speed", "2", "--duration", "120", "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
deadline = time.time() + 20
while not os.path.exists(link) and time.time() < deadline:
    time.sleep(0.05)
check(os.path.exists(link), "the board's link appeared")

# the proxy: board <-> our pty; faults on board -> host frames only
bfd = os.open(link, os.O_RDWR | os.O_NOCTTY)
tty.setraw(bfd)
master, slave = pty.openpty()
tty.setraw(slave)
host_path = os.ttyname(slave)
rng = random.Random(7)
faults = {"repeat": 0, "swap": 0, "replay": 0}
recent, held, pending = [], None, b""


def send(frame):
    os.write(master, frame)


def board_frame(frame):
    global held
    recent.append(frame)
    del recent[:-60]
    if held is not None:  # a swapped pair: this one first, then the one held back
        send(frame)
        send(held)
        held = None
        return
    r = rng.random()
    if r < 0.005 and len(frame) > 8:
        held = frame
        faults["swap"] += 1
        return
    send(frame)
    if r < 0.015:
        send(frame)
        faults["repeat"] += 1
    elif r < 0.02 and len(recent) > 45:
        send(recent[-41])
        faults["replay"] += 1


snaps = os.path.join(tmp, "snap.jsonl")
rec = subprocess.Popen([attune, "record", "--port", host_path, "--duration", "60",
                        "--output", os.path.join(tmp, "s"), "--snapshots", snaps],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
while rec.poll() is None:
    ready, _, _ = select.select([bfd, master], [], [], 0.2)
    if bfd in ready:
        try:
            data = os.read(bfd, 4096)
        except OSError:
            break
        pending += data
        while b"\x00" in pending:
            frame, pending = pending.split(b"\x00", 1)
            board_frame(frame + b"\x00")
    if master in ready:
        try:
            os.write(bfd, os.read(master, 4096))
        except OSError:
            pass
out, err = rec.communicate()
board.terminate()
board.wait()
print(out.strip(), err.strip(), f"faults: {faults}", sep="\n")
check(rec.returncode == 0, f"attune record: exit {rec.returncode}")
m = re.search(r"(\d+) lost in (\d+) gaps.*?(\d+) repeated and (\d+) old frames dropped", out)
check(m is not None, f"the summary counts dropped frames: {out!r}")
if m:
    lost, gaps, repeated, old = map(int, m.groups())
    check(repeated >= faults["repeat"] and old >= faults["swap"] + faults["replay"] - 2,
          f"counted {repeated} repeated and {old} old for {faults}")
    last = json.loads(open(snaps).read().splitlines()[-1])
    check(last.get("frames_duplicate") == repeated and last.get("frames_stale") == old,
          f"the snapshots carry the counts: {last.get('frames_duplicate')}, "
          f"{last.get('frames_stale')}")
    check(lost <= faults["swap"], f"{lost} lost in {gaps} gaps: only swapped frames "
          f"({faults['swap']}) may be lost")
    session = json.load(open(os.path.join(tmp, "s.json"))).get("session", {})
    print(f"s.json session: frames_duplicate {session.get('frames_duplicate')}, "
          f"frames_stale {session.get('frames_stale')}")
    check(session.get("frames_duplicate") == repeated and session.get("frames_stale") == old,
          f"s.json's session carries the summary's counts {repeated}, {old}: "
          f"{session.get('frames_duplicate')}, {session.get('frames_stale')}")

rows = list(csv.DictReader(open(os.path.join(tmp, "s.csv"))))
measured = [(k, int(r["a_resp"])) for k, r in enumerate(rows) if r["filled"] == "0"]
check(len(measured) > 10000, f"{len(measured)} measured samples")
# the ramp's phase from the first samples, then every measured sample at its own time
base = measured[0][1] - 40
bad = sum(1 for k, v in measured
          if abs(v - (40 + STEP * ((k + base // STEP) % PERIOD))) > 1)
print(f"{len(measured)} measured samples, {bad} not the ramp value of their own time")
check(bad == 0, f"{bad} samples at the wrong time")
if failures:
    print(f"{failures} failure(s); files kept in {tmp}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(tmp)
print("frame repeats: all checks passed")
