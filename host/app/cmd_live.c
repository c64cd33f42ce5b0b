/* attune live (and the session loop attune demo shares): samples from a source into the engine,
 * the engine's state into the window, the sound and the JSON snapshots.
 *
 * One loop, one clock. The session clock `t` is signal time in seconds (sample i is due at
 * i / rate). In real time it follows the monotonic clock (times --speed); when fast-forwarding
 * (--speed 0, --screenshot) it advances 1/60 s per step without sleeping, so a screenshot after
 * S seconds or a WAV file shows exactly what a real-time session would have at S seconds.
 * Each step: SDL events (never inside drawing), drain every sample due by t into the engine,
 * update the pacer and the picture's eased values, publish sound parameters, draw, present.
 * Nothing in a step blocks on I/O; nothing allocates per sample. Stopping a recording hands the
 * recorder to a worker thread (struct saver) that writes the session files while the view keeps
 * drawing; quitting waits for it, so no session is lost.
 *
 * Sources are pulled through one small interface (src_pull: "the next sample due by t, if
 * any"), so the serial source plugs in beside the generated couple and files. The command line
 * is live_opts.c's. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <SDL_ttf.h>

#include "audio.h"
#include "cmd.h"
#include "attune/couple.h"
#include "attune/csv.h"
#include "attune/engine.h"
#include "attune/export.h"
#include "input.h"
#include "attune/json.h"
#include "live_opts.h"
#include "attune/pacer.h"
#include "attune/recorder.h"
#include "attune/sonify.h"
#include "attune/source.h"
#include "view.h"

#define STEP_S          (1.0 / 60.0)
#define HIST_DT         1.0        /* session history: one value per second */
#define HIST_MAX        (6 * 3600) /* six hours of history */
#define MARKERS_MAX     256
#define BINS            10000 /* histograms of 0.05 ms bins up to 500 ms */
#define BIN_MS          0.05
#define ARRIVALS_MAX    4096
#define CHIME_GAP_S     6.0 /* at most one chime per 6 s: a cue, not a slot machine */
#define ALARM_GAP_S     10.0
#define MATCHED         0.7
#define BOARD_SPEED_MAX 10.0 /* attune demo --speed: through the simulated board up to this */

/* SIGINT/SIGTERM in headless mode: the one piece of process-wide state, as signals require. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- sources ---- */

enum src_kind { SRC_COUPLE, SRC_FILE, SRC_DEVICE };

#define DEV_CHUNK      256
/* The generated couple is recorded as the board would see it: 10-bit counts of 0-5 V. */
#define COUPLE_ADC_MAX 1023.0
#define COUPLE_VREF_V  5.0

struct src {
	enum src_kind kind;
	struct att_couple *couple;
	struct att_recording *rec;
	struct att_source *dev;       /* a device or the simulated board (source.h) */
	struct att_demo_board *board; /* attune demo: the simulated board behind dev */
	/* the board's script played alongside at 10 Hz, only for its stage label ("locking in") */
	struct att_couple *stage_couple;
	uint64_t stage_n;
	uint32_t last_counter;
	struct att_source_status st;      /* the device's latest status */
	struct att_sample buf[DEV_CHUNK]; /* read from the device, not yet pulled */
	size_t buf_n, buf_i;
	double rate;
	uint64_t next;  /* index of the next sample (generated couple, file) */
	uint64_t first; /* index the engine started at (replay: after a seek back) */
	int ended;
	char name[128];
};

/* What one pull hands over: the sample for the engine (values), and as counts for the recorder
 * (raw, valid for devices and the generated couple). */
struct pulled {
	uint32_t counter;
	float v[4];
	struct att_sample raw;
};

/* The next sample due by session time t (signal seconds), if any: 1 got one, 0 not yet or
 * ended (see ->ended). A device's samples are due when they have arrived; their arrival time
 * is raw.host_ns. */
static int src_pull(struct src *s, double t, struct pulled *p)
{
	if (s->kind == SRC_DEVICE) {
		const struct att_sample *x;
		if (s->buf_i == s->buf_n) {
			s->buf_n = att_source_read(s->dev, s->buf, DEV_CHUNK);
			s->buf_i = 0;
			if (!s->buf_n)
				return 0;
		}
		x = &s->buf[s->buf_i++];
		s->last_counter = x->counter;
		p->raw = *x;
		p->counter = x->counter;
		/* counts, not volts: the engine's saturation check compares them with adc_max */
		for (unsigned c = 0; c < 4; c++)
			p->v[c] = (s->st.channel_mask >> c) & 1u ? (float)x->ch[c] : NAN;
		return 1;
	}
	/* samples the recorder filled in a gap are skipped: the engine sees the counter jump, as it
	 * did live */
	while (s->kind == SRC_FILE && s->rec->filled && s->next < s->rec->n &&
	       s->rec->filled[s->next] && (double)s->next <= t * s->rate)
		s->next++;
	if (s->ended || (double)s->next > t * s->rate)
		return 0;
	if (s->kind == SRC_COUPLE) {
		att_couple_next(s->couple, p->v);
		memset(&p->raw, 0, sizeof p->raw);
		p->raw.counter = (uint32_t)s->next;
		for (unsigned c = 0; c < 4; c++) {
			double q = p->v[c] / COUPLE_VREF_V * COUPLE_ADC_MAX;
			p->raw.ch[c] = (uint16_t)(q < 0.0              ? 0.0
			                          : q > COUPLE_ADC_MAX ? COUPLE_ADC_MAX
			                                               : lrint(q));
		}
	} else {
		if (s->next >= s->rec->n) {
			s->ended = 1;
			return 0;
		}
		for (int c = 0; c < 4; c++)
			p->v[c] = s->rec->ch[c] ? s->rec->ch[c][s->next] : NAN;
	}
	p->counter = (uint32_t)(s->next - s->first);
	s->next++;
	return 1;
}

static void src_close(struct src *s)
{
	att_source_free(s->dev); /* first: it says stop to the board while the board still runs */
	att_demo_board_stop(s->board);
	att_couple_free(s->stage_couple);
	att_couple_free(s->couple);
	att_recording_free(s->rec);
}

/* ---- the session ---- */

struct hist {
	uint64_t n;
	uint32_t bins[BINS];
};

static void hist_add(struct hist *h, double ms)
{
	long b = lrint(ms / BIN_MS);
	h->bins[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
	h->n++;
}

static double hist_pct(const struct hist *h, double p)
{
	uint64_t want = (uint64_t)ceil(p * (double)h->n), seen = 0;
	for (int i = 0; i < BINS; i++) {
		seen += h->bins[i];
		if (seen >= want && seen)
			return i * BIN_MS;
	}
	return NAN;
}

/* One recording being stopped and exported off the main loop. The main thread owns it while
 * !active; while active the worker owns rec, why and rc until it sets done, and the main thread
 * reads them only after joining. At most one at a time: EDFlib exports one file per process. */
struct saver {
	pthread_t thread;
	int threaded; /* the worker runs (else the save ran inline: no thread) */
	int active;   /* begun, not yet collected */
	atomic_int done;
	struct att_recorder *rec;
	char base[600];
	char why[400];
	int rc;
	int64_t start_ns;
};

struct session {
	struct att_live_opts *o;
	struct src src;
	struct att_engine *engine;
	struct att_pacer *pacer;
	struct att_audio *audio;
	struct att_view *view;
	struct att_json *json;
	FILE *snap_out;
	struct att_snapshot snap;
	int have_snap;
	double t; /* session clock, signal seconds */
	/* picture */
	double match_smooth, together_s;
	int pacer_on;
	const char *notice;
	double notice_until;
	char notice_buf[160];
	/* history for the therapist strip */
	float *hist_match, *hist_chance, *hist_hr_a, *hist_hr_b;
	size_t hist_n;
	float *trace_a, *trace_b;
	size_t trace_cap, trace_n;
	double markers[MARKERS_MAX];
	size_t n_markers;
	/* replay: the file's markers (shown as playback passes them), pause and seek */
	struct att_input_meta file_meta;
	size_t n_file_marks; /* of file_meta.marks kept as markers (pacer changes are not) */
	const struct att_input_mark *file_marks[MARKERS_MAX];
	int paused;
	double play_t0; /* session time at play_base_ns (real-time playback) */
	int64_t play_base_ns;
	/* sound */
	struct att_sonify_params sound;
	int zone; /* match zone for chimes: -1 unknown, 0 apart, 1 closer, 2 matched */
	double last_chime, last_alarm;
	unsigned bad_bits;
	int sound_lost; /* the device played, went away, is not back yet */
	/* recording */
	struct att_recorder *rec;
	struct saver saver; /* the previous recording while its files are written */
	int stop_pending;   /* r pressed while the previous one still saves: stop after it */
	int save_failed;
	int rec_serial; /* sessions recorded so far (names NAME, NAME-2, ...) */
	char rec_base[600];
	/* figures */
	int64_t t0_ns; /* CLOCK_MONOTONIC at t = 0 */
	double speed;  /* session seconds per wall second (1 for devices) */
	int realtime;  /* paced by the clock (not fast-forwarded) */
	int64_t arrivals[ARRIVALS_MAX];
	size_t n_arrivals;
	struct hist frame_work; /* frame start to present done */
	struct hist frame_draw; /* frame start to drawn (events, drain, engine, draw) */
	struct hist frame_interval, latency;
	struct hist latency_wait; /* arrival to the drain of the frame that shows it */
	int64_t last_present_ns;
	uint64_t frames;
	/* saves of a recording (--stats): how long they took, and the longest frame interval
	 * while one ran, which shows whether the view kept drawing */
	uint64_t saves, frames_during_save;
	double save_ms_max, save_frame_interval_ms_max;
	int save_in_frame;
	int io_failed;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(struct session *s, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof s->notice_buf)
		n = sizeof s->notice_buf - 1; /* a notice is one short line; longer ones are cut */
	memcpy(s->notice_buf, msg, n);
	s->notice_buf[n] = 0;
	s->notice = s->notice_buf;
	s->notice_until = s->t + 4.0;
}

/* ---- recording (recorder.h): devices and the generated couple; a file already is one ---- */

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int record_start(struct session *s, char *why, size_t len)
{
	struct att_recorder_cfg cfg;
	int rc;

	if (s->src.kind == SRC_FILE) {
		snprintf(why, len, "this session plays a file that is already a recording");
		return ATT_ERR_UNSUPPORTED;
	}
	memset(&cfg, 0, sizeof cfg);
	if (s->o->record && s->rec_serial == 0)
		snprintf(s->rec_base, sizeof s->rec_base, "%s", s->o->record);
	else if (s->o->record)
		snprintf(s->rec_base, sizeof s->rec_base, "%s-%d", s->o->record, s->rec_serial + 1);
	else {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(s->rec_base, sizeof s->rec_base, "attune-%Y%m%d-%H%M%S", &tm);
	}
	cfg.base = s->rec_base;
	if (s->src.kind == SRC_DEVICE) {
		cfg.info = s->src.st.info;
	} else {
		cfg.info.channels = ATT_WIRE_CHANNELS;
		cfg.info.adc_bits = 10;
		cfg.info.rate_hz = (uint16_t)lrint(s->src.rate);
		cfg.info.vref_mv = (uint16_t)(COUPLE_VREF_V * 1000.0);
	}
	cfg.meta.start_host_ns = now_ns();
	cfg.meta.start_unix_ns = real_ns();
	snprintf(cfg.meta.label_a, sizeof cfg.meta.label_a, "%s", s->o->name_a);
	snprintf(cfg.meta.label_b, sizeof cfg.meta.label_b, "%s", s->o->name_b);
	rc = att_recorder_new(&cfg, &s->rec, why, len);
	if (rc != ATT_OK)
		return rc;
	s->rec_serial++;
	att_recorder_event(s->rec, ATT_EV_PACER, now_ns(),
	                   s->pacer_on ? att_pacer_bpm(s->pacer) : 0.0, NULL);
	return ATT_OK;
}

/* The worker: stops the recorder and writes the session files (about a second per hour of
 * session). */
static void *save_main(void *arg)
{
	struct saver *v = arg;
	struct att_export_report rep;

	int stop_rc = att_recorder_stop(v->rec, v->why, sizeof v->why);
	int export_rc = att_export_capture(v->base, &rep, stop_rc ? NULL : v->why, sizeof v->why);
	v->rc = stop_rc ? stop_rc : export_rc;
	if (v->rc == ATT_OK)
		snprintf(v->why, sizeof v->why, "saved %.300s.csv, .edf, .json (%.0f s)", v->base,
		         rep.duration_s);
	atomic_store(&v->done, 1);
	return NULL;
}

/* Hands the running recording to the worker; from here on nothing is pushed into it. The caller
 * makes sure no save is active (one export at a time). */
static void save_begin(struct session *s)
{
	struct saver *v = &s->saver;
	const char *name;
	char msg[160];

	if (!s->rec || v->active)
		return;
	v->rec = s->rec;
	s->rec = NULL;
	snprintf(v->base, sizeof v->base, "%s", s->rec_base);
	atomic_store(&v->done, 0);
	v->start_ns = now_ns();
	v->active = 1;
	s->save_in_frame = 1;
	v->threaded = pthread_create(&v->thread, NULL, save_main, v) == 0;
	if (!v->threaded)
		save_main(v); /* no thread to be had: better a frozen view than a lost session */
	name = strrchr(v->base, '/');
	snprintf(msg, sizeof msg, "saving %.100s\xe2\x80\xa6", name ? name + 1 : v->base);
	say(s, msg);
}

/* Main thread, each frame (wait = 0) or at the end (wait = 1): collects a finished save, says
 * how it went (view and stderr) and frees the recorder. Returns 1 while a save is still running. */
static int save_poll(struct session *s, int wait)
{
	struct saver *v = &s->saver;
	double ms;

	if (!v->active)
		return 0;
	if (!wait && !atomic_load(&v->done)) {
		s->save_in_frame = 1;
		/* keep "saving" up however long the export takes */
		if (s->notice == s->notice_buf && !strncmp(s->notice_buf, "saving", 6))
			s->notice_until = s->t + 4.0;
		return 1;
	}
	if (v->threaded)
		pthread_join(v->thread, NULL);
	att_recorder_free(v->rec);
	v->rec = NULL;
	v->active = 0;
	s->save_in_frame = 1;
	ms = (double)(now_ns() - v->start_ns) / 1e6;
	if (ms > s->save_ms_max)
		s->save_ms_max = ms;
	s->saves++;
	if (v->rc != ATT_OK)
		s->save_failed = 1;
	fprintf(stderr, "attune: %s\n", v->why);
	say(s, v->why);
	if (s->stop_pending) {
		s->stop_pending = 0;
		save_begin(s);
		return v->active;
	}
	return 0;
}

static void record_failed(struct session *s)
{
	struct att_recorder_status st;
	char why[300];

	att_recorder_status(s->rec, &st);
	if (st.running)
		return;
	/* the capture on disk stays readable (attune recover); say so once and stop pushing */
	snprintf(why, sizeof why, "recording stopped: %s; %.150s.attraw keeps what was saved",
	         att_strerror(st.err), s->rec_base);
	fprintf(stderr, "attune: %s\n", why);
	att_recorder_free(s->rec);
	s->rec = NULL;
	say(s, why);
}

static const char *quality_word(unsigned q)
{
	if (q & ATT_Q_ABSENT)
		return "absent";
	if (q & ATT_Q_FLAT)
		return "flat";
	if (q & ATT_Q_SATURATED)
		return "saturated";
	if (q & ATT_Q_IMPLAUSIBLE)
		return "implausible";
	if (q & ATT_Q_SETTLING)
		return "settling";
	return "ok";
}

static void write_snapshot(struct session *s)
{
	struct att_json *j = s->json;
	const struct att_snapshot *p = &s->snap;

	att_json_object_begin(j, NULL);
	att_json_number(j, "t", p->t);
	att_json_number(j, "match", p->match);
	att_json_number(j, "plv", p->plv);
	att_json_number(j, "plv_chance", p->plv_chance);
	att_json_number(j, "relative_phase_deg", p->relative_phase_deg);
	att_json_number(j, "lag_s", p->lag_s);
	att_json_number(j, "a_breath_rate_bpm", p->a.breath_rate_bpm);
	att_json_number(j, "b_breath_rate_bpm", p->b.breath_rate_bpm);
	att_json_number(j, "a_heart_rate_bpm", p->a.heart_rate_bpm);
	att_json_number(j, "b_heart_rate_bpm", p->b.heart_rate_bpm);
	att_json_string(j, "a_resp_quality", quality_word(p->a.resp_quality));
	att_json_string(j, "a_ppg_quality", quality_word(p->a.ppg_quality));
	att_json_string(j, "b_resp_quality", quality_word(p->b.resp_quality));
	att_json_string(j, "b_ppg_quality", quality_word(p->b.ppg_quality));
	att_json_uint(j, "frames_lost", p->samples_lost);
	if (s->src.kind == SRC_COUPLE)
		att_json_string(j, "stage", att_couple_stage(s->src.couple));
	else if (s->src.stage_couple)
		att_json_string(j, "stage", att_couple_stage(s->src.stage_couple));
	att_json_object_end(j);
	if (att_json_end_line(j) != ATT_OK && !s->io_failed) {
		fprintf(stderr, "attune: cannot write the snapshots (%s)\n", strerror(errno));
		s->io_failed = 1;
	}
	/* in real time a reader follows the lines as they come (10 per second: cheap) */
	if (s->realtime && fflush(s->snap_out) != 0 && !s->io_failed) {
		fprintf(stderr, "attune: cannot write the snapshots (%s)\n", strerror(errno));
		s->io_failed = 1;
	}
}

static int zone_of(double m, int old)
{
	/* 0.05 of hysteresis so a match hovering at a boundary does not ring on every snapshot */
	double h = 0.05;
	if (old < 0)
		return m >= MATCHED ? 2 : m >= 0.4 ? 1 : 0;
	if (m >= MATCHED + (old < 2 ? h : -h))
		return 2;
	if (m >= 0.4 + (old < 1 ? h : -h))
		return 1;
	return 0;
}

static void on_snapshot(struct session *s)
{
	unsigned bad = 0;
	const unsigned probl = ATT_Q_FLAT | ATT_Q_SATURATED;

	att_engine_snapshot(s->engine, &s->snap);
	s->snap.t +=
	        (double)s->src.first / s->src.rate; /* the engine counts from where it started */
	s->have_snap = 1;
	if (s->json && !s->io_failed)
		write_snapshot(s);
	while (s->hist_n < HIST_MAX && (double)s->hist_n * HIST_DT <= s->snap.t) {
		s->hist_match[s->hist_n] = (float)s->snap.match;
		s->hist_chance[s->hist_n] = (float)s->snap.plv_chance;
		s->hist_hr_a[s->hist_n] = (float)s->snap.a.heart_rate_bpm;
		s->hist_hr_b[s->hist_n] = (float)s->snap.b.heart_rate_bpm;
		s->hist_n++;
	}
	/* chime when the match moves into another zone */
	if (isfinite(s->snap.match)) {
		int z = zone_of(s->snap.match, s->zone);
		if (s->zone >= 0 && z != s->zone && s->t - s->last_chime >= CHIME_GAP_S) {
			s->sound.chime_seq++;
			s->sound.chime_up = z > s->zone;
			s->last_chime = s->t;
		}
		if (s->zone < 0 || s->t - s->last_chime >= CHIME_GAP_S || s->last_chime == s->t)
			s->zone = z;
	}
	/* double beep when a sensor newly goes flat or saturates */
	if (s->snap.a.resp_quality & probl)
		bad |= 1u;
	if (s->snap.a.ppg_quality & probl)
		bad |= 2u;
	if (s->snap.b.resp_quality & probl)
		bad |= 4u;
	if (s->snap.b.ppg_quality & probl)
		bad |= 8u;
	if ((bad & ~s->bad_bits) && s->t - s->last_alarm >= ALARM_GAP_S) {
		s->sound.alarm_seq++;
		s->last_alarm = s->t;
	}
	s->bad_bits = bad;
}

/* Pulls every sample due by s->t into the engine. With arrivals, notes when each sample would
 * have arrived from a device (its due time on the monotonic clock) for the latency figure. */
static void drain(struct session *s, int realtime, double speed)
{
	struct pulled p;

	while (src_pull(&s->src, s->t, &p)) {
		if (att_engine_push(s->engine, p.counter, p.v) == 1)
			on_snapshot(s);
		if (s->src.kind != SRC_DEVICE) /* when it would have arrived from a device */
			p.raw.host_ns =
			        s->t0_ns + (int64_t)((double)p.counter / s->src.rate / speed * 1e9);
		if (s->rec && att_recorder_push(s->rec, &p.raw, 1) != ATT_OK)
			record_failed(s);
		if (realtime && s->n_arrivals < ARRIVALS_MAX)
			s->arrivals[s->n_arrivals++] = p.raw.host_ns;
	}
	if (s->src.stage_couple) {
		/* the board's script time is its sample counter's (both start with the board) */
		uint64_t due = (uint64_t)((double)s->src.last_counter / s->src.rate * 10.0);
		float v[4];
		while (s->src.stage_n < due) {
			att_couple_next(s->src.stage_couple, v);
			s->src.stage_n++;
		}
	}
	if (s->src.kind == SRC_DEVICE) {
		uint32_t reconnects = s->src.st.reconnects;
		int was_lost = s->src.st.state == ATT_SOURCE_RECONNECTING;
		att_source_status(s->src.dev, &s->src.st);
		/* stderr is the session's log (a headless run has no status line) */
		if (!was_lost && s->src.st.state == ATT_SOURCE_RECONNECTING)
			fprintf(stderr, "attune: %s: lost the device; reconnecting (%s)\n",
			        s->src.name,
			        att_strerror(s->src.st.error ? s->src.st.error
			                                     : ATT_ERR_DISCONNECTED));
		if (s->src.st.reconnects != reconnects) {
			fprintf(stderr, "attune: %s: device back\n", s->src.name);
			if (s->rec)
				att_recorder_event(s->rec, ATT_EV_RECONNECT, now_ns(), s->t,
				                   "device reconnected");
		}
		if (s->src.st.state == ATT_SOURCE_FAILED && !s->src.ended) {
			fprintf(stderr, "attune: %s: %s\n", s->src.name,
			        att_strerror(s->src.st.error));
			s->src.ended = 1;
		}
	}
}

static void update_sound(struct session *s)
{
	struct att_pacer_state ps;

	att_pacer_at(s->pacer, s->t, &ps);
	s->sound.pacer_on = s->pacer_on;
	s->sound.pacer_level = (float)ps.level;
	s->sound.match = s->have_snap ? (float)s->snap.match : NAN;
	if (s->audio) {
		int ok = att_audio_device_ok(s->audio);
		if (!ok && !s->sound_lost && att_audio_losses(s->audio)) {
			const char *why = att_audio_device_problem(s->audio);
			fprintf(stderr,
			        "attune: sound stopped (%s); trying again every few seconds\n",
			        why ? why : "the sound device stopped");
			say(s, "sound stopped \xe2\x80\x94 trying again; the session goes on");
			s->sound_lost = 1;
		} else if (ok && s->sound_lost) {
			fprintf(stderr, "attune: sound is back\n");
			say(s, "sound is back");
			s->sound_lost = 0;
		}
		att_audio_publish(s->audio, &s->sound);
		if (att_audio_wav_until(s->audio, s->t, &s->sound) != ATT_OK && !s->io_failed) {
			fprintf(stderr, "attune: cannot write %s (disk full?)\n", s->o->wav);
			s->io_failed = 1;
		}
	}
}

static void ease(struct session *s, double dt)
{
	double m = s->have_snap && isfinite(s->snap.match) ? s->snap.match : 0.0;
	/* 1.5 s: the picture settles within a breath, without flicker from snapshot noise */
	s->match_smooth += (m - s->match_smooth) * (1.0 - exp(-dt / 1.5));
	if (s->have_snap && isfinite(s->snap.match) && s->snap.match >= MATCHED)
		s->together_s += dt;
	if (s->notice && s->t >= s->notice_until)
		s->notice = NULL;
}

static void fill_model(struct session *s, struct att_view_model *m);

/* ---- replay: markers from the file, pause and seek ---- */

#define SEEK_S   10.0
#define REWARM_S 120.0 /* signal fed again before a seek-back target: the engine's longest memory */

/* Keeps the file's markers (EDF+ annotations, the raw capture's marker events); pacer changes and
 * reconnects are annotations too, but not marks on the timeline. */
static void replay_load_marks(struct session *s)
{
	if (att_input_meta_read(s->o->input, s->src.rate, &s->file_meta) != ATT_OK)
		return; /* best effort: a replay without markers still plays */
	for (size_t i = 0; i < s->file_meta.n_marks && s->n_file_marks < MARKERS_MAX; i++) {
		const struct att_input_mark *m = &s->file_meta.marks[i];
		if (!strncmp(m->text, "pacer ", 6) || !strcmp(m->text, "reconnect"))
			continue;
		s->file_marks[s->n_file_marks++] = m;
	}
}

/* The markers up to the session clock, as if pressed live; says the newest one. */
static void replay_marks_due(struct session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_file_marks; i++)
		if (s->file_marks[i]->t <= s->t)
			s->markers[n++] = s->file_marks[i]->t;
	if (n > s->n_markers) {
		const struct att_input_mark *m = s->file_marks[0];
		char buf[200];
		long sec;
		for (size_t i = 0; i < s->n_file_marks; i++)
			if (s->file_marks[i]->t <= s->t && s->file_marks[i]->t >= m->t)
				m = s->file_marks[i];
		sec = (long)m->t;
		snprintf(buf, sizeof buf, "marker %zu at %ld:%02ld: %.120s", n, sec / 60, sec % 60,
		         m->text);
		say(s, buf);
	}
	s->n_markers = n;
}

/* Moves the playback clock to session time `to`. Forward, the next drain feeds the skipped
 * signal at once (a few ms per 10 s); back, a fresh engine is fed again from REWARM_S before the
 * target so its rates and match are what they were there. */
static void replay_seek(struct session *s, double to)
{
	double end = (double)s->src.rec->n / s->src.rate;

	to = to < 0.0 ? 0.0 : to > end ? end : to;
	if (to < s->t) {
		struct att_engine *fresh;
		double from = to > REWARM_S ? to - REWARM_S : 0.0;
		if (att_engine_new(&(struct att_engine_cfg){.rate_hz = s->src.rate}, &fresh) !=
		    ATT_OK) {
			say(s, "cannot seek back: out of memory");
			return;
		}
		att_engine_free(s->engine);
		s->engine = fresh;
		s->src.first = s->src.next = (uint64_t)(from * s->src.rate);
		s->src.ended = 0;
		s->have_snap = 0;
		s->zone = -1;
		if ((double)s->hist_n * HIST_DT > to)
			s->hist_n = (size_t)(to / HIST_DT);
	}
	s->t = s->play_t0 = to;
	s->play_base_ns = now_ns();
}

/* Replay keys, taken before the view's: space or k pause, left/right seek. 1 when handled. */
static int replay_key(struct session *s, const SDL_Event *e)
{
	char buf[64];
	long sec;

	if (s->o->demo != 2 || s->src.kind != SRC_FILE || e->type != SDL_KEYDOWN)
		return 0;
	switch (e->key.keysym.sym) {
	case SDLK_SPACE:
	case SDLK_k:
		s->paused = !s->paused;
		s->play_t0 = s->t;
		s->play_base_ns = now_ns();
		say(s, s->paused ? "paused (space or k resumes)" : "playing");
		return 1;
	case SDLK_LEFT:
	case SDLK_RIGHT:
		replay_seek(s, s->t + (e->key.keysym.sym == SDLK_RIGHT ? SEEK_S : -SEEK_S));
		sec = (long)s->t;
		snprintf(buf, sizeof buf, "at %ld:%02ld", sec / 60, sec % 60);
		say(s, buf);
		return 1;
	default:
		return 0;
	}
}

static void act(struct session *s, enum att_view_action a, int *quit)
{
	char buf[96];
	double bpm = att_pacer_bpm(s->pacer);

	switch (a) {
	case ATT_VIEW_QUIT:
		*quit = 1;
		break;
	case ATT_VIEW_MARKER:
		if (s->n_markers < MARKERS_MAX) {
			char clk[32];
			long sec = (long)s->t;
			s->markers[s->n_markers++] = s->t;
			if (s->rec)
				att_recorder_event(s->rec, ATT_EV_MARKER, now_ns(), s->t, NULL);
			snprintf(clk, sizeof clk, "%ld:%02ld", sec / 60, sec % 60);
			snprintf(buf, sizeof buf, "marker %zu at %s", s->n_markers, clk);
			say(s, buf);
		} else {
			say(s, "marker list full");
		}
		break;
	case ATT_VIEW_PACER_TOGGLE:
		s->pacer_on = !s->pacer_on;
		if (s->rec)
			att_recorder_event(s->rec, ATT_EV_PACER, now_ns(),
			                   s->pacer_on ? att_pacer_bpm(s->pacer) : 0.0, NULL);
		say(s,
		    s->pacer_on ? "pacer on" : "pacer off \xe2\x80\x94 breathe at your own pace");
		break;
	case ATT_VIEW_PACER_FASTER:
	case ATT_VIEW_PACER_SLOWER:
		bpm += a == ATT_VIEW_PACER_FASTER ? ATT_PACER_BPM_STEP : -ATT_PACER_BPM_STEP;
		if (att_pacer_set_bpm(s->pacer, s->t, bpm) == ATT_OK) {
			snprintf(buf, sizeof buf, "pacer %.1f breaths per minute", bpm);
			if (s->rec && s->pacer_on)
				att_recorder_event(s->rec, ATT_EV_PACER, now_ns(), bpm, NULL);
		} else
			snprintf(buf, sizeof buf,
			         "pacer stays at %.1f (range 4\xe2\x80\x93"
			         "10 /min)",
			         att_pacer_bpm(s->pacer));
		say(s, buf);
		break;
	case ATT_VIEW_EXHALE_TOGGLE: {
		double r = att_pacer_exhale_ratio(s->pacer) > 1.0 ? 1.0 : 2.0;
		att_pacer_set_exhale_ratio(s->pacer, s->t, r);
		say(s, r > 1.0 ? "longer exhale (1:2)" : "equal inhale and exhale");
		break;
	}
	case ATT_VIEW_RECORD: {
		char why[400];
		if (s->rec && s->saver.active) {
			/* one export at a time: this one follows; no key press is lost */
			s->stop_pending = 1;
			say(s, "stopping after the last session is saved\xe2\x80\xa6");
		} else if (s->rec) {
			save_begin(s);
		} else if (record_start(s, why, sizeof why) == ATT_OK) {
			snprintf(buf, sizeof buf, "recording to %.60s", s->rec_base);
			say(s, buf);
		} else {
			say(s, why);
		}
		break;
	}
	case ATT_VIEW_MUTE:
		s->sound.muted = !s->sound.muted;
		say(s, s->sound.muted ? "muted" : "sound on");
		break;
	default:
		break;
	}
}

static void fill_model(struct session *s, struct att_view_model *m)
{
	memset(m, 0, sizeof *m);
	m->t = s->t;
	m->have_snapshot = s->have_snap;
	m->snap = s->snap;
	m->match_smooth = s->match_smooth;
	m->together_s = s->together_s;
	m->pacer_on = s->pacer_on;
	att_pacer_at(s->pacer, s->t, &m->pacer);
	m->pacer_bpm = att_pacer_bpm(s->pacer);
	m->exhale_ratio = att_pacer_exhale_ratio(s->pacer);
	m->source = s->src.name;
	m->rate_hz = s->src.rate;
	m->frames_lost = s->snap.samples_lost;
	if (s->src.kind == SRC_DEVICE) {
		m->frames_lost = s->src.st.samples_lost;
		m->reconnecting = s->src.st.state == ATT_SOURCE_RECONNECTING;
	}
	m->ended = s->src.ended;
	m->replay = s->o->demo == 2 && s->src.kind == SRC_FILE;
	m->recording = s->src.kind == SRC_FILE ? -1 : s->rec != NULL;
	m->muted = s->sound.muted;
	m->audio_ok = s->audio && att_audio_device_ok(s->audio);
	m->audio_off = s->o->no_audio || s->o->screenshot;
	m->audio_lost = s->sound_lost;
	m->stage = s->src.kind == SRC_COUPLE ? att_couple_stage(s->src.couple)
	           : s->src.stage_couple     ? att_couple_stage(s->src.stage_couple)
	                                     : NULL;
	m->notice = s->notice;
	s->trace_n = att_engine_breath_trace(s->engine, 0, s->trace_a, s->trace_cap);
	att_engine_breath_trace(s->engine, 1, s->trace_b, s->trace_n);
	m->trace_a = s->trace_a;
	m->trace_b = s->trace_b;
	m->trace_n = s->trace_n;
	m->trace_rate = att_engine_trace_rate(s->engine);
	m->hist_match = s->hist_match;
	m->hist_chance = s->hist_chance;
	m->hist_hr_a = s->hist_hr_a;
	m->hist_hr_b = s->hist_hr_b;
	m->hist_n = s->hist_n;
	m->hist_dt = HIST_DT;
	m->markers = s->markers;
	m->n_markers = s->n_markers;
}

static void push_keys(const char *keys)
{
	for (const char *k = keys; k && *k; k++) {
		SDL_Event e;
		memset(&e, 0, sizeof e);
		e.type = SDL_KEYDOWN;
		e.key.state = SDL_PRESSED;
		e.key.keysym.sym = *k == '?'   ? SDLK_QUESTION
		                   : *k == '_' ? SDLK_SPACE
		                   : *k == '<' ? SDLK_LEFT
		                   : *k == '>' ? SDLK_RIGHT
		                               : (SDL_Keycode)*k;
		SDL_PushEvent(&e);
	}
}

static int write_stats(struct session *s, const char *path, double wall_s)
{
	struct rusage ru;
	double cpu_s;
	char name[sizeof s->src.name];
	size_t k = 0;
	FILE *f = fopen(path, "w");

	/* a file name is the source's name: keep the JSON valid whatever it holds */
	for (const char *c = s->src.name; *c && k < sizeof name - 1; c++)
		name[k++] = *c == '"' || *c == '\\' || (unsigned char)*c < 0x20 ? '_' : *c;
	name[k] = 0;

	if (!f) {
		fprintf(stderr, "attune: cannot write %s; check the directory exists\n", path);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	        (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	fprintf(f,
	        "{\"frames\": %llu, \"wall_s\": %.3f, \"renderer\": \"%s\",\n"
	        " \"frame_work_ms_p50\": %.2f, \"frame_work_ms_p99\": %.2f,\n"
	        " \"frame_draw_ms_p50\": %.2f, \"frame_draw_ms_p99\": %.2f,\n"
	        " \"frame_interval_ms_p50\": %.2f, \"frame_interval_ms_p99\": %.2f,\n"
	        " \"latency_ms_p50\": %.2f, \"latency_ms_p99\": %.2f, \"latency_samples\": %llu,\n"
	        " \"latency_wait_ms_p50\": %.2f, \"latency_wait_ms_p99\": %.2f,\n"
	        " \"cpu_percent\": %.2f, \"max_rss_mb\": %.1f,\n"
	        " \"sound_device\": %s, \"sound_underflows\": %lu, \"sound_losses\": %lu,"
	        " \"sound_moves\": %lu,\n"
	        " \"source\": \"%s\", \"samples\": %llu, \"frames_lost\": %llu,\n"
	        " \"saves\": %llu, \"save_ms_max\": %.1f, \"frames_during_save\": %llu,\n"
	        " \"save_frame_interval_ms_max\": %.2f,\n"
	        " \"t_end\": %.3f, \"snapshot_t\": %.3f, \"markers\": %zu, \"file_markers\": %zu}\n",
	        (unsigned long long)s->frames, wall_s,
	        s->view ? att_view_renderer_name(s->view) : "?", hist_pct(&s->frame_work, 0.5),
	        hist_pct(&s->frame_work, 0.99), hist_pct(&s->frame_draw, 0.5),
	        hist_pct(&s->frame_draw, 0.99), hist_pct(&s->frame_interval, 0.5),
	        hist_pct(&s->frame_interval, 0.99), hist_pct(&s->latency, 0.5),
	        hist_pct(&s->latency, 0.99), (unsigned long long)s->latency.n,
	        hist_pct(&s->latency_wait, 0.5), hist_pct(&s->latency_wait, 0.99),
	        100.0 * cpu_s / wall_s, ru.ru_maxrss / 1024.0,
	        s->audio && att_audio_device_ok(s->audio) ? "true" : "false",
	        s->audio ? att_audio_underflows(s->audio) : 0ul,
	        s->audio ? att_audio_losses(s->audio) : 0ul,
	        s->audio ? att_audio_moves(s->audio) : 0ul, name,
	        (unsigned long long)(s->src.kind == SRC_DEVICE ? s->src.st.samples : s->src.next),
	        (unsigned long long)(s->src.kind == SRC_DEVICE ? s->src.st.samples_lost
	                                                       : s->snap.samples_lost),
	        (unsigned long long)s->saves, s->save_ms_max,
	        (unsigned long long)s->frames_during_save, s->save_frame_interval_ms_max, s->t,
	        s->have_snap ? s->snap.t : -1.0, s->n_markers, s->n_file_marks);
	return fclose(f) == 0 ? 0 : 1;
}

static void sleep_until(int64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Starts the session clock, the device's streaming and (--record) the recording. */
static int session_start(struct session *s)
{
	char why[400];
	int rc;

	/* a device delivers in real time whatever --speed says; the demo's board at its --speed */
	s->speed = (s->src.kind == SRC_DEVICE && !s->src.board) || s->o->speed <= 0.0 ? 1.0
	                                                                              : s->o->speed;
	if (s->src.dev && (rc = att_source_start(s->src.dev)) != ATT_OK) {
		fprintf(stderr, "attune: cannot start streaming from %s: %s\n", s->src.name,
		        att_strerror(rc));
		return 1;
	}
	s->t0_ns = now_ns();
	if (s->o->record && record_start(s, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	return 0;
}

static int run_window(struct session *s)
{
	struct att_live_opts *o = s->o;
	char why[256];
	int quit = 0, pressed = 0, rc = 0;
	/* a device cannot be fast-forwarded: its screenshot waits --after seconds */
	int fast = o->screenshot != NULL && s->src.kind != SRC_DEVICE;
	int64_t t0, next;
	struct att_view_model *model = calloc(1, sizeof *model);

	if (!model) {
		fprintf(stderr, "attune: out of memory\n");
		return 1;
	}
	if (att_view_new(
	            &(struct att_view_cfg){.name_a = o->name_a,
	                                   .name_b = o->name_b,
	                                   .width = o->width,
	                                   .height = o->height,
	                                   .fullscreen = o->fullscreen,
	                                   .show_strip = !o->no_strip,
	                                   /* ATTUNE_FONT: another TTF (tests use a missing one) */
	                                   .font_path = getenv("ATTUNE_FONT")},
	            &s->view, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		free(model);
		return 1;
	}
	if (session_start(s) != 0) {
		free(model);
		return 1;
	}
	t0 = next = s->t0_ns;
	s->play_t0 = 0.0;
	s->play_base_ns = t0;
	s->realtime = !fast;
	while (!quit) {
		int64_t start = now_ns();
		SDL_Event e;
		int64_t drawn_ns, drain_ns;
		double prev_t = s->t;

		while (SDL_PollEvent(&e))
			if (!replay_key(s, &e))
				act(s, att_view_event(s->view, &e), &quit);
		save_poll(s, 0);
		if (fast)
			s->t += STEP_S;
		else if (!s->paused)
			s->t = s->play_t0 + (double)(start - s->play_base_ns) / 1e9 * s->speed;
		if (s->n_file_marks)
			replay_marks_due(s);
		s->n_arrivals = 0;
		drain_ns = now_ns();
		drain(s, !fast, s->speed);
		ease(s, s->t - prev_t);
		update_sound(s);
		for (int k = 0; k < o->n_keys_at; k++)
			if (o->keys_at_t[k] >= 0.0 &&
			    (double)(start - t0) / 1e9 >= o->keys_at_t[k]) {
				push_keys(o->keys_at[k]);
				o->keys_at_t[k] = -1.0; /* once */
			}
		if (o->screenshot && !pressed && o->press && s->t >= o->after - 0.25) {
			push_keys(o->press); /* through the same event path as a real key press */
			pressed = 1;
		}
		if (o->duration > 0.0 && s->t >= o->duration)
			quit = 1;
		if (fast && s->t < o->after - 1e-9)
			continue; /* fast-forward: only the picture at --after is drawn */
		fill_model(s, model);
		att_view_render(s->view, model);
		if (o->screenshot && s->t >= o->after - 1e-9) {
			if (att_view_save_png(s->view, o->screenshot, why, sizeof why) != ATT_OK) {
				fprintf(stderr, "attune: %s\n", why);
				rc = 1;
			}
			quit = 1;
		}
		drawn_ns = now_ns();
		att_view_present(s->view);
		if (!fast) {
			int64_t done = now_ns();
			hist_add(&s->frame_draw, (double)(drawn_ns - start) / 1e6);
			hist_add(&s->frame_work, (double)(done - start) / 1e6);
			if (s->last_present_ns)
				hist_add(&s->frame_interval,
				         (double)(done - s->last_present_ns) / 1e6);
			if (s->save_in_frame && s->last_present_ns) {
				double ms = (double)(done - s->last_present_ns) / 1e6;
				if (ms > s->save_frame_interval_ms_max)
					s->save_frame_interval_ms_max = ms;
				s->frames_during_save++;
			}
			s->save_in_frame = 0;
			s->last_present_ns = done;
			for (size_t i = 0; i < s->n_arrivals; i++) {
				hist_add(&s->latency, (double)(done - s->arrivals[i]) / 1e6);
				hist_add(&s->latency_wait,
				         (double)(drain_ns - s->arrivals[i]) / 1e6);
			}
			s->frames++;
			/* a steady 60 fps cap; after a stall, restart the cadence instead of racing */
			next += (int64_t)(STEP_S * 1e9);
			if (next < done)
				next = done;
			sleep_until(next);
		}
	}
	/* quitting with a recording: it is closed and saved while the view still shows "saving" */
	save_begin(s);
	while (save_poll(s, 0)) {
		SDL_Event e;
		while (SDL_PollEvent(&e))
			; /* already quitting; a second close request changes nothing */
		fill_model(s, model);
		att_view_render(s->view, model);
		att_view_present(s->view);
		sleep_until(now_ns() + (int64_t)(STEP_S * 1e9));
	}
	if (o->stats)
		rc |= write_stats(s, o->stats, (double)(now_ns() - t0) / 1e9);
	free(model);
	return rc;
}

static int run_headless(struct session *s)
{
	struct att_live_opts *o = s->o;
	int64_t t0;
	int fast = o->speed == 0.0 && s->src.kind != SRC_DEVICE;
	struct sigaction sa;

	if (session_start(s) != 0)
		return 1;
	t0 = s->t0_ns;
	s->realtime = !fast;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_requested && !s->src.ended && !s->io_failed) {
		double prev_t = s->t;
		if (fast) {
			s->t += STEP_S;
		} else {
			sleep_until(now_ns() + 10000000); /* 10 ms: snapshots come at 10 Hz */
			s->t = (double)(now_ns() - t0) / 1e9 * s->speed;
		}
		if (o->duration > 0.0 && s->t > o->duration)
			s->t = o->duration;
		drain(s, 0, s->speed > 0.0 ? s->speed : 1.0);
		ease(s, s->t - prev_t);
		update_sound(s);
		if (o->duration > 0.0 && s->t >= o->duration)
			break;
	}
	if (s->snap_out)
		fflush(s->snap_out);
	return s->io_failed ? 1 : 0;
}

/* attune demo: the couple (or --input CSV) through the real firmware in the simulated board,
 * opened like any device. Returns ATT_OK with the source set up, or an error with one line in
 * why, having left nothing running. */
static int open_demo_board(struct session *s, char *why, size_t len)
{
	struct att_live_opts *o = s->o;
	char reason[300];
	int rc;

	rc = att_demo_board_start(
	        &(struct att_demo_board_cfg){.script = o->input ? NULL
	                                                        : att_live_scripts[o->script].name,
	                                     .input = o->input,
	                                     .seed = o->seed,
	                                     .speed = o->speed},
	        &s->src.board, why, len);
	if (rc != ATT_OK)
		return rc;
	rc = att_source_open_serial(
	        &(struct att_serial_cfg){.path = att_demo_board_link(s->src.board),
	                                 .rate_hz = o->rate_set ? (unsigned)o->rate : 0,
	                                 .reset_wait_ms = -1},
	        &s->src.dev, reason, sizeof reason);
	if (rc != ATT_OK) {
		snprintf(why, len, "%s", reason);
		att_demo_board_stop(s->src.board);
		s->src.board = NULL;
		return rc;
	}
	att_source_status(s->src.dev, &s->src.st);
	s->src.kind = SRC_DEVICE;
	s->src.rate = s->src.st.rate_hz;
	snprintf(s->src.name, sizeof s->src.name, "simulated board");
	/* best effort: without it the status line just shows no stage */
	if (!o->input)
		att_couple_new(
		        &(struct att_couple_cfg){.rate_hz = 10.0,
		                                 .script = att_live_scripts[o->script].script,
		                                 .seed = o->seed},
		        &s->src.stage_couple);
	return ATT_OK;
}

static int open_source(struct session *s, char *why, size_t len)
{
	struct att_live_opts *o = s->o;
	char fallback[300];
	int rc;

	fallback[0] = 0;
	/* The board runs up to BOARD_SPEED_MAX times real time (the simulator manages about 80x on
	 * one core, less under sanitizers); faster or flat out plays in-process. */
	if (o->demo == 1 && !o->port && o->speed > 0.0 && o->speed <= BOARD_SPEED_MAX) {
		if (open_demo_board(s, fallback, sizeof fallback) == ATT_OK)
			return ATT_OK;
		fprintf(stderr, "attune: no simulated board (%s); playing the %s in-process\n",
		        fallback, o->input ? "recording" : "generated couple");
	}
	if (o->port) {
		rc = att_source_open_serial(
		        &(struct att_serial_cfg){.path = o->port,
		                                 .rate_hz = o->rate_set ? (unsigned)o->rate : 0,
		                                 .reset_wait_ms = -1},
		        &s->src.dev, why, len);
		if (rc != ATT_OK)
			return rc;
		att_source_status(s->src.dev, &s->src.st);
		s->src.kind = SRC_DEVICE;
		s->src.rate = s->src.st.rate_hz;
		snprintf(s->src.name, sizeof s->src.name, "%s", s->src.st.name);
		return ATT_OK;
	}
	if (o->input) {
		char reason[300];
		/* CSV, EDF+ or a raw capture, whichever the file is */
		rc = att_recording_read_any(o->input, &s->src.rec, reason, sizeof reason);
		if (rc != ATT_OK) {
			snprintf(why, len, "%.100s: %.150s", o->input, reason);
			return rc;
		}
		if (!s->src.rec->ch[0] || !s->src.rec->ch[2]) {
			snprintf(why, len,
			         "%s has no a_resp or b_resp column; both chest belts are needed",
			         o->input);
			return ATT_ERR_FORMAT;
		}
		s->src.kind = SRC_FILE;
		s->src.rate = s->src.rec->rate_hz;
		snprintf(s->src.name, sizeof s->src.name, "%s%s", o->input,
		         fallback[0] ? " (in-process: no simulated board)" : "");
		return ATT_OK;
	}
	s->src.kind = SRC_COUPLE;
	s->src.rate = o->rate;
	snprintf(s->src.name, sizeof s->src.name, "%s%s", att_live_scripts[o->script].label,
	         fallback[0] ? " (in-process: no simulated board)" : "");
	rc = att_couple_new(&(struct att_couple_cfg){.rate_hz = o->rate,
	                                             .script = att_live_scripts[o->script].script,
	                                             .seed = o->seed},
	                    &s->src.couple);
	if (rc != ATT_OK)
		snprintf(why, len, "cannot generate the couple: %s", att_strerror(rc));
	return rc;
}

/* Fails early, with a suggestion, when there is no display to open a window on. */
static int have_display(void)
{
	const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY"),
	           *v = getenv("SDL_VIDEODRIVER");
	return (d && *d) || (w && *w) || (v && *v);
}

/* demo: 0 attune live, 1 attune demo (the generated story by default), 2 attune replay FILE */
int att_live_main(int argc, char **argv, int demo)
{
	struct att_live_opts o;
	struct session *s;
	char why[256];
	int rc, video = 0, ttf = 0;

	rc = att_live_parse(argc, argv, demo, &o);
	if (rc == 3) {
		att_live_usage(stdout, demo);
		return 0;
	}
	if (rc)
		return rc;
	if (o.record && o.input) {
		fprintf(stderr,
		        "attune: --record works with --port or --synthetic; %s already is a "
		        "recording\n",
		        o.input);
		return 2;
	}
	if (!o.headless && !have_display()) {
		fprintf(stderr,
		        "attune: no display (DISPLAY is not set); use --headless --snapshots - "
		        "for JSON, or run under Xvfb: xvfb-run -a attune %s\n",
		        demo == 2 ? "replay FILE"
		        : demo    ? "demo"
		                  : "live ...");
		return 1;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		fprintf(stderr, "attune: out of memory\n");
		return 1;
	}
	s->o = &o;
	s->zone = -1;
	s->last_chime = s->last_alarm = -1e9;
	s->pacer_on = !o.no_pacer;
	s->sound = (struct att_sonify_params){
	        .parts = o.parts, .volume = (float)o.volume, .muted = o.muted, .match = NAN};
	rc = open_source(s, why, sizeof why);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		rc = 1;
		goto out;
	}
	rc = att_engine_new(&(struct att_engine_cfg){.rate_hz = s->src.rate,
	                                             .adc_max = s->src.kind == SRC_DEVICE
	                                                                ? s->src.st.adc_max
	                                                                : 0.0},
	                    &s->engine);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune: cannot start the analysis at %.0f Hz: %s\n", s->src.rate,
		        att_strerror(rc));
		rc = 1;
		goto out;
	}
	if (att_pacer_new(
	            &(struct att_pacer_cfg){.bpm = o.pacer_bpm, .exhale_ratio = o.exhale_ratio},
	            0.0, &s->pacer) != ATT_OK) {
		fprintf(stderr, "attune: pacer rate must be 4-10 /min and exhale ratio 1-3\n");
		rc = 2;
		goto out;
	}
	if (demo == 2 && s->src.kind == SRC_FILE)
		replay_load_marks(s);
	s->trace_cap = (size_t)(60.0 * att_engine_trace_rate(s->engine)) + 1;
	s->trace_a = calloc(s->trace_cap, sizeof(float));
	s->trace_b = calloc(s->trace_cap, sizeof(float));
	s->hist_match = calloc(HIST_MAX, sizeof(float));
	s->hist_chance = calloc(HIST_MAX, sizeof(float));
	s->hist_hr_a = calloc(HIST_MAX, sizeof(float));
	s->hist_hr_b = calloc(HIST_MAX, sizeof(float));
	if (!s->trace_a || !s->trace_b || !s->hist_match || !s->hist_chance || !s->hist_hr_a ||
	    !s->hist_hr_b) {
		fprintf(stderr, "attune: out of memory\n");
		rc = 1;
		goto out;
	}
	if (o.snapshots) {
		s->snap_out = strcmp(o.snapshots, "-") ? fopen(o.snapshots, "w") : stdout;
		if (!s->snap_out ||
		    att_json_new(&(struct att_json_cfg){.out = s->snap_out}, &s->json) != ATT_OK) {
			fprintf(stderr,
			        "attune: cannot write %s; check the directory exists and is "
			        "writable\n",
			        o.snapshots);
			rc = 1;
			goto out;
		}
	}
	/* Sound: the device only with a window (a headless run is for machines), the WAV always. */
	if (o.wav || (!o.headless && !o.no_audio && !o.screenshot)) {
		rc = att_audio_new(&(struct att_audio_cfg){.device = !o.headless && !o.no_audio &&
		                                                     !o.screenshot,
		                                           .wav_path = o.wav},
		                   &s->audio, why, sizeof why);
		if (rc != ATT_OK) {
			fprintf(stderr, "attune: %s\n", why);
			rc = 1;
			goto out;
		}
		if (!o.headless && !o.no_audio && !o.screenshot && !att_audio_device_ok(s->audio))
			fprintf(stderr, "attune: %s; continuing without sound\n",
			        att_audio_device_problem(s->audio));
	}
	if (o.headless) {
		rc = run_headless(s);
		goto out;
	}
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		fprintf(stderr,
		        "attune: cannot open the display (%s); use --headless or run under "
		        "Xvfb (xvfb-run -a ...)\n",
		        SDL_GetError());
		rc = 1;
		goto out;
	}
	video = 1;
	if (TTF_Init() != 0) {
		fprintf(stderr, "attune: cannot start text rendering (%s)\n", TTF_GetError());
		rc = 1;
		goto out;
	}
	ttf = 1;
	rc = run_window(s);
out:
	/* headless, or an error on the way: the files are written before anything closes */
	if (s->rec) {
		save_poll(s, 1); /* a previous save first: one export at a time */
		save_begin(s);
	}
	save_poll(s, 1);
	if (s->save_failed)
		rc = 1;
	att_view_free(s->view);
	if (ttf)
		TTF_Quit();
	if (video)
		SDL_Quit();
	if (att_audio_free(s->audio) != ATT_OK) {
		fprintf(stderr, "attune: cannot finish %s (disk full?); it was removed\n", o.wav);
		rc = 1;
	}
	att_json_free(s->json);
	if (s->snap_out && s->snap_out != stdout && fclose(s->snap_out) != 0) {
		fprintf(stderr, "attune: cannot finish %s (disk full?)\n", o.snapshots);
		rc = 1;
	}
	att_engine_free(s->engine);
	att_input_meta_clear(&s->file_meta);
	att_pacer_free(s->pacer);
	src_close(&s->src);
	free(s->trace_a);
	free(s->trace_b);
	free(s->hist_match);
	free(s->hist_chance);
	free(s->hist_hr_a);
	free(s->hist_hr_b);
	free(s);
	return rc;
}

int att_cmd_live(int argc, char **argv)
{
	return att_live_main(argc, argv, 0);
}

int att_cmd_replay(int argc, char **argv)
{
	return att_live_main(argc, argv, 2);
}
