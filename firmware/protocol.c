/* Protocol logic of the firmware; see protocol.h. No register access, no allocation. */
#include "protocol.h"

void att_fw_proto_init(struct att_fw_proto *p)
{
	p->rate_hz = ATT_WIRE_RATE_DEFAULT;
	p->seq = 0;
	p->dropped = 0;
	p->streaming = 0;
	p->overflow = 0;
}

uint8_t att_fw_proto_info(const struct att_fw_proto *p, struct att_fw_ring *tx)
{
	struct att_wire_info info;
	uint8_t out[ATT_WIRE_MAX_FRAME];
	uint8_t k, n;
	info.fw_major = ATT_FW_VERSION_MAJOR;
	info.fw_minor = ATT_FW_VERSION_MINOR;
	info.fw_patch = ATT_FW_VERSION_PATCH;
	info.board = ATT_BOARD_ATMEGA328P;
	info.channels = ATT_WIRE_CHANNELS;
	info.adc_bits = ATT_FW_ADC_BITS;
	info.rate_hz = p->rate_hz;
	info.vref_mv = ATT_FW_VREF_MV;
	info.streaming = p->streaming;
	info.names_len = (uint8_t)ATT_FW_NAMES_LEN;
	for (k = 0; k < ATT_FW_NAMES_LEN; k++)
		info.names[k] = ATT_FW_NAMES[k];
	n = (uint8_t)att_wire_encode_info(&info, out);
	return att_fw_ring_put(tx, out, n);
}

static void ack(struct att_fw_ring *tx, uint8_t command, uint8_t status, uint16_t value)
{
	struct att_wire_ack a;
	uint8_t out[ATT_WIRE_MAX_FRAME];
	uint8_t n;
	a.command = command;
	a.status = status;
	a.value = value;
	n = (uint8_t)att_wire_encode_ack(&a, out);
	(void)att_fw_ring_put(tx, out, n);
}

uint8_t att_fw_proto_command(struct att_fw_proto *p, const uint8_t *enc, uint8_t len,
                             struct att_fw_ring *tx)
{
	struct att_wire_frame f;
	uint8_t cmd;
	uint16_t arg;
	if (att_wire_parse(enc, len, &f) != ATT_WIRE_OK || f.type != ATT_WIRE_COMMAND)
		return ATT_FW_ACT_NONE;
	cmd = f.u.command.command;
	arg = f.u.command.arg;
	switch (cmd) {
	case ATT_CMD_IDENTIFY:
		(void)att_fw_proto_info(p, tx);
		ack(tx, cmd, ATT_ACK_OK, p->rate_hz);
		return ATT_FW_ACT_NONE;
	case ATT_CMD_START:
		ack(tx, cmd, ATT_ACK_OK, p->rate_hz);
		/* A second START keeps the running stream (and its counter) untouched. */
		if (p->streaming)
			return ATT_FW_ACT_NONE;
		p->streaming = 1;
		return ATT_FW_ACT_START;
	case ATT_CMD_STOP:
		ack(tx, cmd, ATT_ACK_OK, p->rate_hz);
		if (!p->streaming)
			return ATT_FW_ACT_NONE;
		p->streaming = 0;
		return ATT_FW_ACT_STOP;
	case ATT_CMD_SET_RATE:
		if (arg < ATT_WIRE_RATE_MIN || arg > ATT_WIRE_RATE_MAX) {
			ack(tx, cmd, ATT_ACK_BAD_ARGUMENT, p->rate_hz);
			return ATT_FW_ACT_NONE;
		}
		p->rate_hz = arg;
		ack(tx, cmd, ATT_ACK_OK, p->rate_hz);
		return ATT_FW_ACT_RATE;
	case ATT_CMD_PING:
		ack(tx, cmd, ATT_ACK_OK, arg);
		return ATT_FW_ACT_NONE;
	default:
		ack(tx, cmd, ATT_ACK_UNKNOWN_COMMAND, 0);
		return ATT_FW_ACT_NONE;
	}
}

uint8_t att_fw_proto_sat_flags(const uint16_t ch[ATT_WIRE_CHANNELS])
{
	uint8_t flags = 0, c;
	for (c = 0; c < ATT_WIRE_CHANNELS; c++)
		if (ch[c] == 0 || ch[c] >= ATT_FW_ADC_MAX)
			flags |= (uint8_t)(1u << (ATT_FLAG_SAT_SHIFT + c));
	if (flags)
		flags |= ATT_FLAG_SATURATED;
	return flags;
}

static void count_drops(struct att_fw_proto *p, uint8_t n)
{
	p->seq = (uint16_t)(p->seq + n);
	p->overflow = 1;
	p->dropped = (uint16_t)(p->dropped > 0xFFFFu - n ? 0xFFFFu : p->dropped + n);
}

uint8_t att_fw_proto_sample(struct att_fw_proto *p, uint32_t counter,
                            const uint16_t ch[ATT_WIRE_CHANNELS], uint8_t reserve,
                            struct att_fw_ring *tx)
{
	struct att_wire_sample s;
	uint8_t out[ATT_WIRE_MAX_FRAME];
	uint8_t c, n;
	if (!p->streaming)
		return 0;
	s.seq = p->seq;
	s.counter = counter;
	s.flags = att_fw_proto_sat_flags(ch);
	if (p->overflow)
		s.flags |= ATT_FLAG_TX_OVERFLOW;
	for (c = 0; c < ATT_WIRE_CHANNELS; c++)
		s.ch[c] = ch[c];
	n = (uint8_t)att_wire_encode_sample(&s, out);
	if (att_fw_ring_room(tx) < (uint16_t)(n + reserve) || !att_fw_ring_put(tx, out, n)) {
		count_drops(p, 1);
		return 0;
	}
	p->seq++;
	p->overflow = 0;
	return 1;
}

void att_fw_proto_drop(struct att_fw_proto *p, uint8_t n)
{
	if (p->streaming && n)
		count_drops(p, n);
}

void att_fw_timer_for_rate(uint16_t rate_hz, struct att_fw_timer *t)
{
	uint32_t ticks;
	if (rate_hz == 0)
		rate_hz = ATT_WIRE_RATE_DEFAULT;
	ticks = (ATT_FW_F_CPU / 8u + rate_hz / 2u) / rate_hz;
	if (ticks <= 65536ul) {
		t->prescaler = 8;
	} else {
		ticks = (ATT_FW_F_CPU / 64u + rate_hz / 2u) / rate_hz;
		if (ticks > 65536ul)
			ticks = 65536ul;
		t->prescaler = 64;
	}
	t->top = (uint16_t)(ticks - 1u);
}

void att_fw_rx_init(struct att_fw_rx *rx)
{
	rx->len = 0;
	rx->overlong = 0;
}

uint8_t att_fw_rx_byte(struct att_fw_rx *rx, uint8_t b)
{
	uint8_t n;
	if (b == ATT_WIRE_DELIMITER) {
		n = rx->overlong ? 0 : rx->len;
		rx->len = 0;
		rx->overlong = 0;
		return n;
	}
	if (rx->overlong)
		return 0;
	if (rx->len >= sizeof rx->buf) {
		rx->overlong = 1;
		return 0;
	}
	rx->buf[rx->len++] = b;
	return 0;
}
