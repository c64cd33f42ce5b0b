/* Input dispatch and session metadata for the attune program (input.h). */
#include "input.h"

#include <edflib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "attune/csv.h"
#include "attune/err.h"
#include "attune/record_edf.h"
#include "attune/record_raw.h"
#include "attune/recorder.h"

typedef int (*reader_fn)(const char *path, struct att_recording **out, char *why, size_t len);

/* Input formats by extension (attune analyze and report both read through here); anything else
 * goes to att_recording_read_any(), which knows each format by its first bytes (raw capture
 * magic, EDF's "0       " version field, else CSV). A new format is one row here and one case
 * there. */
static const struct {
	const char *ext;
	reader_fn read;
} formats[] = {
        {".csv", att_csv_read},
        {".edf", att_edf_read},
};

int att_input_read(const char *path, struct att_recording **out, char *why, size_t why_len)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
			if (!strcasecmp(dot, formats[i].ext))
				return formats[i].read(path, out, why, why_len);
	return att_recording_read_any(path, out, why, why_len);
}

void att_input_meta_clear(struct att_input_meta *meta)
{
	if (!meta)
		return;
	free(meta->marks);
	memset(meta, 0, sizeof *meta);
	meta->frames_lost = -1;
}

static int add_mark(struct att_input_meta *m, double t, const char *text)
{
	if (!(m->n_marks & (m->n_marks + 1))) {
		/* capacity 2n + 2 whenever n + 1 is a power of two (n = 0, 1, 3, 7, ...) */
		struct att_input_mark *p = realloc(m->marks, (2 * m->n_marks + 2) * sizeof *p);
		if (!p)
			return ATT_ERR_NOMEM;
		m->marks = p;
	}
	m->marks[m->n_marks].t = t;
	snprintf(m->marks[m->n_marks].text, sizeof m->marks[0].text, "%s", text);
	m->n_marks++;
	return ATT_OK;
}

static void fmt_start_unix(char *buf, size_t len, int64_t unix_ns)
{
	time_t secs = (time_t)(unix_ns / 1000000000LL);
	struct tm tm;
	if (unix_ns > 0 && gmtime_r(&secs, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

static int raw_meta(const char *path, double rate_hz, struct att_input_meta *m)
{
	struct att_capture *s = NULL;
	struct att_grid *g = NULL;
	if (att_raw_read(path, &s, NULL, NULL, 0))
		return ATT_OK; /* the signal reader already said what is wrong, if anything */
	fmt_start_unix(m->start, sizeof m->start, s->meta.start_unix_ns);
	snprintf(m->label_a, sizeof m->label_a, "%s", s->meta.label_a);
	snprintf(m->label_b, sizeof m->label_b, "%s", s->meta.label_b);
	snprintf(m->note, sizeof m->note, "%s", s->meta.note);
	int err = ATT_OK;
	/* the recorder's own grid (one hour at most per gap), so times match the recording */
	if (!att_grid_new(s, 3600.0, &g)) {
		m->frames_lost = (long long)g->samples_filled;
		double rate = rate_hz > 0 ? rate_hz : g->rate_hz;
		for (size_t i = 0; i < g->n_events && !err; i++) {
			const struct att_event *e = &g->events[i];
			char text[ATT_INPUT_TEXT_MAX];
			switch (e->kind) {
			case ATT_EV_GAP:
				continue;
			case ATT_EV_PACER:
				if (e->value > 0)
					snprintf(text, sizeof text, "pacer %.1f/min", e->value);
				else
					snprintf(text, sizeof text, "pacer off");
				break;
			case ATT_EV_RECONNECT:
				snprintf(text, sizeof text, "reconnect");
				break;
			default:
				snprintf(text, sizeof text, "%s", e->text[0] ? e->text : "marker");
				break;
			}
			err = add_mark(m, (double)g->event_at[i] / rate, text);
		}
		att_grid_free(g);
	}
	att_capture_free(s);
	return err;
}

/* EDF+ patient name as attune writes it, "A_<label>,B_<label>" (EDF forbids spaces, so '_'
 * stands for them): back to the labels; a plain "A"/"B" means no label was given. */
static void edf_labels(const char *name, struct att_input_meta *m)
{
	const char *comma = strchr(name, ',');
	/* EDFlib hands the subfield back with its underscores already turned into spaces */
	if (name[0] != 'A' || (name[1] != '_' && name[1] != ' ') || !comma || comma[1] != 'B' ||
	    (comma[2] != '_' && comma[2] != ' '))
		return;
	snprintf(m->label_a, sizeof m->label_a, "%.*s", (int)(comma - name - 2), name + 2);
	snprintf(m->label_b, sizeof m->label_b, "%s", comma + 3);
	for (char *p = m->label_a; *p; p++)
		if (*p == '_')
			*p = ' ';
	for (char *p = m->label_b; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (!strcmp(m->label_a, "A"))
		m->label_a[0] = 0;
	if (!strcmp(m->label_b, "B"))
		m->label_b[0] = 0;
}

static int edf_meta(const char *path, struct att_input_meta *m)
{
	struct edf_hdr_struct *hdr = calloc(1, sizeof *hdr);
	if (!hdr)
		return ATT_ERR_NOMEM;
	int h = edfopen_file_readonly(path, hdr, EDFLIB_READ_ALL_ANNOTATIONS);
	if (h < 0) {
		free(hdr);
		return ATT_OK;
	}
	int err = ATT_OK;
	if (hdr->startdate_year >= 1985)
		snprintf(m->start, sizeof m->start, "%04d-%02d-%02d %02d:%02d UTC",
		         hdr->startdate_year, hdr->startdate_month, hdr->startdate_day,
		         hdr->starttime_hour, hdr->starttime_minute);
	edf_labels(hdr->patient_name, m);
	snprintf(m->note, sizeof m->note, "%s", hdr->recording_additional);
	/* trailing blanks of the fixed-width header field */
	for (size_t l = strlen(m->note); l && m->note[l - 1] == ' '; l--)
		m->note[l - 1] = 0;
	m->frames_lost = 0;
	for (long long i = 0; i < hdr->annotations_in_file && !err; i++) {
		struct edf_annotation_struct an;
		long long gap;
		if (edf_get_annotation(h, (int)i, &an))
			continue;
		if (sscanf(an.annotation, "gap %lld samples", &gap) == 1) {
			m->frames_lost += gap;
			continue;
		}
		if (!strncmp(an.annotation, "end padding", 11))
			continue;
		err = add_mark(m, (double)an.onset / (double)EDFLIB_TIME_DIMENSION, an.annotation);
	}
	edfclose_file(h);
	free(hdr);
	return err;
}

int att_input_meta_read(const char *path, double rate_hz, struct att_input_meta *meta)
{
	memset(meta, 0, sizeof *meta);
	meta->frames_lost = -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return ATT_OK;
	uint8_t head[8] = {0};
	size_t got = fread(head, 1, sizeof head, f);
	fclose(f);
	if (att_raw_is_capture(head, got))
		return raw_meta(path, rate_hz, meta);
	if (got == 8 && !memcmp(head, "0       ", 8))
		return edf_meta(path, meta);
	return ATT_OK;
}
