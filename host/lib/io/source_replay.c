/* A recording played back as a source, at any speed. Values are quantised to 16 bits over each
 * channel's range in the file (resolution range / 65535, far below any sensor's noise). */
#include "source_impl.h"

#include <math.h>
#include <stdio.h>

#include "attune/clock.h"

static int replay_start(struct att_source *src)
{
	const struct att_recording *rec = src->impl;
	src->st.state = rec->n ? ATT_SOURCE_STREAMING : ATT_SOURCE_ENDED;
	return ATT_OK;
}

static size_t replay_read(struct att_source *src, struct att_sample *out, size_t max)
{
	const struct att_recording *rec = src->impl;
	size_t done = (size_t)src->st.samples, n = att_source_due(src, done, max);
	int64_t now = att_clock_ns();

	if (n > rec->n - done)
		n = rec->n - done;
	for (size_t i = 0; i < n; i++) {
		out[i].host_ns = now;
		out[i].counter = (uint32_t)(done + i);
		out[i].flags = 0;
		for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++) {
			float v = rec->ch[c] ? rec->ch[c][done + i] : NAN;
			double q = isfinite(v) ? (v - src->st.offset[c]) / src->st.gain[c] : 0.0;
			out[i].ch[c] = (uint16_t)fmin(65535.0, fmax(0.0, round(q)));
		}
	}
	if (done + n >= rec->n)
		src->st.state = ATT_SOURCE_ENDED;
	return n;
}

static void replay_destroy(struct att_source *src)
{
	att_recording_free(src->impl);
}

static const struct att_source_ops replay_ops = {
        .start = replay_start,
        .read = replay_read,
        .destroy = replay_destroy,
};

int att_source_open_recording(struct att_recording *rec, const char *name, double speed,
                              struct att_source **out)
{
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
	err = att_source_alloc(&replay_ops, rec, out);
	if (err) {
		att_recording_free(rec);
		return err;
	}
	struct att_source_status *st = &(*out)->st;
	(*out)->speed = speed;
	snprintf(st->name, sizeof st->name, "%s", name ? name : "recording");
	st->rate_hz = rec->rate_hz;
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
		st->offset[c] = lo;
		st->gain[c] = hi > lo ? ((double)hi - lo) / 65535.0 : 1.0;
	}
	return ATT_OK;
}
