/* The screens around a session in `attune app` (view.h): the start screen (who, the board, a
 * guide) and the end card (this session beside the recent ones, then a reflection). Drawn with
 * the live view's primitives and colours; every clickable thing is reported as a hit box so the
 * same screen works with the mouse and with the keyboard alone. */
#include "view_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Begins a frame: fonts for the current output size, background. 0 when nothing can be drawn. */
static int begin(struct att_view *v, int *w, int *h)
{
	v->frame++;
	SDL_GetRendererOutputSize(v->ren, w, h);
	if (*w != v->out_w || *h != v->out_h)
		att_view_open_fonts(v, *w, *h);
	if (!v->font[0])
		return 0;
	SDL_SetRenderDrawColor(v->ren, C_BG.r, C_BG.g, C_BG.b, 0xff);
	SDL_RenderClear(v->ren);
	return 1;
}

static void hit(struct att_view_hits *hits, double x, double y, double w, double h, int item,
                int index)
{
	if (hits && hits->n < ATT_VIEW_HITS_MAX)
		hits->hit[hits->n++] = (struct att_view_hit){
		        .r = {(int)x, (int)y, (int)w, (int)h}, .item = item, .index = index};
}

/* A text field: a panel, its label above, the text with a caret when focused. */
static void field(struct att_view *v, double x, double y, double w, const char *label,
                  const char *text, SDL_Color accent, int focused, int caret_on)
{
	double lh = att_draw_line_h(v, F_MED), bh = lh * 1.5;
	char shown[TEXT_MAX];

	att_draw_text(v, F_SMALL, C_DIM, x, y, LEFT, label);
	y += att_draw_line_h(v, F_SMALL) * 1.1;
	att_draw_rect(v, x, y, w, bh, C_STRIP);
	att_draw_rect(v, x, y + bh - (focused ? 3.0 : 1.0), w, focused ? 3.0 : 1.0,
	              focused ? accent : C_PACER_RIM);
	snprintf(shown, sizeof shown, "%s%s", text, focused && caret_on ? "|" : "");
	att_draw_text(v, F_MED, C_TEXT, x + lh * 0.4, y + (bh - lh) / 2.0, LEFT, shown);
}

static void button(struct att_view *v, double x, double y, double w, const char *label,
                   SDL_Color c, int focused)
{
	double lh = att_draw_line_h(v, F_MED), bh = lh * 1.6;

	att_draw_rect(v, x, y, w, bh, focused ? c : att_draw_alpha(c, 0.35));
	att_draw_text(v, F_MED, focused ? C_BG : C_TEXT, x + w / 2.0, y + (bh - lh) / 2.0, CENTRE,
	              label);
}

/* Draws text wrapped to width w from (x, y); returns the y under it. */
static double wrapped(struct att_view *v, int font, SDL_Color c, double x, double y, double w,
                      const char *text)
{
	char line[TEXT_MAX];
	size_t n = strlen(text), start = 0;
	double lh = att_draw_line_h(v, font);

	while (start < n) {
		size_t best = 0, k = start;
		/* the longest run of whole words (or characters, for a word longer than the line)
		 * that fits */
		while (k < n) {
			size_t next = k + 1;
			int tw = 0;
			while (next < n && ((unsigned char)text[next] & 0xc0) == 0x80)
				next++;
			if (next - start >= sizeof line)
				break;
			memcpy(line, text + start, next - start);
			line[next - start] = 0;
			if (TTF_SizeUTF8(v->font[font], line, &tw, NULL) != 0 || tw > w)
				break;
			k = next;
			if (k == n || text[k] == ' ' || text[k] == '\n')
				best = k - start;
			if (text[k - 1] == '\n')
				break;
		}
		if (!best)
			best = k > start ? k - start : 1;
		memcpy(line, text + start, best);
		line[best] = 0;
		if (best && line[best - 1] == '\n')
			line[best - 1] = 0;
		att_draw_text(v, font, c, x, y, LEFT, line);
		y += lh;
		start += best;
		while (start < n && text[start] == ' ')
			start++;
	}
	return y;
}

/* Draws text on one line from (x, y), cut at a character boundary with an ellipsis when wider
 * than w. */
static void clipped(struct att_view *v, int font, SDL_Color c, double x, double y, double w,
                    const char *text)
{
	char line[TEXT_MAX];
	size_t n = strlen(text);
	int tw = 0;

	snprintf(line, sizeof line, "%s", text);
	n = strlen(line);
	while (n > 0 && TTF_SizeUTF8(v->font[font], line, &tw, NULL) == 0 && tw > w) {
		do
			n--;
		while (n > 0 && ((unsigned char)line[n] & 0xc0) == 0x80);
		if (n + 4 > sizeof line)
			continue;
		memcpy(line + n, "\xe2\x80\xa6", 4);
	}
	att_draw_text(v, font, c, x, y, LEFT, line);
}

void att_view_render_start(struct att_view *v, const struct att_view_start *m,
                           struct att_view_hits *hits)
{
	int w, h;
	double lh, sh, col, x0, x1, y, bh;

	if (hits)
		hits->n = 0;
	if (!begin(v, &w, &h))
		return;
	lh = att_draw_line_h(v, F_MED);
	sh = att_draw_line_h(v, F_SMALL);
	bh = lh * 1.5 + sh * 1.1;
	col = w * 0.38;
	x0 = w * 0.08;
	x1 = w * 0.54;
	att_draw_text(v, F_NAME, C_GREEN, x0, h * 0.05, LEFT, "attune");
	att_draw_text(v, F_MED, C_DIM, x0, h * 0.05 + att_draw_line_h(v, F_NAME), LEFT,
	              "breathing together");

	y = h * 0.22;
	att_draw_text(v, F_MED, C_TEXT, x0, y, LEFT, "Who is breathing today?");
	y += lh * 1.6;
	field(v, x0, y, col, "first partner", m->name_a, C_A, m->focus == ATT_START_NAME_A,
	      m->caret_on);
	hit(hits, x0, y, col, bh, ATT_START_NAME_A, 0);
	y += bh + lh * 0.6;
	field(v, x0, y, col, "second partner", m->name_b, C_B, m->focus == ATT_START_NAME_B,
	      m->caret_on);
	hit(hits, x0, y, col, bh, ATT_START_NAME_B, 0);
	y += bh + lh;
	if (m->n_couples) {
		att_draw_text(v, F_SMALL, C_DIM, x0, y, LEFT, "breathed here before:");
		y += sh * 1.3;
		for (size_t i = 0; i < m->n_couples && y < h * 0.78; i++) {
			int on = m->focus == ATT_START_COUPLES && (int)i == m->couple_sel;
			if (on)
				att_draw_rect(v, x0 - lh * 0.3, y - sh * 0.15, col, sh * 1.3, C_STRIP);
			att_draw_text(v, F_SMALL, on ? C_TEXT : C_DIM, x0, y, LEFT, m->couples[i]);
			hit(hits, x0 - lh * 0.3, y - sh * 0.15, col, sh * 1.3, ATT_START_COUPLES, (int)i);
			y += sh * 1.35;
		}
	}

	y = h * 0.22;
	att_draw_text(v, F_MED, C_TEXT, x1, y, LEFT, "Choose a guide");
	y += lh * 1.6;
	for (size_t i = 0; i < m->n_guides; i++) {
		int sel = (int)i == m->guide_sel, on = sel && m->focus == ATT_START_GUIDES;
		double rh = lh * 1.15 + sh * 1.2;
		att_draw_rect(v, x1, y, w * 0.38, rh, sel ? C_STRIP : C_BG);
		if (sel)
			att_draw_rect(v, x1, y, 4.0, rh, on ? C_GREEN : C_PACER_RIM);
		att_draw_text(v, F_MED, sel ? C_TEXT : C_DIM, x1 + lh * 0.5, y + sh * 0.2, LEFT,
		              m->guide_title[i]);
		clipped(v, F_SMALL, C_DIM, x1 + lh * 0.5, y + sh * 0.2 + lh * 1.05,
		        w * 0.38 - lh * 0.8, m->guide_about[i]);
		hit(hits, x1, y, w * 0.38, rh, ATT_START_GUIDES, (int)i);
		y += rh + sh * 0.4;
	}
	if (m->note && m->note[0])
		att_draw_text(v, F_SMALL, C_GREEN, x1, y + sh * 0.4, LEFT, m->note);

	y = h * 0.82;
	y = wrapped(v, F_SMALL, m->have_board ? C_GREEN : C_DIM, x0, y, col, m->board);
	button(v, x1, h * 0.82 - lh * 0.3, w * 0.38, "Start", C_GREEN, m->focus == ATT_START_GO);
	hit(hits, x1, h * 0.82 - lh * 0.3, w * 0.38, lh * 1.6, ATT_START_GO, 0);
	if (m->problem && m->problem[0])
		wrapped(v, F_SMALL, C_A, x0, y + sh * 0.4, col, m->problem);
	att_draw_text(v, F_SMALL, C_DIM, w / 2.0, h - sh * 1.6, CENTRE,
	              "Tab next \xc2\xb7 type the names \xc2\xb7 \xe2\x86\x91\xe2\x86\x93 choose "
	              "\xc2\xb7 Enter starts \xc2\xb7 Esc quits");
	att_draw_flush(v);
}

void att_view_render_end(struct att_view *v, const struct att_view_end *m,
                         struct att_view_hits *hits)
{
	int w, h;
	double lh, sh, x0, tw, y, box_h;
	char shown[ATT_VIEW_JOURNAL_MAX + 4];

	if (hits)
		hits->n = 0;
	if (!begin(v, &w, &h))
		return;
	lh = att_draw_line_h(v, F_MED);
	sh = att_draw_line_h(v, F_SMALL);
	x0 = w * 0.12;
	tw = w * 0.76;
	y = h * 0.06;
	att_draw_text(v, F_NAME, C_GREEN, x0, y, LEFT, m->title);
	y += att_draw_line_h(v, F_NAME) * 1.2;
	for (size_t i = 0; i < m->n_lines; i++) {
		att_draw_text(v, i ? F_SMALL : F_MED, i ? C_DIM : C_TEXT, x0, y, LEFT, m->lines[i]);
		y += (i ? sh : lh) * 1.35;
	}
	y += lh * 0.6;
	att_draw_rect(v, x0, y, tw, 1.0, C_PACER_RIM);
	y += lh * 0.8;
	if (m->saved && m->saved[0]) {
		att_draw_text(v, F_MED, C_GREEN, x0, y, LEFT, m->saved);
		att_draw_text(v, F_SMALL, C_DIM, w / 2.0, h - sh * 1.6, CENTRE,
		              "Enter or Esc: back to the start");
		att_draw_flush(v);
		return;
	}
	y = wrapped(v, F_MED, C_TEXT, x0, y, tw, m->prompt) + lh * 0.5;
	box_h = fmax(lh * 4.5, h * 0.78 - y);
	att_draw_rect(v, x0, y, tw, box_h, C_STRIP);
	att_draw_rect(v, x0, y + box_h - 3.0, tw, 3.0, C_GREEN);
	snprintf(shown, sizeof shown, "%s%s", m->text, m->caret_on ? "|" : "");
	if (m->text[0] || m->caret_on)
		wrapped(v, F_MED, C_TEXT, x0 + lh * 0.4, y + lh * 0.3, tw - lh * 0.8, shown);
	else
		att_draw_text(v, F_MED, C_DIM, x0 + lh * 0.4, y + lh * 0.3, LEFT,
		              "write a few words, in any language");
	y += box_h + lh * 0.6;
	button(v, x0 + tw - w * 0.36, y, w * 0.17, "Save", C_GREEN, 1);
	hit(hits, x0 + tw - w * 0.36, y, w * 0.17, lh * 1.6, ATT_END_SAVE, 0);
	button(v, x0 + tw - w * 0.17, y, w * 0.17, "Skip", C_PACER_RIM, 0);
	hit(hits, x0 + tw - w * 0.17, y, w * 0.17, lh * 1.6, ATT_END_SKIP, 0);
	att_draw_text(v, F_SMALL, C_DIM, w / 2.0, h - sh * 1.6, CENTRE,
	              "Enter saves \xc2\xb7 Shift+Enter a new line \xc2\xb7 Tab another question "
	              "\xc2\xb7 Esc skips");
	att_draw_flush(v);
}

const struct att_view_hit *att_view_hit_at(const struct att_view *v,
                                           const struct att_view_hits *hits, int x, int y)
{
	int ww, wh, ow, oh;
	SDL_Point pt;

	/* the mouse is in window coordinates, the boxes in output pixels (HiDPI differs) */
	SDL_GetWindowSize(v->win, &ww, &wh);
	SDL_GetRendererOutputSize(v->ren, &ow, &oh);
	pt.x = ww > 0 ? x * ow / ww : x;
	pt.y = wh > 0 ? y * oh / wh : y;
	for (int i = hits->n; i-- > 0;)
		if (SDL_PointInRect(&pt, &hits->hit[i].r))
			return &hits->hit[i];
	return NULL;
}
