/* Recording cost: a generated 250 Hz couple (default 60 min) through the session recorder as a
 * live session would feed it, then what stop / `attune recover` does with it.
 *
 *   bench_recording [MINUTES] [DIR]
 *
 * Prints: producer cost per pushed sample (att_recorder_push), process CPU per second of session
 * (generator + producer + writer thread), raw capture size per hour; then the
 * time of each export stage on the capture (read, grid, analysis, EDF+, CSV, JSON) and in total.
 * The session is pushed flat out in chunks of 25 samples (0.1 s), pausing when the ring is half
 * full, so the writer flushes on its own clock (0.5 s) many times during the run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attune/analysis.h"
#include "attune/couple.h"
#include "attune/export.h"
#include "attune/record_csv.h"
#include "attune/record_edf.h"
#include "attune/recorder.h"
#include "timing.h"

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static long long file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

int main(int argc, char **argv)
{
	double minutes = argc > 1 ? atof(argv[1]) : 60.0;
	const char *tmp = argc > 2 ? argv[2] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	char dir[256], base[300], path[340], why[512];
	struct att_recorder_cfg cfg;
	struct att_recorder *r = NULL;
	struct att_recorder_status st;
	struct att_couple_cfg cc = {250, ATT_COUPLE_STORY, 3};
	struct att_couple *c = NULL;
	struct att_capture *s = NULL;
	struct att_grid *g = NULL;
	struct att_recording *rec = NULL;
	struct att_analysis *an = NULL;
	struct att_export_report rep;
	size_t n = (size_t)(minutes * 60 * 250);
	double push_cpu = 0, t, cpu0;
	int e;

	snprintf(dir, sizeof dir, "%s/att_bench_rec_XXXXXX", tmp);
	if (!mkdtemp(dir) || att_couple_new(&cc, &c)) {
		fprintf(stderr, "bench_recording: cannot set up in %s\n", tmp);
		return 1;
	}
	snprintf(base, sizeof base, "%s/bench", dir);
	memset(&cfg, 0, sizeof cfg);
	cfg.base = base;
	cfg.info.adc_bits = 10;
	cfg.info.rate_hz = 250;
	cfg.info.vref_mv = 5000;
	cfg.info.channels = 4;
	if ((e = att_recorder_new(&cfg, &r, why, sizeof why))) {
		fprintf(stderr, "bench_recording: %s\n", why);
		return 1;
	}
	cpu0 = cpu_s();
	t = att_clock_s(CLOCK_MONOTONIC);
	for (size_t i = 0; i < n; i += 25) {
		struct att_sample smp[25];
		double p0;
		for (size_t k = 0; k < 25; k++) {
			float v[4];
			att_couple_next(c, v);
			smp[k].host_ns = (int64_t)(i + k) * 4000000LL;
			smp[k].counter = (uint32_t)(i + k);
			smp[k].flags = 0;
			for (int ch = 0; ch < 4; ch++)
				smp[k].ch[ch] = (uint16_t)(v[ch] / 5.0f * 1023.0f);
		}
		for (;;) {
			att_recorder_status(r, &st);
			if (st.samples_pushed - st.samples_durable < 4096 || st.err)
				break;
			struct timespec ts = {0, 1000000L};
			nanosleep(&ts, NULL);
		}
		p0 = att_clock_s(CLOCK_THREAD_CPUTIME_ID);
		att_recorder_push(r, smp, 25);
		push_cpu += att_clock_s(CLOCK_THREAD_CPUTIME_ID) - p0;
	}
	e = att_recorder_stop(r, why, sizeof why);
	t = att_clock_s(CLOCK_MONOTONIC) - t;
	att_recorder_status(r, &st);
	att_recorder_free(r);
	att_couple_free(c);
	if (e || st.dropped) {
		fprintf(stderr, "bench_recording: %s (dropped %llu)\n", e ? why : "",
		        (unsigned long long)st.dropped);
		return 1;
	}
	snprintf(path, sizeof path, "%s.attraw", base);
	printf("session: %.0f min at 250 Hz, %zu samples, recorded in %.2f s wall\n", minutes, n,
	       t);
	printf("producer: %.0f ns per pushed sample (att_recorder_push, thread CPU)\n",
	       push_cpu / (double)n * 1e9);
	printf("process CPU while recording (producer + generator + writer): %.2f s = %.3f ms per "
	       "session second\n",
	       cpu_s() - cpu0, (cpu_s() - cpu0) / (minutes * 60) * 1e3);
	printf("raw capture: %lld bytes = %.1f MB per hour\n", file_size(path),
	       (double)file_size(path) / (minutes / 60.0) / 1e6);

	t = att_clock_s(CLOCK_MONOTONIC);
	if (att_raw_read(path, &s, NULL, why, sizeof why)) {
		fprintf(stderr, "bench_recording: %s\n", why);
		return 1;
	}
	printf("export: read capture %.3f s", att_clock_s(CLOCK_MONOTONIC) - t);
	t = att_clock_s(CLOCK_MONOTONIC);
	att_grid_new(s, 3600, &g);
	printf(", grid %.3f s", att_clock_s(CLOCK_MONOTONIC) - t);
	t = att_clock_s(CLOCK_MONOTONIC);
	att_capture_to_recording(s, &rec);
	{
		struct att_analysis_cfg ac;
		memset(&ac, 0, sizeof ac);
		att_analyze(&ac, rec, &an, why, sizeof why);
	}
	printf(", analysis %.3f s", att_clock_s(CLOCK_MONOTONIC) - t);
	t = att_clock_s(CLOCK_MONOTONIC);
	snprintf(path, sizeof path, "%s/only.edf", dir);
	att_edf_write(path, s, g, NULL, why, sizeof why);
	printf(", EDF+ %.3f s (%lld bytes)", att_clock_s(CLOCK_MONOTONIC) - t, file_size(path));
	t = att_clock_s(CLOCK_MONOTONIC);
	snprintf(path, sizeof path, "%s/only.csv", dir);
	att_csv_write(path, g, an, why, sizeof why);
	printf(", CSV %.3f s (%lld bytes)\n", att_clock_s(CLOCK_MONOTONIC) - t, file_size(path));
	att_analysis_free(an);
	att_recording_free(rec);
	att_grid_free(g);
	t = att_clock_s(CLOCK_MONOTONIC);
	e = att_capture_export(s, base, &rep, why, sizeof why);
	printf("att_capture_export (what stop and `attune recover` run): %.2f s, analysed %d\n",
	       att_clock_s(CLOCK_MONOTONIC) - t, rep.analysed);
	att_capture_free(s);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return e ? 1 : 0;
}
