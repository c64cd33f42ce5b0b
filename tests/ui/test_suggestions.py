#!/usr/bin/python3
"""What attune tells a newcomer to run works as printed, and the set-up leaves `attune` on the
PATH.

- tools/run's put_on_path, run as a user who is not root (nobody, when the test runs as root),
  links attune and attune-simboard into ~/.local/bin, says when that folder is not on the PATH,
  and `attune` then runs by name from anywhere. (The root branch is `meson install` into the
  build's prefix, which test install_puts_desktop_files_in_place checks with --destdir.)
- Without a display, `attune demo ...` suggests `xvfb-run -a attune demo ...` with the options
  as typed (quoted for the shell): that line, run by a shell with attune on the PATH, works.
- The same for `attune room ...`: the line repeats the room's own options (--broker, --room,
  --as), not only the live options attune room passes on, and run as printed (against a
  mosquitto on 127.0.0.1, when there is one) it joins the room and ends.
- `attune app ...` without a display suggests `xvfb-run -a attune app ...` as typed (and not
  --headless, which the app does not have); run as printed, its start screen opens and waits.
- A port that sends bytes but is not attune firmware suggests `make -C .../firmware flash
  PORT=...`: that command is real (`make -n` shows avrdude writing to that port).

usage: test_suggestions.py SOURCE_ROOT ATTUNE
"""
import os
import pty
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tty

SOURCE, ATTUNE = sys.argv[1], os.path.realpath(sys.argv[2])
BIN = os.path.dirname(ATTUNE)
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


def as_other_user():
    """The command prefix that runs as a user who is not root, or None to run as we are."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        return None
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def put_on_path(tmp):
    prefix = as_other_user()
    if prefix is None:
        print("put_on_path skipped: root without setpriv")
        return
    built = os.path.realpath(os.path.join(SOURCE, "build", "host", "app", "attune"))
    if not os.access(built, os.X_OK):  # tools/run's build folder; this may be another one
        print(f"put_on_path skipped: {built} is not built (tools/run builds it)")
        return
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    if prefix:
        shutil.chown(home, "nobody", "nogroup")
    script = ('set -euo pipefail; top=$1; cd "$top"; '
              'eval "$(sed -n \'/^put_on_path() {/,/^}/p\' tools/run)"; put_on_path')
    env = {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    r = subprocess.run(prefix + ["bash", "-c", script, "put_on_path", SOURCE], env=env,
                       capture_output=True, text=True, timeout=60)
    bindir = os.path.join(home, ".local", "bin")
    if r.returncode != 0 and "Permission denied" in r.stderr:
        print(f"put_on_path skipped: nobody cannot read the build tree ({r.stderr.strip()})")
        return
    check(r.returncode == 0, f"put_on_path: exit {r.returncode}: {r.stderr}")
    for name in ("attune", "attune-simboard"):
        link = os.path.join(bindir, name)
        check(os.path.islink(link), f"{link} is a link")
    check(os.path.realpath(os.path.join(bindir, "attune")) == built,
          f"~/.local/bin/attune is tools/run's build {built}")
    check(f"{bindir} is not on your PATH: export PATH=" in r.stderr,
          f"put_on_path says how to put {bindir} on the PATH: {r.stderr!r}")
    env["PATH"] = bindir + ":/usr/bin:/bin"
    by_name = subprocess.run(prefix + ["sh", "-c", "cd / && attune guides"], env=env,
                             capture_output=True, text=True, timeout=60)
    check(by_name.returncode == 0 and "daily" in by_name.stdout,
          f"attune by name from /: exit {by_name.returncode}: {by_name.stderr}")
    print(f"put_on_path: {r.stderr.strip()}")


def xvfb_suggestion(tmp):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    r = subprocess.run([ATTUNE, "demo", "--duration", "2", "--no-audio", "--names",
                        "Anna,Björn O'Neil"], env=env, capture_output=True, text=True,
                       timeout=60, cwd=tmp)
    m = re.search(r"run under Xvfb: (xvfb-run -a attune .*)$", r.stderr.strip())
    check(r.returncode == 1 and m is not None, f"no display: {r.returncode} {r.stderr!r}")
    if not m:
        return
    line = m.group(1)
    check("--names 'Anna,Björn O'\\''Neil'" in line, f"the options as typed, quoted: {line}")
    if not shutil.which("xvfb-run"):
        print("xvfb-run is missing: the suggestion is not run")
        return
    env["PATH"] = BIN + ":" + env.get("PATH", "/usr/bin:/bin")
    env["ATTUNE_SOUND_BACKEND"] = "dummy"
    # as the other ui tests: Mesa's GL, under sanitizers, keeps memory LeakSanitizer reports
    env["SDL_RENDER_DRIVER"] = "software"
    t0 = time.time()
    run = subprocess.run(["sh", "-c", line], env=env, capture_output=True, text=True,
                         timeout=120, cwd=tmp)
    check(run.returncode == 0, f"'{line}' as printed: exit {run.returncode}: {run.stderr}")
    print(f"suggested and run as printed ({time.time() - t0:.1f} s, exit {run.returncode}): "
          f"{line}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def room_suggestion(tmp):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    port = free_port()
    args = ["room", "--broker", f"mqtt://127.0.0.1:{port}", "--room", "suggest-1", "--as",
            "observer", "--jitter-ms", "300", "--names", "Anna,Björn O'Neil", "--duration", "2",
            "--no-audio"]
    r = subprocess.run([ATTUNE] + args, env=env, capture_output=True, text=True, timeout=60,
                       cwd=tmp)
    m = re.search(r"run under Xvfb: (xvfb-run -a attune .*)$", r.stderr.strip())
    check(r.returncode == 1 and m is not None, f"room, no display: {r.returncode} {r.stderr!r}")
    if not m:
        return
    line = m.group(1)
    check(shlex.split(line)[3:] == args, f"the room command as typed, quoted: {line}")
    if not shutil.which("xvfb-run") or not shutil.which("mosquitto"):
        print("xvfb-run or mosquitto is missing: the room suggestion is not run")
        return
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                + ("user root\n" if os.geteuid() == 0 else ""))
    broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        env["PATH"] = BIN + ":" + env.get("PATH", "/usr/bin:/bin")
        env["ATTUNE_SOUND_BACKEND"] = "dummy"
        env["SDL_RENDER_DRIVER"] = "software"
        run = subprocess.run(["sh", "-c", line], env=env, capture_output=True, text=True,
                             timeout=120, cwd=tmp)
        check(run.returncode == 0, f"'{line}' as printed: exit {run.returncode}: {run.stderr}")
        print(f"room suggested and run as printed (exit {run.returncode}): {line}")
    finally:
        broker.terminate()
        broker.wait(timeout=10)


def app_suggestion(tmp):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env["XDG_DATA_HOME"] = os.path.join(tmp, "app-data")
    args = ["app", "--demo", "--no-audio", "--size", "800x600", "--db",
            os.path.join(tmp, "app data", "practice.db")]
    r = subprocess.run([ATTUNE] + args, env=env, capture_output=True, text=True, timeout=60,
                       cwd=tmp)
    m = re.search(r"run under Xvfb: (xvfb-run -a attune .*)$", r.stderr.strip())
    check(r.returncode == 1 and m is not None, f"app, no display: {r.returncode} {r.stderr!r}")
    check("--headless" not in r.stderr, f"the app has no --headless to suggest: {r.stderr!r}")
    if not m:
        return
    line = m.group(1)
    check(shlex.split(line)[3:] == args, f"the app command as typed, quoted: {line}")
    if not shutil.which("xvfb-run"):
        print("xvfb-run is missing: the app suggestion is not run")
        return
    env["PATH"] = BIN + ":" + env.get("PATH", "/usr/bin:/bin")
    env["ATTUNE_SOUND_BACKEND"] = "dummy"
    env["SDL_RENDER_DRIVER"] = "software"
    run = subprocess.Popen(["sh", "-c", line], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, cwd=tmp, start_new_session=True)
    time.sleep(5)  # the start screen waits for someone: still running means it opened
    still = run.poll() is None
    if still:
        os.killpg(run.pid, signal.SIGTERM)
    try:
        err = run.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        err = run.communicate()[1]
    check(still, f"'{line}' as printed: exit {run.returncode} within 5 s: {err}")
    print(f"app suggested and run as printed (start screen up after 5 s: {still}): {line}")


def flash_suggestion(tmp):
    master, slave = pty.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    stop = threading.Event()

    def chatter():  # a board that talks, but not attune's protocol
        while not stop.is_set():
            try:
                os.write(master, b"Hello from another sketch\r\n")
                while True:
                    os.set_blocking(master, False)
                    os.read(master, 4096)
            except (BlockingIOError, OSError):
                pass
            time.sleep(0.05)

    th = threading.Thread(target=chatter, daemon=True)
    th.start()
    try:
        r = subprocess.run([ATTUNE, "record", "--port", port, "--duration", "1", "--output",
                            os.path.join(tmp, "s")], capture_output=True, text=True, timeout=60)
    finally:
        stop.set()
        th.join()
        os.close(master)
        os.close(slave)
    m = re.search(r"(make -C (\S+) flash PORT=(\S+?));", r.stderr)
    check(r.returncode == 1 and m is not None, f"not attune firmware: {r.returncode} {r.stderr!r}")
    if not m:
        return
    check(m.group(3) == port, f"the suggestion names the port {port}: {m.group(1)}")
    dry = subprocess.run(["make", "-n"] + m.group(1).split()[1:], capture_output=True, text=True,
                         cwd=tmp)
    check(dry.returncode == 0 and re.search(r"avrdude .*-P " + re.escape(port), dry.stdout),
          f"make -n {m.group(1)}: {dry.returncode} {dry.stdout!r} {dry.stderr!r}")
    print(f"suggested: {m.group(1)}; make -n runs: "
          f"{[ln for ln in dry.stdout.splitlines() if 'avrdude' in ln]}")


with tempfile.TemporaryDirectory(prefix="attune-suggest-") as tmp:
    os.chmod(tmp, 0o755)
    put_on_path(tmp)
    xvfb_suggestion(tmp)
    room_suggestion(tmp)
    app_suggestion(tmp)
    flash_suggestion(tmp)
if failures:
    print(f"{failures} failure(s)", file=sys.stderr)
    sys.exit(1)
print("ok")
