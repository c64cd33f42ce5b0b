/* The status line at the top of the live view: where the samples come from (source, rate, frames
 * lost) on the left, the sensors' quality in the middle, and sound, clock and recording on the
 * right. The layout is a function of its own so the ui test can check where the parts go. */
#include "view_impl.h"

#include <stdio.h>
#include <string.h>

static void status_words(const struct att_view_model *m, struct att_view_status *st)
{
	char clk[32];

	snprintf(st->text[ATT_STATUS_LEFT], 200, "%s \xc2\xb7 %.0f Hz \xc2\xb7 %llu frames lost%s",
	         m->source ? m->source : "no source", m->rate_hz,
	         (unsigned long long)m->frames_lost,
	         m->reconnecting ? " \xc2\xb7 reconnecting\xe2\x80\xa6"
	         : m->ended      ? " \xc2\xb7 end of file"
	                         : "");
	att_view_quality_line(m, st->text[ATT_STATUS_MID], 300);
	att_draw_clock_str(m->t, clk, sizeof clk);
	snprintf(st->text[ATT_STATUS_RIGHT], 120, "%s   %s   %s",
	         m->audio_ok     ? (m->muted ? "muted" : "sound on")
	         : m->audio_off  ? "sound off"
	         : m->audio_lost ? "sound lost, retrying"
	                         : "no sound card",
	         clk,
	         m->recording > 0    ? "\xe2\x97\x8f recording"
	         : m->recording == 0 ? "\xe2\x97\x8b not recording"
	                             : "recording n/a");
}

static int text_w(const struct att_view *v, const char *s)
{
	int w = 0;

	if (*s && TTF_SizeUTF8(v->font[F_SMALL], s, &w, NULL) != 0)
		w = 0;
	return w;
}

void att_view_status_layout(const struct att_view *v, const struct att_view_model *m, int w,
                            struct att_view_status *st)
{
	double pad = v->font_px[F_SMALL] * 0.6;
	int tw[ATT_STATUS_PARTS];

	status_words(m, st);
	for (int i = 0; i < ATT_STATUS_PARTS; i++)
		tw[i] = text_w(v, st->text[i]);
	st->x0[ATT_STATUS_LEFT] = pad;
	st->x0[ATT_STATUS_MID] = w / 2.0 - tw[ATT_STATUS_MID] / 2.0;
	st->x0[ATT_STATUS_RIGHT] = w - pad - tw[ATT_STATUS_RIGHT];
	for (int i = 0; i < ATT_STATUS_PARTS; i++)
		st->x1[i] = st->x0[i] + tw[i];
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
