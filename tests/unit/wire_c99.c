/* include/attune/wire.h is shared with the C99 firmware: this file is built with c_std=c99 and
 * -Wpedantic, so a C11-only construct in the header breaks the build; it also runs one round trip
 * of each frame type to show the header works the same there. */
#include <stdio.h>
#include <string.h>

#include "attune/wire.h"

int main(void)
{
	struct att_wire_sample s;
	struct att_wire_info info;
	struct att_wire_ack ack;
	struct att_wire_command cmd;
	struct att_wire_frame out;
	uint8_t f[ATT_WIRE_MAX_FRAME];
	size_t n;
	int failures = 0;

	memset(&s, 0, sizeof(s));
	s.seq = 0xFFFF;
	s.counter = 0x01020304ul;
	s.flags = ATT_FLAG_TX_OVERFLOW;
	s.ch[ATT_CH_B_PPG] = 1023;
	n = att_wire_encode_sample(&s, f);
	if (n != 21 || att_wire_parse(f, n - 1, &out) != ATT_WIRE_OK ||
	    out.u.sample.seq != 0xFFFF || out.u.sample.counter != 0x01020304ul ||
	    out.u.sample.ch[ATT_CH_B_PPG] != 1023) {
		fprintf(stderr, "wire_c99: sample round trip failed\n");
		failures++;
	}

	memset(&info, 0, sizeof(info));
	info.rate_hz = ATT_WIRE_RATE_DEFAULT;
	info.names_len = 6;
	memcpy(info.names, "A-resp", 6);
	n = att_wire_encode_info(&info, f);
	if (att_wire_parse(f, n - 1, &out) != ATT_WIRE_OK || out.type != ATT_WIRE_INFO ||
	    out.u.info.rate_hz != ATT_WIRE_RATE_DEFAULT ||
	    memcmp(out.u.info.names, "A-resp", 6) != 0) {
		fprintf(stderr, "wire_c99: info round trip failed\n");
		failures++;
	}

	ack.command = ATT_CMD_PING;
	ack.status = ATT_ACK_OK;
	ack.value = 0xBEEF;
	n = att_wire_encode_ack(&ack, f);
	if (att_wire_parse(f, n - 1, &out) != ATT_WIRE_OK || out.u.ack.value != 0xBEEF) {
		fprintf(stderr, "wire_c99: ack round trip failed\n");
		failures++;
	}

	cmd.command = ATT_CMD_SET_RATE;
	cmd.arg = ATT_WIRE_RATE_MAX;
	n = att_wire_encode_command(&cmd, f);
	if (n != ATT_WIRE_COMMAND_WIRE || att_wire_parse(f, n - 1, &out) != ATT_WIRE_OK ||
	    out.u.command.arg != ATT_WIRE_RATE_MAX) {
		fprintf(stderr, "wire_c99: command round trip failed\n");
		failures++;
	}

	if (att_wire_crc16((const uint8_t *)"123456789", 9) != 0x29B1) {
		fprintf(stderr, "wire_c99: CRC check value wrong\n");
		failures++;
	}
	if (!failures)
		printf("wire_c99: all checks passed\n");
	return failures ? 1 : 0;
}
