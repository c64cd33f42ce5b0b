/* Butterworth filters as second-order sections (SOS) in double precision, designed at run time for
 * any sample rate; streaming (causal, one sample at a time, no allocation after _new) and offline
 * (zero-phase filtfilt that agrees with scipy.signal.sosfiltfilt); anti-aliased decimation; and two
 * ready-made cleaners for respiration and PPG.
 *
 * Invariant: a design is a plain value (struct att_sos) that never changes once made; every piece
 * of filter state is allocated in _new, so the step and push calls never allocate, lock or block.
 *
 * Why SOS in double: a 0.05 Hz edge at 1000 Hz puts poles within 3e-4 of the unit circle; as one
 * high-order polynomial that is numerically hopeless, as biquads in double it is fine. Even so the
 * respiration path first low-passes and decimates to ~25 Hz, then band-passes at the low rate.
 *
 * Threads: a design or a batch function may run on any thread; one filter/decimator/cleaner object
 * is used by one thread at a time. No global state. */
#ifndef ATT_FILTER_H
#define ATT_FILTER_H

#include <stddef.h>

#include "attune/err.h"

/* Highest Butterworth order per edge; a band-pass of order N has 2N poles, so N sections. */
#define ATT_FILTER_MAX_ORDER    10
#define ATT_FILTER_MAX_SECTIONS ATT_FILTER_MAX_ORDER

enum att_filter_kind {
	ATT_FILTER_LOWPASS,
	ATT_FILTER_HIGHPASS,
	ATT_FILTER_BANDPASS,
};

struct att_filter_cfg {
	enum att_filter_kind kind;
	int order;      /* 1..ATT_FILTER_MAX_ORDER per edge (a band-pass of order N has 2N poles) */
	double rate_hz; /* sample rate, > 0 */
	double low_hz;  /* high-pass edge, or lower band edge (-3 dB); ignored for a low-pass */
	double high_hz; /* low-pass edge, or upper band edge (-3 dB); ignored for a high-pass */
};

/* One biquad, a0 normalised to 1: H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2).
 * Same layout as one row of scipy's sos array [b0 b1 b2 1 a1 a2]. */
struct att_biquad {
	double b0, b1, b2, a1, a2;
};

/* A cascade of biquads: a plain value, copy it freely. */
struct att_sos {
	int n; /* sections used */
	struct att_biquad s[ATT_FILTER_MAX_SECTIONS];
};

/* Designs a digital Butterworth filter (bilinear transform with pre-warping, as scipy.signal.butter
 * with output='sos'). Edges must satisfy 0 < low < high < rate/2. ATT_ERR_ARG for a bad order,
 * kind or edge; *out untouched then. Any thread. */
int att_butter(const struct att_filter_cfg *cfg, struct att_sos *out);

/* |H(f)| of a cascade at frequency f_hz for sample rate rate_hz (linear gain, not dB). */
double att_sos_gain(const struct att_sos *sos, double f_hz, double rate_hz);

/* Causal filtering of an array: y may equal x (in place). Starts from rest (zero state), like
 * scipy.signal.sosfilt without zi. */
void att_sosfilt(const struct att_sos *sos, const double *x, double *y, size_t n);

/* Zero-phase forward-backward filtering, matching scipy.signal.sosfiltfilt(sos, x) with its
 * defaults (x must be finite: fill gaps first, a NAN spreads over the whole output): odd
 * extension of padlen = 3 * (2 * sections + 1 - trailing-zero sections) samples at
 * each end (shortened to n - 1 for short signals, where scipy would refuse), steady-state initial
 * conditions scaled by the first/last sample. y may equal x. Allocates a scratch buffer for the
 * call (offline use only): ATT_ERR_NOMEM, ATT_ERR_NO_DATA when n < 2. Any thread. */
int att_sosfiltfilt(const struct att_sos *sos, const double *x, double *y, size_t n);

/* Streaming filter: one sample in, one sample out, causal (direct form II transposed). */
struct att_filter;

/* *out is set to NULL first; caller frees with att_filter_free(). ATT_ERR_ARG (as att_butter),
 * ATT_ERR_NOMEM. The state starts at rest (zero). */
int att_filter_new(const struct att_filter_cfg *cfg, struct att_filter **out);
/* Same, from an existing design (e.g. a custom cascade); sos is copied. */
int att_filter_new_sos(const struct att_sos *sos, struct att_filter **out);
/* NULL is a no-op. */
void att_filter_free(struct att_filter *f);
/* Filters one sample; never allocates. x must be finite: a NAN stays in the state until
 * att_filter_reset() (the decimator and the cleaners below treat NAN as a gap instead). */
double att_filter_step(struct att_filter *f, double x);
/* Sets the state to the steady state for a constant input x0 (scipy sosfilt_zi * x0), so a
 * signal sitting on a large offset does not ring at start-up or after a gap. */
void att_filter_reset(struct att_filter *f, double x0);
/* The design in use; borrowed, valid until att_filter_free(). */
const struct att_sos *att_filter_sos(const struct att_filter *f);

/* Decimation by an integer factor with an anti-aliasing Butterworth low-pass (order 8, edge at
 * 0.8 x the output Nyquist frequency: keeps 0..0.4 x out_rate within 3 dB, as scipy.signal.decimate
 * does with its Chebyshev filter). */

/* The factor that brings in_rate_hz down to the lowest rate >= target_hz: floor(in / target),
 * at least 1 (so 100 -> 25 is 4, 125 -> 25 is 5, 1000 -> 25 is 40, 30 -> 25 is 1). */
int att_decim_factor(double in_rate_hz, double target_hz);

struct att_decim_cfg {
	double rate_hz; /* input rate, > 0 */
	int factor;     /* >= 1; 1 passes samples through unfiltered */
};

struct att_decim;

/* Streaming decimator (causal filter, keeps every factor-th output, starting with the first input).
 * *out is set to NULL first; caller frees with att_decim_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_decim_new(const struct att_decim_cfg *cfg, struct att_decim **out);
void att_decim_free(struct att_decim *d);
/* Pushes one input sample; returns 1 and writes *y when an output sample is due, else 0. The
 * first push also sets the filter to steady state on that sample (no start-up step). NAN (or
 * infinity) is a gap: the decimator resets and returns 0. */
int att_decim_push(struct att_decim *d, double x, double *y);
/* Forgets the past (after a gap); the next push starts afresh. */
void att_decim_reset(struct att_decim *d);

/* Batch zero-phase decimation (filtfilt, then every factor-th sample starting at 0). y must hold
 * att_decim_len(n, factor) = ceil(n / factor) samples; y may not alias x. ATT_ERR_ARG, NOMEM. */
size_t att_decim_len(size_t n, int factor);
int att_decimate(const struct att_decim_cfg *cfg, const double *x, size_t n, double *y);

/* Ready-made cleaners, the defaults (README, section Signal conditioning). Respiration: decimate
 * to >= 25 Hz (breathing lives below 1 Hz, so 25 Hz is plenty and keeps the 0.05 Hz edge
 * numerically easy), then band-pass 0.05-1 Hz order 2 (3-60 breaths/min; 0.05 keeps paced
 * breathing at 4-6 /min).
 * PPG: band-pass 0.5-8 Hz order 2 at the input rate (Elgendi 2013: 30-480 bpm and the systolic
 * upstroke; no decimation so beat times keep the input resolution). */
enum att_clean_kind {
	ATT_CLEAN_RESP,
	ATT_CLEAN_PPG,
};

struct att_clean_cfg {
	enum att_clean_kind kind;
	double rate_hz;   /* input rate, 25..1000 Hz (anything > 2 x high_hz works) */
	double target_hz; /* respiration only: lowest output rate; 0 = default 25 Hz */
	double low_hz;    /* 0 = default (0.05 respiration, 0.5 PPG) */
	double high_hz;   /* 0 = default (1 respiration, 8 PPG) */
	int order;        /* band-pass order per edge; 0 = default 2 */
};

struct att_clean;

/* *out is set to NULL first; caller frees with att_clean_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_clean_new(const struct att_clean_cfg *cfg, struct att_clean **out);
void att_clean_free(struct att_clean *c);
/* Output sample rate: rate_hz / factor for respiration, rate_hz for PPG. */
double att_clean_rate(const struct att_clean *c);
/* Decimation factor in use (1 for PPG). */
int att_clean_factor(const struct att_clean *c);
/* Pushes one raw sample; returns 1 and writes *y when a cleaned output sample is due (every
 * factor-th push), else 0. The first push after new/reset sets the filters to steady state on
 * that sample, so a DC offset does not produce a start-up transient. NAN (or infinity) is a gap:
 * the cleaner resets and returns 0, and starts afresh on the next finite sample. Never
 * allocates. */
int att_clean_push(struct att_clean *c, double x, double *y);
/* Forgets the past, e.g. after a gap in the stream. */
void att_clean_reset(struct att_clean *c);

/* Offline cleaning of a whole array, zero-phase (decimation and band-pass both by filtfilt).
 * y must hold att_clean_len() samples (ceil(n / factor)); *out_rate_hz (may be NULL) receives the
 * output rate. Allocates scratch for the call. ATT_ERR_ARG, ATT_ERR_NOMEM, ATT_ERR_NO_DATA (n < 2). */
size_t att_clean_len(const struct att_clean_cfg *cfg, size_t n);
int att_clean_batch(const struct att_clean_cfg *cfg, const double *x, size_t n, double *y,
                    double *out_rate_hz);

#endif
