/* The live breath-matching view (SDL2 + SDL2_ttf): what a couple and their therapist see.
 *
 * The view only draws a model the main loop fills in (struct att_view_model) and turns SDL events
 * into actions; it never reads a source, runs DSP or plays sound. Invariant: drawing never polls
 * events and never blocks on I/O; all text textures are cached, so a frame whose words did not
 * change creates no textures.
 *
 * Layout (scales with the renderer's output size, so HiDPI and resizing just work): a status line
 * on top; the partners' names left (A, orange, solid line) and right (B, blue, dashed line); in the
 * centre the pacer disc with one ring per partner showing their measured breath, a bluish-green
 * glow that brightens as they match and a ring of leaves that grows with the time they have
 * breathed together; a large "breathe in / breathe out" cue; at the bottom the therapist strip
 * (key t) with traces, match over the session with its chance level, lead/lag, rates and quality.
 *
 * Threads: everything here runs on the main thread (the thread that initialised SDL video). */
#ifndef ATT_VIEW_H
#define ATT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#include "attune/engine.h"
#include "attune/pacer.h"

#define ATT_VIEW_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

struct att_view;

struct att_view_cfg {
	const char *name_a, *name_b; /* partner names (borrowed for the view's life) */
	int width, height;           /* initial window size in screen coordinates; 0 = 1280x800 */
	int fullscreen;
	int show_strip;        /* therapist strip visible at start */
	const char *font_path; /* NULL = ATT_VIEW_FONT */
};

/* Everything one frame shows. Pointers are borrowed for the duration of att_view_render(). */
struct att_view_model {
	double t; /* session clock, seconds */
	int have_snapshot;
	struct att_snapshot snap;
	double match_smooth; /* match eased for the picture, 0..1 */
	double together_s;   /* seconds the pair has matched (match >= 0.7) */
	int pacer_on;
	struct att_pacer_state pacer;
	double pacer_bpm, exhale_ratio;
	/* status line */
	const char *source; /* "generated couple (story)", "/dev/ttyACM0", ... */
	double rate_hz;
	uint64_t frames_lost;
	int reconnecting;
	int ended;     /* a file source has played to its end */
	int replay;    /* playing a recording: space pauses, arrows seek */
	int recording; /* -1 not available in this build, 0 off, 1 on */
	int muted, audio_ok;
	int audio_off;      /* sound switched off on purpose (--no-audio), not missing */
	int audio_lost;     /* sound played, went away, is being reopened */
	const char *stage;  /* what a generated couple is doing, or NULL */
	const char *notice; /* a transient message, or NULL */
	/* therapist strip */
	const float *trace_a, *trace_b; /* breath traces, oldest first, NAN = gap */
	size_t trace_n;
	double trace_rate;                                             /* values per second */
	const float *hist_match, *hist_chance, *hist_hr_a, *hist_hr_b; /* session history */
	size_t hist_n;
	double hist_dt;        /* seconds between history values */
	const double *markers; /* marker times, seconds */
	size_t n_markers;
	/* a guide (--guide): guide_phase NULL when the session follows none */
	const char *guide_name, *guide_phase, *guide_say;
	size_t guide_index, guide_n;
	double guide_phase_left, guide_left;
	int guide_paused;
	int feedback_hidden; /* this phase hides the partners' rings, the glow and the match words
	                        from the couple; the therapist strip keeps everything */
};

enum att_view_action {
	ATT_VIEW_NONE = 0,
	ATT_VIEW_QUIT,
	ATT_VIEW_MARKER,
	ATT_VIEW_PACER_TOGGLE,
	ATT_VIEW_PACER_FASTER,
	ATT_VIEW_PACER_SLOWER,
	ATT_VIEW_RECORD,
	ATT_VIEW_MUTE,
	ATT_VIEW_EXHALE_TOGGLE,
	ATT_VIEW_GUIDE_PAUSE, /* g: pause / resume the guide */
	ATT_VIEW_GUIDE_SKIP,  /* n, Page Down: the next phase */
	ATT_VIEW_GUIDE_BACK,  /* b, Page Up: this phase again (the one before, early in it) */
	ATT_VIEW_HANDLED,     /* the view handled it itself (help, strip, fullscreen, resize) */
};

/* Opens the window and renderer and loads the font. SDL video must be initialised and TTF_Init()
 * done by the caller. *out is set to NULL first; caller frees with att_view_free(). On failure
 * writes one actionable line into why: ATT_ERR_IO (font missing), ATT_ERR_UNSUPPORTED. */
int att_view_new(const struct att_view_cfg *cfg, struct att_view **out, char *why, size_t why_len);
/* NULL is a no-op. */
void att_view_free(struct att_view *view);

/* Turns one SDL event into an action; help (h, ?), the strip (t) and fullscreen (f) are handled
 * here. Call from the main loop's event pump, never from drawing. */
enum att_view_action att_view_event(struct att_view *view, const SDL_Event *event);

/* Draws one frame into the back buffer (not yet shown). */
void att_view_render(struct att_view *view, const struct att_view_model *model);
/* Saves the back buffer drawn by the last att_view_render() as PNG (call before present). On
 * failure writes one line into why and returns ATT_ERR_IO. */
int att_view_save_png(struct att_view *view, const char *path, char *why, size_t why_len);
/* Shows the back buffer. */
void att_view_present(struct att_view *view);

int att_view_help_shown(const struct att_view *view);

/* ---- the screens around a session in attune app (view_cards.c) ---- */

/* What can be clicked: its box in output pixels, which item, and which row of a list. */
#define ATT_VIEW_HITS_MAX 48
struct att_view_hit {
	SDL_Rect r;
	int item, index;
};
struct att_view_hits {
	struct att_view_hit hit[ATT_VIEW_HITS_MAX];
	int n;
};

enum att_start_item {
	ATT_START_NAME_A,
	ATT_START_NAME_B,
	ATT_START_COUPLES, /* couples who breathed here before: picking one fills the names */
	ATT_START_GUIDES,
	ATT_START_GO,
	ATT_START_ITEMS
};

/* The start screen. Strings are borrowed for the call. */
struct att_view_start {
	const char *name_a, *name_b;
	int focus; /* enum att_start_item */
	int caret_on;
	const char *const *couples;
	size_t n_couples;
	int couple_sel;
	const char *const *guide_title, *const *guide_about; /* "First session · 12 min", its line */
	size_t n_guides;
	int guide_sel;
	const char *note;    /* under the guides: the couple's resonance rate, say; may be NULL */
	const char *board;   /* "board: attune 1.0.0 on /dev/ttyACM0" or "no board: ... demo" */
	int have_board;
	const char *problem; /* why Start did not start; may be NULL */
};

enum att_end_item { ATT_END_SAVE = 1, ATT_END_SKIP };
#define ATT_VIEW_JOURNAL_MAX 2000 /* bytes of a reflection typed on the end card */

/* The end card: this session's result beside the recent ones, then a reflection. */
struct att_view_end {
	const char *title;
	const char *lines[8]; /* the first large, the rest small */
	size_t n_lines;
	const char *prompt; /* the question of the reflection */
	const char *text;   /* typed so far (UTF-8) */
	int caret_on;
	const char *saved; /* once saved (or skipped): what happened; the field is gone */
};

/* Draw into the back buffer (present with att_view_present); hits (may be NULL) gets the
 * clickable boxes. Main thread. */
void att_view_render_start(struct att_view *view, const struct att_view_start *model,
                           struct att_view_hits *hits);
void att_view_render_end(struct att_view *view, const struct att_view_end *model,
                         struct att_view_hits *hits);
/* The box under the mouse at window coordinates (x, y), or NULL. */
const struct att_view_hit *att_view_hit_at(const struct att_view *view,
                                           const struct att_view_hits *hits, int x, int y);
/* The SDL renderer in use ("software", "opengl", ...); static string. */
const char *att_view_renderer_name(const struct att_view *view);

#endif
