/* attune record --port PATH --duration S --output DIR/NAME: a headless recording from a device or
 * the simulated board into the recorder's session files (NAME.attraw while running; NAME.csv,
 * NAME.edf, NAME.json at the end).
 *
 * The same session as attune live, without a window: the serial source, the recorder sink, and
 * (asked for) the snapshot sink; a small sink of its own tells each gap on stderr and counts what
 * the summary line says. Gaps are never stitched: the source's counters jump over them and the
 * session files fill them with the last value (CSV column `filled` = 1). Ctrl-C (or SIGTERM)
 * ends the recording like the end of --duration: files complete. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/clock.h"
#include "attune/outputs.h"
#include "attune/session.h"
#include "attune/snapshots.h"
#include "cmd.h"
#include "live_record.h"
#include "osc_opts.h"

/* The one piece of process-wide state, as signal handlers require. */
static volatile sig_atomic_t record_stop;

static void on_signal(int sig)
{
	(void)sig;
	record_stop = 1;
}

struct record_opts {
	const char *port, *output, *snapshots, *db;
	const char *name_a, *name_b;
	char names_buf[2 * ATT_RAW_LABEL_MAX];
	int force; /* replace an existing session of that name */
	double duration, rate;
	struct att_osc_opts osc;
};

/* What the summary line says, counted by the "gaps" sink. */
struct tally {
	uint64_t got, gaps, gap_samples;
	uint32_t first, last;
	double rate;
	/* gaps not said yet: stderr gets the first, then a summary at most every GAP_SAY_S */
	uint64_t quiet_gaps, quiet_samples;
	double said_t;
};

#define GAP_SAY_S 10.0 /* a damaged link can make hundreds of gaps a minute */

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune record --port PATH --duration S [--output DIR/NAME] [--names A,B]\n"
	        "                     [--rate HZ] [--db PATH] [--snapshots FILE|-] [--osc HOST:PORT]\n"
	        "                     [--osc-listen PORT]\n"
	        "\n"
	        "Records a session from the attune board (or the simulated board's pty) without a\n"
	        "window: DIR/NAME.csv (t,a_resp,a_ppg,b_resp,b_ppg in ADC counts, filled), NAME.edf,\n"
	        "NAME.json, and the raw capture NAME.attraw (kept; attune recover rebuilds the files from it\n"
	        "after a crash). Ctrl-C stops early and keeps the files.\n"
	        "  --port PATH     serial port, e.g. /dev/ttyACM0, or /tmp/attune-sim (attune ports lists them)\n"
	        "  --duration S    seconds to record (signal time), > 0\n"
	        "  --output BASE   DIR/NAME of the session files (the directory must exist; an\n"
	        "                  existing session of that name is kept: attune refuses); default\n"
	        "                  YYYY-mm-dd-HHMM in the couple's folder under\n"
	        "                  ~/.local/share/attune/sessions/\n"
	        "  --force         replace an existing session of that name\n"
	        "  --names A,B     the partners' names (default A,B)\n"
	        "  --db PATH       the practice database the session joins (default $ATTUNE_DB,\n"
	        "                  else ~/.local/share/attune/attune.db)\n"
	        "  --rate HZ       sample rate to set on the board, %u..%u (default: the board's, %u)\n"
	        "  --snapshots FILE|-  the live engine's snapshots as JSON lines, as attune live writes\n",
	        ATT_WIRE_RATE_MIN, ATT_WIRE_RATE_MAX, ATT_WIRE_RATE_DEFAULT);
	att_osc_opts_usage(to);
	fprintf(to,
	        "Gaps (cable pulled, lost frames) are filled with the last value, marked filled=1 in\n"
	        "the CSV, and reported on stderr. Exit status: 0 done, 1 bad input or environment, 2 bad usage.\n");
}

/* 0 ok, 2 usage error (said), 3 --help. */
static int parse(int argc, char **argv, struct record_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int osc = att_osc_opts_take("record", argc, argv, &i, &o->osc);
		if (osc == 2)
			return 2;
		if (osc)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 3;
		if (!strcmp(a, "--force")) {
			o->force = 1;
			continue;
		}
		if (strcmp(a, "--port") && strcmp(a, "--duration") && strcmp(a, "--output") &&
		    strcmp(a, "-o") && strcmp(a, "--rate") && strcmp(a, "--snapshots") &&
		    strcmp(a, "--names") && strcmp(a, "--db"))
			return att_usage_error("record", "unknown option '%s'", a);
		if (i + 1 >= argc)
			return att_usage_error("record", "%s needs a value", a);
		v = argv[++i];
		if (!strcmp(a, "--port"))
			o->port = v;
		else if (!strcmp(a, "--output") || !strcmp(a, "-o"))
			o->output = v;
		else if (!strcmp(a, "--snapshots"))
			o->snapshots = v;
		else if (!strcmp(a, "--db"))
			o->db = v;
		else if (!strcmp(a, "--names")) {
			if (att_arg_names(v, o->names_buf, sizeof o->names_buf, &o->name_a, &o->name_b))
				return 2;
		}
		else if (!strcmp(a, "--duration")) {
			if (att_arg_number("record", a, v, 1e-3, 1e7, &o->duration))
				return 2;
		} else if (att_arg_number("record", a, v, ATT_WIRE_RATE_MIN, ATT_WIRE_RATE_MAX,
		                          &o->rate))
			return 2;
	}
	if (!o->port || o->duration <= 0) {
		fprintf(stderr, "attune record: needs --port PATH and --duration S (attune ports "
		                "lists the ports)\n");
		return 2;
	}
	char taken[600];
	if (o->output && !o->force && att_session_taken(o->output, taken, sizeof taken)) {
		fprintf(stderr,
		        "attune record: %s exists: that session is kept; choose another --output "
		        "name, or add --force to replace it\n",
		        taken);
		return 1;
	}
	return 0;
}

static void say_quiet_gaps(struct tally *y, double t)
{
	fprintf(stderr,
	        "attune record: %llu more gap(s), %llu samples (%.2f s) lost in %.0f s up to t = "
	        "%.2f s\n",
	        (unsigned long long)y->quiet_gaps, (unsigned long long)y->quiet_samples,
	        (double)y->quiet_samples / y->rate, t - y->said_t, t);
	y->quiet_gaps = y->quiet_samples = 0;
}

static int tally_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct tally *y = ctx;

	(void)why;
	(void)why_len;
	if (p->type == ATT_PACKET_START)
		y->rate = p->u.start->rate_hz;
	if (p->type == ATT_PACKET_EVENT && p->u.event->kind == ATT_EV_GAP) {
		double t =
		        (double)(y->last + 1u + (uint32_t)p->u.event->value - y->first) / y->rate;
		y->gaps++;
		y->gap_samples += (uint64_t)p->u.event->value;
		if (y->gaps == 1) {
			fprintf(stderr,
			        "attune record: gap of %.0f samples (%.2f s) at t = %.2f s\n",
			        p->u.event->value, p->u.event->value / y->rate, t);
			y->said_t = t;
		} else {
			y->quiet_gaps++;
			y->quiet_samples += (uint64_t)p->u.event->value;
		}
		if (y->quiet_gaps && t - y->said_t >= GAP_SAY_S) {
			say_quiet_gaps(y, t);
			y->said_t = t;
		}
	}
	if (p->type == ATT_PACKET_SAMPLES) {
		if (!y->got)
			y->first = p->u.samples->raw[0].counter;
		y->got += p->u.samples->n;
		y->last = p->u.samples->raw[p->u.samples->n - 1].counter;
	}
	return ATT_OK;
}

static const struct att_sink tally_sink = {.name = "gaps", .receive = tally_receive};

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "attune record: %s\n", line);
}

static void on_saved(void *ctx, int ok, const char *base, const char *line)
{
	(void)base;
	fprintf(stderr, "attune record: %s\n", line);
	*(int *)ctx = ok;
}

static struct att_session *open_session(const struct record_opts *o)
{
	struct att_source *src = NULL;
	struct att_session *s = NULL;
	char why[512];
	int rc = att_source_open_serial(&(struct att_serial_cfg){.path = o->port,
	                                                         .rate_hz = (unsigned)o->rate,
	                                                         .reset_wait_ms = -1},
	                                &src, why, sizeof why);

	if (rc != ATT_OK) {
		fprintf(stderr, "attune record: %s\n", why[0] ? why : att_strerror(rc));
		return NULL;
	}
	if (att_session_new(&(struct att_session_cfg){.duration_s = o->duration, .log = log_line},
	                    src, &s, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune record: %s\n", why);
		return NULL;
	}
	return s;
}

static int add_sinks(struct att_session *s, const struct record_opts *o, struct tally *y,
                     struct att_live_record *rec, struct att_osc_in **osc_in)
{
	void *ctx;
	char why[300];

	if (att_session_add_sink(s, &tally_sink, y) != ATT_OK ||
	    att_session_add_sink(s, &att_live_record_sink, rec) != ATT_OK)
		return 1;
	if (att_osc_opts_attach(&o->osc, s, osc_in, "attune record"))
		return 1;
	if (!o->snapshots)
		return 0;
	if (att_snapshots_new(&(struct att_snapshots_cfg){.path = o->snapshots, .realtime = 1},
	                      &ctx, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune record: %s\n", why);
		return 1;
	}
	return att_session_add_sink(s, &att_snapshots_sink, ctx) != ATT_OK;
}

/* Until the duration is reached, Ctrl-C, the recorder stopped, or (wall clock, with slack for
 * the start) a device that never came back. */
static void run(struct att_session *s, struct att_live_record *rec, double duration)
{
	int64_t deadline = att_clock_ns() + (int64_t)((duration + 5.0) * 1e9);

	while (!record_stop && !att_session_ended(s) && att_live_record_on(rec) &&
	       att_clock_ns() < deadline) {
		att_clock_sleep_until(att_clock_ns() + 10000000);
		att_session_tick(s);
	}
}

static int summary(const struct record_opts *o, const char *base, const struct tally *y,
                   const struct att_source_status *st, int saved)
{
	if (y->got == 0) {
		fprintf(stderr,
		        "attune record: no samples arrived from %s (is the board streaming? "
		        "check the cable)\n",
		        o->port);
		return 1;
	}
	printf("attune record: %llu samples, %llu lost in %llu gaps, %.2f s at %.0f Hz%s; %llu "
	       "damaged frames, %llu repeated and %llu old frames dropped, %u reconnects; %s "
	       "%s.csv %s.edf %s.json\n",
	       (unsigned long long)y->got, (unsigned long long)y->gap_samples,
	       (unsigned long long)y->gaps, (double)(y->last - y->first + 1u) / st->rate_hz,
	       st->rate_hz, record_stop ? " (stopped early)" : "",
	       (unsigned long long)st->frames_bad, (unsigned long long)st->frames_duplicate,
	       (unsigned long long)st->frames_stale, st->reconnects,
	       saved ? "wrote" : "could not write", base, base, base);
	if (st->overruns)
		fprintf(stderr,
		        "attune record: warning: %llu samples overran the acquisition ring "
		        "(disk too slow?)\n",
		        (unsigned long long)st->overruns);
	return saved ? 0 : 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int att_cmd_record(int argc, char **argv)
{
	struct record_opts o = {0};
	struct tally y = {0};
	struct att_live_record *rec = NULL;
	struct att_osc_in *osc_in = NULL;
	struct att_session *s;
	struct att_source_status st;
	const char *problem;
	char why[512];
	int rc = parse(argc, argv, &o), saved = 0;

	if (rc == 3) {
		usage(stdout);
		return 0;
	}
	if (rc || !(s = open_session(&o)))
		return rc ? rc : 1;
	st = *att_session_source(s);
	if (att_live_record_new(&(struct att_live_record_cfg){.base = o.output,
	                                                      .db = o.db,
	                                                      .force = o.force,
	                                                      .name_a = o.name_a ? o.name_a : "",
	                                                      .name_b = o.name_b ? o.name_b : "",
	                                                      .on_saved = on_saved,
	                                                      .ctx = &saved},
	                        &rec) != ATT_OK ||
	    add_sinks(s, &o, &y, rec, &osc_in) || att_session_start(s) != ATT_OK) {
		att_osc_in_free(osc_in);
		att_session_free(s);
		att_live_record_free(rec);
		return 1;
	}
	if (att_live_record_start(rec, s, -1.0, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune record: %s\n", why);
		att_osc_in_free(osc_in);
		att_session_free(s);
		att_live_record_free(rec);
		return 1;
	}
	catch_signals();
	fprintf(stderr,
	        "attune record: %s, firmware %u.%u.%u, %.0f Hz; recording %.1f s into %s.*\n",
	        o.port, st.info.fw_major, st.info.fw_minor, st.info.fw_patch, st.rate_hz,
	        o.duration, att_live_record_base(rec));
	run(s, rec, o.duration);
	st = *att_session_source(s);
	problem = att_live_record_problem(rec);
	if (problem)
		fprintf(stderr, "attune record: %s\n", problem);
	att_live_record_stop(rec);
	att_live_record_poll(rec, 1);
	att_osc_in_free(osc_in); /* it posts to the session: gone first */
	att_session_stop(s);
	rc = summary(&o, att_live_record_base(rec), &y, &st, saved && !att_session_failed_sinks(s));
	att_session_free(s); /* stops the device */
	att_live_record_free(rec);
	return rc;
}
