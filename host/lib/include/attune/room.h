/* Rooms: a session shared by two homes (and a therapist) over an MQTT broker (libmosquitto).
 *
 * att_room_open() connects to the broker, makes sure this side's place in the room is free, and
 * returns a source (source.h) that the session owns like any other: two partners on one time
 * base. Partner a's belt and pulse are channels A-resp/A-PPG, b's are B-resp/B-PPG. The local
 * board's first belt and pulse (A0/A1) are this host's partner, published to the room as they
 * arrive; the other partner comes from the broker, put on this host's clock (room_clock.h) and
 * paired through the jitter buffer (room_pair.h), so the session, engine, view, recorder and
 * OSC see one four-channel device; the partner's counts are put on this host's board's scale
 * (millivolts per count from the partner's hello: Vref and ADC bits). An observer has no board: both partners come from the broker.
 * att_room_sink (a session sink) publishes the session's markers to the room, and an
 * observer's guide control (ATT_EV_GUIDE), which the partners' rooms pass on to their session.
 *
 * Wire: topics attune/ROOM/SIDE/{samples,events,hello,status,clock}, payloads in room_wire.h.
 *
 * Failures are said once through cfg.on_event and survived: the broker going away (the client
 * reconnects with backoff 1..30 s; local feedback goes on; the remote gap is annotated), a
 * partner leaving and coming back ("Ben left", "Ben is back", as ATT_EV_LEAVE / ATT_EV_JOIN).
 *
 * Threads: att_room_open(), the source and the sink are the main thread's. The room's network
 * thread runs libmosquitto's loop: it receives, batches, publishes and reconnects. Between them
 * only SPSC rings and atomics; the source's read never blocks and never allocates. */
#ifndef ATT_ROOM_H
#define ATT_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"
#include "attune/session.h"
#include "attune/source.h"

enum att_room_side { ATT_ROOM_SIDE_A = 0, ATT_ROOM_SIDE_B = 1, ATT_ROOM_OBSERVER = 2 };

/* A broker address: mqtts://HOST[:PORT] (TLS, default port 8883) or mqtt://HOST[:PORT] (plain,
 * 1883). ATT_ERR_ARG with one line in why for anything else. loopback is set when HOST is
 * localhost or a 127.x.x.x / ::1 address (where plain MQTT is harmless). */
struct att_room_broker {
	char host[256];
	int port;
	int tls;
	int loopback;
};
int att_room_parse_broker(const char *url, struct att_room_broker *out, char *why,
                          size_t why_len);

/* A fresh room code: 20 letters and digits from getrandom() (about 100 bits; unambiguous
 * alphabet, no 0/O/1/l), grouped xxxxx-xxxxx-xxxxx-xxxxx. buf needs 24 bytes. */
int att_room_new_code(char *buf, size_t len);

/* Room codes are 1..64 of [A-Za-z0-9_-] (they are MQTT topic levels: no / + #). */
int att_room_code_valid(const char *code);

struct att_room_cfg {
	struct att_room_broker broker;
	const char *cafile;   /* PEM CA for mqtts; NULL = the system's (/etc/ssl/certs) */
	const char *user;     /* NULL = anonymous */
	const char *password; /* copied */
	const char *room;     /* the room code */
	enum att_room_side side;
	const char *name;     /* how the others call us ("Ben"); NULL = "partner a"/"b" */
	double jitter_s;      /* the jitter buffer; 0 = ATT_ROOM_PAIR_DELAY_S */
	int keepalive_s;      /* MQTT keepalive; a vanished host is "left" within 1.5 x this;
	                         0 = 5 */
	int timeout_ms;       /* connecting and checking the room; 0 = 10000 */
	/* Room happenings, said once each: kind ATT_EV_JOIN / ATT_EV_LEAVE (text "Ben left"),
	 * ATT_EV_MARKER (a partner's marker, text "Ben: ..."), ATT_EV_NOTE (the broker lost and
	 * back, a remote gap, the partner's clock offset), ATT_EV_GUIDE (an observer steered the
	 * guide: value enum att_guide_control, text the guide's name). Called on the room's
	 * network thread or the main thread: must only queue (att_session_post does). */
	void (*on_event)(void *ctx, uint8_t kind, int64_t host_ns, double value, const char *text);
	void *ctx;
};

/* Connects (blocking up to timeout_ms), checks this side is free in the room, announces us and
 * returns the room's source in *out (caller, usually the session, frees it with
 * att_source_free(): says goodbye, disconnects). For a or b, local is the board (taken: freed
 * with the room's source, also on failure); for an observer it must be NULL. *out set to NULL
 * first. Errors with one line in why: ATT_ERR_ARG, ATT_ERR_NOMEM, ATT_ERR_IO (broker
 * unreachable), ATT_ERR_PERMISSION (wrong user or password, or not allowed in that room),
 * ATT_ERR_FORMAT (the broker's certificate is not trusted or not valid), ATT_ERR_BUSY (this
 * side's place is taken), ATT_ERR_TIMEOUT. */
int att_room_open(const struct att_room_cfg *cfg, struct att_source *local,
                  struct att_source **out, char *why, size_t why_len);

/* The room's own figures, for the status line and tests; src must be a room's source. */
struct att_room_stats {
	int connected;              /* to the broker now */
	uint32_t reconnects;        /* times the broker connection came back */
	int partner_online[2];      /* a, b */
	uint64_t sent_messages, sent_bytes;
	uint64_t received_samples;  /* remote samples taken */
	uint64_t duplicate, stale, missing; /* remote sample messages */
	uint64_t unplaced;          /* remote samples before the clock was known */
	double offset_ms[2];        /* partner's clock - ours, NAN unknown */
	double delay_ms[2];         /* lowest round trip */
	double jitter_s;
	uint64_t held[2], late[2];
	/* the remote partners' samples, from the time they were taken (on this host's clock): p50
	 * and p99 until this host's main thread has them, and until they reach the session (the
	 * engine), jitter buffer included; 1 ms resolution, NAN before any */
	double arrive_p50_ms, arrive_p99_ms, engine_p50_ms, engine_p99_ms;
};
/* Main thread (as the source). */
int att_room_stats(const struct att_source *src, struct att_room_stats *out);

/* The sink publishing the session's markers (ATT_EV_MARKER made on this host) to the room, and
 * an observer's guide control (ATT_EV_GUIDE; a or b publish none); ctx is the room's source
 * (borrowed: the session frees its sinks before its source). */
extern const struct att_sink att_room_sink;

#endif
