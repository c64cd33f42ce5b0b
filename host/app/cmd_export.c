/* attune export FILE --csv OUT [--edf OUT]: converts a recording. FILE is an EDF/EDF+ file, a raw
 * capture (.attraw) or a CSV; a raw capture keeps its ADC counts, gap marks, events and derived
 * values, other inputs are written as read. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attune/analysis.h"
#include "attune/outputs.h"
#include "cmd.h"
#include "attune/export.h"
#include "attune/record_csv.h"
#include "attune/record_edf.h"
#include "attune/read_any.h"
#include "attune/record_raw.h"
#include "attune/recorder.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune export FILE --csv OUT [--edf OUT] [--force]\n"
	        "\n"
	        "Converts a recording (EDF/EDF+, raw capture .attraw, or CSV).\n"
	        "  --force    replace existing output files (never FILE itself)\n"
	        "  --csv OUT  CSV with columns t,a_resp,a_ppg,b_resp,b_ppg (raw ADC counts for attune\n"
	        "             recordings), plus derived columns for a raw capture\n"
	        "  --edf OUT  EDF+ (only from a raw capture)\n");
}

static int export_raw(const char *in, const char *csv, const char *edf)
{
	struct att_capture *s = NULL;
	struct att_grid *g = NULL;
	struct att_recording *rec = NULL;
	struct att_analysis *an = NULL;
	char why[512];
	int e;

	if ((e = att_raw_read(in, &s, NULL, why, sizeof why))) {
		fprintf(stderr, "attune export: %s: %s\n", in, why);
		return 1;
	}
	if ((e = att_grid_new(s, ATT_GRID_MAX_GAP_S, &g))) {
		fprintf(stderr, "attune export: %s: %s\n", in,
		        e == ATT_ERR_NO_DATA ? "the raw capture holds no samples"
		                             : att_strerror(e));
		att_capture_free(s);
		return 1;
	}
	if (csv) {
		struct att_analysis_cfg ac;
		memset(&ac, 0, sizeof ac);
		/* derived columns when the session is long enough; plain columns otherwise */
		if (!att_grid_to_recording(s, g, &rec))
			att_analyze(&ac, rec, &an, NULL, 0);
		e = att_csv_write(csv, g, an, why, sizeof why);
	}
	if (!e && edf)
		e = att_edf_write(edf, s, g, NULL, why, sizeof why);
	if (e)
		fprintf(stderr, "attune export: %s\n", why);
	att_analysis_free(an);
	att_recording_free(rec);
	att_grid_free(g);
	att_capture_free(s);
	return e ? 1 : 0;
}

/* Neither output is the input nor (without force) an existing file; 0, else the exit status. */
static int outputs_free(const char *in, const char *csv, const char *edf, int force)
{
	char why[512];

	if (csv && edf && !strcmp(csv, edf)) {
		fprintf(stderr, "attune export: --csv and --edf name the same file\n");
		return 2;
	}
	for (int k = 0; k < 2; k++) {
		const char *out = k ? edf : csv;
		if (out && att_output_check(out, &in, 1, force, why, sizeof why)) {
			fprintf(stderr, "attune export: %s\n", why);
			return 1;
		}
	}
	return 0;
}

int att_cmd_export(int argc, char **argv)
{
	const char *in = NULL, *csv = NULL, *edf = NULL;
	int force = 0;
	struct att_recording *rec = NULL;
	char why[512];
	uint8_t head[8] = {0};
	size_t got = 0;
	FILE *f;
	int e;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (!strcmp(argv[i], "--csv") || !strcmp(argv[i], "--edf")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "attune export: %s needs an output file\n",
				        argv[i]);
				return 2;
			}
			if (argv[i][2] == 'c')
				csv = argv[++i];
			else
				edf = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
			        "attune export: unknown option '%s'; see attune export --help\n",
			        argv[i]);
			return 2;
		} else if (!in) {
			in = argv[i];
		} else {
			fprintf(stderr, "attune export: one input file at a time ('%s' is extra)\n",
			        argv[i]);
			return 2;
		}
	}
	if (!in || (!csv && !edf)) {
		usage(stderr);
		return 2;
	}
	if ((e = outputs_free(in, csv, edf, force)))
		return e;
	f = fopen(in, "rb");
	if (f) {
		got = fread(head, 1, sizeof head, f);
		fclose(f);
	}
	if (att_raw_is_capture(head, got))
		return export_raw(in, csv, edf);
	if (edf) {
		fprintf(stderr,
		        "attune export: --edf needs a raw capture (.attraw) as input; %s is "
		        "not one\n",
		        in);
		return 2;
	}
	if ((e = att_recording_read_any(in, &rec, why, sizeof why))) {
		fprintf(stderr, "attune export: %s: %s\n", in, why);
		return 1;
	}
	e = att_csv_write_recording(csv, rec, why, sizeof why);
	att_recording_free(rec);
	if (e) {
		fprintf(stderr, "attune export: %s\n", why);
		return 1;
	}
	return 0;
}
