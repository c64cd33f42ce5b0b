/* What the live view lays over its parts for a while: the help panel (key h) and a transient
 * notice ("recording saved", "muted", ...) in place of the words under the picture. */
#include "view_impl.h"

void att_view_draw_help(struct att_view *v, const struct att_view_model *m, int w, int h)
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
	        {"\xe2\x86\x91  \xe2\x86\x93", "pacer faster / slower (3\xe2\x80\x93"
	                                       "10 /min)"},
	        {"e", "longer exhale on / off"},
	        {"r", "start / stop recording"},
	        {"m", "sound on / off"},
	        {"t", "therapist strip"},
	        {"f", "full screen"},
	        {"g", "pause / resume the guide"},
	        {"n  b", "guide: next phase / this phase again"},
	        {"h  ?", "this help"},
	        {"q  Esc", "quit (nothing is lost)"},
	};
	const char *(*first)[2] = m->replay ? replay_keys : live_keys;
	int n_first = m->replay ? (int)(sizeof replay_keys / sizeof replay_keys[0])
	                        : (int)(sizeof live_keys / sizeof live_keys[0]);
	int n = n_first + (int)(sizeof keys / sizeof keys[0]);
	double lh = att_draw_line_h(v, F_MED) * 1.25, bw = w * 0.5, bh = lh * (n + 2.2);
	double bx = (w - bw) / 2.0, by = (h - bh) / 2.0;

	att_draw_rect(v, 0, 0, w, h, att_draw_alpha(C_BG, 0.55));
	att_draw_rect(v, bx, by, bw, bh, att_draw_alpha(C_STRIP, 0.97));
	att_draw_rect(v, bx, by, bw, 2.0, C_GREEN);
	att_draw_text(v, F_MED, C_GREEN, bx + bw / 2.0, by + lh * 0.4, CENTRE, "keys");
	for (int i = 0; i < n; i++) {
		const char *const *row = i < n_first ? first[i] : keys[i - n_first];
		double y = by + lh * (1.6 + i);
		att_draw_text(v, F_MED, C_TEXT, bx + bw * 0.30, y, RIGHT, row[0]);
		att_draw_text(v, F_MED, C_DIM, bx + bw * 0.36, y, LEFT, row[1]);
	}
}

void att_view_draw_notice(struct att_view *v, const struct att_view_model *m, int w, int top, int h)
{
	double lh = att_draw_line_h(v, F_MED), nh = lh * 1.5, ny;

	if (!m->notice)
		return;
	/* centred on the words it replaces, on a panel so it reads over the leaves */
	ny = att_view_centre_words_y(w, top, h) - (nh - lh) / 2.0;
	att_draw_rect(v, w * 0.25, ny, w * 0.5, nh, att_draw_alpha(C_STRIP, 0.92));
	att_draw_text(v, F_MED, C_TEXT, w / 2.0, ny + (nh - lh) / 2.0, CENTRE, m->notice);
}

/* The guide: its instruction above the words under the picture, and where the session is in
 * it (phase, countdown, what is left) under the large cue at the top. */
void att_view_draw_guide(struct att_view *v, const struct att_view_model *m, int w, double cue_y,
                         double words_y)
{
	char line[256], left[32], total[32];

	if (!m->guide_phase)
		return;
	if (m->guide_say && m->guide_say[0])
		att_draw_text(v, F_MED, C_TEXT, w / 2.0, words_y - att_draw_line_h(v, F_MED) * 1.3,
		              CENTRE, m->guide_say);
	att_draw_clock_str(m->guide_phase_left, left, sizeof left);
	att_draw_clock_str(m->guide_left, total, sizeof total);
	if (m->guide_index < m->guide_n)
		snprintf(line, sizeof line,
		         "%s \xc2\xb7 %zu of %zu: %s \xc2\xb7 %s left%s \xc2\xb7 all: %s",
		         m->guide_name, m->guide_index + 1, m->guide_n, m->guide_phase, left,
		         m->guide_paused ? " (paused: g goes on)" : "", total);
	else
		snprintf(line, sizeof line, "%s \xc2\xb7 finished", m->guide_name);
	att_draw_text(v, F_SMALL, m->guide_paused ? C_TEXT : C_DIM, w / 2.0,
	              cue_y + att_draw_line_h(v, F_CUE) * 1.02, CENTRE, line);
}
