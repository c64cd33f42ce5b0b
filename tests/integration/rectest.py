"""Shared harness of the recorder's integration scripts (test_recording_*.py): a check tally like
tests/check.h (every failed check is reported, the run goes on), the skip rule when MNE is not
installed, and the paths of the programs they drive in the build tree.

Imported by path: each script puts its own folder first on sys.path (without writing bytecode
into the source tree). Invariant: `failures` only grows; done() turns it into the exit code.
"""
import os
import sys

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("CHECK failed:", what, file=sys.stderr)


def need_mne(name, hint=""):
    """Returns (mne, numpy) with MNE's logging quiet. Without them: exit 77 (skip), or 1 when
    ATTUNE_REQUIRE_DATA=1."""
    try:
        import mne
        import numpy as np
    except ImportError as e:
        print(f"{name}: needs python3-mne and numpy ({e}){hint}", file=sys.stderr)
        sys.exit(1 if os.environ.get("ATTUNE_REQUIRE_DATA") == "1" else 77)
    mne.set_log_level("ERROR")
    return mne, np


def programs():
    """(test_recording_gen, attune) in the build tree named by ATTUNE_BUILD."""
    build = os.environ["ATTUNE_BUILD"]
    return (os.path.join(build, "tests", "integration", "test_recording_gen"),
            os.path.join(build, "host", "app", "attune"))


def done(name):
    """Exits 1 when a check failed, else says all passed."""
    if failures:
        print(f"{name}: {failures} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: all checks passed")
