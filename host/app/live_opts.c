/* attune live / demo / replay: the command line (see live_opts.h). */
#include "live_opts.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "attune/pacer.h"
#include "attune/sonify.h"
#include "attune/utf8.h"

const struct att_live_script att_live_scripts[ATT_LIVE_SCRIPTS] = {
        {"story", ATT_COUPLE_STORY, "generated couple (story)"},
        {"in-phase", ATT_COUPLE_IN_PHASE, "generated couple (in phase)"},
        {"anti-phase", ATT_COUPLE_ANTI_PHASE, "generated couple (anti-phase)"},
        {"independent", ATT_COUPLE_INDEPENDENT, "generated couple (independent)"},
        {"switch", ATT_COUPLE_SWITCH, "generated couple (switch)"},
};

void att_live_usage(FILE *to, enum att_live_mode mode)
{
	if (mode == ATT_MODE_REPLAY)
		fprintf(to,
		        "usage: attune replay FILE [--speed X] [live options]\n"
		        "  Plays a recording (CSV, EDF+ or raw capture) through the live view with\n"
		        "  sound, at X times real time (default 1), with its markers.\n"
		        "  Keys: space or k pause/resume, left/right seek 10 s back/forward.\n\n");
	else if (mode == ATT_MODE_DEMO)
		fprintf(to,
		        "usage: attune demo [--input CSV] [--screenshot PNG --after S] "
		        "[--audio-wav WAV] [--no-audio] [live options]\n"
		        "  Plays a generated couple (breathing on their own, following the pacer,\n"
		        "  locking in, one drifting, together again) or a recording through the live\n"
		        "  view with sound. No hardware needed.\n\n");
	else if (mode == ATT_MODE_ROOM)
		fprintf(to, "live options (attune room passes them on; no --input or --synthetic):\n\n");
	else
		fprintf(to, "usage: attune live (--port PATH | --input CSV | --synthetic SCRIPT) "
		            "[options]\n\n");
	fprintf(to,
	        "source:\n"
	        "  --port PATH          a device or the simulated board's pty\n"
	        "  --input CSV          a recording (columns t,a_resp,a_ppg,b_resp,b_ppg)\n"
	        "  --speed X            playback speed of --input (default 1; 0 = as fast as possible;\n"
	        "                       the demo's simulated board up to 10, faster in-process)\n"
	        "  --synthetic SCRIPT   a generated couple: story, in-phase, anti-phase, independent,\n"
	        "                       switch\n"
	        "  --rate HZ            sample rate of the generated couple (default 250), or rate to\n"
	        "                       set on the device (default: the device's)\n"
	        "  --seed N             seed of the generated couple (default 1)\n"
	        "  --duration S         stop after S seconds of session\n"
	        "  --record DIR/NAME    record the session (NAME.csv, .edf, .json; key r starts and\n"
	        "                       stops further recordings NAME-2, ...); without it, r records\n"
	        "                       to YYYY-mm-dd-HHMM in the couple's sessions folder\n"
	        "                       (~/.local/share/attune/sessions/A & B/); a session is\n"
	        "                       never replaced (names in use are skipped)\n"
	        "  --force              --record NAME replaces an existing session of that name\n"
	        "  --db PATH            the practice database every recorded session joins\n"
	        "                       (default $ATTUNE_DB, else ~/.local/share/attune/attune.db)\n"
	        "view:\n"
	        "  --names A,B          partner names (default A,B)\n"
	        "  --pacer BPM          pacer rate, 3-10 in 0.5 steps (default 6)\n"
	        "  --exhale-ratio R     exhale R times as long as the inhale, 1-3 (default 1)\n"
	        "  --no-pacer           start with the pacer hidden\n"
	        "  --guide NAME|FILE    follow a guide's timed phases (attune guides lists them);\n"
	        "                       keys g pause, n next phase, b this phase again\n"
	        "  --fullscreen, --no-strip, --size WxH\n"
	        "  --screenshot PNG --after S   run S seconds of session, save the window as PNG\n"
	        "                       and exit (files and generated couples as fast as possible;\n"
	        "                       a device and the demo's simulated board in real time)\n"
	        "  --press KEYS         (tests) keys pressed just before the screenshot, e.g. h\n"
	        "  --keys-at S:KEYS,... (tests) keys pressed S wall seconds after the start, e.g.\n"
	        "                       20:r (_ is space, < and > the left and right arrows;\n"
	        "                       headless: only g, n, b and _)\n"
	        "  --stats FILE         write frame time, latency, CPU and memory figures as JSON\n"
	        "sound:\n"
	        "  --no-audio           no sound device\n"
	        "  --audio-wav WAV      also render the sound into WAV (16-bit mono, 48 kHz)\n"
	        "  --sound PARTS        comma list of pacer,drone,chime,alarm (default all)\n"
	        "  --volume V           0..1 (default 0.7)   --mute  start muted\n"
	        "headless:\n"
	        "  --headless           no window\n"
	        "  --snapshots FILE|-   engine snapshots as JSON lines (t, match, plv, plv_chance,\n"
	        "                       relative_phase_deg, lag_s, rates, quality, frames_lost)\n"
	        "");
	att_osc_opts_usage(to);
	fprintf(to,
	        "keys: space marker, p pacer, up/down pacer rate, e longer exhale, r record, m mute,\n"
	        "      t therapist strip, f fullscreen, h or ? help, q or Esc quit\n");
}

/* Options without a value. */
static int take_flag(const char *a, struct att_live_opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
	        {"--headless", offsetof(struct att_live_opts, headless)},
	        {"--no-audio", offsetof(struct att_live_opts, no_audio)},
	        {"--mute", offsetof(struct att_live_opts, muted)},
	        {"--no-pacer", offsetof(struct att_live_opts, no_pacer)},
	        {"--fullscreen", offsetof(struct att_live_opts, fullscreen)},
	        {"--no-strip", offsetof(struct att_live_opts, no_strip)},
	        {"--force", offsetof(struct att_live_opts, force)},
	};
	for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
		if (!strcmp(a, flags[k].name)) {
			*(int *)((char *)o + flags[k].off) = 1;
			return 1;
		}
	return 0;
}

/* Options whose value is kept as given (paths, keys). */
static int take_text(const char *a, const char *val, struct att_live_opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} texts[] = {
	        {"--input", offsetof(struct att_live_opts, input)},
	        {"--port", offsetof(struct att_live_opts, port)},
	        {"--record", offsetof(struct att_live_opts, record)},
	        {"--snapshots", offsetof(struct att_live_opts, snapshots)},
	        {"--screenshot", offsetof(struct att_live_opts, screenshot)},
	        {"--audio-wav", offsetof(struct att_live_opts, wav)},
	        {"--stats", offsetof(struct att_live_opts, stats)},
	        {"--press", offsetof(struct att_live_opts, press)},
	        {"--guide", offsetof(struct att_live_opts, guide)},
	        {"--db", offsetof(struct att_live_opts, db)},
	};
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
		if (!strcmp(a, texts[k].name)) {
			if (!val)
				return 3;
			*(const char **)((char *)o + texts[k].off) = val;
			return 1;
		}
	return 0;
}

/* Numbers within a range; 1 taken, 2 refused (said), 0 not one of these. */
static int take_number(const char *a, const char *val, struct att_live_opts *o)
{
	static const struct {
		const char *name;
		double lo, hi;
		size_t off;
	} numbers[] = {
	        {"--speed", 0.0, 1000.0, offsetof(struct att_live_opts, speed)},
	        {"--after", 0.0, 86400.0, offsetof(struct att_live_opts, after)},
	        {"--duration", 0.0, 7 * 86400.0, offsetof(struct att_live_opts, duration)},
	        {"--rate", 25.0, 1000.0, offsetof(struct att_live_opts, rate)},
	        {"--pacer", ATT_PACER_BPM_MIN, ATT_PACER_BPM_MAX,
	         offsetof(struct att_live_opts, pacer_bpm)},
	        {"--exhale-ratio", 1.0, 3.0, offsetof(struct att_live_opts, exhale_ratio)},
	        {"--volume", 0.0, 1.0, offsetof(struct att_live_opts, volume)},
	};
	double d;

	if (!strcmp(a, "--seed")) {
		if (!val)
			return 3;
		if (att_arg_number(NULL, a, val, 0.0, 4294967295.0, &d))
			return 2;
		o->seed = (uint32_t)d;
		return 1;
	}
	for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++)
		if (!strcmp(a, numbers[k].name)) {
			double *to = (double *)((char *)o + numbers[k].off);
			if (!val)
				return 3;
			if (att_arg_number(NULL, a, val, numbers[k].lo, numbers[k].hi, to))
				return 2;
			o->rate_set |= !strcmp(a, "--rate");
			if (!strcmp(a, "--pacer"))
				*to = round(*to * 2.0) /
				      2.0; /* the pacer moves in 0.5 /min steps */
			return 1;
		}
	return 0;
}

static int take_keys_at(const char *val, struct att_live_opts *o)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof buf, "%s", val);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double at;
		char keys[8];
		if (o->n_keys_at == ATT_LIVE_KEYS_AT_MAX ||
		    sscanf(tok, "%lf:%7s", &at, keys) != 2 || !(at >= 0.0)) {
			fprintf(stderr,
			        "attune: --keys-at takes up to %d S:KEYS items, e.g. 20:r,40:r (got "
			        "'%s')\n",
			        ATT_LIVE_KEYS_AT_MAX, tok);
			return 2;
		}
		o->keys_at_t[o->n_keys_at] = at;
		memcpy(o->keys_at[o->n_keys_at++], keys, sizeof keys);
	}
	return 1;
}

static int take_names(const char *val, struct att_live_opts *o)
{
	return att_arg_names(val, o->names_buf, sizeof o->names_buf, &o->name_a, &o->name_b) ? 2
	                                                                                     : 1;
}

static int take_script(const char *val, struct att_live_opts *o)
{
	for (size_t k = 0; k < sizeof att_live_scripts / sizeof att_live_scripts[0]; k++)
		if (!strcmp(val, att_live_scripts[k].name))
			o->script = (int)k;
	if (o->script >= 0)
		return 1;
	fprintf(stderr,
	        "attune: unknown --synthetic script '%s'; use story, in-phase, anti-phase, "
	        "independent or switch\n",
	        val);
	return 2;
}

static int take_sound(const char *val, struct att_live_opts *o)
{
	static const struct {
		const char *name;
		unsigned part;
	} parts[] = {{"pacer", ATT_SOUND_PACER},
	             {"drone", ATT_SOUND_DRONE},
	             {"chime", ATT_SOUND_CHIME},
	             {"alarm", ATT_SOUND_ALARM}};
	char buf[128], *tok, *save;

	snprintf(buf, sizeof buf, "%s", val);
	o->parts = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t k = 0;
		while (k < sizeof parts / sizeof parts[0] && strcmp(tok, parts[k].name))
			k++;
		if (k < sizeof parts / sizeof parts[0])
			o->parts |= parts[k].part;
		else if (!strcmp(tok, "none"))
			o->parts = 0;
		else {
			fprintf(stderr,
			        "attune: --sound takes pacer,drone,chime,alarm (got '%s')\n", tok);
			return 2;
		}
	}
	return 1;
}

static int take_size(const char *val, struct att_live_opts *o)
{
	if (sscanf(val, "%dx%d", &o->width, &o->height) == 2 && o->width >= 320 &&
	    o->height >= 240 && o->width <= 8192 && o->height <= 8192)
		return 1;
	fprintf(stderr, "attune: --size needs WxH, e.g. 1280x800 (at least 320x240)\n");
	return 2;
}

/* An option with a value: 1 taken, 2 refused (said), 3 its value is missing, 0 not ours. */
static int take_value(const char *a, const char *val, struct att_live_opts *o)
{
	static const struct {
		const char *name;
		int (*take)(const char *val, struct att_live_opts *o);
	} special[] = {{"--keys-at", take_keys_at},
	               {"--names", take_names},
	               {"--synthetic", take_script},
	               {"--sound", take_sound},
	               {"--size", take_size}};
	int r = take_text(a, val, o);

	if (!r)
		r = take_number(a, val, o);
	for (size_t k = 0; !r && k < sizeof special / sizeof special[0]; k++)
		if (!strcmp(a, special[k].name))
			r = val ? special[k].take(val, o) : 3;
	return r;
}

/* What the options mean together; 0, or 2 after one line. */
static int check_combination(struct att_live_opts *o)
{
	const char *why = NULL;

	if (o->mode == ATT_MODE_REPLAY && !o->input) {
		fprintf(stderr, "attune replay: which recording? attune replay FILE [--speed X]\n");
		return 2;
	}
	if (o->mode == ATT_MODE_DEMO && !o->input && !o->port && o->script < 0)
		o->script = 0; /* the story */
	if (o->mode == ATT_MODE_ROOM && (o->input || o->script >= 0))
		why = "a room takes a board (--port PATH), not --input or --synthetic";
	else if (o->mode != ATT_MODE_ROOM && !!o->input + !!o->port + (o->script >= 0) != 1)
		why = "choose one source: --port PATH, --input CSV or --synthetic SCRIPT";
	else if (o->screenshot && o->after < 0.0)
		why = "--screenshot needs --after S (seconds of session to show)";
	else if (o->after >= 0.0 && !o->screenshot)
		why = "--after goes with --screenshot PNG";
	else if (o->headless && o->screenshot)
		why = "--screenshot needs the window; drop --headless";
	else if (o->headless && !o->snapshots && !o->wav)
		why = "--headless needs --snapshots FILE|- (or --audio-wav WAV)";
	else if (o->headless && o->script >= 0 && o->speed == 0.0 && o->duration <= 0.0 &&
	         !o->guide)
		why = "a generated couple never ends; with --speed 0 give --duration S (or --guide)";
	if (!why)
		return 0;
	fprintf(stderr, "attune: %s\n", why);
	return 2;
}

int att_live_parse(int argc, char **argv, enum att_live_mode mode, struct att_live_opts *o)
{
	const char *cmd = mode == ATT_MODE_REPLAY ? "replay"
	                  : mode == ATT_MODE_DEMO ? "demo"
	                  : mode == ATT_MODE_ROOM ? "room"
	                                          : "live";

	*o = (struct att_live_opts){.mode = mode,
	                            .speed = 1.0,
	                            .rate = 250.0,
	                            .pacer_bpm = 6.0,
	                            .exhale_ratio = 1.0,
	                            .volume = 0.7,
	                            .seed = 1,
	                            .parts = ATT_SOUND_ALL,
	                            .script = -1,
	                            .after = -1.0,
	                            .name_a = "A",
	                            .name_b = "B"};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int r = att_osc_opts_take(cmd, argc, argv, &i, &o->osc);
		if (r == 2)
			return 2;
		if (r || take_flag(a, o))
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 3;
		r = take_value(a, val, o);
		if (r == 1) {
			i++;
			continue;
		}
		if (r == 2)
			return 2;
		if (r == 3) {
			fprintf(stderr, "attune: %s needs a value; see --help\n", a);
			return 2;
		}
		if (mode == ATT_MODE_REPLAY && a[0] != '-' && !o->input) {
			o->input = a; /* attune replay FILE */
			continue;
		}
		fprintf(stderr, "attune: unknown option '%s'; see --help\n", a);
		return 2;
	}
	return check_combination(o);
}
