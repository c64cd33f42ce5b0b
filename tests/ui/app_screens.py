"""attune app as a couple uses it: real key presses and mouse clicks from the X server (xdotool).

Run under xvfb-run with a database and sessions folder of its own. No board is plugged in, so the
generated demo couple plays (options after --: the generated couple at 10x real time, at most
300 s of signal).
  1. three other couples' sessions of the first guide are in the history (headless demo)
  2. the start screen, keyboard only: new names typed over the remembered ones (Cyrillic, with
     stray spaces around them), Enter
     to the guides, Down picks "first", Enter starts; q quits the session in the live view; it
     is recorded in the couple's folder and joins the history; the end card says how together
     they were beside partners who never met; a reflection typed in two scripts, Enter saves it
     in the journal; Enter: back
  3. the names are remembered: quit, start again, click Start with the mouse; Esc skips the
     reflection (no entry)
  4. a session that cannot start (a bad live option) leaves the start screen up, saying why;
     Esc quits, exit 0
usage: app_screens.py ATTUNE
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

attune = sys.argv[1]
if not shutil.which("xdotool") or not os.environ.get("DISPLAY"):
    print("skip: needs xdotool and an X display (run under xvfb-run)", file=sys.stderr)
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="attune-app-")
db = os.path.join(tmp, "practice.db")
shots = os.path.join(tmp, "shots")
os.mkdir(shots)
env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "data"), ATTUNE_DB=db,
           SDL_RENDER_DRIVER="software")
env.pop("ATTUNE_SIM_LINK", None)
failures = []
W, H = 1000, 700


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def xdo(*args):
    return subprocess.run(["xdotool", *args], check=True, capture_output=True, text=True,
                          timeout=30).stdout.strip()


def wait(pred, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def window():
    """The visible attune window, focused, or None. Between screens one window closes and the
    next opens: a window found may be gone before it is focused, so both are tried again."""
    found = []

    def look():
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^attune"],
                           capture_output=True, text=True)
        for win in reversed(r.stdout.split()):
            try:
                focused = subprocess.run(["xdotool", "windowfocus", "--sync", win],
                                         capture_output=True, timeout=10).returncode == 0
            except subprocess.TimeoutExpired:
                focused = False
            if focused:
                found[:] = [win]
                return True
        return False
    if not wait(look, 40):
        return None
    time.sleep(0.4)
    return found[0]


def keys(*k):
    xdo("key", "--delay", "60", *k)


def typed(text):
    xdo("type", "--delay", "60", text)


def app(*extra):
    out = open(os.path.join(tmp, "app.out"), "w+")
    err = open(os.path.join(tmp, "app.err"), "w+")
    p = subprocess.Popen([attune, "app", "--no-audio", "--size", f"{W}x{H}", "--shots", shots,
                          "--", "--synthetic", "in-phase", "--speed", "10", "--duration", "300",
                          *extra], env=env, stdout=out, stderr=err)
    return p, out, err


def text_of(f):
    f.flush()
    f.seek(0)
    return f.read()


def journal():
    r = subprocess.run([attune, "journal", "list", "--json"], env=env, capture_output=True,
                       text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def sessions(couple):
    r = subprocess.run([attune, "history", "--json", "--couple", couple], env=env,
                       capture_output=True, text=True)
    return json.loads(r.stdout)["sessions"] if r.returncode == 0 else None


def stop(p):
    if p.poll() is None:
        p.kill()
        p.wait()


# 1. strangers of the same guide, so the end card can compare
for i in range(3):
    r = subprocess.run([attune, "demo", "--headless", "--snapshots", "/dev/null", "--no-audio",
                        "--speed", "0", "--synthetic", "in-phase", "--seed", str(i + 2),
                        "--duration", "60", "--guide", "first", "--names", f"X{i},Y{i}",
                        "--record", os.path.join(tmp, f"stranger{i}")], env=env,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"stranger couple {i} recorded " + r.stderr.strip()[-200:])

# 2. keyboard only
p, out, err = app()
try:
    win = window()
    check(win is not None, "the start screen opens")
    keys("F12")
    check(wait(lambda: os.path.exists(os.path.join(shots, "start.png")), 5),
          "F12 saves the start screen")
    # the latest couple is filled in and the guides have the focus: back to the names
    keys("shift+Tab", "shift+Tab", *["BackSpace"] * 6)
    typed("Аня ")  # spaces around a name are not part of it
    keys("shift+Tab", *["BackSpace"] * 6)
    typed(" Ben")
    keys("Return", "Return", "Down", "Return")
    # the live view is a window of its own: wait for it, let 60-90 s of signal pass, quit
    check(wait(lambda: "recording to " + os.path.join(tmp, "data") in text_of(out), 20),
          "the session starts, recording into the couple's folder")
    time.sleep(1.0)
    window()
    time.sleep(6)
    keys("q")
    check(wait(lambda: "session this week" in text_of(out), 60), "q ends it and the end card shows")
    time.sleep(0.5)
    card = text_of(out)
    print(card)
    check("Together" in card and "for partners who never met, same guide" in card,
          "the end card: together beside partners who never met")
    check("1st session this week" in card, "... and the week so far")
    s = sessions("Ben & Аня")
    check(s is not None and len(s) == 1 and s[0]["guide"] == "First session"
          and 50 <= s[0]["duration_s"] < 300, "one session of the first guide, cut short by q")
    folder = os.path.join(tmp, "data", "attune", "sessions", "Ben & Аня")
    check(s and s[0]["files"]["json"] and s[0]["files"]["json"].startswith(folder),
          "recorded in the couple's folder")
    check(s and s[0]["pseudo_match"] is not None, "its pseudo-couple baseline is stored")
    keys("F12")
    typed("Мы дышали 一起 calm")
    keys("shift+Return")
    typed("then home")
    keys("Return")
    check(wait(lambda: (journal() or [None])[-1] is not None
               and "then home" in ((journal() or [{}])[-1].get("text") or ""), 10),
          "Enter saves the reflection in the journal")
    j = journal()
    check(j and "Мы дышали 一起 calm\nthen home" in j[-1]["text"] and "?" in j[-1]["text"],
          "the question and both scripts, with the new line, kept")
    check(os.path.exists(os.path.join(shots, "end.png")), "F12 saved the end card")
    keys("Return")
    time.sleep(1.0)
    check(window() is not None and p.poll() is None, "Enter: back to the start screen")
    keys("Escape")
    check(wait(lambda: p.poll() is not None, 10) and p.returncode == 0, "Esc quits, exit 0")
finally:
    stop(p)
print(text_of(err)[-1500:])

# 3. remembered, and the mouse
p, out, err = app()
try:
    win = window()
    check(win is not None, "the start screen opens again " + text_of(err)[-600:])
    geo = xdo("getwindowgeometry", "--shell", win)
    g = dict(line.split("=") for line in geo.splitlines())
    # Start: x from 0.54 to 0.92 of the width, its top at 0.82 of the height less a little
    xdo("mousemove", "--window", win, str(int(0.73 * W)), str(int(0.83 * H)))
    xdo("click", "1")
    check(wait(lambda: "Ben & Аня: Daily practice" in text_of(out), 20),
          "a click on Start runs the remembered couple again")
    time.sleep(1.0)
    window()
    time.sleep(3)
    keys("q")
    check(wait(lambda: "2nd session this week" in text_of(out), 90),
          "the end card counts the week's sessions")
    time.sleep(0.5)
    n_before = len(journal() or [])
    keys("Escape")
    time.sleep(0.5)
    keys("Escape")
    time.sleep(1.0)
    check(len(journal() or []) == n_before, "Esc skips the reflection: no entry")
    check(len(sessions("Ben & Аня") or []) == 2, "two sessions of the couple")
    keys("Escape")
    check(wait(lambda: p.poll() is not None, 10) and p.returncode == 0, "Esc quits, exit 0")
finally:
    stop(p)

# 4. a session that cannot start
p, out, err = app("--no-such-option")
try:
    window()
    keys("Return")
    check(wait(lambda: "no-such-option" in text_of(err), 20), "the session's complaint is passed on")
    time.sleep(1.0)
    check(window() is not None and p.poll() is None, "the start screen is up again")
    keys("F12")
    time.sleep(0.5)
    keys("Escape")
    check(wait(lambda: p.poll() is not None, 10) and p.returncode == 0, "Esc quits, exit 0")
    check(len(sessions("Ben & Аня") or []) == 2, "nothing recorded")
finally:
    stop(p)

if failures:
    print(f"{len(failures)} failed; files in {tmp}")
    sys.exit(1)
shutil.rmtree(tmp)
