#!/usr/bin/python3
"""Guided sessions end to end (README "Guides").

- A generated couple follows a guide headless at full speed and is recorded: every phase start is
  an EDF+ annotation "phase NAME" (read by MNE) within 10 ms of the guide's times, the session
  ends with the guide, and NAME.json holds the phases with their pacer rates.
- The recording's CSV played with the same guide (--input CSV --speed 0 --record) gives the same
  samples and the same per-phase results as the first run.
- analyze gives the phases from the EDF+ and from the raw capture too; the report gets a second
  page with the phases, and after the 'resonance' guide the resonance check.
- A malformed guide (missing key, wrong type, 0 seconds, bpm 30, not JSON, no such guide) gets
  one line naming the problem and exit 2; a guide longer than --duration says so.
usage: test_guide_cli.py ATTUNE
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

attune = sys.argv[1]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


tmp = tempfile.mkdtemp(prefix="attune-guide-")
guide = {"name": "test guide", "about": "four phases",
         "phases": [
             {"name": "settle", "seconds": 20, "pacer": None, "feedback": False, "say": "Sit"},
             {"name": "six", "seconds": 30, "pacer": {"bpm": 6}, "feedback": False},
             {"name": "five", "seconds": 30, "pacer": {"bpm": 5, "exhale_ratio": 1.5},
              "feedback": True},
             {"name": "free", "seconds": 20, "pacer": None, "feedback": True}]}
starts = [0.0, 20.0, 50.0, 80.0]
names = [p["name"] for p in guide["phases"]]
guide_path = os.path.join(tmp, "g.json")
with open(guide_path, "w") as f:
    json.dump(guide, f)


def run(args):
    return subprocess.run([attune] + args, capture_output=True, text=True, timeout=300)


# 1. a generated couple, recorded, follows the guide to its end
first = os.path.join(tmp, "first")
r = run(["live", "--synthetic", "in-phase", "--headless", "--speed", "0", "--record", first,
         "--guide", guide_path, "--snapshots", os.devnull])
check(r.returncode == 0, f"guided live run: exit {r.returncode}: {r.stderr}")
mne = subprocess.run(
    ["/usr/bin/python3", "-c",
     "import mne, sys; r = mne.io.read_raw_edf(sys.argv[1], verbose='error'); "
     "print('\\n'.join(f'{a[\"onset\"]:.6f}\\t{a[\"description\"]}' for a in r.annotations))",
     first + ".edf"],
    capture_output=True, text=True)
check(mne.returncode == 0, f"MNE reads the EDF+: {mne.stderr[-400:]}")
notes = [line.split("\t") for line in mne.stdout.splitlines()]
phases = [(float(t), d[len("phase "):]) for t, d in notes if d.startswith("phase ")]
print("EDF+ phase onsets:", phases)
check([n for _, n in phases] == names, f"one annotation per phase, in order: {phases}")
for (t, n), want in zip(phases, starts):
    check(abs(t - want) <= 0.010, f"phase {n} starts at {t:.4f} s in the EDF+, want {want} +- 10 ms")
session = json.load(open(first + ".json"))
check(abs(session["duration_s"] - 100.0) < 0.05,
      f"the session ends with the guide: {session['duration_s']} s")
ph = session.get("phases", [])
check([p["name"] for p in ph] == names, f"NAME.json phases: {ph}")
check([p["pacer_bpm"] for p in ph] == [None, 6, 5, None], f"pacer per phase: {ph}")
check(all(p["match"] is not None and p["a"]["heart_rate_bpm"] for p in ph),
      f"every phase has its figures: {ph}")
check(session.get("resonance") is None, "two paced rates are no resonance check")
kinds = [e["kind"] for e in session["session"]["events"]]
check(kinds.count("phase") == 4, f"phase events in NAME.json: {kinds}")

# 2. the recording played with the same guide gives the same result
second = os.path.join(tmp, "second")
r = run(["live", "--input", first + ".csv", "--headless", "--speed", "0", "--record", second,
         "--guide", guide_path, "--snapshots", os.devnull])
check(r.returncode == 0, f"guided replay run: exit {r.returncode}: {r.stderr}")
if r.returncode == 0:
    a = list(csv.reader(open(first + ".csv")))
    b = list(csv.reader(open(second + ".csv")))
    same = len(a) == len(b) and all(x[1:5] == y[1:5] for x, y in zip(a, b))
    check(same, f"the replay recorded the same samples ({len(a)} and {len(b)} rows)")
    again = json.load(open(second + ".json")).get("phases", [])
    check(json.dumps(again) == json.dumps(ph),
          f"the same phases and figures:\n{json.dumps(ph)}\n{json.dumps(again)}")

# 3. analyze reads the phases back from every format
for ext in (".edf", ".attraw", ".csv"):
    r = run(["analyze", first + ext, "--json"])
    got = json.loads(r.stdout).get("phases", []) if r.returncode == 0 else None
    if ext == ".csv":  # a CSV has no events: no phases, but the key is there
        check(got == [], f"analyze CSV: phases {got}")
        continue
    check(got is not None and [p["name"] for p in got] == names,
          f"analyze {ext}: {r.returncode} {r.stderr} {got}")
    if got:
        check(all(abs(p["start_s"] - q["start_s"]) < 0.005 for p, q in zip(got, ph)),
              f"analyze {ext}: phase starts {[p['start_s'] for p in got]}")

# 4. the report: phases shaded on page 1, a second page with the phases (and the resonance check
# after the built-in 'resonance' guide)
res = os.path.join(tmp, "res")
r = run(["live", "--synthetic", "in-phase", "--headless", "--speed", "0", "--record", res,
         "--guide", "resonance", "--snapshots", os.devnull])
check(r.returncode == 0, f"resonance guide run: exit {r.returncode}: {r.stderr}")
steps = (json.load(open(res + ".json")).get("resonance") or {}).get("steps", [])
check([s["pacer_bpm"] for s in steps] == [6.5, 6.0, 5.5, 5.0, 4.5],
      f"the resonance check's steps in NAME.json: {steps}")
for base, words in ((first, names), (res, ["Resonance check", "Heart-rate swing"])):
    pdf, png = base + "-report.pdf", base + "-report.png"
    r1, r2 = run(["report", base + ".edf", "-o", pdf]), run(["report", base + ".edf", "-o", png])
    check(r1.returncode == 0 and r2.returncode == 0, f"report: {r1.stderr} {r2.stderr}")
    if r1.returncode or r2.returncode:
        continue
    from PIL import Image
    w, h = Image.open(png).size
    check(abs(h / w - 2 * 841.89 / 595.276) < 0.01, f"a guided report's PNG holds two pages: {w}x{h}")
    if shutil.which("pdftotext"):
        page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-layout", pdf, "-"],
                               capture_output=True, text=True).stdout
        check("Phases of the guided session" in page2 and all(x in page2 for x in words),
              f"page 2 of {pdf} lists the phases: {page2[:600]!r}")

# 5. malformed guides: one line, exit 2
bad = {
    "missing name": ({"phases": guide["phases"]}, "name"),
    "wrong type": ({"name": "x", "phases": [{"name": "a", "seconds": "60", "pacer": None,
                                             "feedback": True}]}, "seconds"),
    "zero seconds": ({"name": "x", "phases": [{"name": "a", "seconds": 0, "pacer": None,
                                               "feedback": True}]}, "seconds"),
    "bpm 30": ({"name": "x", "phases": [{"name": "a", "seconds": 60, "pacer": {"bpm": 30},
                                         "feedback": True}]}, "bpm"),
    "not JSON": ("{\"name\": \"x\", \"phases\": [", None),
}
for what, (content, key) in bad.items():
    path = os.path.join(tmp, "bad.json")
    with open(path, "w") as f:
        f.write(content if isinstance(content, str) else json.dumps(content))
    r = run(["live", "--synthetic", "in-phase", "--headless", "--speed", "0", "--guide", path,
             "--snapshots", os.devnull])
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 1 and (key is None or key in lines[0]),
          f"{what}: exit {r.returncode}, stderr {r.stderr!r}")
    print(f"{what}: {r.stderr.strip()}")
r = run(["demo", "--headless", "--guide", "no-such-guide", "--snapshots", os.devnull])
check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and
      "no-such-guide" in r.stderr, f"an unknown guide: exit {r.returncode}, {r.stderr!r}")

# 6. a guide longer than --duration says so, and the session still runs
r = run(["live", "--synthetic", "in-phase", "--headless", "--speed", "0", "--duration", "30",
         "--guide", guide_path, "--snapshots", os.devnull])
check(r.returncode == 0 and "longer than --duration" in r.stderr,
      f"a guide longer than --duration: exit {r.returncode}, {r.stderr!r}")

if failures:
    print(f"{failures} failure(s); files kept in {tmp}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(tmp)
print("guides end to end: all checks passed")
