/* What a recording tells about its session beyond the signals, in the words the report and
 * replay show: start time, participants, note, frames lost and the marks on the timeline. The
 * readers (att_recording_read_any(), read_any.h) find all of it; this only words it.
 *
 * Invariant: metadata is best effort: a file without it (a CSV) yields an empty struct, never an
 * error, so a report can always be made from anything analyze accepts.
 * Threads: main thread only (EDFlib keeps a process-wide table of open files). */
#ifndef ATT_INPUT_H
#define ATT_INPUT_H

#include <stddef.h>

#include "attune/event.h"
#include "attune/read_any.h"
#include "attune/recording.h"

struct att_input_meta {
	char start[64]; /* "YYYY-MM-DD HH:MM UTC"; "" when unknown */
	char label_a[ATT_RECORDING_LABEL_MAX], label_b[ATT_RECORDING_LABEL_MAX];
	char note[256];
	long long frames_lost; /* samples filled in gaps; -1 when the format cannot tell (CSV) */
	/* owned; att_input_meta_clear() frees: the recording's events but its gaps, each text set
	 * to its label (att_event_label()) */
	struct att_event *marks;
	size_t n_marks;
};

/* Fills *meta from rec (borrowed). ATT_OK, or ATT_ERR_NOMEM. Caller clears with
 * att_input_meta_clear(). */
int att_input_meta_from(const struct att_recording *rec, struct att_input_meta *meta);

/* Frees the marks and empties *meta; safe on a zeroed or already cleared struct. */
void att_input_meta_clear(struct att_input_meta *meta);

#endif
