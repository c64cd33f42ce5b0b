/* attune live / demo / replay: which source the options ask for, opened through the library's
 * source interface (source.h): a device on --port, the demo's simulated board (falling back to
 * the generated couple in-process), a recording (--input, replay), or a generated couple.
 *
 * Also the story's stage ("locking in") shown beside a generated couple: the couple's script
 * played alongside at 10 Hz, advanced to the session's signal time. Main thread only. */
#ifndef ATT_LIVE_SOURCE_H
#define ATT_LIVE_SOURCE_H

#include <stddef.h>

#include "attune/couple.h"
#include "attune/event.h"
#include "attune/source.h"
#include "demo_board.h"
#include "live_opts.h"

struct att_live_source {
	struct att_source *src;       /* handed to the session, which frees it */
	struct att_demo_board *board; /* attune demo: the simulated board behind src */
	struct att_couple *stage;     /* the script at 10 Hz, for its stage label; may be NULL */
	uint64_t stage_n;
	char stage_word[32];
	int device; /* samples arrive in real time, whatever --speed says */
	int file;   /* a recording: it cannot be recorded again; replay can seek */
	char name[128];
	/* replay: the file's markers as events, delivered as playback passes them */
	struct att_event *marks;
	size_t n_marks;
};

/* Opens what o asks for; one line in why on failure (nothing left open). */
int att_live_source_open(const struct att_live_opts *o, struct att_live_source *ls, char *why,
                         size_t why_len);

/* The stage at signal time t, or NULL (snapshots.h's stage callback; ctx = the live source). */
const char *att_live_source_stage(void *ctx, double t);

/* Stops the simulated board and frees the rest (not src: the session owns it). Call after the
 * session is freed: its source says stop to the board while the board still runs. */
void att_live_source_close(struct att_live_source *ls);

#endif
