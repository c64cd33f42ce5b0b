/* Fixtures shared by the recorder's unit tests (test_record_raw, test_record_edf,
 * test_record_recorder): a private temporary folder per run, removed at the end only when every
 * check passed (kept for a look otherwise), and a file size limit that fails writes the way a
 * full disk does. Header-only (after check.h); main thread. */
#ifndef ATT_TEST_RECORD_FIXTURE_H
#define ATT_TEST_RECORD_FIXTURE_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

/* Creates $TMPDIR/NAME_XXXXXX (/tmp without TMPDIR) into dir; 0, or -1 with a line on stderr. */
static inline int att_tmpdir_make(char *dir, size_t len, const char *name)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, len, "%s/%s_XXXXXX", t ? t : "/tmp", name);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "cannot create a temporary directory: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Removes dir and what it holds, unless a check failed. */
static inline void att_tmpdir_done(const char *dir)
{
	if (!att_check_failures) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
}

/* Limits the size of files this process writes to bytes (SIGXFSZ ignored, so a write past it
 * fails with EFBIG as on a full disk); the limit before goes into *old for att_fsize_restore.
 * Returns setrlimit's result. */
static inline int att_fsize_limit(struct rlimit *old, rlim_t bytes)
{
	struct rlimit lim;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, old);
	lim = *old;
	lim.rlim_cur = bytes;
	return setrlimit(RLIMIT_FSIZE, &lim);
}

static inline void att_fsize_restore(const struct rlimit *old)
{
	setrlimit(RLIMIT_FSIZE, old);
}

#endif
