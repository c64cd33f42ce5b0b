/* Unit test of the simulated board's analog input (tools/simboard_feed.c): sample-and-hold in
 * simulated time, the documented scaling, the end of a recording, and the generated couple. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "attune/err.h"
#include "simboard_feed.h"

static char path[256];

static void write_csv(const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static struct att_simboard_feed *open_csv(int volts, int loop)
{
	struct att_simboard_feed_cfg cfg = {.csv_path = path, .volts = volts, .loop = loop};
	struct att_simboard_feed *f = NULL;
	char why[256] = "";
	int rc = att_simboard_feed_new(&cfg, &f, why, sizeof why);
	if (rc != ATT_OK)
		fprintf(stderr, "feed: %s\n", why);
	CHECK(rc == ATT_OK);
	return f;
}

/* Row i holds for [i/R, (i+1)/R): volts become whole millivolts. */
static void rows_hold_for_one_period(void)
{
	struct att_simboard_feed *f;
	uint16_t mv[4];
	write_csv("t,a_resp,a_ppg,b_resp,b_ppg\n"
	          "0.00,1.000,2.000,3.000,4.000\n"
	          "0.04,1.001,2.5,0.0004,5.5\n"
	          "0.08,4.9996,0.1,-1,2.25\n");
	f = open_csv(1, 0);
	if (!f)
		return;
	CHECK_NEAR(att_simboard_feed_rate(f), 25.0, 1e-9);
	CHECK_NEAR(att_simboard_feed_duration(f), 0.12, 1e-9);
	CHECK(att_simboard_feed_mv(f, 0.0, mv) == 1);
	CHECK(mv[0] == 1000 && mv[1] == 2000 && mv[2] == 3000 && mv[3] == 4000);
	CHECK(att_simboard_feed_mv(f, 0.0399, mv) == 1 && mv[0] == 1000);
	/* exactly at the step: the new row; clipped to 0..5 V */
	CHECK(att_simboard_feed_mv(f, 0.04, mv) == 1);
	CHECK(mv[0] == 1001 && mv[1] == 2500 && mv[2] == 0 && mv[3] == 5000);
	CHECK(att_simboard_feed_mv(f, 0.10, mv) == 1);
	CHECK(mv[0] == 5000 && mv[1] == 100 && mv[2] == 0 && mv[3] == 2250);
	/* past the end: the last row holds and the feed says it has ended */
	CHECK(att_simboard_feed_mv(f, 0.12, mv) == 0 && mv[0] == 5000);
	att_simboard_feed_free(f);

	f = open_csv(1, 1);
	if (!f)
		return;
	CHECK(att_simboard_feed_mv(f, 0.13, mv) == 1 && mv[0] == 1000); /* looped */
	CHECK(att_simboard_feed_mv(f, 3.05, mv) == 1 && mv[0] == 1001);
	att_simboard_feed_free(f);
}

/* Units are scaled per channel: 1st percentile -> 0.5 V, 99th -> 4.5 V; flat or absent -> 2.5 V. */
static void channels_scale_by_percentiles(void)
{
	struct att_simboard_feed *f;
	uint16_t mv[4];
	FILE *csv = fopen(path, "w");
	int i;
	CHECK(csv != NULL);
	if (!csv)
		return;
	fprintf(csv, "t,a_resp,b_resp\n");
	/* 101 rows: a ramp 0..100 (percentiles 1 and 99), b flat */
	for (i = 0; i <= 100; i++)
		fprintf(csv, "%.2f,%d,-3\n", i / 100.0, i);
	fclose(csv);
	f = open_csv(0, 0);
	if (!f)
		return;
	att_simboard_feed_mv(f, 0.01, mv);
	CHECK(mv[0] == 500);
	CHECK(mv[1] == 2500 && mv[2] == 2500 && mv[3] == 2500);
	att_simboard_feed_mv(f, 0.50, mv);
	CHECK(mv[0] == 2500);
	att_simboard_feed_mv(f, 0.99, mv);
	CHECK(mv[0] == 4500);
	att_simboard_feed_mv(f, 1.00, mv); /* beyond the 99th percentile: 4.5 + 4/98 V */
	CHECK(mv[0] == 4541);
	att_simboard_feed_free(f);
}

static void bad_files_say_why(void)
{
	struct att_simboard_feed_cfg cfg = {.csv_path = "/nonexistent/x.csv"};
	struct att_simboard_feed *f = (struct att_simboard_feed *)1;
	char why[256] = "";
	CHECK(att_simboard_feed_new(&cfg, &f, why, sizeof why) != ATT_OK && f == NULL);
	CHECK(strstr(why, "/nonexistent/x.csv") != NULL);
	write_csv("hello\n");
	cfg.csv_path = path;
	why[0] = 0;
	CHECK(att_simboard_feed_new(&cfg, &f, why, sizeof why) == ATT_ERR_FORMAT && f == NULL);
	CHECK(strstr(why, path) != NULL && strlen(why) > strlen(path) + 10);
	att_simboard_feed_free(NULL);
}

/* The couple is endless, in range, the same for the same seed, held between its 1 kHz samples. */
static void couple_is_deterministic_and_held(void)
{
	struct att_simboard_feed_cfg cfg = {
	        .script = ATT_COUPLE_IN_PHASE, .seed = 3, .couple_rate_hz = 1000.0};
	struct att_simboard_feed *a = NULL, *b = NULL;
	uint16_t ma[4], mb[4], held[4];
	char why[256];
	double t;
	unsigned k;
	int same = 1, in_range = 1, moved = 0, c;
	CHECK(att_simboard_feed_new(&cfg, &a, why, sizeof why) == ATT_OK);
	CHECK(att_simboard_feed_new(&cfg, &b, why, sizeof why) == ATT_OK);
	if (!a || !b)
		return;
	CHECK(att_simboard_feed_duration(a) == 0.0);
	for (k = 0; k < 7500; k++) {
		t = k * 0.004 + 0.0001; /* inside a 1 ms sample, so t + 0.4 ms is the same sample */
		CHECK(att_simboard_feed_mv(a, t, ma) == 1);
		att_simboard_feed_mv(b, t, mb);
		same &= memcmp(ma, mb, sizeof ma) == 0;
		for (c = 0; c < 4; c++)
			in_range &= ma[c] <= 5000;
		moved |= t > 0 && ma[0] != held[0];
		memcpy(held, ma, sizeof held);
		/* asking again within the same 1 ms gives the same value */
		att_simboard_feed_mv(a, t + 0.0004, ma);
		same &= memcmp(ma, held, sizeof ma) == 0;
	}
	CHECK(same);
	CHECK(in_range);
	CHECK(moved);
	att_simboard_feed_free(a);
	att_simboard_feed_free(b);
}

int main(void)
{
	snprintf(path, sizeof path, "/tmp/attune-simfeed-%ld.csv", (long)getpid());
	rows_hold_for_one_period();
	channels_scale_by_percentiles();
	bad_files_say_why();
	couple_is_deterministic_and_held();
	unlink(path);
	return att_check_done("simboard_feed");
}
