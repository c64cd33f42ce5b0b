/* The pacer: a clock-driven breath guide whose phase never jumps, whatever the rate changes. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "attune/pacer.h"

static double level(struct att_pacer *p, double t)
{
	struct att_pacer_state s;
	att_pacer_at(p, t, &s);
	return s.level;
}

static void default_is_six_per_minute_inhale_first(void)
{
	struct att_pacer *p;
	struct att_pacer_state s;

	CHECK(att_pacer_new(NULL, 0.0, &p) == ATT_OK);
	CHECK_NEAR(att_pacer_bpm(p), 6.0, 1e-12);
	CHECK_NEAR(level(p, 0.0), 0.0, 1e-9);
	CHECK_NEAR(level(p, 5.0), 1.0, 1e-9);  /* full at the end of a 5 s inhale */
	CHECK_NEAR(level(p, 10.0), 0.0, 1e-9); /* empty after a 5 s exhale */
	CHECK_NEAR(level(p, 2.5), 0.5, 1e-9);
	att_pacer_at(p, 2.5, &s);
	CHECK(s.inhaling == 1);
	CHECK_NEAR(s.part, 0.5, 1e-9);
	att_pacer_at(p, 7.5, &s);
	CHECK(s.inhaling == 0);
	CHECK_NEAR(s.cycle, 0.75, 1e-9);
	/* the same instant of a later cycle looks the same: it is a function of the clock */
	CHECK_NEAR(level(p, 1003.7), level(p, 3.7), 1e-6);
	att_pacer_free(p);
}

static void rate_change_keeps_the_disc_where_it_is(void)
{
	struct att_pacer *p;
	double before, after;

	CHECK(att_pacer_new(&(struct att_pacer_cfg){.bpm = 6.0}, 100.0, &p) == ATT_OK);
	before = level(p, 103.3);
	CHECK(att_pacer_set_bpm(p, 103.3, 10.0) == ATT_OK);
	after = level(p, 103.3);
	CHECK_NEAR(after, before, 1e-12);
	/* from then on it runs at 10 /min: one cycle later (6 s) it is back at the same level */
	CHECK_NEAR(level(p, 109.3), before, 1e-9);
	att_pacer_free(p);
}

static void many_changes_never_make_it_jump(void)
{
	struct att_pacer *p;
	double t = 0.0, prev, worst = 0.0;
	unsigned seed = 7;

	CHECK(att_pacer_new(NULL, 0.0, &p) == ATT_OK);
	prev = level(p, 0.0);
	for (int i = 0; i < 200000; i++) {
		double l;
		t += 0.001;
		if (i % 997 == 0) {
			seed = seed * 1103515245u + 12345u;
			double bpm = 4.0 + 0.5 * (double)((seed >> 16) % 13);
			CHECK(att_pacer_set_bpm(p, t, bpm) == ATT_OK);
			if (i % (997 * 5) == 0)
				CHECK(att_pacer_set_exhale_ratio(
				              p, t, 1.0 + (double)((seed >> 8) % 3)) == ATT_OK);
		}
		l = level(p, t);
		if (fabs(l - prev) > worst)
			worst = fabs(l - prev);
		prev = l;
	}
	/* fastest possible motion: 10 /min, ratio 3 -> 1.5 s inhale: max slope pi/2/1.5 per s */
	CHECK(worst < 0.0011 * M_PI / 2.0 / 1.5 + 1e-9);
	att_pacer_free(p);
}

static void longer_exhale_shortens_the_inhale(void)
{
	struct att_pacer *p;
	struct att_pacer_state s;

	CHECK(att_pacer_new(&(struct att_pacer_cfg){.bpm = 6.0, .exhale_ratio = 2.0}, 0.0, &p) ==
	      ATT_OK);
	/* 10 s cycle, inhale a third of it */
	CHECK_NEAR(level(p, 10.0 / 3.0), 1.0, 1e-9);
	att_pacer_at(p, 3.0, &s);
	CHECK(s.inhaling == 1);
	att_pacer_at(p, 3.5, &s);
	CHECK(s.inhaling == 0);
	CHECK_NEAR(level(p, 10.0 / 3.0 + 10.0 / 3.0), 0.5, 1e-9); /* half way through the exhale */
	/* switching the ratio mid-exhale keeps the level */
	double before = level(p, 6.0);
	CHECK(att_pacer_set_exhale_ratio(p, 6.0, 1.0) == ATT_OK);
	CHECK_NEAR(level(p, 6.0), before, 1e-9);
	att_pacer_free(p);
}

static void rates_outside_three_to_ten_are_refused(void)
{
	struct att_pacer *p;

	CHECK(att_pacer_new(&(struct att_pacer_cfg){.bpm = 2.5}, 0.0, &p) == ATT_ERR_RANGE);
	CHECK(p == NULL);
	CHECK(att_pacer_new(&(struct att_pacer_cfg){.exhale_ratio = 0.5}, 0.0, &p) ==
	      ATT_ERR_RANGE);
	CHECK(att_pacer_new(NULL, 0.0, &p) == ATT_OK);
	CHECK(att_pacer_set_bpm(p, 1.0, 10.5) == ATT_ERR_RANGE);
	/* 3 /min is in range: a guide may pace that slowly (resonance checks reach 4.5) */
	CHECK(att_pacer_set_bpm(p, 1.0, 3.0) == ATT_OK);
	CHECK(att_pacer_set_bpm(p, 1.0, 6.0) == ATT_OK);
	CHECK_NEAR(att_pacer_bpm(p), 6.0, 1e-12);
	CHECK(att_pacer_set_bpm(p, 1.0, 4.0) == ATT_OK);
	CHECK(att_pacer_set_bpm(p, 1.0, 10.0) == ATT_OK);
	CHECK(att_pacer_set_exhale_ratio(p, 1.0, 3.5) == ATT_ERR_RANGE);
	att_pacer_free(p);
	att_pacer_free(NULL);
}

int main(void)
{
	default_is_six_per_minute_inhale_first();
	rate_change_keeps_the_disc_where_it_is();
	many_changes_never_make_it_jump();
	longer_exhale_shortens_the_inhale();
	rates_outside_three_to_ten_are_refused();
	return att_check_done("pacer");
}
