/* The generated couple: deterministic, within the ADC's 0-5 V, and true to its script. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "attune/couple.h"

static struct att_couple *make(enum att_couple_script script, uint32_t seed)
{
	struct att_couple_cfg cfg = {.rate_hz = 100.0, .script = script, .seed = seed};
	struct att_couple *c = NULL;
	CHECK(att_couple_new(&cfg, &c) == ATT_OK);
	return c;
}

static void same_seed_same_couple(void)
{
	struct att_couple *a = make(ATT_COUPLE_STORY, 7), *b = make(ATT_COUPLE_STORY, 7);
	struct att_couple *other = make(ATT_COUPLE_STORY, 8);
	int differs = 0;
	for (int i = 0; i < 5000; i++) {
		float va[4], vb[4], vo[4];
		att_couple_next(a, va);
		att_couple_next(b, vb);
		att_couple_next(other, vo);
		CHECK(memcmp(va, vb, sizeof va) == 0);
		differs |= memcmp(va, vo, sizeof va) != 0;
	}
	CHECK(differs);
	att_couple_free(a);
	att_couple_free(b);
	att_couple_free(other);
}

static void volts_stay_within_the_adc_range(void)
{
	struct att_couple *c = make(ATT_COUPLE_STORY, 1);
	float lo = 5.0f, hi = 0.0f;
	for (int i = 0; i < 100 * 300; i++) {
		float v[4];
		att_couple_next(c, v);
		for (int k = 0; k < 4; k++) {
			lo = fminf(lo, v[k]);
			hi = fmaxf(hi, v[k]);
		}
	}
	CHECK(lo >= 0.2f);
	CHECK(hi <= 4.8f);
	att_couple_free(c);
}

/* Breathing rate from upward crossings of A's chest signal through its running mean. */
static void in_phase_breathes_at_twelve_per_minute(void)
{
	struct att_couple *c = make(ATT_COUPLE_IN_PHASE, 3);
	double mean = 2.5;
	int crossings = 0, above = 0;
	for (int i = 0; i < 100 * 120; i++) {
		float v[4];
		att_couple_next(c, v);
		mean += (v[0] - mean) * 0.001;
		int now = v[0] > mean + 0.1 ? 1 : (v[0] < mean - 0.1 ? 0 : above);
		if (i > 1000 && now && !above)
			crossings++;
		above = now;
		CHECK_NEAR(att_couple_true_phase_deg(c), 0.0, 1e-6);
	}
	/* 110 s at 12 /min +- 4 % wander */
	CHECK(crossings >= 20 && crossings <= 24);
	att_couple_free(c);
}

static void switch_script_flips_at_known_instants(void)
{
	struct att_couple *c = make(ATT_COUPLE_SWITCH, 5);
	for (int i = 1; i <= 100 * 180; i++) {
		float v[4];
		att_couple_next(c, v);
		double t = i / 100.0, want = (t >= 60.0 && t < 120.0) ? 0.0 : 180.0;
		if (fabs(t - 60.0) > 0.02 && fabs(t - 120.0) > 0.02)
			CHECK_NEAR(fabs(att_couple_true_phase_deg(c)), want, 1e-6);
	}
	att_couple_free(c);
}

static void story_locks_then_drifts_then_locks_again(void)
{
	struct att_couple *c = make(ATT_COUPLE_STORY, 9);
	double worst_locked = 0.0, worst_again = 0.0, drift_max = 0.0;
	for (int i = 1; i <= 100 * 270; i++) {
		float v[4];
		att_couple_next(c, v);
		double t = i / 100.0, d = fabs(att_couple_true_phase_deg(c));
		if (t > 120.0 && t < 160.0)
			worst_locked = fmax(worst_locked, d);
		if (t > 170.0 && t < 210.0)
			drift_max = fmax(drift_max, d);
		if (t > 240.0 && t < 270.0)
			worst_again = fmax(worst_again, d);
		if (i == 100 * 20)
			CHECK(strcmp(att_couple_stage(c), "breathing on their own") == 0);
		if (i == 100 * 130)
			CHECK(strcmp(att_couple_stage(c), "breathing together") == 0);
	}
	CHECK(worst_locked < 30.0);
	CHECK(drift_max > 120.0);
	CHECK(worst_again < 30.0);
	att_couple_free(c);
}

static void bad_configs_are_refused(void)
{
	struct att_couple *c = (struct att_couple *)&c;
	struct att_couple_cfg cfg = {.rate_hz = 0.0};
	CHECK(att_couple_new(&cfg, &c) == ATT_ERR_ARG);
	CHECK(c == NULL);
	CHECK(att_couple_new(NULL, &c) == ATT_ERR_ARG);
	att_couple_free(NULL);
}

int main(void)
{
	same_seed_same_couple();
	volts_stay_within_the_adc_range();
	in_phase_breathes_at_twelve_per_minute();
	switch_script_flips_at_known_instants();
	story_locks_then_drifts_then_locks_again();
	bad_configs_are_refused();
	return att_check_done("couple");
}
