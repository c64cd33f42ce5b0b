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

#endif
