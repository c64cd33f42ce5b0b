/* Sources: generated and replayed samples arrive in order, paced by the clock, with values that
 * map back to what was generated or recorded. */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "attune/source.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void couple_as_fast_as_read_gives_device_like_counts(void)
{
	struct att_couple_cfg cfg = {.rate_hz = 250.0, .script = ATT_COUPLE_IN_PHASE, .seed = 1};
	struct att_source *src = NULL;
	struct att_source_status st;
	static struct att_sample buf[1000];

	CHECK(att_source_open_couple(&cfg, 0.0, &src) == ATT_OK);
	CHECK(att_source_start(src) == ATT_OK);
	CHECK(att_source_read(src, buf, 1000) == 1000);
	att_source_status(src, &st);
	CHECK(st.state == ATT_SOURCE_STREAMING);
	CHECK(st.samples == 1000);
	CHECK(st.channel_mask == 0xF);
	CHECK(st.adc_max == 1023.0);
	for (size_t i = 0; i < 1000; i++) {
		CHECK(buf[i].counter == i);
		for (unsigned c = 0; c < 4; c++) {
			CHECK(buf[i].ch[c] <= 1023);
			float mv = att_source_value(&st, &buf[i], c);
			CHECK(mv >= 0.0f && mv <= 5000.0f);
		}
	}
	att_source_free(src);
}

static void real_time_source_delivers_what_is_due(void)
{
	struct att_couple_cfg cfg = {.rate_hz = 250.0, .script = ATT_COUPLE_STORY, .seed = 2};
	struct att_source *src = NULL;
	static struct att_sample buf[1000];
	size_t got;

	CHECK(att_source_open_couple(&cfg, 1.0, &src) == ATT_OK);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(att_source_start(src) == ATT_OK);
	sleep_ms(200);
	got = att_source_read(src, buf, 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	/* never ahead of the clock, and not behind it by more than a sample */
	CHECK(got >= 45);
	CHECK(got <= (size_t)(elapsed * 250.0) + 1);
	att_source_free(src);
}

static void replay_maps_back_to_the_recorded_values(void)
{
	struct att_recording *rec = NULL;
	struct att_source *src = NULL;
	struct att_source_status st;
	static struct att_sample buf[600];
	const size_t n = 500;

	CHECK(att_recording_new(100.0, n, 0x5, &rec) == ATT_OK); /* no PPG */
	if (!rec)
		return;
	for (size_t i = 0; i < n; i++) {
		rec->ch[0][i] = (float)sin(i * 0.05) * 0.8f + 0.3f;
		rec->ch[2][i] = (float)cos(i * 0.04) * 120.0f - 40.0f;
	}
	double step0 = 1.6 / 65535.0, step2 = 240.0 / 65535.0;
	CHECK(att_source_open_recording(rec, "test.csv", 0.0, &src) == ATT_OK);
	CHECK(att_source_start(src) == ATT_OK);
	CHECK(att_source_read(src, buf, 600) == n);
	att_source_status(src, &st);
	CHECK(st.state == ATT_SOURCE_ENDED);
	CHECK(st.channel_mask == 0x5);
	for (size_t i = 0; i < n; i++) {
		CHECK_NEAR(att_source_value(&st, &buf[i], 0), sin(i * 0.05) * 0.8 + 0.3, step0);
		CHECK_NEAR(att_source_value(&st, &buf[i], 2), cos(i * 0.04) * 120.0 - 40.0, step2);
	}
	CHECK(att_source_read(src, buf, 600) == 0);
	att_source_free(src);
}

static void bad_arguments_are_refused(void)
{
	struct att_source *src = (struct att_source *)&src;
	struct att_couple_cfg cfg = {.rate_hz = 250.0};
	CHECK(att_source_open_couple(&cfg, -1.0, &src) == ATT_ERR_ARG);
	CHECK(src == NULL);
	CHECK(att_source_open_recording(NULL, "x", 1.0, &src) == ATT_ERR_ARG);
	att_source_free(NULL);
}

int main(void)
{
	couple_as_fast_as_read_gives_device_like_counts();
	real_time_source_delivers_what_is_due();
	replay_maps_back_to_the_recorded_values();
	bad_arguments_are_refused();
	return att_check_done("source");
}
