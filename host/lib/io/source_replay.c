/* A recording played back as a source, at any speed. Values are quantised to 16 bits over each
 * channel's range in the file (resolution range / 65535, far below any sensor's noise), except
 * attune's own recordings, whose values are the board's 10-bit counts: those pass unchanged and
 * the status carries the board's format, so a replay can be recorded again sample for sample. */
#include "source_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct replay {
	struct att_recording *rec;
	uint64_t pos; /* index in rec of the next sample; filled ones are passed over */
};

#include "attune/clock.h"

/* The board's format, the one attune's recordings (CSV, raw capture) keep. */
#define COUNT_BITS    10
#define COUNT_VREF_MV 5000

/* 1 when every value is a whole count of a COUNT_BITS converter (and the rate a whole number). */
static int holds_counts(const struct att_recording *rec)
{
	const float top = (float)((1u << COUNT_BITS) - 1u);

	if (rec->rate_hz != floor(rec->rate_hz) || rec->rate_hz > 65535.0)
		return 0; /* the capture's info keeps a whole rate */
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
		for (size_t i = 0; rec->ch[c] && i < rec->n; i++) {
			float v = rec->ch[c][i];
			if (isfinite(v) && (v < 0.0f || v > top || v != floorf(v)))
				return 0;
		}
	return 1;
}

static int replay_start(struct att_source *src)
{
	const struct replay *r = src->impl;
	src->st.state = r->pos < r->rec->n ? ATT_SOURCE_STREAMING : ATT_SOURCE_ENDED;
	return ATT_OK;
}

/* Samples the recorder filled in a gap were never measured: they are not delivered, so the
 * consumer sees the counter jump over them as it did live. */
static size_t replay_read(struct att_source *src, struct att_sample *out, size_t max)
{
	struct replay *r = src->impl;
	const struct att_recording *rec = r->rec;
	size_t due = att_source_due(src, r->pos, max), k = 0;
	uint64_t end = r->pos + due < rec->n ? r->pos + due : rec->n;
	int64_t now = att_clock_ns();

	for (; r->pos < end && k < max; r->pos++) {
		struct att_sample *o = &out[k];
		if (rec->filled && rec->filled[r->pos]) {
			src->st.samples_lost++;
			continue;
		}
		o->host_ns = now;
		o->counter = (uint32_t)r->pos;
		o->flags = 0;
		for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++) {
			float v = rec->ch[c] ? rec->ch[c][r->pos] : NAN;
			double q = isfinite(v) ? (v - src->st.offset[c]) / src->st.gain[c] : 0.0;
			o->ch[c] = (uint16_t)fmin(65535.0, fmax(0.0, round(q)));
		}
		k++;
	}
	if (r->pos >= rec->n)
		src->st.state = ATT_SOURCE_ENDED;
	return k;
}

static int replay_seek(struct att_source *src, uint64_t index)
{
	struct replay *r = src->impl;
	r->pos = index < r->rec->n ? index : r->rec->n;
	if (src->st.state != ATT_SOURCE_IDLE)
		src->st.state = r->pos < r->rec->n ? ATT_SOURCE_STREAMING : ATT_SOURCE_ENDED;
	return ATT_OK;
}

static void replay_destroy(struct att_source *src)
{
	struct replay *r = src->impl;
	att_recording_free(r->rec);
	free(r);
}

static const struct att_source_ops replay_ops = {
        .start = replay_start,
        .read = replay_read,
        .destroy = replay_destroy,
        .seek = replay_seek,
};

int att_source_open_recording(struct att_recording *rec, const char *name, double speed,
                              struct att_source **out)
{
	struct replay *r;
	int err;

	if (!out) {
		att_recording_free(rec);
		return ATT_ERR_ARG;
	}
	*out = NULL;
	if (!rec || speed < 0.0 || !(rec->rate_hz > 0.0)) {
		att_recording_free(rec);
		return ATT_ERR_ARG;
	}
	r = calloc(1, sizeof *r);
	if (!r) {
		att_recording_free(rec);
		return ATT_ERR_NOMEM;
	}
	r->rec = rec;
	err = att_source_alloc(&replay_ops, r, out);
	if (err) {
		att_recording_free(rec);
		free(r);
		return err;
	}
	struct att_source_status *st = &(*out)->st;
	(*out)->speed = speed;
	snprintf(st->name, sizeof st->name, "%s", name ? name : "recording");
	st->rate_hz = rec->rate_hz;
	if (holds_counts(rec))
		/* the counts' format; no rate: only a device sends an info frame with one */
		st->info = (struct att_wire_info){.channels = ATT_WIRE_CHANNELS,
		                                  .adc_bits = COUNT_BITS,
		                                  .vref_mv = COUNT_VREF_MV};
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++) {
		float lo = INFINITY, hi = -INFINITY;
		st->gain[c] = 1.0;
		if (!rec->ch[c])
			continue;
		for (size_t i = 0; i < rec->n; i++) {
			if (isfinite(rec->ch[c][i])) {
				lo = fminf(lo, rec->ch[c][i]);
				hi = fmaxf(hi, rec->ch[c][i]);
			}
		}
		if (!(lo <= hi))
			continue; /* no finite value: the channel is absent in effect */
		st->channel_mask |= 1u << c;
		if (st->info.adc_bits)
			continue; /* counts: offset 0, gain 1 */
		st->offset[c] = lo;
		st->gain[c] = hi > lo ? ((double)hi - lo) / 65535.0 : 1.0;
	}
	return ATT_OK;
}
