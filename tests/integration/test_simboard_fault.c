/* Unit test of the simulated board's fault injector (tools/simboard_fault.c): what it reports is
 * exactly what it did to the byte stream. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/err.h"
#include "simboard_fault.h"

#define FRAME 21u

/* Frame k: 20 non-zero bytes that name k, then the 0x00 delimiter (like a COBS frame). */
static void frame_bytes(uint32_t k, uint8_t out[FRAME])
{
	unsigned i;
	for (i = 0; i < FRAME - 1; i++)
		out[i] = (uint8_t)(1u + (k * 7u + i * 13u + (k >> 8) * 3u) % 255u);
	out[FRAME - 1] = 0;
}

struct run {
	uint8_t *out;
	size_t n;
	struct att_simboard_fault_stats st;
};

static void pass(const struct att_simboard_fault_cfg *cfg, uint32_t frames, struct run *r)
{
	struct att_simboard_fault *f = NULL;
	uint8_t fr[FRAME], o[2];
	uint32_t k;
	unsigned i;
	size_t m, j;

	r->out = malloc((size_t)frames * FRAME * 2);
	r->n = 0;
	CHECK(att_simboard_fault_new(cfg, &f) == ATT_OK);
	if (!f || !r->out)
		return;
	for (k = 0; k < frames; k++) {
		frame_bytes(k, fr);
		for (i = 0; i < FRAME; i++) {
			m = att_simboard_fault_apply(f, fr[i], o);
			CHECK(m <= 2);
			for (j = 0; j < m; j++)
				r->out[r->n++] = o[j];
		}
	}
	att_simboard_fault_stats(f, &r->st);
	att_simboard_fault_free(f);
}

/* Chunks of the output between delimiters that equal an original frame, in order. */
static uint32_t intact_frames(const struct run *r, uint32_t frames)
{
	uint8_t want[FRAME];
	uint32_t intact = 0, k = 0;
	size_t start = 0, i;
	for (i = 0; i < r->n; i++) {
		if (r->out[i] != 0)
			continue;
		if (i - start == FRAME - 1) {
			/* find it among the next frames (lost frames are skipped) */
			uint32_t j;
			for (j = k; j < frames && j < k + 64; j++) {
				frame_bytes(j, want);
				if (memcmp(r->out + start, want, FRAME - 1) == 0) {
					intact++;
					k = j + 1;
					break;
				}
			}
		}
		start = i + 1;
	}
	return intact;
}

static void no_faults_pass_everything(void)
{
	struct att_simboard_fault_cfg cfg = {0, 0, 0, 1};
	struct run r;
	pass(&cfg, 1000, &r);
	CHECK(r.n == 1000u * FRAME);
	CHECK(r.st.bytes_in == 1000u * FRAME && r.st.frames == 1000);
	CHECK(r.st.garbage_bytes == 0 && r.st.dropped_bytes == 0 && r.st.flipped_bits == 0);
	CHECK(r.st.frames_affected == 0);
	CHECK(intact_frames(&r, 1000) == 1000);
	free(r.out);
}

static void rates_are_per_byte_probabilities(void)
{
	struct att_simboard_fault_cfg cfg = {0.01, 0.02, 0.005, 42};
	const double n = 50000.0 * FRAME;
	struct run r;
	pass(&cfg, 50000, &r);
	/* binomial: within 5 standard deviations */
	CHECK_NEAR((double)r.st.garbage_bytes, n * 0.01, 5 * sqrt(n * 0.01));
	CHECK_NEAR((double)r.st.dropped_bytes, n * 0.02, 5 * sqrt(n * 0.02));
	CHECK_NEAR((double)r.st.flipped_bits, n * 0.98 * 0.005, 5 * sqrt(n * 0.005));
	/* every byte is either sent, or dropped; garbage comes on top */
	CHECK(r.n == r.st.bytes_in - r.st.dropped_bytes + r.st.garbage_bytes);
	free(r.out);
}

static void same_seed_same_faults(void)
{
	struct att_simboard_fault_cfg cfg = {0.003, 0.003, 0.003, 9};
	struct run a, b;
	pass(&cfg, 5000, &a);
	pass(&cfg, 5000, &b);
	CHECK(a.n == b.n && memcmp(a.out, b.out, a.n) == 0);
	cfg.seed = 10;
	free(b.out);
	pass(&cfg, 5000, &b);
	CHECK(a.n != b.n || memcmp(a.out, b.out, a.n) != 0);
	free(a.out);
	free(b.out);
}

/* Drops and flips always break the frame they hit (and a lost delimiter breaks the next one too),
 * so the frames still intact are exactly those not counted as affected. */
static void affected_frames_are_the_broken_ones(void)
{
	struct att_simboard_fault_cfg cfg = {0, 0.002, 0.002, 5};
	const uint32_t frames = 40000;
	struct run r;
	uint32_t intact;
	pass(&cfg, frames, &r);
	intact = intact_frames(&r, frames);
	CHECK(r.st.frames_affected > 100);
	CHECK(intact == frames - r.st.frames_affected);
	free(r.out);
	/* garbage can leave a frame intact (a 0x00 inserted before a frame's first byte), never more */
	cfg.garbage = 0.002;
	pass(&cfg, frames, &r);
	intact = intact_frames(&r, frames);
	CHECK(intact >= frames - r.st.frames_affected);
	CHECK(intact <= frames - r.st.frames_affected + r.st.garbage_bytes / 64 + 3);
	free(r.out);
}

/* Idle delimiters (the firmware sends one before its first frame) are not frames. */
static void idle_delimiters_are_not_frames(void)
{
	struct att_simboard_fault_cfg cfg = {0, 0, 0, 1};
	struct att_simboard_fault *f = NULL;
	struct att_simboard_fault_stats st;
	const uint8_t stream[] = {0, 0, 5, 6, 0, 0, 7, 0};
	uint8_t o[2];
	size_t i;
	CHECK(att_simboard_fault_new(&cfg, &f) == ATT_OK);
	if (!f)
		return;
	for (i = 0; i < sizeof stream; i++)
		CHECK(att_simboard_fault_apply(f, stream[i], o) == 1 && o[0] == stream[i]);
	att_simboard_fault_stats(f, &st);
	CHECK(st.frames == 2 && st.bytes_in == sizeof stream && st.frames_affected == 0);
	att_simboard_fault_free(f);
}

static void bad_rates_are_refused(void)
{
	struct att_simboard_fault *f = (struct att_simboard_fault *)1;
	struct att_simboard_fault_cfg cfg = {1.5, 0, 0, 1};
	CHECK(att_simboard_fault_new(&cfg, &f) == ATT_ERR_ARG && f == NULL);
	cfg.garbage = 0;
	cfg.drop = -0.1;
	CHECK(att_simboard_fault_new(&cfg, &f) == ATT_ERR_ARG);
	cfg.drop = NAN;
	CHECK(att_simboard_fault_new(&cfg, &f) == ATT_ERR_ARG);
	CHECK(att_simboard_fault_new(NULL, &f) == ATT_ERR_ARG);
	att_simboard_fault_free(NULL);
}

int main(void)
{
	no_faults_pass_everything();
	rates_are_per_byte_probabilities();
	same_seed_same_faults();
	affected_frames_are_the_broken_ones();
	idle_delimiters_are_not_frames();
	bad_rates_are_refused();
	return att_check_done("simboard_fault");
}
