#!/usr/bin/python3
"""Independent reference for `attune analyze`: the same quantities computed with numpy/scipy only.

Reads a CSV in the analyze contract (header t,a_resp,a_ppg,b_resp,b_ppg; PPG columns optional) and
prints one JSON object with the keys of the README's "Contracts kept stable" that it computes (a/b
breath_rate_bpm, breath_rate_median_bpm, breath_rate_range_bpm, heart_rate_bpm; sync plv, plv_chance, relative_phase_deg, lag_s, match,
in_sync_fraction, chance_informative_fraction, session_plv, session_plv_chance, locked,
hr_sync_r_max, hr_sync_lag_s, hr_sync_chance).

Method, chosen to be the same *definitions* as attune (host/lib/include/attune/analysis.h, sync.h) through
different code: scipy.signal.decimate (Chebyshev IIR, zero-phase) to ~25 Hz, Butterworth 0.05-1 Hz
sosfiltfilt, scipy.signal.hilbert phase over the whole recording, 2 s trimmed at both ends, 30 s
windows every 1 s: PLV = |mean e^{i(phiA-phiB)}|, chance = 95th percentile over 99 circular shifts
of B (>= max(10 s, one breath period)), summary = medians over windows except the breathing rate (breath intervals over their time; the
window rates' median and 10th/90th percentiles beside it), the relative phase
(PLV-weighted circular mean) and the lag (each window's phase at its own breathing frequency,
PLV-weighted), both null unless the whole session is locked above chance (its PLV >= 0.5 and above
the 95th percentile of the same 99 shifts of the whole session) at rates within 15 %. Breaths:
troughs by scipy.signal.find_peaks; heart rate: PPG peaks by find_peaks on the 0.5-8 Hz band,
60 / mean IBI per window (IBIs within 30 % of the window median), median over windows.
Heart-rate synchrony: 4 Hz heart rates from the beats, windowed cross-correlation within +-5 s
with Boker's peak picking and a chance level from 19 circular shifts (hr_xcorr). ECG R-peaks
(ecg_heart_rate) give a heart rate independent of the PPG.

Run with Debian's /usr/bin/python3 (python3-numpy, python3-scipy).
"""
import json
import math
import sys

import numpy as np
import scipy.signal as ss

EDGE_S = 2.0
WINDOW_S = 30.0
STEP_S = 1.0
SURROGATES = 99
MIN_SHIFT_S = 10.0
CHANCE_UNINFORMATIVE = 0.9  # a window's chance this high cannot tell locking from chance
LEAD_MIN_PLV = 0.5     # a lead is told of a session locked at least this much (sync.h) ...
LEAD_RATE_TOL = 0.15   # ... and above chance, with rates this close (|ra - rb| / mean)


def load_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(',')
    data = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)
    cols = {name: data[:, i] for i, name in enumerate(header)}
    t = cols['t']
    fs = 1.0 / np.median(np.diff(t))
    return cols, fs


def clean_resp(x, fs):
    q = max(1, int(math.floor(fs / 25.0 + 1e-9)))
    y = ss.decimate(x, q, ftype='iir', zero_phase=True) if q > 1 else np.asarray(x, float)
    fr = fs / q
    sos = ss.butter(2, [0.05, 1.0], 'bandpass', fs=fr, output='sos')
    return ss.sosfiltfilt(sos, y), fr


def windows(n, fr):
    w = int(round(WINDOW_S * fr))
    s = max(1, int(round(STEP_S * fr)))
    if n < w:
        return [(0, n)]
    return [(k, k + w) for k in range(0, n - w + 1, s)]


def sync(pa, pb, fr):
    n = len(pa)
    wins = windows(n, fr)
    ua, ub = np.unwrap(pa), np.unwrap(pb)
    d = np.exp(1j * (pa - pb))
    plv, rel, freq = [], [], []
    for s, e in wins:
        z = d[s:e].mean()
        plv.append(abs(z))
        rel.append(math.degrees(np.angle(z)))
        f = ((ua[e - 1] - ua[s]) + (ub[e - 1] - ub[s])) / 2 / (2 * math.pi) * fr / (e - 1 - s)
        freq.append(f if f > 0 else np.nan)
    plv, rel, freq = np.array(plv), np.array(rel), np.array(freq)
    f_all = ((ua[-1] - ua[0]) + (ub[-1] - ub[0])) / 2 / (2 * math.pi) * fr / (n - 1)
    smin = int(math.ceil(max(MIN_SHIFT_S, 1 / f_all if f_all > 0 else 0) * fr))
    chance = np.full(len(wins), np.nan)
    session_chance = None
    if n > 2 * smin and n - 2 * smin >= SURROGATES - 1:
        shifts = [smin + int(round(k * (n - 2 * smin) / (SURROGATES - 1)))
                  for k in range(SURROGATES)]
        sp = np.empty((SURROGATES, len(wins)))
        whole = np.empty(SURROGATES)
        for k, sh in enumerate(shifts):
            ds = np.exp(1j * (pa - np.roll(pb, -sh)))
            c = np.concatenate([[0], np.cumsum(ds)])
            sp[k] = [abs(c[e] - c[s]) / (e - s) for s, e in wins]
            whole[k] = abs(c[-1]) / n
        chance = np.percentile(sp, 95, axis=0)
        session_chance = float(np.percentile(whole, 95))
    session_plv = float(abs(d.mean()))
    match = np.maximum(0, plv * np.cos(np.radians(rel)))
    zc = np.sum(plv * np.exp(1j * np.radians(rel)))
    rel_sum = math.degrees(np.angle(zc))
    # each window's lag at its own frequency, PLV-weighted: a follower's time lag however the
    # rate wanders
    lags = rel / (360 * freq)
    ok = np.isfinite(lags)
    lag = float(np.sum(plv[ok] * lags[ok]) / np.sum(plv[ok])) if ok.any() else None
    locked = (None if session_chance is None
              else bool(session_plv >= LEAD_MIN_PLV and session_plv > session_chance))
    return {
        'plv': float(np.median(plv)),
        'plv_chance': float(np.nanmedian(chance)) if np.isfinite(chance).any() else None,
        'match': float(np.median(match)),
        'matched_fraction': float(np.mean(match >= 0.7)),
        'in_sync_fraction': float(np.mean(plv > chance)) if np.isfinite(chance).any() else None,
        'chance_informative_fraction': (float(np.mean(chance < CHANCE_UNINFORMATIVE))
                                        if np.isfinite(chance).any() else None),
        'relative_phase_deg': rel_sum,
        'lag_s': lag,
        'coherence': None,
        'hr_sync_r': None,
        'session_plv': session_plv,
        'session_plv_chance': session_chance,
        'locked': locked,
    }, wins


def troughs(y, fr):
    amp = np.percentile(y, 95) - np.percentile(y, 5)
    idx, _ = ss.find_peaks(-y, distance=max(1, int(1.0 * fr)), prominence=0.2 * amp)
    return idx / fr


def window_rate(events_t, t0, t1, ibi_filter=False):
    ev = events_t[(events_t >= t0) & (events_t < t1)]
    if len(ev) < 2:
        return np.nan
    ibi = np.diff(ev)
    if ibi_filter:
        med = np.median(ibi)
        ibi = ibi[np.abs(ibi - med) <= 0.3 * med]
        if len(ibi) == 0:
            return np.nan
    return 60.0 / np.mean(ibi)


def session_rate(events_t, max_breath_s=20.0):
    """Breaths per minute of usable signal: breath intervals over their total time, leaving out
    intervals longer than max_breath_s (a pause or a belt off)."""
    ibi = np.diff(events_t)
    ibi = ibi[ibi <= max_breath_s]
    return float(60.0 * len(ibi) / ibi.sum()) if len(ibi) else None


def ppg_beats(x, fs):
    sos = ss.butter(2, [0.5, 8.0], 'bandpass', fs=fs, output='sos')
    y = ss.sosfiltfilt(sos, x)
    amp = np.percentile(y, 95) - np.percentile(y, 5)
    idx, _ = ss.find_peaks(y, distance=max(1, int(0.3 * fs)), prominence=0.3 * amp)
    return idx / fs


def ecg_heart_rate(ecg, fs):
    """Heart rate (bpm) from ECG R-peaks: 5-15 Hz band, squared slope, peaks >= 0.3 s apart."""
    sos = ss.butter(2, [5.0, 15.0], 'bandpass', fs=fs, output='sos')
    y = ss.sosfiltfilt(sos, ecg)
    e = np.gradient(y) ** 2
    e = np.convolve(e, np.ones(int(0.12 * fs)) / int(0.12 * fs), mode='same')
    idx, _ = ss.find_peaks(e, distance=int(0.3 * fs), height=0.3 * np.percentile(e, 99))
    ibi = np.diff(idx / fs)
    med = np.median(ibi)
    ibi = ibi[np.abs(ibi - med) <= 0.3 * med]
    return 60.0 / np.mean(ibi), len(idx)


HR_FS = 4.0           # heart rate series for the cross-correlation (as attune: 4 Hz)
HR_MAX_LAG_S = 5.0
HR_SURROGATES = 19
HR_MIN_SD = 0.5       # bpm: a window where a heart rate varies less says nothing
HR_PEAK_SPAN = 2      # lags each side a peak must top


def hr_series(beats_t, n):
    """60 / IBI at each interval's middle (30-220 bpm only), linear between, ends held."""
    ibi = np.diff(beats_t)
    mid = (beats_t[1:] + beats_t[:-1]) / 2
    ok = (ibi > 0) & (60 / ibi >= 30) & (60 / ibi <= 220)
    return np.interp(np.arange(n) / HR_FS, mid[ok], 60 / ibi[ok])


def _peak(r):
    """Boker's peak picking: the local maximum (>= its HR_PEAK_SPAN neighbours each side, inside
    the lag range) nearest lag 0, the higher of two as near; refined by a parabola."""
    L = (len(r) - 1) // 2
    for d in range(0, L - HR_PEAK_SPAN + 1):
        cands = [i for i in ((L + d, L - d) if d else (L,))
                 if i - HR_PEAK_SPAN >= 0 and i + HR_PEAK_SPAN < len(r)
                 and all(r[i] >= r[i - k] and r[i] >= r[i + k]
                         for k in range(1, HR_PEAK_SPAN + 1))]
        if cands:
            i = max(cands, key=lambda j: r[j])
            den = r[i - 1] - 2 * r[i] + r[i + 1]
            frac = 0.5 * (r[i - 1] - r[i + 1]) / den if den < 0 else 0.0
            return i - L + frac, r[i]
    return None


def _xcorr_run(a, b, wrap=None):
    n, w, st, L = len(a), int(round(WINDOW_S * HR_FS)), int(round(STEP_S * HR_FS)), \
        int(round(HR_MAX_LAG_S * HR_FS))
    from numpy.lib.stride_tricks import sliding_window_view
    aw, bw = sliding_window_view(a, w), sliding_window_view(b, w)
    peaks, lags, used, judged = [], [], 0, 0
    for s in range(L, n - w - L + 1, st):
        if wrap is not None and s - L < wrap < s + w + L:
            continue
        judged += 1
        x, ys = aw[s], bw[s - L:s + L + 1]
        if x.std() < HR_MIN_SD or ys[L].std() < HR_MIN_SD:
            continue
        used += 1
        xc, yc = x - x.mean(), ys - ys.mean(axis=1, keepdims=True)
        r = (yc @ xc) / np.sqrt((xc @ xc) * np.einsum('ij,ij->i', yc, yc))
        pk = _peak(r)
        if pk:
            lags.append(pk[0])
            peaks.append(pk[1])
    if not peaks or 2 * used < judged:
        return None, None
    return float(np.mean(peaks)), float(np.median(lags)) / HR_FS


def hr_xcorr(ha, hb):
    """Windowed cross-correlation of two heart rates with peak picking (r_max, lag_s: B follows
    A when positive) and its chance level: of 19 circular shifts of B (>= 10 s, spread evenly;
    windows across the wrap left out), the r_max a partner unrelated to A beats 1 time in 20,
    the ceil(0.95 (K + 1))-th smallest."""
    a, b = ha - ha.mean(), hb - hb.mean()
    r_max, lag = _xcorr_run(a, b)
    if r_max is None:
        return None, None, None
    n = len(a)
    smin = int(math.ceil(max(10.0, 2 * HR_MAX_LAG_S) * HR_FS))
    vals = []
    for k in range(HR_SURROGATES):
        sh = smin + int(round(k * (n - 2 * smin) / (HR_SURROGATES - 1)))
        v, _ = _xcorr_run(a, np.roll(b, -sh), wrap=n - sh)
        if v is not None:
            vals.append(v)
    chance = None
    if len(vals) >= 19:
        k = math.ceil(0.95 * (len(vals) + 1))
        chance = float(sorted(vals)[min(k, len(vals)) - 1])
    return r_max, lag, chance


def analyze(path):
    cols, fs = load_csv(path)
    out = {'rate_hz': fs, 'duration_s': len(cols['t']) / fs}
    ya, fr = clean_resp(cols['a_resp'], fs)
    yb, _ = clean_resp(cols['b_resp'], fs)
    m = min(len(ya), len(yb))
    ya, yb = ya[:m], yb[:m]
    pa = np.angle(ss.hilbert(ya - ya.mean()))
    pb = np.angle(ss.hilbert(yb - yb.mean()))
    edge = int(EDGE_S * fr)
    s, wins = sync(pa[edge:m - edge], pb[edge:m - edge], fr)
    out['sync'] = s
    # Per-window rates over the same spans as the synchrony windows (times in whole-recording s).
    centres = [(edge + (a + b - 1) / 2) / fr for a, b in wins]
    half = (wins[0][1] - wins[0][0]) / fr / 2
    hr = {}
    for who, y, ppg in (('a', ya, 'a_ppg'), ('b', yb, 'b_ppg')):
        tr = troughs(y, fr)
        rates = [window_rate(tr, c - half, c + half) for c in centres]
        p = {'breath_rate_bpm': session_rate(tr), 'breaths': int(len(tr)),
             'breath_rate_median_bpm': float(np.nanmedian(rates)),
             'breath_rate_range_bpm': [float(np.nanpercentile(rates, 10)),
                                       float(np.nanpercentile(rates, 90))],
             'heart_rate_bpm': None}
        if ppg in cols and np.isfinite(cols[ppg]).all():
            bt = ppg_beats(cols[ppg], fs)
            hr[who] = hr_series(bt, int(len(cols['t']) / fs * HR_FS))
            hrs = [window_rate(bt, c - half, c + half, True) for c in centres]
            p['heart_rate_bpm'] = float(np.nanmedian(hrs))
            p['beats'] = int(len(bt))
        out[who] = p
    s['hr_sync_r_max'] = s['hr_sync_lag_s'] = s['hr_sync_chance'] = None
    if len(hr) == 2:
        s['hr_sync_r_max'], s['hr_sync_lag_s'], s['hr_sync_chance'] = hr_xcorr(hr['a'], hr['b'])
    # who leads is told only of a session locked above chance at agreeing rates; else null
    ra, rb = out['a']['breath_rate_bpm'], out['b']['breath_rate_bpm']
    if not s['locked'] or (ra and rb and abs(ra - rb) > LEAD_RATE_TOL * (ra + rb) / 2):
        s['relative_phase_deg'] = s['lag_s'] = None
    return out


def main():
    if len(sys.argv) != 2:
        print('usage: reference.py FILE.csv', file=sys.stderr)
        return 2
    print(json.dumps(analyze(sys.argv[1]), indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
