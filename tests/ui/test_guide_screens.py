#!/usr/bin/python3
"""A guided session's view under Xvfb, judged from its pixels (the 'first' guide, a generated
couple breathing together):
- at 1:00, in 'apart' (feedback off): no partner rings and no glow in the centre, the phase line
  (guide, phase, countdown) under the cue and the phase's instruction above the words;
- at 2:30, in 'with the pacer' (feedback on): both partners' rings in the centre, the phase line;
- at 1:00 without a guide: neither line.
usage: test_guide_screens.py ATTUNE   (skips with 77 when xvfb-run is missing)
"""
import os
import shutil
import subprocess
import sys
import tempfile

from PIL import Image

attune = sys.argv[1]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


if not shutil.which("xvfb-run"):
    print("skip: xvfb-run not installed (apt-get install xvfb xauth)", file=sys.stderr)
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="attune-guide-ui-")
env = dict(os.environ, SDL_RENDER_DRIVER="software")


def shot(name, after, guide):
    path = os.path.join(tmp, name + ".png")
    args = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", attune, "live", "--synthetic",
            "in-phase", "--no-audio", "--size", "1280x800", "--after", str(after),
            "--screenshot", path] + (["--guide", guide] if guide else [])
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"{name}: exit {r.returncode}: {r.stderr}")
    return Image.open(path).convert("RGB") if r.returncode == 0 else None


def count(im, box, pred):
    """Pixels satisfying pred in box (fractions x0, y0, x1, y1 of the image)."""
    w, h = im.size
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    px = im.load()
    return sum(1 for y in range(y0, y1) for x in range(x0, x1) if pred(px[x, y]))


def near(c, tol):
    return lambda p: all(abs(a - b) <= tol for a, b in zip(p, c))


def text(p):  # the view's light grey and white text on its near-black background
    return min(p) > 110 and max(p) - min(p) < 40


ORANGE, BLUE = (0xE6, 0x9F, 0x00), (0x00, 0x72, 0xB2)
CENTRE = (0.3, 0.2, 0.7, 0.62)
PHASE_LINE = (0.25, 0.145, 0.75, 0.175)
SAY = (0.1, 0.64, 0.9, 0.68)

off = shot("apart", 60, "first")
on = shot("with-pacer", 150, "first")
plain = shot("no-guide", 60, None)
if off and on and plain:
    for name, im in (("apart", off), ("with the pacer", on), ("no guide", plain)):
        o, b = count(im, CENTRE, near(ORANGE, 12)), count(im, CENTRE, near(BLUE, 12))
        line, say = count(im, PHASE_LINE, text), count(im, SAY, text)
        print(f"{name}: centre orange {o} blue {b}; phase line {line} px; instruction {say} px")
    check(count(off, CENTRE, near(ORANGE, 12)) < 30 and count(off, CENTRE, near(BLUE, 12)) < 30,
          "feedback off: no partner rings in the centre")
    check(count(on, CENTRE, near(ORANGE, 12)) > 300 and count(on, CENTRE, near(BLUE, 12)) > 150,
          "feedback on: both partners' rings in the centre")
    check(count(plain, CENTRE, near(ORANGE, 12)) > 300, "without a guide: the rings as always")
    for name, im in (("apart", off), ("with the pacer", on)):
        check(count(im, PHASE_LINE, text) > 400, f"{name}: the phase line with its countdown")
        check(count(im, SAY, text) > 800, f"{name}: the phase's instruction")
    check(count(plain, PHASE_LINE, text) < 40 and count(plain, SAY, text) < 40,
          "without a guide: no phase line, no instruction")
    # the phase line changes with the phase and the countdown
    a, b = off.crop((320, 116, 960, 140)), on.crop((320, 116, 960, 140))
    check(a.tobytes() != b.tobytes(), "the phase line differs between the phases")

if failures:
    print(f"{failures} failure(s); screenshots kept in {tmp}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(tmp)
print("guide screens: all checks passed")
