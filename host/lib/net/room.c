/* A room over an MQTT broker (room.h): the libmosquitto client, the room's source (local board
 * + remote partner on one time base) and the sink that publishes markers.
 *
 * Who touches what: the room's network thread runs libmosquitto's loop (so its callbacks:
 * decode, clock rounds, presence), reconnects with backoff, batches local samples and publishes
 * them, pings once a second and publishes markers; the main thread reads the source. Between
 * them: the rings out (main -> network: local samples), in (network -> main: remote samples),
 * evout (main -> network: markers), and atomics.
 *
 * Why not mosquitto_loop_start(): in libmosquitto 2.0.11 its thread ends for good when a TLS
 * connection is cut ("unexpected eof": MOSQ_ERR_TLS is among the errors loop_forever returns
 * on), so a room behind a flaky network never came back (measured with the test's proxy). The
 * thread here calls mosquitto_loop() and mosquitto_reconnect() itself. */
#include "attune/room.h"

#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../io/source_impl.h" /* a room is a kind of source, like those in io/ */
#include "attune/clock.h"
#include "attune/event.h"
#include "attune/ring.h"
#include "attune/room_clock.h"
#include "attune/room_pair.h"
#include "attune/room_wire.h"

#define OUT_CAP     4096u  /* local samples waiting for the worker: 16 s at 250 Hz */
#define IN_CAP      16384u /* remote samples waiting for the main thread */
#define EV_CAP      64u
#define READ_CHUNK  256u
#define PING_NS     1000000000LL /* a clock round a second */
#define GAP_NOTE_S  0.25 /* a remote gap shorter than this is not annotated */
#define ECHO_KEEP   16u
#define BACKOFF_MIN_NS 1000000000LL  /* reconnect after 1 s, doubling up to 30 s */
#define BACKOFF_MAX_NS 30000000000LL
#define CLOCK_TELL_ROUNDS 8 /* the offset is said once this many rounds are in */
#define LAT_BINS    4096u /* latency histograms: 1 ms bins up to 4.096 s */

struct out_sample {
	uint32_t counter;
	int64_t t_ns;
	uint16_t resp, ppg;
};

struct in_sample {
	uint8_t lane;
	int64_t t_sender_ns;
	uint16_t resp, ppg;
};

struct out_event {
	uint8_t kind;
	int64_t t_ns;
	double value;
	char text[ATT_ROOM_TEXT_MAX];
};

struct peer {
	/* network thread only */
	uint32_t instance;
	int seen;
	struct att_room_order order, ev_order;
	struct att_room_clock *clock;
	char name[ATT_ROOM_NAME_MAX];
	int ever_online;
	int said_clock; /* the offset was told once it rests on enough rounds */
	double mv_per_count; /* the partner's board, from its hello; 0 = not known yet */
	/* shared */
	atomic_int online;
	atomic_int clock_known;
	_Atomic int64_t offset_ns, delay_ns;
	atomic_uint epoch; /* +1 when the partner restarts: samples of an older epoch are dropped */
};

struct room {
	struct att_room_cfg cfg;
	char *room_code, *name, *user, *password, *cafile;
	char prefix[128]; /* attune/ROOM/ */
	char side[32];    /* a, b or observer-xxxxxxxx */
	/* this host's board as the hello tells it, and its millivolts per count: the remote
	 * partners' counts are put on this scale (the session has one gain for each channel) */
	uint8_t adc_bits;
	uint16_t vref_mv;
	double mv_per_count;
	int lane;         /* 0 a, 1 b, -1 observer */
	uint32_t instance;
	struct mosquitto *mosq;
	struct att_source *local;
	struct att_room_pair *pair;
	struct att_ring *out, *in, *evout;
	struct peer peer[2];
	struct att_room_order observer_ev;
	pthread_t worker;
	int worker_started, lib_init;
	atomic_int stop;
	/* connection, set by the network thread */
	atomic_int connected, connack, subscribed, refused_sub, probe_seen, taken, announced;
	atomic_int tls_failed;
	char tls_why[200];
	long tls_verify;          /* OpenSSL's verify result of the broker's certificate */
	char tls_not_after[64];   /* its expiry, when it had one we could read */
	atomic_uint reconnects;
	int was_connected, said_lost;
	int announced_sent; /* network thread: hello and status published */
	atomic_int net_dead; /* before the room is joined: the first connection failed (rc) */
	int net_up;          /* network thread: a connection to use */
	int64_t retry_at, backoff_ns;
	atomic_int goodbye_mid, goodbye_done;
	/* counters */
	atomic_ullong sent_messages, sent_bytes, received, duplicate, stale, missing, unplaced;
	atomic_ullong in_dropped;
	/* markers this room posted itself (their host_ns), so the sink does not send them back */
	_Atomic int64_t echo[ECHO_KEEP];
	atomic_uint echo_n;
	/* main thread */
	struct att_room_timeline tl;
	double rate_hz;
	struct att_sample rb[READ_CHUNK];
	struct att_room_pair_out po[READ_CHUNK];
	int live[2];        /* the lane has had real samples */
	/* the remote partner's samples: from their time (on our clock) to here, and to the engine */
	uint32_t lat_arrive[LAT_BINS], lat_engine[LAT_BINS];
	uint64_t lat_n[2];
	int64_t held_from[2]; /* first held instant of a run, 0 = none */
	/* worker only */
	struct att_room_samples batch;
	uint32_t seq, ev_seq, ping_id;
	int64_t next_ping;
};

/* ---- addresses and codes ---- */

int att_room_parse_broker(const char *url, struct att_room_broker *out, char *why,
                          size_t why_len)
{
	const char *rest, *colon;
	size_t hl;

	memset(out, 0, sizeof *out);
	if (!url)
		return att_fail(why, why_len, ATT_ERR_ARG, "no broker given");
	if (!strncmp(url, "mqtts://", 8)) {
		out->tls = 1;
		out->port = 8883;
		rest = url + 8;
	} else if (!strncmp(url, "mqtt://", 7)) {
		out->port = 1883;
		rest = url + 7;
	} else
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "--broker needs mqtts://HOST[:PORT] (or mqtt:// on this machine), "
		                "got '%.100s'",
		                url);
	if (rest[0] == '[') { /* [::1]:8883 */
		const char *end = strchr(rest, ']');
		if (!end)
			return att_fail(why, why_len, ATT_ERR_ARG, "--broker: unclosed [ in '%.100s'",
			                url);
		hl = (size_t)(end - rest - 1);
		if (hl == 0 || hl >= sizeof out->host)
			return att_fail(why, why_len, ATT_ERR_ARG, "--broker: bad host in '%.100s'",
			                url);
		memcpy(out->host, rest + 1, hl);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (!colon && end[1] && end[1] != '/')
			return att_fail(why, why_len, ATT_ERR_ARG, "--broker: bad address '%.100s'",
			                url);
	} else {
		colon = strchr(rest, ':');
		hl = colon ? (size_t)(colon - rest) : strcspn(rest, "/");
		if (hl == 0 || hl >= sizeof out->host)
			return att_fail(why, why_len, ATT_ERR_ARG, "--broker: no host in '%.100s'",
			                url);
		memcpy(out->host, rest, hl);
	}
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || (*end && *end != '/') || p < 1 || p > 65535)
			return att_fail(why, why_len, ATT_ERR_ARG,
			                "--broker: the port must be 1-65535 in '%.100s'", url);
		out->port = (int)p;
	}
	out->loopback = !strcmp(out->host, "localhost") || !strncmp(out->host, "127.", 4) ||
	                !strcmp(out->host, "::1");
	return ATT_OK;
}

int att_room_new_code(char *buf, size_t len)
{
	static const char alphabet[] = "23456789abcdefghijkmnpqrstuvwxyz"; /* 32: 5 bits each */
	uint8_t r[20];
	size_t k = 0;

	if (!buf || len < 24)
		return ATT_ERR_ARG;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return ATT_ERR_IO;
	for (size_t i = 0; i < sizeof r; i++) {
		if (i && i % 5 == 0)
			buf[k++] = '-';
		buf[k++] = alphabet[r[i] & 31u];
	}
	buf[k] = 0;
	return ATT_OK;
}

int att_room_code_valid(const char *code)
{
	size_t n = code ? strlen(code) : 0;

	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* ---- publishing ---- */

static void topic(const struct room *r, const char *side, const char *kind, char *buf,
                  size_t len)
{
	snprintf(buf, len, "%s%s/%s", r->prefix, side, kind);
}

/* Any thread. */
static int publish(struct room *r, const char *kind, const struct att_room_msg *m, int qos,
                   int retain, int *mid)
{
	uint8_t buf[ATT_ROOM_MSG_MAX];
	char t[200];
	int n = att_room_encode(m, buf, sizeof buf);

	if (n < 0)
		return n;
	topic(r, r->side, kind, t, sizeof t);
	if (mosquitto_publish(r->mosq, mid, t, n, buf, qos, retain) != MOSQ_ERR_SUCCESS)
		return ATT_ERR_IO;
	atomic_fetch_add(&r->sent_messages, 1);
	atomic_fetch_add(&r->sent_bytes, (unsigned long long)n);
	return ATT_OK;
}

static void announce(struct room *r)
{
	struct att_room_msg hello = {.type = ATT_ROOM_HELLO, .instance = r->instance};
	struct att_room_msg status = {.type = ATT_ROOM_STATUS,
	                              .instance = r->instance,
	                              .u.status.online = 1};

	hello.u.hello.rate_mhz = (uint32_t)llround(r->rate_hz * 1000.0);
	hello.u.hello.adc_bits = r->adc_bits;
	hello.u.hello.vref_mv = r->vref_mv;
	snprintf(hello.u.hello.name, sizeof hello.u.hello.name, "%s", r->name);
	publish(r, "hello", &hello, 1, 1, NULL);
	publish(r, "status", &status, 1, 1, NULL);
}

static void say(struct room *r, uint8_t kind, int64_t host_ns, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void say(struct room *r, uint8_t kind, int64_t host_ns, const char *fmt, ...)
{
	char text[ATT_EVENT_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (r->cfg.on_event)
		r->cfg.on_event(r->cfg.ctx, kind, host_ns, 0.0, text);
}

/* ---- the network thread: libmosquitto's callbacks ---- */

static const char *peer_name(const struct room *r, int lane)
{
	(void)r;
	return r->peer[lane].name[0] ? r->peer[lane].name : lane ? "partner b" : "partner a";
}

static void on_connect(struct mosquitto *m, void *ctx, int rc)
{
	struct room *r = ctx;
	char t[200];

	atomic_store(&r->connack, rc);
	if (rc != 0)
		return;
	atomic_store(&r->connected, 1);
	snprintf(t, sizeof t, "%s#", r->prefix);
	mosquitto_subscribe(m, NULL, t, 1);
	if (r->was_connected) {
		atomic_fetch_add(&r->reconnects, 1);
		if (atomic_load(&r->announced)) {
			announce(r);
			say(r, ATT_EV_NOTE, 0, "room: connected to the broker again");
		}
	}
	r->was_connected = 1;
	r->said_lost = 0;
	r->backoff_ns = BACKOFF_MIN_NS;
}

static void lost(struct room *r)
{
	atomic_store(&r->connected, 0);
	if (atomic_load(&r->announced) && !atomic_load(&r->stop) && !r->said_lost) {
		r->said_lost = 1;
		say(r, ATT_EV_NOTE, 0, "room: lost the broker; reconnecting (your own feedback goes on)");
	}
}

static void on_disconnect(struct mosquitto *m, void *ctx, int rc)
{
	(void)m;
	if (rc != 0)
		lost(ctx);
	else
		atomic_store(&((struct room *)ctx)->connected, 0);
}

static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *granted)
{
	struct room *r = ctx;
	struct att_room_msg probe = {.type = ATT_ROOM_PING, .instance = r->instance};

	(void)m;
	(void)mid;
	if (n < 1 || granted[0] > 2) { /* 0x80: the broker's ACL says no */
		atomic_store(&r->refused_sub, 1);
		return;
	}
	atomic_store(&r->subscribed, 1);
	/* our own message comes back after the retained ones the subscription brought: once it is
	 * here, the room's state (who is online) is known */
	probe.u.clock.id = 0;
	probe.u.clock.t1_ns = att_clock_ns();
	publish(r, "clock", &probe, 1, 0, NULL);
}

static void on_publish(struct mosquitto *m, void *ctx, int mid)
{
	struct room *r = ctx;

	(void)m;
	if (mid == atomic_load(&r->goodbye_mid))
		atomic_store(&r->goodbye_done, 1);
}

/* Why the broker's certificate was refused, read while libmosquitto logs the failed handshake
 * (its SSL object is freed right after): OpenSSL's verify result and the certificate's expiry. */
static void tls_verdict(struct room *r, struct mosquitto *m)
{
	SSL *ssl = mosquitto_ssl_get(m);
	STACK_OF(X509) *chain;
	X509 *cert;
	BIO *bio;

	if (!ssl)
		return;
	r->tls_verify = SSL_get_verify_result(ssl);
	/* a refused certificate is not the session's peer yet, but the chain it came with is kept
	 * (a client's begins with the server's own) */
	chain = SSL_get_peer_cert_chain(ssl);
	cert = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
	if (!cert || !(bio = BIO_new(BIO_s_mem())))
		return;
	if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
		int n = BIO_read(bio, r->tls_not_after, (int)sizeof r->tls_not_after - 1);
		r->tls_not_after[n > 0 ? n : 0] = 0;
	}
	BIO_free(bio);
}

static void on_log(struct mosquitto *m, void *ctx, int level, const char *line)
{
	struct room *r = ctx;

	if (level == MOSQ_LOG_ERR && !atomic_load(&r->tls_failed) &&
	    (strstr(line, "OpenSSL") || strstr(line, "certificate") || strstr(line, "TLS"))) {
		snprintf(r->tls_why, sizeof r->tls_why, "%s", line);
		tls_verdict(r, m);
		atomic_store(&r->tls_failed, 1);
	}
}

static void presence(struct room *r, int lane, const struct att_room_msg *msg)
{
	struct peer *p = &r->peer[lane];
	int64_t now = att_clock_ns();

	if (msg->u.status.online) {
		if (p->seen && msg->instance != p->instance) { /* a restart: another clock */
			att_room_clock_reset(p->clock);
			atomic_store(&p->clock_known, 0);
			p->said_clock = 0;
			atomic_fetch_add(&p->epoch, 1);
		}
		p->instance = msg->instance;
		p->seen = 1;
		if (!atomic_load(&p->online)) {
			atomic_store(&p->online, 1);
			if (atomic_load(&r->announced))
				say(r, ATT_EV_JOIN, now, p->ever_online ? "%s is back" : "%s joined",
				    peer_name(r, lane));
			p->ever_online = 1;
		}
	} else if (atomic_load(&p->online) && (!p->seen || msg->instance == p->instance)) {
		atomic_store(&p->online, 0);
		if (atomic_load(&r->announced))
			say(r, ATT_EV_LEAVE, now, "%s left", peer_name(r, lane));
	}
}

static void samples_in(struct room *r, int lane, const struct att_room_msg *msg)
{
	struct peer *p = &r->peer[lane];
	const struct att_room_samples *s = &msg->u.samples;
	enum att_room_verdict v = att_room_order_check(&p->order, msg->instance, s->seq);
	double period_ns = 1e12 / (double)s->rate_mhz;

	if (v == ATT_ROOM_DUPLICATE)
		atomic_fetch_add(&r->duplicate, 1);
	if (v == ATT_ROOM_STALE)
		atomic_fetch_add(&r->stale, 1);
	if (v != ATT_ROOM_TAKE)
		return;
	atomic_store(&r->missing, p->order.missing);
	if (p->seen && msg->instance != p->instance)
		return; /* not the instance the room's status knows: not placed */
	for (unsigned i = 0; i < s->n; i++) {
		struct in_sample x = {.lane = (uint8_t)lane,
		                      .t_sender_ns = s->t0_ns + (int64_t)llround(i * period_ns),
		                      .resp = att_room_rescale(s->resp[i], p->mv_per_count,
		                                               r->mv_per_count),
		                      .ppg = att_room_rescale(s->ppg[i], p->mv_per_count,
		                                              r->mv_per_count)};
		if (att_ring_write(r->in, &x, 1) != 1)
			atomic_fetch_add(&r->in_dropped, 1);
	}
}

static void clock_in(struct room *r, int lane, const struct att_room_msg *msg, int64_t t_arrive)
{
	struct att_room_msg pong = {.type = ATT_ROOM_PONG, .instance = r->instance};
	struct att_room_clock_est e;

	if (msg->type == ATT_ROOM_PING) {
		pong.u.clock = (struct att_room_clock_msg){.to_instance = msg->instance,
		                                           .id = msg->u.clock.id,
		                                           .t1_ns = msg->u.clock.t1_ns,
		                                           .t2_ns = t_arrive,
		                                           .t3_ns = att_clock_ns()};
		publish(r, "clock", &pong, 0, 0, NULL);
		return;
	}
	if (lane < 0 || msg->u.clock.to_instance != r->instance)
		return;
	if (r->peer[lane].seen && msg->instance != r->peer[lane].instance)
		return;
	if (att_room_clock_add(r->peer[lane].clock, msg->u.clock.t1_ns, msg->u.clock.t2_ns,
	                       msg->u.clock.t3_ns, att_clock_ns()) != ATT_OK)
		return;
	if (att_room_clock_estimate(r->peer[lane].clock, att_clock_ns(), &e) == ATT_OK) {
		atomic_store(&r->peer[lane].offset_ns, e.offset_ns);
		atomic_store(&r->peer[lane].delay_ns, e.delay_ns);
		atomic_store(&r->peer[lane].clock_known, 1);
		if (e.rounds >= CLOCK_TELL_ROUNDS && !r->peer[lane].said_clock) {
			r->peer[lane].said_clock = 1;
			say(r, ATT_EV_NOTE, 0, "room: %s's clock is %+.0f ms from ours (round trip %.0f ms)",
			    peer_name(r, lane), (double)e.offset_ns * 1e-6, (double)e.delay_ns * 1e-6);
		}
	}
}

static void event_in(struct room *r, int lane, const char *who, const struct att_room_msg *msg)
{
	struct att_room_order *o = lane >= 0 ? &r->peer[lane].ev_order : &r->observer_ev;
	int64_t now = att_clock_ns();
	unsigned k;

	if (att_room_order_check(o, msg->instance, msg->u.event.seq) != ATT_ROOM_TAKE)
		return;
	/* markers from anyone; guide control from observers only */
	if (msg->u.event.kind != ATT_EV_MARKER &&
	    !(msg->u.event.kind == ATT_EV_GUIDE && lane < 0 &&
	      msg->u.event.value >= ATT_GUIDE_CTL_START))
		return;
	k = atomic_fetch_add(&r->echo_n, 1);
	atomic_store(&r->echo[k % ECHO_KEEP], now);
	if (msg->u.event.kind == ATT_EV_GUIDE) {
		if (r->cfg.on_event)
			r->cfg.on_event(r->cfg.ctx, ATT_EV_GUIDE, now, msg->u.event.value,
			                msg->u.event.text);
		return;
	}
	say(r, ATT_EV_MARKER, now, "%s: %s", who, msg->u.event.text);
}

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *mm)
{
	struct room *r = ctx;
	int64_t t_arrive = att_clock_ns();
	size_t pl = strlen(r->prefix);
	const char *side, *kind;
	char side_buf[32];
	struct att_room_msg msg;
	int lane;

	(void)m;
	if (!mm->topic || strncmp(mm->topic, r->prefix, pl))
		return;
	side = mm->topic + pl;
	kind = strchr(side, '/');
	if (!kind || (size_t)(kind - side) >= sizeof side_buf)
		return;
	memcpy(side_buf, side, (size_t)(kind - side));
	side_buf[kind - side] = 0;
	kind++;
	if (att_room_decode(mm->payload, (size_t)mm->payloadlen, &msg) != ATT_OK)
		return;
	if (!strcmp(side_buf, r->side)) {
		if (msg.instance == r->instance) {
			if (msg.type == ATT_ROOM_PING && msg.u.clock.id == 0)
				atomic_store(&r->probe_seen, 1);
			return;
		}
		/* another host with our side: the place is taken while it says it is online */
		if (msg.type == ATT_ROOM_STATUS && !atomic_load(&r->announced))
			atomic_store(&r->taken, msg.u.status.online);
		return;
	}
	lane = !strcmp(side_buf, "a") ? 0 : !strcmp(side_buf, "b") ? 1 : -1;
	switch (msg.type) {
	case ATT_ROOM_STATUS:
		if (lane >= 0)
			presence(r, lane, &msg);
		break;
	case ATT_ROOM_HELLO:
		if (lane >= 0) {
			snprintf(r->peer[lane].name, sizeof r->peer[lane].name, "%s",
			         msg.u.hello.name);
			r->peer[lane].mv_per_count = att_room_hello_mv_per_count(&msg.u.hello);
		}
		break;
	case ATT_ROOM_SAMPLES:
		if (lane >= 0)
			samples_in(r, lane, &msg);
		break;
	case ATT_ROOM_PING:
	case ATT_ROOM_PONG:
		clock_in(r, lane, &msg, t_arrive);
		break;
	case ATT_ROOM_EVENT:
		event_in(r, lane, lane >= 0 ? peer_name(r, lane) : "therapist", &msg);
		break;
	}
}

/* ---- the network thread: its loop ---- */

static void flush_batch(struct room *r)
{
	struct att_room_msg m = {.type = ATT_ROOM_SAMPLES, .instance = r->instance};

	if (!r->batch.n)
		return;
	r->batch.seq = r->seq++;
	r->batch.rate_mhz = (uint32_t)llround(r->rate_hz * 1000.0);
	m.u.samples = r->batch;
	/* QoS 0: a late sample is no use to the partner; a lost one is a gap the seq shows */
	publish(r, "samples", &m, 0, 0, NULL);
	r->batch.n = 0;
}

/* One turn of the network: libmosquitto's loop (up to 10 ms waiting for the socket), or a
 * reconnection attempt when its time has come. */
static void network(struct room *r, int64_t now)
{
	int rc;

	if (r->net_up) {
		rc = mosquitto_loop(r->mosq, 10, 1);
		if (rc == MOSQ_ERR_SUCCESS)
			return;
		r->net_up = 0;
		if (!atomic_load(&r->announced)) {
			atomic_store(&r->net_dead, rc); /* att_room_open() says why */
			return;
		}
		lost(r);
		r->retry_at = now + r->backoff_ns;
		return;
	}
	if (!atomic_load(&r->announced) || now < r->retry_at) {
		att_clock_sleep_until(now + 10000000);
		return;
	}
	rc = mosquitto_reconnect(r->mosq);
	if (rc == MOSQ_ERR_SUCCESS) {
		r->net_up = 1;
		return;
	}
	r->backoff_ns = r->backoff_ns * 2 < BACKOFF_MAX_NS ? r->backoff_ns * 2 : BACKOFF_MAX_NS;
	r->retry_at = now + r->backoff_ns;
}

/* Goodbye (the partner hears "left" now rather than at the keepalive), then disconnect. */
static void goodbye(struct room *r)
{
	struct att_room_msg st = {.type = ATT_ROOM_STATUS, .instance = r->instance};
	int mid = -1;
	int64_t until = att_clock_ns() + 1000000000LL;

	if (!r->net_up || !atomic_load(&r->connected))
		return;
	if (atomic_load(&r->announced) && publish(r, "status", &st, 1, 1, &mid) == ATT_OK) {
		atomic_store(&r->goodbye_mid, mid);
		while (!atomic_load(&r->goodbye_done) && att_clock_ns() < until &&
		       mosquitto_loop(r->mosq, 10, 1) == MOSQ_ERR_SUCCESS)
			;
	}
	mosquitto_disconnect(r->mosq);
	mosquitto_loop(r->mosq, 10, 1);
}

static void *worker(void *arg)
{
	struct room *r = arg;
	struct out_sample x;
	struct out_event ev;

	while (!atomic_load(&r->stop)) {
		int64_t now = att_clock_ns();
		network(r, now);
		if (atomic_load(&r->announced) && !r->announced_sent && atomic_load(&r->connected)) {
			r->announced_sent = 1;
			announce(r);
		}
		while (att_ring_read(r->out, &x, 1) == 1) {
			if (r->batch.n && x.counter != r->batch.counter + r->batch.n)
				flush_batch(r); /* a gap: the next message starts at its counter */
			if (!r->batch.n) {
				r->batch.counter = x.counter;
				r->batch.t0_ns = x.t_ns;
			}
			r->batch.resp[r->batch.n] = x.resp;
			r->batch.ppg[r->batch.n] = x.ppg;
			if (++r->batch.n == ATT_ROOM_BATCH)
				flush_batch(r);
		}
		while (att_ring_read(r->evout, &ev, 1) == 1) {
			struct att_room_msg m = {.type = ATT_ROOM_EVENT, .instance = r->instance};
			m.u.event.seq = r->ev_seq++;
			m.u.event.t_ns = ev.t_ns;
			m.u.event.kind = ev.kind;
			m.u.event.value = ev.value;
			snprintf(m.u.event.text, sizeof m.u.event.text, "%s", ev.text);
			publish(r, "events", &m, 1, 0, NULL);
		}
		if (now >= r->next_ping && atomic_load(&r->connected)) {
			struct att_room_msg ping = {.type = ATT_ROOM_PING, .instance = r->instance};
			ping.u.clock.id = ++r->ping_id;
			ping.u.clock.t1_ns = att_clock_ns();
			publish(r, "clock", &ping, 0, 0, NULL);
			r->next_ping = now + PING_NS;
		}
	}
	goodbye(r);
	return NULL;
}

/* ---- the source (main thread) ---- */

static int room_start(struct att_source *src)
{
	struct room *r = src->impl;
	int rc = r->local ? att_source_start(r->local) : ATT_OK;

	if (rc == ATT_OK)
		src->st.state = ATT_SOURCE_STREAMING;
	return rc;
}

static void take_local(struct room *r)
{
	size_t n;

	while ((n = att_source_read(r->local, r->rb, READ_CHUNK)) > 0)
		for (size_t i = 0; i < n; i++) {
			const struct att_sample *s = &r->rb[i];
			struct out_sample o = {.counter = s->counter,
			                       .t_ns = att_room_timeline_add(&r->tl, s->counter,
			                                                     s->host_ns, r->rate_hz),
			                       .resp = s->ch[ATT_CH_A_RESP],
			                       .ppg = s->ch[ATT_CH_A_PPG]};
			att_room_pair_push(r->pair, r->lane, o.t_ns, o.resp, o.ppg);
			att_ring_write(r->out, &o, 1); /* a full ring is counted by the ring */
		}
}

static void lat_add(uint32_t *hist, uint64_t *n, int64_t ns)
{
	int64_t ms = ns < 0 ? 0 : ns / 1000000;

	hist[ms < (int64_t)LAT_BINS ? ms : LAT_BINS - 1]++;
	(*n)++;
}

/* The q-quantile of a histogram in ms (bin middles); NAN when empty. */
static double lat_quantile(const uint32_t *hist, uint64_t n, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)n), seen = 0;

	if (!n)
		return NAN;
	for (unsigned i = 0; i < LAT_BINS; i++)
		if ((seen += hist[i]) >= want)
			return i + 0.5;
	return LAT_BINS;
}

static void take_remote(struct room *r)
{
	struct in_sample x;

	while (att_ring_read(r->in, &x, 1) == 1) {
		struct peer *p = &r->peer[x.lane];
		if (!atomic_load(&p->clock_known)) {
			atomic_fetch_add(&r->unplaced, 1);
			continue;
		}
		int64_t t = x.t_sender_ns - atomic_load(&p->offset_ns);
		lat_add(r->lat_arrive, &r->lat_n[0], att_clock_ns() - t);
		att_room_pair_push(r->pair, x.lane, t, x.resp, x.ppg);
		atomic_fetch_add(&r->received, 1);
	}
}

/* A remote partner's samples missing for a while: said once, when they are back. */
static void watch_gaps(struct room *r, const struct att_room_pair_out *o)
{
	for (int l = 0; l < 2; l++) {
		if (l == r->lane)
			continue;
		if (!((o->held >> l) & 1u)) {
			if (r->held_from[l] && r->live[l]) {
				double s = (double)(o->t_ns - r->held_from[l]) * 1e-9;
				if (s >= GAP_NOTE_S)
					say(r, ATT_EV_NOTE, o->t_ns,
					    "room: %.1f s of partner %c's samples missing (network)", s,
					    'a' + l);
			}
			r->held_from[l] = 0;
			r->live[l] = 1;
		} else if (!r->held_from[l])
			r->held_from[l] = o->t_ns;
	}
}

static size_t room_read(struct att_source *src, struct att_sample *out, size_t max)
{
	struct room *r = src->impl;
	size_t n;

	if (r->local)
		take_local(r);
	take_remote(r);
	n = att_room_pair_pop(r->pair, att_clock_ns(), r->po, max < READ_CHUNK ? max : READ_CHUNK);
	for (size_t i = 0; i < n; i++) {
		int64_t now = att_clock_ns();
		watch_gaps(r, &r->po[i]);
		for (int l = 0; l < 2; l++)
			if (l != r->lane && !((r->po[i].held >> l) & 1u))
				lat_add(r->lat_engine, &r->lat_n[1], now - r->po[i].t_ns);
		out[i] = (struct att_sample){.host_ns = r->po[i].t_ns, .counter = r->po[i].index};
		memcpy(out[i].ch, r->po[i].ch, sizeof out[i].ch);
	}
	return n;
}

static void room_refresh(const struct att_source *src, struct att_source_status *st)
{
	const struct room *r = src->impl;
	struct att_source_status ls;

	if (!r->local)
		return;
	att_source_status(r->local, &ls);
	/* the board's troubles are the room source's: the session says them as for a board */
	if (ls.state == ATT_SOURCE_RECONNECTING || ls.state == ATT_SOURCE_FAILED)
		st->state = ls.state;
	else if (st->state != ATT_SOURCE_IDLE)
		st->state = ATT_SOURCE_STREAMING;
	st->reconnects = ls.reconnects;
	st->error = ls.error;
	st->frames_bad = ls.frames_bad;
	st->frames_duplicate = ls.frames_duplicate;
	st->frames_stale = ls.frames_stale;
	st->samples_lost = ls.samples_lost;
}

static void room_free(struct room *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, 1);
	if (r->worker_started)
		pthread_join(r->worker, NULL);
	if (r->mosq)
		mosquitto_destroy(r->mosq);
	if (r->lib_init)
		mosquitto_lib_cleanup();
	att_source_free(r->local);
	att_room_pair_free(r->pair);
	att_ring_free(r->out);
	att_ring_free(r->in);
	att_ring_free(r->evout);
	for (int l = 0; l < 2; l++)
		att_room_clock_free(r->peer[l].clock);
	free(r->room_code);
	free(r->name);
	free(r->user);
	if (r->password) {
		memset(r->password, 0, strlen(r->password));
		free(r->password);
	}
	free(r->cafile);
	free(r);
}

static void room_destroy(struct att_source *src)
{
	room_free(src->impl);
}

static const struct att_source_ops room_ops = {
        .start = room_start,
        .read = room_read,
        .refresh = room_refresh,
        .destroy = room_destroy,
};

/* ---- opening ---- */

static char *dup_or_null(const char *s, int *fail)
{
	char *d;
	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = 1;
	return d;
}

static int alloc_room(const struct att_room_cfg *cfg, struct room **out)
{
	struct room *r = calloc(1, sizeof *r);
	int fail = 0;
	char fallback[16];

	*out = NULL;
	if (!r)
		return ATT_ERR_NOMEM;
	r->cfg = *cfg;
	snprintf(fallback, sizeof fallback, "partner %c",
	         cfg->side == ATT_ROOM_OBSERVER ? 'o' : 'a' + (int)cfg->side);
	r->room_code = dup_or_null(cfg->room, &fail);
	r->name = dup_or_null(cfg->name && *cfg->name ? cfg->name
	                      : cfg->side == ATT_ROOM_OBSERVER ? "therapist"
	                                                       : fallback,
	                      &fail);
	r->user = dup_or_null(cfg->user, &fail);
	r->password = dup_or_null(cfg->password, &fail);
	r->cafile = dup_or_null(cfg->cafile, &fail);
	*out = r;
	if (fail)
		return ATT_ERR_NOMEM;
	for (int l = 0; l < 2; l++)
		if (att_room_clock_new(NULL, &r->peer[l].clock) != ATT_OK)
			return ATT_ERR_NOMEM;
	if (att_ring_new(&(struct att_ring_cfg){.elem_size = sizeof(struct out_sample),
	                                        .capacity = OUT_CAP},
	                 &r->out) != ATT_OK ||
	    att_ring_new(&(struct att_ring_cfg){.elem_size = sizeof(struct in_sample),
	                                        .capacity = IN_CAP},
	                 &r->in) != ATT_OK ||
	    att_ring_new(&(struct att_ring_cfg){.elem_size = sizeof(struct out_event),
	                                        .capacity = EV_CAP},
	                 &r->evout) != ATT_OK)
		return ATT_ERR_NOMEM;
	return ATT_OK;
}

/* Waits until cond(r) or an outcome that ends the wait; 0 when cond came true. */
static int wait_for(struct room *r, int (*cond)(struct room *), int64_t until)
{
	while (att_clock_ns() < until) {
		if (cond(r))
			return 0;
		if (atomic_load(&r->tls_failed) || atomic_load(&r->refused_sub) ||
		    atomic_load(&r->connack) > 0 || atomic_load(&r->net_dead))
			return -1;
		att_clock_sleep_until(att_clock_ns() + 10000000);
	}
	return cond(r) ? 0 : -1;
}

static int is_connected(struct room *r)
{
	return atomic_load(&r->connected);
}

static int room_known(struct room *r)
{
	return atomic_load(&r->probe_seen);
}

static int connect_failed(struct room *r, int rc, char *why, size_t why_len)
{
	const struct att_room_broker *b = &r->cfg.broker;
	int ack = atomic_load(&r->connack);

	if (atomic_load(&r->tls_failed) && r->tls_verify == X509_V_ERR_CERT_HAS_EXPIRED)
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "the broker %s:%d's certificate expired%s%s; whoever runs the broker "
		                "must renew it (tools/broker/make-certs.sh), or this computer's clock "
		                "is wrong",
		                b->host, b->port, r->tls_not_after[0] ? " on " : "", r->tls_not_after);
	if (atomic_load(&r->tls_failed) && r->tls_verify == X509_V_ERR_CERT_NOT_YET_VALID)
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "the broker %s:%d's certificate is not valid yet; is this computer's "
		                "clock right?",
		                b->host, b->port);
	if (atomic_load(&r->tls_failed) && r->tls_verify != X509_V_OK)
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "the broker %s:%d has a certificate this host does not trust (%s); "
		                "check --cafile and the broker's certificate (name, expiry)",
		                b->host, b->port, X509_verify_cert_error_string(r->tls_verify));
	if (atomic_load(&r->tls_failed) || rc == MOSQ_ERR_TLS)
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "the broker %s:%d has a certificate this host does not trust (%s); "
		                "check --cafile and the broker's certificate (name, expiry)",
		                b->host, b->port,
		                atomic_load(&r->tls_failed) ? r->tls_why : "TLS handshake failed");
	if (ack == 4 || ack == 5)
		return att_fail(why, why_len, ATT_ERR_PERMISSION,
		                "the broker %s:%d refused the login%s%s (%s); check --user and "
		                "--password-file",
		                b->host, b->port, r->user ? " of user " : "", r->user ? r->user : "",
		                mosquitto_connack_string(ack));
	if (ack > 0)
		return att_fail(why, why_len, ATT_ERR_PERMISSION, "the broker %s:%d refused us: %s",
		                b->host, b->port, mosquitto_connack_string(ack));
	if (atomic_load(&r->refused_sub))
		return att_fail(why, why_len, ATT_ERR_PERMISSION,
		                "the broker %s:%d does not let user %s into room %s (its ACL)",
		                b->host, b->port, r->user ? r->user : "(anonymous)", r->room_code);
	if (rc == MOSQ_ERR_ERRNO)
		return att_fail(why, why_len, ATT_ERR_IO, "cannot reach the broker %s:%d: %s",
		                b->host, b->port, strerror(errno));
	if (rc == MOSQ_ERR_EAI)
		return att_fail(why, why_len, ATT_ERR_IO,
		                "cannot reach the broker: no such host '%s'", b->host);
	if (rc != MOSQ_ERR_SUCCESS)
		return att_fail(why, why_len, ATT_ERR_IO, "cannot reach the broker %s:%d: %s",
		                b->host, b->port, mosquitto_strerror(rc));
	return att_fail(why, why_len, ATT_ERR_TIMEOUT,
	                "the broker %s:%d did not answer within %d s; is it running?", b->host,
	                b->port, (r->cfg.timeout_ms ? r->cfg.timeout_ms : 10000) / 1000);
}

static int start_client(struct room *r, char *why, size_t why_len)
{
	const struct att_room_cfg *cfg = &r->cfg;
	char id[128], will_topic[200];
	uint8_t will[ATT_ROOM_MSG_MAX];
	struct att_room_msg st = {.type = ATT_ROOM_STATUS, .instance = r->instance};
	int keepalive = cfg->keepalive_s > 0 ? cfg->keepalive_s : 5;
	int64_t until = att_clock_ns() + (int64_t)(cfg->timeout_ms ? cfg->timeout_ms : 10000) *
	                                          1000000LL;
	int rc, n;

	mosquitto_lib_init();
	r->lib_init = 1;
	/* a client id of its own: a second host with the same id would throw the first out */
	snprintf(id, sizeof id, "attune-%.40s-%s-%08x", r->room_code, r->side, r->instance);
	r->mosq = mosquitto_new(id, true, r);
	if (!r->mosq)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	mosquitto_int_option(r->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	if (r->user && mosquitto_username_pw_set(r->mosq, r->user, r->password) != MOSQ_ERR_SUCCESS)
		return att_fail(why, why_len, ATT_ERR_ARG, "--user or password not usable");
	/* the last will: the broker tells the room we left when we vanish */
	n = att_room_encode(&st, will, sizeof will);
	topic(r, r->side, "status", will_topic, sizeof will_topic);
	mosquitto_will_set(r->mosq, will_topic, n, will, 1, true);
	if (cfg->broker.tls) {
		rc = mosquitto_tls_set(r->mosq, r->cafile, r->cafile ? NULL : "/etc/ssl/certs", NULL,
		                       NULL, NULL);
		if (rc != MOSQ_ERR_SUCCESS)
			return att_fail(why, why_len, ATT_ERR_ARG, "cannot use --cafile %s: %s",
			                r->cafile ? r->cafile : "(system)", mosquitto_strerror(rc));
	}
	mosquitto_connect_callback_set(r->mosq, on_connect);
	mosquitto_disconnect_callback_set(r->mosq, on_disconnect);
	mosquitto_subscribe_callback_set(r->mosq, on_subscribe);
	mosquitto_message_callback_set(r->mosq, on_message);
	mosquitto_publish_callback_set(r->mosq, on_publish);
	mosquitto_log_callback_set(r->mosq, on_log);
	atomic_store(&r->connack, -1);
	atomic_store(&r->goodbye_mid, -1);
	rc = mosquitto_connect(r->mosq, cfg->broker.host, cfg->broker.port, keepalive);
	if (rc != MOSQ_ERR_SUCCESS)
		return connect_failed(r, rc, why, why_len);
	r->net_up = 1;
	r->backoff_ns = BACKOFF_MIN_NS;
	if (pthread_create(&r->worker, NULL, worker, r) != 0)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "cannot start the room's network thread");
	r->worker_started = 1;
	if (wait_for(r, is_connected, until) || wait_for(r, room_known, until))
		return connect_failed(r, MOSQ_ERR_SUCCESS, why, why_len);
	if (atomic_load(&r->taken))
		return att_fail(why, why_len, ATT_ERR_BUSY,
		                "room %s already has partner %s; join as %s or --as observer, or "
		                "wait until they leave",
		                r->room_code, r->side, r->lane == 0 ? "b" : "a");
	return ATT_OK;
}

/* The room runs at the board's rate and scale; an observer at the boards' defaults (250 Hz,
 * 10 bits, 5 V). */
static void board_scale(struct room *r, const struct att_source_status *ls)
{
	r->rate_hz = ls && ls->rate_hz > 0.0 ? ls->rate_hz : ATT_WIRE_RATE_DEFAULT;
	r->adc_bits = ls && ls->info.adc_bits >= 8 && ls->info.adc_bits <= 16 ? ls->info.adc_bits
	                                                                      : 10;
	r->vref_mv = ls && ls->info.vref_mv ? ls->info.vref_mv : 5000;
	r->mv_per_count = ls && ls->gain[0] > 0.0 ? ls->gain[0]
	                                          : r->vref_mv / (double)((1u << r->adc_bits) - 1u);
}

int att_room_open(const struct att_room_cfg *cfg, struct att_source *local,
                  struct att_source **out, char *why, size_t why_len)
{
	struct room *r = NULL;
	struct att_source_status ls = {0};
	struct att_source_status *st;
	int rc;

	*out = NULL;
	if (!cfg || !att_room_code_valid(cfg->room) || cfg->side > ATT_ROOM_OBSERVER ||
	    (cfg->side == ATT_ROOM_OBSERVER) != (local == NULL)) {
		att_source_free(local);
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "a room needs a code of letters, digits, - and _ (up to 64), and a "
		                "board for a or b (none for an observer)");
	}
	rc = alloc_room(cfg, &r);
	if (rc != ATT_OK) {
		room_free(r);
		att_source_free(local);
		return att_fail(why, why_len, rc, "out of memory");
	}
	r->local = local;
	r->lane = cfg->side == ATT_ROOM_OBSERVER ? -1 : (int)cfg->side;
	while (!r->instance)
		if (getrandom(&r->instance, sizeof r->instance, 0) != (ssize_t)sizeof r->instance)
			r->instance = (uint32_t)att_clock_ns();
	snprintf(r->prefix, sizeof r->prefix, "attune/%s/", r->room_code);
	if (r->lane >= 0)
		snprintf(r->side, sizeof r->side, "%c", 'a' + r->lane);
	else
		snprintf(r->side, sizeof r->side, "observer-%08x", r->instance);
	if (local)
		att_source_status(local, &ls);
	board_scale(r, local ? &ls : NULL);
	rc = att_room_pair_new(&(struct att_room_pair_cfg){.rate_hz = r->rate_hz,
	                                                   .delay_s = cfg->jitter_s},
	                       &r->pair);
	if (rc != ATT_OK) {
		room_free(r);
		return att_fail(why, why_len, rc, "cannot make the jitter buffer: %s",
		                att_strerror(rc));
	}
	rc = start_client(r, why, why_len);
	if (rc == ATT_OK)
		rc = att_source_alloc(&room_ops, r, out);
	if (rc != ATT_OK) {
		room_free(r);
		return rc;
	}
	st = &(*out)->st;
	snprintf(st->name, sizeof st->name, "room %.40s as %s", r->room_code, r->side);
	st->rate_hz = r->rate_hz;
	st->channel_mask = (1u << ATT_WIRE_CHANNELS) - 1u;
	st->adc_max = local && ls.adc_max > 0.0 ? ls.adc_max : 1023.0;
	st->unit = "mV";
	st->info = ls.info;
	/* a device: the session runs it in real time and counts from its first sample */
	st->info.rate_hz = (uint16_t)r->rate_hz;
	st->info.channels = ATT_WIRE_CHANNELS;
	st->info.adc_bits = st->info.adc_bits ? st->info.adc_bits : 10;
	st->info.vref_mv = st->info.vref_mv ? st->info.vref_mv : 5000;
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++) {
		st->gain[c] = local && ls.gain[c] > 0.0 ? ls.gain[c]
		                                        : st->info.vref_mv / st->adc_max;
		st->offset[c] = local ? ls.offset[c] : 0.0;
	}
	/* both partners' first belt and pulse: the remote partner's counts arrive on our scale
	 * (samples_in(), from its hello's Vref and ADC bits), so its gains are ours */
	if (r->lane >= 0)
		for (unsigned c = 0; c < 2; c++) {
			st->gain[2 * (1 - r->lane) + c] = st->gain[c];
			st->offset[2 * (1 - r->lane) + c] = st->offset[c];
		}
	atomic_store(&r->announced, 1); /* the network thread announces us */
	return ATT_OK;
}

int att_room_stats(const struct att_source *src, struct att_room_stats *out)
{
	const struct room *r;
	struct att_room_pair_stats ps;

	memset(out, 0, sizeof *out);
	if (!src || src->ops != &room_ops)
		return ATT_ERR_ARG;
	r = src->impl;
	att_room_pair_stats(r->pair, &ps);
	out->connected = atomic_load(&r->connected);
	out->reconnects = atomic_load(&r->reconnects);
	out->sent_messages = atomic_load(&r->sent_messages);
	out->sent_bytes = atomic_load(&r->sent_bytes);
	out->received_samples = atomic_load(&r->received);
	out->duplicate = atomic_load(&r->duplicate);
	out->stale = atomic_load(&r->stale);
	out->missing = atomic_load(&r->missing);
	out->unplaced = atomic_load(&r->unplaced);
	out->jitter_s = ps.delay_s;
	out->arrive_p50_ms = lat_quantile(r->lat_arrive, r->lat_n[0], 0.50);
	out->arrive_p99_ms = lat_quantile(r->lat_arrive, r->lat_n[0], 0.99);
	out->engine_p50_ms = lat_quantile(r->lat_engine, r->lat_n[1], 0.50);
	out->engine_p99_ms = lat_quantile(r->lat_engine, r->lat_n[1], 0.99);
	for (int l = 0; l < 2; l++) {
		out->partner_online[l] = atomic_load(&r->peer[l].online);
		out->offset_ms[l] = atomic_load(&r->peer[l].clock_known)
		                            ? (double)atomic_load(&r->peer[l].offset_ns) * 1e-6
		                            : NAN;
		out->delay_ms[l] = atomic_load(&r->peer[l].clock_known)
		                           ? (double)atomic_load(&r->peer[l].delay_ns) * 1e-6
		                           : NAN;
		out->held[l] = ps.held[l];
		out->late[l] = ps.late[l];
	}
	return ATT_OK;
}

/* ---- the sink: this host's markers to the room ---- */

static int sink_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct att_source *src = ctx;
	struct room *r = src->impl;
	struct out_event ev;

	(void)why;
	(void)why_len;
	if (p->type != ATT_PACKET_EVENT ||
	    !(p->u.event->kind == ATT_EV_MARKER ||
	      (p->u.event->kind == ATT_EV_GUIDE && r->lane < 0 &&
	       p->u.event->value >= ATT_GUIDE_CTL_START)))
		return ATT_OK; /* markers; an observer's guide control (not that it began one) */
	for (unsigned k = 0; k < ECHO_KEEP; k++)
		if (p->u.event->host_ns && atomic_load(&r->echo[k]) == p->u.event->host_ns)
			return ATT_OK; /* a partner's marker, posted by the room itself */
	ev.kind = p->u.event->kind;
	ev.t_ns = p->u.event->host_ns;
	ev.value = p->u.event->value;
	snprintf(ev.text, sizeof ev.text, "%s", p->u.event->text);
	att_ring_write(r->evout, &ev, 1); /* full: the marker is not shared; never blocks */
	return ATT_OK;
}

const struct att_sink att_room_sink = {.name = "room", .receive = sink_receive};
