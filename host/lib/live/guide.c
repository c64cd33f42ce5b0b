/* Guides (guide.h): the file read with jansson, and the player. */
#include "attune/guide.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SECONDS_MIN  10.0
#define SECONDS_MAX  3600.0
#define RATIO_MIN    1.0
#define RATIO_MAX    3.0
#define BACK_GRACE_S 3.0 /* back within a phase's first seconds goes to the one before */

static int bad(char *why, size_t why_len, const char *where, const char *fmt, double v)
{
	char what[160];

	snprintf(what, sizeof what, fmt, v);
	return att_fail(why, why_len, ATT_ERR_FORMAT, "%s: %s", where, what);
}

/* A string member copied into buf; required or not. */
static int take_text(json_t *obj, const char *key, const char *where, int required, char *buf,
                     size_t len, char *why, size_t why_len)
{
	json_t *v = json_object_get(obj, key);
	char at[96];

	snprintf(at, sizeof at, "%s%s", where, key);
	if (!v && !required) {
		buf[0] = 0;
		return ATT_OK;
	}
	if (!v)
		return bad(why, why_len, at, "missing (a text is needed)%.0f", 0);
	if (!json_is_string(v))
		return bad(why, why_len, at, "must be a text in quotes%.0f", 0);
	if (json_string_length(v) >= len)
		return bad(why, why_len, at, "longer than %.0f bytes", (double)len - 1);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return ATT_OK;
}

static int take_number(json_t *obj, const char *key, const char *where, double lo, double hi,
                       double *out, char *why, size_t why_len)
{
	json_t *v = json_object_get(obj, key);
	char at[96], fmt[96];

	snprintf(at, sizeof at, "%s%s", where, key);
	if (!v)
		return bad(why, why_len, at, "missing (a number is needed)%.0f", 0);
	if (!json_is_number(v))
		return bad(why, why_len, at, "must be a number%.0f", 0);
	*out = json_number_value(v);
	if (!(*out >= lo && *out <= hi)) {
		snprintf(fmt, sizeof fmt, "%%g is not within %g..%g", lo, hi);
		return bad(why, why_len, at, fmt, *out);
	}
	return ATT_OK;
}

static int take_pacer(json_t *ph, const char *where, struct att_guide_phase *p, char *why,
                      size_t why_len)
{
	json_t *v = json_object_get(ph, "pacer");
	char at[96];
	int rc;

	snprintf(at, sizeof at, "%spacer", where);
	if (!v)
		return bad(why, why_len, at, "missing (null for no pacer, or {\"bpm\": 6})%.0f", 0);
	p->exhale_ratio = 1.0;
	if (json_is_null(v))
		return ATT_OK;
	if (!json_is_object(v))
		return bad(why, why_len, at,
		           "must be null or {\"bpm\": N, \"exhale_ratio\": R}%.0f", 0);
	snprintf(at, sizeof at, "%spacer.", where);
	rc = take_number(v, "bpm", at, ATT_GUIDE_BPM_MIN, ATT_GUIDE_BPM_MAX, &p->pacer_bpm, why,
	                 why_len);
	if (rc == ATT_OK && json_object_get(v, "exhale_ratio"))
		rc = take_number(v, "exhale_ratio", at, RATIO_MIN, RATIO_MAX, &p->exhale_ratio, why,
		                 why_len);
	return rc;
}

static int take_phase(json_t *ph, size_t i, struct att_guide_phase *p, char *why, size_t why_len)
{
	char where[48];
	json_t *fb;
	int rc;

	snprintf(where, sizeof where, "phases[%zu].", i);
	if (!json_is_object(ph))
		return bad(why, why_len, where,
		           "must be an object {\"name\": ..., \"seconds\": ...}%.0f", 0);
	memset(p, 0, sizeof *p);
	if ((rc = take_text(ph, "name", where, 1, p->name, sizeof p->name, why, why_len)) ||
	    (rc = take_number(ph, "seconds", where, SECONDS_MIN, SECONDS_MAX, &p->seconds, why,
	                      why_len)) ||
	    (rc = take_pacer(ph, where, p, why, why_len)) ||
	    (rc = take_text(ph, "say", where, 0, p->say, sizeof p->say, why, why_len)))
		return rc;
	fb = json_object_get(ph, "feedback");
	snprintf(where + strlen(where), sizeof where - strlen(where), "feedback");
	if (!fb)
		return bad(why, why_len, where, "missing (true or false)%.0f", 0);
	if (!json_is_boolean(fb))
		return bad(why, why_len, where, "must be true or false%.0f", 0);
	p->feedback = json_is_true(fb);
	return ATT_OK;
}

static int take_guide(json_t *root, struct att_guide *out, char *why, size_t why_len)
{
	json_t *phases;
	int rc;

	if (!json_is_object(root))
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "a guide is an object {\"name\": ..., \"phases\": [...]}");
	if ((rc = take_text(root, "name", "", 1, out->name, sizeof out->name, why, why_len)) ||
	    (rc = take_text(root, "about", "", 0, out->about, sizeof out->about, why, why_len)))
		return rc;
	phases = json_object_get(root, "phases");
	if (!phases)
		return att_fail(why, why_len, ATT_ERR_FORMAT, "phases: missing (a list of phases)");
	if (!json_is_array(phases) || json_array_size(phases) == 0)
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "phases: must be a list of 1 to %d phases", ATT_GUIDE_PHASES_MAX);
	if (json_array_size(phases) > ATT_GUIDE_PHASES_MAX)
		return att_fail(why, why_len, ATT_ERR_FORMAT, "phases: more than %d phases",
		                ATT_GUIDE_PHASES_MAX);
	out->n = json_array_size(phases);
	for (size_t i = 0; i < out->n; i++)
		if ((rc = take_phase(json_array_get(phases, i), i, &out->phase[i], why, why_len)))
			return rc;
	return ATT_OK;
}

int att_guide_parse(const char *text, size_t len, struct att_guide *out, char *why, size_t why_len)
{
	json_error_t err;
	json_t *root;
	int rc;

	memset(out, 0, sizeof *out);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return att_fail(why, why_len, ATT_ERR_FORMAT, "not JSON: %s (line %d, column %d)",
		                err.text, err.line, err.column);
	rc = take_guide(root, out, why, why_len);
	json_decref(root);
	if (rc != ATT_OK)
		memset(out, 0, sizeof *out);
	return rc;
}

int att_guide_load(const char *path, struct att_guide *out, char *why, size_t why_len)
{
	static char buf[256 * 1024]; /* a guide is a few kB; reading is not real-time */
	char inner[300];
	size_t n;
	FILE *f = fopen(path, "rb");
	int rc;

	memset(out, 0, sizeof *out);
	if (!f)
		return att_fail(why, why_len, ATT_ERR_IO, "cannot read the guide %s", path);
	n = fread(buf, 1, sizeof buf, f);
	rc = ferror(f) || n == sizeof buf;
	fclose(f);
	if (rc)
		return att_fail(why, why_len, ATT_ERR_IO,
		                "cannot read the guide %s (a directory, or "
		                "larger than 256 kB?)",
		                path);
	rc = att_guide_parse(buf, n, out, inner, sizeof inner);
	if (rc != ATT_OK)
		return att_fail(why, why_len, rc, "guide %s: %s", path, inner);
	return ATT_OK;
}

double att_guide_length(const struct att_guide *g)
{
	double s = 0.0;
	for (size_t i = 0; i < g->n; i++)
		s += g->phase[i].seconds;
	return s;
}

/* Guide time at signal time t. */
static double guide_t(const struct att_guide_player *p, double t)
{
	return (p->paused_at >= 0.0 ? p->paused_at : t) - p->origin;
}

/* Start of phase i in guide time. */
static double phase_start(const struct att_guide *g, size_t i)
{
	double s = 0.0;
	for (size_t k = 0; k < i && k < g->n; k++)
		s += g->phase[k].seconds;
	return s;
}

void att_guide_player_start(struct att_guide_player *p, const struct att_guide *g, double t)
{
	*p = (struct att_guide_player){.g = g, .origin = t, .paused_at = -1.0, .started = 1};
	p->last_phase = (size_t)-1;
}

int att_guide_player_at(struct att_guide_player *p, double t, struct att_guide_state *out)
{
	const struct att_guide *g = p->g;
	double gt = guide_t(p, t), start = 0.0, total = att_guide_length(g);
	size_t i = 0;
	int changed;

	while (i < g->n && gt >= start + g->phase[i].seconds) {
		start += g->phase[i].seconds;
		i++;
	}
	out->phase = i;
	out->phase_t = i < g->n ? gt - start : 0.0;
	out->phase_left = i < g->n ? start + g->phase[i].seconds - gt : 0.0;
	out->left = fmax(0.0, total - gt);
	out->paused = p->paused_at >= 0.0;
	out->done = i >= g->n;
	changed = i != p->last_phase;
	p->last_phase = i;
	return changed;
}

void att_guide_player_pause(struct att_guide_player *p, double t, int paused)
{
	if (paused && p->paused_at < 0.0)
		p->paused_at = t;
	else if (!paused && p->paused_at >= 0.0) {
		p->origin += t - p->paused_at; /* the paused stretch does not count */
		p->paused_at = -1.0;
	}
}

/* Moves guide time to gt (a phase start). */
static void jump(struct att_guide_player *p, double t, double gt)
{
	double now = guide_t(p, t);
	p->origin -= gt - now;
}

void att_guide_player_skip(struct att_guide_player *p, double t)
{
	struct att_guide_state st;

	att_guide_player_at(p, t, &st);
	p->last_phase = st.phase; /* the caller hears of the change at its next at() */
	if (!st.done)
		jump(p, t, phase_start(p->g, st.phase + 1));
}

void att_guide_player_back(struct att_guide_player *p, double t)
{
	struct att_guide_state st;
	size_t to;

	att_guide_player_at(p, t, &st);
	p->last_phase = st.phase;
	if (st.done)
		to = p->g->n - 1;
	else
		to = st.phase_t < BACK_GRACE_S && st.phase > 0 ? st.phase - 1 : st.phase;
	jump(p, t, phase_start(p->g, to));
}

double att_guide_player_next(const struct att_guide_player *p)
{
	if (!p->started || p->paused_at >= 0.0)
		return INFINITY;
	if (p->last_phase == (size_t)-1)
		return p->origin; /* the first phase has not been reported yet */
	if (p->last_phase >= p->g->n)
		return INFINITY;
	return p->origin + phase_start(p->g, p->last_phase + 1);
}
