#!/usr/bin/python3
"""A session is never overwritten (issue: existing recordings were replaced silently, exit 0).

Each case that replaced files before: live --record and record over an existing session, recover
over a finished session and over another session's name, analyze --timeline-csv over its own
input, export and report over another file. Each is refused with one line naming the file, exit 1,
and the file is byte for byte what it was; --force replaces (never the input itself). Every file
attune writes is 0600 under umask 022, and a symlink planted under the old temporary names is not
followed. (The r
key's names that skip sessions in use: test 'outputs'.)
usage: test_never_clobber.py ATTUNE
"""
import hashlib
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


def run(*args):
    return subprocess.run([attune, *args], capture_output=True, text=True, timeout=120)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def refused(args, kept, what):
    """args must fail with exit 1 and one line naming a file; kept files stay unchanged."""
    before = {p: digest(p) for p in kept}
    r = run(*args)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(lines) == 1 and ("exists" in lines[0] or "input" in lines[0]
                                                     or "capture" in lines[0]),
          f"{what}: exit {r.returncode}, stderr {r.stderr!r}")
    check(all(digest(p) == h for p, h in before.items()), f"{what}: a kept file changed")
    print(f"{what}: {r.stderr.strip()}")


os.umask(0o022)  # the usual umask: session files must still be private
tmp = tempfile.mkdtemp(prefix="attune-clobber-")
# a temporary name planted where the old code wrote (NAME.edf.tmp), pointing at another file
victim = os.path.join(tmp, "victim.txt")
with open(victim, "w") as f:
    f.write("someone else's file\n")
for ext in (".edf.tmp", ".csv.tmp", ".json.tmp"):
    os.symlink(victim, os.path.join(tmp, "a" + ext))
a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
gen = ["--synthetic", "in-phase", "--headless", "--speed", "0", "--snapshots", os.devnull]
for base in (a, b):
    r = run("live", *gen, "--duration", "20", "--record", base)
    check(r.returncode == 0, f"recording {base}: {r.stderr}")
files_a = [a + e for e in (".attraw", ".csv", ".edf", ".json")]
check(open(victim).read() == "someone else's file\n", "a planted temporary name was followed")
snap = os.path.join(tmp, "snap.jsonl")
r = run("live", *gen, "--duration", "12", "--snapshots", snap)
extra = [snap]
for args, out in ((["analyze", a + ".csv", "--timeline-csv"], "tl.csv"),
                  (["export", a + ".attraw", "--csv"], "exp.csv"),
                  (["export", a + ".attraw", "--edf"], "exp.edf"),
                  (["report", a + ".edf", "-o"], "page.pdf"),
                  (["recover", a + ".attraw", "--output"], "rec")):
    r = run(*args, os.path.join(tmp, out))
    check(r.returncode == 0, f"{args[0]}: {r.stderr}")
    extra += [os.path.join(tmp, out + e) for e in (("",) if "." in out else (".csv", ".edf"))]
for p in files_a + [a + ".timeline.csv"] + extra:
    mode = os.stat(p).st_mode & 0o777
    check(mode == 0o600, f"{os.path.basename(p)} is {oct(mode)} under umask 022, want 0o600")
files_b = [b + e for e in (".attraw", ".csv", ".edf", ".json")]

# live --record and record over a session that exists (even with only its CSV left)
refused(["live", *gen, "--duration", "10", "--record", a], files_a, "live --record over a session")
os.remove(b + ".attraw")
refused(["live", *gen, "--duration", "10", "--record", b], files_b[1:], "live --record, no .attraw")
refused(["record", "--port", os.path.join(tmp, "no-such-port"), "--duration", "5", "--output", a],
        files_a, "record over a session")

# recover: beside a finished session (a hand-edited CSV), and --output another session
with open(a + ".csv", "a") as f:
    f.write("# the therapist's note\n")
refused(["recover", a + ".attraw"], files_a, "recover beside a finished session")
refused(["recover", a + ".attraw", "--output", b], files_b[1:], "recover --output another session")

# analyze, export, report over their input or another file
refused(["analyze", a + ".csv", "--timeline-csv", a + ".csv"], files_a, "analyze over its input")
refused(["analyze", a + ".csv", "--timeline-csv", a + ".csv", "--force"], files_a,
        "analyze over its input, --force")
refused(["export", a + ".attraw", "--edf", b + ".edf"], files_b[1:], "export over another EDF")
refused(["export", a + ".csv", "--csv", a + ".csv", "--force"], files_a, "export over its input")
page = os.path.join(tmp, "b-page.pdf")
r = run("report", b + ".edf", "-o", page)
check(r.returncode == 0, f"report: {r.stderr}")
refused(["report", a + ".edf", "-o", page], [page], "report over another session's page")

# --force replaces what it is asked to
r = run("report", a + ".edf", "-o", page, "--force")
check(r.returncode == 0, f"report --force: {r.stderr}")
r = run("live", *gen, "--duration", "10", "--record", a, "--force")
check(r.returncode == 0 and "saved" in r.stderr, f"live --record --force: {r.stderr}")
r = run("recover", a + ".attraw", "--force")
check(r.returncode == 0, f"recover --force: {r.stderr}")

if failures:
    print(f"{failures} failure(s); files kept in {tmp}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(tmp)
print("never clobber: all checks passed")
