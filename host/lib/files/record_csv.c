/* CSV session writer (see record_csv.h). */
#include "attune/record_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attune/private_file.h"

int att_atomic_write(const char *path, int (*write)(FILE *f, void *user), void *user, char *why,
                     size_t why_len)
{
	char tmp[4200];
	FILE *f;
	int e, fd;

	if (!path || !write)
		return att_fail(why, why_len, ATT_ERR_ARG, "att_atomic_write: missing argument");
	if ((fd = att_private_temp(path, tmp, sizeof tmp, why, why_len)) < 0)
		return fd;
	f = fdopen(fd, "w");
	if (!f) {
		e = att_err_from_errno(errno);
		close(fd);
		unlink(tmp);
		return att_fail(why, why_len, e, "cannot write %s: %s", tmp, strerror(errno));
	}
	errno = 0;
	e = write(f, user);
	if (!e && (fflush(f) != 0 || ferror(f)))
		e = att_err_from_errno(errno);
	if (fclose(f) != 0 && !e)
		e = att_err_from_errno(errno);
	if (e) {
		int saved = errno;
		unlink(tmp);
		if (e == ATT_ERR_DISK_FULL)
			return att_fail(why, why_len, e,
			                "writing %s failed: no space left on the disk", path);
		return att_fail(why, why_len, e, "writing %s failed: %s", path,
		                saved ? strerror(saved) : att_strerror(e));
	}
	return att_private_commit(tmp, path, why, why_len);
}

static int write_rec(FILE *f, void *user)
{
	static const char *const names[4] = {"a_resp", "a_ppg", "b_resp", "b_ppg"};
	const struct att_recording *rec = user;

	fputs("t", f);
	for (int c = 0; c < 4; c++)
		if (rec->ch[c])
			fprintf(f, ",%s", names[c]);
	fputs(rec->filled ? ",filled\n" : "\n", f);
	for (size_t k = 0; k < rec->n; k++) {
		if (fprintf(f, "%.6f", rec->t0 + (double)k / rec->rate_hz) < 0)
			return att_err_from_errno(errno);
		for (int c = 0; c < 4; c++)
			if (rec->ch[c])
				fprintf(f, ",%.9g", rec->ch[c][k]);
		if (rec->filled)
			fprintf(f, ",%d", rec->filled[k]);
		if (fputc('\n', f) == EOF)
			return att_err_from_errno(errno);
	}
	return ATT_OK;
}

int att_csv_write_recording(const char *path, const struct att_recording *rec, char *why,
                            size_t why_len)
{
	if (!path || !rec || !(rec->rate_hz > 0))
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "att_csv_write_recording: missing argument");
	return att_atomic_write(path, write_rec, (void *)(uintptr_t)rec, why, why_len);
}
