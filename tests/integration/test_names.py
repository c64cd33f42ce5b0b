#!/usr/bin/python3
"""Names are UTF-8 end to end: full Cyrillic, accented and Chinese names round-trip through
NAME.json (strict JSON parser) and the raw capture, the EDF+ patient field holds their honest
ASCII form, and names that cannot be kept whole are refused with one line (exit 2), never cut.
usage: test_names.py ATTUNE
"""
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


tmp = tempfile.mkdtemp(prefix="attune-names-")
gen = ["live", "--synthetic", "in-phase", "--headless", "--speed", "0", "--duration", "12",
       "--snapshots", os.devnull]
pairs = [("Ж" * 33, "é" * 40, "?" * 33, "e" * 40),
         ("李" * 22, "Björn", "?" * 22, "Bjorn"),
         ("Åsa Øberg", "Łukasz", "Asa_Oberg", "Lukasz")]
for k, (a, b, a_ascii, b_ascii) in enumerate(pairs):
    base = os.path.join(tmp, f"s{k}")
    r = subprocess.run([attune, *gen, "--record", base, "--names", f"{a},{b}"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"{a},{b}: exit {r.returncode} {r.stderr}")
    if r.returncode:
        continue
    with open(base + ".json", encoding="utf-8", errors="strict") as f:
        p = json.load(f)["session"]["participants"]
    check(p == {"a": a, "b": b}, f"NAME.json participants {p}, want {a!r}, {b!r}")
    r = subprocess.run([attune, "analyze", base + ".attraw", "--json"], capture_output=True)
    check(r.returncode == 0, "analyze the raw capture")
    with open(base + ".edf", "rb") as f:
        patient = f.read(88)[8:88].decode("ascii").strip()  # strict: ASCII only
    want = f"A_{a_ascii},B_{b_ascii}"
    name = patient.split(" ", 3)[3]  # EDF+: code, sex, birthdate, name (80 bytes in all)
    check(name == want[:len(name)] and len(name) >= min(len(want), 70),
          f"EDF+ patient {patient!r}, want {want!r}")
    print(f"{a},{b}: JSON exact, EDF+ patient {patient!r}")

for names, word in (("x" * 5000 + ",B", "up to"), ("A,B,C", "exactly two"),
                    ("A,", "exactly two"), (b"Bj\xf6rn,B", "UTF-8")):
    r = subprocess.run([attune, *gen, "--names", names], capture_output=True)
    err = r.stderr.decode("utf-8", "replace").strip().splitlines()
    check(r.returncode == 2 and len(err) == 1 and word in err[0],
          f"--names {names[:20]!r}: exit {r.returncode}, {err}")

if failures:
    print(f"{failures} failure(s); files kept in {tmp}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(tmp)
print("names: all checks passed")
