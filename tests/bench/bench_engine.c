/* Live engine cost: a generated couple at 250 Hz pushed through att_engine_push for 10 minutes
 * of signal; reports microseconds per sample, per 10 Hz update (the work of one snapshot period,
 * 25 samples, plus the snapshot copy and a 60 s trace read as the view does), the worst update,
 * and heap calls per sample (malloc/calloc/realloc/free wrapped by the linker; must be 0).
 *
 * usage: bench_engine [seconds of signal, default 600] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "alloc_count.h"
#include "attune/couple.h"
#include "attune/engine.h"
#include "timing.h"

int main(int argc, char **argv)
{
	const double rate = 250;
	double seconds = argc > 1 ? atof(argv[1]) : 600;
	if (!(seconds >= 10)) {
		fprintf(stderr, "bench_engine: give at least 10 seconds of signal\n");
		return 2;
	}
	size_t n = (size_t)(seconds * rate);
	struct att_couple_cfg cc = {.rate_hz = rate, .script = ATT_COUPLE_SWITCH, .seed = 1};
	struct att_couple *c;
	float(*v)[4] = malloc(n * sizeof *v);
	if (!v || att_couple_new(&cc, &c)) {
		fprintf(stderr, "bench_engine: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		att_couple_next(c, v[i]);
	att_couple_free(c);

	struct att_engine_cfg ec = {.rate_hz = rate};
	struct att_engine *e;
	if (att_engine_new(&ec, &e)) {
		fprintf(stderr, "bench_engine: cannot create the engine\n");
		return 1;
	}
	static float trace[4096];
	struct att_snapshot s;
	long updates = 0;
	double worst = 0, t_update = att_now_s();
	long before = att_heap_count();
	double t0 = att_now_s();
	for (size_t i = 0; i < n; i++) {
		if (att_engine_push(e, (uint32_t)i, v[i])) {
			att_engine_snapshot(e, &s);
			att_engine_breath_trace(e, 0, trace, 1500);
			att_engine_breath_trace(e, 1, trace, 1500);
			double t = att_now_s();
			if (t - t_update > worst)
				worst = t - t_update;
			t_update = t;
			updates++;
		}
	}
	double total = att_now_s() - t0;
	long heap = att_heap_count() - before;
	att_engine_free(e);
	free(v);
	printf("engine: %.0f s of 4-channel 250 Hz signal in %.3f s (%.0fx real time)\n", seconds,
	       total, seconds / total);
	printf("engine: %.3f us per sample, %.1f us per 10 Hz update (mean), %.1f us worst update\n",
	       1e6 * total / (double)n, 1e6 * total / (double)updates, 1e6 * worst);
	printf("engine: %ld heap calls in %zu pushes = %.3g per sample\n", heap, n,
	       (double)heap / (double)n);
	return heap ? 1 : 0;
}
