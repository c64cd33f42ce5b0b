/* Sound output: glues libattune's synthesis (sonify.h) to the sound card (libsoundio) and to WAV
 * files. No synthesis happens here.
 *
 * Two independent renderers may run at once, each with its own att_sonify instance:
 *  - the device: libsoundio's write callback (its own real-time thread) renders what the card
 *    asks for, reading the latest parameter block the main thread published;
 *  - the WAV file: the main thread renders up to the session time it is at (so fast-forwarded
 *    and headless sessions give exactly the audio a real-time session would).
 * Invariant: the callback never allocates, locks or prints; parameters reach it through a
 * lock-free triple buffer (the main thread writes whole blocks, the callback always reads a
 * complete, most recent block).
 *
 * Threads: every function here is called from the main thread only; the callback runs inside
 * libsoundio, and once the device played a sound thread of this module owns libsoundio (events,
 * reopening a lost device). Without a sound card the device part is left off and the program
 * keeps going. */
#ifndef ATT_AUDIO_H
#define ATT_AUDIO_H

#include <stddef.h>

#include "attune/sonify.h"

struct att_audio;

struct att_audio_cfg {
	int device;           /* 1 = play on the default output device (if there is one) */
	const char *wav_path; /* also render into this WAV file (16-bit mono), or NULL */
	double wav_rate_hz;   /* WAV sample rate; 0 = 48000 */
};

/* *out is set to NULL first; caller frees with att_audio_free(). A missing or broken sound card
 * is not an error: att_audio_device_ok() tells, att_audio_device_problem() says why. Returns
 * ATT_ERR_IO (with one line in why) when the WAV file cannot be created, ATT_ERR_NOMEM. */
int att_audio_new(const struct att_audio_cfg *cfg, struct att_audio **out, char *why,
                  size_t why_len);
/* Stops the device, finishes the WAV file (header sizes written last); NULL is a no-op.
 * Returns ATT_OK or ATT_ERR_IO if the WAV file could not be completed (it is then removed). */
int att_audio_free(struct att_audio *audio);

/* 1 while the device plays. A device that played and was lost (sound server restarted, headphones
 * unplugged) is reopened in the background every few seconds; att_audio_losses() counts losses.
 * When the default output device changes (headphones plugged in) the sound moves to it;
 * att_audio_moves() counts those moves. */
int att_audio_device_ok(const struct att_audio *audio);
unsigned long att_audio_losses(const struct att_audio *audio);
unsigned long att_audio_moves(const struct att_audio *audio);
/* Why there is no device sound ("no sound card found"), or NULL; a static string. */
const char *att_audio_device_problem(const struct att_audio *audio);

/* Publishes a new parameter block to the device callback (copied). */
void att_audio_publish(struct att_audio *audio, const struct att_sonify_params *params);

/* Renders the WAV file up to session time t (seconds since the session began) with params.
 * No-op without a WAV file. ATT_ERR_IO when writing fails (e.g. disk full). */
int att_audio_wav_until(struct att_audio *audio, double t, const struct att_sonify_params *params);

/* Device buffer underflows so far (the card ran dry). */
unsigned long att_audio_underflows(const struct att_audio *audio);

#endif
