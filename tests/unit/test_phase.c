/* Breathing phase: the analytic signal is scipy's hilbert, offline phase recovers known offsets,
 * and the live phase at "now" agrees with the offline (centred) phase computed afterwards on the
 * same band-passed data. `test_phase --real` runs the agreement on the shared real recordings
 * (exit 77 when ../shared/data is absent, unless ATTUNE_REQUIRE_DATA=1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "breath_gen.h"
#include "attune/filter.h"
#include "attune/phase.h"
#include "shared_data.h"

static double wrap_deg(double d)
{
	d = fmod(d + 180, 360);
	if (d <= 0)
		d += 360;
	return d - 180;
}

static void test_analytic_signal_equals_the_fft_hilbert_definition(void)
{
	enum { N = 256, n = 200 };
	static float x[n], re[n], im[n];
	struct att_gen_rng r = {0x1234567};
	for (size_t i = 0; i < n; i++)
		x[i] = (float)att_gen_normal(&r);
	struct att_analytic *a = NULL;
	CHECK(att_analytic_new(n, &a) == ATT_OK);
	CHECK(att_analytic_nfft(a) == N);
	CHECK(att_analytic_run(a, x, n, re, im) == ATT_OK);
	/* scipy.signal.hilbert(x, N): DFT, weights 1/2/1/0, inverse DFT, written out in double. */
	static double Xr[N], Xi[N];
	for (size_t k = 0; k < N; k++) {
		Xr[k] = Xi[k] = 0;
		for (size_t j = 0; j < n; j++) {
			Xr[k] += x[j] * cos(2 * M_PI * (double)(k * j) / N);
			Xi[k] -= x[j] * sin(2 * M_PI * (double)(k * j) / N);
		}
		double w = k == 0 || k == N / 2 ? 1 : k < N / 2 ? 2 : 0;
		Xr[k] *= w;
		Xi[k] *= w;
	}
	double worst = 0;
	for (size_t j = 0; j < n; j++) {
		double zr = 0, zi = 0;
		for (size_t k = 0; k < N; k++) {
			double c = cos(2 * M_PI * (double)(k * j) / N),
			       s = sin(2 * M_PI * (double)(k * j) / N);
			zr += Xr[k] * c - Xi[k] * s;
			zi += Xr[k] * s + Xi[k] * c;
		}
		zr /= N;
		zi /= N;
		worst = fmax(worst, fmax(fabs(zr - re[j]), fabs(zi - im[j])));
	}
	CHECK(worst < 1e-4);
	CHECK(att_analytic_run(a, x, n + 100, re, im) == ATT_ERR_ARG);
	att_analytic_free(a);
	att_analytic_free(NULL);
}

static void test_analytic_signal_of_a_cosine_is_its_complex_exponential(void)
{
	enum { N = 1024 };
	static float x[N], re[N], im[N];
	for (size_t i = 0; i < N; i++)
		x[i] = (float)cos(2 * M_PI * 13 * (double)i / N + 0.3);
	struct att_analytic *a = NULL;
	CHECK(att_analytic_new(N, &a) == ATT_OK);
	CHECK(att_analytic_run(a, x, N, re, im) == ATT_OK);
	double worst = 0;
	for (size_t i = 0; i < N; i++)
		worst = fmax(worst, fabs(im[i] - sin(2 * M_PI * 13 * (double)i / N + 0.3)));
	CHECK(worst < 1e-4);
	att_analytic_free(a);
}

static void test_offline_phase_recovers_a_45_degree_offset_and_the_frequency(void)
{
	enum { n = 120 * 25 };
	static float a[n], b[n], pa[n], pb[n], fa[n], amp[n];
	for (size_t i = 0; i < n; i++) {
		double t = i / 25.0;
		a[i] = (float)(2 * cos(2 * M_PI * 0.25 * t));
		b[i] = (float)(2 * cos(2 * M_PI * 0.25 * t - M_PI / 4));
	}
	CHECK(att_phase_offline(a, n, 25, pa, fa, amp) == ATT_OK);
	CHECK(att_phase_offline(b, n, 25, pb, NULL, NULL) == ATT_OK);
	double worst = 0, fworst = 0, aworst = 0;
	/* Beyond 10 s from either end the zero padding's edge error is gone. */
	for (size_t i = 250; i < n - 250; i++) {
		worst = fmax(worst, fabs(wrap_deg((pa[i] - pb[i]) * 180 / M_PI) - 45));
		fworst = fmax(fworst, fabs(fa[i] - 0.25));
		aworst = fmax(aworst, fabs(amp[i] - 2));
	}
	CHECK(worst < 1.0);
	CHECK(fworst < 0.005);
	CHECK(aworst < 0.05);
	/* Phase 0 at the peak of the breath (end of inhale). */
	CHECK(fabs(pa[1000]) < 0.02);
	CHECK(att_phase_offline(a, 8, 25, pa, NULL, NULL) == ATT_ERR_ARG);
	a[77] = NAN;
	CHECK(att_phase_offline(a, n, 25, pa, NULL, NULL) == ATT_ERR_NO_DATA);
}

static void test_live_phase_of_a_sinusoid_is_its_true_phase_now(void)
{
	struct att_phase *p = NULL;
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = 25}, &p) == ATT_OK);
	struct att_phase_est e;
	struct att_gen_rng r = {42};
	double sum = 0, fsum = 0;
	size_t cnt = 0, updates = 0, settled_at = 0;
	for (size_t i = 0; i < 120 * 25; i++) {
		double t = i / 25.0, th = 2 * M_PI * 0.2 * t + 1.0;
		/* A little sensor noise (40 dB SNR): real signals are never perfectly noise-free. */
		float x = (float)(cos(th) + 0.007 * att_gen_normal(&r));
		updates += (size_t)att_phase_push(p, x, &e);
		if (!isnan(e.phase_rad) && !settled_at)
			settled_at = i;
		if (i >= 10 * 25) {
			sum += fabs(wrap_deg((e.phase_rad - th) * 180 / M_PI));
			fsum += fabs(e.freq_hz - 0.2);
			cnt++;
		}
	}
	CHECK(settled_at > 0 && settled_at <= 10 * 25);
	printf("live sinusoid: mean |phase error| %.2f deg, mean |freq error| %.4f Hz\n",
	       sum / (double)cnt, fsum / (double)cnt);
	CHECK_NEAR(sum / (double)cnt, 0, 3);
	CHECK_NEAR(fsum / (double)cnt, 0, 0.005);
	/* 10 updates per second over the 110 s after settling. */
	CHECK_NEAR((double)updates, 1100, 12);
	/* A gap (NAN) forgets the signal and settles again. */
	att_phase_push(p, NAN, &e);
	CHECK(isnan(e.phase_rad) && isnan(e.freq_hz));
	att_phase_push(p, 0.5f, &e);
	CHECK(isnan(e.phase_rad));
	att_phase_free(p);
	att_phase_free(NULL);
}

static void test_live_phase_rejects_bad_configurations(void)
{
	struct att_phase *p = (struct att_phase *)&p;
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = 0}, &p) == ATT_ERR_ARG);
	CHECK(p == NULL);
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = 25, .window_s = 2}, &p) ==
	      ATT_ERR_ARG);
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = 25, .delay_s = -1}, &p) ==
	      ATT_ERR_ARG);
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = 25, .fmin_hz = 2}, &p) ==
	      ATT_ERR_ARG);
	CHECK(att_phase_new(NULL, &p) == ATT_ERR_ARG);
	CHECK(att_phase_new(&(struct att_phase_cfg){.rate_hz = 25, .delay_s = 1}, &p) == ATT_OK);
	struct att_phase_cfg got;
	att_phase_get_cfg(p, &got);
	CHECK(got.window_s == 30 && got.update_hz == 10 && got.delay_s == 1);
	att_phase_free(p);
}

/* Live phase of a band-passed series y (rate fs) against its offline phase; mean absolute
 * difference in degrees from `from_s` to 5 s before the end (the offline edge). */
static double live_vs_offline_deg(const float *y, size_t n, double fs, double from_s,
                                  double delay_s)
{
	float *off = malloc(n * sizeof *off), *live = malloc(n * sizeof *live);
	struct att_phase *p = NULL;
	if (!off || !live || att_phase_offline(y, n, fs, off, NULL, NULL) ||
	    att_phase_new(&(struct att_phase_cfg){.rate_hz = fs, .delay_s = delay_s}, &p)) {
		free(off);
		free(live);
		return NAN;
	}
	struct att_phase_est e;
	for (size_t i = 0; i < n; i++) {
		att_phase_push(p, y[i], &e);
		live[i] = (float)e.phase_rad;
	}
	double sum = 0;
	size_t cnt = 0;
	for (size_t i = (size_t)(from_s * fs); i + (size_t)(5 * fs) < n; i++) {
		if (isnan(live[i])) {
			sum = NAN;
			break;
		}
		sum += fabs(wrap_deg((live[i] - off[i]) * 180 / M_PI));
		cnt++;
	}
	att_phase_free(p);
	free(off);
	free(live);
	return cnt ? sum / (double)cnt : NAN;
}

/* Streams raw samples through the respiration cleaner (causal, as the engine does). */
static float *clean_stream(const double *x, size_t n, double fs, size_t *out_n, double *out_fs)
{
	struct att_clean *c = NULL;
	if (att_clean_new(&(struct att_clean_cfg){.kind = ATT_CLEAN_RESP, .rate_hz = fs}, &c))
		return NULL;
	float *y = malloc(n * sizeof *y);
	size_t m = 0;
	for (size_t i = 0; y && i < n; i++) {
		double v;
		if (att_clean_push(c, x[i], &v))
			y[m++] = (float)v;
	}
	*out_fs = att_clean_rate(c);
	*out_n = m;
	att_clean_free(c);
	return y;
}

/* Slow (4 /min, paced breathing) to fast (48 /min) breathing, each with a drifting rate. */
static void test_live_phase_agrees_with_offline_on_realistic_breathing(void)
{
	enum { fs = 100, n = 240 * fs };
	static double x[n];
	static float xf[n];
	static const double rates_hz[] = {0.067, 0.1, 0.25, 0.5, 0.8};
	for (size_t k = 0; k < sizeof rates_hz / sizeof rates_hz[0]; k++) {
		double f0 = rates_hz[k];
		struct att_gen_rhythm g = {.fs = fs,
		                           .f0 = f0,
		                           .df = 0.2 * f0,
		                           .drift_s = 90,
		                           .jitter = 0.01,
		                           .rng = {99 + k}};
		for (size_t i = 0; i < n; i++)
			xf[i] = (float)att_gen_breath(att_gen_rhythm_next(&g, i), i / (double)fs,
			                              0);
		struct att_gen_rng r = {7 + k};
		att_gen_add_noise(xf, n, 10, &r);
		for (size_t i = 0; i < n; i++)
			x[i] = xf[i];
		size_t m;
		double fs2;
		float *y = clean_stream(x, n, fs, &m, &fs2);
		CHECK(y != NULL);
		if (!y)
			return;
		CHECK_NEAR(fs2, 25, 1e-9);
		double d = live_vs_offline_deg(y, m, fs2, 10, 0);
		printf("generated 1:2 breath at %.1f /min, 10 dB SNR: live vs offline %.1f deg\n",
		       60 * f0, d);
		CHECK(d <= 20);
		free(y);
	}
}

/* --real: the shared recordings, live phase against offline phase. */
static int run_real(void)
{
	static const struct {
		const char *file, *col;
		double fs;
	} rec[] = {
	        {"neurokit2/bio_resting_5min_100hz.csv", "RSP", 100},
	        {"neurokit2/bio_eventrelated_100hz.csv", "RSP", 100},
	        {"neurokit2/bio_resting_8min_100hz.csv", "RSP", 100},
	        {"wfdb_sample/03700181_125hz.csv", "RESP_NU", 125},
	};
	char path[4096];
	int missing = att_data_path(rec[0].file, path, sizeof path);
	if (missing)
		return missing;
	for (size_t k = 0; k < sizeof rec / sizeof rec[0]; k++) {
		/* Past the first, a missing recording is a failure (the CHECK below), not a skip. */
		att_data_path(rec[k].file, path, sizeof path);
		size_t n = 0, m = 0;
		double fs2 = 0;
		double *x = att_data_column(path, rec[k].col, &n);
		CHECK(x != NULL && n > 30 * rec[k].fs);
		if (!x)
			continue;
		float *y = clean_stream(x, n, rec[k].fs, &m, &fs2);
		CHECK(y != NULL);
		if (y) {
			double from10 = live_vs_offline_deg(y, m, fs2, 10, 0);
			double from30 = live_vs_offline_deg(y, m, fs2, 30, 0);
			double delayed = live_vs_offline_deg(y, m, fs2, 30, 1.0);
			printf("%-40s live vs offline: %.1f deg (from 10 s), %.1f deg (from 30 s); "
			       "read 1 s back + advance: %.1f deg\n",
			       rec[k].file, from10, from30, delayed);
			CHECK(from10 <= 20);
		}
		free(x);
		free(y);
	}
	return att_check_done("phase (real recordings)");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--real"))
		return run_real();
	test_analytic_signal_equals_the_fft_hilbert_definition();
	test_analytic_signal_of_a_cosine_is_its_complex_exponential();
	test_offline_phase_recovers_a_45_degree_offset_and_the_frequency();
	test_live_phase_of_a_sinusoid_is_its_true_phase_now();
	test_live_phase_rejects_bad_configurations();
	test_live_phase_agrees_with_offline_on_realistic_breathing();
	return att_check_done("phase");
}
