/* A session's events and header come back in struct att_recording from every reader: the raw
 * capture (its events plus one gap event per gap), its EDF+ (annotations mapped back to kinds)
 * and the any-format reader on both, with times within one sample and the same texts; a CSV has
 * none and cannot tell frames lost. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "record_fixture.h"
#include "attune/record_csv.h"
#include "attune/record_edf.h"
#include "attune/record_raw.h"
#include "attune/read_any.h"

#define RATE   250.0
#define N      7500u /* samples measured: 30 s with 25 lost at 10 s */
#define GAP_AT 2500u
#define GAP_N  25u
#define START  1764028800250000000LL /* 2025-11-25 00:00:00.25 UTC */

static char dir[256];

/* What the session holds, on the grid (gaps counted as time). */
static const struct want {
	uint8_t kind, edf_kind; /* EDF+ cannot tell a marker with a text from a note */
	double t, value;
	const char *text;
} want[] = {
        {ATT_EV_MARKER, ATT_EV_MARKER, 5.0, 0, ""},
        {ATT_EV_MARKER, ATT_EV_NOTE, 8.0, 0, "eyes closed"},
        {ATT_EV_GAP, ATT_EV_GAP, 10.0, GAP_N, "gap 25 samples"},
        {ATT_EV_PACER, ATT_EV_PACER, 12.1, 6.0, ""},
        {ATT_EV_RECONNECT, ATT_EV_RECONNECT, 16.1, 0, "device reconnected"},
        {ATT_EV_NOTE, ATT_EV_NOTE, 20.1, 0, "frames lost"},
        {ATT_EV_PACER, ATT_EV_PACER, 24.1, 0, ""},
        /* a session began following a guide; a room's observer paused it */
        {ATT_EV_GUIDE, ATT_EV_GUIDE, 26.1, ATT_GUIDE_BEGAN, "Daily practice"},
        {ATT_EV_GUIDE, ATT_EV_GUIDE, 27.3, ATT_GUIDE_CTL_PAUSE, "daily"},
};
#define N_WANT (sizeof want / sizeof want[0])

static void add_event(struct att_raw_writer *w, uint8_t kind, double value, const char *text)
{
	struct att_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.value = value;
	att_event_set_text(&ev, text);
	CHECK(att_raw_writer_event(w, &ev) == ATT_OK);
}

static void write_capture(const char *path)
{
	struct att_wire_info in;
	struct att_raw_meta m;
	struct att_raw_writer_cfg cfg = {path, &in, &m};
	struct att_raw_writer *w = NULL;

	memset(&in, 0, sizeof in);
	in.adc_bits = 10;
	in.rate_hz = 250;
	in.vref_mv = 5000;
	in.channels = 4;
	memset(&m, 0, sizeof m);
	m.start_unix_ns = START;
	snprintf(m.label_a, sizeof m.label_a, "Anna");
	snprintf(m.label_b, sizeof m.label_b, "Ben Berg");
	snprintf(m.note, sizeof m.note, "seated, eyes open");
	CHECK(att_raw_writer_new(&cfg, &w) == ATT_OK);
	if (!w)
		return;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t k = i < GAP_AT ? i : i + GAP_N; /* position on the grid */
		struct att_sample s;
		memset(&s, 0, sizeof s);
		s.counter = k;
		s.host_ns = (int64_t)k * 4000000LL;
		for (unsigned c = 0; c < 4; c++)
			s.ch[c] =
			        (uint16_t)(512 + 400 * sin(2 * M_PI * (0.25 + 0.9 * c) * k / RATE));
		if (i == 1250)
			add_event(w, ATT_EV_MARKER, 5.0, NULL);
		if (i == 2000)
			add_event(w, ATT_EV_MARKER, 8.0, "eyes closed");
		if (i == 3000)
			add_event(w, ATT_EV_PACER, 6.0, NULL);
		if (i == 4000)
			add_event(w, ATT_EV_RECONNECT, 0, "device reconnected");
		if (i == 5000)
			add_event(w, ATT_EV_NOTE, 0, "frames lost");
		if (i == 6000)
			add_event(w, ATT_EV_PACER, 0, NULL);
		if (i == 6500)
			add_event(w, ATT_EV_GUIDE, ATT_GUIDE_BEGAN, "Daily practice");
		if (i == 6800)
			add_event(w, ATT_EV_GUIDE, ATT_GUIDE_CTL_PAUSE, "daily");
		CHECK(att_raw_writer_samples(w, &s, 1) == ATT_OK);
	}
	CHECK(att_raw_writer_close(w, 0) == ATT_OK);
}

/* The events of rec against want[] (kinds as EDF+ keeps them when edf), meta as written. */
static void check_recording(const struct att_recording *rec, int edf, const char *what)
{
	if (!rec) {
		CHECK(!"a recording");
		return;
	}
	CHECK(rec->n == N + GAP_N);
	if (rec->n_events != N_WANT) {
		fprintf(stderr, "%s: %zu events, want %zu\n", what, rec->n_events, N_WANT);
		CHECK(rec->n_events == N_WANT);
		return;
	}
	for (size_t i = 0; i < N_WANT; i++) {
		const struct att_event *ev = &rec->events[i];
		int ok = ev->kind == (edf ? want[i].edf_kind : want[i].kind) &&
		         fabs(ev->t - want[i].t) <= 1.0 / RATE &&
		         fabs((double)ev->sample_index - want[i].t * RATE) <= 1.0 &&
		         !strcmp(ev->text, want[i].text);
		if (want[i].kind == ATT_EV_PACER || want[i].kind == ATT_EV_GAP ||
		    want[i].kind == ATT_EV_GUIDE)
			ok &= ev->value == want[i].value;
		if (!ok)
			fprintf(stderr, "%s: event %zu: kind %u t %.4f value %g text '%s'\n", what,
			        i, ev->kind, ev->t, ev->value, ev->text);
		CHECK(ok);
	}
	CHECK(rec->filled && rec->filled[GAP_AT - 1] == 0 && rec->filled[GAP_AT] == 1 &&
	      rec->filled[GAP_AT + GAP_N - 1] == 1 && rec->filled[GAP_AT + GAP_N] == 0);
	CHECK(rec->meta.frames_lost == GAP_N);
	/* EDF+ keeps the start to 100 us */
	CHECK(llabs(rec->meta.start_unix_ns - START) < 100000);
	CHECK(!strcmp(rec->meta.label_a, "Anna") && !strcmp(rec->meta.label_b, "Ben Berg"));
	CHECK(!strcmp(rec->meta.note, "seated, eyes open"));
}

static void test_every_reader_fills_events_and_meta(void)
{
	char raw[300], edf[300], csv[300], why[300] = "";
	struct att_capture *s = NULL;
	struct att_grid *g = NULL;
	struct att_recording *rec = NULL;

	snprintf(raw, sizeof raw, "%s/s.attraw", dir);
	snprintf(edf, sizeof edf, "%s/s.edf", dir);
	snprintf(csv, sizeof csv, "%s/s.csv", dir);
	write_capture(raw);
	CHECK(att_raw_read(raw, &s, NULL, why, sizeof why) == ATT_OK);
	if (!s)
		return;
	CHECK(att_capture_to_recording(s, &rec) == ATT_OK);
	check_recording(rec, 0, "raw");
	att_recording_free(rec);
	rec = NULL;

	CHECK(att_grid_new(s, ATT_GRID_MAX_GAP_S, &g) == ATT_OK);
	if (g)
		CHECK(att_edf_write(edf, s, g, NULL, why, sizeof why) == ATT_OK);
	att_grid_free(g);
	att_capture_free(s);
	CHECK(att_edf_read(edf, &rec, why, sizeof why) == ATT_OK);
	check_recording(rec, 1, "edf");
	if (rec)
		CHECK(att_csv_write_recording(csv, rec, why, sizeof why) == ATT_OK);
	att_recording_free(rec);
	rec = NULL;

	CHECK(att_recording_read_any(raw, &rec, why, sizeof why) == ATT_OK);
	check_recording(rec, 0, "any (raw)");
	att_recording_free(rec);
	rec = NULL;
	CHECK(att_recording_read_any(edf, &rec, why, sizeof why) == ATT_OK);
	check_recording(rec, 1, "any (edf)");
	att_recording_free(rec);
	rec = NULL;
	CHECK(att_recording_read_any(csv, &rec, why, sizeof why) == ATT_OK);
	if (rec) {
		CHECK(rec->n == N + GAP_N && rec->n_events == 0 && rec->events == NULL);
		CHECK(rec->meta.frames_lost == -1 && rec->meta.start_unix_ns == 0);
		CHECK(!rec->meta.label_a[0] && !rec->meta.note[0]);
	}
	att_recording_free(rec);
}

/* The dispatcher knows formats by content, whatever the name; a file named .edf that is no EDF
 * gets the EDF reader's reason, not a CSV parser's. */
static void test_dispatch_is_by_content(void)
{
	char raw[300], as_csv[300], junk[300], cmd[700], why[300] = "";
	struct att_recording *rec = NULL;
	FILE *f;

	snprintf(raw, sizeof raw, "%s/s.attraw", dir);
	snprintf(as_csv, sizeof as_csv, "%s/raw_named.csv", dir);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", raw, as_csv);
	CHECK(system(cmd) == 0);
	CHECK(att_recording_read_any(as_csv, &rec, why, sizeof why) == ATT_OK);
	CHECK(rec && rec->n_events == N_WANT);
	att_recording_free(rec);
	rec = NULL;
	snprintf(junk, sizeof junk, "%s/junk.edf", dir);
	f = fopen(junk, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("hello,world\n1,2\n", f);
		fclose(f);
	}
	why[0] = 0;
	CHECK(att_recording_read_any(junk, &rec, why, sizeof why) == ATT_ERR_FORMAT && !rec);
	CHECK(why[0] && !strstr(why, "line ") && !strstr(why, "column"));
}

/* The words the report and replay put on the timeline. */
static void test_labels(void)
{
	struct att_event ev;
	char buf[ATT_EVENT_TEXT_MAX];

	memset(&ev, 0, sizeof ev);
	ev.kind = ATT_EV_PACER;
	ev.value = 6;
	att_event_label(&ev, buf, sizeof buf);
	CHECK(!strcmp(buf, "pacer 6.0/min"));
	ev.value = 0;
	att_event_label(&ev, buf, sizeof buf);
	CHECK(!strcmp(buf, "pacer off"));
	ev.kind = ATT_EV_RECONNECT;
	att_event_set_text(&ev, "device reconnected");
	att_event_label(&ev, buf, sizeof buf);
	CHECK(!strcmp(buf, "reconnect"));
	ev.kind = ATT_EV_MARKER;
	att_event_label(&ev, buf, sizeof buf);
	CHECK(!strcmp(buf, "device reconnected"));
	att_event_set_text(&ev, NULL);
	att_event_label(&ev, buf, sizeof buf);
	CHECK(!strcmp(buf, "marker"));
}

int main(void)
{
	if (att_tmpdir_make(dir, sizeof dir, "att_recording_events"))
		return 1;
	test_every_reader_fills_events_and_meta();
	test_dispatch_is_by_content();
	test_labels();
	att_tmpdir_done(dir);
	return att_check_done("recording_events");
}
