/* Single-producer single-consumer lock-free ring of fixed-size elements (PipeWire spa_ringbuffer
 * style): two monotonically increasing 32-bit indices over power-of-two storage.
 *
 * Main invariant: 0 <= write_index - read_index <= capacity (unsigned, wrapping arithmetic). The
 * producer only advances write_index, the consumer only read_index. A write never overwrites unread
 * elements: what does not fit is refused and counted (dropped, overrun_events), never hidden.
 *
 * Memory ordering: the producer copies elements in, then stores write_index with release; the
 * consumer loads write_index with acquire before copying them out, so it sees the data. The consumer
 * stores read_index with release after copying out; the producer loads it with acquire before
 * reusing those slots, so it never overwrites an element still being read.
 *
 * Threads: exactly one producer thread calls att_ring_write(); exactly one consumer thread calls
 * att_ring_read(), att_ring_peek() and att_ring_skip(). att_ring_fill() and att_ring_stats() may be
 * called from any thread (their answer is a snapshot). No call locks or allocates (after new), so
 * both ends are safe on real-time threads.
 */
#ifndef ATT_RING_H
#define ATT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_ring_cfg {
	size_t elem_size; /* bytes per element, > 0 */
	size_t capacity;  /* elements; a power of two, 1 .. 2^31 */
	void *storage;    /* capacity * elem_size bytes, borrowed: must outlive the ring and not be
	                     touched by anyone else; NULL: the ring allocates (and frees) its own */
	uint32_t start_index; /* initial value of both indices: 0 normally; tests start near
	                         UINT32_MAX to exercise the index wrap */
};

struct att_ring_stats {
	size_t capacity;         /* elements */
	size_t fill;             /* elements readable now */
	size_t high_water;       /* largest fill the producer has seen after a write */
	uint64_t written;        /* elements accepted */
	uint64_t dropped;        /* elements refused because the ring was full */
	uint64_t overrun_events; /* writes that could not store everything */
};

struct att_ring;

/* Creates a ring; *out is set to NULL first. Caller frees with att_ring_free(). Returns ATT_OK,
 * ATT_ERR_ARG (elem_size 0, capacity not a power of two or too large) or ATT_ERR_NOMEM.
 * Any thread, before the producer and consumer start. */
enum att_err att_ring_new(const struct att_ring_cfg *cfg, struct att_ring **out);

/* Frees the ring (and its storage if it allocated it); NULL is a no-op. Only after both ends
 * stopped. */
void att_ring_free(struct att_ring *ring);

/* Producer: copies up to n elements from elems (borrowed for the call). Returns how many were
 * stored, the oldest first; the rest (n - returned) did not fit and are counted as dropped. */
size_t att_ring_write(struct att_ring *ring, const void *elems, size_t n);

/* Consumer: copies up to n elements into out and consumes them. Returns how many. */
size_t att_ring_read(struct att_ring *ring, void *out, size_t n);

/* Consumer: like att_ring_read() but leaves the elements in the ring. */
size_t att_ring_peek(const struct att_ring *ring, void *out, size_t n);

/* Consumer: consumes up to n elements without copying them. Returns how many. */
size_t att_ring_skip(struct att_ring *ring, size_t n);

/* Any thread: elements readable now (exact for the consumer, a snapshot for others). */
size_t att_ring_fill(const struct att_ring *ring);

/* Any thread: counters, each read atomically (the set is not one consistent snapshot). */
void att_ring_stats(const struct att_ring *ring, struct att_ring_stats *out);

#endif
