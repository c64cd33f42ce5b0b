/* Heart-breath coupling of one person: how much, and in which phase, the heart rate follows the
 * breath (respiratory sinus arrhythmia). The figures of HRV biofeedback's resonance assessment
 * (Lehrer, Vaschillo & Vaschillo 2000; Shaffer & Meehan 2020):
 * - hr_swing_bpm: per breath (trough to trough), the heart rate's peak minus its trough among
 *   the beats inside it (60 / IBI of each accepted beat), averaged over the breaths;
 * - lf_power_ms2: power of the beat intervals in 0.04-0.15 Hz (IBIs in ms resampled at 4 Hz,
 *   linear trend removed, Welch with 64 s Hann segments at half overlap, as HRV tools do; a
 *   shorter stretch is one segment of its own length);
 * - hr_breath_phase_deg: the heart rate's phase against the breath at the breathing frequency
 *   (one DFT bin of each), in (-180, 180]: 0 = the heart rate peaks when the inhale ends (the
 *   belt's maximum), positive = after it. At resonance it is near 0. (The heart rate for this
 *   and the beat intervals for LF power are linearly resampled at 4 Hz.)
 * NAN where a figure cannot be computed (too few beats or breaths, no breathing frequency).
 *
 * Threads: any; no state. Memory: allocates scratch for the call. */
#ifndef ATT_COUPLING_H
#define ATT_COUPLING_H

#include <stddef.h>

#include "attune/err.h"

struct att_coupling_in {
	/* beats: times in seconds, the interval ending at each (s) and whether it was accepted */
	const double *beat_t;
	const double *ibi_s;
	const unsigned char *ibi_ok;
	size_t n_beats;
	/* breaths: trough times (inhale onsets) in seconds, increasing */
	const double *trough_t;
	size_t n_troughs;
	/* the cleaned belt (inhale upwards), its first sample at belt_t0 s, at belt_rate_hz */
	const double *belt;
	size_t n_belt;
	double belt_t0, belt_rate_hz;
};

struct att_coupling {
	double hr_swing_bpm;
	double lf_power_ms2;
	double hr_breath_phase_deg;
	size_t breaths; /* breaths that gave a swing */
};

/* Fills *out (NAN figures when not computable). ATT_ERR_ARG (NULL), ATT_ERR_NOMEM. */
int att_coupling_compute(const struct att_coupling_in *in, struct att_coupling *out);

/* The swing per breath as it happens (the live engine; the offline figure goes through it too):
 * beats and breath troughs are fed in time order; each trough closes the breath since the one
 * before. Fixed size, never allocates. */
#define ATT_SWING_BEATS   64 /* beats held: a 20 s breath at 190 bpm */
#define ATT_SWING_BREATHS 4  /* the live figure is the mean over the last breaths */
struct att_swing {
	double beat_t[ATT_SWING_BEATS], beat_hr[ATT_SWING_BEATS];
	unsigned head, count;
	double trough_t; /* the open breath's start; NAN before the first trough */
	double recent[ATT_SWING_BREATHS];
	unsigned recent_n, recent_head;
};
void att_swing_reset(struct att_swing *s);
/* An accepted beat at t seconds with heart rate 60 / IBI. */
void att_swing_beat(struct att_swing *s, double t, double hr_bpm);
/* A trough at t: returns the swing of the breath it closes, NAN when that was no breath (too
 * short or long, fewer than two beats, or the first trough). */
double att_swing_trough(struct att_swing *s, double t);
/* Mean swing of the last ATT_SWING_BREATHS breaths; NAN before the first. */
double att_swing_bpm(const struct att_swing *s);

#endif
