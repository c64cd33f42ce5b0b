/* CSV reader for the analyze contract (csv.h).
 *
 * The file is streamed through one fixed buffer and parsed in place, with a hand-written decimal
 * parser for the common "-12.345e-6" shape (strtod only for anything unusual), because a 1-hour
 * 250 Hz file is 900k lines and per-line allocations or strtod on every field would dominate
 * `attune analyze`. Channel arrays grow by doubling, so memory is the samples plus one buffer.
 * Invariant: a recording is handed out only when every line parsed and the time column was
 * uniform; otherwise `why` holds one line naming the line number and the problem. */
#include "attune/csv.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BUF_SIZE (1u << 20) /* also the longest line accepted */
#define MAX_COLS 256

/* filled (optional, as attune writes it): 1 where the sample was filled in a gap */
static const char *const names[6] = {"t", "a_resp", "a_ppg", "b_resp", "b_ppg", "filled"};

struct reader {
	char *why;
	size_t why_len;
	size_t line; /* 1-based number of the line being parsed */
	int ncols;
	int role[MAX_COLS]; /* -1 ignored, 0 = t, 1 + channel (channel 4: filled) */
	unsigned mask;      /* channels present (bit 4: filled) */
	float *ch[5];
	size_t n, cap;
	double t0, t_prev, dt_est;
};

static int fail(struct reader *r, int err, const char *fmt, ...)
{
	if (r->why && r->why_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->why, r->why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks and one pair of surrounding quotes from [*b, *e). */
static void trim(const char **b, const char **e)
{
	while (*b < *e && is_space(**b))
		(*b)++;
	while (*e > *b && is_space((*e)[-1]))
		(*e)--;
	if (*e - *b >= 2 &&
	    ((**b == '"' && (*e)[-1] == '"') || (**b == '\'' && (*e)[-1] == '\''))) {
		(*b)++;
		(*e)--;
		while (*b < *e && is_space(**b))
			(*b)++;
		while (*e > *b && is_space((*e)[-1]))
			(*e)--;
	}
}

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parses a whole field [b, e) as a number. The fast path is exact (correctly rounded) whenever
 * the digits fit in 2^53 and the power of ten is at most 1e22, as both are exact doubles;
 * anything else goes to strtod. Returns 0 when the field is not a number. */
static int parse_number(const char *b, const char *e, double *out)
{
	const char *p = b;
	int neg = 0;
	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	uint64_t mant = 0;
	int digits = 0, frac = 0, any = 0;
	while (p < e && *p >= '0' && *p <= '9') {
		if (mant || *p != '0')
			digits++;
		mant = mant * 10 + (uint64_t)(*p - '0');
		p++;
		any = 1;
	}
	if (p < e && *p == '.') {
		p++;
		while (p < e && *p >= '0' && *p <= '9') {
			if (mant || *p != '0')
				digits++;
			mant = mant * 10 + (uint64_t)(*p - '0');
			frac++;
			p++;
			any = 1;
		}
	}
	int ex = 0;
	if (any && p < e && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0, edig = 0;
		if (p < e && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		while (p < e && *p >= '0' && *p <= '9' && edig < 6) {
			ex = ex * 10 + (*p - '0');
			p++;
			edig++;
		}
		if (!edig)
			any = 0;
		if (eneg)
			ex = -ex;
	}
	if (any && p == e && digits <= 15) {
		int p10 = ex - frac;
		double v = (double)mant;
		if (p10 >= -22 && p10 <= 22) {
			v = p10 < 0 ? v / pow10_tab[-p10] : v * pow10_tab[p10];
			*out = neg ? -v : v;
			return 1;
		}
	}
	/* Rare shapes (long mantissas, big exponents, nan, inf, hex): strtod on a copy, since the
	 * field is not NUL-terminated where it ends. */
	char tmp[128];
	size_t len = (size_t)(e - b);
	if (len == 0 || len >= sizeof tmp)
		return 0;
	memcpy(tmp, b, len);
	tmp[len] = 0;
	char *end;
	errno = 0;
	double v = strtod(tmp, &end);
	if (end != tmp + len || (errno == ERANGE && isinf(v)))
		return 0;
	*out = v;
	return 1;
}

/* The common field, a plain decimal ("-12.345", "1e-3") directly followed by a comma or the line
 * end: parsed in one pass. Returns the end of the number, or NULL to take the general path
 * (blanks, quotes, long mantissas, nan, anything odd), which then decides. */
static inline const char *fast_number(const char *p, const char *e, double *out)
{
	int neg = 0;
	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	uint64_t mant = 0;
	int digits = 0, frac = 0;
	const char *start = p;
	while (p < e && (unsigned)(*p - '0') < 10) {
		mant = mant * 10 + (uint64_t)(*p - '0');
		digits++;
		p++;
	}
	if (p < e && *p == '.') {
		p++;
		while (p < e && (unsigned)(*p - '0') < 10) {
			mant = mant * 10 + (uint64_t)(*p - '0');
			digits++;
			frac++;
			p++;
		}
	}
	if (p == start || digits == 0 || digits > 15)
		return NULL;
	int ex = 0;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0, edig = 0;
		if (p < e && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		while (p < e && (unsigned)(*p - '0') < 10 && edig < 4) {
			ex = ex * 10 + (*p - '0');
			p++;
			edig++;
		}
		if (!edig)
			return NULL;
		if (eneg)
			ex = -ex;
	}
	if (p < e && *p != ',')
		return NULL;
	int p10 = ex - frac;
	if (p10 < -22 || p10 > 22)
		return NULL;
	double v = p10 < 0 ? (double)mant / pow10_tab[-p10] : (double)mant * pow10_tab[p10];
	*out = neg ? -v : v;
	return p;
}

static int parse_header(struct reader *r, const char *b, const char *e)
{
	int col = 0;
	int seen[6] = {0};
	const char *f = b;
	/* A UTF-8 byte-order mark, as spreadsheet programs write one. */
	if (e - f >= 3 && !memcmp(f, "\xef\xbb\xbf", 3))
		f += 3;
	for (;;) {
		const char *fe = memchr(f, ',', (size_t)(e - f));
		if (!fe)
			fe = e;
		if (col >= MAX_COLS)
			return fail(r, ATT_ERR_FORMAT, "line 1: more than %d columns", MAX_COLS);
		const char *nb = f, *ne = fe;
		trim(&nb, &ne);
		r->role[col] = -1;
		for (int k = 0; k < 6; k++) {
			if ((size_t)(ne - nb) == strlen(names[k]) &&
			    !strncasecmp(nb, names[k], (size_t)(ne - nb))) {
				if (seen[k])
					return fail(
					        r, ATT_ERR_FORMAT,
					        "line 1: column '%s' appears twice in the header",
					        names[k]);
				seen[k] = 1;
				r->role[col] = k;
			}
		}
		col++;
		if (fe == e)
			break;
		f = fe + 1;
	}
	r->ncols = col;
	for (int k = 0; k < 5; k++) {
		if ((k == 0 || k == 1 || k == 3) && !seen[k])
			return fail(
			        r, ATT_ERR_FORMAT,
			        "line 1: missing column '%s' (the header must name t,a_resp,b_resp; "
			        "a_ppg,b_ppg are optional)",
			        names[k]);
	}
	for (int k = 1; k < 6; k++)
		if (seen[k])
			r->mask |= 1u << (k - 1);
	return ATT_OK;
}

static int grow(struct reader *r)
{
	size_t cap = r->cap ? r->cap * 2 : 65536;
	for (int c = 0; c < 5; c++) {
		if (!(r->mask & (1u << c)))
			continue;
		float *p = realloc(r->ch[c], cap * sizeof(float));
		if (!p)
			return fail(r, ATT_ERR_NOMEM, "out of memory at line %zu", r->line);
		r->ch[c] = p;
	}
	r->cap = cap;
	return ATT_OK;
}

static int parse_row(struct reader *r, const char *b, const char *e)
{
	if (r->n == r->cap && grow(r))
		return ATT_ERR_NOMEM;
	double t = 0;
	int col = 0;
	const char *f = b;
	for (;;) {
		if (col >= r->ncols)
			goto count;
		int role = r->role[col];
		const char *fe;
		double v;
		if (role >= 0 && (fe = fast_number(f, e, &v)) != NULL) {
			if (role == 0)
				t = v;
			else
				r->ch[role - 1][r->n] = (float)v;
			col++;
			if (fe == e)
				break;
			f = fe + 1;
			continue;
		}
		fe = memchr(f, ',', (size_t)(e - f));
		if (!fe)
			fe = e;
		if (role >= 0) {
			const char *nb = f, *ne = fe;
			trim(&nb, &ne);
			if (!parse_number(nb, ne, &v) || (role == 0 && !isfinite(v))) {
				if (nb == ne)
					return fail(r, ATT_ERR_FORMAT,
					            "line %zu: empty value in column '%s'", r->line,
					            names[role]);
				int len = (int)(ne - nb) > 24 ? 24 : (int)(ne - nb);
				return fail(r, ATT_ERR_FORMAT,
				            "line %zu: '%.*s' in column '%s' is not a number",
				            r->line, len, nb, names[role]);
			}
			if (role == 0)
				t = v;
			else
				r->ch[role - 1][r->n] = (float)v;
		}
		col++;
		if (fe == e)
			break;
		f = fe + 1;
	}
	if (col != r->ncols) {
	count:;
		int fields = 1;
		for (const char *p = b; p < e; p++)
			fields += *p == ',';
		return fail(r, ATT_ERR_FORMAT, "line %zu: %d fields where the header has %d",
		            r->line, fields, r->ncols);
	}
	if (r->n == 0) {
		r->t0 = t;
	} else {
		double step = t - r->t_prev;
		if (step <= 0)
			return fail(r, ATT_ERR_FORMAT,
			            step < 0 ? "line %zu: time goes backwards (%.9g after %.9g)"
			                     : "line %zu: time repeats (%.9g after %.9g)",
			            r->line, t, r->t_prev);
		/* The running mean step (t - t0) / (n - 1) absorbs rounding of printed times; a
		 * step off by half a sample period means missing samples or a changed rate. */
		if (r->n >= 2 && fabs(step - r->dt_est) > 0.5 * r->dt_est)
			return fail(
			        r, ATT_ERR_FORMAT,
			        "line %zu: time is not uniform (step %.6g s after %.9g, expected "
			        "%.6g s): samples missing or the rate changed",
			        r->line, step, r->t_prev, r->dt_est);
		r->dt_est = (t - r->t0) / (double)r->n;
	}
	r->t_prev = t;
	r->n++;
	return ATT_OK;
}

static int is_blank(const char *b, const char *e)
{
	for (; b < e; b++)
		if (!is_space(*b))
			return 0;
	return 1;
}

static int parse_line(struct reader *r, const char *b, const char *e, int *have_header)
{
	if (e > b && e[-1] == '\r')
		e--;
	if (is_blank(b, e))
		return ATT_OK;
	if (!*have_header) {
		*have_header = 1;
		return parse_header(r, b, e);
	}
	return parse_row(r, b, e);
}

static int read_all(struct reader *r, FILE *f, char *buf)
{
	size_t have = 0;
	int have_header = 0;
	r->line = 0;
	for (;;) {
		size_t got = fread(buf + have, 1, BUF_SIZE - have, f);
		if (ferror(f))
			return fail(r, ATT_ERR_IO, "cannot read the file: %s", strerror(errno));
		int eof = got < BUF_SIZE - have && feof(f);
		have += got;
		char *p = buf, *end = buf + have;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			r->line++;
			int err = parse_line(r, p, nl, &have_header);
			if (err)
				return err;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (eof) {
			if (have) {
				r->line++;
				int err = parse_line(r, p, p + have, &have_header);
				if (err)
					return err;
			}
			break;
		}
		if (have == BUF_SIZE)
			return fail(r, ATT_ERR_FORMAT, "line %zu: longer than %u bytes",
			            r->line + 1, BUF_SIZE);
		memmove(buf, p, have);
	}
	if (!have_header)
		return fail(
		        r, ATT_ERR_FORMAT,
		        "the file is empty: expected a header line t,a_resp,a_ppg,b_resp,b_ppg");
	if (r->n < 2)
		return fail(r, ATT_ERR_FORMAT, "too short: %zu sample line(s), need at least 2",
		            r->n);
	return ATT_OK;
}

/* ---- the same reading on two threads, for big files ----
 * The rows after the header are split at a line boundary near the middle and each half is parsed
 * by its own thread with its own buffer and arrays; the halves are joined if both parsed and the
 * time steps agree across the join. On anything unusual (an error in either half, a mismatch at
 * the join) the file is read again by the one-thread reader above, which alone writes messages:
 * so the result and every message are exactly the one-thread reader's, only good files faster. */
#define PARALLEL_MIN_BYTES (8u << 20)

struct part {
	struct reader r;
	const char *path;
	long start, end;
	int err;
	char why[160];
};

static int parse_range(struct part *pt, char *buf)
{
	struct reader *r = &pt->r;
	FILE *f = fopen(pt->path, "rb");
	if (!f)
		return ATT_ERR_IO;
	int err = ATT_OK;
	if (fseek(f, pt->start, SEEK_SET)) {
		fclose(f);
		return ATT_ERR_IO;
	}
	long left = pt->end - pt->start;
	size_t have = 0;
	while (!err) {
		size_t want = BUF_SIZE - have;
		if ((long)want > left)
			want = (size_t)left;
		size_t got = want ? fread(buf + have, 1, want, f) : 0;
		if (got < want) {
			err = ATT_ERR_IO;
			break;
		}
		left -= (long)got;
		have += got;
		char *p = buf, *end = buf + have;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			char *e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
			if (!is_blank(p, e) && (err = parse_row(r, p, e)))
				break;
			p = nl + 1;
		}
		if (err)
			break;
		have = (size_t)(end - p);
		if (!left) {
			char *e = have && p[have - 1] == '\r' ? p + have - 1 : p + have;
			if (have && !is_blank(p, e))
				err = parse_row(r, p, e);
			break;
		}
		if (have == BUF_SIZE)
			err = ATT_ERR_FORMAT;
		else
			memmove(buf, p, have);
	}
	fclose(f);
	return err;
}

static void *part_main(void *arg)
{
	struct part *pt = arg;
	char *buf = malloc(BUF_SIZE);
	pt->err = buf ? parse_range(pt, buf) : ATT_ERR_NOMEM;
	free(buf);
	return NULL;
}

static void part_free(struct part *pt)
{
	for (int c = 0; c < 5; c++)
		free(pt->r.ch[c]);
}

/* Returns ATT_OK with the whole file in *r, or 1 when the caller should read it on one thread. */
static int read_parallel(const char *path, struct reader *r)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 1;
	long size = -1;
	if (!fseek(f, 0, SEEK_END))
		size = ftell(f);
	char *buf = malloc(BUF_SIZE);
	struct part *pt = calloc(2, sizeof *pt);
	int ok = size >= (long)PARALLEL_MIN_BYTES && buf && pt && !fseek(f, 0, SEEK_SET);
	/* The header: the first line that is not blank, as read_all() finds it. */
	long header_end = -1;
	size_t got = ok ? fread(buf, 1, BUF_SIZE, f) : 0;
	size_t line = 0;
	for (char *p = buf; ok && (size_t)(p - buf) < got;) {
		char *nl = memchr(p, '\n', got - (size_t)(p - buf));
		if (!nl)
			break;
		line++;
		char *e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (!is_blank(p, e)) {
			if (parse_header(r, p, e))
				ok = 0;
			header_end = (long)(nl + 1 - buf);
			break;
		}
		p = nl + 1;
	}
	/* The split: just after the first newline at or after the middle of the rows. */
	long split = -1;
	if (ok && header_end > 0) {
		long mid = header_end + (size - header_end) / 2;
		if (!fseek(f, mid, SEEK_SET)) {
			size_t g = fread(buf, 1, BUF_SIZE, f);
			char *nl = memchr(buf, '\n', g);
			if (nl)
				split = mid + (long)(nl - buf) + 1;
		}
	}
	fclose(f);
	free(buf);
	if (!ok || split <= header_end || split >= size) {
		free(pt);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		pt[i].r.ncols = r->ncols;
		pt[i].r.mask = r->mask;
		memcpy(pt[i].r.role, r->role, sizeof r->role);
		pt[i].r.why = pt[i].why;
		pt[i].r.why_len = sizeof pt[i].why;
		pt[i].r.line = line;
		pt[i].path = path;
	}
	pt[0].start = header_end;
	pt[0].end = split;
	pt[1].start = split;
	pt[1].end = size;
	pthread_t th;
	int threaded = pthread_create(&th, NULL, part_main, &pt[1]) == 0;
	part_main(&pt[0]);
	if (threaded)
		pthread_join(th, NULL);
	struct reader *a = &pt[0].r, *b = &pt[1].r;
	int join = threaded && !pt[0].err && !pt[1].err && a->n >= 2 && b->n >= 2;
	if (join) {
		/* The step across the join and the second half's own step must both match the first
		 * half's, as the one-thread reader would require of every line. */
		double step = b->t0 - a->t_prev;
		join = step > 0 && fabs(step - a->dt_est) <= 0.5 * a->dt_est &&
		       fabs(b->dt_est - a->dt_est) <= 0.5 * a->dt_est;
	}
	for (int c = 0; join && c < 5; c++) {
		if (!a->ch[c])
			continue;
		float *p = realloc(a->ch[c], (a->n + b->n) * sizeof(float));
		if (!p) {
			join = 0;
			break;
		}
		a->ch[c] = p;
		memcpy(p + a->n, b->ch[c], b->n * sizeof(float));
		/* At once, so the join never holds both halves of every channel. */
		free(b->ch[c]);
		b->ch[c] = NULL;
	}
	if (!join) {
		part_free(&pt[0]);
		part_free(&pt[1]);
		free(pt);
		return 1;
	}
	for (int c = 0; c < 5; c++) {
		r->ch[c] = a->ch[c];
		a->ch[c] = NULL;
	}
	r->n = a->n + b->n;
	r->cap = r->n;
	r->t0 = a->t0;
	r->t_prev = b->t_prev;
	part_free(&pt[1]);
	free(pt);
	return ATT_OK;
}

int att_csv_read(const char *path, struct att_recording **out, char *why, size_t why_len)
{
	if (why && why_len)
		why[0] = 0;
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	struct reader *r = calloc(1, sizeof *r);
	if (!r)
		return ATT_ERR_NOMEM;
	r->why = why;
	r->why_len = why_len;
	if (!path) {
		free(r);
		return ATT_ERR_ARG;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		int err = fail(r, e == EACCES ? ATT_ERR_PERMISSION : ATT_ERR_IO,
		               "cannot open the file: %s", strerror(e));
		free(r);
		return err;
	}
	int err = 1;
	if (read_parallel(path, r) == ATT_OK) {
		err = ATT_OK;
	} else {
		/* Start afresh: the attempt may have parsed the header into r. */
		memset(r, 0, sizeof *r);
		r->why = why;
		r->why_len = why_len;
		char *buf = malloc(BUF_SIZE);
		err = buf ? read_all(r, f, buf) : fail(r, ATT_ERR_NOMEM, "out of memory");
		free(buf);
	}
	fclose(f);
	struct att_recording *rec = NULL;
	if (!err) {
		double rate = (double)(r->n - 1) / (r->t_prev - r->t0);
		/* Printed times are rounded; a rate within 0.01 % of a whole number is that number. */
		if (fabs(rate - round(rate)) < 1e-4 * rate)
			rate = round(rate);
		if (!(rate >= 25 - 1e-6 && rate <= 1000 + 1e-6))
			err = fail(r, ATT_ERR_FORMAT,
			           "sample rate %.6g Hz (from the t column) is outside 25-1000 Hz",
			           rate);
		else if (!(rec = calloc(1, sizeof *rec)))
			err = fail(r, ATT_ERR_NOMEM, "out of memory");
		if (!err) {
			rec->rate_hz = rate;
			rec->n = r->n;
			rec->t0 = r->t0;
			rec->meta.frames_lost = -1; /* the CSV contract carries no session header */
			for (int c = 0; c < 4; c++) {
				if (!r->ch[c])
					continue;
				/* Give back the unused tail of the doubling. */
				float *p = realloc(r->ch[c], r->n * sizeof(float));
				rec->ch[c] = p ? p : r->ch[c];
				r->ch[c] = NULL;
			}
			for (size_t k = 0; r->ch[4] && k < r->n && !err; k++)
				if (r->ch[4][k] != 0 && att_recording_mark_filled(rec, k, 1))
					err = fail(r, ATT_ERR_NOMEM, "out of memory");
			if (err) {
				att_recording_free(rec);
				rec = NULL;
			}
		}
	}
	for (int c = 0; c < 5; c++)
		free(r->ch[c]);
	free(r);
	*out = rec;
	return err;
}
