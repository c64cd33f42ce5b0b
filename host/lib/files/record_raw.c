/* Raw capture writer and reader (see record_raw.h for the format).
 *
 * The writer encodes records into one buffer allocated at start and hands whole records to
 * write(2); a SAMPLES record stays open while samples arrive and is sealed (length, count, CRC)
 * before anything is written, so the file never holds half a record except when the process dies
 * inside write(2), which the reader's checksum catches. */
#include "attune/record_raw.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC              "ATTRAW\r\n"
#define SYNC0              0x5Au /* u16 0xA55A little-endian */
#define SYNC1              0xA5u
#define REC_HEAD           8u /* sync, type, 0, u32 length */
#define REC_CRC            4u
#define SAMPLE_BYTES       21u
#define SAMPLES_HEAD       10u /* u64 first index, u16 count */
/* 512 samples = 2 s at 250 Hz: records stay small, so a torn tail costs little. */
#define SAMPLES_PER_RECORD 512u
#define BUF_SIZE           (64u * 1024u)

enum rec_type { REC_INFO = 1, REC_META = 2, REC_SAMPLES = 3, REC_EVENT = 4, REC_END = 5 };

uint32_t att_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	/* nibble table: small, constant, fast enough for a few kB/s */
	static const uint32_t t[16] = {
	        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
	        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
	        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
	};
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ t[crc & 15u];
		crc = (crc >> 4) ^ t[crc & 15u];
	}
	return ~crc;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	att_wire_put_u32(p, (uint32_t)v);
	att_wire_put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)att_wire_get_u32(p) | ((uint64_t)att_wire_get_u32(p + 4) << 32);
}

static uint64_t f64_bits(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	return u;
}

static double bits_f64(uint64_t u)
{
	double v;
	memcpy(&v, &u, sizeof v);
	return v;
}

struct att_raw_writer {
	int fd;
	int err; /* sticky */
	uint8_t *buf;
	size_t len;     /* bytes in buf */
	size_t open_at; /* offset of the open SAMPLES record, or SIZE_MAX */
	unsigned open_count;
	uint64_t count;   /* samples appended */
	uint64_t durable; /* file bytes known to be whole records */
};

static void seal(uint8_t *rec, size_t payload)
{
	att_wire_put_u32(rec + 4, (uint32_t)payload);
	att_wire_put_u32(rec + REC_HEAD + payload, att_crc32(0, rec + 2, REC_HEAD - 2 + payload));
}

static uint8_t *begin_record(struct att_raw_writer *w, uint8_t type)
{
	uint8_t *r = w->buf + w->len;
	r[0] = SYNC0;
	r[1] = SYNC1;
	r[2] = type;
	r[3] = 0;
	return r;
}

static void close_samples(struct att_raw_writer *w)
{
	uint8_t *r;
	size_t payload;

	if (w->open_at == SIZE_MAX)
		return;
	r = w->buf + w->open_at;
	payload = SAMPLES_HEAD + (size_t)w->open_count * SAMPLE_BYTES;
	att_wire_put_u16(r + REC_HEAD + 8, (uint16_t)w->open_count);
	seal(r, payload);
	w->len = w->open_at + REC_HEAD + payload + REC_CRC;
	w->open_at = SIZE_MAX;
	w->open_count = 0;
}

/* Writes the sealed bytes. On failure cuts the file back to its last whole record, so a full
 * disk leaves a file that reads back cleanly. */
static int drain(struct att_raw_writer *w)
{
	size_t off = 0;

	if (w->err)
		return w->err;
	close_samples(w);
	while (off < w->len) {
		ssize_t k = write(w->fd, w->buf + off, w->len - off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			w->err = att_err_from_errno(errno);
			if (ftruncate(w->fd, (off_t)w->durable) != 0) {
				/* nothing more to do: the reader's checksums catch the torn tail */
			}
			return w->err;
		}
		off += (size_t)k;
	}
	w->durable += w->len;
	w->len = 0;
	return ATT_OK;
}

static int need(struct att_raw_writer *w, size_t bytes)
{
	if (w->err)
		return w->err;
	if (w->len + bytes > BUF_SIZE)
		return drain(w);
	return ATT_OK;
}

/* Bytes of s kept when at most max bytes may be: cut at a UTF-8 character boundary, so a text
 * never reads back with half a character. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static size_t put_str(uint8_t *p, const char *s, size_t max)
{
	size_t n = s ? utf8_cut(s, strnlen(s, max), max - 1) : 0;
	att_wire_put_u16(p, (uint16_t)n);
	if (n)
		memcpy(p + 2, s, n);
	return 2 + n;
}

int att_raw_writer_info(struct att_raw_writer *w, const struct att_wire_info *info)
{
	uint8_t *r, *p;
	int e;
	unsigned nl;

	if (!w || !info)
		return ATT_ERR_ARG;
	close_samples(w);
	if ((e = need(w, REC_HEAD + 12 + ATT_WIRE_NAMES_MAX + REC_CRC)))
		return e;
	nl = info->names_len > ATT_WIRE_NAMES_MAX ? ATT_WIRE_NAMES_MAX : info->names_len;
	r = begin_record(w, REC_INFO);
	p = r + REC_HEAD;
	p[0] = info->fw_major;
	p[1] = info->fw_minor;
	p[2] = info->fw_patch;
	p[3] = info->board;
	p[4] = info->channels;
	p[5] = info->adc_bits;
	att_wire_put_u16(p + 6, info->rate_hz);
	att_wire_put_u16(p + 8, info->vref_mv);
	p[10] = info->streaming;
	p[11] = (uint8_t)nl;
	memcpy(p + 12, info->names, nl);
	seal(r, 12 + nl);
	w->len += REC_HEAD + 12 + nl + REC_CRC;
	return ATT_OK;
}

static int write_meta(struct att_raw_writer *w, const struct att_raw_meta *m)
{
	uint8_t *r, *p;
	size_t n;
	int e;

	if ((e = need(w, REC_HEAD + 16 + 6 + 2 * ATT_RAW_LABEL_MAX + ATT_RAW_NOTE_MAX + REC_CRC)))
		return e;
	r = begin_record(w, REC_META);
	p = r + REC_HEAD;
	put_u64(p, (uint64_t)m->start_unix_ns);
	put_u64(p + 8, (uint64_t)m->start_host_ns);
	n = 16;
	n += put_str(p + n, m->label_a, ATT_RAW_LABEL_MAX);
	n += put_str(p + n, m->label_b, ATT_RAW_LABEL_MAX);
	n += put_str(p + n, m->note, ATT_RAW_NOTE_MAX);
	seal(r, n);
	w->len += REC_HEAD + n + REC_CRC;
	return ATT_OK;
}

int att_raw_writer_new(const struct att_raw_writer_cfg *cfg, struct att_raw_writer **out)
{
	struct att_raw_writer *w;
	uint8_t *h;
	int e;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !cfg->path || !cfg->info || !cfg->meta)
		return ATT_ERR_ARG;
	w = calloc(1, sizeof *w);
	if (!w)
		return ATT_ERR_NOMEM;
	w->buf = malloc(BUF_SIZE);
	if (!w->buf) {
		free(w);
		return ATT_ERR_NOMEM;
	}
	w->open_at = SIZE_MAX;
	/* health data: private (a umask only takes bits away) */
	w->fd = open(cfg->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		int saved = errno;
		e = att_err_from_errno(saved);
		free(w->buf);
		free(w);
		errno = saved;
		return e;
	}
	h = w->buf;
	memset(h, 0, ATT_RAW_HEADER_SIZE);
	memcpy(h, MAGIC, 8);
	att_wire_put_u16(h + 8, ATT_RAW_VERSION);
	att_wire_put_u16(h + 10, ATT_RAW_HEADER_SIZE);
	att_wire_put_u32(h + 28, att_crc32(0, h, 28));
	w->len = ATT_RAW_HEADER_SIZE;
	if ((e = att_raw_writer_info(w, cfg->info)) || (e = write_meta(w, cfg->meta)) ||
	    (e = att_raw_writer_flush(w))) {
		int saved = errno; /* the caller may want to name the cause */
		close(w->fd);
		unlink(cfg->path); /* never leave a session file that holds nothing */
		free(w->buf);
		free(w);
		errno = saved;
		return e;
	}
	*out = w;
	return ATT_OK;
}

int att_raw_writer_samples(struct att_raw_writer *w, const struct att_sample *s, size_t n)
{
	int e;

	if (!w || (!s && n))
		return ATT_ERR_ARG;
	for (size_t i = 0; i < n; i++) {
		uint8_t *p;
		if (w->open_at == SIZE_MAX) {
			if ((e = need(w, REC_HEAD + SAMPLES_HEAD +
			                         (size_t)SAMPLES_PER_RECORD * SAMPLE_BYTES +
			                         REC_CRC)))
				return e;
			w->open_at = w->len;
			begin_record(w, REC_SAMPLES);
			put_u64(w->buf + w->open_at + REC_HEAD, w->count);
			w->len += REC_HEAD + SAMPLES_HEAD;
		} else if (w->err) {
			return w->err;
		}
		p = w->buf + w->len;
		put_u64(p, (uint64_t)s[i].host_ns);
		att_wire_put_u32(p + 8, s[i].counter);
		p[12] = s[i].flags;
		for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
			att_wire_put_u16(p + 13 + 2 * c, s[i].ch[c]);
		w->len += SAMPLE_BYTES;
		w->count++;
		if (++w->open_count == SAMPLES_PER_RECORD)
			close_samples(w);
	}
	return ATT_OK;
}

int att_raw_writer_event(struct att_raw_writer *w, const struct att_event *ev)
{
	uint8_t *r, *p;
	size_t n;
	int e;

	/* gaps are what readers find in the counters, never written */
	if (!w || !ev || ev->kind < ATT_EV_MARKER || ev->kind > ATT_EV_KIND_MAX ||
	    ev->kind == ATT_EV_GAP)
		return ATT_ERR_ARG;
	close_samples(w);
	if ((e = need(w, REC_HEAD + 25 + 2 + ATT_RAW_TEXT_MAX + REC_CRC)))
		return e;
	r = begin_record(w, REC_EVENT);
	p = r + REC_HEAD;
	put_u64(p, w->count);
	put_u64(p + 8, (uint64_t)ev->host_ns);
	p[16] = ev->kind;
	put_u64(p + 17, f64_bits(ev->value));
	n = 25 + put_str(p + 25, ev->text, ATT_RAW_TEXT_MAX);
	seal(r, n);
	w->len += REC_HEAD + n + REC_CRC;
	return ATT_OK;
}

int att_raw_writer_flush(struct att_raw_writer *w)
{
	int e;

	if (!w)
		return ATT_ERR_ARG;
	if ((e = drain(w)))
		return e;
	if (fdatasync(w->fd) != 0) {
		w->err = att_err_from_errno(errno);
		return w->err;
	}
	return ATT_OK;
}

uint64_t att_raw_writer_count(const struct att_raw_writer *w)
{
	return w ? w->count : 0;
}

int att_raw_writer_error(const struct att_raw_writer *w)
{
	return w ? w->err : ATT_ERR_ARG;
}

int att_raw_writer_close(struct att_raw_writer *w, int64_t host_ns)
{
	int e;

	if (!w)
		return ATT_OK;
	close_samples(w);
	if (!need(w, REC_HEAD + 16 + REC_CRC)) {
		uint8_t *r = begin_record(w, REC_END);
		put_u64(r + REC_HEAD, w->count);
		put_u64(r + REC_HEAD + 8, (uint64_t)host_ns);
		seal(r, 16);
		w->len += REC_HEAD + 16 + REC_CRC;
	}
	att_raw_writer_flush(w);
	e = w->err;
	if (close(w->fd) != 0 && !e)
		e = att_err_from_errno(errno);
	free(w->buf);
	free(w);
	return e;
}

void att_raw_writer_free(struct att_raw_writer *w)
{
	if (!w)
		return;
	att_raw_writer_flush(w);
	close(w->fd);
	free(w->buf);
	free(w);
}

/* ---- reading ---- */

static void say(char *why, size_t why_len, const char *msg)
{
	if (why && why_len)
		snprintf(why, why_len, "%s", msg);
}

int att_raw_is_capture(const uint8_t *buf, size_t len)
{
	return buf && len >= 8 && !memcmp(buf, MAGIC, 8);
}

static void get_str(const uint8_t *p, size_t n, char *dst, size_t max)
{
	size_t k = utf8_cut((const char *)p, n, max - 1);
	memcpy(dst, p, k);
	dst[k] = '\0';
}

/* Reads a str field at *off of a payload of len bytes; 0 when it does not fit. */
static int take_str(const uint8_t *pl, size_t len, size_t *off, char *dst, size_t max)
{
	size_t n;
	if (*off + 2 > len)
		return 0;
	n = att_wire_get_u16(pl + *off);
	if (*off + 2 + n > len)
		return 0;
	get_str(pl + *off + 2, n, dst, max);
	*off += 2 + n;
	return 1;
}

/* Length of the valid record at p (of avail bytes), 0 when there is none. */
static size_t valid_record(const uint8_t *p, size_t avail)
{
	uint32_t len;
	if (avail < REC_HEAD + REC_CRC || p[0] != SYNC0 || p[1] != SYNC1)
		return 0;
	len = att_wire_get_u32(p + 4);
	if (len > ATT_RAW_MAX_PAYLOAD || (size_t)len + REC_HEAD + REC_CRC > avail)
		return 0;
	if (att_crc32(0, p + 2, REC_HEAD - 2 + len) != att_wire_get_u32(p + REC_HEAD + len))
		return 0;
	return REC_HEAD + len + REC_CRC;
}

static int grow(void **arr, size_t *cap, size_t need_n, size_t elem)
{
	size_t nc;
	void *p;
	if (need_n <= *cap)
		return ATT_OK;
	nc = *cap ? *cap : 1024;
	while (nc < need_n)
		nc *= 2;
	p = realloc(*arr, nc * elem);
	if (!p)
		return ATT_ERR_NOMEM;
	*arr = p;
	*cap = nc;
	return ATT_OK;
}

static int parse_info(const uint8_t *pl, size_t len, struct att_wire_info *info)
{
	if (len < 12 || len != 12u + pl[11] || pl[11] > ATT_WIRE_NAMES_MAX)
		return 0;
	memset(info, 0, sizeof *info);
	info->fw_major = pl[0];
	info->fw_minor = pl[1];
	info->fw_patch = pl[2];
	info->board = pl[3];
	info->channels = pl[4];
	info->adc_bits = pl[5];
	info->rate_hz = att_wire_get_u16(pl + 6);
	info->vref_mv = att_wire_get_u16(pl + 8);
	info->streaming = pl[10];
	info->names_len = pl[11];
	memcpy(info->names, pl + 12, pl[11]);
	return 1;
}

/* A SAMPLES record: what it holds beyond the samples already read (by the writer's numbering). */
static int apply_samples(struct att_capture *s, size_t *cap_s, uint64_t *next_index,
                         struct att_raw_stats *st, const uint8_t *pl, size_t len)
{
	size_t count, skip;
	uint64_t first;
	if (len < SAMPLES_HEAD)
		return ATT_OK;
	first = get_u64(pl);
	count = att_wire_get_u16(pl + 8);
	if (len != SAMPLES_HEAD + count * SAMPLE_BYTES)
		return ATT_OK;
	/* the writer numbers its samples: a record repeated (a block appended twice) or
	 * overlapping one already read adds only what is new */
	skip = first < *next_index
	               ? (size_t)(*next_index - first < count ? *next_index - first : count)
	               : 0;
	st->duplicate_samples += skip;
	if (first + count > *next_index)
		*next_index = first + count;
	if (grow((void **)&s->samples, cap_s, s->n_samples + count - skip, sizeof *s->samples))
		return ATT_ERR_NOMEM;
	for (size_t i = skip; i < count; i++) {
		const uint8_t *p = pl + SAMPLES_HEAD + i * SAMPLE_BYTES;
		struct att_sample *o = &s->samples[s->n_samples++];
		o->host_ns = (int64_t)get_u64(p);
		o->counter = att_wire_get_u32(p + 8);
		o->flags = p[12];
		for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
			o->ch[c] = att_wire_get_u16(p + 13 + 2 * c);
	}
	return ATT_OK;
}

/* Applies one valid record to the session; unknown or malformed payloads are ignored (their
 * checksum was right, so a newer writer made them). Returns ATT_ERR_NOMEM only. */
static int apply(struct att_capture *s, int *have_info, int *have_meta, size_t *cap_s,
                 size_t *cap_e, uint64_t *next_index, struct att_raw_stats *st, uint8_t type,
                 const uint8_t *pl, size_t len)
{
	switch (type) {
	case REC_INFO: {
		struct att_wire_info info;
		if (!parse_info(pl, len, &info))
			return ATT_OK;
		if (!*have_info) {
			s->info = info;
			*have_info = 1;
		} else if (info.rate_hz != s->info.rate_hz) {
			st->rate_changed = 1;
		}
		return ATT_OK;
	}
	case REC_META: {
		struct att_raw_meta m;
		size_t off = 16;
		if (*have_meta || len < 16)
			return ATT_OK;
		memset(&m, 0, sizeof m);
		m.start_unix_ns = (int64_t)get_u64(pl);
		m.start_host_ns = (int64_t)get_u64(pl + 8);
		if (!take_str(pl, len, &off, m.label_a, sizeof m.label_a) ||
		    !take_str(pl, len, &off, m.label_b, sizeof m.label_b) ||
		    !take_str(pl, len, &off, m.note, sizeof m.note))
			return ATT_OK;
		s->meta = m;
		*have_meta = 1;
		return ATT_OK;
	}
	case REC_SAMPLES:
		return apply_samples(s, cap_s, next_index, st, pl, len);
	case REC_EVENT: {
		struct att_event ev;
		size_t off = 25;
		if (len < 25)
			return ATT_OK;
		memset(&ev, 0, sizeof ev);
		ev.sample_index = get_u64(pl);
		ev.host_ns = (int64_t)get_u64(pl + 8);
		ev.kind = pl[16];
		ev.value = bits_f64(get_u64(pl + 17));
		if (!take_str(pl, len, &off, ev.text, sizeof ev.text))
			return ATT_OK;
		/* events from a damaged region could point past what survived: keep them at the end */
		if (grow((void **)&s->events, cap_e, s->n_events + 1, sizeof *s->events))
			return ATT_ERR_NOMEM;
		s->events[s->n_events++] = ev;
		return ATT_OK;
	}
	case REC_END:
		s->clean_end = 1;
		return ATT_OK;
	default:
		return ATT_OK;
	}
}

int att_raw_parse(const uint8_t *buf, size_t len, struct att_capture **out,
                  struct att_raw_stats *stats, char *why, size_t why_len)
{
	struct att_raw_stats st;
	struct att_capture *s;
	size_t pos, cap_s = 0, cap_e = 0, bad_from = SIZE_MAX;
	uint64_t next_index = 0;
	int have_info = 0, have_meta = 0, header_ok;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	memset(&st, 0, sizeof st);
	st.file_bytes = len;
	if (stats)
		*stats = st;
	if (!buf || len < ATT_RAW_HEADER_SIZE) {
		say(why, why_len, "not an attune raw capture (shorter than its header)");
		return ATT_ERR_FORMAT;
	}
	/* a damaged header loses nothing: the records carry the essentials (INFO, META) and their
	 * own checksums, so they are looked for after where the header ends */
	header_ok =
	        att_raw_is_capture(buf, len) && att_crc32(0, buf, 28) == att_wire_get_u32(buf + 28);
	st.header_damaged = !header_ok;
	if (header_ok && att_wire_get_u16(buf + 8) != ATT_RAW_VERSION) {
		say(why, why_len,
		    "the raw capture was written by another attune version "
		    "(format version differs); use that version to read it");
		return ATT_ERR_FORMAT;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return ATT_ERR_NOMEM;
	pos = header_ok ? att_wire_get_u16(buf + 10) : ATT_RAW_HEADER_SIZE;
	if (pos < ATT_RAW_HEADER_SIZE || pos > len)
		pos = ATT_RAW_HEADER_SIZE;
	st.good_bytes = pos;
	while (pos < len) {
		size_t n = valid_record(buf + pos, len - pos);
		if (!n) {
			if (bad_from == SIZE_MAX)
				bad_from = pos;
			pos++;
			continue;
		}
		if (bad_from != SIZE_MAX) {
			st.bad_regions++;
			st.ignored_bytes += pos - bad_from;
			bad_from = SIZE_MAX;
		}
		if (apply(s, &have_info, &have_meta, &cap_s, &cap_e, &next_index, &st, buf[pos + 2],
		          buf + pos + REC_HEAD, n - REC_HEAD - REC_CRC)) {
			att_capture_free(s);
			say(why, why_len, "out of memory reading the raw capture");
			return ATT_ERR_NOMEM;
		}
		st.records++;
		st.good_bytes += n;
		pos += n;
	}
	if (bad_from != SIZE_MAX) {
		st.bad_regions++;
		st.ignored_bytes += len - bad_from;
		st.torn_tail = 1;
	}
	if (stats)
		*stats = st;
	if (!have_info || !have_meta) {
		att_capture_free(s);
		say(why, why_len,
		    header_ok ? "the raw capture lacks its device info or session record; "
		                "nothing can be recovered"
		              : "not an attune raw capture (no valid header, and no intact "
		                "records to recover from)");
		return ATT_ERR_FORMAT;
	}
	if (s->info.rate_hz < ATT_WIRE_RATE_MIN || s->info.rate_hz > 1000u ||
	    s->info.adc_bits < 1 || s->info.adc_bits > 16) {
		att_capture_free(s);
		say(why, why_len,
		    "the raw capture's device info is implausible "
		    "(sample rate or ADC bits out of range)");
		return ATT_ERR_FORMAT;
	}
	/* events must point inside what survived */
	for (size_t i = 0; i < s->n_events; i++) {
		if (s->events[i].sample_index > s->n_samples)
			s->events[i].sample_index = s->n_samples;
		s->events[i].t = (double)s->events[i].sample_index / s->info.rate_hz;
	}
	*out = s;
	return ATT_OK;
}

int att_raw_read(const char *path, struct att_capture **out, struct att_raw_stats *stats, char *why,
                 size_t why_len)
{
	FILE *f;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int e;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!path)
		return ATT_ERR_ARG;
	f = fopen(path, "rb");
	if (!f) {
		if (why && why_len)
			snprintf(why, why_len, "cannot open it: %s", strerror(errno));
		return errno == EACCES ? ATT_ERR_PERMISSION : ATT_ERR_IO;
	}
	for (;;) {
		size_t k;
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 1u << 16;
			uint8_t *nb = realloc(buf, nc);
			if (!nb) {
				free(buf);
				fclose(f);
				say(why, why_len, "out of memory reading the raw capture");
				return ATT_ERR_NOMEM;
			}
			buf = nb;
			cap = nc;
		}
		k = fread(buf + len, 1, cap - len, f);
		len += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		if (why && why_len)
			snprintf(why, why_len, "cannot read it: %s", strerror(errno));
		free(buf);
		fclose(f);
		return ATT_ERR_IO;
	}
	fclose(f);
	e = att_raw_parse(buf, len, out, stats, why, why_len);
	free(buf);
	return e;
}

void att_capture_free(struct att_capture *s)
{
	if (!s)
		return;
	free(s->samples);
	free(s->events);
	free(s);
}

/* ---- uniform grid ---- */

/* Samples missing between two consecutive samples. A counter that steps forward by a plausible
 * amount is trusted; otherwise (restart after a reconnect, wrap of a fresh device) the gap is
 * estimated from the host clock. */
static uint64_t missing_between(const struct att_sample *a, const struct att_sample *b, double rate,
                                uint64_t max_gap)
{
	uint32_t d = b->counter - a->counter;
	double est;
	if (d >= 1 && d - 1 <= max_gap)
		return d - 1;
	est = (double)(b->host_ns - a->host_ns) * rate / 1e9 - 1.0;
	if (!(est > 0.5))
		return 0;
	if (est > (double)max_gap)
		return max_gap;
	return (uint64_t)llround(est);
}

int att_grid_new(const struct att_capture *s, double max_gap_s, struct att_grid **out)
{
	struct att_grid *g;
	uint64_t max_gap, total = 0, gaps = 0;
	size_t *pos = NULL, k, ev, ne;
	double rate;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!s || s->info.rate_hz == 0)
		return ATT_ERR_ARG;
	if (!s->n_samples)
		return ATT_ERR_NO_DATA;
	rate = s->info.rate_hz;
	max_gap = (uint64_t)(max_gap_s > 0 ? max_gap_s * rate : 3600.0 * rate);
	for (size_t i = 0; i < s->n_samples; i++) {
		if (i) {
			uint64_t m =
			        missing_between(&s->samples[i - 1], &s->samples[i], rate, max_gap);
			total += m;
			gaps += m > 0;
		}
		total++;
	}
	g = calloc(1, sizeof *g);
	if (!g)
		return ATT_ERR_NOMEM;
	g->rate_hz = rate;
	g->n = (size_t)total;
	ne = s->n_events + (size_t)gaps;
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
		g->ch[c] = malloc(g->n * sizeof *g->ch[c]);
	g->filled = calloc(g->n, 1);
	g->events = calloc(ne ? ne : 1, sizeof *g->events);
	g->event_at = calloc(ne ? ne : 1, sizeof *g->event_at);
	pos = malloc((s->n_samples + 1) * sizeof *pos);
	if (!g->ch[0] || !g->ch[1] || !g->ch[2] || !g->ch[3] || !g->filled || !g->events ||
	    !g->event_at || !pos) {
		free(pos);
		att_grid_free(g);
		return ATT_ERR_NOMEM;
	}
	k = 0;
	ev = 0;
	for (size_t i = 0; i < s->n_samples; i++) {
		if (i) {
			uint64_t m =
			        missing_between(&s->samples[i - 1], &s->samples[i], rate, max_gap);
			for (uint64_t j = 0; j < m; j++, k++) {
				for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
					g->ch[c][k] = s->samples[i - 1].ch[c];
				g->filled[k] = 1;
			}
			g->samples_filled += m;
			if (m) {
				struct att_event *e = &g->events[g->n_events];
				memset(e, 0, sizeof *e);
				e->kind = ATT_EV_GAP;
				e->sample_index = i;
				e->host_ns = s->samples[i].host_ns;
				e->value = (double)m;
				snprintf(e->text, sizeof e->text, "gap %llu samples",
				         (unsigned long long)m);
				g->event_at[g->n_events++] = k - (size_t)m;
			}
		}
		pos[i] = k;
		for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
			g->ch[c][k] = s->samples[i].ch[c];
		k++;
	}
	pos[s->n_samples] = k;
	for (ev = 0; ev < s->n_events; ev++) {
		uint64_t si = s->events[ev].sample_index;
		if (si > s->n_samples)
			si = s->n_samples;
		g->events[g->n_events] = s->events[ev];
		g->event_at[g->n_events++] = pos[si];
	}
	free(pos);
	for (size_t i = 0; i < g->n_events; i++)
		g->events[i].t = (double)g->event_at[i] / rate;
	/* keep events in time order: insertion sort, events are few and nearly sorted */
	for (size_t i = 1; i < g->n_events; i++) {
		struct att_event e = g->events[i];
		size_t at = g->event_at[i], j = i;
		while (j > 0 && g->event_at[j - 1] > at) {
			g->events[j] = g->events[j - 1];
			g->event_at[j] = g->event_at[j - 1];
			j--;
		}
		g->events[j] = e;
		g->event_at[j] = at;
	}
	*out = g;
	return ATT_OK;
}

void att_grid_free(struct att_grid *g)
{
	if (!g)
		return;
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
		free(g->ch[c]);
	free(g->filled);
	free(g->events);
	free(g->event_at);
	free(g);
}

/* ---- as a recording ---- */

int att_grid_to_recording(const struct att_capture *s, const struct att_grid *g,
                          struct att_recording **out)
{
	struct att_recording *rec;
	int e;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!s || !g)
		return ATT_ERR_ARG;
	if ((e = att_recording_new(g->rate_hz, g->n, 0xFu, &rec)))
		return e;
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
		for (size_t k = 0; k < g->n; k++)
			rec->ch[c][k] = (float)g->ch[c][k];
	for (size_t k = 0; k < g->n && !e; k++)
		if (g->filled[k])
			e = att_recording_mark_filled(rec, k, 1);
	for (size_t i = 0; i < g->n_events && !e; i++) {
		struct att_event ev = g->events[i];
		ev.sample_index = g->event_at[i];
		ev.t = (double)g->event_at[i] / g->rate_hz;
		e = att_recording_add_event(rec, &ev);
	}
	if (e) {
		att_recording_free(rec);
		return e;
	}
	rec->meta.start_unix_ns = s->meta.start_unix_ns;
	snprintf(rec->meta.label_a, sizeof rec->meta.label_a, "%s", s->meta.label_a);
	snprintf(rec->meta.label_b, sizeof rec->meta.label_b, "%s", s->meta.label_b);
	snprintf(rec->meta.note, sizeof rec->meta.note, "%s", s->meta.note);
	rec->meta.frames_lost = (long long)g->samples_filled;
	*out = rec;
	return ATT_OK;
}

int att_capture_to_recording(const struct att_capture *s, struct att_recording **out)
{
	struct att_grid *g;
	int e;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if ((e = att_grid_new(s, ATT_GRID_MAX_GAP_S, &g)))
		return e;
	e = att_grid_to_recording(s, g, out);
	att_grid_free(g);
	return e;
}
