#!/usr/bin/python3
"""attune live with OSC, end to end over real UDP on 127.0.0.1.

A headless live session of a generated couple, recording, writing its snapshots, sending OSC to
oscdump (liblo-tools) and listening for markers. When a snapshot at t >= 6 s has been written, a
marker is sent with oscsend, as a PsychoPy script or a foot pedal would. Wanted:
- every snapshot arrives once and in order as /attune/sync, with the snapshot's values;
- the marker comes back as /attune/event and lands in the recording: in NAME.json's events and
  as an EDF+ annotation (read by MNE) within 50 ms of the snapshot it followed;
- the listener is bound to 127.0.0.1 only.
usage: test_osc_live.py ATTUNE
"""
import atexit
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

attune = sys.argv[1]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


for tool in ("oscdump", "oscsend"):
    if not shutil.which(tool):
        print(f"skip: {tool} (liblo-tools) not installed", file=sys.stderr)
        sys.exit(1 if os.environ.get("ATTUNE_REQUIRE_DATA") else 77)

tmp = tempfile.mkdtemp(prefix="attune-osc-live-")
out_port, in_port = free_udp_port(), free_udp_port()
dump_path = os.path.join(tmp, "dump.txt")
snap_path = os.path.join(tmp, "snap.jsonl")
base = os.path.join(tmp, "s")
dump = subprocess.Popen(["oscdump", "-L", str(out_port)], stdout=open(dump_path, "w"))
time.sleep(0.3)
live = subprocess.Popen([attune, "live", "--synthetic", "in-phase", "--headless",
                         "--duration", "10", "--record", base, "--snapshots", snap_path,
                         "--osc", f"127.0.0.1:{out_port}", "--osc-listen", str(in_port)],
                        stderr=subprocess.PIPE, text=True)
# whatever happens below, no child outlives the test (meson would wait for its pipes)
atexit.register(lambda: [p.kill() for p in (dump, live) if p.poll() is None])

# the listener: on 127.0.0.1 only
time.sleep(0.5)
ss = subprocess.run(["ss", "-Hulpn", f"sport = :{in_port}"], capture_output=True, text=True)
if ss.returncode == 0:
    check(f"127.0.0.1:{in_port}" in ss.stdout, f"listening on 127.0.0.1 only: {ss.stdout!r}")

marked_t = None
deadline = time.time() + 30
while marked_t is None and time.time() < deadline and live.poll() is None:
    try:
        with open(snap_path) as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                try:
                    snap = json.loads(line)
                except json.JSONDecodeError:
                    break  # caught the writer mid-line: read again in a moment
                if snap["t"] >= 6.0:
                    marked_t = snap["t"]
                    subprocess.run(["oscsend", "127.0.0.1", str(in_port), "/attune/marker",
                                    "s", "pedal"], check=True)
                    break
    except FileNotFoundError:
        pass
    time.sleep(0.002)
try:
    err = live.communicate(timeout=60)[1]
except subprocess.TimeoutExpired:
    live.kill()
    err = live.communicate()[1]
    check(False, "attune live ended within 60 s")
check(live.returncode == 0, f"attune live exit {live.returncode}: {err}")
check(marked_t is not None, "a snapshot at t >= 6 s was written")
time.sleep(0.3)
dump.terminate()
dump.wait()

snaps = [json.loads(x) for x in open(snap_path)]
sync = []
events = []
for line in open(dump_path):
    parts = line.split()
    if len(parts) >= 3 and parts[1] == "/attune/sync":
        sync.append([float(v) for v in parts[3:8]])
    elif len(parts) >= 3 and parts[1] == "/attune/event":
        events.append(line)
print(f"{len(snaps)} snapshots written, {len(sync)} /attune/sync received, "
      f"{len(events)} events, marker after the snapshot at t = {marked_t}")
check(len(snaps) >= 95 and len(sync) == len(snaps),
      f"one /attune/sync per snapshot: {len(sync)} for {len(snaps)}")


def same(a, b):
    if b is None:
        return math.isnan(a)
    return abs(a - b) <= 1e-5 + 1e-5 * abs(b)


bad = 0
for s, m in zip(snaps, sync):
    want = [s["match"], s["plv"], s["plv_chance"], s["relative_phase_deg"], s["lag_s"]]
    bad += not all(same(a, b) for a, b in zip(m, want))
check(bad == 0, f"{bad} /attune/sync messages differ from their snapshot (order or values)")
check(any('"marker"' in e and '"pedal"' in e for e in events),
      f"the marker came back as /attune/event: {events}")

session = json.load(open(base + ".json"))
marks = [e for e in session["session"]["events"] if e["kind"] == "marker"]
check(len(marks) == 1 and marks[0].get("text") == "pedal", f"NAME.json events: {marks}")

mne_check = subprocess.run(
    ["/usr/bin/python3", "-c",
     "import mne, sys; r = mne.io.read_raw_edf(sys.argv[1], verbose='error'); "
     "print('\\n'.join(f'{a[\"onset\"]:.4f} {a[\"description\"]}' for a in r.annotations))",
     base + ".edf"], capture_output=True, text=True)
check(mne_check.returncode == 0, f"MNE reads the EDF+: {mne_check.stderr[-500:]}")
onsets = [float(l.split()[0]) for l in mne_check.stdout.splitlines() if "pedal" in l]
print(f"EDF+ marker onsets: {onsets}")
check(len(onsets) == 1 and marked_t is not None and abs(onsets[0] - marked_t) <= 0.05,
      f"the marker sits within 50 ms of t = {marked_t}: {onsets}")

if failures:
    print(f"files kept in {tmp}", file=sys.stderr)
else:
    shutil.rmtree(tmp)
    print("osc_live: all checks passed")
sys.exit(1 if failures else 0)
