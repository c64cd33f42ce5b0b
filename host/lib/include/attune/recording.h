/* A session held in memory: its signals, its events and what its file says about it; what file
 * readers produce and offline analysis, the report and replay consume. */
#ifndef ATT_RECORDING_H
#define ATT_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"
#include "attune/event.h"

#define ATT_RECORDING_LABEL_MAX 256u /* bytes of a participant label, NUL included */
#define ATT_RECORDING_NOTE_MAX  256u /* bytes of the session note, NUL included */

/* What a file tells about its session beyond the signals. Best effort: what a format cannot say
 * stays empty (a CSV says nothing), so every readable file can still be analysed and reported. */
struct att_recording_meta {
	int64_t start_unix_ns; /* wall clock at the first sample (ns since 1970, UTC); 0 = unknown */
	char label_a[ATT_RECORDING_LABEL_MAX]; /* participants; "" = not given */
	char label_b[ATT_RECORDING_LABEL_MAX];
	char note[ATT_RECORDING_NOTE_MAX];
	long long frames_lost; /* samples filled in gaps; -1 = the format cannot tell */
};

struct att_recording {
	double rate_hz;  /* uniform sample rate */
	size_t n;        /* samples per channel */
	float *ch[4];    /* enum att_wire_channel order; NULL for an absent channel (e.g. no PPG) */
	double t0;       /* time of the first sample in the file, seconds */
	uint8_t *filled; /* n flags: 1 = filled in a gap (lost, not measured); NULL = none known */
	/* owned, in time order; t = seconds since the first sample, sample_index = t * rate (the
	 * sample the event sits just before); gaps are ATT_EV_GAP events */
	struct att_event *events;
	size_t n_events;
	struct att_recording_meta meta;
};

/* Allocates a recording of n samples with the channels whose bit is set in channel_mask
 * (bit c = channel c); values are NAN, no events, meta empty (frames_lost -1). Caller frees with att_recording_free(). */
int att_recording_new(double rate_hz, size_t n, unsigned channel_mask, struct att_recording **out);
/* Marks samples [from, from + count) (clipped to n) as filled in a gap; allocates the flags on
 * first use. ATT_ERR_NOMEM. */
int att_recording_mark_filled(struct att_recording *rec, size_t from, size_t count);
/* Appends a copy of ev to rec's events (the caller keeps them in time order). ATT_ERR_ARG,
 * ATT_ERR_NOMEM. */
int att_recording_add_event(struct att_recording *rec, const struct att_event *ev);
/* NULL is a no-op. */
void att_recording_free(struct att_recording *rec);

#endif
