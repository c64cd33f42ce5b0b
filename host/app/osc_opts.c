/* The OSC options of the session commands (osc_opts.h). */
#include "osc_opts.h"

#include <string.h>

#include "cmd.h"

int att_osc_opts_take(const char *cmd, int argc, char **argv, int *i, struct att_osc_opts *o)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	double port;

	if (!strcmp(a, "--osc-samples")) {
		o->samples = 1;
		return 1;
	}
	if (strcmp(a, "--osc") && strcmp(a, "--osc-listen") && strcmp(a, "--osc-listen-address"))
		return 0;
	if (!v)
		return att_usage_error(cmd, "%s needs a value", a);
	++*i;
	if (!strcmp(a, "--osc")) {
		struct att_osc_target t;
		char why[200];
		if (att_osc_parse_target(v, &t, why, sizeof why) != ATT_OK)
			return att_usage_error(cmd, "--osc %s", why);
		o->target = v;
	} else if (!strcmp(a, "--osc-listen")) {
		if (att_arg_number(cmd, a, v, 1, 65535, &port))
			return 2;
		o->listen_port = (int)port;
	} else {
		o->listen_addr = v;
	}
	return 1;
}

void att_osc_opts_usage(FILE *to)
{
	fprintf(to,
	        "other programs (OSC over UDP, README \"Working with other programs\"):\n"
	        "  --osc HOST:PORT      send each snapshot and event (/attune/sync, /attune/a, ...)\n"
	        "  --osc-samples        also the raw samples (/attune/samples, 25 per message)\n"
	        "  --osc-listen PORT    take /attune/marker \"text\" and /attune/note \"text\"\n"
	        "  --osc-listen-address ADDR  listen there instead of 127.0.0.1 (this machine)\n");
}

static int post(void *ctx, uint8_t kind, int64_t host_ns, double value, const char *text)
{
	return att_session_post(ctx, kind, host_ns, value, text);
}

int att_osc_opts_attach(const struct att_osc_opts *o, struct att_session *s, struct att_osc_in **in,
                        const char *prefix)
{
	char why[300];

	*in = NULL;
	if (o->target) {
		struct att_osc_target t;
		void *ctx;
		if (att_osc_parse_target(o->target, &t, why, sizeof why) != ATT_OK ||
		    att_osc_out_new(&(struct att_osc_out_cfg){.host = t.host,
		                                              .port = t.port,
		                                              .send_samples = o->samples},
		                    &ctx, why, sizeof why) != ATT_OK) {
			fprintf(stderr, "%s: --osc %s: %s\n", prefix, o->target, why);
			return 1;
		}
		if (att_session_add_sink(s, &att_osc_out_sink, ctx) != ATT_OK)
			return 1;
	}
	if (o->listen_port &&
	    att_osc_in_new(&(struct att_osc_in_cfg){.port = (unsigned)o->listen_port,
	                                            .bind = o->listen_addr,
	                                            .post = post,
	                                            .ctx = s},
	                   in, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "%s: %s\n", prefix, why);
		return 1;
	}
	return 0;
}
