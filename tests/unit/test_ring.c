/* SPSC ring: elements come out in order and intact, a full ring refuses (and counts) what does not
 * fit instead of overwriting, storage and index wrap are seamless, and two threads moving millions
 * of elements through a small ring lose or reorder none. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/ring.h"

/* An element that is not a power of two in size, so slot arithmetic errors show. */
struct elem {
	uint32_t seq;
	uint16_t ch[4];
};

static struct elem mk(uint32_t seq)
{
	struct elem e;
	unsigned c;
	e.seq = seq;
	for (c = 0; c < 4; c++)
		e.ch[c] = (uint16_t)(seq * 7u + c);
	return e;
}

static int is(const struct elem *e, uint32_t seq)
{
	struct elem want = mk(seq);
	return memcmp(e, &want, sizeof(want)) == 0;
}

static void bad_configs_are_refused(void)
{
	struct att_ring_cfg cfg = {sizeof(struct elem), 6, NULL, 0};
	struct att_ring *ring = (struct att_ring *)&cfg;
	CHECK(att_ring_new(&cfg, &ring) == ATT_ERR_ARG);
	CHECK(ring == NULL);
	cfg.capacity = 0;
	CHECK(att_ring_new(&cfg, &ring) == ATT_ERR_ARG);
	cfg.capacity = 8;
	cfg.elem_size = 0;
	CHECK(att_ring_new(&cfg, &ring) == ATT_ERR_ARG);
	cfg.elem_size = 1;
	cfg.capacity = (size_t)1 << 32;
	CHECK(att_ring_new(&cfg, &ring) == ATT_ERR_ARG);
	CHECK(att_ring_new(NULL, &ring) == ATT_ERR_ARG);
	CHECK(att_ring_new(&cfg, NULL) == ATT_ERR_ARG);
	att_ring_free(NULL);
}

static void full_ring_refuses_and_counts_instead_of_overwriting(void)
{
	struct elem storage[8], in[20], out[20];
	struct att_ring_cfg cfg = {sizeof(struct elem), 8, storage, 0};
	struct att_ring *ring;
	struct att_ring_stats st;
	uint32_t i;
	CHECK(att_ring_new(&cfg, &ring) == ATT_OK);
	for (i = 0; i < 20; i++)
		in[i] = mk(i);
	CHECK(att_ring_fill(ring) == 0);
	CHECK(att_ring_read(ring, out, 4) == 0);
	CHECK(att_ring_write(ring, in, 5) == 5);
	CHECK(att_ring_fill(ring) == 5);
	CHECK(att_ring_write(ring, in + 5, 10) == 3); /* 7 refused */
	CHECK(att_ring_fill(ring) == 8);
	CHECK(att_ring_write(ring, in + 8, 1) == 0); /* 1 refused */
	att_ring_stats(ring, &st);
	CHECK(st.capacity == 8);
	CHECK(st.fill == 8);
	CHECK(st.high_water == 8);
	CHECK(st.written == 8);
	CHECK(st.dropped == 8);
	CHECK(st.overrun_events == 2);
	/* The oldest data is still there: nothing was overwritten. */
	CHECK(att_ring_read(ring, out, 20) == 8);
	for (i = 0; i < 8; i++)
		CHECK(is(&out[i], i));
	CHECK(att_ring_fill(ring) == 0);
	att_ring_stats(ring, &st);
	CHECK(st.dropped == 8); /* reading does not hide past overruns */
	att_ring_free(ring);
}

static void peek_and_skip_leave_and_consume(void)
{
	struct elem in[6], out[6];
	struct att_ring_cfg cfg = {sizeof(struct elem), 4, NULL, 0}; /* ring-owned storage */
	struct att_ring *ring;
	uint32_t i;
	CHECK(att_ring_new(&cfg, &ring) == ATT_OK);
	for (i = 0; i < 6; i++)
		in[i] = mk(100 + i);
	CHECK(att_ring_write(ring, in, 3) == 3);
	CHECK(att_ring_peek(ring, out, 2) == 2);
	CHECK(is(&out[0], 100) && is(&out[1], 101));
	CHECK(att_ring_fill(ring) == 3);
	CHECK(att_ring_skip(ring, 1) == 1);
	CHECK(att_ring_peek(ring, out, 6) == 2);
	CHECK(is(&out[0], 101) && is(&out[1], 102));
	CHECK(att_ring_skip(ring, 10) == 2);
	CHECK(att_ring_fill(ring) == 0);
	CHECK(att_ring_skip(ring, 1) == 0);
	att_ring_free(ring);
}

/* Writes and reads in odd chunk sizes so runs straddle the end of storage, starting the indices
 * just below UINT32_MAX so they wrap around 2^32 midway. */
static void storage_and_index_wrap_are_seamless(void)
{
	struct elem storage[16], chunk[16], out[16];
	struct att_ring_cfg cfg = {sizeof(struct elem), 16, storage, UINT32_MAX - 40u};
	struct att_ring *ring;
	struct att_ring_stats st;
	uint32_t next_in = 0, next_out = 0, bad = 0;
	size_t k, n, got;
	int step;
	CHECK(att_ring_new(&cfg, &ring) == ATT_OK);
	for (step = 0; step < 2000; step++) {
		size_t want = (size_t)(step * 7 % 13) + 1, fill = att_ring_fill(ring);
		size_t room = 16 - fill;
		for (k = 0; k < want; k++)
			chunk[k] = mk(next_in + (uint32_t)k);
		n = att_ring_write(ring, chunk, want);
		if (n != (want < room ? want : room))
			bad++;
		next_in += (uint32_t)n;
		got = att_ring_read(ring, out, (size_t)(step * 5 % 11) + 1);
		for (k = 0; k < got; k++)
			bad += !is(&out[k], next_out++);
		if (att_ring_fill(ring) != next_in - next_out)
			bad++;
	}
	got = att_ring_read(ring, out, 16);
	for (k = 0; k < got; k++)
		bad += !is(&out[k], next_out++);
	CHECK(bad == 0);
	CHECK(next_out == next_in);
	CHECK(next_in > 1000); /* the indices went far past the 2^32 wrap */
	att_ring_stats(ring, &st);
	CHECK(st.written == next_in);
	att_ring_free(ring);
}

#define STRESS_N 16000000u

struct stress {
	struct att_ring *ring;
	uint64_t refused; /* producer's own tally of elements the ring did not take */
	uint64_t bad;     /* consumer: elements out of order or corrupted */
	uint64_t received;
};

static void *producer(void *arg)
{
	struct stress *s = arg;
	struct elem chunk[64];
	uint32_t next = 0, rng = 1;
	while (next < STRESS_N) {
		size_t want, k, n;
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		want = rng % 64u + 1;
		if (want > STRESS_N - next)
			want = STRESS_N - next;
		for (k = 0; k < want; k++)
			chunk[k] = mk(next + (uint32_t)k);
		n = att_ring_write(s->ring, chunk, want);
		s->refused += want - n;
		next += (uint32_t)n; /* what was refused is sent again: every element must arrive */
		if (n < want)
			sched_yield();
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct stress *s = arg;
	struct elem out[48];
	uint32_t next = 0, rng = 7;
	while (next < STRESS_N) {
		size_t n, k;
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		if (rng % 3u == 0) {
			/* Peek then skip must see the same elements as a read. */
			n = att_ring_peek(s->ring, out, rng % 48u + 1);
			n = att_ring_skip(s->ring, n);
		} else {
			n = att_ring_read(s->ring, out, rng % 48u + 1);
		}
		for (k = 0; k < n; k++)
			s->bad += !is(&out[k], next++);
		s->received += n;
		if (n == 0)
			sched_yield();
	}
	return NULL;
}

static void two_threads_move_millions_in_order(void)
{
	struct att_ring_cfg cfg = {sizeof(struct elem), 256, NULL, UINT32_MAX - 1000u};
	struct stress s = {0};
	struct att_ring_stats st;
	pthread_t tp, tc;
	CHECK(att_ring_new(&cfg, &s.ring) == ATT_OK);
	CHECK(pthread_create(&tc, NULL, consumer, &s) == 0);
	CHECK(pthread_create(&tp, NULL, producer, &s) == 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	att_ring_stats(s.ring, &st);
	CHECK(s.bad == 0);
	CHECK(s.received == STRESS_N);
	CHECK(st.written == STRESS_N);
	CHECK(st.dropped == s.refused);
	CHECK(st.fill == 0);
	CHECK(st.high_water <= 256);
	printf("ring stress: %u elements, %llu refused while full, %llu overrun events\n", STRESS_N,
	       (unsigned long long)st.dropped, (unsigned long long)st.overrun_events);
	att_ring_free(s.ring);
}

int main(void)
{
	bad_configs_are_refused();
	full_ring_refuses_and_counts_instead_of_overwriting();
	peek_and_skip_leave_and_consume();
	storage_and_index_wrap_are_seamless();
	two_threads_move_millions_in_order();
	return att_check_done("ring");
}
