#!/usr/bin/python3
"""Reference comparison: `attune analyze FILE --json` against reference.py (numpy/scipy) on pairs
made from the real recordings in ../shared/data.

usage: compare.py ATTUNE_BINARY

Pairs (CSV files in a temporary directory, never in the repository):
- resting5_delayed: bio_resting_5min (RSP, PPG) as A; B the same signals 1.0 s later with white
  noise at 20 dB SNR -> lag 1.0 +- 0.1 s, locked;
- wfdb_delayed: the MIMIC record's RESP (125 Hz) likewise, B 1.0 s later with noise (so regular
  that a 30 s window's surrogates are locked too: windows above chance are reported, not
  required; over the whole session it must be locked above chance, and B must follow);
- different_subjects: bio_resting_5min (A, 16.9 /min) with bio_resting_8min (B, a slow breather,
  the PhotoSensor-low part) -> not in sync, not locked over the session, no lead told (null).
attune must agree with the reference: breathing rate within 0.5 /min, heart rate within 1 bpm,
PLV (windows' median and whole session's) and the session's chance level within 0.03, relative
phase within 10 degrees (where the pair is locked, PLV >= 0.5), the same verdict on locking; the
heart rates' cross-correlation (resting5_delayed, both pulses) r_max within 0.05, lag within
0.15 s (and 1.0 +- 0.25 s of the truth, above chance), chance within 0.1. The
heart rate of bio_resting_5min is also checked against ECG R-peaks (within 1 bpm).

Exit 0 when all agree, 1 on a disagreement or an attune failure, 77 (skip) without ../shared/data
(unless ATTUNE_REQUIRE_DATA=1) or without scipy.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

REQUIRE = os.environ.get('ATTUNE_REQUIRE_DATA') == '1'


def skip(msg):
    print('skip: ' + msg, file=sys.stderr)
    if REQUIRE:
        print('ATTUNE_REQUIRE_DATA=1: failing instead of skipping', file=sys.stderr)
        sys.exit(1)
    sys.exit(77)


try:
    import numpy as np
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import reference
except ImportError as e:
    print('skip: numpy/scipy missing for %s (%s); apt-get install python3-numpy python3-scipy'
          % (sys.executable, e), file=sys.stderr)
    sys.exit(77)

TOL = {'breath_rate_bpm': 0.5, 'breath_rate_median_bpm': 0.5, 'breath_rate_range_bpm': 1.0, 'heart_rate_bpm': 1.0, 'plv': 0.03, 'relative_phase_deg': 10.0}
LAG_TRUTH, LAG_TOL = 1.0, 0.1


def read_columns(path):
    with open(path) as f:
        header = f.readline().strip().split(',')
    data = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)
    return {name: data[:, i] for i, name in enumerate(header)}


def add_noise(x, snr_db, rng):
    p = np.var(x)
    return x + rng.standard_normal(len(x)) * math.sqrt(p / 10 ** (snr_db / 10))


def write_csv(path, fs, cols):
    n = min(len(v) for v in cols.values())
    names = ['t'] + list(cols)
    arr = np.column_stack([np.arange(n) / fs] + [cols[k][:n] for k in cols])
    np.savetxt(path, arr, delimiter=',', header=','.join(names), comments='', fmt='%.9g')


def make_pairs(data, tmp):
    rng = np.random.default_rng(20261124)
    pairs = []
    r5 = read_columns(os.path.join(data, 'neurokit2', 'bio_resting_5min_100hz.csv'))
    fs, d = 100.0, 100  # 1.0 s at 100 Hz
    # A(t) = x(t + 1 s), B(t) = x(t): B does what A did one second earlier, B follows A.
    cols = {
        'a_resp': r5['RSP'][d:], 'a_ppg': r5['PPG'][d:],
        'b_resp': add_noise(r5['RSP'][:-d], 20, rng), 'b_ppg': add_noise(r5['PPG'][:-d], 20, rng),
    }
    p = os.path.join(tmp, 'resting5_delayed.csv')
    write_csv(p, fs, cols)
    pairs.append(('resting5_delayed', p, True, True, r5['ECG'][d:]))

    wf = read_columns(os.path.join(data, 'wfdb_sample', '03700181_125hz.csv'))
    fs2, d2 = 125.0, 125
    cols = {'a_resp': wf['RESP_NU'][d2:], 'b_resp': add_noise(wf['RESP_NU'][:-d2], 20, rng)}
    p = os.path.join(tmp, 'wfdb_delayed.csv')
    write_csv(p, fs2, cols)
    # Locked, but this ICU recording is so regular that circularly shifted surrogates are locked
    # too (chance ~0.99): above-chance is not expected of it, only agreement and the lag.
    pairs.append(('wfdb_delayed', p, True, False, None))

    r8 = read_columns(os.path.join(data, 'neurokit2', 'bio_resting_8min_100hz.csv'))
    low = np.nonzero(r8['PhotoSensor'] < 2.5)[0]
    b = r8['RSP'][low[0]:low[-1] + 1]
    n = min(len(b), len(r5['RSP']))
    cols = {'a_resp': r5['RSP'][:n], 'a_ppg': r5['PPG'][:n], 'b_resp': b[:n]}
    p = os.path.join(tmp, 'different_subjects.csv')
    write_csv(p, fs, cols)
    pairs.append(('different_subjects', p, False, False, None))
    return pairs


def run_attune(binary, path):
    r = subprocess.run([binary, 'analyze', path, '--json'], capture_output=True, text=True,
                       timeout=300)
    if r.returncode != 0:
        return None, 'attune analyze exited %d: %s' % (r.returncode, r.stderr.strip()[:300])
    try:
        return json.loads(r.stdout), None
    except ValueError as e:
        return None, 'attune analyze --json printed no JSON object (%s)' % e


def angle_diff(a, b):
    return (a - b + 180) % 360 - 180


def main():
    if len(sys.argv) != 2:
        print('usage: compare.py ATTUNE_BINARY', file=sys.stderr)
        return 2
    binary = sys.argv[1]
    data = os.environ.get('ATTUNE_DATA', os.path.join('..', 'shared', 'data'))
    if not os.path.exists(os.path.join(data, 'neurokit2', 'bio_resting_5min_100hz.csv')):
        skip('real recordings not found in %s; set ATTUNE_DATA to ../shared/data' % data)
    if not os.access(binary, os.X_OK):
        print('attune binary %s is missing or not executable; build it first' % binary,
              file=sys.stderr)
        return 1
    failures = []

    def check(ok, what):
        print(('ok    ' if ok else 'FAIL  ') + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix='attune_ref_') as tmp:
        for name, path, locked, above_chance, ecg in make_pairs(data, tmp):
            ref = reference.analyze(path)
            att, err = run_attune(binary, path)
            print('== %s: reference %s' % (name, json.dumps({
                'a': ref['a'], 'b': ref['b'],
                'sync': {k: ref['sync'][k] for k in
                         ('plv', 'plv_chance', 'relative_phase_deg', 'lag_s', 'in_sync_fraction',
                          'chance_informative_fraction', 'session_plv', 'hr_sync_r_max',
                          'hr_sync_lag_s', 'hr_sync_chance', 'session_plv_chance', 'locked')}})))
            if err:
                check(False, '%s: %s' % (name, err))
                continue
            print('   attune    %s' % json.dumps({'a': att.get('a'), 'b': att.get('b'),
                                                  'sync': att.get('sync')}))
            for who in ('a', 'b'):
                for key in ('breath_rate_bpm', 'breath_rate_median_bpm', 'heart_rate_bpm'):
                    rv, av = ref[who].get(key), (att.get(who) or {}).get(key)
                    if rv is None:
                        continue
                    check(av is not None and abs(av - rv) <= TOL[key],
                          '%s %s.%s: attune %s vs reference %.2f (tolerance %g)'
                          % (name, who, key, av, rv, TOL[key]))
                rv, av = ref[who]['breath_rate_range_bpm'], (att.get(who) or {}).get(
                    'breath_rate_range_bpm')
                check(av is not None and all(abs(x - y) <= TOL['breath_rate_range_bpm']
                                             for x, y in zip(av, rv)),
                      '%s %s.breath_rate_range_bpm: attune %s vs reference [%.2f, %.2f] '
                      '(tolerance %g)' % (name, who, av, rv[0], rv[1],
                                          TOL['breath_rate_range_bpm']))
            s, rs = att.get('sync') or {}, ref['sync']
            check(s.get('plv') is not None and abs(s['plv'] - rs['plv']) <= TOL['plv'],
                  '%s plv: attune %s vs reference %.3f' % (name, s.get('plv'), rs['plv']))
            check(s.get('session_plv') is not None
                  and abs(s['session_plv'] - rs['session_plv']) <= TOL['plv']
                  and s.get('session_plv_chance') is not None
                  and abs(s['session_plv_chance'] - rs['session_plv_chance']) <= TOL['plv'],
                  '%s session plv %s chance %s: reference %.3f, %.3f'
                  % (name, s.get('session_plv'), s.get('session_plv_chance'), rs['session_plv'],
                     rs['session_plv_chance']))
            ci, rci = s.get('chance_informative_fraction'), rs['chance_informative_fraction']
            check(ci is not None and abs(ci - rci) <= 0.05,
                  '%s chance_informative_fraction: attune %s vs reference %.3f'
                  % (name, ci, rci))
            check(s.get('locked') is locked and rs['locked'] is locked,
                  '%s locked over the session: attune %s, reference %s, truth %s'
                  % (name, s.get('locked'), rs['locked'], locked))
            if locked:
                rp = s.get('relative_phase_deg')
                check(rp is not None and
                      abs(angle_diff(rp, rs['relative_phase_deg'])) <= TOL['relative_phase_deg'],
                      '%s relative phase: attune %s vs reference %.1f deg'
                      % (name, rp, rs['relative_phase_deg']))
                check(s.get('lag_s') is not None and abs(s['lag_s'] - LAG_TRUTH) <= LAG_TOL,
                      '%s lag: attune %s s, truth %.1f +- %.1f s' % (name, s.get('lag_s'),
                                                                    LAG_TRUTH, LAG_TOL))
                check(abs(rs['lag_s'] - LAG_TRUTH) <= LAG_TOL,
                      '%s lag: reference %.3f s, truth %.1f +- %.1f s'
                      % (name, rs['lag_s'], LAG_TRUTH, LAG_TOL))
                if above_chance:
                    check((s.get('in_sync_fraction') or 0) >= 0.9
                          and rs['in_sync_fraction'] >= 0.9,
                          '%s in sync: attune %s, reference %.2f of windows above chance'
                          % (name, s.get('in_sync_fraction'), rs['in_sync_fraction']))
                else:
                    print('info  %s in_sync_fraction: attune %s, reference %.2f (chance %s: '
                          'shifted copies of a regular rhythm are locked too)'
                          % (name, s.get('in_sync_fraction'), rs['in_sync_fraction'],
                             s.get('plv_chance')))
            else:
                check(s.get('in_sync_fraction') is not None and s['in_sync_fraction'] < 0.5
                      and rs['in_sync_fraction'] < 0.5,
                      '%s not in sync: attune %s, reference %.2f of windows above chance'
                      % (name, s.get('in_sync_fraction'), rs['in_sync_fraction']))
                check(s.get('relative_phase_deg', 0) is None and s.get('lag_s', 0) is None,
                      '%s no lead told: relative phase %s, lag %s'
                      % (name, s.get('relative_phase_deg'), s.get('lag_s')))
            if ecg is not None:  # both pulses: B's heart is A's 1.0 s later
                hm, hl, hc = s.get('hr_sync_r_max'), s.get('hr_sync_lag_s'), s.get('hr_sync_chance')
                check(hm is not None and abs(hm - rs['hr_sync_r_max']) <= 0.05
                      and hl is not None and abs(hl - rs['hr_sync_lag_s']) <= 0.15
                      and hc is not None and abs(hc - rs['hr_sync_chance']) <= 0.1,
                      '%s heart-rate cross-correlation: attune r_max %s lag %s chance %s vs '
                      'reference %s %s %s' % (name, hm, hl, hc, rs['hr_sync_r_max'],
                                               rs['hr_sync_lag_s'], rs['hr_sync_chance']))
                check(hl is not None and abs(hl - LAG_TRUTH) <= 0.25 and hm > hc,
                      '%s hearts: B follows by %s s (truth %.1f +- 0.25), r_max %s above chance %s'
                      % (name, hl, LAG_TRUTH, hm, hc))
            else:
                check(s.get('hr_sync_r_max', 0) is None,
                      '%s hr_sync_r_max null without both pulses' % name)
            if ecg is not None:
                hr_ecg, beats = reference.ecg_heart_rate(ecg, 100.0)
                av = (att.get('a') or {}).get('heart_rate_bpm')
                check(av is not None and abs(av - hr_ecg) <= TOL['heart_rate_bpm'],
                      '%s a.heart_rate_bpm: attune %s vs ECG R-peaks %.2f (%d R-peaks)'
                      % (name, av, hr_ecg, beats))
    if failures:
        print('%d disagreement(s)' % len(failures), file=sys.stderr)
        return 1
    print('attune agrees with the scipy reference')
    return 0


if __name__ == '__main__':
    sys.exit(main())
