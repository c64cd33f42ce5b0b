/* Synchrony: known offsets, lags and couplings built into generated signals must come back out of
 * the whole chain (band-pass, phase, sync) within the tolerances the project promises, and the
 * live tracker must follow a couple switching between anti-phase and in-phase within 8 s.
 * `test_sync --scipy` cross-checks coherence and the analytic signal against scipy (exit 77 when
 * /usr/bin/python3 with scipy is missing). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "breath_gen.h"
#include "attune/filter.h"
#include "attune/phase.h"
#include "attune/sync.h"

#define FS     100.0 /* raw generated rate */
#define EDGE_S 2.0   /* Hilbert edge trimmed before sync, as the analysis does */

/* A couple of realistic breath signals at FS: A follows rhythm ra; B follows rb when given,
 * else A's rhythm shifted by offset_deg in cycle phase, or delayed by delay_s seconds. Each has
 * its own depth changes, baseline wander and 10 dB noise. */
struct pair {
	size_t n;
	float *a, *b;
	double mean_f; /* A's mean breathing frequency, Hz */
};

static struct pair make_pair(double dur_s, double offset_deg, double delay_s, int independent,
                             uint64_t seed)
{
	struct pair p = {.n = (size_t)(dur_s * FS)};
	size_t pad = (size_t)(delay_s * FS);
	p.a = malloc(p.n * sizeof *p.a);
	p.b = malloc(p.n * sizeof *p.b);
	double *th = malloc((p.n + pad) * sizeof *th);
	struct att_gen_rhythm ra = {
	        .fs = FS, .f0 = 0.25, .df = 0.04, .drift_s = 97, .jitter = 0.01, .rng = {seed}};
	struct att_gen_rhythm rb = {.fs = FS,
	                            .f0 = 0.21,
	                            .df = 0.05,
	                            .drift_s = 71,
	                            .jitter = 0.01,
	                            .th = 2.0,
	                            .rng = {seed * 31 + 7}};
	double fsum = 0;
	for (size_t i = 0; i < p.n + pad; i++) {
		double t0 = th[i > 0 ? i - 1 : 0];
		th[i] = att_gen_rhythm_next(&ra, i);
		if (i > 0)
			fsum += (th[i] - t0) * FS / (2 * M_PI);
	}
	p.mean_f = fsum / (double)(p.n + pad - 1);
	for (size_t i = 0; i < p.n; i++) {
		double t = (double)i / FS;
		/* A is the rhythm from `pad` on, so B can look `pad` samples into A's past. */
		p.a[i] = (float)att_gen_breath(th[i + pad], t, 0);
		double tb;
		if (independent)
			tb = att_gen_rhythm_next(&rb, i);
		else
			tb = th[i] - offset_deg * M_PI / 180; /* th[i] == A's rhythm delay_s ago */
		p.b[i] = (float)att_gen_breath(tb, t, 1.7);
	}
	struct att_gen_rng r = {seed ^ 0x9e3779b97f4a7c15u};
	att_gen_add_noise(p.a, p.n, 10, &r);
	att_gen_add_noise(p.b, p.n, 10, &r);
	free(th);
	return p;
}

static void free_pair(struct pair *p)
{
	free(p->a);
	free(p->b);
}

/* Band-pass + decimate offline (the dsp cleaner, zero-phase), then the offline phase. */
static float *clean(const float *x, size_t n, size_t *m, double *rate)
{
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = FS};
	*m = att_clean_len(&cc, n);
	double *xd = malloc(n * sizeof *xd), *yd = malloc(*m * sizeof *yd);
	float *y = malloc(*m * sizeof *y);
	for (size_t i = 0; i < n; i++)
		xd[i] = x[i];
	int err = att_clean_batch(&cc, xd, n, yd, rate);
	CHECK(err == ATT_OK);
	for (size_t i = 0; i < *m; i++)
		y[i] = (float)yd[i];
	free(xd);
	free(yd);
	return y;
}

struct result {
	struct att_sync_summary sum;
	size_t nw;
	struct att_sync_window *w;
	double xlag, xr;
	double rate;
};

static struct result analyze_pair(const struct pair *p)
{
	struct result r = {0};
	size_t m;
	float *ya = clean(p->a, p->n, &m, &r.rate);
	float *yb = clean(p->b, p->n, &m, &r.rate);
	float *pa = malloc(m * sizeof *pa), *pb = malloc(m * sizeof *pb);
	CHECK(att_phase_offline(ya, m, r.rate, pa, NULL, NULL) == ATT_OK);
	CHECK(att_phase_offline(yb, m, r.rate, pb, NULL, NULL) == ATT_OK);
	size_t edge = (size_t)(EDGE_S * r.rate), inner = m - 2 * edge;
	struct att_sync_cfg cfg = {.rate_hz = r.rate};
	r.nw = att_sync_window_count(&cfg, inner);
	r.w = malloc(r.nw * sizeof *r.w);
	int got = att_sync_analyze(&cfg, pa + edge, pb + edge, inner, r.w, r.nw, &r.sum);
	CHECK(got == (int)r.nw);
	CHECK(att_sync_xcorr_lag(ya, yb, m, r.rate, 5, &r.xlag, &r.xr) == ATT_OK);
	free(ya);
	free(yb);
	free(pa);
	free(pb);
	return r;
}

static double median_of(const struct att_sync_window *w, size_t n, size_t field_off)
{
	double *v = malloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&w[i] + field_off);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	double med = n ? v[n / 2] : NAN;
	free(v);
	return med;
}

static void test_sinusoids_with_a_45_degree_offset_give_offset_lag_and_plv(void)
{
	enum { n = 300 * 25 };
	static float a[n], b[n], pa[n], pb[n];
	for (size_t i = 0; i < n; i++) {
		double t = i / 25.0;
		a[i] = (float)cos(2 * M_PI * 0.25 * t);
		b[i] = (float)cos(2 * M_PI * 0.25 * t - M_PI / 4);
	}
	CHECK(att_phase_offline(a, n, 25, pa, NULL, NULL) == ATT_OK);
	CHECK(att_phase_offline(b, n, 25, pb, NULL, NULL) == ATT_OK);
	struct att_sync_cfg cfg = {.rate_hz = 25};
	struct att_sync_window w[300];
	struct att_sync_summary s;
	int nw = att_sync_analyze(&cfg, pa + 50, pb + 50, n - 100, w, 300, &s);
	CHECK(nw == 267);
	CHECK_NEAR(s.relative_phase_deg, 45, 1);
	CHECK_NEAR(s.lag_s, 0.5, 0.02);
	CHECK_NEAR(s.freq_hz, 0.25, 0.002);
	CHECK(s.plv > 0.99);
	CHECK_NEAR(s.match, cos(M_PI / 4), 0.02);
	CHECK_NEAR(w[0].t, (750 - 1) / 2.0 / 25, 1e-9);
	CHECK_NEAR(w[1].t - w[0].t, 1.0, 1e-9);
	for (int i = 0; i < nw; i++) {
		CHECK_NEAR(w[i].relative_phase_deg, 45, 2);
		CHECK_NEAR(w[i].lag_s, 0.5, 0.03);
	}
	double plv, rel;
	CHECK(att_sync_plv(pa + 500, pb + 500, 1000, &plv, &rel) == ATT_OK);
	CHECK(plv > 0.99);
	CHECK_NEAR(rel, 45, 1);
}

static void test_realistic_locked_pair_recovers_a_60_degree_offset(void)
{
	struct pair p = make_pair(300, 60, 0, 0, 11);
	struct result r = analyze_pair(&p);
	double true_lag = 60 / (360 * p.mean_f);
	printf("locked 60 deg: rel %.1f deg, lag %.2f s (truth %.2f), plv %.3f, chance %.3f, "
	       "in sync %.2f\n",
	       r.sum.relative_phase_deg, r.sum.lag_s, true_lag, r.sum.plv, r.sum.plv_chance,
	       r.sum.in_sync_fraction);
	CHECK_NEAR(r.sum.relative_phase_deg, 60, 5);
	CHECK_NEAR(median_of(r.w, r.nw, offsetof(struct att_sync_window, relative_phase_deg)), 60,
	           5);
	CHECK_NEAR(r.sum.lag_s, true_lag, 0.1);
	CHECK(r.sum.plv >= 0.95);
	CHECK(median_of(r.w, r.nw, offsetof(struct att_sync_window, plv)) >= 0.95);
	CHECK(r.sum.in_sync_fraction >= 0.9);
	free(r.w);
	free_pair(&p);
}

static void test_realistic_pair_with_b_one_second_behind_gives_lag_1s(void)
{
	struct pair p = make_pair(300, 0, 1.0, 0, 12);
	struct result r = analyze_pair(&p);
	printf("B 1 s behind: lag %.2f s, xcorr lag %.2f s (r %.2f), rel %.1f deg\n", r.sum.lag_s,
	       r.xlag, r.xr, r.sum.relative_phase_deg);
	CHECK_NEAR(r.sum.lag_s, 1.0, 0.1);
	CHECK(r.sum.relative_phase_deg > 0); /* A leads */
	CHECK_NEAR(r.xlag, 1.0, 0.1);
	CHECK(r.sum.plv >= 0.95);
	free(r.w);
	free_pair(&p);
}

static void test_anti_phase_is_locked_but_not_matched(void)
{
	struct pair p = make_pair(300, 180, 0, 0, 13);
	struct result r = analyze_pair(&p);
	printf("anti-phase: rel %.1f deg, plv %.3f, match %.3f\n", r.sum.relative_phase_deg,
	       r.sum.plv, r.sum.match);
	CHECK_NEAR(fabs(r.sum.relative_phase_deg), 180, 5);
	CHECK(r.sum.plv >= 0.95);
	CHECK(r.sum.match < 0.05);
	CHECK(r.sum.matched_fraction == 0);
	free(r.w);
	free_pair(&p);
}

static void test_aligned_pair_is_matched(void)
{
	struct pair p = make_pair(300, 0, 0, 0, 14);
	struct result r = analyze_pair(&p);
	printf("aligned: rel %.1f deg, plv %.3f, match %.3f, matched %.2f, xcorr lag %.3f s\n",
	       r.sum.relative_phase_deg, r.sum.plv, r.sum.match, r.sum.matched_fraction, r.xlag);
	CHECK(r.sum.match >= 0.9);
	CHECK(median_of(r.w, r.nw, offsetof(struct att_sync_window, match)) >= 0.9);
	CHECK(r.sum.matched_fraction >= 0.95);
	CHECK_NEAR(r.sum.relative_phase_deg, 0, 5);
	CHECK_NEAR(r.xlag, 0, 0.1);
	free(r.w);
	free_pair(&p);
}

static void test_independent_pairs_fall_below_chance_in_90_percent_of_windows(void)
{
	size_t below = 0, judged = 0;
	for (uint64_t seed = 21; seed < 25; seed++) {
		struct pair p = make_pair(600, 0, 0, 1, seed);
		struct result r = analyze_pair(&p);
		for (size_t i = 0; i < r.nw; i++) {
			CHECK(!isnan(r.w[i].plv_chance));
			judged++;
			below += r.w[i].plv <= r.w[i].plv_chance;
		}
		CHECK(r.sum.plv < r.sum.plv_chance);
		free(r.w);
		free_pair(&p);
	}
	double frac = (double)below / (double)judged;
	printf("independent: %.1f %% of %zu windows below chance\n", 100 * frac, judged);
	CHECK(frac >= 0.9);
}

static void test_sync_rejects_bad_input(void)
{
	float x[100] = {0}, y[100] = {0};
	struct att_sync_summary s;
	struct att_sync_cfg cfg = {.rate_hz = 25};
	CHECK(att_sync_analyze(NULL, x, y, 100, NULL, 0, &s) == ATT_ERR_ARG);
	CHECK(att_sync_analyze(&cfg, NULL, y, 100, NULL, 0, &s) == ATT_ERR_ARG);
	CHECK(att_sync_analyze(&(struct att_sync_cfg){.rate_hz = 25, .surrogates = 5}, x, y, 100,
	                       NULL, 0, &s) == ATT_ERR_ARG);
	CHECK(att_sync_analyze(&(struct att_sync_cfg){.rate_hz = 25, .window_s = 5, .step_s = 10},
	                       x, y, 100, NULL, 0, &s) == ATT_ERR_ARG);
	CHECK(att_sync_analyze(&cfg, x, y, 1, NULL, 0, &s) == ATT_ERR_NO_DATA);
	y[3] = NAN;
	CHECK(att_sync_analyze(&cfg, x, y, 100, NULL, 0, &s) == ATT_ERR_NO_DATA);
	y[3] = 0;
	/* Shorter than a window: one window over everything; too short for surrogates. */
	CHECK(att_sync_window_count(&cfg, 100) == 1);
	CHECK(att_sync_window_count(&cfg, 750) == 1);
	CHECK(att_sync_window_count(&cfg, 775) == 2);
	CHECK(att_sync_window_count(&cfg, 1) == 0);
	struct att_sync_window w;
	CHECK(att_sync_analyze(&cfg, x, y, 100, &w, 1, &s) == 1);
	CHECK_NEAR(s.plv, 1, 1e-9);
	CHECK(isnan(s.plv_chance) && isnan(s.in_sync_fraction));
	CHECK(isnan(s.lag_s)); /* no breathing frequency in constant phases */
	double lag;
	CHECK(att_sync_xcorr_lag(x, y, 100, 25, 5, &lag, NULL) == ATT_ERR_NO_DATA);
	CHECK(att_sync_xcorr_lag(x, y, 3, 25, 5, &lag, NULL) == ATT_ERR_ARG);
}

static void test_coherence_is_one_for_linear_relation_and_low_for_independent_noise(void)
{
	enum { n = 8192, nper = 256 };
	static float a[n], b[n], c[n], cxy[nper / 2 + 1];
	struct att_gen_rng r = {5};
	for (size_t i = 0; i < n; i++) {
		a[i] = (float)att_gen_normal(&r);
		c[i] = (float)att_gen_normal(&r);
	}
	/* b: a scaled and delayed by 3 samples, a linear time-invariant relation. */
	for (size_t i = 0; i < n; i++)
		b[i] = i >= 3 ? 2 * a[i - 3] : 0;
	CHECK(att_coherence(a, b, n, 25, nper, cxy, nper / 2 + 1) == ATT_OK);
	double lo = 1;
	for (size_t k = 1; k < nper / 2; k++)
		lo = fmin(lo, cxy[k]);
	CHECK(lo > 0.98);
	CHECK(att_coherence(a, c, n, 25, nper, cxy, nper / 2 + 1) == ATT_OK);
	double mean = 0;
	for (size_t k = 1; k < nper / 2; k++) {
		CHECK(cxy[k] >= 0 && cxy[k] <= 1);
		mean += cxy[k];
	}
	mean /= nper / 2 - 1;
	/* Expected bias of the estimate for ~63 half-overlapping segments is about 1/40. */
	CHECK(mean < 0.06);
	CHECK(att_coherence(a, c, n, 25, 100, cxy, 51) == ATT_ERR_ARG);    /* not a power of two */
	CHECK(att_coherence(a, c, 100, 25, 256, cxy, 129) == ATT_ERR_ARG); /* longer than n */
}

static void test_coherence_in_band_is_high_for_locked_breathing_and_low_for_independent(void)
{
	struct pair p = make_pair(300, 60, 0, 0, 15), q = make_pair(300, 0, 0, 1, 16);
	size_t m;
	double rate;
	float *ya = clean(p.a, p.n, &m, &rate), *yb = clean(p.b, p.n, &m, &rate);
	float *qa = clean(q.a, q.n, &m, &rate), *qb = clean(q.b, q.n, &m, &rate);
	struct att_coherence_band locked, indep;
	CHECK(att_coherence_in_band(ya, yb, m, rate, 0, 0.05, 1.0, &locked) == ATT_OK);
	CHECK(att_coherence_in_band(qa, qb, m, rate, 0, 0.05, 1.0, &indep) == ATT_OK);
	printf("coherence at breathing peak: locked %.2f (%.3f Hz), independent %.2f\n",
	       locked.coherence, locked.peak_hz, indep.coherence);
	CHECK(locked.coherence > 0.8);
	CHECK_NEAR(locked.peak_hz, p.mean_f, 0.06);
	CHECK(indep.coherence < 0.5);
	CHECK(att_coherence_in_band(ya, yb, 8, rate, 0, 0.05, 1.0, &locked) == ATT_ERR_NO_DATA);
	free(ya);
	free(yb);
	free(qa);
	free(qb);
	free_pair(&p);
	free_pair(&q);
}

static void test_heart_rate_resampling_and_lagged_correlation(void)
{
	/* Beats of a heart rate swinging 60..80 bpm with a 12 s period (sinus arrhythmia-like). */
	enum { nb = 700 };
	static double ta[nb], tb[nb];
	double t = 0, u = 0;
	for (size_t i = 0; i < nb; i++) {
		ta[i] = t;
		tb[i] = u;
		t += 60 / (70 + 10 * sin(2 * M_PI * t / 12));
		/* B: the same swing 2 s later, plus its own slow wander. */
		u += 60 / (72 + 10 * sin(2 * M_PI * (u - 2) / 12) + 3 * sin(2 * M_PI * u / 97));
	}
	enum { n = 4 * 500 };
	static float ha[n], hb[n];
	CHECK(att_hr_resample(ta, nb, 0, 4, ha, n) == ATT_OK);
	CHECK(att_hr_resample(tb, nb, 0, 4, hb, n) == ATT_OK);
	double lo = 1e9, hi = 0;
	for (size_t i = 0; i < n; i++) {
		lo = fmin(lo, ha[i]);
		hi = fmax(hi, ha[i]);
	}
	CHECK(lo > 58 && lo < 63 && hi > 77 && hi < 82);
	struct att_hr_sync s;
	CHECK(att_hr_sync(ha, hb, n, 4, 30, 1, 5, &s) == ATT_OK);
	printf("hr sync: r %.2f at 0, r %.2f at lag %.2f s over %zu windows\n", s.r, s.r_lag,
	       s.lag_s, s.windows);
	CHECK_NEAR(s.lag_s, 2, 0.3);
	CHECK(s.r_lag > 0.95);
	CHECK(s.r < s.r_lag);
	/* Without the lag search (what attune analyze reports): the same r and windows. */
	struct att_hr_sync s0;
	CHECK(att_hr_sync(ha, hb, n, 4, 30, 1, -1, &s0) == ATT_OK);
	CHECK(s0.r == s.r && s0.windows == s.windows);
	CHECK(isnan(s0.r_lag) && isnan(s0.lag_s));
	CHECK(att_hr_sync(ha, hb, n, 4, 30, 1, NAN, &s0) == ATT_ERR_ARG);
	/* Constant beats: 60 bpm everywhere; a missed beat (2 s interval = 30 bpm) and a double
	 * beat (0.2 s = 300 bpm) are skipped, not averaged in. */
	double beats[] = {0, 1, 2, 3, 5, 5.2, 6, 7, 8};
	float h[40];
	CHECK(att_hr_resample(beats, 9, 0, 4, h, 40) == ATT_OK);
	for (size_t i = 0; i < 32; i++)
		CHECK(h[i] >= 30 && h[i] <= 75);
	CHECK_NEAR(h[2], 60, 1e-4);
	CHECK_NEAR(h[39], 60, 1e-4);
	double bad[] = {0, 0.1, 0.2};
	CHECK(att_hr_resample(bad, 3, 0, 4, h, 40) == ATT_ERR_NO_DATA);
	CHECK(isnan(h[0]));
	/* The same with the windowed cross-correlation and peak picking: B 2 s later; swapped, A
	 * follows (a negative lag). A swing this strictly periodic (12 s) is as related to any
	 * shift of itself within the +-5 s search, so its chance level is near 1 too: like a
	 * metronome breath, it cannot be told from chance, and the chance level says so. */
	struct att_hr_xcorr_cfg xc = {.rate_hz = 4};
	struct att_hr_xcorr x;
	CHECK(att_hr_xcorr(&xc, ha, hb, n, &x) == ATT_OK);
	printf("hr xcorr: r_max %.3f at %.3f s, chance %.3f, %zu windows\n", x.r_max, x.lag_s,
	       x.chance, x.windows);
	CHECK_NEAR(x.lag_s, 2, 0.25);
	CHECK(x.r_max > 0.95 && x.chance > 0.9);
	CHECK(att_hr_xcorr(&xc, hb, ha, n, &x) == ATT_OK);
	CHECK_NEAR(x.lag_s, -2, 0.25);
	CHECK(att_hr_xcorr(NULL, ha, hb, n, &x) == ATT_ERR_ARG);
	CHECK(att_hr_xcorr(&xc, ha, hb, 100, &x) == ATT_ERR_NO_DATA); /* shorter than a window */
	CHECK(isnan(x.r_max) && isnan(x.chance) && x.windows == 0);
	/* Flat heart rates: no usable window. */
	for (size_t i = 0; i < n; i++)
		ha[i] = hb[i] = 60;
	CHECK(att_hr_sync(ha, hb, n, 4, 30, 1, 5, &s) == ATT_ERR_NO_DATA);
	/* Barely varying (0.2 bpm swings, under the 0.5 bpm SD floor): no figure either. */
	for (size_t i = 0; i < n; i++) {
		ha[i] = (float)(60 + 0.2 * sin(i * 0.1));
		hb[i] = (float)(60 + 0.2 * sin(i * 0.1 - 0.5));
	}
	CHECK(att_hr_xcorr(&xc, ha, hb, n, &x) == ATT_ERR_NO_DATA);
}

/* Live: a couple switching anti-phase -> in phase at 60 s and back at 120 s, through the whole
 * live chain (streaming cleaner, live phase, live sync at the decimated rate). */
static void test_live_sync_follows_a_switch_within_8_seconds(void)
{
	struct att_gen_rhythm g = {
	        .fs = FS, .f0 = 0.25, .df = 0.03, .drift_s = 80, .jitter = 0.01, .rng = {77}};
	struct att_clean *ca = NULL, *cb = NULL;
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = FS};
	CHECK(att_clean_new(&cc, &ca) == ATT_OK && att_clean_new(&cc, &cb) == ATT_OK);
	double rate = att_clean_rate(ca);
	struct att_phase *pa = NULL, *pb = NULL;
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = rate}, &pa) == ATT_OK);
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = rate}, &pb) == ATT_OK);
	struct att_livesync *ls = NULL;
	CHECK(att_livesync_new(&(struct att_livesync_cfg){.rate_hz = rate}, &ls) == ATT_OK);
	struct att_gen_rng r = {3};
	double up_at = NAN, down_at = NAN, first_chance = NAN;
	int held = 1;
	size_t locked_n = 0, locked_above = 0;
	double sd_a = 0.25, sd_b = 0.25; /* ~10 dB SNR for a signal of power ~0.6 */
	for (size_t i = 0; i < (size_t)(180 * FS); i++) {
		double t = (double)i / FS, th = att_gen_rhythm_next(&g, i);
		double off = t >= 60 && t < 120 ? 0 : M_PI;
		double xa = att_gen_breath(th, t, 0) + sd_a * att_gen_normal(&r);
		double xb = att_gen_breath(th - off, t, 1.7) + sd_b * att_gen_normal(&r);
		double ya, yb;
		int da = att_clean_push(ca, xa, &ya), db = att_clean_push(cb, xb, &yb);
		CHECK(da == db);
		if (!da)
			continue;
		struct att_phase_est ea, eb;
		att_phase_push(pa, (float)ya, &ea);
		att_phase_push(pb, (float)yb, &eb);
		struct att_livesync_est e;
		att_livesync_push(ls, ea.phase_rad, eb.phase_rad, (ea.freq_hz + eb.freq_hz) / 2,
		                  &e);
		if (isnan(first_chance) && !isnan(e.plv_chance))
			first_chance = t;
		if (t >= 30 && t < 60)
			CHECK(e.match < 0.3);
		if (t >= 60 && isnan(up_at) && e.match >= 0.7)
			up_at = t;
		if (!isnan(up_at) && t >= up_at && t < 120 && e.match < 0.7)
			held = 0;
		if (t >= 120 && isnan(down_at) && e.match < 0.7)
			down_at = t;
		if (t >= 120 + 8 && e.match >= 0.7)
			held = 0;
		if (!isnan(e.plv_chance))
			CHECK(e.plv_chance >= 0 && e.plv_chance <= 1);
		if (t >= 70 && t < 120 && !isnan(e.plv_chance)) {
			locked_n++;
			locked_above += e.plv > e.plv_chance;
		}
	}
	printf("live switch: locked in phase, plv above the live chance level %.0f %% of the time\n",
	       100.0 * (double)locked_above / (double)locked_n);
	CHECK(locked_n > 0 && (double)locked_above / (double)locked_n >= 0.8);
	printf("live switch: match >= 0.7 %.1f s after in-phase, < 0.7 %.1f s after anti-phase; "
	       "chance known from %.1f s\n",
	       up_at - 60, down_at - 120, first_chance);
	CHECK(up_at - 60 <= 8);
	CHECK(down_at - 120 <= 8);
	CHECK(held);
	CHECK(first_chance <= 45);
	att_clean_free(ca);
	att_clean_free(cb);
	att_phase_free(pa);
	att_phase_free(pb);
	att_livesync_free(ls);
}

static void test_live_sync_chance_and_lag_on_phase_pairs(void)
{
	struct att_livesync *ls = NULL;
	CHECK(att_livesync_new(&(struct att_livesync_cfg){.rate_hz = 10}, &ls) == ATT_OK);
	struct att_gen_rng r = {9};
	struct att_gen_rhythm ga = {
	        .fs = 10, .f0 = 0.25, .df = 0.05, .drift_s = 60, .jitter = 0.02, .rng = {1}};
	struct att_gen_rhythm gb = {
	        .fs = 10, .f0 = 0.2, .df = 0.05, .drift_s = 83, .jitter = 0.02, .rng = {2}};
	struct att_livesync_est e;
	size_t below = 0, judged = 0;
	/* Independent rhythms: the PLV is mostly under the surrogate chance level. */
	for (size_t i = 0; i < 6000; i++) {
		double a = att_gen_rhythm_next(&ga, i), b = att_gen_rhythm_next(&gb, i);
		att_livesync_push(ls, a + 0.2 * att_gen_normal(&r), b + 0.2 * att_gen_normal(&r),
		                  0.22, &e);
		if (!isnan(e.plv_chance)) {
			judged++;
			below += e.plv <= e.plv_chance;
		}
	}
	printf("live independent: %.1f %% of %zu updates below chance\n",
	       100.0 * (double)below / (double)judged, judged);
	CHECK(judged > 5000);
	CHECK((double)below / (double)judged >= 0.85);
	/* Locked with A 90 degrees ahead at 0.25 Hz: lag 1 s. */
	att_livesync_reset(ls);
	for (size_t i = 0; i < 300; i++) {
		double a = 2 * M_PI * 0.25 * (double)i / 10;
		att_livesync_push(ls, a, a - M_PI / 2, 0.25, &e);
	}
	CHECK_NEAR(e.relative_phase_deg, 90, 0.5);
	CHECK_NEAR(e.lag_s, 1, 0.01);
	CHECK_NEAR(e.plv, 1, 1e-6);
	CHECK_NEAR(e.match, 0, 1e-6);
	att_livesync_push(ls, NAN, 0, 0.25, &e);
	CHECK(isnan(e.plv) && isnan(e.match));
	att_livesync_free(ls);
	att_livesync_free(NULL);
	struct att_livesync *bad = (struct att_livesync *)&bad;
	CHECK(att_livesync_new(&(struct att_livesync_cfg){.rate_hz = 0}, &bad) == ATT_ERR_ARG);
	CHECK(bad == NULL);
	CHECK(att_livesync_new(&(struct att_livesync_cfg){.rate_hz = 10, .surrogates = 10}, &bad) ==
	      ATT_ERR_ARG);
	CHECK(att_livesync_new(&(struct att_livesync_cfg){.rate_hz = 10,
	                                                  .min_shift_s = 50,
	                                                  .max_shift_s = 20},
	                       &bad) == ATT_ERR_ARG);
}

/* --scipy: coherence and the analytic signal against scipy.signal on the same numbers. */
static int run_scipy(void)
{
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import scipy.signal, numpy' 2>/dev/null") != 0) {
		fprintf(stderr, "skip: /usr/bin/python3 with numpy and scipy not available "
		                "(apt-get install python3-scipy)\n");
		return 77;
	}
	struct pair p = make_pair(120, 30, 0, 0, 41);
	size_t m;
	double rate;
	float *ya = clean(p.a, p.n, &m, &rate), *yb = clean(p.b, p.n, &m, &rate);
	enum { nper = 512, nb = nper / 2 + 1 };
	static float cxy[nb];
	CHECK(att_coherence(ya, yb, m, rate, nper, cxy, nb) == ATT_OK);
	float *re = malloc(m * sizeof *re), *im = malloc(m * sizeof *im);
	struct att_analytic *an = NULL;
	CHECK(att_analytic_new(m, &an) == ATT_OK);
	CHECK(att_analytic_run(an, ya, m, re, im) == ATT_OK);
	char dir[] = "/tmp/att_sync_scipyXXXXXX";
	if (!mkdtemp(dir)) {
		fprintf(stderr, "cannot make a temporary directory\n");
		return 1;
	}
	char path[256], cmd[1024];
	snprintf(path, sizeof path, "%s/in.txt", dir);
	FILE *f = fopen(path, "w");
	for (size_t i = 0; f && i < m; i++)
		fprintf(f, "%.9g %.9g %.9g %.9g\n", ya[i], yb[i], re[i], im[i]);
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/coh.txt", dir);
	f = fopen(path, "w");
	for (size_t k = 0; f && k < nb; k++)
		fprintf(f, "%.9g\n", cxy[k]);
	if (f)
		fclose(f);
	/* Compared up to 2 Hz: above, the 0.05-1 Hz band-passed signals hold only rounding noise,
	 * whose coherence differs between float (kissfft) and double (scipy) arithmetic. */
	snprintf(
	        cmd, sizeof cmd,
	        "/usr/bin/python3 -c '\n"
	        "import numpy as np, scipy.signal as s\n"
	        "d = np.loadtxt(\"%s/in.txt\"); c = np.loadtxt(\"%s/coh.txt\")\n"
	        "f, ref = s.coherence(d[:,0], d[:,1], fs=%.17g, window=\"hann\", nperseg=%d)\n"
	        "z = s.hilbert(d[:,0], N=%zu)[:len(d)]\n"
	        "band = f <= 2.0\n"
	        "ec = np.nanmax(np.abs(c - ref)[band]); ez = np.max(np.abs(z - (d[:,2] + 1j*d[:,3])))\n"
	        "ez /= np.max(np.abs(z))\n"
	        "print(\"scipy: coherence max |diff| %%.2e, analytic signal max rel diff %%.2e\" %% (ec, ez))\n"
	        "raise SystemExit(0 if ec < 1e-3 and ez < 1e-4 else 1)'",
	        dir, dir, rate, nper, att_analytic_nfft(an));
	int rc = system(cmd);
	CHECK(rc == 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "note: could not remove %s\n", dir);
	att_analytic_free(an);
	free(re);
	free(im);
	free(ya);
	free(yb);
	free_pair(&p);
	return att_check_done("sync (scipy)");
}

/* The live readout tells a lead only for a steady relation: at 6.0 vs 8.3 /min (one partner
 * drifting away) a momentary -69 degrees said "B leads by 1.6 s"; unlocked pairs said it too. */
static void test_lead_is_told_only_for_a_steady_relation(void)
{
	CHECK(att_sync_lead(0.95, 45.0, 6.0, 6.1) == ATT_LEAD_A);
	CHECK(att_sync_lead(0.95, -45.0, 6.0, 6.1) == ATT_LEAD_B);
	CHECK(att_sync_lead(0.95, 3.0, 6.4, 6.0) == ATT_LEAD_TOGETHER);
	CHECK(att_sync_lead(0.95, -179.0, 6.0, 6.0) == ATT_LEAD_OPPOSITE);
	CHECK(att_sync_lead(0.95, 170.0, NAN, NAN) == ATT_LEAD_OPPOSITE); /* rates not known yet */
	CHECK(att_sync_lead(0.78, -69.0, 6.0, 8.3) == ATT_LEAD_NONE);     /* B drifting away */
	CHECK(att_sync_lead(0.54, -160.0, 14.1, 9.7) == ATT_LEAD_NONE);   /* each on their own */
	CHECK(att_sync_lead(0.40, 45.0, 6.0, 6.0) == ATT_LEAD_NONE);      /* not locked */
	CHECK(att_sync_lead(NAN, 45.0, 6.0, 6.0) == ATT_LEAD_NONE);
	CHECK(att_sync_lead(0.9, NAN, 6.0, 6.0) == ATT_LEAD_NONE);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--scipy"))
		return run_scipy();
	test_sinusoids_with_a_45_degree_offset_give_offset_lag_and_plv();
	test_realistic_locked_pair_recovers_a_60_degree_offset();
	test_realistic_pair_with_b_one_second_behind_gives_lag_1s();
	test_anti_phase_is_locked_but_not_matched();
	test_aligned_pair_is_matched();
	test_independent_pairs_fall_below_chance_in_90_percent_of_windows();
	test_sync_rejects_bad_input();
	test_coherence_is_one_for_linear_relation_and_low_for_independent_noise();
	test_coherence_in_band_is_high_for_locked_breathing_and_low_for_independent();
	test_heart_rate_resampling_and_lagged_correlation();
	test_live_sync_follows_a_switch_within_8_seconds();
	test_live_sync_chance_and_lag_on_phase_pairs();
	test_lead_is_told_only_for_a_steady_relation();
	return att_check_done("sync");
}
