/* The serial source: attune firmware on a device or the simulated board's pty, read by an
 * acquisition thread into an SPSC ring of struct att_sample.
 *
 * Main invariant: every sample instant between the first and the last delivered counter is either
 * delivered or counted in samples_lost; counters delivered never go back. Within one connection a
 * counter jump is exactly the frames lost (corruption, firmware TX overflow, a pulled cable while
 * the device kept running). When the device restarted (its counter went back, or it sent an info
 * frame saying it is not streaming) the host clock says how many instants were missed, and an
 * offset keeps the delivered counter going forward, so downstream sees a jump, never a stitch.
 *
 * Threads: open/start/read/status/free from the main thread; the acquisition thread owns the port
 * and the decoder after start. They share only the ring (SPSC) and atomics. The thread never
 * allocates: a fixed read buffer and a fixed batch of samples. */
#include "source_impl.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/clock.h"
#include "attune/decoder.h"
#include "attune/device.h"
#include "attune/ring.h"
#include "attune/serial_port.h"

#define DEFAULT_RING         16384u
#define DEFAULT_SILENCE_MS   1000
#define DEVICE_RESET_WAIT_MS 2000
#define READ_TIMEOUT_MS      20 /* short: the stop flag is seen within this */
#define BACKOFF_FIRST_MS     100
#define BACKOFF_MAX_MS                                                                             \
	250 /* a returning device must stream again within 2 s; an Uno spends
                           * ~1.7 s of that in its bootloader after the reopen resets it */
#define BATCH 64

struct serial {
	char path[1024];
	int backend;
	int reset_wait_ms, silence_ms;
	unsigned rate;
	struct att_serial_port *port; /* the thread's after start; NULL while disconnected */
	struct att_decoder *dec;
	struct att_ring *ring;
	pthread_t thread;
	int thread_started;

	atomic_int stop;
	atomic_int state; /* enum att_source_state */
	atomic_int error;
	atomic_uint_least64_t lost, frames_bad, overruns, samples_in, duplicate, stale;
	atomic_uint reconnects;

	/* acquisition thread only */
	int have_last, restart_pending;
	uint32_t last_dev, last_out, offset;
	int64_t last_host_ns, last_frame_ns, next_try_ns;
	int backoff_ms;
	size_t n_batch;
	struct att_sample batch[BATCH];
	uint8_t buf[4096];
	char why[256];
};

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void flush_batch(struct serial *s)
{
	size_t put;
	if (!s->n_batch)
		return;
	put = att_ring_write(s->ring, s->batch, s->n_batch);
	if (put < s->n_batch)
		atomic_fetch_add(&s->overruns, s->n_batch - put);
	atomic_fetch_add(&s->samples_in, put);
	s->n_batch = 0;
}

static void publish_decoder(struct serial *s)
{
	struct att_decoder_stats ds;
	att_decoder_stats(s->dec, &ds);
	atomic_store(&s->frames_bad, ds.crc_errors + ds.framing_errors + ds.version_errors);
}

static void on_sample(struct serial *s, const struct att_wire_sample *w, int64_t now)
{
	struct att_sample *o;
	uint32_t out;

	if (!s->have_last) {
		s->have_last = 1;
		s->offset = 0;
		s->restart_pending = 0;
	} else {
		int32_t d = (int32_t)(w->counter - s->last_dev);
		/* a counter that does not move forward is a frame seen before (a USB bridge or driver
		 * repeating, swapping or replaying frames), not a restart: a board that restarts says
		 * so with an info frame first (restart_pending) */
		if (!s->restart_pending && d <= 0) {
			atomic_fetch_add(d == 0 ? &s->duplicate : &s->stale, 1);
			return;
		}
		if (s->restart_pending) {
			/* the device restarted its counter: the host clock tells what was missed */
			double est = (double)(now - s->last_host_ns) * s->rate / 1e9 - 1.0;
			uint32_t missed = est > 0.5 ? (uint32_t)llround(est) : 0;
			s->offset = s->last_out + 1u + missed - w->counter;
			atomic_fetch_add(&s->lost, missed);
			s->restart_pending = 0;
		} else if (d > 1) {
			atomic_fetch_add(&s->lost, (uint64_t)(d - 1));
		}
	}
	out = w->counter + s->offset;
	o = &s->batch[s->n_batch++];
	o->host_ns = now;
	o->counter = out;
	o->flags = w->flags;
	memcpy(o->ch, w->ch, sizeof o->ch);
	s->last_dev = w->counter;
	s->last_out = out;
	s->last_host_ns = now;
	if (s->n_batch == BATCH)
		flush_batch(s);
}

/* A device that kept streaming while unplugged: its samples during the reconnect handshake are
 * kept, so the gap is exactly what the cable lost. */
static void handshake_sample(void *user, const struct att_wire_sample *w)
{
	struct serial *s = user;
	on_sample(s, w, att_clock_ns());
}

static void disconnected(struct serial *s, int err)
{
	flush_batch(s);
	att_serial_port_close(s->port);
	s->port = NULL;
	atomic_store(&s->error, err);
	atomic_store(&s->state, ATT_SOURCE_RECONNECTING);
	s->backoff_ms = BACKOFF_FIRST_MS;
	s->next_try_ns = att_clock_ns();
}

/* One reconnect attempt: open, identify, and restart streaming if the device is not streaming
 * (it was reset, e.g. by the DTR of the open) or runs at another rate. */
static void try_reconnect(struct serial *s)
{
	struct att_wire_info info;
	int64_t now = att_clock_ns();
	int err;

	if (now < s->next_try_ns) {
		int64_t ms = (s->next_try_ns - now) / 1000000;
		sleep_ms(ms > READ_TIMEOUT_MS ? READ_TIMEOUT_MS : (int)ms + 1);
		return;
	}
	err = att_serial_port_open(s->path, (enum att_serial_backend)s->backend, &s->port, s->why,
	                           sizeof s->why);
	if (err == ATT_OK) {
		att_decoder_reset(s->dec);
		err = att_device_identify(s->port, s->dec, s->path, s->reset_wait_ms, &s->stop,
		                          &info, s->why, sizeof s->why, handshake_sample, s);
	}
	if (err == ATT_OK && info.rate_hz != s->rate) {
		err = att_device_set_rate(s->port, s->dec, s->rate, 1000, NULL);
		if (err == ATT_ERR_RANGE)
			err = ATT_ERR_DEVICE; /* it took this rate before: the device is at fault */
		info.streaming = 0;           /* a new rate restarts the counter */
	}
	if (err == ATT_OK && !info.streaming) {
		err = att_device_start(s->port);
		s->restart_pending = 1;
	}
	if (err != ATT_OK) {
		att_serial_port_close(s->port);
		s->port = NULL;
		atomic_store(&s->error, err);
		s->next_try_ns = att_clock_ns() + (int64_t)s->backoff_ms * 1000000;
		s->backoff_ms =
		        s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
		return;
	}
	flush_batch(s);
	atomic_store(&s->error, ATT_OK);
	atomic_fetch_add(&s->reconnects, 1);
	s->last_frame_ns = att_clock_ns();
	atomic_store(&s->state, ATT_SOURCE_CONNECTING);
}

static void process(struct serial *s, size_t n, int64_t now)
{
	size_t off = 0;
	while (off < n) {
		struct att_wire_frame f;
		size_t used = 0;
		enum att_decode_result r =
		        att_decoder_feed(s->dec, s->buf + off, n - off, &used, &f);
		off += used;
		if (r == ATT_DECODE_VALID) {
			s->last_frame_ns = now;
			if (f.type == ATT_WIRE_SAMPLE) {
				on_sample(s, &f.u.sample, now);
				atomic_store(&s->state, ATT_SOURCE_STREAMING);
			} else if (f.type == ATT_WIRE_INFO && !f.u.info.streaming) {
				/* unasked info, not streaming: the device reset itself (watchdog, power) */
				att_decoder_reset_sequence(s->dec);
				s->restart_pending = 1;
				(void)att_device_start(s->port);
			}
		}
		if (r == ATT_DECODE_NEED_MORE || used == 0)
			break;
	}
	flush_batch(s);
	publish_decoder(s);
}

static void *acquire(void *arg)
{
	struct serial *s = arg;

	s->last_frame_ns = att_clock_ns();
	while (!atomic_load(&s->stop)) {
		int64_t now;
		int n;
		if (!s->port) {
			try_reconnect(s);
			continue;
		}
		n = att_serial_port_read(s->port, s->buf, sizeof s->buf, READ_TIMEOUT_MS);
		now = att_clock_ns();
		if (n < 0) {
			disconnected(s, n);
			continue;
		}
		if (n > 0)
			process(s, (size_t)n, now);
		if (now - s->last_frame_ns >= (int64_t)s->silence_ms * 1000000)
			disconnected(s, ATT_ERR_TIMEOUT);
	}
	flush_batch(s);
	return NULL;
}

static int serial_start(struct att_source *src)
{
	struct serial *s = src->impl;
	int err;
	if (s->thread_started)
		return ATT_ERR_ARG;
	/* the ack is read (and ignored) by the thread; a lost START shows as silence, and the
	 * reconnect path starts the device again */
	err = att_device_start(s->port);
	if (err == ATT_ERR_DISCONNECTED || err == ATT_ERR_IO) {
		att_serial_port_close(s->port);
		s->port = NULL;
		atomic_store(&s->state, ATT_SOURCE_RECONNECTING);
	} else {
		atomic_store(&s->state, ATT_SOURCE_CONNECTING);
	}
	s->backoff_ms = BACKOFF_FIRST_MS;
	s->next_try_ns = att_clock_ns();
	if (pthread_create(&s->thread, NULL, acquire, s) != 0)
		return ATT_ERR_NOMEM;
	s->thread_started = 1;
	return ATT_OK;
}

static size_t serial_read(struct att_source *src, struct att_sample *out, size_t max)
{
	struct serial *s = src->impl;
	return att_ring_read(s->ring, out, max);
}

static void serial_refresh(const struct att_source *src, struct att_source_status *st)
{
	struct serial *s = src->impl;
	st->state = (enum att_source_state)atomic_load(&s->state);
	st->samples_lost = atomic_load(&s->lost);
	st->frames_bad = atomic_load(&s->frames_bad);
	st->frames_duplicate = atomic_load(&s->duplicate);
	st->frames_stale = atomic_load(&s->stale);
	st->overruns = atomic_load(&s->overruns);
	st->reconnects = atomic_load(&s->reconnects);
	st->error = atomic_load(&s->error);
}

static void serial_free_impl(struct serial *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		atomic_store(&s->stop, 1);
		pthread_join(s->thread, NULL);
	}
	if (s->port) {
		/* leave the device quiet for the next program; best effort */
		(void)att_device_stop(s->port, NULL, 0);
		att_serial_port_close(s->port);
	}
	att_decoder_free(s->dec);
	att_ring_free(s->ring);
	free(s);
}

static void serial_destroy(struct att_source *src)
{
	serial_free_impl(src->impl);
}

static const struct att_source_ops serial_ops = {
        .start = serial_start,
        .read = serial_read,
        .refresh = serial_refresh,
        .destroy = serial_destroy,
};

static void say(char *why, size_t why_len, const char *msg, const char *path)
{
	if (why && why_len)
		snprintf(why, why_len, msg, path);
}

/* Identifies the device on the open port, stops it if an earlier program left it streaming (so
 * START begins a clean count) and sets the rate asked for. On ATT_OK *info describes the device as
 * it will stream, and s->rate is set. */
static int prepare_device(struct serial *s, unsigned rate_hz, struct att_wire_info *info, char *why,
                          size_t why_len)
{
	struct att_wire_ack ack;
	int err = att_device_identify(s->port, s->dec, s->path, s->reset_wait_ms, NULL, info, why,
	                              why_len, NULL, NULL);
	if (err == ATT_OK && (info->channels != ATT_WIRE_CHANNELS || info->adc_bits == 0 ||
	                      info->adc_bits > 16 || info->rate_hz == 0)) {
		if (why && why_len)
			snprintf(why, why_len,
			         "%s answers with %u channels of %u bits at %u Hz; attune "
			         "needs the 4-channel attune firmware",
			         s->path, info->channels, info->adc_bits, info->rate_hz);
		err = ATT_ERR_NOT_ATTUNE;
	}
	if (err == ATT_OK && info->streaming) {
		err = att_device_stop(s->port, s->dec, 1000);
		if (err != ATT_OK)
			say(why, why_len, "%s does not answer the stop command", s->path);
	}
	s->rate = info->rate_hz;
	if (err == ATT_OK && rate_hz && rate_hz != info->rate_hz) {
		err = att_device_set_rate(s->port, s->dec, rate_hz, 1000, &ack);
		if (err == ATT_ERR_RANGE) {
			if (why && why_len)
				snprintf(why, why_len,
				         "%s refused the rate %u Hz (it runs at %u Hz)", s->path,
				         rate_hz, ack.value);
		} else if (err != ATT_OK) {
			say(why, why_len, "%s does not answer the set-rate command", s->path);
		}
		s->rate = rate_hz;
		info->rate_hz = (uint16_t)rate_hz;
	}
	info->streaming = 0;
	return err;
}

/* What the consumer sees of a device: counts of a 5 V (or vref) ADC, in mV. */
static void fill_status(struct att_source_status *st, const struct serial *s,
                        const struct att_wire_info *info)
{
	snprintf(st->name, sizeof st->name, "%.95s", s->path);
	st->rate_hz = s->rate;
	st->channel_mask = (1u << ATT_WIRE_CHANNELS) - 1u;
	st->adc_max = (double)((1u << info->adc_bits) - 1u);
	st->unit = "mV";
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
		st->gain[c] = (info->vref_mv ? info->vref_mv : 5000.0) / st->adc_max;
	st->info = *info;
}

int att_source_open_serial(const struct att_serial_cfg *cfg, struct att_source **out, char *why,
                           size_t why_len)
{
	struct serial *s;
	struct att_wire_info info;
	int err;

	if (why && why_len)
		why[0] = 0;
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !cfg->path || !cfg->path[0] || strlen(cfg->path) >= sizeof s->path) {
		say(why, why_len, "no usable serial port path given%s", "");
		return ATT_ERR_ARG;
	}
	if (cfg->rate_hz &&
	    (cfg->rate_hz < ATT_WIRE_RATE_MIN || cfg->rate_hz > ATT_WIRE_RATE_MAX)) {
		if (why && why_len)
			snprintf(why, why_len, "rate %u Hz is outside %u..%u Hz", cfg->rate_hz,
			         ATT_WIRE_RATE_MIN, ATT_WIRE_RATE_MAX);
		return ATT_ERR_RANGE;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return ATT_ERR_NOMEM;
	snprintf(s->path, sizeof s->path, "%s", cfg->path);
	s->backend = cfg->backend;
	s->silence_ms = cfg->silence_ms > 0 ? cfg->silence_ms : DEFAULT_SILENCE_MS;
	s->reset_wait_ms = cfg->reset_wait_ms > 0         ? cfg->reset_wait_ms
	                   : att_serial_is_pty(cfg->path) ? 0
	                                                  : DEVICE_RESET_WAIT_MS;
	err = att_decoder_new(&s->dec);
	if (err == ATT_OK)
		err = att_ring_new(&(struct att_ring_cfg){.elem_size = sizeof(struct att_sample),
		                                          .capacity = cfg->ring_capacity
		                                                              ? cfg->ring_capacity
		                                                              : DEFAULT_RING},
		                   &s->ring);
	if (err != ATT_OK) {
		say(why, why_len,
		    err == ATT_ERR_ARG ? "ring capacity must be a power of two%s"
		                       : "out of memory%s",
		    "");
		serial_free_impl(s);
		return err;
	}
	err = att_serial_port_open(s->path, (enum att_serial_backend)s->backend, &s->port, why,
	                           why_len);
	if (err == ATT_OK && att_serial_port_flush_input(s->port) != ATT_OK) {
		say(why, why_len, "cannot flush the input of %s", s->path);
		err = ATT_ERR_IO;
	}
	if (err == ATT_OK)
		err = prepare_device(s, cfg->rate_hz, &info, why, why_len);
	if (err == ATT_OK)
		err = att_source_alloc(&serial_ops, s, out);
	if (err != ATT_OK) {
		serial_free_impl(s);
		return err;
	}
	atomic_store(&s->state, ATT_SOURCE_IDLE);
	att_decoder_reset_sequence(s->dec);
	fill_status(&(*out)->st, s, &info);
	return ATT_OK;
}
