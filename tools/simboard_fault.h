/* Fault injection on the simulated board's output (board -> host), for tests of the host's
 * resynchronisation and loss counters.
 *
 * Every rate is a probability per board byte, 0..1:
 *   garbage  one random byte (any value, 0x00 included) is inserted before the byte;
 *   drop     the byte is not sent;
 *   flip     one random bit of the byte is inverted (only if it was not dropped).
 * A frame is the bytes up to a 0x00 delimiter (an idle delimiter with nothing before it is not a
 * frame). It is "affected" when any of its bytes (its delimiter included) got a fault; a dropped or
 * flipped delimiter merges two frames, so the frame after it counts as affected too.
 * Main invariant: the counters describe exactly what was done to the stream; the same seed gives the
 * same faults at the same bytes.
 *
 * Threads: one injector belongs to one thread (the simulation loop); no allocation after _new. */
#ifndef ATT_SIMBOARD_FAULT_H
#define ATT_SIMBOARD_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

struct att_simboard_fault;

struct att_simboard_fault_cfg {
	double garbage, drop, flip; /* probabilities per board byte, 0..1 */
	uint64_t seed;
};

struct att_simboard_fault_stats {
	uint64_t bytes_in;      /* bytes the board sent */
	uint64_t frames;        /* frames the board sent (non-empty, delimiter-ended) */
	uint64_t garbage_bytes; /* bytes inserted */
	uint64_t dropped_bytes;
	uint64_t flipped_bits;
	uint64_t frames_affected; /* frames with at least one fault */
};

/* *out is set to NULL first; caller frees with att_simboard_fault_free(). ATT_ERR_ARG when a rate
 * is outside 0..1 or not a number; ATT_ERR_NOMEM. */
enum att_err att_simboard_fault_new(const struct att_simboard_fault_cfg *cfg,
                                    struct att_simboard_fault **out);
/* NULL is a no-op. */
void att_simboard_fault_free(struct att_simboard_fault *f);

/* Passes one board byte through the faults: writes 0, 1 or 2 bytes into out (in order) and returns
 * how many. */
size_t att_simboard_fault_apply(struct att_simboard_fault *f, uint8_t byte, uint8_t out[2]);

void att_simboard_fault_stats(const struct att_simboard_fault *f,
                              struct att_simboard_fault_stats *out);

#endif
