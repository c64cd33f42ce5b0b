/* The live view's insides, shared by its files (view.c and view_*.c) and by the ui test; nothing
 * outside the view includes it. view.c owns the window, fonts and events; view_draw.c the
 * primitives every part draws with; view_centre.c, view_strip.c, view_status.c and
 * view_overlay.c one part of the screen each. */
#ifndef ATT_VIEW_IMPL_H
#define ATT_VIEW_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "attune/sync.h"
#include "view.h"

#define MAX_VERTS   8192
#define MAX_INDICES 16384
#define TEXT_CACHE  128
#define TEXT_MAX    256 /* bytes of a cached text: a longer one would miss the cache every frame */

enum font_id { F_SMALL, F_MED, F_NAME, F_CUE, F_COUNT };
enum align { LEFT, CENTRE, RIGHT };

/* Okabe-Ito: A orange, B blue, calm bluish green, grey; no red anywhere. */
static const SDL_Color C_BG = {0x14, 0x18, 0x1c, 0xff};
static const SDL_Color C_STRIP = {0x1b, 0x21, 0x27, 0xff};
static const SDL_Color C_A = {0xe6, 0x9f, 0x00, 0xff};
static const SDL_Color C_B = {0x00, 0x72, 0xb2, 0xff};
static const SDL_Color C_B_TEXT = {0x1e, 0x8c, 0xd0, 0xff}; /* B's blue, a touch lighter for text */
static const SDL_Color C_GREEN = {0x00, 0x9e, 0x73, 0xff};
static const SDL_Color C_GREY = {0x99, 0x99, 0x99, 0xff};
static const SDL_Color C_TEXT = {0xec, 0xea, 0xe4, 0xff};
static const SDL_Color C_PACER_RIM = {0x80, 0x84, 0x86, 0xff};
static const SDL_Color C_DIM = {0x9a, 0xa0, 0xa6, 0xff};

struct text_entry {
	char str[TEXT_MAX];
	int font;
	uint32_t rgba;
	SDL_Texture *tex;
	int w, h;
	uint64_t used;
};

struct att_view {
	SDL_Window *win;
	SDL_Renderer *ren;
	const char *font_path;
	TTF_Font *font[F_COUNT];
	int font_px[F_COUNT];
	int out_w, out_h; /* renderer output size the fonts were opened for */
	const char *name_a, *name_b;
	int show_strip, show_help, fullscreen;
	struct text_entry cache[TEXT_CACHE];
	uint64_t frame;
	SDL_Vertex verts[MAX_VERTS];
	int idx[MAX_INDICES];
	int nv, ni;
	SDL_FPoint line[4096];
	SDL_Texture *glow;       /* the shared glow, pre-rendered: blits are far cheaper than */
	int glow_px, glow_level; /* rasterising a large blended disc with the software renderer */
	float *glow_shape;       /* the glow's fall-off, 0..1, glow_px squared */
};

/* (view.c) Opens the fonts at sizes proportional to an output of w x h pixels. */
int att_view_open_fonts(struct att_view *v, int w, int h);

/* ---- primitives (view_draw.c) ---- */

SDL_Color att_draw_alpha(SDL_Color c, double a);
/* Empties the text cache (the fonts it was rendered with are going away). */
void att_draw_forget_text(struct att_view *v);
/* Draws s with its top at y; returns the width drawn. */
int att_draw_text(struct att_view *v, int font, SDL_Color c, double x, double y, enum align al,
                  const char *s);
int att_draw_line_h(const struct att_view *v, int font);
/* Draws the triangles batched so far; every non-batched primitive does this first, so what is
 * drawn keeps the order of the calls. */
void att_draw_flush(struct att_view *v);
void att_draw_disc(struct att_view *v, double cx, double cy, double r, SDL_Color c);
/* A ring of width `thick` centred on radius r; dashes > 0 draws that many round dots instead. */
void att_draw_ring(struct att_view *v, double cx, double cy, double r, double thick, SDL_Color c,
                   int dashes);
void att_draw_rect(struct att_view *v, double x, double y, double w, double h, SDL_Color c);
/* A thick horizontal line segment for legends, solid or dotted like the partner's ring. */
void att_draw_legend_line(struct att_view *v, double x, double y, double w, double th, SDL_Color c,
                          int dashed);
/* Polyline through pts (NAN y = gap), thickness th, optionally dashed (every other dash_px). */
void att_draw_polyline(struct att_view *v, const SDL_FPoint *pts, int n, double th, SDL_Color c,
                       double dash_px);
/* m:ss, or h:mm:ss from an hour on. */
void att_draw_clock_str(double t, char *buf, size_t len);

/* ---- parts of the screen, in the order they are drawn ---- */

/* view_centre.c: the area between the status line and the strip, top to top + h. */
void att_view_draw_centre(struct att_view *v, const struct att_view_model *m, int w, int top,
                          int h);
/* Top of the line of words under the picture, where a notice takes their place. */
double att_view_centre_words_y(int w, int top, int h);
/* view_overlay.c */
void att_view_draw_guide(struct att_view *v, const struct att_view_model *m, int w, double cue_y,
                         double words_y);
void att_view_draw_notice(struct att_view *v, const struct att_view_model *m, int w, int top,
                          int h);
/* view_strip.c: the therapist strip, y0 to y0 + h. */
void att_view_draw_strip(struct att_view *v, const struct att_view_model *m, int w, int y0, int h);
/* The per-sensor quality line the status shows: problems first in words, or a short "ok". */
void att_view_quality_line(const struct att_view_model *m, char *buf, size_t len);
/* view_status.c */
void att_view_draw_status(struct att_view *v, const struct att_view_model *m, int w, int top_h);
/* view_overlay.c */
void att_view_draw_help(struct att_view *v, const struct att_view_model *m, int w, int h);

/* The status line's parts, left (source, rate, frames lost), middle (sensor quality) and right
 * (sound, clock, recording), as they are drawn: x extents in pixels and the words, shortened with
 * an ellipsis where the window is too narrow for all of them. */
enum { ATT_STATUS_LEFT, ATT_STATUS_MID, ATT_STATUS_RIGHT, ATT_STATUS_PARTS };
struct att_view_status {
	char text[ATT_STATUS_PARTS][TEXT_MAX];
	double x0[ATT_STATUS_PARTS], x1[ATT_STATUS_PARTS]; /* x1 == x0: nothing drawn */
};
/* Lays out the status line for an output w pixels wide with the fonts opened for it: the parts
 * never overlap and stay inside [0, w]. The right part (recording, clock) is kept whole first,
 * then the sensor line, and the source's name gives way (middle ellipsis) before anything else. */
void att_view_status_layout(const struct att_view *v, const struct att_view_model *m, int w,
                            struct att_view_status *st);

#endif
