/* attune live --stats (live_stats.h). */
#include "live_stats.h"

#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

#include "attune/json.h"

#define BIN_MS 0.05

static void hist_add(struct att_hist *h, double ms)
{
	long b = lrint(ms / BIN_MS);
	h->bins[b < 0 ? 0 : b >= ATT_STATS_BINS ? ATT_STATS_BINS - 1 : b]++;
	h->n++;
}

static double hist_pct(const struct att_hist *h, double p)
{
	uint64_t want = (uint64_t)ceil(p * (double)h->n), seen = 0;
	for (int i = 0; i < ATT_STATS_BINS; i++) {
		seen += h->bins[i];
		if (seen >= want && seen)
			return i * BIN_MS;
	}
	return NAN;
}

static int arrivals_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct att_live_stats *st = ctx;

	(void)why;
	(void)why_len;
	if (p->type != ATT_PACKET_SAMPLES)
		return ATT_OK;
	for (size_t i = 0; i < p->u.samples->n && st->n_arrivals < ATT_STATS_ARRIVALS; i++)
		st->arrivals[st->n_arrivals++] = p->u.samples->raw[i].host_ns;
	return ATT_OK;
}

const struct att_sink att_live_arrivals_sink = {.name = "latency figures",
                                                .receive = arrivals_receive};

void att_live_stats_frame(struct att_live_stats *st, int64_t start_ns, int64_t drawn_ns,
                          int64_t drain_ns, int64_t done_ns, int saving)
{
	hist_add(&st->frame_draw, (double)(drawn_ns - start_ns) / 1e6);
	hist_add(&st->frame_work, (double)(done_ns - start_ns) / 1e6);
	if (st->last_present_ns) {
		double ms = (double)(done_ns - st->last_present_ns) / 1e6;
		hist_add(&st->frame_interval, ms);
		if (saving) {
			if (ms > st->save_frame_interval_ms_max)
				st->save_frame_interval_ms_max = ms;
			st->frames_during_save++;
		}
	}
	st->last_present_ns = done_ns;
	for (size_t i = 0; i < st->n_arrivals; i++) {
		hist_add(&st->latency, (double)(done_ns - st->arrivals[i]) / 1e6);
		hist_add(&st->latency_wait, (double)(drain_ns - st->arrivals[i]) / 1e6);
	}
	st->n_arrivals = 0;
	st->frames++;
}

static void percentiles(struct att_json *j, const char *name, const struct att_hist *h)
{
	char key[64];
	snprintf(key, sizeof key, "%s_p50", name);
	att_json_number(j, key, hist_pct(h, 0.5));
	snprintf(key, sizeof key, "%s_p99", name);
	att_json_number(j, key, hist_pct(h, 0.99));
}

static void write_body(struct att_json *j, const struct att_live_stats *st,
                       const struct att_live_stats_extra *x)
{
	struct rusage ru;
	double cpu_s;

	getrusage(RUSAGE_SELF, &ru);
	cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	        (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	att_json_uint(j, "frames", st->frames);
	att_json_number(j, "wall_s", x->wall_s);
	att_json_string(j, "renderer", x->renderer);
	percentiles(j, "frame_work_ms", &st->frame_work);
	percentiles(j, "frame_draw_ms", &st->frame_draw);
	percentiles(j, "frame_interval_ms", &st->frame_interval);
	percentiles(j, "latency_ms", &st->latency);
	att_json_uint(j, "latency_samples", st->latency.n);
	percentiles(j, "latency_wait_ms", &st->latency_wait);
	att_json_number(j, "cpu_percent", 100.0 * cpu_s / x->wall_s);
	att_json_number(j, "max_rss_mb", ru.ru_maxrss / 1024.0);
	att_json_bool(j, "sound_device", x->sound_device);
	att_json_uint(j, "sound_underflows", x->sound_underflows);
	att_json_uint(j, "sound_losses", x->sound_losses);
	att_json_uint(j, "sound_moves", x->sound_moves);
	att_json_string(j, "source", x->source);
	att_json_uint(j, "samples", x->samples);
	att_json_uint(j, "frames_lost", x->frames_lost);
	att_json_uint(j, "saves", x->saves);
	att_json_number(j, "save_ms_max", x->save_ms_max);
	att_json_uint(j, "frames_during_save", st->frames_during_save);
	att_json_number(j, "save_frame_interval_ms_max", st->save_frame_interval_ms_max);
	att_json_number(j, "t_end", x->t_end);
	att_json_number(j, "snapshot_t", x->snapshot_t);
	att_json_uint(j, "markers", x->markers);
	att_json_uint(j, "file_markers", x->file_markers);
}

int att_live_stats_write(const struct att_live_stats *st, const struct att_live_stats_extra *x,
                         const char *path)
{
	struct att_json *j = NULL;
	FILE *f = fopen(path, "w");
	int rc;

	if (!f || att_json_new(&(struct att_json_cfg){.out = f, .indent = 1}, &j) != ATT_OK) {
		if (f)
			fclose(f);
		fprintf(stderr, "attune: cannot write %s; check the directory exists\n", path);
		return 1;
	}
	att_json_object_begin(j, NULL);
	write_body(j, st, x);
	att_json_object_end(j);
	rc = att_json_end_line(j);
	att_json_free(j);
	if (fclose(f) != 0 || rc != ATT_OK) {
		fprintf(stderr, "attune: cannot write %s (disk full?)\n", path);
		return 1;
	}
	return 0;
}
