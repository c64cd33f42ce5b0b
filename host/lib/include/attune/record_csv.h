/* CSV session files: NAME.csv in the analyze input contract plus derived columns, so a session can
 * be re-analysed or opened in a spreadsheet.
 *
 * Columns: t,a_resp,a_ppg,b_resp,b_ppg,filled[,match,plv,relative_phase_deg,a_breath_rate_bpm,
 * b_breath_rate_bpm,a_heart_rate_bpm,b_heart_rate_bpm]. t in seconds from the first sample on a
 * uniform grid (k / rate); the four channels are raw ADC counts; filled is 1 where a sample was
 * missing (gap) and holds the last value; the derived columns, present when an analysis is given,
 * repeat the value of the analysis window whose centre is nearest to t (empty: not computed).
 * The grid with derived columns is written by att_csv_write() (export.h: it needs the analysis).
 *
 * Invariant: a file at `path` is always complete: written to a private temporary beside it
 * (private_file.h), fsynced, then renamed.
 * Threads: any thread; no global state. */
#ifndef ATT_RECORD_CSV_H
#define ATT_RECORD_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "attune/err.h"
#include "attune/record_raw.h"
#include "attune/recording.h"

/* Writes a recording read from any file (borrowed) as CSV in the analyze contract: t (t0 + k /
 * rate) and the channels present, values as read (%.9g). On failure nothing is left at path (nor
 * its temporary) and why (may be NULL) holds one line: ATT_ERR_ARG, ATT_ERR_IO, ATT_ERR_PERMISSION,
 * ATT_ERR_DISK_FULL. */
int att_csv_write_recording(const char *path, const struct att_recording *rec, char *why,
                            size_t why_len);

/* Writes the file at path atomically and privately: calls write(f, user) on a fresh 0600
 * temporary beside it (private_file.h), then fflush, fsync, rename. Shared by the session
 * writers (CSV, JSON, timeline). On failure nothing is left and why holds one line. write
 * returns ATT_OK or an error (its why is this function's). */
int att_atomic_write(const char *path, int (*write)(FILE *f, void *user), void *user, char *why,
                     size_t why_len);

#endif
