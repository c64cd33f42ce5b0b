/* attune room: what the room's own options say (the live options are parsed by live_opts.c). */
#ifndef ATT_ROOM_OPTS_H
#define ATT_ROOM_OPTS_H

#include "attune/room.h"

struct att_room_opts {
	struct att_room_cfg cfg; /* broker, room, side, user, cafile; password points below */
	char password[256];
	int insecure; /* --insecure: plain mqtt:// to another machine allowed */
	/* the command as typed (argv[0] = "room"), borrowed: a suggestion to run it another way
	 * (xvfb-run -a ...) repeats it whole, the room's own options too */
	int argc;
	char **argv;
};

#endif
