/* The therapist strip at the bottom of the live view (key t): the breath traces and heart rates
 * of the last minute, the match over the whole session against its chance level, and the numbers
 * a therapist reads (match, PLV, who leads, rates, pacer, sensor quality). The sensor quality
 * words are here too; the status line shows their summary. */
#include "view_impl.h"

#include <math.h>
#include <stdio.h>

#include "attune/sync.h"

/* Where the strip's three columns sit: traces (x1), match history (x2), numbers (x3). */
struct strip {
	double y0, pad, lh, th, x1, w1, x2, w2, x3, py, ph;
};

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
void att_view_quality_line(const struct att_view_model *m, char *buf, size_t len)
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
	att_draw_polyline(v, v->line, k, th, c, dash);
}

static int any_finite(const float *vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isfinite(vals[i]))
			return 1;
	return 0;
}

static struct strip strip_of(const struct att_view *v, int w, int y0, int h)
{
	struct strip s;

	s.y0 = y0;
	s.pad = v->font_px[F_SMALL] * 0.8;
	s.lh = att_draw_line_h(v, F_SMALL);
	s.th = fmax(1.5, h / 120.0);
	s.x1 = s.pad;
	s.w1 = w * 0.41;
	s.x2 = s.x1 + s.w1 + s.pad * 2;
	s.w2 = w * 0.27;
	s.x3 = s.x2 + s.w2 + s.pad * 2;
	s.py = y0 + s.pad + s.lh;
	s.ph = h - 2 * s.pad - s.lh;
	return s;
}

/* Heart rates of the last minute under the breath traces, on a range fitted to them. */
static void draw_heart_rates(struct att_view *v, const struct att_view_model *m,
                             const struct strip *s, double hy, double hh)
{
	size_t n = m->hist_n, k = n > 60 ? 60 : n;
	double secs = (double)k * m->hist_dt;
	float lo = 1e9f, hi = -1e9f;
	char buf[64];

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
	plot(v, m->hist_hr_a + (n - k), k, s->x1 + s->w1 * (1.0 - secs / 60.0), hy,
	     s->w1 * secs / 60.0, hh, lo, hi, s->th, C_A, 0.0);
	plot(v, m->hist_hr_b + (n - k), k, s->x1 + s->w1 * (1.0 - secs / 60.0), hy,
	     s->w1 * secs / 60.0, hh, lo, hi, s->th, C_B, 0.0);
	snprintf(buf, sizeof buf, "%.0f\xe2\x80\x93%.0f bpm", lo, hi);
	att_draw_text(v, F_SMALL, C_DIM, s->x1 + s->w1, hy - s->lh, RIGHT, buf);
}

/* Breath traces of the last 60 s, and heart rates below them when there is a pulse. */
static void draw_traces(struct att_view *v, const struct att_view_model *m, const struct strip *s)
{
	int hr = m->hist_n &&
	         (any_finite(m->hist_hr_a, m->hist_n) || any_finite(m->hist_hr_b, m->hist_n));
	double bh = hr ? s->ph * 0.64 : s->ph, hy = s->py + s->ph * 0.70, hh = s->ph * 0.30;

	att_draw_text(v, F_SMALL, C_DIM, s->x1, s->y0 + s->pad * 0.5, LEFT,
	              hr ? "breath and heart rate, last 60 s" : "breath, last 60 s");
	att_draw_rect(v, s->x1, s->py + bh / 2.0, s->w1, 1.0, att_draw_alpha(C_GREY, 0.25));
	if (m->trace_n > 1) {
		plot(v, m->trace_a, m->trace_n, s->x1, s->py, s->w1, bh, -1.3, 1.3, s->th * 1.4,
		     C_A, 0.0);
		plot(v, m->trace_b, m->trace_n, s->x1, s->py, s->w1, bh, -1.3, 1.3, s->th * 1.4,
		     C_B, 6.0);
	}
	if (hr)
		draw_heart_rates(v, m, s, hy, hh);
}

/* Match over the whole session, with the chance level, the matched threshold and the markers. */
static void draw_history(struct att_view *v, const struct att_view_model *m, const struct strip *s)
{
	double x2 = s->x2, w2 = s->w2, py = s->py, ph = s->ph, th = s->th;

	att_draw_text(v, F_SMALL, C_DIM, x2, s->y0 + s->pad * 0.5, LEFT,
	              "match over the session (grey: chance)");
	att_draw_rect(v, x2, py, w2, ph, att_draw_alpha(C_BG, 0.6));
	att_draw_rect(v, x2, py + ph * (1.06 - ATT_MATCHED) / 1.10, w2, 1.0,
	              att_draw_alpha(C_GREEN, 0.35));
	if (m->hist_n > 1) {
		double span = fmax(60.0, (double)m->hist_n * m->hist_dt);
		double wd = w2 * ((double)m->hist_n * m->hist_dt) / span;
		/* 0..1 with a little headroom so a perfect match does not sit on the frame */
		plot(v, m->hist_chance, m->hist_n, x2, py, wd, ph, -0.04, 1.06, th, C_GREY, 4.0);
		plot(v, m->hist_match, m->hist_n, x2, py, wd, ph, -0.04, 1.06, th * 1.5, C_GREEN,
		     0.0);
		for (size_t i = 0; i < m->n_markers; i++)
			att_draw_rect(v, x2 + w2 * m->markers[i] / span, py, 1.5, ph,
			              att_draw_alpha(C_TEXT, 0.6));
	}
	att_draw_flush(v);
}

/* Who leads, in words; "in step" and "opposite" rather than a lead when the phase says so. */
static void lead_words(const struct att_view *v, const struct att_view_model *m, char *buf,
                       size_t len)
{
	const struct att_snapshot *s = &m->snap;
	const char *first = s->relative_phase_deg > 0 ? v->name_a : v->name_b;

	switch (m->have_snapshot ? att_sync_lead(s->plv, s->relative_phase_deg,
	                                         s->a.breath_rate_bpm, s->b.breath_rate_bpm)
	                         : ATT_LEAD_NONE) {
	case ATT_LEAD_TOGETHER:
		snprintf(buf, len, "in step (%+.0f\xc2\xb0)", s->relative_phase_deg);
		break;
	case ATT_LEAD_OPPOSITE:
		snprintf(buf, len, "opposite: one in as the other out");
		break;
	case ATT_LEAD_A:
	case ATT_LEAD_B:
		if (isfinite(s->lag_s))
			snprintf(buf, len, "%s leads by %.1f s (%+.0f\xc2\xb0)", first,
			         fabs(s->lag_s), s->relative_phase_deg);
		else
			snprintf(buf, len, "%s leads by %.0f\xc2\xb0", first,
			         fabs(s->relative_phase_deg));
		break;
	default:
		snprintf(buf, len, "no steady lead");
	}
}

/* Rates, pacer and sensors, one line each, from ty down; the heart's swing when there is room
 * for it above bottom. */
static void draw_rates(struct att_view *v, const struct att_view_model *m, double x, double ty,
                       double lh, double bottom)
{
	const struct att_snapshot *s = &m->snap;
	char buf[160], n1[32], n2[32];

	snprintf(buf, sizeof buf, "breaths/min  %s %s  %s %s", v->name_a,
	         num(n1, sizeof n1, "%.1f", s->a.breath_rate_bpm), v->name_b,
	         num(n2, sizeof n2, "%.1f", s->b.breath_rate_bpm));
	if (!m->have_snapshot)
		snprintf(buf, sizeof buf, "breaths/min  \xe2\x80\x94");
	att_draw_text(v, F_SMALL, C_TEXT, x, ty, LEFT, buf);
	ty += lh * 1.2;
	if (m->have_snapshot && (isfinite(s->a.heart_rate_bpm) || isfinite(s->b.heart_rate_bpm)))
		snprintf(buf, sizeof buf, "heart bpm  %s %s  %s %s", v->name_a,
		         num(n1, sizeof n1, "%.0f", s->a.heart_rate_bpm), v->name_b,
		         num(n2, sizeof n2, "%.0f", s->b.heart_rate_bpm));
	else
		snprintf(buf, sizeof buf, "heart bpm  \xe2\x80\x94");
	att_draw_text(v, F_SMALL, C_TEXT, x, ty, LEFT, buf);
	ty += lh * 1.2;
	/* how far each heart rate rises and falls with the breath (README "Guides") */
	if (ty + lh * 1.2 * 3.0 <= bottom) { /* a small window keeps the pacer and sensor lines */
		if (m->have_snapshot &&
		    (isfinite(s->a.hr_swing_bpm) || isfinite(s->b.hr_swing_bpm)))
			snprintf(buf, sizeof buf, "heart swing  %s %s  %s %s", v->name_a,
			         num(n1, sizeof n1, "%.1f", s->a.hr_swing_bpm), v->name_b,
			         num(n2, sizeof n2, "%.1f", s->b.hr_swing_bpm));
		else
			snprintf(buf, sizeof buf, "heart swing  \xe2\x80\x94");
		att_draw_text(v, F_SMALL, C_TEXT, x, ty, LEFT, buf);
		ty += lh * 1.2;
	}
	if (m->pacer_on)
		snprintf(buf, sizeof buf, "pacer %.1f /min, in:out 1:%.0f", m->pacer_bpm,
		         m->exhale_ratio);
	else
		snprintf(buf, sizeof buf, "pacer off");
	att_draw_text(v, F_SMALL, C_DIM, x, ty, LEFT, buf);
	ty += lh * 1.2;
	if (m->have_snapshot) {
		snprintf(buf, sizeof buf, "chest %s / %s   pulse %s / %s",
		         resp_words(s->a.resp_quality), resp_words(s->b.resp_quality),
		         ppg_words(s->a.ppg_quality) ? ppg_words(s->a.ppg_quality) : "none",
		         ppg_words(s->b.ppg_quality) ? ppg_words(s->b.ppg_quality) : "none");
		att_draw_text(v, F_SMALL, C_DIM, x, ty, LEFT, buf);
	}
}

/* The numbers a therapist reads, in the right-hand column. */
static void draw_numbers(struct att_view *v, const struct att_view_model *m, const struct strip *s,
                         double bottom)
{
	const struct att_snapshot *snap = &m->snap;
	double ty = s->y0 + s->pad * 0.5;
	char buf[160], n1[32];

	if (m->have_snapshot && isfinite(snap->match))
		snprintf(buf, sizeof buf, "match %.0f", 100.0 * snap->match);
	else
		snprintf(buf, sizeof buf, "match \xe2\x80\x94");
	att_draw_text(v, F_MED, C_TEXT, s->x3, ty, LEFT, buf);
	ty += att_draw_line_h(v, F_MED) * 1.05;
	if (m->have_snapshot && isfinite(snap->plv))
		snprintf(buf, sizeof buf, "PLV %.2f   chance %s", snap->plv,
		         num(n1, sizeof n1, "%.2f", snap->plv_chance));
	else
		snprintf(buf, sizeof buf, "PLV \xe2\x80\x94   (settling)");
	att_draw_text(v, F_SMALL, C_TEXT, s->x3, ty, LEFT, buf);
	ty += s->lh * 1.2;
	lead_words(v, m, buf, sizeof buf);
	att_draw_text(v, F_SMALL, C_TEXT, s->x3, ty, LEFT, buf);
	ty += s->lh * 1.2;
	draw_rates(v, m, s->x3, ty, s->lh, bottom);
}

void att_view_draw_strip(struct att_view *v, const struct att_view_model *m, int w, int y0, int h)
{
	struct strip s = strip_of(v, w, y0, h);

	att_draw_rect(v, 0, y0, w, h, C_STRIP);
	att_draw_rect(v, 0, y0, w, 1.0, att_draw_alpha(C_GREY, 0.4));
	draw_traces(v, m, &s);
	draw_history(v, m, &s);
	draw_numbers(v, m, &s, y0 + h);
}
