/* Guides: timed session plans ("settle, follow the pacer, breathe together without it, rest").
 * A guide is a human-editable JSON file (README "Guides"):
 *   {"name": "...", "about": "one line", "phases": [
 *     {"name": "settle", "seconds": 60, "pacer": null, "feedback": false, "say": "..."},
 *     {"name": "6 per minute", "seconds": 120, "pacer": {"bpm": 6, "exhale_ratio": 1.0},
 *      "feedback": true, "say": "Follow the circle"}]}
 * Required: name, phases (1..ATT_GUIDE_PHASES_MAX), and per phase name, seconds (10..3600),
 * pacer (null = no pacer, or bpm 3..10 with exhale_ratio 1..3, default 1) and feedback (false
 * hides the partners' rings, the match and the sound cues from the couple; the therapist strip
 * and the recording keep everything). say and about are optional. Unknown keys are ignored, so
 * newer guides still load.
 *
 * A player follows a guide on the session's signal time (so a file played at any speed follows
 * it exactly as live), with pause, skip and back.
 *
 * Threads: none of their own; a guide is plain data, a player is used by one thread. */
#ifndef ATT_GUIDE_H
#define ATT_GUIDE_H

#include <stddef.h>

#include "attune/err.h"

#define ATT_GUIDE_PHASES_MAX 64
#define ATT_GUIDE_NAME_MAX   64u  /* bytes of a name, NUL included */
#define ATT_GUIDE_TEXT_MAX   256u /* bytes of say / about, NUL included */
#define ATT_GUIDE_BPM_MIN    3.0
#define ATT_GUIDE_BPM_MAX    10.0
/* The note a session gets when its guide is over: the last phase ends there (phases.h). */
#define ATT_GUIDE_END_NOTE   "guide finished"

struct att_guide_phase {
	char name[ATT_GUIDE_NAME_MAX];
	double seconds;
	double pacer_bpm;    /* 0 = no pacer */
	double exhale_ratio; /* 1..3 */
	int feedback;        /* 1 = the couple sees and hears how they match */
	char say[ATT_GUIDE_TEXT_MAX];
};

struct att_guide {
	char name[ATT_GUIDE_NAME_MAX];
	char about[ATT_GUIDE_TEXT_MAX];
	size_t n;
	struct att_guide_phase phase[ATT_GUIDE_PHASES_MAX];
};

/* Parses a guide from JSON text (len bytes, borrowed). ATT_OK, or ATT_ERR_FORMAT with one line
 * in why naming the key and the problem ("phases[2].seconds: 0 is not within 10..3600"). */
int att_guide_parse(const char *text, size_t len, struct att_guide *out, char *why, size_t why_len);

/* Reads and parses a guide file. ATT_ERR_IO (cannot read: why names the file), ATT_ERR_FORMAT. */
int att_guide_load(const char *path, struct att_guide *out, char *why, size_t why_len);

/* Seconds from the first phase's start to the last one's end. */
double att_guide_length(const struct att_guide *g);

/* Where a guide is, as its player says it. */
struct att_guide_state {
	size_t phase;      /* index of the current phase; g->n once the guide is over */
	double phase_t;    /* seconds into the phase */
	double phase_left; /* seconds left in it */
	double left;       /* seconds left in the guide */
	int paused;
	int done;
};

/* Follows a guide on signal time. Plain struct: zero it, then att_guide_player_start(). */
struct att_guide_player {
	const struct att_guide *g; /* borrowed */
	double origin;     /* signal time at which guide time 0 was (moves with pause/skip) */
	double paused_at;  /* signal time the pause began; < 0 when running */
	size_t last_phase; /* the phase the last att_guide_player_at() reported */
	int started;
};

void att_guide_player_start(struct att_guide_player *p, const struct att_guide *g, double t);
/* The state at signal time t (never before the last call's t). Returns 1 when the phase differs
 * from the one the previous call reported (the first call reports phase 0 as a change). */
int att_guide_player_at(struct att_guide_player *p, double t, struct att_guide_state *out);
/* The signal time the next phase starts (or the guide ends); INFINITY while paused or over. The
 * loop advances the session to exactly there first, so a phase begins on its sample. */
double att_guide_player_next(const struct att_guide_player *p);
void att_guide_player_pause(struct att_guide_player *p, double t, int paused);
/* Jumps to the start of the next phase (or the end), or back to the start of the current phase
 * (or the previous one within its first 3 s, as music players do). */
void att_guide_player_skip(struct att_guide_player *p, double t);
void att_guide_player_back(struct att_guide_player *p, double t);

#endif
