/* Session export (see export.h): the session files rebuilt from a raw capture, with the offline
 * analysis as derived EDF channels, CSV columns, the JSON and the timeline. */
#include "attune/export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/json.h"
#include "attune/record_csv.h"
#include "attune/record_edf.h"

#define PATH_MAX_BASE                                                                              \
	4096u /* as ATT_RECORDER_PATH_MAX: a session name the recorder accepted fits */

size_t att_record_window_at(const struct att_analysis *an, double t)
{
	size_t lo = 0, hi;
	if (!an || !an->n_timeline)
		return 0;
	hi = an->n_timeline - 1;
	/* windows are in time order: binary search for the last centre <= t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (an->timeline[mid].t <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (lo + 1 < an->n_timeline &&
	    fabs(an->timeline[lo + 1].t - t) < fabs(an->timeline[lo].t - t))
		lo++;
	return lo;
}

struct csv_job {
	const struct att_grid *g;
	const struct att_analysis *an;
};

static void put_value(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.6g", v);
	else
		fputc(',', f);
}

static int write_csv(FILE *f, void *user)
{
	const struct csv_job *j = user;
	const struct att_grid *g = j->g;
	const struct att_analysis *an = j->an && j->an->n_timeline ? j->an : NULL;

	fputs("t,a_resp,a_ppg,b_resp,b_ppg,filled", f);
	if (an)
		fputs(",match,plv,relative_phase_deg,a_breath_rate_bpm,b_breath_rate_bpm,"
		      "a_heart_rate_bpm,b_heart_rate_bpm",
		      f);
	fputc('\n', f);
	for (size_t k = 0; k < g->n; k++) {
		double t = (double)k / g->rate_hz;
		if (fprintf(f, "%.6f,%u,%u,%u,%u,%u", t, g->ch[0][k], g->ch[1][k], g->ch[2][k],
		            g->ch[3][k], g->filled[k]) < 0)
			return att_err_from_errno(errno);
		if (an) {
			const struct att_analysis_window *w =
			        &an->timeline[att_record_window_at(an, t)];
			put_value(f, w->match);
			put_value(f, w->plv);
			put_value(f, w->relative_phase_deg);
			put_value(f, w->a_breath_rate_bpm);
			put_value(f, w->b_breath_rate_bpm);
			put_value(f, w->a_heart_rate_bpm);
			put_value(f, w->b_heart_rate_bpm);
		}
		if (fputc('\n', f) == EOF)
			return att_err_from_errno(errno);
	}
	return ATT_OK;
}

int att_csv_write(const char *path, const struct att_grid *g, const struct att_analysis *an,
                  char *why, size_t why_len)
{
	struct csv_job j = {g, an};
	if (!path || !g)
		return att_fail(why, why_len, ATT_ERR_ARG, "att_csv_write: missing argument");
	return att_atomic_write(path, write_csv, &j, why, why_len);
}

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
	const struct att_export_link *link; /* NULL when not known */
};

static void json_text_or_null(struct att_json *js, const char *key, const char *text)
{
	if (text && text[0])
		att_json_string(js, key, text);
	else
		att_json_null(js, key);
}

/* The guide the session followed: its first "began" guide event's text; NULL when none. */
static const char *guide_name(const struct att_grid *g)
{
	for (size_t i = 0; i < g->n_events; i++)
		if (g->events[i].kind == ATT_EV_GUIDE && (int)g->events[i].value == ATT_GUIDE_BEGAN)
			return g->events[i].text;
	return NULL;
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
	json_text_or_null(js, "guide", guide_name(job->g));
	/* the same recording keeps its uid through recover, export and copies (practice history) */
	snprintf(buf, sizeof buf, "%016llx-%016llx", (unsigned long long)m->start_unix_ns,
	         (unsigned long long)m->start_host_ns);
	att_json_string(js, "uid", buf);
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
	if (job->link) {
		att_json_uint(js, "frames_duplicate", job->link->frames_duplicate);
		att_json_uint(js, "frames_stale", job->link->frames_stale);
	} else { /* attune recover: the capture holds only what was kept */
		att_json_null(js, "frames_duplicate");
		att_json_null(js, "frames_stale");
	}
	att_json_array_begin(js, "events");
	for (size_t i = 0; i < job->g->n_events; i++) {
		const struct att_event *ev = &job->g->events[i];
		att_json_object_begin(js, NULL);
		att_json_set_indent(js, 0);
		att_json_number(js, "t", (double)job->g->event_at[i] / job->g->rate_hz);
		att_json_string(js, "kind", att_event_kind_name(ev->kind));
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

static int export_capture(const struct att_capture *s, const char *base,
                          const struct att_export_link *link, struct att_export_report *report,
                          char *why, size_t why_len)
{
	struct att_export_report rep;
	struct att_grid *g = NULL;
	struct att_recording *rec = NULL;
	struct att_analysis *an = NULL;
	struct att_edf_derived der;
	float *store = NULL;
	char path[PATH_MAX_BASE + 32];
	size_t seconds;
	int e;

	memset(&rep, 0, sizeof rep);
	if (report)
		*report = rep;
	if (!s || !base)
		return att_fail(why, why_len, ATT_ERR_ARG, "att_capture_export: missing argument");
	if (strlen(base) >= PATH_MAX_BASE)
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
		struct json_job job = {s, g, an, &rep, link};
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

int att_capture_export(const struct att_capture *s, const char *base,
                       struct att_export_report *report, char *why, size_t why_len)
{
	return export_capture(s, base, NULL, report, why, why_len);
}

int att_export_capture(const char *base, const struct att_export_link *link,
                       struct att_export_report *report, char *why, size_t why_len)
{
	struct att_capture *s = NULL;
	char raw[PATH_MAX_BASE + 16], rwhy[256];
	int e;

	if (report)
		memset(report, 0, sizeof *report);
	if (!base || !base[0])
		return att_fail(why, why_len, ATT_ERR_ARG, "no session name given");
	if (snprintf(raw, sizeof raw, "%s.attraw", base) >= (int)sizeof raw)
		return att_fail(why, why_len, ATT_ERR_ARG, "session name too long");
	/* rebuilt from what is on disk: the same path as `attune recover`, and a check of it */
	if ((e = att_raw_read(raw, &s, NULL, rwhy, sizeof rwhy)))
		return att_fail(why, why_len, e, "%s: %s", raw, rwhy);
	if (!s->n_samples) {
		att_capture_free(s);
		return att_fail(why, why_len, ATT_ERR_NO_DATA,
		                "no samples were recorded; %s holds only the session header", raw);
	}
	e = export_capture(s, base, link, report, why, why_len);
	att_capture_free(s);
	return e;
}
