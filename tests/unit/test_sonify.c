/* Sound synthesis: measured from rendered samples, no sound card. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/pacer.h"
#include "attune/sonify.h"

#define RATE  48000.0
#define FRAME 800 /* 60 parameter updates per second, as the main loop publishes them */

static float *render_pacer(double seconds, unsigned parts)
{
	struct att_sonify *s;
	struct att_pacer *p;
	size_t n = (size_t)(seconds * RATE);
	float *buf = calloc(n, sizeof *buf);
	struct att_sonify_params prm = {
	        .parts = parts, .volume = 1.0f, .pacer_on = 1, .match = NAN};

	CHECK(att_sonify_new(&(struct att_sonify_cfg){.rate_hz = RATE}, &s) == ATT_OK);
	CHECK(att_pacer_new(NULL, 0.0, &p) == ATT_OK);
	for (size_t i = 0; i < n; i += FRAME) {
		struct att_pacer_state st;
		att_pacer_at(p, (double)i / RATE, &st);
		prm.pacer_level = (float)st.level;
		att_sonify_render(s, &prm, buf + i, n - i < FRAME ? n - i : FRAME);
	}
	att_pacer_free(p);
	att_sonify_free(s);
	return buf;
}

/* Zero-crossing pitch over [t, t + w): the pacer tone's partials are weak enough not to add any. */
static double pitch_at(const float *b, double t, double w)
{
	size_t i0 = (size_t)(t * RATE), n = (size_t)(w * RATE), z = 0;
	for (size_t i = i0 + 1; i < i0 + n; i++)
		if ((b[i - 1] < 0.0f) != (b[i] < 0.0f))
			z++;
	return (double)z / (2.0 * w);
}

static double rms(const float *b, double t, double w)
{
	size_t i0 = (size_t)(t * RATE), n = (size_t)(w * RATE);
	double s = 0.0;
	for (size_t i = i0; i < i0 + n; i++)
		s += (double)b[i] * b[i];
	return sqrt(s / (double)n);
}

/* Goertzel power at one frequency over [t, t + w). */
static double power_at(const float *b, double t, double w, double hz)
{
	size_t i0 = (size_t)(t * RATE), n = (size_t)(w * RATE);
	double k = 2.0 * cos(2.0 * M_PI * hz / RATE), s1 = 0.0, s2 = 0.0;
	for (size_t i = i0; i < i0 + n; i++) {
		double s0 = b[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)n * n);
}

static void pacer_tone_rises_on_inhale_and_falls_on_exhale(void)
{
	float *b = render_pacer(10.5, ATT_SOUND_PACER);
	double in1 = pitch_at(b, 1.5, 0.3), in2 = pitch_at(b, 3.2, 0.3);
	double ex1 = pitch_at(b, 6.5, 0.3), ex2 = pitch_at(b, 8.2, 0.3);

	CHECK(in2 > in1 + 40.0);
	CHECK(ex2 < ex1 - 40.0);
	CHECK(in1 > ATT_SONIFY_PACER_LOW_HZ && in2 < ATT_SONIFY_PACER_HIGH_HZ);
	/* silent at the turns (top of the inhale at 5 s, bottom at 10 s), loud in between */
	CHECK(rms(b, 2.4, 0.2) > 0.1);
	CHECK(rms(b, 4.9, 0.2) < 0.1 * rms(b, 2.4, 0.2));
	CHECK(rms(b, 9.9, 0.2) < 0.1 * rms(b, 7.4, 0.2));
	free(b);
}

static float *render_drone(double seconds, float match)
{
	struct att_sonify *s;
	size_t n = (size_t)(seconds * RATE);
	float *buf = calloc(n, sizeof *buf);
	struct att_sonify_params prm = {.parts = ATT_SOUND_DRONE, .volume = 1.0f, .match = match};

	CHECK(att_sonify_new(&(struct att_sonify_cfg){.rate_hz = RATE}, &s) == ATT_OK);
	for (size_t i = 0; i < n; i += FRAME)
		att_sonify_render(s, &prm, buf + i, n - i < FRAME ? n - i : FRAME);
	att_sonify_free(s);
	return buf;
}

static void drone_is_louder_and_a_pure_fifth_in_sync(void)
{
	float *in = render_drone(12.0, 1.0f), *apart = render_drone(12.0, 0.0f);
	double detuned = ATT_SONIFY_DRONE_FIFTH_HZ * (1.0 + ATT_SONIFY_DRONE_DETUNE);

	CHECK(rms(in, 8.0, 4.0) > 2.0 * rms(apart, 8.0, 4.0));
	CHECK(rms(apart, 8.0, 4.0) > 0.005); /* apart it thins, it does not vanish */
	/* in sync the fifth sits exactly at 3:2 of the root; apart it is sharp */
	CHECK(power_at(in, 8.0, 4.0, ATT_SONIFY_DRONE_FIFTH_HZ) >
	      20.0 * power_at(in, 8.0, 4.0, detuned));
	CHECK(power_at(apart, 8.0, 4.0, detuned) >
	      20.0 * power_at(apart, 8.0, 4.0, ATT_SONIFY_DRONE_FIFTH_HZ));
	free(in);
	free(apart);
}

static void chime_rings_only_when_the_level_changes(void)
{
	struct att_sonify *s;
	size_t n = (size_t)(2.0 * RATE);
	float *b = calloc(n, sizeof *b);
	struct att_sonify_params prm = {
	        .parts = ATT_SOUND_ALL, .volume = 1.0f, .match = NAN, .chime_seq = 41};

	CHECK(att_sonify_new(&(struct att_sonify_cfg){.rate_hz = RATE}, &s) == ATT_OK);
	att_sonify_render(s, &prm, b, n / 2); /* a non-zero sequence at start is not a change */
	CHECK(rms(b, 0.0, 0.9) < 1e-6);
	prm.chime_seq++;
	prm.chime_up = 1;
	att_sonify_render(s, &prm, b + n / 2, n / 2);
	CHECK(rms(b, 1.0, 0.3) > 0.02);
	/* rising: the lower note first, the upper note after the gap */
	CHECK(power_at(b, 1.0, 0.12, 523.25) > 4.0 * power_at(b, 1.0, 0.12, 659.26));
	att_sonify_free(s);
	free(b);
}

static void alarm_is_a_double_beep(void)
{
	struct att_sonify *s;
	size_t n = (size_t)(0.5 * RATE);
	float *b = calloc(n, sizeof *b);
	struct att_sonify_params prm = {.parts = ATT_SOUND_ALL, .volume = 1.0f, .match = NAN};

	CHECK(att_sonify_new(&(struct att_sonify_cfg){.rate_hz = RATE}, &s) == ATT_OK);
	att_sonify_render(s, &prm, b, 1);
	prm.alarm_seq = 1;
	att_sonify_render(s, &prm, b, n);
	CHECK(rms(b, 0.02, 0.06) > 0.05); /* first beep */
	CHECK(rms(b, 0.12, 0.06) < 1e-3); /* gap */
	CHECK(rms(b, 0.22, 0.06) > 0.05); /* second beep */
	CHECK(rms(b, 0.35, 0.10) < 1e-3); /* then quiet */
	att_sonify_free(s);
	free(b);
}

static void mute_fades_to_silence_and_output_stays_bounded(void)
{
	struct att_sonify *s;
	size_t n = (size_t)(4.0 * RATE);
	float *b = calloc(n, sizeof *b);
	struct att_sonify_params prm = {.parts = ATT_SOUND_ALL,
	                                .volume = 1.0f,
	                                .pacer_on = 1,
	                                .pacer_level = 0.5f,
	                                .match = 1.0f};
	int bounded = 1;
	double max_step = 0.0;

	CHECK(att_sonify_new(&(struct att_sonify_cfg){.rate_hz = RATE}, &s) == ATT_OK);
	for (size_t i = 0; i < n; i += FRAME) {
		prm.chime_seq += (i % (FRAME * 10) == 0); /* pile everything up */
		prm.alarm_seq += (i % (FRAME * 30) == 0);
		prm.muted = i >= n / 2;
		att_sonify_render(s, &prm, b + i, FRAME);
	}
	for (size_t i = 0; i < n; i++) {
		if (!(b[i] >= -1.0f && b[i] <= 1.0f))
			bounded = 0;
		if (i && fabs(b[i] - b[i - 1]) > max_step)
			max_step = fabs(b[i] - b[i - 1]);
	}
	CHECK(bounded);
	CHECK(max_step < 0.2); /* no clicks, even when muting mid-tone */
	CHECK(rms(b, 1.0, 0.5) > 0.05);
	CHECK(rms(b, 2.2, 0.5) < 1e-4);
	att_sonify_free(s);
	free(b);
	CHECK(att_sonify_new(&(struct att_sonify_cfg){.rate_hz = 100.0}, &s) == ATT_ERR_RANGE);
	att_sonify_free(NULL);
}

int main(void)
{
	pacer_tone_rises_on_inhale_and_falls_on_exhale();
	drone_is_louder_and_a_pure_fifth_in_sync();
	chime_rings_only_when_the_level_changes();
	alarm_is_a_double_beep();
	mute_fades_to_silence_and_output_stays_bounded();
	return att_check_done("sonify");
}
