/* Subcommands of the attune program. Each takes argv starting at its own name and returns the
 * process exit code: 0 success, 1 bad input or environment, 2 bad usage. */
#ifndef ATT_CMD_H
#define ATT_CMD_H

#include <stddef.h>

struct att_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int att_cmd_demo(int argc, char **argv);
/* Parses value as a number within lo..hi into *out: 0, or -1 after one line on stderr naming the
 * command (NULL: plain "attune"), the option and the range. */
int att_arg_number(const char *cmd, const char *opt, const char *value, double lo, double hi,
                   double *out);
/* One usage error line on stderr: "attune CMD: <printf of fmt>; see 'attune CMD --help'".
 * Returns 2, the usage exit code, so callers can return it directly. Any thread. */
int att_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int att_cmd_live(int argc, char **argv);
int att_cmd_replay(int argc, char **argv);
int att_cmd_analyze(int argc, char **argv);
/* The live session shared by live and demo (demo = 1: the generated story by default). */
int att_live_main(int argc, char **argv, int demo);
/* attune demo's simulated board (cmd_demo.c): attune-simboard as a child on a private link
 * (/tmp/attune-demo-PID). start blocks until the board announced its link (at most 10 s); one
 * line in why on failure. stop ends and reaps it and removes the link; NULL is a no-op. Main
 * thread only. */
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
int att_cmd_recover(int argc, char **argv);
int att_cmd_record(int argc, char **argv);
int att_cmd_ports(int argc, char **argv);
int att_cmd_export(int argc, char **argv);
/* attune report (built with cairo only: ATT_HAVE_REPORT) */
int att_cmd_report(int argc, char **argv);

#endif
