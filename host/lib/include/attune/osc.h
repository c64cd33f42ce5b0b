/* Open Sound Control (OSC over UDP, liblo): the live session's features out to other programs
 * (sound, light, visuals), markers and notes in from them.
 *
 * Out (the public contract: README "Working with other programs (OSC)"; never change a path or
 * an argument's type or position, only add):
 *   /attune/start   f rate_hz, s source name                        at START
 *   /attune/sync    f match, f plv, f plv_chance, f relative_phase_deg, f lag_s
 *   /attune/a       f phase_rad, f breath_rate_bpm, f heart_rate_bpm, s quality
 *   /attune/b       the same for B                                  per snapshot, in one bundle
 *   /attune/event   s kind, f t, s text, f value                    per event
 *   /attune/samples i first_index, then 4 f per sample              with send_samples
 *   /attune/end     (no argument)                                   at END
 * Unknown values (settling) are NaN floats. quality is the chest belt's state as one word:
 * "absent", "flat", "saturated", "implausible", "settling" or "ok" (the first that applies).
 *
 * Out never blocks the live loop: receive() copies the packet into a lock-free ring and returns;
 * a sender thread builds and sends the datagrams. What cannot be sent (ring full, socket buffer
 * full, nobody listening: ECONNREFUSED) is dropped and counted, never an error: UDP may lose
 * messages anyway, and a missing light show must not stop a session.
 *
 * In: a thread listening on UDP port cfg->port at cfg->bind (127.0.0.1 unless asked: other
 * machines cannot inject markers by default) takes /attune/marker [s text] and /attune/note
 * s text, stamps each with att_clock_ns() on arrival and hands it to cfg->post (the app wires
 * att_session_post(), which is safe from any thread). Optionally a UNIX datagram socket takes one
 * marker per line. liblo 0.31 cannot bind a server to one address (it always binds all
 * interfaces), so the socket is ours and liblo only decodes what arrives.
 *
 * Threads: att_osc_out_sink's functions run on the session's main thread; the stats getters on
 * any thread. cfg->post runs on the OSC input thread. */
#ifndef ATT_OSC_H
#define ATT_OSC_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"
#include "attune/session.h"

#define ATT_OSC_SAMPLES_MAX                                                                        \
	64u /* samples per /attune/samples message: 1 KiB of floats, well
                                   under any path MTU's fragmentation worries */

/* A HOST:PORT as typed on the command line. */
struct att_osc_target {
	char host[256];
	unsigned port;
};

/* Parses "HOST:PORT" ("127.0.0.1:9000", "mixer.local:57120", "[::1]:9000"). ATT_OK, or
 * ATT_ERR_ARG with one line in why (empty host, missing or bad port, port outside 1..65535). */
int att_osc_parse_target(const char *text, struct att_osc_target *out, char *why, size_t why_len);

struct att_osc_out_cfg {
	const char *host;         /* name or address; resolved once, in att_osc_out_new() */
	unsigned port;            /* 1..65535 */
	int send_samples;         /* 1: also /attune/samples (--osc-samples) */
	unsigned samples_per_msg; /* samples batched per /attune/samples; 0 = 25 (10 messages/s
	                              at 250 Hz); at most ATT_OSC_SAMPLES_MAX */
	size_t queue;             /* messages the ring holds; 0 = 1024 (many seconds at 10/s) */
};

struct att_osc_out_stats {
	uint64_t sent;    /* datagrams the kernel took (a snapshot's bundle counts once) */
	uint64_t dropped; /* datagrams lost here: queue full or send failed */
	uint64_t refused; /* of dropped: ECONNREFUSED (nobody listens at the target) */
	int last_errno;   /* errno of the last failed send, 0 if none */
};

/* The sink's context: resolves the target, opens a UDP socket to it and starts the sender
 * thread. *ctx_out set to NULL first. Hand ctx to att_session_add_sink(s, &att_osc_out_sink,
 * ctx), which then owns it; a ctx never added is released with att_osc_out_sink.cleanup(ctx).
 * ATT_ERR_ARG (bad cfg, unknown host), ATT_ERR_IO (socket, thread), ATT_ERR_NOMEM; one line in
 * why. */
int att_osc_out_new(const struct att_osc_out_cfg *cfg, void **ctx_out, char *why, size_t why_len);

/* The sink ("osc"): receive() only fails for a NULL packet; cleanup() sends what is queued
 * (END included), stops the thread and frees ctx. */
extern const struct att_sink att_osc_out_sink;

/* Any thread: counters of ctx (from att_osc_out_new()), until its cleanup() ran. */
void att_osc_out_stats(const void *ctx, struct att_osc_out_stats *out);

/* Called for each marker or note on the input thread. kind: ATT_EV_MARKER or ATT_EV_NOTE;
 * host_ns: CLOCK_MONOTONIC on arrival; value 0; text borrowed for the call (may be ""). Returns
 * ATT_OK or an error (counted as refused, e.g. the session's queue was full). */
typedef int (*att_osc_post_fn)(void *ctx, uint8_t kind, int64_t host_ns, double value,
                               const char *text);

struct att_osc_in_cfg {
	unsigned port;         /* UDP port; 0 = any free one (see att_osc_in_address()) */
	const char *bind;      /* numeric address to listen on; NULL = "127.0.0.1" (this machine
	                          only); "0.0.0.0" or "::" = every interface, only when asked */
	const char *unix_path; /* also a UNIX datagram socket here taking one marker per line;
	                          NULL = none. A stale socket file is replaced, any other file is
	                          refused. */
	att_osc_post_fn post;  /* required */
	void *ctx;
};

struct att_osc_in_stats {
	uint64_t markers; /* /attune/marker and UNIX socket lines handed to post */
	uint64_t notes;   /* /attune/note handed to post */
	uint64_t refused; /* post returned an error */
	uint64_t ignored; /* other paths, wrong argument types, undecodable datagrams */
};

struct att_osc_in;

/* Opens the sockets and starts the thread. *out set to NULL first; caller frees with
 * att_osc_in_free(). ATT_ERR_BUSY (port or UNIX path in use), ATT_ERR_ARG (bad address, not an
 * address of this machine, no post), ATT_ERR_PERMISSION, ATT_ERR_IO, ATT_ERR_NOMEM; one line in
 * why saying what to do ("port 9000 is in use; pick another with --osc-listen PORT"). */
int att_osc_in_new(const struct att_osc_in_cfg *cfg, struct att_osc_in **out, char *why,
                   size_t why_len);

/* Stops the thread (post is not called after it returns), closes the sockets, removes the UNIX
 * socket file; NULL is a no-op. */
void att_osc_in_free(struct att_osc_in *in);

/* Where the UDP socket is bound (getsockname): numeric address and port. */
int att_osc_in_address(const struct att_osc_in *in, char *addr, size_t addr_len, unsigned *port);

/* Any thread. */
void att_osc_in_stats(const struct att_osc_in *in, struct att_osc_in_stats *out);

#endif
