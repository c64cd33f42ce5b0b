#!/usr/bin/python3
"""Names another local user could plant cannot deny the simulated board.

attune demo used to put the board's link at /tmp/attune-demo-PID: anyone could create that file
first, and the demo lost its board. Now the link lives in a directory of the demo's own
(mkdtemp), so a file or a symlink planted at the old name changes nothing and stays untouched.
attune-simboard keeps its default /tmp/attune-sim, but when someone else holds that name it says
so and publishes in a private directory instead (its first stdout line names the link); an
explicit --link is still refused in one line. The simboard part plants /tmp/attune-sim in a mount
namespace of its own (a private /tmp), so nothing on the machine is disturbed; it needs root and
is skipped without it. attune ports, in the same namespace, lists /tmp/attune-sim as the
simulator only when it is our own link.

usage: test_planted_links.py ATTUNE SIMBOARD FIRMWARE.elf"""
import os
import shutil
import subprocess
import sys
import tempfile

ATTUNE, SIMBOARD, ELF = (os.path.realpath(p) for p in sys.argv[1:4])
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"CHECK failed: {what}", file=sys.stderr)


def demo_with_old_name_planted(tmp, plant):
    """The demo's own pid names the old link: the shell plants it, then becomes the demo."""
    snaps = os.path.join(tmp, "snaps.jsonl")
    private = os.path.join(tmp, "private")
    os.makedirs(private, exist_ok=True)
    env = dict(os.environ, TMPDIR=private)
    env.pop("XDG_RUNTIME_DIR", None)
    p = subprocess.Popen(["sh", "-c", plant + '; exec "$0" demo --headless --duration 3 '
                          '--snapshots "$1"', ATTUNE, snaps], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=60)
    old = f"/tmp/attune-demo-{p.pid}"
    planted = os.path.lexists(old)
    kind = "symlink" if os.path.islink(old) else "file"
    target = os.readlink(old) if os.path.islink(old) else None
    if planted:
        os.unlink(old)
    check(planted, f"the old name {old} was planted")
    check(p.returncode == 0, f"demo with {kind} planted at {old}: exit {p.returncode}: {err}")
    check("no simulated board" not in err, f"demo fell back with {kind} planted: {err}")
    check(target in (None, "/dev/null"), f"the planted symlink was changed to {target}")
    lines = open(snaps).read().splitlines() if os.path.exists(snaps) else []
    check(len(lines) >= 20, f"demo with {kind} planted: {len(lines)} snapshots in 3 s")
    check(os.listdir(private) == [], f"the demo left {os.listdir(private)} in its directory")
    print(f"demo with a {kind} planted at the old name: exit {p.returncode}, {len(lines)} "
          f"snapshots, stderr {err.strip()!r}")


SIM_SCRIPT = r'''
set -u
sim=$1 elf=$2 out=$3 attune=$4
run() { "$sim" --firmware "$elf" --speed 0 --duration 0.5 --quiet "$@" >"$out/stdout" 2>"$out/stderr"; echo $? >"$out/rc"; }
: >/tmp/attune-sim; chown nobody /tmp/attune-sim 2>/dev/null
run; mkdir "$out/file"; mv "$out/stdout" "$out/stderr" "$out/rc" "$out/file/"
rm -f /tmp/attune-sim; ln -s /dev/null /tmp/attune-sim; chown -h nobody /tmp/attune-sim
run; mkdir "$out/link"; mv "$out/stdout" "$out/stderr" "$out/rc" "$out/link/"
readlink /tmp/attune-sim >"$out/link/target"
"$attune" ports --no-probe >"$out/link/ports" 2>&1
rm -f /tmp/attune-sim; ln -s /dev/null /tmp/attune-sim
"$attune" ports --no-probe >"$out/ours" 2>&1
ls -A /tmp | grep -v '^attune-sim$' | grep attune-sim >"$out/left" || true
rm -f /tmp/attune-sim; : >/tmp/attune-sim
run --link /tmp/attune-sim; mkdir "$out/explicit"; mv "$out/stdout" "$out/stderr" "$out/rc" "$out/explicit/"
'''


def in_private_tmp(script, args, keep):
    """Runs script with a tmpfs of its own on /tmp (mount namespace); the directory trees under
    /tmp that the programs live in are bound back in. None when that cannot be done."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return None
    tops = sorted({p.split("/")[2] for p in keep if p.startswith("/tmp/")})
    stash = tempfile.mkdtemp(prefix="attune-planted-", dir="/dev/shm")
    rebind = "".join(f'mkdir -p "/tmp/{t}"; mount --bind "{stash}/{t}" "/tmp/{t}"; ' for t in tops)
    wrapper = (f'mount --bind /tmp "{stash}" && mount -t tmpfs none /tmp && {rebind}'
               f'sh -c "$0" planted "$@"')
    try:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", wrapper,
                            script] + args, capture_output=True, text=True, timeout=120)
    finally:
        os.rmdir(stash)
    return r


def read(path):
    return open(path).read().strip() if os.path.exists(path) else ""


def simboard_default_taken(tmp):
    out = os.path.join(tmp, "sim")
    os.makedirs(out)
    r = in_private_tmp(SIM_SCRIPT, [SIMBOARD, ELF, out, ATTUNE], [SIMBOARD, ELF, out, ATTUNE])
    if r is None:
        print("simboard part skipped: needs root and unshare for a private /tmp")
        return
    check(r.returncode == 0, f"the namespace script: {r.returncode} {r.stderr}")
    for case in ("file", "link"):
        d = os.path.join(out, case)
        link, err = read(os.path.join(d, "stdout")), read(os.path.join(d, "stderr"))
        check(read(os.path.join(d, "rc")) == "0", f"simboard with a {case} at /tmp/attune-sim: "
              f"exit {read(os.path.join(d, 'rc'))}: {err}")
        check(link.startswith("/tmp/attune-sim-") and link.endswith("/board"),
              f"with a {case} at /tmp/attune-sim the link is {link!r}")
        check(err.count("\n") == 0 and "/tmp/attune-sim" in err and link in err,
              f"with a {case} at /tmp/attune-sim, stderr is not one line naming both: {err!r}")
        print(f"simboard with another user's {case} at /tmp/attune-sim: {err}")
    check(read(os.path.join(out, "link", "target")) == "/dev/null",
          "the planted symlink was replaced")
    theirs = [ln for ln in read(os.path.join(out, "link", "ports")).splitlines()
              if ln.startswith("/tmp/attune-sim")]
    check(theirs == [],
          f"attune ports with another user's link at /tmp/attune-sim: {theirs}")
    ours = [ln for ln in read(os.path.join(out, "ours")).splitlines()
            if ln.startswith("/tmp/attune-sim")]
    check(len(ours) == 1 and "simulated board" in ours[0] and "not the simulator" not in ours[0],
          f"attune ports with our own link at /tmp/attune-sim: {ours}")
    print(f"attune ports: theirs {theirs}, ours {ours}")
    check(read(os.path.join(out, "left")) == "", f"left behind: {read(os.path.join(out, 'left'))}")
    err = read(os.path.join(out, "explicit", "stderr"))
    check(read(os.path.join(out, "explicit", "rc")) == "1" and err.count("\n") == 0 and
          "--link" in err, f"explicit --link onto a file: {err!r}")


with tempfile.TemporaryDirectory(prefix="attune-planted-") as tmp:
    demo_with_old_name_planted(tmp, ': >"/tmp/attune-demo-$$"; chown nobody "/tmp/attune-demo-$$" '
                               '2>/dev/null')
    demo_with_old_name_planted(tmp, 'ln -s /dev/null "/tmp/attune-demo-$$"; '
                               'chown -h nobody "/tmp/attune-demo-$$" 2>/dev/null')
    simboard_default_taken(tmp)

if failures:
    print(f"{failures} checks failed", file=sys.stderr)
    sys.exit(1)
print("ok")
