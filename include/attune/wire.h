/* attune wire protocol: the one definition of every byte between the device and the host.
 *
 * Compiled unchanged by the firmware (avr-gcc, C99) and the host (C11): only <stdint.h> and
 * <stddef.h>, no allocation, every function static inline so each side keeps only what it uses.
 *
 * Framing: COBS with a 0x00 delimiter. COBS guarantees that 0x00 appears only between frames, so
 * after any corruption the reader drops bytes up to the next 0x00 and is in step again: damage never
 * spreads past the frame it hit. Sync-byte + length framing cannot promise that (a corrupted length
 * swallows the next frames, a sync byte inside the data fakes a frame start). COBS costs one byte per
 * frame here (frames are shorter than 254 bytes).
 *
 * Frame before COBS:  type u8 | version u8 | body | CRC-16 (little-endian) over type..body
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): detects every error of 1-3 bits, every odd number of
 * bit errors and every burst up to 16 bits in frames of this size.
 * All multi-byte fields are little-endian, written byte by byte (no packed-struct casts).
 */
#ifndef ATTUNE_WIRE_H
#define ATTUNE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define ATT_WIRE_VERSION   1u
#define ATT_WIRE_CHANNELS  4u
#define ATT_WIRE_DELIMITER 0x00u
#define ATT_WIRE_BAUD      115200ul

/* Sample rate limits (Hz). 250 Hz is the default: four channels at 250 Hz load the link to 50 %
 * even at the 11 bits per byte the simulator counts. */
#define ATT_WIRE_RATE_MIN     25u
#define ATT_WIRE_RATE_MAX     500u
#define ATT_WIRE_RATE_DEFAULT 250u

enum att_wire_type {
	ATT_WIRE_SAMPLE = 0x01, /* device -> host: one sample of every channel */
	ATT_WIRE_INFO = 0x02,   /* device -> host: who the device is; after reset and on identify */
	ATT_WIRE_ACK = 0x03,    /* device -> host: answer to a command */
	ATT_WIRE_COMMAND = 0x10, /* host -> device */
};

enum att_wire_command_code {
	ATT_CMD_IDENTIFY = 1, /* answered by an info frame, then an ack */
	ATT_CMD_START = 2,    /* start streaming sample frames */
	ATT_CMD_STOP = 3,     /* stop streaming */
	ATT_CMD_SET_RATE = 4, /* arg = rate in Hz, ATT_WIRE_RATE_MIN..ATT_WIRE_RATE_MAX */
	ATT_CMD_PING = 5,     /* arg echoed in the ack's value */
};

enum att_wire_ack_status {
	ATT_ACK_OK = 0,
	ATT_ACK_UNKNOWN_COMMAND = 1,
	ATT_ACK_BAD_ARGUMENT = 2,
};

/* Sample frame status flags. */
#define ATT_FLAG_TX_OVERFLOW 0x01u /* the device dropped frames (TX ring full) before this one */
#define ATT_FLAG_SATURATED   0x02u /* some channel is at 0 or full scale */
#define ATT_FLAG_SAT_SHIFT   4u    /* bits 4..7: which channel (bit 4 = channel 0) is saturated */

enum att_wire_board { ATT_BOARD_ATMEGA328P = 1 };

/* Channel order on the wire and on the Uno/Nano pins A0..A3. */
enum att_wire_channel { ATT_CH_A_RESP = 0, ATT_CH_A_PPG = 1, ATT_CH_B_RESP = 2, ATT_CH_B_PPG = 3 };

#define ATT_WIRE_NAMES_MAX 40u /* channel names, comma separated, in the info frame */

struct att_wire_sample {
	uint16_t seq;     /* frame sequence number, +1 per frame sent or dropped, wraps */
	uint32_t counter; /* device sample counter: +1 per sample instant, wraps */
	uint8_t flags;    /* ATT_FLAG_* */
	uint16_t ch[ATT_WIRE_CHANNELS]; /* ADC counts (up to 16 bits) */
};

struct att_wire_info {
	uint8_t fw_major, fw_minor, fw_patch;
	uint8_t board;     /* enum att_wire_board */
	uint8_t channels;  /* ATT_WIRE_CHANNELS */
	uint8_t adc_bits;  /* 10 on the ATmega328P */
	uint16_t rate_hz;  /* current sample rate */
	uint16_t vref_mv;  /* ADC reference voltage */
	uint8_t streaming; /* 1 while sample frames are sent */
	uint8_t names_len; /* bytes used in names */
	char names
	        [ATT_WIRE_NAMES_MAX]; /* not NUL-terminated on the wire; e.g. "A-resp,A-PPG,..." */
};

struct att_wire_ack {
	uint8_t command; /* enum att_wire_command_code being answered */
	uint8_t status;  /* enum att_wire_ack_status */
	uint16_t value;  /* ping: the echoed arg; set rate / start / stop: the current rate */
};

struct att_wire_command {
	uint8_t command; /* enum att_wire_command_code */
	uint16_t arg;
};

struct att_wire_frame {
	uint8_t type;    /* enum att_wire_type */
	uint8_t version; /* ATT_WIRE_VERSION of the sender */
	union {
		struct att_wire_sample sample;
		struct att_wire_info info;
		struct att_wire_ack ack;
		struct att_wire_command command;
	} u;
};

/* Sizes. RAW = before COBS, with header and CRC; WIRE = on the wire with COBS and delimiter. */
#define ATT_WIRE_HEADER        2u
#define ATT_WIRE_CRC           2u
#define ATT_WIRE_SAMPLE_BODY   (2u + 4u + 1u + 2u * ATT_WIRE_CHANNELS)
#define ATT_WIRE_INFO_BODY_MIN 12u
#define ATT_WIRE_INFO_BODY_MAX (ATT_WIRE_INFO_BODY_MIN + ATT_WIRE_NAMES_MAX)
#define ATT_WIRE_ACK_BODY      4u
#define ATT_WIRE_COMMAND_BODY  3u
#define ATT_WIRE_RAW(body)     (ATT_WIRE_HEADER + (body) + ATT_WIRE_CRC)
#define ATT_WIRE_ON_WIRE(body) (ATT_WIRE_RAW(body) + 2u) /* + COBS code byte + delimiter */
#define ATT_WIRE_SAMPLE_WIRE   ATT_WIRE_ON_WIRE(ATT_WIRE_SAMPLE_BODY)
#define ATT_WIRE_COMMAND_WIRE  ATT_WIRE_ON_WIRE(ATT_WIRE_COMMAND_BODY)
#define ATT_WIRE_MAX_RAW       ATT_WIRE_RAW(ATT_WIRE_INFO_BODY_MAX)
/* Largest COBS-encoded frame, delimiter excluded: what a reader must buffer. */
#define ATT_WIRE_MAX_ENCODED   (ATT_WIRE_MAX_RAW + 1u)
/* Buffer size for any att_wire_encode_* output (delimiter included). */
#define ATT_WIRE_MAX_FRAME     (ATT_WIRE_MAX_ENCODED + 1u)

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define ATT_WIRE_ASSERT(cond, name) _Static_assert(cond, #name)
#else
#define ATT_WIRE_ASSERT(cond, name) typedef char att_wire_assert_##name[(cond) ? 1 : -1]
#endif

ATT_WIRE_ASSERT(ATT_WIRE_SAMPLE_BODY == 15u, sample_body_is_15_bytes);
/* 250 Hz x 4 channels must stay within 60 % of 115200 baud 8N1: at most 24 bytes per frame. */
ATT_WIRE_ASSERT(ATT_WIRE_SAMPLE_WIRE == 21u, sample_frame_is_21_bytes_on_the_wire);
ATT_WIRE_ASSERT(ATT_WIRE_SAMPLE_WIRE *ATT_WIRE_RATE_DEFAULT * 10u <= ATT_WIRE_BAUD * 60u / 100u,
                default_rate_fits_the_link);
ATT_WIRE_ASSERT(ATT_WIRE_MAX_RAW < 254u, frames_fit_one_cobs_block);

static inline void att_wire_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xFFu);
	p[1] = (uint8_t)(v >> 8);
}

static inline void att_wire_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v & 0xFFu);
	p[1] = (uint8_t)((v >> 8) & 0xFFu);
	p[2] = (uint8_t)((v >> 16) & 0xFFu);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint16_t att_wire_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | ((uint16_t)p[1] << 8));
}

static inline uint32_t att_wire_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* CRC-16/CCITT-FALSE, byte at a time without a table (small enough for the AVR, fast enough for
 * the host). att_wire_crc16("123456789") == 0x29B1. */
static inline uint16_t att_wire_crc16_update(uint16_t crc, uint8_t byte)
{
	uint8_t x = (uint8_t)((crc >> 8) ^ byte);
	x ^= (uint8_t)(x >> 4);
	return (uint16_t)((crc << 8) ^ ((uint16_t)x << 12) ^ ((uint16_t)x << 5) ^ x);
}

static inline uint16_t att_wire_crc16(const uint8_t *data, size_t len)
{
	uint16_t crc = 0xFFFFu;
	size_t i;
	for (i = 0; i < len; i++)
		crc = att_wire_crc16_update(crc, data[i]);
	return crc;
}

/* COBS-encodes len bytes (len < 254) into out, which needs len + 1 bytes. Returns the encoded
 * length; the encoding holds no 0x00 byte and the delimiter is not written. */
static inline size_t att_wire_cobs_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t code_at = 0, o = 1, i;
	uint8_t code = 1;
	for (i = 0; i < len; i++) {
		if (in[i] == 0) {
			out[code_at] = code;
			code_at = o++;
			code = 1;
		} else {
			out[o++] = in[i];
			code++;
		}
	}
	out[code_at] = code;
	return o;
}

/* Decodes len COBS bytes (delimiter excluded) into out, which needs len bytes. Returns the decoded
 * length, or 0 when the bytes are not valid COBS (a 0x00 inside, or a code running past the end). */
static inline size_t att_wire_cobs_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0;
	while (i < len) {
		uint8_t code = in[i++], k;
		if (code == 0)
			return 0;
		for (k = 1; k < code; k++) {
			if (i >= len || in[i] == 0)
				return 0;
			out[o++] = in[i++];
		}
		if (code != 0xFFu && i < len)
			out[o++] = 0;
	}
	return o;
}

/* Finishes a raw frame whose type, version and body fill raw[0 .. n-1]: appends the CRC,
 * COBS-encodes into out and appends the delimiter. Returns the bytes to send. */
static inline size_t att_wire_seal(uint8_t *raw, size_t n, uint8_t *out)
{
	size_t enc;
	att_wire_put_u16(raw + n, att_wire_crc16(raw, n));
	enc = att_wire_cobs_encode(raw, n + ATT_WIRE_CRC, out);
	out[enc] = ATT_WIRE_DELIMITER;
	return enc + 1;
}

/* Each encoder writes one complete frame (delimiter included) into out, which needs
 * ATT_WIRE_MAX_FRAME bytes, and returns its length. */
static inline size_t att_wire_encode_sample(const struct att_wire_sample *s, uint8_t *out)
{
	uint8_t raw[ATT_WIRE_RAW(ATT_WIRE_SAMPLE_BODY)];
	unsigned c;
	raw[0] = ATT_WIRE_SAMPLE;
	raw[1] = ATT_WIRE_VERSION;
	att_wire_put_u16(raw + 2, s->seq);
	att_wire_put_u32(raw + 4, s->counter);
	raw[8] = s->flags;
	for (c = 0; c < ATT_WIRE_CHANNELS; c++)
		att_wire_put_u16(raw + 9 + 2 * c, s->ch[c]);
	return att_wire_seal(raw, ATT_WIRE_HEADER + ATT_WIRE_SAMPLE_BODY, out);
}

static inline size_t att_wire_encode_info(const struct att_wire_info *info, uint8_t *out)
{
	uint8_t raw[ATT_WIRE_MAX_RAW];
	uint8_t names_len = info->names_len > ATT_WIRE_NAMES_MAX ? (uint8_t)ATT_WIRE_NAMES_MAX
	                                                         : info->names_len;
	uint8_t k;
	raw[0] = ATT_WIRE_INFO;
	raw[1] = ATT_WIRE_VERSION;
	raw[2] = info->fw_major;
	raw[3] = info->fw_minor;
	raw[4] = info->fw_patch;
	raw[5] = info->board;
	raw[6] = info->channels;
	raw[7] = info->adc_bits;
	att_wire_put_u16(raw + 8, info->rate_hz);
	att_wire_put_u16(raw + 10, info->vref_mv);
	raw[12] = info->streaming;
	raw[13] = names_len;
	for (k = 0; k < names_len; k++)
		raw[14 + k] = (uint8_t)info->names[k];
	return att_wire_seal(raw, ATT_WIRE_HEADER + ATT_WIRE_INFO_BODY_MIN + names_len, out);
}

static inline size_t att_wire_encode_ack(const struct att_wire_ack *ack, uint8_t *out)
{
	uint8_t raw[ATT_WIRE_RAW(ATT_WIRE_ACK_BODY)];
	raw[0] = ATT_WIRE_ACK;
	raw[1] = ATT_WIRE_VERSION;
	raw[2] = ack->command;
	raw[3] = ack->status;
	att_wire_put_u16(raw + 4, ack->value);
	return att_wire_seal(raw, ATT_WIRE_HEADER + ATT_WIRE_ACK_BODY, out);
}

static inline size_t att_wire_encode_command(const struct att_wire_command *cmd, uint8_t *out)
{
	uint8_t raw[ATT_WIRE_RAW(ATT_WIRE_COMMAND_BODY)];
	raw[0] = ATT_WIRE_COMMAND;
	raw[1] = ATT_WIRE_VERSION;
	raw[2] = cmd->command;
	att_wire_put_u16(raw + 3, cmd->arg);
	return att_wire_seal(raw, ATT_WIRE_HEADER + ATT_WIRE_COMMAND_BODY, out);
}

enum att_wire_parse_result {
	ATT_WIRE_OK = 0,
	ATT_WIRE_BAD_COBS = 1,    /* framing: not valid COBS */
	ATT_WIRE_BAD_LENGTH = 2,  /* framing: too short, too long, or wrong length for its type */
	ATT_WIRE_BAD_CRC = 3,     /* the bytes were damaged */
	ATT_WIRE_BAD_VERSION = 4, /* intact, but from another protocol version: do not use */
	ATT_WIRE_BAD_TYPE = 5,    /* intact, same version, unknown type */
};

/* Interprets a COBS-decoded frame raw[0 .. n-1] (type, version, body, CRC) whose CRC the caller
 * has already checked: version, type and body length, then the fields into *out. att_wire_parse()
 * is the usual entry; this half exists so a reader with its own faster COBS/CRC loop (the host's
 * stream decoder) still shares this one definition of the layout. */
static inline enum att_wire_parse_result att_wire_parse_verified(const uint8_t *raw, size_t n,
                                                                 struct att_wire_frame *out)
{
	size_t body;
	const uint8_t *b;
	unsigned c;
	if (n < ATT_WIRE_HEADER + ATT_WIRE_CRC)
		return ATT_WIRE_BAD_LENGTH;
	out->type = raw[0];
	out->version = raw[1];
	if (raw[1] != ATT_WIRE_VERSION)
		return ATT_WIRE_BAD_VERSION;
	body = n - ATT_WIRE_HEADER - ATT_WIRE_CRC;
	b = raw + ATT_WIRE_HEADER;
	switch (raw[0]) {
	case ATT_WIRE_SAMPLE:
		if (body != ATT_WIRE_SAMPLE_BODY)
			return ATT_WIRE_BAD_LENGTH;
		out->u.sample.seq = att_wire_get_u16(b);
		out->u.sample.counter = att_wire_get_u32(b + 2);
		out->u.sample.flags = b[6];
		for (c = 0; c < ATT_WIRE_CHANNELS; c++)
			out->u.sample.ch[c] = att_wire_get_u16(b + 7 + 2 * c);
		return ATT_WIRE_OK;
	case ATT_WIRE_INFO:
		if (body < ATT_WIRE_INFO_BODY_MIN ||
		    body != ATT_WIRE_INFO_BODY_MIN + (size_t)b[11] || b[11] > ATT_WIRE_NAMES_MAX)
			return ATT_WIRE_BAD_LENGTH;
		out->u.info.fw_major = b[0];
		out->u.info.fw_minor = b[1];
		out->u.info.fw_patch = b[2];
		out->u.info.board = b[3];
		out->u.info.channels = b[4];
		out->u.info.adc_bits = b[5];
		out->u.info.rate_hz = att_wire_get_u16(b + 6);
		out->u.info.vref_mv = att_wire_get_u16(b + 8);
		out->u.info.streaming = b[10];
		out->u.info.names_len = b[11];
		for (c = 0; c < b[11]; c++)
			out->u.info.names[c] = (char)b[12 + c];
		return ATT_WIRE_OK;
	case ATT_WIRE_ACK:
		if (body != ATT_WIRE_ACK_BODY)
			return ATT_WIRE_BAD_LENGTH;
		out->u.ack.command = b[0];
		out->u.ack.status = b[1];
		out->u.ack.value = att_wire_get_u16(b + 2);
		return ATT_WIRE_OK;
	case ATT_WIRE_COMMAND:
		if (body != ATT_WIRE_COMMAND_BODY)
			return ATT_WIRE_BAD_LENGTH;
		out->u.command.command = b[0];
		out->u.command.arg = att_wire_get_u16(b + 1);
		return ATT_WIRE_OK;
	default:
		return ATT_WIRE_BAD_TYPE;
	}
}

/* Parses one COBS-encoded frame (delimiter excluded, len <= ATT_WIRE_MAX_ENCODED) into *out.
 * A frame with a valid CRC but another version sets out->type and out->version only. */
static inline enum att_wire_parse_result att_wire_parse(const uint8_t *enc, size_t len,
                                                        struct att_wire_frame *out)
{
	uint8_t raw[ATT_WIRE_MAX_ENCODED];
	size_t n;
	if (len < 2 || len > ATT_WIRE_MAX_ENCODED)
		return ATT_WIRE_BAD_LENGTH;
	n = att_wire_cobs_decode(enc, len, raw);
	if (n == 0)
		return ATT_WIRE_BAD_COBS;
	if (n < ATT_WIRE_HEADER + ATT_WIRE_CRC)
		return ATT_WIRE_BAD_LENGTH;
	if (att_wire_crc16(raw, n - ATT_WIRE_CRC) != att_wire_get_u16(raw + n - ATT_WIRE_CRC))
		return ATT_WIRE_BAD_CRC;
	return att_wire_parse_verified(raw, n, out);
}

#endif /* ATTUNE_WIRE_H */
