/* Offline analysis of a whole session: per-person breathing and heart figures, breathing
 * synchrony of the pair, and a timeline of sliding windows. Input is a struct att_recording, so
 * every file reader (CSV, EDF+, raw capture) shares this one code path.
 *
 * Method (all zero-phase, windows centred on their time):
 * - respiration: att_clean_batch (decimate to ~25 Hz, band-pass 0.05-1 Hz, filtfilt); breaths by
 *   att_breath_detect; phase by att_phase_offline over the whole session, whose first and last
 *   ATT_ANALYSIS_EDGE_S seconds (Hilbert edge error) are left out of synchrony;
 * - synchrony: att_sync_analyze over sliding windows (PLV, surrogate chance level, relative phase,
 *   lag, match); coherence in the breathing band (att_coherence_in_band); heart-rate synchrony
 *   att_hr_sync on 4 Hz resampled heart rates (its zero-lag r, hr_sync_r) and att_hr_xcorr on
 *   the same (windowed cross-correlation within +-5 s, Boker's peak picking, and its chance
 *   level from circularly shifted partners: hr_sync_r_max, hr_sync_lag_s, hr_sync_chance);
 * - PPG: att_pulse_detect (zero-phase Elgendi), per-window heart rate by att_pulse_stats.
 * Whole-session values are medians over the windows (heart rates, PLV, chance, match), except:
 * breath_rate_bpm is breaths per minute of usable signal (trough-to-trough intervals touching no
 * gap, none longer than 20 s), so it agrees with breaths; breath_rate_median_bpm and
 * breath_rate_range_bpm are the median and 10th/90th percentiles of the windows' rates;
 * relative_phase_deg is the PLV-weighted circular mean of the windows' relative phases
 * (a median of angles is ill-defined; weighting lets locked windows speak and unlocked ones,
 * whose phase is noise, count little); lag_s is the PLV-weighted mean of the windows' lags (each
 * its phase at its own breathing frequency, so a partner who follows by a fixed time reads as
 * that time however the rate wanders); both are NAN unless lead tells who leads: by
 * att_sync_lead (sync.h, the live view's rule) of a session locked above chance (session_plv
 * >= ATT_LEAD_MIN_PLV and above session_plv_chance, the 95th percentile of the same surrogate
 * shifts over the whole usable session: a 30 s window of two regular breathers looks locked at
 * any shift, a whole session does not unless they are). A window whose chance level is
 * ATT_ANALYSIS_CHANCE_UNINFORMATIVE or more is "chance uninformative". breaths is the
 * whole-session count; rmssd_ms is over all accepted beats; coherence and hr_sync_* are
 * whole-session estimates. NAN means "cannot be computed" (no PPG,
 * too few beats, a series too short for surrogates, a window touching a gap) and becomes null
 * in JSON. Missing samples (NAN, e.g. lost frames in a raw capture) are bridged linearly for the
 * filters; a belt gap of 0.5 s or more blanks (NAN) every timeline window within 1 s of it, so
 * no synchrony is reported across a gap; whole-session medians skip blank windows.
 *
 * Invariant: att_analyze() either returns a complete result or an error with one line of why; it
 * never modifies the recording. Threads: call from any thread; it runs one helper thread of its
 * own for the duration of the call (belts and synchrony on the caller's thread, pulses, quality
 * and coherence on the helper), joined before it returns. No global state. Memory: besides the
 * recording, no full-length double copy of a channel is held (pulses and quality work in chunks;
 * only a belt with gaps is bridged whole for its cleaning),
 * about 25 MB of heap in all for a 1-hour 4-channel 250 Hz session (14.4 MB of it the recording). */
#ifndef ATT_ANALYSIS_H
#define ATT_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attune/err.h"
#include "attune/recording.h"

#define ATT_ANALYSIS_EDGE_S 2.0  /* seconds trimmed at both ends before synchrony */
#define ATT_ANALYSIS_MIN_S  10.0 /* shortest recording analysed */

struct att_analysis_cfg {
	double window_s;     /* sliding window; 0 = 30 s */
	double step_s;       /* window step; 0 = 1 s; at most window_s */
	unsigned surrogates; /* circular shifts for the chance level; 0 = sync's default (99) */
	/* Called now and then with the share done (0..1), from the calling thread; may be NULL.
	 * It must not call back into the analysis. */
	void (*progress)(double done, void *user);
	void *progress_user;
};

struct att_analysis_person {
	double breath_rate_bpm;          /* breaths per minute of usable signal (analysis.c) */
	double breath_rate_median_bpm;   /* median of the windows' rates: the typical window */
	double breath_rate_range_bpm[2]; /* 10th and 90th percentile of the windows' rates */
	size_t breaths;                  /* breaths (troughs) found in the whole session */
	double heart_rate_bpm;           /* median over windows; NAN without PPG */
	double rmssd_ms;                 /* NAN without PPG or too few beats */
	unsigned resp_quality;           /* enum att_quality bits (quality.h) of the belt */
	unsigned ppg_quality;            /* of the pulse sensor; ATT_Q_ABSENT without PPG */
};

/* matched_fraction: share of windows with match >= ATT_MATCHED (sync.h). relative_phase_deg and
 * lag_s are NAN unless lead says who leads. */
struct att_analysis_sync {
	double match, matched_fraction, plv, plv_chance, in_sync_fraction;
	double relative_phase_deg, lag_s, coherence, hr_sync_r;
	double hr_sync_r_max;  /* windowed cross-correlation of the heart rates at each window's
	                          peak (att_hr_xcorr, sync.h), lags within +-5 s; NAN without both
	                          pulses or when the heart rates barely vary */
	double hr_sync_lag_s;  /* the peaks' median lag; positive when B's heart follows A's */
	double hr_sync_chance; /* the same r_max of circularly shifted partners, 95th percentile */
	double chance_informative_fraction; /* share of windows (with a chance level) whose
	                                       chance_informative is 1 */
	double session_plv; /* PLV of the whole usable session (samples near gaps left out) */
	double session_plv_chance; /* 95th percentile of its circular-shift surrogates */
	int locked; /* session_plv above its chance level and >= ATT_LEAD_MIN_PLV (sync.h): 1 yes,
	               0 no, -1 unknown (a session too short for surrogates) */
	int lead;   /* enum att_lead (sync.h) by att_sync_lead() of the session PLV, relative phase
	             and breathing rates; ATT_LEAD_NONE unless locked */
};

/* A window whose chance level is this high cannot tell locking from chance: both breathe so
 * regularly that any shifted partner looks locked within the window (a regular ICU patient's
 * 30 s windows reach 0.99). */
#define ATT_ANALYSIS_CHANCE_UNINFORMATIVE 0.9

/* One timeline row (a sliding window), `t` its centre in seconds since the first sample. */
struct att_analysis_window {
	double t, match, plv, plv_chance, relative_phase_deg, lag_s;
	double a_breath_rate_bpm, b_breath_rate_bpm, a_heart_rate_bpm, b_heart_rate_bpm;
	int chance_informative; /* plv_chance < ATT_ANALYSIS_CHANCE_UNINFORMATIVE: 1, 0, or -1
	                           without a chance level */
};

struct att_analysis {
	double duration_s;       /* n / rate_hz */
	double rate_hz;          /* of the recording */
	double window_s, step_s; /* in effect: whole samples of the ~25 Hz cleaned series, so a
	                            0.5 s step at 25 Hz is 13 samples = 0.52 s */
	struct att_analysis_person a, b;
	struct att_analysis_sync sync;
	size_t n_timeline;
	struct att_analysis_window *timeline; /* owned by the result */
	struct att_phases *phases; /* a guided session's phases (phases.h); NULL without; owned */
};

/* Analyses a recording (borrowed for the call; needs both respiration channels, PPG optional),
 * and its phases when it holds a guide's phase events (phases.h).
 * *out is set to NULL first; caller frees with att_analysis_free(). On failure writes one line
 * into why (may be NULL): ATT_ERR_ARG (bad cfg), ATT_ERR_NO_DATA (no respiration channel, or
 * shorter than ATT_ANALYSIS_MIN_S), ATT_ERR_NOMEM. */
int att_analyze(const struct att_analysis_cfg *cfg, const struct att_recording *rec,
                struct att_analysis **out, char *why, size_t why_len);
/* NULL is a no-op. */
void att_analysis_free(struct att_analysis *an);

/* Writes the result as one JSON object in the layout of the README, section Contracts kept stable
 * (duration_s, rate_hz, window_s, step_s, a, b, sync, timeline, phases, resonance), followed
 * by a newline; indent 0 gives one line. The stream is borrowed. ATT_ERR_IO when writing failed. */
int att_analysis_write_json(const struct att_analysis *an, FILE *out, int indent);

/* Writes the same members into the object j has open, so a caller can add members of its own
 * (the session JSON adds "session"). an == NULL writes every key with null values, for a session
 * too short to analyse, with the duration_s and rate_hz given. */
struct att_json;
int att_analysis_json_members(const struct att_analysis *an, double duration_s, double rate_hz,
                              struct att_json *j, int indent);

/* Writes the timeline as CSV: a header with the JSON timeline names, one row per window, empty
 * fields for values that cannot be computed. ATT_ERR_IO when writing failed. */
int att_analysis_write_timeline_csv(const struct att_analysis *an, FILE *out);

/* Names of quality bits, e.g. "ok", "flat,saturated"; writes into buf, returns buf. */
const char *att_quality_str(unsigned bits, char *buf, size_t len);

#endif
