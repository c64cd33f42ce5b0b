/* Rooms: the jitter buffer that pairs both partners' samples on one time base.
 *
 * Each partner is a lane (0 = partner a, 1 = partner b) of samples stamped with when they
 * happened on this host's clock (a remote partner's times already moved onto it by the clock
 * alignment, room_clock.h). Output instants are a uniform grid at the room's rate; instant T is
 * given out once the host's clock passes T + delay, each lane's value being its sample nearest
 * T. delay is the jitter buffer: a remote sample taking longer than that to arrive is too late
 * and its lane holds its last value for that instant (counted; the room source says the gap).
 * An instant neither lane has a sample near is skipped (the session sees a counter gap).
 *
 * Threads: one thread calls everything on one object; nothing locks or allocates after new. */
#ifndef ATT_ROOM_PAIR_H
#define ATT_ROOM_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_room_pair;

struct att_room_pair_cfg {
	double rate_hz;    /* the grid's rate, 25..1000 */
	double delay_s;    /* the jitter buffer; 0 = ATT_ROOM_PAIR_DELAY_S */
	size_t capacity;   /* samples per lane, a power of two; 0 = 4096 (16 s at 250 Hz) */
};

#define ATT_ROOM_PAIR_DELAY_S 0.8 /* two broker hops of up to 200 ms + a 100 ms batch, twice */

struct att_room_pair_out {
	uint32_t index;   /* grid instant number (the session's sample counter) */
	int64_t t_ns;     /* its time on this host's clock */
	uint16_t ch[4];   /* a resp, a ppg, b resp, b ppg (counts) */
	uint8_t held;     /* bit l set: lane l had no sample near t and holds its last value */
};

/* *out set to NULL first; caller frees with att_room_pair_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_room_pair_new(const struct att_room_pair_cfg *cfg, struct att_room_pair **out);
void att_room_pair_free(struct att_room_pair *p); /* NULL is a no-op */

/* A sample of lane (0 or 1) that happened at t_ns. Samples of a lane come in time order; one
 * older than the lane's newest is dropped as late (counted). ATT_ERR_BUSY when the lane is full
 * (the consumer is not popping), ATT_ERR_ARG. */
int att_room_pair_push(struct att_room_pair *p, int lane, int64_t t_ns, uint16_t resp,
                       uint16_t ppg);

/* The instants due by now_ns (those with t <= now - delay), oldest first; at most max. */
size_t att_room_pair_pop(struct att_room_pair *p, int64_t now_ns, struct att_room_pair_out *out,
                         size_t max);

struct att_room_pair_stats {
	uint64_t out;          /* instants given out */
	uint64_t held[2];      /* instants a lane held its last value */
	uint64_t late[2];      /* samples that came after their instant was given out */
	uint64_t skipped;      /* instants neither lane had */
	double delay_s;
};
void att_room_pair_stats(const struct att_room_pair *p, struct att_room_pair_stats *out);

#endif
