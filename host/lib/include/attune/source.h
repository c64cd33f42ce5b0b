/* Sources of samples behind one interface: a device or the simulated board over serial, a
 * generated couple, a recording played back. Whatever the source, the consumer sees the same
 * thing: sample instants with a device sample counter and four 16-bit counts, plus a status.
 *
 * Values travel as counts (struct att_sample) so rings and the raw capture stay compact and a
 * device's samples are kept exactly; physical value = offset[c] + gain[c] * count. Sources that
 * produce physical values (files, the generated couple) quantise them to 16 bits over the
 * channel's range, far finer than any sensor here.
 *
 * Threads: a source is driven by one thread (the main loop): start, read, status and free are
 * called from it. Serial sources run their own acquisition thread inside; reads never block. */
#ifndef ATT_SOURCE_H
#define ATT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "attune/wire.h"
#include "attune/couple.h"
#include "attune/err.h"
#include "attune/recording.h"
#include "attune/sample.h"

struct att_source;

enum att_source_state {
	ATT_SOURCE_IDLE = 0,     /* opened, not started */
	ATT_SOURCE_CONNECTING,   /* waiting for the device to answer */
	ATT_SOURCE_STREAMING,    /* samples are flowing */
	ATT_SOURCE_RECONNECTING, /* the device went away; retrying */
	ATT_SOURCE_ENDED,        /* a finite source (file) has delivered everything */
	ATT_SOURCE_FAILED,       /* gave up; status.error says why */
};

struct att_source_status {
	enum att_source_state state;
	char name[96];         /* what the user sees: "/dev/ttyACM0", "simulated board", ... */
	double rate_hz;        /* sample rate */
	unsigned channel_mask; /* bit c set when channel c carries signal */
	double gain[ATT_WIRE_CHANNELS]; /* physical = offset + gain * count */
	double offset[ATT_WIRE_CHANNELS];
	double adc_max;            /* full-scale count of a device (1023), 0 for files/generated */
	const char *unit;          /* physical unit of the values ("mV", "" when unknown) */
	struct att_wire_info info; /* the device's info frame; a recording of board counts: their
	                            * format, rate 0 (not a device); zeroed otherwise */
	uint64_t samples;          /* samples delivered */
	uint64_t samples_lost; /* samples known missing (sequence gaps, overflows, disconnects) */
	uint64_t frames_bad;   /* damaged frames dropped (CRC, framing) */
	uint64_t frames_duplicate; /* frames repeating the last sample, dropped */
	uint64_t frames_stale; /* frames older than the last sample (swapped, replayed), dropped */
	uint64_t overruns;     /* samples the consumer did not drain in time */
	uint32_t reconnects;   /* times the device came back */
	int error;             /* last enum att_err, ATT_OK when none */
};

/* A generated couple played at `speed` times real time (0 = as fast as read). *out set to NULL
 * first; caller frees with att_source_free(). */
int att_source_open_couple(const struct att_couple_cfg *cfg, double speed, struct att_source **out);

/* A recording played at `speed` times real time (0 = as fast as read); the source takes ownership
 * of rec (freed with the source, also on failure). `name` is shown to the user (copied). */
int att_source_open_recording(struct att_recording *rec, const char *name, double speed,
                              struct att_source **out);

/* A device running the attune firmware, or the simulated board's pty (source_serial.c). */
struct att_serial_cfg {
	const char *path;  /* port, e.g. /dev/ttyACM0 or /tmp/attune-sim; borrowed for the call */
	unsigned rate_hz;  /* sample rate to set; 0 = keep the device's (250 Hz after reset) */
	int backend;       /* enum att_serial_backend (serial_port.h); 0 = auto */
	int reset_wait_ms; /* wait for a device's reset on open; <= 0 = default (2000 ms for
	                         devices, whose bootloader runs on open; none for ptys) */
	int silence_ms;    /* streaming silence that counts as a disconnect; 0 = 1000 */
	size_t ring_capacity; /* samples, a power of two; 0 = 16384 (65 s at 250 Hz) */
};

/* Opens the port and runs the identify handshake (blocks up to reset wait + 1 s), setting the
 * rate if asked. att_source_start() then starts the acquisition thread and streaming. Counters
 * delivered are the device's, continued across device restarts so they never go back: a sample's
 * time is counter / rate, and a counter jump is a gap (status.samples_lost counts it). A lost
 * device is retried in the background (state RECONNECTING) until att_source_free().
 * *out is set to NULL first; caller frees with att_source_free() (sends stop to the device).
 * Errors with one line in why: ATT_ERR_NO_PORT, ATT_ERR_PERMISSION, ATT_ERR_BUSY,
 * ATT_ERR_UNSUPPORTED, ATT_ERR_NOT_ATTUNE, ATT_ERR_VERSION, ATT_ERR_RANGE (rate refused),
 * ATT_ERR_IO, ATT_ERR_NOMEM, ATT_ERR_ARG. Main thread. */
int att_source_open_serial(const struct att_serial_cfg *cfg, struct att_source **out, char *why,
                           size_t why_len);

/* Starts delivering samples (time starts now). */
int att_source_start(struct att_source *src);

/* Copies up to max samples that are due into out, oldest first; never blocks. Returns the count
 * (0 when nothing is due yet). */
size_t att_source_read(struct att_source *src, struct att_sample *out, size_t max);

/* Copies up to max samples due by signal time t into out, oldest first; never blocks. Sample i
 * of a generated couple or a file is due at i / rate (t may run ahead of the wall clock: this is
 * how a session fast-forwards); a device's samples are due once they have arrived, whatever t.
 * Returns the count. Do not mix with att_source_read() on one source. */
size_t att_source_read_until(struct att_source *src, double t, struct att_sample *out, size_t max);

/* Files only: the next read starts at sample index (clipped to the end). ATT_ERR_UNSUPPORTED for
 * other kinds. */
int att_source_seek(struct att_source *src, uint64_t index);

/* Fills *out with the current status (valid until the next call into the source). */
void att_source_status(const struct att_source *src, struct att_source_status *out);

/* Stops any thread, releases the device; NULL is a no-op. */
void att_source_free(struct att_source *src);

/* Physical value of channel c of a sample, per the source's status. */
static inline float att_source_value(const struct att_source_status *st, const struct att_sample *s,
                                     unsigned c)
{
	return (float)(st->offset[c] + st->gain[c] * s->ch[c]);
}

#endif
