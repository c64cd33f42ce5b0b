/* Synchrony of two people: PLV, relative phase, lag, match, surrogate chance level, coherence,
 * cross-correlation lag, heart-rate correlation, and the live tracker.
 *
 * Offline windows use prefix sums of e^{i(phiA - phiB)}, so each window costs O(1) and each
 * surrogate O(n). The live tracker keeps exponentially weighted sums, bias-corrected by their
 * weight so the first seconds after a reset are not pulled towards zero.
 *
 * Invariant: the live tracker allocates only in att_livesync_new(); offline functions free all
 * they allocate before returning. */
#include "attune/sync.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fft.h>
#include <kiss_fftr.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define ATT_SYNC_MIN_SURROGATES 19
#define ATT_LIVESYNC_BINS       100 /* chance-level histogram over PLV 0..1 */

static double wrap_deg(double d)
{
	d = fmod(d + 180, 360);
	if (d <= 0)
		d += 360;
	return d - 180;
}

static double wrap_pi(double x)
{
	x = fmod(x + M_PI, 2 * M_PI);
	if (x <= 0)
		x += 2 * M_PI;
	return x - M_PI;
}

/* Moves the k-th smallest of v[0..m) (k < m) to v[k], with nothing smaller after it
 * (quickselect, Hoare partition): a chance level needs two order statistics of a window's
 * surrogates, and sorting all of them for every window was a tenth of the analysis. */
static void select_kth(double *v, size_t m, size_t k)
{
	long lo = 0, hi = (long)m - 1, kk = (long)k;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		long i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			return; /* between the parts: equal to the pivot, in place */
	}
}

/* numpy.percentile's default (linear interpolation) of v[0..m), reordering v; v holds no NAN. */
static double percentile(double *v, size_t m, double q)
{
	if (m == 0)
		return NAN;
	double pos = q / 100 * (double)(m - 1);
	size_t i = (size_t)pos;
	if (i + 1 >= m) {
		select_kth(v, m, m - 1);
		return v[m - 1];
	}
	select_kth(v, m, i);
	double next = v[i + 1];
	for (size_t k = i + 2; k < m; k++)
		next = v[k] < next ? v[k] : next;
	return v[i] + (pos - (double)i) * (next - v[i]);
}

static size_t next_pow2(size_t n)
{
	size_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

/* Offline phase synchrony. */

struct sync_params {
	size_t w, step, nwin;
	unsigned surrogates;
	double min_shift_s;
};

static int sync_params(const struct att_sync_cfg *cfg, size_t n, struct sync_params *p)
{
	if (!cfg || !(cfg->rate_hz > 0) || !isfinite(cfg->rate_hz) || !(cfg->window_s >= 0) ||
	    !(cfg->step_s >= 0) || !(cfg->min_shift_s >= 0))
		return ATT_ERR_ARG;
	double win = cfg->window_s > 0 ? cfg->window_s : 30;
	double step = cfg->step_s > 0 ? cfg->step_s : 1;
	if (step > win)
		return ATT_ERR_ARG;
	p->surrogates = cfg->surrogates ? cfg->surrogates : 99;
	if (p->surrogates < ATT_SYNC_MIN_SURROGATES || p->surrogates > 9999)
		return ATT_ERR_ARG;
	p->min_shift_s = cfg->min_shift_s > 0 ? cfg->min_shift_s : 10;
	long w = lround(win * cfg->rate_hz), s = lround(step * cfg->rate_hz);
	p->w = w < 2 ? 2 : (size_t)w;
	p->step = s < 1 ? 1 : (size_t)s;
	if (n < 2)
		p->nwin = 0;
	else if (n < p->w) {
		p->w = n;
		p->nwin = 1;
	} else
		p->nwin = (n - p->w) / p->step + 1;
	return ATT_OK;
}

size_t att_sync_window_count(const struct att_sync_cfg *cfg, size_t n)
{
	struct sync_params p;
	return sync_params(cfg, n, &p) ? 0 : p.nwin;
}

/* Mean frequency (Hz) of two unwrapped phase series over samples [s, e]. */
static double mean_freq(const double *ua, const double *ub, size_t s, size_t e, double rate)
{
	if (e <= s)
		return NAN;
	double f = ((ua[e] - ua[s]) + (ub[e] - ub[s])) / 2 / (2 * M_PI) * rate / (double)(e - s);
	return f > 0 ? f : NAN;
}

static void fill_window(struct att_sync_window *o, double sr, double si, size_t w, double f)
{
	o->plv = hypot(sr, si) / (double)w;
	o->relative_phase_deg = wrap_deg(atan2(si, sr) * 180 / M_PI);
	o->freq_hz = f;
	o->lag_s = isnan(f) ? NAN : o->relative_phase_deg / (360 * f);
	double m = o->plv * cos(o->relative_phase_deg * M_PI / 180);
	o->match = m > 0 ? m : 0;
}

int att_sync_analyze(const struct att_sync_cfg *cfg, const float *pa, const float *pb, size_t n,
                     struct att_sync_window *windows, size_t max_windows,
                     struct att_sync_summary *sum)
{
	struct sync_params P;
	if (!pa || !pb || (max_windows && !windows))
		return ATT_ERR_ARG;
	int err = sync_params(cfg, n, &P);
	if (err)
		return err;
	if (n < 2)
		return ATT_ERR_NO_DATA;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(pa[i]) || !isfinite(pb[i]))
			return ATT_ERR_NO_DATA;
	double rate = cfg->rate_hz;
	size_t nw = P.nwin, K = P.surrogates;
	double *cr = malloc((n + 1) * sizeof *cr), *ci = malloc((n + 1) * sizeof *ci);
	double *ua = malloc(n * sizeof *ua), *ub = malloc(n * sizeof *ub);
	float *surr = malloc(nw * K * sizeof *surr);
	double *whole = malloc(K * sizeof *whole), *tmp = malloc(K * sizeof *tmp);
	struct att_sync_window *win = malloc(nw * sizeof *win);
	double *car = NULL, *cai = NULL, *cbr = NULL, *cbi = NULL; /* e^{i pa}, e^{i pb} */
	if (!cr || !ci || !ua || !ub || !surr || !whole || !tmp || !win) {
		err = ATT_ERR_NOMEM;
		goto done;
	}
	ua[0] = pa[0];
	ub[0] = pb[0];
	for (size_t i = 1; i < n; i++) {
		ua[i] = ua[i - 1] + wrap_pi((double)pa[i] - pa[i - 1]);
		ub[i] = ub[i - 1] + wrap_pi((double)pb[i] - pb[i - 1]);
	}
	cr[0] = ci[0] = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)pa[i] - pb[i];
		cr[i + 1] = cr[i] + cos(d);
		ci[i + 1] = ci[i] + sin(d);
	}
	for (size_t k = 0; k < nw; k++) {
		size_t s = k * P.step, e = s + P.w;
		fill_window(&win[k], cr[e] - cr[s], ci[e] - ci[s], P.w,
		            mean_freq(ua, ub, s, e - 1, rate));
		win[k].t = ((double)s + (double)(P.w - 1) / 2) / rate;
		win[k].plv_chance = NAN;
	}
	struct att_sync_window all;
	fill_window(&all, cr[n], ci[n], n, mean_freq(ua, ub, 0, n - 1, rate));
	double chance = NAN;
	/* The unwrapped phases are done with; their room goes to the surrogates' unit vectors. */
	free(ua);
	free(ub);
	ua = ub = NULL;

	/* Surrogates: B circularly shifted by at least one breath period (and min_shift_s), shifts
	 * spread evenly so no two surrogates share most of their pairs. */
	double period_s = isnan(all.freq_hz) ? 0 : 1 / all.freq_hz;
	double smin_s = P.min_shift_s > period_s ? P.min_shift_s : period_s;
	size_t smin = (size_t)ceil(smin_s * rate);
	if (n > 2 * smin && n - 2 * smin >= K - 1) {
		/* Each phase's unit vector once, so the K x n surrogate pairs need no sin/cos (they
		 * were most of this function's time); the windows above keep the exact difference. */
		car = malloc(n * sizeof *car);
		cai = malloc(n * sizeof *cai);
		cbr = malloc(n * sizeof *cbr);
		cbi = malloc(n * sizeof *cbi);
		if (!car || !cai || !cbr || !cbi) {
			err = ATT_ERR_NOMEM;
			goto done;
		}
		for (size_t i = 0; i < n; i++) {
			car[i] = cos((double)pa[i]);
			cai[i] = sin((double)pa[i]);
			cbr[i] = cos((double)pb[i]);
			cbi[i] = sin((double)pb[i]);
		}
		for (size_t k = 0; k < K; k++) {
			size_t sh = smin + (size_t)llround((double)k * (double)(n - 2 * smin) /
			                                   (double)(K - 1));
			/* e^{i(a - b)} = e^{ia} conj(e^{ib}): a complex multiply per pair. */
			for (size_t i = 0; i < n; i++) {
				size_t j = i + sh;
				if (j >= n)
					j -= n;
				cr[i + 1] = cr[i] + (car[i] * cbr[j] + cai[i] * cbi[j]);
				ci[i + 1] = ci[i] + (cai[i] * cbr[j] - car[i] * cbi[j]);
			}
			for (size_t w = 0; w < nw; w++) {
				size_t s = w * P.step, e = s + P.w;
				surr[w * K + k] =
				        (float)(hypot(cr[e] - cr[s], ci[e] - ci[s]) / (double)P.w);
			}
			whole[k] = hypot(cr[n], ci[n]) / (double)n;
		}
		for (size_t w = 0; w < nw; w++) {
			for (size_t k = 0; k < K; k++)
				tmp[k] = surr[w * K + k];
			win[w].plv_chance = percentile(tmp, K, 95);
		}
		chance = percentile(whole, K, 95);
	}

	size_t out = nw < max_windows ? nw : max_windows;
	if (out)
		memcpy(windows, win, out * sizeof *win);
	if (sum) {
		size_t matched = 0, insync = 0, judged = 0;
		for (size_t w = 0; w < nw; w++) {
			matched += win[w].match >= ATT_MATCHED;
			if (!isnan(win[w].plv_chance)) {
				judged++;
				insync += win[w].plv > win[w].plv_chance;
			}
		}
		sum->plv = all.plv;
		sum->plv_chance = chance;
		sum->relative_phase_deg = all.relative_phase_deg;
		sum->lag_s = all.lag_s;
		sum->match = all.match;
		sum->freq_hz = all.freq_hz;
		sum->windows = nw;
		sum->matched_fraction = nw ? (double)matched / (double)nw : NAN;
		sum->in_sync_fraction = judged ? (double)insync / (double)judged : NAN;
	}
	err = (int)out;
done:
	free(cr);
	free(ci);
	free(ua);
	free(ub);
	free(surr);
	free(whole);
	free(tmp);
	free(win);
	free(car);
	free(cai);
	free(cbr);
	free(cbi);
	return err;
}

int att_sync_plv(const float *pa, const float *pb, size_t n, double *plv, double *rel_deg)
{
	if (!pa || !pb || !plv || n == 0)
		return ATT_ERR_ARG;
	double sr = 0, si = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)pa[i] - pb[i];
		sr += cos(d);
		si += sin(d);
	}
	*plv = hypot(sr, si) / (double)n;
	if (rel_deg)
		*rel_deg = wrap_deg(atan2(si, sr) * 180 / M_PI);
	return ATT_OK;
}

/* Cross-correlation lag. */

int att_sync_xcorr_lag(const float *a, const float *b, size_t n, double rate_hz, double max_lag_s,
                       double *lag_s, double *r)
{
	if (!a || !b || !lag_s || n < 4 || !(rate_hz > 0) || !(max_lag_s > 0) ||
	    n > ((size_t)1 << 23))
		return ATT_ERR_ARG;
	size_t L = (size_t)llround(max_lag_s * rate_hz);
	if (L < 1)
		L = 1;
	if (L > n - 2)
		L = n - 2;
	size_t N = next_pow2(2 * n);
	kiss_fftr_cfg fwd = kiss_fftr_alloc((int)N, 0, NULL, NULL);
	kiss_fftr_cfg inv = kiss_fftr_alloc((int)N, 1, NULL, NULL);
	kiss_fft_scalar *buf = malloc(N * sizeof *buf);
	kiss_fft_cpx *A = malloc((N / 2 + 1) * sizeof *A), *B = malloc((N / 2 + 1) * sizeof *B);
	int err = ATT_OK;
	if (!fwd || !inv || !buf || !A || !B) {
		err = ATT_ERR_NOMEM;
		goto done;
	}
	double ma = 0, mb = 0, ea = 0, eb = 0;
	for (size_t i = 0; i < n; i++) {
		ma += a[i];
		mb += b[i];
	}
	ma /= (double)n;
	mb /= (double)n;
	for (size_t i = 0; i < N; i++)
		buf[i] = i < n ? (kiss_fft_scalar)(a[i] - ma) : 0;
	for (size_t i = 0; i < n; i++)
		ea += (double)buf[i] * buf[i];
	kiss_fftr(fwd, buf, A);
	for (size_t i = 0; i < N; i++)
		buf[i] = i < n ? (kiss_fft_scalar)(b[i] - mb) : 0;
	for (size_t i = 0; i < n; i++)
		eb += (double)buf[i] * buf[i];
	kiss_fftr(fwd, buf, B);
	if (!(ea > 0) || !(eb > 0)) {
		err = ATT_ERR_NO_DATA;
		goto done;
	}
	/* conj(A) * B: index tau holds sum_t a[t] b[t + tau], a peak at tau > 0 when b follows a. */
	for (size_t k = 0; k <= N / 2; k++) {
		kiss_fft_cpx x = A[k], y = B[k];
		A[k].r = x.r * y.r + x.i * y.i;
		A[k].i = x.r * y.i - x.i * y.r;
	}
	kiss_fftri(inv, A, buf);
	double norm = (double)N * sqrt(ea * eb);
	long best = 0;
	double bv = -INFINITY;
	for (long tau = -(long)L; tau <= (long)L; tau++) {
		double v = buf[tau >= 0 ? (size_t)tau : N - (size_t)(-tau)] / norm;
		if (v > bv) {
			bv = v;
			best = tau;
		}
	}
	double frac = 0;
	if (best > -(long)L && best < (long)L) {
		double vm = buf[best - 1 >= 0 ? (size_t)(best - 1) : N - (size_t)(1 - best)] / norm;
		double vp =
		        buf[best + 1 >= 0 ? (size_t)(best + 1) : N - (size_t)(-1 - best)] / norm;
		double den = vm - 2 * bv + vp;
		if (den < 0)
			frac = 0.5 * (vm - vp) / den;
	}
	*lag_s = ((double)best + frac) / rate_hz;
	if (r)
		*r = bv;
done:
	kiss_fftr_free(fwd);
	kiss_fftr_free(inv);
	free(buf);
	free(A);
	free(B);
	return err;
}

/* Coherence. */

/* Welch averages (unscaled: the scale cancels in the coherence) of |X|^2, |Y|^2 and conj(X) Y. */
static int welch(const float *a, const float *b, size_t n, size_t nperseg, double *pxx, double *pyy,
                 double *pxyr, double *pxyi)
{
	if (!a || !b || nperseg < 16 || nperseg > n || (nperseg & (nperseg - 1)) ||
	    nperseg > ((size_t)1 << 24))
		return ATT_ERR_ARG;
	size_t nb = nperseg / 2 + 1, hop = nperseg - nperseg / 2;
	kiss_fftr_cfg fwd = kiss_fftr_alloc((int)nperseg, 0, NULL, NULL);
	kiss_fft_scalar *buf = malloc(nperseg * sizeof *buf);
	double *win = malloc(nperseg * sizeof *win);
	kiss_fft_cpx *X = malloc(nb * sizeof *X), *Y = malloc(nb * sizeof *Y);
	int err = ATT_OK;
	if (!fwd || !buf || !win || !X || !Y) {
		err = ATT_ERR_NOMEM;
		goto done;
	}
	/* scipy's 'hann' for spectral analysis is the periodic window. */
	for (size_t i = 0; i < nperseg; i++)
		win[i] = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)nperseg);
	for (size_t k = 0; k < nb; k++)
		pxx[k] = pyy[k] = pxyr[k] = pxyi[k] = 0;
	size_t segs = 0;
	for (size_t s = 0; s + nperseg <= n; s += hop, segs++) {
		double ma = 0, mb = 0;
		for (size_t i = 0; i < nperseg; i++) {
			ma += a[s + i];
			mb += b[s + i];
		}
		ma /= (double)nperseg;
		mb /= (double)nperseg;
		for (size_t i = 0; i < nperseg; i++)
			buf[i] = (kiss_fft_scalar)((a[s + i] - ma) * win[i]);
		kiss_fftr(fwd, buf, X);
		for (size_t i = 0; i < nperseg; i++)
			buf[i] = (kiss_fft_scalar)((b[s + i] - mb) * win[i]);
		kiss_fftr(fwd, buf, Y);
		for (size_t k = 0; k < nb; k++) {
			pxx[k] += (double)X[k].r * X[k].r + (double)X[k].i * X[k].i;
			pyy[k] += (double)Y[k].r * Y[k].r + (double)Y[k].i * Y[k].i;
			pxyr[k] += (double)X[k].r * Y[k].r + (double)X[k].i * Y[k].i;
			pxyi[k] += (double)X[k].r * Y[k].i - (double)X[k].i * Y[k].r;
		}
	}
	(void)segs; /* the averages' 1/segs cancels in the coherence */
done:
	kiss_fftr_free(fwd);
	free(buf);
	free(win);
	free(X);
	free(Y);
	return err;
}

static double coh_bin(const double *pxx, const double *pyy, const double *pr, const double *pi,
                      size_t k)
{
	double d = pxx[k] * pyy[k];
	return d > 0 ? (pr[k] * pr[k] + pi[k] * pi[k]) / d : NAN;
}

int att_coherence(const float *a, const float *b, size_t n, double rate_hz, size_t nperseg,
                  float *cxy, size_t nbins)
{
	if (!cxy || !(rate_hz > 0) || nbins != nperseg / 2 + 1)
		return ATT_ERR_ARG;
	double *p = malloc(4 * nbins * sizeof *p);
	if (!p)
		return ATT_ERR_NOMEM;
	int err = welch(a, b, n, nperseg, p, p + nbins, p + 2 * nbins, p + 3 * nbins);
	if (!err)
		for (size_t k = 0; k < nbins; k++)
			cxy[k] = (float)coh_bin(p, p + nbins, p + 2 * nbins, p + 3 * nbins, k);
	free(p);
	return err;
}

int att_coherence_in_band(const float *a, const float *b, size_t n, double rate_hz, double seg_s,
                          double fmin_hz, double fmax_hz, struct att_coherence_band *out)
{
	if (!a || !b || !out || !(rate_hz > 0) || !(seg_s >= 0) || !(fmin_hz < fmax_hz))
		return ATT_ERR_ARG;
	if (n < 16)
		return ATT_ERR_NO_DATA;
	double want = (seg_s > 0 ? seg_s : 20) * rate_hz;
	size_t nperseg = 16;
	while (nperseg * 2 <= n &&
	       fabs(log2((double)nperseg * 2 / want)) < fabs(log2((double)nperseg / want)))
		nperseg *= 2;
	size_t nb = nperseg / 2 + 1;
	double *p = malloc(4 * nb * sizeof *p);
	if (!p)
		return ATT_ERR_NOMEM;
	double *pxx = p, *pyy = p + nb, *pr = p + 2 * nb, *pi = p + 3 * nb;
	int err = welch(a, b, n, nperseg, pxx, pyy, pr, pi);
	if (!err) {
		double best = -1, sumc = 0;
		size_t cnt = 0;
		out->peak_hz = out->coherence = out->mean = NAN;
		for (size_t k = 0; k < nb; k++) {
			double f = (double)k * rate_hz / (double)nperseg;
			if (f < fmin_hz || f > fmax_hz)
				continue;
			double c = coh_bin(pxx, pyy, pr, pi, k);
			if (isnan(c))
				continue;
			sumc += c;
			cnt++;
			double mag = hypot(pr[k], pi[k]);
			if (mag > best) {
				best = mag;
				out->peak_hz = f;
				out->coherence = c;
			}
		}
		if (cnt)
			out->mean = sumc / (double)cnt;
		else
			err = ATT_ERR_NO_DATA;
	}
	free(p);
	return err;
}

/* Heart-rate synchrony. */

int att_hr_resample(const double *beat_t, size_t nbeats, double t0, double rate_hz, float *hr_bpm,
                    size_t n)
{
	if (!hr_bpm || (nbeats && !beat_t) || !(rate_hz > 0) || !isfinite(t0))
		return ATT_ERR_ARG;
	for (size_t i = 0; i < n; i++)
		hr_bpm[i] = NAN;
	/* Walk the valid intervals alongside the output times; no allocation needed. */
	size_t j = 0;
	double pt = NAN, ph = NAN; /* previous valid (time, rate) */
	double nt = NAN, nh = NAN; /* next valid */
	int have_any = 0;
	for (size_t i = 0; i < n; i++) {
		double t = t0 + (double)i / rate_hz;
		while (isnan(nt) || nt < t) {
			if (!isnan(nt)) {
				pt = nt;
				ph = nh;
			}
			nt = nh = NAN;
			while (j + 1 < nbeats) {
				double ibi = beat_t[j + 1] - beat_t[j];
				double mid = (beat_t[j] + beat_t[j + 1]) / 2;
				j++;
				if (ibi > 0 && 60 / ibi >= 30 && 60 / ibi <= 220) {
					nt = mid;
					nh = 60 / ibi;
					have_any = 1;
					break;
				}
			}
			if (isnan(nt))
				break;
		}
		if (!isnan(pt) && !isnan(nt))
			hr_bpm[i] = (float)(ph + (nh - ph) * (t - pt) / (nt - pt));
		else if (!isnan(nt))
			hr_bpm[i] = (float)nh;
		else if (!isnan(pt))
			hr_bpm[i] = (float)ph;
	}
	if (!have_any) {
		/* n == 0 or no output times: still judge the beats themselves. */
		for (size_t k = 0; k + 1 < nbeats; k++) {
			double ibi = beat_t[k + 1] - beat_t[k];
			if (ibi > 0 && 60 / ibi >= 30 && 60 / ibi <= 220)
				return ATT_OK;
		}
		return ATT_ERR_NO_DATA;
	}
	return ATT_OK;
}

static double pearson(const float *x, const float *y, size_t w)
{
	double mx = 0, my = 0;
	for (size_t i = 0; i < w; i++) {
		if (isnan(x[i]) || isnan(y[i]))
			return NAN;
		mx += x[i];
		my += y[i];
	}
	mx /= (double)w;
	my /= (double)w;
	double sxy = 0, sxx = 0, syy = 0;
	for (size_t i = 0; i < w; i++) {
		double dx = x[i] - mx, dy = y[i] - my;
		sxy += dx * dy;
		sxx += dx * dx;
		syy += dy * dy;
	}
	/* A window with (almost) no variation says nothing about correlation. */
	if (!(sxx > 1e-9 * (double)w) || !(syy > 1e-9 * (double)w))
		return NAN;
	return sxy / sqrt(sxx * syy);
}

/* Mean windowed correlation of a[s..s+w) with b[s+lag..s+lag+w) over starts s in [lo, hi]. */
static double mean_corr(const float *a, const float *b, size_t w, size_t step, size_t lo, size_t hi,
                        long lag, size_t *used)
{
	double sum = 0;
	size_t cnt = 0;
	for (size_t s = lo; s <= hi; s += step) {
		double r = pearson(a + s, b + (long)s + lag, w);
		if (!isnan(r)) {
			sum += r;
			cnt++;
		}
	}
	if (used)
		*used = cnt;
	return cnt ? sum / (double)cnt : NAN;
}

int att_hr_sync(const float *ha, const float *hb, size_t n, double rate_hz, double window_s,
                double step_s, double max_lag_s, struct att_hr_sync *out)
{
	if (!ha || !hb || !out || !(rate_hz > 0) || !(window_s >= 0) || !(step_s >= 0) ||
	    isnan(max_lag_s))
		return ATT_ERR_ARG;
	out->r = out->r_lag = out->lag_s = NAN;
	out->windows = 0;
	long wl = lround((window_s > 0 ? window_s : 30) * rate_hz);
	long sl = lround((step_s > 0 ? step_s : 1) * rate_hz);
	long ll = lround((max_lag_s > 0 ? max_lag_s : 5) * rate_hz);
	size_t w = wl < 3 ? 3 : (size_t)wl, step = sl < 1 ? 1 : (size_t)sl;
	if (n < w)
		return ATT_ERR_NO_DATA;
	size_t L = (size_t)ll;
	if (L > (n - w) / 2)
		L = (n - w) / 2;
	size_t used = 0;
	out->r = mean_corr(ha, hb, w, step, 0, n - w, 0, &used);
	out->windows = used;
	if (!used)
		return ATT_ERR_NO_DATA;
	if (max_lag_s < 0)
		return ATT_OK;
	/* The same windows for every lag, so the lags compete on equal terms. */
	double best = -INFINITY;
	long best_lag = 0;
	for (long lag = -(long)L; lag <= (long)L; lag++) {
		double r = mean_corr(ha, hb, w, step, L, n - w - L, lag, NULL);
		if (!isnan(r) && (r > best || (r == best && labs(lag) < labs(best_lag)))) {
			best = r;
			best_lag = lag;
		}
	}
	if (isfinite(best)) {
		out->r_lag = best;
		out->lag_s = (double)best_lag / rate_hz;
	}
	return ATT_OK;
}

/* Windowed cross-correlation with peak picking. */

#define HR_PEAK_SPAN 2 /* a peak tops this many lags each side: 0.5 s at 4 Hz, above rounding */

/* One run over all windows: A fixed, B the partner or a shifted copy of it. Both mean-removed, so
 * the running products stay small and exact enough over an hour of updates. */
struct hrx {
	size_t n, w, step, L, nl, nwin;
	double min_var; /* min_sd^2 x w: a window's sum of squares below it does not vary */
	const double *a, *acum, *acum2;
	double *b;         /* B, n */
	double *bsum, *bk; /* per window start j (n - w + 1): B's sum, and 1 / sqrt of its sum of
	                      squares about the mean (0 when it does not vary) */
	double *sab, *r;   /* per lag: running sum of a[t] b[t + lag] over the window; r */
	double *blk;       /* ring of the window's w / step + 1 blocks, nl sums each */
	double *lags;      /* per window: its peak lag (samples), for the median */
};

/* Prefix sums of x and x^2 into c1, c2 (n + 1 each). */
static void prefix(const double *x, size_t n, double *c1, double *c2)
{
	c1[0] = c2[0] = 0;
	for (size_t i = 0; i < n; i++) {
		c1[i + 1] = c1[i] + x[i];
		c2[i + 1] = c2[i] + x[i] * x[i];
	}
}

/* B's window sums and scales for every window start, once per run: the lags then share them,
 * so a window's correlations are a multiply-add per lag, no square root. */
static void hrx_b_windows(struct hrx *h)
{
	double s1 = 0, s2 = 0, w = (double)h->w;
	for (size_t t = 0; t < h->w; t++) {
		s1 += h->b[t];
		s2 += h->b[t] * h->b[t];
	}
	for (size_t j = 0;; j++) {
		double v = s2 - s1 * s1 / w;
		h->bsum[j] = s1;
		h->bk[j] = v > 1e-12 * w ? 1 / sqrt(v) : 0;
		if (j + h->w >= h->n)
			break;
		double in = h->b[j + h->w], out = h->b[j];
		s1 += in - out;
		s2 += in * in - out * out;
	}
}

/* blk[lag] = sum of a[t] b[t + lag] over the step samples from t0: one block of the window.
 * Windows are whole blocks, so each product is made once however much the windows overlap. */
static void hrx_block(const struct hrx *h, size_t t0, double *restrict blk)
{
	size_t nl = h->nl;
	for (size_t l = 0; l < nl; l++)
		blk[l] = 0;
	for (size_t t = t0; t < t0 + h->step; t++) {
		double at = h->a[t];
		const double *restrict bt = h->b + t - h->L;
		for (size_t l = 0; l < nl; l++)
			blk[l] += at * bt[l];
	}
}

/* Moves the running window sums to window k: adds its last block, drops the one before it. */
static void hrx_products(struct hrx *h, size_t k)
{
	size_t q = h->w / h->step, nl = h->nl;
	double *restrict sab = h->sab;
	if (k == 0) {
		for (size_t l = 0; l < nl; l++)
			sab[l] = 0;
		for (size_t j = 0; j < q; j++) {
			double *blk = h->blk + j * nl;
			hrx_block(h, h->L + j * h->step, blk);
			for (size_t l = 0; l < nl; l++)
				sab[l] += blk[l];
		}
		return;
	}
	/* the ring holds q + 1 blocks: the new one replaces the block just dropped */
	double *old = h->blk + ((k - 1) % (q + 1)) * nl,
	       *neu = h->blk + ((k + q - 1) % (q + 1)) * nl;
	hrx_block(h, h->L + (k + q - 1) * h->step, neu);
	for (size_t l = 0; l < nl; l++)
		sab[l] += neu[l] - old[l];
}

/* Correlations of one window, made lag by lag as the peak search reaches them: most windows
 * of related heart rates find their peak within a few lags of 0. */
struct hrx_win {
	const struct hrx *h;
	double ka, ma;           /* 1 / sqrt of A's sum of squares about the mean; A's mean */
	const double *bsum, *bk; /* B's window figures at lag index 0 */
	size_t lo, hi;           /* r is known on [lo, hi) */
};

static void hrx_extend(struct hrx_win *x, size_t lo, size_t hi)
{
	const struct hrx *h = x->h;
	for (size_t l = lo; l < x->lo; l++)
		h->r[l] = (h->sab[l] - x->ma * x->bsum[l]) * x->ka * x->bk[l];
	for (size_t l = x->hi; l < hi; l++)
		h->r[l] = (h->sab[l] - x->ma * x->bsum[l]) * x->ka * x->bk[l];
	if (lo < x->lo)
		x->lo = lo;
	if (hi > x->hi)
		x->hi = hi;
}

/* At least as high as its neighbours within HR_PEAK_SPAN lags, all inside the range (an edge
 * cannot show it is a peak); a B window without variation (bk 0) is none. */
static int hr_is_peak(const double *r, const double *bk, size_t nl, size_t i)
{
	if (i < HR_PEAK_SPAN || i + HR_PEAK_SPAN >= nl || !(bk[i] > 0))
		return 0;
	for (size_t k = 1; k <= HR_PEAK_SPAN; k++)
		if (!(r[i] >= r[i - k] && r[i] >= r[i + k]))
			return 0;
	return 1;
}

/* Window starting at s: -1 when A or B (at lag 0) barely varies in it, 0 without a peak, 1 with
 * the local maximum nearest lag 0 (the higher of two as near) in *lag (samples, refined by a
 * parabola) and *rv. */
static int hrx_window_peak(const struct hrx *h, size_t s, double *lag, double *rv)
{
	double w = (double)h->w, L = (double)h->L;
	double sa = h->acum[s + h->w] - h->acum[s];
	double va = h->acum2[s + h->w] - h->acum2[s] - sa * sa / w;
	double bk0 = h->bk[s];
	if (!(va >= h->min_var) || !(bk0 > 0 && 1 / (bk0 * bk0) >= h->min_var))
		return -1;
	struct hrx_win x = {h,    1 / sqrt(va), sa / w, h->bsum + s - h->L, h->bk + s - h->L,
	                    h->L, h->L};
	const double *r = h->r;
	for (size_t d = 0; d + HR_PEAK_SPAN <= h->L; d++) {
		hrx_extend(&x, h->L - d - HR_PEAK_SPAN, h->L + d + HR_PEAK_SPAN + 1);
		size_t best = SIZE_MAX;
		if (hr_is_peak(r, x.bk, h->nl, h->L + d))
			best = h->L + d;
		if (d && hr_is_peak(r, x.bk, h->nl, h->L - d) &&
		    (best == SIZE_MAX || r[h->L - d] > r[best]))
			best = h->L - d;
		if (best == SIZE_MAX)
			continue;
		double den = r[best - 1] - 2 * r[best] + r[best + 1], frac = 0;
		if (den < 0)
			frac = 0.5 * (r[best - 1] - r[best + 1]) / den;
		*lag = (double)best - L + frac;
		*rv = r[best];
		return 1;
	}
	return 0;
}

/* r_max of one run (NAN when fewer than half the windows vary or none has a peak); the peak
 * lags go to h->lags when keep_lags, their count to *peaks. A shifted partner's B holds a jump
 * where its end meets its start, at index wrap (SIZE_MAX: none): windows reaching across it are
 * left out, or a partner's slow rhythm broken there would make every surrogate look less related
 * than an unbroken one and the chance level too low. */
static double hrx_run(struct hrx *h, size_t wrap, int keep_lags, size_t *peaks)
{
	hrx_b_windows(h);
	double sum = 0;
	size_t used = 0, np = 0, judged = 0;
	for (size_t k = 0; k < h->nwin; k++) {
		size_t s = h->L + k * h->step;
		hrx_products(h, k);
		if (wrap != SIZE_MAX && s - h->L < wrap && wrap < s + h->w + h->L)
			continue;
		judged++;
		double lag, rv;
		int got = hrx_window_peak(h, s, &lag, &rv);
		used += got >= 0;
		if (got > 0) {
			sum += rv;
			if (keep_lags)
				h->lags[np] = lag;
			np++;
		}
	}
	*peaks = np;
	return 2 * used >= judged && np ? sum / (double)np : NAN;
}

static int cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* The chance level: r_max of K circularly shifted partners, spread as the breath surrogates. */
static double hrx_chance(struct hrx *h, const double *b, unsigned K, size_t smin)
{
	size_t n = h->n, peaks, got = 0;
	if (!(n > 2 * smin && n - 2 * smin >= K - 1))
		return NAN;
	double *v = malloc(K * sizeof *v);
	if (!v)
		return NAN;
	for (unsigned k = 0; k < K; k++) {
		size_t sh = smin +
		            (size_t)llround((double)k * (double)(n - 2 * smin) / (double)(K - 1));
		for (size_t i = 0; i < n; i++)
			h->b[i] = b[i + sh < n ? i + sh : i + sh - n];
		double r = hrx_run(h, n - sh, 0, &peaks);
		if (isfinite(r))
			v[got++] = r;
	}
	/* The ceil(0.95 (K + 1))-th smallest: a partner unrelated to A beats it 1 time in 20 (a
	 * Monte Carlo rank test). numpy's interpolated 95th percentile of 19 would be beaten 1 time
	 * in 10. With 19 surrogates it is their largest. */
	double c = NAN;
	if (got >= ATT_SYNC_MIN_SURROGATES) {
		size_t k = (size_t)ceil(0.95 * (double)(got + 1));
		select_kth(v, got, (k < got ? k : got) - 1);
		c = v[(k < got ? k : got) - 1];
	}
	free(v);
	return c;
}

static int hrx_params(const struct att_hr_xcorr_cfg *cfg, size_t n, struct hrx *h, unsigned *K,
                      size_t *smin)
{
	if (!cfg || !(cfg->rate_hz > 0) || !isfinite(cfg->rate_hz) || !(cfg->window_s >= 0) ||
	    !(cfg->step_s >= 0) || !(cfg->max_lag_s >= 0) || !(cfg->min_shift_s >= 0) ||
	    !(cfg->min_sd_bpm >= 0))
		return ATT_ERR_ARG;
	double rate = cfg->rate_hz, win = cfg->window_s > 0 ? cfg->window_s : 30;
	double step = cfg->step_s > 0 ? cfg->step_s : 1,
	       lag = cfg->max_lag_s > 0 ? cfg->max_lag_s : 5;
	double sd = cfg->min_sd_bpm > 0 ? cfg->min_sd_bpm : 0.5;
	*K = cfg->surrogates ? cfg->surrogates : ATT_SYNC_MIN_SURROGATES;
	if (step > win || *K < ATT_SYNC_MIN_SURROGATES || *K > 9999)
		return ATT_ERR_ARG;
	long w = lround(win * rate), st = lround(step * rate), L = lround(lag * rate);
	h->step = st < 1 ? 1 : (size_t)st;
	/* a window of whole steps (hrx_block); 30 s in 1 s steps is exactly that */
	h->w = (size_t)lround((double)(w < 3 ? 3 : w) / (double)h->step) * h->step;
	if (h->w < 3)
		h->w = (3 + h->step - 1) / h->step * h->step;
	h->L = L < HR_PEAK_SPAN + 1 ? HR_PEAK_SPAN + 1 : (size_t)L;
	h->nl = 2 * h->L + 1;
	h->n = n;
	h->nwin = n >= h->w + 2 * h->L ? (n - h->w - 2 * h->L) / h->step + 1 : 0;
	h->min_var = sd * sd * (double)h->w;
	double shift = cfg->min_shift_s > 0 ? cfg->min_shift_s : 10;
	if (shift < 2 * (double)h->L / rate)
		shift = 2 * (double)h->L / rate;
	*smin = (size_t)ceil(shift * rate);
	return ATT_OK;
}

int att_hr_xcorr(const struct att_hr_xcorr_cfg *cfg, const float *ha, const float *hb, size_t n,
                 struct att_hr_xcorr *out)
{
	struct hrx h = {0};
	unsigned K;
	size_t smin;
	if (!ha || !hb || !out)
		return ATT_ERR_ARG;
	*out = (struct att_hr_xcorr){NAN, NAN, NAN, 0};
	int err = hrx_params(cfg, n, &h, &K, &smin);
	if (err)
		return err;
	if (!h.nwin)
		return ATT_ERR_NO_DATA;
	double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	double *ac = malloc(2 * (n + 1) * sizeof *ac), *bc = malloc(2 * n * sizeof *bc);
	double *bs = malloc(n * sizeof *bs), *sab = malloc(2 * h.nl * sizeof *sab);
	double *blk = malloc((h.w / h.step + 1) * h.nl * sizeof *blk);
	double *lags = malloc(h.nwin * sizeof *lags);
	if (!a || !b || !ac || !bc || !bs || !sab || !blk || !lags) {
		err = ATT_ERR_NOMEM;
		goto done;
	}
	double ma = 0, mb = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(ha[i]) || !isfinite(hb[i])) {
			err = ATT_ERR_NO_DATA;
			goto done;
		}
		ma += ha[i];
		mb += hb[i];
	}
	for (size_t i = 0; i < n; i++) {
		a[i] = ha[i] - ma / (double)n;
		b[i] = hb[i] - mb / (double)n;
	}
	prefix(a, n, ac, ac + n + 1);
	h.a = a;
	h.acum = ac;
	h.acum2 = ac + n + 1;
	h.b = bs;
	h.bsum = bc;
	h.bk = bc + n;
	h.sab = sab;
	h.r = sab + h.nl;
	h.blk = blk;
	h.lags = lags;
	memcpy(bs, b, n * sizeof *bs);
	size_t peaks;
	double r = hrx_run(&h, SIZE_MAX, 1, &peaks);
	if (!isfinite(r)) {
		err = ATT_ERR_NO_DATA;
		goto done;
	}
	qsort(lags, peaks, sizeof *lags, cmp_dbl);
	double mid = peaks % 2 ? lags[peaks / 2] : 0.5 * (lags[peaks / 2 - 1] + lags[peaks / 2]);
	out->r_max = r;
	out->lag_s = mid / cfg->rate_hz;
	out->windows = peaks;
	out->chance = hrx_chance(&h, b, K, smin);
done:
	free(a);
	free(b);
	free(ac);
	free(bc);
	free(bs);
	free(sab);
	free(blk);
	free(lags);
	return err;
}

/* Live synchrony. */

struct att_livesync {
	struct att_livesync_cfg cfg;
	double alpha;  /* EW weight of the newest pair */
	size_t settle; /* pairs before the PLV is reported */
	size_t hist;   /* B history length (samples) */
	double *hb;    /* B's phase history, ring */
	size_t head;
	size_t count; /* pairs since reset */
	double zr, zi, wsum;
	unsigned K;
	size_t *delay;        /* per surrogate, samples */
	double *sr, *si, *sw; /* per surrogate EW sums and weights */
	size_t every;         /* pushes between pooled samples (one second) */
	size_t since;         /* pushes since the last pooled sample */
	float *pool;          /* ring of pooled surrogate PLVs */
	size_t pool_cap, pool_head, pool_n;
	unsigned hist_bins[ATT_LIVESYNC_BINS]; /* histogram of the pool, for the percentile */
};

void att_livesync_free(struct att_livesync *s)
{
	if (!s)
		return;
	free(s->hb);
	free(s->delay);
	free(s->sr);
	free(s->si);
	free(s->sw);
	free(s->pool);
	free(s);
}

int att_livesync_new(const struct att_livesync_cfg *cfg, struct att_livesync **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg)
		return ATT_ERR_ARG;
	struct att_livesync_cfg c = *cfg;
	if (c.tau_s == 0)
		c.tau_s = 3;
	if (c.surrogates == 0)
		c.surrogates = ATT_SYNC_MIN_SURROGATES;
	if (c.min_shift_s == 0)
		c.min_shift_s = 10;
	if (c.max_shift_s == 0)
		c.max_shift_s = c.min_shift_s < 40 ? 40 : c.min_shift_s * 2;
	if (c.pool_s == 0)
		c.pool_s = 120;
	if (!(c.rate_hz >= 0.5 && c.rate_hz <= 1000) || !(c.tau_s >= 0.2 && c.tau_s <= 120) ||
	    !(c.min_shift_s > 0 && c.min_shift_s < c.max_shift_s && c.max_shift_s <= 600) ||
	    c.surrogates < ATT_SYNC_MIN_SURROGATES || c.surrogates > 999 ||
	    !(c.pool_s > 0 && c.pool_s <= 3600))
		return ATT_ERR_ARG;
	struct att_livesync *s = calloc(1, sizeof *s);
	if (!s)
		return ATT_ERR_NOMEM;
	s->cfg = c;
	s->alpha = 1 - exp(-1 / (c.tau_s * c.rate_hz));
	s->settle = (size_t)ceil(c.tau_s * c.rate_hz);
	s->K = c.surrogates;
	s->hist = (size_t)ceil(c.max_shift_s * c.rate_hz) + 1;
	s->hb = calloc(s->hist, sizeof *s->hb);
	s->delay = calloc(s->K, sizeof *s->delay);
	s->sr = calloc(s->K, sizeof *s->sr);
	s->si = calloc(s->K, sizeof *s->si);
	s->sw = calloc(s->K, sizeof *s->sw);
	long every = lround(c.rate_hz);
	s->every = every < 1 ? 1 : (size_t)every;
	s->pool_cap = (size_t)ceil(c.pool_s * c.rate_hz / (double)s->every) * s->K;
	if (s->pool_cap < ATT_SYNC_MIN_SURROGATES)
		s->pool_cap = ATT_SYNC_MIN_SURROGATES;
	s->pool = calloc(s->pool_cap, sizeof *s->pool);
	if (!s->hb || !s->delay || !s->sr || !s->si || !s->sw || !s->pool) {
		att_livesync_free(s);
		return ATT_ERR_NOMEM;
	}
	for (unsigned k = 0; k < s->K; k++) {
		double d = c.min_shift_s + (c.max_shift_s - c.min_shift_s) * k / (s->K - 1);
		size_t ds = (size_t)llround(d * c.rate_hz);
		s->delay[k] = ds < 1 ? 1 : ds >= s->hist ? s->hist - 1 : ds;
	}
	att_livesync_reset(s);
	*out = s;
	return ATT_OK;
}

void att_livesync_reset(struct att_livesync *s)
{
	if (!s)
		return;
	s->head = s->count = 0;
	s->zr = s->zi = s->wsum = 0;
	for (unsigned k = 0; k < s->K; k++)
		s->sr[k] = s->si[k] = s->sw[k] = 0;
	s->since = 0;
	s->pool_head = s->pool_n = 0;
	memset(s->hist_bins, 0, sizeof s->hist_bins);
}

static unsigned plv_bin(double v)
{
	long b = lround(floor(v * ATT_LIVESYNC_BINS));
	return b < 0 ? 0 : b >= ATT_LIVESYNC_BINS ? ATT_LIVESYNC_BINS - 1 : (unsigned)b;
}

static void pool_add(struct att_livesync *s, double v)
{
	if (s->pool_n == s->pool_cap)
		s->hist_bins[plv_bin(s->pool[s->pool_head])]--;
	else
		s->pool_n++;
	s->pool[s->pool_head] = (float)v;
	s->hist_bins[plv_bin(v)]++;
	s->pool_head = (s->pool_head + 1) % s->pool_cap;
}

/* The q-th percentile of the pool from its histogram, linear within the bin. */
static double pool_percentile(const struct att_livesync *s, double q)
{
	double target = q / 100 * (double)s->pool_n;
	double cum = 0;
	for (unsigned b = 0; b < ATT_LIVESYNC_BINS; b++) {
		double c = s->hist_bins[b];
		if (c > 0 && cum + c >= target)
			return ((double)b + (target - cum) / c) / ATT_LIVESYNC_BINS;
		cum += c;
	}
	return 1;
}

static void nan_est(struct att_livesync_est *o)
{
	o->plv = o->relative_phase_deg = o->lag_s = o->match = o->plv_chance = NAN;
}

void att_livesync_push(struct att_livesync *s, double phase_a, double phase_b, double freq_hz,
                       struct att_livesync_est *out)
{
	struct att_livesync_est e;
	if (!isfinite(phase_a) || !isfinite(phase_b)) {
		att_livesync_reset(s);
		if (out)
			nan_est(out);
		return;
	}
	double a = s->alpha, keep = 1 - a;
	double d = phase_a - phase_b;
	s->zr = keep * s->zr + a * cos(d);
	s->zi = keep * s->zi + a * sin(d);
	s->wsum = keep * s->wsum + a;
	s->hb[s->head] = phase_b;
	s->count++;
	/* Surrogates: A against B as it was delay[k] pushes ago, i.e. B circularly shifted. */
	int sample = ++s->since >= s->every;
	if (sample)
		s->since = 0;
	for (unsigned k = 0; k < s->K; k++) {
		if (s->count <= s->delay[k])
			continue;
		size_t j = (s->head + s->hist - s->delay[k]) % s->hist;
		double ds = phase_a - s->hb[j];
		s->sr[k] = keep * s->sr[k] + a * cos(ds);
		s->si[k] = keep * s->si[k] + a * sin(ds);
		s->sw[k] = keep * s->sw[k] + a;
		if (sample && s->count - s->delay[k] >= s->settle)
			pool_add(s, hypot(s->sr[k], s->si[k]) / s->sw[k]);
	}
	s->head = (s->head + 1) % s->hist;
	if (!out)
		return;
	if (s->count < s->settle) {
		nan_est(out);
		return;
	}
	e.plv = hypot(s->zr, s->zi) / s->wsum;
	e.relative_phase_deg = wrap_deg(atan2(s->zi, s->zr) * 180 / M_PI);
	e.lag_s = isfinite(freq_hz) && freq_hz > 0 ? e.relative_phase_deg / (360 * freq_hz) : NAN;
	double m = e.plv * cos(e.relative_phase_deg * M_PI / 180);
	e.match = m > 0 ? m : 0;
	e.plv_chance = s->pool_n >= ATT_SYNC_MIN_SURROGATES ? pool_percentile(s, 95) : NAN;
	*out = e;
}

enum att_lead att_sync_lead(double plv, double rel_deg, double rate_a, double rate_b)
{
	if (!isfinite(plv) || !isfinite(rel_deg) || plv < ATT_LEAD_MIN_PLV)
		return ATT_LEAD_NONE;
	if (isfinite(rate_a) && isfinite(rate_b) && rate_a > 0 && rate_b > 0 &&
	    fabs(rate_a - rate_b) > ATT_LEAD_RATE_TOL * 0.5 * (rate_a + rate_b))
		return ATT_LEAD_NONE;
	if (fabs(rel_deg) <= ATT_LEAD_TOGETHER_DEG)
		return ATT_LEAD_TOGETHER;
	if (fabs(rel_deg) >= ATT_LEAD_OPPOSITE_DEG)
		return ATT_LEAD_OPPOSITE;
	return rel_deg > 0 ? ATT_LEAD_A : ATT_LEAD_B;
}
