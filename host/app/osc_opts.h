/* The OSC options every session command takes (live, demo, replay, record), and attaching them
 * to a session: --osc HOST:PORT (features out, a sink), --osc-samples (raw samples too),
 * --osc-listen PORT and --osc-listen-address ADDR (markers and notes in, posted to the session).
 * Main thread. */
#ifndef ATT_OSC_OPTS_H
#define ATT_OSC_OPTS_H

#include <stdio.h>

#include "attune/osc.h"
#include "attune/session.h"

struct att_osc_opts {
	const char *target;      /* --osc HOST:PORT, NULL = none */
	int samples;             /* --osc-samples */
	int listen_port;         /* --osc-listen PORT, 0 = none */
	const char *listen_addr; /* --osc-listen-address ADDR, NULL = 127.0.0.1 */
};

/* If argv[*i] is an OSC option, takes it (and its value, advancing *i): 1. Not one: 0. A bad
 * value: 2, after one line on stderr naming cmd ("live", "record"). */
int att_osc_opts_take(const char *cmd, int argc, char **argv, int *i, struct att_osc_opts *o);

/* The help lines. */
void att_osc_opts_usage(FILE *to);

/* Adds the OSC sink and starts the listener (*in, freed by the caller with att_osc_in_free()
 * after the session). 0, or 1 after one line on stderr prefixed by prefix ("attune"). */
int att_osc_opts_attach(const struct att_osc_opts *o, struct att_session *s, struct att_osc_in **in,
                        const char *prefix);

#endif
