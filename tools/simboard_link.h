/* The simulated board's serial cable: a pseudo-terminal whose slave is published at a stable
 * symlink (e.g. /tmp/attune-sim), so a host opens it like a USB serial port.
 *
 * Main invariant: every byte the board sends is accounted for exactly once, as delivered to the pty,
 * held in the out buffer, or lost because the cable was unplugged; nothing is ever dropped silently.
 * When the host does not drain the pty the out buffer grows; att_simboard_link_congested() tells the
 * caller to pause the simulation (backpressure) long before the buffer could fill.
 *
 * The link keeps a slave fd open itself: without it the master reads EIO and polls HUP whenever no
 * host is attached, and the bytes sent before a host opens the port would be lost.
 *
 * Threads: one link belongs to one thread (the simulation loop); nothing here locks. */
#ifndef ATT_SIMBOARD_LINK_H
#define ATT_SIMBOARD_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_simboard_link;

struct att_simboard_link_cfg {
	const char *path; /* symlink to publish; borrowed for the call (copied) */
	size_t out_bound; /* buffered board->host bytes above which the board is paused */
};

struct att_simboard_link_stats {
	uint64_t bytes_to_host;        /* written to the pty */
	uint64_t bytes_from_host;      /* read from the pty */
	uint64_t bytes_lost_unplugged; /* board output discarded while (or when) unplugged */
	uint64_t max_buffered;         /* high-water mark of the out buffer */
	uint64_t congested_polls;      /* service calls made while the board was paused */
	unsigned unplugs, plugs;
};

/* Creates the pty, sets the slave raw at 115200 baud and publishes it at cfg->path (replacing what
 * is there atomically). *out is set to NULL first; caller frees with att_simboard_link_free().
 * On failure writes one actionable line into why. Returns ATT_OK, ATT_ERR_ARG, ATT_ERR_NOMEM,
 * ATT_ERR_IO or ATT_ERR_PERMISSION. */
enum att_err att_simboard_link_new(const struct att_simboard_link_cfg *cfg,
                                   struct att_simboard_link **out, char *why, size_t why_len);

/* Closes the pty and removes the symlink if it still points at this link's pty. NULL is a no-op. */
void att_simboard_link_free(struct att_simboard_link *link);

/* Pulls the cable: closes the pty, removes the symlink, discards buffered output (counted as lost).
 * A host holding the old slave sees a hang-up. No-op when already unplugged. */
void att_simboard_link_unplug(struct att_simboard_link *link);

/* Plugs a new pty in at the same path. No-op when plugged. Same errors as _new. */
enum att_err att_simboard_link_plug(struct att_simboard_link *link, char *why, size_t why_len);

int att_simboard_link_plugged(const struct att_simboard_link *link);

/* The pty slave's name (e.g. /dev/pts/3), or "" while unplugged. Valid until the next plug/unplug. */
const char *att_simboard_link_slave(const struct att_simboard_link *link);

/* Queues one board->host byte; when unplugged it is counted as lost. Never allocates: the buffer
 * is sized at creation to twice out_bound, and the caller keeps it below out_bound between runs. */
void att_simboard_link_put(struct att_simboard_link *link, uint8_t byte);

/* Moves bytes both ways: writes buffered output to the pty, reads the host's bytes into the in
 * buffer. Waits at most timeout_ms (0: do not wait) for the pty to become readable, or writable while
 * output is pending. Returns ATT_OK or ATT_ERR_IO (the pty failed; the caller should stop). */
enum att_err att_simboard_link_service(struct att_simboard_link *link, int timeout_ms);

/* 1 when more than out_bound bytes wait for the host: the caller must not run the board. */
int att_simboard_link_congested(const struct att_simboard_link *link);

/* Bytes waiting to go to the host. */
size_t att_simboard_link_pending(const struct att_simboard_link *link);

/* Bytes the host has not read yet: still buffered here plus those in the pty. When the pty goes,
 * whatever is in it is lost, so an orderly end waits for this to reach 0. */
size_t att_simboard_link_unread(const struct att_simboard_link *link);

/* Looks at the next host->board byte: returns 1 and sets *byte, or 0 when there is none. The byte
 * stays queued until att_simboard_link_consume(), so a byte the board cannot take yet is kept. */
int att_simboard_link_peek(const struct att_simboard_link *link, uint8_t *byte);
void att_simboard_link_consume(struct att_simboard_link *link);

void att_simboard_link_stats(const struct att_simboard_link *link,
                             struct att_simboard_link_stats *out);

#endif
