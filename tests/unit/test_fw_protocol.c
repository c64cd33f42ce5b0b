/* Firmware protocol logic (firmware/protocol.c, firmware/ring.h), compiled natively: command
 * answers, rate validation, sequence and overflow accounting, saturation flags, no streaming
 * before START, the RX frame assembler and the Timer1 settings for every rate. Frames are
 * checked by decoding them with the host's att_wire_parse, so both sides agree byte for byte. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "protocol.h"

#define MAX_FRAMES 64

/* Drains the ring as the UDRE ISR would and parses every frame in it. */
static int drain(struct att_fw_ring *tx, struct att_wire_frame *frames, int max)
{
	uint8_t enc[256];
	size_t len = 0;
	uint8_t b;
	int n = 0;
	while (att_fw_ring_get(tx, &b)) {
		if (b != ATT_WIRE_DELIMITER) {
			if (len < sizeof enc)
				enc[len++] = b;
			continue;
		}
		CHECK(n < max);
		if (n < max) {
			enum att_wire_parse_result r = att_wire_parse(enc, len, &frames[n]);
			CHECK(r == ATT_WIRE_OK);
			if (r == ATT_WIRE_OK)
				n++;
		}
		len = 0;
	}
	CHECK(len == 0); /* only whole frames ever sit in the ring */
	return n;
}

/* Encodes a command as the host sends it and returns its COBS bytes without the delimiter. */
static uint8_t command(uint8_t code, uint16_t arg, uint8_t *enc)
{
	struct att_wire_command c = {code, arg};
	size_t n = att_wire_encode_command(&c, enc);
	return (uint8_t)(n - 1);
}

static uint8_t send_cmd(struct att_fw_proto *p, struct att_fw_ring *tx, uint8_t code, uint16_t arg)
{
	uint8_t enc[ATT_WIRE_MAX_FRAME];
	uint8_t n = command(code, arg, enc);
	return att_fw_proto_command(p, enc, n, tx);
}

static void check_ack(const struct att_wire_frame *f, uint8_t cmd, uint8_t status, uint16_t value)
{
	CHECK(f->type == ATT_WIRE_ACK);
	CHECK(f->u.ack.command == cmd);
	CHECK(f->u.ack.status == status);
	CHECK(f->u.ack.value == value);
}

static void test_info_frame_describes_the_board(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	CHECK(att_fw_proto_info(&p, &tx) == 1);
	CHECK(drain(&tx, f, MAX_FRAMES) == 1);
	CHECK(f[0].type == ATT_WIRE_INFO);
	CHECK(f[0].version == ATT_WIRE_VERSION);
	CHECK(f[0].u.info.board == ATT_BOARD_ATMEGA328P);
	CHECK(f[0].u.info.channels == 4);
	CHECK(f[0].u.info.adc_bits == 10);
	CHECK(f[0].u.info.vref_mv == 5000);
	CHECK(f[0].u.info.rate_hz == 250);
	CHECK(f[0].u.info.streaming == 0);
	CHECK(f[0].u.info.fw_major == ATT_FW_VERSION_MAJOR &&
	      f[0].u.info.fw_minor == ATT_FW_VERSION_MINOR);
	CHECK(f[0].u.info.names_len == strlen("A-resp,A-PPG,B-resp,B-PPG"));
	CHECK(memcmp(f[0].u.info.names, "A-resp,A-PPG,B-resp,B-PPG", f[0].u.info.names_len) == 0);
	CHECK(ATT_FW_INFO_WIRE == 43u); /* the size the reply budget assumes */
}

static void test_no_sample_frames_before_start(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	uint16_t ch[4] = {100, 200, 300, 400};
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	CHECK(att_fw_proto_sample(&p, 0, ch, 0, &tx) == 0);
	att_fw_proto_drop(&p, 3);
	CHECK(att_fw_ring_used(&tx) == 0);
	CHECK(p.seq == 0);
	CHECK(p.overflow == 0);
	CHECK(p.dropped == 0);
}

static void test_identify_answers_info_then_ack(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	CHECK(send_cmd(&p, &tx, ATT_CMD_IDENTIFY, 0) == ATT_FW_ACT_NONE);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[0].type == ATT_WIRE_INFO);
	check_ack(&f[1], ATT_CMD_IDENTIFY, ATT_ACK_OK, 250);
}

static void test_start_streams_and_stop_ends_it(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint16_t ch[4] = {1, 512, 700, 1022};
	int n;
	uint32_t k;
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);

	CHECK(send_cmd(&p, &tx, ATT_CMD_START, 0) == ATT_FW_ACT_START);
	CHECK(p.streaming == 1);
	n = drain(&tx, f, MAX_FRAMES);
	CHECK(n == 1);
	check_ack(&f[0], ATT_CMD_START, ATT_ACK_OK, 250);

	for (k = 0; k < 5; k++)
		CHECK(att_fw_proto_sample(&p, k, ch, 0, &tx) == 1);
	n = drain(&tx, f, MAX_FRAMES);
	CHECK(n == 5);
	for (k = 0; k < 5 && (int)k < n; k++) {
		CHECK(f[k].type == ATT_WIRE_SAMPLE);
		CHECK(f[k].u.sample.seq == k);
		CHECK(f[k].u.sample.counter == k);
		CHECK(f[k].u.sample.flags == 0);
		CHECK(f[k].u.sample.ch[0] == 1 && f[k].u.sample.ch[1] == 512);
		CHECK(f[k].u.sample.ch[2] == 700 && f[k].u.sample.ch[3] == 1022);
	}

	/* A second START is acknowledged but keeps the running stream (no restart). */
	CHECK(send_cmd(&p, &tx, ATT_CMD_START, 0) == ATT_FW_ACT_NONE);
	CHECK(drain(&tx, f, MAX_FRAMES) == 1);
	check_ack(&f[0], ATT_CMD_START, ATT_ACK_OK, 250);

	CHECK(send_cmd(&p, &tx, ATT_CMD_STOP, 0) == ATT_FW_ACT_STOP);
	CHECK(p.streaming == 0);
	CHECK(att_fw_proto_sample(&p, 5, ch, 0, &tx) == 0);
	CHECK(drain(&tx, f, MAX_FRAMES) == 1);
	check_ack(&f[0], ATT_CMD_STOP, ATT_ACK_OK, 250);
	CHECK(send_cmd(&p, &tx, ATT_CMD_STOP, 0) == ATT_FW_ACT_NONE);
	CHECK(drain(&tx, f, MAX_FRAMES) == 1);

	/* The sequence number goes on across a stop and start: no false gap for the host. */
	CHECK(send_cmd(&p, &tx, ATT_CMD_START, 0) == ATT_FW_ACT_START);
	CHECK(att_fw_proto_sample(&p, 0, ch, 0, &tx) == 1);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[1].type == ATT_WIRE_SAMPLE && f[1].u.sample.seq == 5);
}

static void test_set_rate_accepts_25_to_500_only(void)
{
	static const uint16_t bad[] = {0, 1, 24, 501, 1000, 65535};
	static const uint16_t good[] = {25, 100, 333, 500, 250};
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	size_t i;
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK(send_cmd(&p, &tx, ATT_CMD_SET_RATE, good[i]) == ATT_FW_ACT_RATE);
		CHECK(p.rate_hz == good[i]);
		CHECK(drain(&tx, f, MAX_FRAMES) == 1);
		check_ack(&f[0], ATT_CMD_SET_RATE, ATT_ACK_OK, good[i]);
	}
	CHECK(send_cmd(&p, &tx, ATT_CMD_SET_RATE, 100) == ATT_FW_ACT_RATE);
	(void)drain(&tx, f, MAX_FRAMES);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(send_cmd(&p, &tx, ATT_CMD_SET_RATE, bad[i]) == ATT_FW_ACT_NONE);
		CHECK(p.rate_hz == 100);
		CHECK(drain(&tx, f, MAX_FRAMES) == 1);
		check_ack(&f[0], ATT_CMD_SET_RATE, ATT_ACK_BAD_ARGUMENT, 100);
	}
	/* The new rate shows in identify and in the acks of start/stop. */
	CHECK(send_cmd(&p, &tx, ATT_CMD_IDENTIFY, 0) == ATT_FW_ACT_NONE);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[0].u.info.rate_hz == 100);
	CHECK(send_cmd(&p, &tx, ATT_CMD_START, 0) == ATT_FW_ACT_START);
	CHECK(drain(&tx, f, MAX_FRAMES) == 1);
	check_ack(&f[0], ATT_CMD_START, ATT_ACK_OK, 100);
	CHECK(send_cmd(&p, &tx, ATT_CMD_IDENTIFY, 0) == ATT_FW_ACT_NONE);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[0].u.info.streaming == 1);
}

static void test_ping_echoes_and_unknown_commands_get_an_error(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	CHECK(send_cmd(&p, &tx, ATT_CMD_PING, 0xBEEF) == ATT_FW_ACT_NONE);
	CHECK(send_cmd(&p, &tx, ATT_CMD_PING, 0) == ATT_FW_ACT_NONE);
	CHECK(send_cmd(&p, &tx, 0, 7) == ATT_FW_ACT_NONE);
	CHECK(send_cmd(&p, &tx, 99, 7) == ATT_FW_ACT_NONE);
	CHECK(drain(&tx, f, MAX_FRAMES) == 4);
	check_ack(&f[0], ATT_CMD_PING, ATT_ACK_OK, 0xBEEF);
	check_ack(&f[1], ATT_CMD_PING, ATT_ACK_OK, 0);
	check_ack(&f[2], 0, ATT_ACK_UNKNOWN_COMMAND, 0);
	check_ack(&f[3], 99, ATT_ACK_UNKNOWN_COMMAND, 0);
	CHECK(p.streaming == 0);
}

static void test_damaged_or_foreign_frames_get_no_answer(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	uint8_t enc[ATT_WIRE_MAX_FRAME], raw[16];
	struct att_wire_ack a = {ATT_CMD_START, 0, 0};
	uint8_t n;
	size_t m;
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);

	n = command(ATT_CMD_START, 0, enc);
	enc[3] ^= 0x40; /* one bit flipped: CRC fails */
	CHECK(att_fw_proto_command(&p, enc, n, &tx) == ATT_FW_ACT_NONE);
	CHECK(att_fw_proto_command(&p, enc, 1, &tx) == ATT_FW_ACT_NONE); /* too short */
	CHECK(att_fw_proto_command(&p, enc, 0, &tx) == ATT_FW_ACT_NONE);

	/* An ack echoed back (e.g. a loop-back cable) is not a command. */
	m = att_wire_encode_ack(&a, enc);
	CHECK(att_fw_proto_command(&p, enc, (uint8_t)(m - 1), &tx) == ATT_FW_ACT_NONE);

	/* A command from another protocol version, CRC intact. */
	raw[0] = ATT_WIRE_COMMAND;
	raw[1] = ATT_WIRE_VERSION + 1;
	raw[2] = ATT_CMD_START;
	raw[3] = 0;
	raw[4] = 0;
	m = att_wire_seal(raw, 5, enc);
	CHECK(att_fw_proto_command(&p, enc, (uint8_t)(m - 1), &tx) == ATT_FW_ACT_NONE);

	CHECK(att_fw_ring_used(&tx) == 0);
	CHECK(p.streaming == 0);
}

static void test_saturation_flags_name_each_channel(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint16_t mid[4] = {1, 512, 1000, 1022};
	uint16_t low[4] = {0, 512, 512, 512};
	uint16_t high[4] = {512, 512, 512, 1023};
	uint16_t both[4] = {512, 0, 1023, 512};
	CHECK(att_fw_proto_sat_flags(mid) == 0);
	CHECK(att_fw_proto_sat_flags(low) == (ATT_FLAG_SATURATED | 0x10));
	CHECK(att_fw_proto_sat_flags(high) == (ATT_FLAG_SATURATED | 0x80));
	CHECK(att_fw_proto_sat_flags(both) == (ATT_FLAG_SATURATED | 0x20 | 0x40));

	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	(void)send_cmd(&p, &tx, ATT_CMD_START, 0);
	(void)drain(&tx, f, MAX_FRAMES);
	CHECK(att_fw_proto_sample(&p, 0, both, 0, &tx) == 1);
	CHECK(att_fw_proto_sample(&p, 1, mid, 0, &tx) == 1);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[0].u.sample.flags == (ATT_FLAG_SATURATED | 0x20 | 0x40));
	CHECK(f[0].u.sample.ch[2] == 1023);
	CHECK(f[1].u.sample.flags == 0); /* the flag describes one set, it does not stick */
}

static void test_full_ring_drops_counts_and_flags_the_next_frame(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint16_t ch[4] = {10, 20, 30, 40};
	uint32_t k = 0;
	int sent = 0, n, i;
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	(void)send_cmd(&p, &tx, ATT_CMD_START, 0);
	(void)drain(&tx, f, MAX_FRAMES);

	/* Nobody drains: 127 bytes of room hold six 21-byte frames, the seventh is dropped. */
	while (att_fw_proto_sample(&p, k, ch, 0, &tx) == 1) {
		sent++;
		k++;
	}
	CHECK(sent == (int)((ATT_FW_TX_SIZE - 1) / ATT_WIRE_SAMPLE_WIRE));
	CHECK(p.dropped == 1);
	CHECK(p.overflow == 1);
	CHECK(p.seq == sent + 1);
	k++;
	CHECK(att_fw_proto_sample(&p, k++, ch, 0, &tx) == 0); /* still full: a second drop */
	CHECK(p.dropped == 2);

	n = drain(&tx, f, MAX_FRAMES);
	CHECK(n == sent);
	for (i = 0; i < n; i++)
		CHECK(!(f[i].u.sample.flags & ATT_FLAG_TX_OVERFLOW));

	CHECK(att_fw_proto_sample(&p, k, ch, 0, &tx) == 1);
	CHECK(att_fw_proto_sample(&p, k + 1, ch, 0, &tx) == 1);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	/* The gap is visible in both numbers, and the first frame after it says why. */
	CHECK(f[0].u.sample.seq == sent + 2);
	CHECK(f[0].u.sample.counter == k);
	CHECK(f[0].u.sample.flags == ATT_FLAG_TX_OVERFLOW);
	CHECK(f[1].u.sample.seq == sent + 3);
	CHECK(f[1].u.sample.flags == 0);
	CHECK(p.overflow == 0);
	CHECK(p.dropped == 2);
}

static void test_sets_lost_before_framing_are_accounted_like_drops(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint16_t ch[4] = {10, 20, 30, 40};
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	(void)send_cmd(&p, &tx, ATT_CMD_START, 0);
	(void)drain(&tx, f, MAX_FRAMES);
	CHECK(att_fw_proto_sample(&p, 0, ch, 0, &tx) == 1);
	att_fw_proto_drop(&p, 3);
	CHECK(att_fw_proto_sample(&p, 4, ch, 0, &tx) == 1);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[1].u.sample.seq == 4);
	CHECK(f[1].u.sample.flags == ATT_FLAG_TX_OVERFLOW);
	CHECK(p.dropped == 3);
}

static void test_waiting_command_keeps_room_for_its_answer(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint16_t ch[4] = {10, 20, 30, 40};
	uint8_t filler[ATT_FW_TX_SIZE];
	uint8_t b;
	unsigned i;
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	(void)send_cmd(&p, &tx, ATT_CMD_START, 0);
	(void)drain(&tx, f, MAX_FRAMES);
	/* Room for a sample frame but not for a sample frame plus a command's answer. */
	memset(filler, 0x55, sizeof filler);
	CHECK(att_fw_ring_put(&tx, filler, ATT_FW_TX_SIZE - 1 - 60) == 1);
	CHECK(att_fw_proto_sample(&p, 0, ch, ATT_FW_REPLY_MAX, &tx) == 0);
	CHECK(att_fw_ring_room(&tx) == 60);
	CHECK(p.seq == 1 && p.overflow == 1 && p.dropped == 1);
	/* The answer then fits, and without a waiting command samples flow again. */
	(void)send_cmd(&p, &tx, ATT_CMD_IDENTIFY, 0);
	CHECK(att_fw_ring_room(&tx) == 60 - ATT_FW_REPLY_MAX);
	for (i = 0; i < ATT_FW_TX_SIZE - 1 - 60; i++)
		(void)att_fw_ring_get(&tx, &b);
	CHECK(att_fw_proto_sample(&p, 1, ch, 0, &tx) == 1);
	CHECK(drain(&tx, f, MAX_FRAMES) == 3);
	CHECK(f[2].type == ATT_WIRE_SAMPLE && f[2].u.sample.seq == 1);
	CHECK(f[2].u.sample.flags == ATT_FLAG_TX_OVERFLOW);
}

static void test_sequence_number_wraps(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint16_t ch[4] = {10, 20, 30, 40};
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	(void)send_cmd(&p, &tx, ATT_CMD_START, 0);
	(void)drain(&tx, f, MAX_FRAMES);
	p.seq = 0xFFFF;
	CHECK(att_fw_proto_sample(&p, 0xFFFFFFFFu, ch, 0, &tx) == 1);
	CHECK(att_fw_proto_sample(&p, 0, ch, 0, &tx) == 1);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[0].u.sample.seq == 0xFFFF && f[0].u.sample.counter == 0xFFFFFFFFu);
	CHECK(f[1].u.sample.seq == 0 && f[1].u.sample.counter == 0);
}

static void test_reply_budget_fits_identify(void)
{
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint8_t filler[ATT_FW_TX_SIZE];
	uint8_t fill = (uint8_t)(ATT_FW_TX_SIZE - 1 - ATT_FW_REPLY_MAX), b;
	unsigned i;
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);
	/* Leave exactly ATT_FW_REPLY_MAX bytes of room, then ask for the largest answer. */
	memset(filler, 0x55, sizeof filler);
	CHECK(att_fw_ring_put(&tx, filler, fill) == 1);
	CHECK(att_fw_ring_room(&tx) == ATT_FW_REPLY_MAX);
	(void)send_cmd(&p, &tx, ATT_CMD_IDENTIFY, 0);
	CHECK(att_fw_ring_room(&tx) == 0);
	for (i = 0; i < fill; i++)
		CHECK(att_fw_ring_get(&tx, &b) == 1 && b == 0x55);
	CHECK(drain(&tx, f, MAX_FRAMES) == 2);
	CHECK(f[0].type == ATT_WIRE_INFO && f[1].type == ATT_WIRE_ACK);
}

static void test_ring_is_all_or_nothing_and_wraps(void)
{
	struct att_fw_ring r;
	uint8_t in[ATT_FW_TX_SIZE], b;
	unsigned round, i, got = 0, bad = 0;
	att_fw_ring_init(&r);
	for (i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)i;
	CHECK(att_fw_ring_room(&r) == ATT_FW_TX_SIZE - 1);
	CHECK(att_fw_ring_put(&r, in, ATT_FW_TX_SIZE) == 0);
	CHECK(att_fw_ring_used(&r) == 0);
	CHECK(att_fw_ring_put(&r, in, ATT_FW_TX_SIZE - 1) == 1);
	CHECK(att_fw_ring_room(&r) == 0);
	CHECK(att_fw_ring_put(&r, in, 1) == 0);
	while (att_fw_ring_get(&r, &b))
		got++;
	CHECK(got == ATT_FW_TX_SIZE - 1);
	/* 21-byte frames through the ring many times round: bytes come out in order. */
	for (round = 0; round < 100; round++) {
		CHECK(att_fw_ring_put(&r, in + (round % 50), 21) == 1);
		for (i = 0; i < 21; i++)
			if (!att_fw_ring_get(&r, &b) || b != in[(round % 50) + i])
				bad++;
	}
	CHECK(bad == 0);
	CHECK(att_fw_ring_get(&r, &b) == 0);
}

static void test_rx_assembles_frames_and_skips_overlong_ones(void)
{
	struct att_fw_rx rx;
	struct att_fw_proto p;
	struct att_fw_ring tx;
	struct att_wire_frame f[MAX_FRAMES];
	uint8_t enc[ATT_WIRE_MAX_FRAME];
	uint8_t n = command(ATT_CMD_PING, 0x0102, enc), got = 0;
	unsigned i;
	att_fw_rx_init(&rx);
	att_fw_proto_init(&p);
	att_fw_ring_init(&tx);

	CHECK(att_fw_rx_byte(&rx, 0) == 0); /* an empty frame (leading delimiter) is no frame */
	for (i = 0; i < n; i++)
		CHECK(att_fw_rx_byte(&rx, enc[i]) == 0);
	got = att_fw_rx_byte(&rx, 0);
	CHECK(got == n);
	CHECK(memcmp(rx.buf, enc, n) == 0);
	(void)att_fw_proto_command(&p, rx.buf, got, &tx);
	CHECK(drain(&tx, f, MAX_FRAMES) == 1);
	check_ack(&f[0], ATT_CMD_PING, ATT_ACK_OK, 0x0102);

	/* Line noise longer than any frame is dropped up to its delimiter... */
	for (i = 0; i < 300; i++)
		CHECK(att_fw_rx_byte(&rx, (uint8_t)(1 + i % 200)) == 0);
	CHECK(att_fw_rx_byte(&rx, 0) == 0);
	/* ...and the next frame is received intact. */
	for (i = 0; i < n; i++)
		(void)att_fw_rx_byte(&rx, enc[i]);
	CHECK(att_fw_rx_byte(&rx, 0) == n);
	CHECK(memcmp(rx.buf, enc, n) == 0);

	/* A frame of exactly the largest encoded size is still accepted. */
	for (i = 0; i < ATT_WIRE_MAX_ENCODED; i++)
		(void)att_fw_rx_byte(&rx, 7);
	CHECK(att_fw_rx_byte(&rx, 0) == ATT_WIRE_MAX_ENCODED);
}

static void test_timer_gives_every_rate_within_its_error(void)
{
	struct att_fw_timer t;
	unsigned rate, worst_at = 0;
	double worst = 0;
	att_fw_timer_for_rate(250, &t);
	CHECK(t.prescaler == 8 && t.top == 7999); /* 250 Hz exactly: 2 MHz / 8000 */
	att_fw_timer_for_rate(500, &t);
	CHECK(t.prescaler == 8 && t.top == 3999);
	att_fw_timer_for_rate(25, &t);
	CHECK(t.prescaler == 64 && t.top == 9999);
	for (rate = ATT_WIRE_RATE_MIN; rate <= ATT_WIRE_RATE_MAX; rate++) {
		double actual, err;
		att_fw_timer_for_rate((uint16_t)rate, &t);
		CHECK(t.prescaler == (rate >= 31 ? 8 : 64));
		actual = 16e6 / t.prescaler / ((double)t.top + 1.0);
		err = fabs(actual - rate) / rate;
		if (err > worst) {
			worst = err;
			worst_at = rate;
		}
		CHECK(err < (rate >= 31 ? 1.3e-4 : 5e-5));
	}
	printf("worst Timer1 rate error: %.4f %% at %u Hz\n", worst * 100, worst_at);
}

int main(void)
{
	test_info_frame_describes_the_board();
	test_no_sample_frames_before_start();
	test_identify_answers_info_then_ack();
	test_start_streams_and_stop_ends_it();
	test_set_rate_accepts_25_to_500_only();
	test_ping_echoes_and_unknown_commands_get_an_error();
	test_damaged_or_foreign_frames_get_no_answer();
	test_saturation_flags_name_each_channel();
	test_full_ring_drops_counts_and_flags_the_next_frame();
	test_sets_lost_before_framing_are_accounted_like_drops();
	test_waiting_command_keeps_room_for_its_answer();
	test_sequence_number_wraps();
	test_reply_budget_fits_identify();
	test_ring_is_all_or_nothing_and_wraps();
	test_rx_assembles_frames_and_skips_overlong_ones();
	test_timer_gives_every_rate_within_its_error();
	return att_check_done("fw_protocol");
}
