/* Raw capture: what is written reads back bit for bit; a torn tail or a damaged record costs only
 * itself; the file refuses to overwrite a session; a full disk is reported and leaves a readable
 * file; the uniform grid fills gaps and annotates them. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "record_fixture.h"
#include "attune/record_raw.h"

static char dir[256];

static struct att_wire_info info_250(void)
{
	struct att_wire_info in;
	memset(&in, 0, sizeof in);
	in.fw_major = 1;
	in.board = ATT_BOARD_ATMEGA328P;
	in.channels = 4;
	in.adc_bits = 10;
	in.rate_hz = 250;
	in.vref_mv = 5000;
	in.names_len = 4;
	memcpy(in.names, "a,b,", 4);
	return in;
}

static struct att_raw_meta meta_ab(void)
{
	struct att_raw_meta m;
	memset(&m, 0, sizeof m);
	m.start_unix_ns = 1764000000123456789LL;
	m.start_host_ns = 5000000000LL;
	snprintf(m.label_a, sizeof m.label_a, "Anna");
	snprintf(m.label_b, sizeof m.label_b, "Ben Berg");
	snprintf(m.note, sizeof m.note, "first session, seated");
	return m;
}

/* Known truth: sample i of the session. */
static struct att_sample sample_at(uint32_t i)
{
	struct att_sample s;
	s.host_ns = 5000000000LL + (int64_t)i * 4000000LL;
	s.counter = 1000u + i;
	s.flags = (uint8_t)(i % 7 == 0 ? ATT_FLAG_SATURATED : 0);
	for (unsigned c = 0; c < 4; c++)
		s.ch[c] = (uint16_t)((i * 2654435761u >> 16) + c * 37u) & 1023u;
	return s;
}

static int same_sample(const struct att_sample *a, const struct att_sample *b)
{
	return a->host_ns == b->host_ns && a->counter == b->counter && a->flags == b->flags &&
	       !memcmp(a->ch, b->ch, sizeof a->ch);
}

static struct att_raw_writer *open_writer(const char *path)
{
	struct att_wire_info in = info_250();
	struct att_raw_meta m = meta_ab();
	struct att_raw_writer_cfg cfg = {path, &in, &m};
	struct att_raw_writer *w = NULL;
	int e = att_raw_writer_new(&cfg, &w);
	CHECK(e == ATT_OK);
	return w;
}

static void write_session(const char *path, uint32_t n, int clean)
{
	struct att_raw_writer *w = open_writer(path);
	if (!w)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct att_sample s = sample_at(i);
		CHECK(att_raw_writer_samples(w, &s, 1) == ATT_OK);
		if (i == 100 || i == 600) {
			struct att_event ev = {.host_ns = s.host_ns};
			ev.kind = i == 100 ? ATT_EV_MARKER : ATT_EV_PACER;
			ev.value = i == 100 ? 0 : 6.0;
			att_event_set_text(&ev, i == 100 ? "eyes closed" : NULL);
			CHECK(att_raw_writer_event(w, &ev) == ATT_OK);
		}
		if (i % 250 == 249)
			CHECK(att_raw_writer_flush(w) == ATT_OK);
	}
	CHECK(att_raw_writer_count(w) == n);
	if (clean)
		CHECK(att_raw_writer_close(w, 99) == ATT_OK);
	else
		att_raw_writer_free(w);
}

static void test_round_trip_keeps_every_field(void)
{
	char path[300];
	struct att_capture *s = NULL;
	struct att_raw_stats st;
	char why[200] = "";
	struct att_wire_info in = info_250();
	struct att_raw_meta m = meta_ab();

	snprintf(path, sizeof path, "%s/round.attraw", dir);
	write_session(path, 3000, 1);
	CHECK(att_raw_read(path, &s, &st, why, sizeof why) == ATT_OK);
	if (!s)
		return;
	CHECK(s->n_samples == 3000);
	CHECK(s->clean_end == 1);
	CHECK(st.ignored_bytes == 0 && st.torn_tail == 0 && st.bad_regions == 0);
	CHECK(st.good_bytes == st.file_bytes);
	int all_same = 1;
	for (uint32_t i = 0; i < s->n_samples; i++) {
		struct att_sample want = sample_at(i);
		all_same &= same_sample(&s->samples[i], &want);
	}
	CHECK(all_same);
	CHECK(!memcmp(&s->info, &in, sizeof in));
	CHECK(s->meta.start_unix_ns == m.start_unix_ns);
	CHECK(s->meta.start_host_ns == m.start_host_ns);
	CHECK(!strcmp(s->meta.label_a, "Anna") && !strcmp(s->meta.label_b, "Ben Berg"));
	CHECK(!strcmp(s->meta.note, "first session, seated"));
	CHECK(s->n_events == 2);
	if (s->n_events == 2) {
		CHECK(s->events[0].kind == ATT_EV_MARKER && s->events[0].sample_index == 101);
		CHECK(s->events[0].host_ns == sample_at(100).host_ns);
		CHECK(s->events[0].t == 101 / 250.0); /* samples before it / rate */
		CHECK(!strcmp(s->events[0].text, "eyes closed"));
		CHECK(s->events[1].kind == ATT_EV_PACER && s->events[1].value == 6.0);
		CHECK(s->events[1].sample_index == 601);
	}
	att_capture_free(s);
}

static void test_existing_session_is_never_overwritten(void)
{
	char path[300];
	struct att_wire_info in = info_250();
	struct att_raw_meta m = meta_ab();
	struct att_raw_writer_cfg cfg = {path, &in, &m};
	struct att_raw_writer *w = (struct att_raw_writer *)1;
	struct stat sb;

	snprintf(path, sizeof path, "%s/round.attraw", dir);
	CHECK(stat(path, &sb) == 0);
	CHECK(att_raw_writer_new(&cfg, &w) == ATT_ERR_IO && w == NULL);
	CHECK(stat(path, &sb) == 0 && sb.st_size > 1000);
	snprintf(path, sizeof path, "%s/no/such/dir/x.attraw", dir);
	CHECK(att_raw_writer_new(&cfg, &w) == ATT_ERR_IO && w == NULL);
}

static void test_torn_tail_after_crash_is_ignored(void)
{
	char path[300];
	struct att_capture *s = NULL;
	struct att_raw_stats st;
	char why[200] = "";
	struct stat sb;

	snprintf(path, sizeof path, "%s/torn.attraw", dir);
	write_session(path, 1300, 0); /* no END: a crash */
	CHECK(stat(path, &sb) == 0);
	/* cut into the last record, as kill -9 inside write(2) would */
	CHECK(truncate(path, sb.st_size - 5) == 0);
	CHECK(att_raw_read(path, &s, &st, why, sizeof why) == ATT_OK);
	if (!s)
		return;
	CHECK(s->clean_end == 0);
	CHECK(st.torn_tail == 1 && st.bad_regions == 1);
	CHECK(st.ignored_bytes > 0 && st.good_bytes + st.ignored_bytes == st.file_bytes);
	/* flushes every 250 samples: the last whole record ends at 1250 */
	CHECK(s->n_samples == 1250);
	int all_same = 1;
	for (uint32_t i = 0; i < s->n_samples; i++) {
		struct att_sample want = sample_at(i);
		all_same &= same_sample(&s->samples[i], &want);
	}
	CHECK(all_same);
	att_capture_free(s);
}

static void test_damaged_record_costs_only_itself(void)
{
	char path[300];
	struct att_capture *s = NULL;
	struct att_raw_stats st;
	char why[200] = "";
	FILE *f;
	uint8_t byte;

	snprintf(path, sizeof path, "%s/round.attraw", dir);
	f = fopen(path, "r+b");
	CHECK(f != NULL);
	if (!f)
		return;
	/* a byte in the middle of the samples: flip it */
	fseek(f, 9000, SEEK_SET);
	CHECK(fread(&byte, 1, 1, f) == 1);
	byte ^= 0x40;
	fseek(f, 9000, SEEK_SET);
	fwrite(&byte, 1, 1, f);
	fclose(f);
	CHECK(att_raw_read(path, &s, &st, why, sizeof why) == ATT_OK);
	if (!s)
		return;
	CHECK(st.bad_regions == 1 && st.torn_tail == 0);
	CHECK(s->clean_end == 1);
	/* one SAMPLES record (at most 512 samples) lost, all later ones kept */
	CHECK(s->n_samples < 3000 && s->n_samples >= 3000 - 512);
	CHECK(s->samples[s->n_samples - 1].counter == 1000u + 2999u);
	att_capture_free(s);
}

static void test_not_a_capture_is_refused_with_a_reason(void)
{
	char path[300], why[200] = "";
	struct att_capture *s = (struct att_capture *)1;
	static const uint8_t junk[] = "t,a_resp,b_resp\n0,1,2\n";
	uint8_t hdr[40];
	FILE *f;

	CHECK(att_raw_parse(junk, sizeof junk, &s, NULL, why, sizeof why) == ATT_ERR_FORMAT);
	CHECK(s == NULL && strstr(why, "not an attune raw capture"));
	CHECK(att_raw_parse(NULL, 0, &s, NULL, why, sizeof why) == ATT_ERR_FORMAT);
	/* a header without records: nothing to recover */
	snprintf(path, sizeof path, "%s/round.attraw", dir);
	f = fopen(path, "rb");
	CHECK(f && fread(hdr, 1, sizeof hdr, f) == sizeof hdr);
	if (f)
		fclose(f);
	CHECK(att_raw_parse(hdr, 32, &s, NULL, why, sizeof why) == ATT_ERR_FORMAT);
	CHECK(strstr(why, "lacks its device info") != NULL);
	hdr[12] ^= 1; /* damaged header, and no record to recover from */
	CHECK(att_raw_parse(hdr, 32, &s, NULL, why, sizeof why) == ATT_ERR_FORMAT);
	CHECK(strstr(why, "no valid header") != NULL);
	snprintf(path, sizeof path, "%s/missing.attraw", dir);
	CHECK(att_raw_read(path, &s, NULL, why, sizeof why) == ATT_ERR_IO);
	CHECK(strstr(why, "cannot open") != NULL);
}

/* A file size limit makes write(2) fail the way a full disk does (EFBIG instead of ENOSPC). */
static void test_full_disk_stops_cleanly_and_keeps_whole_records(void)
{
	char path[300], why[200] = "";
	struct rlimit old;
	struct att_raw_writer *w;
	struct att_capture *s = NULL;
	struct att_raw_stats st;
	int e = ATT_OK;
	uint32_t i;

	snprintf(path, sizeof path, "%s/full.attraw", dir);
	CHECK(att_fsize_limit(&old, 100000) == 0);
	w = open_writer(path);
	for (i = 0; w && i < 20000 && !e; i++) {
		struct att_sample smp = sample_at(i);
		e = att_raw_writer_samples(w, &smp, 1);
		if (!e && i % 250 == 249)
			e = att_raw_writer_flush(w);
	}
	CHECK(e == ATT_ERR_DISK_FULL);
	CHECK(att_raw_writer_error(w) == ATT_ERR_DISK_FULL);
	CHECK(att_raw_writer_samples(w, &(struct att_sample){0}, 1) == ATT_ERR_DISK_FULL);
	CHECK(att_raw_writer_close(w, 0) == ATT_ERR_DISK_FULL);
	att_fsize_restore(&old);
	CHECK(att_raw_read(path, &s, &st, why, sizeof why) == ATT_OK);
	if (!s)
		return;
	/* the file was cut back to its last whole record: nothing damaged, all intact */
	CHECK(st.ignored_bytes == 0);
	CHECK(s->n_samples > 3000 && s->n_samples < i);
	CHECK(s->samples[s->n_samples - 1].counter == 1000u + (uint32_t)s->n_samples - 1u);
	att_capture_free(s);
}

static void test_grid_fills_gaps_and_annotates_them(void)
{
	struct att_capture s;
	struct att_sample smp[6];
	struct att_event ev;
	struct att_grid *g = NULL;

	memset(&s, 0, sizeof s);
	s.info = info_250();
	for (int i = 0; i < 6; i++)
		smp[i] = sample_at((uint32_t)i);
	/* counter jump: 10 samples lost between 1 and 2 */
	for (int i = 2; i < 6; i++) {
		smp[i].counter += 10;
		smp[i].host_ns += 40000000LL;
	}
	/* reconnect: the counter restarts at 0 two seconds later */
	smp[4].counter = 0;
	smp[4].host_ns = smp[3].host_ns + 2000000000LL;
	smp[5].counter = 1;
	smp[5].host_ns = smp[4].host_ns + 4000000LL;
	memset(&ev, 0, sizeof ev);
	ev.kind = ATT_EV_RECONNECT;
	ev.sample_index = 4;
	s.samples = smp;
	s.n_samples = 6;
	s.events = &ev;
	s.n_events = 1;
	CHECK(att_grid_new(&s, 3600, &g) == ATT_OK);
	if (!g)
		return;
	/* 6 measured + 10 + (2 s * 250 - 1) filled */
	CHECK(g->n == 6 + 10 + 499);
	CHECK(g->samples_filled == 10 + 499);
	CHECK(g->filled[1] == 0 && g->filled[2] == 1 && g->filled[11] == 1 && g->filled[12] == 0);
	CHECK(g->ch[0][2] == smp[1].ch[0] && g->ch[3][11] == smp[1].ch[3]);
	CHECK(g->ch[2][12] == smp[2].ch[2]);
	CHECK(g->n_events == 3);
	if (g->n_events == 3) {
		CHECK(g->events[0].kind == ATT_EV_GAP && g->event_at[0] == 2 &&
		      g->events[0].value == 10);
		CHECK(g->events[1].kind == ATT_EV_GAP && g->event_at[1] == 14 &&
		      g->events[1].value == 499);
		CHECK(g->events[2].kind == ATT_EV_RECONNECT && g->event_at[2] == 14 + 499);
		/* t is the grid position: filled samples count as time */
		CHECK(g->events[1].t == 14 / 250.0 && g->events[2].t == (14 + 499) / 250.0);
	}
	att_grid_free(g);
	s.n_samples = 0;
	CHECK(att_grid_new(&s, 3600, &g) == ATT_ERR_NO_DATA && g == NULL);
}

/* A text longer than the reader keeps (another writer's) is cut between characters. */
static void test_reader_cuts_long_text_between_characters(void)
{
	char path[300], why[200] = "";
	struct att_capture *s = NULL;
	uint8_t rec[8 + 25 + 2 + 200 + 4];
	size_t len = 25 + 2 + 200;
	FILE *f;

	snprintf(path, sizeof path, "%s/longtext.attraw", dir);
	write_session(path, 10, 0);
	memset(rec, 0, sizeof rec);
	rec[0] = 0x5A;
	rec[1] = 0xA5;
	rec[2] = 4; /* EVENT */
	att_wire_put_u32(rec + 4, (uint32_t)len);
	rec[8 + 16] = ATT_EV_MARKER;
	att_wire_put_u16(rec + 8 + 25, 200);
	/* 100 two-byte characters: a cut at 127 bytes would fall inside the 64th */
	for (int i = 0; i < 100; i++)
		memcpy(rec + 8 + 27 + 2 * i, "\xc3\xa9", 2);
	att_wire_put_u32(rec + 8 + len, att_crc32(0, rec + 2, 6 + len));
	f = fopen(path, "ab");
	CHECK(f && fwrite(rec, 1, sizeof rec, f) == sizeof rec);
	if (f)
		fclose(f);
	CHECK(att_raw_read(path, &s, NULL, why, sizeof why) == ATT_OK);
	if (s && s->n_events == 1)
		CHECK(strlen(s->events[0].text) == 126 &&
		      !memcmp(s->events[0].text, rec + 8 + 27, 126));
	else
		CHECK(!"the long event read back");
	att_capture_free(s);
}

static void test_crc32_is_the_ieee_one(void)
{
	CHECK(att_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u);
}

/* Field by field: struct att_sample has padding. */
static int same_samples(const struct att_sample *a, const struct att_sample *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].host_ns != b[i].host_ns || a[i].counter != b[i].counter ||
		    a[i].flags != b[i].flags || memcmp(a[i].ch, b[i].ch, sizeof a[i].ch))
			return 0;
	return 1;
}

/* The capture's own damage: one flipped bit in the header, or a block of records written twice
 * (here the whole body), costs no intact sample and adds none. */
static void test_damaged_header_and_repeated_records_lose_and_add_nothing(void)
{
	char path[300], why[200] = "";
	struct att_capture *orig = NULL, *s = NULL;
	struct att_raw_stats st;
	uint8_t *buf;
	long size;
	FILE *f;

	snprintf(path, sizeof path, "%s/round.attraw", dir);
	CHECK(att_raw_read(path, &orig, NULL, why, sizeof why) == ATT_OK);
	f = fopen(path, "rb");
	CHECK(f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > ATT_RAW_HEADER_SIZE);
	if (!f || !orig || size <= ATT_RAW_HEADER_SIZE)
		return;
	buf = malloc(2 * (size_t)size);
	rewind(f);
	CHECK(buf && fread(buf, 1, (size_t)size, f) == (size_t)size);
	fclose(f);
	for (int bit = 0; bit < 8 * 28; bit += 37) { /* magic, version, sizes, times, CRC */
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(att_raw_parse(buf, (size_t)size, &s, &st, why, sizeof why) == ATT_OK);
		CHECK(s && s->n_samples == orig->n_samples && st.header_damaged);
		CHECK(s && same_samples(s->samples, orig->samples, orig->n_samples));
		att_capture_free(s);
		s = NULL;
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	memcpy(buf + size, buf + ATT_RAW_HEADER_SIZE, (size_t)size - ATT_RAW_HEADER_SIZE);
	CHECK(att_raw_parse(buf, 2 * (size_t)size - ATT_RAW_HEADER_SIZE, &s, &st, why,
	                    sizeof why) == ATT_OK);
	CHECK(s && s->n_samples == orig->n_samples && st.duplicate_samples == orig->n_samples);
	CHECK(s && same_samples(s->samples, orig->samples, orig->n_samples));
	att_capture_free(s);
	att_capture_free(orig);
	free(buf);
}

int main(void)
{
	if (att_tmpdir_make(dir, sizeof dir, "att_record_raw"))
		return 1;
	test_crc32_is_the_ieee_one();
	test_round_trip_keeps_every_field();
	test_existing_session_is_never_overwritten();
	test_torn_tail_after_crash_is_ignored();
	test_damaged_record_costs_only_itself();
	test_not_a_capture_is_refused_with_a_reason();
	test_damaged_header_and_repeated_records_lose_and_add_nothing();
	test_full_disk_stops_cleanly_and_keeps_whole_records();
	test_grid_fills_gaps_and_annotates_them();
	test_reader_cuts_long_text_between_characters();
	att_tmpdir_done(dir);
	return att_check_done("record_raw");
}
