/* Results per phase and the resonance check, on sessions generated with a known truth: breathing
 * follows the pacer, each person's heart rate follows the breath with a swing that peaks at a
 * rate of their own, the pulse is drawn beat by beat from that heart rate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/analysis.h"
#include "attune/engine.h"
#include "attune/guide.h"
#include "attune/phases.h"
#include "attune/wire.h"

#define RATE   250.0
#define HR0    65.0
#define SETTLE 60.0
#define STEP   120.0

/* What one phase of the generated session is. */
struct plan {
	const char *name;
	double seconds, bpm; /* bpm: breathing rate (and the pacer's when paced) */
	int paced;
	double swing[2];      /* each person's heart-rate swing (bpm peak to trough) */
	double hr_lag_deg[2]; /* how far each heart rate peaks after the inhale's end */
	int b_opposite;       /* B breathes in anti-phase with A */
};

struct person_state {
	double breath, beat; /* phase accumulators (cycles) */
};

static void add_event(struct att_recording *r, double t, int kind, double value, const char *text)
{
	struct att_event ev = {.t = t, .kind = (uint8_t)kind, .value = value};

	ev.sample_index = (uint64_t)llround(t * RATE);
	att_event_set_text(&ev, text);
	CHECK(att_recording_add_event(r, &ev) == ATT_OK);
}

/* A systolic peak early in the beat, a smaller diastolic wave after it. */
static float pulse_shape(double beat_phase)
{
	double x = beat_phase - floor(beat_phase);
	return (float)(500.0 + 120.0 * exp(-pow((x - 0.2) / 0.06, 2)) +
	               40.0 * exp(-pow((x - 0.5) / 0.1, 2)));
}

static struct att_recording *generate(const struct plan *p, size_t n_plan, unsigned seed)
{
	double total = 0.0, t0 = 0.0;
	struct person_state st[2] = {{0.0, 0.0}, {0.0, 0.3}};
	struct att_recording *r = NULL;

	srand(seed);
	for (size_t k = 0; k < n_plan; k++)
		total += p[k].seconds;
	CHECK(att_recording_new(RATE, (size_t)(total * RATE), 0xF, &r) == ATT_OK);
	for (size_t k = 0; k < n_plan; k++) {
		add_event(r, t0, ATT_EV_PHASE, (double)k, p[k].name);
		add_event(r, t0, ATT_EV_PACER, p[k].paced ? p[k].bpm : 0.0, NULL);
		size_t i0 = (size_t)llround(t0 * RATE), n = (size_t)llround(p[k].seconds * RATE);
		for (size_t i = i0; i < i0 + n; i++) {
			for (int w = 0; w < 2; w++) {
				struct person_state *s = &st[w];
				s->breath += p[k].bpm / 60.0 / RATE;
				double inhale_end = 2.0 * M_PI * s->breath - M_PI / 2.0;
				double belt = sin(2.0 * M_PI * s->breath +
				                  (w && p[k].b_opposite ? M_PI : 0));
				double hr = HR0 + 0.5 * p[k].swing[w] *
				                          cos(inhale_end -
				                              p[k].hr_lag_deg[w] * M_PI / 180.0);
				s->beat += hr / 60.0 / RATE;
				double noise = ((double)rand() / RAND_MAX - 0.5) * 0.04;
				r->ch[w ? ATT_CH_B_RESP : ATT_CH_A_RESP][i] =
				        (float)(512.0 + 150.0 * (belt + noise));
				r->ch[w ? ATT_CH_B_PPG : ATT_CH_A_PPG][i] = pulse_shape(s->beat);
			}
		}
		t0 += p[k].seconds;
	}
	add_event(r, t0, ATT_EV_NOTE, 0.0, ATT_GUIDE_END_NOTE);
	return r;
}

static struct att_analysis *analyse(const struct att_recording *r)
{
	struct att_analysis_cfg cfg = {0};
	struct att_analysis *an = NULL;
	char why[200] = "";

	CHECK(att_analyze(&cfg, r, &an, why, sizeof why) == ATT_OK);
	if (!an)
		fprintf(stderr, "analysis: %s\n", why);
	return an;
}

/* A resonance check: A's swing peaks at 5.5 /min, B's at 5.0; at 5.5 B reaches 0.6 of its best,
 * at 5.0 A reaches 0.8 of its: the couple's step is 5.0. B's heart rate lags its breath by 45
 * degrees. */
static void the_resonance_check_finds_each_peak_and_the_couples_step(void)
{
	const double rates[5] = {6.5, 6.0, 5.5, 5.0, 4.5};
	const double a_swing[5] = {2.0, 4.0, 8.0, 6.4, 3.0}, b_swing[5] = {2.0, 3.0, 4.8, 8.0, 4.0};
	struct plan p[6] = {{"settle", SETTLE, 12.0, 0, {1.0, 1.0}, {0, 45}, 0}};
	char names[5][32];

	for (int k = 0; k < 5; k++) {
		snprintf(names[k], sizeof names[k], "%.1f per minute", rates[k]);
		p[k + 1] = (struct plan){names[k], STEP, rates[k], 1, {a_swing[k], b_swing[k]},
		                         {0, 45},  0};
	}
	struct att_recording *r = generate(p, 6, 1);
	struct att_analysis *an = r ? analyse(r) : NULL;
	const struct att_phases *ph = an ? an->phases : NULL;

	CHECK(ph && ph->n == 6);
	if (!ph)
		goto out;
	CHECK(!strcmp(ph->phase[0].name, "settle") && isnan(ph->phase[0].pacer_bpm));
	for (int k = 0; k < 5; k++) {
		const struct att_phase_result *q = &ph->phase[k + 1];
		CHECK_NEAR(q->start_s, SETTLE + STEP * k, 0.01);
		CHECK_NEAR(q->end_s, SETTLE + STEP * (k + 1), 0.01);
		CHECK_NEAR(q->pacer_bpm, rates[k], 1e-9);
		CHECK_NEAR(q->a.breath_rate_bpm, rates[k], 0.3);
		CHECK_NEAR(q->a.hr_swing_bpm, a_swing[k], 0.15 * a_swing[k] + 0.3);
		CHECK_NEAR(q->b.hr_swing_bpm, b_swing[k], 0.15 * b_swing[k] + 0.3);
		/* IBI-based heart rate is half a beat late: ~15 degrees at these rates */
		CHECK_NEAR(q->a.hr_breath_phase_deg, 15.0, 25.0);
		CHECK_NEAR(q->b.hr_breath_phase_deg, 60.0, 25.0);
	}
	/* A at 5.5 /min: IBI amplitude 60000 / HR0^2 x 4 bpm = 56.8 ms, a sine: 1613 ms^2 */
	double want = pow(60000.0 / (HR0 * HR0) * a_swing[2] / 2.0, 2) / 2.0;
	CHECK_NEAR(ph->phase[3].a.lf_power_ms2, want, 0.3 * want);
	CHECK(ph->have_resonance && ph->n_steps == 5);
	CHECK_NEAR(ph->a_bpm, 5.5, 1e-9);
	CHECK_NEAR(ph->b_bpm, 5.0, 1e-9);
	CHECK_NEAR(ph->couple_bpm, 5.0, 1e-9);
	CHECK(ph->n_steps == 5 && ph->step[0].pacer_bpm == 6.5 && ph->step[4].pacer_bpm == 4.5);
out:
	att_analysis_free(an);
	att_recording_free(r);
}

/* One session, two phases: breathing together, then in anti-phase; the match tells them apart. */
static void per_phase_match_separates_together_from_opposite(void)
{
	struct plan p[2] = {{"together", 120.0, 10.0, 0, {3.0, 3.0}, {0, 0}, 0},
	                    {"opposite", 120.0, 10.0, 0, {3.0, 3.0}, {0, 0}, 1}};
	struct att_recording *r = generate(p, 2, 2);
	struct att_analysis *an = r ? analyse(r) : NULL;
	const struct att_phases *ph = an ? an->phases : NULL;

	CHECK(ph && ph->n == 2);
	if (ph && ph->n == 2) {
		CHECK(ph->phase[0].match > 0.8 && ph->phase[0].matched_fraction > 0.9);
		CHECK(ph->phase[1].match < 0.2 && ph->phase[1].matched_fraction < 0.1);
		CHECK(ph->phase[0].plv > 0.9 && ph->phase[1].plv > 0.9); /* locked both times */
		CHECK(isnan(ph->phase[0].pacer_bpm) && !ph->have_resonance);
	}
	att_analysis_free(an);
	att_recording_free(r);
}

/* Without phase events there is nothing per phase; the last phase ends at the guide's end. */
static void phases_need_phase_events_and_end_at_the_guides_end(void)
{
	struct plan p[1] = {{"only", 60.0, 10.0, 0, {3.0, 3.0}, {0, 0}, 0}};
	struct att_recording *r = generate(p, 1, 3);
	struct att_phases *ph = NULL;

	if (!r)
		return;
	CHECK(att_phases_analyze(r, &ph, NULL, 0) == ATT_OK && ph && ph->n == 1);
	if (ph)
		CHECK_NEAR(ph->phase[0].end_s, 60.0, 1e-9);
	att_phases_free(ph);
	r->n_events = 0;
	CHECK(att_phases_analyze(r, &ph, NULL, 0) == ATT_OK && ph == NULL);
	att_recording_free(r);
}

/* The live engine reports the same swing as it happens: the mean of the last breaths. */
static void the_live_engine_reports_the_swing(void)
{
	struct plan p[1] = {{"paced", 120.0, 6.0, 1, {6.0, 2.0}, {0, 0}, 0}};
	struct att_recording *r = generate(p, 1, 4);
	struct att_engine *e = NULL;
	struct att_snapshot snap;
	float v[4];

	if (!r || att_engine_new(&(struct att_engine_cfg){.rate_hz = RATE}, &e) != ATT_OK) {
		CHECK(!"engine");
		att_recording_free(r);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		for (int c = 0; c < 4; c++)
			v[c] = r->ch[c][i];
		att_engine_push(e, (uint32_t)i, v);
	}
	att_engine_snapshot(e, &snap);
	printf("live swing: A %.2f (6), B %.2f (2) bpm\n", snap.a.hr_swing_bpm,
	       snap.b.hr_swing_bpm);
	CHECK_NEAR(snap.a.hr_swing_bpm, 6.0, 0.9);
	CHECK_NEAR(snap.b.hr_swing_bpm, 2.0, 0.6);
	att_engine_free(e);
	att_recording_free(r);
}

int main(void)
{
	the_resonance_check_finds_each_peak_and_the_couples_step();
	per_phase_match_separates_together_from_opposite();
	phases_need_phase_events_and_end_at_the_guides_end();
	the_live_engine_reports_the_swing();
	return att_check_done("phases");
}
