/* Breathing phase from the FFT analytic signal (kissfft, float, power-of-two sizes).
 *
 * Live method (why it agrees with the offline estimate): the Hilbert transform of a window that
 * simply stops at "now" is wrong near its end, because the FFT sees a jump to the zero padding.
 * Before each FFT the window is therefore extended by a short forecast of the breath: a Burg
 * autoregressive model (order 8) is fitted to the window resampled to ~5 Hz (breathing lives below
 * 1 Hz, and a low rate keeps the model well conditioned) and run forward ATT_PHASE_PREDICT_S
 * seconds, faded out with a half-cosine into the zero padding. The analytic signal at the last
 * real sample then sits in the middle of smooth signal, as a centred estimate does. On the shared
 * real recordings (tests/unit/test_phase.c) this keeps the live phase within ~3-11 degrees (mean
 * absolute difference) of the whole-recording phase computed afterwards, with no output delay;
 * reading delay_s back and advancing by the frequency is kept as an option but does worse.
 *
 * Invariant: all buffers and FFT plans are allocated in *_new(); push and run never allocate. */
#include "attune/phase.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fft.h>
#include <kiss_fftr.h>

#define ATT_PHASE_PREDICT_S   10.0 /* forecast length; longer adds nothing once faded */
#define ATT_PHASE_AR_RATE     5.0  /* rate the AR model sees, Hz */
#define ATT_PHASE_AR_ORDER    8
#define ATT_PHASE_FREQ_HALF_S 0.5 /* frequency from the phase advance over +-0.5 s */
#define ATT_PHASE_MAX_DELAY_S 4.0

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

struct att_analytic {
	size_t nfft, max_n;
	kiss_fftr_cfg fwd;
	kiss_fft_cfg inv;
	kiss_fft_scalar *buf; /* nfft real input */
	kiss_fft_cpx *spec;   /* nfft bins (only 0..nfft/2 filled by the real FFT) */
	kiss_fft_cpx *out;    /* nfft complex output */
};

static size_t next_pow2(size_t n)
{
	size_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

int att_analytic_new(size_t max_n, struct att_analytic **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (max_n < 2 || max_n > ((size_t)1 << 24))
		return ATT_ERR_ARG;
	struct att_analytic *a = calloc(1, sizeof *a);
	if (!a)
		return ATT_ERR_NOMEM;
	a->max_n = max_n;
	a->nfft = next_pow2(max_n);
	a->fwd = kiss_fftr_alloc((int)a->nfft, 0, NULL, NULL);
	a->inv = kiss_fft_alloc((int)a->nfft, 1, NULL, NULL);
	a->buf = malloc(a->nfft * sizeof *a->buf);
	a->spec = malloc(a->nfft * sizeof *a->spec);
	a->out = malloc(a->nfft * sizeof *a->out);
	if (!a->fwd || !a->inv || !a->buf || !a->spec || !a->out) {
		att_analytic_free(a);
		return ATT_ERR_NOMEM;
	}
	*out = a;
	return ATT_OK;
}

void att_analytic_free(struct att_analytic *a)
{
	if (!a)
		return;
	kiss_fftr_free(a->fwd);
	kiss_fft_free(a->inv);
	free(a->buf);
	free(a->spec);
	free(a->out);
	free(a);
}

size_t att_analytic_nfft(const struct att_analytic *a)
{
	return a ? a->nfft : 0;
}

int att_analytic_run(struct att_analytic *a, const float *x, size_t n, float *re, float *im)
{
	if (!a || !x || !re || !im || n > a->max_n)
		return ATT_ERR_ARG;
	size_t N = a->nfft, half = N / 2;
	for (size_t i = 0; i < n; i++)
		a->buf[i] = x[i];
	for (size_t i = n; i < N; i++)
		a->buf[i] = 0;
	kiss_fftr(a->fwd, a->buf, a->spec);
	/* scipy.signal.hilbert's weights: 1 at DC and Nyquist, 2 for positive, 0 for negative bins. */
	for (size_t k = 1; k < half; k++) {
		a->spec[k].r *= 2;
		a->spec[k].i *= 2;
	}
	for (size_t k = half + 1; k < N; k++)
		a->spec[k].r = a->spec[k].i = 0;
	kiss_fft(a->inv, a->spec, a->out);
	float scale = 1.0f / (float)N;
	for (size_t i = 0; i < n; i++) {
		re[i] = a->out[i].r * scale;
		im[i] = a->out[i].i * scale;
	}
	return ATT_OK;
}

static double wrap_pi(double x)
{
	x = fmod(x + M_PI, 2 * M_PI);
	if (x <= 0)
		x += 2 * M_PI;
	return x - M_PI;
}

int att_phase_offline(const float *x, size_t n, double rate_hz, float *phase, float *freq_hz,
                      float *amp)
{
	if (!x || !phase || n < 16 || !(rate_hz > 0) || !isfinite(rate_hz))
		return ATT_ERR_ARG;
	struct att_analytic *a = NULL;
	int err = att_analytic_new(n, &a);
	if (err)
		return err;
	float *re = malloc(n * sizeof *re);
	float *im = malloc(n * sizeof *im);
	double *unw = freq_hz ? malloc(n * sizeof *unw) : NULL;
	if (!re || !im || (freq_hz && !unw)) {
		err = ATT_ERR_NOMEM;
		goto done;
	}
	double mean = 0;
	for (size_t i = 0; i < n; i++) {
		/* One NAN would smear over the whole FFT; the caller must bridge gaps first. */
		if (!isfinite(x[i])) {
			err = ATT_ERR_NO_DATA;
			goto done;
		}
		mean += x[i];
	}
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		re[i] = (float)(x[i] - mean);
	att_analytic_run(a, re, n, re, im);
	for (size_t i = 0; i < n; i++) {
		phase[i] = (float)atan2(im[i], re[i]);
		if (amp)
			amp[i] = (float)hypot(re[i], im[i]);
	}
	if (freq_hz) {
		unw[0] = phase[0];
		for (size_t i = 1; i < n; i++)
			unw[i] = unw[i - 1] + wrap_pi((double)phase[i] - phase[i - 1]);
		size_t h = (size_t)lround(ATT_PHASE_FREQ_HALF_S * rate_hz);
		if (h < 1)
			h = 1;
		for (size_t i = 0; i < n; i++) {
			size_t lo = i >= h ? i - h : 0, hi = i + h < n ? i + h : n - 1;
			double f = (unw[hi] - unw[lo]) / (2 * M_PI) * rate_hz / (double)(hi - lo);
			if (f < 0)
				f = 0;
			if (f > rate_hz / 2)
				f = rate_hz / 2;
			freq_hz[i] = (float)f;
		}
	}
done:
	free(re);
	free(im);
	free(unw);
	att_analytic_free(a);
	return err;
}

struct att_phase {
	struct att_phase_cfg cfg;
	size_t n;      /* window length in samples */
	size_t pred;   /* forecast samples appended before the FFT */
	size_t delay;  /* read point, samples before the newest */
	size_t half;   /* frequency half-span, samples */
	size_t settle; /* samples before the first estimate */
	size_t q;      /* AR decimation factor */
	float *ring;   /* last n samples */
	size_t head, count;
	float *w; /* window + forecast, then the analytic real part */
	float *im;
	double *arx, *f, *b; /* AR input and Burg's forward/backward errors */
	double a[ATT_PHASE_AR_ORDER + 1], tmp[ATT_PHASE_AR_ORDER + 1];
	double *fc; /* forecast at the AR rate */
	size_t nfc;
	struct att_analytic *fft;
	double credit; /* fractional updates owed */
	struct att_phase_est est;
};

void att_phase_free(struct att_phase *p)
{
	if (!p)
		return;
	att_analytic_free(p->fft);
	free(p->ring);
	free(p->w);
	free(p->im);
	free(p->arx);
	free(p->f);
	free(p->b);
	free(p->fc);
	free(p);
}

int att_phase_new(const struct att_phase_cfg *cfg, struct att_phase **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg)
		return ATT_ERR_ARG;
	struct att_phase_cfg c = *cfg;
	if (c.window_s == 0)
		c.window_s = 30;
	if (c.update_hz == 0)
		c.update_hz = 10;
	if (c.settle_s == 0)
		c.settle_s = 10;
	if (c.fmin_hz == 0)
		c.fmin_hz = 0.05;
	if (c.fmax_hz == 0)
		c.fmax_hz = 1.0;
	if (!(c.rate_hz >= 2 && c.rate_hz <= 200) || !(c.window_s >= 4 && c.window_s <= 600) ||
	    !(c.delay_s >= 0 && c.delay_s <= c.window_s / 4 &&
	      c.delay_s <= ATT_PHASE_MAX_DELAY_S) ||
	    !(c.update_hz > 0) || !(c.settle_s > 0) || !(c.fmin_hz > 0) || !(c.fmin_hz < c.fmax_hz))
		return ATT_ERR_ARG;
	if (c.update_hz > c.rate_hz)
		c.update_hz = c.rate_hz;
	if (c.settle_s > c.window_s)
		c.settle_s = c.window_s;

	struct att_phase *p = calloc(1, sizeof *p);
	if (!p)
		return ATT_ERR_NOMEM;
	p->cfg = c;
	p->n = (size_t)lround(c.window_s * c.rate_hz);
	p->pred = (size_t)ceil(ATT_PHASE_PREDICT_S * c.rate_hz);
	p->delay = (size_t)lround(c.delay_s * c.rate_hz);
	p->half = (size_t)lround(ATT_PHASE_FREQ_HALF_S * c.rate_hz);
	if (p->half < 1)
		p->half = 1;
	p->settle = (size_t)ceil(c.settle_s * c.rate_hz);
	if (p->settle < 2 * ATT_PHASE_AR_ORDER)
		p->settle = 2 * ATT_PHASE_AR_ORDER;
	if (p->settle > p->n)
		p->settle = p->n;
	long q = lround(c.rate_hz / ATT_PHASE_AR_RATE);
	p->q = q < 1 ? 1 : (size_t)q;
	size_t nar = (p->n - 1) / p->q + 1;
	p->nfc = p->pred / p->q + 2;
	size_t total = p->n + p->pred;
	p->ring = calloc(p->n, sizeof *p->ring);
	p->w = calloc(total, sizeof *p->w);
	p->im = calloc(total, sizeof *p->im);
	p->arx = calloc(nar + p->nfc, sizeof *p->arx);
	p->f = calloc(nar, sizeof *p->f);
	p->b = calloc(nar, sizeof *p->b);
	p->fc = calloc(p->nfc, sizeof *p->fc);
	int err = att_analytic_new(total, &p->fft);
	if (!p->ring || !p->w || !p->im || !p->arx || !p->f || !p->b || !p->fc || err) {
		att_phase_free(p);
		return ATT_ERR_NOMEM;
	}
	att_phase_reset(p);
	*out = p;
	return ATT_OK;
}

void att_phase_reset(struct att_phase *p)
{
	if (!p)
		return;
	p->head = p->count = 0;
	p->credit = 1; /* the first push after settling updates at once */
	p->est.phase_rad = p->est.freq_hz = p->est.amp = NAN;
}

void att_phase_get_cfg(const struct att_phase *p, struct att_phase_cfg *out)
{
	if (p && out)
		*out = p->cfg;
}

/* Burg's method: AR coefficients a[0..order] (a[0] = 1, x[t] = -sum a[k] x[t-k]) that minimise
 * forward and backward prediction error together, which always gives a stable model. */
static void burg(struct att_phase *p, size_t m, int order)
{
	double *f = p->f, *b = p->b, *a = p->a, *t = p->tmp;
	for (size_t i = 0; i < m; i++)
		f[i] = b[i] = p->arx[i];
	a[0] = 1;
	for (int k = 1; k <= order; k++)
		a[k] = 0;
	for (int k = 0; k < order; k++) {
		double num = 0, den = 0;
		for (size_t i = (size_t)k + 1; i < m; i++) {
			num += f[i] * b[i - 1];
			den += f[i] * f[i] + b[i - 1] * b[i - 1];
		}
		double r = den > 0 ? -2 * num / den : 0;
		for (int j = 0; j <= k + 1; j++)
			t[j] = a[j] + r * a[k + 1 - j];
		for (int j = 0; j <= k + 1; j++)
			a[j] = t[j];
		/* Downwards so b[i - 1] is still the previous stage's error when f[i] needs it. */
		for (size_t i = m - 1; i > (size_t)k; i--) {
			double fi = f[i], bi = b[i - 1];
			f[i] = fi + r * bi;
			b[i] = bi + r * fi;
		}
	}
}

static void update(struct att_phase *p)
{
	const struct att_phase_cfg *c = &p->cfg;
	size_t len = p->count;
	size_t start = (p->head + p->n - len) % p->n;
	double mean = 0;
	for (size_t i = 0; i < len; i++) {
		float v = p->ring[(start + i) % p->n];
		p->w[i] = v;
		mean += v;
	}
	mean /= (double)len;
	double var = 0;
	for (size_t i = 0; i < len; i++) {
		p->w[i] -= (float)mean;
		var += (double)p->w[i] * p->w[i];
	}
	if (!(var > 0)) {
		p->est.phase_rad = p->est.freq_hz = p->est.amp = NAN;
		return;
	}

	/* Resample to the AR rate so the newest sample is on the grid. */
	size_t q = p->q, m = (len - 1) / q + 1;
	for (size_t j = 0; j < m; j++)
		p->arx[j] = p->w[len - 1 - (m - 1 - j) * q];
	int order = ATT_PHASE_AR_ORDER;
	if ((size_t)order * 2 > m)
		order = (int)(m / 2);
	burg(p, m, order);
	/* Run the model forward: fc[0] is the newest real sample, fc[j] j steps ahead. */
	p->fc[0] = p->arx[m - 1];
	for (size_t j = 1; j < p->nfc; j++) {
		double v = 0;
		for (int k = 1; k <= order; k++) {
			double xk = (size_t)k <= j ? p->fc[j - (size_t)k]
			                           : p->arx[m - 1 - ((size_t)k - j)];
			v -= p->a[k] * xk;
		}
		p->fc[j] = v;
	}
	for (size_t i = 1; i <= p->pred; i++) {
		double pos = (double)i / (double)q;
		size_t j = (size_t)pos;
		double fr = pos - (double)j;
		double v = p->fc[j] + (j + 1 < p->nfc ? fr * (p->fc[j + 1] - p->fc[j]) : 0);
		double fade = 0.5 + 0.5 * cos(M_PI * (double)(i - 1) / (double)p->pred);
		p->w[len - 1 + i] = (float)(v * fade);
	}
	size_t total = len + p->pred;
	att_analytic_run(p->fft, p->w, total, p->w, p->im);

	size_t k = len - 1 - p->delay;
	size_t lo = k >= p->half ? k - p->half : 0, hi = k + p->half;
	double adv = 0;
	for (size_t i = lo; i < hi; i++) {
		/* arg(z[i+1] * conj(z[i])): the phase step, unwrapped sample by sample. */
		double re = (double)p->w[i + 1] * p->w[i] + (double)p->im[i + 1] * p->im[i];
		double im = (double)p->im[i + 1] * p->w[i] - (double)p->w[i + 1] * p->im[i];
		adv += atan2(im, re);
	}
	double f = adv / (2 * M_PI) * c->rate_hz / (double)(hi - lo);
	if (!(f >= c->fmin_hz))
		f = c->fmin_hz;
	if (f > c->fmax_hz)
		f = c->fmax_hz;
	double ph = atan2(p->im[k], p->w[k]) + 2 * M_PI * f * (double)p->delay / c->rate_hz;
	p->est.phase_rad = wrap_pi(ph);
	p->est.freq_hz = f;
	p->est.amp = hypot(p->w[k], p->im[k]);
}

int att_phase_push(struct att_phase *p, float x, struct att_phase_est *out)
{
	int updated = 0;
	if (!isfinite(x)) {
		att_phase_reset(p);
	} else {
		p->ring[p->head] = x;
		p->head = (p->head + 1) % p->n;
		if (p->count < p->n)
			p->count++;
		if (p->count >= p->settle) {
			p->credit += p->cfg.update_hz / p->cfg.rate_hz;
			if (p->credit >= 1 || isnan(p->est.phase_rad)) {
				p->credit -= floor(p->credit);
				update(p);
				updated = 1;
			} else {
				p->est.phase_rad =
				        wrap_pi(p->est.phase_rad +
				                2 * M_PI * p->est.freq_hz / p->cfg.rate_hz);
			}
		}
	}
	if (out)
		*out = p->est;
	return updated;
}
