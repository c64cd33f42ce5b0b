/* Clock alignment between room members and a board's timeline (room_clock.h). */
#include "attune/room_clock.h"

#include <math.h>
#include <stdlib.h>

#define ROUNDS_DEFAULT 64
#define DRIFT_SPAN_NS  20000000000LL /* drift is only fitted over rounds 20 s apart or more */
#define DRIFT_MAX_PPM  1000.0        /* beyond this it is not a clock, it is a bad fit */
#define CREEP          0.01          /* a board's clock may run up to 1 % slow */

struct round {
	int64_t mid_ns; /* (t1 + t4) / 2: when, on our clock */
	int64_t offset_ns, delay_ns;
};

struct att_room_clock {
	size_t cap, n, head;
	struct round *r;
	struct round *sorted; /* scratch for the estimate, sorted by delay */
};

int att_room_clock_new(const struct att_room_clock_cfg *cfg, struct att_room_clock **out)
{
	struct att_room_clock *c;
	size_t cap = cfg && cfg->rounds ? cfg->rounds : ROUNDS_DEFAULT;

	*out = NULL;
	if (cap < 4 || cap > 100000)
		return ATT_ERR_ARG;
	c = calloc(1, sizeof *c);
	if (!c)
		return ATT_ERR_NOMEM;
	c->cap = cap;
	c->r = calloc(cap, sizeof *c->r);
	c->sorted = calloc(cap, sizeof *c->sorted);
	if (!c->r || !c->sorted) {
		att_room_clock_free(c);
		return ATT_ERR_NOMEM;
	}
	*out = c;
	return ATT_OK;
}

void att_room_clock_free(struct att_room_clock *c)
{
	if (!c)
		return;
	free(c->r);
	free(c->sorted);
	free(c);
}

void att_room_clock_reset(struct att_room_clock *c)
{
	c->n = 0;
	c->head = 0;
}

int att_room_clock_add(struct att_room_clock *c, int64_t t1, int64_t t2, int64_t t3, int64_t t4)
{
	int64_t delay = (t4 - t1) - (t3 - t2);

	if (t4 < t1 || t3 < t2 || delay < 0)
		return ATT_ERR_RANGE;
	c->r[c->head] = (struct round){.mid_ns = t1 + (t4 - t1) / 2,
	                               .offset_ns = ((t2 - t1) + (t3 - t4)) / 2,
	                               .delay_ns = delay};
	c->head = (c->head + 1) % c->cap;
	if (c->n < c->cap)
		c->n++;
	return ATT_OK;
}

static int by_delay(const void *a, const void *b)
{
	const struct round *x = a, *y = b;
	return (x->delay_ns > y->delay_ns) - (x->delay_ns < y->delay_ns);
}

int att_room_clock_estimate(const struct att_room_clock *c, int64_t t_ns,
                            struct att_room_clock_est *out)
{
	size_t best;
	int64_t lo, hi;
	double mt = 0.0, mo = 0.0, stt = 0.0, sto = 0.0, slope = 0.0;

	*out = (struct att_room_clock_est){0};
	if (!c || c->n == 0)
		return ATT_ERR_NO_DATA;
	for (size_t i = 0; i < c->n; i++)
		c->sorted[i] = c->r[i];
	qsort(c->sorted, c->n, sizeof *c->sorted, by_delay);
	/* the lowest-delay quarter: rounds that queued least, so their asymmetry is least */
	best = c->n / 4 ? c->n / 4 : 1;
	lo = hi = c->sorted[0].mid_ns;
	for (size_t i = 0; i < best; i++) {
		mt += (double)(c->sorted[i].mid_ns - c->sorted[0].mid_ns);
		mo += (double)c->sorted[i].offset_ns;
		lo = c->sorted[i].mid_ns < lo ? c->sorted[i].mid_ns : lo;
		hi = c->sorted[i].mid_ns > hi ? c->sorted[i].mid_ns : hi;
	}
	mt /= (double)best;
	mo /= (double)best;
	if (best >= 4 && hi - lo >= DRIFT_SPAN_NS) {
		for (size_t i = 0; i < best; i++) {
			double dt = (double)(c->sorted[i].mid_ns - c->sorted[0].mid_ns) - mt;
			stt += dt * dt;
			sto += dt * ((double)c->sorted[i].offset_ns - mo);
		}
		slope = sto / stt;
		if (fabs(slope) * 1e6 > DRIFT_MAX_PPM)
			slope = 0.0;
	}
	out->offset_ns = (int64_t)llround(
	        mo + slope * ((double)(t_ns - c->sorted[0].mid_ns) - mt));
	out->delay_ns = c->sorted[0].delay_ns;
	out->drift_ppm = slope * 1e6;
	out->bound_ns = (double)c->sorted[0].delay_ns / 2.0;
	out->rounds = c->n;
	return ATT_OK;
}

int64_t att_room_timeline_add(struct att_room_timeline *tl, uint32_t counter, int64_t arrival_ns,
                              double rate_hz)
{
	double x;
	int32_t step = (int32_t)(counter - tl->last_counter);

	if (!tl->known || step <= 0 || rate_hz != tl->rate_hz) {
		*tl = (struct att_room_timeline){.known = 1,
		                                 .last_counter = counter,
		                                 .k = 0,
		                                 .base_ns = (double)arrival_ns,
		                                 .last_ns = arrival_ns,
		                                 .rate_hz = rate_hz};
		return arrival_ns;
	}
	tl->k += step;
	tl->last_counter = counter;
	x = (double)arrival_ns - (double)tl->k * 1e9 / rate_hz;
	/* the lower envelope: a sample never arrives before it happened; queueing only delays */
	if (x < tl->base_ns)
		tl->base_ns = x;
	else {
		double creep = CREEP * (double)(arrival_ns - tl->last_ns);
		tl->base_ns += x - tl->base_ns < creep ? x - tl->base_ns : creep;
	}
	tl->last_ns = arrival_ns;
	return (int64_t)llround(tl->base_ns + (double)tl->k * 1e9 / rate_hz);
}
