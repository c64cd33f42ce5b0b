/* attune report: one printable page (A4, PNG or PDF by the output's extension) for a recorded
 * session: the analysis of attune analyze drawn for a therapist (report.h). Input dispatch and
 * session metadata come from input.h, so report reads whatever analyze reads. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <limits.h>
#include <unistd.h>

#include "attune/analysis.h"
#include "attune/practice.h"
#include "practice_hook.h"
#include "attune/outputs.h"
#include "cmd.h"
#include "input.h"
#include "attune/report.h"

#ifndef ATT_REPORT_VERSION
#define ATT_REPORT_VERSION "unknown"
#endif

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune report FILE -o OUT.png|OUT.pdf [--dpi N] [--window S] [--force]\n"
	        "                     [--db PATH]\n"
	        "\n"
	        "One A4 page a therapist can print or attach to notes: who breathed how fast,\n"
	        "heart rates, how well the two breathed together over the session, with markers.\n"
	        "FILE is anything 'attune analyze' reads: CSV, EDF+ or a raw capture (.attraw).\n"
	        "\n"
	        "  -o, --output OUT    the page; .png (raster) or .pdf (vector), by extension\n"
	        "  --force             replace an existing OUT (never FILE itself)\n"
	        "  --dpi N             PNG resolution, 30-600 (default 150: 1240 x 1754 pixels)\n"
	        "  --window S          analysis window in seconds, 5-600 (default 30)\n"
	        "  --db PATH           the practice database (default $ATTUNE_DB, else\n"
	        "                      ~/.local/share/attune/attune.db): a session in it gets a\n"
	        "                      page of its journal and partners who never met\n"
	        "  --help              this text\n"
	        "\n"
	        "Exit status: 0 done, 1 bad input file or cannot write OUT, 2 bad usage.\n"
	        "OUT is written completely or not at all.\n");
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The session's page from the practice history, when FILE is one of its sessions' files:
 * its pseudo-couple baseline and journal entries into info (strings owned by *h and *texts).
 * A database that does not exist is not created; one that cannot be read is said in one line
 * and the report made without it. */
static void from_history(const char *db_given, const char *path, struct att_report_info *info,
                         struct att_history **h, char ***texts)
{
	struct att_practice *p = NULL;
	char db[1024], real[PATH_MAX], why[400];
	const struct att_history_session *s = NULL;

	*h = NULL;
	*texts = NULL;
	if (att_app_db_path("report", db_given, db, sizeof db) || access(db, F_OK) != 0 ||
	    !realpath(path, real))
		return;
	if (att_practice_open(db, &p, why, sizeof why) != ATT_OK ||
	    att_practice_history(p, NULL, att_app_now(), h, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune report: without the practice history: %s\n", why);
		att_practice_free(p);
		return;
	}
	att_practice_free(p);
	for (size_t i = 0; i < (*h)->n_sessions && !s; i++)
		for (int k = 0; k < ATT_HISTORY_FILES; k++)
			if ((*h)->sessions[i].files[k] && !strcmp((*h)->sessions[i].files[k], real))
				s = &(*h)->sessions[i];
	if (!s)
		return;
	info->have_pseudo = !isnan(s->pseudo_matched_fraction) && !isnan(s->matched_fraction);
	info->matched_fraction = s->matched_fraction;
	info->pseudo_matched_fraction = s->pseudo_matched_fraction;
	*texts = calloc((*h)->n_journal + 1, sizeof **texts);
	for (size_t i = 0; *texts && i < (*h)->n_journal; i++) {
		const struct att_history_journal *j = &(*h)->journal[i];
		time_t t = (time_t)j->t_unix;
		struct tm tm;
		char when[32];
		if (j->session_id != s->id)
			continue;
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		if (asprintf(&(*texts)[info->n_journal], "%s  %s", when, j->text) >= 0)
			info->n_journal++;
	}
	info->journal = (const char *const *)*texts;
}

static void free_texts(char **texts)
{
	for (size_t i = 0; texts && texts[i]; i++)
		free(texts[i]);
	free(texts);
}

int att_cmd_report(int argc, char **argv)
{
	const char *path = NULL, *out = NULL, *db_given = NULL;
	int force = 0;
	double dpi = 150;
	struct att_analysis_cfg acfg = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--force")) {
			force = 1;
			continue;
		}
		const char *eq = !strncmp(a, "--", 2) ? strchr(a, '=') : NULL;
		size_t nl = eq ? (size_t)(eq - a) : strlen(a);
		int is_out = (!strncmp(a, "--output", nl) && nl == 8) || !strcmp(a, "-o");
		int is_dpi = !strncmp(a, "--dpi", nl) && nl == 5;
		int is_win = !strncmp(a, "--window", nl) && nl == 8;
		int is_db = !strncmp(a, "--db", nl) && nl == 4;
		if (is_out || is_dpi || is_win || is_db) {
			const char *val;
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return att_usage_error("report", "%s needs a value", a);
			if (is_out) {
				if (!*val)
					return att_usage_error("report", "-o needs a file name");
				out = val;
			} else if (is_db) {
				db_given = val;
			} else if (is_dpi) {
				if (att_arg_number("report", "--dpi", val, 30, 600, &dpi))
					return 2;
			} else if (att_arg_number("report", "--window", val, 5, 600,
			                          &acfg.window_s)) {
				return 2;
			}
			continue;
		}
		if (a[0] == '-' && a[1])
			return att_usage_error("report", "unknown option '%s'", a);
		if (path)
			return att_usage_error("report", "one FILE only ('%s' is extra)", a);
		path = a;
	}
	if (!path)
		return att_usage_error("report",
		                       "FILE missing: give a recording (.csv, .edf or .attraw)");
	if (!out)
		return att_usage_error("report",
		                       "-o OUT missing: say where the page goes (.png or .pdf)");
	const char *dot = strrchr(out, '.');
	struct att_report_cfg rcfg = {.dpi = dpi};
	if (dot && !strcasecmp(dot, ".png"))
		rcfg.format = ATT_REPORT_PNG;
	else if (dot && !strcasecmp(dot, ".pdf"))
		rcfg.format = ATT_REPORT_PDF;
	else
		return att_usage_error("report", "-o '%s' must end in .png or .pdf", out);

	char why[512] = "";
	struct att_recording *rec = NULL;
	if (att_output_check(out, &path, 1, force, why, sizeof why)) {
		fprintf(stderr, "attune report: %s\n", why);
		return 1;
	}
	int err = att_recording_read_any(path, &rec, why, sizeof why);
	if (err) {
		fprintf(stderr, "attune report: %s: %s\n", path, why[0] ? why : att_strerror(err));
		return 1;
	}
	struct att_analysis *an = NULL;
	err = att_analyze(&acfg, rec, &an, why, sizeof why);
	if (err) {
		fprintf(stderr, "attune report: %s: %s\n", path, why[0] ? why : att_strerror(err));
		att_recording_free(rec);
		return 1;
	}
	struct att_input_meta meta;
	err = att_input_meta_from(rec, &meta);
	if (err) {
		fprintf(stderr, "attune report: %s: %s\n", path, att_strerror(err));
		att_input_meta_clear(&meta);
		att_analysis_free(an);
		att_recording_free(rec);
		return 1;
	}
	char generated[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(generated, sizeof generated, "%Y-%m-%d %H:%M UTC", &tm);
	struct att_report_info info = {
	        .file_name = base_name(path),
	        .start = meta.start,
	        .label_a = meta.label_a,
	        .label_b = meta.label_b,
	        .note = meta.note,
	        .frames_lost = meta.frames_lost,
	        .marks = rec->events,
	        .n_marks = rec->n_events,
	        .version = ATT_REPORT_VERSION,
	        .generated = generated,
	};
	struct att_history *hist = NULL;
	char **texts = NULL;
	from_history(db_given, path, &info, &hist, &texts);
	err = att_report_write(&rcfg, rec, an, &info, out, why, sizeof why);
	free_texts(texts);
	att_history_free(hist);
	att_input_meta_clear(&meta);
	att_analysis_free(an);
	att_recording_free(rec);
	if (err) {
		fprintf(stderr, "attune report: %s\n", why[0] ? why : att_strerror(err));
		return 1;
	}
	return 0;
}
