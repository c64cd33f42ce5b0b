/* Results per phase and the resonance check (phases.h). */
#include "attune/phases.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attune/analysis.h"
#include "attune/breath.h"
#include "attune/coupling.h"
#include "attune/filter.h"
#include "attune/guide.h"
#include "attune/json.h"
#include "attune/pulse.h"
#include "attune/wire.h"

#define PHASE_WINDOW_S  30.0 /* the session's window, when the phase is long enough */
#define PACER_AT_START  0.5  /* s: a pacer event this close after the phase's start is its own */
#define SWING_TIE_BPM   0.1  /* swings closer than this are equal: LF power decides */
#define RESONANCE_STEPS 3    /* distinct paced rates a resonance check needs */

/* Copies x[0..n) into y with NAN runs bridged linearly (ends held); 0 when x has no value. */
static size_t bridged(const float *x, size_t n, double *y)
{
	size_t last = SIZE_MAX, finite = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		for (size_t k = last == SIZE_MAX ? 0 : last + 1; k < i; k++)
			y[k] = last == SIZE_MAX ? x[i]
			                        : x[last] + (x[i] - x[last]) * (double)(k - last) /
			                                            (double)(i - last);
		y[i] = x[i];
		last = i;
		finite++;
	}
	for (size_t k = last == SIZE_MAX ? n : last + 1; k < n; k++)
		y[k] = x[last];
	return finite;
}

/* Breaths and beats of one person over samples [i0, i0 + n) of rec, and their coupling. */
static int person_coupling(const struct att_recording *rec, int who, size_t i0, size_t n,
                           struct att_phase_person *out)
{
	const float *belt = rec->ch[who ? ATT_CH_B_RESP : ATT_CH_A_RESP];
	const float *ppg = rec->ch[who ? ATT_CH_B_PPG : ATT_CH_A_PPG];
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = rec->rate_hz};
	struct att_pulse_cfg pc = {.rate_hz = rec->rate_hz};
	struct att_breath_cfg bc = {0};
	struct att_breath_result br = {0};
	struct att_pulse_result pr = {0};
	struct att_coupling cp;
	size_t m = att_clean_len(&cc, n);
	double *x = malloc(n * sizeof *x), *y = malloc((m ? m : 1) * sizeof *y);
	double *tt = NULL, *bt = NULL, rr = 0.0, t0 = (double)i0 / rec->rate_hz;
	int err = x && y ? ATT_OK : ATT_ERR_NOMEM;

	if (!err && belt && bridged(belt + i0, n, x) &&
	    att_clean_batch(&cc, x, n, y, &rr) == ATT_OK) {
		bc.rate_hz = rr;
		if (att_breath_detect(&bc, y, m, &br) != ATT_OK)
			br = (struct att_breath_result){0};
	}
	if (!err && ppg && bridged(ppg + i0, n, x) && att_pulse_detect(&pc, x, n, &pr) != ATT_OK)
		pr = (struct att_pulse_result){0};
	tt = malloc((br.n_troughs + 1) * sizeof *tt);
	bt = malloc((pr.n_beats + 1) * sizeof *bt);
	if (!err && (!tt || !bt))
		err = ATT_ERR_NOMEM;
	for (size_t k = 0; !err && k < br.n_troughs; k++)
		tt[k] = t0 + (double)br.troughs[k] / rr;
	for (size_t k = 0; !err && k < pr.n_beats; k++)
		bt[k] = t0 + pr.position[k] / rec->rate_hz;
	if (!err)
		err = att_coupling_compute(&(struct att_coupling_in){.beat_t = bt,
		                                                     .ibi_s = pr.ibi_s,
		                                                     .ibi_ok = pr.ibi_ok,
		                                                     .n_beats = pr.n_beats,
		                                                     .trough_t = tt,
		                                                     .n_troughs = br.n_troughs,
		                                                     .belt = rr > 0.0 ? y : NULL,
		                                                     .n_belt = rr > 0.0 ? m : 0,
		                                                     .belt_t0 = t0,
		                                                     .belt_rate_hz = rr},
		                           &cp);
	if (!err) {
		out->hr_swing_bpm = cp.hr_swing_bpm;
		out->lf_power_ms2 = cp.lf_power_ms2;
		out->hr_breath_phase_deg = cp.hr_breath_phase_deg;
	}
	att_breath_result_free(&br);
	att_pulse_result_free(&pr);
	free(x);
	free(y);
	free(tt);
	free(bt);
	return err;
}

/* The phase's samples as a recording of their own (events left out). */
static int slice(const struct att_recording *rec, size_t i0, size_t n, struct att_recording **out)
{
	unsigned mask = 0;
	int err;

	for (unsigned c = 0; c < 4; c++)
		mask |= rec->ch[c] ? 1u << c : 0u;
	if ((err = att_recording_new(rec->rate_hz, n, mask, out)))
		return err;
	for (unsigned c = 0; c < 4; c++)
		if (rec->ch[c])
			memcpy((*out)->ch[c], rec->ch[c] + i0, n * sizeof(float));
	for (size_t i = 0; rec->filled && i < n && !err; i++)
		if (rec->filled[i0 + i])
			err = att_recording_mark_filled(*out, i, 1);
	return err;
}

static void take_person(struct att_phase_person *p, const struct att_analysis_person *a)
{
	p->breath_rate_bpm = a->breath_rate_bpm;
	p->heart_rate_bpm = a->heart_rate_bpm;
	p->rmssd_ms = a->rmssd_ms;
}

/* The figures of one phase, from its samples alone. */
static int analyze_phase(const struct att_recording *rec, struct att_phase_result *ph)
{
	size_t i0 = (size_t)llround(ph->start_s * rec->rate_hz);
	size_t i1 = (size_t)llround(ph->end_s * rec->rate_hz), n;
	struct att_recording *part = NULL;
	struct att_analysis *an = NULL;
	double inner;
	int err;

	i1 = i1 < rec->n ? i1 : rec->n;
	n = i1 > i0 ? i1 - i0 : 0;
	if ((double)n / rec->rate_hz < ATT_ANALYSIS_MIN_S)
		return ATT_OK;
	if ((err = slice(rec, i0, n, &part)))
		return err;
	/* windows lie inside the phase, clear of its trimmed edges */
	inner = (double)n / rec->rate_hz - 2.0 * ATT_ANALYSIS_EDGE_S - 1.0;
	struct att_analysis_cfg ac = {.window_s = fmin(PHASE_WINDOW_S, inner)};
	if (ac.window_s >= 5.0 && att_analyze(&ac, part, &an, NULL, 0) == ATT_OK) {
		ph->match = an->sync.match;
		ph->matched_fraction = an->sync.matched_fraction;
		ph->plv = an->sync.plv;
		take_person(&ph->a, &an->a);
		take_person(&ph->b, &an->b);
	}
	att_analysis_free(an);
	att_recording_free(part);
	err = person_coupling(rec, 0, i0, n, &ph->a);
	return err ? err : person_coupling(rec, 1, i0, n, &ph->b);
}

static void phase_bounds(const struct att_recording *rec, size_t i, struct att_phase_result *ph)
{
	const struct att_event *ev = rec->events;
	double end = (double)rec->n / rec->rate_hz;

	ph->start_s = ev[i].t;
	ph->pacer_bpm = NAN;
	for (size_t k = 0; k < rec->n_events && ev[k].t <= ph->start_s + PACER_AT_START; k++)
		if (ev[k].kind == ATT_EV_PACER)
			ph->pacer_bpm = ev[k].value > 0.0 ? ev[k].value : NAN;
	for (size_t k = i + 1; k < rec->n_events; k++)
		if (ev[k].kind == ATT_EV_PHASE ||
		    (ev[k].kind == ATT_EV_NOTE && !strcmp(ev[k].text, ATT_GUIDE_END_NOTE))) {
			end = ev[k].t;
			break;
		}
	ph->end_s = end;
}

/* The mean of n values summing to sum; NAN for none. */
static double mean_in(double sum, size_t n)
{
	return n ? sum / (double)n : NAN;
}

static void add_step(struct att_phases *p, const struct att_phase_result *ph)
{
	double sum[4] = {0}, v[4];
	size_t cnt[4] = {0}, k;

	for (k = 0; k < p->n_steps && fabs(p->step[k].pacer_bpm - ph->pacer_bpm) > 0.01; k++)
		;
	if (k < p->n_steps)
		return; /* done with the first phase at this rate (below) */
	for (size_t i = 0; i < p->n; i++) {
		const struct att_phase_result *q = &p->phase[i];
		if (!(fabs(q->pacer_bpm - ph->pacer_bpm) <= 0.01))
			continue;
		v[0] = q->a.hr_swing_bpm, v[1] = q->b.hr_swing_bpm;
		v[2] = q->a.lf_power_ms2, v[3] = q->b.lf_power_ms2;
		for (int f = 0; f < 4; f++)
			if (isfinite(v[f]))
				sum[f] += v[f], cnt[f]++;
	}
	p->step[p->n_steps++] = (struct att_resonance_step){
	        .pacer_bpm = ph->pacer_bpm,
	        .a_hr_swing_bpm = mean_in(sum[0], cnt[0]),
	        .b_hr_swing_bpm = mean_in(sum[1], cnt[1]),
	        .a_lf_power_ms2 = mean_in(sum[2], cnt[2]),
	        .b_lf_power_ms2 = mean_in(sum[3], cnt[3]),
	};
}

static int by_falling_rate(const void *a, const void *b)
{
	double x = ((const struct att_resonance_step *)a)->pacer_bpm;
	double y = ((const struct att_resonance_step *)b)->pacer_bpm;
	return (x < y) - (x > y);
}

/* Index of the step with the largest swing of one person (LF power between near-equal ones). */
static size_t best_step(const struct att_phases *p, int who, double *swing)
{
	size_t best = SIZE_MAX;

	for (size_t k = 0; k < p->n_steps; k++) {
		const struct att_resonance_step *s = &p->step[k];
		double sw = who ? s->b_hr_swing_bpm : s->a_hr_swing_bpm;
		double lf = who ? s->b_lf_power_ms2 : s->a_lf_power_ms2;
		if (!isfinite(sw))
			continue;
		if (best != SIZE_MAX) {
			const struct att_resonance_step *b = &p->step[best];
			double bsw = who ? b->b_hr_swing_bpm : b->a_hr_swing_bpm;
			double blf = who ? b->b_lf_power_ms2 : b->a_lf_power_ms2;
			if (sw < bsw - SWING_TIE_BPM ||
			    (sw <= bsw + SWING_TIE_BPM && !(lf > blf || (isnan(blf) && sw > bsw))))
				continue;
		}
		best = k;
	}
	*swing = best == SIZE_MAX ? NAN
	         : who            ? p->step[best].b_hr_swing_bpm
	                          : p->step[best].a_hr_swing_bpm;
	return best;
}

static void resonance(struct att_phases *p)
{
	double a_best, b_best, top = -1.0;
	size_t ka, kb;

	for (size_t i = 0; i < p->n; i++)
		if (isfinite(p->phase[i].pacer_bpm))
			add_step(p, &p->phase[i]);
	if (p->n_steps < RESONANCE_STEPS)
		return;
	qsort(p->step, p->n_steps, sizeof *p->step, by_falling_rate);
	p->have_resonance = 1;
	ka = best_step(p, 0, &a_best);
	kb = best_step(p, 1, &b_best);
	p->a_bpm = ka == SIZE_MAX ? NAN : p->step[ka].pacer_bpm;
	p->b_bpm = kb == SIZE_MAX ? NAN : p->step[kb].pacer_bpm;
	p->couple_bpm = NAN;
	for (size_t k = 0; ka != SIZE_MAX && kb != SIZE_MAX && k < p->n_steps; k++) {
		double both = fmin(p->step[k].a_hr_swing_bpm / a_best,
		                   p->step[k].b_hr_swing_bpm / b_best);
		if (both > top) {
			top = both;
			p->couple_bpm = p->step[k].pacer_bpm;
		}
	}
}

int att_phases_analyze(const struct att_recording *rec, struct att_phases **out, char *why,
                       size_t why_len)
{
	struct att_phases *p;
	size_t n = 0;
	int err = ATT_OK;

	*out = NULL;
	for (size_t i = 0; i < rec->n_events; i++)
		n += rec->events[i].kind == ATT_EV_PHASE;
	if (!n)
		return ATT_OK;
	p = calloc(1, sizeof *p);
	if (p) {
		p->phase = calloc(n, sizeof *p->phase);
		p->step = calloc(n, sizeof *p->step);
	}
	if (!p || !p->phase || !p->step) {
		att_phases_free(p);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < rec->n_events && !err; i++) {
		struct att_phase_result *ph = &p->phase[p->n];
		if (rec->events[i].kind != ATT_EV_PHASE)
			continue;
		memcpy(ph->name, rec->events[i].text, sizeof ph->name);
		ph->match = ph->matched_fraction = ph->plv = NAN;
		ph->a = ph->b = (struct att_phase_person){NAN, NAN, NAN, NAN, NAN, NAN};
		phase_bounds(rec, i, ph);
		p->n++;
		err = analyze_phase(rec, ph);
	}
	if (err) {
		att_phases_free(p);
		return att_fail(why, why_len, err, "phases: %s", att_strerror(err));
	}
	resonance(p);
	*out = p;
	return ATT_OK;
}

void att_phases_free(struct att_phases *p)
{
	if (!p)
		return;
	free(p->phase);
	free(p->step);
	free(p);
}

static void json_person(struct att_json *j, const char *key, const struct att_phase_person *p)
{
	att_json_object_begin(j, key);
	att_json_number(j, "breath_rate_bpm", p->breath_rate_bpm);
	att_json_number(j, "heart_rate_bpm", p->heart_rate_bpm);
	att_json_number(j, "rmssd_ms", p->rmssd_ms);
	att_json_number(j, "hr_swing_bpm", p->hr_swing_bpm);
	att_json_number(j, "lf_power_ms2", p->lf_power_ms2);
	att_json_number(j, "hr_breath_phase_deg", p->hr_breath_phase_deg);
	att_json_object_end(j);
}

static void json_resonance(struct att_json *j, const struct att_phases *p)
{
	att_json_object_begin(j, "resonance");
	att_json_number(j, "a_bpm", p->a_bpm);
	att_json_number(j, "b_bpm", p->b_bpm);
	att_json_number(j, "couple_bpm", p->couple_bpm);
	att_json_array_begin(j, "steps");
	for (size_t k = 0; k < p->n_steps; k++) {
		const struct att_resonance_step *s = &p->step[k];
		att_json_object_begin(j, NULL);
		att_json_number(j, "pacer_bpm", s->pacer_bpm);
		att_json_number(j, "a_hr_swing_bpm", s->a_hr_swing_bpm);
		att_json_number(j, "b_hr_swing_bpm", s->b_hr_swing_bpm);
		att_json_number(j, "a_lf_power_ms2", s->a_lf_power_ms2);
		att_json_number(j, "b_lf_power_ms2", s->b_lf_power_ms2);
		att_json_object_end(j);
	}
	att_json_array_end(j);
	att_json_object_end(j);
}

int att_phases_json_members(const struct att_phases *p, struct att_json *j)
{
	att_json_array_begin(j, "phases");
	for (size_t i = 0; p && i < p->n; i++) {
		const struct att_phase_result *ph = &p->phase[i];
		att_json_object_begin(j, NULL);
		att_json_string(j, "name", ph->name);
		att_json_number(j, "start_s", ph->start_s);
		att_json_number(j, "end_s", ph->end_s);
		att_json_number(j, "pacer_bpm", ph->pacer_bpm);
		att_json_number(j, "match", ph->match);
		att_json_number(j, "matched_fraction", ph->matched_fraction);
		att_json_number(j, "plv", ph->plv);
		json_person(j, "a", &ph->a);
		json_person(j, "b", &ph->b);
		att_json_object_end(j);
	}
	att_json_array_end(j);
	if (p && p->have_resonance)
		json_resonance(j, p);
	else
		att_json_null(j, "resonance");
	return att_json_error(j);
}
