/* Live engine: a generated couple switching from anti-phase to in phase and back must show in the
 * match within 8 s both ways; rates and heart rates follow the generated ones; a short counter
 * jump is bridged (counted, the match carries on), a long one is a gap (counted, never stitched,
 * tracking settles again); a counter wrap is not a gap; absent PPG
 * is reported as absent; and once created the engine never allocates per sample (malloc, calloc,
 * realloc and free are wrapped by the linker for this executable to count them). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc_count.h"
#include "check.h"
#include "attune/couple.h"
#include "attune/engine.h"

#define RATE 250.0

struct run {
	struct att_engine *e;
	struct att_couple *c;
	uint32_t counter;
	long snapshots;
};

static int start(struct run *r, enum att_couple_script script, uint32_t counter0)
{
	struct att_engine_cfg ec = {.rate_hz = RATE};
	struct att_couple_cfg cc = {.rate_hz = RATE, .script = script, .seed = 7};
	r->counter = counter0;
	r->snapshots = 0;
	if (att_engine_new(&ec, &r->e) || att_couple_new(&cc, &r->c)) {
		fprintf(stderr, "cannot create engine or couple\n");
		att_check_failures++;
		return -1;
	}
	return 0;
}

static void stop(struct run *r)
{
	att_engine_free(r->e);
	att_couple_free(r->c);
}

/* Pushes one sample instant of the couple; returns 1 with a snapshot in *s when one is due. */
static int step(struct run *r, struct att_snapshot *s, int drop_ppg)
{
	float v[4];
	att_couple_next(r->c, v);
	if (drop_ppg)
		v[1] = v[3] = NAN;
	int got = att_engine_push(r->e, r->counter++, v);
	if (got) {
		r->snapshots++;
		att_engine_snapshot(r->e, s);
	}
	return got;
}

static void switch_shows_within_8_s_both_ways(void)
{
	struct run r;
	if (start(&r, ATT_COUPLE_SWITCH, 0))
		return;
	struct att_snapshot s;
	double first_match = NAN, first_drop = NAN, t_settled = NAN, t_rate = NAN;
	int rate_missing = 0;
	int anti_high = 0, together_low = 0, together_n = 0, anti_n = 0;
	for (long i = 0; i < (long)(180 * RATE); i++) {
		if (!step(&r, &s, 0))
			continue;
		if (isnan(t_settled) && isfinite(s.match))
			t_settled = s.t;
		if (isnan(t_rate) && isfinite(s.a.breath_rate_bpm) && isfinite(s.b.breath_rate_bpm))
			t_rate = s.t;
		if (isfinite(s.match)) /* once the phase shows, so do both rates */
			rate_missing +=
			        !(isfinite(s.a.breath_rate_bpm) && isfinite(s.b.breath_rate_bpm));
		if (s.t >= 30 && s.t < 60) {
			anti_n++;
			anti_high += !(s.match < 0.3);
		}
		if (s.t >= 60 && isnan(first_match) && s.match >= 0.7)
			first_match = s.t;
		if (s.t >= 70 && s.t < 120) {
			together_n++;
			together_low += !(s.match >= 0.7);
		}
		if (s.t >= 120 && isnan(first_drop) && s.match < 0.3)
			first_drop = s.t;
	}
	fprintf(stderr,
	        "  switch: settled at %.1f s, rates at %.1f s, match >= 0.7 at %.1f s, "
	        "< 0.3 at %.1f s\n",
	        t_settled, t_rate, first_match, first_drop);
	CHECK(t_settled <= 30);
	CHECK(t_rate <= 15);
	CHECK(rate_missing == 0);
	CHECK(anti_n > 250 && anti_high <= anti_n / 20);
	CHECK(first_match >= 60 && first_match <= 68);
	CHECK(together_n > 450 && together_low <= together_n / 20);
	CHECK(first_drop >= 120 && first_drop <= 128);
	/* Snapshots at 10 Hz, time counted from the first sample. */
	CHECK(r.snapshots >= 1799 && r.snapshots <= 1801);
	CHECK_NEAR(s.t, 180 - 1 / RATE, 1e-9);
	CHECK(s.samples == (uint64_t)(180 * RATE) && s.samples_lost == 0);
	/* The couple breathes about 12 /min; hearts at 68 and 61 bpm. */
	CHECK_NEAR(s.a.breath_rate_bpm, 12, 1.0);
	CHECK_NEAR(s.b.breath_rate_bpm, 12, 1.0);
	CHECK_NEAR(s.a.heart_rate_bpm, 68, 2.5);
	CHECK_NEAR(s.b.heart_rate_bpm, 61, 2.5);
	CHECK(isfinite(s.a.rmssd_ms) && s.a.rmssd_ms > 0);
	CHECK(s.a.breaths >= 33 && s.a.breaths <= 38);
	CHECK(s.a.resp_quality == ATT_Q_OK && s.b.resp_quality == ATT_Q_OK);
	CHECK(s.a.ppg_quality == ATT_Q_OK && s.b.ppg_quality == ATT_Q_OK);
	CHECK(isfinite(s.plv_chance) && s.plv_chance > 0 && s.plv_chance < 1);
	CHECK(s.a.breath >= -1.5 && s.a.breath <= 1.5);
	CHECK(s.a.phase_rad > -M_PI - 1e-9 && s.a.phase_rad <= M_PI + 1e-9);

	/* The trace holds at least 60 s, oldest first, all finite without gaps. */
	double tr = att_engine_trace_rate(r.e);
	CHECK(tr >= 25 && tr < 50);
	size_t want = (size_t)(60 * tr);
	float *buf = malloc(4 * want * sizeof *buf);
	size_t got = att_engine_breath_trace(r.e, 1, buf, 4 * want);
	CHECK(got >= want && got < 4 * want);
	size_t bad = 0;
	for (size_t i = 0; i < got; i++)
		bad += !(buf[i] >= -1.5f && buf[i] <= 1.5f);
	CHECK(bad == 0);
	CHECK(att_engine_breath_trace(r.e, 0, buf, 10) == 10);
	CHECK(att_engine_breath_trace(r.e, 2, buf, 10) == 0);
	free(buf);
	stop(&r);
}

/* A flaky cable loses a frame now and then, a USB hiccup a second or two: such short gaps are
 * bridged (the engine feeds a straight line across them, the trace still shows them as NAN), so
 * the feedback carries on. Before, every lost frame reset every tracker: ~13 s without a match. */
static void short_gaps_are_bridged_and_the_match_stays(void)
{
	struct run r;
	if (start(&r, ATT_COUPLE_IN_PHASE, 1000))
		return;
	struct att_snapshot s;
	for (long i = 0; i < (long)(60 * RATE); i++)
		step(&r, &s, 0);
	CHECK(s.match >= 0.7);

	/* 60 s with one frame lost every 2 s */
	float v[4];
	long matched = 0, snaps = 0;
	for (long i = 0; i < (long)(60 * RATE); i++) {
		if (i % (long)(2 * RATE) == 100) {
			att_couple_next(r.c, v);
			r.counter++;
			continue;
		}
		if (step(&r, &s, 0)) {
			snaps++;
			matched += s.match >= 0.7;
		}
	}
	fprintf(stderr, "  one frame lost every 2 s: match >= 0.7 in %ld of %ld snapshots\n",
	        matched, snaps);
	CHECK(s.samples_lost == 30);
	CHECK(matched >= snaps * 95 / 100);

	/* a 2 s outage */
	for (int i = 0; i < (int)(2 * RATE); i++)
		att_couple_next(r.c, v);
	r.counter += (uint32_t)(2 * RATE);
	double back_at = NAN, t_gap_end = NAN, worst = 1;
	for (long i = 0; i < (long)(10 * RATE); i++) {
		if (!step(&r, &s, 0))
			continue;
		if (isnan(t_gap_end))
			t_gap_end = s.t;
		if (isnan(back_at) && s.match >= 0.7)
			back_at = s.t;
		worst = fmin(worst, isnan(s.match) ? 0 : s.match);
	}
	fprintf(stderr, "  2 s outage: match >= 0.7 again %.1f s after it, lowest %.2f\n",
	        back_at - t_gap_end, worst);
	CHECK(s.samples_lost == 30 + (uint64_t)(2 * RATE));
	CHECK(back_at - t_gap_end <= 1.0);
	CHECK(s.a.resp_quality == ATT_Q_OK && s.b.resp_quality == ATT_Q_OK);

	/* the trace still shows the outage: a run of about 2 s of NAN, 10 s back */
	double tr = att_engine_trace_rate(r.e);
	size_t n = (size_t)(20 * tr);
	float *buf = malloc(n * sizeof *buf);
	size_t got = buf ? att_engine_breath_trace(r.e, 0, buf, n) : 0, run = 0, longest = 0;
	for (size_t i = 0; i < got; i++) {
		run = isnan(buf[i]) ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	CHECK(got == n);
	CHECK(longest >= (size_t)(2 * tr) - 1 && longest <= (size_t)(2 * tr) + 2);
	free(buf);
	stop(&r);
}

static void gap_is_counted_reset_and_settles_again(void)
{
	struct run r;
	/* Start near the top of the counter so it wraps at 40 s: a wrap is not a gap. */
	if (start(&r, ATT_COUPLE_IN_PHASE, 0xffffffffu - (uint32_t)(40 * RATE)))
		return;
	struct att_snapshot s;
	for (long i = 0; i < (long)(60 * RATE); i++)
		step(&r, &s, 0);
	CHECK(s.samples_lost == 0);
	CHECK(s.match >= 0.7);
	long before = (long)s.a.breaths;

	/* 10 s of frames lost (longer than a bridge): the couple goes on, the counter jumps. */
	float v[4];
	for (int i = 0; i < 2500; i++)
		att_couple_next(r.c, v);
	r.counter += 2500;
	int seen_reset = 0;
	double settled_at = NAN;
	for (long i = 0; i < (long)(40 * RATE); i++) {
		if (!step(&r, &s, 0))
			continue;
		if (!seen_reset) {
			seen_reset = 1;
			CHECK(isnan(s.match) && isnan(s.a.phase_rad) && isnan(s.plv));
			CHECK(s.samples_lost == 2500);
		}
		if (isnan(settled_at) && s.match >= 0.7)
			settled_at = s.t;
	}
	fprintf(stderr, "  gap at 60 s (10 s): match >= 0.7 again at %.1f s\n", settled_at);
	CHECK(settled_at <= 70 + 25);
	CHECK(s.samples_lost == 2500);
	CHECK(s.samples == (uint64_t)(100 * RATE));
	CHECK_NEAR(s.t, 110 - 1 / RATE, 1e-9);
	CHECK((long)s.a.breaths > before); /* counting goes on across the gap */

	/* The trace shows the gap as NAN, about 10 s of them, 40 s back. */
	double tr = att_engine_trace_rate(r.e);
	size_t n = (size_t)(60 * tr);
	float *buf = malloc(n * sizeof *buf);
	size_t got = att_engine_breath_trace(r.e, 0, buf, n);
	size_t nans = 0;
	for (size_t i = 0; i < got; i++)
		nans += isnan(buf[i]);
	CHECK(got == n);
	CHECK(nans >= (size_t)(10 * tr) - 1 && nans <= (size_t)(10 * tr) + 2);
	free(buf);

	/* A counter going backwards (device restarted) resets without counting 4 billion losses. */
	r.counter -= 1000;
	for (long i = 0; i < (long)(RATE); i++)
		step(&r, &s, 0);
	CHECK(s.samples_lost == 2500);
	stop(&r);
}

static void absent_ppg_is_reported_absent(void)
{
	struct run r;
	if (start(&r, ATT_COUPLE_IN_PHASE, 0))
		return;
	struct att_snapshot s;
	for (long i = 0; i < (long)(40 * RATE); i++)
		step(&r, &s, 1);
	CHECK(s.a.ppg_quality & ATT_Q_ABSENT);
	CHECK(s.b.ppg_quality & ATT_Q_ABSENT);
	CHECK(isnan(s.a.heart_rate_bpm) && isnan(s.b.rmssd_ms));
	CHECK(s.match >= 0.7);
	stop(&r);
}

/* The breath shown from the first seconds on is drawn to scale, not pinned at the clip level
 * while the depth estimate is still young. */
static void first_breaths_are_drawn_to_scale(void)
{
	struct run r;
	if (start(&r, ATT_COUPLE_IN_PHASE, 0))
		return;
	struct att_snapshot s;
	for (long i = 0; i < (long)(20 * RATE); i++)
		step(&r, &s, 0);
	static float trace[4096];
	size_t n = att_engine_breath_trace(r.e, 0, trace, 4096);
	size_t first = (size_t)(10 * att_engine_trace_rate(r.e)), clipped = 0, counted = 0;
	for (size_t i = 0; i < n && i < first; i++) {
		if (isnan(trace[i]))
			continue;
		counted++;
		clipped += fabsf(trace[i]) >= 1.49f;
	}
	CHECK(counted > first / 2);
	/* a breath normalised by its own depth stays well inside the clip level */
	CHECK(clipped <= 2);
	stop(&r);
}

static void nothing_allocated_per_sample(void)
{
	struct run r;
	if (start(&r, ATT_COUPLE_SWITCH, 0))
		return;
	float(*v)[4] = malloc((size_t)(150 * RATE) * sizeof *v);
	for (long i = 0; i < (long)(150 * RATE); i++)
		att_couple_next(r.c, v[i]);
	struct att_snapshot s;
	float trace[256];
	long before = att_heap_count();
	uint32_t counter = 0;
	for (long i = 0; i < (long)(150 * RATE); i++) {
		if (i == (long)(50 * RATE))
			counter += 100; /* a bridged gap and a reset: neither may allocate */
		if (i == (long)(70 * RATE))
			counter += 5000;
		if (att_engine_push(r.e, counter++, v[i])) {
			att_engine_snapshot(r.e, &s);
			att_engine_breath_trace(r.e, 0, trace, 256);
		}
	}
	long during = att_heap_count() - before;
	fprintf(stderr, "  allocations while pushing %ld samples: %ld\n", (long)(150 * RATE),
	        during);
	CHECK(during == 0);
	free(v);
	stop(&r);
}

static void bad_config_is_refused(void)
{
	struct att_engine *e = (void *)1;
	struct att_engine_cfg c = {.rate_hz = 10};
	CHECK(att_engine_new(&c, &e) == ATT_ERR_ARG && e == NULL);
	c.rate_hz = 2000;
	CHECK(att_engine_new(&c, &e) == ATT_ERR_ARG && e == NULL);
	c.rate_hz = 100;
	c.snapshot_hz = 5;
	CHECK(att_engine_new(&c, &e) == ATT_ERR_ARG);
	CHECK(att_engine_new(NULL, &e) == ATT_ERR_ARG);
	c.snapshot_hz = 0;
	CHECK(att_engine_new(&c, &e) == ATT_OK);
	float nan4[4] = {NAN, NAN, NAN, NAN};
	struct att_snapshot s;
	for (int i = 0; i < 300; i++)
		att_engine_push(e, (uint32_t)i, nan4);
	att_engine_snapshot(e, &s);
	CHECK(isnan(s.match) && isnan(s.a.breath_rate_bpm));
	CHECK(s.a.resp_quality & (ATT_Q_ABSENT | ATT_Q_SETTLING));
	att_engine_free(e);
	att_engine_free(NULL);
}

int main(void)
{
	switch_shows_within_8_s_both_ways();
	short_gaps_are_bridged_and_the_match_stays();
	gap_is_counted_reset_and_settles_again();
	absent_ppg_is_reported_absent();
	first_breaths_are_drawn_to_scale();
	nothing_allocated_per_sample();
	bad_config_is_refused();
	return att_check_done("engine");
}
