/* Room payloads (room_wire.h): explicit little-endian bytes, one layout per message type, and
 * the sequence rule that drops repeats and stale messages. */
#include "attune/room_wire.h"

#include <math.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* A text as length byte + bytes, cut to max - 1 bytes. */
static size_t put_text(uint8_t *p, const char *text, size_t max)
{
	size_t n = strnlen(text, max - 1);
	p[0] = (uint8_t)n;
	memcpy(p + 1, text, n);
	return 1 + n;
}

/* A length-prefixed text that must end the payload exactly. */
static int get_text(const uint8_t *p, size_t left, char *out, size_t max)
{
	if (left < 1 || (size_t)p[0] + 1 != left || p[0] >= max)
		return ATT_ERR_FORMAT;
	memcpy(out, p + 1, p[0]);
	out[p[0]] = 0;
	if (memchr(out, 0, p[0]))
		return ATT_ERR_FORMAT;
	return ATT_OK;
}

int att_room_encode(const struct att_room_msg *m, uint8_t *buf, size_t len)
{
	size_t n = 6;

	if (!m || !buf || len < ATT_ROOM_MSG_MAX)
		return ATT_ERR_ARG;
	buf[0] = ATT_ROOM_WIRE_VERSION;
	buf[1] = m->type;
	put32(buf + 2, m->instance);
	switch (m->type) {
	case ATT_ROOM_SAMPLES: {
		const struct att_room_samples *s = &m->u.samples;
		if (s->n < 1 || s->n > ATT_ROOM_BATCH)
			return ATT_ERR_ARG;
		put32(buf + 6, s->seq);
		put32(buf + 10, s->counter);
		put64(buf + 14, (uint64_t)s->t0_ns);
		put32(buf + 22, s->rate_mhz);
		buf[26] = s->n;
		n = ATT_ROOM_SAMPLES_HEADER;
		for (unsigned i = 0; i < s->n; i++, n += 4) {
			put16(buf + n, s->resp[i]);
			put16(buf + n + 2, s->ppg[i]);
		}
		return (int)n;
	}
	case ATT_ROOM_HELLO:
		put32(buf + 6, m->u.hello.rate_mhz);
		buf[10] = m->u.hello.adc_bits;
		put16(buf + 11, m->u.hello.vref_mv);
		return (int)(13 + put_text(buf + 13, m->u.hello.name, ATT_ROOM_NAME_MAX));
	case ATT_ROOM_STATUS:
		buf[6] = m->u.status.online ? 1 : 0;
		return 7;
	case ATT_ROOM_PING:
		put32(buf + 6, m->u.clock.id);
		put64(buf + 10, (uint64_t)m->u.clock.t1_ns);
		return 18;
	case ATT_ROOM_PONG:
		put32(buf + 6, m->u.clock.to_instance);
		put32(buf + 10, m->u.clock.id);
		put64(buf + 14, (uint64_t)m->u.clock.t1_ns);
		put64(buf + 22, (uint64_t)m->u.clock.t2_ns);
		put64(buf + 30, (uint64_t)m->u.clock.t3_ns);
		return 38;
	case ATT_ROOM_EVENT: {
		uint64_t bits;
		memcpy(&bits, &m->u.event.value, sizeof bits);
		put32(buf + 6, m->u.event.seq);
		put64(buf + 10, (uint64_t)m->u.event.t_ns);
		buf[18] = m->u.event.kind;
		put64(buf + 19, bits);
		return (int)(27 + put_text(buf + 27, m->u.event.text, ATT_ROOM_TEXT_MAX));
	}
	default:
		return ATT_ERR_ARG;
	}
}

int att_room_decode(const uint8_t *buf, size_t len, struct att_room_msg *m)
{
	memset(m, 0, sizeof *m);
	if (!buf || len < 2)
		return ATT_ERR_FORMAT;
	if (buf[0] != ATT_ROOM_WIRE_VERSION)
		return ATT_ERR_VERSION;
	if (len < 6)
		return ATT_ERR_FORMAT;
	m->type = buf[1];
	m->instance = get32(buf + 2);
	switch (m->type) {
	case ATT_ROOM_SAMPLES: {
		struct att_room_samples *s = &m->u.samples;
		if (len < ATT_ROOM_SAMPLES_HEADER)
			return ATT_ERR_FORMAT;
		s->seq = get32(buf + 6);
		s->counter = get32(buf + 10);
		s->t0_ns = (int64_t)get64(buf + 14);
		s->rate_mhz = get32(buf + 22);
		s->n = buf[26];
		if (s->n < 1 || s->n > ATT_ROOM_BATCH || s->rate_mhz == 0 ||
		    len != ATT_ROOM_SAMPLES_HEADER + 4u * s->n)
			return ATT_ERR_FORMAT;
		for (unsigned i = 0; i < s->n; i++) {
			s->resp[i] = get16(buf + ATT_ROOM_SAMPLES_HEADER + 4 * i);
			s->ppg[i] = get16(buf + ATT_ROOM_SAMPLES_HEADER + 4 * i + 2);
		}
		return ATT_OK;
	}
	case ATT_ROOM_HELLO:
		if (len < 14)
			return ATT_ERR_FORMAT;
		m->u.hello.rate_mhz = get32(buf + 6);
		m->u.hello.adc_bits = buf[10];
		m->u.hello.vref_mv = get16(buf + 11);
		return get_text(buf + 13, len - 13, m->u.hello.name, ATT_ROOM_NAME_MAX);
	case ATT_ROOM_STATUS:
		if (len != 7 || buf[6] > 1)
			return ATT_ERR_FORMAT;
		m->u.status.online = buf[6];
		return ATT_OK;
	case ATT_ROOM_PING:
		if (len != 18)
			return ATT_ERR_FORMAT;
		m->u.clock.id = get32(buf + 6);
		m->u.clock.t1_ns = (int64_t)get64(buf + 10);
		return ATT_OK;
	case ATT_ROOM_PONG:
		if (len != 38)
			return ATT_ERR_FORMAT;
		m->u.clock.to_instance = get32(buf + 6);
		m->u.clock.id = get32(buf + 10);
		m->u.clock.t1_ns = (int64_t)get64(buf + 14);
		m->u.clock.t2_ns = (int64_t)get64(buf + 22);
		m->u.clock.t3_ns = (int64_t)get64(buf + 30);
		return ATT_OK;
	case ATT_ROOM_EVENT: {
		uint64_t bits;
		if (len < 28)
			return ATT_ERR_FORMAT;
		m->u.event.seq = get32(buf + 6);
		m->u.event.t_ns = (int64_t)get64(buf + 10);
		m->u.event.kind = buf[18];
		bits = get64(buf + 19);
		memcpy(&m->u.event.value, &bits, sizeof bits);
		return get_text(buf + 27, len - 27, m->u.event.text, ATT_ROOM_TEXT_MAX);
	}
	default:
		return ATT_ERR_FORMAT;
	}
}

enum att_room_verdict att_room_order_check(struct att_room_order *o, uint32_t instance,
                                           uint32_t seq)
{
	int32_t ahead;

	if (o->known && instance != o->instance) {
		if (instance == o->prev_instance) {
			o->stale++; /* a late message from before the sender's restart */
			return ATT_ROOM_STALE;
		}
		o->prev_instance = o->instance;
		o->known = 0;
		o->restarts++;
	}
	if (!o->known) {
		o->known = 1;
		o->instance = instance;
		o->next = seq + 1;
		o->accepted++;
		return ATT_ROOM_TAKE;
	}
	/* serial-number arithmetic: sequence numbers wrap after 2^32 messages (13 years) */
	ahead = (int32_t)(seq - o->next);
	if (ahead >= 0) {
		o->missing += (uint32_t)ahead;
		o->next = seq + 1;
		o->accepted++;
		return ATT_ROOM_TAKE;
	}
	if (ahead == -1) {
		o->duplicate++;
		return ATT_ROOM_DUPLICATE;
	}
	o->stale++;
	return ATT_ROOM_STALE;
}

double att_room_hello_mv_per_count(const struct att_room_hello *h)
{
	if (!h || h->adc_bits < 8 || h->adc_bits > 16 || !h->vref_mv)
		return 0.0;
	return (double)h->vref_mv / (double)((1u << h->adc_bits) - 1u);
}

uint16_t att_room_rescale(uint16_t count, double from_mv, double to_mv)
{
	double c;

	if (!(from_mv > 0.0) || !(to_mv > 0.0))
		return count;
	c = round((double)count * from_mv / to_mv);
	return (uint16_t)(c < 0.0 ? 0.0 : c > 65535.0 ? 65535.0 : c);
}
