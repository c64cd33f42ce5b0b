/* The room's jitter buffer (room_pair.h): per lane a time-ordered ring of stamped samples; the
 * grid walks forward and takes, per lane, the sample nearest each instant. */
#include "attune/room_pair.h"

#include <math.h>
#include <stdlib.h>

struct stamped {
	int64_t t_ns;
	uint16_t resp, ppg;
};

struct lane {
	struct stamped *s;
	size_t head, n; /* ring: n samples from head */
	int64_t newest_ns;
	int have, ever;
	uint16_t last_resp, last_ppg;
};

struct att_room_pair {
	double rate_hz, delay_s;
	int64_t period_ns, delay_ns;
	size_t cap;
	struct lane lane[2];
	int started;
	int64_t grid0_ns; /* time of instant 0 */
	uint64_t next;    /* the next instant to give out */
	struct att_room_pair_stats st;
};

int att_room_pair_new(const struct att_room_pair_cfg *cfg, struct att_room_pair **out)
{
	struct att_room_pair *p;
	size_t cap;

	*out = NULL;
	if (!cfg || !(cfg->rate_hz >= 25.0 && cfg->rate_hz <= 1000.0) || cfg->delay_s < 0.0 ||
	    cfg->delay_s > 10.0)
		return ATT_ERR_ARG;
	cap = cfg->capacity ? cfg->capacity : 4096;
	if (cap & (cap - 1))
		return ATT_ERR_ARG;
	p = calloc(1, sizeof *p);
	if (!p)
		return ATT_ERR_NOMEM;
	p->rate_hz = cfg->rate_hz;
	p->delay_s = cfg->delay_s > 0.0 ? cfg->delay_s : ATT_ROOM_PAIR_DELAY_S;
	p->period_ns = (int64_t)llround(1e9 / cfg->rate_hz);
	p->delay_ns = (int64_t)llround(p->delay_s * 1e9);
	p->cap = cap;
	p->st.delay_s = p->delay_s;
	for (int l = 0; l < 2; l++)
		if (!(p->lane[l].s = calloc(cap, sizeof *p->lane[l].s))) {
			att_room_pair_free(p);
			return ATT_ERR_NOMEM;
		}
	*out = p;
	return ATT_OK;
}

void att_room_pair_free(struct att_room_pair *p)
{
	if (!p)
		return;
	free(p->lane[0].s);
	free(p->lane[1].s);
	free(p);
}

static int64_t instant(const struct att_room_pair *p, uint64_t k)
{
	return p->grid0_ns + (int64_t)llround((double)k * 1e9 / p->rate_hz);
}

int att_room_pair_push(struct att_room_pair *p, int lane, int64_t t_ns, uint16_t resp,
                       uint16_t ppg)
{
	struct lane *L;

	if (!p || lane < 0 || lane > 1)
		return ATT_ERR_ARG;
	L = &p->lane[lane];
	/* too late: its instant is already out, or it goes back in time */
	if ((p->started && p->next > 0 && t_ns < instant(p, p->next - 1) - p->period_ns / 2) ||
	    (L->have && t_ns <= L->newest_ns)) {
		p->st.late[lane]++;
		return ATT_OK;
	}
	if (L->n == p->cap)
		return ATT_ERR_BUSY;
	L->s[(L->head + L->n) & (p->cap - 1)] = (struct stamped){t_ns, resp, ppg};
	L->n++;
	L->newest_ns = t_ns;
	L->have = 1;
	if (!p->started) {
		p->started = 1;
		p->grid0_ns = t_ns;
	}
	return ATT_OK;
}

/* The sample of lane L nearest t, if one lies within half a period; older ones are let go. */
static int nearest(struct att_room_pair *p, struct lane *L, int64_t t, uint16_t *resp,
                   uint16_t *ppg)
{
	int64_t half = p->period_ns / 2 + 1;

	/* samples before t - half can serve no later instant */
	while (L->n && L->s[L->head].t_ns < t - half) {
		L->head = (L->head + 1) & (p->cap - 1);
		L->n--;
	}
	if (!L->n)
		return 0;
	const struct stamped *a = &L->s[L->head];
	if (a->t_ns > t + half)
		return 0;
	if (L->n > 1) {
		const struct stamped *b = &L->s[(L->head + 1) & (p->cap - 1)];
		if (b->t_ns <= t + half && llabs(b->t_ns - t) < llabs(a->t_ns - t))
			a = b;
	}
	*resp = a->resp;
	*ppg = a->ppg;
	return 1;
}

size_t att_room_pair_pop(struct att_room_pair *p, int64_t now_ns, struct att_room_pair_out *out,
                         size_t max)
{
	size_t n = 0;

	if (!p || !p->started)
		return 0;
	while (n < max) {
		int64_t t = instant(p, p->next);
		int got[2];
		struct att_room_pair_out o = {.index = (uint32_t)p->next, .t_ns = t};
		if (t > now_ns - p->delay_ns)
			break;
		for (int l = 0; l < 2; l++) {
			struct lane *L = &p->lane[l];
			got[l] = nearest(p, L, t, &o.ch[2 * l], &o.ch[2 * l + 1]);
			if (got[l]) {
				L->last_resp = o.ch[2 * l];
				L->last_ppg = o.ch[2 * l + 1];
				L->ever = 1;
			} else {
				o.ch[2 * l] = L->last_resp;
				o.ch[2 * l + 1] = L->last_ppg;
				o.held |= (uint8_t)(1u << l);
			}
		}
		p->next++;
		if (!got[0] && !got[1]) {
			p->st.skipped++;
			continue;
		}
		for (int l = 0; l < 2; l++)
			p->st.held[l] += (o.held >> l) & 1u;
		p->st.out++;
		out[n++] = o;
	}
	return n;
}

void att_room_pair_stats(const struct att_room_pair *p, struct att_room_pair_stats *out)
{
	*out = p->st;
}
