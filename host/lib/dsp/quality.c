/* Signal quality checker: 1 s block summaries, judged over the last window_s. See quality.h.
 *
 * Invariant: `flags` is recomputed only when a block completes (once per second), so a query is
 * cheap and push does O(1) work except at block ends (O(blocks + history)); all arrays are sized
 * in att_quality_new(). Means and variances are merged with Chan's formula so a signal sitting on
 * a large offset (ADC counts around 512) keeps its small variance exactly. The deviation history
 * is also kept sorted (`sorted` holds the same hist_n values as `hist`), updated by one removal
 * and one insertion per block, because sorting it afresh every second was most of the cost of
 * att_quality_batch() on long recordings. */
#include "attune/quality.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY 256 /* past window deviations kept as the channel's "typical" (about 4 min) */

struct block {
	double n, mean, m2, min, max, rails;
};

struct att_quality_check {
	struct att_quality_cfg cfg;
	int block_len; /* samples per block */
	int nblocks;   /* blocks per window */
	struct block *ring;
	int ring_pos, ring_n;
	struct block cur;
	int cur_pushed;         /* samples pushed into cur, NAN included */
	double hist[HISTORY];   /* ring of deviations, oldest at hist_pos once full */
	double sorted[HISTORY]; /* the same values in increasing order */
	int hist_n, hist_pos;
	uint64_t pushed, finite;
	uint64_t since_event; /* samples since the last event (or since start) */
	double event_rate;
	unsigned flags;
	size_t judged, counts[5]; /* att_quality_feed(): windows judged, and per bit in bits[] */
};

static const unsigned bits[5] = {ATT_Q_FLAT, ATT_Q_SATURATED, ATT_Q_IMPLAUSIBLE, ATT_Q_ABSENT,
                                 ATT_Q_SETTLING};

static int fill_cfg(const struct att_quality_cfg *in, struct att_quality_cfg *c)
{
	if (!in || !(in->rate_hz > 0) || !isfinite(in->rate_hz) || !(in->adc_max >= 0))
		return ATT_ERR_ARG;
	if (in->signal != ATT_QUALITY_RESP && in->signal != ATT_QUALITY_PPG)
		return ATT_ERR_ARG;
	*c = *in;
	if (c->window_s == 0)
		c->window_s = 10;
	if (c->flat_counts == 0)
		c->flat_counts = 1.0;
	if (c->flat_rel == 0)
		c->flat_rel = 0.02;
	if (c->saturated_share == 0)
		c->saturated_share = 0.2;
	if (c->event_window_s == 0)
		c->event_window_s = c->signal == ATT_QUALITY_RESP ? 30 : 5;
	if (c->batch_share == 0)
		c->batch_share = 0.25;
	if (!(c->window_s >= 1 && c->window_s <= 600) || !(c->flat_counts > 0) ||
	    !(c->flat_rel > 0 && c->flat_rel < 1) ||
	    !(c->saturated_share > 0 && c->saturated_share <= 1) || !(c->event_window_s > 0) ||
	    !(c->batch_share >= 0 && c->batch_share < 1))
		return ATT_ERR_ARG;
	return ATT_OK;
}

int att_quality_new(const struct att_quality_cfg *cfg, struct att_quality_check **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	struct att_quality_cfg c;
	int err = fill_cfg(cfg, &c);
	if (err)
		return err;
	struct att_quality_check *q = calloc(1, sizeof *q);
	if (!q)
		return ATT_ERR_NOMEM;
	q->cfg = c;
	q->block_len = (int)lround(c.rate_hz);
	if (q->block_len < 1)
		q->block_len = 1;
	q->nblocks = (int)lround(c.window_s * c.rate_hz / q->block_len);
	if (q->nblocks < 1)
		q->nblocks = 1;
	q->ring = calloc((size_t)q->nblocks, sizeof *q->ring);
	if (!q->ring) {
		free(q);
		return ATT_ERR_NOMEM;
	}
	att_quality_reset(q);
	*out = q;
	return ATT_OK;
}

void att_quality_free(struct att_quality_check *q)
{
	if (!q)
		return;
	free(q->ring);
	free(q);
}

static void block_clear(struct block *b)
{
	memset(b, 0, sizeof *b);
	b->min = INFINITY;
	b->max = -INFINITY;
}

void att_quality_reset(struct att_quality_check *q)
{
	q->ring_pos = q->ring_n = 0;
	block_clear(&q->cur);
	q->cur_pushed = 0;
	q->hist_n = q->hist_pos = 0;
	q->pushed = q->finite = 0;
	q->since_event = 0;
	q->event_rate = NAN;
	q->flags = ATT_Q_SETTLING;
	q->judged = 0;
	memset(q->counts, 0, sizeof q->counts);
}

/* Chan et al.: merge two summaries. */
static void merge(struct block *a, const struct block *b)
{
	if (b->n == 0)
		return;
	double n = a->n + b->n, d = b->mean - a->mean;
	a->mean += d * b->n / n;
	a->m2 += b->m2 + d * d * a->n * b->n / n;
	a->n = n;
	a->min = fmin(a->min, b->min);
	a->max = fmax(a->max, b->max);
	a->rails += b->rails;
}

/* First index in sorted[0..n) whose value is not below v. */
static int lower_bound(const double *sorted, int n, double v)
{
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (sorted[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds a deviation to the history, dropping the oldest when it is full. */
static void hist_add(struct att_quality_check *q, double sd)
{
	if (q->hist_n == HISTORY) {
		int k = lower_bound(q->sorted, q->hist_n, q->hist[q->hist_pos]);
		memmove(q->sorted + k, q->sorted + k + 1,
		        (size_t)(q->hist_n - k - 1) * sizeof *q->sorted);
		q->hist_n--;
	}
	int k = lower_bound(q->sorted, q->hist_n, sd);
	memmove(q->sorted + k + 1, q->sorted + k, (size_t)(q->hist_n - k) * sizeof *q->sorted);
	q->sorted[k] = sd;
	q->hist_n++;
	q->hist[q->hist_pos] = sd;
	q->hist_pos = (q->hist_pos + 1) % HISTORY;
}

static unsigned implausible(const struct att_quality_check *q)
{
	if ((double)q->since_event > q->cfg.event_window_s * q->cfg.rate_hz)
		return ATT_Q_IMPLAUSIBLE;
	if (q->cfg.signal == ATT_QUALITY_PPG)
		return att_quality_hr(q->event_rate);
	return 0;
}

/* Judges the window after a block completed. */
static void judge(struct att_quality_check *q)
{
	if (q->finite == 0) {
		q->flags = ATT_Q_ABSENT;
		return;
	}
	if (q->ring_n < q->nblocks) {
		q->flags = ATT_Q_SETTLING;
		return;
	}
	struct block w;
	block_clear(&w);
	for (int k = 0; k < q->ring_n; k++)
		merge(&w, &q->ring[k]);
	unsigned f = 0;
	if (w.n < 2) {
		q->flags = ATT_Q_ABSENT;
		return;
	}
	double sd = sqrt(w.m2 / w.n);
	int flat = sd <= 1e-9 * fabs(w.mean);
	if (q->cfg.adc_max > 0) {
		flat |= sd < q->cfg.flat_counts;
		if (w.rails > q->cfg.saturated_share * w.n)
			f |= ATT_Q_SATURATED;
	} else if (q->hist_n >= 3) {
		flat |= sd < q->cfg.flat_rel * q->sorted[q->hist_n / 2];
	}
	/* A rail-stuck sensor is flat too; report the cause that tells the user what to do. */
	if (flat && !(f & ATT_Q_SATURATED))
		f |= ATT_Q_FLAT;
	/* NAN (never from finite samples) would have no place in the sorted history. */
	if (!flat && !(f & ATT_Q_SATURATED) && !isnan(sd))
		hist_add(q, sd);
	q->flags = f | implausible(q);
}

void att_quality_push(struct att_quality_check *q, double raw)
{
	q->pushed++;
	q->since_event++;
	if (isfinite(raw)) {
		q->finite++;
		struct block *b = &q->cur;
		b->n += 1;
		double d = raw - b->mean;
		b->mean += d / b->n;
		b->m2 += d * (raw - b->mean);
		b->min = fmin(b->min, raw);
		b->max = fmax(b->max, raw);
		/* Within half a count of a rail. */
		if (q->cfg.adc_max > 0 && (raw <= 0.5 || raw >= q->cfg.adc_max - 0.5))
			b->rails += 1;
	}
	if (++q->cur_pushed < q->block_len)
		return;
	q->ring[q->ring_pos] = q->cur;
	q->ring_pos = (q->ring_pos + 1) % q->nblocks;
	if (q->ring_n < q->nblocks)
		q->ring_n++;
	block_clear(&q->cur);
	q->cur_pushed = 0;
	judge(q);
}

void att_quality_event(struct att_quality_check *q, double rate_bpm)
{
	q->since_event = 0;
	q->event_rate = rate_bpm;
	if (q->flags & ATT_Q_IMPLAUSIBLE)
		q->flags = (q->flags & ~(unsigned)ATT_Q_IMPLAUSIBLE) | implausible(q);
}

unsigned att_quality_flags(const struct att_quality_check *q)
{
	if (q->flags & (ATT_Q_SETTLING | ATT_Q_ABSENT))
		return q->flags;
	/* Event silence is judged now, not only at block ends. */
	return (q->flags & ~(unsigned)ATT_Q_IMPLAUSIBLE) | implausible(q);
}

unsigned att_quality_hr(double hr_bpm)
{
	if (isnan(hr_bpm))
		return 0;
	return hr_bpm < 30 || hr_bpm > 220 ? ATT_Q_IMPLAUSIBLE : 0;
}

void att_quality_feed(struct att_quality_check *q, const double *x, size_t n, const size_t *events,
                      size_t n_events)
{
	size_t e = 0;
	for (size_t i = 0; i < n; i++) {
		att_quality_push(q, x[i]);
		while (events && e < n_events && events[e] <= i) {
			att_quality_event(q, NAN);
			e++;
		}
		if (q->cur_pushed != 0)
			continue;
		unsigned f = att_quality_flags(q);
		if (f & ATT_Q_SETTLING)
			continue;
		q->judged++;
		for (int k = 0; k < 5; k++)
			q->counts[k] += (f & bits[k]) != 0;
	}
}

unsigned att_quality_verdict(const struct att_quality_check *q, double rate_bpm)
{
	unsigned out = 0;
	if (q->judged == 0) {
		out = q->finite == 0 ? ATT_Q_ABSENT : ATT_Q_SETTLING;
	} else {
		for (int k = 0; k < 5; k++)
			if ((double)q->counts[k] > q->cfg.batch_share * (double)q->judged)
				out |= bits[k];
	}
	if (q->cfg.signal == ATT_QUALITY_PPG)
		out |= att_quality_hr(rate_bpm);
	return out;
}

unsigned att_quality_batch(const struct att_quality_cfg *cfg, const double *x, size_t n,
                           const size_t *events, size_t n_events, double rate_bpm)
{
	struct att_quality_check *q;
	if (!x || att_quality_new(cfg, &q) != ATT_OK)
		return ATT_Q_ABSENT;
	att_quality_feed(q, x, n, events, n_events);
	unsigned out = att_quality_verdict(q, rate_bpm);
	att_quality_free(q);
	return out;
}

const char *att_quality_word(unsigned q)
{
	if (q & ATT_Q_ABSENT)
		return "absent";
	if (q & ATT_Q_FLAT)
		return "flat";
	if (q & ATT_Q_SATURATED)
		return "saturated";
	if (q & ATT_Q_IMPLAUSIBLE)
		return "implausible";
	if (q & ATT_Q_SETTLING)
		return "settling";
	return "ok";
}
