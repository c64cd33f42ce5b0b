/* Rooms: the payloads two attune hosts (and an observer) exchange over an MQTT broker, and the
 * rule that drops repeated and stale messages. Version 1, documented in the README ("Rooms").
 *
 * Topics are attune/ROOM/SIDE/KIND with SIDE a, b or observer-XXXXXXXX and KIND one of samples,
 * events, hello (retained), status (retained, also the last will), clock. Every payload starts
 * with the version byte and a type byte, then little-endian fields written byte by byte (never a
 * cast of a packed struct), so any MQTT client can read them:
 *
 *   samples  1 1 | instance u32 | seq u32 | counter u32 | t0_ns i64 | rate_mhz u32 | n u8 |
 *            n x (resp u16, ppg u16)                           27 + 4 n bytes (127 for 25)
 *   hello    1 2 | instance u32 | rate_mhz u32 | adc_bits u8 | vref_mv u16 | name_len u8 | name
 *   status   1 3 | instance u32 | online u8
 *   ping     1 4 | instance u32 | id u32 | t1_ns i64
 *   pong     1 5 | instance u32 | to_instance u32 | id u32 | t1_ns i64 | t2_ns i64 | t3_ns i64
 *   event    1 6 | instance u32 | seq u32 | t_ns i64 | kind u8 | value f64 bits u64 |
 *            text_len u8 | text
 *
 * instance is a random number per run of a sender: a restarted host is a new stream, its
 * sequence numbers start again at 0. Times are the sender's CLOCK_MONOTONIC; the receiver puts
 * them on its own clock with the offset its clock alignment (room_clock.h) estimates.
 *
 * Any thread: these functions keep no state of their own. */
#ifndef ATT_ROOM_WIRE_H
#define ATT_ROOM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

#define ATT_ROOM_WIRE_VERSION 1u
#define ATT_ROOM_BATCH        25u /* samples per message: 10 messages/s at 250 Hz */
#define ATT_ROOM_NAME_MAX     64u /* bytes of a partner's name, NUL included */
#define ATT_ROOM_TEXT_MAX     128u
#define ATT_ROOM_SAMPLES_HEADER 27u
#define ATT_ROOM_MSG_MAX      (ATT_ROOM_SAMPLES_HEADER + 4u * ATT_ROOM_BATCH + 160u)

enum att_room_msg_type {
	ATT_ROOM_SAMPLES = 1,
	ATT_ROOM_HELLO = 2,
	ATT_ROOM_STATUS = 3,
	ATT_ROOM_PING = 4,
	ATT_ROOM_PONG = 5,
	ATT_ROOM_EVENT = 6,
};

struct att_room_samples {
	uint32_t seq;     /* +1 per samples message of this instance */
	uint32_t counter; /* the sender's sample counter of resp[0] */
	int64_t t0_ns;    /* the sender's monotonic time of resp[0] (its counter placed on its
	                     clock, room_clock.h's att_room_timeline) */
	uint32_t rate_mhz; /* sample rate in millihertz */
	uint8_t n;         /* 1..ATT_ROOM_BATCH */
	uint16_t resp[ATT_ROOM_BATCH], ppg[ATT_ROOM_BATCH]; /* ADC counts */
};

struct att_room_hello {
	uint32_t rate_mhz;
	uint8_t adc_bits;
	uint16_t vref_mv;
	char name[ATT_ROOM_NAME_MAX]; /* NUL-terminated */
};

struct att_room_status {
	uint8_t online; /* 0: the sender said goodbye, or the broker published its last will */
};

struct att_room_clock_msg {
	uint32_t to_instance; /* pong: the pinger's instance */
	uint32_t id;
	int64_t t1_ns, t2_ns, t3_ns; /* ping sent (pinger's clock), received and answered
	                                (ponger's clock); ping carries t1 only */
};

struct att_room_event_msg {
	uint32_t seq;
	int64_t t_ns;
	uint8_t kind; /* enum att_event_kind */
	double value;
	char text[ATT_ROOM_TEXT_MAX]; /* NUL-terminated */
};

struct att_room_msg {
	uint8_t type; /* enum att_room_msg_type */
	uint32_t instance;
	union {
		struct att_room_samples samples;
		struct att_room_hello hello;
		struct att_room_status status;
		struct att_room_clock_msg clock;
		struct att_room_event_msg event;
	} u;
};

/* Encodes m into buf (at least ATT_ROOM_MSG_MAX bytes). Returns the byte count (> 0), or
 * ATT_ERR_ARG for an unknown type or a samples message with n outside 1..ATT_ROOM_BATCH. Texts
 * longer than their field are cut. */
int att_room_encode(const struct att_room_msg *m, uint8_t *buf, size_t len);

/* Decodes a payload into *m. ATT_OK; ATT_ERR_VERSION for another version (a newer attune);
 * ATT_ERR_FORMAT for anything malformed (short, long, unknown type, n out of range). */
int att_room_decode(const uint8_t *buf, size_t len, struct att_room_msg *m);

/* Order of one sender's numbered messages (samples, events), per receiver. */
struct att_room_order {
	uint32_t instance;
	uint32_t prev_instance; /* the instance before a restart: its late messages are stale */
	uint32_t next; /* the sequence number expected next */
	int known;     /* 0 until the first message */
	uint64_t accepted, duplicate, stale, restarts;
	uint64_t missing; /* sequence numbers skipped over (messages lost) */
};

enum att_room_verdict {
	ATT_ROOM_TAKE = 0,      /* new: use it */
	ATT_ROOM_DUPLICATE = 1, /* the message just taken again (a broker's QoS 1 redelivery) */
	ATT_ROOM_STALE = 2,     /* older than one already taken (reordered, replayed) */
};

/* Judges a message of (instance, seq), counting it in *o. A new instance (the sender restarted)
 * starts the order afresh and is taken. */
enum att_room_verdict att_room_order_check(struct att_room_order *o, uint32_t instance,
                                           uint32_t seq);

/* Millivolts per ADC count of the board a hello describes: vref_mv / (2^adc_bits - 1); 0 when
 * it says nothing usable (adc_bits outside 8..16, no vref). Any thread. */
double att_room_hello_mv_per_count(const struct att_room_hello *h);

/* A count of a board with from_mv millivolts per count as a count of a board with to_mv per
 * count (rounded, held within 0..65535): the partner's samples on this host's scale. The count
 * unchanged when either scale is unknown (<= 0). Any thread. */
uint16_t att_room_rescale(uint16_t count, double from_mv, double to_mv);

#endif
