/* attune recover RAW: rebuilds a session's files from its raw capture after a crash, and says how
 * much of the session it got back. Safe to run on a capture that ended cleanly (it rebuilds the
 * same files) and on one still being written (it reads what is on disk now). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "attune/export.h"
#include "attune/record_raw.h"
#include "attune/outputs.h"
#include "practice_hook.h"
#include "attune/recorder.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune recover RAW [--output DIR/NAME] [--force] [--db PATH]\n"
	        "\n"
	        "Rebuilds NAME.edf, NAME.csv, NAME.json (and NAME.timeline.csv) from the raw capture\n"
	        "NAME.attraw that attune writes while recording, e.g. after a crash or power cut.\n"
	        "Damaged or incomplete records at the end are detected and left out.\n"
	        "  --output DIR/NAME  where to write (default: beside RAW, same name)\n"
	        "  --db PATH          the practice database the session joins (default\n"
	        "                     $ATTUNE_DB, else ~/.local/share/attune/attune.db)\n"
	        "  --force            replace session files that already exist (without it they\n"
	        "                     are kept and nothing is written)\n");
}

/* "DIR/NAME.attraw" -> "DIR/NAME" */
static void base_of(const char *raw, char *out, size_t len)
{
	static const char *const exts[] = {".attraw", ".raw"};
	size_t n;
	snprintf(out, len, "%s", raw);
	n = strlen(out);
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t k = strlen(exts[i]);
		if (n > k && !strcmp(out + n - k, exts[i])) {
			out[n - k] = '\0';
			return;
		}
	}
}

/* The session files recover would write are all free (or may be replaced with force): a
 * finished session beside the capture, or another session named by --output, is kept. */
static int outputs_free(const char *raw, const char *base, int force)
{
	char path[ATT_RECORDER_PATH_MAX + 16], why[512];

	for (size_t k = 0; att_session_exts[k]; k++) {
		snprintf(path, sizeof path, "%s%s", base, att_session_exts[k]);
		if (!strcmp(att_session_exts[k], ".attraw")) {
			struct stat st;
			/* another session's capture under that name (not RAW itself): taken */
			if (!force && lstat(path, &st) == 0 &&
			    att_output_check(path, &raw, 1, 1, NULL, 0) == ATT_OK) {
				fprintf(stderr,
				        "attune recover: %s is another session's capture; choose "
				        "another --output, or add --force\n",
				        path);
				return 1;
			}
			continue;
		}
		if (att_output_check(path, &raw, 1, force, why, sizeof why) != ATT_OK) {
			fprintf(stderr, "attune recover: %s\n", why);
			return 1;
		}
	}
	return 0;
}

int att_cmd_recover(int argc, char **argv)
{
	const char *raw = NULL, *output = NULL, *db = NULL;
	int force = 0;
	char base[ATT_RECORDER_PATH_MAX], why[512];
	struct att_capture *s = NULL;
	struct att_raw_stats st;
	struct att_export_report rep;
	int e;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (!strcmp(argv[i], "--db")) {
			if (++i >= argc) {
				fprintf(stderr, "attune recover: --db needs a PATH\n");
				return 2;
			}
			db = argv[i];
		} else if (!strcmp(argv[i], "--output") || !strcmp(argv[i], "-o")) {
			if (++i >= argc) {
				fprintf(stderr, "attune recover: --output needs a DIR/NAME\n");
				return 2;
			}
			output = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
			        "attune recover: unknown option '%s'; see attune recover --help\n",
			        argv[i]);
			return 2;
		} else if (!raw) {
			raw = argv[i];
		} else {
			fprintf(stderr,
			        "attune recover: one raw capture at a time ('%s' is extra)\n",
			        argv[i]);
			return 2;
		}
	}
	if (!raw) {
		usage(stderr);
		return 2;
	}
	if (strlen(output ? output : raw) >= sizeof base - 16) {
		fprintf(stderr, "attune recover: path too long\n");
		return 2;
	}
	base_of(output ? output : raw, base, sizeof base);
	if (!output && !strcmp(base, raw)) {
		fprintf(stderr,
		        "attune recover: %s does not end in .attraw; give --output DIR/NAME\n",
		        raw);
		return 2;
	}
	if (outputs_free(raw, base, force))
		return 1;
	e = att_raw_read(raw, &s, &st, why, sizeof why);
	if (e) {
		fprintf(stderr, "attune recover: %s: %s\n", raw, why);
		return 1;
	}
	if (!s->n_samples) {
		fprintf(stderr,
		        "attune recover: %s holds no samples (the session stopped before any "
		        "arrived); nothing to rebuild\n",
		        raw);
		att_capture_free(s);
		return 1;
	}
	e = att_capture_export(s, base, &rep, why, sizeof why);
	if (e) {
		fprintf(stderr, "attune recover: %s\n", why);
		att_capture_free(s);
		return 1;
	}
	printf("recovered %llu samples (%.1f s at %u Hz) from %s\n",
	       (unsigned long long)rep.samples, rep.duration_s, s->info.rate_hz, raw);
	if (rep.gaps)
		printf("  %llu gap(s): %llu missing samples filled and annotated\n",
		       (unsigned long long)rep.gaps, (unsigned long long)rep.samples_filled);
	if (s->clean_end)
		printf("  the session had ended cleanly\n");
	else
		printf("  the session had not ended cleanly (crash or still running)\n");
	if (st.ignored_bytes)
		printf("  ignored %llu damaged byte(s) in %llu place(s)%s\n",
		       (unsigned long long)st.ignored_bytes, (unsigned long long)st.bad_regions,
		       st.torn_tail ? ", including an incomplete record at the end" : "");
	if (st.header_damaged)
		printf("  the file header was damaged; every intact record was read without it\n");
	if (st.duplicate_samples)
		printf("  left out %llu repeated sample(s) (records written twice)\n",
		       (unsigned long long)st.duplicate_samples);
	if (st.rate_changed)
		printf("  warning: the device rate changed during the session; all samples were "
		       "taken at the first rate\n");
	printf("wrote %s.edf, %s.csv, %s.json%s%s%s\n", base, base, base, rep.analysed ? ", " : "",
	       rep.analysed ? base : "", rep.analysed ? ".timeline.csv" : "");
	if (!rep.analysed)
		printf("  no analysis in %s.json: %s\n", base, rep.analysis_why);
	att_capture_free(s);
	char history[600];
	if (!att_app_session_ended(db, base, history, sizeof history)) {
		fprintf(stderr, "attune recover: %s\n", history);
		return 0; /* the files are written: the history can take them later */
	}
	printf("%s\n", history);
	return 0;
}
