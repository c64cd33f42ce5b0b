/* What the simulated board's analog pins A0..A3 see: a generated couple or a recording.
 *
 * The input is sample-and-hold in simulated time: input sample i (rate R) is the voltage on the pin
 * for t in [i/R, (i+1)/R). The firmware's own sample rate is independent of R; the ADC samples the
 * pin when a conversion starts, as the real ADC's sample-and-hold does.
 *
 * Recordings in volts (--volts) are used as they are. Otherwise each channel is scaled on its own:
 * its 1st..99th percentile maps linearly onto 0.5..4.5 V (robust to spikes), clipped to 0..5 V; a
 * flat channel sits at 2.5 V. Absent channels (a CSV without PPG) and missing samples (NaN) hold
 * 2.5 V or the last valid value. Values become whole millivolts, which is what simavr's ADC takes.
 * Main invariant: the value for time t depends only on t and the input, never on how often or in
 * which order channels are asked for (time never goes backwards in the simulation).
 *
 * Threads: one feed belongs to one thread; no allocation after _new. */
#ifndef ATT_SIMBOARD_FEED_H
#define ATT_SIMBOARD_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "attune/couple.h"

struct att_simboard_feed;

struct att_simboard_feed_cfg {
	const char *csv_path;          /* NULL: the generated couple */
	int volts;                     /* CSV values are volts already */
	int loop;                      /* start the recording again at its end */
	enum att_couple_script script; /* for the generated couple */
	uint32_t seed;                 /* for the generated couple */
	double couple_rate_hz; /* generated couple's rate; 1000 Hz is finer than any firmware rate */
};

/* Reads the CSV (att_csv_read) or sets up the couple. *out is set to NULL first; caller frees with
 * att_simboard_feed_free(). On failure writes one actionable line into why; returns the error of
 * the reader (ATT_ERR_IO, ATT_ERR_FORMAT), ATT_ERR_ARG or ATT_ERR_NOMEM. */
enum att_err att_simboard_feed_new(const struct att_simboard_feed_cfg *cfg,
                                   struct att_simboard_feed **out, char *why, size_t why_len);
/* NULL is a no-op. */
void att_simboard_feed_free(struct att_simboard_feed *feed);

/* Millivolts on the four pins at simulated time t >= 0 (non-decreasing from call to call).
 * Returns 1, or 0 when a recording without loop has ended (mv then holds its last sample). */
int att_simboard_feed_mv(struct att_simboard_feed *feed, double t, uint16_t mv[4]);

/* Length of the input in seconds; 0 for the endless couple. */
double att_simboard_feed_duration(const struct att_simboard_feed *feed);

/* The input's sample rate, Hz. */
double att_simboard_feed_rate(const struct att_simboard_feed *feed);

#endif
