/* libFuzzer target for the stream decoder: arbitrary bytes, fed in arbitrary chunks.
 *
 * Invariants checked (abort() on violation, so libFuzzer keeps the input):
 * - each call consumes at most what it was given, NEED_MORE means everything was consumed, and
 *   a VALID or INVALID answer consumed at least one byte (no livelock);
 * - a VALID frame re-encodes to exactly the bytes that carried it, delimiter included, and those
 *   re-encoded bytes parse back to the same frame;
 * - every byte is accounted for: bytes == bytes_ok + bytes_discarded + bytes_pending;
 * - the counters agree with the answers, and the same bytes fed in one piece give the same counters;
 * - every frame gets the verdict att_wire_parse() gives its bytes (an independent oracle).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attune/wire.h"
#include "attune/decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static size_t encode(const struct att_wire_frame *f, uint8_t *out)
{
	switch (f->type) {
	case ATT_WIRE_SAMPLE:
		return att_wire_encode_sample(&f->u.sample, out);
	case ATT_WIRE_INFO:
		return att_wire_encode_info(&f->u.info, out);
	case ATT_WIRE_ACK:
		return att_wire_encode_ack(&f->u.ack, out);
	case ATT_WIRE_COMMAND:
		return att_wire_encode_command(&f->u.command, out);
	default:
		return 0;
	}
}

struct tally {
	uint64_t valid, invalid;
	struct att_decoder_stats st;
	uint8_t *verdicts; /* per frame: ATT_WIRE_OK for VALID, last_reject for INVALID */
	size_t nverdicts;
};

/* The oracle: cut the stream at every 0x00 (skipping what precedes the first one) and judge each
 * non-empty piece with att_wire_parse(), or as over-long; an unterminated tail is judged only
 * when it is already over-long. Returns the number of verdicts. */
static size_t oracle(const uint8_t *s, size_t n, uint8_t *verdicts)
{
	const uint8_t *z = memchr(s, 0, n);
	size_t i, count = 0;
	if (!z)
		return 0;
	for (i = (size_t)(z - s) + 1; i < n;) {
		const uint8_t *e = memchr(s + i, 0, n - i);
		size_t len = e ? (size_t)(e - (s + i)) : n - i;
		struct att_wire_frame f;
		if (len > ATT_WIRE_MAX_ENCODED)
			verdicts[count++] = ATT_WIRE_BAD_LENGTH;
		else if (e && len > 0)
			verdicts[count++] = (uint8_t)att_wire_parse(s + i, len, &f);
		i += len + 1;
	}
	return count;
}

/* Feeds stream[0..size) in chunks whose sizes come from the seed (0: one piece). */
static void run(const uint8_t *stream, size_t size, uint32_t seed, struct tally *t)
{
	struct att_decoder *dec;
	size_t pos = 0;
	memset(t, 0, sizeof(*t));
	t->verdicts = malloc(size + 1);
	REQUIRE(t->verdicts != NULL);
	REQUIRE(att_decoder_new(&dec) == ATT_OK);
	while (pos < size) {
		size_t n = size - pos, off = 0;
		enum att_decode_result r;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			if (n > (seed >> 16) % 97u + 1)
				n = (seed >> 16) % 97u + 1;
		}
		do {
			struct att_wire_frame f;
			size_t used = (size_t)-1;
			r = att_decoder_feed(dec, stream + pos + off, n - off, &used, &f);
			REQUIRE(used <= n - off);
			off += used;
			if (r == ATT_DECODE_NEED_MORE) {
				REQUIRE(off == n);
			} else {
				REQUIRE(used > 0);
			}
			if (r == ATT_DECODE_VALID) {
				uint8_t enc[ATT_WIRE_MAX_FRAME];
				struct att_wire_frame back;
				size_t m = encode(&f, enc),
				       end = pos + off; /* one past the delimiter */
				t->valid++;
				REQUIRE(m >= 2 && m <= end);
				REQUIRE(memcmp(enc, stream + end - m, m) == 0);
				REQUIRE(att_wire_parse(enc, m - 1, &back) == ATT_WIRE_OK);
				REQUIRE(encode(&back, enc + 0) == m);
				t->verdicts[t->nverdicts++] = ATT_WIRE_OK;
			} else if (r == ATT_DECODE_INVALID) {
				struct att_decoder_stats st;
				att_decoder_stats(dec, &st);
				t->verdicts[t->nverdicts++] = st.last_reject;
				t->invalid++;
			}
		} while (r != ATT_DECODE_NEED_MORE);
		pos += n;
	}
	att_decoder_stats(dec, &t->st);
	REQUIRE(t->st.bytes == size);
	REQUIRE(t->st.bytes_ok + t->st.bytes_discarded + t->st.bytes_pending == size);
	REQUIRE(t->st.bytes_pending <= ATT_WIRE_MAX_ENCODED);
	REQUIRE(t->st.frames_ok == t->valid);
	REQUIRE(t->st.crc_errors + t->st.framing_errors + t->st.version_errors +
	                t->st.unknown_type ==
	        t->invalid);
	REQUIRE(t->st.tx_overflow_frames <= t->valid);
	att_decoder_free(dec);
}

/* Builds a stream in which well-formed frames are common (random bytes almost never pass the
 * CRC): the input is a list of records, each a control byte then that many bytes, taken either as
 * the raw bytes of a frame to seal (CRC, COBS, delimiter) or as bytes to copy verbatim. */
static size_t build(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0, len = 0;
	while (i < n) {
		uint8_t ctl = in[i++];
		size_t k = (size_t)(ctl & 0x3Fu) + 1;
		if (k > n - i)
			k = n - i;
		if ((ctl & 0x80u) && k + ATT_WIRE_CRC <= ATT_WIRE_MAX_RAW) {
			uint8_t raw[ATT_WIRE_MAX_RAW];
			memcpy(raw, in + i, k);
			if (ctl & 0x40u && k >= 2)
				raw[1] =
				        ATT_WIRE_VERSION; /* mostly our version, to reach the bodies */
			len += att_wire_seal(raw, k, out + len);
		} else {
			memcpy(out + len, in + i, k);
			len += k;
		}
		i += k;
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *built = NULL;
	struct tally a, b;
	const uint8_t *stream = data + 5;
	size_t len = size - 5;
	uint32_t seed;
	if (size < 5)
		return 0;
	/* The first four bytes choose the chunking, the fifth whether the rest is the stream itself
	 * or records to build it from. */
	seed = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	       (uint32_t)data[3] << 24;
	if (data[4] & 1u) {
		/* Each record of k + 1 input bytes yields at most k + 4 bytes: 2.5 x is enough. */
		built = malloc(size * 3);
		REQUIRE(built != NULL);
		len = build(data + 5, size - 5, built);
		stream = built;
	}
	run(stream, len, seed | 1u, &a);
	run(stream, len, 0, &b);
	/* The decoder judges every frame exactly as att_wire_parse() would (it has its own faster
	 * COBS and CRC loops). */
	{
		uint8_t *want = malloc(len + 1);
		REQUIRE(want != NULL);
		REQUIRE(oracle(stream, len, want) == a.nverdicts);
		REQUIRE(memcmp(want, a.verdicts, a.nverdicts) == 0);
		REQUIRE(b.nverdicts == a.nverdicts &&
		        memcmp(b.verdicts, a.verdicts, a.nverdicts) == 0);
		free(want);
	}
	free(a.verdicts);
	free(b.verdicts);
	REQUIRE(a.valid == b.valid && a.invalid == b.invalid);
	REQUIRE(a.st.bytes_ok == b.st.bytes_ok && a.st.bytes_discarded == b.st.bytes_discarded);
	REQUIRE(a.st.crc_errors == b.st.crc_errors && a.st.framing_errors == b.st.framing_errors);
	REQUIRE(a.st.version_errors == b.st.version_errors &&
	        a.st.unknown_type == b.st.unknown_type);
	REQUIRE(a.st.seq_gaps == b.st.seq_gaps && a.st.samples_lost == b.st.samples_lost);
	REQUIRE(a.st.last_reject == b.st.last_reject);
	free(built);
	return 0;
}
