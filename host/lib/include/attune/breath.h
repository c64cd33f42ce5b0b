/* Breath detection on a cleaned (band-passed, zero-mean) respiration signal: troughs (inhale
 * onset), peaks (end of inhale = exhale onset), breath-by-breath rate and a smoothed rate.
 *
 * Method: a hysteresis state machine. After a trough it follows the running maximum; the maximum
 * becomes a peak once the signal has fallen from it by more than `hysteresis` x the recent breath
 * amplitude, and symmetrically for troughs. The recent amplitude comes from a slow running RMS of
 * the signal, with samples clipped to a few RMS so one motion artefact cannot blind it; thus the
 * threshold follows slow amplitude changes, and baseline drift is already removed by the band-pass.
 * The threshold never drops below a tenth of the amplitude of the last two minutes, so when a
 * belt comes off its noise is not counted as breaths (breaths 10 x shallower still are).
 * A breath is trough to trough; a trough less than min_breath_s after the previous one is a noise
 * wiggle, not a breath: it is not reported and the rise after it counts as the inhale.
 *
 * Invariant: a peak lies between two troughs (two peaks may follow each other when a wiggle near a
 * trough was merged: peaks are reported before that is known); indices strictly increase;
 * everything is allocated in att_breath_new(), so att_breath_push() never allocates.
 *
 * Threads: one detector is used by one thread at a time; the batch functions run on any thread. */
#ifndef ATT_BREATH_H
#define ATT_BREATH_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_breath_cfg {
	double rate_hz;      /* rate of the cleaned signal (e.g. att_clean_rate()), > 0 */
	double hysteresis;   /* swing needed to confirm an extremum, as a fraction of the recent
	                        peak-to-peak amplitude; 0 = default 0.2 (above the residual noise of
	                        a 10 dB SNR belt after the 1 Hz low-pass; low enough to keep the
	                        shallow breaths of a real resting recording, which 0.3 loses) */
	double amp_tau_s;    /* time constant of the amplitude tracker; 0 = default 8 s (two slow
	                        breaths: follows a change in depth within a few breaths) */
	double min_breath_s; /* shorter "breaths" are wiggles, merged into the breath; 0 = default
	                        1.0 s (60 /min, the band's top) */
	double max_breath_s; /* longer trough-to-trough gaps give no rate (a pause, an artefact);
	                        0 = default 20 s (3 /min, the band's bottom) */
	int smooth_breaths;  /* smoothed rate = 60 x breaths / time over the last N breaths;
	                        0 = default 4 (about 30 s at 8 /min, steady but quick to follow) */
};

enum att_breath_kind {
	ATT_BREATH_TROUGH, /* end of exhale, inhale onset: a breath starts here */
	ATT_BREATH_PEAK,   /* end of inhale, exhale onset */
};

struct att_breath_event {
	enum att_breath_kind kind;
	uint64_t index; /* sample index of the extremum (0 = first sample pushed since new/reset) */
	uint64_t confirmed;  /* sample index at which it was confirmed (index + detection delay) */
	double value;        /* signal at the extremum */
	double amplitude;    /* |value - previous extremum|; NAN for the first event */
	double rate_bpm;     /* troughs only: 60 / duration of the breath just completed, timed
	                        between exhale mid-level crossings (steep, so little noise jitter;
	                        see breath.c); NAN for the first breaths, peaks, or gaps */
	double smoothed_bpm; /* troughs only: smoothed rate after this breath; NAN until known */
};

struct att_breath;

/* *out is set to NULL first; caller frees with att_breath_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_breath_new(const struct att_breath_cfg *cfg, struct att_breath **out);
/* NULL is a no-op. */
void att_breath_free(struct att_breath *b);
/* Pushes one cleaned sample. Returns 1 and fills *ev when an extremum is confirmed by this sample
 * (it lies in the past: ev->index < ev->confirmed), else 0. NAN input is treated as a gap: the
 * detector resets (sample indices keep counting). Never allocates. */
int att_breath_push(struct att_breath *b, double x, struct att_breath_event *ev);
/* Forgets everything, including the index and the breath count (after a gap in the stream). */
void att_breath_reset(struct att_breath *b);
/* Smoothed breathing rate per minute; NAN until two troughs in a row are known, or when no trough
 * came for max_breath_s (the person stopped breathing or the belt fell off). */
double att_breath_rate(const struct att_breath *b);
/* Troughs (breath starts) detected since new/reset. */
uint32_t att_breath_count(const struct att_breath *b);

/* Offline detection over a whole cleaned array (same detector, run causally, so results agree
 * with the live path exactly). Arrays are allocated; free with att_breath_result_free(). */
struct att_breath_result {
	size_t *troughs; /* sample indices of troughs, increasing */
	size_t n_troughs;
	size_t *peaks; /* sample indices of peaks, increasing */
	size_t n_peaks;
	double *rate_bpm;     /* n_troughs entries: breath-by-breath rate ending at each trough, as
	                        ev.rate_bpm (NAN for the first breaths, after a gap, or when the
	                        exhale crossing could not be timed) */
	double mean_rate_bpm; /* 60 x (breaths between first and last trough) / their time span,
	                         counting only gaps <= max_breath_s; NAN with < 2 troughs */
	double median_rate_bpm; /* median of the finite rate_bpm: the typical breath, robust to a
	                           few split or merged breaths; NAN without any */
};

/* ATT_ERR_ARG, ATT_ERR_NOMEM. *out is zeroed first. */
int att_breath_detect(const struct att_breath_cfg *cfg, const double *x, size_t n,
                      struct att_breath_result *out);
/* Frees the arrays and zeroes the struct; NULL is a no-op. */
void att_breath_result_free(struct att_breath_result *r);

#endif
