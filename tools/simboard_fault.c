/* Fault injection on the board's output (see simboard_fault.h). */
#include "simboard_fault.h"

#include <math.h>
#include <stdlib.h>

#include "attune/wire.h"
#include "attune/err.h"

struct att_simboard_fault {
	struct att_simboard_fault_cfg cfg;
	uint64_t rng;
	int frame_hit; /* the frame being sent has a fault */
	uint64_t
	        frame_len; /* bytes of it so far; 0 at a delimiter means an idle one, not a frame */
	struct att_simboard_fault_stats st;
};

/* xorshift64*: fast, deterministic per seed, no global state. */
static uint64_t next(struct att_simboard_fault *f)
{
	uint64_t x = f->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int chance(struct att_simboard_fault *f, double p)
{
	if (p <= 0.0)
		return 0;
	return (double)(next(f) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static int rate_ok(double p)
{
	return !isnan(p) && p >= 0.0 && p <= 1.0;
}

enum att_err att_simboard_fault_new(const struct att_simboard_fault_cfg *cfg,
                                    struct att_simboard_fault **out)
{
	struct att_simboard_fault *f;
	if (out)
		*out = NULL;
	if (!cfg || !out || !rate_ok(cfg->garbage) || !rate_ok(cfg->drop) || !rate_ok(cfg->flip))
		return ATT_ERR_ARG;
	f = calloc(1, sizeof *f);
	if (!f)
		return ATT_ERR_NOMEM;
	f->cfg = *cfg;
	/* xorshift must not start at 0; mixing keeps nearby seeds apart */
	f->rng = (cfg->seed ^ 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
	if (!f->rng)
		f->rng = 1;
	*out = f;
	return ATT_OK;
}

void att_simboard_fault_free(struct att_simboard_fault *f)
{
	free(f);
}

size_t att_simboard_fault_apply(struct att_simboard_fault *f, uint8_t byte, uint8_t out[2])
{
	size_t n = 0;
	int hit = 0, delimiter_hit = 0;
	const int delimiter = byte == ATT_WIRE_DELIMITER;

	f->st.bytes_in++;
	if (chance(f, f->cfg.garbage)) {
		out[n++] = (uint8_t)(next(f) >> 56);
		f->st.garbage_bytes++;
		hit = 1;
	}
	if (chance(f, f->cfg.drop)) {
		f->st.dropped_bytes++;
		hit = delimiter_hit = 1;
	} else {
		if (chance(f, f->cfg.flip)) {
			byte ^= (uint8_t)(1u << (next(f) >> 61));
			f->st.flipped_bits++;
			hit = delimiter_hit = 1;
		}
		out[n++] = byte;
	}
	if (hit)
		f->frame_hit = 1;
	if (delimiter) {
		/* a delimiter with no frame before it (the firmware sends one to start clean) ends
		 * nothing; only a fault on it matters, below */
		if (f->frame_len > 0) {
			f->st.frames++;
			if (f->frame_hit)
				f->st.frames_affected++;
		}
		/* a lost or flipped delimiter glues what follows to what came before */
		f->frame_hit = delimiter_hit;
		f->frame_len = 0;
	} else {
		f->frame_len++;
	}
	return n;
}

void att_simboard_fault_stats(const struct att_simboard_fault *f,
                              struct att_simboard_fault_stats *out)
{
	*out = f->st;
}
