/* attune live / demo / replay: the command line. One job: turn argv into struct att_live_opts,
 * or say in one line what is wrong with it. */
#ifndef ATT_LIVE_OPTS_H
#define ATT_LIVE_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "attune/couple.h"
#include "attune/record_raw.h"
#include "cmd.h"
#include "osc_opts.h"

#define ATT_LIVE_KEYS_AT_MAX 8

struct att_live_opts {
	enum att_live_mode mode;
	const char *input, *port, *snapshots, *screenshot, *wav, *stats, *press, *record;
	const char *guide; /* --guide NAME|FILE */
	const char *db;    /* --db PATH: the practice database recordings join */
	const char *name_a, *name_b;
	char names_buf[2 * ATT_RAW_LABEL_MAX];
	int script;
	double speed, after, duration, rate, pacer_bpm, exhale_ratio, volume;
	uint32_t seed;
	int headless, no_audio, muted, no_pacer, fullscreen, no_strip, rate_set;
	int force; /* --record may replace an existing session */
	unsigned parts;
	int width, height;
	/* --keys-at (tests): keys pressed at given session times, e.g. r during a run */
	double keys_at_t[ATT_LIVE_KEYS_AT_MAX];
	char keys_at[ATT_LIVE_KEYS_AT_MAX][8];
	int n_keys_at;
	struct att_osc_opts osc;
	const struct att_room_opts *room; /* attune room: the broker, room and side (borrowed) */
};

/* The generated couples --synthetic names. */
struct att_live_script {
	const char *name;
	enum att_couple_script script;
	const char *label;
};
#define ATT_LIVE_SCRIPTS 5
extern const struct att_live_script att_live_scripts[ATT_LIVE_SCRIPTS];

void att_live_usage(FILE *to, enum att_live_mode mode);
/* 0 ok, 2 usage error (said on stderr), 3 --help asked. */
int att_live_parse(int argc, char **argv, enum att_live_mode mode, struct att_live_opts *o);

#endif
