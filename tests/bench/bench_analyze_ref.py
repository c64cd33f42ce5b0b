#!/usr/bin/python3
"""Vectorised numpy/scipy reference of `attune analyze`, for timing and memory comparison in
bench_analyze.py: the same steps on the same CSV, written the way a scientist would with scipy
(np.loadtxt, sosfiltfilt, hilbert, cumulative-sum sliding PLV, circular-shift surrogates,
find_peaks breaths, Elgendi beats, Welch coherence, windowed heart-rate correlation).
Prints one JSON object with the whole-session figures.

usage: bench_analyze_ref.py FILE.csv [--window S] [--step S]"""
import json
import sys

import numpy as np
from scipy import signal


def median(x):
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def clean_resp(x, rate):
    q = max(1, int(rate // 25))
    rr = rate / q
    if q > 1:
        aa = signal.butter(8, 0.8 * rr / 2, fs=rate, output="sos")
        x = signal.sosfiltfilt(aa, x)[::q]
    bp = signal.butter(2, [0.05, 1.0], btype="band", fs=rr, output="sos")
    return signal.sosfiltfilt(bp, x), rr


def phase_of(y):
    n = y.size
    nfft = 1 << (n - 1).bit_length()
    return np.angle(signal.hilbert(y - y.mean(), N=nfft)[:n])


def troughs(y, rr):
    # Breath starts: minima standing out by 30 % of the typical breath swing, >= 1 s apart.
    swing = 2 * np.sqrt(2) * y.std()
    idx, _ = signal.find_peaks(-y, prominence=0.3 * swing, distance=int(rr))
    return idx


def elgendi(x, rate):
    bp = signal.butter(2, [0.5, 8.0], btype="band", fs=rate, output="sos")
    y = signal.sosfiltfilt(bp, x)
    sq = np.square(np.clip(y, 0, None))
    w1, w2 = int(round(0.111 * rate)) | 1, int(round(0.667 * rate)) | 1
    ma1 = np.convolve(sq, np.ones(w1) / w1, mode="same")
    ma2 = np.convolve(sq, np.ones(w2) / w2, mode="same")
    block = ma1 > ma2 + 0.02 * sq.mean()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], block.astype(np.int8), [0]))))
    starts, ends = edges[::2], edges[1::2]
    keep = ends - starts >= w1
    starts, ends = starts[keep], ends[keep]
    if not starts.size:
        return np.array([], dtype=int)
    peaks = np.array([s + np.argmax(y[s:e]) for s, e in zip(starts, ends)])
    good = np.concatenate(([True], np.diff(peaks) >= 0.27 * rate))
    return peaks[good]


def sliding(values_cs, starts, w):
    return (values_cs[starts + w] - values_cs[starts]) / w


def window_rate(times, t0, t1, per_event=60.0):
    lo = np.searchsorted(times, t0)
    hi = np.searchsorted(times, t1)
    k = hi - lo
    out = np.full(t0.size, np.nan)
    ok = k >= 2
    span = times[np.minimum(hi - 1, times.size - 1)] - times[np.minimum(lo, times.size - 1)]
    out[ok] = per_event * (k[ok] - 1) / span[ok]
    return out


def main():
    args = sys.argv[1:]
    path = args[0]
    window_s = float(args[args.index("--window") + 1]) if "--window" in args else 30.0
    step_s = float(args[args.index("--step") + 1]) if "--step" in args else 1.0
    with open(path) as f:
        names = [c.strip().strip('"') for c in f.readline().split(",")]
    d = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    col = {n: d[:, i] for i, n in enumerate(names)}
    t = col["t"]
    rate = (t.size - 1) / (t[-1] - t[0])
    rate = round(rate) if abs(rate - round(rate)) < 1e-4 * rate else rate
    del d

    ya, rr = clean_resp(col["a_resp"], rate)
    yb, _ = clean_resp(col["b_resp"], rate)
    pa, pb = phase_of(ya), phase_of(yb)
    edge = int(2 * rr)
    pa, pb = pa[edge:-edge], pb[edge:-edge]
    n = pa.size
    w, s = int(round(window_s * rr)), max(1, int(round(step_s * rr)))
    starts = np.arange(0, n - w + 1, s)
    centre = (starts + w / 2) / rr + edge / rr

    z = np.exp(1j * (pa - pb))
    cs = np.concatenate(([0], np.cumsum(z)))
    mz = sliding(cs, starts, w)
    plv, rel = np.abs(mz), np.angle(mz)
    match = np.maximum(0, plv * np.cos(rel))
    shifts = np.linspace(10 * rr, n - 10 * rr, 99).astype(int)
    sur = np.empty((shifts.size, starts.size))
    for k, sh in enumerate(shifts):
        csk = np.concatenate(([0], np.cumsum(np.exp(1j * (pa - np.roll(pb, sh))))))
        sur[k] = np.abs(sliding(csk, starts, w))
    chance = np.percentile(sur, 95, axis=0)
    fa = np.gradient(np.unwrap(pa)) * rr / (2 * np.pi)
    fb = np.gradient(np.unwrap(pb)) * rr / (2 * np.pi)
    fcs = np.concatenate(([0], np.cumsum(0.5 * (fa + fb))))
    freq = sliding(fcs, starts, w)
    lag = np.degrees(rel) / (360 * freq)

    ta, tb = troughs(ya, rr) / rr, troughs(yb, rr) / rr
    t0, t1 = centre - window_s / 2, centre + window_s / 2
    a_br, b_br = window_rate(ta, t0, t1), window_rate(tb, t0, t1)
    out = {"duration_s": t.size / rate, "rate_hz": rate,
           "a": {"breath_rate_bpm": median(a_br), "breaths": int(ta.size)},
           "b": {"breath_rate_bpm": median(b_br), "breaths": int(tb.size)}}

    hr = {}
    for who in "ab":
        key = who + "_ppg"
        if key not in col:
            out[who].update(heart_rate_bpm=None, rmssd_ms=None)
            continue
        beats = elgendi(col[key], rate) / rate
        ibi = np.diff(beats)
        okb = (ibi > 60 / 220) & (ibi < 60 / 30)
        rmssd = float(1000 * np.sqrt(np.mean(np.diff(ibi[okb]) ** 2))) if okb.sum() > 2 else None
        out[who].update(heart_rate_bpm=median(window_rate(beats, t0, t1)), rmssd_ms=rmssd)
        grid = np.arange(0, t.size / rate, 0.25)
        hr[who] = np.interp(grid, 0.5 * (beats[1:] + beats[:-1])[okb], 60 / ibi[okb])
    hr_r = None
    if len(hr) == 2:
        a, b = hr["a"], hr["b"]
        wh, sh = int(window_s * 4), int(max(1, step_s * 4))
        st = np.arange(0, a.size - wh + 1, sh)
        c = lambda v: np.concatenate(([0], np.cumsum(v)))
        sa, sb, saa, sbb, sab = c(a), c(b), c(a * a), c(b * b), c(a * b)
        ma, mb = sliding(sa, st, wh), sliding(sb, st, wh)
        cov = sliding(sab, st, wh) - ma * mb
        va, vb = sliding(saa, st, wh) - ma * ma, sliding(sbb, st, wh) - mb * mb
        ok = (va > 1e-9) & (vb > 1e-9)
        hr_r = float(np.mean(cov[ok] / np.sqrt(va[ok] * vb[ok]))) if ok.any() else None

    f, cxy = signal.coherence(ya, yb, fs=rr, nperseg=512)
    _, pxy = signal.csd(ya, yb, fs=rr, nperseg=512)
    band = (f >= 0.05) & (f <= 1.0)
    coh = float(cxy[band][np.argmax(np.abs(pxy[band]))])

    relw = np.angle(np.sum(plv * np.exp(1j * rel)))
    out["sync"] = {"match": median(match), "matched_fraction": float(np.mean(match >= 0.7)),
                   "plv": median(plv), "plv_chance": median(chance),
                   "in_sync_fraction": float(np.mean(plv > chance)),
                   "relative_phase_deg": float(np.degrees(relw)),
                   "lag_s": float(np.degrees(relw) / (360 * np.median(freq))),
                   "coherence": coh, "hr_sync_r": hr_r}
    out["windows"] = int(starts.size)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
