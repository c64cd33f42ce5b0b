/* libFuzzer target for the raw capture reader: any bytes must give either a session that keeps
 * the reader's promises (accounted bytes, events inside the samples, a plausible rate) or an error
 * with a one-line message; never a crash, a leak or a hang.
 *
 * Random bytes almost never carry valid CRCs, so half the inputs (first byte odd) are turned into a
 * well-formed capture first: a valid header, then the input cut into records whose type, length
 * and CRC are made right. That drives the record parsers; the other half exercise the header
 * checks and the resynchronising scan over damaged bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attune/record_raw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t build(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t o = 0, i = 0;
	memset(out, 0, 32);
	memcpy(out, "ATTRAW\r\n", 8);
	att_wire_put_u16(out + 8, ATT_RAW_VERSION);
	att_wire_put_u16(out + 10, 32);
	att_wire_put_u32(out + 28, att_crc32(0, out, 28));
	o = 32;
	/* each record: 1 byte type (1..6), 1 byte length, that many payload bytes */
	while (i + 2 <= size) {
		uint8_t type = (uint8_t)(data[i] % 6 + 1);
		size_t len = data[i + 1];
		i += 2;
		if (len > size - i)
			len = size - i;
		out[o] = 0x5A;
		out[o + 1] = 0xA5;
		out[o + 2] = type;
		out[o + 3] = 0;
		att_wire_put_u32(out + o + 4, (uint32_t)len);
		memcpy(out + o + 8, data + i, len);
		att_wire_put_u32(out + o + 8 + len, att_crc32(0, out + o + 2, 6 + len));
		o += 12 + len;
		i += len;
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_capture *s = NULL;
	struct att_raw_stats st;
	char why[256];
	uint8_t *buf = NULL;
	const uint8_t *in = data;
	size_t len = size;
	int err;

	if (size && (data[0] & 1)) {
		/* at most 12 bytes of framing per 2 input bytes */
		buf = malloc(32 + 6 * size + 16);
		if (!buf)
			abort();
		len = build(data + 1, size - 1, buf);
		in = buf;
	}
	why[0] = '\0';
	err = att_raw_parse(in, len, &s, &st, why, sizeof why);
	if (err == ATT_OK) {
		struct att_grid *g = NULL;
		if (!s || st.good_bytes + st.ignored_bytes != st.file_bytes || st.file_bytes != len)
			abort();
		if (s->info.rate_hz < ATT_WIRE_RATE_MIN || s->info.rate_hz > 1000)
			abort();
		for (size_t i = 0; i < s->n_events; i++)
			if (s->events[i].sample_index > s->n_samples)
				abort();
		if (memchr(s->meta.label_a, 0, sizeof s->meta.label_a) == NULL ||
		    memchr(s->meta.note, 0, sizeof s->meta.note) == NULL)
			abort();
		/* the grid of a few samples, with short gaps so memory stays bounded */
		if (s->n_samples <= 64 && att_grid_new(s, 0.05, &g) == ATT_OK) {
			if (g->n < s->n_samples)
				abort();
			for (size_t i = 0; i < g->n_events; i++)
				if (g->event_at[i] > g->n)
					abort();
			att_grid_free(g);
		}
		att_capture_free(s);
	} else {
		if (s || !why[0] || strchr(why, '\n'))
			abort();
	}
	free(buf);
	return 0;
}
