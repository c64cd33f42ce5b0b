/* The attune device's command protocol (device.h) on top of the byte transport (serial_port.h).
 *
 * Every answer is read through a decoder that must see every byte: a frame cut in two by a caller
 * that stopped reading in the middle of a chunk would be counted as damaged, so whatever follows
 * the awaited frame in the same chunk is fed on (feed_rest). */
#include "attune/device.h"

#include <stdarg.h>
#include <stdio.h>

#include "attune/clock.h"

/* The checkout's firmware folder (meson sets it), so a suggestion to flash works as printed. */
#ifndef ATT_FIRMWARE_DIR
#define ATT_FIRMWARE_DIR "firmware"
#endif

#define IDENTIFY_EVERY_MS 500 /* a device still in its bootloader may miss one: ask again */
#define KEEP_WAITING      1   /* scan_identify(): no answer in this chunk yet */

static const uint8_t delimiter = ATT_WIRE_DELIMITER;

static int64_t mono_ms(void)
{
	return att_clock_ns() / 1000000;
}

static void say(char *why, size_t why_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;
	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

int att_device_send(struct att_serial_port *p, uint8_t command, uint16_t arg)
{
	uint8_t frame[ATT_WIRE_MAX_FRAME];
	struct att_wire_command c = {.command = command, .arg = arg};
	size_t n = att_wire_encode_command(&c, frame);
	return att_serial_port_write(p, frame, n, 500);
}

/* Feeds the rest of a chunk after the frame a caller was waiting for. Samples in it go to
 * on_sample (if any); other frames are dropped. */
static void feed_rest(struct att_decoder *dec, const uint8_t *buf, size_t off, size_t n,
                      void (*on_sample)(void *, const struct att_wire_sample *), void *user)
{
	while (off < n) {
		struct att_wire_frame f;
		size_t used = 0;
		enum att_decode_result r = att_decoder_feed(dec, buf + off, n - off, &used, &f);
		off += used;
		if (r == ATT_DECODE_VALID && f.type == ATT_WIRE_SAMPLE && on_sample)
			on_sample(user, &f.u.sample);
		if (r == ATT_DECODE_NEED_MORE || used == 0)
			break;
	}
}

int att_device_command(struct att_serial_port *p, struct att_decoder *dec, uint8_t command,
                       uint16_t arg, int timeout_ms, struct att_wire_ack *ack)
{
	const int64_t deadline = mono_ms() + timeout_ms;
	uint8_t buf[512];
	int err = att_device_send(p, command, arg);
	if (err)
		return err;
	while (mono_ms() < deadline) {
		size_t off = 0;
		int n = att_serial_port_read(p, buf, sizeof buf, 20);
		if (n < 0)
			return n;
		while (off < (size_t)n) {
			struct att_wire_frame f;
			size_t used = 0;
			enum att_decode_result r =
			        att_decoder_feed(dec, buf + off, (size_t)n - off, &used, &f);
			off += used;
			if (r == ATT_DECODE_VALID && f.type == ATT_WIRE_ACK &&
			    f.u.ack.command == command) {
				*ack = f.u.ack;
				feed_rest(dec, buf, off, (size_t)n, NULL, NULL);
				return ATT_OK;
			}
			if (used == 0)
				break;
		}
	}
	return ATT_ERR_TIMEOUT;
}

/* One identify handshake under way. */
struct identify {
	struct att_decoder *hs;  /* the handshake's own decoder */
	struct att_decoder *dec; /* the caller's, set in step after the info frame */
	const char *path;
	struct att_wire_info *info;
	char *why;
	size_t why_len;
	void (*on_sample)(void *user, const struct att_wire_sample *s);
	void *user;
};

/* Looks for the info frame in one chunk: ATT_OK (found; the caller's decoder goes on exactly
 * after it), ATT_ERR_VERSION (intact frames of another protocol version) or KEEP_WAITING. */
static int scan_identify(struct identify *id, const uint8_t *buf, size_t n)
{
	size_t off = 0;
	while (off < n) {
		struct att_wire_frame f;
		struct att_decoder_stats st;
		size_t used = 0;
		enum att_decode_result r = att_decoder_feed(id->hs, buf + off, n - off, &used, &f);
		off += used;
		if (r == ATT_DECODE_VALID && f.type == ATT_WIRE_INFO) {
			*id->info = f.u.info;
			att_decoder_reset(id->dec);
			feed_rest(id->dec, &delimiter, 0, 1, NULL, NULL);
			feed_rest(id->dec, buf, off, n, id->on_sample, id->user);
			return ATT_OK;
		}
		if (r == ATT_DECODE_VALID && f.type == ATT_WIRE_SAMPLE && id->on_sample)
			id->on_sample(id->user, &f.u.sample);
		if (r == ATT_DECODE_INVALID) {
			att_decoder_stats(id->hs, &st);
			if (st.version_errors > 0) {
				say(id->why, id->why_len,
				    "%s runs attune firmware speaking protocol version %u, this "
				    "attune speaks version %u: flash this release's firmware (make -C "
				    "" ATT_FIRMWARE_DIR " flash PORT=%s; needs avrdude)",
				    id->path, st.last_foreign_version, ATT_WIRE_VERSION, id->path);
				return ATT_ERR_VERSION;
			}
		}
		if (used == 0)
			break;
	}
	return KEEP_WAITING;
}

/* The one line saying why nothing answered within wait_ms. */
static void say_not_attune(const struct identify *id, uint64_t bytes, int64_t wait_ms)
{
	if (bytes)
		say(id->why, id->why_len,
		    "%s is not attune firmware: it sent %llu bytes but no attune info frame within "
		    "%.1f s (wrong port? flash the firmware: make -C " ATT_FIRMWARE_DIR
		    " flash PORT=%s; needs avrdude)",
		    id->path, (unsigned long long)bytes, (double)wait_ms / 1000.0, id->path);
	else
		say(id->why, id->why_len,
		    "%s is not attune firmware: no answer within %.1f s (wrong port, board not "
		    "flashed, or another baud rate?)",
		    id->path, (double)wait_ms / 1000.0);
}

int att_device_identify(struct att_serial_port *p, struct att_decoder *dec, const char *path,
                        int reset_wait_ms, const atomic_int *stop, struct att_wire_info *info,
                        char *why, size_t why_len,
                        void (*on_sample)(void *user, const struct att_wire_sample *s), void *user)
{
	const int64_t t0 = mono_ms();
	const int64_t deadline = t0 + (reset_wait_ms > 0 ? reset_wait_ms : 0) + 1000;
	int64_t next_identify = t0;
	struct identify id = {NULL, dec, path, info, why, why_len, on_sample, user};
	uint64_t bytes = 0;
	uint8_t buf[512];
	int err = att_decoder_new(&id.hs);

	if (err != ATT_OK) {
		say(why, why_len, "out of memory");
		return err;
	}
	/* An idle device answers identify at a frame boundary, but a decoder fresh from a reset
	 * skips everything up to the first delimiter, i.e. the whole answer (then we would wait for
	 * the next identify). The handshake's own decoder takes the first byte as a frame start; the
	 * damage it may see (we flushed in the middle of a frame) stays in its counters. */
	att_decoder_feed(id.hs, &delimiter, 1, &(size_t){0}, &(struct att_wire_frame){0});
	err = KEEP_WAITING;
	while (err == KEEP_WAITING && mono_ms() < deadline && !(stop && atomic_load(stop))) {
		int n = 0;
		if (mono_ms() >= next_identify) {
			n = att_device_send(p, ATT_CMD_IDENTIFY, 0);
			next_identify = mono_ms() + IDENTIFY_EVERY_MS;
		}
		if (n != ATT_ERR_DISCONNECTED && n != ATT_ERR_IO)
			n = att_serial_port_read(p, buf, sizeof buf, 50);
		if (n < 0) {
			say(why, why_len, "%s went away while attune was asking who it is", path);
			err = n;
			break;
		}
		bytes += (uint64_t)n;
		err = scan_identify(&id, buf, (size_t)n);
	}
	att_decoder_free(id.hs);
	if (err != KEEP_WAITING)
		return err;
	if (stop && atomic_load(stop)) {
		say(why, why_len, "stopped while waiting for %s", path);
		return ATT_ERR_TIMEOUT;
	}
	say_not_attune(&id, bytes, deadline - t0);
	return ATT_ERR_NOT_ATTUNE;
}

int att_device_start(struct att_serial_port *p)
{
	return att_device_send(p, ATT_CMD_START, 0);
}

int att_device_stop(struct att_serial_port *p, struct att_decoder *dec, int timeout_ms)
{
	struct att_wire_ack ack;
	if (timeout_ms <= 0 || !dec)
		return att_device_send(p, ATT_CMD_STOP, 0);
	return att_device_command(p, dec, ATT_CMD_STOP, 0, timeout_ms, &ack);
}

int att_device_set_rate(struct att_serial_port *p, struct att_decoder *dec, unsigned rate_hz,
                        int timeout_ms, struct att_wire_ack *ack)
{
	struct att_wire_ack a;
	int err = att_device_command(p, dec, ATT_CMD_SET_RATE, (uint16_t)rate_hz, timeout_ms, &a);
	if (err != ATT_OK)
		return err;
	if (ack)
		*ack = a;
	return a.status == ATT_ACK_OK && a.value == rate_hz ? ATT_OK : ATT_ERR_RANGE;
}

int att_device_ping(struct att_serial_port *p, struct att_decoder *dec, uint16_t value,
                    int timeout_ms)
{
	struct att_wire_ack ack;
	int err = att_device_command(p, dec, ATT_CMD_PING, value, timeout_ms, &ack);
	if (err != ATT_OK)
		return err;
	return ack.status == ATT_ACK_OK && ack.value == value ? ATT_OK : ATT_ERR_DEVICE;
}
