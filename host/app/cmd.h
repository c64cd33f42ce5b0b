/* Subcommands of the attune program. Each takes argv starting at its own name and returns the
 * process exit code: 0 success, 1 bad input or environment, 2 bad usage. */
#ifndef ATT_CMD_H
#define ATT_CMD_H

struct att_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int att_cmd_demo(int argc, char **argv);
int att_cmd_live(int argc, char **argv);
int att_cmd_replay(int argc, char **argv);
int att_cmd_analyze(int argc, char **argv);
/* The live session shared by live and demo (demo = 1: the generated story by default). */
int att_live_main(int argc, char **argv, int demo);
int att_cmd_recover(int argc, char **argv);
int att_cmd_record(int argc, char **argv);
int att_cmd_ports(int argc, char **argv);
int att_cmd_export(int argc, char **argv);
/* attune report (built with cairo only: ATT_HAVE_REPORT) */
int att_cmd_report(int argc, char **argv);

#endif
