/* Session files are health data: they are private (0600, whatever the umask) and written
 * through a fresh temporary beside their final name (mkostemp: created exclusively, so a
 * symlink or file planted under a predictable name is never followed or reused), renamed into
 * place only when complete.
 *
 * Threads: any; no state. */
#ifndef ATT_PRIVATE_FILE_H
#define ATT_PRIVATE_FILE_H

#include <stddef.h>

#include "attune/err.h"

/* Creates the temporary for path ("path.XXXXXX", its name into tmp) with mode 0600 and returns
 * its descriptor (>= 0, close-on-exec), or an att_err (< 0) with one line in why. Libraries that
 * open files by name (EDFlib, cairo) are given tmp after the caller closes the descriptor: the
 * file exists and is ours, they reopen it. */
int att_private_temp(const char *path, char *tmp, size_t tmp_len, char *why, size_t why_len);

/* fsyncs tmp and renames it to path (on failure tmp is removed, why says so). */
int att_private_commit(const char *tmp, const char *path, char *why, size_t why_len);

#endif
