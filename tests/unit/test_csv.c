/* CSV reader: good files in every accepted shape load with the right rate and values; each kind
 * of bad file is refused with one line naming the line and the problem. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "attune/wire.h"
#include "attune/csv.h"

static char dir[] = "/tmp/attune-test-csv-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

/* Writes n rows at rate_hz with known values: a_resp = i, b_resp = -i, PPG = i / 2. */
static const char *write_rows(const char *name, const char *header, double rate_hz, int n,
                              const char *tfmt, const char *eol)
{
	size_t cap = (size_t)n * 96 + 256;
	char *text = malloc(cap);
	size_t len = (size_t)snprintf(text, cap, "%s%s", header, eol);
	for (int i = 0; i < n; i++) {
		char t[32];
		snprintf(t, sizeof t, tfmt, 10.0 + i / rate_hz);
		len += (size_t)snprintf(text + len, cap - len, "%s,%d,%g,%d,%g%s", t, i, i / 2.0,
		                        -i, i / 2.0, eol);
	}
	const char *p = write_file(name, text);
	free(text);
	return p;
}

static int one_line(const char *why)
{
	return why[0] && !strchr(why, '\n');
}

static void good_basic(void)
{
	const char *p =
	        write_rows("basic.csv", "t,a_resp,a_ppg,b_resp,b_ppg", 100, 500, "%.3f", "\n");
	struct att_recording *rec = (void *)1;
	char why[256];
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_OK);
	CHECK(rec != NULL);
	if (!rec)
		return;
	CHECK(rec->n == 500);
	CHECK_NEAR(rec->rate_hz, 100, 1e-9);
	CHECK_NEAR(rec->t0, 10, 1e-9);
	for (int c = 0; c < 4; c++)
		CHECK(rec->ch[c] != NULL);
	if (rec->ch[0] && rec->ch[1] && rec->ch[2] && rec->ch[3]) {
		CHECK_NEAR(rec->ch[0][123], 123, 0);
		CHECK_NEAR(rec->ch[1][123], 61.5, 0);
		CHECK_NEAR(rec->ch[2][499], -499, 0);
		CHECK_NEAR(rec->ch[3][1], 0.5, 0);
	}
	att_recording_free(rec);
}

static void good_any_order_extra_columns_no_ppg_crlf_quoted(void)
{
	/* Columns reordered, quoted, with an ignored column, no PPG, CRLF, a BOM, blanks around
	 * values and no final newline. */
	const char *text = "\xef\xbb\xbf\"b_resp\", \"note\" ,\"T\",'a_resp'\r\n"
	                   " 1.5 ,x,0.00,2.5\r\n"
	                   "1.25,y,0.04,2.25\r\n"
	                   "1e0,\"z\",0.08,-2E-1\r\n"
	                   "\r\n"
	                   "-0.5,w,0.12,+.5";
	const char *p = write_file("shapes.csv", text);
	struct att_recording *rec = NULL;
	char why[256] = "";
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_OK);
	if (!rec) {
		fprintf(stderr, "  why: %s\n", why);
		return;
	}
	CHECK(rec->n == 4);
	CHECK_NEAR(rec->rate_hz, 25, 1e-9);
	CHECK(rec->ch[ATT_CH_A_PPG] == NULL && rec->ch[ATT_CH_B_PPG] == NULL);
	CHECK(rec->ch[ATT_CH_A_RESP] && rec->ch[ATT_CH_B_RESP]);
	if (rec->ch[ATT_CH_A_RESP] && rec->ch[ATT_CH_B_RESP]) {
		CHECK_NEAR(rec->ch[ATT_CH_A_RESP][0], 2.5, 1e-7);
		CHECK_NEAR(rec->ch[ATT_CH_A_RESP][2], -0.2, 1e-7);
		CHECK_NEAR(rec->ch[ATT_CH_A_RESP][3], 0.5, 1e-7);
		CHECK_NEAR(rec->ch[ATT_CH_B_RESP][2], 1.0, 1e-7);
		CHECK_NEAR(rec->ch[ATT_CH_B_RESP][3], -0.5, 1e-7);
	}
	att_recording_free(rec);
}

static void good_rounded_times(void)
{
	/* 300 Hz printed to the millisecond: steps of 3 or 4 ms must pass as uniform. */
	const char *p =
	        write_rows("rounded.csv", "t,a_resp,a_ppg,b_resp,b_ppg", 300, 3000, "%.3f", "\n");
	struct att_recording *rec = NULL;
	char why[256] = "";
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_OK);
	if (rec)
		CHECK_NEAR(rec->rate_hz, 300, 0.05);
	else
		fprintf(stderr, "  why: %s\n", why);
	att_recording_free(rec);
	/* Long mantissas take the slow path and still read exactly. */
	p = write_file("long.csv", "t,a_resp,b_resp\n0,0.12345678901234567890,1e300\n"
	                           "0.01,1,2\n0.02,1,2\n");
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_OK);
	if (rec) {
		CHECK_NEAR(rec->ch[0][0], 0.1234567890123456789, 1e-7);
		CHECK(isinf(rec->ch[2][0]));
		CHECK_NEAR(rec->rate_hz, 100, 1e-9);
	}
	att_recording_free(rec);
}

/* Reads a bad file: must fail with `err`, no recording, and a one-line message containing `want`. */
static void bad(const char *name, const char *text, int err, const char *want)
{
	const char *p = text ? write_file(name, text) : name;
	struct att_recording *rec = (void *)1;
	char why[256] = "";
	int got = att_csv_read(p, &rec, why, sizeof why);
	CHECK(got == err);
	CHECK(rec == NULL);
	CHECK(one_line(why));
	if (!strstr(why, want)) {
		fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", name, why, want);
		att_check_failures++;
	}
}

static void bad_files(void)
{
	bad("missing.csv", "t,a_resp,a_ppg\n0,1,2\n0.01,1,2\n", ATT_ERR_FORMAT,
	    "line 1: missing column 'b_resp'");
	bad("no_t.csv", "time_s,a_resp,b_resp\n0,1,2\n0.01,1,2\n", ATT_ERR_FORMAT,
	    "line 1: missing column 't'");
	bad("dup.csv", "t,a_resp,b_resp,a_resp\n0,1,2,3\n0.01,1,2,3\n", ATT_ERR_FORMAT,
	    "line 1: column 'a_resp' appears twice");
	bad("nonnum.csv", "t,a_resp,b_resp\n0,1,2\n0.01,1,2\n0.02,abc,2\n", ATT_ERR_FORMAT,
	    "line 4: 'abc' in column 'a_resp' is not a number");
	bad("trailing.csv", "t,a_resp,b_resp\n0,1,2\n0.01,1.5x,2\n", ATT_ERR_FORMAT,
	    "line 3: '1.5x' in column 'a_resp' is not a number");
	bad("empty_value.csv", "t,a_resp,b_resp\n0,1,2\n0.01,1,\n", ATT_ERR_FORMAT,
	    "line 3: empty value in column 'b_resp'");
	bad("fewer.csv", "t,a_resp,a_ppg,b_resp,b_ppg\n0,1,2,3,4\n0.01,1,2,3\n", ATT_ERR_FORMAT,
	    "line 3: 4 fields where the header has 5");
	bad("more.csv", "t,a_resp,b_resp\n0,1,2\n0.01,1,2\n0.02,1,2,3\n", ATT_ERR_FORMAT,
	    "line 4: 4 fields where the header has 3");
	bad("gap.csv", "t,a_resp,b_resp\n0,1,2\n0.01,1,2\n0.02,1,2\n0.04,1,2\n", ATT_ERR_FORMAT,
	    "line 5: time is not uniform");
	bad("backwards.csv", "t,a_resp,b_resp\n0,1,2\n0.01,1,2\n0.005,1,2\n", ATT_ERR_FORMAT,
	    "line 4: time goes backwards (0.005 after 0.01)");
	bad("repeat.csv", "t,a_resp,b_resp\n0,1,2\n0.01,1,2\n0.01,1,2\n", ATT_ERR_FORMAT,
	    "line 4: time repeats");
	bad("nan_t.csv", "t,a_resp,b_resp\n0,1,2\nnan,1,2\n", ATT_ERR_FORMAT,
	    "line 3: 'nan' in column 't' is not a number");
	bad("short.csv", "t,a_resp,b_resp\n0,1,2\n", ATT_ERR_FORMAT, "too short");
	bad("header_only.csv", "t,a_resp,b_resp\r\n", ATT_ERR_FORMAT, "too short");
	bad("empty.csv", "", ATT_ERR_FORMAT, "the file is empty");
	bad("slow.csv", "t,a_resp,b_resp\n0,1,2\n0.1,1,2\n0.2,1,2\n", ATT_ERR_FORMAT,
	    "sample rate 10 Hz (from the t column) is outside 25-1000 Hz");
	bad("fast.csv", "t,a_resp,b_resp\n0,1,2\n0.0001,1,2\n0.0002,1,2\n", ATT_ERR_FORMAT,
	    "outside 25-1000 Hz");

	char missing[300];
	snprintf(missing, sizeof missing, "%s/does-not-exist.csv", dir);
	bad(missing, NULL, ATT_ERR_IO, "cannot open the file: No such file or directory");
	bad(dir, NULL, ATT_ERR_IO, "cannot read the file");

	/* Binary garbage must be refused, never crash. */
	char junk[4096];
	unsigned s = 12345;
	for (size_t i = 0; i < sizeof junk - 1; i++) {
		s = s * 1103515245u + 12345u;
		junk[i] = (char)(1 + (s >> 16) % 255);
	}
	junk[sizeof junk - 1] = 0;
	struct att_recording *rec = NULL;
	char why[256] = "";
	CHECK(att_csv_read(write_file("junk.csv", junk), &rec, why, sizeof why) == ATT_ERR_FORMAT);
	CHECK(rec == NULL && one_line(why));
}

static void long_line_is_refused(void)
{
	size_t n = (2u << 20) + 10;
	char *text = malloc(n + 1);
	memset(text, '1', n);
	memcpy(text, "t,a_resp,b_resp\n0,", 18);
	text[n] = 0;
	const char *p = write_file("longline.csv", text);
	free(text);
	struct att_recording *rec = NULL;
	char why[256] = "";
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_ERR_FORMAT);
	CHECK(strstr(why, "line 2: longer than") != NULL);
}

/* Files of 8 MB and more are parsed on two threads: the result and every message must be the
 * one-thread reader's, wherever the split falls. */
static void big_files_read_the_same(void)
{
	const int n = 400000; /* about 12 MB */
	const char *p =
	        write_rows("big.csv", "t,a_resp,a_ppg,b_resp,b_ppg", 250, n, "%.4f", "\r\n");
	struct att_recording *rec = NULL;
	char why[256] = "";
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_OK);
	if (rec) {
		CHECK(rec->n == (size_t)n);
		CHECK_NEAR(rec->rate_hz, 250, 0);
		size_t bad = 0;
		for (size_t i = 0; i < rec->n; i++)
			bad += rec->ch[0][i] != (float)i || rec->ch[2][i] != -(float)i ||
			       (i < 100000 && rec->ch[3][i] != (float)(i / 2.0)); /* %g: 6 digits */
		CHECK(bad == 0);
	} else {
		fprintf(stderr, "  why: %s\n", why);
	}
	att_recording_free(rec);

	/* A bad value, then a missing sample, late in the file (second half): exact line numbers. */
	char *text = malloc((size_t)n * 64);
	size_t len = (size_t)sprintf(text, "t,a_resp,b_resp\n");
	for (int i = 0; i < n; i++) {
		if (i == 300000)
			len += (size_t)sprintf(text + len, "%.4f,oops,1\n", i / 250.0);
		else if (i != 350000)
			len += (size_t)sprintf(text + len, "%.4f,%d,1\n", i / 250.0, i);
	}
	p = write_file("big_bad.csv", text);
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_ERR_FORMAT && rec == NULL);
	CHECK(strstr(why, "line 300002: 'oops' in column 'a_resp' is not a number") != NULL);
	if (!strstr(why, "line 300002"))
		fprintf(stderr, "  why: %s\n", why);
	char *oops = strstr(text, "oops");
	memcpy(oops, "1234", 4);
	p = write_file("big_gap.csv", text);
	CHECK(att_csv_read(p, &rec, why, sizeof why) == ATT_ERR_FORMAT && rec == NULL);
	/* Row 350000 is missing: row 350001 (line 350002) comes two steps after row 349999. */
	CHECK(strstr(why, "line 350002: time is not uniform") != NULL);
	if (!strstr(why, "line 350002"))
		fprintf(stderr, "  why: %s\n", why);
	free(text);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	good_basic();
	good_any_order_extra_columns_no_ppg_crlf_quoted();
	good_rounded_times();
	bad_files();
	long_line_is_refused();
	big_files_read_the_same();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return att_check_done("csv");
}
