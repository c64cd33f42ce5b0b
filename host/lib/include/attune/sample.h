/* One sample instant as it travels from a source to the engine and the recorder. */
#ifndef ATT_SAMPLE_H
#define ATT_SAMPLE_H

#include <stdint.h>

#include "attune/wire.h"

struct att_sample {
	int64_t host_ns;                /* CLOCK_MONOTONIC when it reached the host */
	uint32_t counter;               /* device sample counter */
	uint8_t flags;                  /* ATT_FLAG_* of its frame */
	uint16_t ch[ATT_WIRE_CHANNELS]; /* ADC counts, enum att_wire_channel order */
};

#endif
