/* Signal quality per channel, as enum att_quality bit sets: FLAT (no variation: sensor
 * loose or unplugged), SATURATED (stuck at a rail), IMPLAUSIBLE (no breaths found in a window, or a
 * heart rate outside 30-220 bpm), SETTLING (not enough signal yet to judge).
 *
 * Method: raw samples are summarised in blocks of 1 s (mean, variance, min, max, samples at a
 * rail); the judgement uses the last window_s of blocks. Flat: with a known ADC range, the window's
 * standard deviation is below flat_counts ADC counts; in physical units (adc_max == 0) it is below
 * flat_rel x the channel's own typical deviation (the median over the last ~4 minutes of the
 * deviations of windows that were not flat, so a belt that goes slack stands out whatever the
 * units, and a slack belt never becomes the norm), or zero to rounding. Saturated: more
 * than saturated_share of the window's samples sit at 0 or adc_max (never with adc_max == 0).
 * Implausible: the detectors report their events and rates through att_quality_event().
 *
 * Invariant: all memory is allocated in att_quality_new(); push never allocates.
 * Threads: one checker is used by one thread at a time; att_quality_batch() runs on any thread. */
#ifndef ATT_QUALITY_H
#define ATT_QUALITY_H

#include <stddef.h>

#include "attune/err.h"

/* Signal quality, as bit sets per channel. */
enum att_quality {
	ATT_Q_OK = 0,
	ATT_Q_SETTLING = 1 << 0,    /* not enough signal yet to judge */
	ATT_Q_ABSENT = 1 << 1,      /* no such channel (e.g. no PPG column) */
	ATT_Q_FLAT = 1 << 2,        /* no variation: sensor loose or unplugged */
	ATT_Q_SATURATED = 1 << 3,   /* stuck at a rail: sensor too tight or gain too high */
	ATT_Q_IMPLAUSIBLE = 1 << 4, /* no breaths found, or heart rate outside 30-220 bpm */
};

enum att_quality_signal {
	ATT_QUALITY_RESP, /* events are breaths; implausible = none in event_window_s */
	ATT_QUALITY_PPG,  /* events are beats; implausible = none in event_window_s or rate
	                     outside 30-220 bpm */
};

struct att_quality_cfg {
	enum att_quality_signal signal;
	double rate_hz;         /* raw sample rate, > 0 */
	double adc_max;         /* full scale (1023 for 10 bits); 0 = unknown units: no saturation
	                            check, flatness judged relative to the channel's own variation */
	double window_s;        /* judged window; 0 = default 10 s (two slow breaths) */
	double flat_counts;     /* adc_max > 0: flat below this std in counts; 0 = default 1.0
	                            (one LSB: the quantisation noise of a live sensor is ~0.3-1 LSB,
	                            but a breathing belt or a pulse moves tens of counts) */
	double flat_rel;        /* adc_max == 0: flat below this share of the typical std; 0 =
	                            default 0.02 (a belt that is off moves < 2 % of one worn) */
	double saturated_share; /* share of window samples at a rail; 0 = default 0.2 (a deep breath
	                            may touch a rail briefly, a stuck sensor sits there) */
	double event_window_s;  /* implausible when no event for this long; 0 = default 30 s for
	                            breaths (1.5 x the slowest 3 /min breath), 5 s for beats */
	double batch_share;     /* att_quality_batch(): a bit is set when it holds for more than
	                            this share of the windows; 0 = default 0.25 */
};

struct att_quality_check; /* "struct att_quality" would clash with enum att_quality */

/* *out is set to NULL first; caller frees with att_quality_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_quality_new(const struct att_quality_cfg *cfg, struct att_quality_check **out);
/* NULL is a no-op. */
void att_quality_free(struct att_quality_check *q);
/* Pushes one raw sample (before any filter). NAN is ignored (an absent channel: see flags).
 * Never allocates. */
void att_quality_push(struct att_quality_check *q, double raw);
/* Tells the checker that the detector found an event (a breath or a beat) at the current sample;
 * rate_bpm is the detector's current rate (NAN if unknown). */
void att_quality_event(struct att_quality_check *q, double rate_bpm);
/* Current bits (enum att_quality). SETTLING until one window has been seen; ABSENT when every
 * sample so far was NAN. */
unsigned att_quality_flags(const struct att_quality_check *q);
/* Forgets everything (after a gap or a reconnect). */
void att_quality_reset(struct att_quality_check *q);

/* Offline: flags of a whole raw array given the detector's findings: `events` sample indices of
 * breaths or beats (increasing, may be NULL with n_events 0), rate_bpm the overall rate (NAN if
 * unknown). Runs the streaming checker; a bit is set when it held in more than batch_share of the
 * windows (SETTLING only when the array is shorter than one window). */
unsigned att_quality_batch(const struct att_quality_cfg *cfg, const double *x, size_t n,
                           const size_t *events, size_t n_events, double rate_bpm);

/* Offline in pieces, for a recording whose channel is not held as doubles in one array:
 * att_quality_batch() is att_quality_new(), one att_quality_feed() of the whole array and
 * att_quality_verdict(). Feed the pieces in order; `events` are the sample indices of the events
 * within this piece (relative to x[0], increasing). Never allocates. */
void att_quality_feed(struct att_quality_check *q, const double *x, size_t n, const size_t *events,
                      size_t n_events);
/* The batch verdict of everything fed so far (see att_quality_batch()); q stays usable. */
unsigned att_quality_verdict(const struct att_quality_check *q, double rate_bpm);

/* Plausibility of a heart rate alone: ATT_Q_IMPLAUSIBLE outside 30-220 bpm, 0 inside, 0 for NAN
 * (unknown is not implausible; absence of beats is judged by the event window). */
unsigned att_quality_hr(double hr_bpm);

/* One word for a set of bits, the most serious first: "absent", "flat", "saturated",
 * "implausible", "settling", else "ok" (absent hides the others: an absent channel is also flat).
 * A static string. */
const char *att_quality_word(unsigned q);

#endif
