/* attune demo's simulated board (demo_board.c): attune-simboard as a child on a private link
 * (/tmp/attune-demo-PID). start blocks until the board announced its link (at most 10 s); one
 * line in why on failure. stop ends and reaps it and removes the link; NULL is a no-op. Main
 * thread only. */
#ifndef ATT_DEMO_BOARD_H
#define ATT_DEMO_BOARD_H

#include <stddef.h>

struct att_demo_board;
struct att_demo_board_cfg {
	const char *script; /* generated couple (story, in-phase, ...); NULL = story */
	const char *input;  /* a CSV recording played in a loop instead (borrowed for the call) */
	unsigned seed;
	double speed; /* simulated seconds per wall second; 0 = 1 (real time) */
};
int att_demo_board_start(const struct att_demo_board_cfg *cfg, struct att_demo_board **out,
                         char *why, size_t why_len);
const char *att_demo_board_link(const struct att_demo_board *b);
void att_demo_board_stop(struct att_demo_board *b);

#endif
