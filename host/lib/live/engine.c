/* Live synchrony engine (engine.h): per person a respiration cleaner (decimating to ~25 Hz), a
 * live phase tracker, a breath detector, a pulse detector and two quality checkers; for the pair
 * a live synchrony tracker fed once per decimated sample. All of it, and the breath trace rings,
 * is allocated in att_engine_new(); att_engine_push() only does arithmetic.
 *
 * Gaps: a short one (up to ATT_ENGINE_BRIDGE_S: a damaged frame, a USB hiccup) is bridged by a
 * straight line from the last sample before it to the first after it, fed through every tracker
 * so the feedback carries on; a longer one resets every tracker, so signal on either side of it
 * never meets in one filter, phase window or synchrony average. Either way the trace gets NAN for
 * the missing time. Both people's cleaners are pushed on every sample (holding the last value
 * across a single missing value), so their decimated outputs stay aligned sample for sample. */
#include "attune/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attune/breath.h"
#include "attune/coupling.h"
#include "attune/filter.h"
#include "attune/phase.h"
#include "attune/pulse.h"
#include "attune/quality.h"
#include "attune/sync.h"

#define TRACE_S       90.0 /* breath trace kept: 60 s shown plus room */
#define DEFAULT_TAU_S 3.0  /* livesync's EW time constant: anti -> in phase visible in ~6 s */
#define NORM_TAU_S    8.0  /* breath normalisation follows depth changes over a few breaths */

struct person {
	struct att_clean *clean;
	struct att_phase *phase;
	struct att_breath *breath;
	struct att_pulse *pulse;
	struct att_quality_check *q_resp, *q_ppg;
	int have_resp; /* a finite respiration value has been seen since the last reset */
	double last_resp;
	double power;        /* EW mean square of the cleaned breath, for normalising */
	double power_weight; /* weight the EW mean has gathered so far (1 once settled) */
	double peak;         /* largest |breath| so far, to scale the first breaths */
	double norm;         /* latest normalised breath */
	struct att_phase_est est;
	uint32_t breaths_before; /* breaths counted before the last reset */
	struct att_swing swing;  /* the heart rate's swing per breath */
	float *trace;            /* ring of trace_cap normalised breaths */
};

struct att_engine {
	struct att_engine_cfg cfg;
	double clean_rate;
	size_t trace_cap, trace_head, trace_len; /* shared by both people: they advance together */
	double norm_alpha;
	double snap_every; /* samples per snapshot */
	double snap_due;   /* samples until the next snapshot */
	struct person p[2];
	struct att_livesync *sync;
	struct att_livesync_est sync_est;
	int started;
	uint32_t next_counter;
	uint32_t bridge_max; /* longest gap bridged, in samples */
	float last_v[4];     /* the last pushed sample, the start of a bridge */
	int bridging;        /* feeding a bridge: the trace gets NAN */
	uint64_t pos;        /* sample position of the next push, gaps included */
	struct att_snapshot snap;
};

static void person_free(struct person *p)
{
	att_clean_free(p->clean);
	att_phase_free(p->phase);
	att_breath_free(p->breath);
	att_pulse_free(p->pulse);
	att_quality_free(p->q_resp);
	att_quality_free(p->q_ppg);
	free(p->trace);
}

static int person_new(const struct att_engine_cfg *cfg, struct person *p, size_t trace_cap,
                      double *clean_rate)
{
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = cfg->rate_hz};
	att_swing_reset(&p->swing);
	int err = att_clean_new(&cc, &p->clean);
	if (err)
		return err;
	*clean_rate = att_clean_rate(p->clean);
	struct att_phase_cfg pc = {.rate_hz = *clean_rate};
	if ((err = att_phase_new(&pc, &p->phase)))
		return err;
	struct att_breath_cfg bc = {.rate_hz = *clean_rate};
	if ((err = att_breath_new(&bc, &p->breath)))
		return err;
	struct att_pulse_cfg uc = {.rate_hz = cfg->rate_hz};
	if ((err = att_pulse_new(&uc, &p->pulse)))
		return err;
	struct att_quality_cfg qr = {
	        .signal = ATT_QUALITY_RESP, .rate_hz = cfg->rate_hz, .adc_max = cfg->adc_max};
	if ((err = att_quality_new(&qr, &p->q_resp)))
		return err;
	struct att_quality_cfg qp = {
	        .signal = ATT_QUALITY_PPG, .rate_hz = cfg->rate_hz, .adc_max = cfg->adc_max};
	if ((err = att_quality_new(&qp, &p->q_ppg)))
		return err;
	p->trace = malloc(trace_cap * sizeof *p->trace);
	if (!p->trace)
		return ATT_ERR_NOMEM;
	p->est.phase_rad = p->est.freq_hz = p->est.amp = NAN;
	p->norm = NAN;
	return ATT_OK;
}

static void set_settling(struct att_engine *e)
{
	e->sync_est.plv = e->sync_est.plv_chance = NAN;
	e->sync_est.relative_phase_deg = e->sync_est.lag_s = e->sync_est.match = NAN;
}

int att_engine_new(const struct att_engine_cfg *cfg, struct att_engine **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !(cfg->rate_hz >= 25 && cfg->rate_hz <= 1000) || !(cfg->adc_max >= 0) ||
	    !(cfg->live_window_s == 0 ||
	      (cfg->live_window_s >= 0.4 && cfg->live_window_s <= 240)) ||
	    !(cfg->snapshot_hz == 0 ||
	      (cfg->snapshot_hz >= 10 && cfg->snapshot_hz <= cfg->rate_hz)))
		return ATT_ERR_ARG;
	struct att_engine *e = calloc(1, sizeof *e);
	if (!e)
		return ATT_ERR_NOMEM;
	e->cfg = *cfg;
	if (!e->cfg.snapshot_hz)
		e->cfg.snapshot_hz = 10;
	/* The live window maps onto the exponential weighting of livesync: an EW average with time
	 * constant tau weighs about the last 2 tau, so window = 2 tau. */
	double tau = cfg->live_window_s ? cfg->live_window_s / 2 : DEFAULT_TAU_S;
	if (!e->cfg.live_window_s)
		e->cfg.live_window_s = 2 * tau;
	double clean_rate = 25;
	int err = ATT_OK;
	/* The clean rate is known only from the cleaner; a trace of TRACE_S at up to 50 Hz (the
	 * highest rate a >= 25 Hz decimation can give) bounds its size. */
	e->trace_cap = (size_t)(TRACE_S * 50) + 1;
	for (int i = 0; i < 2 && !err; i++)
		err = person_new(&e->cfg, &e->p[i], e->trace_cap, &clean_rate);
	if (!err) {
		e->clean_rate = clean_rate;
		e->trace_cap = (size_t)ceil(TRACE_S * clean_rate);
		e->norm_alpha = 1 - exp(-1 / (NORM_TAU_S * clean_rate));
		struct att_livesync_cfg sc = {.rate_hz = clean_rate, .tau_s = tau};
		err = att_livesync_new(&sc, &e->sync);
	}
	if (err) {
		att_engine_free(e);
		return err;
	}
	e->snap_every = cfg->rate_hz / e->cfg.snapshot_hz;
	e->bridge_max = (uint32_t)(ATT_ENGINE_BRIDGE_S * cfg->rate_hz);
	e->snap_due = e->snap_every;
	set_settling(e);
	e->snap.match = e->snap.plv = e->snap.plv_chance = NAN;
	e->snap.relative_phase_deg = e->snap.lag_s = NAN;
	for (int i = 0; i < 2; i++) {
		struct att_person *ap = i ? &e->snap.b : &e->snap.a;
		ap->breath = ap->phase_rad = ap->breath_rate_bpm = NAN;
		ap->heart_rate_bpm = ap->rmssd_ms = NAN;
		ap->resp_quality = ap->ppg_quality = ATT_Q_SETTLING;
	}
	*out = e;
	return ATT_OK;
}

void att_engine_free(struct att_engine *engine)
{
	if (!engine)
		return;
	person_free(&engine->p[0]);
	person_free(&engine->p[1]);
	att_livesync_free(engine->sync);
	free(engine);
}

static void trace_put(struct att_engine *e, float a, float b)
{
	e->p[0].trace[e->trace_head] = a;
	e->p[1].trace[e->trace_head] = b;
	e->trace_head = (e->trace_head + 1) % e->trace_cap;
	if (e->trace_len < e->trace_cap)
		e->trace_len++;
}

/* A gap: forget every tracker so nothing is stitched across it, and mark the missing time in
 * the trace (bounded by the trace length, so a long outage costs no more than one trace). */
static void gap(struct att_engine *e, uint64_t lost)
{
	for (int i = 0; i < 2; i++) {
		struct person *p = &e->p[i];
		p->breaths_before += att_breath_count(p->breath);
		att_clean_reset(p->clean);
		att_phase_reset(p->phase);
		att_breath_reset(p->breath);
		att_pulse_reset(p->pulse);
		att_quality_reset(p->q_resp);
		att_quality_reset(p->q_ppg);
		att_swing_reset(&p->swing);
		p->have_resp = 0;
		p->est.phase_rad = p->est.freq_hz = p->est.amp = NAN;
		p->norm = NAN;
	}
	att_livesync_reset(e->sync);
	set_settling(e);
	uint64_t marks = (uint64_t)((double)lost / e->cfg.rate_hz * e->clean_rate + 0.5);
	if (marks > e->trace_cap)
		marks = e->trace_cap;
	for (uint64_t k = 0; k < marks; k++)
		trace_put(e, NAN, NAN);
}

/* Feeds one person's raw sample pair; returns 1 when the cleaner produced a decimated sample. */
static int person_push(struct att_engine *e, struct person *p, float resp, float ppg)
{
	double now = (double)(e->pos - 1) / e->cfg.rate_hz;

	att_quality_push(p->q_resp, resp);
	att_quality_push(p->q_ppg, ppg);
	if (isfinite(ppg)) {
		struct att_beat beat;
		if (att_pulse_push(p->pulse, ppg, &beat)) {
			att_quality_event(p->q_ppg, beat.hr_bpm);
			/* placed where the peak was, not where the detector confirmed it */
			if (beat.ibi_ok && beat.ibi_s > 0.0)
				att_swing_beat(&p->swing,
				               now - ((double)beat.confirmed - beat.position) /
				                             e->cfg.rate_hz,
				               60.0 / beat.ibi_s);
		}
	}
	if (isfinite(resp)) {
		p->last_resp = resp;
		p->have_resp = 1;
	} else if (!p->have_resp) {
		return 0;
	}
	double y;
	if (!att_clean_push(p->clean, p->last_resp, &y))
		return 0;
	struct att_breath_event ev;
	if (att_breath_push(p->breath, y, &ev) && ev.kind == ATT_BREATH_TROUGH) {
		att_quality_event(p->q_resp, att_breath_rate(p->breath));
		att_swing_trough(&p->swing,
		                 now - (double)(ev.confirmed - ev.index) / e->clean_rate);
	}
	att_phase_push(p->phase, (float)y, &p->est);
	p->power += e->norm_alpha * (y * y - p->power);
	/* Dividing by the weight gathered so far makes the mean unbiased from the first sample; until
	 * it holds a breath or so, the largest excursion seen also bounds the scale, so the first
	 * breaths are drawn to scale rather than pinned at the clip level. */
	p->power_weight += e->norm_alpha * (1.0 - p->power_weight);
	double scale = sqrt(2 * p->power / p->power_weight);
	if (p->power_weight < 0.5) {
		p->peak = fmax(p->peak, fabs(y));
		scale = fmax(scale, p->peak);
	}
	double norm = scale > 0 ? y / scale : 0;
	p->norm = norm > 1.5 ? 1.5 : norm < -1.5 ? -1.5 : norm;
	return 1;
}

static void fill_person(const struct person *p, struct att_person *ap)
{
	ap->breath = p->norm;
	ap->phase_rad = p->est.phase_rad;
	/* The detector needs two full breaths after settling; until it has a rate (or when it
	 * loses it), the live phase's instantaneous frequency is the breathing rate, so a rate
	 * shows as soon as the phase does. */
	ap->breath_rate_bpm = att_breath_rate(p->breath);
	if (!isfinite(ap->breath_rate_bpm) && isfinite(p->est.freq_hz))
		ap->breath_rate_bpm = 60 * p->est.freq_hz;
	ap->heart_rate_bpm = att_pulse_hr(p->pulse);
	ap->rmssd_ms = att_pulse_rmssd(p->pulse);
	ap->hr_swing_bpm = att_swing_bpm(&p->swing);
	ap->breaths = p->breaths_before + att_breath_count(p->breath);
	ap->resp_quality = att_quality_flags(p->q_resp);
	ap->ppg_quality = att_quality_flags(p->q_ppg);
}

/* One sample instant through both people and the pair. */
static void feed(struct att_engine *e, const float v[4])
{
	int fa = person_push(e, &e->p[0], v[0], v[1]);
	int fb = person_push(e, &e->p[1], v[2], v[3]);
	if (fa || fb) {
		trace_put(e, fa && !e->bridging ? (float)e->p[0].norm : NAN,
		          fb && !e->bridging ? (float)e->p[1].norm : NAN);
		if (fa && fb) {
			double f = 0.5 * (e->p[0].est.freq_hz + e->p[1].est.freq_hz);
			/* A NAN phase (settling) resets livesync, which is right: no pair yet. */
			att_livesync_push(e->sync, e->p[0].est.phase_rad, e->p[1].est.phase_rad, f,
			                  &e->sync_est);
		}
	}
	memcpy(e->last_v, v, sizeof e->last_v);
}

/* A short gap: the missing samples on a straight line from the last one to `next`. A NAN end
 * gives NAN samples, which the trackers take as missing values. */
static void bridge(struct att_engine *e, uint32_t lost, const float next[4])
{
	float from[4], v[4];

	memcpy(from, e->last_v, sizeof from);
	e->bridging = 1;
	for (uint32_t k = 1; k <= lost; k++) {
		float f = (float)k / (float)(lost + 1);
		for (int c = 0; c < 4; c++)
			v[c] = from[c] + f * (next[c] - from[c]);
		e->pos++;
		feed(e, v);
	}
	e->bridging = 0;
}

int att_engine_push(struct att_engine *engine, uint32_t counter, const float values[4])
{
	struct att_engine *e = engine;
	if (!e || !values)
		return 0;
	if (e->started && counter != e->next_counter) {
		uint32_t lost = counter - e->next_counter; /* modulo 2^32: the counter wraps */
		/* A jump of more than half the counter range is the device restarting its count
		 * (or going backwards), not 2^31 lost samples: a gap of unknown length. */
		if (lost < 0x80000000u) {
			e->snap.samples_lost += lost;
			if (lost <= e->bridge_max) {
				bridge(e, lost, values);
			} else {
				e->pos += lost;
				gap(e, lost);
			}
		} else {
			gap(e, 0);
		}
	}
	e->started = 1;
	e->next_counter = counter + 1;
	e->snap.samples++;
	e->pos++;
	feed(e, values);

	e->snap_due -= 1;
	if (e->snap_due > 0)
		return 0;
	e->snap_due += e->snap_every;
	struct att_snapshot *s = &e->snap;
	s->t = (double)(e->pos - 1) / e->cfg.rate_hz;
	s->plv = e->sync_est.plv;
	s->plv_chance = e->sync_est.plv_chance;
	s->relative_phase_deg = e->sync_est.relative_phase_deg;
	s->lag_s = e->sync_est.lag_s;
	s->match = isfinite(s->plv) ? e->sync_est.match : NAN;
	fill_person(&e->p[0], &s->a);
	fill_person(&e->p[1], &s->b);
	return 1;
}

void att_engine_snapshot(const struct att_engine *engine, struct att_snapshot *out)
{
	if (engine && out)
		*out = engine->snap;
}

size_t att_engine_breath_trace(const struct att_engine *engine, int person, float *out, size_t n)
{
	if (!engine || !out || (person != 0 && person != 1))
		return 0;
	const struct att_engine *e = engine;
	size_t k = n < e->trace_len ? n : e->trace_len;
	size_t start = (e->trace_head + e->trace_cap - k) % e->trace_cap;
	for (size_t i = 0; i < k; i++)
		out[i] = e->p[person].trace[(start + i) % e->trace_cap];
	return k;
}

double att_engine_trace_rate(const struct att_engine *engine)
{
	return engine ? engine->clean_rate : 0;
}
