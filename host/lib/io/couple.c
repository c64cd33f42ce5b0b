/* A generated couple (see couple.h).
 *
 * Each person's breath is a phase oscillator (phase in cycles). In the scripted stages a person may
 * be pulled towards a 6 /min pacer that starts with an inhale at t = 0, Kuramoto style:
 *   dphase/dt = own_rate + pull * sin(2 pi (pacer - phase)) / (2 pi)
 * so locking, drifting and re-locking happen continuously, as with real people, and the true phase
 * of both is always known. The waveform maps the phase onto an uneven inhale (40 % of the cycle) and
 * exhale. */
#include "attune/couple.h"

#include <math.h>
#include <stdlib.h>

#define TWO_PI 6.283185307179586

/* The story's pacer: the live view's default pace (README, section Live view and sound), inhaling
 * from t = 0. */
#define PACER_HZ (6.0 / 60.0)

struct person {
	double phase;         /* breath phase, cycles; 0 = start of inhale */
	double beat;          /* heart beat phase, cycles */
	double own_hz;        /* breathing rate when left alone */
	double heart_hz;      /* resting heart rate */
	double amp;           /* breath depth, volts peak to peak */
	double baseline;      /* volts, wanders slowly */
	double wander[3];     /* phases of the slow wanders (rate, depth, baseline) */
	double breath_factor; /* this breath's length relative to the person's rate */
};

struct att_couple {
	struct att_couple_cfg cfg;
	double t;     /* seconds since start */
	double pacer; /* pacer phase, cycles */
	uint32_t rng;
	struct person p[2];
	const char *stage;
};

static double uniform(struct att_couple *c)
{
	/* xorshift32: deterministic per seed, no global state */
	uint32_t x = c->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->rng = x;
	return (x >> 8) * (1.0 / 16777216.0);
}

static double gaussian(struct att_couple *c)
{
	/* Irwin-Hall: sum of 4 uniforms, scaled to unit variance; plenty for sensor noise */
	double s = uniform(c) + uniform(c) + uniform(c) + uniform(c) - 2.0;
	return s * 1.7320508075688772;
}

int att_couple_new(const struct att_couple_cfg *cfg, struct att_couple **out)
{
	struct att_couple *c;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !(cfg->rate_hz >= 1.0 && cfg->rate_hz <= 10000.0) ||
	    cfg->script > ATT_COUPLE_SWITCH)
		return ATT_ERR_ARG;
	c = calloc(1, sizeof *c);
	if (!c)
		return ATT_ERR_NOMEM;
	c->cfg = *cfg;
	c->rng = cfg->seed ? cfg->seed : 0x9E3779B9u;
	for (int i = 0; i < 2; i++) {
		struct person *p = &c->p[i];
		for (int k = 0; k < 3; k++)
			p->wander[k] = uniform(c);
		p->amp = i == 0 ? 1.6 : 1.3;
		p->baseline = i == 0 ? 2.5 : 2.4;
		p->heart_hz = (i == 0 ? 68.0 : 61.0) / 60.0;
		p->beat = uniform(c);
		p->breath_factor = 1.0;
	}
	/* Resting rates differ so that people left alone do not lock by accident. */
	c->p[0].own_hz = 14.0 / 60.0;
	c->p[1].own_hz = 10.5 / 60.0;
	if (cfg->script == ATT_COUPLE_ANTI_PHASE || cfg->script == ATT_COUPLE_SWITCH)
		c->p[1].phase = -0.5;
	*out = c;
	return ATT_OK;
}

void att_couple_free(struct att_couple *couple)
{
	free(couple);
}

/* Pull of each person towards the pacer (1/s) and their own rate, per story stage. */
static void story(struct att_couple *c, double pull[2], double own[2])
{
	double t = fmod(c->t, 270.0);
	own[0] = c->p[0].own_hz;
	own[1] = c->p[1].own_hz;
	pull[0] = pull[1] = 0.0;
	if (t < 50.0) {
		c->stage = "breathing on their own";
	} else if (t < 100.0) {
		c->stage = "following the pacer";
		double k = (t - 50.0) / 50.0; /* they find the pace gradually */
		own[0] = PACER_HZ * 1.03;
		own[1] = PACER_HZ * 0.96;
		pull[0] = pull[1] = 0.25 * k;
	} else if (t < 160.0) {
		c->stage = "breathing together";
		own[0] = PACER_HZ * 1.01;
		own[1] = PACER_HZ * 0.99;
		pull[0] = pull[1] = 0.4;
	} else if (t < 210.0) {
		c->stage = "B drifts away";
		own[0] = PACER_HZ * 1.01;
		own[1] = 8.5 / 60.0;
		pull[0] = 0.4;
	} else {
		c->stage = "together again";
		own[0] = PACER_HZ * 1.01;
		own[1] = PACER_HZ * 0.98;
		pull[0] = pull[1] = 0.4;
	}
}

static double breath_shape(double phase)
{
	const double inhale = 0.4;
	double u = phase - floor(phase);
	if (u < inhale)
		return 0.5 - 0.5 * cos(M_PI * u / inhale);
	return 0.5 + 0.5 * cos(M_PI * (u - inhale) / (1.0 - inhale));
}

/* A finger pulse: systolic upstroke and peak, then a smaller dicrotic wave. */
static double pulse_shape(double beat)
{
	double u = beat - floor(beat);
	double s = (u - 0.15) / 0.07, d = (u - 0.45) / 0.09;
	return exp(-0.5 * s * s) + 0.35 * exp(-0.5 * d * d);
}

void att_couple_next(struct att_couple *c, float volts[4])
{
	const double dt = 1.0 / c->cfg.rate_hz;
	double pull[2] = {0.0, 0.0}, own[2] = {c->p[0].own_hz, c->p[1].own_hz};
	double slow = c->t / 60.0;

	switch (c->cfg.script) {
	case ATT_COUPLE_STORY:
		story(c, pull, own);
		break;
	case ATT_COUPLE_INDEPENDENT:
		c->stage = "breathing on their own";
		break;
	case ATT_COUPLE_IN_PHASE:
	case ATT_COUPLE_ANTI_PHASE:
	case ATT_COUPLE_SWITCH:
		own[0] = own[1] = 12.0 / 60.0;
		break;
	}

	for (int i = 0; i < 2; i++) {
		struct person *p = &c->p[i];
		double breath = breath_shape(p->phase);
		/* Slow wanders (minutes) of rate, depth and baseline make the signal realistic without
		 * hiding the truth. */
		double rate = own[i] * p->breath_factor *
		              (1.0 + 0.04 * sin(TWO_PI * (slow / 1.7 + p->wander[0])));
		double depth = p->amp * (1.0 + 0.2 * sin(TWO_PI * (slow / 1.3 + p->wander[1])));
		double base = p->baseline + 0.25 * sin(TWO_PI * (slow / 2.3 + p->wander[2]));
		double resp = base + depth * (breath - 0.5) + 0.02 * gaussian(c);
		/* Respiratory sinus arrhythmia: the heart speeds up on the inhale. */
		double hr = p->heart_hz * (1.0 + 0.06 * (breath - 0.5));
		double ppg = 1.6 + 0.9 * pulse_shape(p->beat) + 0.1 * (breath - 0.5) +
		             0.01 * gaussian(c);

		volts[2 * i] = (float)fmin(5.0, fmax(0.0, resp));
		volts[2 * i + 1] = (float)fmin(5.0, fmax(0.0, ppg));

		if (c->cfg.script == ATT_COUPLE_STORY)
			rate += pull[i] * sin(TWO_PI * (c->pacer - p->phase)) / TWO_PI;
		double before = p->phase;
		p->phase += rate * dt;
		p->beat += hr * dt;
		/* No two breaths are alike: each new breath draws its own length (about 8 % spread,
		 * within the 5-20 % breath-to-breath variability of people at rest). */
		if (floor(p->phase) != floor(before))
			p->breath_factor = fmin(1.25, fmax(0.8, 1.0 + 0.08 * gaussian(c)));
	}
	c->pacer += PACER_HZ * dt;
	c->t += dt;

	if (c->cfg.script == ATT_COUPLE_SWITCH) {
		/* B is locked to A; only the offset switches, at known instants. */
		double offset = (c->t >= 60.0 && c->t < 120.0) ? 0.0 : 0.5;
		c->p[1].phase = c->p[0].phase - offset;
		c->stage = offset == 0.0 ? "breathing together" : "breathing in turns";
	} else if (c->cfg.script == ATT_COUPLE_IN_PHASE) {
		c->p[1].phase = c->p[0].phase;
		c->stage = "breathing together";
	} else if (c->cfg.script == ATT_COUPLE_ANTI_PHASE) {
		c->p[1].phase = c->p[0].phase - 0.5;
		c->stage = "breathing in turns";
	}
}

const char *att_couple_stage(const struct att_couple *couple)
{
	return couple->stage ? couple->stage : "starting";
}

double att_couple_true_phase_deg(const struct att_couple *couple)
{
	double d = couple->p[0].phase - couple->p[1].phase;
	d -= floor(d); /* [0, 1) */
	if (d > 0.5)
		d -= 1.0; /* (-0.5, 0.5] */
	return d * 360.0;
}
