/* EDF+ writer and reader: the counts written come back exactly, the padding of the last data
 * record is left out on reading, annotations and header fields land where EDF+ readers look,
 * derived channels keep their values within the digital resolution and "not computed" reads
 * back below the valid range; bad files get a one-line reason; a failed write leaves nothing. */
#include <edflib.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "record_fixture.h"
#include "attune/record_edf.h"
#include "attune/record_raw.h"

static char dir[256];

/* 30.5 s at 250 Hz with 10 samples lost at 10 s, a marker and a pacer change. */
static struct att_capture *make_session(void)
{
	struct att_capture *s = calloc(1, sizeof *s);
	size_t n = 7625 - 10;
	s->info.adc_bits = 10;
	s->info.rate_hz = 250;
	s->info.vref_mv = 5000;
	s->info.channels = 4;
	s->info.fw_major = 1;
	s->info.fw_minor = 2;
	s->info.fw_patch = 3;
	s->meta.start_unix_ns = 1764028800250000000LL; /* 2025-11-25 00:00:00.25 UTC */
	snprintf(s->meta.label_a, sizeof s->meta.label_a, "Anna");
	snprintf(s->meta.label_b, sizeof s->meta.label_b, "Ben Berg");
	snprintf(s->meta.note, sizeof s->meta.note, "seated, eyes open");
	s->samples = calloc(n, sizeof *s->samples);
	s->n_samples = n;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = (uint32_t)(i < 2500 ? i : i + 10); /* position on the grid */
		s->samples[i].counter = k;
		s->samples[i].host_ns = (int64_t)k * 4000000LL;
		for (unsigned c = 0; c < 4; c++)
			s->samples[i].ch[c] =
			        (uint16_t)(512 +
			                   400 * sin(2 * M_PI * (0.25 + 0.9 * c) * k / 250.0));
	}
	s->events = calloc(2, sizeof *s->events);
	s->n_events = 2;
	s->events[0].kind = ATT_EV_MARKER;
	s->events[0].sample_index = 1250;
	snprintf(s->events[0].text, sizeof s->events[0].text, "eyes closed");
	s->events[1].kind = ATT_EV_PACER;
	s->events[1].sample_index = 5000 - 10;
	s->events[1].value = 6.0;
	return s;
}

static int has_annotation(int h, long long n, const char *text, double onset_s)
{
	for (long long i = 0; i < n; i++) {
		struct edf_annotation_struct a;
		if (edf_get_annotation(h, (int)i, &a))
			continue;
		if (!strcmp(a.annotation, text) &&
		    fabs((double)a.onset / EDFLIB_TIME_DIMENSION - onset_s) < 1e-3)
			return 1;
	}
	return 0;
}

static void test_counts_annotations_and_header_round_trip(void)
{
	struct att_capture *s = make_session();
	struct att_grid *g = NULL;
	struct att_recording *rec = NULL;
	struct edf_hdr_struct hdr;
	char path[300], why[200] = "";
	struct stat sb;
	int h;

	CHECK(att_grid_new(s, 3600, &g) == ATT_OK);
	CHECK(g && g->n == 7625);
	snprintf(path, sizeof path, "%s/s.edf", dir);
	CHECK(att_edf_write(path, s, g, NULL, why, sizeof why) == ATT_OK);
	CHECK(stat(path, &sb) == 0);
	{
		char tmp[320];
		snprintf(tmp, sizeof tmp, "%s.tmp", path);
		CHECK(stat(tmp, &sb) != 0);
	}
	CHECK(att_edf_read(path, &rec, why, sizeof why) == ATT_OK);
	if (rec && g) {
		CHECK(rec->rate_hz == 250.0);
		CHECK(rec->n == g->n); /* 31 data records, the 125 padding samples left out */
		int same = 1;
		for (unsigned c = 0; c < 4; c++)
			for (size_t k = 0; k < g->n; k++)
				same &= rec->ch[c][k] == (float)g->ch[c][k];
		CHECK(same);
	}
	h = edfopen_file_readonly(path, &hdr, EDFLIB_READ_ALL_ANNOTATIONS);
	CHECK(h >= 0);
	if (h >= 0) {
		CHECK(hdr.filetype == EDFLIB_FILETYPE_EDFPLUS);
		CHECK(hdr.edfsignals == 4);
		CHECK(!strcmp(hdr.signalparam[0].label, "Resp A          "));
		CHECK(!strncmp(hdr.signalparam[1].label, "PPG A", 5));
		CHECK(!strncmp(hdr.signalparam[2].label, "Resp B", 6));
		CHECK(!strncmp(hdr.signalparam[3].label, "PPG B", 5));
		CHECK(!strncmp(hdr.signalparam[0].physdimension, "mV", 2));
		CHECK(hdr.signalparam[0].dig_min == 0 && hdr.signalparam[0].dig_max == 1023);
		CHECK_NEAR(hdr.signalparam[0].phys_max, 5000.0 * 1023 / 1024, 1e-3);
		CHECK(hdr.signalparam[0].smp_in_datarecord == 250);
		CHECK(hdr.datarecords_in_file == 31);
		CHECK(hdr.startdate_year == 2025 && hdr.startdate_month == 11 &&
		      hdr.startdate_day == 25 && hdr.starttime_hour == 0);
		CHECK(hdr.starttime_subsecond == 2500000);
		CHECK(!strcmp(hdr.patient_name, "A Anna,B Ben Berg"));
		CHECK(!strncmp(hdr.recording_additional, "seated, eyes open", 17));
		CHECK(!strncmp(hdr.equipment, "attune fw1.2.3", 14));
		CHECK(has_annotation(h, hdr.annotations_in_file, "eyes closed", 5.0));
		CHECK(has_annotation(h, hdr.annotations_in_file, "gap 10 samples", 10.0));
		CHECK(has_annotation(h, hdr.annotations_in_file, "pacer 6.0/min", 20.0));
		CHECK(has_annotation(h, hdr.annotations_in_file, "end padding 125 samples", 30.5));
		edfclose_file(h);
	}
	att_recording_free(rec);
	att_grid_free(g);
	att_capture_free(s);
}

static void test_derived_channels_keep_values_and_mark_missing_ones(void)
{
	struct att_capture *s = make_session();
	struct att_grid *g = NULL;
	struct att_edf_derived d;
	struct edf_hdr_struct hdr;
	float match[31], rate[31];
	double back[31];
	char path[300], why[200] = "";
	int h;

	for (int i = 0; i < 31; i++) {
		match[i] = i < 3 ? NAN : (float)(i / 31.0);
		rate[i] = (float)(6.0 + 0.1 * i);
	}
	memset(&d, 0, sizeof d);
	d.n = 31;
	d.n_signals = 2;
	d.sig[0] = (struct att_edf_derived_signal){"Match", "", 0, 1, match};
	d.sig[1] = (struct att_edf_derived_signal){"Breath rate A", "bpm", 0, 60, rate};
	CHECK(att_grid_new(s, 3600, &g) == ATT_OK);
	snprintf(path, sizeof path, "%s/d.edf", dir);
	CHECK(att_edf_write(path, s, g, &d, why, sizeof why) == ATT_OK);
	h = edfopen_file_readonly(path, &hdr, EDFLIB_DO_NOT_READ_ANNOTATIONS);
	CHECK(h >= 0);
	if (h >= 0) {
		CHECK(hdr.edfsignals == 6);
		CHECK(!strncmp(hdr.signalparam[4].label, "Match", 5));
		CHECK(hdr.signalparam[4].smp_in_datarecord == 1);
		CHECK(edfread_physical_samples(h, 4, 31, back) == 31);
		for (int i = 0; i < 31; i++) {
			if (i < 3)
				CHECK(back[i] < 0); /* "not computed" lies below the valid range */
			else
				CHECK_NEAR(back[i], match[i], 1.0 / 65535 + 1e-6);
		}
		CHECK(edfread_physical_samples(h, 5, 31, back) == 31);
		for (int i = 0; i < 31; i++)
			CHECK_NEAR(back[i], rate[i], 60.0 / 65535 + 1e-5);
		edfclose_file(h);
	}
	att_grid_free(g);
	att_capture_free(s);
}

static void test_bad_files_get_one_line_reasons(void)
{
	struct att_capture *s = make_session();
	struct att_grid *g = NULL;
	struct att_recording *rec = (struct att_recording *)1;
	char path[300], why[200] = "";
	struct stat sb;
	FILE *f;

	CHECK(att_grid_new(s, 3600, &g) == ATT_OK);
	snprintf(path, sizeof path, "%s/t.edf", dir);
	CHECK(att_edf_write(path, s, g, NULL, why, sizeof why) == ATT_OK);
	CHECK(stat(path, &sb) == 0);
	CHECK(truncate(path, sb.st_size / 2) == 0);
	CHECK(att_edf_read(path, &rec, why, sizeof why) == ATT_ERR_FORMAT);
	CHECK(rec == NULL && strstr(why, "not a valid EDF") && !strchr(why, '\n'));

	snprintf(path, sizeof path, "%s/garbage.edf", dir);
	f = fopen(path, "wb");
	for (int i = 0; f && i < 4000; i++)
		fputc((i * 7919) & 255, f);
	if (f)
		fclose(f);
	why[0] = '\0';
	CHECK(att_edf_read(path, &rec, why, sizeof why) == ATT_ERR_FORMAT);
	CHECK(strstr(why, "not") != NULL);

	snprintf(path, sizeof path, "%s/missing.edf", dir);
	CHECK(att_edf_read(path, &rec, why, sizeof why) == ATT_ERR_IO);
	CHECK(strstr(why, "cannot open") != NULL);

	snprintf(path, sizeof path, "%s/no/dir/x.edf", dir);
	CHECK(att_edf_write(path, s, g, NULL, why, sizeof why) == ATT_ERR_IO);
	CHECK(strstr(why, "cannot write") != NULL);
	att_grid_free(g);
	att_capture_free(s);
}

/* A file size limit fails writes the way a full disk does. */
static void test_full_disk_leaves_no_file(void)
{
	struct att_capture *s = make_session();
	struct att_grid *g = NULL;
	struct rlimit old;
	char path[300], tmp[320], why[200] = "";
	struct stat sb;
	int e;

	CHECK(att_grid_new(s, 3600, &g) == ATT_OK);
	snprintf(path, sizeof path, "%s/full.edf", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	att_fsize_limit(&old, 20000);
	e = att_edf_write(path, s, g, NULL, why, sizeof why);
	att_fsize_restore(&old);
	CHECK(e == ATT_ERR_DISK_FULL || e == ATT_ERR_IO);
	CHECK(why[0] != '\0');
	CHECK(stat(path, &sb) != 0 && stat(tmp, &sb) != 0);
	att_grid_free(g);
	att_capture_free(s);
}

int main(void)
{
	if (att_tmpdir_make(dir, sizeof dir, "att_record_edf"))
		return 1;
	test_counts_annotations_and_header_round_trip();
	test_derived_channels_keep_values_and_mark_missing_ones();
	test_bad_files_get_one_line_reasons();
	test_full_disk_leaves_no_file();
	att_tmpdir_done(dir);
	return att_check_done("record_edf");
}
