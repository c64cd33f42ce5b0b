/* attune: command-line entry. Parses the subcommand and hands over; only main decides exit codes:
 * 0 success, 1 bad input or environment, 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct att_cmd commands[] = {
#ifdef ATT_HAVE_LIVE
        {"app", "the start screen: who, the board, a guide; the session; the journal",
         att_cmd_app},
#endif
        {"demo", "play a couple through the live view (no hardware needed)", att_cmd_demo},
        {"live", "live session: breath-matching view, sound, JSON snapshots", att_cmd_live},
        {"replay", "a recording (CSV, EDF+, raw capture) through the live view", att_cmd_replay},
        {"analyze", "offline analysis of a recording: rates, synchrony, JSON", att_cmd_analyze},
#ifdef ATT_HAVE_REPORT
        {"report", "a printable page (PNG or PDF) of a recorded session", att_cmd_report},
#endif
        {"export", "convert a recording (EDF+, raw capture, CSV) to CSV or EDF+", att_cmd_export},
        {"recover", "rebuild session files from a raw capture after a crash", att_cmd_recover},
        {"record", "headless recording from the board: NAME.csv, NAME.edf, NAME.json",
         att_cmd_record},
        {"ports", "list serial ports, marking attune boards", att_cmd_ports},
        {"guides", "list the built-in guides (timed session plans)", att_cmd_guides},
        {"history", "the practice across weeks: sessions, weeks, streak, plot, export",
         att_cmd_history},
        {"journal", "reflections after a session: add one, list them", att_cmd_journal},
#ifdef ATT_HAVE_LIVE
        {"room", "a session shared by two homes over an MQTT broker", att_cmd_room},
#endif
};

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune COMMAND [OPTIONS]   (attune COMMAND --help for its options)\n\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(to, "  %-9s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "attune: unknown command '%s'; run 'attune --help' for the list\n",
	        argv[1]);
	return 2;
}
