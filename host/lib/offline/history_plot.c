/* The practice history drawn week by week (history_plot.h). */
#include "attune/history_plot.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "attune/private_file.h"

#define W      720.0 /* points: a landscape half page */
#define H      400.0
#define LEFT   60.0
#define RIGHT  60.0
#define TOP    60.0
#define BOTTOM 70.0
#define FONT   "DejaVu Sans"
#define PNG_SCALE 2.0 /* 144 dpi: sharp on a laptop screen */

static void text(cairo_t *cr, double x, double y, double size, const char *s, double align)
{
	cairo_text_extents_t ext;

	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &ext);
	cairo_move_to(cr, x - align * ext.x_advance, y);
	cairo_show_text(cr, s);
}

/* Mean of the week's pseudo-couple baseline, NAN when no session of it has one. */
static double week_pseudo(const struct att_history *h, const char *week)
{
	double sum = 0.0;
	int n = 0;

	for (size_t i = 0; i < h->n_sessions; i++) {
		char w[16];
		time_t t = (time_t)h->sessions[i].start_unix;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(w, sizeof w, "%G-W%V", &tm);
		if (!strcmp(w, week) && isfinite(h->sessions[i].pseudo_matched_fraction)) {
			sum += h->sessions[i].pseudo_matched_fraction;
			n++;
		}
	}
	return n ? sum / n : NAN;
}

/* A line through the weeks' values (0..1 on the plot's height), gaps where unknown. */
static void line(cairo_t *cr, const struct att_history *h, const double *v, double slot,
                 double r, double g, double b, int dashed)
{
	int pen = 0;

	cairo_set_source_rgb(cr, r, g, b);
	cairo_set_line_width(cr, 2.0);
	cairo_set_dash(cr, (double[]){5.0, 4.0}, dashed ? 2 : 0, 0.0);
	for (size_t i = 0; i < h->n_weeks; i++) {
		double x = LEFT + slot * (i + 0.5), y = H - BOTTOM - v[i] * (H - TOP - BOTTOM);
		if (!isfinite(v[i])) {
			pen = 0;
			continue;
		}
		if (pen)
			cairo_line_to(cr, x, y);
		else
			cairo_move_to(cr, x, y);
		pen = 1;
	}
	cairo_stroke(cr);
	for (size_t i = 0; i < h->n_weeks; i++)
		if (isfinite(v[i])) {
			cairo_arc(cr, LEFT + slot * (i + 0.5), H - BOTTOM - v[i] * (H - TOP - BOTTOM),
			          3.0, 0, 2 * M_PI);
			cairo_fill(cr);
		}
	cairo_set_dash(cr, NULL, 0, 0.0);
}

static void draw(cairo_t *cr, const struct att_history *h, double *v)
{
	double slot = (W - LEFT - RIGHT) / (double)h->n_weeks, max_min = 10.0, plot_h = H - TOP - BOTTOM;
	char buf[160];

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	snprintf(buf, sizeof buf, "Practice by week%s%.100s · %zu sessions · streak %d day%s",
	         h->n_couples == 1 ? ": " : "", h->n_couples == 1 ? h->couples[0] : "",
	         h->n_sessions, h->streak_days, h->streak_days == 1 ? "" : "s");
	text(cr, LEFT, 30, 15, buf, 0.0);
	for (size_t i = 0; i < h->n_weeks; i++)
		max_min = fmax(max_min, h->weeks[i].minutes);
	max_min = ceil(max_min / 10.0) * 10.0;
	/* grid: 0, 50, 100 % on the left, minutes on the right */
	cairo_set_line_width(cr, 0.5);
	for (int k = 0; k <= 4; k++) {
		double y = H - BOTTOM - k / 4.0 * plot_h;
		cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
		cairo_move_to(cr, LEFT, y);
		cairo_line_to(cr, W - RIGHT, y);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		snprintf(buf, sizeof buf, "%d %%", k * 25);
		text(cr, LEFT - 6, y + 4, 9, buf, 1.0);
		snprintf(buf, sizeof buf, "%.0f min", max_min * k / 4.0);
		text(cr, W - RIGHT + 6, y + 4, 9, buf, 0.0);
	}
	for (size_t i = 0; i < h->n_weeks; i++) { /* minutes practised */
		double bh = h->weeks[i].minutes / max_min * plot_h;
		cairo_set_source_rgb(cr, 0.82, 0.88, 0.95);
		cairo_rectangle(cr, LEFT + slot * i + slot * 0.15, H - BOTTOM - bh, slot * 0.7, bh);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		text(cr, LEFT + slot * (i + 0.5), H - BOTTOM + 14, 8, h->weeks[i].week, 0.5);
		snprintf(buf, sizeof buf, "%zu", h->weeks[i].sessions);
		text(cr, LEFT + slot * (i + 0.5), H - BOTTOM + 26, 8, buf, 0.5);
	}
	for (size_t i = 0; i < h->n_weeks; i++)
		v[i] = h->weeks[i].matched_fraction;
	line(cr, h, v, slot, 0.85, 0.45, 0.1, 0);
	for (size_t i = 0; i < h->n_weeks; i++)
		v[i] = h->weeks[i].match;
	line(cr, h, v, slot, 0.2, 0.45, 0.7, 0);
	for (size_t i = 0; i < h->n_weeks; i++)
		v[i] = week_pseudo(h, h->weeks[i].week);
	line(cr, h, v, slot, 0.5, 0.5, 0.5, 1);
	cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
	text(cr, LEFT, H - 18, 9,
	     "bars: minutes practised (sessions below the week)   orange: time together   blue: "
	     "median match   grey dashed: partners who never met, same guide",
	     0.0);
}

int att_history_plot(const struct att_history *h, const char *path, char *why, size_t why_len)
{
	size_t len = path ? strlen(path) : 0;
	int pdf = len > 4 && !strcasecmp(path + len - 4, ".pdf");
	char tmp[4200];
	double v[512];
	cairo_surface_t *surf;
	cairo_status_t st;
	int fd;

	if (!h || !path)
		return ATT_ERR_ARG;
	if (!h->n_weeks)
		return att_fail(why, why_len, ATT_ERR_NO_DATA, "no sessions to draw yet");
	if (h->n_weeks > sizeof v / sizeof v[0])
		return att_fail(why, why_len, ATT_ERR_RANGE,
		                "%zu weeks do not fit one page; give --couple", h->n_weeks);
	if ((fd = att_private_temp(path, tmp, sizeof tmp, why, why_len)) < 0)
		return fd;
	close(fd);
	surf = pdf ? cairo_pdf_surface_create(tmp, W, H)
	           : cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(W * PNG_SCALE),
	                                        (int)(H * PNG_SCALE));
	cairo_t *cr = cairo_create(surf);
	if (!pdf)
		cairo_scale(cr, PNG_SCALE, PNG_SCALE);
	draw(cr, h, v);
	cairo_show_page(cr);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && !pdf)
		st = cairo_surface_write_to_png(surf, tmp);
	cairo_surface_finish(surf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	if (st != CAIRO_STATUS_SUCCESS) {
		unlink(tmp);
		return att_fail(why, why_len, st == CAIRO_STATUS_NO_MEMORY ? ATT_ERR_NOMEM : ATT_ERR_IO,
		                "cannot write %s: %s", path, cairo_status_to_string(st));
	}
	return att_private_commit(tmp, path, why, why_len);
}
