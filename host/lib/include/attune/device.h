/* The attune device's command protocol over an open port: identify, start, stop, set rate, ping.
 *
 * Apart from the byte transport (serial_port.h), as libsigrok keeps a driver's protocol.c apart
 * from serial.c: the port moves bytes and knows no command; what the device is asked, and how its
 * answers are told apart from the samples around them, is written once here for every program
 * that talks to a device (the serial source, attune ports). Answers are read through the
 * caller's decoder, which goes on in step with the stream after each call.
 *
 * Threads: the caller's; a port and its decoder belong to one thread at a time. */
#ifndef ATT_DEVICE_H
#define ATT_DEVICE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "attune/wire.h"
#include "attune/decoder.h"
#include "attune/err.h"
#include "attune/serial_port.h"

/* Encodes and sends one command without waiting for its ack. Same returns as
 * att_serial_port_write(). */
int att_device_send(struct att_serial_port *p, uint8_t command, uint16_t arg);

/* Sends a command and waits up to timeout_ms for its ack (frames before it are dropped).
 * ATT_OK with *ack filled (its status may still be an error), ATT_ERR_TIMEOUT,
 * ATT_ERR_DISCONNECTED, ATT_ERR_IO. */
int att_device_command(struct att_serial_port *p, struct att_decoder *dec, uint8_t command,
                       uint16_t arg, int timeout_ms, struct att_wire_ack *ack);

/* The identify handshake: sends identify, and resends it every 500 ms, until an info frame arrives
 * or reset_wait_ms + 1000 ms have passed (an Uno/Nano's bootloader runs 1.5-2 s after the open
 * reset; the firmware then sends an info frame by itself).
 * *stop (may be NULL) is polled so another thread can cancel it. On ATT_OK *info holds the
 * device's info frame. ATT_ERR_VERSION (intact frames of another protocol version),
 * ATT_ERR_NOT_ATTUNE (no answer, or bytes that are not attune frames), ATT_ERR_DISCONNECTED,
 * ATT_ERR_IO, with one line in why naming path. dec (borrowed) is reset and, on ATT_OK, has been
 * fed the bytes that followed the info frame, so it goes on in step.
 * Sample frames read meanwhile (a device still streaming after a reconnect) go to on_sample(user,
 * sample) when it is not NULL, else they are dropped. */
int att_device_identify(struct att_serial_port *p, struct att_decoder *dec, const char *path,
                        int reset_wait_ms, const atomic_int *stop, struct att_wire_info *info,
                        char *why, size_t why_len,
                        void (*on_sample)(void *user, const struct att_wire_sample *s), void *user);

/* Starts streaming. Does not wait: the ack arrives among the first samples, whose reader drops it;
 * a start that is lost shows as silence. Same returns as att_device_send(). */
int att_device_start(struct att_serial_port *p);

/* Stops streaming. timeout_ms > 0 waits for the ack (as att_device_command()), so the next start
 * begins a clean count; 0 only sends it, best effort on the way out (dec may then be NULL). */
int att_device_stop(struct att_serial_port *p, struct att_decoder *dec, int timeout_ms);

/* Sets the sample rate (ATT_WIRE_RATE_MIN..ATT_WIRE_RATE_MAX); takes effect at the next start.
 * ATT_OK when the device acknowledged rate_hz; ATT_ERR_RANGE when it refused (*ack, if not
 * NULL, holds its answer: value is the rate it keeps); else as att_device_command(). */
int att_device_set_rate(struct att_serial_port *p, struct att_decoder *dec, unsigned rate_hz,
                        int timeout_ms, struct att_wire_ack *ack);

/* Asks the device to echo value: ATT_OK when it did, ATT_ERR_DEVICE when it answered otherwise,
 * else as att_device_command(). Tells a live device from a silent one without disturbing it. */
int att_device_ping(struct att_serial_port *p, struct att_decoder *dec, uint16_t value,
                    int timeout_ms);

#endif
