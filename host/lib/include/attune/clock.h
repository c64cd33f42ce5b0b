/* The two clocks of a session: monotonic for intervals and sample arrival times (it never jumps),
 * wall time only to say when a session started. Any thread. */
#ifndef ATT_CLOCK_H
#define ATT_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t att_clock_ns(void);

/* CLOCK_REALTIME (Unix time) in nanoseconds. */
int64_t att_clock_unix_ns(void);

/* Sleeps until the monotonic clock reads ns (returns at once if it has passed); EINTR resumes. */
void att_clock_sleep_until(int64_t ns);

#endif
