/* Private to the source modules: what each kind of source provides behind struct att_source. */
#ifndef ATT_SOURCE_IMPL_H
#define ATT_SOURCE_IMPL_H

#include "attune/source.h"

struct att_source_ops {
	int (*start)(struct att_source *src);
	size_t (*read)(struct att_source *src, struct att_sample *out, size_t max);
	/* Refreshes the counters in src->st that the kind keeps elsewhere; may be NULL. */
	void (*refresh)(const struct att_source *src, struct att_source_status *st);
	void (*destroy)(struct att_source *src); /* frees impl */
	int (*seek)(struct att_source *src, uint64_t index); /* may be NULL: not seekable */
};

struct att_source {
	const struct att_source_ops *ops;
	struct att_source_status st;
	void *impl;
	/* Pacing of generated and file sources: samples due = elapsed * speed * rate. */
	double speed;
	int64_t start_ns;
	/* att_source_read_until(): due by this signal time instead of the wall clock; < 0 = off */
	double until_t;
};

/* Allocates a source of the given kind; *out set to NULL first. */
int att_source_alloc(const struct att_source_ops *ops, void *impl, struct att_source **out);

/* How many samples a paced source may deliver now, given how many it delivered; at most max. */
size_t att_source_due(const struct att_source *src, uint64_t delivered, size_t max);

#endif
