/* The primitives every part of the live view draws with (see view_impl.h).
 *
 * Drawing is shaped by what the software renderer (Xvfb, machines without GPU) does cheaply:
 * filled discs and solid rings are spans (one rectangle per pixel row), and SDL_RenderGeometry
 * (one preallocated vertex buffer) only draws thin things: trace lines and translucent rings. Text
 * goes through a small cache of textures keyed by font, colour and string, so a frame whose words
 * did not change creates none. */
#include "view_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint32_t rgba_of(SDL_Color c)
{
	return (uint32_t)c.r << 24 | (uint32_t)c.g << 16 | (uint32_t)c.b << 8 | c.a;
}

SDL_Color att_draw_alpha(SDL_Color c, double a)
{
	c.a = (Uint8)(fmax(0.0, fmin(1.0, a)) * 255.0 + 0.5);
	return c;
}

/* ---- text ---- */

void att_draw_forget_text(struct att_view *v)
{
	for (int i = 0; i < TEXT_CACHE; i++) {
		if (v->cache[i].tex)
			SDL_DestroyTexture(v->cache[i].tex);
		v->cache[i].tex = NULL;
		v->cache[i].str[0] = 0;
	}
}

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

int att_draw_text(struct att_view *v, int font, SDL_Color c, double x, double y, enum align al,
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

int att_draw_line_h(const struct att_view *v, int font)
{
	return TTF_FontLineSkip(v->font[font]);
}

/* ---- shapes ---- */

void att_draw_flush(struct att_view *v)
{
	if (v->ni)
		SDL_RenderGeometry(v->ren, NULL, v->verts, v->nv, v->idx, v->ni);
	v->nv = v->ni = 0;
}

static void geo_room(struct att_view *v, int verts, int idx)
{
	if (v->nv + verts > MAX_VERTS || v->ni + idx > MAX_INDICES)
		att_draw_flush(v);
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
void att_draw_disc(struct att_view *v, double cx, double cy, double r, SDL_Color c)
{
	SDL_FRect spans[512];
	int n = 0;

	if (r <= 0.5)
		return;
	att_draw_flush(v);
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

/* A solid ring as spans (see att_draw_disc): one or two spans per pixel row. */
static void solid_ring(struct att_view *v, double cx, double cy, double r0, double r1, SDL_Color c)
{
	SDL_FRect spans[1024];
	int n = 0;

	att_draw_flush(v);
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
void att_draw_ring(struct att_view *v, double cx, double cy, double r, double thick, SDL_Color c,
                   int dashes)
{
	int n = segments_for(r);
	double r0 = r - thick / 2.0, r1 = r + thick / 2.0;

	if (r0 < 0.0)
		r0 = 0.0;
	if (dashes > 0) {
		for (int i = 0; i < dashes; i++) {
			double a = 2.0 * M_PI * i / dashes - M_PI / 2.0;
			att_draw_disc(v, cx + r * cos(a), cy + r * sin(a), thick * 0.75, c);
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

void att_draw_rect(struct att_view *v, double x, double y, double w, double h, SDL_Color c)
{
	SDL_FRect r = {(float)x, (float)y, (float)w, (float)h};
	att_draw_flush(v);
	SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
	SDL_RenderFillRectF(v->ren, &r);
}

/* A thick horizontal line segment for legends. */
void att_draw_legend_line(struct att_view *v, double x, double y, double w, double th, SDL_Color c,
                          int dashed)
{
	if (!dashed) {
		att_draw_rect(v, x, y - th / 2, w, th, c);
		return;
	}
	for (double s = th; s < w; s += th * 3.0)
		att_draw_disc(v, x + s, y, th * 0.75, c);
}

/* Polyline through pts (NAN y = gap), thickness th, optionally dashed (every other dash_px). */
void att_draw_polyline(struct att_view *v, const SDL_FPoint *pts, int n, double th, SDL_Color c,
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

void att_draw_clock_str(double t, char *buf, size_t len)
{
	long s = t > 0.0 ? (long)t : 0;
	if (s >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}
