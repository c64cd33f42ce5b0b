/* libFuzzer target for the CSV reader: any bytes must give either a recording that keeps the
 * reader's promises (2+ samples, rate 25-1000 Hz, both respiration channels) or an error with a
 * one-line message; never a crash, a leak or a hang. The input reaches att_csv_read() through an
 * in-memory file (memfd) so no disk is touched. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attune/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz_csv", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct att_recording *rec = NULL;
	char why[256];
	int err = att_csv_read(path, &rec, why, sizeof why);
	if (err == ATT_OK) {
		if (!rec || rec->n < 2 || !(rec->rate_hz >= 25 && rec->rate_hz <= 1000) ||
		    !rec->ch[0] || !rec->ch[2])
			abort();
		/* Touch every sample so ASan checks the sizes. */
		volatile float sink = 0;
		for (int c = 0; c < 4; c++)
			if (rec->ch[c])
				for (size_t i = 0; i < rec->n; i++)
					sink += rec->ch[c][i];
		(void)sink;
	} else if (rec || !why[0] || strchr(why, '\n')) {
		abort();
	}
	att_recording_free(rec);
	return 0;
}
