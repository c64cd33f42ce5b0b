/* The wire protocol header (include/attune/wire.h): every frame type and command survives a round
 * trip, extreme values included; the CRC is CRC-16/CCITT-FALSE; sizes are what the link budget
 * assumes; damaged, foreign-version and malformed frames are rejected with the right reason. */
#include <stdint.h>
#include <string.h>

#include "attune/wire.h"
#include "check.h"

static uint32_t rng_state = 12345u;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Parses an encoded frame as a reader would: without its trailing delimiter. */
static enum att_wire_parse_result parse_frame(const uint8_t *f, size_t n,
                                              struct att_wire_frame *out)
{
	return att_wire_parse(f, n - 1, out);
}

static int only_delimiter_at_end(const uint8_t *f, size_t n)
{
	size_t i;
	for (i = 0; i + 1 < n; i++)
		if (f[i] == 0)
			return 0;
	return f[n - 1] == 0;
}

static void crc_matches_the_ccitt_false_check_value(void)
{
	CHECK(att_wire_crc16((const uint8_t *)"123456789", 9) == 0x29B1);
	CHECK(att_wire_crc16(NULL, 0) == 0xFFFF);
}

static void sample_round_trip(const struct att_wire_sample *s)
{
	uint8_t f[ATT_WIRE_MAX_FRAME];
	struct att_wire_frame out;
	size_t n = att_wire_encode_sample(s, f);
	CHECK(n == 21);
	CHECK(n == ATT_WIRE_SAMPLE_WIRE);
	CHECK(only_delimiter_at_end(f, n));
	memset(&out, 0xA5, sizeof(out));
	CHECK(parse_frame(f, n, &out) == ATT_WIRE_OK);
	CHECK(out.type == ATT_WIRE_SAMPLE);
	CHECK(out.version == ATT_WIRE_VERSION);
	CHECK(out.u.sample.seq == s->seq);
	CHECK(out.u.sample.counter == s->counter);
	CHECK(out.u.sample.flags == s->flags);
	CHECK(memcmp(out.u.sample.ch, s->ch, sizeof(s->ch)) == 0);
}

static void sample_frames_round_trip_with_extreme_values(void)
{
	struct att_wire_sample s;
	int i;
	memset(&s, 0, sizeof(s));
	sample_round_trip(&s); /* all zero: the most COBS code bytes */
	s.seq = 0xFFFF;
	s.counter = 0xFFFFFFFFu;
	s.flags = 0xFF;
	for (i = 0; i < (int)ATT_WIRE_CHANNELS; i++)
		s.ch[i] = 0xFFFF;
	sample_round_trip(&s); /* no zero byte at all */
	s.seq = 0x0100;
	s.counter = 0x00010000u;
	s.flags = ATT_FLAG_TX_OVERFLOW | ATT_FLAG_SATURATED | (1u << ATT_FLAG_SAT_SHIFT);
	s.ch[0] = 1023;
	s.ch[1] = 0;
	s.ch[2] = 0x00FF;
	s.ch[3] = 0xFF00;
	sample_round_trip(&s);
	for (i = 0; i < 10000; i++) {
		int c;
		s.seq = (uint16_t)rnd();
		s.counter = rnd();
		s.flags = (uint8_t)rnd();
		for (c = 0; c < (int)ATT_WIRE_CHANNELS; c++)
			s.ch[c] =
			        (uint16_t)(rnd() >> (rnd() % 17u)); /* mix small and large values */
		sample_round_trip(&s);
	}
}

static void info_round_trip(const struct att_wire_info *in, size_t want_names)
{
	uint8_t f[ATT_WIRE_MAX_FRAME];
	struct att_wire_frame out;
	size_t n = att_wire_encode_info(in, f);
	CHECK(n == ATT_WIRE_ON_WIRE(ATT_WIRE_INFO_BODY_MIN + want_names));
	CHECK(n <= ATT_WIRE_MAX_FRAME);
	CHECK(only_delimiter_at_end(f, n));
	memset(&out, 0, sizeof(out));
	CHECK(parse_frame(f, n, &out) == ATT_WIRE_OK);
	CHECK(out.type == ATT_WIRE_INFO);
	CHECK(out.version == ATT_WIRE_VERSION);
	CHECK(out.u.info.fw_major == in->fw_major);
	CHECK(out.u.info.fw_minor == in->fw_minor);
	CHECK(out.u.info.fw_patch == in->fw_patch);
	CHECK(out.u.info.board == in->board);
	CHECK(out.u.info.channels == in->channels);
	CHECK(out.u.info.adc_bits == in->adc_bits);
	CHECK(out.u.info.rate_hz == in->rate_hz);
	CHECK(out.u.info.vref_mv == in->vref_mv);
	CHECK(out.u.info.streaming == in->streaming);
	CHECK(out.u.info.names_len == want_names);
	CHECK(memcmp(out.u.info.names, in->names, want_names) == 0);
}

static void info_frames_round_trip_with_names(void)
{
	static const char names[] = "A-resp,A-PPG,B-resp,B-PPG";
	struct att_wire_info info;
	memset(&info, 0, sizeof(info));
	info_round_trip(&info, 0);
	info.fw_major = 1;
	info.fw_minor = 2;
	info.fw_patch = 3;
	info.board = ATT_BOARD_ATMEGA328P;
	info.channels = ATT_WIRE_CHANNELS;
	info.adc_bits = 10;
	info.rate_hz = ATT_WIRE_RATE_DEFAULT;
	info.vref_mv = 5000;
	info.streaming = 1;
	info.names_len = (uint8_t)strlen(names);
	memcpy(info.names, names, strlen(names));
	info_round_trip(&info, strlen(names));
	/* Longest names, all bytes 0xFF elsewhere: the largest frame there is. */
	info.fw_major = info.fw_minor = info.fw_patch = 0xFF;
	info.rate_hz = 0xFFFF;
	info.vref_mv = 0xFFFF;
	info.names_len = ATT_WIRE_NAMES_MAX;
	memset(info.names, ',', ATT_WIRE_NAMES_MAX);
	info_round_trip(&info, ATT_WIRE_NAMES_MAX);
	/* The encoder clamps a names_len beyond the field instead of reading past it. */
	info.names_len = 200;
	info_round_trip(&info, ATT_WIRE_NAMES_MAX);
}

static void every_command_and_ack_round_trips(void)
{
	static const uint8_t cmds[] = {ATT_CMD_IDENTIFY, ATT_CMD_START, ATT_CMD_STOP,
	                               ATT_CMD_SET_RATE, ATT_CMD_PING};
	static const uint16_t args[] = {
	        0,      1,     ATT_WIRE_RATE_MIN, ATT_WIRE_RATE_DEFAULT, ATT_WIRE_RATE_MAX, 0x00FF,
	        0xFF00, 0xFFFF};
	static const uint8_t statuses[] = {ATT_ACK_OK, ATT_ACK_UNKNOWN_COMMAND,
	                                   ATT_ACK_BAD_ARGUMENT};
	size_t c, a, s;
	for (c = 0; c < sizeof(cmds); c++) {
		for (a = 0; a < sizeof(args) / sizeof(args[0]); a++) {
			struct att_wire_command cmd = {cmds[c], args[a]};
			uint8_t f[ATT_WIRE_MAX_FRAME];
			struct att_wire_frame out;
			size_t n = att_wire_encode_command(&cmd, f);
			CHECK(n == ATT_WIRE_COMMAND_WIRE);
			CHECK(only_delimiter_at_end(f, n));
			CHECK(parse_frame(f, n, &out) == ATT_WIRE_OK);
			CHECK(out.type == ATT_WIRE_COMMAND);
			CHECK(out.u.command.command == cmds[c]);
			CHECK(out.u.command.arg == args[a]);
			for (s = 0; s < sizeof(statuses); s++) {
				struct att_wire_ack ack = {cmds[c], statuses[s], args[a]};
				n = att_wire_encode_ack(&ack, f);
				CHECK(n == ATT_WIRE_ON_WIRE(ATT_WIRE_ACK_BODY));
				CHECK(only_delimiter_at_end(f, n));
				CHECK(parse_frame(f, n, &out) == ATT_WIRE_OK);
				CHECK(out.type == ATT_WIRE_ACK);
				CHECK(out.u.ack.command == cmds[c]);
				CHECK(out.u.ack.status == statuses[s]);
				CHECK(out.u.ack.value == args[a]);
			}
		}
	}
}

/* Seals raw[0..n-1] as the encoders do and returns the parse result. */
static enum att_wire_parse_result seal_and_parse(uint8_t *raw, size_t n, struct att_wire_frame *out)
{
	uint8_t f[ATT_WIRE_MAX_FRAME + 8];
	size_t len = att_wire_seal(raw, n, f);
	return att_wire_parse(f, len - 1, out);
}

static void foreign_version_is_reported_with_its_version(void)
{
	uint8_t raw[ATT_WIRE_MAX_RAW] = {ATT_WIRE_SAMPLE, ATT_WIRE_VERSION + 1};
	struct att_wire_frame out;
	memset(&out, 0, sizeof(out));
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_SAMPLE_BODY, &out) ==
	      ATT_WIRE_BAD_VERSION);
	CHECK(out.type == ATT_WIRE_SAMPLE);
	CHECK(out.version == ATT_WIRE_VERSION + 1);
	/* Any length: a newer version may have changed the body. */
	raw[0] = ATT_WIRE_INFO;
	raw[1] = 0;
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + 3, &out) == ATT_WIRE_BAD_VERSION);
	CHECK(out.version == 0);
}

static void malformed_frames_are_rejected_with_the_reason(void)
{
	uint8_t raw[ATT_WIRE_MAX_RAW + 4];
	uint8_t enc[ATT_WIRE_MAX_FRAME * 2];
	struct att_wire_frame out;
	memset(raw, 0x11, sizeof(raw));
	raw[1] = ATT_WIRE_VERSION;
	raw[0] = 0x7F;
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + 4, &out) == ATT_WIRE_BAD_TYPE);
	raw[0] = ATT_WIRE_SAMPLE;
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_SAMPLE_BODY - 1, &out) ==
	      ATT_WIRE_BAD_LENGTH);
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_SAMPLE_BODY + 1, &out) ==
	      ATT_WIRE_BAD_LENGTH);
	raw[0] = ATT_WIRE_ACK;
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_ACK_BODY + 1, &out) ==
	      ATT_WIRE_BAD_LENGTH);
	raw[0] = ATT_WIRE_COMMAND;
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_COMMAND_BODY - 1, &out) ==
	      ATT_WIRE_BAD_LENGTH);
	/* Info: names_len must match the body and fit the field. */
	raw[0] = ATT_WIRE_INFO;
	raw[13] = 5;
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_INFO_BODY_MIN + 4, &out) ==
	      ATT_WIRE_BAD_LENGTH);
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_INFO_BODY_MIN + 5, &out) ==
	      ATT_WIRE_OK);
	CHECK(seal_and_parse(raw, ATT_WIRE_HEADER + ATT_WIRE_INFO_BODY_MIN - 1, &out) ==
	      ATT_WIRE_BAD_LENGTH);
	/* Header + CRC is the shortest frame. */
	CHECK(seal_and_parse(raw, 1, &out) == ATT_WIRE_BAD_LENGTH);
	/* Encoded lengths outside 2..ATT_WIRE_MAX_ENCODED are refused before decoding. */
	memset(enc, 0x01, sizeof(enc));
	CHECK(att_wire_parse(enc, 0, &out) == ATT_WIRE_BAD_LENGTH);
	CHECK(att_wire_parse(enc, 1, &out) == ATT_WIRE_BAD_LENGTH);
	CHECK(att_wire_parse(enc, ATT_WIRE_MAX_ENCODED + 1, &out) == ATT_WIRE_BAD_LENGTH);
	/* Not COBS: a code running past the end, and a 0x00 inside. */
	enc[0] = 0x09;
	CHECK(att_wire_parse(enc, 5, &out) == ATT_WIRE_BAD_COBS);
	enc[0] = 0x03;
	enc[1] = 0x00;
	CHECK(att_wire_parse(enc, 5, &out) == ATT_WIRE_BAD_COBS);
	enc[0] = 0x00;
	CHECK(att_wire_parse(enc, 5, &out) == ATT_WIRE_BAD_COBS);
}

static void cobs_round_trips_any_bytes(void)
{
	uint8_t in[253], enc[254], dec[254];
	size_t len, i, n;
	int trial;
	/* Edge patterns: zeros at both ends, all zeros, the longest run without a zero. */
	for (trial = 0; trial < 2000; trial++) {
		len = (size_t)(rnd() % 253u) + 1;
		for (i = 0; i < len; i++) {
			switch (trial % 4) {
			case 0:
				in[i] = (uint8_t)rnd();
				break;
			case 1:
				in[i] = 0;
				break;
			case 2:
				in[i] = (uint8_t)((rnd() & 1u) ? 0 : rnd() | 1u);
				break;
			default:
				in[i] = (uint8_t)(rnd() | 1u);
				break;
			}
		}
		if (trial % 7 == 0) {
			in[0] = 0;
			in[len - 1] = 0;
		}
		n = att_wire_cobs_encode(in, len, enc);
		CHECK(n == len + 1);
		CHECK(memchr(enc, 0, n) == NULL);
		CHECK(att_wire_cobs_decode(enc, n, dec) == len);
		CHECK(memcmp(in, dec, len) == 0);
	}
}

/* CRC-16 guarantee on the frame before COBS: every 1-, 2- and 3-bit error and every burst up to 16
 * bits in a sample frame (data and CRC) is caught. */
static void crc_catches_small_errors_in_a_sample_frame(void)
{
	uint8_t raw[ATT_WIRE_RAW(ATT_WIRE_SAMPLE_BODY)], bad[sizeof(raw)], enc[sizeof(raw) + 1];
	const size_t bits = sizeof(raw) * 8;
	struct att_wire_frame out;
	size_t i, j, k, len, undetected = 0;
	uint32_t pat;
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)rnd();
	raw[0] = ATT_WIRE_SAMPLE;
	raw[1] = ATT_WIRE_VERSION;
	att_wire_put_u16(raw + sizeof(raw) - 2, att_wire_crc16(raw, sizeof(raw) - 2));
	len = att_wire_cobs_encode(raw, sizeof(raw), enc);
	CHECK(att_wire_parse(enc, len, &out) == ATT_WIRE_OK);
	for (i = 0; i < bits; i++) {
		for (j = i; j < bits; j++) {
			for (k = j; k < bits; k++) {
				memcpy(bad, raw, sizeof(raw));
				bad[i / 8] ^= (uint8_t)(1u << (i % 8));
				if (j != i)
					bad[j / 8] ^= (uint8_t)(1u << (j % 8));
				if (k != j)
					bad[k / 8] ^= (uint8_t)(1u << (k % 8));
				len = att_wire_cobs_encode(bad, sizeof(bad), enc);
				undetected += att_wire_parse(enc, len, &out) == ATT_WIRE_OK;
			}
		}
	}
	/* Bursts: first and last bit of the window flipped, any pattern between (sampled). */
	for (i = 0; i + 16 <= bits; i++) {
		for (k = 0; k < 200; k++) {
			pat = (rnd() & 0x7FFEu) | 0x8001u;
			memcpy(bad, raw, sizeof(raw));
			for (j = 0; j < 16; j++)
				if (pat & (1u << j))
					bad[(i + j) / 8] ^= (uint8_t)(1u << ((i + j) % 8));
			len = att_wire_cobs_encode(bad, sizeof(bad), enc);
			undetected += att_wire_parse(enc, len, &out) == ATT_WIRE_OK;
		}
	}
	CHECK(undetected == 0);
}

int main(void)
{
	crc_matches_the_ccitt_false_check_value();
	sample_frames_round_trip_with_extreme_values();
	info_frames_round_trip_with_names();
	every_command_and_ack_round_trips();
	foreign_version_is_reported_with_its_version();
	malformed_frames_are_rejected_with_the_reason();
	cobs_round_trips_any_bytes();
	crc_catches_small_errors_in_a_sample_frame();
	return att_check_done("wire");
}
