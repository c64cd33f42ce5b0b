/* Test signals with known truth for the phase and sync tests: realistic breathing (inhale:exhale
 * 1:2, drifting rate, changing depth, baseline wander, white noise at a set SNR) driven by an
 * explicit phase, so a second person can be the same rhythm shifted by a known offset.
 * Deterministic (own xorshift generator); header-only, test code. */
#ifndef ATT_BREATH_GEN_H
#define ATT_BREATH_GEN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

struct att_gen_rng {
	uint64_t s;
};

static inline double att_gen_uniform(struct att_gen_rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (double)(r->s >> 11) / 9007199254740992.0;
}

static inline double att_gen_normal(struct att_gen_rng *r)
{
	double u = att_gen_uniform(r), v = att_gen_uniform(r);
	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* One breath cycle at cycle phase th (radians, any value): rises for the first third (inhale),
 * falls for two thirds (exhale), -1..1, peak (end of inhale) at th = 2 pi / 3 (mod 2 pi). */
static inline double att_gen_breath_shape(double th)
{
	double u = fmod(th, 2 * M_PI);
	if (u < 0)
		u += 2 * M_PI;
	u /= 2 * M_PI;
	if (u < 1.0 / 3)
		return -cos(M_PI * u * 3);
	return cos(M_PI * (u - 1.0 / 3) * 1.5);
}

/* Cycle phase of a breathing rhythm at sample i of rate fs whose rate drifts slowly between
 * f0 - df and f0 + df (period drift_s seconds), integrated so it stays continuous. */
struct att_gen_rhythm {
	double fs, f0, df, drift_s, th;
	double jitter; /* random walk on the rate, Hz per sqrt(s) */
	double fj;
	struct att_gen_rng rng;
};

static inline double att_gen_rhythm_next(struct att_gen_rhythm *g, size_t i)
{
	double t = (double)i / g->fs;
	double f = g->f0 + g->df * sin(2 * M_PI * t / g->drift_s);
	if (g->jitter > 0) {
		g->fj += g->jitter * att_gen_normal(&g->rng) / sqrt(g->fs);
		g->fj *= 1 - 0.05 / g->fs; /* pull back so the rate stays plausible */
		f += g->fj;
	}
	if (f < 0.05)
		f = 0.05;
	g->th += 2 * M_PI * f / g->fs;
	return g->th;
}

/* A realistic chest-belt signal for cycle phase th at time t: the 1:2 shape, depth varying
 * +-30 % over 40 s, baseline wander; noise is added by the caller at a chosen SNR. */
static inline double att_gen_breath(double th, double t, double depth_phase)
{
	double depth = 1 + 0.3 * sin(2 * M_PI * t / 40 + depth_phase);
	return depth * att_gen_breath_shape(th) + 0.4 * sin(2 * M_PI * 0.015 * t + depth_phase);
}

/* Adds white noise at snr_db relative to the signal's power (after removing its mean). */
static inline void att_gen_add_noise(float *x, size_t n, double snr_db, struct att_gen_rng *r)
{
	double mean = 0, p = 0;
	for (size_t i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		p += (x[i] - mean) * (x[i] - mean);
	p /= (double)n;
	double sd = sqrt(p / pow(10, snr_db / 10));
	for (size_t i = 0; i < n; i++)
		x[i] += (float)(sd * att_gen_normal(r));
}

#endif
