/* The live session: one source, one engine, one clock, and the sinks subscribed to it.
 *
 * A session owns a source (any kind, through source.h only) and the engine. It is driven either
 * by wall time (att_session_tick: signal time follows the monotonic clock times a speed, with
 * pause) or by signal time (att_session_advance_to: the caller says how far, as fast as the CPU
 * goes: fast-forward, screenshots, WAV rendering, tests). Either way, every sample due by the
 * session's signal time is read from the source, handed to the engine, and delivered to every
 * sink, in this order per sample: the sample, then the snapshot it completed (if any). Events
 * (markers, pacer changes, gaps, reconnects, notes, phases) are delivered in the same stream, in
 * order with the samples around them.
 *
 * Sinks are libsigrok output modules: a table of functions (struct att_sink) and a context the
 * sink owns. A sink whose receive() fails is detached at once (its cleanup() runs), the session
 * logs one line saying which and why, and the session and the other sinks go on.
 *
 * Invariant: nothing on the per-sample path allocates, locks or blocks: the session reads into
 * fixed buffers, and sinks must return quickly (a sink that writes files or sockets hands the
 * work to its own thread or writes without blocking).
 *
 * Threads: one thread (the main loop) calls everything here, except att_session_post(), which
 * any thread may call (it is how OSC markers and other programs' events come in). Sinks are
 * called on the main thread. */
#ifndef ATT_SESSION_H
#define ATT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "attune/engine.h"
#include "attune/err.h"
#include "attune/event.h"
#include "attune/sample.h"
#include "attune/source.h"

struct att_session;

/* What a session tells its sinks when it starts (borrowed for the receive() call). */
struct att_session_info {
	const struct att_source_status *source; /* name, rate, gains, the device's info frame */
	double rate_hz;
	int64_t start_host_ns; /* CLOCK_MONOTONIC at t = 0 */
	int64_t start_unix_ns; /* wall clock at t = 0 */
	int device;            /* 1 for a device (counts arrive in real time), 0 generated/file */
};

/* A run of consecutive samples as read from the source (borrowed for the call). */
struct att_samples {
	const struct att_sample *raw; /* counts, counters, flags, arrival times */
	const float (*value)[4];      /* what the engine got: counts for a device or the generated
	                                 couple (adc_max > 0), physical values for files; NAN for an
	                                 absent channel */
	size_t n;
	uint64_t first_index; /* samples delivered before raw[0] in this session */
	double t0;            /* signal time of raw[0], seconds (counter / rate) */
};

enum att_packet_type {
	ATT_PACKET_START,    /* u.start: once, before anything else */
	ATT_PACKET_SAMPLES,  /* u.samples */
	ATT_PACKET_SNAPSHOT, /* u.snapshot: a new engine snapshot (about 10 per second) */
	ATT_PACKET_EVENT,    /* u.event */
	ATT_PACKET_END,      /* once, last: the session stopped (u unused) */
};

struct att_packet {
	enum att_packet_type type;
	double t; /* the session's signal time when delivered */
	union {
		const struct att_session_info *start;
		const struct att_samples *samples;
		const struct att_snapshot *snapshot;
		const struct att_event *event;
	} u;
};

/* A sink: static ops, one context per subscription. Ownership: the sink owns ctx; the session
 * calls cleanup(ctx) exactly once (when the sink is detached, or at att_session_free()), after
 * which it never touches ctx again. */
struct att_sink {
	const char *name; /* for the log: "recorder", "snapshots", "osc" */
	/* Main thread. ATT_OK, or an error: the sink is detached; why (may be left empty) says
	 * what happened in one line. Must not block or allocate per sample. */
	int (*receive)(void *ctx, const struct att_packet *p, char *why, size_t why_len);
	void (*cleanup)(void *ctx); /* may be NULL */
};

struct att_session_cfg {
	double speed;       /* wall driving: signal seconds per wall second; 0 = 1. A device always
	                         runs at 1 (its samples arrive in real time). */
	double snapshot_hz; /* engine snapshots per second; 0 = the engine's default (10) */
	double live_window_s; /* the engine's synchrony window; 0 = its default */
	double duration_s;    /* > 0: only samples of signal time below this are delivered, then
	                         the session has ended (attune record --duration); 0 = no end */
	/* Where the session's log lines go ("lost the device; reconnecting (...)", "device back",
	 * "snapshots stopped: disk full"); may be NULL. Main thread. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

/* Creates a session around src, which it takes (freed with the session, also on failure).
 * *out set to NULL first; caller frees with att_session_free(). ATT_ERR_ARG, ATT_ERR_NOMEM, or
 * the engine's refusal of the source's rate, with one line in why. */
int att_session_new(const struct att_session_cfg *cfg, struct att_source *src,
                    struct att_session **out, char *why, size_t why_len);

/* Subscribes a sink (ops borrowed: static; ctx owned by the sink, see struct att_sink). Before
 * or after start; a sink added after start gets START first. On failure cleanup(ctx) has run.
 * ATT_ERR_NOMEM, ATT_ERR_ARG. */
int att_session_add_sink(struct att_session *s, const struct att_sink *ops, void *ctx);

/* Starts the source and the clock (t = 0); sinks get START. ATT_OK or the source's error. */
int att_session_start(struct att_session *s);

/* Wall driving: moves signal time to where the monotonic clock says (start + elapsed x speed,
 * minus paused time) and delivers everything due. Returns the count of samples delivered. */
size_t att_session_tick(struct att_session *s);
/* The same, signal time going no further than t_max (a session of a given duration). */
size_t att_session_tick_until(struct att_session *s, double t_max);

/* Signal driving: moves signal time to t (never back; see att_session_seek) and delivers
 * everything due by then. A device's samples are due when they have arrived, whatever t says. */
size_t att_session_advance_to(struct att_session *s, double t);

/* Wall driving: stops (1) or resumes (0) the clock. */
void att_session_pause(struct att_session *s, int paused);
int att_session_paused(const struct att_session *s);

/* Files only: moves the playback to signal time t. Forward, the next tick delivers the skipped
 * signal at once; back, the engine starts afresh and is fed again from up to two minutes before
 * t, so its rates and match are what they were there. ATT_ERR_UNSUPPORTED for live sources. */
int att_session_seek(struct att_session *s, double t);

/* Files: events the file holds (borrowed: must outlive the session or the next call), in time
 * order, delivered as playback passes their signal time; after a seek back, those after the
 * target are delivered again as playback passes them anew. */
void att_session_schedule(struct att_session *s, const struct att_event *events, size_t n);

/* Main thread: an event happening now (at the current signal time), delivered to every sink
 * at once, after the samples delivered so far. text may be NULL; it is copied (cut at a
 * character boundary to ATT_EVENT_TEXT_MAX - 1 bytes). */
int att_session_event(struct att_session *s, uint8_t kind, double value, const char *text);

/* Any thread: an event that happened at host_ns (CLOCK_MONOTONIC; 0 = now), queued and
 * delivered by the main thread's next tick or advance, placed among the samples by its time.
 * Never blocks; ATT_ERR_BUSY when the queue (256 events) is full. */
int att_session_post(struct att_session *s, uint8_t kind, int64_t host_ns, double value,
                     const char *text);

/* Ends the session: sinks get END, in the order they were added. Idempotent; att_session_free()
 * calls it when it was not called. */
void att_session_stop(struct att_session *s);

/* The signal time, seconds. */
double att_session_t(const struct att_session *s);
/* The latest snapshot, or NULL before the first. Valid until the next tick/advance/seek. */
const struct att_snapshot *att_session_snapshot(const struct att_session *s);
/* The engine, for traces (read only, main thread). */
const struct att_engine *att_session_engine(const struct att_session *s);
/* The source's current status (refreshed by each tick/advance). */
const struct att_source_status *att_session_source(const struct att_session *s);
/* 1 once a finite source delivered everything, or a device failed for good. */
int att_session_ended(const struct att_session *s);
/* Sinks still attached. */
size_t att_session_sinks(const struct att_session *s);

/* Sinks detached because they failed (each was logged). */
size_t att_session_failed_sinks(const struct att_session *s);

/* Stops (if needed), cleans up every sink, frees the source and the engine; NULL is a no-op. */
void att_session_free(struct att_session *s);

#endif
