/* The live session: every sample reaches every sink exactly once and in order, snapshots follow
 * the sample that completed them, events keep their place among the samples, a failing sink is
 * detached while the rest go on, and driving by signal time or by the wall clock gives the same
 * stream for a file. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/clock.h"
#include "attune/session.h"

#define MAX_SEEN 100000

/* What one sink saw, in order. */
struct seen {
	int starts, ends, cleanups;
	uint64_t samples; /* samples received */
	uint32_t counter[MAX_SEEN];
	size_t n_snaps;
	double snap_t[4096];
	double snap_match[4096];
	uint64_t snap_after[4096]; /* samples seen when the snapshot came */
	size_t n_events;
	struct att_event events[64];
	uint64_t event_after[64]; /* samples seen when the event came */
	int fail_after_samples;   /* > 0: fail once this many samples were seen */
	int order_ok;             /* 0 once anything came out of order */
};

static int seen_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct seen *w = ctx;

	switch (p->type) {
	case ATT_PACKET_START:
		if (w->starts || w->samples)
			w->order_ok = 0;
		w->starts++;
		break;
	case ATT_PACKET_SAMPLES:
		if (p->u.samples->first_index != w->samples)
			w->order_ok = 0;
		for (size_t i = 0; i < p->u.samples->n; i++) {
			if (w->samples < MAX_SEEN)
				w->counter[w->samples] = p->u.samples->raw[i].counter;
			w->samples++;
		}
		if (w->fail_after_samples && w->samples >= (uint64_t)w->fail_after_samples) {
			snprintf(why, why_len, "disk full (test)");
			return ATT_ERR_DISK_FULL;
		}
		break;
	case ATT_PACKET_SNAPSHOT:
		if (w->n_snaps < 4096) {
			w->snap_t[w->n_snaps] = p->u.snapshot->t;
			w->snap_match[w->n_snaps] = p->u.snapshot->match;
			w->snap_after[w->n_snaps] = w->samples;
			w->n_snaps++;
		}
		break;
	case ATT_PACKET_EVENT:
		if (w->n_events < 64) {
			w->events[w->n_events] = *p->u.event;
			w->event_after[w->n_events++] = w->samples;
		}
		break;
	case ATT_PACKET_END:
		w->ends++;
		break;
	}
	return ATT_OK;
}

static void seen_cleanup(void *ctx)
{
	((struct seen *)ctx)->cleanups++;
}

static const struct att_sink seen_sink = {
        .name = "test sink", .receive = seen_receive, .cleanup = seen_cleanup};

struct log {
	int lines;
	char last[400];
};

static void log_line(void *ctx, const char *line)
{
	struct log *l = ctx;
	l->lines++;
	snprintf(l->last, sizeof l->last, "%s", line);
}

static struct att_session *couple_session(struct log *lg, uint32_t seed)
{
	struct att_couple_cfg cc = {.rate_hz = 250.0, .script = ATT_COUPLE_STORY, .seed = seed};
	struct att_source *src = NULL;
	struct att_session *s = NULL;
	char why[300];

	CHECK(att_source_open_couple(&cc, 0.0, &src) == ATT_OK);
	CHECK(att_session_new(&(struct att_session_cfg){.log = log_line, .log_ctx = lg}, src, &s,
	                      why, sizeof why) == ATT_OK);
	return s;
}

static struct seen *new_seen(void)
{
	struct seen *w = calloc(1, sizeof *w);
	w->order_ok = 1;
	return w;
}

static void every_sample_reaches_every_sink_once_in_order(void)
{
	struct log lg = {0};
	struct att_session *s = couple_session(&lg, 1);
	struct seen *w[3];

	for (int k = 0; k < 3; k++) {
		w[k] = new_seen();
		CHECK(att_session_add_sink(s, &seen_sink, w[k]) == ATT_OK);
	}
	CHECK(att_session_start(s) == ATT_OK);
	/* uneven steps, as frames of a real loop are */
	for (double t = 0.0; t < 60.0; t += 0.013 + fmod(t, 0.05))
		att_session_advance_to(s, t);
	att_session_advance_to(s, 60.0);
	att_session_stop(s);
	for (int k = 0; k < 3; k++) {
		CHECK(w[k]->starts == 1 && w[k]->ends == 1);
		CHECK(w[k]->order_ok);
		/* sample i is due at i / rate: 0..15000 inclusive */
		CHECK(w[k]->samples == 15001);
		for (uint64_t i = 0; i < w[k]->samples; i++)
			if (w[k]->counter[i] != i) {
				CHECK(w[k]->counter[i] == i);
				break;
			}
		/* ~10 snapshots per second, each right after the sample that completed it */
		CHECK(w[k]->n_snaps >= 590 && w[k]->n_snaps <= 610);
		for (size_t j = 0; j < w[k]->n_snaps; j++)
			CHECK_NEAR(w[k]->snap_t[j], (double)(w[k]->snap_after[j] - 1) / 250.0,
			           1e-9);
		CHECK(w[k]->n_snaps == w[0]->n_snaps && w[k]->samples == w[0]->samples);
	}
	CHECK(att_session_sinks(s) == 3);
	att_session_free(s);
	for (int k = 0; k < 3; k++) {
		CHECK(w[k]->cleanups == 1);
		free(w[k]);
	}
}

static void events_keep_their_place_among_samples(void)
{
	struct log lg = {0};
	struct att_session *s = couple_session(&lg, 2);
	struct seen *w = new_seen();

	CHECK(att_session_add_sink(s, &seen_sink, w) == ATT_OK);
	CHECK(att_session_start(s) == ATT_OK);
	att_session_advance_to(s, 1.0);
	CHECK(att_session_event(s, ATT_EV_MARKER, 0.0, "first") == ATT_OK);
	att_session_advance_to(s, 2.0);
	/* posted from "another thread" before the next advance: it lands after the samples
	 * delivered so far and before any that follow */
	CHECK(att_session_post(s, ATT_EV_MARKER, 0, 0.0, "posted") == ATT_OK);
	att_session_advance_to(s, 3.0);
	CHECK(att_session_event(s, ATT_EV_PACER, 6.0, NULL) == ATT_OK);
	att_session_stop(s);
	CHECK(w->n_events == 3);
	CHECK(w->events[0].kind == ATT_EV_MARKER && !strcmp(w->events[0].text, "first"));
	CHECK(w->event_after[0] == 251 && w->events[0].sample_index == 251);
	CHECK_NEAR(w->events[0].t, 1.0, 1e-12);
	CHECK(!strcmp(w->events[1].text, "posted"));
	/* the post happened after sample 500 was delivered; fast-forwarded samples are stamped
	 * with the time they are read, so it comes before the next chunk's */
	CHECK(w->event_after[1] >= 501 && w->event_after[1] <= 751);
	CHECK(w->events[1].sample_index == w->event_after[1]);
	CHECK(w->events[2].kind == ATT_EV_PACER && w->events[2].value == 6.0);
	CHECK(w->event_after[2] == 751);
	att_session_free(s);
	free(w);
}

static void a_failing_sink_is_detached_and_the_rest_go_on(void)
{
	struct log lg = {0};
	struct att_session *s = couple_session(&lg, 3);
	struct seen *good = new_seen(), *bad = new_seen();

	bad->fail_after_samples = 1000;
	CHECK(att_session_add_sink(s, &seen_sink, bad) == ATT_OK);
	CHECK(att_session_add_sink(s, &seen_sink, good) == ATT_OK);
	CHECK(att_session_start(s) == ATT_OK);
	for (double t = 0.0; t <= 20.0; t += 1.0 / 60.0)
		att_session_advance_to(s, t);
	CHECK(bad->cleanups == 1);
	CHECK(bad->samples >= 1000 && bad->samples < 1100);
	CHECK(bad->ends == 0);
	CHECK(good->samples == (uint64_t)floor(att_session_t(s) * 250.0) + 1);
	CHECK(att_session_sinks(s) == 1);
	CHECK(lg.lines == 1 && strstr(lg.last, "test sink stopped: disk full (test)"));
	att_session_free(s);
	CHECK(bad->cleanups == 1 && good->cleanups == 1 && good->ends == 1);
	free(good);
	free(bad);
}

/* A recording of two people breathing 15 /min, B 0.5 s (45 degrees) behind, with one stretch filled in a gap. */
static struct att_recording *breathing_file(void)
{
	struct att_recording *rec = NULL;
	size_t n = 250 * 90;

	CHECK(att_recording_new(250.0, n, 0xF, &rec) == ATT_OK);
	for (size_t i = 0; i < n; i++) {
		double t = i / 250.0;
		rec->ch[0][i] = (float)sin(2 * M_PI * 0.25 * t);
		rec->ch[2][i] = (float)sin(2 * M_PI * 0.25 * (t - 0.5));
		rec->ch[1][i] = (float)pow(fmax(0.0, sin(2 * M_PI * 1.1 * t)), 8);
		rec->ch[3][i] = (float)pow(fmax(0.0, sin(2 * M_PI * 1.2 * t)), 8);
	}
	CHECK(att_recording_mark_filled(rec, 250 * 40, 100) == ATT_OK);
	return rec;
}

static struct att_session *file_session(double speed)
{
	struct att_source *src = NULL;
	struct att_session *s = NULL;
	char why[300];

	CHECK(att_source_open_recording(breathing_file(), "file", 0.0, &src) == ATT_OK);
	CHECK(att_session_new(&(struct att_session_cfg){.speed = speed}, src, &s, why,
	                      sizeof why) == ATT_OK);
	return s;
}

static void signal_and_wall_driving_give_the_same_stream(void)
{
	struct att_session *fast = file_session(0.0), *wall = file_session(45.0);
	struct seen *a = new_seen(), *b = new_seen();

	CHECK(att_session_add_sink(fast, &seen_sink, a) == ATT_OK);
	CHECK(att_session_add_sink(wall, &seen_sink, b) == ATT_OK);
	CHECK(att_session_start(fast) == ATT_OK);
	for (double t = 0.0; !att_session_ended(fast); t += 1.0 / 60.0)
		att_session_advance_to(fast, t);
	CHECK(att_session_start(wall) == ATT_OK);
	for (int64_t until = att_clock_ns() + 10 * 1000000000LL;
	     !att_session_ended(wall) && att_clock_ns() < until;) {
		att_clock_sleep_until(att_clock_ns() + 16 * 1000000);
		att_session_tick(wall);
	}
	CHECK(att_session_ended(wall));
	/* the filled stretch is not delivered: the sinks see a gap event of 100 samples */
	CHECK(a->samples == 250 * 90 - 100 && b->samples == a->samples);
	CHECK(a->n_events == 1 && a->events[0].kind == ATT_EV_GAP && a->events[0].value == 100);
	CHECK(b->n_events == 1 && b->event_after[0] == a->event_after[0]);
	CHECK(a->n_snaps > 800 && a->n_snaps == b->n_snaps);
	for (size_t j = 0; j < a->n_snaps && j < b->n_snaps; j++) {
		CHECK(a->snap_after[j] == b->snap_after[j]);
		CHECK(a->snap_t[j] == b->snap_t[j]);
		CHECK((isnan(a->snap_match[j]) && isnan(b->snap_match[j])) ||
		      a->snap_match[j] == b->snap_match[j]);
	}
	/* B follows A by 45 degrees: locked, match about cos(45) */
	CHECK(a->snap_match[a->n_snaps - 1] > 0.5);
	att_session_free(fast);
	att_session_free(wall);
	free(a);
	free(b);
}

static void seeking_back_replays_from_there(void)
{
	struct att_session *s = file_session(0.0);
	struct seen *w = new_seen();
	const struct att_snapshot *snap;
	double t_before;

	CHECK(att_session_add_sink(s, &seen_sink, w) == ATT_OK);
	CHECK(att_session_start(s) == ATT_OK);
	att_session_advance_to(s, 30.0);
	snap = att_session_snapshot(s);
	CHECK(snap != NULL);
	t_before = snap ? snap->t : 0.0;
	CHECK(att_session_seek(s, 20.0) == ATT_OK);
	CHECK(att_session_snapshot(s) == NULL);
	att_session_advance_to(s, 20.0);
	att_session_advance_to(s, 30.0);
	snap = att_session_snapshot(s);
	CHECK(snap && fabs(snap->t - t_before) < 0.2);
	CHECK(w->n_events == 0); /* the jump back is not a gap */
	att_session_free(s);
	free(w);
}

static void post_from_threads_never_loses_order_per_thread(void)
{
	struct log lg = {0};
	struct att_session *s = couple_session(&lg, 4);
	struct seen *w = new_seen();

	CHECK(att_session_add_sink(s, &seen_sink, w) == ATT_OK);
	CHECK(att_session_start(s) == ATT_OK);
	for (int i = 0; i < 300; i++)
		if (att_session_post(s, ATT_EV_NOTE, 0, i, "n") != ATT_OK) {
			CHECK(i ==
			      256); /* the queue holds 256; the rest is refused, not lost silently */
			break;
		}
	att_session_advance_to(s, 0.5);
	CHECK(w->n_events == 64); /* the test sink keeps the first 64 */
	for (size_t i = 0; i < w->n_events; i++)
		CHECK(w->events[i].value == (double)i);
	att_session_free(s);
	free(w);
}

int main(void)
{
	every_sample_reaches_every_sink_once_in_order();
	events_keep_their_place_among_samples();
	a_failing_sink_is_detached_and_the_rest_go_on();
	signal_and_wall_driving_give_the_same_stream();
	seeking_back_replays_from_there();
	post_from_threads_never_loses_order_per_thread();
	return att_check_done("session");
}
