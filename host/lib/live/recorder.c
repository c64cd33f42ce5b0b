/* Session recorder (see recorder.h).
 *
 * The producer never waits: it copies items into the ring and returns. The writer thread polls
 * the ring every few milliseconds instead of sleeping on a condition variable, because signalling
 * one would need a lock or a syscall on the producer's real-time path. */
#include "attune/recorder.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/analysis.h"
#include "attune/csv.h"
#include "attune/json.h"
#include "attune/record_csv.h"
#include "attune/record_edf.h"
#include "attune/ring.h"

#define POLL_NS 5000000L /* 5 ms: the ring holds a minute, so latency here costs nothing */
#define BATCH   256u

enum item_type { IT_SAMPLE = 1, IT_EVENT = 2, IT_INFO = 3 };

struct item {
	uint8_t type;
	union {
		struct att_sample s;
		struct att_event ev;
		struct att_wire_info info;
	} u;
};

struct att_recorder {
	struct att_ring *ring;
	struct att_raw_writer *raw;
	pthread_t thread;
	int thread_started;
	_Atomic int stopped; /* set by the control thread, read by the producer */
	double flush_ns;
	char raw_path[ATT_RECORDER_PATH_MAX];
	char base[ATT_RECORDER_PATH_MAX];
	struct item batch[BATCH]; /* writer thread's */
	struct item staging[64];  /* producer thread's: samples converted to items */
	_Atomic int stop;
	_Atomic int err;
	_Atomic int running;
	_Atomic uint64_t pushed;
	_Atomic uint64_t durable;
	_Atomic uint64_t dropped;
};

/* att_strerror() speaks of serial ports for ATT_ERR_PERMISSION; here it is always a file. */
static const char *file_sentence(int e)
{
	switch (e) {
	case ATT_ERR_DISK_FULL:
		return "no space left on the disk; free some space or record elsewhere";
	case ATT_ERR_PERMISSION:
		return "permission denied; choose a folder you can write to";
	case ATT_ERR_IO:
		return "input/output error on the disk; record elsewhere";
	default:
		return att_strerror(e);
	}
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int write_item(struct att_raw_writer *w, const struct item *it)
{
	switch (it->type) {
	case IT_SAMPLE:
		return att_raw_writer_samples(w, &it->u.s, 1);
	case IT_EVENT:
		return att_raw_writer_event(w, &it->u.ev);
	case IT_INFO:
		return att_raw_writer_info(w, &it->u.info);
	default:
		return ATT_OK;
	}
}

static void *writer_main(void *arg)
{
	struct att_recorder *r = arg;
	int64_t last_flush = now_ns(CLOCK_MONOTONIC);

	for (;;) {
		int stopping = atomic_load(&r->stop);
		size_t got = att_ring_read(r->ring, r->batch, BATCH);
		int e = ATT_OK;
		int64_t t;
		for (size_t i = 0; i < got && !e; i++)
			e = write_item(r->raw, &r->batch[i]);
		t = now_ns(CLOCK_MONOTONIC);
		if (!e && (double)(t - last_flush) >= r->flush_ns) {
			e = att_raw_writer_flush(r->raw);
			last_flush = t;
			if (!e)
				atomic_store(&r->durable, att_raw_writer_count(r->raw));
		}
		if (e) {
			int expected = ATT_OK;
			atomic_compare_exchange_strong(&r->err, &expected, e);
			break;
		}
		if (!got) {
			struct timespec ts = {0, POLL_NS};
			if (stopping)
				break;
			nanosleep(&ts, NULL);
		}
	}
	atomic_store(&r->running, 0);
	return NULL;
}

int att_recorder_new(const struct att_recorder_cfg *cfg, struct att_recorder **out, char *why,
                     size_t why_len)
{
	struct att_recorder *r;
	struct att_ring_cfg rc;
	struct att_raw_writer_cfg wc;
	struct att_raw_meta meta;
	int e;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !cfg->base || !cfg->base[0])
		return att_fail(why, why_len, ATT_ERR_ARG, "no session name given");
	if (cfg->info.rate_hz < ATT_WIRE_RATE_MIN || cfg->info.rate_hz > 1000u ||
	    cfg->info.adc_bits < 1 || cfg->info.adc_bits > 16)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "the device info is implausible (rate %u Hz, %u ADC bits)",
		                cfg->info.rate_hz, cfg->info.adc_bits);
	if (cfg->ring_capacity & (cfg->ring_capacity - 1))
		return att_fail(why, why_len, ATT_ERR_ARG, "ring capacity must be a power of two");
	r = calloc(1, sizeof *r);
	if (!r)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	if (snprintf(r->base, sizeof r->base, "%s", cfg->base) >= (int)sizeof r->base - 16 ||
	    snprintf(r->raw_path, sizeof r->raw_path, "%s.attraw", cfg->base) >=
	            (int)sizeof r->raw_path) {
		free(r);
		return att_fail(why, why_len, ATT_ERR_ARG, "session name too long");
	}
	r->flush_ns = (cfg->flush_interval_s > 0 && cfg->flush_interval_s < 1.0
	                       ? cfg->flush_interval_s
	                       : (cfg->flush_interval_s >= 1.0 ? 1.0 : 0.5)) *
	              1e9;
	memset(&rc, 0, sizeof rc);
	rc.elem_size = sizeof(struct item);
	rc.capacity = cfg->ring_capacity ? cfg->ring_capacity : 16384u;
	if ((e = att_ring_new(&rc, &r->ring))) {
		free(r);
		return att_fail(why, why_len, e, "cannot create the recorder's buffer: %s",
		                att_strerror(e));
	}
	meta = cfg->meta;
	if (!meta.start_unix_ns)
		meta.start_unix_ns = now_ns(CLOCK_REALTIME);
	if (!meta.start_host_ns)
		meta.start_host_ns = now_ns(CLOCK_MONOTONIC);
	wc.path = r->raw_path;
	wc.info = &cfg->info;
	wc.meta = &meta;
	if ((e = att_raw_writer_new(&wc, &r->raw))) {
		if (e == ATT_ERR_IO && errno == EEXIST)
			att_fail(why, why_len, e, "%s already exists: choose another session name",
			         r->raw_path);
		else if (e == ATT_ERR_IO && errno == ENOENT)
			att_fail(why, why_len, e, "cannot create %s: the directory does not exist",
			         r->raw_path);
		else if (e == ATT_ERR_PERMISSION)
			att_fail(why, why_len, e,
			         "cannot record to %s: %s; choose a folder you can write to",
			         r->raw_path, strerror(errno));
		else
			att_fail(why, why_len, e, "cannot record to %s: %s", r->raw_path,
			         file_sentence(e));
		att_ring_free(r->ring);
		free(r);
		return e;
	}
	atomic_store(&r->running, 1);
	if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
		att_raw_writer_close(r->raw, 0);
		att_ring_free(r->ring);
		free(r);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "cannot start the recorder thread");
	}
	r->thread_started = 1;
	*out = r;
	return ATT_OK;
}

static int queue(struct att_recorder *r, const struct item *it, size_t n)
{
	size_t put = att_ring_write(r->ring, it, n);
	if (put < n)
		atomic_fetch_add(&r->dropped, n - put);
	return put;
}

int att_recorder_push(struct att_recorder *r, const struct att_sample *s, size_t n)
{
	int e;
	if (!r || (!s && n))
		return ATT_ERR_ARG;
	if ((e = atomic_load(&r->err)) || atomic_load(&r->stopped))
		return e ? e : ATT_ERR_ARG;
	while (n) {
		size_t k = n < 64 ? n : 64, put;
		for (size_t i = 0; i < k; i++) {
			r->staging[i].type = IT_SAMPLE;
			r->staging[i].u.s = s[i];
		}
		put = (size_t)queue(r, r->staging, k);
		atomic_fetch_add(&r->pushed, put);
		if (put < k) {
			atomic_fetch_add(&r->dropped, n - k);
			break;
		}
		s += k;
		n -= k;
	}
	return ATT_OK;
}

int att_recorder_put_event(struct att_recorder *r, const struct att_event *ev)
{
	struct item it;
	int e;
	if (!r || !ev || ev->kind < ATT_EV_MARKER || ev->kind > ATT_EV_NOTE)
		return ATT_ERR_ARG;
	if ((e = atomic_load(&r->err)) || atomic_load(&r->stopped))
		return e ? e : ATT_ERR_ARG;
	memset(&it, 0, sizeof it);
	it.type = IT_EVENT;
	it.u.ev = *ev;
	queue(r, &it, 1);
	return ATT_OK;
}

int att_recorder_event(struct att_recorder *r, uint8_t kind, int64_t host_ns, double value,
                       const char *text)
{
	struct att_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.host_ns = host_ns;
	ev.value = value;
	att_event_set_text(&ev, text);
	return att_recorder_put_event(r, &ev);
}

int att_recorder_info(struct att_recorder *r, const struct att_wire_info *info)
{
	struct item it;
	int e;
	if (!r || !info)
		return ATT_ERR_ARG;
	if ((e = atomic_load(&r->err)) || atomic_load(&r->stopped))
		return e ? e : ATT_ERR_ARG;
	memset(&it, 0, sizeof it);
	it.type = IT_INFO;
	it.u.info = *info;
	queue(r, &it, 1);
	return ATT_OK;
}

void att_recorder_status(const struct att_recorder *r, struct att_recorder_status *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	if (!r) {
		out->err = ATT_ERR_ARG;
		return;
	}
	out->err = atomic_load(&r->err);
	out->running = atomic_load(&r->running);
	out->samples_pushed = atomic_load(&r->pushed);
	out->samples_durable = atomic_load(&r->durable);
	out->dropped = atomic_load(&r->dropped);
}

static int halt(struct att_recorder *r)
{
	int e;
	if (atomic_load(&r->stopped))
		return atomic_load(&r->err);
	atomic_store(&r->stopped, 1);
	atomic_store(&r->stop, 1);
	if (r->thread_started)
		pthread_join(r->thread, NULL);
	e = att_raw_writer_close(r->raw, now_ns(CLOCK_MONOTONIC));
	r->raw = NULL;
	if (e) {
		int expected = ATT_OK;
		atomic_compare_exchange_strong(&r->err, &expected, e);
	}
	atomic_store(&r->running, 0);
	return atomic_load(&r->err);
}

int att_recorder_stop(struct att_recorder *r, int export, struct att_export_report *report,
                      char *why, size_t why_len)
{
	struct att_capture *s = NULL;
	int e, e2;
	char rwhy[256];

	if (report)
		memset(report, 0, sizeof *report);
	if (!r)
		return ATT_ERR_ARG;
	if (atomic_load(&r->stopped))
		return att_fail(why, why_len, ATT_ERR_ARG, "the recorder was already stopped");
	e = halt(r);
	if (e)
		att_fail(why, why_len, e, "recording to %s stopped: %s", r->raw_path,
		         file_sentence(e));
	if (!export)
		return e;
	/* rebuild from what is on disk: the same path as `attune recover`, and a check of it */
	e2 = att_raw_read(r->raw_path, &s, NULL, rwhy, sizeof rwhy);
	if (e2) {
		if (!e)
			att_fail(why, why_len, e2, "%s: %s", r->raw_path, rwhy);
		return e ? e : e2;
	}
	if (!s->n_samples) {
		att_capture_free(s);
		if (!e)
			att_fail(why, why_len, ATT_ERR_NO_DATA,
			         "no samples were recorded; %s holds only the session header",
			         r->raw_path);
		return e ? e : ATT_ERR_NO_DATA;
	}
	e2 = att_capture_export(s, r->base, report, e ? NULL : why, why_len);
	att_capture_free(s);
	return e ? e : e2;
}

void att_recorder_free(struct att_recorder *r)
{
	if (!r)
		return;
	halt(r);
	att_ring_free(r->ring);
	free(r);
}

/* ---- export ---- */

struct derived_job {
	const struct att_analysis *an;
	size_t n;
	float *v[ATT_EDF_DERIVED_MAX];
};

/* Value of window field `f` for second k, NAN outside the windows' reach. */
static double window_value(const struct att_analysis *an, double t, int f)
{
	const struct att_analysis_window *w = &an->timeline[att_record_window_at(an, t)];
	if (fabs(w->t - t) > 0.5 * (an->step_s > 0 ? an->step_s : 1.0) + 1e-9)
		return NAN;
	switch (f) {
	case 0:
		return w->match;
	case 1:
		return w->plv;
	case 2:
		return w->plv_chance;
	case 3:
		return w->relative_phase_deg;
	case 4:
		return w->a_breath_rate_bpm;
	case 5:
		return w->b_breath_rate_bpm;
	case 6:
		return w->a_heart_rate_bpm;
	default:
		return w->b_heart_rate_bpm;
	}
}

static void fill_derived(struct att_edf_derived *d, const struct att_analysis *an, size_t seconds,
                         float *store)
{
	static const struct {
		const char *label, *unit;
		double lo, hi;
	} spec[ATT_EDF_DERIVED_MAX] = {
	        {"Match", "", 0, 1},
	        {"PLV", "", 0, 1},
	        {"PLV chance", "", 0, 1},
	        {"Rel phase A-B", "deg", -180, 180},
	        {"Breath rate A", "bpm", 0, 60},
	        {"Breath rate B", "bpm", 0, 60},
	        {"Heart rate A", "bpm", 0, 250},
	        {"Heart rate B", "bpm", 0, 250},
	};
	memset(d, 0, sizeof *d);
	d->n = seconds;
	d->n_signals = ATT_EDF_DERIVED_MAX;
	for (unsigned k = 0; k < ATT_EDF_DERIVED_MAX; k++) {
		float *v = store + (size_t)k * seconds;
		for (size_t i = 0; i < seconds; i++)
			v[i] = (float)window_value(an, (double)i + 0.5, (int)k);
		d->sig[k].label = spec[k].label;
		d->sig[k].unit = spec[k].unit;
		d->sig[k].lo = spec[k].lo;
		d->sig[k].hi = spec[k].hi;
		d->sig[k].v = v;
	}
}

static int write_timeline(FILE *f, void *user)
{
	return att_analysis_write_timeline_csv(user, f);
}

/* NAME.json: the analysis in the `attune analyze --json` layout (nulls when the session is too
 * short to analyse) plus "session": when, who, the device, and what was lost or marked. */
struct json_job {
	const struct att_capture *s;
	const struct att_grid *g;
	const struct att_analysis *an; /* NULL when not analysed */
	const struct att_export_report *rep;
};

static const char *event_kind(uint8_t kind)
{
	switch (kind) {
	case ATT_EV_MARKER:
		return "marker";
	case ATT_EV_RECONNECT:
		return "reconnect";
	case ATT_EV_PACER:
		return "pacer";
	case ATT_EV_GAP:
		return "gap";
	default:
		return "note";
	}
}

static void json_text_or_null(struct att_json *js, const char *key, const char *text)
{
	if (text[0])
		att_json_string(js, key, text);
	else
		att_json_null(js, key);
}

static void session_json(struct att_json *js, const struct json_job *job)
{
	const struct att_raw_meta *m = &job->s->meta;
	const struct att_wire_info *info = &job->s->info;
	char buf[64];

	att_json_object_begin(js, "session");
	if (m->start_unix_ns > 0) {
		time_t sec = (time_t)(m->start_unix_ns / 1000000000);
		struct tm tm;
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&sec, &tm));
		att_json_string(js, "start_time", buf);
	} else {
		att_json_null(js, "start_time");
	}
	att_json_object_begin(js, "participants");
	json_text_or_null(js, "a", m->label_a);
	json_text_or_null(js, "b", m->label_b);
	att_json_object_end(js);
	json_text_or_null(js, "note", m->note);
	att_json_object_begin(js, "device");
	if (info->board) {
		snprintf(buf, sizeof buf, "%u.%u.%u", info->fw_major, info->fw_minor,
		         info->fw_patch);
		att_json_string(js, "firmware", buf);
		att_json_uint(js, "board", info->board);
	} else { /* a generated couple: no board, no firmware */
		att_json_null(js, "firmware");
		att_json_null(js, "board");
	}
	snprintf(buf, sizeof buf, "%.*s", (int)info->names_len, info->names);
	json_text_or_null(js, "channels", buf);
	att_json_uint(js, "rate_hz", info->rate_hz);
	att_json_uint(js, "adc_bits", info->adc_bits);
	att_json_uint(js, "vref_mv", info->vref_mv);
	att_json_object_end(js);
	att_json_uint(js, "samples", job->rep->samples);
	att_json_uint(js, "frames_lost", job->rep->samples_filled);
	att_json_uint(js, "gaps", job->rep->gaps);
	att_json_array_begin(js, "events");
	for (size_t i = 0; i < job->g->n_events; i++) {
		const struct att_event *ev = &job->g->events[i];
		att_json_object_begin(js, NULL);
		att_json_set_indent(js, 0);
		att_json_number(js, "t", (double)job->g->event_at[i] / job->g->rate_hz);
		att_json_string(js, "kind", event_kind(ev->kind));
		att_json_number(js, "value", ev->value);
		json_text_or_null(js, "text", ev->text);
		att_json_object_end(js);
		att_json_set_indent(js, 2);
	}
	att_json_array_end(js);
	att_json_object_end(js);
}

static int write_json(FILE *f, void *user)
{
	const struct json_job *job = user;
	struct att_json_cfg jc = {.out = f, .indent = 2, .digits = 6};
	struct att_json *js;
	int e;

	if ((e = att_json_new(&jc, &js)))
		return e;
	att_json_object_begin(js, NULL);
	att_analysis_json_members(job->an, job->rep->duration_s, job->g->rate_hz, js, 2);
	session_json(js, job);
	att_json_object_end(js);
	e = att_json_end_line(js);
	att_json_free(js);
	return e;
}

int att_capture_export(const struct att_capture *s, const char *base,
                       struct att_export_report *report, char *why, size_t why_len)
{
	struct att_export_report rep;
	struct att_grid *g = NULL;
	struct att_recording *rec = NULL;
	struct att_analysis *an = NULL;
	struct att_edf_derived der;
	float *store = NULL;
	char path[ATT_RECORDER_PATH_MAX + 32];
	size_t seconds;
	int e;

	memset(&rep, 0, sizeof rep);
	if (report)
		*report = rep;
	if (!s || !base)
		return att_fail(why, why_len, ATT_ERR_ARG, "att_capture_export: missing argument");
	if (strlen(base) >= ATT_RECORDER_PATH_MAX)
		return att_fail(why, why_len, ATT_ERR_ARG, "session name too long");
	e = att_grid_new(s, ATT_GRID_MAX_GAP_S, &g);
	if (e == ATT_ERR_NO_DATA)
		return att_fail(why, why_len, e, "the session holds no samples");
	if (e)
		return att_fail(why, why_len, e, "cannot lay out the session: %s", att_strerror(e));
	rep.samples = s->n_samples;
	rep.samples_filled = g->samples_filled;
	for (size_t i = 0; i < g->n_events; i++)
		rep.gaps += g->events[i].kind == ATT_EV_GAP;
	rep.duration_s = (double)g->n / g->rate_hz;
	seconds = (g->n + (size_t)g->rate_hz - 1) / (size_t)g->rate_hz;

	if ((e = att_grid_to_recording(s, g, &rec))) {
		att_fail(why, why_len, e, "out of memory");
		goto out;
	}
	{
		struct att_analysis_cfg ac;
		memset(&ac, 0, sizeof ac);
		if (att_analyze(&ac, rec, &an, rep.analysis_why, sizeof rep.analysis_why))
			an = NULL;
	}
	if (an && an->n_timeline) {
		store = malloc(ATT_EDF_DERIVED_MAX * (seconds ? seconds : 1) * sizeof *store);
		if (!store) {
			e = att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
			goto out;
		}
		fill_derived(&der, an, seconds, store);
	}
	rep.analysed = an != NULL;

	snprintf(path, sizeof path, "%s.edf", base);
	if ((e = att_edf_write(path, s, g, store ? &der : NULL, why, why_len)))
		goto out;
	snprintf(path, sizeof path, "%s.csv", base);
	if ((e = att_csv_write(path, g, an, why, why_len)))
		goto out;
	snprintf(path, sizeof path, "%s.json", base);
	{
		struct json_job job = {s, g, an, &rep};
		e = att_atomic_write(path, write_json, &job, why, why_len);
	}
	if (e)
		goto out;
	if (an) {
		snprintf(path, sizeof path, "%s.timeline.csv", base);
		e = att_atomic_write(path, write_timeline, an, why, why_len);
	}
out:
	free(store);
	att_analysis_free(an);
	att_recording_free(rec);
	att_grid_free(g);
	if (report)
		*report = rep;
	return e;
}
