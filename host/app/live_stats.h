/* attune live --stats: frame times, sample-to-screen latency, CPU and memory, written as JSON at
 * the end. The latency needs each sample's arrival time: a small sink notes the arrival times of
 * the samples delivered in the current frame. Main thread only. */
#ifndef ATT_LIVE_STATS_H
#define ATT_LIVE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "attune/session.h"

#define ATT_STATS_BINS     10000 /* histograms of 0.05 ms bins up to 500 ms */
#define ATT_STATS_ARRIVALS 4096

struct att_hist {
	uint64_t n;
	uint32_t bins[ATT_STATS_BINS];
};

struct att_live_stats {
	int64_t arrivals[ATT_STATS_ARRIVALS]; /* of the samples delivered this frame */
	size_t n_arrivals;
	struct att_hist frame_work;     /* frame start to present done */
	struct att_hist frame_draw;     /* frame start to drawn (events, drain, engine, draw) */
	struct att_hist frame_interval; /* present to present */
	struct att_hist latency;        /* arrival to present */
	struct att_hist latency_wait;   /* arrival to the drain of the frame that shows it */
	int64_t last_present_ns;
	uint64_t frames;
	/* while a recording was being saved: frames drawn and the longest interval between them,
	 * which shows whether the view kept drawing */
	uint64_t frames_during_save;
	double save_frame_interval_ms_max;
};

extern const struct att_sink att_live_arrivals_sink; /* ctx = struct att_live_stats */

/* After a frame was presented at done_ns; drain_ns: when its samples were drained. */
void att_live_stats_frame(struct att_live_stats *st, int64_t start_ns, int64_t drawn_ns,
                          int64_t drain_ns, int64_t done_ns, int saving);

/* What write_stats reports beyond the histograms. */
struct att_live_stats_extra {
	double wall_s;
	const char *renderer;
	int sound_device;
	unsigned long sound_underflows, sound_losses, sound_moves;
	const char *source;
	uint64_t samples, frames_lost;
	unsigned long saves;
	double save_ms_max;
	double t_end, snapshot_t;
	size_t markers, file_markers;
};

/* Writes the JSON; 0, or 1 after one line on stderr. */
int att_live_stats_write(const struct att_live_stats *st, const struct att_live_stats_extra *x,
                         const char *path);

#endif
