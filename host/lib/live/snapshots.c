/* The snapshot sink (snapshots.h): a ring of snapshots from the main loop to a writer thread. */
#include "attune/snapshots.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attune/clock.h"
#include "attune/json.h"
#include "attune/quality.h"
#include "attune/ring.h"

#define RING 1024 /* 100 s of snapshots at 10 Hz */

struct item {
	struct att_snapshot snap;
	uint64_t frames_duplicate, frames_stale; /* the source's, at the snapshot */
	char stage[32];
};

struct snapshots {
	struct att_snapshots_cfg cfg;
	const struct att_source_status *src; /* from the session's START; the session's own */
	FILE *out;
	int own_out; /* not stdout: closed at the end */
	struct att_json *json;
	struct att_ring *ring;
	sem_t wake;
	pthread_t thread;
	int running;
	atomic_int stop;
	atomic_int err; /* errno of the first failed write, 0 while fine */
	uint64_t dropped;
};

static void write_person(struct att_json *j, const char *p, const struct att_person *x, int part)
{
	char key[32];

	if (part == 0) {
		snprintf(key, sizeof key, "%s_breath_rate_bpm", p);
		att_json_number(j, key, x->breath_rate_bpm);
	} else if (part == 1) {
		snprintf(key, sizeof key, "%s_heart_rate_bpm", p);
		att_json_number(j, key, x->heart_rate_bpm);
	} else {
		snprintf(key, sizeof key, "%s_resp_quality", p);
		att_json_string(j, key, att_quality_word(x->resp_quality));
		snprintf(key, sizeof key, "%s_ppg_quality", p);
		att_json_string(j, key, att_quality_word(x->ppg_quality));
	}
}

/* One line; the key order is the one users' scripts have seen since the first release. */
static int write_line(struct att_json *j, const struct item *it)
{
	const struct att_snapshot *p = &it->snap;

	att_json_object_begin(j, NULL);
	att_json_number(j, "t", p->t);
	att_json_number(j, "match", p->match);
	att_json_number(j, "plv", p->plv);
	att_json_number(j, "plv_chance", p->plv_chance);
	att_json_number(j, "relative_phase_deg", p->relative_phase_deg);
	att_json_number(j, "lag_s", p->lag_s);
	for (int part = 0; part < 3; part++) {
		write_person(j, "a", &p->a, part);
		write_person(j, "b", &p->b, part);
	}
	att_json_uint(j, "frames_lost", p->samples_lost);
	att_json_number(j, "a_hr_swing_bpm", p->a.hr_swing_bpm);
	att_json_number(j, "b_hr_swing_bpm", p->b.hr_swing_bpm);
	att_json_uint(j, "frames_duplicate", it->frames_duplicate);
	att_json_uint(j, "frames_stale", it->frames_stale);
	if (it->stage[0])
		att_json_string(j, "stage", it->stage);
	att_json_object_end(j);
	return att_json_end_line(j);
}

static void *writer_main(void *arg)
{
	struct snapshots *w = arg;
	struct item it;

	for (;;) {
		int stopping = atomic_load(&w->stop);
		while (att_ring_read(w->ring, &it, 1) == 1) {
			if (atomic_load(&w->err))
				continue; /* failed: keep draining so the main loop never waits */
			if (write_line(w->json, &it) != ATT_OK ||
			    (w->cfg.realtime && fflush(w->out) != 0))
				atomic_store(&w->err, errno ? errno : EIO);
		}
		if (stopping)
			break;
		sem_wait(&w->wake);
	}
	if (!atomic_load(&w->err) && fflush(w->out) != 0)
		atomic_store(&w->err, errno ? errno : EIO);
	return NULL;
}

static int fail_line(struct snapshots *w, char *why, size_t why_len)
{
	int e = atomic_load(&w->err);
	return att_fail(why, why_len, att_err_from_errno(e), "cannot write the snapshots (%s)",
	                strerror(e));
}

static void stop_writer(struct snapshots *w)
{
	if (!w->running)
		return;
	atomic_store(&w->stop, 1);
	sem_post(&w->wake);
	pthread_join(w->thread, NULL);
	w->running = 0;
}

static int finish(struct snapshots *w)
{
	stop_writer(w);
	if (w->out && w->own_out && fclose(w->out) != 0 && !atomic_load(&w->err))
		atomic_store(&w->err, errno ? errno : EIO);
	w->out = NULL;
	return atomic_load(&w->err) ? ATT_ERR_IO : ATT_OK;
}

static int queue(struct snapshots *w, const struct att_snapshot *snap, double t)
{
	struct item it = {.snap = *snap};

	if (w->src) {
		it.frames_duplicate = w->src->frames_duplicate;
		it.frames_stale = w->src->frames_stale;
	}
	const char *stage = w->cfg.stage ? w->cfg.stage(w->cfg.stage_ctx, t) : NULL;

	if (stage)
		snprintf(it.stage, sizeof it.stage, "%s", stage);
	while (att_ring_write(w->ring, &it, 1) != 1) {
		if (w->cfg.realtime) {
			w->dropped++; /* never stall the view for a log line */
			return ATT_OK;
		}
		sem_post(&w->wake);
		att_clock_sleep_until(att_clock_ns() + 200000);
	}
	sem_post(&w->wake);
	return ATT_OK;
}

static int snapshots_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct snapshots *w = ctx;

	if (atomic_load(&w->err))
		return fail_line(w, why, why_len);
	if (p->type == ATT_PACKET_START)
		w->src = p->u.start->source;
	if (p->type == ATT_PACKET_SNAPSHOT)
		return queue(w, p->u.snapshot, p->u.snapshot->t);
	if (p->type == ATT_PACKET_END && finish(w) != ATT_OK)
		return fail_line(w, why, why_len);
	return ATT_OK;
}

static void snapshots_cleanup(void *ctx)
{
	struct snapshots *w = ctx;

	if (!w)
		return;
	finish(w);
	att_json_free(w->json);
	att_ring_free(w->ring);
	sem_destroy(&w->wake);
	free(w);
}

const struct att_sink att_snapshots_sink = {
        .name = "snapshots", .receive = snapshots_receive, .cleanup = snapshots_cleanup};

int att_snapshots_new(const struct att_snapshots_cfg *cfg, void **ctx_out, char *why,
                      size_t why_len)
{
	struct snapshots *w;

	*ctx_out = NULL;
	if (!cfg || !cfg->path)
		return att_fail(why, why_len, ATT_ERR_ARG, "no snapshot file given");
	w = calloc(1, sizeof *w);
	if (!w || sem_init(&w->wake, 0, 0) != 0) {
		free(w);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	w->cfg = *cfg;
	w->own_out = strcmp(cfg->path, "-") != 0;
	if (w->own_out) { /* heart and breathing figures: private, like the session files */
		int fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		w->out = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (fd >= 0 && !w->out)
			close(fd);
	} else {
		w->out = stdout;
	}
	if (!w->out) {
		int e = errno;
		snapshots_cleanup(w);
		return att_fail(why, why_len, att_err_from_errno(e),
		                "cannot write %s; check the directory exists and is writable",
		                cfg->path);
	}
	if (att_json_new(&(struct att_json_cfg){.out = w->out}, &w->json) != ATT_OK ||
	    att_ring_new(&(struct att_ring_cfg){.elem_size = sizeof(struct item), .capacity = RING},
	                 &w->ring) != ATT_OK ||
	    pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snapshots_cleanup(w);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	w->running = 1;
	*ctx_out = w;
	return ATT_OK;
}
