/* Sound synthesis (see sonify.h). Oscillators keep their phase in cycles (double, wrapped each
 * sample) so pitch glides are continuous; every target from the parameter block is approached by a
 * one-pole smoother whose time constant is chosen per part: fast enough to follow the breath,
 * slow enough never to click. */
#include "attune/sonify.h"

#include <math.h>
#include <stdlib.h>

#define TWO_PI 6.283185307179586

#define CHIME_VOICES     4
#define CHIME_NOTE_GAP_S 0.16 /* second bell note follows the first */
#define CHIME_DECAY_S    0.45
#define CHIME_GAIN       0.16
#define ALARM_HZ         880.0
#define ALARM_BEEP_S     0.10
#define ALARM_GAP_S      0.10
#define ALARM_GAIN       0.18
#define PACER_GAIN       0.22
#define DRONE_GAIN_LOW   0.03 /* apart: the drone thins to a whisper, never stops abruptly */
#define DRONE_GAIN_HIGH  0.16

struct voice {
	double phase;
	double hz;
	double start_in; /* seconds until it starts; < 0 = sounding */
	double age;      /* seconds since it started */
	int active;
};

struct att_sonify {
	double rate;
	double dt;
	/* smoothed values */
	double gain; /* master (volume and mute) */
	double pacer_level;
	double pacer_amp; /* pacer part on/off */
	double match;
	double drone_amp; /* drone part on/off */
	/* oscillators */
	double pacer_phase, pacer_phase2;
	double root_phase, root_phase2, fifth_phase, fifth_phase2;
	struct voice chime[CHIME_VOICES];
	double alarm_age; /* seconds since the alarm started; < 0 = idle */
	double alarm_phase;
	uint32_t chime_seq, alarm_seq;
	int primed;
	/* per-sample smoothing coefficients */
	double k_fast, k_pacer, k_drone;
};

static double coef(double tau_s, double rate)
{
	return 1.0 - exp(-1.0 / (tau_s * rate));
}

int att_sonify_new(const struct att_sonify_cfg *cfg, struct att_sonify **out)
{
	struct att_sonify *s;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !(cfg->rate_hz >= 8000.0 && cfg->rate_hz <= 192000.0))
		return ATT_ERR_RANGE;
	s = calloc(1, sizeof *s);
	if (!s)
		return ATT_ERR_NOMEM;
	s->rate = cfg->rate_hz;
	s->dt = 1.0 / cfg->rate_hz;
	s->k_fast = coef(0.02, s->rate);  /* mute and part switches: 20 ms, no click */
	s->k_pacer = coef(0.03, s->rate); /* follows the pacer level published at frame rate */
	s->k_drone = coef(1.5, s->rate);  /* the drone warms and cools over a breath or so */
	s->alarm_age = -1.0;
	*out = s;
	return ATT_OK;
}

void att_sonify_free(struct att_sonify *sonify)
{
	free(sonify);
}

static double wrap(double phase)
{
	return phase - floor(phase);
}

static void start_chime(struct att_sonify *s, int up)
{
	/* C5 and E5: a major third, the softest interval that still reads as "up" or "down". */
	const double lo = 523.25, hi = 659.26;
	int placed = 0;

	for (int i = 0; i < CHIME_VOICES && placed < 2; i++) {
		struct voice *v = &s->chime[i];
		if (v->active)
			continue;
		v->active = 1;
		v->phase = 0.0;
		v->age = 0.0;
		v->hz = (placed == 0) == (up != 0) ? lo : hi;
		v->start_in = placed ? CHIME_NOTE_GAP_S : 0.0;
		placed++;
	}
}

static double chime_sample(struct att_sonify *s)
{
	double sum = 0.0;

	for (int i = 0; i < CHIME_VOICES; i++) {
		struct voice *v = &s->chime[i];
		double env;
		if (!v->active)
			continue;
		if (v->start_in > 0.0) {
			v->start_in -= s->dt;
			continue;
		}
		/* 5 ms attack, then an exponential bell decay */
		env = v->age < 0.005 ? v->age / 0.005 : exp(-(v->age - 0.005) / CHIME_DECAY_S);
		sum += env * (sin(TWO_PI * v->phase) + 0.25 * sin(2.0 * TWO_PI * v->phase));
		v->phase = wrap(v->phase + v->hz * s->dt);
		v->age += s->dt;
		if (v->age > 8.0 * CHIME_DECAY_S)
			v->active = 0;
	}
	return CHIME_GAIN * sum;
}

static double alarm_sample(struct att_sonify *s)
{
	double a = s->alarm_age, in_beep, env;

	if (a < 0.0)
		return 0.0;
	s->alarm_age += s->dt;
	if (a >= 2.0 * ALARM_BEEP_S + ALARM_GAP_S) {
		s->alarm_age = -1.0;
		return 0.0;
	}
	if (a < ALARM_BEEP_S)
		in_beep = a;
	else if (a >= ALARM_BEEP_S + ALARM_GAP_S)
		in_beep = a - ALARM_BEEP_S - ALARM_GAP_S;
	else
		return 0.0;
	/* 10 ms raised-cosine ramps at both ends of each beep */
	env = 1.0;
	if (in_beep < 0.01)
		env = 0.5 - 0.5 * cos(M_PI * in_beep / 0.01);
	else if (in_beep > ALARM_BEEP_S - 0.01)
		env = 0.5 - 0.5 * cos(M_PI * (ALARM_BEEP_S - in_beep) / 0.01);
	s->alarm_phase = wrap(s->alarm_phase + ALARM_HZ * s->dt);
	return ALARM_GAIN * env * sin(TWO_PI * s->alarm_phase);
}

void att_sonify_render(struct att_sonify *s, const struct att_sonify_params *p, float *out,
                       size_t frames)
{
	unsigned parts = p->parts;
	double vol = p->volume < 0.0f ? 0.0 : p->volume > 1.0f ? 1.0 : p->volume;
	double gain_t = p->muted ? 0.0 : vol;
	double level_t = isfinite(p->pacer_level) ? fmin(1.0, fmax(0.0, p->pacer_level)) : 0.0;
	double pacer_t = (parts & ATT_SOUND_PACER) && p->pacer_on ? 1.0 : 0.0;
	double match_t = isfinite(p->match) ? fmin(1.0, fmax(0.0, p->match)) : 0.0;
	double drone_t = (parts & ATT_SOUND_DRONE) && isfinite(p->match) ? 1.0 : 0.0;

	if (!s->primed) {
		s->chime_seq = p->chime_seq;
		s->alarm_seq = p->alarm_seq;
		s->pacer_level = level_t;
		s->primed = 1;
	}
	if (p->chime_seq != s->chime_seq) {
		s->chime_seq = p->chime_seq;
		if (parts & ATT_SOUND_CHIME)
			start_chime(s, p->chime_up);
	}
	if (p->alarm_seq != s->alarm_seq) {
		s->alarm_seq = p->alarm_seq;
		if ((parts & ATT_SOUND_ALARM) && s->alarm_age < 0.0)
			s->alarm_age = 0.0;
	}

	for (size_t i = 0; i < frames; i++) {
		double x = 0.0, L, amp, hz, m, fifth_hz, d;

		s->gain += s->k_fast * (gain_t - s->gain);
		s->pacer_amp += s->k_fast * (pacer_t - s->pacer_amp);
		s->pacer_level += s->k_pacer * (level_t - s->pacer_level);
		s->drone_amp += s->k_drone * (drone_t - s->drone_amp);
		s->match += s->k_drone * (match_t - s->match);

		/* Pacer: loudness 4 L (1 - L) is the disc's speed for a half-cosine level, so the
		 * tone swells mid-breath and is silent at the turns. */
		L = s->pacer_level;
		amp = 4.0 * L * (1.0 - L) * s->pacer_amp;
		hz = ATT_SONIFY_PACER_LOW_HZ *
		     pow(ATT_SONIFY_PACER_HIGH_HZ / ATT_SONIFY_PACER_LOW_HZ, L);
		s->pacer_phase = wrap(s->pacer_phase + hz * s->dt);
		s->pacer_phase2 = wrap(s->pacer_phase2 + 2.0 * hz * s->dt);
		if (amp > 1e-6)
			x += PACER_GAIN * amp *
			     (sin(TWO_PI * s->pacer_phase) + 0.15 * sin(TWO_PI * s->pacer_phase2));

		/* Drone: a root and a fifth; apart, the fifth goes sour (slow beating against the
		 * root's third harmonic) and the overtones thin out; together it is a pure fifth. */
		m = s->match;
		d = s->drone_amp * (DRONE_GAIN_LOW + (DRONE_GAIN_HIGH - DRONE_GAIN_LOW) * m);
		fifth_hz = ATT_SONIFY_DRONE_FIFTH_HZ * (1.0 + ATT_SONIFY_DRONE_DETUNE * (1.0 - m));
		s->root_phase = wrap(s->root_phase + ATT_SONIFY_DRONE_ROOT_HZ * s->dt);
		s->root_phase2 = wrap(s->root_phase2 + 2.0 * ATT_SONIFY_DRONE_ROOT_HZ * s->dt);
		s->fifth_phase = wrap(s->fifth_phase + fifth_hz * s->dt);
		s->fifth_phase2 = wrap(s->fifth_phase2 + 2.0 * fifth_hz * s->dt);
		if (d > 1e-6)
			x += d *
			     (sin(TWO_PI * s->root_phase) + 0.3 * m * sin(TWO_PI * s->root_phase2) +
			      0.8 * sin(TWO_PI * s->fifth_phase) +
			      0.2 * m * sin(TWO_PI * s->fifth_phase2));

		x += chime_sample(s);
		x += alarm_sample(s);

		/* tanh: a soft limiter, so a pile-up of parts rounds off instead of clipping */
		out[i] = (float)tanh(s->gain * x);
	}
}
