/* Test helper for the recording integration tests: records a generated couple through the session
 * recorder, the way a live session does, with known truth.
 *
 *   test_recording_gen record BASE SECONDS [--realtime] [--drop-at S N] [--no-stop]
 *       records SECONDS of a 250 Hz couple (seed 7) to BASE.attraw; events: a marker "eyes closed"
 *       at 5 s, pacer 6/min at 8 s, a reconnect note at the drop; --drop-at loses N samples at S
 *       (a counter jump, as lost frames); --realtime paces samples at 250 Hz (for kill -9 tests)
 *       and prints "started MONOTONIC_NS" once the capture exists; without --no-stop it stops the
 *       recorder and exports BASE.edf/.csv/.json. Exit 0 when nothing was dropped.
 *   test_recording_gen truth N
 *       prints the first N samples as "counter,a_resp,a_ppg,b_resp,b_ppg" (ADC counts).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/couple.h"
#include "attune/export.h"
#include "attune/recorder.h"

#define RATE 250u

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {(time_t)(t / 1000000000LL), (long)(t % 1000000000LL)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
		;
}

/* Volts (0-5 V) to the counts of a 10-bit ADC with a 5 V reference. */
static uint16_t counts(float v)
{
	double c = floor((double)v / 5.0 * 1024.0);
	return (uint16_t)(c < 0 ? 0 : c > 1023 ? 1023 : c);
}

static struct att_couple *couple(void)
{
	struct att_couple_cfg cc = {RATE, ATT_COUPLE_STORY, 7};
	struct att_couple *c = NULL;
	if (att_couple_new(&cc, &c)) {
		fprintf(stderr, "test_recording_gen: cannot create the couple\n");
		exit(1);
	}
	return c;
}

static int truth(long n)
{
	struct att_couple *c = couple();
	for (long i = 0; i < n; i++) {
		float v[4];
		att_couple_next(c, v);
		printf("%ld,%u,%u,%u,%u\n", i, counts(v[0]), counts(v[1]), counts(v[2]),
		       counts(v[3]));
	}
	att_couple_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	struct att_recorder_cfg cfg;
	struct att_recorder *r = NULL;
	struct att_recorder_status st;
	struct att_export_report rep;
	struct att_couple *c;
	char why[512];
	double seconds, drop_at = -1;
	long drop_n = 0;
	int realtime = 0, stop = 1, e;
	int64_t t0;
	uint32_t counter = 0;

	if (argc >= 3 && !strcmp(argv[1], "truth"))
		return truth(atol(argv[2]));
	if (argc < 4 || strcmp(argv[1], "record")) {
		fprintf(stderr, "usage: test_recording_gen record BASE SECONDS [--realtime] "
		                "[--drop-at S N] [--no-stop] | truth N\n");
		return 2;
	}
	seconds = atof(argv[3]);
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--realtime"))
			realtime = 1;
		else if (!strcmp(argv[i], "--no-stop"))
			stop = 0;
		else if (!strcmp(argv[i], "--drop-at") && i + 2 < argc) {
			drop_at = atof(argv[++i]);
			drop_n = atol(argv[++i]);
		} else {
			fprintf(stderr, "test_recording_gen: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.base = argv[2];
	cfg.info.fw_major = 1;
	cfg.info.board = ATT_BOARD_ATMEGA328P;
	cfg.info.channels = 4;
	cfg.info.adc_bits = 10;
	cfg.info.rate_hz = RATE;
	cfg.info.vref_mv = 5000;
	cfg.info.streaming = 1;
	snprintf(cfg.meta.label_a, sizeof cfg.meta.label_a, "Anna");
	snprintf(cfg.meta.label_b, sizeof cfg.meta.label_b, "Ben");
	snprintf(cfg.meta.note, sizeof cfg.meta.note, "generated couple, seed 7");
	if ((e = att_recorder_new(&cfg, &r, why, sizeof why))) {
		fprintf(stderr, "test_recording_gen: %s\n", why);
		return 1;
	}
	c = couple();
	t0 = mono_ns();
	if (realtime) {
		printf("started %lld\n", (long long)t0);
		fflush(stdout);
	}
	for (long i = 0; i < (long)(seconds * RATE); i++) {
		struct att_sample s;
		float v[4];
		att_couple_next(c, v);
		if (drop_at >= 0 && i >= (long)(drop_at * RATE) &&
		    i < (long)(drop_at * RATE) + drop_n) {
			counter++; /* lost on the way: the device counted it, the host never saw it */
			continue;
		}
		if (drop_at >= 0 && i == (long)(drop_at * RATE) + drop_n)
			att_recorder_event(r, ATT_EV_NOTE, mono_ns(), 0, "frames lost");
		if (i == 5 * (long)RATE)
			att_recorder_event(r, ATT_EV_MARKER, mono_ns(), 0, "eyes closed");
		if (i == 8 * (long)RATE)
			att_recorder_event(r, ATT_EV_PACER, mono_ns(), 6.0, NULL);
		if (realtime)
			sleep_until(t0 + (int64_t)((double)i * 1e9 / RATE));
		else if (i % 1000 == 999) {
			struct timespec ts = {0, 2000000L}; /* let the writer keep up */
			nanosleep(&ts, NULL);
		}
		s.host_ns = realtime ? mono_ns() : t0 + (int64_t)((double)counter * 1e9 / RATE);
		s.counter = counter++;
		s.flags = 0;
		for (unsigned k = 0; k < 4; k++)
			s.ch[k] = counts(v[k]);
		if ((e = att_recorder_push(r, &s, 1))) {
			fprintf(stderr, "test_recording_gen: recording failed: %s\n",
			        att_strerror(e));
			break;
		}
	}
	att_couple_free(c);
	if (!stop) {
		/* leave as a crash would: the writer thread dies with the process */
		fflush(stdout);
		_Exit(0);
	}
	att_recorder_status(r, &st);
	e = att_recorder_stop(r, why, sizeof why);
	{
		/* the files are rebuilt even after a failure, from what reached the disk */
		int e2 = att_export_capture(cfg.base, NULL, &rep, e ? NULL : why, sizeof why);
		e = e ? e : e2;
	}
	if (e)
		fprintf(stderr, "test_recording_gen: %s\n", why);
	else
		printf("recorded %llu samples, %llu filled, dropped %llu, analysed %d%s%s\n",
		       (unsigned long long)rep.samples, (unsigned long long)rep.samples_filled,
		       (unsigned long long)st.dropped, rep.analysed, rep.analysed ? "" : ": ",
		       rep.analysed ? "" : rep.analysis_why);
	att_recorder_free(r);
	return e || st.dropped ? 1 : 0;
}
