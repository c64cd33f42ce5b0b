/* The centre of the live view, what the couple watch: the pacer disc, one ring per partner showing
 * their measured breath, the shared glow that brightens as they match, the ring of leaves that
 * grows with the time they have breathed together, the partners' labels, the cue and, under the
 * picture, how together they are in words. */
#include "view_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEAVES 30   /* a full ring of leaves = 5 minutes together */
#define LEAF_S 10.0 /* seconds together per leaf */

/* Where the picture sits; every step of the centre and the notice place themselves from it. */
struct centre {
	double cx, cy, rmin, rmax, leaf_r, leaf_size, words_y;
};

static struct centre centre_of(int w, int top, int h)
{
	struct centre c;

	c.cx = w / 2.0;
	c.cy = top + h * 0.56;
	c.rmax = fmin(h * 0.30, w * 0.2);
	c.rmin = c.rmax * 0.38;
	c.leaf_r = c.rmax * 1.2;
	c.leaf_size = c.rmax * 0.055;
	c.words_y = c.cy + c.leaf_r + c.leaf_size + h * 0.015;
	return c;
}

double att_view_centre_words_y(int w, int top, int h)
{
	return centre_of(w, top, h).words_y;
}

static double breath_radius(double b, double rmin, double rmax)
{
	b = fmax(-1.15, fmin(1.15, b));
	return rmin + (rmax - rmin) * (b + 1.0) / 2.0;
}

static void draw_person_label(struct att_view *v, const struct att_view_model *m, int who, double x,
                              double cy)
{
	const struct att_person *p = who ? &m->snap.b : &m->snap.a;
	SDL_Color c = who ? C_B : C_A, tc = who ? C_B_TEXT : C_A;
	const char *name = who ? v->name_b : v->name_a;
	double lh = att_draw_line_h(v, F_NAME), th = fmax(3.0, v->font_px[F_NAME] * 0.12);
	double lw = v->font_px[F_NAME] * 2.2;
	char buf[64];

	att_draw_text(v, F_NAME, tc, x, cy - lh, CENTRE, name);
	att_draw_legend_line(v, x - lw / 2, cy + lh * 0.2, lw, th, c, who);
	if (m->have_snapshot && isfinite(p->breath_rate_bpm))
		snprintf(buf, sizeof buf, "%.1f breaths /min", p->breath_rate_bpm);
	else
		snprintf(buf, sizeof buf, "finding the breath\xe2\x80\xa6");
	att_draw_text(v, F_MED, C_DIM, x, cy + lh * 0.5, CENTRE, buf);
}

/* The glow, pre-composited over the background into an opaque square: an opaque blit is a
 * row-by-row copy, where a blended one (or a large blended disc) costs the software renderer
 * several % of a core. The square is re-composited only when the size or the (quantised)
 * brightness changes, which is seldom since the brightness follows the eased match. */
#define GLOW_LEVELS 48

static SDL_Texture *glow_texture(struct att_view *v, int px, int level)
{
	double r = px / 2.0, g = 0.06 + 0.74 * level / (GLOW_LEVELS - 1.0);
	void *pixels;
	int pitch;

	if (v->glow && v->glow_px == px && v->glow_level == level)
		return v->glow;
	if (!v->glow || v->glow_px != px) {
		if (v->glow)
			SDL_DestroyTexture(v->glow);
		free(v->glow_shape);
		v->glow_px = 0;
		v->glow_shape = malloc((size_t)px * (size_t)px * sizeof *v->glow_shape);
		v->glow = SDL_CreateTexture(v->ren, SDL_PIXELFORMAT_ARGB8888,
		                            SDL_TEXTUREACCESS_STREAMING, px, px);
		if (!v->glow || !v->glow_shape)
			return NULL;
		for (int y = 0; y < px; y++)
			for (int x = 0; x < px; x++) {
				double d = hypot(x + 0.5 - r, y + 0.5 - r) / r,
				       a = d >= 1.0 ? 0.0 : 1.0 - d;
				v->glow_shape[(size_t)y * px + x] =
				        (float)(a * a * (3.0 - 2.0 * a));
			}
		v->glow_px = px;
	}
	if (SDL_LockTexture(v->glow, NULL, &pixels, &pitch) != 0)
		return NULL;
	for (int y = 0; y < px; y++) {
		Uint32 *row = (Uint32 *)((char *)pixels + (size_t)y * (size_t)pitch);
		for (int x = 0; x < px; x++) {
			double a = g * v->glow_shape[(size_t)y * px + x];
			Uint32 rr = (Uint32)(C_BG.r + a * (C_GREEN.r - C_BG.r) + 0.5);
			Uint32 gg = (Uint32)(C_BG.g + a * (C_GREEN.g - C_BG.g) + 0.5);
			Uint32 bb = (Uint32)(C_BG.b + a * (C_GREEN.b - C_BG.b) + 0.5);
			row[x] = 0xff000000u | rr << 16 | gg << 8 | bb;
		}
	}
	SDL_UnlockTexture(v->glow);
	SDL_SetTextureBlendMode(v->glow, SDL_BLENDMODE_NONE);
	v->glow_level = level;
	return v->glow;
}

static void draw_glow(struct att_view *v, const struct att_view_model *m, const struct centre *c)
{
	double ms = fmax(0.0, fmin(1.0, m->match_smooth));
	int px = (int)(c->rmax * 2.7) | 1;
	SDL_Texture *g = glow_texture(v, px, (int)lrint(ms * (GLOW_LEVELS - 1)));
	SDL_Rect r = {(int)(c->cx - px / 2), (int)(c->cy - px / 2), px, px};

	if (g)
		SDL_RenderCopy(v->ren, g, NULL, &r);
}

/* One leaf per 10 s breathed together, a circle of them in 5 minutes. */
static void draw_leaves(struct att_view *v, double together, const struct centre *c)
{
	for (int i = 0; i < LEAVES; i++) {
		double a = -M_PI / 2.0 + 2.0 * M_PI * i / LEAVES;
		double fill = fmin(1.0, fmax(0.0, together / LEAF_S - i));
		double x = c->cx + c->leaf_r * cos(a), y = c->cy + c->leaf_r * sin(a);
		if (fill <= 0.0)
			att_draw_disc(v, x, y, c->leaf_size * 0.25, att_draw_alpha(C_GREY, 0.5));
		else
			att_draw_disc(v, x, y, c->leaf_size * (0.35 + 0.65 * fill), C_GREEN);
	}
}

/* The pacer disc (grey, grows on the inhale) and each partner's measured breath: A solid orange,
 * B dashed blue, so they are told apart without relying on colour. */
static void draw_rings(struct att_view *v, const struct att_view_model *m, const struct centre *c)
{
	double th = fmax(4.0, c->rmax * 0.045);

	if (m->pacer_on) {
		double r = c->rmin + (c->rmax - c->rmin) * m->pacer.level;
		/* translucent, so the shared glow shows through */
		att_draw_disc(v, c->cx, c->cy, r, att_draw_alpha(C_GREY, 0.32));
		att_draw_ring(v, c->cx, c->cy, r, 2.0, C_PACER_RIM, 0);
	} else {
		att_draw_ring(v, c->cx, c->cy, c->rmin, 2.0, att_draw_alpha(C_GREY, 0.4), 0);
		att_draw_ring(v, c->cx, c->cy, c->rmax, 2.0, att_draw_alpha(C_GREY, 0.4), 0);
	}
	if (m->have_snapshot && !m->feedback_hidden) {
		if (isfinite(m->snap.a.breath))
			att_draw_ring(v, c->cx, c->cy,
			              breath_radius(m->snap.a.breath, c->rmin, c->rmax), th, C_A,
			              0);
		if (isfinite(m->snap.b.breath))
			att_draw_ring(v, c->cx, c->cy,
			              breath_radius(m->snap.b.breath, c->rmin, c->rmax), th, C_B,
			              36);
	}
	att_draw_flush(v);
}

/* Under the picture, in words: how together they are and for how long. */
static void draw_words(struct att_view *v, const struct att_view_model *m, const struct centre *c)
{
	char buf[96];

	if (m->notice || m->feedback_hidden) /* a notice takes this place for its few seconds */
		return;
	if (!m->have_snapshot || !isfinite(m->snap.match))
		snprintf(buf, sizeof buf, "listening to your breathing\xe2\x80\xa6");
	else if (m->match_smooth >= ATT_MATCHED)
		snprintf(buf, sizeof buf, "breathing together");
	else if (m->match_smooth >= 0.4)
		snprintf(buf, sizeof buf, "nearly together");
	else
		snprintf(buf, sizeof buf, "each at your own pace");
	if (m->together_s >= 1.0) {
		char clk[32];
		size_t l = strlen(buf);
		att_draw_clock_str(m->together_s, clk, sizeof clk);
		snprintf(buf + l, sizeof buf - l, "  \xc2\xb7  together %s", clk);
	}
	att_draw_text(v, F_MED, m->match_smooth >= ATT_MATCHED ? C_GREEN : C_DIM, c->cx, c->words_y,
	              CENTRE, buf);
}

void att_view_draw_centre(struct att_view *v, const struct att_view_model *m, int w, int top, int h)
{
	struct centre c = centre_of(w, top, h);

	if (!m->feedback_hidden) {
		draw_glow(v, m, &c);
		draw_leaves(v, m->together_s, &c);
	}
	draw_rings(v, m, &c);
	draw_person_label(v, m, 0, w * 0.13, c.cy);
	draw_person_label(v, m, 1, w * 0.87, c.cy);

	/* the cue, large, above the picture */
	if (m->pacer_on)
		att_draw_text(v, F_CUE, C_TEXT, c.cx, top + h * 0.02, CENTRE,
		              m->pacer.inhaling ? "breathe in\xe2\x80\xa6"
		                                : "breathe out\xe2\x80\xa6");
	else
		att_draw_text(v, F_CUE, C_DIM, c.cx, top + h * 0.02, CENTRE,
		              "breathe at your own pace");
	draw_words(v, m, &c);
	att_view_draw_guide(v, m, w, top + h * 0.02, c.words_y);
	if (m->stage) {
		char st[96];
		snprintf(st, sizeof st, "generated couple: %s", m->stage);
		att_draw_text(v, F_SMALL, C_DIM, w * 0.02,
		              top + h - att_draw_line_h(v, F_SMALL) * 1.3, LEFT, st);
	}
}
