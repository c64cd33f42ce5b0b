/* Clocks for the tests and benchmarks: seconds as a double from any POSIX clock (monotonic for
 * wall time, CLOCK_THREAD_CPUTIME_ID / CLOCK_PROCESS_CPUTIME_ID for CPU), and a sleep of a
 * fraction of a second. Header-only; any thread. */
#ifndef ATT_TEST_TIMING_H
#define ATT_TEST_TIMING_H

#include <math.h>
#include <time.h>

static inline double att_clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Monotonic wall time: differences are elapsed seconds. */
static inline double att_now_s(void)
{
	return att_clock_s(CLOCK_MONOTONIC);
}

static inline void att_nap(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
	nanosleep(&ts, NULL);
}

#endif
