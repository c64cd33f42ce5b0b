/* attune live / demo / replay: the loops (live_app.h).
 *
 * One clock: the session's signal time. In real time it follows the monotonic clock (times
 * --speed); fast-forwarding (--screenshot of a file or a generated couple, --speed 0 headless)
 * it advances 1/60 s per step without sleeping, so a screenshot after S seconds or a WAV file
 * shows exactly what a real-time session would have at S seconds. Each frame: SDL events (never
 * inside drawing), the session delivers every sample due to its sinks, the pacer and the eased
 * picture move on, the sound parameters are published, the frame is drawn and presented.
 * Nothing in a frame blocks on I/O; nothing allocates per sample. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/clock.h"
#include "guides.h"
#include "live_app.h"

#define STEP_S 1.0 / 60.0
#define SEEK_S 10.0

/* SIGINT/SIGTERM in headless mode: the one piece of process-wide state, as signals require. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_t(const struct att_live *lv)
{
	return att_session_t(lv->session);
}

static void say(struct att_live *lv, const char *msg)
{
	att_live_say(&lv->fb, now_t(lv), msg);
}

/* The sound device's state said once per change, and the parameters handed to the sound. */
static void update_sound(struct att_live *lv)
{
	const struct att_snapshot *snap = att_session_snapshot(lv->session);
	struct att_sonify_params *p = &lv->fb.sound;
	struct att_pacer_state ps;

	att_pacer_at(lv->pacer, now_t(lv), &ps);
	p->pacer_on = lv->pacer_on;
	p->pacer_level = (float)ps.level;
	/* a phase without feedback: the drone rests (NAN), the pacer's tone goes on */
	p->match = snap && !lv->feedback_hidden ? (float)snap->match : NAN;
	if (!lv->audio)
		return;
	if (!att_audio_device_ok(lv->audio) && !lv->sound_lost && att_audio_losses(lv->audio)) {
		const char *why = att_audio_device_problem(lv->audio);
		fprintf(stderr, "attune: sound stopped (%s); trying again every few seconds\n",
		        why ? why : "the sound device stopped");
		say(lv, "sound stopped \xe2\x80\x94 trying again; the session goes on");
		lv->sound_lost = 1;
	} else if (att_audio_device_ok(lv->audio) && lv->sound_lost) {
		fprintf(stderr, "attune: sound is back\n");
		say(lv, "sound is back");
		lv->sound_lost = 0;
	}
	att_audio_publish(lv->audio, p);
	if (att_audio_wav_until(lv->audio, now_t(lv), p) != ATT_OK && !lv->io_failed) {
		fprintf(stderr, "attune: cannot write %s (disk full?)\n", lv->o->wav);
		lv->io_failed = 1;
	}
}

static void pacer_event(struct att_live *lv, double bpm);
static void apply_guide_ctl(struct att_live *lv);

/* A new phase of the guide: said to every sink (phase event, pacer change), the pacer set
 * (it glides to the new rate: the disc never jumps), the feedback shown or hidden, a soft
 * chime. */
static void enter_phase(struct att_live *lv, const struct att_guide_state *gs)
{
	const struct att_guide_phase *ph = &lv->guide->phase[gs->phase];
	double t = now_t(lv);
	char buf[160];

	if (!lv->guide_announced) /* recordings and the practice history know the guide by name */
		att_session_event(lv->session, ATT_EV_GUIDE, ATT_GUIDE_BEGAN, lv->guide->name);
	lv->guide_announced = 1;
	att_session_event(lv->session, ATT_EV_PHASE, (double)gs->phase, ph->name);
	if (lv->room_observer && !lv->guide_start_sent) { /* the partners follow from here */
		lv->guide_start_sent = 1;
		att_session_event(lv->session, ATT_EV_GUIDE, ATT_GUIDE_CTL_START, lv->o->guide);
	}
	lv->pacer_on = ph->pacer_bpm > 0.0;
	if (lv->pacer_on) {
		att_pacer_set_bpm(lv->pacer, t, ph->pacer_bpm);
		att_pacer_set_exhale_ratio(lv->pacer, t, ph->exhale_ratio);
	}
	pacer_event(lv, lv->pacer_on ? ph->pacer_bpm : 0.0);
	lv->feedback_hidden = !ph->feedback;
	lv->fb.cues_hidden = !ph->feedback;
	lv->fb.sound.chime_seq++;
	lv->fb.sound.chime_up = 1;
	snprintf(buf, sizeof buf, "%.60s", ph->name);
	att_live_say(&lv->fb, t, buf);
}

/* Follows the guide to signal time t; 1 once it is over. */
static int guide_step_at(struct att_live *lv, double t)
{
	struct att_guide_state *gs = &lv->guide_at;

	if (!lv->guide)
		return 0;
	if (att_guide_player_at(&lv->player, t, gs)) {
		if (!gs->done) {
			enter_phase(lv, gs);
		} else {
			att_session_event(lv->session, ATT_EV_NOTE, 0.0, ATT_GUIDE_END_NOTE);
			lv->feedback_hidden = lv->fb.cues_hidden = 0;
			att_live_say(&lv->fb, now_t(lv), "the guide is finished");
		}
	}
	return gs->done;
}

/* Within half a sample before a boundary already entered, the guide stays in the new phase. */
static int guide_step(struct att_live *lv)
{
	double t = now_t(lv), half = 0.5 / att_session_source(lv->session)->rate_hz;

	return guide_step_at(lv, t < lv->guide_boundary_t && t >= lv->guide_boundary_t - half
	                                 ? lv->guide_boundary_t
	                                 : t);
}

/* Moves the session on: to signal time `to` (fast-forward), or where the clock says (to < 0),
 * never past limit. A guide's phase boundary on the way is stopped at exactly, so its events
 * and pacer change fall just before the phase's first sample (due at the boundary itself), not
 * on the next frame. */
static void advance(struct att_live *lv, double to, double limit)
{
	double boundary = lv->guide ? att_guide_player_next(&lv->player) : INFINITY;
	double edge = boundary - 0.5 / att_session_source(lv->session)->rate_hz;

	if (boundary <= now_t(lv)) { /* the first phase, before any sample */
		guide_step(lv);
		boundary = att_guide_player_next(&lv->player);
		edge = boundary - 0.5 / att_session_source(lv->session)->rate_hz;
	}
	if (boundary <= limit && (to < 0.0 || edge <= to)) {
		if (to < 0.0 && edge > now_t(lv))
			att_session_tick_until(lv->session, edge);
		else if (edge > now_t(lv))
			att_session_advance_to(lv->session, edge);
		if (now_t(lv) >= edge) {
			lv->guide_boundary_t = boundary;
			guide_step(lv);
		}
	}
	if (to < 0.0)
		att_session_tick_until(lv->session, limit);
	else
		att_session_advance_to(lv->session, fmin(to, limit));
}

/* After the session moved on by dt: the picture, a recording that stopped by itself, sound. */
static void after_drain(struct att_live *lv, double dt)
{
	const char *problem = att_live_record_problem(lv->rec);

	if (problem) {
		fprintf(stderr, "attune: %s\n", problem);
		say(lv, problem);
	}
	if (lv->n_guide_ctl)
		apply_guide_ctl(lv);
	guide_step(lv);
	att_live_feedback_ease(&lv->fb, att_session_snapshot(lv->session), now_t(lv), dt);
	update_sound(lv);
}

static void pacer_event(struct att_live *lv, double bpm)
{
	att_session_event(lv->session, ATT_EV_PACER, bpm, NULL);
}

static void act_pacer(struct att_live *lv, enum att_view_action a)
{
	char buf[96];
	double bpm = att_pacer_bpm(lv->pacer);

	if (a == ATT_VIEW_PACER_TOGGLE) {
		lv->pacer_on = !lv->pacer_on;
		pacer_event(lv, lv->pacer_on ? bpm : 0.0);
		say(lv,
		    lv->pacer_on ? "pacer on" : "pacer off \xe2\x80\x94 breathe at your own pace");
		return;
	}
	bpm += a == ATT_VIEW_PACER_FASTER ? ATT_PACER_BPM_STEP : -ATT_PACER_BPM_STEP;
	if (att_pacer_set_bpm(lv->pacer, now_t(lv), bpm) == ATT_OK) {
		snprintf(buf, sizeof buf, "pacer %.1f breaths per minute", bpm);
		if (lv->pacer_on)
			pacer_event(lv, bpm);
	} else {
		snprintf(buf, sizeof buf,
		         "pacer stays at %.1f (range 3\xe2\x80\x93"
		         "10 /min)",
		         att_pacer_bpm(lv->pacer));
	}
	say(lv, buf);
}

static void act_record(struct att_live *lv)
{
	char why[400], buf[96];

	if (att_live_record_on(lv->rec)) {
		if (att_live_record_stop(lv->rec))
			say(lv, "stopping after the last session is saved\xe2\x80\xa6");
		else {
			const char *base = att_live_record_base(lv->rec),
			           *name = strrchr(base, '/');
			snprintf(buf, sizeof buf, "saving %.60s\xe2\x80\xa6",
			         name ? name + 1 : base);
			say(lv, buf);
		}
	} else if (att_live_record_start(lv->rec, lv->session,
	                                 lv->pacer_on ? att_pacer_bpm(lv->pacer) : 0.0, why,
	                                 sizeof why) == ATT_OK) {
		snprintf(buf, sizeof buf, "recording to %.60s", att_live_record_base(lv->rec));
		say(lv, buf);
	} else {
		say(lv, why);
	}
}

static void act_guide(struct att_live *lv, enum att_view_action a)
{
	if (!lv->guide) {
		say(lv, "no guide in this session (--guide NAME)");
		return;
	}
	if (a == ATT_VIEW_GUIDE_PAUSE) {
		att_guide_player_pause(&lv->player, now_t(lv), !lv->guide_at.paused);
		lv->guide_at.paused = !lv->guide_at.paused;
		say(lv, lv->guide_at.paused ? "guide paused (g resumes)" : "guide goes on");
	} else if (a == ATT_VIEW_GUIDE_SKIP) {
		att_guide_player_skip(&lv->player, now_t(lv));
	} else {
		att_guide_player_back(&lv->player, now_t(lv));
	}
	if (lv->room_observer) /* the room's sink takes it to the partners */
		att_session_event(lv->session, ATT_EV_GUIDE,
		                  a == ATT_VIEW_GUIDE_PAUSE ? (lv->guide_at.paused ? ATT_GUIDE_CTL_PAUSE
		                                                                   : ATT_GUIDE_CTL_RESUME)
		                  : a == ATT_VIEW_GUIDE_SKIP ? ATT_GUIDE_CTL_SKIP
		                                             : ATT_GUIDE_CTL_BACK,
		                  lv->o->guide);
}

/* attune room, a partner: the observer's guide control, as its room delivered it. A guide is
 * started by name (a built-in one; a partner without it says so); the others act on the guide
 * followed, as the keys g, n and b do. */
static void apply_guide_ctl(struct att_live *lv)
{
	char why[300], buf[160];

	for (int i = 0; i < lv->n_guide_ctl; i++) {
		int c = lv->guide_ctl[i].control;
		const char *name = lv->guide_ctl[i].name;
		if (c == ATT_GUIDE_CTL_START) {
			struct att_guide *g = calloc(1, sizeof *g);
			if (!g || att_guides_find(name, g, why, sizeof why) != ATT_OK) {
				snprintf(buf, sizeof buf, "cannot follow the therapist's guide: %.100s",
				         g ? why : "out of memory");
				fprintf(stderr, "attune: %s\n", buf);
				say(lv, buf);
				free(g);
				continue;
			}
			free(lv->guide);
			lv->guide = g;
			memset(&lv->player, 0, sizeof lv->player);
			memset(&lv->guide_at, 0, sizeof lv->guide_at);
			lv->guide_boundary_t = 0.0;
			att_guide_player_start(&lv->player, lv->guide, now_t(lv));
		} else if (!lv->guide) {
			continue;
		} else if (c == ATT_GUIDE_CTL_PAUSE || c == ATT_GUIDE_CTL_RESUME) {
			int paused = c == ATT_GUIDE_CTL_PAUSE;
			if (paused != lv->guide_at.paused) {
				att_guide_player_pause(&lv->player, now_t(lv), paused);
				lv->guide_at.paused = paused;
				say(lv, paused ? "the therapist paused the guide" : "the guide goes on");
			}
		} else if (c == ATT_GUIDE_CTL_SKIP) {
			att_guide_player_skip(&lv->player, now_t(lv));
		} else if (c == ATT_GUIDE_CTL_BACK) {
			att_guide_player_back(&lv->player, now_t(lv));
		}
	}
	lv->n_guide_ctl = 0;
}

static void act(struct att_live *lv, enum att_view_action a, int *quit)
{
	switch (a) {
	case ATT_VIEW_QUIT:
		*quit = 1;
		break;
	case ATT_VIEW_MARKER:
		/* value: the session time, as the marker's place on the timeline */
		att_session_event(lv->session, ATT_EV_MARKER, now_t(lv), NULL);
		break;
	case ATT_VIEW_PACER_TOGGLE:
	case ATT_VIEW_PACER_FASTER:
	case ATT_VIEW_PACER_SLOWER:
		act_pacer(lv, a);
		break;
	case ATT_VIEW_EXHALE_TOGGLE: {
		double r = att_pacer_exhale_ratio(lv->pacer) > 1.0 ? 1.0 : 2.0;
		att_pacer_set_exhale_ratio(lv->pacer, now_t(lv), r);
		say(lv, r > 1.0 ? "longer exhale (1:2)" : "equal inhale and exhale");
		break;
	}
	case ATT_VIEW_RECORD:
		act_record(lv);
		break;
	case ATT_VIEW_GUIDE_PAUSE:
	case ATT_VIEW_GUIDE_SKIP:
	case ATT_VIEW_GUIDE_BACK:
		act_guide(lv, a);
		break;
	case ATT_VIEW_MUTE:
		lv->fb.sound.muted = !lv->fb.sound.muted;
		say(lv, lv->fb.sound.muted ? "muted" : "sound on");
		break;
	default:
		break;
	}
}

/* Replay keys, taken before the view's: space or k pause, left/right seek. 1 when handled. */
static int replay_key(struct att_live *lv, const SDL_Event *e)
{
	char buf[64];
	long sec;
	double to;

	if (lv->o->mode != ATT_MODE_REPLAY || !lv->ls.file || e->type != SDL_KEYDOWN)
		return 0;
	switch (e->key.keysym.sym) {
	case SDLK_SPACE:
	case SDLK_k:
		att_session_pause(lv->session, !att_session_paused(lv->session));
		say(lv,
		    att_session_paused(lv->session) ? "paused (space or k resumes)" : "playing");
		return 1;
	case SDLK_LEFT:
	case SDLK_RIGHT:
		to = now_t(lv) + (e->key.keysym.sym == SDLK_RIGHT ? SEEK_S : -SEEK_S);
		if (att_session_seek(lv->session, to < 0.0 ? 0.0 : to) != ATT_OK) {
			say(lv, "cannot seek here");
			return 1;
		}
		att_live_feedback_seek(&lv->fb, now_t(lv));
		sec = (long)now_t(lv);
		snprintf(buf, sizeof buf, "at %ld:%02ld", sec / 60, sec % 60);
		say(lv, buf);
		return 1;
	default:
		return 0;
	}
}

static void fill_status(struct att_live *lv, struct att_view_model *m)
{
	const struct att_source_status *st = att_session_source(lv->session);
	const struct att_snapshot *snap = att_session_snapshot(lv->session);

	m->source = lv->ls.name;
	m->rate_hz = st->rate_hz;
	m->frames_lost = lv->ls.device ? st->samples_lost : snap ? snap->samples_lost : 0;
	m->reconnecting = st->state == ATT_SOURCE_RECONNECTING;
	m->ended = att_session_ended(lv->session);
	m->replay = lv->o->mode == ATT_MODE_REPLAY && lv->ls.file;
	m->recording = lv->ls.file ? -1 : att_live_record_on(lv->rec);
	m->muted = lv->fb.sound.muted;
	m->audio_ok = lv->audio && att_audio_device_ok(lv->audio);
	m->audio_off = lv->o->no_audio || lv->o->screenshot;
	m->audio_lost = lv->sound_lost;
	m->stage = att_live_source_stage(&lv->ls, snap ? snap->t : 0.0);
	m->notice = lv->fb.notice;
}

static void fill_guide(const struct att_live *lv, struct att_view_model *m)
{
	const struct att_guide_state *gs = &lv->guide_at;

	m->feedback_hidden = lv->feedback_hidden;
	if (!lv->guide)
		return;
	m->guide_name = lv->guide->name;
	m->guide_n = lv->guide->n;
	m->guide_index = gs->phase;
	m->guide_phase = gs->done ? "" : lv->guide->phase[gs->phase].name;
	m->guide_say = gs->done ? NULL : lv->guide->phase[gs->phase].say;
	m->guide_phase_left = gs->phase_left;
	m->guide_left = gs->left;
	m->guide_paused = gs->paused;
}

static void fill_model(struct att_live *lv, struct att_view_model *m)
{
	const struct att_snapshot *snap = att_session_snapshot(lv->session);
	const struct att_engine *engine = att_session_engine(lv->session);

	memset(m, 0, sizeof *m);
	m->t = now_t(lv);
	m->have_snapshot = snap != NULL;
	if (snap)
		m->snap = *snap;
	m->match_smooth = lv->fb.match_smooth;
	m->together_s = lv->fb.together_s;
	m->pacer_on = lv->pacer_on;
	att_pacer_at(lv->pacer, m->t, &m->pacer);
	m->pacer_bpm = att_pacer_bpm(lv->pacer);
	m->exhale_ratio = att_pacer_exhale_ratio(lv->pacer);
	fill_status(lv, m);
	m->trace_n = att_engine_breath_trace(engine, 0, lv->trace_a, lv->trace_cap);
	att_engine_breath_trace(engine, 1, lv->trace_b, m->trace_n);
	m->trace_a = lv->trace_a;
	m->trace_b = lv->trace_b;
	m->trace_rate = att_engine_trace_rate(engine);
	m->hist_match = lv->fb.hist_match;
	m->hist_chance = lv->fb.hist_chance;
	m->hist_hr_a = lv->fb.hist_hr_a;
	m->hist_hr_b = lv->fb.hist_hr_b;
	m->hist_n = lv->fb.hist_n;
	m->hist_dt = ATT_FEEDBACK_HIST_DT;
	m->markers = lv->fb.markers;
	m->n_markers = lv->fb.n_markers;
	fill_guide(lv, m);
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

/* Keys of the tests (--keys-at, --press) through the same event path as real key presses. */
static void scripted_keys(struct att_live *lv, int64_t elapsed_ns, int *pressed)
{
	struct att_live_opts *o = lv->o;

	for (int k = 0; k < o->n_keys_at; k++)
		if (o->keys_at_t[k] >= 0.0 && (double)elapsed_ns / 1e9 >= o->keys_at_t[k]) {
			push_keys(o->keys_at[k]);
			o->keys_at_t[k] = -1.0; /* once */
		}
	if (o->screenshot && !*pressed && o->press && now_t(lv) >= o->after - 0.25) {
		push_keys(o->press);
		*pressed = 1;
	}
}

/* Events, then the session moves on. Returns when the samples were drained. */
static int64_t step(struct att_live *lv, int *quit)
{
	SDL_Event e;
	double prev = now_t(lv);
	int64_t drain_ns;

	while (SDL_PollEvent(&e))
		if (!replay_key(lv, &e))
			act(lv, att_view_event(lv->view, &e), quit);
	att_live_record_poll(lv->rec, 0);
	drain_ns = att_clock_ns();
	advance(lv, lv->fast ? prev + STEP_S : -1.0, INFINITY);
	after_drain(lv, now_t(lv) - prev);
	return drain_ns;
}

static int draw(struct att_live *lv, struct att_view_model *model, int *quit)
{
	const struct att_live_opts *o = lv->o;
	char why[256];
	int rc = 0;

	fill_model(lv, model);
	att_view_render(lv->view, model);
	if (o->screenshot && now_t(lv) >= o->after - 1e-9) {
		if (att_view_save_png(lv->view, o->screenshot, why, sizeof why) != ATT_OK) {
			fprintf(stderr, "attune: %s\n", why);
			rc = 1;
		}
		*quit = 1;
	}
	return rc;
}

/* Quitting with a recording: it is closed and saved while the view still shows "saving". */
static void save_on_quit(struct att_live *lv, struct att_view_model *model)
{
	if (att_live_record_on(lv->rec))
		act_record(lv);
	while (att_live_record_poll(lv->rec, 0)) {
		SDL_Event e;
		while (SDL_PollEvent(&e))
			; /* already quitting; a second close request changes nothing */
		fill_model(lv, model);
		att_view_render(lv->view, model);
		att_view_present(lv->view);
		att_clock_sleep_until(att_clock_ns() + (int64_t)(STEP_S * 1e9));
	}
}

int att_live_run_window(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	int quit = 0, pressed = 0, rc = 0;
	int64_t t0 = att_clock_ns(), next = t0;
	struct att_view_model *model = calloc(1, sizeof *model);

	if (!model) {
		fprintf(stderr, "attune: out of memory\n");
		return 1;
	}
	while (!quit) {
		int64_t start = att_clock_ns(), drain_ns, drawn_ns, done;
		drain_ns = step(lv, &quit);
		scripted_keys(lv, start - t0, &pressed);
		if (o->duration > 0.0 && now_t(lv) >= o->duration)
			quit = 1;
		if (lv->fast && now_t(lv) < o->after - 1e-9)
			continue; /* fast-forward: only the picture at --after is drawn */
		rc |= draw(lv, model, &quit);
		drawn_ns = att_clock_ns();
		att_view_present(lv->view);
		if (lv->fast)
			continue;
		done = att_clock_ns();
		att_live_stats_frame(lv->stats, start, drawn_ns, drain_ns, done,
		                     att_live_record_saving(lv->rec));
		/* a steady 60 fps cap; after a stall, restart the cadence instead of racing */
		next += (int64_t)(STEP_S * 1e9);
		if (next < done)
			next = done;
		att_clock_sleep_until(next);
	}
	save_on_quit(lv, model);
	free(model);
	return rc;
}

/* --keys-at without a window: the guide's keys (g, n, b) and the marker (_), acted on as the
 * view maps them; other keys mean nothing headless. */
static void scripted_keys_headless(struct att_live *lv, int64_t elapsed_ns)
{
	struct att_live_opts *o = lv->o;
	int quit = 0;

	for (int k = 0; k < o->n_keys_at; k++)
		if (o->keys_at_t[k] >= 0.0 && (double)elapsed_ns / 1e9 >= o->keys_at_t[k]) {
			for (const char *c = o->keys_at[k]; *c; c++)
				act(lv,
				    *c == 'g'   ? ATT_VIEW_GUIDE_PAUSE
				    : *c == 'n' ? ATT_VIEW_GUIDE_SKIP
				    : *c == 'b' ? ATT_VIEW_GUIDE_BACK
				    : *c == '_' ? ATT_VIEW_MARKER
				                : ATT_VIEW_NONE,
				    &quit);
			o->keys_at_t[k] = -1.0; /* once */
		}
}

int att_live_run_headless(struct att_live *lv)
{
	const struct att_live_opts *o = lv->o;
	struct sigaction sa;
	int64_t t0 = att_clock_ns();

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_requested && !att_session_ended(lv->session) && !lv->io_failed &&
	       !att_session_failed_sinks(lv->session)) {
		double prev = now_t(lv), limit = o->duration > 0.0 ? o->duration : INFINITY;
		if (!lv->fast) /* snapshots come at 10 Hz */
			att_clock_sleep_until(att_clock_ns() + 10000000);
		advance(lv, lv->fast ? fmin(prev + STEP_S, limit) : -1.0, limit);
		after_drain(lv, now_t(lv) - prev);
		scripted_keys_headless(lv, att_clock_ns() - t0);
		if (o->duration > 0.0 && now_t(lv) >= o->duration)
			break;
		if (o->guide && o->duration <= 0.0 && lv->guide_at.done)
			break; /* a guided session without --duration ends with its guide */
	}
	return lv->io_failed || att_session_failed_sinks(lv->session) ? 1 : 0;
}
