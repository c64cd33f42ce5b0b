"""attune plays through a real sound server, outlives it, and follows the default output.

A private PulseAudio server with one null sink ("room") stands in for a desktop's sound; parec
records what reaches a sink. attune live plays the pacer tone (6 /min, in phase). 5 s in, the
server is killed (as when PulseAudio crashes or a Bluetooth headset drops); 4 s later a new one
starts. 4 s after that a second sink ("headphones") appears and becomes the default, as when
headphones are plugged in. Wanted: attune keeps running and exits 0 (libsoundio's default is to
abort the process), says "sound stopped" and "sound is back" once each, counts one loss and one
move, and the pacer tone (196-392 Hz) is heard in the room before the loss and after the return,
then in the headphones.
Run under xvfb-run. usage: sound_server.py ATTUNE
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

attune = sys.argv[1]
if not shutil.which("pulseaudio") or not shutil.which("parec") or not os.environ.get("DISPLAY"):
    # tools/run installs PulseAudio on CI machines only (tools/debian-packages-ci.txt)
    print("needs pulseaudio, parec (tools/debian-packages-ci.txt) and an X display (xvfb-run)",
          file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

tmp = tempfile.mkdtemp(prefix="attune-sound-server-")
run = os.path.join(tmp, "run")
os.mkdir(run, 0o700)
with open(os.path.join(tmp, "client.conf"), "w") as f:
    f.write("autospawn = no\n")  # only the servers this test starts
env = dict(os.environ, XDG_RUNTIME_DIR=run, HOME=tmp, SDL_RENDER_DRIVER="software",
           PULSE_CLIENTCONFIG=os.path.join(tmp, "client.conf"))
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def start_server():
    srv = subprocess.Popen(["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                            "--use-pid-file=no", "--disable-shm=yes",
                            "-L", "module-native-protocol-unix",
                            "-L", "module-null-sink sink_name=room rate=48000 channels=1"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return srv
        time.sleep(0.1)
    srv.kill()
    raise SystemExit("FAIL the test's PulseAudio server did not start")


def record(name, sink):
    out = open(os.path.join(tmp, name), "wb")
    return subprocess.Popen(["parec", "-d", sink + ".monitor", "--format=s16le", "--rate=48000",
                             "--channels=1", "--raw"], env=env, stdout=out,
                            stderr=subprocess.DEVNULL)


def heard(name):
    """Seconds captured, RMS and the loudest frequency of the capture's last 4 s."""
    x = np.fromfile(os.path.join(tmp, name), dtype="<i2").astype(float) / 32768.0
    seg = x[-4 * 48000:]
    if len(seg) < 48000:
        return len(x) / 48000.0, 0.0, 0.0
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    f = np.fft.rfftfreq(len(seg), 1.0 / 48000.0)
    return len(x) / 48000.0, float(np.sqrt(np.mean(seg ** 2))), float(f[np.argmax(spec)])


server = start_server()
cap1 = record("before.raw", "room")
live = subprocess.Popen([attune, "live", "--synthetic", "in-phase", "--duration", "19",
                         "--sound", "pacer", "--volume", "1", "--size", "800x600",
                         "--stats", os.path.join(tmp, "stats.json")],
                        env=env, stderr=open(os.path.join(tmp, "err"), "w"))
cap2 = cap3 = None
try:
    time.sleep(5.0)
    server.kill()  # as a crash: no goodbye to the clients
    server.wait()
    cap1.wait(timeout=10)
    time.sleep(4.0)
    server = start_server()
    cap2 = record("after.raw", "room")
    time.sleep(4.0)
    cap2.terminate()
    cap2.wait(timeout=10)
    subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=headphones",
                    "rate=48000", "channels=1"], env=env, check=True, capture_output=True)
    subprocess.run(["pactl", "set-default-sink", "headphones"], env=env, check=True)
    cap3 = record("headphones.raw", "headphones")
    rc = live.wait(timeout=60)
    check(rc == 0, f"attune lives through the lost sound server and exits 0 (got {rc})")
finally:
    for p in (live, cap2, cap3, server):
        if p and p.poll() is None:
            p.kill()
            p.wait()

with open(os.path.join(tmp, "err")) as f:
    err = f.read()
print("attune said:", err.strip().replace("\n", " | "))
check(err.count("attune: sound stopped (the sound server went away)") == 1,
      "one line says the sound stopped, and why")
check(err.count("attune: sound is back") == 1, "one line says the sound is back")
if os.path.exists(os.path.join(tmp, "stats.json")):
    with open(os.path.join(tmp, "stats.json")) as f:
        st = json.load(f)
    check(st["sound_losses"] == 1 and st["sound_moves"] == 1 and st["sound_device"] is True,
          f"stats: losses {st['sound_losses']}, moves {st['sound_moves']}, device playing at "
          f"the end {st['sound_device']}")
else:
    check(False, "attune wrote its stats")
for name in ("before.raw", "after.raw", "headphones.raw"):
    secs, rms, hz = heard(name)
    check(secs >= 1.5 and rms > 0.01 and 190.0 <= hz <= 400.0,
          f"{name}: {secs:.1f} s captured, RMS {rms:.3f}, loudest {hz:.0f} Hz (pacer tone "
          f"196-392 Hz)")

if failures:
    print(f"{len(failures)} check(s) failed; files kept in {tmp}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(tmp)
print("sound_server: all checks passed")
