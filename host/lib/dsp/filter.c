/* Butterworth design (analog prototype -> frequency transform -> bilinear transform -> biquads),
 * causal and zero-phase SOS filtering, decimation and the two signal cleaners.
 *
 * Invariant: every section of a design has unit gain at the reference frequency (DC for low-pass,
 * Nyquist for high-pass, the geometric band centre for band-pass), so no intermediate signal in
 * the cascade grows far beyond the input, whatever the order. */
#include "attune/filter.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Streaming state of one cascade: two delay values per section (direct form II transposed). */
struct sos_state {
	struct att_sos sos;
	double z[ATT_FILTER_MAX_SECTIONS][2];
};

struct att_filter {
	struct sos_state st;
};

struct att_decim {
	struct sos_state st;
	int factor;
	int phase;   /* inputs since the last output, 0..factor-1 */
	int started; /* 0 until the first push set the steady state */
};

struct att_clean {
	struct att_clean_cfg cfg;
	struct att_decim *decim; /* respiration only */
	struct sos_state band;
	double out_rate;
	int factor;
	int started;
};

static double complex bilinear(double complex s, double fs2)
{
	return (fs2 + s) / (fs2 - s);
}

static double section_gain(const struct att_biquad *q, double w)
{
	double complex z1 = cexp(-I * w);
	double complex z2 = z1 * z1;
	double complex num = q->b0 + q->b1 * z1 + q->b2 * z2;
	double complex den = 1.0 + q->a1 * z1 + q->a2 * z2;
	return cabs(num) / cabs(den);
}

int att_butter(const struct att_filter_cfg *cfg, struct att_sos *out)
{
	if (!cfg || !out || cfg->order < 1 || cfg->order > ATT_FILTER_MAX_ORDER ||
	    !(cfg->rate_hz > 0) || !isfinite(cfg->rate_hz))
		return ATT_ERR_ARG;
	double nyq = cfg->rate_hz / 2;
	int lo = cfg->kind == ATT_FILTER_HIGHPASS || cfg->kind == ATT_FILTER_BANDPASS;
	int hi = cfg->kind == ATT_FILTER_LOWPASS || cfg->kind == ATT_FILTER_BANDPASS;
	if (cfg->kind != ATT_FILTER_LOWPASS && cfg->kind != ATT_FILTER_HIGHPASS &&
	    cfg->kind != ATT_FILTER_BANDPASS)
		return ATT_ERR_ARG;
	if (lo && !(cfg->low_hz > 0 && cfg->low_hz < nyq))
		return ATT_ERR_ARG;
	if (hi && !(cfg->high_hz > 0 && cfg->high_hz < nyq))
		return ATT_ERR_ARG;
	if (lo && hi && !(cfg->low_hz < cfg->high_hz))
		return ATT_ERR_ARG;

	int n = cfg->order;
	double fs2 = 2 * cfg->rate_hz;
	/* Pre-warp so the -3 dB edges land exactly where asked after the bilinear transform. */
	double wl = lo ? fs2 * tan(M_PI * cfg->low_hz / cfg->rate_hz) : 0;
	double wh = hi ? fs2 * tan(M_PI * cfg->high_hz / cfg->rate_hz) : 0;

	/* Digital poles; zeros are implied by the kind (all at -1, +1, or half each). */
	double complex poles[2 * ATT_FILTER_MAX_ORDER];
	int np = 0;
	for (int k = 0; k < n; k++) {
		/* Butterworth prototype pole on the unit circle, left half-plane (scipy buttap order). */
		double complex p = -cexp(I * M_PI * (double)(2 * k - n + 1) / (2.0 * n));
		if (cfg->kind == ATT_FILTER_LOWPASS) {
			poles[np++] = bilinear(p * wh, fs2);
		} else if (cfg->kind == ATT_FILTER_HIGHPASS) {
			poles[np++] = bilinear(wl / p, fs2);
		} else {
			double bw = wh - wl, w0sq = wl * wh;
			double complex h = p * bw / 2;
			double complex r = csqrt(h * h - w0sq);
			poles[np++] = bilinear(h + r, fs2);
			poles[np++] = bilinear(h - r, fs2);
		}
	}

	/* Pair poles into sections: each pole with positive imaginary part with its conjugate, and
	 * the real poles two by two (a lone real pole makes a first-order section). */
	struct att_sos sos;
	memset(&sos, 0, sizeof sos);
	double reals[2 * ATT_FILTER_MAX_ORDER];
	int nr = 0;
	const double eps = 1e-12;
	for (int i = 0; i < np; i++) {
		double complex z = poles[i];
		if (fabs(cimag(z)) <= eps * (1 + cabs(z))) {
			reals[nr++] = creal(z);
		} else if (cimag(z) > 0) {
			struct att_biquad *q = &sos.s[sos.n++];
			q->a1 = -2 * creal(z);
			q->a2 = creal(z) * creal(z) + cimag(z) * cimag(z);
		}
	}
	for (int i = 0; i < nr; i += 2) {
		struct att_biquad *q = &sos.s[sos.n++];
		if (i + 1 < nr) {
			q->a1 = -(reals[i] + reals[i + 1]);
			q->a2 = reals[i] * reals[i + 1];
		} else {
			q->a1 = -reals[i];
			q->a2 = 0;
		}
	}

	double wref;
	if (cfg->kind == ATT_FILTER_LOWPASS)
		wref = 0;
	else if (cfg->kind == ATT_FILTER_HIGHPASS)
		wref = M_PI;
	else
		wref = 2 * atan(sqrt(wl * wh) / fs2);
	for (int i = 0; i < sos.n; i++) {
		struct att_biquad *q = &sos.s[i];
		int first_order = q->a2 == 0 && cfg->kind != ATT_FILTER_BANDPASS;
		if (cfg->kind == ATT_FILTER_LOWPASS) {
			q->b0 = 1;
			q->b1 = first_order ? 1 : 2;
			q->b2 = first_order ? 0 : 1;
		} else if (cfg->kind == ATT_FILTER_HIGHPASS) {
			q->b0 = 1;
			q->b1 = first_order ? -1 : -2;
			q->b2 = first_order ? 0 : 1;
		} else {
			/* One zero at DC and one at Nyquist per band-pass section. */
			q->b0 = 1;
			q->b1 = 0;
			q->b2 = -1;
		}
		double g = section_gain(q, wref);
		if (!(g > 0) || !isfinite(g))
			return ATT_ERR_ARG;
		q->b0 /= g;
		q->b1 /= g;
		q->b2 /= g;
	}
	*out = sos;
	return ATT_OK;
}

double att_sos_gain(const struct att_sos *sos, double f_hz, double rate_hz)
{
	double w = 2 * M_PI * f_hz / rate_hz, g = 1;
	for (int i = 0; i < sos->n; i++)
		g *= section_gain(&sos->s[i], w);
	return g;
}

static inline double sos_step(struct sos_state *st, double x)
{
	for (int i = 0; i < st->sos.n; i++) {
		const struct att_biquad *q = &st->sos.s[i];
		double *z = st->z[i];
		double y = q->b0 * x + z[0];
		z[0] = q->b1 * x - q->a1 * y + z[1];
		z[1] = q->b2 * x - q->a2 * y;
		x = y;
	}
	return x;
}

/* Steady state of the cascade for a constant input x0 (scipy.signal.sosfilt_zi(sos) * x0): each
 * section sees x0 times the DC gain of the sections before it. */
static void sos_steady(struct sos_state *st, double x0)
{
	double in = x0;
	for (int i = 0; i < st->sos.n; i++) {
		const struct att_biquad *q = &st->sos.s[i];
		double den = 1 + q->a1 + q->a2;
		double g = den != 0 ? (q->b0 + q->b1 + q->b2) / den : 0;
		double y = g * in;
		st->z[i][1] = q->b2 * in - q->a2 * y;
		st->z[i][0] = q->b1 * in - q->a1 * y + st->z[i][1];
		in = y;
	}
}

void att_sosfilt(const struct att_sos *sos, const double *x, double *y, size_t n)
{
	struct sos_state st;
	memset(&st, 0, sizeof st);
	st.sos = *sos;
	for (size_t i = 0; i < n; i++)
		y[i] = sos_step(&st, x[i]);
}

int att_sosfiltfilt(const struct att_sos *sos, const double *x, double *y, size_t n)
{
	if (!sos || !x || !y || sos->n < 0 || sos->n > ATT_FILTER_MAX_SECTIONS)
		return ATT_ERR_ARG;
	if (n < 2)
		return ATT_ERR_NO_DATA;
	int zb = 0, za = 0;
	for (int i = 0; i < sos->n; i++) {
		zb += sos->s[i].b2 == 0;
		za += sos->s[i].a2 == 0;
	}
	size_t pad = (size_t)3 * (size_t)(2 * sos->n + 1 - (zb < za ? zb : za));
	if (pad > n - 1)
		pad = n - 1;
	size_t m = n + 2 * pad;
	double *e = malloc(m * sizeof *e);
	if (!e)
		return ATT_ERR_NOMEM;
	/* Odd extension about the end points keeps the signal and its slope continuous there. */
	for (size_t i = 0; i < pad; i++) {
		e[i] = 2 * x[0] - x[pad - i];
		e[pad + n + i] = 2 * x[n - 1] - x[n - 2 - i];
	}
	memcpy(e + pad, x, n * sizeof *x);

	struct sos_state st;
	memset(&st, 0, sizeof st);
	st.sos = *sos;
	sos_steady(&st, e[0]);
	for (size_t i = 0; i < m; i++)
		e[i] = sos_step(&st, e[i]);
	sos_steady(&st, e[m - 1]);
	for (size_t i = m; i-- > 0;)
		e[i] = sos_step(&st, e[i]);
	memcpy(y, e + pad, n * sizeof *y);
	free(e);
	return ATT_OK;
}

int att_filter_new_sos(const struct att_sos *sos, struct att_filter **out)
{
	if (out)
		*out = NULL;
	if (!sos || !out || sos->n < 0 || sos->n > ATT_FILTER_MAX_SECTIONS)
		return ATT_ERR_ARG;
	struct att_filter *f = calloc(1, sizeof *f);
	if (!f)
		return ATT_ERR_NOMEM;
	f->st.sos = *sos;
	*out = f;
	return ATT_OK;
}

int att_filter_new(const struct att_filter_cfg *cfg, struct att_filter **out)
{
	if (out)
		*out = NULL;
	struct att_sos sos;
	int err = att_butter(cfg, &sos);
	if (err)
		return err;
	return att_filter_new_sos(&sos, out);
}

void att_filter_free(struct att_filter *f)
{
	free(f);
}

double att_filter_step(struct att_filter *f, double x)
{
	return sos_step(&f->st, x);
}

void att_filter_reset(struct att_filter *f, double x0)
{
	sos_steady(&f->st, x0);
}

const struct att_sos *att_filter_sos(const struct att_filter *f)
{
	return &f->st.sos;
}

int att_decim_factor(double in_rate_hz, double target_hz)
{
	if (!(in_rate_hz > 0) || !(target_hz > 0))
		return 1;
	double f = floor(in_rate_hz / target_hz + 1e-9);
	if (f < 1)
		return 1;
	if (f > 1e6)
		return 1000000;
	return (int)f;
}

/* Anti-aliasing low-pass: order 8 at 0.8 x the output Nyquist (0.4 x rate / factor). */
static int decim_design(const struct att_decim_cfg *cfg, struct att_sos *sos)
{
	if (!cfg || !(cfg->rate_hz > 0) || !isfinite(cfg->rate_hz) || cfg->factor < 1)
		return ATT_ERR_ARG;
	if (cfg->factor == 1) {
		sos->n = 0;
		return ATT_OK;
	}
	struct att_filter_cfg fc = {
	        .kind = ATT_FILTER_LOWPASS,
	        .order = 8,
	        .rate_hz = cfg->rate_hz,
	        .high_hz = 0.4 * cfg->rate_hz / cfg->factor,
	};
	return att_butter(&fc, sos);
}

int att_decim_new(const struct att_decim_cfg *cfg, struct att_decim **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	struct att_sos sos;
	int err = decim_design(cfg, &sos);
	if (err)
		return err;
	struct att_decim *d = calloc(1, sizeof *d);
	if (!d)
		return ATT_ERR_NOMEM;
	d->st.sos = sos;
	d->factor = cfg->factor;
	*out = d;
	return ATT_OK;
}

void att_decim_free(struct att_decim *d)
{
	free(d);
}

int att_decim_push(struct att_decim *d, double x, double *y)
{
	if (!isfinite(x)) {
		att_decim_reset(d);
		return 0;
	}
	if (!d->started) {
		sos_steady(&d->st, x);
		d->started = 1;
		d->phase = 0;
	}
	double v = sos_step(&d->st, x);
	int due = d->phase == 0;
	if (++d->phase == d->factor)
		d->phase = 0;
	if (due && y)
		*y = v;
	return due;
}

void att_decim_reset(struct att_decim *d)
{
	d->started = 0;
	d->phase = 0;
}

size_t att_decim_len(size_t n, int factor)
{
	if (factor < 1)
		return 0;
	return (n + (size_t)factor - 1) / (size_t)factor;
}

int att_decimate(const struct att_decim_cfg *cfg, const double *x, size_t n, double *y)
{
	struct att_sos sos;
	int err = decim_design(cfg, &sos);
	if (err)
		return err;
	if (!x || !y)
		return ATT_ERR_ARG;
	if (cfg->factor == 1) {
		memmove(y, x, n * sizeof *x);
		return ATT_OK;
	}
	if (n < 2)
		return ATT_ERR_NO_DATA;
	double *tmp = malloc(n * sizeof *tmp);
	if (!tmp)
		return ATT_ERR_NOMEM;
	err = att_sosfiltfilt(&sos, x, tmp, n);
	if (!err)
		for (size_t i = 0, j = 0; i < n; i += (size_t)cfg->factor, j++)
			y[j] = tmp[i];
	free(tmp);
	return err;
}

/* Fills defaults and designs the band-pass; *factor and *out_rate describe the output. */
static int clean_setup(const struct att_clean_cfg *in, struct att_clean_cfg *cfg,
                       struct att_sos *band, int *factor, double *out_rate)
{
	if (!in || !(in->rate_hz > 0) || !isfinite(in->rate_hz))
		return ATT_ERR_ARG;
	*cfg = *in;
	if (cfg->kind == ATT_CLEAN_RESP) {
		if (cfg->target_hz == 0)
			cfg->target_hz = 25;
		if (cfg->low_hz == 0)
			cfg->low_hz = 0.05;
		if (cfg->high_hz == 0)
			cfg->high_hz = 1;
		*factor = att_decim_factor(cfg->rate_hz, cfg->target_hz);
	} else if (cfg->kind == ATT_CLEAN_PPG) {
		if (cfg->low_hz == 0)
			cfg->low_hz = 0.5;
		if (cfg->high_hz == 0)
			cfg->high_hz = 8;
		*factor = 1;
	} else {
		return ATT_ERR_ARG;
	}
	if (cfg->order == 0)
		cfg->order = 2;
	*out_rate = cfg->rate_hz / *factor;
	struct att_filter_cfg fc = {
	        .kind = ATT_FILTER_BANDPASS,
	        .order = cfg->order,
	        .rate_hz = *out_rate,
	        .low_hz = cfg->low_hz,
	        .high_hz = cfg->high_hz,
	};
	return att_butter(&fc, band);
}

int att_clean_new(const struct att_clean_cfg *cfg, struct att_clean **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	struct att_clean_cfg full;
	struct att_sos band;
	int factor;
	double rate;
	int err = clean_setup(cfg, &full, &band, &factor, &rate);
	if (err)
		return err;
	struct att_clean *c = calloc(1, sizeof *c);
	if (!c)
		return ATT_ERR_NOMEM;
	c->cfg = full;
	c->band.sos = band;
	c->factor = factor;
	c->out_rate = rate;
	if (factor > 1) {
		struct att_decim_cfg dc = {.rate_hz = full.rate_hz, .factor = factor};
		err = att_decim_new(&dc, &c->decim);
		if (err) {
			free(c);
			return err;
		}
	}
	*out = c;
	return ATT_OK;
}

void att_clean_free(struct att_clean *c)
{
	if (!c)
		return;
	att_decim_free(c->decim);
	free(c);
}

double att_clean_rate(const struct att_clean *c)
{
	return c->out_rate;
}

int att_clean_factor(const struct att_clean *c)
{
	return c->factor;
}

int att_clean_push(struct att_clean *c, double x, double *y)
{
	if (!isfinite(x)) {
		att_clean_reset(c);
		return 0;
	}
	double v = x;
	if (c->decim && !att_decim_push(c->decim, x, &v))
		return 0;
	if (!c->started) {
		sos_steady(&c->band, v);
		c->started = 1;
	}
	double out = sos_step(&c->band, v);
	if (y)
		*y = out;
	return 1;
}

void att_clean_reset(struct att_clean *c)
{
	if (c->decim)
		att_decim_reset(c->decim);
	c->started = 0;
}

size_t att_clean_len(const struct att_clean_cfg *cfg, size_t n)
{
	struct att_clean_cfg full;
	struct att_sos band;
	int factor;
	double rate;
	if (clean_setup(cfg, &full, &band, &factor, &rate))
		return 0;
	return att_decim_len(n, factor);
}

int att_clean_batch(const struct att_clean_cfg *cfg, const double *x, size_t n, double *y,
                    double *out_rate_hz)
{
	struct att_clean_cfg full;
	struct att_sos band;
	int factor;
	double rate;
	int err = clean_setup(cfg, &full, &band, &factor, &rate);
	if (err)
		return err;
	if (!x || !y)
		return ATT_ERR_ARG;
	if (n < 2)
		return ATT_ERR_NO_DATA;
	size_t m = att_decim_len(n, factor);
	if (factor > 1) {
		struct att_decim_cfg dc = {.rate_hz = full.rate_hz, .factor = factor};
		err = att_decimate(&dc, x, n, y);
	} else if (y != x) {
		memmove(y, x, n * sizeof *x);
	}
	if (!err) {
		if (m < 2)
			err = ATT_ERR_NO_DATA;
		else
			err = att_sosfiltfilt(&band, y, y, m);
	}
	if (!err && out_rate_hz)
		*out_rate_hz = rate;
	return err;
}
