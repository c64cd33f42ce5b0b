/* attune live / demo / replay: the composition the command builds (cmd_live.c) and the loops
 * that run it (live_loop.c). The library's session does the work: source -> engine -> sinks;
 * this struct holds the parts around it that only the program has (window, sound, pacer,
 * recording control, figures). Main thread only. */
#ifndef ATT_LIVE_APP_H
#define ATT_LIVE_APP_H

#include <stdatomic.h>

#include "attune/guide.h"
#include "attune/pacer.h"
#include "attune/session.h"
#include "audio.h"
#include "cmd.h"
#include "live_feedback.h"
#include "live_opts.h"
#include "live_record.h"
#include "live_source.h"
#include "live_stats.h"
#include "view.h"

struct att_live {
	struct att_live_opts *o;
	struct att_live_source ls;
	struct att_session *session;
	struct att_live_feedback fb;
	struct att_live_record *rec;
	struct att_live_stats *stats;
	struct att_audio *audio;
	struct att_view *view;
	struct att_pacer *pacer;
	int pacer_on;
	int sound_lost; /* the device played, went away, is not back yet */
	int io_failed;  /* the WAV could not be written */
	int fast;       /* fast-forward: signal time steps 1/60 s per frame, no sleeping */
	struct att_osc_in *osc_in; /* markers from other programs; posts to the session */
	/* --guide: the plan and where the session is in it */
	struct att_guide *guide;
	struct att_guide_player player;
	struct att_guide_state guide_at;
	double guide_boundary_t; /* the last phase boundary stopped at, half a sample before it */
	int guide_announced;     /* the guide event (its name) went out before the first phase */
	int feedback_hidden;
	float *trace_a, *trace_b;
	size_t trace_cap;
	/* attune room: where the room's network thread posts what happens (NULL while there is
	 * no session), and the room's source (owned by the session) for its sink */
	_Atomic(struct att_session *) room_post;
	struct att_source *room_src;
	/* attune room, guide control: an observer's actions on its guide go to the room as
	 * ATT_EV_GUIDE events (start when its first phase begins; the text is its --guide, the name
	 * the partners find it by); a partner's session delivers the
	 * observer's to a sink (cmd_live.c), which queues them here for the loop to apply (a sink
	 * must not steer the session delivering to it) */
	int room_observer;
	int guide_start_sent;
	struct {
		int control; /* enum att_guide_control */
		char name[ATT_EVENT_TEXT_MAX];
	} guide_ctl[8];
	int n_guide_ctl;
};

/* live_loop.c: the window's loop (frames at 60 Hz, keys, screenshot) and the headless one.
 * Each returns the exit code so far (0 or 1). */
int att_live_run_window(struct att_live *lv);
int att_live_run_headless(struct att_live *lv);

#endif
