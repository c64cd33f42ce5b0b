/* attune live, attune demo and attune replay: parse the options, build a session with its
 * sinks, run it in a window or headless, and take it apart again. The work is the library's
 * session (source -> engine -> sinks); live_loop.c runs it, live_source.c picks the source,
 * live_feedback.c / live_record.c / live_stats.c are the program's own sinks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL_ttf.h>

#include "attune/clock.h"
#include "attune/outputs.h"
#include "attune/practice.h"
#include "attune/room.h"
#include "attune/snapshots.h"
#include "cmd.h"
#include "display.h"
#include "guides.h"
#include "live_app.h"
#include "room_opts.h"

/* The command as typed ("attune demo --input 'my file.csv'"), quoted for a shell, so a line
 * that suggests running it another way (xvfb-run -a ...) works when copied as printed. Set by
 * att_live_main (main thread). */
static char typed[1024];

static void set_typed(int argc, char **argv)
{
	att_display_typed(argc, argv, typed, sizeof typed);
}

/* The session's log: stderr (a headless run's log) and the status line. */
static void log_line(void *ctx, const char *line)
{
	struct att_live *lv = ctx;

	fprintf(stderr, "attune: %s\n", line);
	if (lv->session)
		att_live_say(&lv->fb, att_session_t(lv->session), line);
}

/* Every finished save, said once: stderr and the status line. */
static void on_saved(void *ctx, int ok, const char *base, const char *line)
{
	struct att_live *lv = ctx;

	(void)ok;
	(void)base;
	fprintf(stderr, "attune: %s\n", line);
	if (lv->session)
		att_live_say(&lv->fb, att_session_t(lv->session), line);
}

/* attune room: what happens in the room, from its network thread: queued for the session. */
static void room_event(void *ctx, uint8_t kind, int64_t host_ns, double value, const char *text)
{
	struct att_live *lv = ctx;
	struct att_session *s = atomic_load(&lv->room_post);

	if (s)
		att_session_post(s, kind, host_ns, value, text);
}

/* attune room: partners joining, leaving and coming back, and the broker's connection, said
 * once on stderr and the status line as the session delivers them, and the observer's guide
 * control taken for the loop (main thread). */
static int room_say(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	const struct att_event *ev = p->u.event;
	struct att_live *lv = ctx;
	char line[ATT_EVENT_TEXT_MAX + 64];

	(void)why;
	(void)why_len;
	if (p->type == ATT_PACKET_EVENT &&
	    (ev->kind == ATT_EV_JOIN || ev->kind == ATT_EV_LEAVE ||
	     (ev->kind == ATT_EV_NOTE && !strncmp(ev->text, "room: ", 6))))
		log_line(ctx, ev->kind == ATT_EV_NOTE ? ev->text + 6 : ev->text);
	/* the observer's guide control, at a partner: queued for the loop (live_loop.c) */
	if (p->type == ATT_PACKET_EVENT && ev->kind == ATT_EV_GUIDE && !lv->room_observer &&
	    (int)ev->value != ATT_GUIDE_BEGAN) {
		snprintf(line, sizeof line, "the therapist: %s the guide%s%s",
		         att_guide_control_name((int)ev->value),
		         (int)ev->value == ATT_GUIDE_CTL_START ? " " : "",
		         (int)ev->value == ATT_GUIDE_CTL_START ? ev->text : "");
		log_line(ctx, line);
		if (lv->n_guide_ctl < (int)(sizeof lv->guide_ctl / sizeof lv->guide_ctl[0])) {
			lv->guide_ctl[lv->n_guide_ctl].control = (int)ev->value;
			snprintf(lv->guide_ctl[lv->n_guide_ctl].name,
			         sizeof lv->guide_ctl[lv->n_guide_ctl].name, "%s", ev->text);
			lv->n_guide_ctl++;
		}
	}
	return ATT_OK;
}

static const struct att_sink room_say_sink = {.name = "room log", .receive = room_say};

/* attune room: the board (none for an observer) becomes the room's source. */
static int open_room(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	struct att_room_cfg cfg = o->room->cfg;
	struct att_source *local = lv->ls.src;
	char why[400];

	cfg.name = cfg.side == ATT_ROOM_SIDE_A   ? o->name_a
	           : cfg.side == ATT_ROOM_SIDE_B ? o->name_b
	                                         : NULL;
	cfg.on_event = room_event;
	cfg.ctx = lv;
	lv->ls.src = NULL; /* the room takes the board, also on failure */
	if (att_room_open(&cfg, local, &lv->ls.src, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	struct att_source_status st;
	att_source_status(lv->ls.src, &st);
	lv->room_src = lv->ls.src;
	lv->room_observer = cfg.side == ATT_ROOM_OBSERVER;
	lv->ls.device = 1;
	snprintf(lv->ls.name, sizeof lv->ls.name, "%s", st.name);
	return 0;
}

static int add_snapshots(struct att_live *lv)
{
	void *ctx;
	char why[300];

	if (att_snapshots_new(&(struct att_snapshots_cfg){.path = lv->o->snapshots,
	                                                  .realtime = !lv->fast,
	                                                  .stage = att_live_source_stage,
	                                                  .stage_ctx = &lv->ls},
	                      &ctx, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	return att_session_add_sink(lv->session, &att_snapshots_sink, ctx) == ATT_OK ? 0 : 1;
}

/* The session and its sinks, in delivery order: what the couple sees and hears first. */
static int build_session(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	struct att_session_cfg cfg = {
	        /* a device delivers in real time whatever --speed says; the demo's board runs at
	         * its --speed */
	        .speed = (lv->ls.device && !lv->ls.board) || o->speed <= 0.0 ? 1.0 : o->speed,
	        .log = log_line,
	        .log_ctx = lv};
	char why[300];
	struct att_source *src = lv->ls.src;

	lv->ls.src = NULL; /* the session owns it from here, also on failure */
	if (att_session_new(&cfg, src, &lv->session, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	if (att_session_add_sink(lv->session, &att_live_view_sink, &lv->fb) != ATT_OK ||
	    att_session_add_sink(lv->session, &att_live_cues_sink, &lv->fb) != ATT_OK ||
	    att_session_add_sink(lv->session, &att_live_record_sink, lv->rec) != ATT_OK ||
	    att_session_add_sink(lv->session, &att_live_arrivals_sink, lv->stats) != ATT_OK)
		return 1;
	if (o->snapshots && add_snapshots(lv))
		return 1;
	if (lv->room_src) {
		if (att_session_add_sink(lv->session, &att_room_sink, lv->room_src) != ATT_OK ||
		    att_session_add_sink(lv->session, &room_say_sink, lv) != ATT_OK)
			return 1;
		atomic_store(&lv->room_post, lv->session);
	}
	if (att_osc_opts_attach(&o->osc, lv->session, &lv->osc_in, "attune"))
		return 1;
	att_session_schedule(lv->session, lv->ls.marks, lv->ls.n_marks);
	return 0;
}

static int open_parts(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	struct att_sonify_params sound = {
	        .parts = o->parts, .volume = (float)o->volume, .muted = o->muted, .match = NAN};

	if (att_live_feedback_init(&lv->fb, &sound) != ATT_OK ||
	    !(lv->stats = calloc(1, sizeof *lv->stats)) ||
	    att_live_record_new(&(struct att_live_record_cfg){.base = o->record,
	                                                      .db = o->db,
	                                                      .force = o->force,
	                                                      .name_a = o->name_a,
	                                                      .name_b = o->name_b,
	                                                      .on_saved = on_saved,
	                                                      .ctx = lv},
	                        &lv->rec) != ATT_OK) {
		fprintf(stderr, "attune: out of memory\n");
		return 1;
	}
	if (att_pacer_new(
	            &(struct att_pacer_cfg){.bpm = o->pacer_bpm, .exhale_ratio = o->exhale_ratio},
	            0.0, &lv->pacer) != ATT_OK) {
		fprintf(stderr, "attune: pacer rate must be 3-10 /min and exhale ratio 1-3\n");
		return 2;
	}
	lv->pacer_on = !o->no_pacer;
	return 0;
}

/* The daily guide paces at the couple's resonance rate once a resonance check found one (the
 * practice history keeps it), else at the 6 /min the file says. */
static void pace_daily_at_resonance(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	struct att_practice *p = NULL;
	char path[4096], couple[600], why[400];
	double bpm = NAN;

	att_practice_couple_name(o->name_a, o->name_b, couple, sizeof couple);
	if (o->db && o->db[0])
		snprintf(path, sizeof path, "%s", o->db);
	else if (att_practice_default_path(path, sizeof path) != ATT_OK)
		path[0] = 0;
	if (path[0] && att_practice_open(path, &p, why, sizeof why) == ATT_OK)
		bpm = att_practice_resonance_bpm(p, couple);
	att_practice_free(p);
	if (!isfinite(bpm)) {
		fprintf(stderr, "attune: the daily guide paces at 6 /min; a resonance check (--guide "
		                "resonance) finds %s's own rate\n",
		        couple);
		return;
	}
	bpm = fmin(ATT_PACER_BPM_MAX, fmax(ATT_PACER_BPM_MIN, round(bpm * 2.0) / 2.0));
	for (size_t i = 0; i < lv->guide->n; i++)
		if (lv->guide->phase[i].pacer_bpm > 0.0)
			lv->guide->phase[i].pacer_bpm = bpm;
	fprintf(stderr, "attune: the daily guide paces at %s's resonance rate, %.1f /min\n",
	        couple, bpm);
}

/* --guide: read (or refused: exit 2) before anything opens. */
static int open_guide(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	char why[400];
	double len;

	if (!o->guide)
		return 0;
	lv->guide = calloc(1, sizeof *lv->guide);
	if (!lv->guide) {
		fprintf(stderr, "attune: out of memory\n");
		return 1;
	}
	if (att_guides_find(o->guide, lv->guide, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 2;
	}
	if (!strcmp(o->guide, "daily"))
		pace_daily_at_resonance(lv);
	len = att_guide_length(lv->guide);
	if (o->duration > 0.0 && len > o->duration)
		fprintf(stderr,
		        "attune: the guide '%s' lasts %.0f:%02.0f, longer than --duration %g s: the "
		        "session ends before the guide does\n",
		        lv->guide->name, floor(len / 60.0), fmod(len, 60.0), o->duration);
	return 0;
}

/* Sound: the device only with a window (a headless run is for machines), the WAV always. */
static int open_audio(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	int device = !o->headless && !o->no_audio && !o->screenshot;
	char why[300];

	if (!o->wav && !device)
		return 0;
	if (att_audio_new(&(struct att_audio_cfg){.device = device, .wav_path = o->wav}, &lv->audio,
	                  why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	if (device && !att_audio_device_ok(lv->audio))
		fprintf(stderr, "attune: %s; continuing without sound\n",
		        att_audio_device_problem(lv->audio));
	return 0;
}

static int start(struct att_live *lv)
{
	char why[400];
	const struct att_engine *engine = att_session_engine(lv->session);

	lv->trace_cap = (size_t)(60.0 * att_engine_trace_rate(engine)) + 1;
	lv->trace_a = calloc(lv->trace_cap, sizeof(float));
	lv->trace_b = calloc(lv->trace_cap, sizeof(float));
	if (!lv->trace_a || !lv->trace_b) {
		fprintf(stderr, "attune: out of memory\n");
		return 1;
	}
	if (att_session_start(lv->session) != ATT_OK)
		return 1;
	if (lv->guide)
		att_guide_player_start(&lv->player, lv->guide, 0.0);
	/* with a guide, its first phase says the pacer's state as it begins */
	double pacer_bpm = lv->guide ? -1.0 : lv->pacer_on ? att_pacer_bpm(lv->pacer) : 0.0;
	if (lv->o->record &&
	    att_live_record_start(lv->rec, lv->session, pacer_bpm, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	return 0;
}

static int open_window(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	char why[256];

	if (att_display_open(typed, 1))
		return 1;
	if (att_view_new(
	            &(struct att_view_cfg){.name_a = o->name_a,
	                                   .name_b = o->name_b,
	                                   .width = o->width,
	                                   .height = o->height,
	                                   .fullscreen = o->fullscreen,
	                                   .show_strip = !o->no_strip,
	                                   /* ATTUNE_FONT: another TTF (tests: a missing one) */
	                                   .font_path = getenv("ATTUNE_FONT")},
	            &lv->view, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	return 0;
}

static int write_stats(struct att_live *lv, double wall_s)
{
	const struct att_source_status *st = att_session_source(lv->session);
	const struct att_snapshot *snap = att_session_snapshot(lv->session);
	struct att_live_stats_extra x = {
	        .wall_s = wall_s,
	        .renderer = lv->view ? att_view_renderer_name(lv->view) : "?",
	        .sound_device = lv->audio && att_audio_device_ok(lv->audio),
	        .sound_underflows = lv->audio ? att_audio_underflows(lv->audio) : 0ul,
	        .sound_losses = lv->audio ? att_audio_losses(lv->audio) : 0ul,
	        .sound_moves = lv->audio ? att_audio_moves(lv->audio) : 0ul,
	        .source = lv->ls.name,
	        .samples = st->samples,
	        .frames_lost = lv->ls.device ? st->samples_lost
	                       : snap        ? snap->samples_lost
	                                     : 0,
	        .t_end = att_session_t(lv->session),
	        .snapshot_t = snap ? snap->t : -1.0,
	        .markers = lv->fb.n_markers,
	        .file_markers = lv->ls.n_marks};

	att_live_record_save_stats(lv->rec, &x.saves, &x.save_ms_max);
	return att_live_stats_write(lv->stats, &x, lv->o->stats);
}

/* Everything is saved before anything closes: the recording first, the sinks at the session's
 * end, the WAV last. */
static int teardown(struct att_live *lv, int rc)
{
	if (lv->rec) {
		att_live_record_poll(lv->rec, 1);
		att_live_record_stop(lv->rec);
		att_live_record_poll(lv->rec, 1);
		if (att_live_record_failed(lv->rec))
			rc = 1;
	}
	att_osc_in_free(lv->osc_in); /* it posts to the session: gone first */
	atomic_store(&lv->room_post, NULL); /* so does the room's network thread */
	att_session_stop(lv->session);
	if (lv->session && att_session_failed_sinks(lv->session))
		rc = 1;
	att_session_free(lv->session);
	lv->session = NULL;
	att_live_record_free(lv->rec);
	att_view_free(lv->view);
	if (att_audio_free(lv->audio) != ATT_OK) {
		fprintf(stderr, "attune: cannot finish %s (disk full?); it was removed\n",
		        lv->o->wav);
		rc = 1;
	}
	att_pacer_free(lv->pacer);
	att_live_source_close(&lv->ls);
	att_live_feedback_clear(&lv->fb);
	free(lv->stats);
	free(lv->trace_a);
	free(lv->trace_b);
	free(lv->guide);
	return rc;
}

/* Refuses what cannot work, before anything opens. 0 to go on, else the exit code. */
static int check_options(const struct att_live_opts *o)
{
	const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
	const char *v = getenv("SDL_VIDEODRIVER");

	/* named once, here, before a board or simulator could blame itself */
	if (o->input && access(o->input, R_OK) != 0) {
		fprintf(stderr, "attune: %s: cannot read the recording: %s\n", o->input,
		        strerror(errno));
		return 1;
	}
	char taken[600];
	if (o->record && !o->force && att_session_taken(o->record, taken, sizeof taken)) {
		fprintf(stderr,
		        "attune: %s exists: that session is kept; choose another --record name, or "
		        "add --force to replace it\n",
		        taken);
		return 1;
	}
	if (!o->headless && !((d && *d) || (w && *w) || (v && *v))) {
		fprintf(stderr,
		        "attune: no display (DISPLAY is not set); use --headless --snapshots - "
		        "for JSON, or run under Xvfb: xvfb-run -a %s\n",
		        typed);
		return 1;
	}
	return 0;
}

static int run(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	char why[300];
	int rc;
	int64_t t0;

	if ((rc = open_guide(lv)))
		return rc;
	/* the window first: without one, nothing else (board, sound) is started for nobody */
	if (!o->headless && (rc = open_window(lv)))
		return rc;
	if (att_live_source_open(o, &lv->ls, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune: %s\n", why);
		return 1;
	}
	if (o->room && (rc = open_room(lv)))
		return rc;
	/* a device cannot be fast-forwarded: its screenshot waits --after seconds */
	lv->fast = !lv->ls.device && (o->headless ? o->speed == 0.0 : o->screenshot != NULL);
	if ((rc = open_parts(lv)) || (rc = build_session(lv)) || (rc = open_audio(lv)))
		return rc;
	if ((rc = start(lv)))
		return rc;
	t0 = att_clock_ns();
	rc = o->headless ? att_live_run_headless(lv) : att_live_run_window(lv);
	if (o->stats && !o->headless)
		rc |= write_stats(lv, (double)(att_clock_ns() - t0) / 1e9);
	return rc;
}

static int live_main(int argc, char **argv, enum att_live_mode mode,
                     const struct att_room_opts *room)
{
	struct att_live_opts o;
	struct att_live lv = {.o = &o};
	int rc = att_live_parse(argc, argv, mode, &o);

	o.room = room;
	if (rc == 3) {
		att_live_usage(stdout, mode);
		return 0;
	}
	if (room) /* argv lacks the room's own options, taken out by attune room */
		set_typed(room->argc, room->argv);
	else
		set_typed(argc, argv);
	if (rc || (rc = check_options(&o)))
		return rc;
	rc = teardown(&lv, run(&lv));
	if (!o.headless) {
		if (TTF_WasInit())
			TTF_Quit();
		SDL_Quit();
	}
	return rc;
}

int att_live_main(int argc, char **argv, enum att_live_mode mode)
{
	return live_main(argc, argv, mode, NULL);
}

int att_live_main_room(int argc, char **argv, const struct att_room_opts *room)
{
	return live_main(argc, argv, ATT_MODE_ROOM, room);
}

int att_cmd_live(int argc, char **argv)
{
	return att_live_main(argc, argv, ATT_MODE_LIVE);
}

int att_cmd_replay(int argc, char **argv)
{
	return att_live_main(argc, argv, ATT_MODE_REPLAY);
}
