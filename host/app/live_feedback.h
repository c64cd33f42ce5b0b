/* What the couple and the therapist are shown and hear, as two sinks of the live session:
 *  - "view": the session history of the therapist strip (one value per second), the markers on
 *    its timeline and the notices they raise;
 *  - "cues": the sound cues: a chime when the match moves into another zone, a double beep when
 *    a sensor newly goes flat or saturates.
 * Plus the per-frame easing of the picture. Both sinks share one struct att_live_feedback, which
 * the caller owns (the sinks' cleanup does nothing). Main thread only. */
#ifndef ATT_LIVE_FEEDBACK_H
#define ATT_LIVE_FEEDBACK_H

#include <stddef.h>

#include "attune/session.h"
#include "attune/sonify.h"

#define ATT_FEEDBACK_HIST_DT  1.0        /* history: one value per second */
#define ATT_FEEDBACK_HIST_MAX (6 * 3600) /* six hours */
#define ATT_FEEDBACK_MARKERS  256

struct att_live_feedback {
	float *hist_match, *hist_chance, *hist_hr_a, *hist_hr_b;
	size_t hist_n;
	double markers[ATT_FEEDBACK_MARKERS];
	size_t n_markers;
	struct att_sonify_params sound;
	int zone; /* match zone for chimes: -1 unknown, 0 apart, 1 closer, 2 matched */
	double last_chime, last_alarm;
	unsigned bad_bits;
	int cues_hidden; /* a guide's phase hides the feedback: no match chimes (alarms stay) */
	double match_smooth, together_s; /* the picture's eased match, time matched */
	const char *notice;              /* the transient line of the status bar, or NULL */
	double notice_until;
	char notice_buf[160];
};

/* Allocates the history; the sound params start from `sound`. ATT_ERR_NOMEM. */
int att_live_feedback_init(struct att_live_feedback *f, const struct att_sonify_params *sound);
void att_live_feedback_clear(struct att_live_feedback *f);

extern const struct att_sink att_live_view_sink; /* ctx = struct att_live_feedback */
extern const struct att_sink att_live_cues_sink; /* ctx = struct att_live_feedback */

/* A notice for four seconds of session time from t. */
void att_live_say(struct att_live_feedback *f, double t, const char *msg);
/* Each frame: eases the picture over dt seconds towards snap (may be NULL) and expires the
 * notice. */
void att_live_feedback_ease(struct att_live_feedback *f, const struct att_snapshot *snap, double t,
                            double dt);
/* Replay jumped back to t: forgets history and markers after it. */
void att_live_feedback_seek(struct att_live_feedback *f, double t);

#endif
