/* The snapshot sink: each engine snapshot as one JSON line (attune live --snapshots FILE|-),
 * the keys the README lists under "Live view and sound".
 *
 * The main loop never writes or flushes: receive() copies the snapshot into a ring and a writer
 * thread formats, writes and (in real time) flushes each line, so a slow disk or a reader that
 * stops reading a pipe cannot stall the view. A write that fails (disk full, a closed pipe)
 * detaches the sink with one line saying why; the session goes on.
 *
 * Threads: new on the main thread; receive/cleanup are called by the session (main thread). */
#ifndef ATT_SNAPSHOTS_H
#define ATT_SNAPSHOTS_H

#include <stddef.h>

#include "attune/session.h"

struct att_snapshots_cfg {
	const char *path; /* file to create, "-" = standard output; borrowed for the call */
	int realtime;     /* 1: flush every line (a reader follows them as they come); 0: write in
	                     big blocks and never drop a line (fast-forward: the loop waits for the
	                     writer when the ring is full, as nothing is real time then) */
	/* the story's stage for the optional "stage" key ("locking in"), NULL for none; called on
	 * the main thread at each snapshot with its time */
	const char *(*stage)(void *ctx, double t);
	void *stage_ctx;
};

/* Opens the output and starts the writer. *ctx_out set to NULL first; hand it to
 * att_session_add_sink(s, &att_snapshots_sink, ctx). One line in why: ATT_ERR_IO,
 * ATT_ERR_PERMISSION, ATT_ERR_NOMEM. */
int att_snapshots_new(const struct att_snapshots_cfg *cfg, void **ctx_out, char *why,
                      size_t why_len);

extern const struct att_sink att_snapshots_sink;

#endif
