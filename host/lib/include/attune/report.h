/* The session report: one A4 portrait page a therapist can print or attach to notes, drawn with
 * cairo from a recording and its offline analysis (analysis.h). PNG (raster at a chosen dpi) or
 * PDF (vector, one page).
 *
 * The page: a header (file, date, participants, note, duration, rate, frames lost), the summary
 * in plain words (rates, heart rates, RMSSD, breath match, locking PLV against its chance level,
 * in-sync share, who leads, sensor warnings), both people's breathing (a representative 60 s
 * excerpt and the whole session as an envelope), the synchrony timeline with markers, breathing
 * and heart rates over time, and a footer. It must read in black and white too, so the two
 * people differ by line style as well as colour: A orange #E69F00 solid, B blue #0072B2 dashed;
 * synchrony is bluish green #009E73 and grey (no red anywhere: nothing here is an alarm).
 *
 * Invariant: att_report_write() leaves either a complete file at path or nothing there (it
 * draws into a private temporary beside path and renames it, private_file.h). It never prints and never exits.
 * Threads: any thread; no global state (cairo's font cache is its own, thread-safe). */
#ifndef ATT_REPORT_H
#define ATT_REPORT_H

#include <stddef.h>

#include "attune/analysis.h"
#include "attune/err.h"
#include "attune/event.h"
#include "attune/recording.h"

enum att_report_format {
	ATT_REPORT_PNG,
	ATT_REPORT_PDF,
};

/* What the page says about the session beyond the signals. Every pointer is borrowed for the
 * call; NULL or "" leaves the item out. */
struct att_report_info {
	const char *file_name; /* shown as given (usually the base name) */
	const char *start;     /* session start, already formatted, e.g. "2026-11-24 14:03 UTC" */
	const char *label_a;   /* participant names */
	const char *label_b;
	const char *note;
	long long frames_lost; /* samples missing and filled in; < 0 unknown (e.g. a CSV) */
	/* the session's events (usually rec->events): each but a gap is a vertical line on the
	 * timeline, labelled with att_event_label() */
	const struct att_event *marks;
	size_t n_marks;
	/* from the practice history (practice.h) when the session is in it: a page of its own */
	int have_pseudo;                /* the pseudo-couple baseline below is known */
	double matched_fraction;        /* this session's share of time together */
	double pseudo_matched_fraction; /* the same for partners who never met, same guide */
	const char *const *journal;     /* entries, each "YYYY-MM-DD HH:MM" then the text */
	size_t n_journal;
	const char *version;   /* attune version for the footer */
	const char *generated; /* when the report was made, already formatted */
};

struct att_report_cfg {
	enum att_report_format format;
	double dpi; /* PNG only; 0 = 150 (A4 is then 1240 x 1754 pixels) */
};

/* Pixel size of one A4 page as PNG at dpi (0 = 150). A guided session's report has a page of its
 * phases and resonance check, and a session in the practice history with a pseudo-couple
 * baseline or journal entries a page of those: the PNG has the pages one below the other, the
 * PDF one page each. */
void att_report_png_size(double dpi, int *width, int *height);

/* Draws the page of rec (its respiration channels are re-cleaned for the traces) and an (its
 * analysis) into path. All arguments are borrowed for the call. On failure nothing is left at
 * path or beside it and why (may be NULL) holds one line: ATT_ERR_ARG (a NULL argument, a dpi
 * outside 30-600), ATT_ERR_NO_DATA (no respiration channel), ATT_ERR_NOMEM, ATT_ERR_IO /
 * ATT_ERR_PERMISSION / ATT_ERR_DISK_FULL (writing path). */
int att_report_write(const struct att_report_cfg *cfg, const struct att_recording *rec,
                     const struct att_analysis *an, const struct att_report_info *info,
                     const char *path, char *why, size_t why_len);

#endif
