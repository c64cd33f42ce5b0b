/* Live synchrony engine: samples of the four channels in, a snapshot of features out.
 *
 * One engine per session. Samples are pushed in device order with their device sample counter; a
 * counter jump is a gap (lost frames, a reconnect). A gap of up to ATT_ENGINE_BRIDGE_S (a damaged
 * frame, a USB hiccup) is bridged with a straight line so the feedback carries on; after a longer
 * one the engine restarts its tracking and never stitches signal across it. The breath trace
 * shows every gap as NAN. Nothing is allocated after att_engine_new(), so the real-time path
 * (push, snapshot) never allocates, locks or blocks.
 *
 * Threads: an engine is used by one thread at a time (the main loop); it holds no global state. */
#ifndef ATT_ENGINE_H
#define ATT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"
#include "attune/quality.h"

struct att_engine;

/* Longest gap bridged (s): short against a breath (4-10 s), long enough for a cable wiggle. */
#define ATT_ENGINE_BRIDGE_S 2.0

struct att_engine_cfg {
	double rate_hz;       /* input sample rate, 25..1000 Hz */
	double adc_max;       /* full-scale value for saturation checks (1023 for 10 bits);
	                         0 when unknown (files in physical units) */
	double live_window_s; /* synchrony window of the live feedback; 0 = default (short enough
	                         that anti-phase -> in-phase shows within 8 s) */
	double snapshot_hz;   /* how often a new snapshot is published; 0 = default (10 Hz) */
};

struct att_person {
	double breath;          /* current breath, band-passed, about -1..1, inhale rising */
	double phase_rad;       /* instantaneous breathing phase (-pi, pi]; NAN while settling */
	double breath_rate_bpm; /* smoothed breathing rate; NAN until known */
	double heart_rate_bpm;  /* NAN without PPG or until known */
	double rmssd_ms;        /* NAN without PPG or until known */
	double hr_swing_bpm;    /* the heart rate's rise and fall per breath, mean of the last 4
	                           breaths (coupling.h); NAN without PPG or until known */
	uint32_t breaths;       /* breaths detected so far */
	unsigned resp_quality;  /* enum att_quality bits of the chest belt */
	unsigned ppg_quality;   /* enum att_quality bits of the pulse sensor */
};

struct att_snapshot {
	double t;                  /* seconds of signal since the first sample, gaps included */
	double match;              /* max(0, plv * cos(relative phase)), 0..1; NAN while settling */
	double plv;                /* phase-locking value over the live window, 0..1 */
	double plv_chance;         /* surrogate 95th percentile of plv; NAN until computed */
	double relative_phase_deg; /* phiA - phiB, (-180, 180], positive when A leads */
	double lag_s;              /* relative phase as time at the current breathing rate,
	                              positive when B follows A */
	struct att_person a, b;
	uint64_t samples;      /* samples pushed */
	uint64_t samples_lost; /* samples missing in gaps */
};

/* Creates an engine. *out is set to NULL first; caller frees with att_engine_free().
 * Returns ATT_ERR_ARG for a rate outside 25..1000 Hz, ATT_ERR_NOMEM. */
int att_engine_new(const struct att_engine_cfg *cfg, struct att_engine **out);

/* Frees the engine and everything it holds; NULL is a no-op. */
void att_engine_free(struct att_engine *engine);

/* Pushes one sample instant. counter: the device sample counter (wraps at 2^32); values: the four
 * channels (enum att_wire_channel order) in any unit, NAN for an absent channel. Returns 1 when a
 * new snapshot is ready, 0 otherwise. Never allocates. */
int att_engine_push(struct att_engine *engine, uint32_t counter, const float values[4]);

/* Copies the latest snapshot. */
void att_engine_snapshot(const struct att_engine *engine, struct att_snapshot *out);

/* Recent breath history for traces: copies up to n of the most recent values of `person`'s
 * normalised breath (0 = A, 1 = B), oldest first, into out; returns how many were copied. Values
 * are spaced 1 / att_engine_trace_rate() seconds apart; NAN marks a gap. */
size_t att_engine_breath_trace(const struct att_engine *engine, int person, float *out, size_t n);
double att_engine_trace_rate(const struct att_engine *engine);

#endif
