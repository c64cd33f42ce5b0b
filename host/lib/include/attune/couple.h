/* A generated couple: realistic breathing and pulse for two people, with known truth, so the demo,
 * the simulated board and the tests run without anyone wearing sensors.
 *
 * Breaths have uneven inhale/exhale, slowly wandering rate and depth, baseline drift and sensor
 * noise; the PPG has a pulse with respiratory sinus arrhythmia. Output is in volts as the sensors
 * would present them to the ADC (0-5 V). Deterministic for a given seed. */
#ifndef ATT_COUPLE_H
#define ATT_COUPLE_H

#include <stdint.h>

#include "attune/err.h"

struct att_couple;

enum att_couple_script {
	ATT_COUPLE_STORY,       /* the demo: independent, pacer, locked, drifting, together again */
	ATT_COUPLE_IN_PHASE,    /* both follow one rhythm, inhaling together */
	ATT_COUPLE_ANTI_PHASE,  /* same rhythm, B inhales while A exhales */
	ATT_COUPLE_INDEPENDENT, /* two unrelated rhythms */
	ATT_COUPLE_SWITCH,      /* anti-phase, in phase from 60 s, anti-phase again from 120 s */
};

struct att_couple_cfg {
	double rate_hz; /* samples per second per channel */
	enum att_couple_script script;
	uint32_t seed; /* same seed, same couple */
};

/* *out is set to NULL first; caller frees with att_couple_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_couple_new(const struct att_couple_cfg *cfg, struct att_couple **out);
void att_couple_free(struct att_couple *couple);

/* Writes the next sample instant of the four channels (A-resp, A-PPG, B-resp, B-PPG) in volts. */
void att_couple_next(struct att_couple *couple, float volts[4]);

/* What the couple is doing now, in a few words (e.g. "breathing on their own"); static string. */
const char *att_couple_stage(const struct att_couple *couple);

/* The true relative breathing phase A - B in degrees at the current instant (for tests). */
double att_couple_true_phase_deg(const struct att_couple *couple);

#endif
