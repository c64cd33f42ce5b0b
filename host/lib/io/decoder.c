/* Stream decoder: COBS frames out of an arbitrary byte stream (see decoder.h).
 *
 * Invariant: len <= ATT_WIRE_MAX_ENCODED bytes are buffered, and only while a frame is unfinished
 * and not being skipped. Input is scanned with memchr for the delimiter; a frame that arrives whole
 * in one buffer is parsed in place without copying.
 */
#include "attune/decoder.h"

#include <stdlib.h>
#include <string.h>

enum skip_mode {
	SKIP_NONE = 0,
	SKIP_PARTIAL, /* before the first delimiter after start or reset: not an error */
	SKIP_GARBAGE, /* rest of an over-long run, already counted as one framing error */
};

struct att_decoder {
	/* CRC-16/CCITT-FALSE tables for four bytes per step (slicing-by-4): crc[k][i] is the CRC
	 * register after byte i followed by k zero bytes, from 0. Same CRC as att_wire_crc16() (whose
	 * table-free form suits the AVR), 4-5 times faster on the host; per decoder rather than global
	 * so the library has no shared state. */
	uint16_t crc[4][256];
	uint8_t raw[ATT_WIRE_MAX_ENCODED];
	uint8_t buf[ATT_WIRE_MAX_ENCODED];
	size_t len;
	enum skip_mode skip;
	int seq_known;
	uint16_t seq_next;
	struct att_decoder_stats st;
};

enum att_err att_decoder_new(struct att_decoder **out)
{
	struct att_decoder *dec;
	unsigned i, k;
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	dec = calloc(1, sizeof(*dec));
	if (!dec)
		return ATT_ERR_NOMEM;
	dec->skip = SKIP_PARTIAL;
	for (i = 0; i < 256; i++) {
		uint16_t c = (uint16_t)(i << 8);
		int bit;
		for (bit = 0; bit < 8; bit++)
			c = (uint16_t)((c & 0x8000u) ? (unsigned)(c << 1) ^ 0x1021u
			                             : (unsigned)(c << 1));
		dec->crc[0][i] = c;
	}
	for (k = 1; k < 4; k++)
		for (i = 0; i < 256; i++) {
			uint16_t c = dec->crc[k - 1][i];
			dec->crc[k][i] = (uint16_t)((c << 8) ^ dec->crc[0][c >> 8]);
		}
	*out = dec;
	return ATT_OK;
}

void att_decoder_free(struct att_decoder *dec)
{
	free(dec);
}

void att_decoder_stats(const struct att_decoder *dec, struct att_decoder_stats *out)
{
	*out = dec->st;
	out->bytes_pending = dec->len;
}

void att_decoder_reset_sequence(struct att_decoder *dec)
{
	dec->seq_known = 0;
}

void att_decoder_reset(struct att_decoder *dec)
{
	dec->st.bytes_discarded += dec->len;
	dec->len = 0;
	dec->skip = SKIP_PARTIAL;
	dec->seq_known = 0;
}

static void count_sample(struct att_decoder *dec, const struct att_wire_sample *s)
{
	if (dec->seq_known) {
		/* Modular difference: a gap across the 65535 -> 0 wrap counts the frames in between. */
		uint16_t missing = (uint16_t)(s->seq - dec->seq_next);
		if (missing) {
			dec->st.seq_gaps++;
			dec->st.samples_lost += missing;
		}
	}
	dec->seq_known = 1;
	dec->seq_next = (uint16_t)(s->seq + 1u);
	if (s->flags & ATT_FLAG_TX_OVERFLOW)
		dec->st.tx_overflow_frames++;
}

static uint16_t crc16(const struct att_decoder *dec, const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFFu;
	while (n >= 4) {
		unsigned x = crc ^ ((unsigned)p[0] << 8 | p[1]);
		crc = (uint16_t)(dec->crc[3][x >> 8] ^ dec->crc[2][x & 0xFFu] ^ dec->crc[1][p[2]] ^
		                 dec->crc[0][p[3]]);
		p += 4;
		n -= 4;
	}
	while (n--)
		crc = (uint16_t)((crc << 8) ^ dec->crc[0][(crc >> 8) ^ *p++]);
	return crc;
}

/* att_wire_parse() with the decoder's faster COBS and CRC loops; the same answer for every input
 * (the fuzz target checks that). enc holds no 0x00: it was cut at the delimiters. */
static enum att_wire_parse_result parse(struct att_decoder *dec, const uint8_t *enc, size_t len,
                                        struct att_wire_frame *out)
{
	uint8_t *raw = dec->raw;
	size_t i = 0, n = 0;
	if (len < 2 || len > ATT_WIRE_MAX_ENCODED)
		return ATT_WIRE_BAD_LENGTH;
	while (i < len) {
		size_t run = (size_t)enc[i++] - 1;
		if (run > len - i) /* also catches code 0x00, which wraps to SIZE_MAX */
			return ATT_WIRE_BAD_COBS;
		memcpy(raw + n, enc + i, run);
		n += run;
		i += run;
		if (run != 0xFE && i < len)
			raw[n++] = 0;
	}
	if (n < ATT_WIRE_HEADER + ATT_WIRE_CRC)
		return ATT_WIRE_BAD_LENGTH;
	if (crc16(dec, raw, n - ATT_WIRE_CRC) != att_wire_get_u16(raw + n - ATT_WIRE_CRC))
		return ATT_WIRE_BAD_CRC;
	return att_wire_parse_verified(raw, n, out);
}

/* Judges one complete frame of n encoded bytes (n >= 1; its delimiter already consumed). */
static enum att_decode_result finish(struct att_decoder *dec, const uint8_t *enc, size_t n,
                                     struct att_wire_frame *frame)
{
	enum att_wire_parse_result r = parse(dec, enc, n, frame);
	switch (r) {
	case ATT_WIRE_OK:
		dec->st.version_streak = 0;
		dec->st.frames_ok++;
		dec->st.bytes_ok += n + 1;
		if (frame->type == ATT_WIRE_SAMPLE)
			count_sample(dec, &frame->u.sample);
		return ATT_DECODE_VALID;
	case ATT_WIRE_BAD_CRC:
		dec->st.crc_errors++;
		break;
	case ATT_WIRE_BAD_VERSION:
		dec->st.version_errors++;
		if (dec->st.version_streak && frame->version == dec->st.last_foreign_version)
			dec->st.version_streak++;
		else
			dec->st.version_streak = 1;
		dec->st.last_foreign_version = frame->version;
		break;
	case ATT_WIRE_BAD_TYPE:
		dec->st.unknown_type++;
		break;
	case ATT_WIRE_BAD_COBS:
	case ATT_WIRE_BAD_LENGTH:
	default:
		dec->st.framing_errors++;
		break;
	}
	dec->st.last_reject = (uint8_t)r;
	dec->st.bytes_discarded += n + 1;
	return ATT_DECODE_INVALID;
}

enum att_decode_result att_decoder_feed(struct att_decoder *dec, const uint8_t *buf, size_t len,
                                        size_t *consumed, struct att_wire_frame *frame)
{
	size_t pos = 0;
	while (pos < len) {
		const uint8_t *in = buf + pos;
		size_t avail = len - pos;
		const uint8_t *z = memchr(in, ATT_WIRE_DELIMITER, avail);
		size_t chunk = z ? (size_t)(z - in) : avail;

		if (dec->skip != SKIP_NONE) {
			dec->st.bytes += chunk + (z != NULL);
			dec->st.bytes_discarded += chunk + (z != NULL);
			pos += chunk + (z != NULL);
			if (z)
				dec->skip = SKIP_NONE;
			continue;
		}
		if (dec->len + chunk > ATT_WIRE_MAX_ENCODED) {
			/* No valid frame is this long: one framing error for the whole run, then drop
			 * everything up to the next delimiter. */
			size_t take = ATT_WIRE_MAX_ENCODED + 1 - dec->len;
			dec->st.bytes += take;
			dec->st.bytes_discarded += dec->len + take;
			dec->st.framing_errors++;
			dec->st.last_reject = ATT_WIRE_BAD_LENGTH;
			dec->len = 0;
			dec->skip = SKIP_GARBAGE;
			*consumed = pos + take;
			return ATT_DECODE_INVALID;
		}
		if (!z) {
			memcpy(dec->buf + dec->len, in, chunk);
			dec->len += chunk;
			dec->st.bytes += chunk;
			break;
		}
		dec->st.bytes += chunk + 1;
		pos += chunk + 1;
		if (dec->len == 0) {
			if (chunk == 0) {
				/* Idle delimiter (senders may flush with one): not an error. */
				dec->st.bytes_discarded++;
				continue;
			}
			*consumed = pos;
			return finish(dec, in, chunk, frame);
		}
		memcpy(dec->buf + dec->len, in, chunk);
		chunk += dec->len;
		dec->len = 0;
		*consumed = pos;
		return finish(dec, dec->buf, chunk, frame);
	}
	*consumed = len;
	return ATT_DECODE_NEED_MORE;
}
