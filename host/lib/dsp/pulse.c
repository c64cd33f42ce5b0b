/* PPG beats after Elgendi 2013, inter-beat intervals with outlier rejection, heart rate, RMSSD.
 * See pulse.h for the method.
 *
 * Invariant (live): the rings hold the last `ring` samples of the band-passed signal y and of
 * z = max(y, 0)^2; the moving averages are evaluated at the centre c = i - h2, so every sample
 * they need (up to c + h2 = i) is already in the ring. Running sums are recomputed exactly every
 * RESUM samples so rounding cannot accumulate over a long session. */
#include "attune/pulse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attune/filter.h"

#define MAX_HR_BEATS 64
#define MEDIAN_N     9 /* accepted IBIs the outlier check compares with (about 7 s) */
#define MAX_REJECTS  4 /* this many rejections in a row: the rhythm changed, start afresh */
#define RESUM        4096

/* Sequential IBI bookkeeping shared by the live detector, the batch and att_pulse_stats(). */
struct ibi_track {
	double tol;
	int hr_n;                /* beats in the live rate */
	double recent[MEDIAN_N]; /* last accepted IBIs for the median */
	int n_recent, pos_recent;
	int rejects;
	double hr_ring[MAX_HR_BEATS];
	int n_hr, pos_hr;
	double sd_ring[3 * MAX_HR_BEATS]; /* squared successive differences */
	int n_sd, pos_sd;
	double prev_ok; /* previous IBI if it was accepted and directly preceded, else NAN */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void ibi_init(struct ibi_track *t, double tol, int hr_n)
{
	memset(t, 0, sizeof *t);
	t->tol = tol;
	t->hr_n = hr_n;
	t->prev_ok = NAN;
}

/* Judges one IBI (seconds; NAN for none) and updates the history. Returns 1 when accepted. */
static int ibi_push(struct ibi_track *t, double ibi)
{
	/* 220 bpm and 30 bpm: the plausible range of a resting or exercising adult. */
	int ok = isfinite(ibi) && ibi >= 60.0 / 220 && ibi <= 60.0 / 30;
	if (ok && t->n_recent >= 3) {
		double tmp[MEDIAN_N];
		memcpy(tmp, t->recent, (size_t)t->n_recent * sizeof *tmp);
		qsort(tmp, (size_t)t->n_recent, sizeof *tmp, cmp_double);
		double med = t->n_recent % 2
		                     ? tmp[t->n_recent / 2]
		                     : (tmp[t->n_recent / 2 - 1] + tmp[t->n_recent / 2]) / 2;
		ok = fabs(ibi - med) <= t->tol * med;
	}
	if (!ok && isfinite(ibi) && ibi >= 60.0 / 220 && ibi <= 60.0 / 30 &&
	    ++t->rejects >= MAX_REJECTS) {
		/* The rhythm changed for good (or the history was wrong): trust the new one. */
		t->n_recent = t->pos_recent = 0;
		t->rejects = 0;
		ok = 1;
	}
	if (!ok) {
		t->prev_ok = NAN;
		return 0;
	}
	t->rejects = 0;
	t->recent[t->pos_recent] = ibi;
	t->pos_recent = (t->pos_recent + 1) % MEDIAN_N;
	if (t->n_recent < MEDIAN_N)
		t->n_recent++;
	t->hr_ring[t->pos_hr] = ibi;
	t->pos_hr = (t->pos_hr + 1) % MAX_HR_BEATS;
	if (t->n_hr < MAX_HR_BEATS)
		t->n_hr++;
	if (isfinite(t->prev_ok)) {
		double d = ibi - t->prev_ok;
		t->sd_ring[t->pos_sd] = d * d;
		t->pos_sd = (t->pos_sd + 1) % (3 * MAX_HR_BEATS);
		if (t->n_sd < 3 * MAX_HR_BEATS)
			t->n_sd++;
	}
	t->prev_ok = ibi;
	return 1;
}

/* Breaks the chain of successive IBIs (a gap, a missing beat). */
static void ibi_break(struct ibi_track *t)
{
	t->prev_ok = NAN;
}

static double ibi_hr(const struct ibi_track *t)
{
	int k = t->n_hr < t->hr_n ? t->n_hr : t->hr_n;
	if (k == 0)
		return NAN;
	double sum = 0;
	for (int j = 0; j < k; j++)
		sum += t->hr_ring[(t->pos_hr - 1 - j + MAX_HR_BEATS) % MAX_HR_BEATS];
	return 60 * k / sum;
}

static double ibi_rmssd(const struct ibi_track *t)
{
	int cap = 3 * MAX_HR_BEATS;
	int k = t->n_sd < 3 * t->hr_n ? t->n_sd : 3 * t->hr_n;
	if (k < 2)
		return NAN;
	double sum = 0;
	for (int j = 0; j < k; j++)
		sum += t->sd_ring[(t->pos_sd - 1 - j + cap) % cap];
	return 1000 * sqrt(sum / k);
}

struct att_pulse {
	struct att_pulse_cfg cfg;
	struct att_filter *band;
	int w1, w2, h1, h2; /* window lengths (odd) and half-widths, samples */
	int refractory;     /* samples */
	int ring;           /* ring length (>= w2 + 2) */
	double *y, *z;      /* rings */
	double ema_alpha;

	uint64_t i;     /* next sample index */
	uint64_t since; /* samples since the last gap */
	double sum1, sum2, zmean;
	int in_block;
	uint64_t block_start, block_max_i;
	double block_max, block_frac; /* maximum, and its sub-sample offset */
	int have_beat;
	uint64_t last_beat, last_confirm;
	double last_pos;
	uint32_t count;
	struct ibi_track ibi;
};

static int odd_samples(double s, double rate)
{
	int n = (int)lround(s * rate);
	if (n < 1)
		n = 1;
	return n % 2 ? n : n + 1;
}

static int fill_cfg(const struct att_pulse_cfg *in, struct att_pulse_cfg *c)
{
	if (!in || !(in->rate_hz > 0) || !isfinite(in->rate_hz))
		return ATT_ERR_ARG;
	*c = *in;
	if (c->low_hz == 0)
		c->low_hz = 0.5;
	if (c->high_hz == 0)
		c->high_hz = 8;
	if (c->w1_s == 0)
		c->w1_s = 0.111;
	if (c->w2_s == 0)
		c->w2_s = 0.667;
	if (c->beta == 0)
		c->beta = 0.02;
	if (c->refractory_s == 0)
		c->refractory_s = 0.27;
	if (c->ibi_tolerance == 0)
		c->ibi_tolerance = 0.3;
	if (c->hr_beats == 0)
		c->hr_beats = 10;
	if (c->mean_tau_s == 0)
		c->mean_tau_s = 10;
	if (!(c->low_hz > 0 && c->low_hz < c->high_hz && c->high_hz < c->rate_hz / 2) ||
	    !(c->w1_s > 0 && c->w2_s >= c->w1_s && c->w2_s < 10) || !(c->beta >= 0) ||
	    !(c->refractory_s >= 0) || !(c->ibi_tolerance > 0) || c->hr_beats < 1 ||
	    c->hr_beats > MAX_HR_BEATS || !(c->mean_tau_s > 0))
		return ATT_ERR_ARG;
	return ATT_OK;
}

static struct att_filter_cfg band_cfg(const struct att_pulse_cfg *c)
{
	/* Order 2, as Elgendi: a gentle band that keeps the systolic shape. */
	struct att_filter_cfg fc = {
	        .kind = ATT_FILTER_BANDPASS,
	        .order = 2,
	        .rate_hz = c->rate_hz,
	        .low_hz = c->low_hz,
	        .high_hz = c->high_hz,
	};
	return fc;
}

int att_pulse_new(const struct att_pulse_cfg *cfg, struct att_pulse **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	struct att_pulse_cfg c;
	int err = fill_cfg(cfg, &c);
	if (err)
		return err;
	struct att_pulse *p = calloc(1, sizeof *p);
	if (!p)
		return ATT_ERR_NOMEM;
	p->cfg = c;
	struct att_filter_cfg fc = band_cfg(&c);
	err = att_filter_new(&fc, &p->band);
	p->w1 = odd_samples(c.w1_s, c.rate_hz);
	p->w2 = odd_samples(c.w2_s, c.rate_hz);
	if (p->w2 < p->w1)
		p->w2 = p->w1;
	p->h1 = (p->w1 - 1) / 2;
	p->h2 = (p->w2 - 1) / 2;
	p->refractory = (int)lround(c.refractory_s * c.rate_hz);
	p->ring = p->w2 + 2;
	p->ema_alpha = 1 / (c.mean_tau_s * c.rate_hz);
	if (!err) {
		p->y = calloc((size_t)p->ring, sizeof *p->y);
		p->z = calloc((size_t)p->ring, sizeof *p->z);
		if (!p->y || !p->z)
			err = ATT_ERR_NOMEM;
	}
	if (err) {
		att_pulse_free(p);
		return err;
	}
	att_pulse_reset(p);
	*out = p;
	return ATT_OK;
}

void att_pulse_free(struct att_pulse *p)
{
	if (!p)
		return;
	att_filter_free(p->band);
	free(p->y);
	free(p->z);
	free(p);
}

static void restart(struct att_pulse *p)
{
	p->since = 0;
	p->sum1 = p->sum2 = p->zmean = 0;
	p->in_block = 0;
	p->have_beat = 0;
	memset(p->y, 0, (size_t)p->ring * sizeof *p->y);
	memset(p->z, 0, (size_t)p->ring * sizeof *p->z);
	ibi_break(&p->ibi);
}

void att_pulse_reset(struct att_pulse *p)
{
	restart(p);
	p->i = 0;
	p->count = 0;
	p->last_confirm = 0;
	ibi_init(&p->ibi, p->cfg.ibi_tolerance, p->cfg.hr_beats);
}

static inline double ring_at(const struct att_pulse *p, const double *r, uint64_t idx)
{
	return r[idx % (uint64_t)p->ring];
}

/* Sub-sample offset of a maximum from the parabola through it and its neighbours: at 25-100 Hz
 * a whole sample is 10-40 ms, as large as the beat-to-beat changes RMSSD measures. */
static double peak_offset(double ym1, double y0, double yp1)
{
	double den = ym1 - 2 * y0 + yp1;
	if (!(den < 0))
		return 0;
	double d = 0.5 * (ym1 - yp1) / den;
	return d > 0.5 ? 0.5 : d < -0.5 ? -0.5 : d;
}

/* A candidate beat at sample idx (+ frac) through the refractory rule and IBI tracker. */
static int beat_candidate(struct ibi_track *t, int *have_beat, uint64_t *last_beat,
                          double *last_pos, uint64_t idx, double frac, int refractory, double rate,
                          struct att_beat *beat)
{
	if (*have_beat && idx - *last_beat < (uint64_t)refractory)
		return 0;
	double pos = (double)idx + frac;
	beat->index = idx;
	beat->position = pos;
	beat->ibi_s = *have_beat ? (pos - *last_pos) / rate : NAN;
	beat->ibi_ok = *have_beat ? ibi_push(t, beat->ibi_s) : 0;
	*have_beat = 1;
	*last_beat = idx;
	*last_pos = pos;
	beat->hr_bpm = ibi_hr(t);
	beat->rmssd_ms = ibi_rmssd(t);
	return 1;
}

int att_pulse_push(struct att_pulse *p, double x, struct att_beat *beat)
{
	uint64_t i = p->i++;
	if (!isfinite(x)) {
		restart(p);
		return 0;
	}
	if (p->since == 0)
		att_filter_reset(p->band, x);
	double y = att_filter_step(p->band, x);
	double z = y > 0 ? y * y : 0;
	uint64_t R = (uint64_t)p->ring;
	p->y[i % R] = y;
	p->z[i % R] = z;
	p->since++;

	/* Long average: the last w2 samples, centred on c = i - h2. */
	p->sum2 += z;
	if (p->since > (uint64_t)p->w2)
		p->sum2 -= ring_at(p, p->z, i - (uint64_t)p->w2);
	double a = p->ema_alpha;
	if (p->since * a < 1)
		a = 1.0 / (double)p->since; /* plain mean until the EMA has enough history */
	p->zmean += a * (z - p->zmean);
	if (p->since < (uint64_t)p->w2)
		return 0;
	uint64_t c = i - (uint64_t)p->h2;
	if (p->since == (uint64_t)p->w2 || p->since % RESUM == 0) {
		p->sum1 = p->sum2 = 0;
		for (int k = 0; k < p->w2; k++)
			p->sum2 += ring_at(p, p->z, i - (uint64_t)k);
		for (int k = -p->h1; k <= p->h1; k++)
			p->sum1 += ring_at(p, p->z, c + (uint64_t)(int64_t)k);
	} else {
		p->sum1 += ring_at(p, p->z, c + (uint64_t)p->h1) -
		           ring_at(p, p->z, c - (uint64_t)p->h1 - 1);
	}
	double ma_peak = p->sum1 / p->w1, ma_beat = p->sum2 / p->w2;
	double yc = ring_at(p, p->y, c);
	if (ma_peak > ma_beat + p->cfg.beta * p->zmean) {
		if (!p->in_block || yc > p->block_max) {
			if (!p->in_block) {
				p->in_block = 1;
				p->block_start = c;
			}
			p->block_max = yc;
			p->block_max_i = c;
			/* c + 1 <= i is already in the ring when the centre lags (h2 >= 1). */
			p->block_frac = p->h2 >= 1 && p->since > (uint64_t)p->h2 + 1
			                        ? peak_offset(ring_at(p, p->y, c - 1), yc,
			                                      ring_at(p, p->y, c + 1))
			                        : 0;
		}
		return 0;
	}
	if (!p->in_block)
		return 0;
	p->in_block = 0;
	if (c - p->block_start < (uint64_t)p->w1)
		return 0; /* shorter than a systolic peak: noise */
	struct att_beat b;
	if (!beat_candidate(&p->ibi, &p->have_beat, &p->last_beat, &p->last_pos, p->block_max_i,
	                    p->block_frac, p->refractory, p->cfg.rate_hz, &b))
		return 0;
	b.confirmed = i;
	p->last_confirm = i;
	p->count++;
	if (beat)
		*beat = b;
	return 1;
}

double att_pulse_hr(const struct att_pulse *p)
{
	if (p->count == 0 || (double)(p->i - p->last_confirm) > 3 * p->cfg.rate_hz)
		return NAN;
	return ibi_hr(&p->ibi);
}

double att_pulse_rmssd(const struct att_pulse *p)
{
	if (p->count == 0 || (double)(p->i - p->last_confirm) > 3 * p->cfg.rate_hz)
		return NAN;
	return ibi_rmssd(&p->ibi);
}

uint32_t att_pulse_count(const struct att_pulse *p)
{
	return p->count;
}

void att_pulse_result_free(struct att_pulse_result *r)
{
	if (!r)
		return;
	free(r->beats);
	free(r->ibi_s);
	free(r->ibi_ok);
	free(r->position);
	memset(r, 0, sizeof *r);
	r->hr_bpm = NAN;
	r->rmssd_ms = NAN;
}

int att_pulse_detect(const struct att_pulse_cfg *cfg, const double *x, size_t n,
                     struct att_pulse_result *out)
{
	if (!out)
		return ATT_ERR_ARG;
	memset(out, 0, sizeof *out);
	out->hr_bpm = NAN;
	out->rmssd_ms = NAN;
	struct att_pulse_cfg c;
	int err = fill_cfg(cfg, &c);
	if (err)
		return err;
	if (!x)
		return ATT_ERR_ARG;
	if (n < 2)
		return ATT_ERR_NO_DATA;
	struct att_sos sos;
	struct att_filter_cfg fc = band_cfg(&c);
	if ((err = att_butter(&fc, &sos)))
		return err;
	double *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z);
	double *cz = malloc((n + 1) * sizeof *cz);
	size_t cap = n / 2 + 2;
	out->beats = malloc(cap * sizeof *out->beats);
	out->ibi_s = malloc(cap * sizeof *out->ibi_s);
	out->ibi_ok = malloc(cap * sizeof *out->ibi_ok);
	out->position = malloc(cap * sizeof *out->position);
	if (!y || !z || !cz || !out->beats || !out->ibi_s || !out->ibi_ok || !out->position) {
		err = ATT_ERR_NOMEM;
		goto done;
	}
	/* A NAN would poison the whole zero-phase filter: treat it as a flat stretch. */
	for (size_t i = 0; i < n; i++)
		y[i] = isfinite(x[i]) ? x[i] : (i ? y[i - 1] : 0);
	if ((err = att_sosfiltfilt(&sos, y, y, n)))
		goto done;
	double zsum = 0;
	cz[0] = 0;
	for (size_t i = 0; i < n; i++) {
		z[i] = y[i] > 0 ? y[i] * y[i] : 0;
		zsum += z[i];
		cz[i + 1] = cz[i] + z[i];
	}
	double thr_off = c.beta * zsum / (double)n;
	size_t w1 = (size_t)odd_samples(c.w1_s, c.rate_hz),
	       w2 = (size_t)odd_samples(c.w2_s, c.rate_hz);
	size_t h1 = (w1 - 1) / 2, h2 = (w2 - 1) / 2;
	int refractory = (int)lround(c.refractory_s * c.rate_hz);
	struct ibi_track t;
	ibi_init(&t, c.ibi_tolerance, MAX_HR_BEATS);
	int have_beat = 0, in_block = 0;
	uint64_t last_beat = 0;
	double last_pos = 0;
	size_t start = 0, max_i = 0;
	double ok_sum = 0, sd_sum = 0;
	size_t sd_n = 0;
	double prev_ok = NAN;
	for (size_t i = 0; i <= n; i++) {
		int above = 0;
		if (i < n) {
			/* Centred averages; near the ends over the samples that exist. */
			size_t a1 = i > h1 ? i - h1 : 0, b1 = i + h1 + 1 < n ? i + h1 + 1 : n;
			size_t a2 = i > h2 ? i - h2 : 0, b2 = i + h2 + 1 < n ? i + h2 + 1 : n;
			double ma1 = (cz[b1] - cz[a1]) / (double)(b1 - a1);
			double ma2 = (cz[b2] - cz[a2]) / (double)(b2 - a2);
			above = ma1 > ma2 + thr_off;
		}
		if (above) {
			if (!in_block) {
				in_block = 1;
				start = max_i = i;
			} else if (y[i] > y[max_i]) {
				max_i = i;
			}
			continue;
		}
		if (!in_block)
			continue;
		in_block = 0;
		if (i - start < w1)
			continue;
		struct att_beat b;
		double frac = max_i > 0 && max_i + 1 < n
		                      ? peak_offset(y[max_i - 1], y[max_i], y[max_i + 1])
		                      : 0;
		if (!beat_candidate(&t, &have_beat, &last_beat, &last_pos, max_i, frac, refractory,
		                    c.rate_hz, &b))
			continue;
		size_t k = out->n_beats++;
		out->beats[k] = max_i;
		out->position[k] = b.position;
		out->ibi_s[k] = b.ibi_s;
		out->ibi_ok[k] = (unsigned char)b.ibi_ok;
		if (b.ibi_ok) {
			ok_sum += b.ibi_s;
			out->n_ok++;
			if (isfinite(prev_ok)) {
				sd_sum += (b.ibi_s - prev_ok) * (b.ibi_s - prev_ok);
				sd_n++;
			}
			prev_ok = b.ibi_s;
		} else {
			prev_ok = NAN;
		}
	}
	if (out->n_ok > 0)
		out->hr_bpm = 60 * (double)out->n_ok / ok_sum;
	if (sd_n >= 2)
		out->rmssd_ms = 1000 * sqrt(sd_sum / (double)sd_n);
done:
	free(y);
	free(z);
	free(cz);
	if (err) {
		att_pulse_result_free(out);
	}
	return err;
}

void att_pulse_stats(const double *beat_t_s, size_t n, double ibi_tolerance, double *hr_bpm,
                     double *rmssd_ms)
{
	struct ibi_track t;
	ibi_init(&t, ibi_tolerance > 0 ? ibi_tolerance : 0.3, MAX_HR_BEATS);
	double ok_sum = 0, sd_sum = 0, prev_ok = NAN;
	size_t ok_n = 0, sd_n = 0;
	for (size_t i = 1; beat_t_s && i < n; i++) {
		double ibi = beat_t_s[i] - beat_t_s[i - 1];
		if (ibi_push(&t, ibi)) {
			ok_sum += ibi;
			ok_n++;
			if (isfinite(prev_ok)) {
				sd_sum += (ibi - prev_ok) * (ibi - prev_ok);
				sd_n++;
			}
			prev_ok = ibi;
		} else {
			prev_ok = NAN;
		}
	}
	if (hr_bpm)
		*hr_bpm = ok_n ? 60 * (double)ok_n / ok_sum : NAN;
	if (rmssd_ms)
		*rmssd_ms = sd_n >= 2 ? 1000 * sqrt(sd_sum / (double)sd_n) : NAN;
}
