/* Sound output (see audio.h).
 *
 * Triple buffer: slots[3]; the writer owns one slot, the reader one, and `middle` holds the third
 * plus a FRESH bit. The writer fills its slot and swaps it into the middle (setting FRESH); the
 * reader, when FRESH is set, swaps its slot with the middle. Neither side ever waits.
 *
 * Once the device played, a sound thread owns libsoundio: it handles libsoundio's events and,
 * when the sound server goes away or the stream breaks (headphones unplugged, PulseAudio
 * restarted), closes the stream and opens the default device again every RETRY_MS. libsoundio's
 * own answer to a lost server is to abort the process, which would end a recording session. */
#include "audio.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <soundio/soundio.h>

#include "cmd.h"

#define FRESH     4u
#define WAV_CHUNK 1024
#define CB_CHUNK  1024
#define POLL_MS   100
#define RETRY_MS  2000

enum { DEV_OFF, DEV_OK, DEV_LOST };

struct att_audio {
	/* device: opened by att_audio_new, then owned by the sound thread until att_audio_free */
	struct SoundIo *sio;
	struct SoundIoDevice *dev;
	struct SoundIoOutStream *stream;
	struct att_sonify *dev_synth;
	enum SoundIoBackend backend; /* the one that played; reconnects go to it only */
	int backend_lost;            /* set by libsoundio's event handling, sound thread */
	int devices_changed;         /* likewise: a device came or went, the default may differ */
	pthread_t thread;
	int thread_on;
	atomic_int stop;
	atomic_int state;              /* DEV_OFF (never played), DEV_OK, DEV_LOST (retrying) */
	_Atomic(const char *) problem; /* static text, or NULL */
	struct att_sonify_params slots[3];
	unsigned write_slot; /* main thread only */
	unsigned read_slot;  /* callback only */
	atomic_uint middle;
	atomic_ulong underflows;
	atomic_ulong losses;
	atomic_ulong moves; /* streams moved to a new default output device */
	atomic_int stream_error;
	float cb_buf[CB_CHUNK]; /* callback's scratch, preallocated */
	/* WAV */
	FILE *wav;
	char *wav_path;
	struct att_sonify *wav_synth;
	double wav_rate;
	uint64_t wav_frames;
	int wav_failed;
	float wav_buf[WAV_CHUNK];
	int16_t wav_pcm[WAV_CHUNK];
};

static void put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int wav_header(FILE *f, double rate, uint64_t frames)
{
	unsigned char h[44];
	uint32_t data = (uint32_t)(frames * 2u);

	memcpy(h, "RIFF", 4);
	put_le(h + 4, 36u + data, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le(h + 16, 16, 4);
	put_le(h + 20, 1, 2); /* PCM */
	put_le(h + 22, 1, 2); /* mono */
	put_le(h + 24, (uint32_t)rate, 4);
	put_le(h + 28, (uint32_t)rate * 2u, 4);
	put_le(h + 32, 2, 2);
	put_le(h + 34, 16, 2);
	memcpy(h + 36, "data", 4);
	put_le(h + 40, data, 4);
	return fseek(f, 0, SEEK_SET) == 0 && fwrite(h, 1, sizeof h, f) == sizeof h ? ATT_OK
	                                                                           : ATT_ERR_IO;
}

/* libsoundio's thread. Renders into a preallocated scratch buffer, copies to every channel as
 * float or, for cards that take no float, 16-bit. */
static void write_cb(struct SoundIoOutStream *os, int frame_count_min, int frame_count_max)
{
	struct att_audio *a = os->userdata;
	int left = frame_count_max;
	int is_float = os->format == SoundIoFormatFloat32NE;

	(void)frame_count_min;
	if (atomic_load_explicit(&a->middle, memory_order_acquire) & FRESH)
		a->read_slot =
		        atomic_exchange_explicit(&a->middle, a->read_slot, memory_order_acq_rel) &
		        3u;
	while (left > 0) {
		struct SoundIoChannelArea *areas;
		int n = left < CB_CHUNK ? left : CB_CHUNK;
		if (soundio_outstream_begin_write(os, &areas, &n) || n <= 0)
			return;
		att_sonify_render(a->dev_synth, &a->slots[a->read_slot], a->cb_buf, (size_t)n);
		for (int i = 0; i < n; i++) {
			float v = a->cb_buf[i];
			int16_t pcm = (int16_t)lrintf((v > 1.0f    ? 1.0f
			                               : v < -1.0f ? -1.0f
			                                           : v) *
			                              32767.0f);
			for (int c = 0; c < os->layout.channel_count; c++) {
				char *at = areas[c].ptr + areas[c].step * i;
				if (is_float)
					memcpy(at, &v, sizeof v);
				else
					memcpy(at, &pcm, sizeof pcm);
			}
		}
		if (soundio_outstream_end_write(os))
			return;
		left -= n;
	}
}

static void underflow_cb(struct SoundIoOutStream *os)
{
	struct att_audio *a = os->userdata;
	atomic_fetch_add_explicit(&a->underflows, 1, memory_order_relaxed);
}

static void error_cb(struct SoundIoOutStream *os, int err)
{
	struct att_audio *a = os->userdata;
	atomic_store_explicit(&a->stream_error, err, memory_order_relaxed);
}

/* Backends print their own complaints to stderr when no card exists (ALSA does); the program's
 * promise is one clear line, so stderr is muted while probing. Main thread, before any other. */
static int quiet_connect(struct SoundIo *sio)
{
	int saved = att_stderr_mute(), rc = soundio_connect(sio);

	if (rc == 0)
		soundio_flush_events(sio);
	att_stderr_restore(saved);
	return rc;
}

/* libsoundio calls this inside soundio_flush_events; without it, it aborts the process. */
static void backend_lost_cb(struct SoundIo *sio, int err)
{
	struct att_audio *a = sio->userdata;
	(void)err;
	a->backend_lost = 1;
}

static void devices_changed_cb(struct SoundIo *sio)
{
	struct att_audio *a = sio->userdata;
	a->devices_changed = 1;
}

/* 1 when the default output device is no longer the one playing (headphones plugged in, or the
 * user picked another output): the sound follows the default, as the desktop's own sounds do. */
static int default_moved(struct att_audio *a)
{
	int idx = soundio_default_output_device_index(a->sio);
	struct SoundIoDevice *d = idx >= 0 ? soundio_get_output_device(a->sio, idx) : NULL;
	int moved = d && a->dev && strcmp(d->id, a->dev->id) != 0;

	if (d)
		soundio_device_unref(d);
	return moved;
}

/* libsoundio prints a multi-line hint when it may not raise its thread's priority; the tone
 * plays without it (underflows are counted), and the promise is one clear line. */
static void no_rtprio_warning(void)
{
}

static void set_problem(struct att_audio *a, const char *why)
{
	atomic_store_explicit(&a->problem, why, memory_order_release);
}

/* Opens the default output device and starts the stream on the connected backend. */
static int open_stream(struct att_audio *a)
{
	int idx = soundio_default_output_device_index(a->sio);

	if (idx < 0) {
		set_problem(a, "no sound output device found");
		return -1;
	}
	a->dev = soundio_get_output_device(a->sio, idx);
	if (!a->dev || a->dev->probe_error) {
		set_problem(a, "the sound output device cannot be used");
		return -1;
	}
	a->stream = soundio_outstream_create(a->dev);
	if (!a->stream) {
		set_problem(a, "out of memory opening sound");
		return -1;
	}
	if (soundio_device_supports_format(a->dev, SoundIoFormatFloat32NE))
		a->stream->format = SoundIoFormatFloat32NE;
	else if (soundio_device_supports_format(a->dev, SoundIoFormatS16NE))
		a->stream->format = SoundIoFormatS16NE;
	else {
		set_problem(a, "the sound device takes neither float nor 16-bit samples");
		return -1;
	}
	a->stream->sample_rate = soundio_device_supports_sample_rate(a->dev, 48000)
	                                 ? 48000
	                                 : soundio_device_nearest_sample_rate(a->dev, 48000);
	a->stream->software_latency = 0.05; /* the pacer tone must follow the disc closely */
	a->stream->userdata = a;
	a->stream->write_callback = write_cb;
	a->stream->underflow_callback = underflow_cb;
	a->stream->error_callback = error_cb;
	a->stream->name = "attune";
	if (att_sonify_new(&(struct att_sonify_cfg){.rate_hz = a->stream->sample_rate},
	                   &a->dev_synth) != ATT_OK) {
		set_problem(a, "the sound device's sample rate is not supported");
		return -1;
	}
	if (soundio_outstream_open(a->stream) || a->stream->layout_error) {
		set_problem(a, "the sound device refused the stream");
		return -1;
	}
	atomic_store_explicit(&a->stream_error, 0, memory_order_relaxed);
	if (soundio_outstream_start(a->stream)) {
		set_problem(a, "the sound device did not start");
		return -1;
	}
	return 0;
}

static void close_stream(struct att_audio *a)
{
	if (a->stream)
		soundio_outstream_destroy(a->stream); /* joins the callback */
	a->stream = NULL;
	if (a->dev)
		soundio_device_unref(a->dev);
	a->dev = NULL;
	att_sonify_free(a->dev_synth);
	a->dev_synth = NULL;
}

static void open_device(struct att_audio *a)
{
	const char *backend = getenv("ATTUNE_SOUND_BACKEND");

	a->sio = soundio_create();
	if (!a->sio) {
		set_problem(a, "out of memory opening sound");
		return;
	}
	a->sio->userdata = a;
	a->sio->app_name = "attune";
	a->sio->on_backend_disconnect = backend_lost_cb;
	a->sio->on_devices_change = devices_changed_cb;
	a->sio->emit_rtprio_warning = no_rtprio_warning;
	/* ATTUNE_SOUND_BACKEND=dummy: libsoundio's silent software device, so tests exercise the
	 * real-time callback on machines without a sound card. Otherwise the dummy backend (what
	 * libsoundio falls back to) means there is no card. */
	if (backend && !strcmp(backend, "dummy")) {
		if (soundio_connect_backend(a->sio, SoundIoBackendDummy) != 0) {
			set_problem(a, "the dummy sound backend is not available");
			return;
		}
		soundio_flush_events(a->sio);
	} else if (quiet_connect(a->sio) != 0 || a->sio->current_backend == SoundIoBackendDummy) {
		set_problem(a, "no sound card found");
		return;
	}
	a->backend = a->sio->current_backend;
	if (open_stream(a) != 0) {
		close_stream(a);
		return;
	}
	atomic_store(&a->state, DEV_OK);
}

static int stopping(struct att_audio *a, int ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = POLL_MS * 1000000L};

	for (int waited = 0; waited < ms; waited += POLL_MS) {
		if (atomic_load(&a->stop))
			return 1;
		nanosleep(&ts, NULL);
	}
	return atomic_load(&a->stop);
}

/* The sound thread: libsoundio's events, and a new stream whenever the old one is lost. */
static void *sound_main(void *arg)
{
	struct att_audio *a = arg;

	while (!stopping(a, POLL_MS)) {
		int connected = a->sio->current_backend != SoundIoBackendNone;
		if (connected)
			soundio_flush_events(a->sio);
		if (atomic_load(&a->state) == DEV_OK) {
			int err = atomic_load_explicit(&a->stream_error, memory_order_relaxed);
			if (!a->backend_lost && !err && a->devices_changed) {
				a->devices_changed = 0;
				if (default_moved(a)) {
					close_stream(a);
					if (open_stream(a) == 0) {
						atomic_fetch_add(&a->moves, 1);
						continue;
					}
					err = 1; /* the new default refused: retried below like a loss */
				}
			}
			if (!a->backend_lost && !err)
				continue;
			set_problem(a, a->backend_lost ? "the sound server went away"
			                               : "the sound device stopped");
			atomic_fetch_add(&a->losses, 1);
			atomic_store(&a->state, DEV_LOST);
			close_stream(a);
			if (stopping(a, RETRY_MS))
				break;
		}
		/* DEV_LOST: try again */
		if (a->backend_lost || !connected) {
			if (connected)
				soundio_disconnect(a->sio);
			a->backend_lost = 0;
			if (soundio_connect_backend(a->sio, a->backend) != 0) {
				stopping(a, RETRY_MS);
				continue;
			}
			soundio_flush_events(a->sio);
		}
		if (open_stream(a) == 0) {
			set_problem(a, NULL);
			atomic_store(&a->state, DEV_OK);
		} else {
			close_stream(a);
			stopping(a, RETRY_MS);
		}
	}
	return NULL;
}

int att_audio_new(const struct att_audio_cfg *cfg, struct att_audio **out, char *why,
                  size_t why_len)
{
	struct att_audio *a;

	*out = NULL;
	a = calloc(1, sizeof *a);
	if (!a)
		return ATT_ERR_NOMEM;
	a->write_slot = 0;
	atomic_init(&a->middle, 1u);
	a->read_slot = 2;
	atomic_init(&a->underflows, 0);
	atomic_init(&a->stream_error, 0);
	atomic_init(&a->losses, 0);
	atomic_init(&a->moves, 0);
	atomic_init(&a->stop, 0);
	atomic_init(&a->state, DEV_OFF);
	atomic_init(&a->problem, NULL);
	if (cfg->wav_path) {
		a->wav_rate = cfg->wav_rate_hz > 0 ? cfg->wav_rate_hz : 48000.0;
		a->wav_path = strdup(cfg->wav_path);
		if (!a->wav_path || att_sonify_new(&(struct att_sonify_cfg){.rate_hz = a->wav_rate},
		                                   &a->wav_synth)) {
			snprintf(why, why_len, "cannot render audio at %.0f Hz", a->wav_rate);
			att_audio_free(a);
			return ATT_ERR_ARG;
		}
		a->wav = fopen(cfg->wav_path, "wb");
		if (!a->wav || wav_header(a->wav, a->wav_rate, 0) != ATT_OK) {
			snprintf(why, why_len,
			         "cannot write %s; check the directory exists and is writable",
			         cfg->wav_path);
			att_audio_free(a);
			return ATT_ERR_IO;
		}
	}
	if (cfg->device) {
		open_device(a);
		/* without a thread the sound still plays; it only is not reopened when lost */
		if (atomic_load(&a->state) == DEV_OK)
			a->thread_on = pthread_create(&a->thread, NULL, sound_main, a) == 0;
	} else {
		set_problem(a, "sound switched off (--no-audio)");
	}
	*out = a;
	return ATT_OK;
}

int att_audio_free(struct att_audio *a)
{
	int rc = ATT_OK;

	if (!a)
		return ATT_OK;
	if (a->thread_on) {
		atomic_store(&a->stop, 1);
		pthread_join(a->thread, NULL);
	}
	close_stream(a);
	if (a->sio)
		soundio_destroy(a->sio);
	if (a->wav) {
		if (a->wav_failed || wav_header(a->wav, a->wav_rate, a->wav_frames) != ATT_OK)
			rc = ATT_ERR_IO;
		if (fclose(a->wav) != 0)
			rc = ATT_ERR_IO;
		if (rc != ATT_OK)
			remove(a->wav_path); /* never leave a partial file looking complete */
	}
	att_sonify_free(a->wav_synth);
	free(a->wav_path);
	free(a);
	return rc;
}

int att_audio_device_ok(const struct att_audio *a)
{
	return atomic_load(&a->state) == DEV_OK;
}

const char *att_audio_device_problem(const struct att_audio *a)
{
	return atomic_load_explicit(&a->problem, memory_order_acquire);
}

void att_audio_publish(struct att_audio *a, const struct att_sonify_params *p)
{
	a->slots[a->write_slot] = *p;
	a->write_slot =
	        atomic_exchange_explicit(&a->middle, a->write_slot | FRESH, memory_order_acq_rel) &
	        3u;
}

int att_audio_wav_until(struct att_audio *a, double t, const struct att_sonify_params *p)
{
	uint64_t target;

	if (!a->wav || a->wav_failed)
		return a->wav_failed ? ATT_ERR_IO : ATT_OK;
	target = t > 0.0 ? (uint64_t)(t * a->wav_rate) : 0;
	while (a->wav_frames < target) {
		uint64_t n = target - a->wav_frames;
		if (n > WAV_CHUNK)
			n = WAV_CHUNK;
		att_sonify_render(a->wav_synth, p, a->wav_buf, (size_t)n);
		for (uint64_t i = 0; i < n; i++) {
			long v = lrintf(a->wav_buf[i] * 32767.0f);
			a->wav_pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
		}
		/* WAV is little-endian; so is every machine attune runs on (Debian amd64/arm64) */
		if (fwrite(a->wav_pcm, sizeof a->wav_pcm[0], (size_t)n, a->wav) != (size_t)n) {
			a->wav_failed = 1;
			return ATT_ERR_IO;
		}
		a->wav_frames += n;
	}
	return ATT_OK;
}

unsigned long att_audio_underflows(const struct att_audio *a)
{
	return atomic_load_explicit(&a->underflows, memory_order_relaxed);
}

unsigned long att_audio_losses(const struct att_audio *a)
{
	return atomic_load(&a->losses);
}

unsigned long att_audio_moves(const struct att_audio *a)
{
	return atomic_load(&a->moves);
}
