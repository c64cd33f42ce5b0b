/* The live session (session.h): source -> engine -> sinks, one clock.
 *
 * Order of delivery, the invariant every sink relies on: samples in source order; a snapshot
 * right after the sample that completed it; an event after the samples that came before it
 * (posted events by their arrival time, scheduled file events by their signal time, events of
 * the main thread at once). The per-sample path reads into fixed buffers and never allocates. */
#include "attune/session.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/clock.h"
#include "attune/ring.h"

#define CHUNK      256
#define SINKS_MAX  16
#define POSTED_MAX 256   /* events from other threads waiting for the main loop */
#define REWARM_S   120.0 /* signal fed again before a seek-back target: the engine's memory */

struct sink_slot {
	const struct att_sink *ops;
	void *ctx;
	int attached;
};

struct att_session {
	struct att_session_cfg cfg;
	struct att_source *src;
	struct att_engine *engine;
	struct att_source_status st;
	struct att_session_info info;
	struct sink_slot sinks[SINKS_MAX];
	size_t n_sinks;
	size_t failed_sinks; /* detached because they failed */
	int started, stopped, ended, device;
	/* clock */
	double t;        /* signal time, seconds */
	double speed;    /* signal seconds per wall second */
	int64_t base_ns; /* wall driving: t = base_t + (now - base_ns) * speed */
	double base_t;
	int paused;
	/* samples */
	struct att_sample raw[CHUNK];
	float value[CHUNK][4];
	uint64_t delivered; /* samples delivered since the start */
	int have_first;
	uint32_t first_counter; /* a device's first counter: its signal time 0 */
	uint32_t next_counter;  /* to see gaps */
	int counter_known;
	double engine_t0; /* signal time of the engine's first sample (after a seek) */
	int engine_fresh;
	struct att_snapshot snap;
	int have_snap;
	/* events from other threads: many producers take turns on a flag, one consumer */
	struct att_ring *posted;
	atomic_flag post_lock;
	struct att_event pending; /* read from the ring, not yet due */
	int have_pending;
	/* events of a file, delivered as playback passes them (borrowed) */
	const struct att_event *scheduled;
	size_t n_scheduled, next_scheduled;
};

static void logf_(struct att_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void logf_(struct att_session *s, const char *fmt, ...)
{
	char line[400];
	va_list ap;

	if (!s->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.log_ctx, line);
}

static void detach(struct sink_slot *k)
{
	k->attached = 0;
	if (k->ops->cleanup)
		k->ops->cleanup(k->ctx);
}

/* Delivers p to every attached sink; a sink that fails is detached and said so. */
static void deliver(struct att_session *s, const struct att_packet *p)
{
	for (size_t i = 0; i < s->n_sinks; i++) {
		struct sink_slot *k = &s->sinks[i];
		char why[300];
		int rc;

		if (!k->attached)
			continue;
		why[0] = 0;
		rc = k->ops->receive(k->ctx, p, why, sizeof why);
		if (rc == ATT_OK)
			continue;
		logf_(s, "%s stopped: %s", k->ops->name, why[0] ? why : att_strerror(rc));
		s->failed_sinks++;
		detach(k);
	}
}

static void deliver_event(struct att_session *s, const struct att_event *ev)
{
	struct att_packet p = {.type = ATT_PACKET_EVENT, .t = s->t, .u.event = ev};
	deliver(s, &p);
}

static int new_engine(struct att_session *s, struct att_engine **out, char *why, size_t why_len)
{
	struct att_engine_cfg ec = {.rate_hz = s->st.rate_hz,
	                            .adc_max = s->st.adc_max,
	                            .live_window_s = s->cfg.live_window_s,
	                            .snapshot_hz = s->cfg.snapshot_hz};
	int rc = att_engine_new(&ec, out);

	if (rc != ATT_OK)
		return att_fail(why, why_len, rc, "cannot start the analysis at %.0f Hz: %s",
		                s->st.rate_hz, att_strerror(rc));
	return ATT_OK;
}

int att_session_new(const struct att_session_cfg *cfg, struct att_source *src,
                    struct att_session **out, char *why, size_t why_len)
{
	struct att_session *s;
	int rc;

	if (out)
		*out = NULL;
	if (!cfg || !src || !out) {
		att_source_free(src);
		return att_fail(why, why_len, ATT_ERR_ARG, "no source for the session");
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		att_source_free(src);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	s->cfg = *cfg;
	s->src = src;
	s->speed = cfg->speed > 0.0 ? cfg->speed : 1.0;
	atomic_flag_clear(&s->post_lock);
	att_source_status(src, &s->st);
	s->device = s->st.info.rate_hz != 0; /* only a device sends an info frame */
	rc = new_engine(s, &s->engine, why, why_len);
	if (rc == ATT_OK &&
	    att_ring_new(&(struct att_ring_cfg){.elem_size = sizeof(struct att_event),
	                                        .capacity = POSTED_MAX},
	                 &s->posted) != ATT_OK)
		rc = att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	if (rc != ATT_OK) {
		att_session_free(s);
		return rc;
	}
	s->engine_fresh = 1;
	*out = s;
	return ATT_OK;
}

int att_session_add_sink(struct att_session *s, const struct att_sink *ops, void *ctx)
{
	struct sink_slot *k;

	if (!s || !ops || !ops->receive || s->n_sinks == SINKS_MAX) {
		if (ops && ops->cleanup)
			ops->cleanup(ctx);
		return s && s->n_sinks == SINKS_MAX ? ATT_ERR_NOMEM : ATT_ERR_ARG;
	}
	k = &s->sinks[s->n_sinks++];
	*k = (struct sink_slot){.ops = ops, .ctx = ctx, .attached = 1};
	if (s->started) {
		struct att_packet p = {.type = ATT_PACKET_START, .t = s->t, .u.start = &s->info};
		char why[300] = "";
		int rc = ops->receive(ctx, &p, why, sizeof why);
		if (rc != ATT_OK) {
			logf_(s, "%s stopped: %s", ops->name, why[0] ? why : att_strerror(rc));
			detach(k);
			return rc;
		}
	}
	return ATT_OK;
}

int att_session_start(struct att_session *s)
{
	int rc;

	if (!s || s->started)
		return ATT_ERR_ARG;
	rc = att_source_start(s->src);
	if (rc != ATT_OK) {
		logf_(s, "cannot start streaming from %s: %s", s->st.name, att_strerror(rc));
		return rc;
	}
	att_source_status(s->src, &s->st);
	s->started = 1;
	s->base_ns = att_clock_ns();
	s->info = (struct att_session_info){.source = &s->st,
	                                    .rate_hz = s->st.rate_hz,
	                                    .start_host_ns = s->base_ns,
	                                    .start_unix_ns = att_clock_unix_ns(),
	                                    .device = s->device};
	deliver(s, &(struct att_packet){.type = ATT_PACKET_START, .u.start = &s->info});
	return ATT_OK;
}

/* 1 when a posted event is waiting whose time has come before `before_ns` (INT64_MAX: any). */
static int posted_waiting(struct att_session *s, int64_t before_ns)
{
	if (!s->have_pending)
		s->have_pending = att_ring_read(s->posted, &s->pending, 1) == 1;
	return s->have_pending && s->pending.host_ns <= before_ns;
}

static void posted_deliver(struct att_session *s, int64_t before_ns)
{
	while (posted_waiting(s, before_ns)) {
		s->have_pending = 0;
		s->pending.t = s->t;
		s->pending.sample_index = s->delivered;
		deliver_event(s, &s->pending);
	}
}

static int scheduled_waiting(const struct att_session *s, double t_sample)
{
	return s->next_scheduled < s->n_scheduled && s->scheduled[s->next_scheduled].t <= t_sample;
}

static void flush_samples(struct att_session *s, size_t from, size_t to)
{
	struct att_samples run;

	if (to <= from)
		return;
	run = (struct att_samples){.raw = &s->raw[from],
	                           .value = (const float(*)[4])s->value[from],
	                           .n = to - from,
	                           .first_index = s->delivered - (to - from)};
	run.t0 = s->device ? (double)(uint32_t)(s->raw[from].counter - s->first_counter) /
	                             s->st.rate_hz
	                   : (double)s->raw[from].counter / s->st.rate_hz;
	deliver(s, &(struct att_packet){.type = ATT_PACKET_SAMPLES, .t = s->t, .u.samples = &run});
}

/* Engine input: counts where the source has an ADC range (its saturation check needs them),
 * physical values for files. */
static void to_values(const struct att_source_status *st, const struct att_sample *x, float v[4])
{
	for (unsigned c = 0; c < 4; c++)
		v[c] = !((st->channel_mask >> c) & 1u) ? NAN
		       : st->adc_max > 0.0             ? (float)x->ch[c]
		                                       : att_source_value(st, x, c);
}

static void gap_event(struct att_session *s, uint32_t missing)
{
	struct att_event ev = {.t = s->t,
	                       .sample_index = s->delivered,
	                       .host_ns = att_clock_ns(),
	                       .kind = ATT_EV_GAP,
	                       .value = missing};
	deliver_event(s, &ev);
}

static void scheduled_deliver(struct att_session *s, double t_sample)
{
	while (scheduled_waiting(s, t_sample)) {
		struct att_event ev = s->scheduled[s->next_scheduled++];
		ev.sample_index = s->delivered;
		deliver_event(s, &ev);
	}
}

/* One sample: engine, then (via runs) sinks; returns 1 when it completed a snapshot. */
static int take_sample(struct att_session *s, size_t i)
{
	struct att_sample *x = &s->raw[i];

	if (!s->have_first) {
		s->have_first = 1;
		s->first_counter = s->device ? x->counter : 0;
	}
	if (s->engine_fresh) {
		s->engine_fresh = 0;
		s->engine_t0 = s->device ? 0.0 : (double)x->counter / s->st.rate_hz;
	}
	to_values(&s->st, x, s->value[i]);
	s->delivered++;
	s->next_counter = x->counter + 1;
	s->counter_known = 1;
	return att_engine_push(s->engine, x->counter, s->value[i]) == 1;
}

static void publish_snapshot(struct att_session *s)
{
	att_engine_snapshot(s->engine, &s->snap);
	s->snap.t += s->engine_t0;
	s->have_snap = 1;
	deliver(s, &(struct att_packet){
	                   .type = ATT_PACKET_SNAPSHOT, .t = s->t, .u.snapshot = &s->snap});
}

/* Stamps arrival times on samples that did not arrive from a device: when they would have
 * arrived in real time (wall driving), so the recorder and latency figures see a device's
 * timing; now when fast-forwarding. */
static void stamp(struct att_session *s, size_t n, int wall)
{
	if (s->device)
		return;
	for (size_t i = 0; i < n; i++)
		s->raw[i].host_ns =
		        wall ? s->base_ns + (int64_t)(((double)s->raw[i].counter / s->st.rate_hz -
		                                       s->base_t) /
		                                      s->speed * 1e9)
		             : att_clock_ns();
}

/* Samples at or past the session's duration are not delivered; the session ends there. */
static size_t within_duration(struct att_session *s, size_t n)
{
	uint32_t first = s->have_first ? s->first_counter : s->raw[0].counter;

	if (!(s->cfg.duration_s > 0.0))
		return n;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = s->device ? s->raw[i].counter - first : s->raw[i].counter;
		if ((double)k >= s->cfg.duration_s * s->st.rate_hz) {
			s->ended = 1;
			return i;
		}
	}
	return n;
}

static size_t process_chunk(struct att_session *s, size_t n)
{
	size_t run = 0;

	n = within_duration(s, n);
	for (size_t i = 0; i < n; i++) {
		const struct att_sample *x = &s->raw[i];
		double t_sample = (double)x->counter / s->st.rate_hz;
		int gap = s->counter_known && x->counter != s->next_counter;
		if (gap || posted_waiting(s, x->host_ns) || scheduled_waiting(s, t_sample)) {
			flush_samples(s, run, i);
			run = i;
			if (gap)
				gap_event(s, x->counter - s->next_counter);
			posted_deliver(s, x->host_ns);
			scheduled_deliver(s, t_sample);
		}
		if (take_sample(s, i)) {
			flush_samples(s, run, i + 1);
			run = i + 1;
			publish_snapshot(s);
		}
	}
	flush_samples(s, run, n);
	return n;
}

/* Says what changed at the source since the last look: lost, back, failed, ended. */
static void watch_source(struct att_session *s)
{
	struct att_source_status old = s->st;

	att_source_status(s->src, &s->st);
	if (old.state != ATT_SOURCE_RECONNECTING && s->st.state == ATT_SOURCE_RECONNECTING)
		logf_(s, "%s: lost the device; reconnecting (%s)", s->st.name,
		      att_strerror(s->st.error ? s->st.error : ATT_ERR_DISCONNECTED));
	if (s->st.reconnects != old.reconnects) {
		logf_(s, "%s: device back", s->st.name);
		att_session_event(s, ATT_EV_RECONNECT, s->t, "device reconnected");
	}
	if (s->st.state == ATT_SOURCE_FAILED && !s->ended) {
		logf_(s, "%s: %s", s->st.name, att_strerror(s->st.error));
		s->ended = 1;
	}
	if (s->st.state == ATT_SOURCE_ENDED)
		s->ended = 1;
}

static size_t drain(struct att_session *s, int wall)
{
	size_t total = 0, n;

	if (!s->started || s->stopped || (s->ended && s->cfg.duration_s > 0.0))
		return 0;
	while ((n = att_source_read_until(s->src, s->t, s->raw, CHUNK)) > 0) {
		stamp(s, n, wall);
		total += process_chunk(s, n);
		if (s->ended)
			break; /* its duration is reached */
	}
	posted_deliver(s, INT64_MAX);
	watch_source(s);
	return total;
}

size_t att_session_tick_until(struct att_session *s, double t_max)
{
	double t;

	if (!s || !s->started)
		return 0;
	t = s->base_t + (double)(att_clock_ns() - s->base_ns) / 1e9 * s->speed;
	if (!s->paused && t > s->t)
		s->t = t < t_max ? t : t_max > s->t ? t_max : s->t;
	return drain(s, 1);
}

size_t att_session_tick(struct att_session *s)
{
	return att_session_tick_until(s, INFINITY);
}

size_t att_session_advance_to(struct att_session *s, double t)
{
	if (!s || !s->started)
		return 0;
	if (t > s->t)
		s->t = t;
	return drain(s, 0);
}

void att_session_pause(struct att_session *s, int paused)
{
	if (!s || !!paused == s->paused)
		return;
	s->paused = !!paused;
	s->base_t = s->t;
	s->base_ns = att_clock_ns();
}

int att_session_paused(const struct att_session *s)
{
	return s && s->paused;
}

int att_session_seek(struct att_session *s, double t)
{
	double end, from;
	int rc;

	if (!s || s->device || !s->started)
		return ATT_ERR_UNSUPPORTED;
	end = s->st.rate_hz > 0.0 ? (double)UINT32_MAX / s->st.rate_hz : 0.0;
	t = t < 0.0 ? 0.0 : t > end ? end : t;
	if (t < s->t) {
		struct att_engine *fresh;
		rc = new_engine(s, &fresh, NULL, 0);
		if (rc != ATT_OK)
			return rc;
		from = t > REWARM_S ? t - REWARM_S : 0.0;
		rc = att_source_seek(s->src, (uint64_t)ceil(from * s->st.rate_hz));
		if (rc != ATT_OK) {
			att_engine_free(fresh);
			return rc;
		}
		att_engine_free(s->engine);
		s->engine = fresh;
		s->engine_fresh = 1;
		s->have_snap = 0;
		s->counter_known = 0; /* the jump back is no gap */
		s->ended = 0;
		/* the file's events before t were delivered when playback first passed them (a
		 * forward seek delivers what it skips): the re-fed stretch does not repeat them */
		s->next_scheduled = 0;
		while (s->next_scheduled < s->n_scheduled && s->scheduled[s->next_scheduled].t < t)
			s->next_scheduled++;
	}
	s->t = s->base_t = t;
	s->base_ns = att_clock_ns();
	return ATT_OK;
}

void att_session_schedule(struct att_session *s, const struct att_event *events, size_t n)
{
	if (!s)
		return;
	s->scheduled = events;
	s->n_scheduled = events ? n : 0;
	s->next_scheduled = 0;
}

int att_session_event(struct att_session *s, uint8_t kind, double value, const char *text)
{
	struct att_event ev = {.t = s->t,
	                       .sample_index = s->delivered,
	                       .host_ns = att_clock_ns(),
	                       .kind = kind,
	                       .value = value};

	if (!s || !s->started || s->stopped)
		return ATT_ERR_ARG;
	att_event_set_text(&ev, text);
	deliver_event(s, &ev);
	return ATT_OK;
}

int att_session_post(struct att_session *s, uint8_t kind, int64_t host_ns, double value,
                     const char *text)
{
	struct att_event ev = {
	        .host_ns = host_ns ? host_ns : att_clock_ns(), .kind = kind, .value = value};
	size_t n;

	if (!s)
		return ATT_ERR_ARG;
	att_event_set_text(&ev, text);
	/* producers take turns (a few hundred ns each); the main loop never waits on this */
	while (atomic_flag_test_and_set_explicit(&s->post_lock, memory_order_acquire))
		;
	n = att_ring_write(s->posted, &ev, 1);
	atomic_flag_clear_explicit(&s->post_lock, memory_order_release);
	return n == 1 ? ATT_OK : ATT_ERR_BUSY;
}

void att_session_stop(struct att_session *s)
{
	if (!s || s->stopped)
		return;
	if (s->started)
		deliver(s, &(struct att_packet){.type = ATT_PACKET_END, .t = s->t});
	s->stopped = 1;
}

double att_session_t(const struct att_session *s)
{
	return s->t;
}

const struct att_snapshot *att_session_snapshot(const struct att_session *s)
{
	return s->have_snap ? &s->snap : NULL;
}

const struct att_engine *att_session_engine(const struct att_session *s)
{
	return s->engine;
}

const struct att_source_status *att_session_source(const struct att_session *s)
{
	return &s->st;
}

int att_session_ended(const struct att_session *s)
{
	return s->ended;
}

size_t att_session_sinks(const struct att_session *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_sinks; i++)
		n += s->sinks[i].attached;
	return n;
}

size_t att_session_failed_sinks(const struct att_session *s)
{
	return s->failed_sinks;
}

void att_session_free(struct att_session *s)
{
	if (!s)
		return;
	att_session_stop(s);
	for (size_t i = 0; i < s->n_sinks; i++)
		if (s->sinks[i].attached)
			detach(&s->sinks[i]);
	att_ring_free(s->posted);
	att_engine_free(s->engine);
	att_source_free(s->src);
	free(s);
}
