/* The status line at the top of the live view: where the samples come from (source, rate, frames
 * lost) on the left, the sensors' quality in the middle, and sound, clock and recording on the
 * right. The layout is a function of its own so the ui test can check where the parts go: a
 * source's name can be a file path of any length, so the parts are fitted, never just drawn where
 * they would overlap. */
#include "view_impl.h"

#include <stdio.h>
#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6"

static int text_w(const struct att_view *v, const char *s)
{
	int w = 0;

	if (*s && TTF_SizeUTF8(v->font[F_SMALL], s, &w, NULL) != 0)
		w = 0;
	return w;
}

/* A UTF-8 continuation byte: cutting before one would split a character. */
static int inside_char(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Shortens s in place to its longest start that, followed by "…", fits maxw; empty when not even
 * the ellipsis fits. */
static void fit_end(const struct att_view *v, char *s, double maxw)
{
	char buf[TEXT_MAX];
	size_t lo = 0, hi = strlen(s);

	if (text_w(v, s) <= maxw)
		return;
	if (text_w(v, ELLIPSIS) > maxw) {
		s[0] = 0;
		return;
	}
	while (lo < hi) { /* the longest start that fits: lo fits, hi + 1 does not */
		size_t mid = (lo + hi + 1) / 2, cut = mid;
		while (cut > 0 && inside_char(s[cut]))
			cut--;
		snprintf(buf, sizeof buf, "%.*s" ELLIPSIS, (int)cut, s);
		if (text_w(v, buf) <= maxw)
			lo = mid;
		else
			hi = mid - 1;
	}
	while (lo > 0 && inside_char(s[lo]))
		lo--;
	snprintf(buf, sizeof buf, "%.*s" ELLIPSIS, (int)lo, s);
	memcpy(s, buf, strlen(buf) + 1);
}

/* name + rest with about `keep` bytes of name, the middle of it replaced by "…": a third of what
 * is kept from its start and the rest from its end, where a path has the file's name. */
static void middle_cut(char *out, size_t len, const char *name, size_t keep, const char *rest)
{
	size_t n = strlen(name), head = keep / 3, tail = n - (keep - head);

	while (head > 0 && inside_char(name[head]))
		head--;
	while (tail < n && inside_char(name[tail]))
		tail++;
	snprintf(out, len, "%.*s" ELLIPSIS "%s%s", (int)head, name, name + tail, rest);
}

/* The left part within maxw: the source's name gives way first, as what follows it (rate,
 * frames lost, reconnecting) is what a therapist acts on. */
static void fit_left(const struct att_view *v, const struct att_view_model *m, char *out,
                     double maxw)
{
	const char *name = m->source ? m->source : "no source";
	size_t n = strlen(name), lo = 0, hi;
	char rest[96];

	snprintf(rest, sizeof rest, " \xc2\xb7 %.0f Hz \xc2\xb7 %llu frames lost%s", m->rate_hz,
	         (unsigned long long)m->frames_lost,
	         m->reconnecting ? " \xc2\xb7 reconnecting" ELLIPSIS
	         : m->ended      ? " \xc2\xb7 end of file"
	                         : "");
	if (n + strlen(rest) < TEXT_MAX) {
		snprintf(out, TEXT_MAX, "%s%s", name, rest);
		if (text_w(v, out) <= maxw)
			return;
	}
	hi = TEXT_MAX - 1 - strlen(rest) - strlen(ELLIPSIS);
	hi = hi < n ? hi : n - 1;
	middle_cut(out, TEXT_MAX, name, 0, rest);
	if (n == 0 || text_w(v, out) > maxw) { /* no room for any of the name: "…" and the rest */
		fit_end(v, out, maxw);
		return;
	}
	while (lo < hi) { /* the most of the name that fits: lo fits, hi + 1 does not */
		size_t mid = (lo + hi + 1) / 2;
		middle_cut(out, TEXT_MAX, name, mid, rest);
		if (text_w(v, out) <= maxw)
			lo = mid;
		else
			hi = mid - 1;
	}
	middle_cut(out, TEXT_MAX, name, lo, rest);
}

static void status_words(const struct att_view_model *m, struct att_view_status *st)
{
	char clk[32];

	att_view_quality_line(m, st->text[ATT_STATUS_MID], sizeof st->text[ATT_STATUS_MID]);
	att_draw_clock_str(m->t, clk, sizeof clk);
	snprintf(st->text[ATT_STATUS_RIGHT], sizeof st->text[ATT_STATUS_RIGHT], "%s   %s   %s",
	         m->audio_ok     ? (m->muted ? "muted" : "sound on")
	         : m->audio_off  ? "sound off"
	         : m->audio_lost ? "sound lost, retrying"
	                         : "no sound card",
	         clk,
	         m->recording > 0    ? "\xe2\x97\x8f recording"
	         : m->recording == 0 ? "\xe2\x97\x8b not recording"
	                             : "recording n/a");
}

static void place(const struct att_view *v, struct att_view_status *st, int part, double x0)
{
	st->x0[part] = x0;
	st->x1[part] = x0 + text_w(v, st->text[part]);
}

void att_view_status_layout(const struct att_view *v, const struct att_view_model *m, int w,
                            struct att_view_status *st)
{
	double pad = v->font_px[F_SMALL] * 0.6, gap = 2.0 * pad, end, mid_w;
	char *mid = st->text[ATT_STATUS_MID];

	status_words(m, st);
	/* right: whole unless the window is narrower than it */
	fit_end(v, st->text[ATT_STATUS_RIGHT], w - 2.0 * pad);
	place(v, st, ATT_STATUS_RIGHT, w - pad - text_w(v, st->text[ATT_STATUS_RIGHT]));
	end = st->x1[ATT_STATUS_RIGHT] > st->x0[ATT_STATUS_RIGHT] ? st->x0[ATT_STATUS_RIGHT] - gap
	                                                          : w - pad;
	/* middle: centred, moved left of the right part, shortened only when that is not enough */
	mid_w = text_w(v, mid);
	if (w / 2.0 + mid_w / 2.0 <= end) {
		place(v, st, ATT_STATUS_MID, w / 2.0 - mid_w / 2.0);
	} else if (end - mid_w >= pad) {
		place(v, st, ATT_STATUS_MID, end - mid_w);
	} else {
		fit_end(v, mid, end - pad);
		place(v, st, ATT_STATUS_MID, pad);
	}
	if (st->x1[ATT_STATUS_MID] > st->x0[ATT_STATUS_MID])
		end = st->x0[ATT_STATUS_MID] - gap;
	/* left: whatever room is left */
	fit_left(v, m, st->text[ATT_STATUS_LEFT], end - pad);
	place(v, st, ATT_STATUS_LEFT, pad);
}

void att_view_draw_status(struct att_view *v, const struct att_view_model *m, int w, int top_h)
{
	struct att_view_status st;
	double y = (top_h - att_draw_line_h(v, F_SMALL)) / 2.0;
	const char *mid = st.text[ATT_STATUS_MID];

	att_view_status_layout(v, m, w, &st);
	att_draw_rect(v, 0, 0, w, top_h, C_STRIP);
	att_draw_text(v, F_SMALL, C_DIM, st.x0[ATT_STATUS_LEFT], y, LEFT, st.text[ATT_STATUS_LEFT]);
	/* a problem to act on: brighter, never red */
	att_draw_text(v, F_SMALL, strstr(mid, "\xe2\x80\x94") ? C_TEXT : C_DIM,
	              st.x0[ATT_STATUS_MID], y, LEFT, mid);
	att_draw_text(v, F_SMALL, m->recording > 0 ? C_TEXT : C_DIM, st.x0[ATT_STATUS_RIGHT], y,
	              LEFT, st.text[ATT_STATUS_RIGHT]);
}
