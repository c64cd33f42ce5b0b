/* PPG beat detection (Elgendi et al. 2013, "Systolic peak detection in acceleration
 * photoplethysmograms", PLoS ONE 8(10): e76585), inter-beat intervals with outlier rejection,
 * heart rate and RMSSD. Takes the RAW pulse signal: the 0.5-8 Hz band-pass is done inside.
 *
 * Method: band-pass (Butterworth order 2, 0.5-8 Hz), clip below zero, square; a short moving
 * average (W1 ~ 111 ms, one systolic peak) and a long one (W2 ~ 667 ms, one beat); blocks of
 * interest where the short average exceeds the long one plus beta x mean of the squared signal;
 * blocks at least W1 long hold a beat, whose peak is the maximum of the band-passed signal in the
 * block (refined between samples by a parabola through its neighbours, as one sample at
 * 25-100 Hz is as large as the beat-to-beat changes RMSSD measures); a refractory period drops a
 * second peak too close to the previous one. Live, the moving
 * averages are centred with a delay of W2/2 and the band-pass is causal; offline it is zero-phase.
 *
 * An inter-beat interval (IBI) is accepted when it lies in 30-220 bpm and within ibi_tolerance of
 * the median of recent accepted IBIs (a missed or an extra beat makes an outlier). Heart rate is
 * 60 / mean of the recent accepted IBIs; RMSSD uses successive differences of accepted IBIs that
 * follow each other directly.
 *
 * Invariant: beat indices strictly increase; att_pulse_push() never allocates.
 * Threads: one detector is used by one thread at a time; batch functions run on any thread. */
#ifndef ATT_PULSE_H
#define ATT_PULSE_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_pulse_cfg {
	double rate_hz;       /* input rate, > 2 x high_hz (25..1000 Hz in practice) */
	double low_hz;        /* band-pass; 0 = default 0.5 Hz (30 bpm, and removes baseline) */
	double high_hz;       /* 0 = default 8 Hz (Elgendi: keeps the systolic upstroke, drops
	                         mains and motion); must be < rate_hz / 2 */
	double w1_s;          /* peak window; 0 = default 0.111 s (Elgendi's optimum) */
	double w2_s;          /* beat window; 0 = default 0.667 s (Elgendi's optimum) */
	double beta;          /* threshold offset; 0 = default 0.02 (Elgendi's optimum) */
	double refractory_s;  /* minimum beat spacing; 0 = default 0.27 s (220 bpm) */
	double ibi_tolerance; /* accepted deviation from the recent median IBI; 0 = default 0.3
	                         (RSA rarely moves one IBI by 30 %; a missed beat moves it 100 %) */
	int hr_beats;         /* heart rate and RMSSD over the last N accepted IBIs (live); 0 =
	                         default 10 for the rate (about 8 s), RMSSD over 3 x hr_beats */
	double mean_tau_s;    /* live: time constant of the running mean of the squared signal used
	                         for beta; 0 = default 10 s */
};

struct att_beat {
	uint64_t index; /* sample index of the systolic peak (0 = first sample since new/reset) */
	uint64_t confirmed; /* sample index at which it was reported (index + detection delay) */
	double ibi_s;       /* interval to the previous beat; NAN for the first beat */
	int ibi_ok;         /* 1 when ibi_s passed the outlier check */
	double hr_bpm;      /* heart rate after this beat; NAN until known */
	double rmssd_ms;    /* RMSSD after this beat; NAN until known */
	double position;    /* the peak in fractional samples (parabola through the maximum and its
	                       neighbours); index is the sample of the maximum; ibi_s uses position */
};

struct att_pulse;

/* *out is set to NULL first; caller frees with att_pulse_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_pulse_new(const struct att_pulse_cfg *cfg, struct att_pulse **out);
/* NULL is a no-op. */
void att_pulse_free(struct att_pulse *p);
/* Pushes one raw PPG sample. Returns 1 and fills *beat when a beat is reported by this sample,
 * else 0. NAN input is a gap: the detector resets (indices keep counting). Never allocates. */
int att_pulse_push(struct att_pulse *p, double x, struct att_beat *beat);
/* Forgets everything, including the sample index. */
void att_pulse_reset(struct att_pulse *p);
/* Live heart rate (bpm) and RMSSD (ms) from recent accepted IBIs; NAN until known or when no beat
 * came for 3 s (a loose sensor). */
double att_pulse_hr(const struct att_pulse *p);
double att_pulse_rmssd(const struct att_pulse *p);
/* Beats reported since new/reset. */
uint32_t att_pulse_count(const struct att_pulse *p);

/* Offline: beats of a whole raw array (zero-phase band-pass, centred averages). Arrays are
 * allocated; free with att_pulse_result_free(). */
struct att_pulse_result {
	size_t *beats; /* sample indices of systolic peaks, increasing */
	size_t n_beats;
	double *ibi_s; /* n_beats entries: interval ending at each beat, NAN for the first */
	unsigned char *ibi_ok; /* n_beats entries: 1 when accepted */
	double hr_bpm;         /* 60 / mean accepted IBI; NAN with no accepted IBI */
	double rmssd_ms;       /* over successive accepted IBIs; NAN with fewer than 2 such pairs */
	size_t n_ok;           /* accepted IBIs */
	double *position; /* n_beats entries: peaks in fractional samples (see struct att_beat) */
};

/* ATT_ERR_ARG, ATT_ERR_NOMEM, ATT_ERR_NO_DATA (n < 2). *out is zeroed first. */
int att_pulse_detect(const struct att_pulse_cfg *cfg, const double *x, size_t n,
                     struct att_pulse_result *out);
/* Frees the arrays and zeroes the struct; NULL is a no-op. */
void att_pulse_result_free(struct att_pulse_result *r);

/* Heart rate and RMSSD from given beat times in seconds (e.g. a window of a longer result),
 * with the same outlier rule. NAN where not computable. Any thread, no allocation. */
void att_pulse_stats(const double *beat_t_s, size_t n, double ibi_tolerance, double *hr_bpm,
                     double *rmssd_ms);

#endif
