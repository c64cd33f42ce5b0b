/* The live breath-matching view (see view.h).
 *
 * Everything is laid out from the renderer's output size in pixels each frame, so a resize, a
 * fullscreen toggle or a HiDPI display needs no special case. Drawing is shaped by what the
 * software renderer (Xvfb, machines without GPU) does cheaply: filled discs and solid rings are
 * spans (one rectangle per pixel row), the shared glow is a pre-composited opaque texture, and
 * SDL_RenderGeometry (one preallocated vertex buffer) only draws thin things: trace lines and
 * translucent rings. Text goes through a small cache of textures keyed by font, colour and string,
 * so a frame whose words did not change creates none. */
#include "view.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_ttf.h>

#include "attune/sync.h"

#define MAX_VERTS   8192
#define MAX_INDICES 16384
#define TEXT_CACHE  128
#define TEXT_MAX    160
#define LEAVES      30   /* a full ring of leaves = 5 minutes together */
#define LEAF_S      10.0 /* seconds together per leaf */
#define MATCHED     0.7  /* the contract's "matched" threshold (matched_fraction) */

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

static uint32_t rgba_of(SDL_Color c)
{
	return (uint32_t)c.r << 24 | (uint32_t)c.g << 16 | (uint32_t)c.b << 8 | c.a;
}

static SDL_Color with_alpha(SDL_Color c, double a)
{
	c.a = (Uint8)(fmax(0.0, fmin(1.0, a)) * 255.0 + 0.5);
	return c;
}

static void close_fonts(struct att_view *v)
{
	for (int i = 0; i < F_COUNT; i++) {
		if (v->font[i])
			TTF_CloseFont(v->font[i]);
		v->font[i] = NULL;
	}
	for (int i = 0; i < TEXT_CACHE; i++) {
		if (v->cache[i].tex)
			SDL_DestroyTexture(v->cache[i].tex);
		v->cache[i].tex = NULL;
		v->cache[i].str[0] = 0;
	}
}

/* Opens the fonts at sizes proportional to the output height. The cue is 8 % of the height: on a
 * 1080-pixel 24" screen that is ~19 mm capitals, readable from ~2 m (10 mm per metre). */
static int open_fonts(struct att_view *v, int w, int h)
{
	double base = fmin(h, w * 0.625);
	int px[F_COUNT] = {
	        (int)fmax(12.0, base * 0.021),
	        (int)fmax(14.0, base * 0.030),
	        (int)fmax(20.0, base * 0.060),
	        (int)fmax(24.0, base * 0.080),
	};

	close_fonts(v);
	for (int i = 0; i < F_COUNT; i++) {
		v->font[i] = TTF_OpenFont(v->font_path, px[i]);
		if (!v->font[i])
			return ATT_ERR_IO;
		v->font_px[i] = px[i];
	}
	v->out_w = w;
	v->out_h = h;
	return ATT_OK;
}

int att_view_new(const struct att_view_cfg *cfg, struct att_view **out, char *why, size_t why_len)
{
	struct att_view *v;
	Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
	int w, h;
	FILE *f;

	*out = NULL;
	v = calloc(1, sizeof *v);
	if (!v) {
		snprintf(why, why_len, "out of memory opening the view");
		return ATT_ERR_NOMEM;
	}
	v->font_path = cfg->font_path ? cfg->font_path : ATT_VIEW_FONT;
	f = fopen(v->font_path, "rb");
	if (!f) {
		snprintf(why, why_len,
		         "font %s is missing; install it with: apt-get install fonts-dejavu-core",
		         v->font_path);
		free(v);
		return ATT_ERR_IO;
	}
	fclose(f);
	v->name_a = cfg->name_a ? cfg->name_a : "A";
	v->name_b = cfg->name_b ? cfg->name_b : "B";
	v->show_strip = cfg->show_strip;
	v->fullscreen = cfg->fullscreen;
	if (v->fullscreen)
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
	/* With the software renderer SDL would still present through an OpenGL texture when GL is
	 * available (under Xvfb that is llvmpipe: +70 MB of LLVM and a JIT per frame); MIT-SHM is
	 * the cheap path there. */
	if (SDL_GetHint(SDL_HINT_RENDER_DRIVER) &&
	    !strcmp(SDL_GetHint(SDL_HINT_RENDER_DRIVER), "software"))
		SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	v->win = SDL_CreateWindow("attune - breathing together", SDL_WINDOWPOS_CENTERED,
	                          SDL_WINDOWPOS_CENTERED, cfg->width ? cfg->width : 1280,
	                          cfg->height ? cfg->height : 800, flags);
	if (!v->win) {
		snprintf(why, why_len,
		         "cannot open a window (%s); use --headless or run under Xvfb",
		         SDL_GetError());
		att_view_free(v);
		return ATT_ERR_UNSUPPORTED;
	}
	v->ren = SDL_CreateRenderer(v->win, -1, 0);
	if (!v->ren) {
		snprintf(why, why_len,
		         "cannot create a renderer (%s); try SDL_RENDER_DRIVER=software",
		         SDL_GetError());
		att_view_free(v);
		return ATT_ERR_UNSUPPORTED;
	}
	SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_BLEND);
	SDL_GetRendererOutputSize(v->ren, &w, &h);
	if (open_fonts(v, w, h) != ATT_OK) {
		snprintf(why, why_len, "cannot load font %s (%s); reinstall fonts-dejavu-core",
		         v->font_path, TTF_GetError());
		att_view_free(v);
		return ATT_ERR_IO;
	}
	*out = v;
	return ATT_OK;
}

void att_view_free(struct att_view *v)
{
	if (!v)
		return;
	close_fonts(v);
	if (v->glow)
		SDL_DestroyTexture(v->glow);
	free(v->glow_shape);
	if (v->ren)
		SDL_DestroyRenderer(v->ren);
	if (v->win)
		SDL_DestroyWindow(v->win);
	free(v);
}

int att_view_help_shown(const struct att_view *v)
{
	return v->show_help;
}

const char *att_view_renderer_name(const struct att_view *v)
{
	SDL_RendererInfo info;
	if (SDL_GetRendererInfo(v->ren, &info) != 0 || !info.name)
		return "unknown";
	return info.name;
}

enum att_view_action att_view_event(struct att_view *v, const SDL_Event *e)
{
	if (e->type == SDL_QUIT)
		return ATT_VIEW_QUIT;
	if (e->type == SDL_WINDOWEVENT)
		return ATT_VIEW_HANDLED;
	if (e->type != SDL_KEYDOWN)
		return ATT_VIEW_NONE;
	switch (e->key.keysym.sym) {
	case SDLK_q:
	case SDLK_ESCAPE:
		return ATT_VIEW_QUIT;
	case SDLK_SPACE:
		return ATT_VIEW_MARKER;
	case SDLK_p:
		return ATT_VIEW_PACER_TOGGLE;
	case SDLK_UP:
		return ATT_VIEW_PACER_FASTER;
	case SDLK_DOWN:
		return ATT_VIEW_PACER_SLOWER;
	case SDLK_e:
		return ATT_VIEW_EXHALE_TOGGLE;
	case SDLK_r:
		return ATT_VIEW_RECORD;
	case SDLK_m:
		return ATT_VIEW_MUTE;
	case SDLK_t:
		v->show_strip = !v->show_strip;
		return ATT_VIEW_HANDLED;
	case SDLK_f:
		v->fullscreen = !v->fullscreen;
		SDL_SetWindowFullscreen(v->win, v->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
		return ATT_VIEW_HANDLED;
	case SDLK_h:
	case SDLK_QUESTION:
		v->show_help = !v->show_help;
		return ATT_VIEW_HANDLED;
	case SDLK_SLASH:
		if (e->key.keysym.mod & KMOD_SHIFT) {
			v->show_help = !v->show_help;
			return ATT_VIEW_HANDLED;
		}
		return ATT_VIEW_NONE;
	default:
		return ATT_VIEW_NONE;
	}
}

/* ---- text ---- */

static struct text_entry *text_get(struct att_view *v, int font, SDL_Color c, const char *s)
{
	uint32_t rgba = rgba_of(c);
	struct text_entry *victim = &v->cache[0];
	SDL_Surface *surf;

	for (int i = 0; i < TEXT_CACHE; i++) {
		struct text_entry *e = &v->cache[i];
		if (e->tex && e->font == font && e->rgba == rgba && !strcmp(e->str, s)) {
			e->used = v->frame;
			return e;
		}
		if (!e->tex || e->used < victim->used)
			victim = e;
		if (!e->tex)
			break;
	}
	if (victim->tex)
		SDL_DestroyTexture(victim->tex);
	victim->tex = NULL;
	surf = TTF_RenderUTF8_Blended(v->font[font], s, c);
	if (!surf)
		return NULL;
	victim->tex = SDL_CreateTextureFromSurface(v->ren, surf);
	victim->w = surf->w;
	victim->h = surf->h;
	SDL_FreeSurface(surf);
	if (!victim->tex)
		return NULL;
	snprintf(victim->str, sizeof victim->str, "%s", s);
	victim->font = font;
	victim->rgba = rgba;
	victim->used = v->frame;
	return victim;
}

/* Draws s with its top at y; returns the width drawn. */
static int text(struct att_view *v, int font, SDL_Color c, double x, double y, enum align al,
                const char *s)
{
	struct text_entry *e;
	SDL_Rect r;

	if (!s || !*s)
		return 0;
	e = text_get(v, font, c, s);
	if (!e)
		return 0;
	r.w = e->w;
	r.h = e->h;
	r.x = (int)(al == LEFT ? x : al == CENTRE ? x - e->w / 2.0 : x - e->w);
	r.y = (int)y;
	SDL_RenderCopy(v->ren, e->tex, NULL, &r);
	return e->w;
}

static int line_h(const struct att_view *v, int font)
{
	return TTF_FontLineSkip(v->font[font]);
}

/* ---- shapes ---- */

static void geo_flush(struct att_view *v)
{
	if (v->ni)
		SDL_RenderGeometry(v->ren, NULL, v->verts, v->nv, v->idx, v->ni);
	v->nv = v->ni = 0;
}

static void geo_room(struct att_view *v, int verts, int idx)
{
	if (v->nv + verts > MAX_VERTS || v->ni + idx > MAX_INDICES)
		geo_flush(v);
}

static int vert(struct att_view *v, double x, double y, SDL_Color c)
{
	SDL_Vertex *p = &v->verts[v->nv];
	p->position.x = (float)x;
	p->position.y = (float)y;
	p->color = c;
	p->tex_coord.x = p->tex_coord.y = 0.0f;
	return v->nv++;
}

static int segments_for(double r)
{
	int n = (int)(r * 0.6);
	return n < 24 ? 24 : n > 180 ? 180 : n;
}

/* A filled disc of one colour, as one horizontal span per pixel row: the software renderer tests
 * every pixel of each triangle's bounding box, so a triangle fan would cost ~15 times the disc's
 * area, while spans cost exactly the area. */
static void solid_disc(struct att_view *v, double cx, double cy, double r, SDL_Color c)
{
	SDL_FRect spans[512];
	int n = 0;

	if (r <= 0.5)
		return;
	geo_flush(v);
	SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
	for (double y = floor(cy - r) + 0.5; y < cy + r; y += 1.0) {
		double dy = y - cy, half = r * r - dy * dy;
		if (half <= 0.0)
			continue;
		half = sqrt(half);
		spans[n++] = (SDL_FRect){(float)(cx - half), (float)(y - 0.5), (float)(2.0 * half),
		                         1.0f};
		if (n == (int)(sizeof spans / sizeof spans[0])) {
			SDL_RenderFillRectsF(v->ren, spans, n);
			n = 0;
		}
	}
	if (n)
		SDL_RenderFillRectsF(v->ren, spans, n);
}

/* A solid ring as spans (see solid_disc): one or two spans per pixel row. */
static void solid_ring(struct att_view *v, double cx, double cy, double r0, double r1, SDL_Color c)
{
	SDL_FRect spans[1024];
	int n = 0;

	geo_flush(v);
	SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
	for (double y = floor(cy - r1) + 0.5; y < cy + r1; y += 1.0) {
		double dy = y - cy, xo = r1 * r1 - dy * dy, xi = r0 * r0 - dy * dy;
		if (xo <= 0.0)
			continue;
		xo = sqrt(xo);
		if (xi <= 0.0) {
			spans[n++] = (SDL_FRect){(float)(cx - xo), (float)(y - 0.5),
			                         (float)(2 * xo), 1.0f};
		} else {
			xi = sqrt(xi);
			spans[n++] = (SDL_FRect){(float)(cx - xo), (float)(y - 0.5),
			                         (float)(xo - xi), 1.0f};
			spans[n++] = (SDL_FRect){(float)(cx + xi), (float)(y - 0.5),
			                         (float)(xo - xi), 1.0f};
		}
		if (n >= (int)(sizeof spans / sizeof spans[0]) - 2) {
			SDL_RenderFillRectsF(v->ren, spans, n);
			n = 0;
		}
	}
	if (n)
		SDL_RenderFillRectsF(v->ren, spans, n);
}

/* A ring of width `thick` centred on radius r; dashes > 0 draws that many round dots instead
 * (B's line style: told apart from A's solid ring without relying on colour). */
static void ring(struct att_view *v, double cx, double cy, double r, double thick, SDL_Color c,
                 int dashes)
{
	int n = segments_for(r);
	double r0 = r - thick / 2.0, r1 = r + thick / 2.0;

	if (r0 < 0.0)
		r0 = 0.0;
	if (dashes > 0) {
		for (int i = 0; i < dashes; i++) {
			double a = 2.0 * M_PI * i / dashes - M_PI / 2.0;
			solid_disc(v, cx + r * cos(a), cy + r * sin(a), thick * 0.75, c);
		}
		return;
	}
	if (c.a == 0xff) {
		solid_ring(v, cx, cy, r0, r1, c);
		return;
	}
	if (dashes > 0)
		n = dashes * 8; /* 4 segments lit, 4 dark per dash */
	for (int i = 0; i < n; i++) {
		double a0 = 2.0 * M_PI * i / n - M_PI / 2.0,
		       a1 = 2.0 * M_PI * (i + 1) / n - M_PI / 2.0;
		int q;
		if (dashes > 0 && (i % 8) >= 4)
			continue;
		geo_room(v, 4, 6);
		q = vert(v, cx + r0 * cos(a0), cy + r0 * sin(a0), c);
		vert(v, cx + r1 * cos(a0), cy + r1 * sin(a0), c);
		vert(v, cx + r1 * cos(a1), cy + r1 * sin(a1), c);
		vert(v, cx + r0 * cos(a1), cy + r0 * sin(a1), c);
		v->idx[v->ni++] = q;
		v->idx[v->ni++] = q + 1;
		v->idx[v->ni++] = q + 2;
		v->idx[v->ni++] = q;
		v->idx[v->ni++] = q + 2;
		v->idx[v->ni++] = q + 3;
	}
}

static void rect(struct att_view *v, double x, double y, double w, double h, SDL_Color c)
{
	SDL_FRect r = {(float)x, (float)y, (float)w, (float)h};
	geo_flush(v);
	SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
	SDL_RenderFillRectF(v->ren, &r);
}

/* A thick horizontal line segment for legends. */
static void legend_line(struct att_view *v, double x, double y, double w, double th, SDL_Color c,
                        int dashed)
{
	if (!dashed) {
		rect(v, x, y - th / 2, w, th, c);
		return;
	}
	for (double s = th; s < w; s += th * 3.0)
		solid_disc(v, x + s, y, th * 0.75, c);
}

/* Polyline through pts (NAN y = gap), thickness th, optionally dashed (every other dash_px). */
static void polyline(struct att_view *v, const SDL_FPoint *pts, int n, double th, SDL_Color c,
                     double dash_px)
{
	double run = 0.0;

	for (int i = 1; i < n; i++) {
		double x0 = pts[i - 1].x, y0 = pts[i - 1].y, x1 = pts[i].x, y1 = pts[i].y;
		double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy), nx, ny;
		int q;
		if (!isfinite(y0) || !isfinite(y1) || len <= 0.0)
			continue;
		run += len;
		if (dash_px > 0.0 && fmod(run, 2.0 * dash_px) > dash_px)
			continue;
		nx = -dy / len * th / 2.0;
		ny = dx / len * th / 2.0;
		geo_room(v, 4, 6);
		q = vert(v, x0 + nx, y0 + ny, c);
		vert(v, x1 + nx, y1 + ny, c);
		vert(v, x1 - nx, y1 - ny, c);
		vert(v, x0 - nx, y0 - ny, c);
		v->idx[v->ni++] = q;
		v->idx[v->ni++] = q + 1;
		v->idx[v->ni++] = q + 2;
		v->idx[v->ni++] = q;
		v->idx[v->ni++] = q + 2;
		v->idx[v->ni++] = q + 3;
	}
}

/* ---- words ---- */

static const char *resp_words(unsigned q)
{
	if (q & ATT_Q_ABSENT)
		return "not connected";
	if (q & ATT_Q_FLAT)
		return "flat \xe2\x80\x94 check the belt";
	if (q & ATT_Q_SATURATED)
		return "at its limit \xe2\x80\x94 loosen the belt";
	if (q & ATT_Q_IMPLAUSIBLE)
		return "no breaths found \xe2\x80\x94 check the belt";
	if (q & ATT_Q_SETTLING)
		return "settling\xe2\x80\xa6";
	return "ok";
}

static const char *ppg_words(unsigned q)
{
	if (q & ATT_Q_ABSENT)
		return NULL; /* no pulse sensor: nothing to fix */
	if (q & ATT_Q_FLAT)
		return "flat \xe2\x80\x94 check the clip";
	if (q & ATT_Q_SATURATED)
		return "saturated \xe2\x80\x94 clip too tight";
	if (q & ATT_Q_IMPLAUSIBLE)
		return "no clear pulse \xe2\x80\x94 reseat the clip";
	if (q & ATT_Q_SETTLING)
		return "settling\xe2\x80\xa6";
	return "ok";
}

static int problem(unsigned q)
{
	return (q & (ATT_Q_FLAT | ATT_Q_SATURATED | ATT_Q_IMPLAUSIBLE)) != 0;
}

/* The per-sensor quality line: problems first in words, or a short "ok" when all is well. */
static void quality_line(const struct att_view_model *m, char *buf, size_t len)
{
	const struct att_person *p[2] = {&m->snap.a, &m->snap.b};
	const char *who[2] = {"A", "B"};
	size_t used = 0;
	int any = 0;

	buf[0] = 0;
	if (!m->have_snapshot) {
		snprintf(buf, len, "sensors: waiting for signal");
		return;
	}
	for (int i = 0; i < 2; i++) {
		const char *r = resp_words(p[i]->resp_quality), *g = ppg_words(p[i]->ppg_quality);
		if (problem(p[i]->resp_quality) || (p[i]->resp_quality & ATT_Q_ABSENT)) {
			used += (size_t)snprintf(buf + used, len - used, "%s%s chest: %s",
			                         any ? "   " : "", who[i], r);
			any = 1;
		}
		if (used < len && g && problem(p[i]->ppg_quality)) {
			used += (size_t)snprintf(buf + used, len - used, "%s%s pulse: %s",
			                         any ? "   " : "", who[i], g);
			any = 1;
		}
		if (used >= len)
			return;
	}
	if (!any) {
		int settling = (p[0]->resp_quality | p[1]->resp_quality) & ATT_Q_SETTLING;
		snprintf(buf, len, settling ? "sensors: settling\xe2\x80\xa6" : "sensors ok");
	}
}

/* A number, or a dash when it cannot be computed (NAN): never "nan" on screen. */
static const char *num(char *buf, size_t len, const char *fmt, double v)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "\xe2\x80\x94");
	return buf;
}

static void clock_str(double t, char *buf, size_t len)
{
	long s = t > 0.0 ? (long)t : 0;
	if (s >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

/* ---- parts of the screen ---- */

static void draw_status(struct att_view *v, const struct att_view_model *m, int w, int top_h)
{
	char left[200], mid[300], right[120], clk[32];
	double pad = v->font_px[F_SMALL] * 0.6, y = (top_h - line_h(v, F_SMALL)) / 2.0;
	SDL_Color qc = C_DIM;

	rect(v, 0, 0, w, top_h, C_STRIP);
	snprintf(left, sizeof left, "%s \xc2\xb7 %.0f Hz \xc2\xb7 %llu frames lost%s",
	         m->source ? m->source : "no source", m->rate_hz,
	         (unsigned long long)m->frames_lost,
	         m->reconnecting ? " \xc2\xb7 reconnecting\xe2\x80\xa6"
	         : m->ended      ? " \xc2\xb7 end of file"
	                         : "");
	quality_line(m, mid, sizeof mid);
	if (strstr(mid, "\xe2\x80\x94"))
		qc = C_TEXT; /* a problem to act on: brighter, never red */
	clock_str(m->t, clk, sizeof clk);
	snprintf(right, sizeof right, "%s   %s   %s",
	         m->audio_ok     ? (m->muted ? "muted" : "sound on")
	         : m->audio_off  ? "sound off"
	         : m->audio_lost ? "sound lost, retrying"
	                         : "no sound card",
	         clk,
	         m->recording > 0    ? "\xe2\x97\x8f recording"
	         : m->recording == 0 ? "\xe2\x97\x8b not recording"
	                             : "recording n/a");
	text(v, F_SMALL, C_DIM, pad, y, LEFT, left);
	text(v, F_SMALL, qc, w / 2.0, y, CENTRE, mid);
	text(v, F_SMALL, m->recording > 0 ? C_TEXT : C_DIM, w - pad, y, RIGHT, right);
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
	double lh = line_h(v, F_NAME), th = fmax(3.0, v->font_px[F_NAME] * 0.12);
	double lw = v->font_px[F_NAME] * 2.2;
	char buf[64];

	text(v, F_NAME, tc, x, cy - lh, CENTRE, name);
	legend_line(v, x - lw / 2, cy + lh * 0.2, lw, th, c, who);
	if (m->have_snapshot && isfinite(p->breath_rate_bpm))
		snprintf(buf, sizeof buf, "%.1f breaths /min", p->breath_rate_bpm);
	else
		snprintf(buf, sizeof buf, "finding the breath\xe2\x80\xa6");
	text(v, F_MED, C_DIM, x, cy + lh * 0.5, CENTRE, buf);
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

static void draw_centre(struct att_view *v, const struct att_view_model *m, int w, int top, int h)
{
	double cx = w / 2.0, cy = top + h * 0.56;
	double rmax = fmin(h * 0.30, w * 0.2), rmin = rmax * 0.38;
	double ms = fmax(0.0, fmin(1.0, m->match_smooth));
	double th = fmax(4.0, rmax * 0.045);
	double leaf_r = rmax * 1.2, leaf_size = rmax * 0.055;
	double together = m->together_s;
	char buf[96];

	/* the shared glow: brightens as the pair matches */
	{
		int px = (int)(rmax * 2.7) | 1;
		SDL_Texture *g = glow_texture(v, px, (int)lrint(ms * (GLOW_LEVELS - 1)));
		SDL_Rect r = {(int)(cx - px / 2), (int)(cy - px / 2), px, px};
		if (g)
			SDL_RenderCopy(v->ren, g, NULL, &r);
	}

	/* leaves: one per 10 s breathed together, a circle of them in 5 minutes */
	for (int i = 0; i < LEAVES; i++) {
		double a = -M_PI / 2.0 + 2.0 * M_PI * i / LEAVES;
		double fill = fmin(1.0, fmax(0.0, together / LEAF_S - i));
		double x = cx + leaf_r * cos(a), y = cy + leaf_r * sin(a);
		if (fill <= 0.0)
			solid_disc(v, x, y, leaf_size * 0.25, with_alpha(C_GREY, 0.5));
		else
			solid_disc(v, x, y, leaf_size * (0.35 + 0.65 * fill), C_GREEN);
	}

	/* the pacer disc: grey, grows on the inhale */
	if (m->pacer_on) {
		double r = rmin + (rmax - rmin) * m->pacer.level;
		/* translucent, so the shared glow shows through; drawn as spans (see solid_disc) */
		solid_disc(v, cx, cy, r, with_alpha(C_GREY, 0.32));
		ring(v, cx, cy, r, 2.0, C_PACER_RIM, 0);
	} else {
		ring(v, cx, cy, rmin, 2.0, with_alpha(C_GREY, 0.4), 0);
		ring(v, cx, cy, rmax, 2.0, with_alpha(C_GREY, 0.4), 0);
	}

	/* each partner's measured breath: A solid orange, B dashed blue */
	if (m->have_snapshot) {
		if (isfinite(m->snap.a.breath))
			ring(v, cx, cy, breath_radius(m->snap.a.breath, rmin, rmax), th, C_A, 0);
		if (isfinite(m->snap.b.breath))
			ring(v, cx, cy, breath_radius(m->snap.b.breath, rmin, rmax), th, C_B, 36);
	}
	geo_flush(v);

	draw_person_label(v, m, 0, w * 0.13, cy);
	draw_person_label(v, m, 1, w * 0.87, cy);

	/* the cue, large, above the picture */
	if (m->pacer_on)
		text(v, F_CUE, C_TEXT, cx, top + h * 0.02, CENTRE,
		     m->pacer.inhaling ? "breathe in\xe2\x80\xa6" : "breathe out\xe2\x80\xa6");
	else
		text(v, F_CUE, C_DIM, cx, top + h * 0.02, CENTRE, "breathe at your own pace");

	/* under the picture, in words: how together they are and for how long */
	if (!m->have_snapshot || !isfinite(m->snap.match))
		snprintf(buf, sizeof buf, "listening to your breathing\xe2\x80\xa6");
	else if (m->match_smooth >= MATCHED)
		snprintf(buf, sizeof buf, "breathing together");
	else if (m->match_smooth >= 0.4)
		snprintf(buf, sizeof buf, "nearly together");
	else
		snprintf(buf, sizeof buf, "each at your own pace");
	if (together >= 1.0) {
		char clk[32];
		size_t l = strlen(buf);
		clock_str(together, clk, sizeof clk);
		snprintf(buf + l, sizeof buf - l, "  \xc2\xb7  together %s", clk);
	}
	if (!m->notice) /* a notice takes this place for its few seconds */
		text(v, F_MED, m->match_smooth >= MATCHED ? C_GREEN : C_DIM, cx,
		     cy + leaf_r + leaf_size + h * 0.015, CENTRE, buf);

	if (m->stage) {
		char st[96];
		snprintf(st, sizeof st, "generated couple: %s", m->stage);
		text(v, F_SMALL, C_DIM, w * 0.02, top + h - line_h(v, F_SMALL) * 1.3, LEFT, st);
	}
	if (m->notice) {
		double nh = line_h(v, F_MED) * 1.5;
		double ny = cy + leaf_r + leaf_size + h * 0.015 - (nh - line_h(v, F_MED)) / 2.0;
		rect(v, w * 0.25, ny, w * 0.5, nh, with_alpha(C_STRIP, 0.92));
		text(v, F_MED, C_TEXT, cx, ny + (nh - line_h(v, F_MED)) / 2.0, CENTRE, m->notice);
	}
}

/* Plots values (spaced evenly over [x, x+w]) scaled from [lo, hi] into [y+h, y]. */
static void plot(struct att_view *v, const float *vals, size_t n, double x, double y, double w,
                 double h, double lo, double hi, double th, SDL_Color c, double dash)
{
	int cols = (int)w, k = 0;

	if (n < 2 || cols < 2)
		return;
	if (cols > (int)(sizeof v->line / sizeof v->line[0]))
		cols = (int)(sizeof v->line / sizeof v->line[0]);
	if ((size_t)cols > n)
		cols = (int)n;
	for (int i = 0; i < cols; i++) {
		size_t j = (size_t)((double)i * (double)(n - 1) / (cols - 1));
		double val = vals[j];
		v->line[k].x = (float)(x + w * i / (cols - 1));
		v->line[k].y =
		        isfinite(val)
		                ? (float)(y + h - h * (fmax(lo, fmin(hi, val)) - lo) / (hi - lo))
		                : NAN;
		k++;
	}
	polyline(v, v->line, k, th, c, dash);
}

static int any_finite(const float *vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isfinite(vals[i]))
			return 1;
	return 0;
}

static void draw_strip(struct att_view *v, const struct att_view_model *m, int w, int y0, int h)
{
	double pad = v->font_px[F_SMALL] * 0.8, lh = line_h(v, F_SMALL), th = fmax(1.5, h / 120.0);
	double x1 = pad, w1 = w * 0.41, x2 = x1 + w1 + pad * 2, w2 = w * 0.27,
	       x3 = x2 + w2 + pad * 2;
	double py = y0 + pad + lh, ph = h - 2 * pad - lh;
	const struct att_snapshot *s = &m->snap;
	int hr = m->hist_n &&
	         (any_finite(m->hist_hr_a, m->hist_n) || any_finite(m->hist_hr_b, m->hist_n));
	char buf[160], n1[32], n2[32];
	double ty;

	rect(v, 0, y0, w, h, C_STRIP);
	rect(v, 0, y0, w, 1.0, with_alpha(C_GREY, 0.4));

	/* breath traces, last 60 s, and heart rates when there is a pulse */
	text(v, F_SMALL, C_DIM, x1, y0 + pad * 0.5, LEFT,
	     hr ? "breath and heart rate, last 60 s" : "breath, last 60 s");
	{
		double bh = hr ? ph * 0.64 : ph, hy = py + ph * 0.70, hh = ph * 0.30;
		rect(v, x1, py + bh / 2.0, w1, 1.0, with_alpha(C_GREY, 0.25));
		if (m->trace_n > 1) {
			plot(v, m->trace_a, m->trace_n, x1, py, w1, bh, -1.3, 1.3, th * 1.4, C_A,
			     0.0);
			plot(v, m->trace_b, m->trace_n, x1, py, w1, bh, -1.3, 1.3, th * 1.4, C_B,
			     6.0);
		}
		if (hr) {
			size_t n = m->hist_n, k = n > 60 ? 60 : n;
			double secs = (double)k * m->hist_dt;
			float lo = 1e9f, hi = -1e9f;
			for (size_t i = n - k; i < n; i++) {
				if (isfinite(m->hist_hr_a[i])) {
					lo = fminf(lo, m->hist_hr_a[i]);
					hi = fmaxf(hi, m->hist_hr_a[i]);
				}
				if (isfinite(m->hist_hr_b[i])) {
					lo = fminf(lo, m->hist_hr_b[i]);
					hi = fmaxf(hi, m->hist_hr_b[i]);
				}
			}
			lo -= 5.0f;
			hi += 5.0f;
			/* the last k seconds occupy the right part of a 60 s axis */
			plot(v, m->hist_hr_a + (n - k), k, x1 + w1 * (1.0 - secs / 60.0), hy,
			     w1 * secs / 60.0, hh, lo, hi, th, C_A, 0.0);
			plot(v, m->hist_hr_b + (n - k), k, x1 + w1 * (1.0 - secs / 60.0), hy,
			     w1 * secs / 60.0, hh, lo, hi, th, C_B, 0.0);
			snprintf(buf, sizeof buf, "%.0f\xe2\x80\x93%.0f bpm", lo, hi);
			text(v, F_SMALL, C_DIM, x1 + w1, hy - lh, RIGHT, buf);
		}
	}

	/* match over the whole session, with the chance level and the markers */
	text(v, F_SMALL, C_DIM, x2, y0 + pad * 0.5, LEFT, "match over the session (grey: chance)");
	rect(v, x2, py, w2, ph, with_alpha(C_BG, 0.6));
	rect(v, x2, py + ph * (1.06 - MATCHED) / 1.10, w2, 1.0, with_alpha(C_GREEN, 0.35));
	if (m->hist_n > 1) {
		double span = fmax(60.0, (double)m->hist_n * m->hist_dt);
		double wd = w2 * ((double)m->hist_n * m->hist_dt) / span;
		/* 0..1 with a little headroom so a perfect match does not sit on the frame */
		plot(v, m->hist_chance, m->hist_n, x2, py, wd, ph, -0.04, 1.06, th, C_GREY, 4.0);
		plot(v, m->hist_match, m->hist_n, x2, py, wd, ph, -0.04, 1.06, th * 1.5, C_GREEN,
		     0.0);
		for (size_t i = 0; i < m->n_markers; i++)
			rect(v, x2 + w2 * m->markers[i] / span, py, 1.5, ph,
			     with_alpha(C_TEXT, 0.6));
	}
	geo_flush(v);

	/* the numbers a therapist reads */
	ty = y0 + pad * 0.5;
	if (m->have_snapshot && isfinite(s->match))
		snprintf(buf, sizeof buf, "match %.0f", 100.0 * s->match);
	else
		snprintf(buf, sizeof buf, "match \xe2\x80\x94");
	text(v, F_MED, C_TEXT, x3, ty, LEFT, buf);
	ty += line_h(v, F_MED) * 1.05;
	if (m->have_snapshot && isfinite(s->plv))
		snprintf(buf, sizeof buf, "PLV %.2f   chance %s", s->plv,
		         num(n1, sizeof n1, "%.2f", s->plv_chance));
	else
		snprintf(buf, sizeof buf, "PLV \xe2\x80\x94   (settling)");
	text(v, F_SMALL, C_TEXT, x3, ty, LEFT, buf);
	ty += lh * 1.2;
	switch (m->have_snapshot ? att_sync_lead(s->plv, s->relative_phase_deg,
	                                         s->a.breath_rate_bpm, s->b.breath_rate_bpm)
	                         : ATT_LEAD_NONE) {
	case ATT_LEAD_TOGETHER:
		snprintf(buf, sizeof buf, "in step (%+.0f\xc2\xb0)", s->relative_phase_deg);
		break;
	case ATT_LEAD_OPPOSITE:
		snprintf(buf, sizeof buf, "opposite: one in as the other out");
		break;
	case ATT_LEAD_A:
	case ATT_LEAD_B:
		if (isfinite(s->lag_s))
			snprintf(buf, sizeof buf, "%s leads by %.1f s (%+.0f\xc2\xb0)",
			         s->relative_phase_deg > 0 ? v->name_a : v->name_b, fabs(s->lag_s),
			         s->relative_phase_deg);
		else
			snprintf(buf, sizeof buf, "%s leads by %.0f\xc2\xb0",
			         s->relative_phase_deg > 0 ? v->name_a : v->name_b,
			         fabs(s->relative_phase_deg));
		break;
	default:
		snprintf(buf, sizeof buf, "no steady lead");
	}
	text(v, F_SMALL, C_TEXT, x3, ty, LEFT, buf);
	ty += lh * 1.2;
	snprintf(buf, sizeof buf, "breaths/min  %s %s  %s %s", v->name_a,
	         num(n1, sizeof n1, "%.1f", s->a.breath_rate_bpm), v->name_b,
	         num(n2, sizeof n2, "%.1f", s->b.breath_rate_bpm));
	if (!m->have_snapshot)
		snprintf(buf, sizeof buf, "breaths/min  \xe2\x80\x94");
	text(v, F_SMALL, C_TEXT, x3, ty, LEFT, buf);
	ty += lh * 1.2;
	if (m->have_snapshot && (isfinite(s->a.heart_rate_bpm) || isfinite(s->b.heart_rate_bpm)))
		snprintf(buf, sizeof buf, "heart bpm  %s %s  %s %s", v->name_a,
		         num(n1, sizeof n1, "%.0f", s->a.heart_rate_bpm), v->name_b,
		         num(n2, sizeof n2, "%.0f", s->b.heart_rate_bpm));
	else
		snprintf(buf, sizeof buf, "heart bpm  \xe2\x80\x94");
	text(v, F_SMALL, C_TEXT, x3, ty, LEFT, buf);
	ty += lh * 1.2;
	if (m->pacer_on)
		snprintf(buf, sizeof buf, "pacer %.1f /min, in:out 1:%.0f", m->pacer_bpm,
		         m->exhale_ratio);
	else
		snprintf(buf, sizeof buf, "pacer off");
	text(v, F_SMALL, C_DIM, x3, ty, LEFT, buf);
	ty += lh * 1.2;
	if (m->have_snapshot) {
		snprintf(buf, sizeof buf, "chest %s / %s   pulse %s / %s",
		         resp_words(s->a.resp_quality), resp_words(s->b.resp_quality),
		         ppg_words(s->a.ppg_quality) ? ppg_words(s->a.ppg_quality) : "none",
		         ppg_words(s->b.ppg_quality) ? ppg_words(s->b.ppg_quality) : "none");
		text(v, F_SMALL, C_DIM, x3, ty, LEFT, buf);
	}
}

static void draw_help(struct att_view *v, const struct att_view_model *m, int w, int h)
{
	static const char *live_keys[][2] = {
	        {"space", "set a marker"},
	};
	static const char *replay_keys[][2] = {
	        {"space  k", "pause / play"},
	        {"\xe2\x86\x90  \xe2\x86\x92", "10 s back / forward"},
	};
	static const char *keys[][2] = {
	        {"p", "pacer on / off"},
	        {"\xe2\x86\x91  \xe2\x86\x93", "pacer faster / slower (4\xe2\x80\x93"
	                                       "10 /min)"},
	        {"e", "longer exhale on / off"},
	        {"r", "start / stop recording"},
	        {"m", "sound on / off"},
	        {"t", "therapist strip"},
	        {"f", "full screen"},
	        {"h  ?", "this help"},
	        {"q  Esc", "quit (nothing is lost)"},
	};
	const char *(*first)[2] = m->replay ? replay_keys : live_keys;
	int n_first = m->replay ? (int)(sizeof replay_keys / sizeof replay_keys[0])
	                        : (int)(sizeof live_keys / sizeof live_keys[0]);
	int n = n_first + (int)(sizeof keys / sizeof keys[0]);
	double lh = line_h(v, F_MED) * 1.25, bw = w * 0.5, bh = lh * (n + 2.2);
	double bx = (w - bw) / 2.0, by = (h - bh) / 2.0;

	rect(v, 0, 0, w, h, with_alpha(C_BG, 0.55));
	rect(v, bx, by, bw, bh, with_alpha(C_STRIP, 0.97));
	rect(v, bx, by, bw, 2.0, C_GREEN);
	text(v, F_MED, C_GREEN, bx + bw / 2.0, by + lh * 0.4, CENTRE, "keys");
	for (int i = 0; i < n; i++) {
		const char *const *row = i < n_first ? first[i] : keys[i - n_first];
		double y = by + lh * (1.6 + i);
		text(v, F_MED, C_TEXT, bx + bw * 0.30, y, RIGHT, row[0]);
		text(v, F_MED, C_DIM, bx + bw * 0.36, y, LEFT, row[1]);
	}
}

void att_view_render(struct att_view *v, const struct att_view_model *m)
{
	int w, h, top_h, strip_h;

	v->frame++;
	SDL_GetRendererOutputSize(v->ren, &w, &h);
	if (w != v->out_w || h != v->out_h)
		open_fonts(v, w,
		           h); /* on failure the old sizes stay closed: text just disappears */
	if (!v->font[0])
		return;
	SDL_SetRenderDrawColor(v->ren, C_BG.r, C_BG.g, C_BG.b, 0xff);
	SDL_RenderClear(v->ren);
	top_h = (int)(line_h(v, F_SMALL) * 1.6);
	strip_h = v->show_strip ? (int)(h * 0.28) : 0;
	draw_centre(v, m, w, top_h, h - top_h - strip_h);
	if (v->show_strip)
		draw_strip(v, m, w, h - strip_h, strip_h);
	draw_status(v, m, w, top_h);
	if (v->show_help)
		draw_help(v, m, w, h);
	geo_flush(v);
}

void att_view_present(struct att_view *v)
{
	SDL_RenderPresent(v->ren);
}

/* libpng reports errors by longjmp; keeping it in its own function leaves no local of the
 * caller live across the jump. */
static int write_png(FILE *f, const unsigned char *px, int w, int h)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;

	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return ATT_ERR_NOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return ATT_ERR_IO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
	             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < h; y++)
		png_write_row(png, px + (size_t)y * (size_t)w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return ATT_OK;
}

int att_view_save_png(struct att_view *v, const char *path, char *why, size_t why_len)
{
	int w, h, rc;
	unsigned char *px;
	FILE *f;

	SDL_GetRendererOutputSize(v->ren, &w, &h);
	px = malloc((size_t)w * (size_t)h * 3);
	if (!px) {
		snprintf(why, why_len, "out of memory saving %s", path);
		return ATT_ERR_NOMEM;
	}
	if (SDL_RenderReadPixels(v->ren, NULL, SDL_PIXELFORMAT_RGB24, px, w * 3) != 0) {
		snprintf(why, why_len, "cannot read the window's pixels (%s)", SDL_GetError());
		free(px);
		return ATT_ERR_IO;
	}
	f = fopen(path, "wb");
	if (!f) {
		snprintf(why, why_len,
		         "cannot write %s; check the directory exists and is writable", path);
		free(px);
		return ATT_ERR_IO;
	}
	rc = write_png(f, px, w, h);
	if (fclose(f) != 0 && rc == ATT_OK)
		rc = ATT_ERR_IO;
	if (rc != ATT_OK) {
		snprintf(why, why_len, "cannot write %s (disk full?)", path);
		remove(path); /* never leave a partial file looking complete */
	}
	free(px);
	return rc;
}
