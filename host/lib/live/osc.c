/* OSC out and in (see osc.h).
 *
 * Out: the main thread only copies fixed-size items into an SPSC ring (no allocation, no lock, no
 * syscall); the sender thread polls the ring every few milliseconds, like the recorder's writer,
 * because waking it would cost a syscall on the live loop. liblo builds and serialises each
 * datagram on the sender thread (it allocates per message); we send it ourselves on a connected
 * UDP socket, because only a connected socket hears ICMP "port unreachable" (ECONNREFUSED), and
 * MSG_DONTWAIT keeps a full socket buffer from stalling even the sender thread.
 *
 * In: liblo 0.31's servers always bind every interface, so we bind our own socket and let liblo
 * decode the datagrams (lo_message_deserialise); bundles are walked here (a dozen lines). */
#include "attune/osc.h"

#include "attune/quality.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "attune/clock.h"
#include "attune/event.h"
#include "attune/ring.h"

#define OUT_POLL_NS       2000000L /* 2 ms: a snapshot leaves well within one 60 fps frame */
#define OUT_QUEUE_DEFAULT 512u     /* 25 s of snapshots and sample batches at 20 items/s */
#define OUT_SAMPLES_DEF   25u
#define DGRAM_MAX         2048u /* the largest item: 64 samples x 4 floats + header < 1.2 KiB */
#define IN_DGRAM_MAX      65536u
#define BUNDLE_DEPTH_MAX  8

int att_osc_parse_target(const char *text, struct att_osc_target *out, char *why, size_t why_len)
{
	if (!out)
		return att_fail(why, why_len, ATT_ERR_ARG, "no place for the OSC target");
	memset(out, 0, sizeof *out);
	if (!text || !*text)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "give the OSC target as HOST:PORT, e.g. 127.0.0.1:9000");
	const char *host = text, *host_end, *port;
	if (text[0] == '[') {
		host = text + 1;
		host_end = strchr(host, ']');
		if (!host_end || host_end[1] != ':')
			return att_fail(
			        why, why_len, ATT_ERR_ARG,
			        "'%s': write an IPv6 target as [ADDRESS]:PORT, e.g. [::1]:9000",
			        text);
		port = host_end + 2;
	} else {
		host_end = strrchr(text, ':');
		if (!host_end)
			return att_fail(why, why_len, ATT_ERR_ARG,
			                "'%s' has no port: give HOST:PORT, e.g. 127.0.0.1:9000",
			                text);
		if (memchr(text, ':', (size_t)(host_end - text)))
			return att_fail(
			        why, why_len, ATT_ERR_ARG,
			        "'%s': write an IPv6 target as [ADDRESS]:PORT, e.g. [::1]:9000",
			        text);
		port = host_end + 1;
	}
	size_t hlen = (size_t)(host_end - host);
	if (hlen == 0)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "'%s' has no host: give HOST:PORT, e.g. 127.0.0.1:9000", text);
	if (hlen >= sizeof out->host)
		return att_fail(why, why_len, ATT_ERR_ARG, "the OSC host name is too long");
	unsigned long p = 0;
	const char *c = port;
	for (; *c >= '0' && *c <= '9' && p <= 65535; c++)
		p = p * 10 + (unsigned long)(*c - '0');
	if (c == port || *c || p < 1 || p > 65535)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "'%s': the port must be a number from 1 to 65535", text);
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = (unsigned)p;
	return ATT_OK;
}

/* ---- out ---- */

enum item_type { IT_START = 1, IT_SNAPSHOT, IT_EVENT, IT_SAMPLES, IT_END };

struct item {
	uint8_t type;
	uint16_t n; /* samples */
	union {
		struct {
			float rate;
			char name[96];
		} start;
		struct {
			float sync[5];
			float person[2][3];
			unsigned quality[2];
		} snap;
		struct {
			uint8_t kind;
			float t, value;
			char text[ATT_EVENT_TEXT_MAX];
		} ev;
		struct {
			uint64_t first;
			float v[ATT_OSC_SAMPLES_MAX][4];
		} smp;
	} u;
};

struct osc_out {
	int fd;
	struct att_ring *ring;
	pthread_t thread;
	atomic_int stop;
	unsigned per_msg;
	int send_samples;
	struct item pending; /* main thread: the sample batch being filled */
	_Atomic uint64_t sent, failed, refused;
	atomic_int last_errno;
};

static lo_message msg_floats(const float *v, size_t n)
{
	lo_message m = lo_message_new();
	for (size_t i = 0; m && i < n; i++)
		if (lo_message_add_float(m, v[i]) != 0) {
			lo_message_free(m);
			return NULL;
		}
	return m;
}

static lo_message msg_person(const struct item *it, int p)
{
	lo_message m = msg_floats(it->u.snap.person[p], 3);
	if (m && lo_message_add_string(m, att_quality_word(it->u.snap.quality[p])) != 0) {
		lo_message_free(m);
		return NULL;
	}
	return m;
}

/* Serialises an item into buf; returns its size, 0 when liblo failed (out of memory). */
static size_t serialise(const struct item *it, char *buf)
{
	size_t size = 0;
	lo_message m = NULL;
	const char *path = NULL;
	int ok = 1;
	switch (it->type) {
	case IT_START:
		path = "/attune/start";
		m = msg_floats(&it->u.start.rate, 1);
		ok = m && lo_message_add_string(m, it->u.start.name) == 0;
		break;
	case IT_END:
		path = "/attune/end";
		m = lo_message_new();
		ok = m != NULL;
		break;
	case IT_EVENT:
		path = "/attune/event";
		m = lo_message_new();
		ok = m && lo_message_add_string(m, att_event_kind_name(it->u.ev.kind)) == 0 &&
		     lo_message_add_float(m, it->u.ev.t) == 0 &&
		     lo_message_add_string(m, it->u.ev.text) == 0 &&
		     lo_message_add_float(m, it->u.ev.value) == 0;
		break;
	case IT_SAMPLES:
		path = "/attune/samples";
		m = lo_message_new();
		/* int32 because every OSC receiver reads it (Pd and Max lack 'h' and 'd'); it wraps
		 * after 2^31 samples, 24 days at 1000 Hz */
		ok = m && lo_message_add_int32(m, (int32_t)(uint32_t)it->u.smp.first) == 0;
		for (size_t i = 0; ok && i < it->n; i++)
			for (size_t c = 0; ok && c < 4; c++)
				ok = lo_message_add_float(m, it->u.smp.v[i][c]) == 0;
		break;
	case IT_SNAPSHOT: {
		/* one bundle, one datagram: a receiver gets sync, a and b of the same instant
		 * together or not at all */
		static const char *const paths[3] = {"/attune/sync", "/attune/a", "/attune/b"};
		lo_message ms[3] = {msg_floats(it->u.snap.sync, 5), msg_person(it, 0),
		                    msg_person(it, 1)};
		lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
		int added = 0;
		for (int k = 0; k < 3; k++)
			if (b && ms[k] && lo_bundle_add_message(b, paths[k], ms[k]) == 0) {
				ms[k] = NULL; /* the bundle frees it now */
				added++;
			}
		if (added == 3 && lo_bundle_length(b) <= DGRAM_MAX)
			lo_bundle_serialise(b, buf, &size);
		for (int k = 0; k < 3; k++)
			if (ms[k])
				lo_message_free(ms[k]);
		if (b)
			lo_bundle_free_recursive(b);
		return size;
	}
	default:
		return 0;
	}
	if (m && ok && lo_message_length(m, path) <= DGRAM_MAX)
		lo_message_serialise(m, path, buf, &size);
	if (m)
		lo_message_free(m);
	return size;
}

static void send_item(struct osc_out *o, const struct item *it)
{
	char buf[DGRAM_MAX];
	size_t size = serialise(it, buf);
	if (size == 0) {
		atomic_fetch_add_explicit(&o->failed, 1, memory_order_relaxed);
		atomic_store_explicit(&o->last_errno, ENOMEM, memory_order_relaxed);
		return;
	}
	if (send(o->fd, buf, size, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)size) {
		atomic_fetch_add_explicit(&o->sent, 1, memory_order_relaxed);
		return;
	}
	int e = errno;
	atomic_fetch_add_explicit(&o->failed, 1, memory_order_relaxed);
	atomic_store_explicit(&o->last_errno, e, memory_order_relaxed);
	if (e == ECONNREFUSED)
		atomic_fetch_add_explicit(&o->refused, 1, memory_order_relaxed);
}

static void *sender_main(void *arg)
{
	struct osc_out *o = arg;
	struct item it;
	const struct timespec nap = {0, OUT_POLL_NS};
	for (;;) {
		if (att_ring_read(o->ring, &it, 1)) {
			send_item(o, &it);
			continue;
		}
		if (atomic_load_explicit(&o->stop, memory_order_acquire)) {
			/* items written just before stop was set (END) still go out */
			while (att_ring_read(o->ring, &it, 1))
				send_item(o, &it);
			break;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static void queue(struct osc_out *o, const struct item *it)
{
	/* a full ring refuses and counts it (att_ring_stats().dropped) */
	att_ring_write(o->ring, it, 1);
}

static void flush_samples(struct osc_out *o)
{
	if (o->pending.n) {
		queue(o, &o->pending);
		o->pending.n = 0;
	}
}

static void queue_samples(struct osc_out *o, const struct att_samples *s)
{
	for (size_t i = 0; i < s->n; i++) {
		uint64_t idx = s->first_index + i;
		struct item *p = &o->pending;
		/* a batch holds consecutive samples only: its receiver numbers them from first */
		if (p->n && p->u.smp.first + p->n != idx)
			flush_samples(o);
		if (!p->n)
			p->u.smp.first = idx;
		memcpy(p->u.smp.v[p->n], s->value[i], sizeof p->u.smp.v[0]);
		if (++p->n == o->per_msg)
			flush_samples(o);
	}
}

static float fl(double x)
{
	return (float)x;
}

static int out_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct osc_out *o = ctx;
	if (!o || !p)
		return att_fail(why, why_len, ATT_ERR_ARG, "osc: no packet");
	struct item it;
	it.n = 0;
	switch (p->type) {
	case ATT_PACKET_START: {
		const struct att_session_info *info = p->u.start;
		it.type = IT_START;
		it.u.start.rate = info ? fl(info->rate_hz) : NAN;
		it.u.start.name[0] = '\0';
		if (info && info->source)
			snprintf(it.u.start.name, sizeof it.u.start.name, "%s", info->source->name);
		queue(o, &it);
		break;
	}
	case ATT_PACKET_SNAPSHOT: {
		const struct att_snapshot *s = p->u.snapshot;
		if (!s)
			break;
		it.type = IT_SNAPSHOT;
		float *y = it.u.snap.sync;
		y[0] = fl(s->match);
		y[1] = fl(s->plv);
		y[2] = fl(s->plv_chance);
		y[3] = fl(s->relative_phase_deg);
		y[4] = fl(s->lag_s);
		const struct att_person *ab[2] = {&s->a, &s->b};
		for (int k = 0; k < 2; k++) {
			it.u.snap.person[k][0] = fl(ab[k]->phase_rad);
			it.u.snap.person[k][1] = fl(ab[k]->breath_rate_bpm);
			it.u.snap.person[k][2] = fl(ab[k]->heart_rate_bpm);
			/* the belt's state: phase and breath rate come from it; a missing pulse
			 * sensor shows as a NaN heart rate, not as a bad person */
			it.u.snap.quality[k] = ab[k]->resp_quality;
		}
		queue(o, &it);
		break;
	}
	case ATT_PACKET_EVENT: {
		const struct att_event *e = p->u.event;
		if (!e)
			break;
		it.type = IT_EVENT;
		it.u.ev.kind = e->kind;
		it.u.ev.t = fl(e->t);
		it.u.ev.value = fl(e->value);
		memcpy(it.u.ev.text, e->text, sizeof it.u.ev.text);
		it.u.ev.text[sizeof it.u.ev.text - 1] = '\0';
		queue(o, &it);
		break;
	}
	case ATT_PACKET_SAMPLES:
		if (o->send_samples && p->u.samples && p->u.samples->value)
			queue_samples(o, p->u.samples);
		break;
	case ATT_PACKET_END:
		flush_samples(o);
		it.type = IT_END;
		queue(o, &it);
		break;
	}
	return ATT_OK;
}

static void out_cleanup(void *ctx)
{
	struct osc_out *o = ctx;
	if (!o)
		return;
	if (o->ring) {
		atomic_store_explicit(&o->stop, 1, memory_order_release);
		pthread_join(o->thread, NULL);
		att_ring_free(o->ring);
	}
	if (o->fd >= 0)
		close(o->fd);
	free(o);
}

const struct att_sink att_osc_out_sink = {
        .name = "osc",
        .receive = out_receive,
        .cleanup = out_cleanup,
};

void att_osc_out_stats(const void *ctx, struct att_osc_out_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	struct osc_out *o = (struct osc_out *)ctx;
	if (!o)
		return;
	struct att_ring_stats rs;
	att_ring_stats(o->ring, &rs);
	out->sent = atomic_load_explicit(&o->sent, memory_order_relaxed);
	out->dropped = rs.dropped + atomic_load_explicit(&o->failed, memory_order_relaxed);
	out->refused = atomic_load_explicit(&o->refused, memory_order_relaxed);
	out->last_errno = atomic_load_explicit(&o->last_errno, memory_order_relaxed);
}

int att_osc_out_new(const struct att_osc_out_cfg *cfg, void **ctx_out, char *why, size_t why_len)
{
	if (ctx_out)
		*ctx_out = NULL;
	if (!cfg || !ctx_out || !cfg->host || !*cfg->host)
		return att_fail(why, why_len, ATT_ERR_ARG, "osc: no target host");
	if (cfg->port < 1 || cfg->port > 65535)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "osc: port %u is not a port (1 to 65535)", cfg->port);
	unsigned per = cfg->samples_per_msg ? cfg->samples_per_msg : OUT_SAMPLES_DEF;
	if (per > ATT_OSC_SAMPLES_MAX)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "osc: at most %u samples per message (asked %u)",
		                ATT_OSC_SAMPLES_MAX, per);
	size_t qn = cfg->queue ? cfg->queue : OUT_QUEUE_DEFAULT;
	if (qn & (qn - 1))
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "osc: the queue must hold a power of two messages (asked %zu)", qn);

	char port[8];
	snprintf(port, sizeof port, "%u", cfg->port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
	int gai = getaddrinfo(cfg->host, port, &hints, &ai);
	if (gai)
		return att_fail(why, why_len, ATT_ERR_ARG, "osc: cannot find host '%s': %s",
		                cfg->host, gai_strerror(gai));
	int fd = -1, err = 0;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* a broadcast target (x.x.x.255) is refused without it */
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return att_fail(why, why_len, ATT_ERR_IO, "osc: cannot send to %s:%s: %s",
		                cfg->host, port, strerror(err));

	struct osc_out *o = calloc(1, sizeof *o);
	if (!o) {
		close(fd);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "osc: out of memory");
	}
	o->fd = fd;
	o->per_msg = per;
	o->send_samples = cfg->send_samples != 0;
	o->pending.type = IT_SAMPLES;
	struct att_ring_cfg rc = {.elem_size = sizeof(struct item), .capacity = qn};
	if (att_ring_new(&rc, &o->ring) != ATT_OK) {
		out_cleanup(o);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "osc: out of memory for the queue");
	}
	int pe = pthread_create(&o->thread, NULL, sender_main, o);
	if (pe) {
		att_ring_free(o->ring);
		o->ring = NULL;
		out_cleanup(o);
		return att_fail(why, why_len, ATT_ERR_IO, "osc: cannot start the sender thread: %s",
		                strerror(pe));
	}
	*ctx_out = o;
	return ATT_OK;
}

/* ---- in ---- */

struct att_osc_in {
	int fd, ufd, wake[2];
	char *unix_path; /* set when we created the socket file (removed at free) */
	att_osc_post_fn post;
	void *ctx;
	char *buf;
	pthread_t thread;
	int started;
	_Atomic uint64_t markers, notes, refused, ignored;
};

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void deliver(struct att_osc_in *in, uint8_t kind, int64_t ns, const char *text)
{
	if (in->post(in->ctx, kind, ns, 0.0, text) != ATT_OK)
		count(&in->refused);
	else
		count(kind == ATT_EV_NOTE ? &in->notes : &in->markers);
}

static uint32_t be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void handle_osc(struct att_osc_in *in, char *data, size_t n, int64_t ns, int depth)
{
	if (n >= 16 && memcmp(data, "#bundle", 8) == 0) {
		/* the time tag is ignored: a marker is when it arrives */
		size_t pos = 16;
		while (depth < BUNDLE_DEPTH_MAX && pos + 4 <= n) {
			uint32_t sz = be32(data + pos);
			pos += 4;
			if (sz > n - pos || sz % 4) {
				count(&in->ignored);
				return;
			}
			handle_osc(in, data + pos, sz, ns, depth + 1);
			pos += sz;
		}
		if (depth >= BUNDLE_DEPTH_MAX)
			count(&in->ignored);
		return;
	}
	const char *path = lo_get_path(data, (ssize_t)n);
	uint8_t kind;
	if (path && strcmp(path, "/attune/marker") == 0)
		kind = ATT_EV_MARKER;
	else if (path && strcmp(path, "/attune/note") == 0)
		kind = ATT_EV_NOTE;
	else {
		count(&in->ignored);
		return;
	}
	int res = 0;
	lo_message m = lo_message_deserialise(data, n, &res);
	if (!m) {
		count(&in->ignored);
		return;
	}
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	const char *text = NULL;
	if (types && (strcmp(types, "s") == 0 || strcmp(types, "S") == 0))
		text = (const char *)argv[0]; /* not through union lo_arg: 4-byte aligned */
	else if (kind == ATT_EV_MARKER && (!types || !*types))
		text = "";
	if (text)
		deliver(in, kind, ns, text);
	else
		count(&in->ignored);
	lo_message_free(m);
}

static void handle_lines(struct att_osc_in *in, const char *data, size_t n, int64_t ns)
{
	char text[4 * ATT_EVENT_TEXT_MAX];
	int any = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && data[j] != '\n')
			j++;
		size_t len = j - i;
		if (len && data[i + len - 1] == '\r')
			len--;
		if (len) {
			/* the session cuts to ATT_EVENT_TEXT_MAX at a character boundary */
			if (len >= sizeof text)
				len = sizeof text - 1;
			memcpy(text, data + i, len);
			text[len] = '\0';
			deliver(in, ATT_EV_MARKER, ns, text);
			any = 1;
		}
		i = j + 1;
	}
	if (!any)
		deliver(in, ATT_EV_MARKER, ns, "");
}

static void *in_main(void *arg)
{
	struct att_osc_in *in = arg;
	struct pollfd pf[3] = {{in->wake[0], POLLIN, 0}, {in->fd, POLLIN, 0}, {in->ufd, POLLIN, 0}};
	nfds_t npf = in->ufd >= 0 ? 3 : 2;
	for (;;) {
		if (poll(pf, npf, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents)
			break;
		for (nfds_t k = 1; k < npf; k++) {
			if (!pf[k].revents)
				continue;
			ssize_t r;
			while ((r = recv(pf[k].fd, in->buf, IN_DGRAM_MAX, MSG_DONTWAIT)) >= 0) {
				int64_t ns = att_clock_ns();
				if (k == 1)
					handle_osc(in, in->buf, (size_t)r, ns, 0);
				else
					handle_lines(in, in->buf, (size_t)r, ns);
			}
		}
	}
	return NULL;
}

void att_osc_in_free(struct att_osc_in *in)
{
	if (!in)
		return;
	if (in->started) {
		char c = 1;
		while (write(in->wake[1], &c, 1) < 0 && errno == EINTR)
			;
		pthread_join(in->thread, NULL);
	}
	if (in->fd >= 0)
		close(in->fd);
	if (in->ufd >= 0)
		close(in->ufd);
	for (int k = 0; k < 2; k++)
		if (in->wake[k] >= 0)
			close(in->wake[k]);
	if (in->unix_path) {
		unlink(in->unix_path);
		free(in->unix_path);
	}
	free(in->buf);
	free(in);
}

static int bind_udp(struct att_osc_in *in, const struct att_osc_in_cfg *cfg, char *why,
                    size_t why_len)
{
	const char *addr = cfg->bind && *cfg->bind ? cfg->bind : "127.0.0.1";
	if (strcmp(addr, "localhost") == 0)
		addr = "127.0.0.1";
	char port[8];
	snprintf(port, sizeof port, "%u", cfg->port);
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV},
	                *ai = NULL;
	if (getaddrinfo(addr, port, &hints, &ai) != 0 || !ai)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "'%s' is not an IP address to listen on; give one like 127.0.0.1 "
		                "with --osc-listen-address",
		                addr);
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int e = errno;
	if (fd >= 0 && bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0) {
		in->fd = fd;
		return ATT_OK;
	}
	if (e == EADDRINUSE)
		return att_fail(why, why_len, ATT_ERR_BUSY,
		                "port %u is in use; pick another with --osc-listen PORT",
		                cfg->port);
	if (e == EADDRNOTAVAIL)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "%s is not an address of this machine; give one of its addresses "
		                "with --osc-listen-address (127.0.0.1 for this machine only)",
		                addr);
	if (e == EACCES)
		return att_fail(
		        why, why_len, ATT_ERR_PERMISSION,
		        "port %u needs privileges; pick one above 1023 with --osc-listen PORT",
		        cfg->port);
	return att_fail(why, why_len, ATT_ERR_IO, "cannot listen for OSC on %s port %u: %s", addr,
	                cfg->port, strerror(e));
}

static int bind_unix(struct att_osc_in *in, const char *path, char *why, size_t why_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return att_fail(why, why_len, ATT_ERR_ARG, "marker socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return att_fail(
			        why, why_len, ATT_ERR_ARG,
			        "%s exists and is not a socket; pick another marker socket path",
			        path);
		/* a socket file nobody receives on is left over from a crash: replace it */
		int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int alive = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
		if (probe >= 0)
			close(probe);
		if (alive)
			return att_fail(
			        why, why_len, ATT_ERR_BUSY,
			        "%s is in use by another program; pick another marker socket",
			        path);
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return att_fail(why, why_len, att_err_from_errno(e),
		                "cannot create the marker socket %s: %s", path, strerror(e));
	}
	in->ufd = fd;
	in->unix_path = strdup(path);
	if (!in->unix_path) {
		unlink(path);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	/* markers from this user only, whatever the umask */
	chmod(path, 0600);
	return ATT_OK;
}

int att_osc_in_new(const struct att_osc_in_cfg *cfg, struct att_osc_in **out, char *why,
                   size_t why_len)
{
	if (out)
		*out = NULL;
	if (!cfg || !out || !cfg->post)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "osc in: no configuration or no callback");
	if (cfg->port > 65535)
		return att_fail(
		        why, why_len, ATT_ERR_ARG,
		        "%u is not a port; pick one from 1024 to 65535 with --osc-listen PORT",
		        cfg->port);
	struct att_osc_in *in = calloc(1, sizeof *in);
	if (!in)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	in->fd = in->ufd = in->wake[0] = in->wake[1] = -1;
	in->post = cfg->post;
	in->ctx = cfg->ctx;
	in->buf = malloc(IN_DGRAM_MAX);
	if (!in->buf) {
		att_osc_in_free(in);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	int rc = bind_udp(in, cfg, why, why_len);
	if (rc == ATT_OK && cfg->unix_path && *cfg->unix_path)
		rc = bind_unix(in, cfg->unix_path, why, why_len);
	if (rc == ATT_OK && pipe2(in->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		rc = att_fail(why, why_len, ATT_ERR_IO, "osc in: pipe: %s", strerror(errno));
	if (rc == ATT_OK) {
		int pe = pthread_create(&in->thread, NULL, in_main, in);
		if (pe)
			rc = att_fail(why, why_len, ATT_ERR_IO,
			              "osc in: cannot start its thread: %s", strerror(pe));
		else
			in->started = 1;
	}
	if (rc != ATT_OK) {
		att_osc_in_free(in);
		return rc;
	}
	*out = in;
	return ATT_OK;
}

int att_osc_in_address(const struct att_osc_in *in, char *addr, size_t addr_len, unsigned *port)
{
	if (!in || !addr || !addr_len)
		return ATT_ERR_ARG;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(in->fd, (struct sockaddr *)&ss, &sl) != 0)
		return ATT_ERR_IO;
	const void *a;
	unsigned p;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		a = &s6->sin6_addr;
		p = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		a = &s4->sin_addr;
		p = ntohs(s4->sin_port);
	}
	if (!inet_ntop(ss.ss_family, a, addr, (socklen_t)addr_len))
		return ATT_ERR_ARG;
	if (port)
		*port = p;
	return ATT_OK;
}

void att_osc_in_stats(const struct att_osc_in *in, struct att_osc_in_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	if (!in)
		return;
	struct att_osc_in *m = (struct att_osc_in *)in;
	out->markers = atomic_load_explicit(&m->markers, memory_order_relaxed);
	out->notes = atomic_load_explicit(&m->notes, memory_order_relaxed);
	out->refused = atomic_load_explicit(&m->refused, memory_order_relaxed);
	out->ignored = atomic_load_explicit(&m->ignored, memory_order_relaxed);
}
