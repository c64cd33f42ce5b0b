/* The session report page (report.h), drawn with cairo in PostScript points on an A4 page; the
 * PNG surface is scaled by dpi / 72 so both formats share every coordinate. Layout runs top to
 * bottom with a y cursor; each plot is a box with a time axis and a value axis. */
#include "attune/report.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attune/wire.h"
#include "attune/filter.h"
#include "attune/phases.h"
#include "attune/private_file.h"
#include "attune/pulse.h"
#include "attune/quality.h"
#include "attune/sync.h"

#define PAGE_W    595.276 /* A4 in points */
#define PAGE_H    841.89
#define MARGIN    40.0
#define PLOT_X    (MARGIN + 34.0) /* room for value labels */
#define PLOT_W    (PAGE_W - MARGIN - PLOT_X)
#define EXCERPT_S 60.0
#define FONT      "DejaVu Sans"

struct rgb {
	double r, g, b;
};

/* Okabe-Ito colours: distinguishable with the common colour-vision deficiencies */
static const struct rgb col_a = {0xE6 / 255.0, 0x9F / 255.0, 0x00 / 255.0};
static const struct rgb col_b = {0x00 / 255.0, 0x72 / 255.0, 0xB2 / 255.0};
static const struct rgb col_sync = {0x00 / 255.0, 0x9E / 255.0, 0x73 / 255.0};
static const struct rgb col_plv = {0.40, 0.40, 0.40};
static const struct rgb col_text = {0.10, 0.10, 0.10};
static const struct rgb col_soft = {0.42, 0.42, 0.42};
static const struct rgb col_grid = {0.86, 0.86, 0.86};

enum style { ST_A, ST_B, ST_MATCH, ST_PLV, ST_CHANCE, ST_MARK };

struct trace {
	double *x; /* cleaned respiration, scaled so typical breaths reach about +-1 */
	size_t n;
	double rate; /* of x */
};

struct plot {
	double x, y, w, h; /* box on the page */
	double t0, t1;     /* seconds shown */
	double v0, v1;     /* values shown */
};

void att_report_png_size(double dpi, int *width, int *height)
{
	if (!(dpi > 0))
		dpi = 150;
	if (width)
		*width = (int)lround(PAGE_W * dpi / 72.0);
	if (height)
		*height = (int)lround(PAGE_H * dpi / 72.0);
}

static void set_rgb(cairo_t *cr, struct rgb c)
{
	cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static void set_style(cairo_t *cr, enum style s)
{
	static const double dash_b[] = {4.0, 2.5};
	static const double dash_chance[] = {2.0, 2.0};
	static const double dash_mark[] = {1.0, 1.5};
	cairo_set_dash(cr, NULL, 0, 0);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	switch (s) {
	case ST_A:
		set_rgb(cr, col_a);
		cairo_set_line_width(cr, 1.3);
		break;
	case ST_B:
		set_rgb(cr, col_b);
		cairo_set_line_width(cr, 1.3);
		cairo_set_dash(cr, dash_b, 2, 0);
		break;
	case ST_MATCH:
		set_rgb(cr, col_sync);
		cairo_set_line_width(cr, 1.8);
		break;
	case ST_PLV:
		set_rgb(cr, col_plv);
		cairo_set_line_width(cr, 0.9);
		break;
	case ST_CHANCE:
		set_rgb(cr, col_plv);
		cairo_set_line_width(cr, 0.9);
		cairo_set_dash(cr, dash_chance, 2, 0);
		break;
	case ST_MARK:
		cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
		cairo_set_line_width(cr, 0.7);
		cairo_set_dash(cr, dash_mark, 2, 0);
		break;
	}
}

static void font(cairo_t *cr, double size, int bold)
{
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

/* Length of the UTF-8 character starting at s (1 for stray continuation bytes). */
static size_t utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

/* Shows s at (x, y), cut with an ellipsis to max_w points (a long note must not run off the
 * page); align 0 left, 1 right, 0.5 centred. Returns the x after the text. */
static double show(cairo_t *cr, double x, double y, const char *s, double max_w, double align)
{
	char buf[512];
	snprintf(buf, sizeof buf - 4, "%s", s);
	if (max_w > 0 && text_w(cr, buf) > max_w) {
		size_t keep = 0;
		char tryb[520];
		for (size_t i = 0; buf[i];) {
			size_t l = utf8_len(buf + i);
			snprintf(tryb, sizeof tryb, "%.*s\xE2\x80\xA6", (int)(i + l), buf);
			if (text_w(cr, tryb) > max_w)
				break;
			i += l;
			keep = i;
		}
		memcpy(buf + keep, "\xE2\x80\xA6", 4); /* keep <= 508: the ellipsis fits */
	}
	double w = text_w(cr, buf);
	cairo_move_to(cr, x - align * w, y);
	cairo_show_text(cr, buf);
	return x - align * w + w;
}

/* A short line in a style followed by its label, for legends; returns the x after it. */
static double legend(cairo_t *cr, double x, double y, enum style s, const char *label)
{
	cairo_save(cr);
	set_style(cr, s);
	cairo_move_to(cr, x, y - 3);
	cairo_line_to(cr, x + 18, y - 3);
	cairo_stroke(cr);
	cairo_restore(cr);
	set_rgb(cr, col_text);
	return show(cr, x + 22, y, label, 0, 0) + 12;
}

static void fmt_clock(char *buf, size_t len, double t)
{
	long s = lround(t);
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

static void fmt_duration(char *buf, size_t len, double t)
{
	long s = lround(t);
	if (s >= 3600)
		snprintf(buf, len, "%ld h %02ld min %02ld s", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%ld min %02ld s", s / 60, s % 60);
}

static double px(const struct plot *p, double t)
{
	return p->x + (t - p->t0) / (p->t1 - p->t0) * p->w;
}

static double py(const struct plot *p, double v)
{
	double u = (v - p->v0) / (p->v1 - p->v0);
	if (u < -0.02)
		u = -0.02;
	if (u > 1.02)
		u = 1.02;
	return p->y + p->h - u * p->h;
}

/* Horizontal grid lines at the given values with labels, and the frame. */
static void axes_values(cairo_t *cr, const struct plot *p, const double *grid, size_t n_grid,
                        const char *vfmt)
{
	char buf[32];
	cairo_save(cr);
	cairo_set_line_width(cr, 0.5);
	set_rgb(cr, col_grid);
	for (size_t i = 0; i < n_grid; i++) {
		double y = py(p, grid[i]);
		cairo_move_to(cr, p->x, y);
		cairo_line_to(cr, p->x + p->w, y);
	}
	cairo_stroke(cr);
	font(cr, 6.5, 0);
	set_rgb(cr, col_soft);
	for (size_t i = 0; i < n_grid; i++) {
		snprintf(buf, sizeof buf, vfmt, grid[i]);
		show(cr, p->x - 3, py(p, grid[i]) + 2.3, buf, 0, 1);
	}
	cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
	cairo_rectangle(cr, p->x, p->y, p->w, p->h);
	cairo_stroke(cr);
	cairo_restore(cr);
}

/* The value grid and frame, time ticks below. */
static void axes(cairo_t *cr, const struct plot *p, const double *grid, size_t n_grid,
                 const char *vfmt)
{
	char buf[32];
	axes_values(cr, p, grid, n_grid, vfmt);
	cairo_save(cr);
	font(cr, 6.5, 0);
	set_rgb(cr, col_soft);
	/* a tick step that gives at most about 8 labels */
	static const double steps[] = {5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200};
	double span = p->t1 - p->t0, step = steps[0];
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		step = steps[i];
		if (span / step <= 8)
			break;
	}
	cairo_set_line_width(cr, 0.5);
	for (double t = ceil(p->t0 / step) * step; t <= p->t1 + 1e-9; t += step) {
		double x = px(p, t);
		cairo_move_to(cr, x, p->y + p->h);
		cairo_line_to(cr, x, p->y + p->h + 2.5);
		cairo_stroke(cr);
		fmt_clock(buf, sizeof buf, t);
		show(cr, x, p->y + p->h + 9.5, buf, 0, 0.5);
	}
	/* the unit ends left of the first tick label ("0:00", centred on the plot's edge) */
	show(cr, p->x - 10, p->y + p->h + 9.5, p->t1 >= 3600 ? "h:min:s" : "min:s", 0, 1);
	cairo_restore(cr);
}

static void clip_to(cairo_t *cr, const struct plot *p)
{
	cairo_rectangle(cr, p->x, p->y - 1, p->w, p->h + 2);
	cairo_clip(cr);
}

/* Phases on a time axis: every other phase lightly shaded, so a guided session's steps show on
 * every plot (their names label the synchrony plot's lines). */
static void phase_bands(cairo_t *cr, const struct plot *p, const struct att_analysis *an)
{
	const struct att_phases *ph = an->phases;

	if (!ph)
		return;
	cairo_save(cr);
	clip_to(cr, p);
	cairo_set_source_rgba(cr, 0.0, 0.0, 0.0, 0.06);
	for (size_t i = 1; i < ph->n; i += 2) {
		double x0 = px(p, ph->phase[i].start_s), x1 = px(p, ph->phase[i].end_s);
		cairo_rectangle(cr, x0, p->y, fmax(x1 - x0, 0.5), p->h);
	}
	cairo_fill(cr);
	cairo_restore(cr);
}

/* A polyline through (t[i], v[i]) broken wherever v is not finite. */
static void polyline(cairo_t *cr, const struct plot *p, const double *t, const double *v, size_t n,
                     enum style s)
{
	cairo_save(cr);
	clip_to(cr, p);
	set_style(cr, s);
	int pen = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]) || !isfinite(t[i])) {
			pen = 0;
			continue;
		}
		if (pen)
			cairo_line_to(cr, px(p, t[i]), py(p, v[i]));
		else
			cairo_move_to(cr, px(p, t[i]), py(p, v[i]));
		pen = 1;
	}
	cairo_stroke(cr);
	cairo_restore(cr);
}

/* Vertical marker lines; with labels, staggered over three rows so neighbours stay readable. */
static void marks(cairo_t *cr, const struct plot *p, const struct att_report_info *info, int labels)
{
	double row_end[3] = {-1e9, -1e9, -1e9};
	for (size_t i = 0; i < info->n_marks; i++) {
		double t = info->marks[i].t;
		char text[ATT_EVENT_TEXT_MAX];
		/* a gap shows as lost frames in the header, not as a moment */
		if (info->marks[i].kind == ATT_EV_GAP || !(t >= p->t0 && t <= p->t1))
			continue;
		double x = px(p, t);
		cairo_save(cr);
		set_style(cr, ST_MARK);
		cairo_move_to(cr, x, p->y);
		cairo_line_to(cr, x, p->y + p->h);
		cairo_stroke(cr);
		cairo_restore(cr);
		att_event_label(&info->marks[i], text, sizeof text);
		if (!labels || !text[0])
			continue;
		font(cr, 6.2, 0);
		double w = text_w(cr, text);
		if (w > 110)
			w = 110;
		int row = 0;
		while (row < 2 && row_end[row] > x)
			row++;
		double lx = x + 2 + w > p->x + p->w ? x - 2 - w : x + 2;
		double ly = p->y + 7.5 + 7.5 * row;
		cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
		cairo_rectangle(cr, lx - 1, ly - 6, w + 2, 7.5);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		show(cr, lx, ly, text, 110, 0);
		row_end[row] = lx + w + 4;
	}
}

static void panel_title(cairo_t *cr, double y, const char *title)
{
	font(cr, 9.5, 1);
	set_rgb(cr, col_text);
	show(cr, MARGIN, y, title, 0, 0);
}

/* Bins the timeline field at byte offset off into at most nb bins of time (mean of the finite
 * values), so a long session draws as a readable line rather than a smear of 3600 points. Bins
 * without windows are left out; a bin holding only blank windows (a gap) becomes NAN, which
 * breaks the line. Returns the number of points written. */
static size_t bin_timeline(const struct att_analysis *an, size_t off, double t0, double t1,
                           size_t nb, double *bt, double *bv)
{
	size_t *cnt = calloc(2 * nb, sizeof *cnt);
	if (!cnt || !(t1 > t0)) {
		free(cnt);
		return 0;
	}
	size_t *blank = cnt + nb;
	for (size_t k = 0; k < nb; k++)
		bt[k] = bv[k] = 0;
	for (size_t i = 0; i < an->n_timeline; i++) {
		const struct att_analysis_window *w = &an->timeline[i];
		double v = *(const double *)(const void *)((const char *)w + off);
		if (!(w->t >= t0 && w->t <= t1))
			continue;
		size_t k = (size_t)((w->t - t0) / (t1 - t0) * (double)nb);
		if (k >= nb)
			k = nb - 1;
		if (!isfinite(v)) {
			blank[k]++;
			continue;
		}
		bt[k] += w->t;
		bv[k] += v;
		cnt[k]++;
	}
	size_t m = 0;
	for (size_t k = 0; k < nb; k++) {
		if (cnt[k]) {
			bt[m] = bt[k] / (double)cnt[k];
			bv[m++] = bv[k] / (double)cnt[k];
		} else if (blank[k]) {
			bt[m] = t0 + (t1 - t0) * ((double)k + 0.5) / (double)nb;
			bv[m++] = NAN;
		}
	}
	free(cnt);
	return m;
}

/* Time-series panel of two timeline fields (A, B) with an automatic value range. */
static void rates_panel(cairo_t *cr, const struct plot *base, const struct att_analysis *an,
                        const struct att_report_info *info, size_t off_a, size_t off_b,
                        double min_span, const char *missing)
{
	struct plot p = *base;
	size_t nb = (size_t)(p.w * 1.5);
	double *buf = malloc(4 * nb * sizeof *buf);
	if (!buf)
		return;
	double *ta = buf, *va = buf + nb, *tb = buf + 2 * nb, *vb = buf + 3 * nb;
	size_t na = bin_timeline(an, off_a, p.t0, p.t1, nb, ta, va);
	size_t nbb = bin_timeline(an, off_b, p.t0, p.t1, nb, tb, vb);
	double lo = INFINITY, hi = -INFINITY;
	for (size_t k = 0; k < na; k++)
		if (isfinite(va[k])) {
			lo = fmin(lo, va[k]);
			hi = fmax(hi, va[k]);
		}
	for (size_t k = 0; k < nbb; k++)
		if (isfinite(vb[k])) {
			lo = fmin(lo, vb[k]);
			hi = fmax(hi, vb[k]);
		}
	if (!isfinite(lo)) {
		p.v0 = 0;
		p.v1 = 1;
		axes(cr, &p, NULL, 0, "%.0f");
		font(cr, 8, 0);
		set_rgb(cr, col_soft);
		show(cr, p.x + p.w / 2, p.y + p.h / 2 + 3, missing, 0, 0.5);
		free(buf);
		return;
	}
	/* a range that keeps small wobbles small: at least min_span, on a grid step of 2, 5, 10 */
	double mid = (lo + hi) / 2, span = fmax(hi - lo, min_span) * 1.15;
	double step = span / 4 <= 2 ? 2 : span / 4 <= 5 ? 5 : span / 4 <= 10 ? 10 : 20;
	p.v0 = floor((mid - span / 2) / step) * step;
	p.v1 = ceil((mid + span / 2) / step) * step;
	if (p.v0 < 0)
		p.v0 = 0;
	double grid[16];
	size_t ng = 0;
	for (double v = p.v0; v <= p.v1 + 1e-9 && ng < 16; v += step)
		grid[ng++] = v;
	axes(cr, &p, grid, ng, "%.0f");
	marks(cr, &p, info, 0);
	polyline(cr, &p, ta, va, na, ST_A);
	polyline(cr, &p, tb, vb, nbb, ST_B);
	free(buf);
}

static void free_trace(struct trace *tr)
{
	free(tr->x);
	tr->x = NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Cleans a belt like the analysis does (same band, ~25 Hz), bridging missing samples linearly,
 * and scales it by its 95th percentile of |x| so both people's breaths look alike in size
 * whatever their belts' gain. */
/* raw as doubles with its gaps (NAN runs) bridged linearly, ends held; rate left 0. */
static int make_filled(const float *raw, size_t n, struct trace *tr)
{
	tr->x = NULL;
	tr->n = 0;
	tr->rate = 0.0;
	double *x = malloc((n ? n : 1) * sizeof *x);
	if (!x)
		return ATT_ERR_NOMEM;
	size_t last = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (isfinite(raw[i])) {
			if (last == (size_t)-1) {
				for (size_t k = 0; k < i; k++)
					x[k] = raw[i];
			} else {
				for (size_t k = last + 1; k < i; k++)
					x[k] = raw[last] + (raw[i] - raw[last]) *
					                           (double)(k - last) /
					                           (double)(i - last);
			}
			x[i] = raw[i];
			last = i;
		}
	}
	if (last == (size_t)-1) {
		free(x);
		return ATT_ERR_NO_DATA;
	}
	for (size_t k = last + 1; k < n; k++)
		x[k] = raw[last];
	tr->x = x;
	tr->n = n;
	return ATT_OK;
}

static int make_trace(const float *raw, size_t n, double rate, struct trace *tr)
{
	struct trace filled;
	int err = make_filled(raw, n, &filled);
	if (err)
		return err;
	double *x = filled.x;
	struct att_clean_cfg cc = {.kind = ATT_CLEAN_RESP, .rate_hz = rate};
	size_t m = att_clean_len(&cc, n);
	double *y = malloc((m ? m : 1) * sizeof *y);
	double *sorted = malloc((m ? m : 1) * sizeof *sorted);
	if (!y || !sorted) {
		free(x);
		free(y);
		free(sorted);
		return ATT_ERR_NOMEM;
	}
	err = att_clean_batch(&cc, x, n, y, &tr->rate);
	free(x);
	if (err) {
		free(y);
		free(sorted);
		return err;
	}
	for (size_t i = 0; i < m; i++)
		sorted[i] = fabs(y[i]);
	qsort(sorted, m, sizeof *sorted, cmp_double);
	double scale = sorted[(size_t)(0.95 * (double)(m - 1))];
	free(sorted);
	if (!(scale > 0))
		scale = 1;
	for (size_t i = 0; i < m; i++)
		y[i] /= scale;
	tr->x = y;
	tr->n = m;
	return ATT_OK;
}

/* The excerpt's start: the 60 s around the window whose match is closest to the session's
 * median, i.e. a typical stretch rather than the best or the worst. */
static double excerpt_start(const struct att_analysis *an)
{
	double dur = an->duration_s;
	if (dur <= EXCERPT_S)
		return 0;
	double centre = dur / 2, best = INFINITY;
	if (isfinite(an->sync.match))
		for (size_t i = 0; i < an->n_timeline; i++) {
			double d = fabs(an->timeline[i].match - an->sync.match);
			if (isfinite(d) && d < best) {
				best = d;
				centre = an->timeline[i].t;
			}
		}
	double s = centre - EXCERPT_S / 2;
	if (s < 0)
		s = 0;
	if (s > dur - EXCERPT_S)
		s = dur - EXCERPT_S;
	return s;
}

static void excerpt_panel(cairo_t *cr, const struct plot *p, const struct trace tr[2])
{
	static const double grid[] = {-1, 0, 1};
	axes(cr, p, grid, 3, "%.0f");
	for (int who = 0; who < 2; who++) {
		const struct trace *t = &tr[who];
		size_t i0 = (size_t)fmax(0, floor(p->t0 * t->rate));
		size_t i1 = (size_t)fmin((double)t->n, ceil(p->t1 * t->rate) + 1);
		cairo_save(cr);
		clip_to(cr, p);
		set_style(cr, who ? ST_B : ST_A);
		for (size_t i = i0; i < i1; i++) {
			double x = px(p, (double)i / t->rate), y = py(p, t->x[i]);
			if (i == i0)
				cairo_move_to(cr, x, y);
			else
				cairo_line_to(cr, x, y);
		}
		cairo_stroke(cr);
		cairo_restore(cr);
	}
}

/* The whole session in two lanes (A above, B below): per column the range of the breathing
 * trace, so amplitude changes, flat stretches and gaps show at a glance over an hour. */
static void overview_panel(cairo_t *cr, const struct plot *p, const struct trace tr[2], double ex0,
                           double ex1, const struct att_report_info *info)
{
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
	cairo_rectangle(cr, px(p, ex0), p->y, fmax(px(p, ex1) - px(p, ex0), 1.0), p->h);
	cairo_fill(cr);
	cairo_restore(cr);
	axes(cr, p, NULL, 0, "%.0f");
	marks(cr, p, info, 0);
	size_t cols = (size_t)(p->w * 2);
	for (int who = 0; who < 2; who++) {
		const struct trace *t = &tr[who];
		struct rgb c = who ? col_b : col_a;
		double lane_mid = p->y + p->h * (who ? 0.75 : 0.25), half = p->h * 0.22;
		double *lo = malloc(2 * cols * sizeof *lo);
		if (!lo)
			return;
		double *hi = lo + cols;
		for (size_t k = 0; k < cols; k++) {
			double a = p->t0 + (p->t1 - p->t0) * (double)k / (double)cols;
			double b = p->t0 + (p->t1 - p->t0) * (double)(k + 1) / (double)cols;
			size_t i0 = (size_t)fmax(0, floor(a * t->rate));
			size_t i1 = (size_t)fmin((double)t->n, ceil(b * t->rate) + 1);
			lo[k] = INFINITY;
			hi[k] = -INFINITY;
			for (size_t i = i0; i < i1; i++) {
				lo[k] = fmin(lo[k], t->x[i]);
				hi[k] = fmax(hi[k], t->x[i]);
			}
			if (!isfinite(lo[k]))
				lo[k] = hi[k] = 0;
			lo[k] = fmax(lo[k], -1.4);
			hi[k] = fmin(hi[k], 1.4);
		}
		cairo_save(cr);
		clip_to(cr, p);
		for (size_t k = 0; k < cols; k++) {
			double x = p->x + p->w * ((double)k + 0.5) / (double)cols;
			double y = lane_mid - hi[k] / 1.4 * half;
			if (k)
				cairo_line_to(cr, x, y);
			else
				cairo_move_to(cr, x, y);
		}
		for (size_t k = cols; k-- > 0;)
			cairo_line_to(cr, p->x + p->w * ((double)k + 0.5) / (double)cols,
			              lane_mid - lo[k] / 1.4 * half);
		cairo_close_path(cr);
		cairo_set_source_rgba(cr, c.r, c.g, c.b, 0.55);
		cairo_fill(cr);
		cairo_restore(cr);
		free(lo);
		font(cr, 7, 1);
		set_rgb(cr, col_text);
		show(cr, p->x - 3, lane_mid + 2.5, who ? "B" : "A", 0, 1);
	}
}

static void sync_panel(cairo_t *cr, const struct plot *p, const struct att_analysis *an,
                       const struct att_report_info *info)
{
	static const double grid[] = {0, 0.25, 0.5, 0.75, 1};
	axes(cr, p, grid, 5, "%.2g");
	size_t nb = (size_t)(p->w * 1.5);
	double *buf = malloc(2 * nb * sizeof *buf);
	if (!buf)
		return;
	double *t = buf, *v = buf + nb;
	size_t m = bin_timeline(an, offsetof(struct att_analysis_window, plv_chance), p->t0, p->t1,
	                        nb, t, v);
	polyline(cr, p, t, v, m, ST_CHANCE);
	m = bin_timeline(an, offsetof(struct att_analysis_window, plv), p->t0, p->t1, nb, t, v);
	polyline(cr, p, t, v, m, ST_PLV);
	m = bin_timeline(an, offsetof(struct att_analysis_window, match), p->t0, p->t1, nb, t, v);
	polyline(cr, p, t, v, m, ST_MATCH);
	free(buf);
	marks(cr, p, info, 1);
}

/* Quality bits in words a therapist can act on. */
static const char *quality_words(unsigned q)
{
	if (!q)
		return "good";
	if (q & ATT_Q_ABSENT)
		return "not recorded";
	if (q & ATT_Q_FLAT)
		return "flat: loose or unplugged?";
	if (q & ATT_Q_SATURATED)
		return "clipped: too tight or gain too high";
	if (q & ATT_Q_IMPLAUSIBLE)
		return "implausible values";
	return "settling";
}

static void fmt_val(char *buf, size_t len, double v, const char *fmt)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "\xE2\x80\x93"); /* en dash: cannot be computed */
}

/* "p10–p90" of a rate's spread, or an en dash when unknown. */
static void fmt_range(char *buf, size_t len, const double r[2])
{
	if (isfinite(r[0]) && isfinite(r[1]))
		snprintf(buf, len, "%.1f\xE2\x80\x93%.1f", r[0], r[1]);
	else
		snprintf(buf, len, "\xE2\x80\x93");
}

static const char *who_name(const struct att_report_info *info, int who)
{
	const char *l = who ? info->label_b : info->label_a;
	return l && *l ? l : NULL;
}

static double header(cairo_t *cr, const struct att_recording *rec, const struct att_analysis *an,
                     const struct att_report_info *info)
{
	char line[600], dur[64];
	double y = MARGIN + 14;
	font(cr, 19, 1);
	set_rgb(cr, col_text);
	show(cr, MARGIN, y, "attune session report", 0, 0);
	font(cr, 8, 0);
	set_rgb(cr, col_soft);
	if (info->start && *info->start)
		show(cr, PAGE_W - MARGIN, y, info->start, 200, 1);
	font(cr, 7, 0);
	if (info->start && *info->start)
		show(cr, PAGE_W - MARGIN, y - 11, "session start", 0, 1);
	y += 17;
	font(cr, 9, 0);
	set_rgb(cr, col_text);
	snprintf(line, sizeof line, "File: %s",
	         info->file_name && *info->file_name ? info->file_name : "(unnamed)");
	show(cr, MARGIN, y, line, PAGE_W - 2 * MARGIN, 0);
	y += 13;
	const char *a = who_name(info, 0), *b = who_name(info, 1);
	if (a || b)
		snprintf(line, sizeof line, "Participants: A %s, B %s", a ? a : "(no name)",
		         b ? b : "(no name)");
	else
		snprintf(line, sizeof line, "Participants: A and B (no names recorded)");
	show(cr, MARGIN, y, line, PAGE_W - 2 * MARGIN, 0);
	y += 13;
	if (info->note && *info->note) {
		snprintf(line, sizeof line, "Note: %s", info->note);
		show(cr, MARGIN, y, line, PAGE_W - 2 * MARGIN, 0);
		y += 13;
	}
	fmt_duration(dur, sizeof dur, an->duration_s);
	if (info->frames_lost >= 0) {
		double share = rec->n ? 100.0 * (double)info->frames_lost / (double)rec->n : 0;
		snprintf(line, sizeof line,
		         "Duration %s  \xC2\xB7  %g samples/s  \xC2\xB7  "
		         "samples lost %lld (%.2g %%)",
		         dur, rec->rate_hz, info->frames_lost, share);
	} else {
		snprintf(line, sizeof line,
		         "Duration %s  \xC2\xB7  %g samples/s  \xC2\xB7  "
		         "samples lost: not known (CSV input)",
		         dur, rec->rate_hz);
	}
	show(cr, MARGIN, y, line, PAGE_W - 2 * MARGIN, 0);
	y += 8;
	cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(cr, 0.6);
	cairo_move_to(cr, MARGIN, y);
	cairo_line_to(cr, PAGE_W - MARGIN, y);
	cairo_stroke(cr);
	return y;
}

/* Under the session's breathing rate, small: its spread over the windows (10th-90th
 * percentile), so a rate that changed is not read as steady. Returns the next row's y. */
static double rate_range_row(cairo_t *cr, const struct att_analysis *an, double c0, double c1,
                             double c2, double right, double y)
{
	char buf[64], v[2][32];
	y -= 3;
	font(cr, 7.5, 0);
	set_rgb(cr, col_soft);
	snprintf(buf, sizeof buf, "  range, %.0f s windows", an->window_s);
	show(cr, c0, y, buf, c1 - c0 - 4, 0);
	fmt_range(v[0], sizeof v[0], an->a.breath_rate_range_bpm);
	fmt_range(v[1], sizeof v[1], an->b.breath_rate_range_bpm);
	show(cr, c1, y, v[0], c2 - c1 - 4, 0);
	show(cr, c2, y, v[1], right - c2 - 8, 0);
	return y + 11;
}

/* Who leads, as the analysis decided it (att_sync_lead over a session locked above chance, the
 * live view's rule), in a sentence; wa, wb name A and B. */
static void lead_sentence(char *buf, size_t len, const struct att_analysis_sync *s, const char *wa,
                          const char *wb)
{
	double rel = fabs(s->relative_phase_deg);
	switch (s->lead) {
	case ATT_LEAD_TOGETHER:
		snprintf(buf, len, "Nobody leads: inhaling together (within %.0f\xC2\xB0)", rel);
		break;
	case ATT_LEAD_OPPOSITE:
		snprintf(buf, len, "Opposite phases: one inhales as the other exhales");
		break;
	case ATT_LEAD_A:
	case ATT_LEAD_B:
		if (isfinite(s->lag_s))
			snprintf(buf, len, "%s leads by %.1f s (%.0f\xC2\xB0)",
			         s->lead == ATT_LEAD_A ? wa : wb, fabs(s->lag_s), rel);
		else
			snprintf(buf, len, "%s leads by %.0f\xC2\xB0",
			         s->lead == ATT_LEAD_A ? wa : wb, rel);
		break;
	default:
		snprintf(buf, len, "No steady lead (%s)",
		         s->locked == 1 ? "breathing at different rates"
		                        : "not locked above chance");
	}
}

/* How much of the time the windows were in sync, and how much chance could not tell: where a
 * window's chance level is ATT_ANALYSIS_CHANCE_UNINFORMATIVE or more, "not in sync" would be
 * wrong, the two may well be locked; it is said as it is. Returns the y after. */
static double in_sync_sentences(cairo_t *cr, const struct att_analysis *an, double x, double y,
                                double rw, double row)
{
	const struct att_analysis_sync *s = &an->sync;
	double cant = 1 - s->chance_informative_fraction;
	char buf[256];
	if (!(cant >= 0.005)) {
		snprintf(buf, sizeof buf, "In sync (locked above chance) %.0f %% of the time",
		         100 * s->in_sync_fraction);
		show(cr, x, y, buf, rw, 0);
		return y + row;
	}
	snprintf(buf, sizeof buf, "In sync %.0f %%, can't tell %.0f %% of the time",
	         100 * s->in_sync_fraction, 100 * cant);
	show(cr, x, y, buf, rw, 0);
	y += row - 4;
	font(cr, 6.6, 0);
	set_rgb(cr, col_soft);
	snprintf(buf, sizeof buf,
	         "both breathe very regularly; locking can't be told from chance in %.0f s",
	         an->window_s);
	show(cr, x, y, buf, rw, 0);
	font(cr, 8.5, 0);
	set_rgb(cr, col_text);
	return y + row;
}

/* The heart rates' windowed cross-correlation at its peak: who follows, and whether it is above
 * its chance level (a lag search finds some peak in any two hearts). */
static void hr_sentence(char *buf, size_t len, const struct att_analysis_sync *s, const char *wa,
                        const char *wb)
{
	int above = s->hr_sync_r_max > s->hr_sync_chance;
	if (!above)
		snprintf(buf, len, "Hearts: not related above chance (r %.2f \xE2\x89\xA4 %.2f)",
		         s->hr_sync_r_max, s->hr_sync_chance);
	else if (fabs(s->hr_sync_lag_s) < 0.05)
		snprintf(buf, len, "Hearts: together (r %.2f > chance %.2f)", s->hr_sync_r_max,
		         s->hr_sync_chance);
	else
		snprintf(buf, len, "Hearts: %s's follows by %.1f s (r %.2f > chance %.2f)",
		         s->hr_sync_lag_s > 0 ? wb : wa, fabs(s->hr_sync_lag_s), s->hr_sync_r_max,
		         s->hr_sync_chance);
}

/* The pair's synchrony in sentences, from y down in the column at x; returns the y after. */
static double pair_sentences(cairo_t *cr, const struct att_analysis *an,
                             const struct att_report_info *info, double x, double y, double row)
{
	const struct att_analysis_sync *s = &an->sync;
	const double rw = PAGE_W - MARGIN - x;
	char buf[256];
	font(cr, 8.5, 0);
	set_rgb(cr, col_text);
	if (isfinite(s->match)) {
		snprintf(buf, sizeof buf,
		         "Breath match %.2f (0\xE2\x80\x93"
		         "1, median)",
		         s->match);
		show(cr, x, y, buf, rw, 0);
		y += row;
		snprintf(buf, sizeof buf, "   matched (\xE2\x89\xA5 %.1f) %.0f %% of the time",
		         ATT_MATCHED, 100 * s->matched_fraction);
		show(cr, x, y, buf, rw, 0);
	} else {
		show(cr, x, y, "Breath match: cannot be computed", rw, 0);
	}
	y += row;
	if (isfinite(s->plv)) {
		snprintf(buf, sizeof buf, "Locking (PLV) %.2f, chance level %.2f", s->plv,
		         s->plv_chance);
		show(cr, x, y, buf, rw, 0);
		y += row;
		y = in_sync_sentences(cr, an, x, y, rw, row);
	}
	if (isfinite(s->session_plv) && s->locked >= 0) {
		int above = s->session_plv > s->session_plv_chance;
		snprintf(buf, sizeof buf, "Whole session: %s, PLV %.2f %s chance %.2f",
		         s->locked ? "locked"
		         : above   ? "weakly locked"
		                   : "not locked",
		         s->session_plv, above ? ">" : "\xE2\x89\xA4", s->session_plv_chance);
		show(cr, x, y, buf, rw, 0);
		y += row;
	}
	const char *na = who_name(info, 0), *nb = who_name(info, 1);
	char wa[80], wb[80];
	snprintf(wa, sizeof wa, "A%s%s%s", na ? " (" : "", na ? na : "", na ? ")" : "");
	snprintf(wb, sizeof wb, "B%s%s%s", nb ? " (" : "", nb ? nb : "", nb ? ")" : "");
	lead_sentence(buf, sizeof buf, s, wa, wb);
	show(cr, x, y, buf, rw, 0);
	y += row;
	if (isfinite(s->hr_sync_r_max)) {
		hr_sentence(buf, sizeof buf, s, wa, wb);
		show(cr, x, y, buf, rw, 0);
		y += row;
	}
	return y;
}

static double summary(cairo_t *cr, const struct att_analysis *an,
                      const struct att_report_info *info, double y)
{
	char buf[256], va[64], vb[64];
	const double c0 = MARGIN, c1 = MARGIN + 112, c2 = MARGIN + 182, right = MARGIN + 262;
	const double row = 13.5;
	y += 16;
	font(cr, 9.5, 1);
	set_rgb(cr, col_text);
	show(cr, c0, y, "Each person", 0, 0);
	show(cr, right, y, "Together (breathing)", 0, 0);
	double ly = y;
	y += row + 2;
	font(cr, 8.5, 1);
	for (int who = 0; who < 2; who++) {
		const char *n = who_name(info, who);
		snprintf(buf, sizeof buf, "%s%s", who ? "B" : "A", n ? "" : "");
		double x = who ? c2 : c1;
		legend(cr, x, y, who ? ST_B : ST_A, buf);
		if (n) {
			font(cr, 7, 0);
			set_rgb(cr, col_soft);
			show(cr, x, y + 8.5, n, 66, 0);
			font(cr, 8.5, 1);
		}
	}
	y += row + (who_name(info, 0) || who_name(info, 1) ? 7 : 0);
	struct {
		const char *label;
		double a, b;
		const char *fmt;
	} rows[] = {
	        {"Breathing rate", an->a.breath_rate_bpm, an->b.breath_rate_bpm, "%.1f /min"},
	        {"Heart rate", an->a.heart_rate_bpm, an->b.heart_rate_bpm, "%.0f bpm"},
	        {"HRV (RMSSD)", an->a.rmssd_ms, an->b.rmssd_ms, "%.0f ms"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		font(cr, 8.5, 0);
		set_rgb(cr, col_soft);
		show(cr, c0, y, rows[i].label, c1 - c0 - 4, 0);
		set_rgb(cr, col_text);
		font(cr, 8.5, 1);
		fmt_val(va, sizeof va, rows[i].a, rows[i].fmt);
		fmt_val(vb, sizeof vb, rows[i].b, rows[i].fmt);
		show(cr, c1, y, va, c2 - c1 - 4, 0);
		show(cr, c2, y, vb, right - c2 - 8, 0);
		y += row;
		if (i == 0)
			y = rate_range_row(cr, an, c0, c1, c2, right, y);
	}
	font(cr, 8.5, 0);
	set_rgb(cr, col_soft);
	show(cr, c0, y, "Breaths counted", 0, 0);
	set_rgb(cr, col_text);
	font(cr, 8.5, 1);
	snprintf(va, sizeof va, "%zu", an->a.breaths);
	snprintf(vb, sizeof vb, "%zu", an->b.breaths);
	show(cr, c1, y, va, 0, 0);
	show(cr, c2, y, vb, 0, 0);
	double y_left = y;

	/* the pair, in sentences */
	double ry = pair_sentences(cr, an, info, right, ly + row + 2, row);

	/* sensor warnings across the page: only what needs attention, or a reassurance */
	y = fmax(y_left, ry) + 4;
	struct {
		const char *what;
		unsigned q;
	} sensors[] = {
	        {"A breathing belt", an->a.resp_quality},
	        {"A pulse sensor", an->a.ppg_quality},
	        {"B breathing belt", an->b.resp_quality},
	        {"B pulse sensor", an->b.ppg_quality},
	};
	char warn[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < 4; i++) {
		if (!sensors[i].q)
			continue;
		int w = snprintf(warn + used, sizeof warn - used, "%s%s %s", used ? ";  " : "",
		                 sensors[i].what, quality_words(sensors[i].q));
		if (w < 0 || (size_t)w >= sizeof warn - used)
			break;
		used += (size_t)w;
	}
	y += row - 6;
	font(cr, 8.5, 1);
	set_rgb(cr, col_text);
	double x = show(cr, c0, y, "Signal quality: ", 0, 0);
	font(cr, 8.5, 0);
	show(cr, x, y, used ? warn : "all sensors good", PAGE_W - MARGIN - x, 0);
	return y;
}

static void footer(cairo_t *cr, const struct att_report_info *info)
{
	char buf[256];
	double y = PAGE_H - MARGIN + 6;
	cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(cr, 0.6);
	cairo_move_to(cr, MARGIN, y - 19);
	cairo_line_to(cr, PAGE_W - MARGIN, y - 19);
	cairo_stroke(cr);
	font(cr, 6.8, 0);
	set_rgb(cr, col_soft);
	show(cr, MARGIN, y - 10,
	     "Match: breathing in together, locking \xC3\x97 same phase (0\xE2\x80\x93"
	     "1). "
	     "Locking (PLV): a steady rhythm between the two at any offset, even opposite phases.",
	     PAGE_W - 2 * MARGIN, 0);
	show(cr, MARGIN, y - 1,
	     "Chance level: the locking of the same breathing with the partner shifted in time; "
	     "\xE2\x80\x9Cin sync\xE2\x80\x9D means above it.",
	     PAGE_W - 2 * MARGIN, 0);
	y += 9;
	snprintf(buf, sizeof buf, "attune %s",
	         info->version && *info->version ? info->version : "");
	show(cr, MARGIN, y, buf, 0, 0);
	if (info->generated && *info->generated) {
		snprintf(buf, sizeof buf, "generated %s", info->generated);
		show(cr, PAGE_W - MARGIN, y, buf, 0, 1);
	}
}

static void draw_page(cairo_t *cr, const struct att_recording *rec, const struct att_analysis *an,
                      const struct att_report_info *info, const struct trace tr[2])
{
	char buf[256], c0[32], c1[32];
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	double y = header(cr, rec, an, info);
	y = summary(cr, an, info, y);
	double dur = an->duration_s > 0 ? an->duration_s : (double)rec->n / rec->rate_hz;

	/* breathing: typical minute */
	double ex0 = excerpt_start(an), ex1 = fmin(ex0 + EXCERPT_S, dur);
	y += 24;
	fmt_clock(c0, sizeof c0, ex0);
	fmt_clock(c1, sizeof c1, ex1);
	if (dur > EXCERPT_S)
		snprintf(buf, sizeof buf, "Breathing, a typical minute (%s\xE2\x80\x93%s)", c0, c1);
	else
		snprintf(buf, sizeof buf, "Breathing");
	panel_title(cr, y, buf);
	font(cr, 7.5, 0);
	double lx = PAGE_W - MARGIN - 150;
	lx = legend(cr, lx, y, ST_A, who_name(info, 0) ? who_name(info, 0) : "A");
	legend(cr, fmax(lx, PAGE_W - MARGIN - 70), y, ST_B,
	       who_name(info, 1) ? who_name(info, 1) : "B");
	struct plot p = {PLOT_X, y + 6, PLOT_W, 72, ex0, ex1, -1.4, 1.4};
	phase_bands(cr, &p, an);
	excerpt_panel(cr, &p, tr);
	y = p.y + p.h + 12;

	/* whole session */
	y += 14;
	panel_title(cr, y, "Breathing, whole session (the shaded minute is shown above)");
	struct plot o = {PLOT_X, y + 6, PLOT_W, 52, 0, dur, 0, 1};
	phase_bands(cr, &o, an);
	overview_panel(cr, &o, tr, ex0, ex1, info);
	y = o.y + o.h + 12;

	/* synchrony */
	y += 14;
	panel_title(cr, y, "Synchrony over time");
	font(cr, 7.5, 0);
	lx = PAGE_W - MARGIN - 255;
	lx = legend(cr, lx, y, ST_MATCH, "match");
	lx = legend(cr, lx, y, ST_PLV, "locking (PLV)");
	legend(cr, lx, y, ST_CHANCE, "chance level");
	struct plot sp = {PLOT_X, y + 6, PLOT_W, 104, 0, dur, 0, 1};
	phase_bands(cr, &sp, an);
	sync_panel(cr, &sp, an, info);
	y = sp.y + sp.h + 12;

	/* rates */
	y += 14;
	panel_title(cr, y, "Breathing rate (breaths/min)");
	struct plot rp = {PLOT_X, y + 6, PLOT_W, 62, 0, dur, 0, 1};
	phase_bands(cr, &rp, an);
	rates_panel(cr, &rp, an, info, offsetof(struct att_analysis_window, a_breath_rate_bpm),
	            offsetof(struct att_analysis_window, b_breath_rate_bpm), 4,
	            "no breathing rate could be computed");
	y = rp.y + rp.h + 12;
	y += 14;
	panel_title(cr, y, "Heart rate (beats/min)");
	struct plot hp = {PLOT_X, y + 6, PLOT_W, 62, 0, dur, 0, 1};
	phase_bands(cr, &hp, an);
	rates_panel(cr, &hp, an, info, offsetof(struct att_analysis_window, a_heart_rate_bpm),
	            offsetof(struct att_analysis_window, b_heart_rate_bpm), 10,
	            "no pulse sensor data");
	footer(cr, info);
}

/* One table cell: a number with fmt, or a dash when it cannot be computed. */
static void cell(cairo_t *cr, double x, double y, double v, const char *fmt)
{
	char buf[32];

	fmt_val(buf, sizeof buf, v, fmt);
	show(cr, x, y, buf, 0, 1);
}

#define TABLE_ROW  12.0
#define TABLE_ROWS 24 /* phases listed; a longer guide says how many more */

/* The table of per-phase results; returns the y below it. */
static double phase_table(cairo_t *cr, const struct att_phases *ph,
                          const struct att_report_info *info, double y)
{
	static const double col[] = {150, 182, 215, 255, 285, 335, 365, 400, 450, 480, 515};
	char buf[96], who[2][40];

	for (int w = 0; w < 2; w++)
		snprintf(who[w], sizeof who[w], "%.30s",
		         who_name(info, w) ? who_name(info, w)
		         : w               ? "B"
		                           : "A");
	panel_title(cr, y, "Phases");
	y += 16;
	font(cr, 6.8, 1);
	set_rgb(cr, col_soft);
	show(cr, MARGIN, y, "phase", 0, 0);
	const char *head[] = {"time", "pacer", "match", "matched", "PLV"};
	for (int k = 0; k < 5; k++)
		show(cr, MARGIN + col[k], y, head[k], 0, 1);
	for (int w = 0; w < 2; w++) {
		show(cr, MARGIN + col[5 + 3 * w] - 28, y - 9, who[w], 90, 0);
		show(cr, MARGIN + col[5 + 3 * w], y, "breaths", 0, 1);
		show(cr, MARGIN + col[6 + 3 * w], y, "heart", 0, 1);
		show(cr, MARGIN + col[7 + 3 * w], y, "swing", 0, 1);
	}
	font(cr, 6.8, 0);
	set_rgb(cr, col_text);
	for (size_t i = 0; i < ph->n && i < TABLE_ROWS; i++) {
		const struct att_phase_result *r = &ph->phase[i];
		char c0[16];
		y += TABLE_ROW;
		show(cr, MARGIN, y, r->name, col[0] - 40, 0);
		fmt_clock(c0, sizeof c0, r->start_s);
		show(cr, MARGIN + col[0], y, c0, 0, 1);
		cell(cr, MARGIN + col[1], y, r->pacer_bpm, "%.1f");
		cell(cr, MARGIN + col[2], y, r->match, "%.2f");
		cell(cr, MARGIN + col[3], y, r->matched_fraction * 100.0, "%.0f %%");
		cell(cr, MARGIN + col[4], y, r->plv, "%.2f");
		for (int w = 0; w < 2; w++) {
			const struct att_phase_person *p = w ? &r->b : &r->a;
			cell(cr, MARGIN + col[5 + 3 * w], y, p->breath_rate_bpm, "%.1f");
			cell(cr, MARGIN + col[6 + 3 * w], y, p->heart_rate_bpm, "%.0f");
			cell(cr, MARGIN + col[7 + 3 * w], y, p->hr_swing_bpm, "%.1f");
		}
	}
	if (ph->n > TABLE_ROWS) {
		y += TABLE_ROW;
		snprintf(buf, sizeof buf, "and %zu more phases (all in attune analyze --json)",
		         ph->n - TABLE_ROWS);
		set_rgb(cr, col_soft);
		show(cr, MARGIN, y, buf, 0, 0);
	}
	set_rgb(cr, col_soft);
	show(cr, MARGIN, y + TABLE_ROW,
	     "time: the phase's start; pacer and breaths per minute; heart in beats/min; swing: the "
	     "heart rate's rise and fall within a breath (beats/min)",
	     PAGE_W - 2 * MARGIN, 0);
	return y + TABLE_ROW;
}

/* Bars per resonance step, A filled, B outlined and dashed (so it reads in black and white),
 * the chosen step of each marked with its letter. field: 0 HR swing, 1 LF power. */
static void step_bars(cairo_t *cr, const struct att_phases *ph, int field, double y, double h,
                      const char *title)
{
	static const double dash[] = {3.0, 1.5};
	double top = 0.0, slot = PLOT_W / (double)ph->n_steps;
	char buf[48];

	panel_title(cr, y, title);
	for (size_t k = 0; k < ph->n_steps; k++) {
		const struct att_resonance_step *s = &ph->step[k];
		double v[2] = {field ? s->a_lf_power_ms2 : s->a_hr_swing_bpm,
		               field ? s->b_lf_power_ms2 : s->b_hr_swing_bpm};
		for (int w = 0; w < 2; w++)
			if (isfinite(v[w]))
				top = fmax(top, v[w]);
	}
	if (!(top > 0.0))
		top = 1.0;
	struct plot p = {PLOT_X, y + 8, PLOT_W, h, 0, 1, 0, top * 1.2};
	double grid[3] = {0, top * 0.5, top};
	axes_values(cr, &p, grid, 3, field ? "%.0f" : "%.1f");
	for (size_t k = 0; k < ph->n_steps; k++) {
		const struct att_resonance_step *s = &ph->step[k];
		double v[2] = {field ? s->a_lf_power_ms2 : s->a_hr_swing_bpm,
		               field ? s->b_lf_power_ms2 : s->b_hr_swing_bpm};
		double best[2] = {ph->a_bpm, ph->b_bpm};
		for (int w = 0; w < 2; w++) {
			double x = p.x + slot * ((double)k + 0.2 + 0.3 * w), bw = slot * 0.28;
			if (!isfinite(v[w]))
				continue;
			cairo_save(cr);
			cairo_rectangle(cr, x, py(&p, v[w]), bw, py(&p, 0) - py(&p, v[w]));
			set_rgb(cr, w ? col_b : col_a);
			if (w) {
				cairo_set_line_width(cr, 1.0);
				cairo_set_dash(cr, dash, 2, 0);
				cairo_stroke(cr);
			} else {
				cairo_fill(cr);
			}
			cairo_restore(cr);
			if (fabs(s->pacer_bpm - best[w]) < 0.01) {
				font(cr, 7, 1);
				set_rgb(cr, w ? col_b : col_a);
				show(cr, x + bw / 2, py(&p, v[w]) - 3, w ? "B" : "A", 0, 0.5);
			}
		}
		font(cr, 6.8, 0);
		set_rgb(cr, col_text);
		snprintf(buf, sizeof buf, "%.1f /min", s->pacer_bpm);
		show(cr, p.x + slot * ((double)k + 0.5), p.y + p.h + 9.5, buf, 0, 0.5);
	}
}

/* The heart rate (60 / IBI at each beat) of one person over [t0, t1), or 0 points. */
static size_t heart_points(const struct att_recording *rec, int who, double t0, double t1,
                           double *t, double *v, size_t cap)
{
	const float *x = rec->ch[who ? ATT_CH_B_PPG : ATT_CH_A_PPG];
	size_t i0 = (size_t)fmax(0.0, t0 * rec->rate_hz), i1 = (size_t)(t1 * rec->rate_hz), m = 0;
	struct att_pulse_cfg pc = {.rate_hz = rec->rate_hz};
	struct att_pulse_result r;
	struct trace tr;

	i1 = i1 < rec->n ? i1 : rec->n;
	if (!x || i1 <= i0 + 2 || make_filled(x + i0, i1 - i0, &tr) != ATT_OK)
		return 0;
	if (att_pulse_detect(&pc, tr.x, tr.n, &r) == ATT_OK) {
		for (size_t k = 0; k < r.n_beats && m < cap; k++)
			if (r.ibi_ok[k] && r.ibi_s[k] > 0.0) {
				t[m] = t0 + r.position[k] / rec->rate_hz;
				v[m++] = 60.0 / r.ibi_s[k];
			}
		att_pulse_result_free(&r);
	}
	free_trace(&tr);
	return m;
}

/* A minute of the couple's resonance step: each person's breath (grey) and heart rate (their
 * colour) on one time axis, so the heart rising and falling with the breath can be seen. */
static void step_traces(cairo_t *cr, const struct att_recording *rec, const struct att_phases *ph,
                        const struct trace tr[2], const struct att_report_info *info, double y)
{
	const struct att_phase_result *best = NULL;
	double t[400], v[400], lo = INFINITY, hi = -INFINITY;
	char buf[160];

	for (size_t i = 0; i < ph->n && !best; i++)
		if (fabs(ph->phase[i].pacer_bpm - ph->couple_bpm) < 0.01)
			best = &ph->phase[i];
	if (!best)
		return;
	double mid = (best->start_s + best->end_s) / 2.0;
	double t0 = fmax(best->start_s, mid - EXCERPT_S / 2.0),
	       t1 = fmin(best->end_s, t0 + EXCERPT_S);
	snprintf(buf, sizeof buf, "Heart rate over the breath at %.1f breaths/min", ph->couple_bpm);
	panel_title(cr, y, buf);
	for (int w = 0; w < 2; w++) {
		struct plot p = {PLOT_X, y + 8 + 74.0 * w, PLOT_W, 56, t0, t1, -1.4, 1.4};
		size_t n = heart_points(rec, w, t0, t1, t, v, 400);
		static const double grid[] = {-1, 0, 1};
		axes(cr, &p, grid, 0, "%.0f");
		cairo_save(cr);
		clip_to(cr, &p);
		cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
		cairo_set_line_width(cr, 0.9);
		const struct trace *b = &tr[w];
		for (size_t i = (size_t)fmax(0, t0 * b->rate); i < b->n && i < t1 * b->rate; i++) {
			double x = px(&p, (double)i / b->rate), yy = py(&p, b->x[i]);
			if (i == (size_t)fmax(0, t0 * b->rate))
				cairo_move_to(cr, x, yy);
			else
				cairo_line_to(cr, x, yy);
		}
		cairo_stroke(cr);
		cairo_restore(cr);
		for (size_t k = 0; k < n; k++)
			lo = fmin(lo, v[k]), hi = fmax(hi, v[k]);
		if (n >= 2) {
			struct plot hp = p;
			hp.v0 = lo - 1.0, hp.v1 = hi + 1.0;
			polyline(cr, &hp, t, v, n, w ? ST_B : ST_A);
			font(cr, 6.5, 0);
			set_rgb(cr, col_soft);
			snprintf(buf, sizeof buf, "%.0f\xE2\x80\x93%.0f beats/min", lo, hi);
			show(cr, p.x + p.w, p.y - 2, buf, 0, 1);
		}
		font(cr, 7, 1);
		set_rgb(cr, col_text);
		show(cr, p.x - 3, p.y + p.h / 2 + 2.5,
		     who_name(info, w) ? who_name(info, w)
		     : w               ? "B"
		                       : "A",
		     30, 1);
		lo = INFINITY, hi = -INFINITY;
	}
	font(cr, 6.8, 0);
	set_rgb(cr, col_soft);
	show(cr, MARGIN, y + 8 + 148 + 16,
	     "grey: breathing (up = breathing in); colour: heart rate, rising and falling with each "
	     "breath when heart and breath are coupled",
	     PAGE_W - 2 * MARGIN, 0);
}

/* The second page of a guided session: its phases and, when it held one, the resonance check. */
static void draw_phases_page(cairo_t *cr, const struct att_recording *rec,
                             const struct att_analysis *an, const struct att_report_info *info,
                             const struct trace tr[2])
{
	const struct att_phases *ph = an->phases;
	char buf[200], a[16], b[16], c[16];

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, 0, 0, PAGE_W, PAGE_H); /* below page 1 in a PNG: not paint */
	cairo_fill(cr);
	font(cr, 14, 1);
	set_rgb(cr, col_text);
	show(cr, MARGIN, MARGIN + 8, "Phases of the guided session", 0, 0);
	double y = phase_table(cr, ph, info, MARGIN + 36);
	if (ph->have_resonance) {
		y += 26;
		fmt_val(a, sizeof a, ph->a_bpm, "%.1f /min");
		fmt_val(b, sizeof b, ph->b_bpm, "%.1f /min");
		fmt_val(c, sizeof c, ph->couple_bpm, "%.1f /min");
		panel_title(cr, y, "Resonance check");
		font(cr, 8.5, 0);
		set_rgb(cr, col_text);
		snprintf(buf, sizeof buf, "Resonance rate: %.30s %s, %.30s %s; together %s",
		         who_name(info, 0) ? who_name(info, 0) : "A", a,
		         who_name(info, 1) ? who_name(info, 1) : "B", b, c);
		show(cr, MARGIN, y + 14, buf, PAGE_W - 2 * MARGIN, 0);
		y += 30;
		step_bars(cr, ph, 0, y, 70, "Heart-rate swing per breath (beats/min)");
		y += 104;
		step_bars(cr, ph, 1, y, 60, "LF power of the beat intervals (ms\xC2\xB2)");
		y += 94;
		step_traces(cr, rec, ph, tr, info, y);
	}
	footer(cr, info);
}

/* Lines of text wrapped to width w from (x, y), whole words (or characters, for a word longer
 * than a line); returns the y under them. Stops above y_max with an ellipsis. */
static double wrap(cairo_t *cr, double x, double y, double w, double row, double y_max,
                   const char *text)
{
	char line[512];
	size_t n = strlen(text), start = 0;

	while (start < n) {
		size_t k = start, best = 0;
		while (k < n && text[k] != '\n') {
			size_t next = k + utf8_len(text + k);
			if (next - start >= sizeof line - 4)
				break;
			snprintf(line, sizeof line, "%.*s", (int)(next - start), text + start);
			if (text_w(cr, line) > w)
				break;
			k = next;
			if (k == n || text[k] == ' ' || text[k] == '\n')
				best = k - start;
		}
		if (!best)
			best = k > start ? k - start : utf8_len(text + start);
		if (y + row > y_max) {
			show(cr, x, y, "\xE2\x80\xA6", 0, 0);
			return y + row;
		}
		snprintf(line, sizeof line, "%.*s", (int)best, text + start);
		show(cr, x, y, line, w, 0);
		y += row;
		start += best;
		while (start < n && (text[start] == ' ' || text[start] == '\n'))
			start++;
	}
	return y;
}

/* The page from the practice history: together beside partners who never met, and the
 * couple's journal entries on this session. */
static void draw_practice_page(cairo_t *cr, const struct att_report_info *info)
{
	char buf[300];
	double y = MARGIN + 8, w = PAGE_W - 2 * MARGIN, y_max = PAGE_H - MARGIN - 34;

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, 0, 0, PAGE_W, PAGE_H); /* below the other pages in a PNG */
	cairo_fill(cr);
	font(cr, 14, 1);
	set_rgb(cr, col_text);
	show(cr, MARGIN, y, "From the practice history", 0, 0);
	y += 28;
	if (info->have_pseudo) {
		panel_title(cr, y, "Partners who never met");
		y += 16;
		font(cr, 8.5, 0);
		set_rgb(cr, col_text);
		snprintf(buf, sizeof buf,
		         "Together %.0f %% of the time; %.0f %% for partners who never met (this "
		         "session's A with other couples' B, same guide).",
		         100.0 * info->matched_fraction, 100.0 * info->pseudo_matched_fraction);
		show(cr, MARGIN, y, buf, w, 0);
		y += 12;
		font(cr, 7.5, 0);
		set_rgb(cr, col_soft);
		show(cr, MARGIN, y,
		     "Paced breathing makes any two people look together: the couple is together "
		     "beyond the pacer where it beats this baseline.",
		     w, 0);
		y += 26;
	}
	if (info->n_journal) {
		panel_title(cr, y, "Journal");
		y += 16;
		for (size_t i = 0; i < info->n_journal && y < y_max; i++) {
			font(cr, 8.5, 0);
			set_rgb(cr, col_text);
			y = wrap(cr, MARGIN, y, w, 12, y_max, info->journal[i]) + 8;
		}
	}
	footer(cr, info);
}

int att_report_write(const struct att_report_cfg *cfg, const struct att_recording *rec,
                     const struct att_analysis *an, const struct att_report_info *info,
                     const char *path, char *why, size_t why_len)
{
	if (why && why_len)
		why[0] = 0;
	if (!cfg || !rec || !an || !info || !path || !*path || !(rec->rate_hz > 0))
		return att_fail(why, why_len, ATT_ERR_ARG, "invalid arguments to the report");
	double dpi = cfg->dpi > 0 ? cfg->dpi : 150;
	if (cfg->format == ATT_REPORT_PNG && !(dpi >= 30 && dpi <= 600))
		return att_fail(why, why_len, ATT_ERR_ARG, "dpi %g is outside 30-600", dpi);
	if (!rec->ch[ATT_CH_A_RESP] || !rec->ch[ATT_CH_B_RESP] || rec->n < 2)
		return att_fail(why, why_len, ATT_ERR_NO_DATA,
		                "the recording needs both breathing belts");

	struct trace tr[2] = {{0}, {0}};
	for (int who = 0; who < 2; who++) {
		int err = make_trace(rec->ch[who ? ATT_CH_B_RESP : ATT_CH_A_RESP], rec->n,
		                     rec->rate_hz, &tr[who]);
		if (err) {
			free_trace(&tr[0]);
			return att_fail(why, why_len, err, "%s's breathing cannot be drawn: %s",
			                who ? "B" : "A", att_strerror(err));
		}
	}

	char tmp[4200];
	/* our own private temporary (cairo says only "write error": this says why); cairo
	 * reopens it by name */
	int fd = att_private_temp(path, tmp, sizeof tmp, why, why_len);
	if (fd < 0) {
		free_trace(&tr[0]);
		free_trace(&tr[1]);
		return fd;
	}
	close(fd);
	fd = -1;

	int practice = info->have_pseudo || info->n_journal;
	int err = ATT_OK, pages = 1 + (an->phases != NULL) + practice;
	cairo_surface_t *surf;
	if (cfg->format == ATT_REPORT_PDF) {
		surf = cairo_pdf_surface_create(tmp, PAGE_W, PAGE_H);
		cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE,
		                               "attune session report");
		cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "attune report");
	} else {
		int w, h;
		att_report_png_size(dpi, &w, &h);
		surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h * pages);
	}
	cairo_t *cr = cairo_create(surf);
	if (cfg->format == ATT_REPORT_PNG)
		cairo_scale(cr, dpi / 72.0, dpi / 72.0);
	draw_page(cr, rec, an, info, tr);
	for (int page = 2; page <= pages; page++) { /* the PNG has them one below the other */
		if (cfg->format == ATT_REPORT_PDF)
			cairo_show_page(cr);
		else
			cairo_translate(cr, 0, PAGE_H);
		if (page == 2 && an->phases)
			draw_phases_page(cr, rec, an, info, tr);
		else
			draw_practice_page(cr, info);
	}
	cairo_show_page(cr);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && cfg->format == ATT_REPORT_PNG)
		st = cairo_surface_write_to_png(surf, tmp);
	cairo_surface_finish(surf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	free_trace(&tr[0]);
	free_trace(&tr[1]);
	if (st != CAIRO_STATUS_SUCCESS) {
		err = st == CAIRO_STATUS_NO_MEMORY ? ATT_ERR_NOMEM : ATT_ERR_IO;
		att_fail(why, why_len, err, "cannot write %s: %s", path,
		         cairo_status_to_string(st));
	}
	if (!err)
		return att_private_commit(tmp, path, why, why_len);
	unlink(tmp);
	return err;
}
