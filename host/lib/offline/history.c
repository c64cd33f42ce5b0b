/* Reading the practice history (practice.h): sessions, journal, weeks and the streak on the
 * local calendar, and the history JSON of the README. */
#include "practice_db.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/json.h"

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? strdup((const char *)s) : NULL;
}

static double num_col(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

/* Grows *arr (of *n elements of size) by one zeroed element; NULL when out of memory. */
static void *grow(void *arr_p, size_t *n, size_t size)
{
	void **arr = arr_p;
	char *bigger = realloc(*arr, (*n + 1) * size);
	if (!bigger)
		return NULL;
	*arr = bigger;
	memset(bigger + *n * size, 0, size);
	return bigger + (*n)++ * size;
}

static int load_couples(struct att_practice *p, const char *couple, struct att_history *h,
                        char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(p,
	                              "SELECT name FROM couples WHERE ?1 IS NULL OR name = ?1"
	                              " ORDER BY name",
	                              &st, why, why_len);
	if (rc)
		return rc;
	if (couple)
		sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **slot = grow(&h->couples, &h->n_couples, sizeof *h->couples);
		if (!slot || !(*slot = dup_col(st, 0))) {
			sqlite3_finalize(st);
			return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ATT_OK : att_practice_db_fail(p, why, why_len, "read it");
}

static int load_sessions(struct att_practice *p, const char *couple, struct att_history *h,
                         char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(
	        p,
	        "SELECT s.id, c.name, s.start_time, s.start_unix, s.duration_s, s.guide, s.match,"
	        " s.matched_fraction, s.plv, s.a_breath_rate_bpm, s.b_breath_rate_bpm,"
	        " s.a_heart_rate_bpm, s.b_heart_rate_bpm, s.resonance_bpm, s.pseudo_match,"
	        " s.pseudo_matched_fraction,"
	        " (SELECT path FROM files WHERE session_id = s.id AND kind = 'attraw'),"
	        " (SELECT path FROM files WHERE session_id = s.id AND kind = 'edf'),"
	        " (SELECT path FROM files WHERE session_id = s.id AND kind = 'csv'),"
	        " (SELECT path FROM files WHERE session_id = s.id AND kind = 'json')"
	        " FROM sessions s JOIN couples c ON c.id = s.couple_id"
	        " WHERE ?1 IS NULL OR c.name = ?1 ORDER BY s.start_unix, s.id",
	        &st, why, why_len);
	if (rc)
		return rc;
	if (couple)
		sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct att_history_session *s = grow(&h->sessions, &h->n_sessions, sizeof *s);
		if (!s) {
			sqlite3_finalize(st);
			return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
		s->id = sqlite3_column_int64(st, 0);
		s->couple = dup_col(st, 1);
		s->start_time = dup_col(st, 2);
		s->start_unix = sqlite3_column_int64(st, 3);
		s->duration_s = num_col(st, 4);
		s->guide = dup_col(st, 5);
		s->match = num_col(st, 6);
		s->matched_fraction = num_col(st, 7);
		s->plv = num_col(st, 8);
		s->a_breath_rate_bpm = num_col(st, 9);
		s->b_breath_rate_bpm = num_col(st, 10);
		s->a_heart_rate_bpm = num_col(st, 11);
		s->b_heart_rate_bpm = num_col(st, 12);
		s->resonance_bpm = num_col(st, 13);
		s->pseudo_match = num_col(st, 14);
		s->pseudo_matched_fraction = num_col(st, 15);
		for (int k = 0; k < ATT_HISTORY_FILES; k++)
			s->files[k] = dup_col(st, 16 + k);
		if (!s->couple || !s->start_time) {
			sqlite3_finalize(st);
			return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ATT_OK : att_practice_db_fail(p, why, why_len, "read it");
}

static int load_journal(struct att_practice *p, const char *couple, struct att_history *h,
                        char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(p,
	                              "SELECT j.session_id, j.t_unix, j.text FROM journal j"
	                              " JOIN sessions s ON s.id = j.session_id JOIN couples c"
	                              " ON c.id = s.couple_id WHERE ?1 IS NULL OR c.name = ?1"
	                              " ORDER BY j.t_unix, j.id",
	                              &st, why, why_len);
	if (rc)
		return rc;
	if (couple)
		sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct att_history_journal *j = grow(&h->journal, &h->n_journal, sizeof *j);
		if (!j || !(j->text = dup_col(st, 2))) {
			sqlite3_finalize(st);
			return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
		j->session_id = sqlite3_column_int64(st, 0);
		j->t_unix = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ATT_OK : att_practice_db_fail(p, why, why_len, "read it");
}

int att_practice_couples(struct att_practice *p, struct att_practice_couple **out, char *why,
                         size_t why_len)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = att_practice_prepare(p,
	                               "SELECT c.name, c.a, c.b FROM couples c LEFT JOIN sessions s"
	                               " ON s.couple_id = c.id GROUP BY c.id"
	                               " ORDER BY max(s.start_unix) DESC, c.name",
	                               &st, why, why_len)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct att_practice_couple *c = grow(out, &n, sizeof *c);
		if (!c || !(c->name = dup_col(st, 0)) || !(c->a = dup_col(st, 1)) ||
		    !(c->b = dup_col(st, 2))) {
			sqlite3_finalize(st);
			att_practice_couples_free(*out, n);
			*out = NULL;
			return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		att_practice_couples_free(*out, n);
		*out = NULL;
		return att_practice_db_fail(p, why, why_len, "read it");
	}
	return (int)n;
}

void att_practice_couples_free(struct att_practice_couple *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].name);
		free(c[i].a);
		free(c[i].b);
	}
	free(c);
}

/* Days since 1970-01-01 of t's local calendar date. */
static long local_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	struct tm day = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = tm.tm_mday};
	return (long)(timegm(&day) / 86400);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One week from sessions [from, to) of h (all in that week). */
static void fill_week(struct att_history_week *w, const struct att_history *h, size_t from,
                      size_t to, double *scratch)
{
	double weight = 0.0, fraction = 0.0;
	size_t n_match = 0;

	for (size_t i = from; i < to; i++) {
		const struct att_history_session *s = &h->sessions[i];
		double d = isfinite(s->duration_s) ? s->duration_s : 0.0;
		w->minutes += d / 60.0;
		if (isfinite(s->match))
			scratch[n_match++] = s->match;
		if (isfinite(s->matched_fraction) && d > 0.0) {
			fraction += s->matched_fraction * d;
			weight += d;
		}
	}
	w->sessions = to - from;
	w->match = median(scratch, n_match);
	w->matched_fraction = weight > 0.0 ? fraction / weight : NAN;
}

static int make_weeks(struct att_history *h, char *why, size_t why_len)
{
	double *scratch = malloc((h->n_sessions + 1) * sizeof *scratch);
	size_t from = 0;

	if (!scratch)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	while (from < h->n_sessions) {
		char week[16], other[16];
		time_t t = (time_t)h->sessions[from].start_unix;
		struct tm tm;
		size_t to = from + 1;

		localtime_r(&t, &tm);
		strftime(week, sizeof week, "%G-W%V", &tm);
		for (; to < h->n_sessions; to++) {
			t = (time_t)h->sessions[to].start_unix;
			localtime_r(&t, &tm);
			strftime(other, sizeof other, "%G-W%V", &tm);
			if (strcmp(week, other))
				break;
		}
		struct att_history_week *w = grow(&h->weeks, &h->n_weeks, sizeof *w);
		if (!w) {
			free(scratch);
			return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
		snprintf(w->week, sizeof w->week, "%s", week);
		fill_week(w, h, from, to, scratch);
		from = to;
	}
	free(scratch);
	return ATT_OK;
}

/* Consecutive days with a session ending today, or yesterday when today has none yet. */
static int streak(const struct att_history *h, int64_t now)
{
	long today = local_day(now), want;
	int n = 0;
	size_t i = h->n_sessions;

	while (i > 0 && local_day(h->sessions[i - 1].start_unix) > today)
		i--; /* a clock set back: sessions "in the future" do not count */
	if (!i)
		return 0;
	want = local_day(h->sessions[i - 1].start_unix);
	if (want < today - 1)
		return 0;
	while (i > 0) {
		long d = local_day(h->sessions[i - 1].start_unix);
		if (d == want) {
			n++;
			want--;
		} else if (d < want) {
			break;
		}
		while (i > 0 && local_day(h->sessions[i - 1].start_unix) == d)
			i--;
	}
	return n;
}

int att_practice_history(struct att_practice *p, const char *couple, int64_t now,
                         struct att_history **out, char *why, size_t why_len)
{
	struct att_history *h;
	int rc;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!p)
		return ATT_ERR_ARG;
	h = calloc(1, sizeof *h);
	if (!h)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	/* one read transaction: a session added meanwhile is in all parts or in none */
	if ((rc = att_practice_exec(p, "BEGIN", why, why_len, "read it")))
		goto fail;
	rc = load_couples(p, couple, h, why, why_len);
	if (!rc)
		rc = load_sessions(p, couple, h, why, why_len);
	if (!rc)
		rc = load_journal(p, couple, h, why, why_len);
	sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);
	if (rc || (rc = make_weeks(h, why, why_len)))
		goto fail;
	h->streak_days = streak(h, now);
	*out = h;
	return ATT_OK;
fail:
	att_history_free(h);
	return rc;
}

void att_history_free(struct att_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_couples; i++)
		free(h->couples[i]);
	for (size_t i = 0; i < h->n_sessions; i++) {
		struct att_history_session *s = &h->sessions[i];
		free(s->couple);
		free(s->start_time);
		free(s->guide);
		for (int k = 0; k < ATT_HISTORY_FILES; k++)
			free(s->files[k]);
	}
	for (size_t i = 0; i < h->n_journal; i++)
		free(h->journal[i].text);
	free(h->couples);
	free(h->sessions);
	free(h->weeks);
	free(h->journal);
	free(h);
}

static void json_time(struct att_json *j, const char *key, int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	att_json_string(j, key, buf);
}

static void json_session(struct att_json *j, const struct att_history *h,
                         const struct att_history_session *s)
{
	att_json_object_begin(j, NULL);
	att_json_int(j, "id", s->id);
	att_json_string(j, "couple", s->couple);
	att_json_string(j, "start_time", s->start_time);
	att_json_number(j, "duration_s", s->duration_s);
	if (s->guide)
		att_json_string(j, "guide", s->guide);
	else
		att_json_null(j, "guide");
	att_json_number(j, "match", s->match);
	att_json_number(j, "matched_fraction", s->matched_fraction);
	att_json_number(j, "plv", s->plv);
	att_json_number(j, "a_breath_rate_bpm", s->a_breath_rate_bpm);
	att_json_number(j, "b_breath_rate_bpm", s->b_breath_rate_bpm);
	att_json_number(j, "a_heart_rate_bpm", s->a_heart_rate_bpm);
	att_json_number(j, "b_heart_rate_bpm", s->b_heart_rate_bpm);
	att_json_number(j, "resonance_bpm", s->resonance_bpm);
	att_json_number(j, "pseudo_match", s->pseudo_match);
	att_json_number(j, "pseudo_matched_fraction", s->pseudo_matched_fraction);
	att_json_object_begin(j, "files");
	for (int k = 0; k < ATT_HISTORY_FILES; k++)
		if (s->files[k])
			att_json_string(j, att_practice_file_kinds[k], s->files[k]);
		else
			att_json_null(j, att_practice_file_kinds[k]);
	att_json_object_end(j);
	att_json_array_begin(j, "journal");
	for (size_t i = 0; i < h->n_journal; i++) {
		if (h->journal[i].session_id != s->id)
			continue;
		att_json_object_begin(j, NULL);
		json_time(j, "t", h->journal[i].t_unix);
		att_json_string(j, "text", h->journal[i].text);
		att_json_object_end(j);
	}
	att_json_array_end(j);
	att_json_object_end(j);
}

int att_history_write_json(const struct att_history *h, FILE *out, int indent)
{
	struct att_json_cfg cfg = {.out = out, .indent = indent};
	struct att_json *j;
	int rc;

	if (!h || !out)
		return ATT_ERR_ARG;
	if ((rc = att_json_new(&cfg, &j)))
		return rc;
	att_json_object_begin(j, NULL);
	att_json_array_begin(j, "couples");
	for (size_t i = 0; i < h->n_couples; i++)
		att_json_string(j, NULL, h->couples[i]);
	att_json_array_end(j);
	att_json_array_begin(j, "sessions");
	for (size_t i = 0; i < h->n_sessions; i++)
		json_session(j, h, &h->sessions[i]);
	att_json_array_end(j);
	att_json_array_begin(j, "weeks");
	for (size_t i = 0; i < h->n_weeks; i++) {
		const struct att_history_week *w = &h->weeks[i];
		att_json_object_begin(j, NULL);
		att_json_string(j, "week", w->week);
		att_json_uint(j, "sessions", w->sessions);
		att_json_number(j, "minutes", w->minutes);
		att_json_number(j, "match", w->match);
		att_json_number(j, "matched_fraction", w->matched_fraction);
		att_json_object_end(j);
	}
	att_json_array_end(j);
	att_json_int(j, "streak_days", h->streak_days);
	att_json_object_end(j);
	att_json_end_line(j);
	rc = att_json_error(j);
	att_json_free(j);
	if (!rc && fflush(out) != 0)
		rc = ATT_ERR_IO;
	return rc;
}
