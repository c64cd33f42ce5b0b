/* SPSC ring (see ring.h for the ordering contract).
 *
 * Invariant: write_index - read_index (uint32_t, wrapping) is the fill, never above capacity, so
 * capacity up to 2^31 keeps the difference unambiguous. Slot of index i: i & mask. The producer's
 * and the consumer's fields sit on separate cache lines so the two ends do not false-share.
 */
#include "attune/ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define ATT_RING_LINE 64

struct att_ring {
	/* Producer's line: only the producer writes these. */
	alignas(ATT_RING_LINE) _Atomic uint32_t write_index;
	_Atomic uint64_t written;
	_Atomic uint64_t dropped;
	_Atomic uint64_t overrun_events;
	_Atomic size_t high_water;
	/* Consumer's line: only the consumer writes it. */
	alignas(ATT_RING_LINE) _Atomic uint32_t read_index;
	/* Read-only after new. */
	alignas(ATT_RING_LINE) uint8_t *data;
	size_t elem_size;
	uint32_t mask;
	int owns_storage;
};

enum att_err att_ring_new(const struct att_ring_cfg *cfg, struct att_ring **out)
{
	struct att_ring *ring;
	size_t bytes;
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || cfg->elem_size == 0 || cfg->capacity == 0 ||
	    (cfg->capacity & (cfg->capacity - 1)) != 0 || cfg->capacity > ((size_t)1 << 31) ||
	    cfg->elem_size > SIZE_MAX / cfg->capacity)
		return ATT_ERR_ARG;
	bytes = (sizeof(*ring) + ATT_RING_LINE - 1) / ATT_RING_LINE * ATT_RING_LINE;
	ring = aligned_alloc(ATT_RING_LINE, bytes);
	if (!ring)
		return ATT_ERR_NOMEM;
	memset(ring, 0, sizeof(*ring));
	ring->data = cfg->storage;
	if (!ring->data) {
		ring->data = malloc(cfg->capacity * cfg->elem_size);
		if (!ring->data) {
			free(ring);
			return ATT_ERR_NOMEM;
		}
		ring->owns_storage = 1;
	}
	ring->elem_size = cfg->elem_size;
	ring->mask = (uint32_t)(cfg->capacity - 1);
	atomic_init(&ring->write_index, cfg->start_index);
	atomic_init(&ring->read_index, cfg->start_index);
	atomic_init(&ring->written, 0);
	atomic_init(&ring->dropped, 0);
	atomic_init(&ring->overrun_events, 0);
	atomic_init(&ring->high_water, 0);
	*out = ring;
	return ATT_OK;
}

void att_ring_free(struct att_ring *ring)
{
	if (!ring)
		return;
	if (ring->owns_storage)
		free(ring->data);
	free(ring);
}

static size_t capacity(const struct att_ring *ring)
{
	return (size_t)ring->mask + 1;
}

/* Copies n elements between the slots starting at index and a flat buffer, in at most two pieces
 * (the second when the run passes the end of the storage). */
static void copy_in(struct att_ring *ring, uint32_t index, const uint8_t *src, size_t n)
{
	size_t at = index & ring->mask, first = capacity(ring) - at;
	if (first > n)
		first = n;
	memcpy(ring->data + at * ring->elem_size, src, first * ring->elem_size);
	if (n > first)
		memcpy(ring->data, src + first * ring->elem_size, (n - first) * ring->elem_size);
}

static void copy_out(const struct att_ring *ring, uint32_t index, uint8_t *dst, size_t n)
{
	size_t at = index & ring->mask, first = capacity(ring) - at;
	if (first > n)
		first = n;
	memcpy(dst, ring->data + at * ring->elem_size, first * ring->elem_size);
	if (n > first)
		memcpy(dst + first * ring->elem_size, ring->data, (n - first) * ring->elem_size);
}

size_t att_ring_write(struct att_ring *ring, const void *elems, size_t n)
{
	uint32_t w = atomic_load_explicit(&ring->write_index, memory_order_relaxed);
	/* Acquire: the consumer has finished copying out every slot below read_index. */
	uint32_t r = atomic_load_explicit(&ring->read_index, memory_order_acquire);
	size_t fill = (uint32_t)(w - r), room = capacity(ring) - fill, take = n < room ? n : room;
	if (take) {
		copy_in(ring, w, elems, take);
		/* Release: the elements are in place before the consumer can see the new index. */
		atomic_store_explicit(&ring->write_index, (uint32_t)(w + take),
		                      memory_order_release);
		atomic_store_explicit(&ring->written,
		                      atomic_load_explicit(&ring->written, memory_order_relaxed) +
		                              take,
		                      memory_order_relaxed);
		if (fill + take > atomic_load_explicit(&ring->high_water, memory_order_relaxed))
			atomic_store_explicit(&ring->high_water, fill + take, memory_order_relaxed);
	}
	if (take < n) {
		/* Single writer: a plain load + store is enough, the atomics only make readers safe. */
		atomic_store_explicit(&ring->dropped,
		                      atomic_load_explicit(&ring->dropped, memory_order_relaxed) +
		                              (n - take),
		                      memory_order_relaxed);
		atomic_store_explicit(
		        &ring->overrun_events,
		        atomic_load_explicit(&ring->overrun_events, memory_order_relaxed) + 1,
		        memory_order_relaxed);
	}
	return take;
}

size_t att_ring_peek(const struct att_ring *ring, void *out, size_t n)
{
	uint32_t r = atomic_load_explicit(&ring->read_index, memory_order_relaxed);
	/* Acquire: pairs with the producer's release, so the elements below write_index are visible. */
	uint32_t w = atomic_load_explicit(&ring->write_index, memory_order_acquire);
	size_t fill = (uint32_t)(w - r), take = n < fill ? n : fill;
	if (take)
		copy_out(ring, r, out, take);
	return take;
}

size_t att_ring_skip(struct att_ring *ring, size_t n)
{
	uint32_t r = atomic_load_explicit(&ring->read_index, memory_order_relaxed);
	uint32_t w = atomic_load_explicit(&ring->write_index, memory_order_acquire);
	size_t fill = (uint32_t)(w - r), take = n < fill ? n : fill;
	if (take)
		/* Release: our reads of these slots are done before the producer may reuse them. */
		atomic_store_explicit(&ring->read_index, (uint32_t)(r + take),
		                      memory_order_release);
	return take;
}

size_t att_ring_read(struct att_ring *ring, void *out, size_t n)
{
	size_t take = att_ring_peek(ring, out, n);
	if (take) {
		uint32_t r = atomic_load_explicit(&ring->read_index, memory_order_relaxed);
		atomic_store_explicit(&ring->read_index, (uint32_t)(r + take),
		                      memory_order_release);
	}
	return take;
}

size_t att_ring_fill(const struct att_ring *ring)
{
	/* Read index first: both only grow and read never passes write, so the later write index
	 * is at least the earlier read index and the difference is never negative. From a third
	 * thread both ends may move between the loads, hence the clamp. */
	uint32_t r = atomic_load_explicit(&ring->read_index, memory_order_acquire);
	uint32_t w = atomic_load_explicit(&ring->write_index, memory_order_acquire);
	size_t fill = (uint32_t)(w - r);
	return fill > capacity(ring) ? capacity(ring) : fill;
}

void att_ring_stats(const struct att_ring *ring, struct att_ring_stats *out)
{
	out->capacity = capacity(ring);
	out->fill = att_ring_fill(ring);
	out->high_water = atomic_load_explicit(&ring->high_water, memory_order_relaxed);
	out->written = atomic_load_explicit(&ring->written, memory_order_relaxed);
	out->dropped = atomic_load_explicit(&ring->dropped, memory_order_relaxed);
	out->overrun_events = atomic_load_explicit(&ring->overrun_events, memory_order_relaxed);
}
