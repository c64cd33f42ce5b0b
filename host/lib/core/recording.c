/* In-memory recording: one block per channel, NAN-filled so an unwritten sample is visibly
 * missing rather than silently zero. */
#include "attune/recording.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int att_recording_new(double rate_hz, size_t n, unsigned channel_mask, struct att_recording **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!(rate_hz > 0) || !isfinite(rate_hz) || channel_mask > 0xfu ||
	    n > SIZE_MAX / sizeof(float))
		return ATT_ERR_ARG;
	struct att_recording *rec = calloc(1, sizeof *rec);
	if (!rec)
		return ATT_ERR_NOMEM;
	rec->rate_hz = rate_hz;
	rec->n = n;
	rec->meta.frames_lost = -1;
	for (int c = 0; c < 4; c++) {
		if (!(channel_mask & (1u << c)))
			continue;
		rec->ch[c] = malloc((n ? n : 1) * sizeof(float));
		if (!rec->ch[c]) {
			att_recording_free(rec);
			return ATT_ERR_NOMEM;
		}
		for (size_t i = 0; i < n; i++)
			rec->ch[c][i] = NAN;
	}
	*out = rec;
	return ATT_OK;
}

int att_recording_mark_filled(struct att_recording *rec, size_t from, size_t count)
{
	if (!rec)
		return ATT_ERR_ARG;
	if (from >= rec->n || !count)
		return ATT_OK;
	if (count > rec->n - from)
		count = rec->n - from;
	if (!rec->filled && !(rec->filled = calloc(rec->n, 1)))
		return ATT_ERR_NOMEM;
	for (size_t k = from; k < from + count; k++)
		rec->filled[k] = 1;
	return ATT_OK;
}

int att_recording_add_event(struct att_recording *rec, const struct att_event *ev)
{
	if (!rec || !ev)
		return ATT_ERR_ARG;
	/* capacity doubles whenever n reaches a power of two: no separate field to keep */
	if (!(rec->n_events & (rec->n_events - 1))) {
		size_t cap = rec->n_events ? 2 * rec->n_events : 1;
		struct att_event *p = realloc(rec->events, cap * sizeof *p);
		if (!p)
			return ATT_ERR_NOMEM;
		rec->events = p;
	}
	rec->events[rec->n_events++] = *ev;
	return ATT_OK;
}

void att_recording_free(struct att_recording *rec)
{
	if (!rec)
		return;
	for (int c = 0; c < 4; c++)
		free(rec->ch[c]);
	free(rec->filled);
	free(rec->events);
	free(rec);
}
