/* Signal conditioning cost: the live per-sample chain of all four channels (two respiration
 * cleaners + breath detectors, two pulse detectors, four quality checkers) at 100, 250 and
 * 1000 Hz, with the number of heap allocations made inside the loop (must be 0: counted by
 * tests/alloc_count.h's linker wrappers); and the offline path on 10 minutes.
 *
 * --check: a short run that only verifies "no allocation per sample" (exit 1 otherwise); it is
 * registered as a unit test. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_count.h"
#include "attune/breath.h"
#include "attune/filter.h"
#include "attune/pulse.h"
#include "attune/quality.h"
#include "timing.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Four channels in ADC counts: breaths at 12 and 9 /min, pulses at 70 and 85 bpm. */
static void channels(double t, double v[4])
{
	v[0] = 512 + 80 * sin(2 * M_PI * 0.2 * t);
	v[2] = 512 + 60 * sin(2 * M_PI * 0.15 * t);
	double pa = fmod(t, 60 / 70.0), pb = fmod(t, 60 / 85.0);
	v[1] = 300 + 100 * exp(-(pa - 0.2) * (pa - 0.2) / 0.005);
	v[3] = 300 + 100 * exp(-(pb - 0.2) * (pb - 0.2) / 0.005);
}

struct live {
	struct att_clean *clean[2];
	struct att_breath *breath[2];
	struct att_pulse *pulse[2];
	struct att_quality_check *q[4];
};

static int live_new(struct live *l, double rate)
{
	memset(l, 0, sizeof *l);
	int err = 0;
	for (int p = 0; p < 2; p++) {
		struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = rate};
		err |= att_clean_new(&cc, &l->clean[p]);
		if (err)
			return err;
		struct att_breath_cfg bc = {.rate_hz = att_clean_rate(l->clean[p])};
		err |= att_breath_new(&bc, &l->breath[p]);
		err |= att_pulse_new(&(struct att_pulse_cfg){.rate_hz = rate}, &l->pulse[p]);
		err |= att_quality_new(&(struct att_quality_cfg){.signal = ATT_QUALITY_RESP,
		                                                 .rate_hz = rate,
		                                                 .adc_max = 1023},
		                       &l->q[2 * p]);
		err |= att_quality_new(&(struct att_quality_cfg){.signal = ATT_QUALITY_PPG,
		                                                 .rate_hz = rate,
		                                                 .adc_max = 1023},
		                       &l->q[2 * p + 1]);
	}
	return err;
}

static void live_free(struct live *l)
{
	for (int p = 0; p < 2; p++) {
		att_clean_free(l->clean[p]);
		att_breath_free(l->breath[p]);
		att_pulse_free(l->pulse[p]);
		att_quality_free(l->q[2 * p]);
		att_quality_free(l->q[2 * p + 1]);
	}
}

/* Returns events seen, so the work cannot be optimised away. */
static uint64_t live_push(struct live *l, const double v[4])
{
	uint64_t events = 0;
	for (int p = 0; p < 2; p++) {
		double y;
		struct att_breath_event ev;
		struct att_beat beat;
		att_quality_push(l->q[2 * p], v[2 * p]);
		att_quality_push(l->q[2 * p + 1], v[2 * p + 1]);
		if (att_clean_push(l->clean[p], v[2 * p], &y) &&
		    att_breath_push(l->breath[p], y, &ev)) {
			events++;
			if (ev.kind == ATT_BREATH_TROUGH)
				att_quality_event(l->q[2 * p], att_breath_rate(l->breath[p]));
		}
		if (att_pulse_push(l->pulse[p], v[2 * p + 1], &beat)) {
			events++;
			att_quality_event(l->q[2 * p + 1], att_pulse_hr(l->pulse[p]));
		}
	}
	return events;
}

static int bench_live(double rate, double seconds, int quiet)
{
	struct live l;
	long at_setup = att_alloc_count();
	int err = live_new(&l, rate);
	if (att_alloc_count() == at_setup) {
		/* The objects are allocated in _new: seeing none means the counter is broken. */
		fprintf(stderr, "bench_dsp: the allocation counter saw nothing (link with "
		                "alloc_count_link_args)\n");
		return 1;
	}
	if (err) {
		fprintf(stderr, "bench_dsp: cannot set up the live chain at %g Hz\n", rate);
		live_free(&l);
		return 1;
	}
	size_t n = (size_t)(rate * seconds);
	double(*in)[4] = __real_malloc(n * sizeof *in); /* not counted: outside the library */
	for (size_t i = 0; i < n; i++)
		channels((double)i / rate, in[i]);
	long before = att_alloc_count();
	double t0 = att_now_s();
	uint64_t events = 0;
	for (size_t i = 0; i < n; i++)
		events += live_push(&l, in[i]);
	double dt = att_now_s() - t0;
	size_t made = (size_t)(att_alloc_count() - before);
	double hr = att_pulse_hr(l.pulse[0]), br = att_breath_rate(l.breath[0]);
	if (!quiet)
		printf("live %6.0f Hz, %4.0f s of 4 channels: %8.1f ns per sample instant, %7.0fx "
		       "real time, %zu allocations in the loop (%llu events; A: %.1f /min, %.1f bpm)\n",
		       rate, seconds, 1e9 * dt / (double)n, seconds / dt, made,
		       (unsigned long long)events, br, hr);
	free(in);
	live_free(&l);
	if (made != 0) {
		fprintf(stderr, "bench_dsp: %zu heap allocations on the live path at %g Hz\n", made,
		        rate);
		return 1;
	}
	return 0;
}

static void bench_offline(double rate, double seconds)
{
	size_t n = (size_t)(rate * seconds);
	double *resp = malloc(n * sizeof *resp), *ppg = malloc(n * sizeof *ppg);
	for (size_t i = 0; i < n; i++) {
		double v[4];
		channels((double)i / rate, v);
		resp[i] = v[0];
		ppg[i] = v[1];
	}
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = rate};
	double *y = malloc(att_clean_len(&cc, n) * sizeof *y), out_rate = 0;
	double t0 = att_now_s();
	att_clean_batch(&cc, resp, n, y, &out_rate);
	struct att_breath_result br;
	att_breath_detect(&(struct att_breath_cfg){.rate_hz = out_rate}, y, att_clean_len(&cc, n),
	                  &br);
	double t1 = att_now_s();
	struct att_pulse_result pr;
	att_pulse_detect(&(struct att_pulse_cfg){.rate_hz = rate}, ppg, n, &pr);
	double t2 = att_now_s();
	printf("offline %6.0f Hz, %4.0f s, one channel: respiration (clean + breaths) %.1f ms "
	       "(%.2f /min), PPG (beats) %.1f ms (%.2f bpm)\n",
	       rate, seconds, 1e3 * (t1 - t0), br.median_rate_bpm, 1e3 * (t2 - t1), pr.hr_bpm);
	att_breath_result_free(&br);
	att_pulse_result_free(&pr);
	free(y);
	free(resp);
	free(ppg);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--check") == 0) {
		int rc = bench_live(100, 60, 1) | bench_live(1000, 20, 1);
		if (!rc)
			printf("bench_dsp --check: no heap allocation on the live path\n");
		return rc;
	}
	int rc = 0;
	rc |= bench_live(100, 600, 0);
	rc |= bench_live(250, 600, 0);
	rc |= bench_live(1000, 600, 0);
	bench_offline(100, 600);
	bench_offline(1000, 600);
	return rc;
}
