#!/usr/bin/python3
"""Vectorised numpy/scipy reference of `attune analyze`, for timing and memory comparison in
bench_analyze.py: the same steps on the same CSV, written the way a scientist would with scipy
(np.loadtxt, sosfiltfilt, hilbert, cumulative-sum sliding PLV, circular-shift surrogates,
find_peaks breaths, Elgendi beats, Welch coherence, windowed heart-rate correlation, and the
figures added by issue #12: whole-session PLV against its surrogates, breaths per minute with the
windows' spread, the windowed heart-rate cross-correlation with peak picking and 19 shifts).
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


def person_rates(troughs_t, window_rates):
    """Breaths per minute of usable signal (intervals up to 20 s), the windows' median and
    10th/90th percentiles."""
    ibi = np.diff(troughs_t)
    ibi = ibi[ibi <= 20]
    wr = window_rates[np.isfinite(window_rates)]
    return {"breath_rate_bpm": float(60 * ibi.size / ibi.sum()), "breaths": int(troughs_t.size),
            "breath_rate_median_bpm": float(np.median(wr)),
            "breath_rate_range_bpm": [float(np.percentile(wr, 10)), float(np.percentile(wr, 90))]}


def hr_xcorr_run(a, b, w, st, L, wrap=None, span=2, min_sd=0.5):
    """Windowed cross-correlation of two 4 Hz heart rates at lags -L..L (B follows A when
    positive) with Boker's peak picking, all windows and lags at once: mean peak r, peak lags."""
    n, nl = a.size, 2 * L + 1
    starts = np.arange(L, n - w - L + 1, st)
    if wrap is not None:
        starts = starts[~((starts - L < wrap) & (wrap < starts + w + L))]
    c = lambda v: np.concatenate(([0], np.cumsum(v)))
    ca, ca2, cb, cb2 = c(a), c(a * a), c(b), c(b * b)
    sa, saa = ca[starts + w] - ca[starts], ca2[starts + w] - ca2[starts]
    va = saa - sa * sa / w
    j = starts[:, None] + np.arange(-L, L + 1)[None, :]
    sb, sbb = cb[j + w] - cb[j], cb2[j + w] - cb2[j]
    vb = sbb - sb * sb / w
    sab = np.empty((starts.size, nl))
    for l, tau in enumerate(range(-L, L + 1)):
        p = np.zeros(n)
        lo, hi = max(0, -tau), min(n, n - tau)
        p[lo:hi] = a[lo:hi] * b[lo + tau:hi + tau]
        cp = c(p)
        sab[:, l] = cp[starts + w] - cp[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (sab - sa[:, None] * sb / w) / np.sqrt(va[:, None] * vb)
    varies = (va >= min_sd ** 2 * w) & (vb[:, L] >= min_sd ** 2 * w)
    peak = np.ones_like(r, dtype=bool)
    for k in range(1, span + 1):
        peak[:, k:] &= r[:, k:] >= r[:, :-k]
        peak[:, :-k] &= r[:, :-k] >= r[:, k:]
    peak[:, :span] = peak[:, -span:] = False
    dist = np.abs(np.arange(nl) - L) - 1e-6 * np.nan_to_num(r)  # nearer first, then higher
    dist = np.where(peak, dist, np.inf)
    best = np.argmin(dist, axis=1)
    has = varies & np.isfinite(dist[np.arange(starts.size), best])
    if not has.any() or 2 * varies.sum() < starts.size:
        return None, None
    i = best[has]
    rr_ = r[has]
    rm, r0, rp = rr_[np.arange(i.size), i - 1], rr_[np.arange(i.size), i], rr_[np.arange(i.size), i + 1]
    den = rm - 2 * r0 + rp
    frac = np.where(den < 0, 0.5 * (rm - rp) / np.where(den < 0, den, 1), 0)
    return float(r0.mean()), (i - L + frac)


def hr_xcorr(ha, hb, window_s, step_s, fs=4.0, max_lag_s=5.0, k_sur=19):
    """r_max, median peak lag (s) and the chance level: of 19 circular shifts of B, the r_max an
    unrelated partner beats 1 time in 20 (windows across the wrap left out)."""
    a, b = ha - ha.mean(), hb - hb.mean()
    w, st, L = int(round(window_s * fs)), max(1, int(round(step_s * fs))), int(round(max_lag_s * fs))
    r_max, lags = hr_xcorr_run(a, b, w, st, L)
    if r_max is None:
        return None, None, None
    n, smin = a.size, int(np.ceil(max(10.0, 2 * max_lag_s) * fs))
    vals = [hr_xcorr_run(a, np.roll(b, -sh), w, st, L, wrap=n - sh)[0]
            for sh in smin + np.round(np.arange(k_sur) * (n - 2 * smin) / (k_sur - 1)).astype(int)]
    vals = sorted(v for v in vals if v is not None)
    chance = vals[min(int(np.ceil(0.95 * (len(vals) + 1))), len(vals)) - 1] if len(vals) >= 19 else None
    return r_max, float(np.median(lags)) / fs, chance


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
    whole = np.empty(shifts.size)
    for k, sh in enumerate(shifts):
        csk = np.concatenate(([0], np.cumsum(np.exp(1j * (pa - np.roll(pb, sh))))))
        sur[k] = np.abs(sliding(csk, starts, w))
        whole[k] = abs(csk[-1]) / n
    chance = np.percentile(sur, 95, axis=0)
    session_plv, session_chance = abs(cs[-1]) / n, float(np.percentile(whole, 95))
    fa = np.gradient(np.unwrap(pa)) * rr / (2 * np.pi)
    fb = np.gradient(np.unwrap(pb)) * rr / (2 * np.pi)
    fcs = np.concatenate(([0], np.cumsum(0.5 * (fa + fb))))
    freq = sliding(fcs, starts, w)
    lag = np.degrees(rel) / (360 * freq)

    ta, tb = troughs(ya, rr) / rr, troughs(yb, rr) / rr
    t0, t1 = centre - window_s / 2, centre + window_s / 2
    a_br, b_br = window_rate(ta, t0, t1), window_rate(tb, t0, t1)
    out = {"duration_s": t.size / rate, "rate_hz": rate,
           "a": person_rates(ta, a_br), "b": person_rates(tb, b_br)}

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
    hx = hr_xcorr(hr["a"], hr["b"], window_s, step_s) if len(hr) == 2 else (None, None, None)
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
    ok = np.isfinite(lag)
    locked = bool(session_plv >= 0.5 and session_plv > session_chance)
    ra, rb = out["a"]["breath_rate_bpm"], out["b"]["breath_rate_bpm"]
    lead = locked and abs(ra - rb) <= 0.15 * (ra + rb) / 2
    out["sync"] = {"match": median(match), "matched_fraction": float(np.mean(match >= 0.7)),
                   "plv": median(plv), "plv_chance": median(chance),
                   "in_sync_fraction": float(np.mean(plv > chance)),
                   "relative_phase_deg": float(np.degrees(relw)) if lead else None,
                   "lag_s": float(np.sum(plv[ok] * lag[ok]) / np.sum(plv[ok])) if lead else None,
                   "coherence": coh, "hr_sync_r": hr_r,
                   "chance_informative_fraction": float(np.mean(chance < 0.9)),
                   "session_plv": float(session_plv), "session_plv_chance": session_chance,
                   "locked": locked, "hr_sync_r_max": hx[0], "hr_sync_lag_s": hx[1],
                   "hr_sync_chance": hx[2]}
    out["windows"] = int(starts.size)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
