/* Recording inputs of the attune program: which reader takes a file (the dispatch attune analyze
 * uses: .csv and .edf by extension, anything else by its first bytes through
 * att_recording_read_any()) and what a file tells about its session beyond the signals (start
 * time, participants, note, markers, samples lost), for the report.
 *
 * Invariant: metadata is best effort: a file without it (a CSV) yields an empty struct, never an
 * error, so a report can always be made from anything analyze accepts.
 * Threads: main thread only (EDFlib keeps a process-wide table of open files). */
#ifndef ATT_INPUT_H
#define ATT_INPUT_H

#include <stddef.h>

#include "attune/recording.h"

#define ATT_INPUT_TEXT_MAX 128u

struct att_input_mark {
	double t; /* seconds since the first sample */
	char text[ATT_INPUT_TEXT_MAX];
};

struct att_input_meta {
	char start[64]; /* "YYYY-MM-DD HH:MM UTC"; "" when unknown */
	char label_a[64], label_b[64];
	char note[256];
	long long frames_lost; /* samples filled in gaps; -1 when the format cannot tell (CSV) */
	struct att_input_mark *marks; /* owned; att_input_meta_clear() frees */
	size_t n_marks;
};

/* Reads path with the reader its extension or first bytes call for. Same contract as the
 * readers: *out set to NULL first, caller frees with att_recording_free(), one line in why
 * (without the path) on error. */
int att_input_read(const char *path, struct att_recording **out, char *why, size_t why_len);

/* Fills *meta from path's header and annotations (raw capture: META and events; EDF+: start,
 * patient name "A_x,B_y", recording note, annotations). rate_hz places raw events on the time
 * grid. ATT_OK, or ATT_ERR_NOMEM. Caller clears with att_input_meta_clear(). */
int att_input_meta_read(const char *path, double rate_hz, struct att_input_meta *meta);

/* Frees the marks and empties *meta; safe on a zeroed or already cleared struct. */
void att_input_meta_clear(struct att_input_meta *meta);

#endif
