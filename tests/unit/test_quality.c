/* Signal quality flags: raised for flat, saturated, implausible and absent signals, and NOT raised
 * for clean ones; in ADC counts and in physical units; live and batch; and through the real chain
 * (cleaner + breath detector feeding the checker).
 *
 * Run with --data for the real recordings in $ATTUNE_DATA (exit 77 when absent, unless
 * ATTUNE_REQUIRE_DATA=1). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/breath.h"
#include "check.h"
#include "attune/filter.h"
#include "attune/pulse.h"
#include "attune/quality.h"
#include "noise.h"
#include "shared_data.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

/* A belt in ADC counts: 12 /min breathing of `depth` counts around 512, 1.5 counts of noise,
 * rounded to integers and clipped to 0..1023 like a 10-bit ADC. */
static double belt_counts(double t, double depth)
{
	double v = 512 + depth * sin(2 * M_PI * 0.2 * t) + 1.5 * att_gauss(&rng_state);
	v = round(v);
	return v < 0 ? 0 : v > 1023 ? 1023 : v;
}

/* Pushes `seconds` of a signal; calls event() at each breath trough (every 5 s, at t = 5k + 3.75)
 * when events is set; returns the flags at the end and ORs all flags seen after settling. */
static unsigned run(struct att_quality_check *q, double rate, double t0, double seconds,
                    double (*sig)(double t, void *ctx), void *ctx, double event_period,
                    double event_rate, unsigned *seen)
{
	size_t n = (size_t)(seconds * rate);
	double next_event = event_period > 0 ? t0 + event_period / 2 : INFINITY;
	for (size_t i = 0; i < n; i++) {
		double t = t0 + (double)i / rate;
		att_quality_push(q, sig(t, ctx));
		if (t >= next_event) {
			att_quality_event(q, event_rate);
			next_event += event_period;
		}
		unsigned f = att_quality_flags(q);
		if (seen && !(f & ATT_Q_SETTLING))
			*seen |= f;
	}
	return att_quality_flags(q);
}

static double sig_belt(double t, void *ctx)
{
	return belt_counts(t, *(double *)ctx);
}

static double sig_const(double t, void *ctx)
{
	(void)t;
	return *(double *)ctx;
}

static double sig_nan(double t, void *ctx)
{
	(void)t;
	(void)ctx;
	return NAN;
}

/* Physical units: a belt in volts (0.2 V breaths on 1.1 V), then it slips off: 0.5 mV noise. */
static double sig_volts(double t, void *ctx)
{
	double off = *(double *)ctx;
	if (t < off)
		return 1.1 + 0.2 * sin(2 * M_PI * 0.25 * t) + 0.005 * att_gauss(&rng_state);
	return 1.1 + 0.0005 * att_gauss(&rng_state);
}

static void clean_belt_raises_nothing(void)
{
	struct att_quality_check *q;
	struct att_quality_cfg cfg = {.signal = ATT_QUALITY_RESP, .rate_hz = 100, .adc_max = 1023};
	CHECK(att_quality_new(&cfg, &q) == ATT_OK);
	CHECK(att_quality_flags(q) == ATT_Q_SETTLING);
	double depth = 80;
	unsigned seen = 0;
	unsigned f = run(q, 100, 0, 5, sig_belt, &depth, 5, 12, NULL);
	CHECK(f == ATT_Q_SETTLING); /* 5 s: not a full window yet */
	f = run(q, 100, 5, 175, sig_belt, &depth, 5, 12, &seen);
	CHECK(f == ATT_Q_OK);
	CHECK(seen == ATT_Q_OK);
	/* A shallow but real breath (10 counts) is not flat either. */
	depth = 10;
	seen = 0;
	f = run(q, 100, 180, 60, sig_belt, &depth, 5, 12, &seen);
	CHECK(seen == ATT_Q_OK);
	att_quality_free(q);
}

static void unplugged_sensor_is_flat(void)
{
	struct att_quality_check *q;
	struct att_quality_cfg cfg = {.signal = ATT_QUALITY_RESP, .rate_hz = 100, .adc_max = 1023};
	CHECK(att_quality_new(&cfg, &q) == ATT_OK);
	double v = 37;
	unsigned f = run(q, 100, 0, 40, sig_const, &v, 5, 12, NULL);
	CHECK(f & ATT_Q_FLAT);
	CHECK(!(f & ATT_Q_SATURATED));
	/* Back on: the flag clears within one window. */
	double depth = 80;
	f = run(q, 100, 40, 11, sig_belt, &depth, 5, 12, NULL);
	CHECK(f == ATT_Q_OK);
	att_quality_free(q);

	/* Physical units (adc_max 0): flat judged against the channel's own earlier variation. */
	struct att_quality_cfg pc = {.signal = ATT_QUALITY_RESP, .rate_hz = 50};
	CHECK(att_quality_new(&pc, &q) == ATT_OK);
	double off = 120;
	unsigned seen = 0;
	f = run(q, 50, 0, 120, sig_volts, &off, 4, 15, &seen);
	CHECK(seen == ATT_Q_OK);
	f = run(q, 50, 120, 30, sig_volts, &off, 4, 15, NULL);
	CHECK(f == ATT_Q_FLAT);
	/* ... and stays flat: the slack signal does not become the new normal. */
	f = run(q, 50, 150, 300, sig_volts, &off, 4, 15, NULL);
	CHECK(f & ATT_Q_FLAT);
	att_quality_free(q);
	/* Exactly constant physical values are flat from the first window. */
	CHECK(att_quality_new(&pc, &q) == ATT_OK);
	v = 0;
	f = run(q, 50, 0, 12, sig_const, &v, 4, 15, NULL);
	CHECK(f == ATT_Q_FLAT);
	att_quality_free(q);
}

/* Physical units: breaths of amplitude *ctx volts, noise-free so window deviations are steady. */
static double sig_breath_amp(double t, void *ctx)
{
	return 1.1 + *(double *)ctx * sin(2 * M_PI * 0.25 * t);
}

/* The channel's typical deviation is that of the last ~4 minutes (256 windows), so it follows a
 * wearer who settles into shallower breathing: after 5 minutes of 0.2 V breaths and 5 minutes of
 * 0.02 V breaths, 0.003 V breaths (15 % of the new normal, 1.5 % of the old) are not flat; with
 * the old deviations still counted they would be. */
static void typical_deviation_follows_the_last_minutes(void)
{
	struct att_quality_cfg pc = {.signal = ATT_QUALITY_RESP, .rate_hz = 50};
	struct att_quality_check *q;
	CHECK(att_quality_new(&pc, &q) == ATT_OK);
	double amp = 0.2;
	unsigned seen = 0;
	run(q, 50, 0, 300, sig_breath_amp, &amp, 4, 15, &seen);
	amp = 0.02;
	run(q, 50, 300, 300, sig_breath_amp, &amp, 4, 15, &seen);
	CHECK(seen == ATT_Q_OK);
	amp = 0.003;
	unsigned f = run(q, 50, 600, 60, sig_breath_amp, &amp, 4, 15, &seen);
	CHECK(f == ATT_Q_OK);
	CHECK(seen == ATT_Q_OK);
	att_quality_free(q);
	/* The same step straight after the deep breaths is flat: the old normal still rules. */
	CHECK(att_quality_new(&pc, &q) == ATT_OK);
	amp = 0.2;
	run(q, 50, 0, 300, sig_breath_amp, &amp, 4, 15, NULL);
	amp = 0.003;
	f = run(q, 50, 300, 60, sig_breath_amp, &amp, 4, 15, NULL);
	CHECK(f == ATT_Q_FLAT);
	att_quality_free(q);
}

static double sig_overdriven(double t, void *ctx)
{
	(void)ctx;
	/* Gain far too high: the breath swings +-2000 counts around 512 and sits on the rails. */
	double v = round(512 + 2000 * sin(2 * M_PI * 0.2 * t));
	return v < 0 ? 0 : v > 1023 ? 1023 : v;
}

static void stuck_at_a_rail_is_saturated(void)
{
	struct att_quality_check *q;
	struct att_quality_cfg cfg = {.signal = ATT_QUALITY_RESP, .rate_hz = 100, .adc_max = 1023};
	CHECK(att_quality_new(&cfg, &q) == ATT_OK);
	double v = 1023;
	unsigned f = run(q, 100, 0, 30, sig_const, &v, 5, 12, NULL);
	CHECK(f == ATT_Q_SATURATED); /* stuck at the top rail: saturated, reported as such only */
	f = run(q, 100, 30, 30, sig_overdriven, NULL, 5, 12, NULL);
	CHECK(f == ATT_Q_SATURATED);
	/* A deep breath touching the rail once per breath is fine. */
	double depth = 511.5;
	f = run(q, 100, 60, 30, sig_belt, &depth, 5, 12, NULL);
	CHECK(!(f & ATT_Q_SATURATED));
	att_quality_free(q);
	/* Unknown range: never saturated, however the signal looks. */
	struct att_quality_cfg pc = {.signal = ATT_QUALITY_RESP, .rate_hz = 100};
	CHECK(att_quality_new(&pc, &q) == ATT_OK);
	f = run(q, 100, 0, 30, sig_overdriven, NULL, 5, 12, NULL);
	CHECK(!(f & ATT_Q_SATURATED));
	att_quality_free(q);
}

static void no_breaths_or_impossible_heart_rate_is_implausible(void)
{
	struct att_quality_check *q;
	struct att_quality_cfg cfg = {.signal = ATT_QUALITY_RESP, .rate_hz = 100, .adc_max = 1023};
	CHECK(att_quality_new(&cfg, &q) == ATT_OK);
	double depth = 80;
	/* The signal moves but the detector finds no breath: implausible after 30 s, not before. */
	unsigned f = run(q, 100, 0, 25, sig_belt, &depth, 0, NAN, NULL);
	CHECK(!(f & ATT_Q_IMPLAUSIBLE));
	f = run(q, 100, 25, 10, sig_belt, &depth, 0, NAN, NULL);
	CHECK(f == ATT_Q_IMPLAUSIBLE);
	att_quality_event(q, 12);
	CHECK(att_quality_flags(q) == ATT_Q_OK);
	att_quality_free(q);

	struct att_quality_cfg pc = {.signal = ATT_QUALITY_PPG, .rate_hz = 100, .adc_max = 1023};
	CHECK(att_quality_new(&pc, &q) == ATT_OK);
	unsigned seen = 0;
	f = run(q, 100, 0, 30, sig_belt, &depth, 0.8, 75, &seen);
	CHECK(f == ATT_Q_OK && seen == ATT_Q_OK);
	f = run(q, 100, 30, 10, sig_belt, &depth, 0.25, 240, NULL); /* 240 bpm */
	CHECK(f == ATT_Q_IMPLAUSIBLE);
	f = run(q, 100, 40, 10, sig_belt, &depth, 2.5, 24, NULL); /* 24 bpm */
	CHECK(f == ATT_Q_IMPLAUSIBLE);
	f = run(q, 100, 50, 10, sig_belt, &depth, 0.8, 75, NULL);
	CHECK(f == ATT_Q_OK);
	f = run(q, 100, 60, 6, sig_belt, &depth, 0, NAN, NULL); /* beats stop */
	CHECK(f == ATT_Q_IMPLAUSIBLE);
	att_quality_free(q);

	CHECK(att_quality_hr(29.9) == ATT_Q_IMPLAUSIBLE);
	CHECK(att_quality_hr(220.1) == ATT_Q_IMPLAUSIBLE);
	CHECK(att_quality_hr(30) == 0);
	CHECK(att_quality_hr(220) == 0);
	CHECK(att_quality_hr(NAN) == 0);
}

static void absent_channel_and_bad_config(void)
{
	struct att_quality_check *q;
	struct att_quality_cfg cfg = {.signal = ATT_QUALITY_PPG, .rate_hz = 100};
	CHECK(att_quality_new(&cfg, &q) == ATT_OK);
	unsigned f = run(q, 100, 0, 20, sig_nan, NULL, 0, NAN, NULL);
	CHECK(f == ATT_Q_ABSENT);
	att_quality_reset(q);
	CHECK(att_quality_flags(q) == ATT_Q_SETTLING);
	att_quality_free(q);
	att_quality_free(NULL);
	CHECK(att_quality_new(&(struct att_quality_cfg){.rate_hz = 0}, &q) == ATT_ERR_ARG);
	CHECK(q == NULL);
	CHECK(att_quality_new(&(struct att_quality_cfg){.rate_hz = 100, .adc_max = -1}, &q) ==
	      ATT_ERR_ARG);
	CHECK(att_quality_new(&(struct att_quality_cfg){.rate_hz = 100, .signal = 9}, &q) ==
	      ATT_ERR_ARG);
	CHECK(att_quality_new(&(struct att_quality_cfg){.rate_hz = 100, .flat_rel = 2}, &q) ==
	      ATT_ERR_ARG);
}

/* Feeds x in pieces of uneven sizes (events given per piece, relative to it) and compares the
 * verdict with att_quality_batch()'s on the whole array, for several piece sizes. */
static int pieces_agree_with_batch(const struct att_quality_cfg *cfg, const double *x, size_t n,
                                   const size_t *ev, size_t ne, double rate)
{
	unsigned whole = att_quality_batch(cfg, x, n, ev, ne, rate);
	const size_t sizes[] = {1, 37, 100, 999, 4321};
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		struct att_quality_check *q;
		if (att_quality_new(cfg, &q) != ATT_OK)
			return 0;
		size_t rel[64], e = 0;
		for (size_t s = 0; s < n; s += sizes[k]) {
			size_t len = n - s < sizes[k] ? n - s : sizes[k], nr = 0;
			for (; e < ne && ev[e] < s + len; e++)
				rel[nr++] = ev[e] - s;
			att_quality_feed(q, x + s, len, rel, nr);
		}
		unsigned got = att_quality_verdict(q, rate);
		att_quality_free(q);
		if (got != whole)
			return 0;
	}
	return 1;
}

static void batch_flags_whole_recordings(void)
{
	struct att_quality_cfg cfg = {.signal = ATT_QUALITY_RESP, .rate_hz = 100, .adc_max = 1023};
	size_t n = 100 * 120;
	double *x = malloc(n * sizeof *x);
	size_t ev[64], ne = 0;
	for (size_t i = 0; i < n; i++)
		x[i] = belt_counts((double)i / 100, 80);
	for (size_t k = 0; k * 500 + 375 < n; k++)
		ev[ne++] = k * 500 + 375;
	CHECK(att_quality_batch(&cfg, x, n, ev, ne, 12) == ATT_Q_OK);
	/* No breaths found in the whole recording. */
	CHECK(att_quality_batch(&cfg, x, n, NULL, 0, NAN) == ATT_Q_IMPLAUSIBLE);
	/* Unplugged for the second half: flat in more than a quarter of the windows. */
	for (size_t i = n / 2; i < n; i++)
		x[i] = 3;
	CHECK(att_quality_batch(&cfg, x, n, ev, ne / 2, 12) & ATT_Q_FLAT);
	CHECK(pieces_agree_with_batch(&cfg, x, n, ev, ne / 2, 12));
	CHECK(pieces_agree_with_batch(&cfg, x, n, ev, ne, 12));
	/* Unplugged for 10 s only: below the share, not flagged for the whole recording. */
	for (size_t i = 0; i < n; i++)
		x[i] = i >= 3000 && i < 4000 ? 3 : belt_counts((double)i / 100, 80);
	CHECK(!(att_quality_batch(&cfg, x, n, ev, ne, 12) & ATT_Q_FLAT));
	CHECK(pieces_agree_with_batch(&cfg, x, n, ev, ne, 12));
	/* Too short to judge; all NAN is absent; an impossible overall heart rate. */
	CHECK(att_quality_batch(&cfg, x, 500, ev, 1, 12) == ATT_Q_SETTLING);
	for (size_t i = 0; i < n; i++)
		x[i] = NAN;
	CHECK(att_quality_batch(&cfg, x, n, NULL, 0, NAN) == ATT_Q_ABSENT);
	struct att_quality_cfg pc = {.signal = ATT_QUALITY_PPG, .rate_hz = 100, .adc_max = 1023};
	for (size_t i = 0; i < n; i++)
		x[i] = belt_counts((double)i / 100, 80);
	size_t beats[200], nb = 0;
	for (size_t k = 0; k * 25 < n && nb < 200; k++)
		beats[nb++] = k * 25;
	CHECK(att_quality_batch(&pc, x, n, beats, nb, 240) == ATT_Q_IMPLAUSIBLE);
	CHECK(att_quality_batch(&(struct att_quality_cfg){.rate_hz = -1}, x, n, NULL, 0, NAN) ==
	      ATT_Q_ABSENT);
	free(x);
}

/* The chain the engine runs: raw counts -> respiration cleaner -> breath detector -> checker. */
static void chain_of_cleaner_detector_and_checker(void)
{
	struct att_clean *c;
	struct att_breath *b;
	struct att_quality_check *q;
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = 200};
	CHECK(att_clean_new(&cc, &c) == ATT_OK);
	CHECK(att_breath_new(&(struct att_breath_cfg){.rate_hz = att_clean_rate(c)}, &b) == ATT_OK);
	CHECK(att_quality_new(&(struct att_quality_cfg){.signal = ATT_QUALITY_RESP,
	                                                .rate_hz = 200,
	                                                .adc_max = 1023},
	                      &q) == ATT_OK);
	unsigned seen = 0, after = 0;
	for (int i = 0; i < 200 * 150; i++) {
		double t = i / 200.0;
		/* Breathing for 90 s, then the belt is off (ADC reads a steady level). */
		double raw = t < 90 ? belt_counts(t, 60) : 400;
		att_quality_push(q, raw);
		double y;
		struct att_breath_event ev;
		if (att_clean_push(c, raw, &y) && att_breath_push(b, y, &ev) &&
		    ev.kind == ATT_BREATH_TROUGH)
			att_quality_event(q, att_breath_rate(b));
		unsigned f = att_quality_flags(q);
		if (t > 10 && t < 90)
			seen |= f;
		if (t > 125)
			after |= f;
	}
	CHECK(seen == ATT_Q_OK);
	CHECK(after == (ATT_Q_FLAT | ATT_Q_IMPLAUSIBLE));
	att_quality_free(q);
	att_breath_free(b);
	att_clean_free(c);
}

/* Batch flags of a real respiration channel in physical units (adc_max 0), with the breaths the
 * detector finds; when `unplug_from` < n, the signal is held at its value from there on. */
static unsigned real_resp_flags(const double *raw, size_t n, double rate, size_t unplug_from)
{
	double *x = malloc(n * sizeof *x);
	for (size_t i = 0; i < n; i++)
		x[i] = i < unplug_from ? raw[i] : raw[unplug_from];
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = rate};
	size_t m = att_clean_len(&cc, n);
	double *y = malloc(m * sizeof *y), out_rate = 0;
	struct att_breath_result br = {0};
	unsigned f = ATT_Q_ABSENT;
	if (att_clean_batch(&cc, x, n, y, &out_rate) == ATT_OK &&
	    att_breath_detect(&(struct att_breath_cfg){.rate_hz = out_rate}, y, m, &br) == ATT_OK) {
		int factor = att_decim_factor(rate, 25);
		size_t *ev = malloc((br.n_troughs + 1) * sizeof *ev);
		for (size_t i = 0; i < br.n_troughs; i++)
			ev[i] = br.troughs[i] * (size_t)factor;
		struct att_quality_cfg qc = {.signal = ATT_QUALITY_RESP, .rate_hz = rate};
		f = att_quality_batch(&qc, x, n, ev, br.n_troughs, br.mean_rate_bpm);
		free(ev);
	}
	att_breath_result_free(&br);
	free(y);
	free(x);
	return f;
}

/* Real recordings in $ATTUNE_DATA: clean channels raise nothing; the same channel with the
 * sensor "unplugged" for its second half is flat. */
static int real_recordings(void)
{
	const struct {
		const char *file, *column;
		double rate;
	} rec[] = {
	        {"neurokit2/bio_resting_5min_100hz.csv", "RSP", 100},
	        {"neurokit2/bio_eventrelated_100hz.csv", "RSP", 100},
	        {"neurokit2/bio_resting_8min_100hz.csv", "RSP", 100},
	        {"wfdb_sample/03700181_125hz.csv", "RESP_NU", 125},
	};
	for (size_t k = 0; k < sizeof rec / sizeof rec[0]; k++) {
		char path[1024];
		int missing = att_data_path(rec[k].file, path, sizeof path);
		if (missing)
			return missing;
		size_t n = 0;
		double *x = att_data_column(path, rec[k].column, &n);
		if (!x)
			return att_data_unavailable(path);
		unsigned clean = real_resp_flags(x, n, rec[k].rate, n);
		unsigned unplugged = real_resp_flags(x, n, rec[k].rate, n / 2);
		printf("%s %s: flags %u as recorded, %u unplugged half-way\n", rec[k].file,
		       rec[k].column, clean, unplugged);
		CHECK(clean == ATT_Q_OK);
		CHECK(unplugged & ATT_Q_FLAT);
		free(x);
	}
	char path[1024];
	int missing = att_data_path("neurokit2/bio_resting_5min_100hz.csv", path, sizeof path);
	if (missing)
		return missing;
	size_t n = 0;
	double *ppg = att_data_column(path, "PPG", &n);
	if (!ppg)
		return att_data_unavailable(path);
	struct att_pulse_result pr;
	CHECK(att_pulse_detect(&(struct att_pulse_cfg){.rate_hz = 100}, ppg, n, &pr) == ATT_OK);
	struct att_quality_cfg qc = {.signal = ATT_QUALITY_PPG, .rate_hz = 100};
	unsigned f = att_quality_batch(&qc, ppg, n, pr.beats, pr.n_beats, pr.hr_bpm);
	printf("bio_resting_5min PPG: flags %u\n", f);
	CHECK(f == ATT_Q_OK);
	/* Without its beats (a detector that found nothing) the same PPG is implausible. */
	CHECK(att_quality_batch(&qc, ppg, n, NULL, 0, NAN) == ATT_Q_IMPLAUSIBLE);
	att_pulse_result_free(&pr);
	free(ppg);
	return att_check_done("quality (real recordings)");
}

/* A snapshot shows one word per sensor: the one that says what to fix first. */
static void one_word_names_the_most_serious_bit(void)
{
	CHECK(strcmp(att_quality_word(ATT_Q_OK), "ok") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_SETTLING), "settling") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_IMPLAUSIBLE | ATT_Q_SETTLING), "implausible") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_SATURATED | ATT_Q_IMPLAUSIBLE), "saturated") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_FLAT | ATT_Q_SATURATED), "flat") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_ABSENT | ATT_Q_FLAT | ATT_Q_SETTLING), "absent") == 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--data") == 0)
		return real_recordings();
	clean_belt_raises_nothing();
	unplugged_sensor_is_flat();
	typical_deviation_follows_the_last_minutes();
	stuck_at_a_rail_is_saturated();
	no_breaths_or_impossible_heart_rate_is_implausible();
	absent_channel_and_bad_config();
	batch_flags_whole_recordings();
	chain_of_cleaner_detector_and_checker();
	one_word_names_the_most_serious_bit();
	return att_check_done("quality");
}
