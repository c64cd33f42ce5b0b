/* Rooms over a real mosquitto (started by bench_room.py, which also times the broker's CPU).
 *
 * bench_room latency URL CAFILE USER PASSWORD SECONDS
 *   Two rooms' ends in this process, as partner a and partner b, each with a generated couple
 *   at 250 Hz as its board (att_room_open: the project's whole room path, TLS, the clock
 *   alignment, the jitter buffer). Prints, for each end, the partner's samples from the time
 *   they were taken to this end's main thread and to its engine (p50/p99, att_room_stats), the
 *   samples late or held after the first 15 s, and the bytes and messages it published per
 *   second. SECONDS >= 20.
 *
 * bench_room scale URL CAFILE ROOMS SECONDS PASSWORD [FIRST]
 *   ROOMS rooms of two simulated participants each (users bench-FIRST.. with PASSWORD, the ACL
 *   confining each to its room), each a libmosquitto client of its own (TLS, its own network
 *   thread) publishing version-1 samples messages of 25 samples 10 times a second (250 Hz) and
 *   subscribed to its room's topics like attune room. Prints the delivery latency (publish to
 *   the partner's callback, p50/p99/max), messages lost (sequence gaps) or never delivered,
 *   connections that failed or dropped, and this process's CPU. libmosquitto waits with
 *   select(), which takes no descriptor above 1023, and each client holds three (its socket and
 *   a wakeup pair): one process carries at most about 340 clients, so bench_room.py runs 100
 *   rooms a process. */
#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "attune/clock.h"
#include "attune/couple.h"
#include "attune/room.h"
#include "attune/room_wire.h"
#include "attune/source.h"

static void on_room_event(void *ctx, uint8_t kind, int64_t host_ns, double value, const char *text)
{
	(void)kind;
	(void)host_ns;
	(void)value;
	fprintf(stderr, "%s: %s\n", (const char *)ctx, text);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int latency(int argc, char **argv)
{
	static const char *const side_name[2] = {"a", "b"};
	struct att_source *room[2] = {NULL, NULL};
	struct att_sample buf[256];
	struct att_room_stats st[2], st0[2];
	double seconds, cpu0;
	int64_t t0, until;
	char why[400];

	if (argc != 7)
		return 2;
	seconds = atof(argv[6]);
	if (!(seconds >= 20))
		return 2;
	for (int s = 0; s < 2; s++) {
		struct att_source *couple;
		struct att_room_cfg cfg = {.cafile = argv[3],
		                           .user = argv[4],
		                           .password = argv[5],
		                           .room = argv[4],
		                           .side = s ? ATT_ROOM_SIDE_B : ATT_ROOM_SIDE_A,
		                           .name = side_name[s],
		                           .on_event = on_room_event,
		                           .ctx = (void *)side_name[s]};
		if (att_room_parse_broker(argv[2], &cfg.broker, why, sizeof why) != ATT_OK ||
		    att_source_open_couple(&(struct att_couple_cfg){.rate_hz = 250,
		                                                    .script = ATT_COUPLE_IN_PHASE,
		                                                    .seed = (uint32_t)s + 1},
		                           1.0, &couple) != ATT_OK ||
		    att_room_open(&cfg, couple, &room[s], why, sizeof why) != ATT_OK ||
		    att_source_start(room[s]) != ATT_OK) {
			fprintf(stderr, "bench_room: %s\n", why);
			return 1;
		}
	}
	cpu0 = cpu_s();
	t0 = att_clock_ns();
	until = t0 + (int64_t)(seconds * 1e9);
	for (int warm = 1; warm >= 0; warm--) {
		/* the first 15 s: the clock estimates settle (samples moved back in time by a
		 * correction are dropped as late then); late samples are counted after */
		int64_t end = warm ? t0 + 15000000000LL : until;
		while (att_clock_ns() < end) {
			for (int s = 0; s < 2; s++)
				while (att_source_read(room[s], buf, 256) > 0)
					;
			att_clock_sleep_until(att_clock_ns() + 4000000); /* ~ a frame */
		}
		if (warm)
			for (int s = 0; s < 2; s++)
				att_room_stats(room[s], &st0[s]);
	}
	seconds = (double)(att_clock_ns() - t0) * 1e-9;
	for (int s = 0; s < 2; s++)
		att_room_stats(room[s], &st[s]);
	for (int s = 0; s < 2; s++) {
		const struct att_room_stats *x = &st[s];
		printf("{\"side\": \"%s\", \"seconds\": %.1f, \"partner_to_main_p50_ms\": %.1f, "
		       "\"partner_to_main_p99_ms\": %.1f, \"partner_to_engine_p50_ms\": %.1f, "
		       "\"partner_to_engine_p99_ms\": %.1f, \"jitter_ms\": %.0f, "
		       "\"sent_bytes_per_s\": %.1f, \"sent_messages_per_s\": %.2f, "
		       "\"received_samples\": %llu, \"late_after_15s\": %llu, "
		       "\"held_after_15s\": %llu, "
		       "\"offset_ms\": %.2f, \"round_trip_ms\": %.1f, \"cpu_share_both\": %.4f}\n",
		       side_name[s], seconds, x->arrive_p50_ms, x->arrive_p99_ms, x->engine_p50_ms,
		       x->engine_p99_ms, x->jitter_s * 1000.0, (double)x->sent_bytes / seconds,
		       (double)x->sent_messages / seconds, (unsigned long long)x->received_samples,
		       (unsigned long long)(x->late[1 - s] - st0[s].late[1 - s]),
		       (unsigned long long)(x->held[1 - s] - st0[s].held[1 - s]),
		       x->offset_ms[1 - s], x->delay_ms[1 - s], (cpu_s() - cpu0) / seconds);
	}
	for (int s = 0; s < 2; s++)
		att_source_free(room[s]);
	return 0;
}

/* ---- scale: simulated participants ---- */

#define LAT_BINS 10000u /* 1 ms bins up to 10 s */

struct part {
	struct mosquitto *m;
	int room, side;
	char topic[64];
	uint32_t instance, seq;
	atomic_int connected, failed;
	atomic_uint disconnects;
	/* written by this client's network thread */
	uint32_t next_seq_seen;
	int seen;
};

static _Atomic uint32_t lat_hist[LAT_BINS];
static atomic_ullong delivered, lost, lat_max_ms, published;

static void on_msg(struct mosquitto *m, void *ctx, const struct mosquitto_message *mm)
{
	struct part *p = ctx;
	struct att_room_msg msg;
	int64_t now = att_clock_ns(), ms;

	(void)m;
	if (att_room_decode(mm->payload, (size_t)mm->payloadlen, &msg) != ATT_OK ||
	    msg.type != ATT_ROOM_SAMPLES || msg.instance == p->instance)
		return; /* our own, as attune room ignores them */
	if (p->seen && msg.u.samples.seq != p->next_seq_seen)
		atomic_fetch_add(&lost, msg.u.samples.seq - p->next_seq_seen);
	p->seen = 1;
	p->next_seq_seen = msg.u.samples.seq + 1;
	ms = (now - msg.u.samples.t0_ns) / 1000000;
	atomic_fetch_add(&lat_hist[ms < 0 ? 0 : ms < (int64_t)LAT_BINS ? ms : LAT_BINS - 1], 1);
	if ((unsigned long long)ms > atomic_load(&lat_max_ms))
		atomic_store(&lat_max_ms, (unsigned long long)ms);
	atomic_fetch_add(&delivered, 1);
}

static void on_conn(struct mosquitto *m, void *ctx, int rc)
{
	struct part *p = ctx;
	char t[64];

	if (rc) {
		atomic_store(&p->failed, rc);
		return;
	}
	snprintf(t, sizeof t, "attune/bench-%04d/#", p->room);
	mosquitto_subscribe(m, NULL, t, 1);
	atomic_store(&p->connected, 1);
}

static void on_disc(struct mosquitto *m, void *ctx, int rc)
{
	struct part *p = ctx;

	(void)m;
	if (rc)
		atomic_fetch_add(&p->disconnects, 1);
	atomic_store(&p->connected, 0);
}

static double quantile(double q)
{
	unsigned long long n = atomic_load(&delivered), want, seen = 0;

	if (!n)
		return NAN;
	want = (unsigned long long)ceil(q * (double)n);
	for (unsigned i = 0; i < LAT_BINS; i++)
		if ((seen += atomic_load(&lat_hist[i])) >= want)
			return i + 0.5;
	return LAT_BINS;
}

/* The latency histogram as "ms:count" pairs of the bins used, so processes can be merged. */
static void print_hist(void)
{
	int comma = 0;

	printf("\"latency_hist\": {");
	for (unsigned i = 0; i < LAT_BINS; i++)
		if (atomic_load(&lat_hist[i])) {
			printf("%s\"%u\": %u", comma ? ", " : "", i, atomic_load(&lat_hist[i]));
			comma = 1;
		}
	printf("}, ");
}

static int scale(int argc, char **argv)
{
	struct att_room_broker b;
	struct att_room_msg msg = {.type = ATT_ROOM_SAMPLES};
	uint8_t buf[ATT_ROOM_MSG_MAX];
	struct part *parts;
	struct rlimit rl;
	int rooms, first, n, up = 0, failed = 0, pub_fail = 0;
	double seconds, cpu0;
	int64_t t0, until, tick;
	char why[300];

	if (argc != 7 && argc != 8)
		return 2;
	first = argc == 8 ? atoi(argv[7]) : 0;
	rooms = atoi(argv[4]);
	seconds = atof(argv[5]);
	n = 2 * rooms;
	if (att_room_parse_broker(argv[2], &b, why, sizeof why) != ATT_OK || rooms < 1) {
		fprintf(stderr, "bench_room: %s\n", why);
		return 2;
	}
	/* a socket and a pair of wakeup pipes per client */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	parts = calloc((size_t)n, sizeof *parts);
	if (!parts)
		return 1;
	mosquitto_lib_init();
	for (int i = 0; i < n; i++) {
		struct part *p = &parts[i];
		char id[64], user[32];
		p->room = first + i / 2;
		p->side = i % 2;
		p->instance = (uint32_t)i + 1;
		snprintf(p->topic, sizeof p->topic, "attune/bench-%04d/%c/samples", p->room,
		         'a' + p->side);
		snprintf(user, sizeof user, "bench-%04d", p->room);
		snprintf(id, sizeof id, "bench-%04d-%c", p->room, 'a' + p->side);
		p->m = mosquitto_new(id, true, p);
		if (!p->m)
			return 1;
		mosquitto_int_option(p->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
		mosquitto_username_pw_set(p->m, user, argv[6]);
		if (b.tls)
			mosquitto_tls_set(p->m, argv[3], NULL, NULL, NULL, NULL);
		mosquitto_connect_callback_set(p->m, on_conn);
		mosquitto_disconnect_callback_set(p->m, on_disc);
		mosquitto_message_callback_set(p->m, on_msg);
		if (mosquitto_connect(p->m, b.host, b.port, 5) != MOSQ_ERR_SUCCESS ||
		    mosquitto_loop_start(p->m) != MOSQ_ERR_SUCCESS) {
			atomic_store(&p->failed, -1);
			continue;
		}
	}
	/* wait for the connections (up to 60 s) */
	until = att_clock_ns() + 60000000000LL;
	while (att_clock_ns() < until) {
		up = failed = 0;
		for (int i = 0; i < n; i++) {
			up += atomic_load(&parts[i].connected);
			failed += atomic_load(&parts[i].failed) != 0;
		}
		if (up + failed == n)
			break;
		att_clock_sleep_until(att_clock_ns() + 100000000);
	}
	fprintf(stderr, "bench_room: %d of %d participants connected, %d refused\n", up, n, failed);
	att_clock_sleep_until(att_clock_ns() + 1000000000LL); /* subscriptions in */
	atomic_store(&delivered, 0);
	atomic_store(&lost, 0);
	memset((void *)lat_hist, 0, sizeof lat_hist);
	atomic_store(&lat_max_ms, 0);
	printf("{\"phase\": \"publishing\"}\n"); /* bench_room.py times the broker from here */
	fflush(stdout);
	cpu0 = cpu_s();
	t0 = att_clock_ns();
	until = t0 + (int64_t)(seconds * 1e9);
	msg.u.samples.rate_mhz = 250000;
	msg.u.samples.n = ATT_ROOM_BATCH;
	for (unsigned k = 0; k < ATT_ROOM_BATCH; k++) {
		msg.u.samples.resp[k] = (uint16_t)(500 + k);
		msg.u.samples.ppg[k] = (uint16_t)(400 + k);
	}
	/* every participant publishes every 100 ms, spread evenly over the 100 ms */
	for (tick = 0;; tick++) {
		int64_t due = t0 + tick * 100000000LL / n;
		struct part *p = &parts[tick % n];
		int len;
		if (due >= until)
			break;
		att_clock_sleep_until(due);
		if (!atomic_load(&p->connected))
			continue;
		msg.instance = p->instance;
		msg.u.samples.seq = p->seq++;
		msg.u.samples.counter = p->seq * ATT_ROOM_BATCH;
		msg.u.samples.t0_ns = att_clock_ns();
		len = att_room_encode(&msg, buf, sizeof buf);
		if (mosquitto_publish(p->m, NULL, p->topic, len, buf, 0, false) != MOSQ_ERR_SUCCESS)
			pub_fail++;
		else
			atomic_fetch_add(&published, 1);
	}
	seconds = (double)(att_clock_ns() - t0) * 1e-9;
	double cpu = cpu_s() - cpu0;
	printf("{\"phase\": \"published\"}\n");
	fflush(stdout);
	att_clock_sleep_until(att_clock_ns() + 2000000000LL); /* the last ones arrive */
	unsigned drops = 0;
	up = 0;
	for (int i = 0; i < n; i++) {
		drops += atomic_load(&parts[i].disconnects);
		up += atomic_load(&parts[i].connected);
	}
	/* each message should reach the one partner in its room */
	printf("{");
	print_hist();
	printf("\"rooms\": %d, \"participants\": %d, \"connected_at_end\": %d, "
	       "\"refused\": %d, \"dropped_connections\": %u, \"seconds\": %.1f, "
	       "\"published_per_s\": %.0f, \"publish_failed\": %d, \"delivered_per_s\": %.0f, "
	       "\"undelivered\": %lld, \"lost_by_seq\": %llu, \"latency_p50_ms\": %.1f, "
	       "\"latency_p99_ms\": %.1f, \"latency_max_ms\": %llu, \"client_cpu_share\": %.3f}\n",
	       rooms, n, up, failed, drops, seconds, (double)atomic_load(&published) / seconds,
	       pub_fail, (double)atomic_load(&delivered) / seconds,
	       (long long)atomic_load(&published) - (long long)atomic_load(&delivered),
	       (unsigned long long)atomic_load(&lost), quantile(0.5), quantile(0.99),
	       (unsigned long long)atomic_load(&lat_max_ms), cpu / seconds);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (parts[i].m) {
			mosquitto_disconnect(parts[i].m);
			mosquitto_loop_stop(parts[i].m, true);
			mosquitto_destroy(parts[i].m);
		}
	free(parts);
	mosquitto_lib_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (argc > 1 && !strcmp(argv[1], "latency"))
		rc = latency(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "scale"))
		rc = scale(argc, argv);
	if (rc == 2)
		fprintf(stderr,
		        "usage: bench_room latency URL CAFILE USER PASSWORD SECONDS\n"
		        "       bench_room scale URL CAFILE ROOMS SECONDS PASSWORD [FIRST]\n");
	return rc;
}
