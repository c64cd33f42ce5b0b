/* Session recorder: samples pushed are on disk within the flush interval; stop writes complete
 * session files; a missing directory or an existing session is refused at start with a reason; a
 * full disk mid-session stops the recorder cleanly, its status and push say so, and what reached
 * the disk reads back intact. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "record_fixture.h"
#include "attune/csv.h"
#include "attune/export.h"
#include "attune/record_edf.h"
#include "attune/recorder.h"

static char dir[256];

static struct att_recorder_cfg cfg_for(const char *base)
{
	struct att_recorder_cfg c;
	memset(&c, 0, sizeof c);
	c.base = base;
	c.info.adc_bits = 10;
	c.info.rate_hz = 250;
	c.info.vref_mv = 5000;
	c.info.channels = 4;
	snprintf(c.meta.label_a, sizeof c.meta.label_a, "A");
	snprintf(c.meta.label_b, sizeof c.meta.label_b, "B");
	c.flush_interval_s = 0.2;
	return c;
}

static struct att_sample sample_at(uint32_t i)
{
	struct att_sample s;
	memset(&s, 0, sizeof s);
	s.counter = i;
	s.host_ns = (int64_t)i * 4000000LL;
	for (unsigned c = 0; c < 4; c++)
		s.ch[c] = (uint16_t)((i * 2654435761u >> 16) + 37u * c) & 1023u;
	return s;
}

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int exists(const char *base, const char *ext)
{
	char p[400];
	struct stat sb;
	snprintf(p, sizeof p, "%s%s", base, ext);
	return stat(p, &sb) == 0;
}

/* 1 when base.json holds text. */
static int json_has(const char *base, const char *text)
{
	char p[320], buf[8192];
	size_t n;
	FILE *f;

	snprintf(p, sizeof p, "%s.json", base);
	if (!(f = fopen(p, "r")))
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

static void test_pushed_samples_are_durable_within_the_flush_interval(void)
{
	char base[300], why[300] = "";
	struct att_recorder_cfg c;
	struct att_recorder *r = NULL;
	struct att_recorder_status st;
	struct att_export_report rep;
	struct att_recording *csv = NULL, *edf = NULL;

	snprintf(base, sizeof base, "%s/s1", dir);
	c = cfg_for(base);
	CHECK(att_recorder_new(&c, &r, why, sizeof why) == ATT_OK);
	if (!r)
		return;
	for (uint32_t i = 0; i < 3000; i++) {
		struct att_sample s = sample_at(i);
		CHECK(att_recorder_push(r, &s, 1) == ATT_OK);
		if (i == 1000)
			CHECK(att_recorder_event(r, ATT_EV_MARKER, 0, 0, "mark") == ATT_OK);
	}
	nap(600); /* three flush intervals */
	att_recorder_status(r, &st);
	CHECK(st.err == ATT_OK && st.running == 1);
	CHECK(st.samples_pushed == 3000 && st.dropped == 0);
	CHECK(st.samples_durable == 3000);
	{
		/* the capture alone already holds them, while the recorder still runs */
		char raw[320];
		struct att_capture *s = NULL;
		snprintf(raw, sizeof raw, "%s.attraw", base);
		CHECK(att_raw_read(raw, &s, NULL, why, sizeof why) == ATT_OK);
		CHECK(s && s->n_samples == 3000 && s->n_events == 1 && s->clean_end == 0);
		att_capture_free(s);
	}
	CHECK(att_recorder_stop(r, why, sizeof why) == ATT_OK);
	CHECK(att_export_capture(
	              base, &(struct att_export_link){.frames_duplicate = 3, .frames_stale = 5},
	              &rep, why, sizeof why) == ATT_OK);
	CHECK(rep.samples == 3000 && rep.samples_filled == 0 && rep.gaps == 0);
	/* what the link dropped is in the session's JSON (the capture does not hold it) */
	CHECK(json_has(base, "\"frames_duplicate\": 3,") && json_has(base, "\"frames_stale\": 5,"));
	CHECK_NEAR(rep.duration_s, 12.0, 1e-9);
	CHECK(att_recorder_push(r, &(struct att_sample){0}, 1) != ATT_OK);
	att_recorder_free(r);
	CHECK(exists(base, ".attraw") && exists(base, ".edf") && exists(base, ".csv") &&
	      exists(base, ".json"));
	CHECK(!exists(base, ".edf.tmp") && !exists(base, ".csv.tmp") && !exists(base, ".json.tmp"));
	{
		char p[320];
		snprintf(p, sizeof p, "%s.csv", base);
		CHECK(att_csv_read(p, &csv, why, sizeof why) == ATT_OK);
		snprintf(p, sizeof p, "%s.edf", base);
		CHECK(att_edf_read(p, &edf, why, sizeof why) == ATT_OK);
		snprintf(p, sizeof p, "%s.attraw", base);
	}
	if (csv && edf) {
		int same = csv->n == 3000 && edf->n == 3000;
		for (unsigned c2 = 0; same && c2 < 4; c2++)
			for (size_t k = 0; k < 3000; k++)
				same &= csv->ch[c2][k] == edf->ch[c2][k] &&
				        csv->ch[c2][k] == (float)sample_at((uint32_t)k).ch[c2];
		CHECK(same);
		CHECK(csv->rate_hz == 250.0 && edf->rate_hz == 250.0);
	}
	att_recording_free(csv);
	att_recording_free(edf);
}

static void test_bad_places_are_refused_at_start(void)
{
	char base[300], why[300] = "";
	struct att_recorder_cfg c;
	struct att_recorder *r = (struct att_recorder *)1;

	snprintf(base, sizeof base, "%s/no/such/dir/s", dir);
	c = cfg_for(base);
	CHECK(att_recorder_new(&c, &r, why, sizeof why) == ATT_ERR_IO && r == NULL);
	CHECK(strstr(why, "directory does not exist") != NULL);
	snprintf(base, sizeof base, "%s/s1", dir); /* recorded above */
	c = cfg_for(base);
	CHECK(att_recorder_new(&c, &r, why, sizeof why) == ATT_ERR_IO && r == NULL);
	CHECK(strstr(why, "already exists") != NULL);
	c.info.rate_hz = 0;
	CHECK(att_recorder_new(&c, &r, why, sizeof why) == ATT_ERR_ARG);
}

/* A file size limit makes writes fail as a full disk does. */
static void test_full_disk_mid_session_stops_cleanly(void)
{
	char base[300], raw[320], why[300] = "";
	struct att_recorder_cfg c;
	struct att_recorder *r = NULL;
	struct att_recorder_status st;
	struct att_capture *s = NULL;
	struct att_raw_stats rs;
	struct rlimit old;
	int e = ATT_OK;
	uint32_t i;

	snprintf(base, sizeof base, "%s/full", dir);
	snprintf(raw, sizeof raw, "%s.attraw", base);
	c = cfg_for(base);
	att_fsize_limit(&old, 200000);
	CHECK(att_recorder_new(&c, &r, why, sizeof why) == ATT_OK);
	for (i = 0; r && i < 40000 && !e; i++) {
		struct att_sample smp = sample_at(i);
		e = att_recorder_push(r, &smp, 1);
		if (i % 250 == 249)
			nap(2);
	}
	for (int k = 0; r && k < 100 && !e; k++) {
		att_recorder_status(r, &st);
		e = st.err;
		nap(20);
	}
	CHECK(e == ATT_ERR_DISK_FULL);
	att_recorder_status(r, &st);
	CHECK(st.err == ATT_ERR_DISK_FULL && st.running == 0);
	CHECK(att_recorder_push(r, &(struct att_sample){0}, 1) == ATT_ERR_DISK_FULL);
	CHECK(att_recorder_stop(r, why, sizeof why) == ATT_ERR_DISK_FULL);
	CHECK(strstr(why, "no space left") != NULL);
	/* the files are still rebuilt from what reached the disk (the limit is lifted for them) */
	att_fsize_restore(&old);
	CHECK(att_export_capture(base, NULL, NULL, why, sizeof why) == ATT_OK);
	CHECK(exists(base, ".edf") && exists(base, ".csv") && exists(base, ".json"));
	/* counts not given (attune recover's case): null, not 0 */
	CHECK(json_has(base, "\"frames_duplicate\": null,") &&
	      json_has(base, "\"frames_stale\": null,"));
	att_recorder_free(r);
	CHECK(att_raw_read(raw, &s, &rs, why, sizeof why) == ATT_OK);
	if (s) {
		CHECK(rs.ignored_bytes == 0);
		CHECK(s->n_samples > 5000 && s->n_samples < 40000);
		CHECK(s->samples[s->n_samples - 1].counter == s->n_samples - 1);
	}
	att_capture_free(s);
	CHECK(!exists(base, ".edf.tmp") && !exists(base, ".csv.tmp"));
}

/* 100 two-byte characters do not fit an event's 127 bytes: the cut keeps whole characters. */
static void test_long_event_text_is_cut_between_characters(void)
{
	char base[300], raw[320], why[300] = "", text[201];
	struct att_recorder_cfg c;
	struct att_recorder *r = NULL;
	struct att_capture *s = NULL;

	for (int i = 0; i < 100; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2); /* U+00E9 */
	text[200] = 0;
	snprintf(base, sizeof base, "%s/utf8", dir);
	snprintf(raw, sizeof raw, "%s.attraw", base);
	c = cfg_for(base);
	CHECK(att_recorder_new(&c, &r, why, sizeof why) == ATT_OK);
	if (!r)
		return;
	CHECK(att_recorder_event(r, ATT_EV_MARKER, 0, 0, text) == ATT_OK);
	CHECK(att_recorder_stop(r, why, sizeof why) == ATT_OK);
	att_recorder_free(r);
	CHECK(att_raw_read(raw, &s, NULL, why, sizeof why) == ATT_OK);
	if (s && s->n_events == 1)
		CHECK(strlen(s->events[0].text) == 126 && !strncmp(s->events[0].text, text, 126));
	else
		CHECK(!"one event read back");
	att_capture_free(s);
}

int main(void)
{
	if (att_tmpdir_make(dir, sizeof dir, "att_recorder"))
		return 1;
	test_pushed_samples_are_durable_within_the_flush_interval();
	test_bad_places_are_refused_at_start();
	test_full_disk_mid_session_stops_cleanly();
	test_long_event_text_is_cut_between_characters();
	att_tmpdir_done(dir);
	return att_check_done("record_recorder");
}
