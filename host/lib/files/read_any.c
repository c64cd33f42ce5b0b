/* Format dispatch (read_any.h). */
#include "attune/read_any.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "attune/csv.h"
#include "attune/record_edf.h"
#include "attune/record_raw.h"

static int read_raw(const char *path, struct att_recording **out, char *why, size_t why_len)
{
	struct att_capture *s;
	int e = att_raw_read(path, &s, NULL, why, why_len);
	if (e)
		return e;
	e = att_capture_to_recording(s, out);
	att_capture_free(s);
	if (e == ATT_ERR_NO_DATA)
		return att_fail(why, why_len, e, "the raw capture holds no samples");
	if (e)
		return att_fail(why, why_len, e, "%s", att_strerror(e));
	return ATT_OK;
}

static int named_edf(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	return dot && (!slash || dot > slash) && !strcasecmp(dot, ".edf");
}

int att_recording_read_any(const char *path, struct att_recording **out, char *why, size_t why_len)
{
	uint8_t head[8] = {0};
	size_t got = 0;
	FILE *f;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!path)
		return ATT_ERR_ARG;
	/* a file that cannot be opened goes on to a reader, which says why in its own words */
	f = fopen(path, "rb");
	if (f) {
		got = fread(head, 1, sizeof head, f);
		int err = ferror(f);
		fclose(f);
		if (!got && !err)
			return att_fail(why, why_len, ATT_ERR_FORMAT,
			                "the file is empty (0 bytes): nothing was recorded in it");
	}
	if (att_raw_is_capture(head, got))
		return read_raw(path, out, why, why_len);
	if ((got == 8 && !memcmp(head, "0       ", 8)) || named_edf(path))
		return att_edf_read(path, out, why, why_len);
	return att_csv_read(path, out, why, why_len);
}
