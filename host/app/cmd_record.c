/* attune record --port PATH --duration S --output DIR/NAME: a headless recording from a device or
 * the simulated board into the recorder's session files (NAME.attraw while running; NAME.csv,
 * NAME.edf, NAME.json at the end).
 *
 * The main loop is the recorder's one producer: it drains the serial source's ring every 10 ms
 * and pushes what arrived. Gaps are never stitched: the source's counters jump over them and the
 * session files fill them with the last value (CSV column `filled` = 1), and each gap is reported
 * on stderr. Ctrl-C (or SIGTERM) ends the recording like the end of --duration: files complete. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "attune/export.h"
#include "attune/recorder.h"
#include "attune/source.h"

#define CHUNK 1024

/* The one piece of process-wide state, as signal handlers require. */
static volatile sig_atomic_t record_stop;

static void on_signal(int sig)
{
	(void)sig;
	record_stop = 1;
}

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune record --port PATH --duration S --output DIR/NAME [--rate HZ]\n"
	        "\n"
	        "Records a session from the attune board (or the simulated board's pty) without a\n"
	        "window: DIR/NAME.csv (t,a_resp,a_ppg,b_resp,b_ppg in ADC counts, filled), NAME.edf,\n"
	        "NAME.json, and NAME.attraw while it runs (attune recover rebuilds the files from it\n"
	        "after a crash). Ctrl-C stops early and keeps the files.\n"
	        "  --port PATH     serial port, e.g. /dev/ttyACM0, or /tmp/attune-sim (attune ports lists them)\n"
	        "  --duration S    seconds to record (signal time), > 0\n"
	        "  --output BASE   DIR/NAME of the session files (the directory must exist)\n"
	        "  --rate HZ       sample rate to set on the board, %u..%u (default: the board's, %u)\n"
	        "Gaps (cable pulled, lost frames) are filled with the last value, marked filled=1 in\n"
	        "the CSV, and reported on stderr. Exit status: 0 done, 1 bad input or environment, 2 bad usage.\n",
	        ATT_WIRE_RATE_MIN, ATT_WIRE_RATE_MAX, ATT_WIRE_RATE_DEFAULT);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *state_text(enum att_source_state s)
{
	switch (s) {
	case ATT_SOURCE_CONNECTING:
		return "connecting";
	case ATT_SOURCE_STREAMING:
		return "streaming";
	default:
		return "idle";
	}
}

int att_cmd_record(int argc, char **argv)
{
	const char *port = NULL, *output = NULL;
	double duration = 0, rate = 0;
	struct att_serial_cfg scfg = {.reset_wait_ms = -1};
	struct att_recorder_cfg rcfg = {0};
	struct att_source *src = NULL;
	struct att_recorder *rec = NULL;
	struct att_source_status st;
	struct att_export_report rep;
	struct sigaction sa;
	static struct att_sample buf[CHUNK];
	char why[512];
	uint64_t got = 0, gaps = 0, gap_samples = 0, rec_dropped = 0;
	uint32_t first = 0, last = 0;
	enum att_source_state shown = ATT_SOURCE_IDLE;
	int64_t t0, deadline;
	int rc, status = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--port") && strcmp(a, "--duration") && strcmp(a, "--output") &&
		    strcmp(a, "-o") && strcmp(a, "--rate")) {
			fprintf(stderr,
			        "attune record: unknown option '%s'; see attune record --help\n",
			        a);
			return 2;
		}
		if (i + 1 >= argc) {
			fprintf(stderr,
			        "attune record: %s needs a value; see attune record --help\n", a);
			return 2;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--port"))
			port = v;
		else if (!strcmp(a, "--output") || !strcmp(a, "-o"))
			output = v;
		else if (!strcmp(a, "--duration")) {
			if (att_arg_number("record", a, v, 1e-3, 1e7, &duration))
				return 2;
		} else if (att_arg_number("record", a, v, ATT_WIRE_RATE_MIN, ATT_WIRE_RATE_MAX,
		                          &rate))
			return 2;
	}
	if (!port || !output || duration <= 0) {
		fprintf(stderr,
		        "attune record: needs --port PATH, --duration S and --output DIR/NAME "
		        "(attune ports lists the ports)\n");
		return 2;
	}

	scfg.path = port;
	scfg.rate_hz = (unsigned)rate;
	rc = att_source_open_serial(&scfg, &src, why, sizeof why);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune record: %s\n", why[0] ? why : att_strerror(rc));
		return 1;
	}
	att_source_status(src, &st);
	rcfg.base = output;
	rcfg.info = st.info;
	rc = att_recorder_new(&rcfg, &rec, why, sizeof why);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune record: %s\n", why[0] ? why : att_strerror(rc));
		att_source_free(src);
		return 1;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fprintf(stderr,
	        "attune record: %s, firmware %u.%u.%u, %.0f Hz; recording %.1f s into %s.*\n", port,
	        st.info.fw_major, st.info.fw_minor, st.info.fw_patch, st.rate_hz, duration, output);
	rc = att_source_start(src);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune record: cannot start the acquisition: %s\n",
		        att_strerror(rc));
		att_recorder_free(rec);
		att_source_free(src);
		return 1;
	}
	t0 = mono_ns();
	/* Signal time decides when a fast (simulated) board is done; the wall clock (with slack for
	 * the start) ends a recording whose device never came back. */
	deadline = t0 + (int64_t)((duration + 5.0) * 1e9);
	while (!record_stop) {
		size_t n = att_source_read(src, buf, CHUNK), i;
		struct att_recorder_status rs;
		uint32_t prev_reconnects = st.reconnects;

		att_source_status(src, &st);
		if (st.state != shown && st.state != ATT_SOURCE_CONNECTING) {
			if (st.state == ATT_SOURCE_RECONNECTING)
				fprintf(stderr,
				        "attune record: %s: lost the device; reconnecting (%s)\n",
				        port,
				        att_strerror(st.error ? st.error : ATT_ERR_DISCONNECTED));
			else if (shown != ATT_SOURCE_IDLE || st.state != ATT_SOURCE_STREAMING)
				fprintf(stderr, "attune record: %s: %s\n", port,
				        state_text(st.state));
			shown = st.state;
		}
		if (st.reconnects != prev_reconnects)
			att_recorder_event(rec, ATT_EV_RECONNECT, mono_ns(), 0.0,
			                   "device reconnected");
		if (n) {
			size_t keep;
			if (got == 0)
				first = buf[0].counter;
			/* more than the duration: keep only what it asks for */
			for (keep = 0; keep < n; keep++)
				if ((double)(buf[keep].counter - first) >= duration * st.rate_hz)
					break;
			for (i = 0; i < keep; i++) {
				uint32_t d = i     ? buf[i].counter - buf[i - 1].counter
				             : got ? buf[0].counter - last
				                   : 1u;
				if (d > 1) {
					gaps++;
					gap_samples += d - 1u;
					fprintf(stderr,
					        "attune record: gap of %u samples (%.2f s) at t = %.2f s\n",
					        d - 1u, (d - 1u) / st.rate_hz,
					        (double)(buf[i].counter - first) / st.rate_hz);
				}
			}
			rc = att_recorder_push(rec, buf, keep);
			if (rc != ATT_OK)
				break;
			got += keep;
			if (keep)
				last = buf[keep - 1].counter;
			if (keep < n)
				break;
		}
		att_recorder_status(rec, &rs);
		rec_dropped = rs.dropped;
		if (!rs.running || mono_ns() > deadline)
			break;
		if (!n) {
			struct timespec ts = {0, 10 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	att_source_status(src, &st);
	att_source_free(src);
	rc = att_recorder_stop(rec, why, sizeof why);
	int export_rc = att_export_capture(output, &rep, rc ? NULL : why, sizeof why);
	rc = rc ? rc : export_rc;
	att_recorder_free(rec);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune record: %s\n", why[0] ? why : att_strerror(rc));
		status = 1;
	}
	if (got == 0) {
		fprintf(stderr,
		        "attune record: no samples arrived from %s (is the board streaming? "
		        "check the cable)\n",
		        port);
		return 1;
	}
	printf("attune record: %llu samples, %llu lost in %llu gaps, %.2f s at %.0f Hz%s; %llu damaged "
	       "frames, %u reconnects; %s %s.csv %s.edf %s.json\n",
	       (unsigned long long)got, (unsigned long long)gap_samples, (unsigned long long)gaps,
	       (double)(last - first + 1u) / st.rate_hz, st.rate_hz,
	       record_stop ? " (stopped early)" : "", (unsigned long long)st.frames_bad,
	       st.reconnects, status ? "could not write" : "wrote", output, output, output);
	if (st.overruns || rec_dropped)
		fprintf(stderr,
		        "attune record: warning: %llu samples overran the acquisition ring, %llu "
		        "the recorder's (disk too slow?)\n",
		        (unsigned long long)st.overruns, (unsigned long long)rec_dropped);
	return status;
}
