#!/usr/bin/python3
"""attune analyze as a user and a script see it: exit codes (0 done, 1 bad input, 2 bad usage),
one-line errors naming the problem, --json printing exactly one JSON object with the keys of the
README's section Contracts kept stable (null for what cannot be computed, e.g. heart rate without
PPG), --timeline-csv, and the human summary. Signals are generated here with known truth; with
--real, real recordings from $ATTUNE_DATA (skipped, exit 77, when absent unless
ATTUNE_REQUIRE_DATA=1).

usage: test_analyze_cli.py ATTUNE_EXE [--real]"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

EXE = sys.argv[1]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"CHECK failed: {what}", file=sys.stderr)


def run(*args):
    p = subprocess.run([EXE, "analyze", *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_line(err):
    return err.endswith("\n") and err.count("\n") == 1 and err.startswith("attune analyze: ")


def write_csv(path, rate, cols):
    names = list(cols)
    data = np.column_stack([cols[k] for k in names])
    np.savetxt(path, data, delimiter=",", header=",".join(names), comments="", fmt="%.6f")


def couple(seconds=120, rate=100.0, offset_deg=45.0, f=0.25, ppg=True):
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(1)
    phi = 2 * np.pi * f * t
    d = math.radians(offset_deg)
    cols = {"t": t,
            "a_resp": 2 + np.cos(phi) + 0.03 * rng.standard_normal(t.size),
            "b_resp": 2 + np.cos(phi - d) + 0.03 * rng.standard_normal(t.size)}
    if ppg:
        for name, hr in (("a_ppg", 72.0), ("b_ppg", 80.0)):
            u = (t * hr / 60) % 1.0
            cols[name] = 1 + np.exp(-((u - 0.15) / 0.06) ** 2) + 0.3 * np.exp(-((u - 0.45) / 0.1) ** 2)
    return cols


CONTRACT = {
    "top": ["duration_s", "rate_hz", "a", "b", "sync", "timeline"],
    "person": ["breath_rate_bpm", "breaths", "heart_rate_bpm", "rmssd_ms", "quality",
               "breath_rate_median_bpm", "breath_rate_range_bpm"],
    "sync": ["match", "matched_fraction", "plv", "plv_chance", "in_sync_fraction",
             "relative_phase_deg", "lag_s", "coherence", "hr_sync_r",
             "chance_informative_fraction", "session_plv", "session_plv_chance", "locked",
             "hr_sync_r_max", "hr_sync_lag_s", "hr_sync_chance"],
    "timeline": ["t", "match", "plv", "plv_chance", "relative_phase_deg", "lag_s",
                 "a_breath_rate_bpm", "b_breath_rate_bpm", "a_heart_rate_bpm", "b_heart_rate_bpm",
                 "chance_informative"],
}


def check_keys(doc):
    for k in CONTRACT["top"]:
        check(k in doc, f"top-level key {k}")
    for who in "ab":
        for k in CONTRACT["person"]:
            check(k in doc.get(who, {}), f"{who}.{k}")
    for k in CONTRACT["sync"]:
        check(k in doc.get("sync", {}), f"sync.{k}")
    check(len(doc.get("timeline", [])) > 0, "timeline not empty")
    for row in doc.get("timeline", [])[:3]:
        for k in CONTRACT["timeline"]:
            check(k in row, f"timeline.{k}")


def synthetic(tmp):
    # usage
    rc, out, err = run("--help")
    check(rc == 0 and out.startswith("usage: attune analyze FILE") and "--timeline-csv" in out,
          "--help prints usage, exit 0")
    for args, what in (((), "no FILE"), (("--bogus", "x.csv"), "unknown option"),
                       (("x.csv", "--window"), "--window without value"),
                       (("x.csv", "--window", "abc"), "--window not a number"),
                       (("x.csv", "--window", "0x10"), "--window in hexadecimal"),
                       (("x.csv", "--step", "inf"), "--step infinite"),
                       (("x.csv", "--window", "2"), "--window too small"),
                       (("x.csv", "--window", "20", "--step", "30"), "--step over window"),
                       (("a.csv", "b.csv"), "two files")):
        rc, out, err = run(*args)
        check(rc == 2 and one_line(err) and out == "", f"bad usage ({what}): exit 2, one line: {rc} {err!r}")

    # bad input files
    missing = os.path.join(tmp, "missing.csv")
    rc, out, err = run(missing)
    check(rc == 1 and one_line(err) and "cannot open the file" in err and missing in err,
          f"missing file: {rc} {err!r}")
    cases = {
        "nocol.csv": ("t,a_resp,a_ppg\n0,1,2\n0.01,1,2\n", "line 1: missing column 'b_resp'"),
        "text.csv": ("t,a_resp,b_resp\n0,1,2\n0.01,x1,2\n", "line 3: 'x1' in column 'a_resp' is not a number"),
        "fields.csv": ("t,a_resp,b_resp\n0,1,2\n0.01,1\n", "line 3: 2 fields where the header has 3"),
        "gap.csv": ("t,a_resp,b_resp\n0,1,2\n0.01,1,2\n0.02,1,2\n0.05,1,2\n", "line 5: time is not uniform"),
        "short.csv": ("t,a_resp,b_resp\n0,1,2\n", "too short"),
    }
    # what is wrong with a file that is no recording, in words (not "read error")
    os.makedirs(os.path.join(tmp, "folder.edf"))
    with open(os.path.join(tmp, "head.edf"), "w") as f:
        f.write("0       X X X A_Anna,B_Ben")
    for name, want in (("folder.edf", "folder"), ("head.edf", "EDF header is cut short")):
        rc, out, err = run(os.path.join(tmp, name))
        check(rc == 1 and one_line(err) and want in err, f"{name}: {rc} {err!r}")
    for name in ("nothing.edf", "nothing.attraw", "nothing.csv"):
        open(os.path.join(tmp, name), "w").close()
        rc, out, err = run(os.path.join(tmp, name))
        check(rc == 1 and one_line(err) and "empty (0 bytes)" in err, f"{name}: {rc} {err!r}")
    for name, (text, want) in cases.items():
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        rc, out, err = run(p, "--json")
        check(rc == 1 and one_line(err) and want in err and out == "",
              f"{name}: exit 1 and '{want}': {rc} {err!r}")
    # EDF+ goes to the EDF reader, by extension and by its header: a broken one is refused
    # with that reader's one line, not a CSV parser's complaint
    for name in ("broken.edf", "broken_edf.bin"):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(b"0       " + b"x" * 300)
        rc, out, err = run(p)
        check(rc == 1 and one_line(err) and "column" not in err and "line " not in err,
              f"{name}: EDF reader's message: {rc} {err!r}")

    # valid CSV but too short to analyse
    p = os.path.join(tmp, "five_s.csv")
    write_csv(p, 100, couple(seconds=5))
    rc, out, err = run(p)
    check(rc == 1 and one_line(err) and "at least 10 s" in err, f"5 s recording: {rc} {err!r}")

    # a good file with PPG, A leading by 45 degrees at 15 /min
    good = os.path.join(tmp, "good.csv")
    write_csv(good, 100, couple())
    rc, out, err = run(good, "--json")
    check(rc == 0 and err == "", f"good --json: exit 0, quiet stderr: {rc} {err!r}")
    try:
        doc = json.loads(out)  # the whole of stdout must be exactly one JSON value
    except ValueError as e:
        doc = {}
        check(False, f"stdout is one JSON object: {e}")
    check(isinstance(doc, dict), "JSON is an object")
    check_keys(doc)
    if doc:
        s = doc["sync"]
        check(abs(doc["duration_s"] - 120) < 1e-6 and doc["rate_hz"] == 100, "duration and rate")
        check(abs(s["relative_phase_deg"] - 45) <= 5, f"relative phase 45: {s['relative_phase_deg']}")
        check(abs(s["lag_s"] - 0.5) <= 0.1, f"lag 0.5 s: {s['lag_s']}")
        check(s["plv"] >= 0.95, "plv")
        check(abs(doc["a"]["breath_rate_bpm"] - 15) <= 0.3, "A breath rate")
        check(abs(doc["a"]["heart_rate_bpm"] - 72) <= 1, f"A heart rate {doc['a']['heart_rate_bpm']}")
        check(abs(doc["b"]["heart_rate_bpm"] - 80) <= 1, f"B heart rate {doc['b']['heart_rate_bpm']}")
        check(doc["timeline"][0]["a_heart_rate_bpm"] is not None, "timeline heart rate present")

    # --window/--step and the timeline CSV
    tl = os.path.join(tmp, "timeline.csv")
    rc, out, err = run(good, "--json", "--window", "20", "--step=0.5", "--timeline-csv", tl)
    check(rc == 0, f"--window/--step/--timeline-csv: {rc} {err!r}")
    doc2 = json.loads(out) if rc == 0 else {"timeline": []}
    step = doc2.get("step_s") or 0
    check(doc2.get("window_s") == 20 and abs(step - 0.5) <= 0.04, "window and step echoed")
    check(os.path.exists(tl) and not os.path.exists(tl + ".part"), "timeline written, no .part left")
    if os.path.exists(tl):
        with open(tl) as f:
            lines = f.read().splitlines()
        check(lines[0].split(",") == CONTRACT["timeline"], f"timeline CSV header {lines[0]}")
        check(len(lines) - 1 == len(doc2["timeline"]), "timeline CSV has one row per window")
        t = np.loadtxt(tl, delimiter=",", skiprows=1, usecols=(0,))
        check(np.allclose(np.diff(t), step, atol=2e-6), "timeline CSV rows every step")
    rc, out, err = run(good, "--timeline-csv", os.path.join(tmp, "no", "such", "dir.csv"))
    check(rc == 1 and one_line(err) and "cannot write" in err, f"unwritable timeline: {rc} {err!r}")

    # a full disk on stdout is an error, said in one line
    if os.path.exists("/dev/full"):
        for args in ((good,), (good, "--json")):
            with open("/dev/full", "w") as full:
                p = subprocess.run([EXE, "analyze", *args], stdout=full, stderr=subprocess.PIPE,
                                   text=True, timeout=120)
            check(p.returncode == 1 and one_line(p.stderr) and "cannot write" in p.stderr,
                  f"stdout on a full disk {args[1:]}: {p.returncode} {p.stderr!r}")

    # human summary
    rc, out, err = run(good)
    check(rc == 0 and "A leads by 0.5 s" in out and "15.0 breaths/min" in out and "72 bpm" in out
          and ": 2 min 00 s at 100 Hz" in out,
          f"summary names rates and who leads: {out!r}")

    # no PPG: heart figures are null, not invented
    noppg = os.path.join(tmp, "noppg.csv")
    write_csv(noppg, 100, couple(offset_deg=-30, ppg=False))
    rc, out, err = run(noppg, "--json")
    check(rc == 0, f"no PPG: exit 0 {err!r}")
    doc = json.loads(out) if rc == 0 else {}
    if doc:
        check_keys(doc)
        for who in "ab":
            check(doc[who]["heart_rate_bpm"] is None and doc[who]["rmssd_ms"] is None,
                  f"{who} heart figures null without PPG")
            check(doc[who]["quality"]["ppg"] == "absent", "PPG quality says absent")
        check(doc["sync"]["hr_sync_r"] is None, "hr_sync_r null without PPG")
        check(all(r["a_heart_rate_bpm"] is None for r in doc["timeline"]), "timeline heart null")
        check(doc["sync"]["relative_phase_deg"] < -25 and doc["sync"]["lag_s"] < 0, "B leads")
    rc, out, err = run(noppg)
    check(rc == 0 and "B leads" in out and "heart rate unknown" in out, f"summary without PPG: {out!r}")


def real(tmp):
    data = os.environ.get("ATTUNE_DATA", "")
    src = os.path.join(data, "neurokit2", "bio_resting_5min_100hz.csv")
    if not os.path.exists(src):
        msg = f"real data not found at {src}"
        if os.environ.get("ATTUNE_REQUIRE_DATA") == "1":
            print(msg, file=sys.stderr)
            return 1
        print(f"SKIP: {msg} (../shared/data absent)")
        return 77
    # One real resting person (100 Hz, RSP and PPG; SOURCES.md: 16.9 /min, 86.4 bpm) as A, and
    # the same person 0.5 s later as B: B follows A by 0.5 s by construction.
    d = np.loadtxt(src, delimiter=",", skiprows=1)
    ppg, rsp = d[:, 1], d[:, 2]
    delay = 50
    n = rsp.size - delay
    cols = {"t": np.arange(n) / 100.0, "a_resp": rsp[delay:], "a_ppg": ppg[delay:],
            "b_resp": rsp[:n], "b_ppg": ppg[:n]}
    p = os.path.join(tmp, "real.csv")
    write_csv(p, 100, cols)
    rc, out, err = run(p, "--json")
    check(rc == 0, f"real: exit 0 {err!r}")
    doc = json.loads(out) if rc == 0 else {}
    if doc:
        a, s = doc["a"], doc["sync"]
        print(f"real: A {a['breath_rate_bpm']:.2f} /min {a['breaths']} breaths, "
              f"{a['heart_rate_bpm']:.1f} bpm, rmssd {a['rmssd_ms']}, lag {s['lag_s']:.3f} s, "
              f"phase {s['relative_phase_deg']:.1f}, plv {s['plv']:.3f}, match {s['match']:.3f}")
        check(abs(a["breath_rate_bpm"] - 16.9) <= 1.5, "real breath rate ~16.9 /min")
        check(abs(a["heart_rate_bpm"] - 86.4) <= 3, "real heart rate ~86.4 bpm")
        check(abs(s["lag_s"] - 0.5) <= 0.15, "real: B follows A by 0.5 s")
        # A time delay is a phase offset only at a constant rate: real rates vary, so the
        # locking is high but not perfect.
        check(s["plv"] >= 0.9 and s["in_sync_fraction"] >= 0.9,
              f"real: locked, above chance (plv {s['plv']}, in sync {s['in_sync_fraction']})")
    return 0


def main():
    with tempfile.TemporaryDirectory(prefix="attune-analyze-cli-") as tmp:
        if "--real" in sys.argv[2:]:
            rc = real(tmp)
            if rc:
                return rc
        else:
            synthetic(tmp)
    print("analyze_cli: all checks passed" if not failures else f"analyze_cli: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
