/* Rooms: one clock for two machines. Each host pings its partners over the broker (NTP's
 * four timestamps: t1 sent, t2 received there, t3 answered there, t4 back here) and estimates
 * the partner's clock offset (theirs - ours) from the rounds with the lowest delay, since a
 * round's offset error is at most half its delay's asymmetry and queueing only ever adds delay.
 * With rounds spanning 20 s or more, a straight line through the lowest-delay rounds tracks the
 * drift between the two clocks.
 *
 * Also the timeline of a board: when each sample counter happened on this host's clock, from
 * arrival times that queueing only ever makes later (the lower envelope of arrival - counter /
 * rate, allowed to creep up 1 % of elapsed time so a slow board's clock is followed).
 *
 * Threads: one thread calls everything on one object; nothing here locks or allocates after new. */
#ifndef ATT_ROOM_CLOCK_H
#define ATT_ROOM_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_room_clock;

struct att_room_clock_cfg {
	size_t rounds; /* rounds kept (a ping a second: the last minute); 0 = 64, at least 4 */
};

/* *out set to NULL first; caller frees with att_room_clock_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_room_clock_new(const struct att_room_clock_cfg *cfg, struct att_room_clock **out);
void att_room_clock_free(struct att_room_clock *c); /* NULL is a no-op */

/* Forgets every round (the partner restarted: another clock). */
void att_room_clock_reset(struct att_room_clock *c);

/* One round, nanoseconds: t1, t4 on our clock, t2, t3 on theirs. ATT_ERR_RANGE for an
 * impossible round (t4 < t1 or t3 < t2, or a negative delay), which is ignored. */
int att_room_clock_add(struct att_room_clock *c, int64_t t1, int64_t t2, int64_t t3, int64_t t4);

struct att_room_clock_est {
	int64_t offset_ns;  /* theirs - ours at the time asked */
	int64_t delay_ns;   /* the lowest round-trip delay kept */
	double drift_ppm;   /* their clock's rate against ours, minus 1, in 1e-6; 0 until tracked */
	double bound_ns;    /* half the lowest delay: how far off the offset can be at worst */
	size_t rounds;      /* rounds kept */
};

/* The estimate at our time t_ns. ATT_ERR_NO_DATA before the first round. */
int att_room_clock_estimate(const struct att_room_clock *c, int64_t t_ns,
                            struct att_room_clock_est *out);

/* A board's counter placed on this host's clock (caller-owned state, zero it to start). */
struct att_room_timeline {
	int known;
	uint32_t last_counter;
	int64_t k;        /* last_counter unwrapped */
	double base_ns;   /* time of counter k = 0: base_ns + k / rate */
	int64_t last_ns;  /* arrival of the last sample */
	double rate_hz;
};

/* Takes a sample's counter and arrival time; returns the time it happened (ns, our clock). A
 * counter going back, or a rate change, starts the timeline afresh. */
int64_t att_room_timeline_add(struct att_room_timeline *tl, uint32_t counter, int64_t arrival_ns,
                              double rate_hz);

#endif
