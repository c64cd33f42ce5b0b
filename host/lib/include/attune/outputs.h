/* Where attune may write: a session's files are never replaced silently, and no command writes
 * over its own input. A session NAME is the set NAME.attraw, NAME.edf, NAME.csv, NAME.json and
 * NAME.timeline.csv; if any of them exists the name is taken.
 *
 * Threads: any; no state. */
#ifndef ATT_OUTPUTS_H
#define ATT_OUTPUTS_H

#include <stddef.h>

#include "attune/err.h"

/* The extensions of a session's files, NULL-terminated. */
extern const char *const att_session_exts[];

/* 1 when one of base's session files exists (which, may be NULL, gets its path), else 0. */
int att_session_taken(const char *base, char *which, size_t which_len);

/* The first of base, base-2, base-3, ... whose session files are all absent, into out.
 * ATT_ERR_ARG when out is too small, ATT_ERR_EXISTS after 9999 names. */
int att_session_free_name(const char *base, char *out, size_t out_len);

/* Refuses base when taken: ATT_ERR_EXISTS with one line naming the file and the fix. With force
 * the session's existing files are removed first (ATT_ERR_IO etc. when one cannot be). */
int att_session_claim(const char *base, int force, char *why, size_t why_len);

/* May path be written? ATT_ERR_EXISTS (one line in why) when it is one of the n inputs (same
 * file, whatever the name, even with force) or already exists and force is 0; ATT_ERR_ARG when
 * it is a directory. */
int att_output_check(const char *path, const char *const *inputs, size_t n, int force, char *why,
                     size_t why_len);

#endif
