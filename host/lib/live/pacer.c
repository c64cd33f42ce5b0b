/* The breathing pacer (see pacer.h). State is an anchor (time, cycle position) and a rate: the
 * cycle position at t is anchor_cycle + (t - anchor_t) * rate, wrapped to [0, 1). Every change
 * moves the anchor to the instant of the change, which is what keeps the phase continuous. */
#include "attune/pacer.h"

#include <math.h>
#include <stdlib.h>

struct att_pacer {
	double bpm;
	double ratio; /* exhale / inhale */
	double anchor_t;
	double anchor_cycle; /* cycle position at anchor_t, [0, 1) */
};

static int bpm_ok(double bpm)
{
	return bpm >= ATT_PACER_BPM_MIN - 1e-9 && bpm <= ATT_PACER_BPM_MAX + 1e-9;
}

static int ratio_ok(double r)
{
	return r >= 1.0 - 1e-9 && r <= 3.0 + 1e-9;
}

int att_pacer_new(const struct att_pacer_cfg *cfg, double t0, struct att_pacer **out)
{
	struct att_pacer *p;
	double bpm = ATT_PACER_BPM_DEFAULT, ratio = 1.0;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (cfg && cfg->bpm != 0.0)
		bpm = cfg->bpm;
	if (cfg && cfg->exhale_ratio != 0.0)
		ratio = cfg->exhale_ratio;
	if (!bpm_ok(bpm) || !ratio_ok(ratio) || !isfinite(t0))
		return ATT_ERR_RANGE;
	p = calloc(1, sizeof *p);
	if (!p)
		return ATT_ERR_NOMEM;
	p->bpm = bpm;
	p->ratio = ratio;
	p->anchor_t = t0;
	p->anchor_cycle = 0.0;
	*out = p;
	return ATT_OK;
}

void att_pacer_free(struct att_pacer *pacer)
{
	free(pacer);
}

static double cycle_at(const struct att_pacer *p, double t)
{
	double c = p->anchor_cycle + (t - p->anchor_t) * p->bpm / 60.0;

	c -= floor(c);
	return c >= 1.0 ? 0.0 : c;
}

static void reanchor(struct att_pacer *p, double t)
{
	p->anchor_cycle = cycle_at(p, t);
	p->anchor_t = t;
}

int att_pacer_set_bpm(struct att_pacer *pacer, double t, double bpm)
{
	if (!pacer || !isfinite(t))
		return ATT_ERR_ARG;
	if (!bpm_ok(bpm))
		return ATT_ERR_RANGE;
	reanchor(pacer, t);
	pacer->bpm = bpm;
	return ATT_OK;
}

int att_pacer_set_exhale_ratio(struct att_pacer *pacer, double t, double ratio)
{
	struct att_pacer_state s;
	double in_frac;

	if (!pacer || !isfinite(t))
		return ATT_ERR_ARG;
	if (!ratio_ok(ratio))
		return ATT_ERR_RANGE;
	/* Keep the level where it is: same half of the breath, same share of that half done. */
	att_pacer_at(pacer, t, &s);
	pacer->ratio = ratio;
	in_frac = 1.0 / (1.0 + ratio);
	pacer->anchor_cycle = s.inhaling ? s.part * in_frac : in_frac + s.part * (1.0 - in_frac);
	pacer->anchor_t = t;
	return ATT_OK;
}

double att_pacer_bpm(const struct att_pacer *pacer)
{
	return pacer->bpm;
}

double att_pacer_exhale_ratio(const struct att_pacer *pacer)
{
	return pacer->ratio;
}

void att_pacer_at(const struct att_pacer *pacer, double t, struct att_pacer_state *out)
{
	double c = cycle_at(pacer, t);
	double in_frac = 1.0 / (1.0 + pacer->ratio);

	out->cycle = c;
	if (c < in_frac) {
		out->inhaling = 1;
		out->part = c / in_frac;
		out->level = 0.5 - 0.5 * cos(M_PI * out->part);
	} else {
		out->inhaling = 0;
		out->part = (c - in_frac) / (1.0 - in_frac);
		out->level = 0.5 + 0.5 * cos(M_PI * out->part);
	}
}
