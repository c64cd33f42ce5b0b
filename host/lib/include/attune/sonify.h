/* Sound synthesis for the live session: blocks of mono samples from a parameter block, with no
 * sound card involved, so every sound can be measured in tests and written to WAV.
 *
 * Four parts, each switchable (README, section Live view and sound):
 *  - pacer tone: pitch follows the pacer level (rises an octave over the inhale, falls over the
 *    exhale) and its loudness follows the pacer's speed, so it is silent at the turns;
 *  - sync drone: a root and its fifth, louder and pure when the pair matches, quieter with the
 *    fifth detuned (slow beating) and its overtones thinned as they drift apart;
 *  - chime: two soft bell notes, rising when the match level goes up, falling when it goes down;
 *  - alarm: a soft double beep when a sensor goes flat or saturates.
 * Invariant: every parameter change is smoothed per sample (no clicks), and the output never
 * leaves [-1, 1] (a soft limiter), so nothing the main thread publishes can make it harsh.
 *
 * Threads: att_sonify_render() never allocates, locks or prints, so it may run inside an audio
 * callback; one instance is used by one thread at a time. */
#ifndef ATT_SONIFY_H
#define ATT_SONIFY_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

enum att_sound_part {
	ATT_SOUND_PACER = 1 << 0,
	ATT_SOUND_DRONE = 1 << 1,
	ATT_SOUND_CHIME = 1 << 2,
	ATT_SOUND_ALARM = 1 << 3,
	ATT_SOUND_ALL = 0xf,
};

/* Pitches, Hz (for tests and documentation). */
#define ATT_SONIFY_PACER_LOW_HZ   196.0 /* G3 at the end of the exhale */
#define ATT_SONIFY_PACER_HIGH_HZ  392.0 /* G4 at the top of the inhale */
#define ATT_SONIFY_DRONE_ROOT_HZ  110.0 /* A2 */
#define ATT_SONIFY_DRONE_FIFTH_HZ 165.0
#define ATT_SONIFY_DRONE_DETUNE   0.03 /* fifth raised by up to 3 % when the pair is apart */

struct att_sonify;

struct att_sonify_cfg {
	double rate_hz; /* output sample rate, 8000..192000 */
};

/* What the main thread wants heard; the whole block is published at once. */
struct att_sonify_params {
	unsigned parts;     /* enum att_sound_part bits switched on */
	float volume;       /* 0..1 */
	int muted;          /* 1 = silence (faded, not cut) */
	int pacer_on;       /* the pacer is shown; its tone sounds only then */
	float pacer_level;  /* 0..1, att_pacer_state.level */
	float match;        /* 0..1; NAN while unknown (drone rests) */
	uint32_t chime_seq; /* bump to ring a chime */
	int chime_up;       /* direction of the last chime: 1 rising, 0 falling */
	uint32_t alarm_seq; /* bump to sound the double beep */
};

/* *out is set to NULL first; caller frees with att_sonify_free(). ATT_ERR_RANGE for a rate outside
 * 8000..192000, ATT_ERR_NOMEM. The first render takes the params' sequence numbers as already
 * heard (no chime at start). */
int att_sonify_new(const struct att_sonify_cfg *cfg, struct att_sonify **out);
/* NULL is a no-op. */
void att_sonify_free(struct att_sonify *sonify);

/* Renders `frames` mono samples into out (each in [-1, 1]). params is borrowed for the call. */
void att_sonify_render(struct att_sonify *sonify, const struct att_sonify_params *params,
                       float *out, size_t frames);

#endif
