#!/usr/bin/python3
"""Session files written by the recorder, read back by an independent reader (MNE-Python).

A generated couple (known truth: `test_recording_gen truth N`) is recorded for 100.3 s at 250 Hz with
25 samples lost at 20 s, a marker, a pacer change and a note. Then:
- MNE opens NAME.edf: channel labels, sample rate, duration (whole 1 s data records), every value
  within the digital resolution of the ADC counts fed in, the gap held at the last value, and the
  annotations (marker, pacer, gap, note, end padding) at their times;
- NAME.csv holds the same counts, the `filled` column marks the gap;
- NAME.json is the analyze JSON of the session;
- `attune analyze` gives the same JSON for NAME.csv, NAME.edf and NAME.attraw (float tolerance);
- `attune export NAME.attraw --csv` equals NAME.csv; `attune export NAME.edf --csv` gives the counts
  and the filled flags;
- a second session with a 10 s gap: analysis leaves the windows reaching it blank (CSV, EDF, raw and
  the session JSON alike), replay counts it as lost frames;
- bad input (garbage, truncated EDF, a capture cut inside its header) -> one line on stderr,
  exit 1; a capture with a torn tail is recovered (exit 0) and says so.
Exit 77 (skip) when MNE is not installed, unless ATTUNE_REQUIRE_DATA=1.
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # the helper sits in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rectest import check, done, need_mne, programs  # noqa: E402

RATE = 250
SECONDS = 100.3
DROP_AT, DROP_N = 20, 25
VREF_MV = 5000.0


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def main():
    mne, np = need_mne("test_recording_mne", "; apt-get install python3-mne")
    gen, attune = programs()

    with tempfile.TemporaryDirectory(prefix="att_rec_mne_") as d:
        base = os.path.join(d, "session")
        p = run([gen, "record", base, str(SECONDS), "--drop-at", str(DROP_AT), str(DROP_N)])
        check(p.returncode == 0, f"recording failed: {p.stderr.strip()}")
        print(p.stdout.strip())
        n_counter = round(SECONDS * RATE)  # grid length = counters spanned
        truth = np.loadtxt(run([gen, "truth", str(n_counter)]).stdout.splitlines(),
                           delimiter=",", dtype=np.int64)[:, 1:]
        # what the grid must hold: the truth, the lost samples held at the last value
        want = truth.copy()
        lo = DROP_AT * RATE
        want[lo:lo + DROP_N] = truth[lo - 1]

        # --- EDF through MNE ---
        raw = mne.io.read_raw_edf(base + ".edf", preload=True)
        names = raw.ch_names
        check(names[:4] == ["Resp A", "PPG A", "Resp B", "PPG B"], f"labels {names[:4]}")
        check(raw.info["sfreq"] == RATE, f"sfreq {raw.info['sfreq']}")
        records = math.ceil(n_counter / RATE)
        check(raw.n_times == records * RATE, f"n_times {raw.n_times} != {records * RATE}")
        data = raw.get_data(picks=[0, 1, 2, 3])  # volts
        counts = data * 1e3 * 1024.0 / VREF_MV
        err = np.abs(counts[:, :n_counter] - want.T)
        check(err.max() < 0.5, f"EDF values differ from the counts fed in by {err.max():.3f} LSB")
        pad = counts[:, n_counter:]
        check(np.all(np.abs(pad - want[-1][:, None]) < 0.5), "padding holds the last value")
        ann = {a["description"]: (a["onset"], a["duration"]) for a in raw.annotations}
        print("annotations:", ann)
        expect = {"eyes closed": 5.0, "pacer 6.0/min": 8.0, f"gap {DROP_N} samples": DROP_AT,
                  "frames lost": DROP_AT + DROP_N / RATE,
                  f"end padding {records * RATE - n_counter} samples": n_counter / RATE}
        for text, onset in expect.items():
            check(text in ann and abs(ann[text][0] - onset) < 1e-3,
                  f"annotation '{text}' at {onset} s (got {ann.get(text)})")
        check(abs(ann.get(f"gap {DROP_N} samples", (0, 0))[1] - DROP_N / RATE) < 1e-3,
              "gap annotation lasts as long as the gap")
        with open(base + ".edf", "rb") as f:
            head = f.read(256)
        check(b"A_Anna,B_Ben" in head[8:88], f"patient field {head[8:88]!r}")
        check(b"generated couple" in head[88:168] or b"generated_couple" in head[88:168],
              f"recording field {head[88:168]!r}")
        if len(names) > 4:
            check("Match" in names and "PLV" in names, f"derived channels {names[4:]}")

        # --- CSV ---
        with open(base + ".csv") as f:
            rows = list(csv.reader(f))
        head = rows[0]
        check(head[:6] == ["t", "a_resp", "a_ppg", "b_resp", "b_ppg", "filled"], f"CSV header {head}")
        body = np.array([[float(x) if x else np.nan for x in r[:6]] for r in rows[1:]])
        check(len(body) == n_counter, f"CSV rows {len(body)} != {n_counter}")
        check(np.all(body[:, 1:5] == want), "CSV counts equal the counts fed in")
        check(np.allclose(body[:, 0], np.arange(n_counter) / RATE, atol=1e-6), "CSV t uniform")
        filled = np.nonzero(body[:, 5])[0]
        check(list(filled) == list(range(lo, lo + DROP_N)), "CSV marks exactly the gap")

        # --- JSON ---
        with open(base + ".json") as f:
            js = json.load(f)
        check(abs(js["duration_s"] - n_counter / RATE) < 1e-6, f"duration_s {js['duration_s']}")
        check(js["rate_hz"] == RATE and "sync" in js and "timeline" in js, "JSON layout")
        ses = js.get("session", {})
        check(ses.get("participants") == {"a": "Anna", "b": "Ben"}, f"participants {ses}")
        check(ses.get("note") == "generated couple, seed 7", f"note {ses.get('note')}")
        check(str(ses.get("start_time", "")).endswith("Z"), f"start_time {ses.get('start_time')}")
        dev = ses.get("device") or {}
        check(dev.get("board") == 1 and dev.get("rate_hz") == RATE and dev.get("adc_bits") == 10
              and dev.get("vref_mv") == 5000, f"device {dev}")
        check(ses.get("frames_lost") == DROP_N and ses.get("gaps") == 1,
              f"frames_lost {ses.get('frames_lost')}, gaps {ses.get('gaps')}")
        kinds = [(e["kind"], round(e["t"], 3)) for e in ses.get("events", [])]
        check(("marker", 5.0) in kinds and ("pacer", 8.0) in kinds and ("gap", DROP_AT) in kinds,
              f"events {kinds}")

        # --- analyze: CSV and EDF agree ---
        a = run([attune, "analyze", base + ".csv", "--json"])
        check(a.returncode == 0, f"analyze CSV: {a.stderr.strip()}")
        for other in (".edf", ".attraw"):
            b = run([attune, "analyze", base + other, "--json"])
            check(b.returncode == 0, f"analyze {other}: {b.stderr.strip()}")
            if a.returncode != 0 or b.returncode != 0:
                continue
            ja, jb = json.loads(a.stdout), json.loads(b.stdout)
            diffs = []

            def cmp(x, y, path):
                if isinstance(x, dict):
                    for k in x:
                        cmp(x[k], y.get(k) if isinstance(y, dict) else None, path + "." + k)
                elif isinstance(x, list):
                    if not isinstance(y, list) or len(x) != len(y):
                        diffs.append(path + " length")
                        return
                    for i, (u, v) in enumerate(zip(x, y)):
                        cmp(u, v, f"{path}[{i}]")
                elif isinstance(x, (int, float)) and isinstance(y, (int, float)):
                    if abs(x - y) > 1e-6 * max(1.0, abs(x)):
                        diffs.append(f"{path}: {x} vs {y}")
                elif x != y:
                    diffs.append(f"{path}: {x} vs {y}")
            cmp(ja, jb, "")
            check(not diffs, f"analyze CSV vs {other} differ: {diffs[:5]}")
            print(f"analyze CSV and {other}: {len(ja['timeline'])} windows, match "
                  f"{ja['sync']['match']} vs {jb['sync']['match']}")
        if a.returncode == 0:
            with open(base + ".json") as f:
                check(json.load(f)["sync"] == json.loads(a.stdout)["sync"],
                      "session JSON = analyze of its CSV")

        # --- export ---
        out = os.path.join(d, "exp.csv")
        p = run([attune, "export", base + ".attraw", "--csv", out])
        check(p.returncode == 0, f"export raw: {p.stderr.strip()}")
        if p.returncode == 0:
            with open(out) as f, open(base + ".csv") as g:
                check(f.read() == g.read(), "export of the capture = the session CSV")
        p = run([attune, "export", base + ".edf", "--csv", out, "--force"])
        check(p.returncode == 0, f"export EDF: {p.stderr.strip()}")
        if p.returncode == 0:
            e = np.loadtxt(out, delimiter=",", skiprows=1)
            check(e.shape == (n_counter, 6) and np.all(e[:, 1:5] == want), "EDF export counts")
            if e.shape == (n_counter, 6):
                check(list(np.nonzero(e[:, 5])[0]) == list(range(lo, lo + DROP_N)),
                      "EDF export marks the gap from the EDF's gap annotation (filled)")

        # --- a long gap (10 s): not signal, whatever the format ---
        # The recorder holds the last value through a gap; analysis must not take that for
        # breathing: windows within reach of a gap of 0.5 s or more are left blank, the same
        # for CSV, EDF and raw; replay shows the gap to the live engine as lost frames.
        # (Before: every window was computed, on 10 s of a held value.)
        long_base = os.path.join(d, "long")
        p = run([gen, "record", long_base, "120", "--drop-at", "60", "2500"])
        blanks = {}
        for ext in (".csv", ".edf", ".attraw"):
            a = run([attune, "analyze", long_base + ext, "--json"])
            check(a.returncode == 0, f"analyze long-gap {ext}: {a.stderr.strip()}")
            if a.returncode == 0:
                blanks[ext] = [w["t"] for w in json.loads(a.stdout)["timeline"]
                               if w["match"] is None]
        b = blanks.get(".csv", [])
        print(f"long gap 60-70 s: blank windows {b[:1]}..{b[-1:]} ({len(b)})")
        check(b and min(b) <= 46 and max(b) >= 84 and all(43 <= t <= 88 for t in b),
              "windows reaching the 60-70 s gap (30 s windows) are blank, no others")
        check(all(v == b for v in blanks.values()), f"CSV, EDF and raw agree: {blanks}")
        with open(long_base + ".json") as f:
            sj = [w["t"] for w in json.load(f)["timeline"] if w["match"] is None]
        check(sj == b, "the session JSON leaves the same windows blank")
        r = run([attune, "live", "--input", long_base + ".csv", "--headless", "--speed", "0",
                 "--snapshots", "-"])
        last = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {}
        check(last.get("frames_lost") == 2500,
              f"replay shows the gap to the engine as 2500 lost frames: {last.get('frames_lost')}")

        # --- bad input ---
        def bad(args, what):
            p = run(args)
            lines = p.stderr.strip().splitlines()
            check(p.returncode == 1 and len(lines) == 1,
                  f"{what}: exit {p.returncode}, stderr {p.stderr!r}")
            print(f"{what}: {p.stderr.strip()}")

        garbage = os.path.join(d, "garbage.attraw")
        with open(garbage, "wb") as f:
            f.write(bytes((i * 7919) & 255 for i in range(5000)))
        bad([attune, "recover", garbage], "recover garbage")
        trunc = os.path.join(d, "trunc.edf")
        with open(base + ".edf", "rb") as f, open(trunc, "wb") as g:
            g.write(f.read()[: os.path.getsize(base + ".edf") // 2])
        bad([attune, "export", trunc, "--csv", os.path.join(d, "trunc.csv")],
            "export truncated EDF")
        bad([attune, "analyze", trunc], "analyze truncated EDF")
        cut = os.path.join(d, "cut.attraw")
        with open(base + ".attraw", "rb") as f, open(cut, "wb") as g:
            g.write(f.read()[:40])
        bad([attune, "recover", cut], "recover capture cut inside its header")
        torn = os.path.join(d, "torn.attraw")
        with open(base + ".attraw", "rb") as f, open(torn, "wb") as g:
            g.write(f.read()[:-7])
        p = run([attune, "recover", torn])
        check(p.returncode == 0 and "incomplete record at the end" in p.stdout,
              f"recover torn tail: {p.returncode} {p.stdout!r} {p.stderr!r}")
        print("recover torn tail:", p.stdout.strip().replace("\n", " | "))
        bad([attune, "recover", os.path.join(d, "missing.attraw")], "recover missing file")

    done("recording_mne")


main()
