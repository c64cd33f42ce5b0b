/* A session's signals held in memory: what file readers produce and offline analysis consumes. */
#ifndef ATT_RECORDING_H
#define ATT_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_recording {
	double rate_hz;  /* uniform sample rate */
	size_t n;        /* samples per channel */
	float *ch[4];    /* enum att_wire_channel order; NULL for an absent channel (e.g. no PPG) */
	double t0;       /* time of the first sample in the file, seconds */
	uint8_t *filled; /* n flags: 1 = filled in a gap (lost, not measured); NULL = none known */
};

/* Allocates a recording of n samples with the channels whose bit is set in channel_mask
 * (bit c = channel c); values are NAN. Caller frees with att_recording_free(). */
int att_recording_new(double rate_hz, size_t n, unsigned channel_mask, struct att_recording **out);
/* Marks samples [from, from + count) (clipped to n) as filled in a gap; allocates the flags on
 * first use. ATT_ERR_NOMEM. */
int att_recording_mark_filled(struct att_recording *rec, size_t from, size_t count);
/* NULL is a no-op. */
void att_recording_free(struct att_recording *rec);

#endif
