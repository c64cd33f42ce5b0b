/* Clocks (clock.h). */
#include "attune/clock.h"

#include <errno.h>
#include <time.h>

static int64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t att_clock_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

int64_t att_clock_unix_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

void att_clock_sleep_until(int64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
