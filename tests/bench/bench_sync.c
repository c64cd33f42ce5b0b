/* Cost of breathing phase and synchrony: the live path (att_phase_push with its FFT update,
 * att_livesync_push) per call and as a share of one core for a couple at the engine's rates, and
 * the offline path (att_phase_offline + att_sync_analyze with 99 surrogates) on an hour, and the
 * heart rates' cross-correlation with peak picking and 19 surrogates (att_hr_xcorr) on an hour.
 * `bench_sync --check` is a unit test: it fails if the live path allocates on the heap
 * (malloc/calloc/realloc are wrapped by the linker, see tests/alloc_count.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_count.h"
#include "unit/breath_gen.h"
#include "attune/phase.h"
#include "attune/sync.h"
#include "timing.h"

/* A breath-like signal at 25 Hz: the 1:2 shape with noise, person-specific. */
static float sample(struct att_gen_rhythm *g, struct att_gen_rng *r, size_t i)
{
	double th = att_gen_rhythm_next(g, i);
	return (float)(att_gen_breath_shape(th) + 0.2 * att_gen_normal(r));
}

int main(int argc, char **argv)
{
	int check = argc > 1 && !strcmp(argv[1], "--check");
	const double rate = 25;
	const size_t n = check ? (size_t)(600 * rate) : (size_t)(3600 * rate);
	struct att_phase *pa = NULL, *pb = NULL;
	struct att_livesync *ls = NULL;
	if (att_phase_new(&(struct att_phase_cfg){.rate_hz = rate}, &pa) ||
	    att_phase_new(&(struct att_phase_cfg){.rate_hz = rate}, &pb) ||
	    att_livesync_new(&(struct att_livesync_cfg){.rate_hz = rate}, &ls)) {
		fprintf(stderr, "bench_sync: cannot create the live objects\n");
		return 1;
	}
	struct att_gen_rhythm ga = {
	        .fs = rate, .f0 = 0.25, .df = 0.04, .drift_s = 90, .jitter = 0.01, .rng = {1}};
	struct att_gen_rhythm gb = {
	        .fs = rate, .f0 = 0.22, .df = 0.04, .drift_s = 70, .jitter = 0.01, .rng = {2}};
	struct att_gen_rng r = {3};
	float *xa = malloc(n * sizeof *xa), *xb = malloc(n * sizeof *xb);
	if (!xa || !xb)
		return 1;
	for (size_t i = 0; i < n; i++) {
		xa[i] = sample(&ga, &r, i);
		xb[i] = sample(&gb, &r, i);
	}

	/* Live: both people's phase, then the pair into livesync, every decimated sample. */
	struct att_phase_est ea, eb;
	struct att_livesync_est es;
	size_t updates = 0;
	double t_phase = 0, t_sync = 0;
	long allocs = att_alloc_count();
	for (size_t i = 0; i < n; i++) {
		double t0 = att_now_s();
		updates += (size_t)att_phase_push(pa, xa[i], &ea);
		att_phase_push(pb, xb[i], &eb);
		double t1 = att_now_s();
		att_livesync_push(ls, ea.phase_rad, eb.phase_rad, (ea.freq_hz + eb.freq_hz) / 2,
		                  &es);
		t_sync += att_now_s() - t1;
		t_phase += t1 - t0;
	}
	allocs = att_alloc_count() - allocs;
	if (check) {
		printf("live path: %ld heap allocation(s) in %zu pushes per person (%zu FFT updates)\n",
		       allocs, n, updates);
		att_phase_free(pa);
		att_phase_free(pb);
		att_livesync_free(ls);
		free(xa);
		free(xb);
		return allocs == 0 && updates > 0 ? 0 : 1;
	}
	double signal_s = (double)n / rate;
	printf("live, %.0f s of signal at %.0f Hz, 2 people, phase updates at 10 Hz:\n", signal_s,
	       rate);
	printf("  att_phase_push     %.2f us per push per person (%zu FFT updates: %.1f us each, "
	       "push-only advances included)\n",
	       t_phase / (2.0 * (double)n) * 1e6, updates, t_phase / (2.0 * (double)updates) * 1e6);
	printf("  att_livesync_push  %.3f us per pair (19 surrogates)\n", t_sync / (double)n * 1e6);
	printf("  share of one core for the couple: %.4f %%\n",
	       (t_phase + t_sync) / signal_s * 100);

	/* Offline: an hour at 25 Hz, both phases and the sliding synchrony with 99 surrogates. */
	float *qa = malloc(n * sizeof *qa), *qb = malloc(n * sizeof *qb);
	struct att_sync_cfg cfg = {.rate_hz = rate};
	size_t nw = att_sync_window_count(&cfg, n);
	struct att_sync_window *w = malloc(nw * sizeof *w);
	if (!qa || !qb || !w)
		return 1;
	double t0 = att_now_s();
	int e1 = att_phase_offline(xa, n, rate, qa, NULL, NULL);
	int e2 = att_phase_offline(xb, n, rate, qb, NULL, NULL);
	double t1 = att_now_s();
	struct att_sync_summary s;
	int got = att_sync_analyze(&cfg, qa, qb, n, w, nw, &s);
	double t2 = att_now_s();
	if (e1 || e2 || got < 0) {
		fprintf(stderr, "bench_sync: offline failed\n");
		return 1;
	}
	printf("offline, %.0f s at %.0f Hz:\n", signal_s, rate);
	printf("  att_phase_offline x2   %.1f ms\n", (t1 - t0) * 1e3);
	printf("  att_sync_analyze       %.1f ms (%d windows, 99 surrogates; plv %.2f, chance %.2f)\n",
	       (t2 - t1) * 1e3, got, s.plv, s.plv_chance);

	/* Heart-rate cross-correlation on an hour of 4 Hz heart rates that vary (a breath swing, a
	 * 0.1 Hz wave, B's the same 0.8 s later plus a wave of its own): 30 s windows every 1 s,
	 * +-5 s of lags, 19 shifted partners. */
	size_t nh = (size_t)(signal_s * 4);
	float *ha = malloc(nh * sizeof *ha), *hb = malloc(nh * sizeof *hb);
	if (!ha || !hb)
		return 1;
	for (size_t i = 0; i < nh; i++) {
		double t = (double)i / 4, u = t - 0.8;
		ha[i] = (float)(70 + 2 * sin(2 * M_PI * 0.25 * t) + 3 * sin(2 * M_PI * 0.1 * t));
		hb[i] = (float)(66 + 2 * sin(2 * M_PI * 0.25 * u) + 3 * sin(2 * M_PI * 0.1 * u) +
		                2 * sin(2 * M_PI * t / 71));
	}
	struct att_hr_xcorr_cfg xc = {.rate_hz = 4};
	struct att_hr_xcorr hx;
	double t3 = att_now_s();
	int e3 = att_hr_xcorr(&xc, ha, hb, nh, &hx);
	double t4 = att_now_s();
	printf("  att_hr_xcorr           %.1f ms (%zu windows, 19 surrogates; err %d, r_max %.2f at "
	       "%.2f s, chance %.2f)\n",
	       (t4 - t3) * 1e3, hx.windows, e3, hx.r_max, hx.lag_s, hx.chance);
	free(ha);
	free(hb);
	att_phase_free(pa);
	att_phase_free(pb);
	att_livesync_free(ls);
	free(xa);
	free(xb);
	free(qa);
	free(qb);
	free(w);
	return 0;
}
