/* The pseudo-couple baseline: how together partner A of a session looks with partners B of
 * other couples' sessions of the same guide, people who never met (re-paired strangers, as
 * couple research uses them: Helm, Sbarra & Ferrer 2012). Paced breathing makes any two people
 * look together; a couple is together beyond the pacer only where it beats this baseline.
 *
 * Threads: any; nothing here prints. */
#ifndef ATT_PSEUDO_H
#define ATT_PSEUDO_H

#include <stddef.h>

#include "attune/err.h"

#define ATT_PSEUDO_MIN_STRANGERS 3 /* fewer other sessions give no baseline */

struct att_pseudo {
	double match;            /* mean over the strangers of the session match */
	double matched_fraction; /* mean share of windows matched */
	size_t pairs;            /* strangers that could be paired (same rate, >= 10 s overlap) */
};

/* Pairs partner A of the recording at own (any readable session file) with partner B of each
 * recording in strangers (n paths), aligned at their guides' first phase (else at their
 * starts) and cut to the shorter, and analyses each pair as a session. Strangers that cannot
 * be read or paired are skipped. ATT_ERR_NO_DATA when fewer than ATT_PSEUDO_MIN_STRANGERS pair;
 * else the file's error with one line in why. */
int att_pseudo_couple(const char *own, const char *const *strangers, size_t n,
                      struct att_pseudo *out, char *why, size_t why_len);

#endif
