/* The source interface (source.h): dispatch to each kind, and pacing shared by the sources that
 * generate or replay samples rather than receive them. */
#include "source_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attune/clock.h"

int att_source_alloc(const struct att_source_ops *ops, void *impl, struct att_source **out)
{
	struct att_source *src;
	*out = NULL;
	src = calloc(1, sizeof *src);
	if (!src)
		return ATT_ERR_NOMEM;
	src->ops = ops;
	src->impl = impl;
	src->st.unit = "";
	src->until_t = -1.0;
	*out = src;
	return ATT_OK;
}

size_t att_source_due(const struct att_source *src, uint64_t delivered, size_t max)
{
	double target;
	if (src->st.state != ATT_SOURCE_STREAMING)
		return 0;
	if (src->until_t >= 0.0)
		target = floor(src->until_t * src->st.rate_hz) + 1.0; /* sample i is due at i / rate */
	else if (src->speed <= 0.0)
		return max;
	else
		target = floor((double)(att_clock_ns() - src->start_ns) * 1e-9 * src->speed *
		               src->st.rate_hz);
	if (target <= (double)delivered)
		return 0;
	return target - (double)delivered < (double)max ? (size_t)(target - (double)delivered)
	                                                : max;
}

int att_source_start(struct att_source *src)
{
	if (!src)
		return ATT_ERR_ARG;
	src->start_ns = att_clock_ns();
	return src->ops->start(src);
}

size_t att_source_read(struct att_source *src, struct att_sample *out, size_t max)
{
	size_t n = src->ops->read(src, out, max);
	src->st.samples += n;
	return n;
}

size_t att_source_read_until(struct att_source *src, double t, struct att_sample *out, size_t max)
{
	size_t n;

	src->until_t = t < 0.0 ? 0.0 : t;
	n = att_source_read(src, out, max);
	src->until_t = -1.0;
	return n;
}

int att_source_seek(struct att_source *src, uint64_t index)
{
	if (!src || !src->ops->seek)
		return ATT_ERR_UNSUPPORTED;
	return src->ops->seek(src, index);
}

void att_source_status(const struct att_source *src, struct att_source_status *out)
{
	*out = src->st;
	if (src->ops->refresh)
		src->ops->refresh(src, out);
}

void att_source_free(struct att_source *src)
{
	if (!src)
		return;
	src->ops->destroy(src);
	free(src);
}
