/* EDF+ writer and reader on top of EDFlib (see record_edf.h). */
#include "attune/record_edf.h"

#include <edflib.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "attune/private_file.h"
#include "attune/utf8.h"
#include "attune/wire.h"

static const char *const raw_labels[ATT_WIRE_CHANNELS] = {"Resp A", "PPG A", "Resp B", "PPG B"};

/* Derived channels use the full 16-bit range; the lowest code stands for "not computed". */
#define DER_DIG_MIN (-32768)
#define DER_DIG_MAX 32767

/* Physical value of the lowest digital code of a derived channel: one step of the scale below
 * lo, so "not computed" never reads back as a valid value. */
static void derived_range(const struct att_edf_derived_signal *d, double *pmin, double *pmax)
{
	double span = d->hi - d->lo;
	double step = span / (double)(DER_DIG_MAX - DER_DIG_MIN - 1);
	*pmin = d->lo - step;
	*pmax = d->hi;
}

static short derived_code(const struct att_edf_derived_signal *d, float v)
{
	double pmin, pmax, x;
	derived_range(d, &pmin, &pmax);
	if (!isfinite(v))
		return (short)DER_DIG_MIN;
	if (v < d->lo)
		v = (float)d->lo;
	if (v > d->hi)
		v = (float)d->hi;
	x = (double)DER_DIG_MIN + ((double)v - pmin) / (pmax - pmin) * (DER_DIG_MAX - DER_DIG_MIN);
	x = floor(x + 0.5);
	if (x <= DER_DIG_MIN)
		x = DER_DIG_MIN + 1;
	if (x > DER_DIG_MAX)
		x = DER_DIG_MAX;
	return (short)x;
}

/* "Anna Berg" -> "Anna_Berg": EDF+ subfields are separated by spaces. */
static int set_header(int h, const struct att_capture *s, const struct att_edf_derived *d)
{
	char a[ATT_RAW_LABEL_MAX], b[ATT_RAW_LABEL_MAX], name[2 * ATT_RAW_LABEL_MAX + 8];
	char equip[64];
	const struct att_wire_info *in = &s->info;
	int bits = in->adc_bits;
	double vmax = (double)in->vref_mv * (double)((1L << bits) - 1) / (double)(1L << bits);
	int ok = 0;

	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++) {
		ok |= edf_set_samplefrequency(h, (int)c, in->rate_hz);
		/* 16-bit counts do not fit EDF's signed 16 bits: store them shifted by 32768 */
		ok |= edf_set_digital_minimum(h, (int)c, bits >= 16 ? -32768 : 0);
		ok |= edf_set_digital_maximum(h, (int)c,
		                              bits >= 16 ? 32767 : (int)((1L << bits) - 1));
		ok |= edf_set_physical_minimum(h, (int)c, 0.0);
		ok |= edf_set_physical_maximum(h, (int)c, vmax > 0 ? vmax : 1.0);
		ok |= edf_set_physical_dimension(h, (int)c, "mV");
		ok |= edf_set_label(h, (int)c, raw_labels[c]);
		ok |= edf_set_transducer(h, (int)c, (c & 1u) ? "PPG sensor" : "respiration belt");
	}
	for (size_t k = 0; d && k < d->n_signals; k++) {
		char pre[81];
		double pmin, pmax;
		int sig = (int)(ATT_WIRE_CHANNELS + k);
		derived_range(&d->sig[k], &pmin, &pmax);
		ok |= edf_set_samplefrequency(h, sig, 1);
		ok |= edf_set_digital_minimum(h, sig, DER_DIG_MIN);
		ok |= edf_set_digital_maximum(h, sig, DER_DIG_MAX);
		ok |= edf_set_physical_minimum(h, sig, pmin);
		ok |= edf_set_physical_maximum(h, sig, pmax);
		ok |= edf_set_physical_dimension(h, sig, d->sig[k].unit ? d->sig[k].unit : "");
		ok |= edf_set_label(h, sig, d->sig[k].label);
		snprintf(pre, sizeof pre, "NaN=%.6g (not computed)", pmin);
		ok |= edf_set_prefilter(h, sig, pre);
	}
	{
		time_t secs = (time_t)(s->meta.start_unix_ns / 1000000000LL);
		long long sub = (s->meta.start_unix_ns % 1000000000LL) / 100;
		struct tm tm;
		if (s->meta.start_unix_ns > 0 && gmtime_r(&secs, &tm) &&
		    tm.tm_year + 1900 >= 1985 && tm.tm_year + 1900 <= 2084) {
			ok |= edf_set_startdatetime(h, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			                            tm.tm_hour, tm.tm_min, tm.tm_sec);
			/* EDFlib advises 100 us resolution */
			ok |= edf_set_subsecond_starttime(h, (int)(sub / 1000 * 1000));
		}
	}
	/* EDF headers are ASCII: an honest plain form (Björn -> Bjorn, else '?'); the full names
	 * stay in NAME.json and the raw capture */
	att_utf8_to_ascii(s->meta.label_a[0] ? s->meta.label_a : "A", '_', a, sizeof a);
	att_utf8_to_ascii(s->meta.label_b[0] ? s->meta.label_b : "B", '_', b, sizeof b);
	snprintf(name, sizeof name, "A_%s,B_%s", a, b);
	ok |= edf_set_patientname(h, name);
	if (s->meta.note[0]) {
		char note[ATT_RAW_NOTE_MAX];
		att_utf8_to_ascii(s->meta.note, ' ', note, sizeof note);
		ok |= edf_set_recording_additional(h, note);
	}
	snprintf(equip, sizeof equip, "attune fw%u.%u.%u", in->fw_major, in->fw_minor,
	         in->fw_patch);
	ok |= edf_set_equipment(h, equip);
	return ok ? -1 : 0;
}

static void event_text(const struct att_event *e, char *buf, size_t len)
{
	switch (e->kind) {
	case ATT_EV_MARKER:
		snprintf(buf, len, "%s", e->text[0] ? e->text : "marker");
		break;
	case ATT_EV_RECONNECT:
		snprintf(buf, len, "reconnect%s%s", e->text[0] ? ": " : "", e->text);
		break;
	case ATT_EV_PACER:
		if (e->value > 0)
			snprintf(buf, len, "pacer %.1f/min", e->value);
		else
			snprintf(buf, len, "pacer off");
		break;
	case ATT_EV_GAP:
		snprintf(buf, len, "gap %.0f samples", e->value);
		break;
	case ATT_EV_PHASE:
		snprintf(buf, len, "phase %s", e->text);
		break;
	case ATT_EV_GUIDE:
		att_event_label(e, buf, len);
		break;
	default:
		snprintf(buf, len, "%s", e->text[0] ? e->text : "note");
		break;
	}
}

/* Makes the renamed file's directory entry durable too. */
static void sync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;
	if (!slash) {
		snprintf(dir, sizeof dir, ".");
	} else if (slash == path) {
		snprintf(dir, sizeof dir, "/");
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof dir)
			return;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int att_edf_write(const char *path, const struct att_capture *s, const struct att_grid *g,
                  const struct att_edf_derived *derived, char *why, size_t why_len)
{
	char tmp[4096];
	size_t rate, records, pad, nsig_der;
	short *buf = NULL;
	int h, e = ATT_OK, fd;

	if (!path || !s || !g)
		return att_fail(why, why_len, ATT_ERR_ARG, "att_edf_write: missing argument");
	if (!g->n)
		return att_fail(why, why_len, ATT_ERR_NO_DATA, "%s: the session holds no samples",
		                path);
	if (derived && derived->n_signals > ATT_EDF_DERIVED_MAX)
		return att_fail(why, why_len, ATT_ERR_ARG, "too many derived channels");
	if (s->info.adc_bits < 1 || s->info.adc_bits > 16 || s->info.rate_hz < 1)
		return att_fail(why, why_len, ATT_ERR_ARG, "%s: implausible device info", path);
	nsig_der = derived ? derived->n_signals : 0;
	rate = s->info.rate_hz;
	records = (g->n + rate - 1) / rate;
	pad = records * rate - g->n;

	/* our own private temporary (EDFlib reports only "cannot open": this says why), which
	 * EDFlib then reopens by name */
	if ((fd = att_private_temp(path, tmp, sizeof tmp, why, why_len)) < 0)
		return fd;
	close(fd);

	h = edfopen_file_writeonly(tmp, EDFLIB_FILETYPE_EDFPLUS,
	                           (int)(ATT_WIRE_CHANNELS + nsig_der));
	if (h < 0) {
		unlink(tmp);
		return att_fail(why, why_len, ATT_ERR_IO, "EDFlib cannot create %s (error %d)", tmp,
		                h);
	}
	if (set_header(h, s, derived)) {
		e = att_fail(why, why_len, ATT_ERR_ARG, "EDFlib refused the header of %s", tmp);
		goto out;
	}
	{
		/* annotations live in their own signal, one block per data record: give them room */
		size_t ne = g->n_events + 1;
		int nann = (int)(1 + ne / (records ? records : 1));
		if (nann > 64)
			nann = 64;
		if (edf_set_number_of_annotation_signals(h, nann)) {
			e = att_fail(why, why_len, ATT_ERR_ARG,
			             "EDFlib refused %d annotation signals", nann);
			goto out;
		}
	}
	buf = malloc((rate > 1 ? rate : 1) * sizeof *buf);
	if (!buf) {
		e = att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory writing %s", path);
		goto out;
	}
	for (size_t r = 0; r < records && !e; r++) {
		for (unsigned c = 0; c < ATT_WIRE_CHANNELS && !e; c++) {
			for (size_t i = 0; i < rate; i++) {
				size_t k = r * rate + i;
				unsigned v = g->ch[c][k < g->n ? k : g->n - 1];
				buf[i] =
				        s->info.adc_bits >= 16 ? (short)((int)v - 32768) : (short)v;
			}
			if (edfwrite_digital_short_samples(h, buf))
				e = att_fail(why, why_len, att_err_from_errno(errno),
				             "writing %s failed: %s", tmp,
				             strerror(errno ? errno : EIO));
		}
		for (size_t k = 0; k < nsig_der && !e; k++) {
			const struct att_edf_derived_signal *d = &derived->sig[k];
			buf[0] = derived_code(d, r < derived->n ? d->v[r] : NAN);
			if (edfwrite_digital_short_samples(h, buf))
				e = att_fail(why, why_len, att_err_from_errno(errno),
				             "writing %s failed: %s", tmp,
				             strerror(errno ? errno : EIO));
		}
	}
	for (size_t i = 0; i < g->n_events && !e; i++) {
		char text[ATT_EVENT_TEXT_MAX + 32];
		/* onset in units of 100 us */
		long long onset =
		        (long long)((double)g->event_at[i] * 10000.0 / (double)rate + 0.5);
		long long dur = -1;
		event_text(&g->events[i], text, sizeof text);
		if (g->events[i].kind == ATT_EV_GAP) {
			/* the gap's filled samples start at event_at */
			dur = (long long)(g->events[i].value * 10000.0 / (double)rate + 0.5);
		}
		if (edfwrite_annotation_utf8(h, onset, dur, text))
			e = att_fail(why, why_len, ATT_ERR_IO, "EDFlib refused an annotation in %s",
			             tmp);
	}
	if (!e && pad) {
		char text[64];
		long long onset = (long long)((double)g->n * 10000.0 / (double)rate + 0.5);
		snprintf(text, sizeof text, "end padding %zu samples", pad);
		if (edfwrite_annotation_utf8(
		            h, onset, (long long)((double)pad * 10000.0 / (double)rate + 0.5),
		            text))
			e = att_fail(why, why_len, ATT_ERR_IO, "EDFlib refused an annotation in %s",
			             tmp);
	}
out:
	free(buf);
	errno = 0;
	if (edfclose_file(h) && !e)
		e = att_fail(why, why_len, att_err_from_errno(errno ? errno : EIO),
		             "finishing %s failed: %s", tmp, strerror(errno ? errno : EIO));
	if (!e) {
		/* EDFlib does not report every failed fwrite (a full disk can go unnoticed): read
		 * the file back; EDFlib refuses one whose size does not match its header */
		struct edf_hdr_struct *chk = calloc(1, sizeof *chk);
		int hc = chk ? edfopen_file_readonly(tmp, chk, EDFLIB_DO_NOT_READ_ANNOTATIONS) : -1;
		if (hc < 0 || chk->datarecords_in_file != (long long)records) {
			struct statvfs vfs;
			int full = statvfs(tmp, &vfs) == 0 && vfs.f_bavail == 0;
			e = att_fail(why, why_len, full ? ATT_ERR_DISK_FULL : ATT_ERR_IO,
			             "writing %s failed: the file came out incomplete%s", tmp,
			             full ? " (no space left on the disk)"
			                  : " (disk full or I/O error?)");
		}
		if (hc >= 0)
			edfclose_file(hc);
		free(chk);
	}
	if (!e)
		e = att_private_commit(tmp, path, why, why_len);
	if (e) {
		unlink(tmp);
		return e;
	}
	sync_dir_of(path);
	return ATT_OK;
}

/* ---- reading ---- */

static int find_label(const struct edf_hdr_struct *hdr, const char *want)
{
	for (int i = 0; i < hdr->edfsignals; i++) {
		char l[17];
		size_t n;
		snprintf(l, sizeof l, "%s", hdr->signalparam[i].label);
		n = strlen(l);
		while (n && l[n - 1] == ' ')
			l[--n] = '\0';
		if (!strcasecmp(l, want))
			return i;
	}
	return -1;
}

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

/* The k-th (0-based) signal whose label contains one of the needles, not already taken. */
static int find_kind(const struct edf_hdr_struct *hdr, const char *n1, const char *n2,
                     const int taken[4], int k)
{
	for (int i = 0; i < hdr->edfsignals; i++) {
		const char *l = hdr->signalparam[i].label;
		int used = 0;
		for (int c = 0; c < 4; c++)
			used |= taken[c] == i;
		if (used)
			continue;
		if (contains_ci(l, n1) || (n2 && contains_ci(l, n2))) {
			if (k-- == 0)
				return i;
		}
	}
	return -1;
}

static const char *edf_open_error(int code)
{
	switch (code) {
	case EDFLIB_MALLOC_ERROR:
		return "out of memory";
	case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY:
		return "no such file";
	case EDFLIB_FILE_CONTAINS_FORMAT_ERRORS:
		return "not a valid EDF/EDF+ file (damaged, truncated or another format)";
	case EDFLIB_MAXFILES_REACHED:
		return "too many EDF files open";
	case EDFLIB_FILE_READ_ERROR:
		return "read error";
	case EDFLIB_FILE_ALREADY_OPENED:
		return "the file is already open";
	case EDFLIB_FILETYPE_ERROR:
		return "not an EDF/EDF+ file";
	case EDFLIB_FILE_IS_DISCONTINUOUS:
		return "discontinuous EDF+D files are not supported (export it as EDF+C)";
	default:
		return "cannot be read as EDF";
	}
}

/* EDFlib's "read error" says nothing: what is wrong with the file, in words. */
static int unreadable(const char *path, char *why, size_t why_len)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return att_fail(why, why_len, att_err_from_errno(errno), "cannot read the file: %s",
		                strerror(errno));
	if (S_ISDIR(st.st_mode))
		return att_fail(why, why_len, ATT_ERR_IO, "a folder, not a recording");
	if (st.st_size == 0)
		return att_fail(why, why_len, ATT_ERR_FORMAT, "the file is empty (0 bytes)");
	return att_fail(why, why_len, ATT_ERR_FORMAT,
	                "the EDF header is cut short (the file has %lld bytes): the file is "
	                "incomplete or damaged",
	                (long long)st.st_size);
}

/* The annotation as the event event_text() wrote it from (t and sample_index left to the caller);
 * 0 for attune's end padding, which is no event. An EDF+ file cannot tell a marker with a text
 * from a note (both are written as the bare text), so bare texts come back as notes. */
/* "guide NAME" (began) or an observer's "guide pause (NAME)" back into an ATT_EV_GUIDE. */
static void guide_annotation(const char *a, struct att_event *ev)
{
	char name[ATT_EVENT_TEXT_MAX];
	size_t len = strlen(a);

	ev->value = ATT_GUIDE_BEGAN;
	att_event_set_text(ev, a);
	for (int c = ATT_GUIDE_CTL_START; c <= ATT_GUIDE_CTL_BACK; c++) {
		const char *w = att_guide_control_name(c);
		size_t n = strlen(w);
		if (!strncmp(a, w, n) && a[n] == ' ' && a[n + 1] == '(' && len > n + 3 &&
		    a[len - 1] == ')' && len - n - 3 < sizeof name) {
			memcpy(name, a + n + 2, len - n - 3);
			name[len - n - 3] = 0;
			ev->value = c;
			att_event_set_text(ev, name);
			return;
		}
	}
}

static int annotation_event(const char *a, struct att_event *ev)
{
	long long n;
	double bpm;
	int end = 0;

	memset(ev, 0, sizeof *ev);
	if (!strncmp(a, "end padding ", 12))
		return 0;
	if (sscanf(a, "gap %lld samples%n", &n, &end) == 1 && end && !a[end] && n > 0) {
		ev->kind = ATT_EV_GAP;
		ev->value = (double)n;
		att_event_set_text(ev, a);
	} else if (!strcmp(a, "pacer off")) {
		ev->kind = ATT_EV_PACER;
	} else if (sscanf(a, "pacer %lf/min%n", &bpm, &end) == 1 && end && !a[end]) {
		ev->kind = ATT_EV_PACER;
		ev->value = bpm;
	} else if (!strcmp(a, "reconnect")) {
		ev->kind = ATT_EV_RECONNECT;
	} else if (!strncmp(a, "reconnect: ", 11)) {
		ev->kind = ATT_EV_RECONNECT;
		att_event_set_text(ev, a + 11);
	} else if (!strcmp(a, "marker")) {
		ev->kind = ATT_EV_MARKER;
	} else if (!strncmp(a, "phase ", 6) && a[6]) {
		ev->kind =
		        ATT_EV_PHASE; /* value (its index) is the caller's: the order they come in */
		att_event_set_text(ev, a + 6);
	} else if (!strncmp(a, "guide ", 6) && a[6]) {
		ev->kind = ATT_EV_GUIDE;
		guide_annotation(a + 6, ev);
	} else {
		ev->kind = ATT_EV_NOTE;
		att_event_set_text(ev, strcmp(a, "note") ? a : NULL);
	}
	return 1;
}

/* EDF+ patient name as attune writes it, "A_<label>,B_<label>" (EDF forbids spaces, so '_' stands
 * for them; EDFlib hands the subfield back with underscores already turned into spaces): back to
 * the labels; a plain "A"/"B" means no label was given. */
static void labels_from_patient(const char *name, struct att_recording_meta *m)
{
	const char *comma = strchr(name, ',');
	if (name[0] != 'A' || (name[1] != '_' && name[1] != ' ') || !comma || comma[1] != 'B' ||
	    (comma[2] != '_' && comma[2] != ' '))
		return;
	snprintf(m->label_a, sizeof m->label_a, "%.*s", (int)(comma - name - 2), name + 2);
	snprintf(m->label_b, sizeof m->label_b, "%s", comma + 3);
	for (char *p = m->label_a; *p; p++)
		if (*p == '_')
			*p = ' ';
	for (char *p = m->label_b; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (!strcmp(m->label_a, "A"))
		m->label_a[0] = 0;
	if (!strcmp(m->label_b, "B"))
		m->label_b[0] = 0;
}

/* Start, participants, note and frames lost from the header and the gap annotations. */
static void read_meta(const struct edf_hdr_struct *hdr, struct att_recording_meta *m)
{
	if (hdr->startdate_year >= 1985) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = hdr->startdate_year - 1900;
		tm.tm_mon = hdr->startdate_month - 1;
		tm.tm_mday = hdr->startdate_day;
		tm.tm_hour = hdr->starttime_hour;
		tm.tm_min = hdr->starttime_minute;
		tm.tm_sec = hdr->starttime_second;
		/* starttime_subsecond counts 100 ns units */
		m->start_unix_ns = (int64_t)timegm(&tm) * 1000000000LL +
		                   (int64_t)hdr->starttime_subsecond * 100LL;
	}
	labels_from_patient(hdr->patient_name, m);
	snprintf(m->note, sizeof m->note, "%s", hdr->recording_additional);
	/* trailing blanks of the fixed-width header field */
	for (size_t l = strlen(m->note); l && m->note[l - 1] == ' '; l--)
		m->note[l - 1] = 0;
	m->frames_lost = 0;
}

int att_edf_read(const char *path, struct att_recording **out, char *why, size_t why_len)
{
	struct edf_hdr_struct *hdr;
	struct att_recording *rec = NULL;
	int sig[4] = {-1, -1, -1, -1}, h, e = ATT_OK;
	unsigned mask = 0;
	long long n = -1;
	int spr = 0;
	int *buf = NULL;
	FILE *f;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!path)
		return ATT_ERR_ARG;
	/* EDFlib says only "no such file" for every open failure: ask the system first */
	f = fopen(path, "rb");
	if (!f)
		return att_fail(why, why_len, errno == EACCES ? ATT_ERR_PERMISSION : ATT_ERR_IO,
		                "cannot open it: %s", strerror(errno));
	fclose(f);
	hdr = calloc(1, sizeof *hdr);
	if (!hdr)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	/* every annotation signal: attune spreads busy sessions over several */
	h = edfopen_file_readonly(path, hdr, EDFLIB_READ_ALL_ANNOTATIONS);
	if (h < 0) {
		int code = hdr->filetype;
		free(hdr);
		if (code == EDFLIB_FILE_READ_ERROR)
			return unreadable(path, why, why_len);
		return att_fail(why, why_len,
		                code == EDFLIB_MALLOC_ERROR ? ATT_ERR_NOMEM : ATT_ERR_FORMAT, "%s",
		                edf_open_error(code));
	}
	for (int c = 0; c < 4; c++)
		sig[c] = find_label(hdr, raw_labels[c]);
	if (sig[0] < 0 || sig[2] < 0) {
		for (int c = 0; c < 4; c++)
			sig[c] = -1;
		sig[0] = find_kind(hdr, "resp", NULL, sig, 0);
		sig[2] = find_kind(hdr, "resp", NULL, sig, 0);
		sig[1] = find_kind(hdr, "ppg", "pleth", sig, 0);
		sig[3] = find_kind(hdr, "ppg", "pleth", sig, 0);
	}
	if (sig[0] < 0 || sig[2] < 0) {
		e = att_fail(why, why_len, ATT_ERR_FORMAT,
		             "needs two respiration signals (labelled \"Resp A\" and \"Resp B\")");
		goto out;
	}
	for (int c = 0; c < 4; c++) {
		const struct edf_param_struct *p;
		if (sig[c] < 0)
			continue;
		p = &hdr->signalparam[sig[c]];
		if (n < 0) {
			n = p->smp_in_file;
			spr = p->smp_in_datarecord;
		} else if (p->smp_in_datarecord != spr) {
			e = att_fail(why, why_len, ATT_ERR_FORMAT,
			             "signal \"%s\" has another sample rate than \"%s\"; "
			             "resample it to one rate first",
			             p->label, hdr->signalparam[sig[0]].label);
			goto out;
		}
		if (p->smp_in_file < n)
			n = p->smp_in_file;
		mask |= 1u << c;
	}
	/* attune pads the last data record and says so: leave the padding out */
	for (long long i = 0; i < hdr->annotations_in_file; i++) {
		struct edf_annotation_struct an;
		long long pad;
		if (edf_get_annotation(h, (int)i, &an) == 0 &&
		    sscanf(an.annotation, "end padding %lld samples", &pad) == 1 && pad > 0 &&
		    pad < n && pad < spr)
			n -= pad;
	}
	if (n <= 0 || spr <= 0 || hdr->datarecord_duration <= 0) {
		e = att_fail(why, why_len, ATT_ERR_FORMAT, "the file holds no samples");
		goto out;
	}
	e = att_recording_new((double)spr * (double)EDFLIB_TIME_DIMENSION /
	                              (double)hdr->datarecord_duration,
	                      (size_t)n, mask, &rec);
	if (e) {
		att_fail(why, why_len, e, "%s", att_strerror(e));
		goto out;
	}
	buf = malloc(65536 * sizeof *buf);
	if (!buf) {
		e = att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int c = 0; c < 4 && !e; c++) {
		long long done = 0;
		if (sig[c] < 0)
			continue;
		edfrewind(h, sig[c]);
		while (done < n) {
			int want = n - done > 65536 ? 65536 : (int)(n - done);
			int got = edfread_digital_samples(h, sig[c], want, buf);
			if (got <= 0) {
				e = att_fail(
				        why, why_len, ATT_ERR_FORMAT,
				        "the file is shorter than its header says (truncated?)");
				break;
			}
			for (int i = 0; i < got; i++)
				rec->ch[c][done + i] = (float)buf[i];
			done += got;
		}
	}
	if (!e)
		read_meta(hdr, &rec->meta);
	/* annotations are the session's events; attune's "gap N samples" ones (onset, duration)
	 * also mark the samples it filled in */
	for (long long i = 0, phases = 0; i < hdr->annotations_in_file && !e; i++) {
		struct edf_annotation_struct an;
		struct att_event ev;
		double at;
		if (edf_get_annotation(h, (int)i, &an) || an.onset < 0 ||
		    !annotation_event(an.annotation, &ev))
			continue;
		ev.t = (double)an.onset / (double)EDFLIB_TIME_DIMENSION;
		at = ev.t * rec->rate_hz;
		ev.sample_index = (uint64_t)llround(at);
		if (ev.kind == ATT_EV_PHASE)
			ev.value = (double)phases++;
		if (ev.kind == ATT_EV_GAP) {
			rec->meta.frames_lost += (long long)ev.value;
			if (att_recording_mark_filled(rec, (size_t)llround(at), (size_t)ev.value))
				e = att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
		if (!e && att_recording_add_event(rec, &ev))
			e = att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
out:
	free(buf);
	edfclose_file(h);
	free(hdr);
	if (e) {
		att_recording_free(rec);
		return e;
	}
	rec->t0 = 0.0;
	*out = rec;
	return ATT_OK;
}
