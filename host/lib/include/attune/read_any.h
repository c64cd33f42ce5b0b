/* Reading any recording attune understands, whatever its name: the one place that knows the
 * formats. By content: a raw capture by its magic, EDF/EDF+ by the header's "0       " version
 * field; a file that is neither is read as CSV, except one named .edf, which gets the EDF
 * reader's reason (a damaged EDF must not be blamed on CSV columns). A new format is one case
 * here.
 *
 * Threads: one thread of a process at a time (EDFlib keeps a process-wide table of open files).
 */
#ifndef ATT_READ_ANY_H
#define ATT_READ_ANY_H

#include <stddef.h>

#include "attune/err.h"
#include "attune/recording.h"

/* Reads path with the reader its content calls for; a raw capture comes back on the grid its
 * EDF holds (gaps filled and flagged, att_capture_to_recording()). Every reader fills the
 * recording's events and meta as far as its format tells. *out is set to NULL first; caller
 * frees with att_recording_free(). On error one line in why (may be NULL), without the path
 * (callers prefix it): ATT_ERR_IO, ATT_ERR_PERMISSION, ATT_ERR_FORMAT, ATT_ERR_NO_DATA,
 * ATT_ERR_NOMEM. */
int att_recording_read_any(const char *path, struct att_recording **out, char *why, size_t why_len);

#endif
