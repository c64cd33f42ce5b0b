/* Results per phase of a guided session, and the resonance check, read from the recording's
 * events (so every file format gives them): a phase runs from its ATT_EV_PHASE event to the next
 * one, to the guide's end note (ATT_GUIDE_END_NOTE) or to the end of the recording; its pacer is
 * the latest pacer event at its start.
 *
 * Each phase of ATT_ANALYSIS_MIN_S or more is analysed on its own (att_analyze over the phase's
 * samples, windows of up to 30 s inside it, so a phase's figures never mix in its neighbours):
 * match, matched_fraction and plv are the medians of its windows, each person's breathing and
 * heart rate and RMSSD its analysis's; the heart-breath coupling (coupling.h) comes from the
 * phase's breaths and beats. NAN (null in JSON) where not computable.
 *
 * Resonance: with paced phases at 3 or more different rates, each rate is a step (phases at one
 * rate are averaged). A person's resonance rate is the step with the largest HR swing, LF power
 * deciding between swings within 0.1 bpm; the couple's is the step where the smaller of the two
 * swings, each relative to that person's best, is largest.
 *
 * Threads: any; no state. */
#ifndef ATT_PHASES_H
#define ATT_PHASES_H

#include <stddef.h>

#include "attune/err.h"
#include "attune/event.h"
#include "attune/recording.h"

struct att_phase_person {
	double breath_rate_bpm, heart_rate_bpm, rmssd_ms;
	double hr_swing_bpm, lf_power_ms2, hr_breath_phase_deg;
};

struct att_phase_result {
	char name[ATT_EVENT_TEXT_MAX];
	double start_s, end_s;
	double pacer_bpm; /* NAN without a pacer */
	double match, matched_fraction, plv;
	struct att_phase_person a, b;
};

struct att_resonance_step {
	double pacer_bpm;
	double a_hr_swing_bpm, b_hr_swing_bpm, a_lf_power_ms2, b_lf_power_ms2;
};

struct att_phases {
	size_t n;
	struct att_phase_result *phase;  /* n, in time order */
	int have_resonance;              /* 1 when the steps below hold a resonance check */
	double a_bpm, b_bpm, couple_bpm; /* NAN where a person's swings are unknown */
	size_t n_steps;
	struct att_resonance_step *step; /* n_steps, by falling rate */
};

/* Analyses the phases of rec (borrowed). *out is set to NULL first, and stays NULL when rec has
 * no phase events; caller frees with att_phases_free(). ATT_ERR_NOMEM with one line in why. */
int att_phases_analyze(const struct att_recording *rec, struct att_phases **out, char *why,
                       size_t why_len);
void att_phases_free(struct att_phases *p);

/* Writes "phases": [...] and "resonance": {...} (README "Guides") into the object j has open;
 * p NULL writes an empty list and null. */
struct att_json;
int att_phases_json_members(const struct att_phases *p, struct att_json *j);

#endif
