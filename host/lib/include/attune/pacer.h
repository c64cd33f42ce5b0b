/* The breathing pacer: where the guide disc is in its breath at any instant, computed from the clock.
 *
 * The pacer is a function of time, not of timer ticks, so a late frame never makes it stutter
 * (OpenHRV). Invariant: the pacer's phase is continuous in time. Changing the rate or the
 * inhale:exhale ratio re-anchors the phase at the instant of the change, so the disc never jumps
 * (every-breath-you-take); only the speed from then on changes.
 *
 * A cycle starts with the inhale at phase 0: the level rises from 0 (empty) to 1 (full) along a
 * half cosine, then falls back to 0 during the exhale.
 *
 * Threads: one pacer is used by one thread at a time (the main loop); times are the caller's
 * session seconds (any monotonic origin) and must not go backwards. */
#ifndef ATT_PACER_H
#define ATT_PACER_H

#include "attune/err.h"

#define ATT_PACER_BPM_MIN     3.0
#define ATT_PACER_BPM_MAX     10.0
#define ATT_PACER_BPM_STEP    0.5
#define ATT_PACER_BPM_DEFAULT 6.0

struct att_pacer;

struct att_pacer_cfg {
	double bpm;          /* breaths per minute, ATT_PACER_BPM_MIN..MAX; 0 = default (6) */
	double exhale_ratio; /* exhale duration / inhale duration, 1..3; 0 = equal (1) */
};

/* Where the pacer is at one instant. */
struct att_pacer_state {
	double cycle; /* position in the breath cycle, [0, 1); 0 = start of inhale */
	double level; /* disc size, 0 (empty, end of exhale) .. 1 (full, end of inhale) */
	int inhaling; /* 1 during the inhale, 0 during the exhale */
	double part;  /* how far through the current inhale or exhale, [0, 1) */
};

/* *out is set to NULL first; caller frees with att_pacer_free(). The phase starts at 0 (start of
 * an inhale) at time t0. ATT_ERR_RANGE for a rate or ratio outside its range, ATT_ERR_NOMEM. */
int att_pacer_new(const struct att_pacer_cfg *cfg, double t0, struct att_pacer **out);
/* NULL is a no-op. */
void att_pacer_free(struct att_pacer *pacer);

/* Changes the rate from time t on, keeping the phase at t. ATT_ERR_RANGE outside 3..10 /min
 * (the rate is left unchanged). */
int att_pacer_set_bpm(struct att_pacer *pacer, double t, double bpm);
/* Changes the exhale:inhale ratio from time t on, keeping the position in the cycle at t.
 * ATT_ERR_RANGE outside 1..3. */
int att_pacer_set_exhale_ratio(struct att_pacer *pacer, double t, double ratio);

double att_pacer_bpm(const struct att_pacer *pacer);
double att_pacer_exhale_ratio(const struct att_pacer *pacer);

/* Where the pacer is at time t (t not before the last change). */
void att_pacer_at(const struct att_pacer *pacer, double t, struct att_pacer_state *out);

#endif
