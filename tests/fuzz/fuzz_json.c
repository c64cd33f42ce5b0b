/* libFuzzer target for the JSON writer: any bytes, as keys and string values, must come out as
 * valid UTF-8 JSON (checked against the well-formed byte sequences of Unicode's table 3-7,
 * written here independently of attune's own UTF-8 code); never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unicode 15, table 3-7: the well-formed UTF-8 byte sequences. */
static int well_formed(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char b = s[i];
		unsigned char lo = 0x80, hi = 0xBF;
		size_t len;
		if (b <= 0x7F) {
			i++;
			continue;
		}
		if (b >= 0xC2 && b <= 0xDF)
			len = 2;
		else if (b >= 0xE0 && b <= 0xEF)
			len = 3, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
		else if (b >= 0xF0 && b <= 0xF4)
			len = 4, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
		else
			return 0;
		if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return 0;
		i += len;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);
	struct att_json *j = NULL;

	if (!text || !f)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	if (att_json_new(&(struct att_json_cfg){.out = f, .indent = 1}, &j) != ATT_OK)
		abort();
	att_json_object_begin(j, NULL);
	/* the bytes as one key and, cut at each NUL, as values */
	att_json_string(j, text, text);
	att_json_array_begin(j, "parts");
	for (size_t i = 0; i <= size; i += strlen(text + i) + 1)
		att_json_string(j, NULL, text + i);
	att_json_array_end(j);
	att_json_object_end(j);
	att_json_end_line(j);
	att_json_free(j);
	fclose(f);
	if (!well_formed((const unsigned char *)out, out_len))
		abort();
	free(out);
	free(text);
	return 0;
}
