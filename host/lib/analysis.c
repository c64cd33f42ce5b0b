/* Offline analysis of a session; method and choices in analysis.h. This file only wires the dsp
 * (filter, breath, pulse, quality) and sync (phase, sync) modules together and summarises. */
#include "analysis.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attune/wire.h"
#include "breath.h"
#include "engine.h"
#include "filter.h"
#include "json.h"
#include "phase.h"
#include "pulse.h"
#include "quality.h"
#include "sync.h"

#define HR_RATE_HZ 4.0 /* heart-rate series for hr_sync: beats come ~1/s, 4 Hz resolves them */
#define COH_LOW_HZ 0.05
#define COH_HIGH_HZ 1.0

static int fail(char *why, size_t len, int err, const char *fmt, ...)
{
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static void progress(const struct att_analysis_cfg *cfg, double done)
{
	if (cfg->progress)
		cfg->progress(done, cfg->progress_user);
}

/* Copies a channel to double, bridging NAN runs linearly (held at the ends) so the zero-phase
 * filters do not spread a missing sample over the whole session. Returns the finite count. */
static size_t fill_gaps(const float *x, size_t n, double *y)
{
	size_t finite = 0, last = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		y[i] = x[i];
		if (last == SIZE_MAX) {
			for (size_t k = 0; k < i; k++)
				y[k] = x[i];
		} else if (i - last > 1) {
			double a = x[last], d = (x[i] - a) / (double)(i - last);
			for (size_t k = last + 1; k < i; k++)
				y[k] = a + d * (double)(k - last);
		}
		last = i;
		finite++;
	}
	if (last != SIZE_MAX)
		for (size_t k = last + 1; k < n; k++)
			y[k] = x[last];
	return finite;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of the finite values of a strided field; scratch holds n doubles. */
static double median_field(const struct att_analysis_window *w, size_t n, size_t offset,
                           double *scratch)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double v = *(const double *)((const char *)&w[i] + offset);
		if (isfinite(v))
			scratch[k++] = v;
	}
	if (!k)
		return NAN;
	qsort(scratch, k, sizeof *scratch, cmp_double);
	return k % 2 ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
}

struct person_work {
	double *raw;       /* n samples, gaps bridged */
	double *clean;     /* m samples at the cleaned rate */
	float *cleanf;     /* the same as float, for phase and coherence */
	float *phase;
	float *freq;
	struct att_breath_result br;
	struct att_pulse_result pr;
	int have_ppg;
	double *beat_t;    /* beat times in seconds */
	float *hr;         /* heart rate at HR_RATE_HZ */
};

static void person_free(struct person_work *p)
{
	free(p->raw);
	free(p->clean);
	free(p->cleanf);
	free(p->phase);
	free(p->freq);
	att_breath_result_free(&p->br);
	att_pulse_result_free(&p->pr);
	free(p->beat_t);
	free(p->hr);
}

/* Breathing rate over troughs whose times fall in [t0, t1): 60 x intervals / their span. Only
 * intervals a detector would accept (rate known) count, so a pause does not drag the rate down. */
static double window_breath_rate(const struct att_breath_result *br, double rate, double t0,
                                 double t1, size_t *cursor)
{
	while (*cursor < br->n_troughs && (double)br->troughs[*cursor] / rate < t0)
		(*cursor)++;
	double span = 0;
	size_t count = 0;
	for (size_t i = *cursor + 1; i < br->n_troughs; i++) {
		if ((double)br->troughs[i] / rate >= t1)
			break;
		if (isfinite(br->rate_bpm[i])) {
			span += (double)(br->troughs[i] - br->troughs[i - 1]) / rate;
			count++;
		}
	}
	return count && span > 0 ? 60.0 * (double)count / span : NAN;
}

static double window_heart_rate(const struct person_work *p, double tol, double t0, double t1,
                                size_t *cursor)
{
	if (!p->have_ppg)
		return NAN;
	while (*cursor < p->pr.n_beats && p->beat_t[*cursor] < t0)
		(*cursor)++;
	size_t end = *cursor;
	while (end < p->pr.n_beats && p->beat_t[end] < t1)
		end++;
	double hr = NAN, rmssd = NAN;
	att_pulse_stats(p->beat_t + *cursor, end - *cursor, tol, &hr, &rmssd);
	return hr;
}

/* Per-person work that needs no partner: cleaning, breaths, phase, beats, quality. */
static int person_run(const struct att_recording *rec, int resp_ch, int ppg_ch,
                      struct person_work *p, struct att_analysis_person *out, size_t *m_out,
                      double *rr_out, char *why, size_t why_len, const char *who)
{
	size_t n = rec->n;
	double rate = rec->rate_hz;
	struct att_clean_cfg ccfg = {.kind = ATT_CLEAN_RESP, .rate_hz = rate};
	size_t m = att_clean_len(&ccfg, n);
	p->raw = malloc(n * sizeof *p->raw);
	p->clean = malloc(m * sizeof *p->clean);
	p->cleanf = malloc(m * sizeof *p->cleanf);
	p->phase = malloc(m * sizeof *p->phase);
	p->freq = malloc(m * sizeof *p->freq);
	if (!p->raw || !p->clean || !p->cleanf || !p->phase || !p->freq)
		return fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	if (!fill_gaps(rec->ch[resp_ch], n, p->raw))
		return fail(why, why_len, ATT_ERR_NO_DATA,
		            "%s's respiration channel holds no numbers", who);
	double rr = 0;
	int err = att_clean_batch(&ccfg, p->raw, n, p->clean, &rr);
	if (err)
		return fail(why, why_len, err, "cleaning %s's respiration failed: %s", who,
		            att_strerror(err));
	for (size_t i = 0; i < m; i++)
		p->cleanf[i] = (float)p->clean[i];
	struct att_breath_cfg bcfg = {.rate_hz = rr};
	err = att_breath_detect(&bcfg, p->clean, m, &p->br);
	if (err)
		return fail(why, why_len, err, "breath detection failed: %s", att_strerror(err));
	err = att_phase_offline(p->cleanf, m, rr, p->phase, p->freq, NULL);
	if (err)
		return fail(why, why_len, err, "breathing phase failed: %s", att_strerror(err));
	out->breaths = p->br.n_troughs;

	/* Quality judges raw samples, so events go back to raw sample indices. */
	int factor = (int)lround(rate / rr);
	size_t *ev = malloc((p->br.n_troughs + 1) * sizeof *ev);
	if (!ev)
		return fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->br.n_troughs; i++)
		ev[i] = p->br.troughs[i] * (size_t)factor;
	struct att_quality_cfg qcfg = {.signal = ATT_QUALITY_RESP, .rate_hz = rate};
	out->resp_quality = att_quality_batch(&qcfg, p->raw, n, ev, p->br.n_troughs,
	                                      p->br.mean_rate_bpm);
	free(ev);

	out->heart_rate_bpm = NAN;
	out->rmssd_ms = NAN;
	out->ppg_quality = ATT_Q_ABSENT;
	if (ppg_ch >= 0 && rec->ch[ppg_ch] && fill_gaps(rec->ch[ppg_ch], n, p->raw)) {
		struct att_pulse_cfg pcfg = {.rate_hz = rate};
		err = att_pulse_detect(&pcfg, p->raw, n, &p->pr);
		if (err)
			return fail(why, why_len, err, "beat detection failed: %s", att_strerror(err));
		p->have_ppg = 1;
		p->beat_t = malloc((p->pr.n_beats + 1) * sizeof *p->beat_t);
		if (!p->beat_t)
			return fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < p->pr.n_beats; i++)
			p->beat_t[i] = (double)p->pr.beats[i] / rate;
		out->rmssd_ms = p->pr.rmssd_ms;
		struct att_quality_cfg pq = {.signal = ATT_QUALITY_PPG, .rate_hz = rate};
		out->ppg_quality = att_quality_batch(&pq, p->raw, n, p->pr.beats, p->pr.n_beats,
		                                     p->pr.hr_bpm);
	}
	*m_out = m;
	*rr_out = rr;
	return ATT_OK;
}

int att_analyze(const struct att_analysis_cfg *cfg, const struct att_recording *rec,
                struct att_analysis **out, char *why, size_t why_len)
{
	if (why && why_len)
		why[0] = 0;
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	struct att_analysis_cfg dflt = {0};
	if (!cfg)
		cfg = &dflt;
	double window_s = cfg->window_s ? cfg->window_s : 30;
	double step_s = cfg->step_s ? cfg->step_s : 1;
	if (!rec)
		return fail(why, why_len, ATT_ERR_ARG, "no recording");
	if (!(window_s >= 5 && window_s <= 600))
		return fail(why, why_len, ATT_ERR_ARG,
		            "window %g s is outside 5-600 s (a window must hold a few breaths)",
		            window_s);
	if (!(step_s > 0 && step_s <= window_s))
		return fail(why, why_len, ATT_ERR_ARG, "step %g s must be > 0 and at most the window",
		            step_s);
	if (!(rec->rate_hz >= 25 && rec->rate_hz <= 1000))
		return fail(why, why_len, ATT_ERR_ARG, "sample rate %g Hz is outside 25-1000 Hz",
		            rec->rate_hz);
	if (!rec->ch[ATT_CH_A_RESP] || !rec->ch[ATT_CH_B_RESP])
		return fail(why, why_len, ATT_ERR_NO_DATA,
		            "the recording needs both respiration channels (a_resp and b_resp)");
	double duration = (double)rec->n / rec->rate_hz;
	if (duration < ATT_ANALYSIS_MIN_S)
		return fail(why, why_len, ATT_ERR_NO_DATA,
		            "the recording is %.3g s long; analysis needs at least %g s", duration,
		            ATT_ANALYSIS_MIN_S);

	struct person_work pw[2];
	memset(pw, 0, sizeof pw);
	struct att_analysis *an = calloc(1, sizeof *an);
	struct att_sync_window *sw = NULL;
	double *scratch = NULL;
	int err = ATT_OK;
	if (!an) {
		err = fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		goto done;
	}
	an->duration_s = duration;
	an->rate_hz = rec->rate_hz;
	an->window_s = window_s;
	an->step_s = step_s;
	progress(cfg, 0);

	size_t m = 0, mb = 0;
	double rr = 0, rrb = 0;
	err = person_run(rec, ATT_CH_A_RESP, ATT_CH_A_PPG, &pw[0], &an->a, &m, &rr, why, why_len,
	                 "A");
	if (err)
		goto done;
	progress(cfg, 0.35);
	err = person_run(rec, ATT_CH_B_RESP, ATT_CH_B_PPG, &pw[1], &an->b, &mb, &rrb, why, why_len,
	                 "B");
	if (err)
		goto done;
	progress(cfg, 0.7);

	/* Synchrony on the inner part of the phase series, away from the Hilbert edges. */
	size_t edge = (size_t)(ATT_ANALYSIS_EDGE_S * rr);
	size_t inner = m > 2 * edge ? m - 2 * edge : 0;
	double offset_s = (double)edge / rr;
	struct att_sync_cfg scfg = {.rate_hz = rr, .window_s = window_s, .step_s = step_s,
	                            .surrogates = cfg->surrogates};
	size_t nw = att_sync_window_count(&scfg, inner);
	if (!nw) {
		err = fail(why, why_len, ATT_ERR_NO_DATA, "the recording is too short for synchrony");
		goto done;
	}
	sw = calloc(nw, sizeof *sw);
	an->timeline = calloc(nw, sizeof *an->timeline);
	scratch = malloc((nw > 16 ? nw : 16) * sizeof *scratch);
	if (!sw || !an->timeline || !scratch) {
		err = fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		goto done;
	}
	int got = att_sync_analyze(&scfg, pw[0].phase + edge, pw[1].phase + edge, inner, sw, nw,
	                           NULL);
	if (got < 0) {
		err = fail(why, why_len, got, "synchrony failed: %s", att_strerror(got));
		goto done;
	}
	an->n_timeline = (size_t)got;
	/* sync counts windows and steps in samples of the cleaned series: report what was used. */
	an->window_s = (double)lround(window_s * rr) / rr;
	an->step_s = (double)(lround(step_s * rr) < 1 ? 1 : lround(step_s * rr)) / rr;
	progress(cfg, 0.85);

	/* Per-window rates over the same span as each synchrony window. */
	double half = 0.5 * (window_s < (double)inner / rr ? window_s : (double)inner / rr);
	size_t cur[4] = {0};
	double tol = 0.3; /* pulse.h's default IBI tolerance */
	for (size_t i = 0; i < an->n_timeline; i++) {
		struct att_analysis_window *w = &an->timeline[i];
		double tc = sw[i].t + offset_s;
		w->t = tc;
		w->match = sw[i].match;
		w->plv = sw[i].plv;
		w->plv_chance = sw[i].plv_chance;
		w->relative_phase_deg = sw[i].relative_phase_deg;
		w->lag_s = sw[i].lag_s;
		w->a_breath_rate_bpm = window_breath_rate(&pw[0].br, rr, tc - half, tc + half,
		                                          &cur[0]);
		w->b_breath_rate_bpm = window_breath_rate(&pw[1].br, rrb, tc - half, tc + half,
		                                          &cur[1]);
		w->a_heart_rate_bpm = window_heart_rate(&pw[0], tol, tc - half, tc + half, &cur[2]);
		w->b_heart_rate_bpm = window_heart_rate(&pw[1], tol, tc - half, tc + half, &cur[3]);
	}

	/* Whole-session summary: medians over windows, circular mean for the relative phase. */
	size_t nt = an->n_timeline;
	struct att_analysis_window *tl = an->timeline;
#define MED(field) median_field(tl, nt, offsetof(struct att_analysis_window, field), scratch)
	an->a.breath_rate_bpm = MED(a_breath_rate_bpm);
	an->b.breath_rate_bpm = MED(b_breath_rate_bpm);
	an->a.heart_rate_bpm = MED(a_heart_rate_bpm);
	an->b.heart_rate_bpm = MED(b_heart_rate_bpm);
	an->sync.plv = MED(plv);
	an->sync.plv_chance = MED(plv_chance);
	an->sync.match = MED(match);
#undef MED
	double sx = 0, sy = 0;
	size_t matched = 0, in_sync = 0, with_chance = 0, with_match = 0;
	for (size_t i = 0; i < nt; i++) {
		if (isfinite(tl[i].plv) && isfinite(tl[i].relative_phase_deg)) {
			double r = tl[i].relative_phase_deg * M_PI / 180;
			sx += tl[i].plv * cos(r);
			sy += tl[i].plv * sin(r);
		}
		if (isfinite(tl[i].match)) {
			with_match++;
			matched += tl[i].match >= ATT_ANALYSIS_MATCHED;
		}
		if (isfinite(tl[i].plv) && isfinite(tl[i].plv_chance)) {
			with_chance++;
			in_sync += tl[i].plv > tl[i].plv_chance;
		}
	}
	double rel = sx || sy ? atan2(sy, sx) * 180 / M_PI : NAN;
	if (rel <= -180)
		rel += 360;
	an->sync.relative_phase_deg = rel;
	an->sync.matched_fraction = with_match ? (double)matched / (double)with_match : NAN;
	an->sync.in_sync_fraction = with_chance ? (double)in_sync / (double)with_chance : NAN;
	size_t k = 0;
	for (size_t i = 0; i < nw && i < nt; i++)
		if (isfinite(sw[i].freq_hz) && sw[i].freq_hz > 0)
			scratch[k++] = sw[i].freq_hz;
	double f = NAN;
	if (k) {
		qsort(scratch, k, sizeof *scratch, cmp_double);
		f = k % 2 ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
	}
	an->sync.lag_s = isfinite(rel) && isfinite(f) ? rel / (360 * f) : NAN;

	struct att_coherence_band band;
	size_t mc = m < mb ? m : mb;
	an->sync.coherence = NAN;
	if (att_coherence_in_band(pw[0].cleanf, pw[1].cleanf, mc, rr, 0, COH_LOW_HZ, COH_HIGH_HZ,
	                          &band) == ATT_OK)
		an->sync.coherence = band.coherence;

	an->sync.hr_sync_r = NAN;
	if (pw[0].have_ppg && pw[1].have_ppg) {
		size_t nh = (size_t)(duration * HR_RATE_HZ);
		pw[0].hr = malloc((nh + 1) * sizeof(float));
		pw[1].hr = malloc((nh + 1) * sizeof(float));
		if (!pw[0].hr || !pw[1].hr) {
			err = fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
			goto done;
		}
		struct att_hr_sync hs;
		if (att_hr_resample(pw[0].beat_t, pw[0].pr.n_beats, 0, HR_RATE_HZ, pw[0].hr, nh) ==
		            ATT_OK &&
		    att_hr_resample(pw[1].beat_t, pw[1].pr.n_beats, 0, HR_RATE_HZ, pw[1].hr, nh) ==
		            ATT_OK &&
		    att_hr_sync(pw[0].hr, pw[1].hr, nh, HR_RATE_HZ, window_s, step_s, 0, &hs) == ATT_OK)
			an->sync.hr_sync_r = hs.r;
	}
	progress(cfg, 1);

done:
	person_free(&pw[0]);
	person_free(&pw[1]);
	free(sw);
	free(scratch);
	if (err) {
		att_analysis_free(an);
		return err;
	}
	*out = an;
	return ATT_OK;
}

void att_analysis_free(struct att_analysis *an)
{
	if (!an)
		return;
	free(an->timeline);
	free(an);
}

const char *att_quality_str(unsigned bits, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ATT_Q_SETTLING, "settling"}, {ATT_Q_ABSENT, "absent"},   {ATT_Q_FLAT, "flat"},
		{ATT_Q_SATURATED, "saturated"}, {ATT_Q_IMPLAUSIBLE, "implausible"},
	};
	if (!buf || !len)
		return buf;
	buf[0] = 0;
	if (!bits) {
		snprintf(buf, len, "ok");
		return buf;
	}
	size_t used = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(bits & names[i].bit))
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i].name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

static void json_person(struct att_json *j, const char *key, const struct att_analysis_person *p)
{
	char q[64];
	att_json_object_begin(j, key);
	att_json_number(j, "breath_rate_bpm", p->breath_rate_bpm);
	att_json_uint(j, "breaths", p->breaths);
	att_json_number(j, "heart_rate_bpm", p->heart_rate_bpm);
	att_json_number(j, "rmssd_ms", p->rmssd_ms);
	att_json_object_begin(j, "quality");
	att_json_string(j, "resp", att_quality_str(p->resp_quality, q, sizeof q));
	att_json_string(j, "ppg", att_quality_str(p->ppg_quality, q, sizeof q));
	att_json_object_end(j);
	att_json_object_end(j);
}

int att_analysis_write_json(const struct att_analysis *an, FILE *out, int indent)
{
	if (!an || !out)
		return ATT_ERR_ARG;
	struct att_json *j;
	struct att_json_cfg jc = {.out = out, .indent = indent, .digits = 6};
	int err = att_json_new(&jc, &j);
	if (err)
		return err;
	att_json_object_begin(j, NULL);
	att_json_number(j, "duration_s", an->duration_s);
	att_json_number(j, "rate_hz", an->rate_hz);
	att_json_number(j, "window_s", an->window_s);
	att_json_number(j, "step_s", an->step_s);
	json_person(j, "a", &an->a);
	json_person(j, "b", &an->b);
	const struct att_analysis_sync *s = &an->sync;
	att_json_object_begin(j, "sync");
	att_json_number(j, "match", s->match);
	att_json_number(j, "matched_fraction", s->matched_fraction);
	att_json_number(j, "plv", s->plv);
	att_json_number(j, "plv_chance", s->plv_chance);
	att_json_number(j, "in_sync_fraction", s->in_sync_fraction);
	att_json_number(j, "relative_phase_deg", s->relative_phase_deg);
	att_json_number(j, "lag_s", s->lag_s);
	att_json_number(j, "coherence", s->coherence);
	att_json_number(j, "hr_sync_r", s->hr_sync_r);
	att_json_object_end(j);
	att_json_array_begin(j, "timeline");
	for (size_t i = 0; i < an->n_timeline; i++) {
		const struct att_analysis_window *w = &an->timeline[i];
		/* One row per line even in pretty output: an hour is 3600 rows. */
		att_json_object_begin(j, NULL);
		att_json_set_indent(j, 0);
		att_json_number(j, "t", w->t);
		att_json_number(j, "match", w->match);
		att_json_number(j, "plv", w->plv);
		att_json_number(j, "plv_chance", w->plv_chance);
		att_json_number(j, "relative_phase_deg", w->relative_phase_deg);
		att_json_number(j, "lag_s", w->lag_s);
		att_json_number(j, "a_breath_rate_bpm", w->a_breath_rate_bpm);
		att_json_number(j, "b_breath_rate_bpm", w->b_breath_rate_bpm);
		att_json_number(j, "a_heart_rate_bpm", w->a_heart_rate_bpm);
		att_json_number(j, "b_heart_rate_bpm", w->b_heart_rate_bpm);
		att_json_object_end(j);
		att_json_set_indent(j, indent);
	}
	att_json_array_end(j);
	att_json_object_end(j);
	att_json_end_line(j);
	err = att_json_error(j);
	att_json_free(j);
	if (!err && fflush(out))
		err = ATT_ERR_IO;
	return err;
}

static void csv_num(FILE *out, double v, const char *sep)
{
	if (isfinite(v))
		fprintf(out, "%.6g%s", v, sep);
	else
		fputs(sep, out);
}

int att_analysis_write_timeline_csv(const struct att_analysis *an, FILE *out)
{
	if (!an || !out)
		return ATT_ERR_ARG;
	fputs("t,match,plv,plv_chance,relative_phase_deg,lag_s,a_breath_rate_bpm,"
	      "b_breath_rate_bpm,a_heart_rate_bpm,b_heart_rate_bpm\n",
	      out);
	for (size_t i = 0; i < an->n_timeline; i++) {
		const struct att_analysis_window *w = &an->timeline[i];
		csv_num(out, w->t, ",");
		csv_num(out, w->match, ",");
		csv_num(out, w->plv, ",");
		csv_num(out, w->plv_chance, ",");
		csv_num(out, w->relative_phase_deg, ",");
		csv_num(out, w->lag_s, ",");
		csv_num(out, w->a_breath_rate_bpm, ",");
		csv_num(out, w->b_breath_rate_bpm, ",");
		csv_num(out, w->a_heart_rate_bpm, ",");
		csv_num(out, w->b_heart_rate_bpm, "\n");
	}
	return fflush(out) || ferror(out) ? ATT_ERR_IO : ATT_OK;
}
