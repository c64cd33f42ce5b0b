/* attune analyze: offline analysis of a recorded session (CSV, EDF+ or a raw capture). Prints a
 * short summary, or with --json exactly one JSON object on stdout (README, section Contracts kept
 * stable); --timeline-csv writes the sliding-window timeline. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "attune/analysis.h"
#include "attune/outputs.h"
#include "attune/record_csv.h"
#include "attune/clock.h"
#include "cmd.h"
#include "attune/read_any.h"
#include "attune/sync.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune analyze FILE [--json] [--window S] [--step S] [--timeline-csv OUT]\n"
	        "                      [--force]\n"
	        "\n"
	        "Offline analysis of a recorded session: breathing rates, heart rates, breathing\n"
	        "synchrony. FILE is a CSV (columns t,a_resp,b_resp, optionally a_ppg,b_ppg), an\n"
	        "EDF+ file or a raw capture (.attraw) as 'attune record' writes them.\n"
	        "\n"
	        "  --json              print exactly one JSON object on stdout\n"
	        "  --window S          sliding window in seconds, 5-600 (default 30)\n"
	        "  --step S            window step in seconds, up to the window (default 1)\n"
	        "  --timeline-csv OUT  also write the per-window timeline as CSV to OUT (never over\n"
	        "                      FILE; an existing OUT is kept unless --force)\n"
	        "  --force             replace an existing OUT\n"
	        "  --help              this text\n"
	        "\n"
	        "Exit status: 0 done, 1 bad input file, 2 bad usage.\n");
}

struct bar {
	int64_t start_ns;
	int shown;
};

static double since(int64_t t0_ns)
{
	return 1e-9 * (double)(att_clock_ns() - t0_ns);
}

/* A progress bar on stderr, only for a terminal and only once the work has taken a second, so
 * quick runs and pipes stay quiet. */
static void show_progress(double done, void *user)
{
	struct bar *b = user;
	if (!b->shown && (done >= 1 || since(b->start_ns) < 1.0))
		return;
	b->shown = 1;
	int w = 30, fill = (int)(done * w + 0.5);
	fprintf(stderr, "\rattune analyze: [%.*s%*s] %3d%%", fill, "##############################",
	        w - fill, "", (int)(done * 100 + 0.5));
	if (done >= 1)
		fputc('\n', stderr);
	fflush(stderr);
}

static void fmt_num(char *buf, size_t len, double v, const char *fmt, const char *unit)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v, unit);
	else
		snprintf(buf, len, "unknown");
}

static void print_person(const char *who, const struct att_analysis_person *p, double window_s)
{
	char br[32], hr[32], rm[32], qr[64], qp[64], range[96] = "";
	fmt_num(br, sizeof br, p->breath_rate_bpm, "%.1f%s", " breaths/min");
	fmt_num(hr, sizeof hr, p->heart_rate_bpm, "%.0f%s", " bpm");
	fmt_num(rm, sizeof rm, p->rmssd_ms, "%.0f%s", " ms");
	/* the rate is the count over the time; its spread over the windows says how steady it was */
	if (isfinite(p->breath_rate_range_bpm[0]) && isfinite(p->breath_rate_range_bpm[1]))
		snprintf(range, sizeof range, "; %.1f-%.1f over %.0f s windows, median %.1f",
		         p->breath_rate_range_bpm[0], p->breath_rate_range_bpm[1], window_s,
		         p->breath_rate_median_bpm);
	printf("  %s: breathing %s (%zu breaths%s), heart rate %s, RMSSD %s; belt %s, pulse %s\n",
	       who, br, p->breaths, range, hr, rm, att_quality_str(p->resp_quality, qr, sizeof qr),
	       att_quality_str(p->ppg_quality, qp, sizeof qp));
}

/* Who leads, as analysis decided it (att_sync_lead, the live view's rule, over a session locked
 * above chance); otherwise "no steady lead" and why. */
static void print_lead(const struct att_analysis_sync *s)
{
	double rel = s->relative_phase_deg;
	switch (s->lead) {
	case ATT_LEAD_TOGETHER:
		printf("  nobody leads: inhaling together (within %.0f degrees)\n", fabs(rel));
		break;
	case ATT_LEAD_OPPOSITE:
		printf("  opposite phases: one inhales as the other exhales (%.0f degrees)\n",
		       fabs(rel));
		break;
	case ATT_LEAD_A:
	case ATT_LEAD_B:
		if (isfinite(s->lag_s))
			printf("  %s leads by %.1f s (%.0f degrees): %s follows\n",
			       s->lead == ATT_LEAD_A ? "A" : "B", fabs(s->lag_s), fabs(rel),
			       s->lead == ATT_LEAD_A ? "B" : "A");
		else
			printf("  %s leads by %.0f degrees\n", s->lead == ATT_LEAD_A ? "A" : "B",
			       fabs(rel));
		break;
	default:
		printf("  no steady lead (%s)\n",
		       s->locked == 1 ? "breathing at different rates"
		                      : "not locked above chance over the session");
	}
}

/* The heart rates' cross-correlation at its peak, who follows, and whether that beats chance. */
static void print_hr_lag(const struct att_analysis_sync *s)
{
	if (!isfinite(s->hr_sync_r_max))
		return;
	char who[64] = "at lag 0";
	if (fabs(s->hr_sync_lag_s) >= 0.05)
		snprintf(who, sizeof who, "with %s heart %.1f s behind",
		         s->hr_sync_lag_s > 0 ? "B's" : "A's", fabs(s->hr_sync_lag_s));
	printf("  heart rates: peak correlation %.2f %s; chance level %.2f (%s)\n",
	       s->hr_sync_r_max, who, s->hr_sync_chance,
	       !isfinite(s->hr_sync_chance)           ? "not known"
	       : s->hr_sync_r_max > s->hr_sync_chance ? "above chance"
	                                              : "not above chance");
}

static void print_summary(const char *path, const struct att_analysis *an)
{
	long secs = lround(an->duration_s);
	printf("%s: %ld min %02ld s at %g Hz\n", path, secs / 60, secs % 60, an->rate_hz);
	print_person("A", &an->a, an->window_s);
	print_person("B", &an->b, an->window_s);
	const struct att_analysis_sync *s = &an->sync;
	if (isfinite(s->match))
		printf("  breath match %.2f, matched (>= %.1f) %.0f %% of the time\n", s->match,
		       ATT_MATCHED, 100 * s->matched_fraction);
	if (isfinite(s->plv))
		printf("  locking (PLV) %.2f, chance level %.2f, in sync %.0f %% of the time\n",
		       s->plv, s->plv_chance, 100 * s->in_sync_fraction);
	/* where a window's chance level is near 1, "not in sync" would be wrong: say so */
	if (isfinite(s->plv) && 1 - s->chance_informative_fraction >= 0.005)
		printf("  can't tell %.0f %% of the time: both breathe very regularly; locking can't "
		       "be told from chance in %.0f s\n",
		       100 * (1 - s->chance_informative_fraction), an->window_s);
	if (isfinite(s->session_plv) && s->locked >= 0)
		printf("  over the session: %s (PLV %.2f, chance level %.2f)\n",
		       s->locked                                ? "locked above chance"
		       : s->session_plv > s->session_plv_chance ? "above chance, but weakly locked"
		                                                : "not locked above chance",
		       s->session_plv, s->session_plv_chance);
	print_lead(s);
	if (isfinite(s->coherence))
		printf("  breathing coherence %.2f", s->coherence);
	if (isfinite(s->hr_sync_r))
		printf("%sheart-rate correlation %.2f", isfinite(s->coherence) ? ", " : "  ",
		       s->hr_sync_r);
	if (isfinite(s->coherence) || isfinite(s->hr_sync_r))
		printf("\n");
	print_hr_lag(s);
}

static int timeline_rows(FILE *f, void *an)
{
	return att_analysis_write_timeline_csv(an, f);
}

/* Written as the session files are: complete or absent, private. */
static int write_timeline(const struct att_analysis *an, const char *out)
{
	char why[400];

	if (att_atomic_write(out, timeline_rows, (void *)an, why, sizeof why) == ATT_OK)
		return 0;
	fprintf(stderr, "attune analyze: %s\n", why);
	return 1;
}

struct args {
	const char *path, *timeline;
	int json, force;
	struct att_analysis_cfg cfg;
};

/* Returns -1 to go on, else the exit status (0 after --help, 2 for bad usage, said on stderr). */
static int parse_args(int argc, char **argv, struct args *o)
{
	const char *path = NULL, *timeline = NULL;
	int json = 0, force = 0;
	struct att_analysis_cfg cfg = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--json")) {
			json = 1;
			continue;
		}
		if (!strcmp(a, "--force")) {
			force = 1;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t name_len = eq && !strncmp(a, "--", 2) ? (size_t)(eq - a) : strlen(a);
		int is_window = !strncmp(a, "--window", name_len) && name_len == 8;
		int is_step = !strncmp(a, "--step", name_len) && name_len == 6;
		int is_tl = !strncmp(a, "--timeline-csv", name_len) && name_len == 14;
		if (is_window || is_step || is_tl) {
			if (eq && !strncmp(a, "--", 2))
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return att_usage_error("analyze", "%s needs a value", a);
			if (is_tl) {
				if (!*val)
					return att_usage_error("analyze",
					                       "--timeline-csv needs a file name");
				timeline = val;
			} else if (is_window) {
				if (att_arg_number("analyze", "--window", val, 5, 600,
				                   &cfg.window_s))
					return 2;
			} else if (att_arg_number("analyze", "--step", val, 0.01, 600,
			                          &cfg.step_s)) {
				return 2;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			return att_usage_error("analyze", "unknown option '%s'", a);
		}
		if (path)
			return att_usage_error("analyze", "one FILE only ('%s' is extra)", a);
		path = a;
	}
	if (!path)
		return att_usage_error("analyze",
		                       "FILE missing: give a recording (.csv, .edf or .attraw)");
	if (cfg.window_s && cfg.step_s > cfg.window_s)
		return att_usage_error("analyze", "--step must not exceed --window");
	if (!cfg.window_s && cfg.step_s > 30)
		return att_usage_error("analyze", "--step must not exceed the window (30 s)");
	*o = (struct args){path, timeline, json, force, cfg};
	return -1;
}

int att_cmd_analyze(int argc, char **argv)
{
	struct args args = {0};
	int status = parse_args(argc, argv, &args);
	if (status >= 0)
		return status;
	const char *path = args.path, *timeline = args.timeline;
	int json = args.json;
	struct att_analysis_cfg cfg = args.cfg;

	char why[512] = "";
	struct att_recording *rec = NULL;
	if (timeline && att_output_check(timeline, &path, 1, args.force, why, sizeof why)) {
		fprintf(stderr, "attune analyze: %s\n", why);
		return 1;
	}
	/* input.h: the dispatch by extension, else by first bytes, shared with attune report */
	int err = att_recording_read_any(path, &rec, why, sizeof why);
	if (err) {
		fprintf(stderr, "attune analyze: %s: %s\n", path, why[0] ? why : att_strerror(err));
		return 1;
	}
	struct bar bar = {.start_ns = att_clock_ns(), .shown = 0};
	if (isatty(STDERR_FILENO)) {
		cfg.progress = show_progress;
		cfg.progress_user = &bar;
	}
	struct att_analysis *an = NULL;
	err = att_analyze(&cfg, rec, &an, why, sizeof why);
	att_recording_free(rec);
	if (err) {
		fprintf(stderr, "attune analyze: %s: %s\n", path, why[0] ? why : att_strerror(err));
		return 1;
	}
	int rc = 0;
	if (timeline)
		rc = write_timeline(an, timeline);
	if (json) {
		if (att_analysis_write_json(an, stdout, 2)) {
			fprintf(stderr, "attune analyze: cannot write the JSON to stdout: %s\n",
			        strerror(errno));
			rc = 1;
		}
	} else {
		print_summary(path, an);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "attune analyze: cannot write the summary to stdout: %s\n",
			        strerror(errno));
			rc = 1;
		}
	}
	att_analysis_free(an);
	return rc;
}
