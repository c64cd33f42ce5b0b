/* Breath detection against truth by construction: breaths with inhale:exhale 1:2, a rate drifting
 * 6 -> 15 /min, depth changes, baseline wander, white + pink noise at 10 dB SNR and a 2 s motion
 * artefact, through the respiration cleaner, live (causal) and offline (zero-phase).
 *
 * Run with --data for the real recordings in $ATTUNE_DATA (exit 77 when absent, unless
 * ATTUNE_REQUIRE_DATA=1). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/breath.h"
#include "check.h"
#include "attune/filter.h"
#include "noise.h"
#include "shared_data.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Deterministic noise (tests/noise.h) from this seed. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* Breath shape over one cycle p in [0, 1): inhale rises 0 -> 1 over the first third, exhale falls
 * over two thirds (inhale:exhale 1:2); smooth at both joints. Trough at p = 0, peak at 1/3. */
static double breath_shape(double p)
{
	if (p < 1.0 / 3)
		return (1 - cos(M_PI * p * 3)) / 2;
	return (1 + cos(M_PI * (p - 1.0 / 3) * 1.5)) / 2;
}

struct truth {
	double *trough_t; /* seconds of each true trough */
	size_t n;
};

/* Breath count phi(t) for a rate going linearly from r0 to r1 breaths/min over dur seconds. */
static double breaths_at(double t, double r0, double r1, double dur)
{
	return (r0 * t + (r1 - r0) * t * t / (2 * dur)) / 60;
}

static double time_of_breath(double k, double r0, double r1, double dur)
{
	/* Solve (r1 - r0) / (2 dur) t^2 + r0 t - 60 k = 0. */
	double a = (r1 - r0) / (2 * dur);
	if (fabs(a) < 1e-15)
		return 60 * k / r0;
	return (-r0 + sqrt(r0 * r0 + 4 * a * 60 * k)) / (2 * a);
}

/* The realistic belt signal at rate_hz. Returns the samples (caller frees); truth filled. */
static double *make_breathing(double rate_hz, double dur, int artefact, struct truth *tr)
{
	size_t n = (size_t)(rate_hz * dur);
	double *sig = malloc(n * sizeof *sig), *noise = malloc(n * sizeof *noise);
	const double r0 = 6, r1 = 15;
	double ps = 0;
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / rate_hz;
		double phi = breaths_at(t, r0, r1, dur);
		double k = floor(phi);
		/* Depth changes breath by breath: a slow swing and a shallow stretch at 40 %. */
		double amp = 1 + 0.3 * sin(2 * M_PI * k / 13);
		if (t > dur * 0.55 && t < dur * 0.75)
			amp *= 0.4;
		sig[i] = amp * (breath_shape(phi - k) - 1.0 / 3);
		ps += sig[i] * sig[i];
	}
	ps /= (double)n;
	/* White + pink (Kellet's filter) noise, half the noise power each, total at 10 dB SNR. */
	double b[7] = {0};
	double pw = 0, pp = 0;
	double *pink = malloc(n * sizeof *pink);
	for (size_t i = 0; i < n; i++) {
		double w = att_gauss(&rng_state);
		b[0] = 0.99886 * b[0] + w * 0.0555179;
		b[1] = 0.99332 * b[1] + w * 0.0750759;
		b[2] = 0.96900 * b[2] + w * 0.1538520;
		b[3] = 0.86650 * b[3] + w * 0.3104856;
		b[4] = 0.55000 * b[4] + w * 0.5329522;
		b[5] = -0.7616 * b[5] - w * 0.0168980;
		pink[i] = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
		b[6] = w * 0.115926;
		noise[i] = att_gauss(&rng_state);
		pw += noise[i] * noise[i];
		pp += pink[i] * pink[i];
	}
	double pn = ps / 10;
	double sw = sqrt(pn / 2 / (pw / (double)n)), sp = sqrt(pn / 2 / (pp / (double)n));
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / rate_hz;
		double base = 2.5 + 0.8 * sin(2 * M_PI * t / 170) + 0.3 * t / dur;
		sig[i] += base + sw * noise[i] + sp * pink[i];
		/* Motion artefact: 2 s of a jolt, several breath depths, at 40 % of the record. */
		double ta = dur * 0.4;
		if (artefact && t >= ta && t < ta + 2) {
			double h = sin(M_PI * (t - ta) / 2);
			sig[i] += h * h * (2.5 + 2 * sin(2 * M_PI * 2.3 * (t - ta)));
		}
	}
	free(noise);
	free(pink);
	double total = breaths_at(dur, r0, r1, dur);
	tr->n = (size_t)floor(total) + 1;
	tr->trough_t = malloc(tr->n * sizeof *tr->trough_t);
	for (size_t k = 0; k < tr->n; k++)
		tr->trough_t[k] = time_of_breath((double)k, r0, r1, dur);
	return sig;
}

/* True rate of the breath ending nearest time t. */
static double true_rate_at(const struct truth *tr, double t)
{
	size_t best = 1;
	for (size_t k = 1; k < tr->n; k++)
		if (fabs(tr->trough_t[k] - t) < fabs(tr->trough_t[best] - t))
			best = k;
	return 60 / (tr->trough_t[best] - tr->trough_t[best - 1]);
}

struct verdict {
	size_t breaths; /* troughs in the judged span */
	size_t true_breaths;
	double mean_rate, true_mean_rate;
	double median_err; /* median |breath-by-breath rate - truth| */
	double smooth_err; /* median |smoothed rate - truth averaged likewise| */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Judges troughs (seconds, with each breath's rate) against the truth over [t_from, t_to]. */
static struct verdict judge(const struct truth *tr, const double *t, const double *rate, size_t n,
                            double delay_s, double t_from, double t_to)
{
	struct verdict v = {0};
	double *err = malloc((n + 1) * sizeof *err);
	size_t ne = 0;
	double first = NAN, last = NAN;
	size_t intervals = 0;
	for (size_t i = 0; i < n; i++) {
		double tt = t[i] - delay_s;
		if (tt < t_from || tt > t_to)
			continue;
		v.breaths++;
		if (isnan(first))
			first = tt;
		else
			intervals++;
		last = tt;
		if (isfinite(rate[i]))
			err[ne++] = fabs(rate[i] - true_rate_at(tr, tt));
	}
	for (size_t k = 0; k < tr->n; k++)
		v.true_breaths += tr->trough_t[k] >= t_from && tr->trough_t[k] <= t_to;
	v.mean_rate = 60 * (double)intervals / (last - first);
	/* Truth over the same span: breaths elapsed between the two detected troughs. */
	double r0 = 6, r1 = 15, dur = tr->trough_t[tr->n - 1];
	(void)dur;
	v.true_mean_rate = NAN;
	if (intervals > 0) {
		/* Count true breaths between the first and the last detected trough, by time. */
		double kf = NAN, kl = NAN;
		for (size_t k = 0; k < tr->n; k++) {
			if (isnan(kf) ||
			    fabs(tr->trough_t[k] - first) < fabs(tr->trough_t[(size_t)kf] - first))
				kf = (double)k;
			if (isnan(kl) ||
			    fabs(tr->trough_t[k] - last) < fabs(tr->trough_t[(size_t)kl] - last))
				kl = (double)k;
		}
		v.true_mean_rate =
		        60 * (kl - kf) / (tr->trough_t[(size_t)kl] - tr->trough_t[(size_t)kf]);
	}
	(void)r0;
	(void)r1;
	qsort(err, ne, sizeof *err, cmp_double);
	v.median_err = ne ? err[ne / 2] : NAN;
	free(err);
	return v;
}

static void realistic_breathing_gives_rate_and_count(double rate_hz, int artefact)
{
	const double dur = 300;
	struct truth tr;
	rng_state = 0x9E3779B97F4A7C15ull + (uint64_t)rate_hz;
	double *raw = make_breathing(rate_hz, dur, artefact, &tr);
	size_t n = (size_t)(rate_hz * dur);

	/* Offline: zero-phase cleaning, so troughs sit where they are in the signal. */
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = rate_hz};
	size_t m = att_clean_len(&cc, n);
	double *y = malloc(m * sizeof *y), out_rate = 0;
	CHECK(att_clean_batch(&cc, raw, n, y, &out_rate) == ATT_OK);
	struct att_breath_result r;
	struct att_breath_cfg bc = {.rate_hz = out_rate};
	CHECK(att_breath_detect(&bc, y, m, &r) == ATT_OK);
	double *tt = malloc((r.n_troughs + 1) * sizeof *tt);
	for (size_t i = 0; i < r.n_troughs; i++)
		tt[i] = (double)r.troughs[i] / out_rate;
	/* Judge away from the ends, where filtfilt's padding and the detector's warm-up live. */
	struct verdict v = judge(&tr, tt, r.rate_bpm, r.n_troughs, 0, 10, dur - 5);
	printf("offline %g Hz%s: %zu breaths (truth %zu), mean rate %.3f (truth %.3f), "
	       "median breath error %.3f /min\n",
	       rate_hz, artefact ? " +artefact" : "", v.breaths, v.true_breaths, v.mean_rate,
	       v.true_mean_rate, v.median_err);
	CHECK(labs((long)v.breaths - (long)v.true_breaths) <= 1);
	CHECK_NEAR(v.mean_rate, v.true_mean_rate, 0.3);
	/* One breath's duration carries the timing noise of two crossings; the rates the program
	 * shows are the mean and the smoothed rate, checked to 0.3 /min. */
	CHECK(v.median_err < 0.5);
	/* A peak lies between two troughs (a wiggle merged into a breath may leave two peaks). */
	CHECK(r.n_peaks + 1 >= r.n_troughs);
	CHECK(r.n_peaks <= r.n_troughs + 3);
	for (size_t i = 1; i < r.n_troughs; i++)
		CHECK(r.troughs[i] > r.troughs[i - 1]);
	/* Each true trough in the span has a detected one within 1 s (the 1 Hz low-pass rounds
	 * the sharp inhale onset, which moves the minimum earlier by a few tenths of a second). */
	size_t matched = 0, judged = 0;
	for (size_t k = 0; k < tr.n; k++) {
		if (tr.trough_t[k] < 10 || tr.trough_t[k] > dur - 5)
			continue;
		judged++;
		for (size_t i = 0; i < r.n_troughs; i++)
			if (fabs(tt[i] - tr.trough_t[k]) < 1.0) {
				matched++;
				break;
			}
	}
	CHECK(matched + (artefact ? 1 : 0) >= judged);

	/* Live: causal cleaner and the streaming detector, sample by sample. */
	struct att_clean *c;
	struct att_breath *b;
	CHECK(att_clean_new(&cc, &c) == ATT_OK);
	CHECK(att_breath_new(&bc, &b) == ATT_OK);
	size_t nl = 0, nlp = 0;
	double *lt = malloc(m * sizeof *lt), *lr = malloc(m * sizeof *lr);
	double *ls = malloc(m * sizeof *ls);
	uint64_t prev_idx = 0;
	int ordered = 1, alternate = 1;
	enum att_breath_kind last_kind = ATT_BREATH_PEAK;
	int have_last = 0;
	for (size_t i = 0; i < n; i++) {
		double v1;
		struct att_breath_event ev;
		if (!att_clean_push(c, raw[i], &v1) || !att_breath_push(b, v1, &ev))
			continue;
		if (ev.index < prev_idx || ev.index >= ev.confirmed)
			ordered = 0;
		prev_idx = ev.index;
		if (have_last && ev.kind == ATT_BREATH_TROUGH && last_kind == ATT_BREATH_TROUGH)
			alternate = 0;
		have_last = 1;
		last_kind = ev.kind;
		if (ev.kind == ATT_BREATH_TROUGH) {
			lt[nl] = (double)ev.index / out_rate;
			lr[nl] = ev.rate_bpm;
			ls[nl] = ev.smoothed_bpm;
			nl++;
		} else {
			nlp++;
		}
	}
	CHECK(ordered);
	CHECK(alternate);
	CHECK(att_breath_count(b) == nl);
	/* The causal band-pass delays a slow breath by a fraction of a second; estimate the delay
	 * as the median offset to the nearest true trough and judge the rest with it. */
	double *off = malloc((nl + 1) * sizeof *off);
	size_t no = 0;
	for (size_t i = 0; i < nl; i++) {
		double best = 1e9;
		for (size_t k = 0; k < tr.n; k++)
			if (fabs(lt[i] - tr.trough_t[k]) < fabs(best))
				best = lt[i] - tr.trough_t[k];
		if (fabs(best) < 2)
			off[no++] = best;
	}
	qsort(off, no, sizeof *off, cmp_double);
	double delay = no ? off[no / 2] : 0;
	struct verdict lv = judge(&tr, lt, lr, nl, delay, 10, dur - 5);
	printf("live    %g Hz%s: %zu breaths (truth %zu), mean rate %.3f (truth %.3f), "
	       "median breath error %.3f /min, delay %.2f s\n",
	       rate_hz, artefact ? " +artefact" : "", lv.breaths, lv.true_breaths, lv.mean_rate,
	       lv.true_mean_rate, lv.median_err, delay);
	CHECK(labs((long)lv.breaths - (long)lv.true_breaths) <= 1);
	CHECK_NEAR(lv.mean_rate, lv.true_mean_rate, 0.3);
	CHECK(lv.median_err < 0.5);
	CHECK(fabs(delay) < 1.0);
	/* The smoothed rate (4 breaths) follows the drift: near the truth of the last 4 breaths. */
	size_t ns = 0;
	double *serr = malloc((nl + 1) * sizeof *serr);
	for (size_t i = 0; i < nl; i++) {
		double t = lt[i] - delay;
		if (t < 60 || t > dur - 5 || !isfinite(ls[i]))
			continue;
		if (artefact && fabs(t - dur * 0.4) < 40)
			continue;
		size_t k = 0;
		for (size_t j = 0; j < tr.n; j++)
			if (fabs(tr.trough_t[j] - t) < fabs(tr.trough_t[k] - t))
				k = j;
		if (k < 4)
			continue;
		double want = 60 * 4 / (tr.trough_t[k] - tr.trough_t[k - 4]);
		serr[ns++] = fabs(ls[i] - want);
	}
	qsort(serr, ns, sizeof *serr, cmp_double);
	double smed = ns ? serr[ns / 2] : NAN, s90 = ns ? serr[ns * 9 / 10] : NAN;
	printf("live smoothed rate error over %zu breaths: median %.3f, 90th percentile %.3f /min\n",
	       ns, smed, s90);
	CHECK(ns > 20);
	CHECK(smed < 0.3);
	CHECK(s90 < 0.6);
	free(serr);
	CHECK(isfinite(att_breath_rate(b)));
	/* Then the belt falls off: after max_breath_s without a trough the rate is unknown. */
	for (int i = 0; i < 25 * 25; i++) {
		struct att_breath_event ev;
		att_breath_push(b, 0, &ev);
	}
	CHECK(isnan(att_breath_rate(b)));

	att_clean_free(c);
	att_breath_free(b);
	att_breath_result_free(&r);
	free(off);
	free(lt);
	free(lr);
	free(ls);
	free(tt);
	free(y);
	free(raw);
	free(tr.trough_t);
}

/* A sine breath at 12 /min whose depth drops 5-fold and returns: every breath still counts. */
static void depth_changes_do_not_lose_breaths(void)
{
	struct att_breath_cfg bc = {.rate_hz = 25};
	struct att_breath *b;
	CHECK(att_breath_new(&bc, &b) == ATT_OK);
	uint32_t troughs = 0;
	for (int i = 0; i < 25 * 180; i++) {
		double t = i / 25.0;
		double a = t > 60 && t < 120 ? 0.2 : 1.0;
		struct att_breath_event ev;
		if (att_breath_push(b, -a * cos(2 * M_PI * 0.2 * t), &ev) &&
		    ev.kind == ATT_BREATH_TROUGH && t > 5) {
			troughs++;
			/* Exact except for the breath spanning each change of depth, whose
			 * mid-exhale moves with the depth. */
			double te = (double)ev.index / 25;
			int spans = fabs(te - 60) < 5.5 || fabs(te - 120) < 5.5;
			if (isfinite(ev.rate_bpm) && !spans)
				CHECK_NEAR(ev.rate_bpm, 12, 0.05);
			if (isfinite(ev.rate_bpm))
				CHECK_NEAR(ev.rate_bpm, 12, 1.0);
		}
	}
	/* True troughs at 5, 10, ..., 175 s (t = 0 is the start, before the warm-up). */
	CHECK(troughs == 35);
	CHECK(att_breath_count(b) == 35);
	CHECK_NEAR(att_breath_rate(b), 12, 0.05);
	att_breath_reset(b);
	CHECK(att_breath_count(b) == 0);
	CHECK(isnan(att_breath_rate(b)));
	att_breath_free(b);
}

/* The belt comes off: ADC noise (1 count) on a steady level must not become breaths, though the
 * detector's threshold follows the signal down. */
static void belt_coming_off_gives_no_breaths_from_noise(void)
{
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = 100};
	struct att_clean *c;
	struct att_breath *b;
	CHECK(att_clean_new(&cc, &c) == ATT_OK);
	CHECK(att_breath_new(&(struct att_breath_cfg){.rate_hz = att_clean_rate(c)}, &b) == ATT_OK);
	rng_state = 42;
	uint32_t on = 0, off = 0;
	for (int i = 0; i < 100 * 300; i++) {
		double t = i / 100.0;
		double x = round(512 + (t < 120 ? 80 * sin(2 * M_PI * 0.25 * t) : 0) +
		                 att_gauss(&rng_state));
		double y;
		struct att_breath_event ev;
		if (att_clean_push(c, x, &y) && att_breath_push(b, y, &ev) &&
		    ev.kind == ATT_BREATH_TROUGH) {
			double te = (double)ev.index / att_clean_rate(c);
			on += te < 120;
			off += te > 130;
		}
	}
	printf("belt on 120 s: %u breaths (truth 29-30); off 170 s: %u breaths\n", on, off);
	CHECK(on >= 29 && on <= 30);
	CHECK(off == 0);
	CHECK(isnan(att_breath_rate(b)));
	att_clean_free(c);
	att_breath_free(b);
}

static void no_breathing_gives_no_breaths(void)
{
	struct att_breath_cfg bc = {.rate_hz = 25};
	size_t n = 25 * 120;
	double *x = calloc(n, sizeof *x);
	struct att_breath_result r;
	CHECK(att_breath_detect(&bc, x, n, &r) == ATT_OK);
	CHECK(r.n_troughs == 0);
	CHECK(isnan(r.mean_rate_bpm));
	att_breath_result_free(&r);
	att_breath_result_free(NULL);
	att_breath_free(NULL);
	free(x);

	struct att_breath *b;
	CHECK(att_breath_new(&(struct att_breath_cfg){.rate_hz = 0}, &b) == ATT_ERR_ARG);
	CHECK(b == NULL);
	CHECK(att_breath_new(&(struct att_breath_cfg){.rate_hz = 25, .hysteresis = -1}, &b) ==
	      ATT_ERR_ARG);
	CHECK(att_breath_new(&(struct att_breath_cfg){.rate_hz = 25, .smooth_breaths = 1000}, &b) ==
	      ATT_ERR_ARG);
	/* NAN is a gap: no crash, no event, the count survives only until reset. */
	CHECK(att_breath_new(&bc, &b) == ATT_OK);
	struct att_breath_event ev;
	CHECK(att_breath_push(b, NAN, &ev) == 0);
	att_breath_free(b);
}

/* Mean rate (breaths / time) and median breath-by-breath rate of a real recording, live or
 * offline. NAN when the file cannot be read. */
static void data_rate(const char *file, const char *column, double rate_hz, int live, size_t from,
                      size_t to, double *mean, double *median)
{
	*mean = *median = NAN;
	char path[1024];
	if (att_data_path(file, path, sizeof path))
		return;
	size_t n = 0;
	double *x = att_data_column(path, column, &n);
	if (!x)
		return;
	/* Rows [from, to) only (to == 0: to the end). */
	if (to == 0 || to > n)
		to = n;
	if (from > 0 && from < to)
		memmove(x, x + from, (to - from) * sizeof *x);
	n = to - (from < to ? from : to);
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = rate_hz};
	struct att_breath_cfg bc = {.rate_hz = rate_hz / att_decim_factor(rate_hz, 25)};
	size_t breaths = 0;
	if (!live) {
		double *y = malloc(att_clean_len(&cc, n) * sizeof *y);
		struct att_breath_result r;
		if (att_clean_batch(&cc, x, n, y, NULL) == ATT_OK &&
		    att_breath_detect(&bc, y, att_clean_len(&cc, n), &r) == ATT_OK) {
			*mean = r.mean_rate_bpm;
			*median = r.median_rate_bpm;
			breaths = r.n_troughs;
			att_breath_result_free(&r);
		}
		free(y);
	} else {
		struct att_clean *c = NULL;
		struct att_breath *b = NULL;
		double *rates = malloc(n * sizeof *rates);
		size_t nr = 0;
		if (att_clean_new(&cc, &c) == ATT_OK && att_breath_new(&bc, &b) == ATT_OK) {
			uint64_t first = 0, last = 0;
			for (size_t i = 0; i < n; i++) {
				double v;
				struct att_breath_event ev;
				if (!att_clean_push(c, x[i], &v) || !att_breath_push(b, v, &ev) ||
				    ev.kind != ATT_BREATH_TROUGH)
					continue;
				if (breaths++ == 0)
					first = ev.index;
				last = ev.index;
				if (isfinite(ev.rate_bpm))
					rates[nr++] = ev.rate_bpm;
			}
			*mean = 60 * bc.rate_hz * (double)(breaths - 1) / (double)(last - first);
			qsort(rates, nr, sizeof *rates, cmp_double);
			*median = nr ? rates[nr / 2] : NAN;
		}
		att_breath_free(b);
		att_clean_free(c);
		free(rates);
	}
	printf("%s %s: %zu breaths, mean %.2f /min, median %.2f /min\n", file,
	       live ? "live" : "offline", breaths, *mean, *median);
	free(x);
}

static int real_recordings(void)
{
	char path[1024];
	int missing = att_data_path("neurokit2/bio_resting_5min_100hz.csv", path, sizeof path);
	if (missing)
		return missing;
	/* Reference figures from ../shared/data/SOURCES.md: the spectral (Welch) peak, which the
	 * median breath matches, and the peak count (84 in 300 s; 197 in 600 s), which the mean
	 * rate matches. They differ in the ICU record, whose breathing speeds up to 23 /min in
	 * some minutes. */
	for (int live = 0; live < 2; live++) {
		double mean, median;
		data_rate("neurokit2/bio_resting_5min_100hz.csv", "RSP", 100, live, 0, 0, &mean,
		          &median);
		CHECK_NEAR(median, 16.9, 0.5);
		CHECK_NEAR(mean, 16.8, 0.5);
		data_rate("wfdb_sample/03700181_125hz.csv", "RESP_NU", 125, live, 0, 0, &mean,
		          &median);
		CHECK_NEAR(median, 18.0, 0.5);
		CHECK_NEAR(mean, 19.7, 0.5);
		/* Slow breather, cropped to the resting part (PhotoSensor low, rows 2019..50025):
		 * peak count 9.2 /min. (Its spectral peak, 8.6, sits below the breaths of 6-12 /min
		 * and is not the typical breath here.) */
		data_rate("neurokit2/bio_resting_8min_100hz.csv", "RSP", 100, live, 2019, 50026,
		          &mean, &median);
		CHECK_NEAR(mean, 9.2, 0.5);
	}
	return att_check_done("breath (real recordings)");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--data") == 0)
		return real_recordings();
	depth_changes_do_not_lose_breaths();
	no_breathing_gives_no_breaths();
	belt_coming_off_gives_no_breaths_from_noise();
	realistic_breathing_gives_rate_and_count(100, 0);
	realistic_breathing_gives_rate_and_count(100, 1);
	realistic_breathing_gives_rate_and_count(250, 1);
	realistic_breathing_gives_rate_and_count(1000, 1);
	realistic_breathing_gives_rate_and_count(25, 1);
	return att_check_done("breath");
}
