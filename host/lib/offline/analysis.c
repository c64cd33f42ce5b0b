/* Offline analysis of a session; method and choices in analysis.h. This file only wires the dsp
 * (filter, breath, pulse, quality) and sync (phase, sync) modules together and summarises. */
#include "attune/analysis.h"
#include "attune/phases.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attune/wire.h"
#include "attune/breath.h"
#include "attune/filter.h"
#include "attune/json.h"
#include "attune/phase.h"
#include "attune/pulse.h"
#include "attune/quality.h"
#include "attune/sync.h"

#define HR_RATE_HZ  4.0 /* heart-rate series for hr_sync: beats come ~1/s, 4 Hz resolves them */
#define COH_LOW_HZ  0.05
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

/* fill_gaps() of the whole x[0..n), but only its samples [a, b) into y[0..b-a), to the bit the
 * same values: a NAN run is bridged between its finite neighbours wherever they are, so a long
 * channel can be converted piece by piece. x must hold a finite value. */
static void fill_gaps_range(const float *x, size_t n, size_t a, size_t b, double *y)
{
	for (size_t i = a; i < b;) {
		if (isfinite(x[i])) {
			y[i - a] = x[i];
			i++;
			continue;
		}
		size_t r0 = i, j = i;
		while (r0 > 0 && !isfinite(x[r0 - 1]))
			r0--;
		while (j < n && !isfinite(x[j]))
			j++;
		size_t stop = j < b ? j : b;
		if (r0 == 0 || j == n) {
			double v = r0 == 0 ? x[j] : x[r0 - 1];
			for (size_t k = i; k < stop; k++)
				y[k - a] = v;
		} else {
			size_t last = r0 - 1;
			double v = x[last], d = (x[j] - v) / (double)(j - last);
			for (size_t k = i; k < stop; k++)
				y[k - a] = v + d * (double)(k - last);
		}
		i = stop;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* numpy.percentile's default (linear interpolation) of v[0..k), sorted ascending; q in 0..100. */
static double sorted_percentile(const double *v, size_t k, double q)
{
	if (!k)
		return NAN;
	double pos = q / 100 * (double)(k - 1);
	size_t i = (size_t)pos;
	return i + 1 < k ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[k - 1];
}

/* The finite values of a strided field, sorted into scratch (n doubles); returns their count. */
static size_t sorted_field(const struct att_analysis_window *w, size_t n, size_t offset,
                           double *scratch)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double v = *(const double *)((const char *)&w[i] + offset);
		if (isfinite(v))
			scratch[k++] = v;
	}
	qsort(scratch, k, sizeof *scratch, cmp_double);
	return k;
}

/* Median of the finite values of a strided field; scratch holds n doubles. */
static double median_field(const struct att_analysis_window *w, size_t n, size_t offset,
                           double *scratch)
{
	return sorted_percentile(scratch, sorted_field(w, n, offset, scratch), 50);
}

struct person_work {
	double *resp_raw; /* n samples, gaps bridged (only while cleaning a belt with gaps) */
	double *clean;    /* m samples at the cleaned rate */
	float *cleanf;    /* the same as float, for phase and coherence */
	float *phase;
	size_t m;
	double rr; /* cleaned rate */
	struct att_breath_result br;
	size_t *beat_idx; /* raw sample indices of the beats */
	size_t nb;        /* beats */
	int have_ppg;
	double *beat_t;    /* beat times in seconds */
	double *ibi_cum;   /* n_beats + 1 prefix sums of accepted IBIs (s) */
	uint32_t *ok_cum;  /* n_beats + 1 prefix counts of accepted IBIs */
	float *hr;         /* heart rate at HR_RATE_HZ */
	uint32_t *bad_cum; /* m + 1 prefix counts of cleaned samples near a long gap; NULL: none */
};

static void person_free(struct person_work *p)
{
	free(p->resp_raw);
	free(p->clean);
	free(p->cleanf);
	free(p->phase);
	att_breath_result_free(&p->br);
	free(p->beat_idx);
	free(p->beat_t);
	free(p->ibi_cum);
	free(p->ok_cum);
	free(p->hr);
	free(p->bad_cum);
}

/* Gaps (NAN runs) of at least GAP_S in a raw belt channel: the cleaned samples they cover, and
 * GAP_GUARD_S either side where the filters ring, are marked so windows touching them are left
 * blank rather than computed on the linear bridge. Shorter gaps are bridged and kept. */
#define GAP_S       0.5
#define GAP_GUARD_S 1.0
static int mark_gaps(const float *x, size_t n, double rate, double rr, size_t m, uint32_t **out)
{
	*out = NULL;
	size_t min_run = (size_t)ceil(GAP_S * rate), guard = (size_t)ceil(GAP_GUARD_S * rr);
	double factor = rate / rr;
	unsigned char *bad = NULL;
	for (size_t i = 0; i < n;) {
		if (isfinite(x[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !isfinite(x[j]))
			j++;
		if (j - i >= min_run) {
			if (!bad && !(bad = calloc(m, 1)))
				return ATT_ERR_NOMEM;
			size_t c0 = (size_t)((double)i / factor),
			       c1 = (size_t)((double)j / factor) + 1;
			c0 = c0 > guard ? c0 - guard : 0;
			c1 = c1 + guard < m ? c1 + guard : m;
			memset(bad + c0, 1, c1 - c0);
		}
		i = j;
	}
	if (!bad)
		return ATT_OK;
	uint32_t *cum = malloc((m + 1) * sizeof *cum);
	if (!cum) {
		free(bad);
		return ATT_ERR_NOMEM;
	}
	cum[0] = 0;
	for (size_t k = 0; k < m; k++)
		cum[k + 1] = cum[k] + bad[k];
	free(bad);
	*out = cum;
	return ATT_OK;
}

static int touches_gap(const uint32_t *cum, size_t m, double rr, double t0, double t1)
{
	if (!cum)
		return 0;
	double a = t0 * rr, b = t1 * rr;
	size_t i0 = a <= 0 ? 0 : (size_t)a, i1 = b <= 0 ? 0 : (size_t)b + 1;
	if (i0 > m)
		i0 = m;
	if (i1 > m)
		i1 = m;
	return cum[i1] > cum[i0];
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

/* Breaths per minute of usable signal: 60 x breath intervals / their total time, over the
 * trough-to-trough intervals that touch no belt gap and are at most BREATH_MAX_S long (a longer
 * one is a pause or a belt off, as att_breath_result.mean_rate_bpm counts it). It agrees with
 * the breaths counted (196 breaths in 10 min read 19.6 /min), where a median of window rates
 * follows the typical window and drifts from the count when the rate's spread is skewed. */
#define BREATH_MAX_S 20.0 /* att_breath_cfg.max_breath_s's default */
static double session_breath_rate(const struct person_work *p, double rate)
{
	const struct att_breath_result *br = &p->br;
	double span = 0;
	size_t count = 0;
	for (size_t i = 1; i < br->n_troughs; i++) {
		double t0 = (double)br->troughs[i - 1] / rate, t1 = (double)br->troughs[i] / rate;
		if (t1 - t0 > BREATH_MAX_S || touches_gap(p->bad_cum, p->m, rate, t0, t1))
			continue;
		span += t1 - t0;
		count++;
	}
	return count && span > 0 ? 60.0 * (double)count / span : NAN;
}

/* Heart rate over beats in [t0, t1): 60 / mean of the accepted IBIs ending there, the same rule
 * as pulse.h's, with the outlier decisions of the whole-session detection (prefix sums, so each
 * window costs two searches). */
static double window_heart_rate(const struct person_work *p, double t0, double t1, size_t *lo,
                                size_t *hi)
{
	if (!p->have_ppg)
		return NAN;
	size_t nb = p->nb;
	while (*lo < nb && p->beat_t[*lo] < t0)
		(*lo)++;
	if (*hi < *lo)
		*hi = *lo;
	while (*hi < nb && p->beat_t[*hi] < t1)
		(*hi)++;
	uint32_t k = p->ok_cum[*hi] - p->ok_cum[*lo];
	double s = p->ibi_cum[*hi] - p->ibi_cum[*lo];
	return k >= 2 && s > 0 ? 60.0 * k / s : NAN;
}

/* The work is split in tasks that run on two threads (the machine this is written for has two
 * cores and the stages are of similar size): a task owns its outputs and reports its own error. */
struct task {
	const struct att_recording *rec;
	struct person_work *pw; /* [2] */
	struct att_analysis *an;
	const struct att_analysis_cfg *cfg;
	int err;
	char why[200];
};

/* att_clean_batch() without a full-length double copy: its two stages done apart, the
 * anti-alias decimation (att_decimate) in chunks of CLEAN_CHUNK_S with CLEAN_OVERLAP_S either side
 * (the 8th-order ~10 Hz low-pass forgets its edges within a second), then the band-pass on the
 * whole ~25 Hz series by att_clean_batch itself at that rate. Only for channels without gaps,
 * whose bridging needs the whole series; returns 1 when the caller should use the plain path. */
#define CLEAN_CHUNK_S   120.0
#define CLEAN_OVERLAP_S 10.0
static int clean_chunked(const float *x, size_t n, double rate, double *y, size_t m, double *rr)
{
	struct att_clean_cfg ccfg = {.kind = ATT_CLEAN_RESP, .rate_hz = rate};
	size_t full = att_clean_len(&ccfg, n);
	if (full != m || m < 2)
		return 1;
	/* The cleaner's own factor (default 25 Hz target); a mismatch in length means it changed. */
	int f = att_decim_factor(rate, 25.0);
	if (att_decim_len(n, f) != m || f < 2 || (double)n / rate < 2 * CLEAN_CHUNK_S)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 1;
	size_t F = (size_t)f;
	size_t chunk = (size_t)(CLEAN_CHUNK_S * rate) / F * F;
	size_t overlap = ((size_t)(CLEAN_OVERLAP_S * rate) / F + 1) * F;
	double *buf = malloc((chunk + 2 * overlap) * sizeof *buf);
	double *dec = malloc(((chunk + 2 * overlap) / F + 2) * sizeof *dec);
	int err = buf && dec ? ATT_OK : ATT_ERR_NOMEM;
	struct att_decim_cfg dc = {.rate_hz = rate, .factor = f};
	for (size_t s = 0; s < n && !err; s += chunk) {
		size_t e = n - s > chunk ? s + chunk : n;
		size_t a = s > overlap ? s - overlap : 0, b = n - e > overlap ? e + overlap : n;
		for (size_t i = a; i < b; i++)
			buf[i - a] = x[i];
		err = att_decimate(&dc, buf, b - a, dec);
		/* a is a multiple of F, so decimated sample j is global sample a / F + j. */
		for (size_t g = s / F; !err && g < m && g * F < e; g++)
			y[g] = dec[g - a / F];
	}
	free(buf);
	free(dec);
	if (err)
		return err;
	/* At the decimated rate the cleaner decimates no further: this is its band-pass alone. */
	struct att_clean_cfg low = {.kind = ATT_CLEAN_RESP, .rate_hz = rate / f};
	if (att_clean_len(&low, m) != m)
		return 1;
	return att_clean_batch(&low, y, m, y, rr);
}

static int resp_run(struct task *tk, int who)
{
	const struct att_recording *rec = tk->rec;
	struct person_work *p = &tk->pw[who];
	const char *name = who ? "B" : "A";
	size_t n = rec->n;
	struct att_clean_cfg ccfg = {.kind = ATT_CLEAN_RESP, .rate_hz = rec->rate_hz};
	size_t m = att_clean_len(&ccfg, n);
	p->clean = malloc(m * sizeof *p->clean);
	p->cleanf = malloc(m * sizeof *p->cleanf);
	p->phase = malloc(m * sizeof *p->phase);
	if (!p->clean || !p->cleanf || !p->phase)
		return fail(tk->why, sizeof tk->why, ATT_ERR_NOMEM, "out of memory");
	const float *x = rec->ch[who ? ATT_CH_B_RESP : ATT_CH_A_RESP];
	int err = clean_chunked(x, n, rec->rate_hz, p->clean, m, &p->rr);
	if (err == 1) {
		p->resp_raw = malloc(n * sizeof *p->resp_raw);
		if (!p->resp_raw)
			return fail(tk->why, sizeof tk->why, ATT_ERR_NOMEM, "out of memory");
		if (!fill_gaps(x, n, p->resp_raw))
			return fail(tk->why, sizeof tk->why, ATT_ERR_NO_DATA,
			            "%s's respiration channel holds no numbers", name);
		err = att_clean_batch(&ccfg, p->resp_raw, n, p->clean, &p->rr);
	}
	if (err)
		return fail(tk->why, sizeof tk->why, err, "cleaning %s's respiration failed: %s",
		            name, att_strerror(err));
	/* The raw copy is the biggest buffer here; quality makes its own when it needs one. */
	free(p->resp_raw);
	p->resp_raw = NULL;
	for (size_t i = 0; i < m; i++)
		p->cleanf[i] = (float)p->clean[i];
	struct att_breath_cfg bcfg = {.rate_hz = p->rr};
	err = att_breath_detect(&bcfg, p->clean, m, &p->br);
	if (err)
		return fail(tk->why, sizeof tk->why, err, "breath detection failed: %s",
		            att_strerror(err));
	/* Done with the double series before the phase's FFT buffers are allocated. */
	free(p->clean);
	p->clean = NULL;
	/* No instantaneous frequency: the synchrony takes its own from the phases. */
	err = att_phase_offline(p->cleanf, m, p->rr, p->phase, NULL, NULL);
	if (err)
		return fail(tk->why, sizeof tk->why, err, "breathing phase failed: %s",
		            att_strerror(err));
	p->m = m;
	if (mark_gaps(rec->ch[who ? ATT_CH_B_RESP : ATT_CH_A_RESP], n, rec->rate_hz, p->rr, m,
	              &p->bad_cum))
		return fail(tk->why, sizeof tk->why, ATT_ERR_NOMEM, "out of memory");
	(who ? &tk->an->b : &tk->an->a)->breaths = p->br.n_troughs;
	return ATT_OK;
}

/* Quality judges raw samples, so breath events go back to raw sample indices. The channel is
 * converted and judged QUALITY_CHUNK samples at a time rather than as one full-length double copy
 * (7.2 MB for a 1-hour 250 Hz belt). */
#define QUALITY_CHUNK 65536
static int resp_quality(struct task *tk, int who)
{
	struct person_work *p = &tk->pw[who];
	const float *x = tk->rec->ch[who ? ATT_CH_B_RESP : ATT_CH_A_RESP];
	size_t n = tk->rec->n;
	size_t factor = (size_t)lround(tk->rec->rate_hz / p->rr);
	size_t *ev = malloc((p->br.n_troughs + 1) * sizeof *ev);
	double *buf = malloc(QUALITY_CHUNK * sizeof *buf);
	struct att_quality_check *q = NULL;
	struct att_quality_cfg qcfg = {.signal = ATT_QUALITY_RESP, .rate_hz = tk->rec->rate_hz};
	int err = ev && buf ? att_quality_new(&qcfg, &q) : ATT_ERR_NOMEM;
	if (err) {
		free(ev);
		free(buf);
		return fail(tk->why, sizeof tk->why, err, "out of memory");
	}
	size_t e = 0;
	for (size_t s = 0; s < n; s += QUALITY_CHUNK) {
		size_t len = n - s < QUALITY_CHUNK ? n - s : QUALITY_CHUNK, ne = 0;
		fill_gaps_range(x, n, s, s + len, buf);
		for (; e < p->br.n_troughs && p->br.troughs[e] * factor < s + len; e++)
			ev[ne++] = p->br.troughs[e] * factor - s;
		att_quality_feed(q, buf, len, ev, ne);
	}
	(who ? &tk->an->b : &tk->an->a)->resp_quality = att_quality_verdict(q, p->br.mean_rate_bpm);
	att_quality_free(q);
	free(ev);
	free(buf);
	return ATT_OK;
}

/* Beats are found in chunks of PPG_CHUNK_S with PPG_OVERLAP_S of signal on each side, keeping
 * only the beats inside the chunk: the detector's full-length scratch (several doubles per
 * sample) then costs a chunk, not the session, and 10 s is far beyond the reach of its 0.5 Hz
 * filter's edge and its 0.67 s averages, so the beats and the IBI decisions are the same. */
#define PPG_CHUNK_S   300.0
#define PPG_OVERLAP_S 10.0

static int ppg_run(struct task *tk, int who)
{
	const struct att_recording *rec = tk->rec;
	struct person_work *p = &tk->pw[who];
	struct att_analysis_person *out = who ? &tk->an->b : &tk->an->a;
	int ch = who ? ATT_CH_B_PPG : ATT_CH_A_PPG;
	size_t n = rec->n;
	double rate = rec->rate_hz;
	out->rmssd_ms = NAN;
	out->ppg_quality = ATT_Q_ABSENT;
	if (!rec->ch[ch])
		return ATT_OK;
	const float *x = rec->ch[ch];
	size_t first = 0;
	while (first < n && !isfinite(x[first]))
		first++;
	if (first == n)
		return ATT_OK; /* a column of nothing: as good as absent */
	struct att_pulse_cfg pcfg = {.rate_hz = rate};
	size_t chunk = (size_t)(PPG_CHUNK_S * rate), overlap = (size_t)(PPG_OVERLAP_S * rate);
	size_t cap = 0, nb = 0;
	double *ibi = NULL;
	unsigned char *ok = NULL;
	/* One chunk with its overlaps as doubles, gaps bridged as over the whole channel. */
	double *buf = malloc((chunk + 2 * overlap) * sizeof *buf);
	size_t *rel = NULL; /* the chunk's kept beats, relative to its start, for quality */
	struct att_quality_check *q = NULL;
	struct att_quality_cfg pq = {.signal = ATT_QUALITY_PPG, .rate_hz = rate};
	int err = buf ? att_quality_new(&pq, &q) : ATT_ERR_NOMEM;
	for (size_t s = 0; s < n && !err; s += chunk) {
		size_t e = n - s > chunk ? s + chunk : n;
		/* A short tail joins the previous chunk's overlap; it still needs a few beats. */
		size_t a = s > overlap ? s - overlap : 0, b = n - e > overlap ? e + overlap : n;
		size_t nb0 = nb;
		fill_gaps_range(x, n, a, b, buf);
		struct att_pulse_result r;
		err = att_pulse_detect(&pcfg, buf, b - a, &r);
		if (err == ATT_ERR_NO_DATA) /* too short to hold a beat: r is empty */
			err = ATT_OK;
		else if (err)
			break;
		for (size_t j = 0; !err && j < r.n_beats; j++) {
			size_t idx = a + r.beats[j];
			if (idx < s || idx >= e)
				continue;
			if (nb == cap) {
				cap = cap ? 2 * cap : 1024;
				size_t *nbi = realloc(p->beat_idx, cap * sizeof *nbi);
				double *nibi = nbi ? realloc(ibi, cap * sizeof *nibi) : NULL;
				unsigned char *nok = nibi ? realloc(ok, cap) : NULL;
				if (nbi)
					p->beat_idx = nbi;
				if (nibi)
					ibi = nibi;
				if (!nok) {
					err = ATT_ERR_NOMEM;
					break;
				}
				ok = nok;
			}
			p->beat_idx[nb] = idx;
			/* The first kept beat of a later chunk has its predecessor in the overlap. */
			ibi[nb] = r.ibi_s[j];
			ok[nb] = r.ibi_ok[j] && isfinite(r.ibi_s[j]);
			nb++;
		}
		att_pulse_result_free(&r);
		if (err)
			break;
		/* Quality of the chunk's own samples [s, e), with its own beats. */
		size_t *nrel = nb > nb0 ? realloc(rel, (nb - nb0) * sizeof *nrel) : rel;
		if (!nrel) {
			err = ATT_ERR_NOMEM;
			break;
		}
		rel = nrel;
		for (size_t k = nb0; k < nb; k++)
			rel[k - nb0] = p->beat_idx[k] - s;
		att_quality_feed(q, buf + (s - a), e - s, rel, nb - nb0);
	}
	free(buf);
	free(rel);
	if (!err) {
		p->beat_t = malloc((nb + 1) * sizeof *p->beat_t);
		p->ibi_cum = malloc((nb + 1) * sizeof *p->ibi_cum);
		p->ok_cum = malloc((nb + 1) * sizeof *p->ok_cum);
		if (!p->beat_t || !p->ibi_cum || !p->ok_cum)
			err = ATT_ERR_NOMEM;
	}
	if (err) {
		free(ibi);
		free(ok);
		att_quality_free(q);
		return fail(tk->why, sizeof tk->why, err, "beat detection failed: %s",
		            att_strerror(err));
	}
	p->ibi_cum[0] = 0;
	p->ok_cum[0] = 0;
	for (size_t i = 0; i < nb; i++) {
		p->beat_t[i] = (double)p->beat_idx[i] / rate;
		p->ibi_cum[i + 1] = p->ibi_cum[i] + (ok[i] ? ibi[i] : 0);
		p->ok_cum[i + 1] = p->ok_cum[i] + (uint32_t)ok[i];
	}
	free(ibi);
	free(ok);
	p->nb = nb;
	p->have_ppg = 1;
	/* Whole-session heart rate and RMSSD by pulse.h's own rule over all the beats. */
	double hr = NAN;
	att_pulse_stats(p->beat_t, nb, 0, &hr, &out->rmssd_ms);
	out->ppg_quality = att_quality_verdict(q, hr);
	att_quality_free(q);
	return ATT_OK;
}

/* Windows, steps and the inner (edge-free) slice the synchrony runs on. */
struct sync_job {
	struct task tk;
	struct att_sync_cfg scfg;
	size_t edge, inner, nw;
	struct att_sync_window *sw;
	struct att_sync_summary sum; /* the whole inner slice, gaps included */
	int got;
};

static int sync_run(struct sync_job *sj)
{
	struct person_work *pw = sj->tk.pw;
	sj->got = att_sync_analyze(&sj->scfg, pw[0].phase + sj->edge, pw[1].phase + sj->edge,
	                           sj->inner, sj->sw, sj->nw, &sj->sum);
	if (sj->got < 0)
		return fail(sj->tk.why, sizeof sj->tk.why, sj->got, "synchrony failed: %s",
		            att_strerror(sj->got));
	return ATT_OK;
}

/* Heart-rate synchrony on 4 Hz heart rates: the zero-lag windowed r (att_hr_sync), and the
 * windowed cross-correlation with peak picking and its chance level (att_hr_xcorr), which finds
 * a partner whose heart follows by a second where the zero-lag r sees nothing. */
static int hr_sync_run(struct task *tk)
{
	struct person_work *pw = tk->pw;
	struct att_analysis_sync *out = &tk->an->sync;
	out->hr_sync_r = out->hr_sync_r_max = out->hr_sync_lag_s = out->hr_sync_chance = NAN;
	if (!pw[0].have_ppg || !pw[1].have_ppg)
		return ATT_OK;
	size_t nh = (size_t)(tk->an->duration_s * HR_RATE_HZ);
	pw[0].hr = malloc((nh + 1) * sizeof(float));
	pw[1].hr = malloc((nh + 1) * sizeof(float));
	if (!pw[0].hr || !pw[1].hr)
		return fail(tk->why, sizeof tk->why, ATT_ERR_NOMEM, "out of memory");
	if (att_hr_resample(pw[0].beat_t, pw[0].nb, 0, HR_RATE_HZ, pw[0].hr, nh) != ATT_OK ||
	    att_hr_resample(pw[1].beat_t, pw[1].nb, 0, HR_RATE_HZ, pw[1].hr, nh) != ATT_OK)
		return ATT_OK;
	struct att_hr_sync hs;
	if (att_hr_sync(pw[0].hr, pw[1].hr, nh, HR_RATE_HZ, tk->an->window_s, tk->an->step_s, -1,
	                &hs) == ATT_OK) /* the zero-lag r: att_hr_xcorr searches the lags */
		out->hr_sync_r = hs.r;
	struct att_hr_xcorr_cfg xc = {.rate_hz = HR_RATE_HZ,
	                              .window_s = tk->an->window_s,
	                              .step_s = tk->an->step_s};
	struct att_hr_xcorr hx;
	int err = att_hr_xcorr(&xc, pw[0].hr, pw[1].hr, nh, &hx);
	if (err == ATT_ERR_NOMEM)
		return fail(tk->why, sizeof tk->why, err, "out of memory");
	if (err == ATT_OK) {
		out->hr_sync_r_max = hx.r_max;
		out->hr_sync_lag_s = hx.lag_s;
		out->hr_sync_chance = hx.chance;
	}
	return ATT_OK;
}

/* Coherence of the two cleaned belts over their common length (needs both belts done). */
static void coherence_run(struct task *tk)
{
	struct person_work *pw = tk->pw;
	size_t m = pw[0].m < pw[1].m ? pw[0].m : pw[1].m;
	struct att_coherence_band band;
	tk->an->sync.coherence = NAN;
	if (att_coherence_in_band(pw[0].cleanf, pw[1].cleanf, m, pw[0].rr, 0, COH_LOW_HZ,
	                          COH_HIGH_HZ, &band) == ATT_OK)
		tk->an->sync.coherence = band.coherence;
}

/* Second thread: the PPG of both and their heart-rate synchrony, then (once the belts are done)
 * the belts' quality and coherence, which fit in while the main thread runs the synchrony. */
struct side_job {
	struct task tk;
	pthread_mutex_t *lock;
	pthread_cond_t *cond;
	int *resp_done; /* set under lock by the main thread: 1 ok, -1 failed */
};

static void *side_main(void *arg)
{
	struct side_job *sj = arg;
	struct task *tk = &sj->tk;
	for (int who = 0; who < 2 && !tk->err; who++)
		tk->err = ppg_run(tk, who);
	if (!tk->err)
		tk->err = hr_sync_run(tk);
	pthread_mutex_lock(sj->lock);
	while (!*sj->resp_done)
		pthread_cond_wait(sj->cond, sj->lock);
	int ok = *sj->resp_done > 0;
	pthread_mutex_unlock(sj->lock);
	for (int who = 0; ok && who < 2 && !tk->err; who++)
		tk->err = resp_quality(tk, who);
	if (ok && !tk->err)
		coherence_run(tk);
	return NULL;
}

/* Timeline rows from the synchrony windows, with each person's rates over the same span; windows
 * touching a belt gap are blanked (their freq_hz too, so no summary uses them). */
static void fill_timeline(struct att_analysis *an, struct sync_job *sync,
                          const struct person_work *pw, double rr, double window_s)
{
	double offset_s = (double)sync->edge / rr;
	double inner_s = (double)sync->inner / rr;
	double half = 0.5 * (window_s < inner_s ? window_s : inner_s);
	size_t cur[2] = {0, 0}, lo[2] = {0, 0}, hi[2] = {0, 0};
	for (size_t i = 0; i < an->n_timeline; i++) {
		struct att_analysis_window *w = &an->timeline[i];
		struct att_sync_window *s = &sync->sw[i];
		double tc = s->t + offset_s, t0 = tc - half, t1 = tc + half;
		w->t = tc;
		w->match = s->match;
		w->plv = s->plv;
		w->plv_chance = s->plv_chance;
		w->chance_informative = isfinite(s->plv_chance)
		                                ? s->plv_chance < ATT_ANALYSIS_CHANCE_UNINFORMATIVE
		                                : -1;
		w->relative_phase_deg = s->relative_phase_deg;
		w->lag_s = s->lag_s;
		w->a_breath_rate_bpm = window_breath_rate(&pw[0].br, rr, t0, t1, &cur[0]);
		w->b_breath_rate_bpm = window_breath_rate(&pw[1].br, rr, t0, t1, &cur[1]);
		w->a_heart_rate_bpm = window_heart_rate(&pw[0], t0, t1, &lo[0], &hi[0]);
		w->b_heart_rate_bpm = window_heart_rate(&pw[1], t0, t1, &lo[1], &hi[1]);
		if (touches_gap(pw[0].bad_cum, pw[0].m, rr, t0, t1) ||
		    touches_gap(pw[1].bad_cum, pw[1].m, rr, t0, t1)) {
			w->match = w->plv = w->plv_chance = w->relative_phase_deg = w->lag_s = NAN;
			w->chance_informative = -1;
			w->a_breath_rate_bpm = w->b_breath_rate_bpm = NAN;
			s->freq_hz = NAN;
		}
	}
}

/* A person's breathing rate over the session and its spread over the windows. */
static void breath_rates(struct att_analysis_person *out, const struct person_work *p, double rr,
                         const struct att_analysis_window *tl, size_t nt, size_t offset,
                         double *scratch)
{
	out->breath_rate_bpm = session_breath_rate(p, rr);
	size_t k = sorted_field(tl, nt, offset, scratch);
	out->breath_rate_median_bpm = sorted_percentile(scratch, k, 50);
	out->breath_rate_range_bpm[0] = sorted_percentile(scratch, k, 10);
	out->breath_rate_range_bpm[1] = sorted_percentile(scratch, k, 90);
}

/* PLV of the whole usable session against its surrogates (the same shifts as the windows').
 * A window's chance level is high for any two regular breathers (within 30 s every shift looks
 * locked), but over the session a shifted partner drifts away as the rates wander, while a
 * partner who follows stays locked. The synchrony's own summary covers the inner slice; with
 * belt gaps the slice is run again without the samples near them, so no bridge is counted. */
static int session_locking(struct att_analysis_sync *out, const struct sync_job *sj,
                           const struct person_work *pw)
{
	struct att_sync_summary sum = sj->sum;
	if (pw[0].bad_cum || pw[1].bad_cum) {
		float *ca = malloc((sj->inner + 1) * sizeof *ca);
		float *cb = malloc((sj->inner + 1) * sizeof *cb);
		size_t k = 0;
		int err = ca && cb ? ATT_OK : ATT_ERR_NOMEM;
		for (size_t i = sj->edge; !err && i < sj->edge + sj->inner; i++) {
			int bad = 0;
			for (int w = 0; w < 2; w++)
				bad |= pw[w].bad_cum && pw[w].bad_cum[i + 1] > pw[w].bad_cum[i];
			if (!bad) {
				ca[k] = pw[0].phase[i];
				cb[k++] = pw[1].phase[i];
			}
		}
		sum.plv = sum.plv_chance = NAN;
		if (!err && k >= 2)
			err = att_sync_analyze(&sj->scfg, ca, cb, k, NULL, 0, &sum);
		free(ca);
		free(cb);
		if (err == ATT_ERR_NOMEM)
			return err;
		if (err < 0)
			sum.plv = sum.plv_chance = NAN;
	}
	out->session_plv = sum.plv;
	out->session_plv_chance = sum.plv_chance;
	/* Locked as the live view means it (PLV >= ATT_LEAD_MIN_PLV) and above chance: a PLV of 0.3
	 * over ten minutes may beat the surrogates now and then (1 in 20 by the percentile's
	 * design) without anyone breathing with anyone. */
	out->locked = isfinite(sum.plv) && isfinite(sum.plv_chance)
	                      ? sum.plv >= ATT_LEAD_MIN_PLV && sum.plv > sum.plv_chance
	                      : -1;
	return ATT_OK;
}

/* Who leads, by the live view's rule (att_sync_lead), asked only of a session locked above
 * chance: otherwise the mean relative phase is an accident of the moment and is not told. */
static void session_lead(struct att_analysis *an)
{
	struct att_analysis_sync *s = &an->sync;
	s->lead = s->locked == 1 ? att_sync_lead(s->session_plv, s->relative_phase_deg,
	                                         an->a.breath_rate_bpm, an->b.breath_rate_bpm)
	                         : ATT_LEAD_NONE;
	if (s->lead == ATT_LEAD_NONE)
		s->relative_phase_deg = s->lag_s = NAN;
}

/* Whole-session figures from the timeline: medians over windows, a circular mean for the
 * relative phase, the session's locking and who leads (analysis.h). ATT_ERR_NOMEM. */
static int summarise(struct att_analysis *an, const struct sync_job *sync,
                     const struct person_work *pw, double rr)
{
	size_t nt = an->n_timeline;
	struct att_analysis_window *tl = an->timeline;
	double *scratch = malloc((nt > 16 ? nt : 16) * sizeof *scratch);
	if (!scratch)
		return ATT_ERR_NOMEM;
	breath_rates(&an->a, &pw[0], rr, tl, nt,
	             offsetof(struct att_analysis_window, a_breath_rate_bpm), scratch);
	breath_rates(&an->b, &pw[1], rr, tl, nt,
	             offsetof(struct att_analysis_window, b_breath_rate_bpm), scratch);
#define MED(field) median_field(tl, nt, offsetof(struct att_analysis_window, field), scratch)
	an->a.heart_rate_bpm = MED(a_heart_rate_bpm);
	an->b.heart_rate_bpm = MED(b_heart_rate_bpm);
	an->sync.plv = MED(plv);
	an->sync.plv_chance = MED(plv_chance);
	an->sync.match = MED(match);
#undef MED
	double sx = 0, sy = 0;
	size_t matched = 0, in_sync = 0, with_chance = 0, with_match = 0, informative = 0;
	for (size_t i = 0; i < nt; i++) {
		if (isfinite(tl[i].plv) && isfinite(tl[i].relative_phase_deg)) {
			double r = tl[i].relative_phase_deg * M_PI / 180;
			sx += tl[i].plv * cos(r);
			sy += tl[i].plv * sin(r);
		}
		if (isfinite(tl[i].match)) {
			with_match++;
			matched += tl[i].match >= ATT_MATCHED;
		}
		if (isfinite(tl[i].plv) && isfinite(tl[i].plv_chance)) {
			with_chance++;
			in_sync += tl[i].plv > tl[i].plv_chance;
			informative += tl[i].chance_informative == 1;
		}
	}
	double rel = sx || sy ? atan2(sy, sx) * 180 / M_PI : NAN;
	if (rel <= -180)
		rel += 360;
	an->sync.relative_phase_deg = rel;
	an->sync.matched_fraction = with_match ? (double)matched / (double)with_match : NAN;
	an->sync.in_sync_fraction = with_chance ? (double)in_sync / (double)with_chance : NAN;
	an->sync.chance_informative_fraction =
	        with_chance ? (double)informative / (double)with_chance : NAN;
	/* Each window's lag is its phase at its own breathing frequency, so a partner who follows
	 * by a fixed time reads as that time however the rate wanders; weighted like the phase. */
	double lw = 0, ls = 0;
	for (size_t i = 0; i < nt; i++)
		if (isfinite(tl[i].plv) && isfinite(tl[i].lag_s)) {
			lw += tl[i].plv;
			ls += tl[i].plv * tl[i].lag_s;
		}
	an->sync.lag_s = isfinite(rel) && lw > 0 ? ls / lw : NAN;
	free(scratch);
	int err = session_locking(&an->sync, sync, pw);
	session_lead(an);
	return err;
}

static int analyze(const struct att_analysis_cfg *cfg, const struct att_recording *rec,
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
		return fail(why, why_len, ATT_ERR_ARG,
		            "step %g s must be > 0 and at most the window", step_s);
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
	struct sync_job sync = {.sw = NULL};
	int err = ATT_OK;
	if (!an)
		return fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	an->duration_s = duration;
	an->rate_hz = rec->rate_hz;
	an->window_s = window_s;
	an->step_s = step_s;
	an->a.heart_rate_bpm = an->b.heart_rate_bpm = NAN;
	an->a.rmssd_ms = an->b.rmssd_ms = NAN;
	progress(cfg, 0);

	/* Main thread: both belts, then synchrony; side thread: both pulses and heart-rate sync,
	 * then the belts' quality (it needs the breaths) and coherence. Without a second thread
	 * the side job runs here. */
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	int resp_done = 0;
	struct task base = {.rec = rec, .pw = pw, .an = an, .cfg = cfg};
	struct side_job side = {.tk = base, .lock = &lock, .cond = &cond, .resp_done = &resp_done};
	pthread_t side_thread;
	int threaded = pthread_create(&side_thread, NULL, side_main, &side) == 0;

	struct task main_tk = base;
	for (int who = 0; who < 2 && !main_tk.err; who++)
		main_tk.err = resp_run(&main_tk, who);
	pthread_mutex_lock(&lock);
	resp_done = main_tk.err ? -1 : 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	progress(cfg, 0.3);

	size_t m = pw[0].m < pw[1].m ? pw[0].m : pw[1].m;
	double rr = pw[0].rr;
	if (!main_tk.err) {
		/* Synchrony on the inner part of the phase series, away from the Hilbert edges. */
		sync.tk = base;
		sync.edge = (size_t)(ATT_ANALYSIS_EDGE_S * rr);
		sync.inner = m > 2 * sync.edge ? m - 2 * sync.edge : 0;
		sync.scfg = (struct att_sync_cfg){.rate_hz = rr,
		                                  .window_s = window_s,
		                                  .step_s = step_s,
		                                  .surrogates = cfg->surrogates};
		sync.nw = att_sync_window_count(&sync.scfg, sync.inner);
		if (!sync.nw) {
			main_tk.err = fail(main_tk.why, sizeof main_tk.why, ATT_ERR_NO_DATA,
			                   "the recording is too short for synchrony");
		} else if (!(sync.sw = calloc(sync.nw, sizeof *sync.sw)) ||
		           !(an->timeline = calloc(sync.nw, sizeof *an->timeline))) {
			main_tk.err = fail(main_tk.why, sizeof main_tk.why, ATT_ERR_NOMEM,
			                   "out of memory");
		} else {
			main_tk.err = sync_run(&sync);
			if (main_tk.err)
				memcpy(main_tk.why, sync.tk.why, sizeof main_tk.why);
		}
	}
	if (threaded)
		pthread_join(side_thread, NULL);
	else
		side_main(&side);
	progress(cfg, 0.8);
	pthread_mutex_destroy(&lock);
	pthread_cond_destroy(&cond);
	if (main_tk.err || side.tk.err) {
		struct task *bad = main_tk.err ? &main_tk : &side.tk;
		err = fail(why, why_len, bad->err, "%s", bad->why);
		goto done;
	}
	an->n_timeline = (size_t)sync.got;
	/* sync counts windows and steps in samples of the cleaned series: report what was used. */
	an->window_s = (double)lround(window_s * rr) / rr;
	an->step_s = (double)(lround(step_s * rr) < 1 ? 1 : lround(step_s * rr)) / rr;

	fill_timeline(an, &sync, pw, rr, window_s);
	err = summarise(an, &sync, pw, rr);
	if (err) {
		err = fail(why, why_len, err, "out of memory");
		goto done;
	}

	progress(cfg, 1);
done:
	person_free(&pw[0]);
	person_free(&pw[1]);
	free(sync.sw);
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
	att_phases_free(an->phases);
	free(an);
}

const char *att_quality_str(unsigned bits, char *buf, size_t len)
{
	/* Settling first: the order session files have always had, so they stay comparable. */
	static const unsigned order[] = {ATT_Q_SETTLING, ATT_Q_ABSENT, ATT_Q_FLAT, ATT_Q_SATURATED,
	                                 ATT_Q_IMPLAUSIBLE};
	if (!buf || !len)
		return buf;
	buf[0] = 0;
	if (!bits) {
		snprintf(buf, len, "ok");
		return buf;
	}
	size_t used = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(bits & order[i]))
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
		                 att_quality_word(order[i]));
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* analysed = 0 writes the same keys with null values (a session too short to analyse). */
static void json_person(struct att_json *j, const char *key, const struct att_analysis_person *p,
                        int analysed)
{
	char q[64];
	att_json_object_begin(j, key);
	att_json_number(j, "breath_rate_bpm", p->breath_rate_bpm);
	if (analysed)
		att_json_uint(j, "breaths", p->breaths);
	else
		att_json_null(j, "breaths");
	att_json_number(j, "heart_rate_bpm", p->heart_rate_bpm);
	att_json_number(j, "rmssd_ms", p->rmssd_ms);
	att_json_number(j, "breath_rate_median_bpm", p->breath_rate_median_bpm);
	if (isfinite(p->breath_rate_range_bpm[0]) && isfinite(p->breath_rate_range_bpm[1])) {
		att_json_array_begin(j, "breath_rate_range_bpm");
		att_json_number(j, NULL, p->breath_rate_range_bpm[0]);
		att_json_number(j, NULL, p->breath_rate_range_bpm[1]);
		att_json_array_end(j);
	} else {
		att_json_null(j, "breath_rate_range_bpm");
	}
	if (analysed) {
		att_json_object_begin(j, "quality");
		att_json_string(j, "resp", att_quality_str(p->resp_quality, q, sizeof q));
		att_json_string(j, "ppg", att_quality_str(p->ppg_quality, q, sizeof q));
		att_json_object_end(j);
	} else {
		att_json_null(j, "quality");
	}
	att_json_object_end(j);
}

static int json_members(const struct att_analysis *an, int analysed, struct att_json *j, int indent)
{
	att_json_number(j, "duration_s", an->duration_s);
	att_json_number(j, "rate_hz", an->rate_hz);
	if (analysed) {
		att_json_number(j, "window_s", an->window_s);
		att_json_number(j, "step_s", an->step_s);
	}
	json_person(j, "a", &an->a, analysed);
	json_person(j, "b", &an->b, analysed);
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
	att_json_number(j, "chance_informative_fraction", s->chance_informative_fraction);
	att_json_number(j, "hr_sync_r_max", s->hr_sync_r_max);
	att_json_number(j, "hr_sync_lag_s", s->hr_sync_lag_s);
	att_json_number(j, "hr_sync_chance", s->hr_sync_chance);
	att_json_number(j, "session_plv", s->session_plv);
	att_json_number(j, "session_plv_chance", s->session_plv_chance);
	if (s->locked >= 0)
		att_json_bool(j, "locked", s->locked);
	else
		att_json_null(j, "locked");
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
		if (w->chance_informative >= 0)
			att_json_bool(j, "chance_informative", w->chance_informative);
		else
			att_json_null(j, "chance_informative");
		att_json_object_end(j);
		att_json_set_indent(j, indent);
	}
	att_json_array_end(j);
	att_phases_json_members(analysed ? an->phases : NULL, j);
	return att_json_error(j);
}

int att_analysis_json_members(const struct att_analysis *an, double duration_s, double rate_hz,
                              struct att_json *j, int indent)
{
	struct att_analysis empty;
	if (!j)
		return ATT_ERR_ARG;
	if (an)
		return json_members(an, 1, j, indent);
	memset(&empty, 0, sizeof empty);
	empty.duration_s = duration_s;
	empty.rate_hz = rate_hz;
	empty.a.breath_rate_bpm = empty.a.heart_rate_bpm = empty.a.rmssd_ms = NAN;
	empty.a.breath_rate_median_bpm = NAN;
	empty.a.breath_rate_range_bpm[0] = empty.a.breath_rate_range_bpm[1] = NAN;
	empty.b = empty.a;
	empty.sync = (struct att_analysis_sync){.match = NAN,
	                                        .matched_fraction = NAN,
	                                        .plv = NAN,
	                                        .plv_chance = NAN,
	                                        .in_sync_fraction = NAN,
	                                        .relative_phase_deg = NAN,
	                                        .lag_s = NAN,
	                                        .coherence = NAN,
	                                        .hr_sync_r = NAN,
	                                        .chance_informative_fraction = NAN,
	                                        .hr_sync_r_max = NAN,
	                                        .hr_sync_lag_s = NAN,
	                                        .hr_sync_chance = NAN,
	                                        .session_plv = NAN,
	                                        .session_plv_chance = NAN,
	                                        .locked = -1};
	empty.sync.lead = ATT_LEAD_NONE;
	return json_members(&empty, 0, j, indent);
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
	att_analysis_json_members(an, an->duration_s, an->rate_hz, j, indent);
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
	      "b_breath_rate_bpm,a_heart_rate_bpm,b_heart_rate_bpm,chance_informative\n",
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
		csv_num(out, w->b_heart_rate_bpm, ",");
		csv_num(out, w->chance_informative >= 0 ? w->chance_informative : NAN, "\n");
	}
	return fflush(out) || ferror(out) ? ATT_ERR_IO : ATT_OK;
}

/* Samples a recorder filled in a gap (held values, not signal) become NAN runs here, so they are
 * treated as gaps: short ones bridged, long ones leave the windows around them blank. */
static int analyze_filled_as_gaps(const struct att_analysis_cfg *cfg,
                                  const struct att_recording *rec, struct att_analysis **out,
                                  char *why, size_t why_len)
{
	struct att_recording holed;
	float *own[4] = {NULL, NULL, NULL, NULL};
	int err;

	if (!rec || !rec->filled)
		return analyze(cfg, rec, out, why, why_len);
	holed = *rec;
	holed.filled = NULL;
	for (int c = 0; c < 4; c++) {
		if (!rec->ch[c])
			continue;
		if (!(own[c] = malloc((rec->n ? rec->n : 1) * sizeof(float)))) {
			for (int k = 0; k < c; k++)
				free(own[k]);
			if (out)
				*out = NULL;
			return fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		}
		for (size_t k = 0; k < rec->n; k++)
			own[c][k] = rec->filled[k] ? NAN : rec->ch[c][k];
		holed.ch[c] = own[c];
	}
	err = analyze(cfg, &holed, out, why, why_len);
	for (int c = 0; c < 4; c++)
		free(own[c]);
	return err;
}

int att_analyze(const struct att_analysis_cfg *cfg, const struct att_recording *rec,
                struct att_analysis **out, char *why, size_t why_len)
{
	int err = analyze_filled_as_gaps(cfg, rec, out, why, why_len);

	/* a phase's own analysis sees no phase events: this does not recurse further */
	if (!err && (err = att_phases_analyze(rec, &(*out)->phases, why, why_len))) {
		att_analysis_free(*out);
		*out = NULL;
	}
	return err;
}
