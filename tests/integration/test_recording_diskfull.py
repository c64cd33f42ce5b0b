#!/usr/bin/python3
"""A real full disk and a read-only disk, on small tmpfs mounts (needs root; exit 77 otherwise).

- recording into a 256 kB tmpfs: the disk fills mid-session; the recorder stops with "no space
  left", the process exits 1 without crashing, no .tmp file is left, any session file present is
  complete (MNE opens the EDF), and the raw capture holds only whole records (recover: no damaged
  bytes, every sample equal to what was fed in);
- recording onto an already full disk: refused at start with one clear line, no file left behind;
- recording onto a read-only disk: refused at start with one clear line.
"""
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # the helper sits in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rectest import check, done, need_mne, programs  # noqa: E402


def mount(path, opts):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", path],
                          capture_output=True, text=True).returncode == 0


def main():
    mne, np = need_mne("test_recording_diskfull")
    gen, attune = programs()

    with tempfile.TemporaryDirectory(prefix="att_rec_full_") as d:
        small = os.path.join(d, "small")
        os.mkdir(small)
        if os.geteuid() != 0 or not mount(small, "size=256k"):
            print("test_recording_diskfull: skipped: mounting a tmpfs needs root", file=sys.stderr)
            sys.exit(77)
        try:
            # --- the disk fills mid-session ---
            base = os.path.join(small, "s")
            p = subprocess.run([gen, "record", base, "60"], capture_output=True, text=True,
                               timeout=120)
            print("mid-session:", p.stderr.strip().replace("\n", " | "))
            check(p.returncode == 1, f"exit {p.returncode} (want 1)")
            check("no space left" in p.stderr, f"stderr {p.stderr!r}")
            names = os.listdir(small)
            check(not any(n.endswith(".tmp") for n in names), f"tmp files left: {names}")
            if "s.edf" in names:
                mne.io.read_raw_edf(base + ".edf", preload=True)  # complete, or it raises
            out = os.path.join(d, "copy")
            with open(base + ".attraw", "rb") as f, open(out + ".attraw", "wb") as g:
                g.write(f.read())
            r = subprocess.run([attune, "recover", out + ".attraw"], capture_output=True,
                               text=True, timeout=120)
            print("recover:", r.stdout.strip().replace("\n", " | "))
            check(r.returncode == 0 and "damaged" not in r.stdout, f"recover: {r.stdout!r} {r.stderr!r}")
            if r.returncode == 0:
                got = np.loadtxt(out + ".csv", delimiter=",", skiprows=1, usecols=(1, 2, 3, 4),
                                 dtype=np.int64)
                n = len(got)
                truth = np.loadtxt(subprocess.run([gen, "truth", str(n)], capture_output=True,
                                                  text=True).stdout.splitlines(),
                                   delimiter=",", dtype=np.int64)[:, 1:]
                check(n > 2500 and np.array_equal(got, truth), f"{n} samples, values equal truth")
            for n_ in os.listdir(small):
                os.unlink(os.path.join(small, n_))

            # --- the disk is full before the session starts ---
            with open(os.path.join(small, "filler"), "wb", buffering=0) as f:
                try:
                    while True:
                        f.write(b"\0" * 4096)
                        f.flush()
                except OSError:
                    pass
            p = subprocess.run([gen, "record", base, "5"], capture_output=True, text=True,
                               timeout=60)
            print("full at start:", p.stderr.strip())
            check(p.returncode == 1 and "no space left" in p.stderr
                  and len(p.stderr.strip().splitlines()) == 1, f"full at start: {p.stderr!r}")
            check(sorted(os.listdir(small)) == ["filler"], f"left behind: {os.listdir(small)}")
        finally:
            subprocess.run(["umount", small])

        # --- a read-only disk ---
        if mount(small, "size=256k,ro"):
            try:
                p = subprocess.run([gen, "record", os.path.join(small, "s"), "5"],
                                   capture_output=True, text=True, timeout=60)
                print("read-only:", p.stderr.strip())
                check(p.returncode == 1 and "choose a folder you can write to" in p.stderr
                      and len(p.stderr.strip().splitlines()) == 1, f"read-only: {p.stderr!r}")
            finally:
                subprocess.run(["umount", small])

    done("recording_diskfull")


main()
