/* Filter module against truth: the Butterworth magnitude formula, zero phase of filtfilt,
 * scipy.signal (sosfilt, sosfiltfilt) on the same input, alias rejection of the decimators, and
 * the respiration/PPG cleaners on signals of known amplitude.
 *
 * Run with --scipy for the scipy cross-check only (exit 77 when /usr/bin/python3 lacks scipy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "attune/filter.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double db(double g)
{
	return 20 * log10(g);
}

/* |H(f)| of the digital Butterworth obtained by the pre-warped bilinear transform. */
static double butter_formula(const struct att_filter_cfg *c, double f)
{
	double w = tan(M_PI * f / c->rate_hz);
	double wl = tan(M_PI * c->low_hz / c->rate_hz), wh = tan(M_PI * c->high_hz / c->rate_hz);
	double r;
	if (c->kind == ATT_FILTER_LOWPASS)
		r = w / wh;
	else if (c->kind == ATT_FILTER_HIGHPASS)
		r = wl / w;
	else
		r = (w * w - wl * wh) / (w * (wh - wl));
	return 1 / sqrt(1 + pow(fabs(r), 2.0 * c->order));
}

/* Amplitude of a sine after the streaming filter, measured by projection once settled. */
static double measured_gain(const struct att_filter_cfg *c, double f)
{
	struct att_filter *flt;
	if (att_filter_new(c, &flt) != ATT_OK)
		return NAN;
	/* Settle for many time constants of the slowest edge, then measure whole periods. */
	double slow = c->kind == ATT_FILTER_LOWPASS ? c->high_hz : c->low_hz;
	size_t settle = (size_t)(c->rate_hz * 40 / (slow < f ? slow : f));
	size_t n_meas = (size_t)llround(200 * c->rate_hz / f);
	double ss = 0, sc = 0;
	for (size_t i = 0; i < settle + n_meas; i++) {
		double ph = 2 * M_PI * f * (double)i / c->rate_hz;
		double y = att_filter_step(flt, sin(ph));
		if (i >= settle) {
			ss += y * sin(ph);
			sc += y * cos(ph);
		}
	}
	att_filter_free(flt);
	return 2 * sqrt(ss * ss + sc * sc) / (double)n_meas;
}

static void magnitude_response_equals_butterworth_formula(void)
{
	const struct att_filter_cfg cases[] = {
	        {ATT_FILTER_LOWPASS, 4, 100, 0, 10},    {ATT_FILTER_LOWPASS, 5, 1000, 0, 40},
	        {ATT_FILTER_LOWPASS, 8, 1000, 0, 10},   {ATT_FILTER_HIGHPASS, 2, 25, 0.05, 0},
	        {ATT_FILTER_HIGHPASS, 3, 250, 0.5, 0},  {ATT_FILTER_BANDPASS, 2, 25, 0.05, 1},
	        {ATT_FILTER_BANDPASS, 2, 1000, 0.5, 8}, {ATT_FILTER_BANDPASS, 3, 125, 0.5, 8},
	        {ATT_FILTER_BANDPASS, 1, 100, 1, 5},
	};
	const double rel[] = {0.2, 0.5, 0.9, 1.0, 1.1, 1.5, 2.5};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const struct att_filter_cfg *c = &cases[k];
		struct att_sos sos;
		CHECK(att_butter(c, &sos) == ATT_OK);
		int want_sections = c->kind == ATT_FILTER_BANDPASS ? c->order : (c->order + 1) / 2;
		CHECK(sos.n == want_sections);
		for (size_t j = 0; j < sizeof rel / sizeof rel[0]; j++) {
			double edge = c->kind == ATT_FILTER_LOWPASS ? c->high_hz : c->low_hz;
			double f = rel[j] * edge;
			if (c->kind == ATT_FILTER_BANDPASS)
				f = rel[j] * sqrt(c->low_hz * c->high_hz) * (j % 2 ? 1.3 : 0.7);
			if (f >= c->rate_hz / 2 * 0.95)
				continue;
			double want = butter_formula(c, f);
			double got = att_sos_gain(&sos, f, c->rate_hz);
			CHECK_NEAR(db(got), db(want), 0.01);
			/* The streaming filter must realise the design: within 0.5 dB where the
			 * response is not deep in the stop band (where the measurement is noise). */
			if (want > 0.01) {
				double meas = measured_gain(c, f);
				CHECK_NEAR(db(meas), db(want), 0.5);
			}
		}
		/* -3 dB exactly at the edges, as asked. */
		if (c->kind != ATT_FILTER_HIGHPASS)
			CHECK_NEAR(db(att_sos_gain(&sos, c->high_hz, c->rate_hz)), -3.0103, 0.01);
		if (c->kind != ATT_FILTER_LOWPASS)
			CHECK_NEAR(db(att_sos_gain(&sos, c->low_hz, c->rate_hz)), -3.0103, 0.01);
	}
}

static void bad_designs_are_refused(void)
{
	struct att_sos sos;
	struct att_filter *f = (struct att_filter *)&sos;
	const struct att_filter_cfg bad[] = {
	        {ATT_FILTER_LOWPASS, 0, 100, 0, 10},
	        {ATT_FILTER_LOWPASS, ATT_FILTER_MAX_ORDER + 1, 100, 0, 10},
	        {ATT_FILTER_LOWPASS, 2, 100, 0, 50},
	        {ATT_FILTER_LOWPASS, 2, 0, 0, 10},
	        {ATT_FILTER_HIGHPASS, 2, 100, 0, 0},
	        {ATT_FILTER_BANDPASS, 2, 100, 5, 1},
	        {ATT_FILTER_BANDPASS, 2, NAN, 1, 5},
	        {(enum att_filter_kind)7, 2, 100, 1, 5},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		CHECK(att_butter(&bad[k], &sos) == ATT_ERR_ARG);
		CHECK(att_filter_new(&bad[k], &f) == ATT_ERR_ARG);
		CHECK(f == NULL);
	}
	att_filter_free(NULL);
	att_decim_free(NULL);
	att_clean_free(NULL);
	CHECK(att_sosfiltfilt(&sos, (double[]){1}, (double[]){0}, 1) == ATT_ERR_NO_DATA);
}

/* A sine in the pass band comes out of filtfilt in phase with the input: projecting on sin and
 * cos over the middle of the record gives the phase shift. */
static void filtfilt_has_zero_phase(void)
{
	struct att_filter_cfg c = {ATT_FILTER_BANDPASS, 3, 25, 0.05, 1};
	struct att_sos sos;
	CHECK(att_butter(&c, &sos) == ATT_OK);
	size_t n = 25 * 600;
	double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z);
	const double fr[] = {0.08, 0.25, 0.5, 0.9};
	for (size_t k = 0; k < 4; k++) {
		for (size_t i = 0; i < n; i++)
			x[i] = 3 + sin(2 * M_PI * fr[k] * (double)i / c.rate_hz + 0.3);
		CHECK(att_sosfiltfilt(&sos, x, y, n) == ATT_OK);
		att_sosfilt(&sos, x, z, n);
		double ss = 0, sc = 0, zs = 0, zc = 0;
		for (size_t i = n / 4; i < 3 * n / 4; i++) {
			double ph = 2 * M_PI * fr[k] * (double)i / c.rate_hz + 0.3;
			ss += y[i] * sin(ph);
			sc += y[i] * cos(ph);
			zs += z[i] * sin(ph);
			zc += z[i] * cos(ph);
		}
		double lag_deg = atan2(sc, ss) * 180 / M_PI;
		CHECK_NEAR(lag_deg, 0, 0.1);
		/* ... while the causal filter does shift it (so the check above can fail). */
		CHECK(fabs(atan2(zc, zs) * 180 / M_PI) > 5);
		/* Zero-phase gain is the squared magnitude. */
		double g = 2 * sqrt(ss * ss + sc * sc) / (double)(n / 2);
		double want = att_sos_gain(&sos, fr[k], c.rate_hz);
		CHECK_NEAR(g, want * want, 0.01);
	}
	/* In place gives the same result. */
	for (size_t i = 0; i < n; i++)
		x[i] = sin(0.01 * (double)i) + 0.5 * cos(0.3 * (double)i);
	CHECK(att_sosfiltfilt(&sos, x, y, n) == ATT_OK);
	CHECK(att_sosfiltfilt(&sos, x, x, n) == ATT_OK);
	CHECK(memcmp(x, y, n * sizeof *x) == 0);
	free(x);
	free(y);
	free(z);
}

static void streaming_filter_does_not_ring_on_an_offset_after_reset(void)
{
	struct att_filter_cfg c = {ATT_FILTER_BANDPASS, 2, 25, 0.05, 1};
	struct att_filter *f;
	CHECK(att_filter_new(&c, &f) == ATT_OK);
	att_filter_reset(f, 512);
	double worst = 0;
	for (int i = 0; i < 25 * 60; i++)
		worst = fmax(worst, fabs(att_filter_step(f, 512)));
	CHECK(worst < 1e-9);
	CHECK(att_filter_sos(f)->n == 2);
	att_filter_free(f);
}

/* Tone at 30 Hz in 1000 Hz input: decimated to 25 Hz it would alias to 5 Hz. */
static void decimation_rejects_an_alias_tone(void)
{
	CHECK(att_decim_factor(1000, 25) == 40);
	CHECK(att_decim_factor(100, 25) == 4);
	CHECK(att_decim_factor(125, 25) == 5);
	CHECK(att_decim_factor(30, 25) == 1);
	CHECK(att_decim_factor(250, 25) == 10);
	CHECK(att_decim_len(10, 4) == 3);

	struct att_decim_cfg dc = {1000, 40};
	size_t n = 1000 * 60;
	double *x = malloc(n * sizeof *x), *y = malloc(att_decim_len(n, 40) * sizeof *y);
	double *ys = malloc(att_decim_len(n, 40) * sizeof *ys);
	const double tone[] = {30, 0.3};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < n; i++)
			x[i] = 100 + sin(2 * M_PI * tone[k] * (double)i / 1000);
		CHECK(att_decimate(&dc, x, n, y) == ATT_OK);
		struct att_decim *d;
		CHECK(att_decim_new(&dc, &d) == ATT_OK);
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			double v;
			if (att_decim_push(d, x[i], &v))
				ys[m++] = v;
		}
		att_decim_free(d);
		CHECK(m == att_decim_len(n, 40));
		/* Amplitude around the offset over the settled part. */
		double pb = 0, ps = 0;
		for (size_t i = m / 4; i < m; i++) {
			pb = fmax(pb, fabs(y[i] - 100));
			ps = fmax(ps, fabs(ys[i] - 100));
		}
		if (k == 0) {
			CHECK(db(pb) < -40);
			CHECK(db(ps) < -40);
		} else {
			CHECK_NEAR(db(pb), 0, 0.5);
			CHECK_NEAR(db(ps), 0, 0.5);
		}
	}
	struct att_decim *d;
	CHECK(att_decim_new(&(struct att_decim_cfg){100, 0}, &d) == ATT_ERR_ARG);
	CHECK(d == NULL);
	free(x);
	free(y);
	free(ys);
}

/* A 0.2 Hz breath of amplitude 1 on a 2.5 V offset with slow drift and 50 Hz hum at 1000 Hz:
 * the respiration cleaner gives 25 Hz, the breath at its amplitude, no offset, no hum. */
static void respiration_cleaner_keeps_breath_and_removes_offset_drift_and_hum(void)
{
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = 1000};
	struct att_clean *c;
	CHECK(att_clean_new(&cc, &c) == ATT_OK);
	CHECK_NEAR(att_clean_rate(c), 25, 1e-12);
	CHECK(att_clean_factor(c) == 40);
	size_t n = 1000 * 120;
	double *x = malloc(n * sizeof *x), *yb = malloc(att_clean_len(&cc, n) * sizeof *yb);
	double *ys = malloc(att_clean_len(&cc, n) * sizeof *ys);
	CHECK(att_clean_len(&cc, n) == n / 40);
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / 1000;
		x[i] = 2.5 + 0.3 * t / 120 + sin(2 * M_PI * 0.2 * t) + 0.2 * sin(2 * M_PI * 50 * t);
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		double v;
		if (att_clean_push(c, x[i], &v))
			ys[m++] = v;
	}
	CHECK(m == n / 40);
	double rate = 0;
	CHECK(att_clean_batch(&cc, x, n, yb, &rate) == ATT_OK);
	CHECK_NEAR(rate, 25, 1e-12);
	double gb = att_sos_gain(&(struct att_sos){0}, 0, 25); /* empty cascade: gain 1 */
	CHECK_NEAR(gb, 1, 1e-12);
	double amp_b = 0, amp_s = 0, mean_b = 0;
	for (size_t i = m / 4; i < 3 * m / 4; i++) {
		amp_b = fmax(amp_b, fabs(yb[i]));
		amp_s = fmax(amp_s, fabs(ys[i]));
		mean_b += yb[i];
	}
	mean_b /= (double)(m / 2);
	CHECK_NEAR(amp_b, 1, 0.05); /* |H(0.2)|^2 of the 0.05-1 Hz band-pass ~ 0.99 */
	CHECK_NEAR(amp_s, 1, 0.05);
	CHECK_NEAR(mean_b, 0, 0.02);
	att_clean_free(c);

	struct att_clean_cfg pc = {.kind = ATT_CLEAN_PPG, .rate_hz = 100};
	CHECK(att_clean_new(&pc, &c) == ATT_OK);
	CHECK(att_clean_factor(c) == 1);
	CHECK_NEAR(att_clean_rate(c), 100, 1e-12);
	double v = 0, worst = 0;
	for (int i = 0; i < 100 * 30; i++) {
		CHECK(att_clean_push(c, 700 + sin(2 * M_PI * 1.2 * i / 100.0), &v) == 1);
		if (i > 100 * 10)
			worst = fmax(worst, fabs(v));
	}
	CHECK_NEAR(
	        worst,
	        butter_formula(&(struct att_filter_cfg){ATT_FILTER_BANDPASS, 2, 100, 0.5, 8}, 1.2),
	        0.02);
	att_clean_reset(c);
	att_clean_free(c);
	CHECK(att_clean_new(&(struct att_clean_cfg){.kind = ATT_CLEAN_PPG, .rate_hz = 10}, &c) ==
	      ATT_ERR_ARG);
	CHECK(c == NULL);
	free(x);
	free(yb);
	free(ys);
}

/* A gap (NAN) in the stream must not poison the cleaner: output resumes, finite and without a
 * start-up step, on the next sample. */
static void cleaner_survives_a_gap(void)
{
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = 100};
	struct att_clean *c;
	CHECK(att_clean_new(&cc, &c) == ATT_OK);
	int outs_in_gap = 0, finite = 1;
	double worst_after = 0;
	for (int i = 0; i < 100 * 120; i++) {
		double t = i / 100.0;
		int gap = t >= 50 && t < 52;
		double x = gap ? NAN : 700 + 20 * sin(2 * M_PI * 0.2 * t);
		double y;
		int got = att_clean_push(c, x, &y);
		outs_in_gap += gap && got;
		if (got) {
			finite &= isfinite(y);
			if (t >= 52 && t < 54)
				worst_after = fmax(worst_after, fabs(y));
		}
	}
	CHECK(outs_in_gap == 0);
	CHECK(finite);
	/* Restarting on the steady state of 700 +- 20: no jump to hundreds. */
	CHECK(worst_after < 25);
	att_clean_free(c);
	struct att_decim *d;
	CHECK(att_decim_new(&(struct att_decim_cfg){100, 4}, &d) == ATT_OK);
	double y = 0;
	CHECK(att_decim_push(d, NAN, &y) == 0);
	CHECK(att_decim_push(d, 5, &y) == 1 && fabs(y - 5) < 1e-9);
	att_decim_free(d);
}

/* scipy cross-check: the same noisy input through scipy's butter/sosfilt/sosfiltfilt and ours. */
static const char *py_script =
        "import sys, numpy as np\n"
        "from scipy import signal\n"
        "x = np.loadtxt(sys.argv[1])\n"
        "out = []\n"
        "for kind, order, fs, lo, hi in [('lowpass',4,100,0,10),('lowpass',5,1000,0,40),"
        "('highpass',3,250,0.5,0),('bandpass',2,25,0.05,1),('bandpass',3,125,0.5,8),"
        "('lowpass',8,1000,0,10)]:\n"
        "    wn = hi if kind=='lowpass' else lo if kind=='highpass' else [lo,hi]\n"
        "    sos = signal.butter(order, wn, btype=kind, fs=fs, output='sos')\n"
        "    out.append(signal.sosfiltfilt(sos, x))\n"
        "    out.append(signal.sosfilt(sos, x))\n"
        "    out.append(signal.sosfiltfilt(sos, x[:30]))\n"
        "np.savetxt(sys.argv[2], np.concatenate(out), fmt='%.17g')\n";

static int filtfilt_agrees_with_scipy(void)
{
	if (system("/usr/bin/python3 -c 'import scipy.signal, numpy' >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: /usr/bin/python3 with numpy and scipy is needed for the "
		                "scipy cross-check (apt-get install python3-scipy)\n");
		return 77;
	}
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char in[512], out[512], script[512], cmd[2048];
	snprintf(in, sizeof in, "%s/att_filter_in_%ld.txt", tmp, (long)getpid());
	snprintf(out, sizeof out, "%s/att_filter_out_%ld.txt", tmp, (long)getpid());
	snprintf(script, sizeof script, "%s/att_filter_ref_%ld.py", tmp, (long)getpid());
	size_t n = 3000;
	double *x = malloc(n * sizeof *x);
	unsigned s = 12345;
	FILE *f = fopen(in, "w");
	FILE *fs = fopen(script, "w");
	if (!f || !fs) {
		fprintf(stderr, "cannot write temporary files in %s\n", tmp);
		return 1;
	}
	fputs(py_script, fs);
	fclose(fs);
	for (size_t i = 0; i < n; i++) {
		s = s * 1103515245u + 12345u;
		x[i] = 5 + sin(0.02 * (double)i) + 0.3 * sin(0.9 * (double)i) +
		       ((double)(s >> 8) / (double)(1u << 24) - 0.5);
		fprintf(f, "%.17g\n", x[i]);
	}
	fclose(f);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", script, in, out);
	int rc = system(cmd);
	CHECK(rc == 0);
	f = fopen(out, "r");
	CHECK(f != NULL);
	const struct att_filter_cfg cases[] = {
	        {ATT_FILTER_LOWPASS, 4, 100, 0, 10},   {ATT_FILTER_LOWPASS, 5, 1000, 0, 40},
	        {ATT_FILTER_HIGHPASS, 3, 250, 0.5, 0}, {ATT_FILTER_BANDPASS, 2, 25, 0.05, 1},
	        {ATT_FILTER_BANDPASS, 3, 125, 0.5, 8}, {ATT_FILTER_LOWPASS, 8, 1000, 0, 10},
	};
	double *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z);
	for (size_t k = 0; f && k < sizeof cases / sizeof cases[0]; k++) {
		struct att_sos sos;
		CHECK(att_butter(&cases[k], &sos) == ATT_OK);
		CHECK(att_sosfiltfilt(&sos, x, y, n) == ATT_OK);
		att_sosfilt(&sos, x, z, n);
		double e_ff = 0, e_f = 0, e_short = 0, ref;
		for (size_t i = 0; i < n; i++) {
			if (fscanf(f, "%lf", &ref) != 1)
				ref = NAN;
			e_ff = fmax(e_ff, fabs(ref - y[i]));
		}
		for (size_t i = 0; i < n; i++) {
			if (fscanf(f, "%lf", &ref) != 1)
				ref = NAN;
			e_f = fmax(e_f, fabs(ref - z[i]));
		}
		/* 30 samples: just above scipy's padlen (27) of the order-8 low-pass. */
		CHECK(att_sosfiltfilt(&sos, x, y, 30) == ATT_OK);
		for (size_t i = 0; i < 30; i++) {
			if (fscanf(f, "%lf", &ref) != 1)
				ref = NAN;
			e_short = fmax(e_short, fabs(ref - y[i]));
		}
		printf("case %zu: max |ours - scipy| filtfilt %.3g, sosfilt %.3g, short %.3g\n", k,
		       e_ff, e_f, e_short);
		CHECK(e_ff < 1e-9);
		CHECK(e_f < 1e-9);
		CHECK(e_short < 1e-9);
	}
	if (f)
		fclose(f);
	remove(in);
	remove(out);
	remove(script);
	free(x);
	free(y);
	free(z);
	return att_check_done("filter (scipy)");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--scipy") == 0)
		return filtfilt_agrees_with_scipy();
	magnitude_response_equals_butterworth_formula();
	bad_designs_are_refused();
	filtfilt_has_zero_phase();
	streaming_filter_does_not_ring_on_an_offset_after_reset();
	decimation_rejects_an_alias_tone();
	respiration_cleaner_keeps_breath_and_removes_offset_drift_and_hum();
	cleaner_survives_a_gap();
	return att_check_done("filter");
}
