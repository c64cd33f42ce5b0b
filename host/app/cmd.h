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
/* --names A,B: two names, each whole UTF-8 of at most ATT_RAW_LABEL_MAX - 1 bytes, refused with
 * one line, never cut. Copies val into buf (len >= strlen(val) + 1) and points a and b into it:
 * 0, or 2 after the line. */
int att_arg_names(const char *val, char *buf, size_t len, const char **a, const char **b);
/* One usage error line on stderr: "attune CMD: <printf of fmt>; see 'attune CMD --help'".
 * Returns 2, the usage exit code, so callers can return it directly. Any thread. */
int att_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int att_cmd_live(int argc, char **argv);
int att_cmd_replay(int argc, char **argv);
int att_cmd_analyze(int argc, char **argv);
/* Which command runs the live session. */
enum att_live_mode { ATT_MODE_LIVE = 0, ATT_MODE_DEMO = 1, ATT_MODE_REPLAY = 2, ATT_MODE_ROOM = 3 };
/* The live session shared by live, demo (the generated story by default) and replay. */
int att_live_main(int argc, char **argv, enum att_live_mode mode);
struct att_room_opts;
/* attune room: the live session with the room's source and sink (room is borrowed). */
int att_live_main_room(int argc, char **argv, const struct att_room_opts *room);
int att_cmd_room(int argc, char **argv);
int att_cmd_recover(int argc, char **argv);
int att_cmd_record(int argc, char **argv);
int att_cmd_ports(int argc, char **argv);
/* What is at a serial port, opened and asked to identify itself (waiting reset_wait_ms for an
 * Uno's bootloader): one line into out ("attune firmware 1.0.0, 4 channels at 250 Hz", "in use
 * by another program", ...). ATT_OK when it is an attune board. */
int att_port_probe(const char *path, int reset_wait_ms, char *out, size_t len);
/* attune app: the start screen, the session, the end card and the journal (ATT_HAVE_LIVE) */
int att_cmd_app(int argc, char **argv);
int att_cmd_guides(int argc, char **argv);
int att_cmd_history(int argc, char **argv);
int att_cmd_journal(int argc, char **argv);
int att_cmd_export(int argc, char **argv);
/* attune report (built with cairo only: ATT_HAVE_REPORT) */
int att_cmd_report(int argc, char **argv);

/* Libraries that print their own complaints while probing (ALSA, libwayland) are muted so the
 * program says one clear line: stderr goes to /dev/null until att_stderr_restore(the returned
 * descriptor). Main thread, while no other thread writes to stderr. */
int att_stderr_mute(void);
void att_stderr_restore(int saved);

#endif
