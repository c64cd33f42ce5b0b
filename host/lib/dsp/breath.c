/* Breath detector: hysteresis on the cleaned respiration signal, threshold relative to a slow,
 * clipped running RMS. See breath.h for the method.
 *
 * Breath durations are timed between exhale mid-level crossings, not between troughs: at a trough
 * the slope is zero, so noise moves the minimum by a large fraction of a second, while halfway
 * down the exhale the signal is steep and the crossing time barely moves (with 10 dB of pink noise
 * this cut the breath-by-breath error several-fold). The crossing level is fixed when the peak is
 * confirmed, halfway between that peak and the trough before it.
 *
 * Invariant: `state` says which extremum is being followed; the tracked extremum (ext, ext_i)
 * always lies between the last confirmed event and the current sample. */
#include "attune/breath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* When a belt comes off, the cleaned signal is sensor noise and a purely relative threshold
 * would soon count noise wiggles as breaths. The threshold therefore never drops below
 * SLOW_FLOOR of the amplitude seen over the last SLOW_TAU_S: a tenth still passes breaths 10 x
 * shallower than before, while noise 50 x smaller stays silent for minutes (quality.h flags the
 * channel FLAT meanwhile). */
#define SLOW_TAU_S 120.0
#define SLOW_FLOOR 0.1

/* Longest smoothing window accepted (the ring of breath durations is fixed-size). */
#define SMOOTH_MAX 64

enum state {
	SEEK_EITHER, /* start: follow both the maximum and the minimum */
	SEEK_PEAK,
	SEEK_TROUGH,
};

struct att_breath {
	struct att_breath_cfg cfg;
	uint64_t warmup; /* samples before the first event may be confirmed */
	double alpha;    /* EMA weight of the amplitude tracker */

	uint64_t i;     /* index of the next sample */
	uint64_t since; /* samples since the last reset by a gap */
	double ms;      /* running mean square (clipped) */
	double ms_slow; /* the same over SLOW_TAU_S: the floor of the threshold */
	double alpha_slow;
	enum state state;
	double hi, lo; /* extrema followed (hi for peaks, lo for troughs) */
	uint64_t hi_i, lo_i;
	int have_event;
	double last_value; /* value of the last confirmed extremum */

	int have_trough;
	uint64_t trough_i;      /* index of the last trough */
	double last_x;          /* previous sample, to interpolate crossings */
	double level;           /* exhale mid-level of the current breath */
	int armed;              /* waiting for the exhale to cross level */
	double cross;           /* fractional index of this breath's crossing; NAN if none */
	double prev_cross;      /* the previous breath's; NAN if none */
	uint32_t count;         /* troughs since new/reset */
	double dur[SMOOTH_MAX]; /* recent breath durations in samples, ring */
	int n_dur, dur_pos;
};

static int fill_cfg(const struct att_breath_cfg *in, struct att_breath_cfg *c)
{
	if (!in || !(in->rate_hz > 0) || !isfinite(in->rate_hz))
		return ATT_ERR_ARG;
	*c = *in;
	if (c->hysteresis == 0)
		c->hysteresis = 0.2;
	if (c->amp_tau_s == 0)
		c->amp_tau_s = 8;
	if (c->min_breath_s == 0)
		c->min_breath_s = 1.0;
	if (c->max_breath_s == 0)
		c->max_breath_s = 20;
	if (c->smooth_breaths == 0)
		c->smooth_breaths = 4;
	if (!(c->hysteresis > 0 && c->hysteresis < 2) || !(c->amp_tau_s > 0) ||
	    !(c->min_breath_s > 0) || !(c->max_breath_s > c->min_breath_s) ||
	    c->smooth_breaths < 1 || c->smooth_breaths > SMOOTH_MAX)
		return ATT_ERR_ARG;
	return ATT_OK;
}

static void restart(struct att_breath *b)
{
	b->since = 0;
	b->ms = 0;
	b->ms_slow = 0;
	b->state = SEEK_EITHER;
	b->have_event = 0;
	b->have_trough = 0;
	b->armed = 0;
	b->cross = NAN;
	b->prev_cross = NAN;
	b->last_x = NAN;
	b->n_dur = 0;
	b->dur_pos = 0;
}

int att_breath_new(const struct att_breath_cfg *cfg, struct att_breath **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	struct att_breath_cfg c;
	int err = fill_cfg(cfg, &c);
	if (err)
		return err;
	struct att_breath *b = calloc(1, sizeof *b);
	if (!b)
		return ATT_ERR_NOMEM;
	b->cfg = c;
	b->alpha = 1 / (c.amp_tau_s * c.rate_hz);
	if (b->alpha > 1)
		b->alpha = 1;
	b->alpha_slow = 1 / (SLOW_TAU_S * c.rate_hz);
	if (b->alpha_slow > b->alpha)
		b->alpha_slow = b->alpha;
	/* A quarter of the amplitude time constant: enough signal for a first amplitude estimate,
	 * short enough to catch the second breath at the slowest rate. */
	b->warmup = (uint64_t)ceil(c.amp_tau_s * c.rate_hz / 4);
	att_breath_reset(b);
	*out = b;
	return ATT_OK;
}

void att_breath_free(struct att_breath *b)
{
	free(b);
}

void att_breath_reset(struct att_breath *b)
{
	restart(b);
	b->i = 0;
	b->count = 0;
}

static double smoothed(const struct att_breath *b)
{
	if (b->n_dur == 0)
		return NAN;
	int k = b->n_dur < b->cfg.smooth_breaths ? b->n_dur : b->cfg.smooth_breaths;
	double sum = 0;
	for (int j = 0; j < k; j++) {
		int pos = (b->dur_pos - 1 - j + SMOOTH_MAX) % SMOOTH_MAX;
		sum += b->dur[pos];
	}
	return 60 * b->cfg.rate_hz * k / sum;
}

static void on_trough(struct att_breath *b, uint64_t idx, struct att_breath_event *ev)
{
	ev->rate_bpm = NAN;
	b->armed = 0;
	double d = b->cross - b->prev_cross; /* NAN when either crossing is missing */
	b->prev_cross = b->cross;
	b->cross = NAN;
	if (b->have_trough && (double)(idx - b->trough_i) > b->cfg.max_breath_s * b->cfg.rate_hz)
		b->n_dur = 0;
	if (b->have_trough && isfinite(d)) {
		if (d > b->cfg.max_breath_s * b->cfg.rate_hz) {
			/* A pause or an artefact: the rate history no longer describes now. */
			b->n_dur = 0;
		} else if (d >= b->cfg.min_breath_s * b->cfg.rate_hz) {
			ev->rate_bpm = 60 * b->cfg.rate_hz / d;
			b->dur[b->dur_pos] = d;
			b->dur_pos = (b->dur_pos + 1) % SMOOTH_MAX;
			if (b->n_dur < SMOOTH_MAX)
				b->n_dur++;
		}
	}
	b->have_trough = 1;
	b->trough_i = idx;
	b->count++;
	ev->smoothed_bpm = smoothed(b);
}

static void emit(struct att_breath *b, enum att_breath_kind kind, uint64_t idx, double value,
                 struct att_breath_event *ev)
{
	ev->kind = kind;
	ev->index = idx;
	ev->confirmed = b->i;
	ev->value = value;
	ev->amplitude = b->have_event ? fabs(value - b->last_value) : NAN;
	ev->rate_bpm = NAN;
	ev->smoothed_bpm = NAN;
	if (kind == ATT_BREATH_TROUGH) {
		on_trough(b, idx, ev);
	} else if (b->have_event) {
		/* The signal is band-passed, so zero sits near the middle of each breath and,
		 * unlike the extrema, carries no noise of its own; keep it off the shoulders. */
		double amp = value - b->last_value;
		b->level = 0;
		if (b->level > value - 0.25 * amp || b->level < b->last_value + 0.25 * amp)
			b->level = (value + b->last_value) / 2;
		b->armed = 1;
	}
	b->have_event = 1;
	b->last_value = value;
}

int att_breath_push(struct att_breath *b, double x, struct att_breath_event *ev)
{
	if (!isfinite(x)) {
		restart(b);
		b->i++;
		return 0;
	}
	/* Amplitude tracker: plain running mean during warm-up, then an EMA of the square clipped
	 * at 3 RMS so a motion artefact raises the threshold only a little. */
	double a = b->alpha;
	if (b->since < b->warmup) {
		double k = 1.0 / (double)(b->since + 1);
		a = k > a ? k : a;
	}
	double lim = 3 * sqrt(b->ms);
	double xc = b->since >= b->warmup && fabs(x) > lim ? lim : x;
	b->ms += a * (xc * xc - b->ms);
	double as = a > b->alpha ? a : b->alpha_slow;
	b->ms_slow += as * (xc * xc - b->ms_slow);
	b->since++;
	/* Peak-to-peak of a sine is 2 sqrt(2) x its RMS. */
	double ms = fmax(b->ms, SLOW_FLOOR * SLOW_FLOOR * b->ms_slow);
	double thr = b->cfg.hysteresis * 2 * sqrt(2 * ms);
	int can = b->since > b->warmup;
	uint64_t i = b->i;
	int fired = 0;

	switch (b->state) {
	case SEEK_EITHER:
		if (b->since == 1 || x > b->hi) {
			b->hi = x;
			b->hi_i = i;
		}
		if (b->since == 1 || x < b->lo) {
			b->lo = x;
			b->lo_i = i;
		}
		if (!can)
			break;
		if (x < b->hi - thr && b->hi_i > b->lo_i) {
			emit(b, ATT_BREATH_PEAK, b->hi_i, b->hi, ev);
			b->state = SEEK_TROUGH;
			b->lo = x;
			b->lo_i = i;
			fired = 1;
		} else if (x > b->lo + thr && b->lo_i > b->hi_i) {
			emit(b, ATT_BREATH_TROUGH, b->lo_i, b->lo, ev);
			b->state = SEEK_PEAK;
			b->hi = x;
			b->hi_i = i;
			fired = 1;
		}
		break;
	case SEEK_PEAK:
		if (x > b->hi) {
			b->hi = x;
			b->hi_i = i;
		} else if (x < b->hi - thr) {
			emit(b, ATT_BREATH_PEAK, b->hi_i, b->hi, ev);
			b->state = SEEK_TROUGH;
			b->lo = x;
			b->lo_i = i;
			fired = 1;
		}
		break;
	case SEEK_TROUGH:
		if (b->armed && x < b->level) {
			/* Already below when the peak was confirmed (a sudden drop in depth):
			 * the crossing time is unknown, and a guess would be a false rate. */
			if (isfinite(b->last_x) && b->last_x >= b->level)
				b->cross = (double)i - (b->level - x) / (b->last_x - x);
			b->armed = 0;
		}
		if (x < b->lo) {
			b->lo = x;
			b->lo_i = i;
		} else if (x > b->lo + thr && b->have_trough &&
		           (double)(b->lo_i - b->trough_i) < b->cfg.min_breath_s * b->cfg.rate_hz) {
			/* Too soon after the last trough to be a breath: the peak before was a noise
			 * wiggle near the trough. Not a new breath; follow this rise as the inhale. */
			b->state = SEEK_PEAK;
			b->hi = x;
			b->hi_i = i;
			b->last_value = fmin(b->last_value, b->lo);
			b->armed = 0;
		} else if (x > b->lo + thr) {
			emit(b, ATT_BREATH_TROUGH, b->lo_i, b->lo, ev);
			b->state = SEEK_PEAK;
			b->hi = x;
			b->hi_i = i;
			fired = 1;
		}
		break;
	}
	b->last_x = x;
	b->i++;
	return fired;
}

double att_breath_rate(const struct att_breath *b)
{
	if (!b->have_trough || (double)(b->i - b->trough_i) > b->cfg.max_breath_s * b->cfg.rate_hz)
		return NAN;
	return smoothed(b);
}

uint32_t att_breath_count(const struct att_breath *b)
{
	return b->count;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void att_breath_result_free(struct att_breath_result *r)
{
	if (!r)
		return;
	free(r->troughs);
	free(r->peaks);
	free(r->rate_bpm);
	memset(r, 0, sizeof *r);
}

/* realloc to a smaller size; keeps the old block if that fails (it is still big enough). */
static void *shrink(void *p, size_t bytes)
{
	void *q = realloc(p, bytes ? bytes : 1);
	return q ? q : p;
}

int att_breath_detect(const struct att_breath_cfg *cfg, const double *x, size_t n,
                      struct att_breath_result *out)
{
	if (!out)
		return ATT_ERR_ARG;
	memset(out, 0, sizeof *out);
	out->mean_rate_bpm = NAN;
	out->median_rate_bpm = NAN;
	if (!x && n)
		return ATT_ERR_ARG;
	struct att_breath *b;
	int err = att_breath_new(cfg, &b);
	if (err)
		return err;
	/* Events alternate, so each kind is at most half the samples plus one. */
	size_t cap = n / 2 + 2;
	out->troughs = malloc(cap * sizeof *out->troughs);
	out->peaks = malloc(cap * sizeof *out->peaks);
	out->rate_bpm = malloc(cap * sizeof *out->rate_bpm);
	double *rates = malloc(cap * sizeof *rates);
	if (!out->troughs || !out->peaks || !out->rate_bpm || !rates) {
		free(rates);
		att_breath_free(b);
		att_breath_result_free(out);
		out->mean_rate_bpm = NAN;
		out->median_rate_bpm = NAN;
		return ATT_ERR_NOMEM;
	}
	double span = 0;
	size_t intervals = 0;
	int gap = 0; /* a NAN since the last trough: the next one starts afresh */
	for (size_t i = 0; i < n; i++) {
		struct att_breath_event ev;
		gap |= !isfinite(x[i]);
		if (!att_breath_push(b, x[i], &ev))
			continue;
		if (ev.kind == ATT_BREATH_PEAK) {
			out->peaks[out->n_peaks++] = (size_t)ev.index;
			continue;
		}
		if (out->n_troughs > 0 && !gap) {
			double d = (double)(ev.index - out->troughs[out->n_troughs - 1]);
			if (d <= b->cfg.max_breath_s * b->cfg.rate_hz) {
				span += d;
				intervals++;
			}
		}
		gap = 0;
		out->troughs[out->n_troughs] = (size_t)ev.index;
		rates[out->n_troughs++] = ev.rate_bpm;
	}
	if (intervals > 0)
		out->mean_rate_bpm = 60 * b->cfg.rate_hz * (double)intervals / span;
	size_t k = 0;
	for (size_t i = 0; i < out->n_troughs; i++)
		if (isfinite(rates[i]))
			out->rate_bpm[k++] = rates[i];
	if (k > 0) {
		qsort(out->rate_bpm, k, sizeof *out->rate_bpm, cmp_double);
		out->median_rate_bpm =
		        k % 2 ? out->rate_bpm[k / 2]
		              : (out->rate_bpm[k / 2 - 1] + out->rate_bpm[k / 2]) / 2;
	}
	memcpy(out->rate_bpm, rates, out->n_troughs * sizeof *rates);
	free(rates);
	att_breath_free(b);
	/* The arrays were sized for the worst case (half the samples); a session has far fewer
	 * breaths, and callers keep the result for the whole analysis. */
	out->troughs = shrink(out->troughs, out->n_troughs * sizeof *out->troughs);
	out->peaks = shrink(out->peaks, out->n_peaks * sizeof *out->peaks);
	out->rate_bpm = shrink(out->rate_bpm, out->n_troughs * sizeof *out->rate_bpm);
	return ATT_OK;
}
