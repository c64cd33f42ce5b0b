/* Recording a live session (live_record.h). */
#include "live_record.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/clock.h"
#include "attune/export.h"
#include "attune/outputs.h"
#include "attune/practice.h"
#include "practice_hook.h"

/* The generated couple is recorded as the board would see it: 10-bit counts of 0-5 V. */
#define COUPLE_ADC_BITS 10
#define COUPLE_VREF_MV  5000

/* One recording being stopped and exported off the main loop. The main thread owns it while
 * !active; while active the worker owns rec, line and rc until it sets done, and the main thread
 * reads them only after joining. */
struct saver {
	pthread_t thread;
	int threaded; /* the worker runs (else the save ran inline: no thread) */
	int active;   /* begun, not yet collected */
	atomic_int done;
	struct att_recorder *rec;
	struct att_export_link link; /* what the source dropped while it recorded */
	char base[600];
	char line[900];
	const char *db;
	int64_t session_id; /* in the practice history; 0 = not there */
	int rc;
	int64_t start_ns;
};

struct att_live_record {
	struct att_live_record_cfg cfg;
	struct att_recorder *rec;
	struct saver saver;
	int stop_pending; /* r pressed while the previous one still saves: stop after it */
	int failed;
	int serial; /* recordings so far (names NAME, NAME-2, ...) */
	char base[600];
	char problem[400];
	int have_problem;
	/* from the session's START */
	int started, device, file;
	const struct att_source_status *src; /* the session's, until its cleanup(); else NULL */
	struct att_export_link src_last;     /* src's counts when it went */
	struct att_export_link link_start;   /* src's counts when the running recording began */
	struct att_wire_info info;
	double rate_hz;
	int64_t session_id; /* the last save's, once collected */
	unsigned long saves;
	double save_ms_max;
};

/* The recorder stopped by itself (disk full): what reached the disk stays readable with attune
 * recover; say so once and stop pushing. */
static void recorder_failed(struct att_live_record *r)
{
	struct att_recorder_status st;

	att_recorder_status(r->rec, &st);
	if (st.running)
		return;
	snprintf(r->problem, sizeof r->problem,
	         "recording stopped: %s; %.150s.attraw keeps what was saved", att_strerror(st.err),
	         r->base);
	r->have_problem = 1;
	r->failed = 1;
	att_recorder_free(r->rec);
	r->rec = NULL;
}

static void take_start(struct att_live_record *r, const struct att_session_info *in)
{
	const struct att_source_status *st = in->source;

	r->started = 1;
	r->src = st;
	r->device = in->device;
	r->rate_hz = in->rate_hz;
	/* a file that holds the board's counts is recorded again as it was captured */
	r->file = !in->device && st->adc_max <= 0.0 && !st->info.adc_bits;
	r->info = st->info;
	if (!in->device && !st->info.adc_bits) {
		r->info = (struct att_wire_info){.channels = ATT_WIRE_CHANNELS,
		                                 .adc_bits = COUPLE_ADC_BITS,
		                                 .vref_mv = COUPLE_VREF_MV};
	}
	if (!in->device)
		r->info.rate_hz = (uint16_t)lrint(in->rate_hz);
}

static int record_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct att_live_record *r = ctx;
	const struct att_event *ev;

	(void)why;
	(void)why_len;
	if (p->type == ATT_PACKET_START)
		take_start(r, p->u.start);
	if (!r->rec)
		return ATT_OK;
	if (p->type == ATT_PACKET_SAMPLES &&
	    att_recorder_push(r->rec, p->u.samples->raw, p->u.samples->n) != ATT_OK)
		recorder_failed(r);
	if (p->type == ATT_PACKET_EVENT) {
		ev = p->u.event;
		/* gaps are not written: the capture's counters show them, its readers mark them */
		if (ev->kind != ATT_EV_GAP &&
		    att_recorder_event(r->rec, ev->kind, ev->host_ns, ev->value,
		                       ev->text[0] ? ev->text : NULL) != ATT_OK)
			recorder_failed(r);
	}
	return ATT_OK;
}

/* The source's dropped-frame counts now (the session refreshes them at each tick). */
static struct att_export_link link_now(const struct att_live_record *r)
{
	if (!r->src)
		return r->src_last;
	return (struct att_export_link){.frames_duplicate = r->src->frames_duplicate,
	                                .frames_stale = r->src->frames_stale};
}

/* The session lets go of its status: keep its last counts for a recording saved later. */
static void record_cleanup(void *ctx)
{
	struct att_live_record *r = ctx;

	r->src_last = link_now(r);
	r->src = NULL;
}

const struct att_sink att_live_record_sink = {
        .name = "recorder", .receive = record_receive, .cleanup = record_cleanup};

int att_live_record_new(const struct att_live_record_cfg *cfg, struct att_live_record **out)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return ATT_ERR_NOMEM;
	(*out)->cfg = *cfg;
	return ATT_OK;
}

/* The next recording's name: --record's NAME (refused when that session exists, replaced with
 * --force), then the first free NAME-2, NAME-3, ... for the r key; attune-DATE-TIME without one. */
static int next_base(struct att_live_record *r, char *why, size_t why_len)
{
	char couple[300];

	if (r->cfg.base && r->serial == 0) {
		snprintf(r->base, sizeof r->base, "%s", r->cfg.base);
		return att_session_claim(r->base, r->cfg.force, why, why_len);
	}
	if (r->cfg.base) { /* the first free of NAME, NAME-2, NAME-3, ... (NAME is in use) */
		if (att_session_free_name(r->cfg.base, r->base, sizeof r->base) != ATT_OK)
			return att_fail(why, why_len, ATT_ERR_EXISTS,
			                "no free session name after %.300s", r->cfg.base);
		return ATT_OK;
	}
	/* the couple's own folder, never wherever the program was started */
	att_practice_couple_name(r->cfg.name_a, r->cfg.name_b, couple, sizeof couple);
	return att_app_session_base(couple, r->base, sizeof r->base, why, why_len);
}

int att_live_record_start(struct att_live_record *r, struct att_session *s, double pacer_bpm,
                          char *why, size_t why_len)
{
	struct att_recorder_cfg cfg = {0};
	int rc;

	if (r->rec)
		return ATT_OK;
	if (!r->started || r->file)
		return att_fail(
		        why, why_len, ATT_ERR_UNSUPPORTED,
		        "this recording holds values, not a board's counts: only attune's own "
		        "recordings (NAME.csv, NAME.attraw) are recorded again");
	if ((rc = next_base(r, why, why_len)))
		return rc;
	cfg.base = r->base;
	cfg.info = r->info;
	cfg.meta.start_host_ns = att_clock_ns();
	cfg.meta.start_unix_ns = att_clock_unix_ns();
	snprintf(cfg.meta.label_a, sizeof cfg.meta.label_a, "%s", r->cfg.name_a);
	snprintf(cfg.meta.label_b, sizeof cfg.meta.label_b, "%s", r->cfg.name_b);
	rc = att_recorder_new(&cfg, &r->rec, why, why_len);
	if (rc != ATT_OK)
		return rc;
	r->serial++;
	r->link_start = link_now(r);
	/* through the session, so every sink (OSC too) hears the pacer's state at the start */
	return pacer_bpm >= 0.0 ? att_session_event(s, ATT_EV_PACER, pacer_bpm, NULL) : ATT_OK;
}

/* The worker: stops the recorder and writes the session files (about a second per hour). */
static void *save_main(void *arg)
{
	struct saver *v = arg;
	struct att_export_report rep;

	int stop_rc = att_recorder_stop(v->rec, v->line, sizeof v->line);
	/* after an error on the way the files are still made from what reached the disk; the
	 * first error is the one said */
	int export_rc = att_export_capture(v->base, &v->link, &rep, stop_rc ? NULL : v->line,
	                                   sizeof v->line);

	v->rc = stop_rc ? stop_rc : export_rc;
	v->session_id = 0;
	if (v->rc == ATT_OK) {
		char history[500];
		v->session_id = att_app_session_ended(v->db, v->base, history, sizeof history);
		snprintf(v->line, sizeof v->line, "saved %.300s.csv, .edf, .json (%.0f s); %.400s",
		         v->base, rep.duration_s, history);
	}
	atomic_store(&v->done, 1);
	return NULL;
}

static void save_begin(struct att_live_record *r)
{
	struct saver *v = &r->saver;
	struct att_export_link now = link_now(r);

	if (!r->rec || v->active)
		return;
	v->rec = r->rec;
	v->link = (struct att_export_link){
	        .frames_duplicate = now.frames_duplicate - r->link_start.frames_duplicate,
	        .frames_stale = now.frames_stale - r->link_start.frames_stale};
	r->rec = NULL;
	snprintf(v->base, sizeof v->base, "%s", r->base);
	v->db = r->cfg.db;
	atomic_store(&v->done, 0);
	v->start_ns = att_clock_ns();
	v->active = 1;
	v->threaded = pthread_create(&v->thread, NULL, save_main, v) == 0;
	if (!v->threaded)
		save_main(v); /* no thread to be had: better a frozen view than a lost session */
}

int att_live_record_stop(struct att_live_record *r)
{
	if (r->rec && r->saver.active) {
		r->stop_pending =
		        1; /* one export at a time: this one follows; no key press is lost */
		return 1;
	}
	save_begin(r);
	return 0;
}

int att_live_record_poll(struct att_live_record *r, int wait)
{
	struct saver *v = &r->saver;
	double ms;

	if (!v->active)
		return 0;
	if (!wait && !atomic_load(&v->done))
		return 1;
	if (v->threaded)
		pthread_join(v->thread, NULL);
	att_recorder_free(v->rec);
	v->rec = NULL;
	v->active = 0;
	ms = (double)(att_clock_ns() - v->start_ns) / 1e6;
	if (ms > r->save_ms_max)
		r->save_ms_max = ms;
	r->saves++;
	r->session_id = v->session_id;
	if (v->rc != ATT_OK)
		r->failed = 1;
	if (r->cfg.on_saved)
		r->cfg.on_saved(r->cfg.ctx, v->rc == ATT_OK, v->base, v->line);
	if (r->stop_pending) {
		r->stop_pending = 0;
		save_begin(r);
		return v->active;
	}
	return 0;
}

int att_live_record_on(const struct att_live_record *r)
{
	return r->rec != NULL;
}

int att_live_record_saving(const struct att_live_record *r)
{
	return r->saver.active;
}

const char *att_live_record_base(const struct att_live_record *r)
{
	return r->base;
}

int64_t att_live_record_session_id(const struct att_live_record *r)
{
	return r->session_id;
}

int att_live_record_failed(const struct att_live_record *r)
{
	return r->failed;
}

const char *att_live_record_problem(struct att_live_record *r)
{
	if (!r->have_problem)
		return NULL;
	r->have_problem = 0;
	return r->problem;
}

void att_live_record_save_stats(const struct att_live_record *r, unsigned long *saves,
                                double *ms_max)
{
	*saves = r->saves;
	*ms_max = r->save_ms_max;
}

void att_live_record_free(struct att_live_record *r)
{
	if (!r)
		return;
	/* a running recording is saved before anything closes: no session is lost */
	att_live_record_poll(r, 1);
	save_begin(r);
	att_live_record_poll(r, 1);
	free(r);
}
