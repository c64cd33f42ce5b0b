/* attune app: what the desktop launcher opens, for people who never use a terminal. The start
 * screen (who is breathing, remembered; the board, found by probing the ports, or the demo
 * couple; a guide with its length and the couple's resonance rate), the session in the live
 * view, recorded into the couple's folder and the practice history, then the end card and the
 * journal, and back to the start. Everything works with the keyboard alone and with the mouse. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "app.h"
#include "cmd.h"
#include "display.h"
#include "guides.h"
#include "practice_hook.h"
#include "attune/practice.h"
#include "attune/record_raw.h"
#include "attune/utf8.h"

#define NAME_MAX_BYTES (ATT_RAW_LABEL_MAX - 1)
#define GUIDES_MAX     16
#define COUPLES_SHOWN  8
#define PASS_MAX       32

struct app_opts {
	struct att_app_cfg cfg;
	const char *db;
	int no_audio, demo;
	char size[32];
	char **pass; /* options after --, given to the live session */
	int n_pass;
};

/* ---- the parts both screens use (app.h) ---- */

int att_app_window_open(const struct att_app_cfg *cfg, struct att_view **out)
{
	char why[256];

	*out = NULL;
	if (att_display_open(cfg->typed, 0))
		return 1;
	if (att_view_new(&(struct att_view_cfg){.name_a = "",
	                                        .name_b = "",
	                                        .width = cfg->width,
	                                        .height = cfg->height,
	                                        .fullscreen = cfg->fullscreen,
	                                        .font_path = getenv("ATTUNE_FONT")},
	                 out, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune app: %s\n", why);
		TTF_Quit();
		SDL_Quit();
		return 1;
	}
	return 0;
}

void att_app_window_close(struct att_view *view)
{
	if (!view)
		return;
	att_view_free(view);
	TTF_Quit();
	SDL_Quit();
}

void att_app_screenshot(struct att_app_cfg *cfg, struct att_view *view, const char *name)
{
	char path[1100], why[300];

	if (!cfg->shots)
		return;
	snprintf(path, sizeof path, "%.1000s/%s.png", cfg->shots, name);
	for (int k = 2; access(path, F_OK) == 0 && k < 10000; k++)
		snprintf(path, sizeof path, "%.1000s/%s-%d.png", cfg->shots, name, k);
	if (att_view_save_png(view, path, why, sizeof why) != ATT_OK)
		fprintf(stderr, "attune app: %s\n", why);
	else
		fprintf(stderr, "attune app: saved %s\n", path);
}

void att_app_text_add(char *buf, size_t cap, const char *utf8)
{
	size_t have = strlen(buf), add = strlen(utf8);

	if (have + add < cap && att_utf8_valid(utf8))
		memcpy(buf + have, utf8, add + 1);
}

void att_app_text_backspace(char *buf)
{
	size_t n = strlen(buf);

	while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		n--;
	buf[n] = 0;
}

/* ---- the start screen ---- */

struct start {
	char a[NAME_MAX_BYTES + 1], b[NAME_MAX_BYTES + 1];
	struct att_practice_couple *couples;
	size_t n_couples;
	const char *couple_names[COUPLES_SHOWN];
	char guide_title[GUIDES_MAX][160], guide_about[GUIDES_MAX][300];
	const char *titles[GUIDES_MAX], *abouts[GUIDES_MAX], *guide_arg[GUIDES_MAX];
	size_t n_guides;
	int focus, couple_sel, guide_sel;
	char note[300], board[512], board_port[256], problem[400];
	int have_board;
};

static void load_guides(struct start *s)
{
	struct att_guide *g = malloc(sizeof *g);
	char why[300];

	for (size_t i = 0; g && i < att_builtin_guides_n && s->n_guides < GUIDES_MAX - 1; i++) {
		if (att_guides_find(att_builtin_guides[i].name, g, why, sizeof why) != ATT_OK)
			continue;
		snprintf(s->guide_title[s->n_guides], sizeof s->guide_title[0],
		         "%.100s \xc2\xb7 %.0f min", g->name, att_guide_length(g) / 60.0);
		snprintf(s->guide_about[s->n_guides], sizeof s->guide_about[0], "%.280s", g->about);
		s->guide_arg[s->n_guides] = att_builtin_guides[i].name;
		s->n_guides++;
	}
	free(g);
	snprintf(s->guide_title[s->n_guides], sizeof s->guide_title[0],
	         "Free breathing \xc2\xb7 until you stop");
	snprintf(s->guide_about[s->n_guides], sizeof s->guide_about[0],
	         "no plan: the pacer and the match as you like them (q stops)");
	s->guide_arg[s->n_guides] = NULL;
	s->n_guides++;
	for (size_t i = 0; i < s->n_guides; i++) {
		s->titles[i] = s->guide_title[i];
		s->abouts[i] = s->guide_about[i];
	}
	for (size_t i = 0; i < s->n_guides; i++)
		if (s->guide_arg[i] && !strcmp(s->guide_arg[i], "daily"))
			s->guide_sel = (int)i;
}

/* The couple's resonance rate under the guides, when the history knows one. */
static void update_note(struct start *s, struct att_practice *p)
{
	char couple[600];
	double bpm;

	s->note[0] = 0;
	if (!p || !s->a[0] || !s->b[0])
		return;
	att_practice_couple_name(s->a, s->b, couple, sizeof couple);
	bpm = att_practice_resonance_bpm(p, couple);
	if (!isnan(bpm))
		snprintf(s->note, sizeof s->note,
		         "Your resonance rate: %.1f breaths a minute (the daily guide paces at it)",
		         bpm);
	else
		snprintf(s->note, sizeof s->note,
		         "No resonance rate yet: the resonance guide finds yours");
}

static void pick_couple(struct start *s, struct att_practice *p, size_t i)
{
	if (i >= s->n_couples)
		return;
	snprintf(s->a, sizeof s->a, "%s", s->couples[i].a);
	snprintf(s->b, sizeof s->b, "%s", s->couples[i].b);
	s->couple_sel = (int)i;
	update_note(s, p);
}

static int focus_step(const struct start *s, int focus, int dir)
{
	do
		focus = (focus + dir + ATT_START_ITEMS) % ATT_START_ITEMS;
	while (focus == ATT_START_COUPLES && s->n_couples == 0);
	return focus;
}

/* Leading and trailing spaces typed around a name are not part of it. */
static void trim(char *name)
{
	size_t skip = strspn(name, " "), n = strlen(name);

	while (n > skip && name[n - 1] == ' ')
		n--;
	memmove(name, name + skip, n - skip);
	name[n - skip] = 0;
}

/* Why these names cannot start a session, or NULL. */
static const char *names_problem(const struct start *s)
{
	if (!s->a[strspn(s->a, " ")] || !s->b[strspn(s->b, " ")])
		return "Type both partners' names first";
	if (strchr(s->a, ',') || strchr(s->b, ','))
		return "A name cannot hold a comma";
	return NULL;
}

enum { START_NONE, START_GO, START_QUIT };

static int start_key(struct start *s, struct att_practice *p, const SDL_KeyboardEvent *k)
{
	SDL_Keycode key = k->keysym.sym;
	char *field = s->focus == ATT_START_NAME_A ? s->a : s->focus == ATT_START_NAME_B ? s->b : NULL;
	int up = key == SDLK_UP, down = key == SDLK_DOWN;

	if (key == SDLK_ESCAPE)
		return START_QUIT;
	if (key == SDLK_TAB) {
		s->focus = focus_step(s, s->focus, (k->keysym.mod & KMOD_SHIFT) ? -1 : 1);
	} else if (key == SDLK_BACKSPACE && field) {
		att_app_text_backspace(field);
		update_note(s, p);
	} else if (key == SDLK_RETURN || key == SDLK_KP_ENTER) {
		if (s->focus == ATT_START_GUIDES || s->focus == ATT_START_GO)
			return START_GO;
		if (s->focus == ATT_START_COUPLES)
			pick_couple(s, p, (size_t)s->couple_sel);
		/* names typed, then Enter: on to the guides, not to the list that would replace them */
		s->focus = s->focus == ATT_START_NAME_A ? ATT_START_NAME_B : ATT_START_GUIDES;
	} else if ((up || down) && s->focus == ATT_START_COUPLES && s->n_couples) {
		s->couple_sel = (s->couple_sel + (down ? 1 : -1) + (int)s->n_couples) %
		                (int)s->n_couples;
		pick_couple(s, p, (size_t)s->couple_sel);
	} else if ((up || down) && s->focus == ATT_START_GUIDES) {
		s->guide_sel = (s->guide_sel + (down ? 1 : -1) + (int)s->n_guides) % (int)s->n_guides;
	} else if (up || down) {
		s->focus = focus_step(s, s->focus, down ? 1 : -1);
	}
	return START_NONE;
}

static int start_click(struct start *s, struct att_practice *p, const struct att_view_hit *hit)
{
	if (!hit)
		return START_NONE;
	s->focus = hit->item;
	if (hit->item == ATT_START_COUPLES)
		pick_couple(s, p, (size_t)hit->index);
	else if (hit->item == ATT_START_GUIDES)
		s->guide_sel = hit->index;
	return hit->item == ATT_START_GO ? START_GO : START_NONE;
}

static void start_model(const struct start *s, struct att_view_start *m)
{
	*m = (struct att_view_start){.name_a = s->a,
	                             .name_b = s->b,
	                             .focus = s->focus,
	                             .caret_on = (SDL_GetTicks() / 500) % 2 == 0,
	                             .couples = s->couple_names,
	                             .n_couples = s->n_couples,
	                             .couple_sel = s->couple_sel,
	                             .guide_title = s->titles,
	                             .guide_about = s->abouts,
	                             .n_guides = s->n_guides,
	                             .guide_sel = s->guide_sel,
	                             .note = s->note,
	                             .board = s->board,
	                             .have_board = s->have_board,
	                             .problem = s->problem};
}

/* Runs the start screen until Start (1) or quit (0). */
static int start_screen(struct app_opts *o, struct att_view *view, struct start *s,
                        struct att_practice *p, struct att_app_board *board)
{
	struct att_view_hits hits = {0};
	struct att_view_start m;
	SDL_Event ev;

	SDL_StartTextInput();
	for (;;) {
		int got, r = START_NONE;
		s->have_board = att_app_board_get(board, s->board_port, sizeof s->board_port,
		                                  s->board, sizeof s->board);
		if (!s->have_board && !o->demo && strncmp(s->board, "looking", 7))
			snprintf(s->board + strlen(s->board), sizeof s->board - strlen(s->board),
			         " \xe2\x80\x94 Start plays the demo couple");
		if (o->demo)
			snprintf(s->board, sizeof s->board, "the demo couple (--demo)");
		start_model(s, &m);
		att_view_render_start(view, &m, &hits);
		got = SDL_WaitEventTimeout(&ev, 250);
		if (got && ev.type == SDL_KEYDOWN && ev.key.keysym.sym == SDLK_F12)
			att_app_screenshot(&o->cfg, view, "start");
		att_view_present(view);
		if (!got)
			continue;
		if (ev.type == SDL_QUIT)
			r = START_QUIT;
		else if (ev.type == SDL_TEXTINPUT && s->focus <= ATT_START_NAME_B) {
			att_app_text_add(s->focus == ATT_START_NAME_A ? s->a : s->b, sizeof s->a,
			                 ev.text.text);
			update_note(s, p);
		} else if (ev.type == SDL_KEYDOWN)
			r = start_key(s, p, &ev.key);
		else if (ev.type == SDL_MOUSEBUTTONDOWN)
			r = start_click(s, p, att_view_hit_at(view, &hits, ev.button.x, ev.button.y));
		if (r == START_GO) {
			trim(s->a);
			trim(s->b);
		}
		if (r == START_GO && names_problem(s)) {
			snprintf(s->problem, sizeof s->problem, "%s", names_problem(s));
			s->focus = s->a[0] ? ATT_START_NAME_B : ATT_START_NAME_A;
			continue;
		}
		if (r != START_NONE) {
			SDL_StopTextInput();
			return r == START_GO;
		}
	}
}

/* ---- the session ---- */

/* The live view of this session (live with the board, else demo): its exit code. */
static int run_session(struct app_opts *o, const struct start *s, const char *base)
{
	char names[2 * NAME_MAX_BYTES + 2];
	char *argv[24 + PASS_MAX];
	int argc = 0, live = s->have_board && !o->demo;
	const char *guide = s->guide_arg[s->guide_sel];

	snprintf(names, sizeof names, "%s,%s", s->a, s->b);
	argv[argc++] = live ? "live" : "demo";
	argv[argc++] = "--names";
	argv[argc++] = names;
	argv[argc++] = "--record";
	argv[argc++] = (char *)base;
	argv[argc++] = "--db";
	argv[argc++] = (char *)o->db;
	if (live) {
		argv[argc++] = "--port";
		argv[argc++] = (char *)s->board_port;
	}
	if (guide) {
		argv[argc++] = "--guide";
		argv[argc++] = (char *)guide;
	}
	if (o->size[0]) {
		argv[argc++] = "--size";
		argv[argc++] = o->size;
	}
	if (o->cfg.fullscreen)
		argv[argc++] = "--fullscreen";
	if (o->no_audio)
		argv[argc++] = "--no-audio";
	for (int i = 0; i < o->n_pass; i++)
		argv[argc++] = o->pass[i];
	argv[argc] = NULL;
	return att_live_main(argc, argv, live ? ATT_MODE_LIVE : ATT_MODE_DEMO);
}

/* ---- what the session said ----
 * Started from the desktop there is no terminal: the session's stderr is passed on as it comes
 * and its last line kept, so the start screen can say why a session did not start. */

struct tee {
	int saved, rd;
	pthread_t thread;
	atomic_int stop;
	char last[400];
};

static void *tee_run(void *arg)
{
	struct tee *t = arg;
	char buf[1024], line[sizeof t->last];
	size_t n = 0;

	for (;;) {
		struct pollfd pfd = {.fd = t->rd, .events = POLLIN};
		int r = poll(&pfd, 1, 100);
		ssize_t k;
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && atomic_load(&t->stop))
			break;
		if (r <= 0 || (k = read(t->rd, buf, sizeof buf)) <= 0)
			break;
		if (write(t->saved, buf, (size_t)k) < 0) {
			/* nowhere to pass it on: the last line is still kept */
		}
		for (ssize_t i = 0; i < k; i++) {
			if (buf[i] != '\n' && n + 1 < sizeof line) {
				line[n++] = buf[i];
			} else if (buf[i] == '\n' && n) {
				line[n] = 0;
				memcpy(t->last, line, n + 1);
				n = 0;
			}
		}
	}
	return NULL;
}

/* 0 with stderr going through the tee, or -1 (stderr left as it was). */
static int tee_start(struct tee *t)
{
	int fd[2];

	memset(t, 0, sizeof *t);
	if (pipe2(fd, O_CLOEXEC) != 0)
		return -1;
	t->saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	t->rd = fd[0];
	fflush(stderr);
	if (t->saved < 0 || dup2(fd[1], 2) < 0 ||
	    pthread_create(&t->thread, NULL, tee_run, t) != 0) {
		if (t->saved >= 0) {
			dup2(t->saved, 2);
			close(t->saved);
		}
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	close(fd[1]);
	return 0;
}

static void tee_stop(struct tee *t)
{
	fflush(stderr);
	dup2(t->saved, 2);
	atomic_store(&t->stop, 1);
	pthread_join(t->thread, NULL); /* it passes on what is left in the pipe through saved */
	close(t->saved);
	close(t->rd);
}

/* ---- the command ---- */

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune app [--db PATH] [--demo] [--size WxH] [--fullscreen] [--no-audio]\n"
	        "                  [--shots DIR] [-- LIVE OPTIONS]\n"
	        "The start screen: who is breathing (remembered), the board (found by probing the\n"
	        "ports; without one the demo couple plays), a guide; then the session, recorded in\n"
	        "the couple's folder and the practice history, the end card and the journal.\n"
	        "  --db PATH      the practice database (default $ATTUNE_DB, else\n"
	        "                 ~/.local/share/attune/attune.db)\n"
	        "  --demo         the demo couple even when a board is plugged in\n"
	        "  --size WxH     window size (default 1280x800); --fullscreen\n"
	        "  --no-audio     no sound\n"
	        "  --shots DIR    F12 saves the screen shown as DIR/start.png, DIR/end.png, ...\n"
	        "  -- OPTIONS     given to the live session (see attune live --help)\n"
	        "keys: Tab next, type the names, Up/Down choose, Enter starts, Esc quits; after a\n"
	        "session: type, Tab another question, Enter saves, Esc skips.\n");
}

static int parse(int argc, char **argv, struct app_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 3;
		} else if (!strcmp(a, "--")) {
			o->pass = argv + i + 1;
			o->n_pass = argc - i - 1;
			if (o->n_pass > PASS_MAX)
				return att_usage_error("app", "at most %d options after --", PASS_MAX);
			return 0;
		} else if (!strcmp(a, "--demo")) {
			o->demo = 1;
		} else if (!strcmp(a, "--fullscreen")) {
			o->cfg.fullscreen = 1;
		} else if (!strcmp(a, "--no-audio")) {
			o->no_audio = 1;
		} else if (!strcmp(a, "--db") || !strcmp(a, "--shots") || !strcmp(a, "--size")) {
			if (!val)
				return att_usage_error("app", "%s needs a value", a);
			if (!strcmp(a, "--db"))
				o->db = val;
			else if (!strcmp(a, "--shots"))
				o->cfg.shots = val;
			else if (sscanf(val, "%dx%d", &o->cfg.width, &o->cfg.height) != 2 ||
			         o->cfg.width < 320 || o->cfg.height < 240 || o->cfg.width > 8192 ||
			         o->cfg.height > 8192)
				return att_usage_error("app", "--size needs WxH, e.g. 1280x800 (at least "
				                              "320x240)");
			else
				snprintf(o->size, sizeof o->size, "%s", val);
			i++;
		} else {
			return att_usage_error("app", "unknown option '%s'", a);
		}
	}
	return 0;
}

static void load_couples(struct start *s, struct att_practice *p)
{
	char why[300];
	int n;

	att_practice_couples_free(s->couples, s->n_couples);
	s->couples = NULL;
	s->n_couples = 0;
	n = p ? att_practice_couples(p, &s->couples, why, sizeof why) : 0;
	if (n < 0) {
		fprintf(stderr, "attune app: %s\n", why);
		return;
	}
	s->n_couples = (size_t)n < COUPLES_SHOWN ? (size_t)n : COUPLES_SHOWN;
	for (size_t i = 0; i < s->n_couples; i++)
		s->couple_names[i] = s->couples[i].name;
}

/* One round: the start screen, the session, the end card. 1 to go round again, 0 to quit, -1
 * on a failure already said. *view is the window, open or NULL: the end card's window stays
 * for the next start screen; the live session opens its own. */
static int round_trip(struct app_opts *o, struct start *s, struct att_practice **p,
                      struct att_view **view)
{
	struct att_app_board *board = NULL;
	char base[1100], json[1200], couple[600], why[400];
	struct tee tee;
	int go, rc, teed;

	if (!*view && att_app_window_open(&o->cfg, view))
		return -1;
	if (att_app_board_start(&board) != ATT_OK) {
		fprintf(stderr, "attune app: out of memory\n");
		return -1;
	}
	go = start_screen(o, *view, s, *p, board);
	att_app_board_stop(board);
	att_app_window_close(*view);
	*view = NULL;
	if (!go)
		return 0;
	s->problem[0] = 0;
	att_practice_couple_name(s->a, s->b, couple, sizeof couple);
	if (att_app_session_base(couple, base, sizeof base, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune app: %s\n", why);
		return -1;
	}
	/* the live session writes the database itself (the session-end hook) */
	att_practice_free(*p);
	*p = NULL;
	printf("%s: %s with %s, recording to %s\n", couple,
	       s->guide_arg[s->guide_sel] ? s->titles[s->guide_sel] : "free breathing",
	       s->have_board && !o->demo ? s->board_port : "the demo couple", base);
	fflush(stdout);
	teed = tee_start(&tee) == 0;
	rc = run_session(o, s, base);
	if (teed)
		tee_stop(&tee);
	snprintf(json, sizeof json, "%s.json", base);
	if (rc != 0 && access(json, F_OK) != 0)
		snprintf(s->problem, sizeof s->problem, "The session did not start: %.340s",
		         teed && tee.last[0] ? tee.last + (strncmp(tee.last, "attune: ", 8) ? 0 : 8)
		                         : "see the terminal");
	if (att_practice_open(o->db, p, why, sizeof why) != ATT_OK) {
		/* the start screen goes on without the remembered couples */
		fprintf(stderr, "attune app: %s\n", why);
		*p = NULL;
	}
	load_couples(s, *p);
	update_note(s, *p);
	if (access(json, F_OK) != 0)
		return 1;
	if (att_app_window_open(&o->cfg, view))
		return -1;
	return att_app_end_card(&o->cfg, *view, couple, json) == 0;
}

int att_cmd_app(int argc, char **argv)
{
	struct app_opts o = {0};
	struct start *s = calloc(1, sizeof *s);
	struct att_practice *p = NULL;
	struct att_view *view = NULL;
	char db[1024], why[400], typed[1024];
	int rc = parse(argc, argv, &o);

	if (!s) {
		fprintf(stderr, "attune app: out of memory\n");
		return 1;
	}
	if (rc == 0 && att_app_db_path("app", o.db, db, sizeof db))
		rc = 1;
	if (rc == 0 && att_practice_open(db, &p, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune app: %s\n", why);
		rc = 1;
	}
	if (rc) {
		free(s);
		return rc == 3 ? 0 : rc;
	}
	o.db = o.cfg.db = db;
	att_display_typed(argc, argv, typed, sizeof typed);
	o.cfg.typed = typed;
	load_guides(s);
	load_couples(s, p);
	if (s->n_couples)
		pick_couple(s, p, 0);
	s->focus = s->n_couples ? ATT_START_GUIDES : ATT_START_NAME_A;
	while ((rc = round_trip(&o, s, &p, &view)) == 1)
		;
	att_app_window_close(view);
	att_practice_couples_free(s->couples, s->n_couples);
	att_practice_free(p);
	free(s);
	return rc < 0 ? 1 : 0;
}
