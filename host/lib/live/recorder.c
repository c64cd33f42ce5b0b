/* Session recorder (see recorder.h).
 *
 * The producer never waits: it copies items into the ring and returns. The writer thread polls
 * the ring every few milliseconds instead of sleeping on a condition variable, because signalling
 * one would need a lock or a syscall on the producer's real-time path. */
#include "attune/recorder.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/ring.h"

#define POLL_NS 5000000L /* 5 ms: the ring holds a minute, so latency here costs nothing */
#define BATCH   256u

enum item_type { IT_SAMPLE = 1, IT_EVENT = 2, IT_INFO = 3 };

struct item {
	uint8_t type;
	union {
		struct att_sample s;
		struct att_event ev;
		struct att_wire_info info;
	} u;
};

struct att_recorder {
	struct att_ring *ring;
	struct att_raw_writer *raw;
	pthread_t thread;
	int thread_started;
	_Atomic int stopped; /* set by the control thread, read by the producer */
	double flush_ns;
	char raw_path[ATT_RECORDER_PATH_MAX];
	char base[ATT_RECORDER_PATH_MAX];
	struct item batch[BATCH]; /* writer thread's */
	struct item staging[64];  /* producer thread's: samples converted to items */
	_Atomic int stop;
	_Atomic int err;
	_Atomic int running;
	_Atomic uint64_t pushed;
	_Atomic uint64_t durable;
	_Atomic uint64_t dropped;
};

/* att_strerror() speaks of serial ports for ATT_ERR_PERMISSION; here it is always a file. */
static const char *file_sentence(int e)
{
	switch (e) {
	case ATT_ERR_DISK_FULL:
		return "no space left on the disk; free some space or record elsewhere";
	case ATT_ERR_PERMISSION:
		return "permission denied; choose a folder you can write to";
	case ATT_ERR_IO:
		return "input/output error on the disk; record elsewhere";
	default:
		return att_strerror(e);
	}
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int write_item(struct att_raw_writer *w, const struct item *it)
{
	switch (it->type) {
	case IT_SAMPLE:
		return att_raw_writer_samples(w, &it->u.s, 1);
	case IT_EVENT:
		return att_raw_writer_event(w, &it->u.ev);
	case IT_INFO:
		return att_raw_writer_info(w, &it->u.info);
	default:
		return ATT_OK;
	}
}

static void *writer_main(void *arg)
{
	struct att_recorder *r = arg;
	int64_t last_flush = now_ns(CLOCK_MONOTONIC);

	for (;;) {
		int stopping = atomic_load(&r->stop);
		size_t got = att_ring_read(r->ring, r->batch, BATCH);
		int e = ATT_OK;
		int64_t t;
		for (size_t i = 0; i < got && !e; i++)
			e = write_item(r->raw, &r->batch[i]);
		t = now_ns(CLOCK_MONOTONIC);
		if (!e && (double)(t - last_flush) >= r->flush_ns) {
			e = att_raw_writer_flush(r->raw);
			last_flush = t;
			if (!e)
				atomic_store(&r->durable, att_raw_writer_count(r->raw));
		}
		if (e) {
			int expected = ATT_OK;
			atomic_compare_exchange_strong(&r->err, &expected, e);
			break;
		}
		if (!got) {
			struct timespec ts = {0, POLL_NS};
			if (stopping)
				break;
			nanosleep(&ts, NULL);
		}
	}
	atomic_store(&r->running, 0);
	return NULL;
}

int att_recorder_new(const struct att_recorder_cfg *cfg, struct att_recorder **out, char *why,
                     size_t why_len)
{
	struct att_recorder *r;
	struct att_ring_cfg rc;
	struct att_raw_writer_cfg wc;
	struct att_raw_meta meta;
	int e;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !cfg->base || !cfg->base[0])
		return att_fail(why, why_len, ATT_ERR_ARG, "no session name given");
	if (cfg->info.rate_hz < ATT_WIRE_RATE_MIN || cfg->info.rate_hz > 1000u ||
	    cfg->info.adc_bits < 1 || cfg->info.adc_bits > 16)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "the device info is implausible (rate %u Hz, %u ADC bits)",
		                cfg->info.rate_hz, cfg->info.adc_bits);
	if (cfg->ring_capacity & (cfg->ring_capacity - 1))
		return att_fail(why, why_len, ATT_ERR_ARG, "ring capacity must be a power of two");
	r = calloc(1, sizeof *r);
	if (!r)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	if (snprintf(r->base, sizeof r->base, "%s", cfg->base) >= (int)sizeof r->base - 16 ||
	    snprintf(r->raw_path, sizeof r->raw_path, "%s.attraw", cfg->base) >=
	            (int)sizeof r->raw_path) {
		free(r);
		return att_fail(why, why_len, ATT_ERR_ARG, "session name too long");
	}
	r->flush_ns = (cfg->flush_interval_s > 0 && cfg->flush_interval_s < 1.0
	                       ? cfg->flush_interval_s
	                       : (cfg->flush_interval_s >= 1.0 ? 1.0 : 0.5)) *
	              1e9;
	memset(&rc, 0, sizeof rc);
	rc.elem_size = sizeof(struct item);
	rc.capacity = cfg->ring_capacity ? cfg->ring_capacity : 16384u;
	if ((e = att_ring_new(&rc, &r->ring))) {
		free(r);
		return att_fail(why, why_len, e, "cannot create the recorder's buffer: %s",
		                att_strerror(e));
	}
	meta = cfg->meta;
	if (!meta.start_unix_ns)
		meta.start_unix_ns = now_ns(CLOCK_REALTIME);
	if (!meta.start_host_ns)
		meta.start_host_ns = now_ns(CLOCK_MONOTONIC);
	wc.path = r->raw_path;
	wc.info = &cfg->info;
	wc.meta = &meta;
	if ((e = att_raw_writer_new(&wc, &r->raw))) {
		if (e == ATT_ERR_IO && errno == EEXIST)
			att_fail(why, why_len, e, "%s already exists: choose another session name",
			         r->raw_path);
		else if (e == ATT_ERR_IO && errno == ENOENT)
			att_fail(why, why_len, e, "cannot create %s: the directory does not exist",
			         r->raw_path);
		else if (e == ATT_ERR_PERMISSION)
			att_fail(why, why_len, e,
			         "cannot record to %s: %s; choose a folder you can write to",
			         r->raw_path, strerror(errno));
		else
			att_fail(why, why_len, e, "cannot record to %s: %s", r->raw_path,
			         file_sentence(e));
		att_ring_free(r->ring);
		free(r);
		return e;
	}
	atomic_store(&r->running, 1);
	if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
		att_raw_writer_close(r->raw, 0);
		att_ring_free(r->ring);
		free(r);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "cannot start the recorder thread");
	}
	r->thread_started = 1;
	*out = r;
	return ATT_OK;
}

static int queue(struct att_recorder *r, const struct item *it, size_t n)
{
	size_t put = att_ring_write(r->ring, it, n);
	if (put < n)
		atomic_fetch_add(&r->dropped, n - put);
	return put;
}

int att_recorder_push(struct att_recorder *r, const struct att_sample *s, size_t n)
{
	int e;
	if (!r || (!s && n))
		return ATT_ERR_ARG;
	if ((e = atomic_load(&r->err)) || atomic_load(&r->stopped))
		return e ? e : ATT_ERR_ARG;
	while (n) {
		size_t k = n < 64 ? n : 64, put;
		for (size_t i = 0; i < k; i++) {
			r->staging[i].type = IT_SAMPLE;
			r->staging[i].u.s = s[i];
		}
		put = (size_t)queue(r, r->staging, k);
		atomic_fetch_add(&r->pushed, put);
		if (put < k) {
			atomic_fetch_add(&r->dropped, n - k);
			break;
		}
		s += k;
		n -= k;
	}
	return ATT_OK;
}

int att_recorder_put_event(struct att_recorder *r, const struct att_event *ev)
{
	struct item it;
	int e;
	if (!r || !ev || ev->kind < ATT_EV_MARKER || ev->kind > ATT_EV_KIND_MAX ||
	    ev->kind == ATT_EV_GAP)
		return ATT_ERR_ARG;
	if ((e = atomic_load(&r->err)) || atomic_load(&r->stopped))
		return e ? e : ATT_ERR_ARG;
	memset(&it, 0, sizeof it);
	it.type = IT_EVENT;
	it.u.ev = *ev;
	queue(r, &it, 1);
	return ATT_OK;
}

int att_recorder_event(struct att_recorder *r, uint8_t kind, int64_t host_ns, double value,
                       const char *text)
{
	struct att_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.host_ns = host_ns;
	ev.value = value;
	att_event_set_text(&ev, text);
	return att_recorder_put_event(r, &ev);
}

int att_recorder_info(struct att_recorder *r, const struct att_wire_info *info)
{
	struct item it;
	int e;
	if (!r || !info)
		return ATT_ERR_ARG;
	if ((e = atomic_load(&r->err)) || atomic_load(&r->stopped))
		return e ? e : ATT_ERR_ARG;
	memset(&it, 0, sizeof it);
	it.type = IT_INFO;
	it.u.info = *info;
	queue(r, &it, 1);
	return ATT_OK;
}

void att_recorder_status(const struct att_recorder *r, struct att_recorder_status *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	if (!r) {
		out->err = ATT_ERR_ARG;
		return;
	}
	out->err = atomic_load(&r->err);
	out->running = atomic_load(&r->running);
	out->samples_pushed = atomic_load(&r->pushed);
	out->samples_durable = atomic_load(&r->durable);
	out->dropped = atomic_load(&r->dropped);
}

static int halt(struct att_recorder *r)
{
	int e;
	if (atomic_load(&r->stopped))
		return atomic_load(&r->err);
	atomic_store(&r->stopped, 1);
	atomic_store(&r->stop, 1);
	if (r->thread_started)
		pthread_join(r->thread, NULL);
	e = att_raw_writer_close(r->raw, now_ns(CLOCK_MONOTONIC));
	r->raw = NULL;
	if (e) {
		int expected = ATT_OK;
		atomic_compare_exchange_strong(&r->err, &expected, e);
	}
	atomic_store(&r->running, 0);
	return atomic_load(&r->err);
}

int att_recorder_stop(struct att_recorder *r, char *why, size_t why_len)
{
	int e;

	if (!r)
		return ATT_ERR_ARG;
	if (atomic_load(&r->stopped))
		return att_fail(why, why_len, ATT_ERR_ARG, "the recorder was already stopped");
	e = halt(r);
	if (e)
		att_fail(why, why_len, e, "recording to %s stopped: %s", r->raw_path,
		         file_sentence(e));
	return e;
}

void att_recorder_free(struct att_recorder *r)
{
	if (!r)
		return;
	halt(r);
	att_ring_free(r->ring);
	free(r);
}

/* ---- export ---- */
