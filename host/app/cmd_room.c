/* attune room: a session shared by two homes (and a therapist) over an MQTT broker. This file
 * only reads the room's options (broker, room, side, login) and refuses what cannot work; the
 * rest is attune live (cmd_live.c) with the room's source and sink (host/lib/net/room.c).
 * attune room new prints a fresh room code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "live_opts.h"
#include "room_opts.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune room --broker mqtts://HOST[:PORT] --room CODE --as a|b|observer\n"
	        "                   [--port PATH] [--user U --password-file F] [--cafile F]\n"
	        "                   [--insecure] [--jitter-ms MS] [live options]\n"
	        "       attune room new\n"
	        "  Breathing together from two homes: each partner runs attune with a board\n"
	        "  wearing one belt and one pulse sensor (A0/A1) and joins the same room as a or b;\n"
	        "  a therapist may join as observer. Both see both breaths and the match live.\n\n"
	        "room:\n"
	        "  --broker URL         mqtts://HOST[:PORT] (TLS, default port 8883); mqtt:// (no\n"
	        "                       encryption, port 1883) only to this machine unless --insecure\n"
	        "  --room CODE          the room (attune room new makes one; letters, digits, - _)\n"
	        "  --as a|b|observer    a and b publish their board's first belt and pulse; an\n"
	        "                       observer has no board and publishes markers only\n"
	        "  --port PATH          the board (a and b)\n"
	        "  --user U             the broker login; --password-file F holds its password\n"
	        "                       (first line)\n"
	        "  --cafile F           the CA that signed the broker's certificate (PEM); default:\n"
	        "                       the system's CAs\n"
	        "  --insecure           allow plain mqtt:// to another machine (passwords and\n"
	        "                       breathing in clear text)\n"
	        "  --jitter-ms MS       the jitter buffer: how long the partner's samples may take\n"
	        "                       (default 800, 100-5000)\n"
	        "  --names A,B          partner a's and b's names (yours is told to the room)\n\n");
	att_live_usage(to, ATT_MODE_ROOM);
}

static int new_code(void)
{
	char code[32];

	if (att_room_new_code(code, sizeof code) != ATT_OK) {
		fprintf(stderr, "attune room new: the system gave no random numbers (getrandom)\n");
		return 1;
	}
	printf("%s\n", code);
	return 0;
}

/* The password file's first line; 0, or 1 after one line. */
static int read_password(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, "attune: cannot read --password-file %s: %s\n", path,
		        strerror(errno));
		return 1;
	}
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = 0;
	if (!n) {
		fprintf(stderr, "attune: --password-file %s is empty; its first line is the "
		                "password\n",
		        path);
		return 1;
	}
	return 0;
}

/* Takes the room's own options out of argv (the rest goes to the live options). 0, 2 usage,
 * 3 help. */
static int take_room_options(int argc, char **argv, int *kept, char **rest,
                             struct att_room_opts *ro, const char **broker, const char **as,
                             const char **pwfile, double *jitter_ms)
{
	*kept = 0;
	rest[(*kept)++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **to = !strcmp(a, "--broker")          ? broker
		                  : !strcmp(a, "--room")          ? &ro->cfg.room
		                  : !strcmp(a, "--as")            ? as
		                  : !strcmp(a, "--user")          ? &ro->cfg.user
		                  : !strcmp(a, "--password-file") ? pwfile
		                  : !strcmp(a, "--cafile")        ? &ro->cfg.cafile
		                                                  : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 3;
		if (!strcmp(a, "--insecure")) {
			ro->insecure = 1;
			continue;
		}
		if (!strcmp(a, "--jitter-ms")) {
			if (!v)
				return att_usage_error("room", "--jitter-ms needs a value");
			if (att_arg_number("room", a, v, 100.0, 5000.0, jitter_ms))
				return 2;
			i++;
			continue;
		}
		if (!to) {
			rest[(*kept)++] = argv[i];
			continue;
		}
		if (!v)
			return att_usage_error("room", "%s needs a value", a);
		*to = v;
		i++;
	}
	rest[*kept] = NULL;
	return 0;
}

int att_cmd_room(int argc, char **argv)
{
	struct att_room_opts ro = {0};
	const char *broker = NULL, *as = NULL, *pwfile = NULL, *port = NULL;
	double jitter_ms = 0.0;
	char why[300];
	char **rest;
	int kept, rc;

	if (argc >= 2 && !strcmp(argv[1], "new")) {
		if (argc > 2)
			return att_usage_error("room", "'attune room new' takes no options");
		return new_code();
	}
	rest = calloc((size_t)argc + 1, sizeof *rest);
	if (!rest) {
		fprintf(stderr, "attune: out of memory\n");
		return 1;
	}
	rc = take_room_options(argc, argv, &kept, rest, &ro, &broker, &as, &pwfile, &jitter_ms);
	if (rc == 3) {
		usage(stdout);
		free(rest);
		return 0;
	}
	for (int i = 1; i < kept; i++)
		if (!strcmp(rest[i], "--port") && i + 1 < kept)
			port = rest[i + 1];
	if (!rc && (!broker || !ro.cfg.room || !as))
		rc = att_usage_error("room", "needs --broker URL, --room CODE and --as a|b|observer");
	if (!rc && strcmp(as, "a") && strcmp(as, "b") && strcmp(as, "observer"))
		rc = att_usage_error("room", "--as takes a, b or observer (got '%s')", as);
	if (!rc)
		ro.cfg.side = !strcmp(as, "a")   ? ATT_ROOM_SIDE_A
		              : !strcmp(as, "b") ? ATT_ROOM_SIDE_B
		                                 : ATT_ROOM_OBSERVER;
	if (!rc && ro.cfg.side != ATT_ROOM_OBSERVER && !port)
		rc = att_usage_error("room", "--as %s needs the board: --port PATH", as);
	if (!rc && ro.cfg.side == ATT_ROOM_OBSERVER && port)
		rc = att_usage_error("room", "an observer has no board: drop --port");
	if (!rc && !att_room_code_valid(ro.cfg.room))
		rc = att_usage_error("room",
		                     "--room takes up to 64 letters, digits, - and _ (got '%.80s')",
		                     ro.cfg.room);
	if (!rc && !!ro.cfg.user != !!pwfile)
		rc = att_usage_error("room", "--user and --password-file go together");
	if (!rc && att_room_parse_broker(broker, &ro.cfg.broker, why, sizeof why) != ATT_OK)
		rc = att_usage_error("room", "%s", why);
	if (!rc && !ro.cfg.broker.tls && !ro.cfg.broker.loopback && !ro.insecure) {
		fprintf(stderr,
		        "attune: %s is plain MQTT to another machine: passwords and breathing would "
		        "travel unencrypted; use mqtts://, or add --insecure on a network you trust\n",
		        broker);
		rc = 1;
	}
	if (!rc && ro.cfg.cafile && !ro.cfg.broker.tls)
		rc = att_usage_error("room", "--cafile goes with mqtts://");
	if (!rc && pwfile && read_password(pwfile, ro.password, sizeof ro.password))
		rc = 1;
	if (!rc) {
		ro.cfg.password = pwfile ? ro.password : NULL;
		ro.cfg.jitter_s = jitter_ms / 1000.0;
		ro.argc = argc;
		ro.argv = argv;
		rc = att_live_main_room(kept, rest, &ro);
	}
	memset(ro.password, 0, sizeof ro.password);
	free(rest);
	return rc;
}
