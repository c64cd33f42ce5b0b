"""The live view obeys real key presses from the X server, not only SDL events made inside attune.

Run under xvfb-run. attune live records a generated couple; xdotool types through XTEST, the
same path a keyboard takes; the screen is read back from the X server (PIL ImageGrab).
  h        the help panel covers the middle of the window; h again hides it
  space    a marker; p twice: pacer off, on; Up: pacer 6.5 /min
  r r      stops the recording (NAME.json lists those events) and at once starts the next free
           name: NAME-3, since a file of NAME-2 was put there first (and is left alone)
  space    a marker in NAME-3;  q quits at once, NAME-3 closed and saved, exit 0
usage: x11_keys.py ATTUNE
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from PIL import ImageGrab

attune = sys.argv[1]
if not shutil.which("xdotool") or not os.environ.get("DISPLAY"):
    print("skip: needs xdotool and an X display (run under xvfb-run)", file=sys.stderr)
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="attune-x11-keys-")
planted = os.path.join(tmp, "s-2.csv")  # another session's file: its name is taken
with open(planted, "w") as f:
    f.write("keep me\n")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def xdo(*args):
    return subprocess.run(["xdotool", *args], check=True, capture_output=True,
                          text=True, timeout=30).stdout.strip()


def wait_for(path, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False


def help_panel_share(win):
    """Share of the window's middle in the help panel's colour (#1b2127, as test_view_screens)."""
    x, y, w, h = win
    im = ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay="").convert("RGB")
    x0, y0, x1, y1 = int(0.32 * w), int(0.35 * h), int(0.68 * w), int(0.65 * h)
    near = total = 0
    px = im.load()
    for yy in range(y0, y1, 2):
        for xx in range(x0, x1, 2):
            r, g, b = px[xx, yy]
            total += 1
            near += abs(r - 0x1b) <= 8 and abs(g - 0x21) <= 8 and abs(b - 0x27) <= 8
    return near / total


def events(path):
    with open(path) as f:
        return [(e["kind"], e["value"]) for e in json.load(f)["session"]["events"]]


env = dict(os.environ, SDL_RENDER_DRIVER="software")
proc = subprocess.Popen([attune, "live", "--synthetic", "in-phase", "--no-audio",
                         "--size", "1000x700", "--record", os.path.join(tmp, "s"),
                         "--stats", os.path.join(tmp, "stats.json")],
                        env=env, stderr=open(os.path.join(tmp, "err"), "w"))
try:
    wid = xdo("search", "--sync", "--limit", "1", "--name", "attune - breathing together")
    xdo("windowfocus", "--sync", wid)
    geo = dict(line.split("=") for line in xdo("getwindowgeometry", "--shell", wid).split())
    win = (int(geo["X"]), int(geo["Y"]), int(geo["WIDTH"]), int(geo["HEIGHT"]))
    time.sleep(1.5)  # a few frames drawn

    before = help_panel_share(win)
    xdo("key", "h")
    time.sleep(0.5)
    shown = help_panel_share(win)
    xdo("key", "h")
    time.sleep(0.5)
    hidden = help_panel_share(win)
    check(shown > 0.5 and before < 0.2 and hidden < 0.2,
          f"h shows and hides the help panel (panel share {before:.2f} -> {shown:.2f} -> "
          f"{hidden:.2f})")

    for key in ("space", "p", "p", "Up"):
        xdo("key", key)
        time.sleep(0.3)
    # stop and at once start the next one: the second r must not be lost while s is saved
    xdo("key", "--delay", "0", "r", "r")
    saved = wait_for(os.path.join(tmp, "s.json"), 20)
    check(saved, "r stops the recording and saves s.json")
    if saved:
        got = events(os.path.join(tmp, "s.json"))
        want = [("marker", None), ("pacer", 0.0), ("pacer", 6.0), ("pacer", 6.5)]
        kinds = [(k, v if k == "pacer" else None) for k, v in got if k in ("marker", "pacer")]
        # the recording starts with the pacer's initial state
        check(kinds[-4:] == want, f"s.json events from the keys: {got}")
    time.sleep(1.0)
    xdo("key", "space")
    time.sleep(0.5)
    xdo("key", "q")
    rc = proc.wait(timeout=30)
    check(rc == 0, f"q quits with exit 0 (got {rc})")
    second = os.path.join(tmp, "s-3.json")
    check(os.path.exists(second), "quitting closes and saves the running recording s-3")
    check(open(planted).read() == "keep me\n" and not os.path.exists(os.path.join(tmp, "s-2.json")),
          "the name s-2, in use, was skipped and its file left alone")
    if os.path.exists(second):
        got = events(second)
        check(("marker", 0.0) in [(k, 0.0) for k, _ in got if k == "marker"],
              f"s-3.json has the marker pressed while it ran: {got}")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()

with open(os.path.join(tmp, "err")) as f:
    err = f.read()
print("attune said:", err.strip().replace("\n", " | "))
if failures:
    print(f"{len(failures)} check(s) failed; files kept in {tmp}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(tmp)
print("x11_keys: all checks passed")
