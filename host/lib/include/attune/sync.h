/* Synchrony of two people's breathing (and heart rate): phase-locking value, relative phase and lag,
 * breath match, surrogate chance level, coherence, cross-correlation lag, heart-rate correlation.
 *
 * Definitions (shared by the offline analysis, the live engine and the scipy reference in
 * tests/reference/):
 * - relative phase  d(t) = phiA(t) - phiB(t); positive when A leads.
 * - PLV             |mean e^{i d}| over a window, 0..1 (1 = locked, whatever the offset).
 * - relative_phase  arg(mean e^{i d}) in degrees, wrapped to (-180, 180].
 * - lag_s           relative_phase / (360 * f), f the mean breathing frequency of both in the
 *                   window (from the advance of the unwrapped phases); positive when B follows A.
 * - match           max(0, PLV * cos(relative_phase)): locked *and* inhaling together.
 * - plv_chance      95th percentile (linear interpolation, as numpy) of the PLVs of surrogates in
 *                   which B's phase is circularly shifted by at least one breath period.
 *
 * Offline functions allocate what they need and free it before returning; the live object
 * (struct att_livesync) allocates only in att_livesync_new(). No global state; an object is used
 * by one thread at a time, the offline functions from any thread. */
#ifndef ATT_SYNC_H
#define ATT_SYNC_H

#include <stddef.h>

#include "attune/err.h"

/* A window counts as matched at match >= this: the session's matched_fraction, the live view's
 * "matched", the report. One value, so a session the view showed as matched is counted as such
 * (README, section Contracts kept stable). */
#define ATT_MATCHED 0.7

/* Offline phase synchrony. */

struct att_sync_cfg {
	double rate_hz;      /* rate of the phase series */
	double window_s;     /* sliding window; 0 = 30 s */
	double step_s;       /* window step; 0 = 1 s (at most the window) */
	unsigned surrogates; /* circular shifts for the chance level; 0 = 99 (at least 19) */
	double min_shift_s;  /* smallest shift; 0 = 10 s; never less than one mean breath period */
};

/* One sliding window. Values are NAN when they cannot be computed (e.g. plv_chance of a series
 * too short for shifts of one breath period, lag_s without a breathing frequency). */
struct att_sync_window {
	double t; /* window centre, seconds from the first sample */
	double plv;
	double plv_chance;
	double relative_phase_deg;
	double lag_s;
	double match;
	double freq_hz; /* mean breathing frequency of A and B in the window */
};

/* Whole-series figures. (`attune analyze` reports medians over the windows instead, see
 * analysis.h; both are offered because a whole-series PLV drops whenever the lock drifts.) */
struct att_sync_summary {
	double plv;        /* over the whole series */
	double plv_chance; /* whole-series surrogates */
	double relative_phase_deg;
	double lag_s;
	double match;
	double freq_hz;          /* mean breathing frequency of A and B */
	double in_sync_fraction; /* share of windows with plv > plv_chance (NAN without chance) */
	double matched_fraction; /* share of windows with match >= ATT_MATCHED */
	size_t windows;          /* windows counted in the fractions */
};

/* How many windows att_sync_analyze() writes for n samples under cfg (defaults applied): windows
 * start every step_s while they fit; a series shorter than one window gives one window over all
 * of it. 0 for n < 2 or an invalid cfg. */
size_t att_sync_window_count(const struct att_sync_cfg *cfg, size_t n);

/* Sliding-window and whole-series synchrony of the phase series pa, pb (radians, any wrapping,
 * n samples each at cfg->rate_hz; sliding sums make it O(n) per surrogate). Writes up to
 * max_windows windows into windows (may be NULL when max_windows is 0) and, when sum is not NULL,
 * the summary. Callers drop the first/last seconds with Hilbert edge error themselves by passing
 * an inner slice. Returns the number of windows written (>= 0) or ATT_ERR_ARG (NULL series, bad
 * cfg), ATT_ERR_NO_DATA (n < 2 or non-finite phases), ATT_ERR_NOMEM. All pointers are borrowed
 * for the call. Any thread. */
int att_sync_analyze(const struct att_sync_cfg *cfg, const float *pa, const float *pb, size_t n,
                     struct att_sync_window *windows, size_t max_windows,
                     struct att_sync_summary *sum);

/* PLV and mean relative phase (degrees, (-180, 180]) of one window. rel_deg may be NULL.
 * ATT_ERR_ARG for NULL series or n == 0. Any thread. */
int att_sync_plv(const float *pa, const float *pb, size_t n, double *plv, double *rel_deg);

/* Lag of b behind a from the peak of their FFT cross-correlation (kissfft; signals mean-removed,
 * zero-padded so the correlation is linear, not circular) within +-max_lag_s, refined by a
 * parabola through the peak. Positive when b follows a: b(t) ~ a(t - lag). r (may be NULL) gets
 * the normalised correlation at the peak (-1..1). Use the cleaned (band-passed) breath signals.
 * ATT_ERR_ARG (NULL, n < 4, bad rate or max lag), ATT_ERR_NO_DATA (a constant signal),
 * ATT_ERR_NOMEM. Arrays borrowed for the call; any thread. */
int att_sync_xcorr_lag(const float *a, const float *b, size_t n, double rate_hz, double max_lag_s,
                       double *lag_s, double *r);

/* Magnitude-squared coherence, the same estimate as scipy.signal.coherence(a, b, fs=rate_hz,
 * window='hann', nperseg=nperseg, noverlap=nperseg/2, detrend='constant'): Welch averages of
 * segments with a periodic Hann window. nperseg must be a power of two between 16 and n.
 * Writes nbins = nperseg/2 + 1 values into cxy (bin k at k * rate_hz / nperseg Hz).
 * ATT_ERR_ARG, ATT_ERR_NOMEM. Bins without power in a or b are NAN (as scipy). Any thread. */
int att_coherence(const float *a, const float *b, size_t n, double rate_hz, size_t nperseg,
                  float *cxy, size_t nbins);

struct att_coherence_band {
	double peak_hz;   /* frequency of the largest cross-spectrum magnitude |Pxy| in the band */
	double coherence; /* coherence at peak_hz: the breathing band's coherence the JSON reports */
	double mean;      /* mean coherence over the band's bins */
};

/* Coherence in the breathing band fmin_hz..fmax_hz with segments of seg_s seconds (0 = 20 s,
 * rounded to the nearest power of two of samples, at most n). ATT_ERR_ARG, ATT_ERR_NO_DATA (series
 * shorter than 16 samples or band without bins), ATT_ERR_NOMEM. Any thread. */
int att_coherence_in_band(const float *a, const float *b, size_t n, double rate_hz, double seg_s,
                          double fmin_hz, double fmax_hz, struct att_coherence_band *out);

/* Heart-rate synchrony. */

/* Evenly resamples a heart rate from beat times: beat_t[0..nbeats) in seconds, increasing. The
 * instantaneous rate 60/IBI is placed at the middle of each interval (intervals outside
 * 30..220 bpm are skipped) and linearly interpolated at t0 + i/rate_hz for i < n; before the
 * first / after the last valid interval the nearest value is held. ATT_ERR_ARG,
 * ATT_ERR_NO_DATA (no valid interval; out is then all NAN). Any thread. */
int att_hr_resample(const double *beat_t, size_t nbeats, double t0, double rate_hz, float *hr_bpm,
                    size_t n);

struct att_hr_sync {
	double r;       /* mean windowed Pearson correlation at zero lag, -1..1 */
	double r_lag;   /* mean windowed Pearson correlation at lag_s */
	double lag_s;   /* lag (within +-max_lag_s) that maximises the mean windowed correlation;
	                   positive when B follows A */
	size_t windows; /* windows averaged */
};

/* Windowed Pearson correlation of two evenly sampled heart-rate series ha, hb (n samples at
 * rate_hz; NAN samples make a window skipped), windows of window_s (0 = 30 s) every step_s
 * (0 = 1 s), lags searched in steps of one sample within +-max_lag_s (0 = 5 s; < 0 = no lag
 * search, r_lag and lag_s stay NAN: the search costs one pass per lag, 41 at the default).
 * Windows with no variation in either series are skipped. ATT_ERR_ARG, ATT_ERR_NO_DATA (no
 * usable window). Any thread. */
int att_hr_sync(const float *ha, const float *hb, size_t n, double rate_hz, double window_s,
                double step_s, double max_lag_s, struct att_hr_sync *out);

/* Windowed cross-correlation of two heart rates with peak picking (Boker, Xu, Rotondo & King
 * 2002, Psychological Methods 7(3)): in each window (window_s every step_s) the Pearson
 * correlation of A with B at every lag within +-max_lag_s, one sample apart, and the local
 * maximum nearest lag 0 (at least as high as its neighbours within PEAK_SPAN samples, inside the
 * lag range, refined by a parabola). A lag is positive when B follows A: b(t) ~ a(t - lag). The
 * session's figures: r_max, the mean of the windows' peak correlations, and lag_s, the median of
 * their peak lags. The chance level is the same r_max of B circularly shifted by surrogates
 * shifts spread evenly between min_shift_s and n - min_shift_s: a lag search finds a peak in
 * any two series, so r_max only means something above it. Windows where either heart rate
 * varies less than min_sd_bpm (SD) are left out: their correlation is the beat detector's
 * rounding. */
struct att_hr_xcorr_cfg {
	double rate_hz;      /* of both series */
	double window_s;     /* 0 = 30 s */
	double step_s;       /* 0 = 1 s */
	double max_lag_s;    /* 0 = 5 s */
	unsigned surrogates; /* 0 = 19, as the live chance level (at least 19): each costs a whole
	                        lag search, 19 keep an hour's analysis within its time budget */
	double min_shift_s;  /* 0 = 10 s; never less than 2 x max_lag_s */
	double min_sd_bpm;   /* 0 = 0.5 bpm */
};

struct att_hr_xcorr {
	double r_max;   /* mean peak correlation over the windows with a peak, -1..1 */
	double lag_s;   /* median peak lag; positive when B follows A */
	double chance;  /* the surrogates' r_max that an unrelated partner beats 1 time in 20: the
	                   ceil(0.95 (K + 1))-th smallest of K (of 19, the largest); NAN for a
	                   series too short */
	size_t windows; /* windows with a peak */
};

/* The windowed cross-correlation above of ha, hb (n samples each at cfg->rate_hz, finite).
 * Fills out (all NAN and 0 windows first). ATT_ERR_ARG (NULL, bad cfg), ATT_ERR_NO_DATA (no
 * window fits, a NAN sample, or fewer than half the windows vary enough: the heart rates barely
 * vary), ATT_ERR_NOMEM. Arrays borrowed for the call; any thread. Cost: O(n x lags) per
 * surrogate. */
int att_hr_xcorr(const struct att_hr_xcorr_cfg *cfg, const float *ha, const float *hb, size_t n,
                 struct att_hr_xcorr *out);

/* Live synchrony. */

struct att_livesync;

struct att_livesync_cfg {
	double rate_hz;      /* phase pairs pushed per second (e.g. 10 or the decimated 25 Hz) */
	double tau_s;        /* time constant of the exponentially weighted PLV; 0 = 3 s, which
	                        shows an anti-phase -> in-phase switch as match >= 0.7 within ~6 s */
	unsigned surrogates; /* delayed copies of B for the chance level; 0 = 19 (at least 19) */
	double min_shift_s;  /* shortest surrogate delay (>= one breath period); 0 = 10 s */
	double max_shift_s;  /* longest delay = B history kept; 0 = 40 s (or 2 x min_shift_s when
	                        that is longer) */
	double pool_s;       /* the chance level pools the surrogates' PLVs (one value per
	                        surrogate per second) over this long: with a short tau the
	                        surrogates of one instant are too alike to show the spread of
	                        chance PLVs; 0 = 120 s */
};

struct att_livesync_est {
	double plv;                /* NAN while settling (less than tau_s of pairs since a reset) */
	double relative_phase_deg; /* (-180, 180], positive when A leads */
	double lag_s;              /* relative phase / (360 f); NAN without a frequency */
	double match;              /* max(0, plv * cos(relative phase)) */
	double plv_chance;         /* 95th percentile (0.01 resolution, interpolated) of the pooled
	                              surrogate PLVs; NAN until 19 values are pooled (about
	                              min_shift_s + tau_s + 19 s / surrogates after a reset) */
};

/* Creates a live synchrony tracker; all memory (B's phase history, surrogate accumulators) is
 * allocated here. *out is set to NULL first; caller frees with att_livesync_free(). cfg is copied.
 * ATT_ERR_ARG (rate outside 0.5..1000 Hz, tau outside 0.2..120 s, shifts not
 * 0 < min < max <= 600 s, surrogates > 999, pool outside 0..3600 s), ATT_ERR_NOMEM. Any thread
 * (then used by one). */
int att_livesync_new(const struct att_livesync_cfg *cfg, struct att_livesync **out);

/* NULL is a no-op. */
void att_livesync_free(struct att_livesync *s);

/* Pushes one phase pair (radians) and the current breathing frequency (Hz, mean of A and B; NAN
 * if unknown, then lag_s is NAN). A NAN phase is a gap: the tracker resets. Writes the current
 * estimate into out (may be NULL). Never allocates; cost O(surrogates + 100). The thread that
 * owns the tracker (the engine's main loop). */
void att_livesync_push(struct att_livesync *s, double phase_a, double phase_b, double freq_hz,
                       struct att_livesync_est *out);

/* Forgets everything (after a gap). */
void att_livesync_reset(struct att_livesync *s);

/* Who leads, for the live readout and the offline summary: a lead is only told when there is a
 * steady relation to tell (the live view asks it of the moment's PLV, the offline analysis of the
 * whole session's, once that is above its surrogate chance level: analysis.h).
 * NONE: unknown, not locked (plv < ATT_LEAD_MIN_PLV), or breathing at clearly different rates
 * (more than ATT_LEAD_RATE_TOL apart, when both rates are known): then the relative phase slides
 * and "A leads by 2 s" would be an accident of the moment. TOGETHER within ATT_LEAD_TOGETHER_DEG,
 * OPPOSITE beyond ATT_LEAD_OPPOSITE_DEG, else A or B (positive relative phase: A leads). */
#define ATT_LEAD_MIN_PLV      0.5
#define ATT_LEAD_RATE_TOL     0.15 /* |ra - rb| / mean */
#define ATT_LEAD_TOGETHER_DEG 10.0
#define ATT_LEAD_OPPOSITE_DEG 150.0
enum att_lead { ATT_LEAD_NONE, ATT_LEAD_TOGETHER, ATT_LEAD_OPPOSITE, ATT_LEAD_A, ATT_LEAD_B };
enum att_lead att_sync_lead(double plv, double relative_phase_deg, double rate_a_bpm,
                            double rate_b_bpm);

#endif
