/* attune app's end card (app.h): the session just recorded beside the couple's recent ones, read
 * back from the practice database (so it shows what the history will show), then a reflection
 * written into the journal. Questions are attune's own; Tab offers another. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>

#include "app.h"
#include "practice_hook.h"
#include "attune/practice.h"

static const char *const prompts[] = {
        "What did you notice in your body while you breathed together?",
        "When did you feel closest to each other, and what helped?",
        "When your breaths drifted apart, how did you find each other again?",
        "What do you need right now, from yourself or from your partner?",
        "What is one small thing you would like to bring into tomorrow?",
};
#define N_PROMPTS (sizeof prompts / sizeof prompts[0])
#define LINE      320

struct card {
	char title[LINE], line[6][LINE], saved[LINE + 80];
	const char *lines[6];
	size_t n;
	int64_t session_id;
};

static const char *ordinal(long n)
{
	long t = n % 100;
	if (t >= 11 && t <= 13)
		return "th";
	return n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
}

static void iso_week(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(buf, len, "%G-W%V", &tm);
}

static void add(struct card *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct card *c, const char *fmt, ...)
{
	va_list ap;
	if (c->n >= sizeof c->line / sizeof c->line[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->line[c->n], LINE, fmt, ap);
	va_end(ap);
	c->lines[c->n] = c->line[c->n];
	c->n++;
}

/* The session's own figures: together, how long, which guide, rates. */
static void this_session(struct card *c, const struct att_history_session *s)
{
	char what[LINE] = "", rates[LINE] = "";

	if (!isnan(s->matched_fraction) && !isnan(s->pseudo_matched_fraction))
		add(c, "Together %.0f %% of the time \xc2\xb7 %.0f %% for partners who never met, same "
		       "guide", 100.0 * s->matched_fraction, 100.0 * s->pseudo_matched_fraction);
	else if (!isnan(s->matched_fraction))
		add(c, "Together %.0f %% of the time", 100.0 * s->matched_fraction);
	else
		add(c, "Too short to say how together you were");
	if (s->duration_s >= 60.0)
		snprintf(what, sizeof what, "%.0f min", s->duration_s / 60.0);
	else
		snprintf(what, sizeof what, "%.0f s", s->duration_s);
	if (!isnan(s->a_breath_rate_bpm) && !isnan(s->b_breath_rate_bpm))
		snprintf(rates, sizeof rates, " \xc2\xb7 breathing %.1f and %.1f a minute",
		         s->a_breath_rate_bpm, s->b_breath_rate_bpm);
	add(c, "%s \xc2\xb7 %.100s%s", what, s->guide ? s->guide : "free breathing", rates);
	if (!isnan(s->a_heart_rate_bpm) && !isnan(s->b_heart_rate_bpm))
		add(c, "hearts %.0f and %.0f beats a minute", s->a_heart_rate_bpm, s->b_heart_rate_bpm);
}

/* This week beside the last: "4th session this week · last week together 48 % of the time". */
static void the_weeks(struct card *c, const struct att_history *h, int64_t now)
{
	char this_w[16], last_w[16], last[LINE] = " \xc2\xb7 no sessions last week";
	size_t n_this = 0;

	iso_week(now, this_w, sizeof this_w);
	iso_week(now - 7 * 86400, last_w, sizeof last_w);
	for (size_t i = 0; i < h->n_weeks; i++) {
		const struct att_history_week *w = &h->weeks[i];
		if (!strcmp(w->week, this_w))
			n_this = w->sessions;
		else if (!strcmp(w->week, last_w) && !isnan(w->matched_fraction))
			snprintf(last, sizeof last, " \xc2\xb7 last week together %.0f %% of the time",
			         100.0 * w->matched_fraction);
		else if (!strcmp(w->week, last_w))
			snprintf(last, sizeof last, " \xc2\xb7 %zu last week", w->sessions);
	}
	if (n_this)
		add(c, "%zu%s session this week%s", n_this, ordinal((long)n_this), last);
	if (h->streak_days >= 2)
		add(c, "%d days in a row", h->streak_days);
}

/* Reads the session back from the database. session_id stays 0 when it is not there (the
 * card then says so: the files are kept either way). */
static void summarize(struct card *c, const char *db, const char *couple, const char *json_path)
{
	struct att_practice *p = NULL;
	struct att_history *h = NULL;
	char why[400], real[PATH_MAX];
	int64_t now = att_app_now();
	const struct att_history_session *s = NULL;

	snprintf(c->title, sizeof c->title, "%.250s", couple);
	if (!realpath(json_path, real)) {
		add(c, "The session was not recorded");
		return;
	}
	if (att_practice_open(db, &p, why, sizeof why) == ATT_OK &&
	    att_practice_history(p, couple, now, &h, why, sizeof why) == ATT_OK) {
		for (size_t i = h->n_sessions; i-- > 0 && !s;)
			if (h->sessions[i].files[3] && !strcmp(h->sessions[i].files[3], real))
				s = &h->sessions[i];
	}
	if (s) {
		c->session_id = s->id;
		this_session(c, s);
		the_weeks(c, h, now);
	} else {
		add(c, "Recorded, but not in the practice history");
		add(c, "%.300s", why);
	}
	att_history_free(h);
	att_practice_free(p);
}

static int save(struct card *c, const char *db, int prompt, const char *text)
{
	struct att_practice *p = NULL;
	char why[400], entry[ATT_VIEW_JOURNAL_MAX + 200];
	int rc;

	snprintf(entry, sizeof entry, "%s\n%s", prompts[prompt], text);
	rc = att_practice_open(db, &p, why, sizeof why);
	if (rc == ATT_OK)
		rc = att_practice_journal_add(p, c->session_id, att_app_now(), entry, why, sizeof why);
	att_practice_free(p);
	if (rc == ATT_OK)
		snprintf(c->saved, sizeof c->saved, "Saved in your journal.");
	else
		snprintf(c->saved, sizeof c->saved, "Not saved (%.300s): your words are below.", why);
	return rc;
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\n")] == 0;
}

int att_app_end_card(struct att_app_cfg *cfg, struct att_view *view, const char *couple,
                     const char *json_path)
{
	struct card c = {0};
	struct att_view_hits hits = {0};
	char text[ATT_VIEW_JOURNAL_MAX] = "";
	int prompt = (int)(att_app_now() / 86400 % (int64_t)N_PROMPTS), done = 0;
	SDL_Event ev;

	summarize(&c, cfg->db, couple, json_path);
	/* the card's words on stdout too: a log of what was shown, for whoever started it */
	printf("%s\n", c.title);
	for (size_t i = 0; i < c.n; i++)
		printf("  %s\n", c.lines[i]);
	fflush(stdout);
	if (!c.session_id) {
		snprintf(c.saved, sizeof c.saved, "No reflection without a session in the history.");
		done = 1;
	}
	SDL_StartTextInput();
	for (;;) {
		struct att_view_end m = {.title = c.title,
		                         .n_lines = c.n,
		                         .prompt = prompts[prompt],
		                         .text = text,
		                         .caret_on = (SDL_GetTicks() / 500) % 2 == 0,
		                         .saved = done ? c.saved : NULL};
		int act = 0;
		memcpy(m.lines, c.lines, sizeof c.lines);
		att_view_render_end(view, &m, &hits);
		if (!SDL_WaitEventTimeout(&ev, 250)) {
			att_view_present(view);
			continue;
		}
		if (ev.type == SDL_KEYDOWN && ev.key.keysym.sym == SDLK_F12)
			att_app_screenshot(cfg, view, "end");
		att_view_present(view);
		if (ev.type == SDL_QUIT)
			return 1;
		if (done) {
			if ((ev.type == SDL_KEYDOWN && (ev.key.keysym.sym == SDLK_RETURN ||
			                                ev.key.keysym.sym == SDLK_KP_ENTER ||
			                                ev.key.keysym.sym == SDLK_ESCAPE)) ||
			    ev.type == SDL_MOUSEBUTTONDOWN)
				break;
			continue;
		}
		if (ev.type == SDL_TEXTINPUT) {
			att_app_text_add(text, sizeof text, ev.text.text);
		} else if (ev.type == SDL_KEYDOWN) {
			SDL_Keycode k = ev.key.keysym.sym;
			if (k == SDLK_BACKSPACE)
				att_app_text_backspace(text);
			else if (k == SDLK_TAB)
				prompt = (prompt + 1) % (int)N_PROMPTS;
			else if ((k == SDLK_RETURN || k == SDLK_KP_ENTER) &&
			         (ev.key.keysym.mod & KMOD_SHIFT))
				att_app_text_add(text, sizeof text, "\n");
			else if (k == SDLK_RETURN || k == SDLK_KP_ENTER)
				act = ATT_END_SAVE;
			else if (k == SDLK_ESCAPE)
				act = ATT_END_SKIP;
		} else if (ev.type == SDL_MOUSEBUTTONDOWN) {
			const struct att_view_hit *hit =
			        att_view_hit_at(view, &hits, ev.button.x, ev.button.y);
			act = hit ? hit->item : 0;
		}
		if (act == ATT_END_SKIP) {
			snprintf(c.saved, sizeof c.saved, "Nothing written this time.");
			done = 1;
		} else if (act == ATT_END_SAVE && blank(text)) {
			snprintf(c.saved, sizeof c.saved, "Nothing written this time.");
			done = 1;
		} else if (act == ATT_END_SAVE) {
			done = save(&c, cfg->db, prompt, text) == ATT_OK;
			if (!done)
				add(&c, "%s", c.saved);
		}
	}
	SDL_StopTextInput();
	return 0;
}
