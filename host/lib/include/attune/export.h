/* Session export: the session files rebuilt from a raw capture, the one path both the end of a
 * recording and `attune recover` take. BASE.edf (the four raw channels plus the analysis as
 * derived 1 Hz channels), BASE.csv (raw counts plus derived columns), BASE.json (the analysis in
 * the `attune analyze --json` layout plus "session": when, who, the device, what was lost or
 * marked) and, when the session is long enough to analyse, BASE.timeline.csv.
 *
 * It lives in offline/ because it runs the offline analysis; the recorder (live/) only closes
 * the capture, and the caller exports after att_recorder_stop().
 *
 * Invariant: each file is complete or absent (written to a private temporary and renamed,
 * private_file.h).
 * Threads: EDFlib keeps a process-wide table of open files, so only one thread of a process may
 * export at a time. Nothing here prints. */
#ifndef ATT_EXPORT_H
#define ATT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "attune/analysis.h"
#include "attune/err.h"
#include "attune/record_raw.h"

/* What an export produced, for the user. */
struct att_export_report {
	uint64_t samples;        /* measured samples */
	uint64_t samples_filled; /* missing samples filled in gaps */
	uint64_t gaps;
	double duration_s;      /* grid length / rate */
	int analysed;           /* 1 when NAME.json holds an analysis */
	char analysis_why[160]; /* why not, when analysed = 0 */
};

/* What the source dropped within the recording that the raw capture does not hold (the
 * source status's frames_duplicate and frames_stale while it ran): NAME.json's session
 * frames_duplicate and frames_stale. */
struct att_export_link {
	uint64_t frames_duplicate; /* frames repeating the last sample, dropped */
	uint64_t frames_stale;     /* frames older than the last sample, dropped */
};

/* Reads base.attraw and writes the session files beside it (the end of a recording). link (may
 * be NULL: not known, those keys are null) is borrowed for the call; report may be NULL.
 * Returns the first error with one line in why (may be NULL) naming the file:
 * ATT_ERR_IO / ATT_ERR_FORMAT (capture unreadable), ATT_ERR_NO_DATA (no samples recorded),
 * ATT_ERR_ARG, ATT_ERR_NOMEM, ATT_ERR_PERMISSION, ATT_ERR_DISK_FULL. */
int att_export_capture(const char *base, const struct att_export_link *link,
                       struct att_export_report *report, char *why, size_t why_len);

/* The same from a capture already read (borrowed), for `attune recover`, which reports what it
 * read (the link's counts are not in the capture: null). */
int att_capture_export(const struct att_capture *s, const char *base,
                       struct att_export_report *report, char *why, size_t why_len);

/* Writes the grid (borrowed) as CSV (record_csv.h's columns) and, when an is not NULL, its
 * derived columns. On failure nothing is left at path (nor its temporary) and why (may be NULL)
 * holds one line: ATT_ERR_ARG, ATT_ERR_IO, ATT_ERR_PERMISSION, ATT_ERR_DISK_FULL. */
int att_csv_write(const char *path, const struct att_grid *g, const struct att_analysis *an,
                  char *why, size_t why_len);

/* Index of the timeline window whose centre is nearest to t (an->n_timeline > 0), for writers
 * that spread per-window values over samples or seconds. */
size_t att_record_window_at(const struct att_analysis *an, double t);

#endif
