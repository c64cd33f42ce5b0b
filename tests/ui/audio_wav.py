"""The session's sound, rendered into WAV by attune itself and measured with an FFT:
- the pacer tone's pitch rises during each inhale and falls during each exhale (6 /min pacer:
  inhale 0-5 s, exhale 5-10 s of every 10 s cycle), and it is near silent at the turns;
- the sync drone is louder and a pure fifth (3:2 of the 110 Hz root) for a couple breathing in
  phase, quieter and detuned for a couple breathing in anti-phase.

usage: /usr/bin/python3 audio_wav.py ATTUNE"""
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

attune = sys.argv[1]
failures = []


def render(script, parts, seconds, path):
    r = subprocess.run([attune, "live", "--headless", "--synthetic", script, "--speed", "0",
                        "--duration", str(seconds), "--audio-wav", path, "--sound", parts,
                        "--volume", "1"], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        failures.append("attune exited %d: %s" % (r.returncode, r.stderr.strip()))
        return None, 0
    with wave.open(path) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float) / 32768.0
    if len(x) < int(rate * seconds * 0.99):
        failures.append("%s: %d samples, want %d s at %d Hz" % (path, len(x), seconds, rate))
    return x, rate


def peak_hz(x, rate, t, w, lo, hi):
    seg = x[int(t * rate):int((t + w) * rate)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), n=1 << 18))
    f = np.fft.rfftfreq(1 << 18, 1.0 / rate)
    band = (f >= lo) & (f <= hi)
    return f[band][np.argmax(spec[band])]


def rms(x, rate, t, w):
    seg = x[int(t * rate):int((t + w) * rate)]
    return float(np.sqrt(np.mean(seg ** 2)))


with tempfile.TemporaryDirectory() as d:
    x, rate = render("in-phase", "pacer", 60, os.path.join(d, "pacer.wav"))
    if x is not None:
        for c in range(1, 5):
            t = 10.0 * c
            p = [peak_hz(x, rate, t + s, 0.5, 150, 500) for s in (1.0, 2.25, 3.5)]
            q = [peak_hz(x, rate, t + s, 0.5, 150, 500) for s in (6.0, 7.25, 8.5)]
            print("cycle %d: inhale %s Hz, exhale %s Hz" % (c, [round(v) for v in p],
                                                             [round(v) for v in q]))
            if not (p[0] < p[1] < p[2]):
                failures.append("pitch does not rise during the inhale at %g s: %s" % (t, p))
            if not (q[0] > q[1] > q[2]):
                failures.append("pitch does not fall during the exhale at %g s: %s" % (t, q))
            mid, turn = rms(x, rate, t + 2.3, 0.4), rms(x, rate, t + 4.9, 0.2)
            if not turn < 0.15 * mid:
                failures.append("not silent at the turn at %g s (rms %.4f vs %.4f mid-breath)"
                                % (t + 5, turn, mid))

    xi, ri = render("in-phase", "drone", 90, os.path.join(d, "in.wav"))
    xa, ra = render("anti-phase", "drone", 90, os.path.join(d, "anti.wav"))
    if xi is not None and xa is not None:
        li, la = rms(xi, ri, 60, 30), rms(xa, ra, 60, 30)
        fi = peak_hz(xi, ri, 60, 30, 155, 180)
        fa = peak_hz(xa, ra, 60, 30, 155, 180)
        print("drone: rms in phase %.4f, anti-phase %.4f; fifth at %.2f Hz vs %.2f Hz" %
              (li, la, fi, fa))
        if not li > 1.5 * la:
            failures.append("drone not louder in sync (rms %.4f vs %.4f)" % (li, la))
        if abs(fi - 165.0) > 1.0:
            failures.append("in sync the fifth is at %.2f Hz, want 165 (3:2 of 110)" % fi)
        if fa < 167.0:
            failures.append("out of sync the fifth is not detuned (%.2f Hz)" % fa)

    # chime: rings when the match moves up a level (switch script: in phase from 60 s), not
    # while nothing changes (anti-phase 20-58 s)
    xc, rc = render("switch", "chime", 100, os.path.join(d, "chime.wav"))
    if xc is not None:
        quiet, rung = rms(xc, rc, 20, 38), rms(xc, rc, 60, 20)
        print("chime: rms %.5f while apart, %.5f after the switch to in phase" % (quiet, rung))
        if not (quiet < 1e-4 and rung > 0.003):
            failures.append("chime not heard only at the level change (%.5f vs %.5f)" %
                            (quiet, rung))

    # alarm: a double beep when a chest belt goes flat (B's belt flat from 60 s of a CSV)
    path = os.path.join(d, "flat.csv")
    with open(path, "w") as f:
        f.write("t,a_resp,b_resp\n")
        for i in range(100 * 120):
            t = i / 100.0
            a = 2.5 + 0.5 * np.sin(2 * np.pi * 0.1 * t)
            b = 2.5 + 0.4 * np.sin(2 * np.pi * 0.1 * t) if t < 60 else 2.1
            f.write("%.2f,%.4f,%.4f\n" % (t, a, b))
    wav = os.path.join(d, "alarm.wav")
    r = subprocess.run([attune, "live", "--headless", "--input", path, "--speed", "0",
                        "--audio-wav", wav, "--sound", "alarm", "--volume", "1"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        failures.append("attune exited %d: %s" % (r.returncode, r.stderr.strip()))
    else:
        with wave.open(wav) as w:
            ra = w.getframerate()
            xa = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float) / 32768
        env = np.abs(xa) > 0.02
        on = np.flatnonzero(env)
        first = on[0] / ra if len(on) else None
        print("alarm: first beep at %s s (belt flat from 60 s)" % first)
        if first is None or not 60.0 <= first <= 75.0:
            failures.append("no alarm within 15 s of the belt going flat (first sound at %s)" % first)
        elif peak_hz(xa, ra, first, 0.08, 500, 1500) < 850:
            failures.append("the alarm is not the 880 Hz beep")

for f in failures:
    print("FAIL:", f, file=sys.stderr)
print("audio_wav: %s" % ("all checks passed" if not failures else "%d failed" % len(failures)))
sys.exit(1 if failures else 0)
