/* CSV in the analyze contract: a header line naming columns t,a_resp,a_ppg,b_resp,b_ppg (t in
 * seconds, uniform sampling, 25-1000 Hz; the PPG columns optional; other columns ignored). */
#ifndef ATT_CSV_H
#define ATT_CSV_H

#include <stddef.h>

#include "attune/recording.h"

/* Reads a whole CSV file. *out is set to NULL first; caller frees with att_recording_free().
 * On ATT_ERR_FORMAT (or ATT_ERR_IO) writes one line a user can act on into why (e.g.
 * "line 17: time goes backwards (12.01 after 12.02)"). */
int att_csv_read(const char *path, struct att_recording **out, char *why, size_t why_len);

#endif
