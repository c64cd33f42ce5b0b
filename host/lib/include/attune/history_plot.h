/* The practice history drawn week by week (cairo, as the report): minutes practised as bars,
 * the median match and the share of time together as lines, and the pseudo-couple baseline
 * where known, so a therapist sees progress at a glance.
 *
 * Threads: any; nothing here prints. */
#ifndef ATT_HISTORY_PLOT_H
#define ATT_HISTORY_PLOT_H

#include <stddef.h>

#include "attune/practice.h"

/* Writes h (borrowed) to path: PDF when it ends in .pdf, else PNG. The file is complete or
 * absent (private_file.h). ATT_ERR_NO_DATA (no weeks), ATT_ERR_IO, ATT_ERR_NOMEM with one line
 * in why. */
int att_history_plot(const struct att_history *h, const char *path, char *why, size_t why_len);

#endif
