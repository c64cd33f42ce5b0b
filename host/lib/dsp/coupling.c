/* Heart-breath coupling (coupling.h). */
#include "attune/coupling.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fftr.h>

#define GRID_HZ      4.0 /* the HRV tools' resampling rate */
#define SEGMENT_N    256 /* 64 s at 4 Hz: 0.016 Hz bins, seven in the LF band */
#define LF_LOW_HZ    0.04
#define LF_HIGH_HZ   0.15
#define BREATH_MIN_S 1.5  /* shorter trough-to-trough spans are not breaths */
#define BREATH_MAX_S 20.0 /* longer ones are pauses or artefacts */

/* Accepted beats as (time, value) points: value 60 / IBI (heart rate) or 1000 IBI (ms). */
static size_t beat_points(const struct att_coupling_in *in, int as_ms, double *t, double *v)
{
	size_t m = 0;

	for (size_t k = 0; k < in->n_beats; k++) {
		if (!in->ibi_ok[k] || !(in->ibi_s[k] > 0.0))
			continue;
		t[m] = in->beat_t[k];
		v[m++] = as_ms ? 1000.0 * in->ibi_s[k] : 60.0 / in->ibi_s[k];
	}
	return m;
}

/* Linear interpolation of the points at GRID_HZ from t[0]; returns the grid length. */
static size_t resample(const double *t, const double *v, size_t m, double *out, size_t cap)
{
	size_t n = 0, k = 0;

	if (m < 2)
		return 0;
	for (double x = t[0]; x <= t[m - 1] && n < cap; x = t[0] + (double)n / GRID_HZ) {
		while (k + 2 < m && t[k + 1] < x)
			k++;
		double w = t[k + 1] > t[k] ? (x - t[k]) / (t[k + 1] - t[k]) : 0.0;
		out[n++] = v[k] + w * (v[k + 1] - v[k]);
	}
	return n;
}

void att_swing_reset(struct att_swing *s)
{
	memset(s, 0, sizeof *s);
	s->trough_t = NAN;
}

void att_swing_beat(struct att_swing *s, double t, double hr_bpm)
{
	s->beat_t[s->head] = t;
	s->beat_hr[s->head] = hr_bpm;
	s->head = (s->head + 1) % ATT_SWING_BEATS;
	if (s->count < ATT_SWING_BEATS)
		s->count++;
}

double att_swing_trough(struct att_swing *s, double t)
{
	double lo = INFINITY, hi = -INFINITY, a = s->trough_t;
	unsigned inside = 0;

	s->trough_t = t;
	if (!(t - a >= BREATH_MIN_S && t - a <= BREATH_MAX_S))
		return NAN;
	for (unsigned k = 0; k < s->count; k++) {
		unsigned i = (s->head + ATT_SWING_BEATS - 1 - k) % ATT_SWING_BEATS;
		if (s->beat_t[i] < a || s->beat_t[i] >= t)
			continue;
		lo = fmin(lo, s->beat_hr[i]);
		hi = fmax(hi, s->beat_hr[i]);
		inside++;
	}
	if (inside < 2)
		return NAN;
	s->recent[s->recent_head] = hi - lo;
	s->recent_head = (s->recent_head + 1) % ATT_SWING_BREATHS;
	if (s->recent_n < ATT_SWING_BREATHS)
		s->recent_n++;
	return hi - lo;
}

double att_swing_bpm(const struct att_swing *s)
{
	double sum = 0.0;

	for (unsigned k = 0; k < s->recent_n; k++)
		sum += s->recent[k];
	return s->recent_n ? sum / (double)s->recent_n : NAN;
}

/* Mean over breaths of the heart rate's range among the beats inside each breath. */
static double hr_swing(const struct att_coupling_in *in, const double *t, const double *hr,
                       size_t m, size_t *breaths)
{
	struct att_swing sw;
	double sum = 0.0;
	size_t used = 0, k = 0;

	att_swing_reset(&sw);
	for (size_t j = 0; j < in->n_troughs; j++) {
		for (; k < m && t[k] < in->trough_t[j]; k++)
			att_swing_beat(&sw, t[k], hr[k]);
		double v = att_swing_trough(&sw, in->trough_t[j]);
		if (isfinite(v)) {
			sum += v;
			used++;
		}
	}
	*breaths = used;
	return used ? sum / (double)used : NAN;
}

/* Removes the least-squares line. */
static void detrend(double *x, size_t n)
{
	double st = 0.0, sx = 0.0, stt = 0.0, stx = 0.0;

	for (size_t i = 0; i < n; i++) {
		st += (double)i;
		sx += x[i];
		stt += (double)i * (double)i;
		stx += (double)i * x[i];
	}
	double den = (double)n * stt - st * st;
	double slope = den != 0.0 ? ((double)n * stx - st * sx) / den : 0.0;
	double icept = (sx - slope * st) / (double)n;
	for (size_t i = 0; i < n; i++)
		x[i] -= icept + slope * (double)i;
}

/* Welch power of x (GRID_HZ) in [LF_LOW_HZ, LF_HIGH_HZ), in x's unit squared. */
static int lf_power(const double *x, size_t n, double *out)
{
	size_t len = (n < SEGMENT_N ? n : SEGMENT_N) & ~(size_t)1, segs = 0;
	kiss_fftr_cfg fft;
	kiss_fft_scalar *buf;
	kiss_fft_cpx *spec;
	double *psd, wsum = 0.0;
	int err = ATT_OK;

	*out = NAN;
	if (len < 32) /* 8 s: not even one LF cycle */
		return ATT_OK;
	fft = kiss_fftr_alloc((int)len, 0, NULL, NULL);
	buf = malloc(len * sizeof *buf);
	spec = malloc((len / 2 + 1) * sizeof *spec);
	psd = calloc(len / 2 + 1, sizeof *psd);
	if (!fft || !buf || !spec || !psd) {
		err = ATT_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		double w = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)len);
		wsum += w * w;
	}
	for (size_t s = 0; s + len <= n; s += len / 2, segs++) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (kiss_fft_scalar)(x[s + i] *
			                           (0.5 - 0.5 * cos(2.0 * M_PI * (double)i /
			                                            (double)len)));
		kiss_fftr(fft, buf, spec);
		for (size_t k = 0; k <= len / 2; k++)
			psd[k] += (double)spec[k].r * spec[k].r + (double)spec[k].i * spec[k].i;
	}
	double df = GRID_HZ / (double)len, sum = 0.0;
	for (size_t k = 1; k < len / 2; k++) {
		double f = (double)k * df;
		if (f >= LF_LOW_HZ && f < LF_HIGH_HZ) /* one-sided density x bin width */
			sum += 2.0 * psd[k] / ((double)segs * GRID_HZ * wsum) * df;
	}
	*out = sum;
out:
	kiss_fftr_free(fft);
	free(buf);
	free(spec);
	free(psd);
	return err;
}

/* One DFT bin at f (Hz) of samples x[i] at t0 + i / rate over [a, b], mean removed. */
static double complex bin_at(const double *x, size_t n, double t0, double rate, double f, double a,
                             double b)
{
	double complex acc = 0.0;
	double mean = 0.0;
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		double t = t0 + (double)i / rate;
		if (t >= a && t <= b) {
			mean += x[i];
			used++;
		}
	}
	if (!used)
		return 0.0;
	mean /= (double)used;
	for (size_t i = 0; i < n; i++) {
		double t = t0 + (double)i / rate;
		if (t >= a && t <= b)
			acc += (x[i] - mean) * cexp(-2.0 * M_PI * I * f * t);
	}
	return acc;
}

/* The heart rate's phase against the belt at the mean breathing frequency, over two or more
 * breaths both cover. */
static double hr_breath_phase(const struct att_coupling_in *in, const double *hr4, size_t n4,
                              double hr_t0)
{
	size_t nt = in->n_troughs;

	if (nt < 3 || !in->belt || in->n_belt < 2 || !(in->belt_rate_hz > 0.0) || n4 < 2)
		return NAN;
	double f = (double)(nt - 1) / (in->trough_t[nt - 1] - in->trough_t[0]);
	double a = fmax(hr_t0, in->belt_t0);
	double b = fmin(hr_t0 + (double)(n4 - 1) / GRID_HZ,
	                in->belt_t0 + (double)(in->n_belt - 1) / in->belt_rate_hz);
	if (!(f > 0.0) || (b - a) * f < 2.0)
		return NAN;
	double complex xb = bin_at(in->belt, in->n_belt, in->belt_t0, in->belt_rate_hz, f, a, b);
	double complex xh = bin_at(hr4, n4, hr_t0, GRID_HZ, f, a, b);
	if (cabs(xb) == 0.0 || cabs(xh) == 0.0)
		return NAN;
	double d = carg(xb * conj(xh)) * 180.0 / M_PI; /* belt minus heart: + when the heart lags */
	return d <= -180.0 ? d + 360.0 : d;
}

int att_coupling_compute(const struct att_coupling_in *in, struct att_coupling *out)
{
	double *t, *v, *grid;
	size_t m, n4, cap;
	int err = ATT_OK;

	if (!in || !out || (in->n_beats && (!in->beat_t || !in->ibi_s || !in->ibi_ok)) ||
	    (in->n_troughs && !in->trough_t))
		return ATT_ERR_ARG;
	*out = (struct att_coupling){NAN, NAN, NAN, 0};
	if (in->n_beats < 3)
		return ATT_OK;
	t = malloc(in->n_beats * sizeof *t);
	v = malloc(in->n_beats * sizeof *v);
	grid = NULL;
	if (t && v) {
		m = beat_points(in, 0, t, v);
		cap = m >= 2 ? (size_t)((t[m - 1] - t[0]) * GRID_HZ) + 2 : 1;
		grid = malloc(cap * sizeof *grid);
	}
	if (!grid) {
		err = ATT_ERR_NOMEM;
		goto out;
	}
	out->hr_swing_bpm = hr_swing(in, t, v, m, &out->breaths);
	n4 = resample(t, v, m, grid, cap);
	out->hr_breath_phase_deg = hr_breath_phase(in, grid, n4, m ? t[0] : 0.0);
	m = beat_points(in, 1, t, v);
	n4 = resample(t, v, m, grid, cap);
	detrend(grid, n4);
	err = lf_power(grid, n4, &out->lf_power_ms2);
out:
	free(t);
	free(v);
	free(grid);
	return err;
}
