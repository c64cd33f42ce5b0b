/* OSC out and in over real UDP on this machine: a liblo server thread receives what the sink
 * sends; liblo and oscsend (liblo-tools) send what att_osc_in must take. */
#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attune/clock.h"
#include "attune/event.h"
#include "attune/osc.h"
#include "attune/quality.h"
#include "check.h"

#define N_SNAP      200
#define PER_SAMPLES 25

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000.0) * 1e6)};
	nanosleep(&ts, NULL);
}

/* ---- a receiver: everything the sink sends, in arrival order ---- */

enum { R_START, R_SYNC, R_A, R_B, R_EVENT, R_SAMPLES, R_END, R_OTHER };

struct rmsg {
	int what;
	float f[5];
	char s[ATT_EVENT_TEXT_MAX];
	char s2[ATT_EVENT_TEXT_MAX];
	int32_t first;
	int nsamp;
	float v[PER_SAMPLES][4];
	int bad_types;
};

#define RMAX 2048
static struct rmsg rx[RMAX];
static atomic_int n_rx;

/* liblo's arguments sit at 4-byte offsets in the message while union lo_arg wants 8: read them
 * by copying, not through the union (UBSan says so, rightly). */
static float arg_f(const lo_arg *a)
{
	float f;
	memcpy(&f, a, sizeof f);
	return f;
}

static int32_t arg_i(const lo_arg *a)
{
	int32_t i;
	memcpy(&i, a, sizeof i);
	return i;
}

static int on_any(const char *path, const char *types, lo_arg **argv, int argc, lo_message m,
                  void *ud)
{
	(void)m;
	(void)ud;
	int i = atomic_load(&n_rx);
	if (i >= RMAX)
		return 0;
	struct rmsg *r = &rx[i];
	memset(r, 0, sizeof *r);
	r->what = R_OTHER;
	if (strcmp(path, "/attune/start") == 0) {
		r->what = R_START;
		r->bad_types = strcmp(types, "fs") != 0;
		if (!r->bad_types) {
			r->f[0] = arg_f(argv[0]);
			snprintf(r->s, sizeof r->s, "%s", (const char *)argv[1]);
		}
	} else if (strcmp(path, "/attune/sync") == 0) {
		r->what = R_SYNC;
		r->bad_types = strcmp(types, "fffff") != 0;
		for (int k = 0; !r->bad_types && k < 5; k++)
			r->f[k] = arg_f(argv[k]);
	} else if (strcmp(path, "/attune/a") == 0 || strcmp(path, "/attune/b") == 0) {
		r->what = path[8] == 'a' ? R_A : R_B;
		r->bad_types = strcmp(types, "fffs") != 0;
		if (!r->bad_types) {
			for (int k = 0; k < 3; k++)
				r->f[k] = arg_f(argv[k]);
			snprintf(r->s, sizeof r->s, "%s", (const char *)argv[3]);
		}
	} else if (strcmp(path, "/attune/event") == 0) {
		r->what = R_EVENT;
		r->bad_types = strcmp(types, "sfsf") != 0;
		if (!r->bad_types) {
			snprintf(r->s, sizeof r->s, "%s", (const char *)argv[0]);
			r->f[0] = arg_f(argv[1]);
			snprintf(r->s2, sizeof r->s2, "%s", (const char *)argv[2]);
			r->f[1] = arg_f(argv[3]);
		}
	} else if (strcmp(path, "/attune/samples") == 0) {
		r->what = R_SAMPLES;
		r->bad_types =
		        types[0] != 'i' || (argc - 1) % 4 != 0 || (argc - 1) / 4 > PER_SAMPLES;
		for (int k = 1; k < argc && !r->bad_types; k++)
			r->bad_types = types[k] != 'f';
		if (!r->bad_types) {
			r->first = arg_i(argv[0]);
			r->nsamp = (argc - 1) / 4;
			for (int k = 0; k < r->nsamp * 4; k++)
				r->v[k / 4][k % 4] = arg_f(argv[1 + k]);
		}
	} else if (strcmp(path, "/attune/end") == 0) {
		r->what = R_END;
		r->bad_types = argc != 0;
	}
	atomic_store(&n_rx, i + 1);
	return 0;
}

static void lo_err(int num, const char *msg, const char *where)
{
	fprintf(stderr, "liblo error %d: %s (%s)\n", num, msg, where ? where : "");
}

static lo_server_thread receiver(unsigned *port)
{
	atomic_store(&n_rx, 0);
	lo_server_thread st = lo_server_thread_new(NULL, lo_err);
	if (!st)
		return NULL;
	lo_server s = lo_server_thread_get_server(st);
	/* hundreds of datagrams may queue while this thread waits for a core */
	int big = 4 << 20;
	setsockopt(lo_server_get_socket_fd(s), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	lo_server_thread_add_method(st, NULL, NULL, on_any, NULL);
	*port = (unsigned)lo_server_thread_get_port(st);
	lo_server_thread_start(st);
	return st;
}

/* Waits until the receiver has `want` messages or 3 s passed. */
static int wait_rx(int want)
{
	for (int i = 0; i < 300 && atomic_load(&n_rx) < want; i++)
		sleep_ms(10);
	return atomic_load(&n_rx);
}

/* ---- what the session would hand the sink ---- */

static double snap_value(int i, int k)
{
	switch (k) {
	case 0:
		return i / 200.0;
	case 1:
		return 0.5 + i / 1000.0;
	case 2:
		return i % 7 == 0 ? NAN : 0.25 + i / 4000.0; /* settling: NaN must arrive as NaN */
	case 3:
		return -179.5 + i * 1.7;
	default:
		return (i - 100) * 0.0125;
	}
}

static void make_snapshot(int i, struct att_snapshot *s)
{
	memset(s, 0, sizeof *s);
	s->t = 0.1 * (i + 1);
	s->match = snap_value(i, 0);
	s->plv = snap_value(i, 1);
	s->plv_chance = snap_value(i, 2);
	s->relative_phase_deg = snap_value(i, 3);
	s->lag_s = snap_value(i, 4);
	s->a.phase_rad = -3.0 + i * 0.03;
	s->a.breath_rate_bpm = 6.0 + i * 0.01;
	s->a.heart_rate_bpm = i < 50 ? NAN : 60.0 + i * 0.1;
	s->a.resp_quality = i < 50 ? ATT_Q_SETTLING : 0;
	s->b.phase_rad = 3.0 - i * 0.03;
	s->b.breath_rate_bpm = 7.0 + i * 0.01;
	s->b.heart_rate_bpm = 70.0;
	s->b.resp_quality = i % 2 ? ATT_Q_FLAT | ATT_Q_SETTLING : ATT_Q_ABSENT | ATT_Q_FLAT;
	s->b.ppg_quality = ATT_Q_ABSENT;
}

static float sample_value(uint64_t idx, int c)
{
	if (c == 3 && idx % 11 == 0)
		return NAN;
	return (float)idx * 0.5f + (float)c;
}

static void test_parse(void)
{
	struct att_osc_target t;
	char why[256];
	CHECK(att_osc_parse_target("127.0.0.1:9000", &t, why, sizeof why) == ATT_OK);
	CHECK(strcmp(t.host, "127.0.0.1") == 0 && t.port == 9000);
	CHECK(att_osc_parse_target("mixer.local:57120", &t, why, sizeof why) == ATT_OK);
	CHECK(strcmp(t.host, "mixer.local") == 0 && t.port == 57120);
	CHECK(att_osc_parse_target("[::1]:65535", &t, why, sizeof why) == ATT_OK);
	CHECK(strcmp(t.host, "::1") == 0 && t.port == 65535);
	const char *bad[] = {
	        "",      "9000", ":9000",    "host:",     "host:0", "h:65536",
	        "h:12x", "h:-1", "::1:9000", "[::1]9000", "[::1",   "h:99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		int rc = att_osc_parse_target(bad[i], &t, why, sizeof why);
		CHECK(rc == ATT_ERR_ARG);
		CHECK(why[0] != '\0' && !strchr(why, '\n'));
		if (rc == ATT_OK)
			fprintf(stderr, "  accepted '%s'\n", bad[i]);
	}
	CHECK(att_osc_parse_target(NULL, &t, why, sizeof why) == ATT_ERR_ARG);
}

static void test_quality_words(void)
{
	CHECK(strcmp(att_quality_word(0), "ok") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_SETTLING), "settling") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_SETTLING | ATT_Q_IMPLAUSIBLE), "implausible") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_IMPLAUSIBLE | ATT_Q_SATURATED), "saturated") == 0);
	CHECK(strcmp(att_quality_word(ATT_Q_SATURATED | ATT_Q_FLAT | ATT_Q_SETTLING), "flat") == 0);
	CHECK(strcmp(att_quality_word(0x1f), "absent") == 0);
}

static int feq(float got, double want)
{
	return isnan(want) ? isnan(got) : got == (float)want;
}

/* START, 200 snapshots with samples between them, events, END: everything arrives once, in
 * order, with the exact values. */
static void test_out(void)
{
	unsigned port = 0;
	lo_server_thread st = receiver(&port);
	CHECK(st != NULL);
	if (!st)
		return;
	void *ctx = NULL;
	char why[256] = "";
	struct att_osc_out_cfg cfg = {.host = "127.0.0.1",
	                              .port = port,
	                              .send_samples = 1,
	                              .samples_per_msg = PER_SAMPLES};
	int rc = att_osc_out_new(&cfg, &ctx, why, sizeof why);
	CHECK(rc == ATT_OK);
	if (rc != ATT_OK) {
		fprintf(stderr, "  %s\n", why);
		lo_server_thread_free(st);
		return;
	}

	struct att_source_status src;
	memset(&src, 0, sizeof src);
	snprintf(src.name, sizeof src.name, "simulated board");
	struct att_session_info info = {.source = &src, .rate_hz = 250.0, .device = 0};
	struct att_packet p = {.type = ATT_PACKET_START, .t = 0};
	p.u.start = &info;
	CHECK(att_osc_out_sink.receive(ctx, &p, why, sizeof why) == ATT_OK);

	/* 10 samples per snapshot (not a multiple of the batch): batches straddle snapshots; 3
	 * samples lost before sample 1010 end a batch early (a batch holds consecutive samples),
	 * and the last batch is only sent by END */
	enum { PER_SNAP = 10, GAP_AT = 1010, GAP = 3 };
	static float values[N_SNAP * PER_SNAP][4];
	static struct att_sample raw[PER_SNAP];
	for (int i = 0; i < N_SNAP * PER_SNAP; i++)
		for (int c = 0; c < 4; c++)
			values[i][c] = sample_value((uint64_t)(i < GAP_AT ? i : i + GAP), c);
	int n_events = 0;
	for (int i = 0; i < N_SNAP; i++) {
		struct att_samples sm = {
		        .raw = raw,
		        .value = (const float(*)[4]) & values[i * PER_SNAP],
		        .n = PER_SNAP,
		        .first_index = (uint64_t)(i * PER_SNAP + (i * PER_SNAP < GAP_AT ? 0 : GAP)),
		        .t0 = i * PER_SNAP / 250.0};
		p.type = ATT_PACKET_SAMPLES;
		p.u.samples = &sm;
		CHECK(att_osc_out_sink.receive(ctx, &p, why, sizeof why) == ATT_OK);
		struct att_snapshot s;
		make_snapshot(i, &s);
		p.type = ATT_PACKET_SNAPSHOT;
		p.t = s.t;
		p.u.snapshot = &s;
		CHECK(att_osc_out_sink.receive(ctx, &p, why, sizeof why) == ATT_OK);
		if (i % 40 == 20) {
			struct att_event ev = {.t = s.t,
			                       .kind = i % 80 == 20 ? ATT_EV_MARKER : ATT_EV_PACER,
			                       .value = i / 10.0};
			char text[32];
			snprintf(text, sizeof text, "mark %d", i);
			att_event_set_text(&ev, text);
			p.type = ATT_PACKET_EVENT;
			p.u.event = &ev;
			CHECK(att_osc_out_sink.receive(ctx, &p, why, sizeof why) == ATT_OK);
			n_events++;
		}
		if (i % 10 == 9)
			sleep_ms(1); /* about as bursty as 60 fps frames, far faster than live */
	}
	p.type = ATT_PACKET_END;
	CHECK(att_osc_out_sink.receive(ctx, &p, why, sizeof why) == ATT_OK);

	int n_sample_msgs = (GAP_AT + PER_SAMPLES - 1) / PER_SAMPLES +
	                    (N_SNAP * PER_SNAP - GAP_AT + PER_SAMPLES - 1) / PER_SAMPLES;
	int want = 1 + 3 * N_SNAP + n_events + n_sample_msgs + 1;
	int got = wait_rx(want);
	sleep_ms(100); /* anything extra (a duplicate) would arrive now */
	got = atomic_load(&n_rx);
	CHECK(got == want);
	if (got != want)
		fprintf(stderr, "  received %d messages, want %d\n", got, want);

	struct att_osc_out_stats os;
	att_osc_out_stats(ctx, &os);
	CHECK(os.dropped == 0);
	CHECK(os.sent == (uint64_t)(1 + N_SNAP + n_events + n_sample_msgs + 1));
	att_osc_out_sink.cleanup(ctx);
	lo_server_thread_free(st);

	/* in order: START first, END last, snapshots as sync-a-b triples in order, samples
	 * consecutive from 0 */
	CHECK(got > 0 && rx[0].what == R_START);
	CHECK(got > 0 && rx[0].f[0] == 250.0f && strcmp(rx[0].s, "simulated board") == 0);
	CHECK(got > 0 && rx[got - 1].what == R_END && !rx[got - 1].bad_types);
	int snap = 0, ev = 0, bad = 0;
	uint64_t next_sample = 0;
	for (int k = 1; k < got - 1; k++) {
		const struct rmsg *r = &rx[k];
		bad += r->bad_types;
		if (r->what == R_SYNC) {
			struct att_snapshot s;
			make_snapshot(snap, &s);
			CHECK(k + 2 < got && rx[k + 1].what == R_A && rx[k + 2].what == R_B);
			for (int j = 0; j < 5; j++)
				if (!feq(r->f[j], snap_value(snap, j))) {
					fprintf(stderr, "  snapshot %d value %d: %g\n", snap, j,
					        (double)r->f[j]);
					bad++;
				}
			if (k + 2 < got) {
				const struct att_person *pp[2] = {&s.a, &s.b};
				for (int q = 0; q < 2; q++) {
					const struct rmsg *m = &rx[k + 1 + q];
					bad += !feq(m->f[0], pp[q]->phase_rad);
					bad += !feq(m->f[1], pp[q]->breath_rate_bpm);
					bad += !feq(m->f[2], pp[q]->heart_rate_bpm);
					bad += strcmp(m->s,
					              att_quality_word(pp[q]->resp_quality)) != 0;
				}
			}
			snap++;
			k += 2;
		} else if (r->what == R_EVENT) {
			int i = 20 + 40 * ev;
			char text[32];
			snprintf(text, sizeof text, "mark %d", i);
			CHECK(strcmp(r->s, i % 80 == 20 ? "marker" : "pacer") == 0);
			CHECK(r->f[0] == (float)(0.1 * (i + 1)));
			CHECK(strcmp(r->s2, text) == 0);
			CHECK(r->f[1] == (float)(i / 10.0));
			/* after its snapshot, before the next one */
			CHECK(snap == i + 1);
			ev++;
		} else if (r->what == R_SAMPLES) {
			if (next_sample == GAP_AT)
				next_sample += GAP;
			CHECK((uint64_t)r->first == next_sample);
			for (int j = 0; j < r->nsamp; j++)
				for (int c = 0; c < 4; c++) {
					float w = sample_value(next_sample + (uint64_t)j, c);
					if (!(isnan(w) ? isnan(r->v[j][c]) : r->v[j][c] == w))
						bad++;
				}
			next_sample += (uint64_t)r->nsamp;
		} else {
			bad++;
		}
	}
	CHECK(snap == N_SNAP);
	CHECK(ev == n_events);
	CHECK(next_sample == N_SNAP * PER_SNAP + GAP);
	CHECK(bad == 0);
}

/* Nobody listens: receive() keeps returning ATT_OK at once; losses are counted. */
static void test_out_nobody(void)
{
	/* a port that was free a moment ago and is closed now */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	void *ctx = NULL;
	char why[256] = "";
	struct att_osc_out_cfg cfg = {.host = "127.0.0.1", .port = ntohs(sa.sin_port), .queue = 64};
	CHECK(att_osc_out_new(&cfg, &ctx, why, sizeof why) == ATT_OK);
	if (!ctx)
		return;
	struct att_snapshot s;
	struct att_packet p = {.type = ATT_PACKET_SNAPSHOT};
	p.u.snapshot = &s;
	int fails = 0;
	int64_t t0 = att_clock_ns();
	for (int i = 0; i < 1000; i++) {
		make_snapshot(i % N_SNAP, &s);
		fails += att_osc_out_sink.receive(ctx, &p, why, sizeof why) != ATT_OK;
		if (i % 100 == 99)
			sleep_ms(20); /* let the sender meet the refusals */
	}
	double s_spent = (double)(att_clock_ns() - t0) / 1e9 - 10 * 0.02;
	CHECK(fails == 0);
	CHECK(s_spent < 1.0);
	sleep_ms(100);
	struct att_osc_out_stats os;
	att_osc_out_stats(ctx, &os);
	CHECK(os.sent + os.dropped == 1000);
	CHECK(os.dropped > 0);
	CHECK(os.refused > 0);
	CHECK(os.refused == 0 || os.last_errno == ECONNREFUSED);
	printf("nobody listening: %.3f s for 1000 calls; sent %llu dropped %llu refused %llu\n",
	       s_spent, (unsigned long long)os.sent, (unsigned long long)os.dropped,
	       (unsigned long long)os.refused);
	att_osc_out_sink.cleanup(ctx);
}

static void test_out_bad(void)
{
	void *ctx = (void *)1;
	char why[256] = "";
	struct att_osc_out_cfg cfg = {.host = "no-such-host.invalid", .port = 9000};
	CHECK(att_osc_out_new(&cfg, &ctx, why, sizeof why) == ATT_ERR_ARG);
	CHECK(ctx == NULL && strstr(why, "no-such-host.invalid") != NULL);
	cfg.host = "127.0.0.1";
	cfg.port = 0;
	CHECK(att_osc_out_new(&cfg, &ctx, why, sizeof why) == ATT_ERR_ARG);
	cfg.port = 9000;
	cfg.samples_per_msg = ATT_OSC_SAMPLES_MAX + 1;
	CHECK(att_osc_out_new(&cfg, &ctx, why, sizeof why) == ATT_ERR_ARG);
}

/* ---- in ---- */

struct got {
	uint8_t kind;
	int64_t host_ns;
	char text[ATT_EVENT_TEXT_MAX * 4];
};
static pthread_mutex_t got_lock = PTHREAD_MUTEX_INITIALIZER;
static struct got got_ev[64];
static int n_got;
static int post_result = ATT_OK;

static int on_post(void *ctx, uint8_t kind, int64_t host_ns, double value, const char *text)
{
	(void)value;
	CHECK(ctx == &got_ev);
	pthread_mutex_lock(&got_lock);
	if (n_got < 64) {
		got_ev[n_got].kind = kind;
		got_ev[n_got].host_ns = host_ns;
		snprintf(got_ev[n_got].text, sizeof got_ev[n_got].text, "%s", text);
		n_got++;
	}
	pthread_mutex_unlock(&got_lock);
	return post_result;
}

static int wait_got(int want, double ms)
{
	int n = 0;
	for (double w = 0; w < ms; w += 5) {
		pthread_mutex_lock(&got_lock);
		n = n_got;
		pthread_mutex_unlock(&got_lock);
		if (n >= want)
			break;
		sleep_ms(5);
	}
	return n;
}

static void reset_got(void)
{
	pthread_mutex_lock(&got_lock);
	n_got = 0;
	pthread_mutex_unlock(&got_lock);
}

static int run_oscsend(unsigned port, const char *path, const char *types, const char *arg)
{
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", port);
	pid_t pid = fork();
	if (pid == 0) {
		if (types)
			execlp("oscsend", "oscsend", "localhost", portstr, path, types, arg,
			       (char *)NULL);
		else
			execlp("oscsend", "oscsend", "localhost", portstr, path, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_in(void)
{
	struct att_osc_in *in = NULL;
	char why[256] = "";
	struct att_osc_in_cfg cfg = {.port = 0, .post = on_post, .ctx = &got_ev};
	int rc = att_osc_in_new(&cfg, &in, why, sizeof why);
	CHECK(rc == ATT_OK);
	if (rc != ATT_OK) {
		fprintf(stderr, "  %s\n", why);
		return;
	}
	char addr[64] = "";
	unsigned port = 0;
	CHECK(att_osc_in_address(in, addr, sizeof addr, &port) == ATT_OK);
	/* this machine only, unless asked */
	CHECK(strcmp(addr, "127.0.0.1") == 0);
	CHECK(port > 0);

	/* oscsend, as a user would type it */
	reset_got();
	int64_t before = att_clock_ns();
	int st = run_oscsend(port, "/attune/marker", "s", "stretch");
	int64_t after = att_clock_ns();
	CHECK(st == 0);
	CHECK(wait_got(1, 2000) == 1);
	sleep_ms(50);
	CHECK(n_got == 1); /* once */
	if (n_got >= 1) {
		CHECK(got_ev[0].kind == ATT_EV_MARKER);
		CHECK(strcmp(got_ev[0].text, "stretch") == 0);
		CHECK(got_ev[0].host_ns >= before);
		CHECK(got_ev[0].host_ns <= after + 50000000);
	}

	/* liblo in process: the arrival stamp is within 50 ms of the send */
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", port);
	lo_address to = lo_address_new("127.0.0.1", portstr);
	reset_got();
	int64_t sent_ns = att_clock_ns();
	CHECK(lo_send(to, "/attune/marker", "s", "breathe in") > 0);
	CHECK(wait_got(1, 2000) == 1);
	if (n_got >= 1) {
		CHECK(strcmp(got_ev[0].text, "breathe in") == 0);
		CHECK(got_ev[0].host_ns >= sent_ns);
		CHECK(got_ev[0].host_ns - sent_ns < 50000000);
	}

	/* no argument = empty text; a note; what is not ours is ignored and counted */
	reset_got();
	CHECK(lo_send(to, "/attune/marker", "") > 0);
	CHECK(lo_send(to, "/attune/other", "s", "x") > 0);
	CHECK(lo_send(to, "/attune/marker", "i", 3) > 0);
	CHECK(lo_send(to, "/attune/note", "") > 0);
	CHECK(lo_send(to, "/attune/note", "s", "partner coughed") > 0);
	/* a bundle: both inside arrive, in order */
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_message m1 = lo_message_new(), m2 = lo_message_new();
	lo_message_add_string(m1, "in bundle 1");
	lo_message_add_string(m2, "in bundle 2");
	lo_bundle_add_message(b, "/attune/marker", m1);
	lo_bundle_add_message(b, "/attune/note", m2);
	CHECK(lo_send_bundle(to, b) > 0);
	lo_bundle_free_recursive(b);
	CHECK(wait_got(4, 2000) == 4);
	sleep_ms(50);
	CHECK(n_got == 4);
	if (n_got == 4) {
		CHECK(got_ev[0].kind == ATT_EV_MARKER && got_ev[0].text[0] == '\0');
		CHECK(got_ev[1].kind == ATT_EV_NOTE &&
		      strcmp(got_ev[1].text, "partner coughed") == 0);
		CHECK(got_ev[2].kind == ATT_EV_MARKER &&
		      strcmp(got_ev[2].text, "in bundle 1") == 0);
		CHECK(got_ev[3].kind == ATT_EV_NOTE && strcmp(got_ev[3].text, "in bundle 2") == 0);
	}
	struct att_osc_in_stats is;
	att_osc_in_stats(in, &is);
	CHECK(is.markers == 4 && is.notes == 2 && is.ignored == 3 && is.refused == 0);

	/* garbage does not stop it */
	int g = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	const char junk[] = "#bundle\0\0\0\0\0\0\0\0\0\x7f\xff\xff\xff/x";
	sendto(g, junk, sizeof junk, 0, (struct sockaddr *)&sa, sizeof sa);
	sendto(g, "/attune/marker", 14, 0, (struct sockaddr *)&sa, sizeof sa);
	close(g);
	post_result = ATT_ERR_BUSY;
	reset_got();
	CHECK(lo_send(to, "/attune/marker", "s", "after junk") > 0);
	CHECK(wait_got(1, 2000) == 1);
	att_osc_in_stats(in, &is);
	CHECK(is.refused == 1 && is.ignored == 5);
	post_result = ATT_OK;

	/* the port is taken now: a second listener is refused with the way out */
	struct att_osc_in *in2 = NULL;
	struct att_osc_in_cfg cfg2 = {.port = port, .post = on_post, .ctx = &got_ev};
	why[0] = '\0';
	CHECK(att_osc_in_new(&cfg2, &in2, why, sizeof why) == ATT_ERR_BUSY);
	CHECK(in2 == NULL);
	char want[96];
	snprintf(want, sizeof want, "port %u is in use; pick another with --osc-listen PORT", port);
	CHECK(strcmp(why, want) == 0);
	if (strcmp(why, want) != 0)
		fprintf(stderr, "  why: %s\n", why);

	lo_address_free(to);
	att_osc_in_free(in);

	/* freed: the port is free again */
	CHECK(att_osc_in_new(&cfg2, &in2, why, sizeof why) == ATT_OK);
	att_osc_in_free(in2);
}

static void test_in_bad(void)
{
	struct att_osc_in *in = NULL;
	char why[256] = "";
	struct att_osc_in_cfg cfg = {.port = 0, .bind = "not-an-address", .post = on_post};
	CHECK(att_osc_in_new(&cfg, &in, why, sizeof why) == ATT_ERR_ARG);
	CHECK(strstr(why, "--osc-listen-address") != NULL);
	/* TEST-NET-1: never an address of this machine */
	cfg.bind = "192.0.2.1";
	CHECK(att_osc_in_new(&cfg, &in, why, sizeof why) == ATT_ERR_ARG);
	CHECK(strstr(why, "not an address of this machine") != NULL);
	cfg.bind = NULL;
	cfg.post = NULL;
	CHECK(att_osc_in_new(&cfg, &in, why, sizeof why) == ATT_ERR_ARG);
	cfg.post = on_post;
	cfg.port = 70000;
	CHECK(att_osc_in_new(&cfg, &in, why, sizeof why) == ATT_ERR_ARG);
	CHECK(in == NULL);
}

static void test_in_unix(void)
{
	char path[108];
	snprintf(path, sizeof path, "/tmp/attune-osc-test-%d.sock", (int)getpid());
	unlink(path);
	/* a regular file there is not ours to replace */
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	struct att_osc_in *in = NULL;
	char why[256] = "";
	struct att_osc_in_cfg cfg = {.port = 0, .unix_path = path, .post = on_post, .ctx = &got_ev};
	CHECK(att_osc_in_new(&cfg, &in, why, sizeof why) == ATT_ERR_ARG);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	/* a stale socket (left by a crash) is */
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0);
	close(s);
	int rc = att_osc_in_new(&cfg, &in, why, sizeof why);
	CHECK(rc == ATT_OK);
	if (rc != ATT_OK) {
		fprintf(stderr, "  %s\n", why);
		return;
	}
	struct stat stt;
	CHECK(stat(path, &stt) == 0 && (stt.st_mode & 0077) == 0);
	/* and a live one is in use */
	struct att_osc_in *in2 = NULL;
	CHECK(att_osc_in_new(&cfg, &in2, why, sizeof why) == ATT_ERR_BUSY);

	reset_got();
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	const char *lines = "stretch\r\nsecond one\n";
	CHECK(sendto(s, lines, strlen(lines), 0, (struct sockaddr *)&sa, sizeof sa) ==
	      (ssize_t)strlen(lines));
	CHECK(sendto(s, "\n", 1, 0, (struct sockaddr *)&sa, sizeof sa) == 1);
	close(s);
	CHECK(wait_got(3, 2000) == 3);
	if (n_got == 3) {
		CHECK(got_ev[0].kind == ATT_EV_MARKER && strcmp(got_ev[0].text, "stretch") == 0);
		CHECK(strcmp(got_ev[1].text, "second one") == 0);
		CHECK(got_ev[2].text[0] == '\0');
	}
	att_osc_in_free(in);
	CHECK(access(path, F_OK) != 0);
}

int main(void)
{
	test_parse();
	test_quality_words();
	test_out();
	test_out_nobody();
	test_out_bad();
	test_in();
	test_in_bad();
	test_in_unix();
	return att_check_done("osc");
}
