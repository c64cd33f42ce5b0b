/* Breathing phase: the instantaneous phase of a band-passed breath signal from its analytic signal
 * (FFT Hilbert transform, kissfft real FFT of a power-of-two size).
 *
 * Two uses share one transform:
 * - offline: the analytic signal of a whole recording (or of centred windows) of the band-passed,
 *   decimated (~25 Hz) breath; att_analytic_run() equals scipy.signal.hilbert(x, N=nfft)[:n];
 * - live: struct att_phase keeps the last window_s seconds in a fixed ring and, at update_hz,
 *   estimates the phase at "now". The end of a window carries Hilbert edge error, so before the
 *   FFT the window is extended by a 10 s autoregressive forecast (Burg, order 8, at ~5 Hz) faded
 *   into the zero padding; the newest sample then sits inside smooth signal as in a centred
 *   estimate. Output delay: none (the phase is that of the newest pushed sample). Optionally the
 *   phase is read delay_s before the window end and advanced by the instantaneous frequency x
 *   delay_s. Between updates the phase is advanced by the last frequency for each pushed sample,
 *   so every push yields a current phase. Measured on the shared real recordings: 2-11 degrees
 *   mean absolute difference from the offline phase of the same data (tests/unit/test_phase.c).
 *
 * Phase convention: x = amp * cos(phase); phase 0 at the end of an inhale (the peak of a breath
 * signal that rises on inhale), -pi/2 half-way up the inhale. Phases are in (-pi, pi].
 *
 * Invariant: every FFT plan and buffer is allocated in *_new(); no call after that allocates,
 * except att_phase_offline(), which is for offline use and frees what it allocates.
 * Threads: each object is used by one thread at a time; the module has no global state. */
#ifndef ATT_PHASE_H
#define ATT_PHASE_H

#include <stddef.h>

#include "attune/err.h"

/* Offline analytic signal. */

struct att_analytic;

/* Creates an FFT plan able to transform up to max_n samples (nfft = the next power of two >= max_n,
 * at least 16). *out is set to NULL first; caller frees with att_analytic_free().
 * ATT_ERR_ARG for max_n < 2 or > 2^24, ATT_ERR_NOMEM. Any thread. */
int att_analytic_new(size_t max_n, struct att_analytic **out);

/* NULL is a no-op. */
void att_analytic_free(struct att_analytic *a);

/* The FFT size the plan uses. */
size_t att_analytic_nfft(const struct att_analytic *a);

/* The analytic signal of x[0..n) (n <= max_n), zero-padded to nfft: re[i] + j im[i] ==
 * scipy.signal.hilbert(x, N=nfft)[i] for i < n. re == x up to rounding; the mean is not removed.
 * x, re and im are borrowed for the call; re/im may alias x. Never allocates.
 * ATT_ERR_ARG for n > max_n or NULL pointers. The thread using the plan. */
int att_analytic_run(struct att_analytic *a, const float *x, size_t n, float *re, float *im);

/* Offline phase of a whole band-passed breath series x[0..n) sampled at rate_hz: removes the mean,
 * takes the analytic signal (one FFT over the whole series, zero-padded) and writes
 * phase[i] in (-pi, pi], and, when not NULL, freq_hz[i] (instantaneous frequency: central
 * difference of the unwrapped phase, averaged over +-0.5 s, clamped to 0..rate/2) and amp[i]
 * (envelope). The first and last ~2 s carry edge error; callers judging sync may skip them.
 * Allocates its plan internally (offline use only). ATT_ERR_ARG (n < 16, NULL, bad rate),
 * ATT_ERR_NO_DATA (a non-finite sample: bridge gaps before), ATT_ERR_NOMEM. Arrays are borrowed
 * for the call. Any thread. */
int att_phase_offline(const float *x, size_t n, double rate_hz, float *phase, float *freq_hz,
                      float *amp);

/* Live phase at "now". */

struct att_phase;

struct att_phase_cfg {
	double rate_hz;   /* rate of pushed samples (the decimated breath), 2..200 Hz */
	double window_s;  /* sliding analysis window; 0 = 30 s */
	double update_hz; /* full FFT estimates per second; 0 = 10 Hz (pushes in between are
	                     advanced by the last frequency) */
	double delay_s;   /* how far before the window end the analytic signal is read and then
	                     advanced to now (0..4 s); 0 = at the newest sample (recommended: the
	                     forecast already removes the edge error; a delay adds extrapolation
	                     error). Not an output delay either way. */
	double settle_s;  /* signal needed before the first estimate; 0 = 10 s */
	double fmin_hz;   /* breathing band the frequency is clamped to; 0 = 0.05 Hz */
	double fmax_hz;   /* 0 = 1.0 Hz */
};

struct att_phase_est {
	double phase_rad; /* phase at the newest pushed sample, (-pi, pi]; NAN while settling */
	double freq_hz;   /* instantaneous breathing frequency; NAN while settling */
	double amp;       /* envelope at the read point, in the input's unit; NAN while settling */
};

/* Creates a live phase tracker; all memory (ring, FFT plans, buffers) is allocated here.
 * *out is set to NULL first; caller frees with att_phase_free(). cfg is copied.
 * ATT_ERR_ARG for a rate outside 2..200 Hz, a window under 4 s or over 600 s, a delay outside
 * 0..min(4 s, window/4), or fmin >= fmax; ATT_ERR_NOMEM. Any thread (then used by one). */
int att_phase_new(const struct att_phase_cfg *cfg, struct att_phase **out);

/* NULL is a no-op. */
void att_phase_free(struct att_phase *p);

/* Pushes one band-passed sample (NAN is treated as a gap: the tracker resets). Always writes the
 * current estimate into out (NAN fields while settling). Returns 1 when a full FFT update ran on
 * this push, 0 when the estimate was advanced from the previous one. Never allocates; the
 * thread that owns the tracker (the engine's main loop). */
int att_phase_push(struct att_phase *p, float x, struct att_phase_est *out);

/* Forgets all signal (after a gap in the input): the tracker settles again. */
void att_phase_reset(struct att_phase *p);

/* The effective configuration (defaults filled in). */
void att_phase_get_cfg(const struct att_phase *p, struct att_phase_cfg *out);

#endif
