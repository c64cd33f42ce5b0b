/* Rooms (net/): the broker payloads round-trip and refuse what is malformed; repeated, reordered
 * and replayed messages are dropped and counted; the clock alignment finds a partner's offset
 * within a few milliseconds through asymmetric, spiky delays that bias a plain average, and
 * tracks drift; a board's timeline ignores queueing; the jitter buffer pairs two partners'
 * samples by when they happened, however late (within its size) the remote ones arrive. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/room.h"
#include "attune/room_clock.h"
#include "attune/room_pair.h"
#include "attune/room_wire.h"

static uint32_t rng = 12345;
static double uniform(void) /* 0..1, xorshift: the same numbers on every run */
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return (double)rng / 4294967296.0;
}

static void samples_round_trip_in_127_bytes(void)
{
	struct att_room_msg m = {.type = ATT_ROOM_SAMPLES, .instance = 0xdeadbeef}, d;
	uint8_t buf[ATT_ROOM_MSG_MAX];
	struct att_room_samples *s = &m.u.samples;

	s->seq = 7;
	s->counter = 0xfffffff0u;
	s->t0_ns = -123456789012345LL;
	s->rate_mhz = 250000;
	s->n = ATT_ROOM_BATCH;
	for (unsigned i = 0; i < s->n; i++) {
		s->resp[i] = (uint16_t)(1000 + i);
		s->ppg[i] = (uint16_t)(65535 - i);
	}
	int n = att_room_encode(&m, buf, sizeof buf);
	CHECK(n == 127);
	CHECK(buf[0] == ATT_ROOM_WIRE_VERSION && buf[1] == ATT_ROOM_SAMPLES);
	CHECK(buf[2] == 0xef && buf[5] == 0xde); /* little-endian, byte by byte */
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_OK);
	CHECK(d.type == ATT_ROOM_SAMPLES && d.instance == 0xdeadbeef);
	CHECK(d.u.samples.seq == 7 && d.u.samples.counter == 0xfffffff0u);
	CHECK(d.u.samples.t0_ns == -123456789012345LL && d.u.samples.rate_mhz == 250000);
	CHECK(d.u.samples.n == 25 && d.u.samples.resp[24] == 1024 && d.u.samples.ppg[3] == 65532);
	/* one byte short or long, a count that does not match, another version */
	CHECK(att_room_decode(buf, (size_t)n - 1, &d) == ATT_ERR_FORMAT);
	CHECK(att_room_decode(buf, (size_t)n + 1, &d) == ATT_ERR_FORMAT);
	buf[26] = 26;
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_ERR_FORMAT);
	buf[0] = 2;
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_ERR_VERSION);
	s->n = 0;
	CHECK(att_room_encode(&m, buf, sizeof buf) == ATT_ERR_ARG);
}

static void every_other_message_round_trips(void)
{
	uint8_t buf[ATT_ROOM_MSG_MAX];
	struct att_room_msg d;
	struct att_room_msg hello = {.type = ATT_ROOM_HELLO,
	                             .instance = 1,
	                             .u.hello = {.rate_mhz = 250000, .adc_bits = 10, .vref_mv = 5000}};
	struct att_room_msg status = {.type = ATT_ROOM_STATUS, .instance = 2, .u.status.online = 1};
	struct att_room_msg ping = {.type = ATT_ROOM_PING, .instance = 3, .u.clock = {.id = 9, .t1_ns = 42}};
	struct att_room_msg pong = {.type = ATT_ROOM_PONG,
	                            .instance = 4,
	                            .u.clock = {.to_instance = 3, .id = 9, .t1_ns = 42, .t2_ns = -5,
	                                        .t3_ns = INT64_MAX}};
	struct att_room_msg ev = {.type = ATT_ROOM_EVENT,
	                          .instance = 5,
	                          .u.event = {.seq = 3, .t_ns = 77, .kind = 3, .value = 5.5}};
	int n;

	strcpy(hello.u.hello.name, "Zoë");
	strcpy(ev.u.event.text, "pacer");
	n = att_room_encode(&hello, buf, sizeof buf);
	CHECK(n == 13 + 1 + (int)strlen("Zoë"));
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_OK && !strcmp(d.u.hello.name, "Zoë") &&
	      d.u.hello.rate_mhz == 250000 && d.u.hello.adc_bits == 10 && d.u.hello.vref_mv == 5000);
	n = att_room_encode(&status, buf, sizeof buf);
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_OK && d.u.status.online == 1 &&
	      d.instance == 2);
	buf[6] = 7; /* neither online nor offline */
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_ERR_FORMAT);
	n = att_room_encode(&ping, buf, sizeof buf);
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_OK && d.type == ATT_ROOM_PING &&
	      d.u.clock.id == 9 && d.u.clock.t1_ns == 42);
	n = att_room_encode(&pong, buf, sizeof buf);
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_OK && d.u.clock.to_instance == 3 &&
	      d.u.clock.t2_ns == -5 && d.u.clock.t3_ns == INT64_MAX);
	n = att_room_encode(&ev, buf, sizeof buf);
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_OK && d.u.event.kind == 3 &&
	      d.u.event.value == 5.5 && !strcmp(d.u.event.text, "pacer") && d.u.event.t_ns == 77);
	buf[27] = 200; /* a text longer than the payload */
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_ERR_FORMAT);
	buf[1] = 99;
	CHECK(att_room_decode(buf, (size_t)n, &d) == ATT_ERR_FORMAT);
	CHECK(att_room_decode(buf, 1, &d) == ATT_ERR_FORMAT);
}

static void repeats_and_stale_messages_are_dropped_and_counted(void)
{
	struct att_room_order o = {0};

	CHECK(att_room_order_check(&o, 10, 100) == ATT_ROOM_TAKE); /* joins mid-stream */
	CHECK(att_room_order_check(&o, 10, 101) == ATT_ROOM_TAKE);
	CHECK(att_room_order_check(&o, 10, 101) == ATT_ROOM_DUPLICATE); /* QoS 1 redelivery */
	CHECK(att_room_order_check(&o, 10, 104) == ATT_ROOM_TAKE);      /* 102, 103 lost */
	CHECK(att_room_order_check(&o, 10, 103) == ATT_ROOM_STALE);     /* arrives late */
	CHECK(att_room_order_check(&o, 10, 90) == ATT_ROOM_STALE);      /* replayed */
	CHECK(o.accepted == 3 && o.duplicate == 1 && o.stale == 2 && o.missing == 2);
	/* the sender restarts: a new instance starts at 0 and is taken; the old one's late
	 * messages are stale */
	CHECK(att_room_order_check(&o, 11, 0) == ATT_ROOM_TAKE);
	CHECK(att_room_order_check(&o, 10, 105) == ATT_ROOM_STALE);
	CHECK(att_room_order_check(&o, 11, 1) == ATT_ROOM_TAKE);
	CHECK(o.restarts == 1 && o.stale == 3 && o.accepted == 5);
	/* sequence numbers wrap */
	struct att_room_order w = {0};
	CHECK(att_room_order_check(&w, 1, UINT32_MAX) == ATT_ROOM_TAKE);
	CHECK(att_room_order_check(&w, 1, 0) == ATT_ROOM_TAKE);
	CHECK(att_room_order_check(&w, 1, 0) == ATT_ROOM_DUPLICATE);
	CHECK(att_room_order_check(&w, 1, UINT32_MAX) == ATT_ROOM_STALE);
	CHECK(w.missing == 0);
}

/* One clock round through a network: theirs = ours + offset + drift * ours. */
static void round_trip(struct att_room_clock *c, int64_t t1, double offset_s, double drift,
                       double fwd_s, double back_s, double answer_s)
{
	double theirs_at_t2, t2_ours = (double)t1 * 1e-9 + fwd_s;
	theirs_at_t2 = t2_ours + offset_s + drift * t2_ours;
	int64_t t2 = (int64_t)(theirs_at_t2 * 1e9);
	int64_t t3 = t2 + (int64_t)(answer_s * 1e9);
	int64_t t4 = (int64_t)((t2_ours + answer_s * (1.0 - drift) + back_s) * 1e9);
	CHECK(att_room_clock_add(c, t1, t2, t3, t4) == ATT_OK);
}

static void offset_found_through_spiky_asymmetric_delays(void)
{
	struct att_room_clock *c = NULL;
	struct att_room_clock_est e;
	double naive = 0.0;
	int rounds = 60;

	CHECK(att_room_clock_new(NULL, &c) == ATT_OK);
	CHECK(att_room_clock_estimate(c, 0, &e) == ATT_ERR_NO_DATA);
	/* 150 +- 50 ms each way, and a third of the pings queue another 50..300 ms on the way out
	 * (a busy uplink): the mean offset is off by tens of milliseconds */
	for (int i = 0; i < rounds; i++) {
		double fwd = 0.1 + 0.1 * uniform(), back = 0.1 + 0.1 * uniform();
		if (uniform() < 0.33)
			fwd += 0.05 + 0.25 * uniform();
		naive += 2.5 + (fwd - back) / 2.0;
		round_trip(c, (int64_t)(1000 + i) * 1000000000LL, 2.5, 0.0, fwd, back, 0.001);
	}
	naive /= rounds;
	CHECK(att_room_clock_estimate(c, 1060LL * 1000000000LL, &e) == ATT_OK);
	CHECK_NEAR((double)e.offset_ns * 1e-9, 2.5, 0.015);
	CHECK(fabs(naive - 2.5) > 0.02); /* the plain average would not do */
	CHECK(e.rounds == 60);
	CHECK(e.delay_ns >= 200000000 && e.delay_ns < 260000000);
	CHECK(fabs(e.drift_ppm) < 1000.0);
	/* impossible rounds are refused */
	CHECK(att_room_clock_add(c, 10, 0, 5, 5) == ATT_ERR_RANGE);
	att_room_clock_reset(c);
	CHECK(att_room_clock_estimate(c, 0, &e) == ATT_ERR_NO_DATA);
	att_room_clock_free(c);
}

static void drift_is_tracked(void)
{
	struct att_room_clock *c = NULL;
	struct att_room_clock_est e;
	const double drift = 80e-6; /* their clock gains 80 us a second */

	CHECK(att_room_clock_new(&(struct att_room_clock_cfg){.rounds = 64}, &c) == ATT_OK);
	for (int i = 0; i < 64; i++)
		round_trip(c, (int64_t)(500 + i) * 1000000000LL, -1.0, drift,
		           0.02 + 0.01 * uniform(), 0.02 + 0.01 * uniform(), 0.0005);
	/* 100 s after the last round: the offset has moved 8 ms since then */
	int64_t at = 663LL * 1000000000LL;
	CHECK(att_room_clock_estimate(c, at, &e) == ATT_OK);
	CHECK_NEAR(e.drift_ppm, 80.0, 15.0);
	CHECK_NEAR((double)e.offset_ns * 1e-9, -1.0 + drift * 663.0, 0.003);
	att_room_clock_free(c);
}

static void board_timeline_ignores_queueing(void)
{
	struct att_room_timeline tl = {0};
	double worst = 0.0;
	const double rate = 250.0;

	/* samples happen every 4 ms from t = 10 s; they arrive 1..3 ms later, and every second
	 * a 40-sample burst is held 120 ms by a busy host */
	for (uint32_t k = 0; k < 5000; k++) {
		double happened = 10.0 + k / rate;
		double late = 0.001 + 0.002 * uniform();
		if (k % 250 < 40 && k > 250)
			late += 0.12 - (k % 250) / rate;
		if (late < 0.001)
			late = 0.001;
		int64_t t = att_room_timeline_add(&tl, 0xffffff00u + k, (int64_t)((happened + late) * 1e9),
		                                  rate);
		double err = (double)t * 1e-9 - happened;
		if (k > 250 && fabs(err) > worst)
			worst = fabs(err);
	}
	CHECK(worst < 0.004); /* never the 120 ms of a burst */
	/* a counter going back (the board restarted) starts afresh */
	CHECK(att_room_timeline_add(&tl, 5, 123456789, rate) == 123456789);
}

static void pairs_by_when_samples_happened(void)
{
	struct att_room_pair *p = NULL;
	struct att_room_pair_out out[64];
	struct att_room_pair_stats st;
	const double rate = 250.0;
	const int64_t period = 4000000;
	const int64_t t0 = 1000000000000LL;
	size_t got = 0, n_out = 0, mismatched = 0;
	uint32_t expect_k = 0;

	CHECK(att_room_pair_new(&(struct att_room_pair_cfg){.rate_hz = 10.0}, &p) == ATT_ERR_ARG);
	CHECK(att_room_pair_new(&(struct att_room_pair_cfg){.rate_hz = rate, .delay_s = 0.5}, &p) ==
	      ATT_OK);
	/* lane 0: local samples, pushed as they happen (+1 ms). lane 1: the partner's, each value
	 * the same as lane 0's at the same instant, arriving in batches of 25 up to 0.4 s late.
	 * The grid must pair equal values. */
	int64_t remote_due[2000];
	for (int k = 0; k < 2000; k++) {
		int64_t batch_end = t0 + (int64_t)((k / 25) * 25 + 24) * period;
		remote_due[k] = batch_end + (int64_t)(0.2e9 + 0.2e9 * uniform());
		if (k % 25)
			remote_due[k] = remote_due[k - k % 25]; /* one message */
	}
	int next_remote = 0;
	for (int64_t now = t0; now < t0 + 2000 * period + 1000000000LL; now += 1000000) {
		int64_t k = (now - t0) / period;
		if ((now - t0) % period == 1000000 && k < 2000)
			CHECK(att_room_pair_push(p, 0, t0 + k * period, (uint16_t)k, 1) == ATT_OK);
		while (next_remote < 2000 && remote_due[next_remote] <= now) {
			/* their clock estimate puts their samples 0.3 ms off ours: still the
			 * nearest */
			CHECK(att_room_pair_push(p, 1, t0 + next_remote * period + 300000,
			                         (uint16_t)next_remote, 2) == ATT_OK);
			next_remote++;
		}
		got = att_room_pair_pop(p, now, out, 64);
		for (size_t i = 0; i < got; i++, n_out++) {
			CHECK(out[i].index == expect_k);
			expect_k++;
			if (out[i].ch[0] != out[i].ch[2] || out[i].held)
				mismatched++;
			/* nothing comes out before its instant + the buffer */
			CHECK(out[i].t_ns + 500000000 <= now);
		}
	}
	CHECK(n_out == 2000);
	CHECK(mismatched == 0);
	att_room_pair_stats(p, &st);
	CHECK(st.out == 2000 && st.held[1] == 0 && st.late[1] == 0);
	att_room_pair_free(p);
}

static void late_partner_is_held_and_counted(void)
{
	struct att_room_pair *p = NULL;
	struct att_room_pair_out out[512];
	struct att_room_pair_stats st;
	const int64_t period = 4000000, t0 = 5000000000LL;

	CHECK(att_room_pair_new(&(struct att_room_pair_cfg){.rate_hz = 250.0, .delay_s = 0.2}, &p) ==
	      ATT_OK);
	for (int k = 0; k < 250; k++)
		att_room_pair_push(p, 0, t0 + k * period, 100, 100);
	for (int k = 0; k < 100; k++)
		att_room_pair_push(p, 1, t0 + k * period, 7, 7);
	size_t n = att_room_pair_pop(p, t0 + 250 * period + 200000000LL, out, 512);
	CHECK(n == 250);
	CHECK(out[99].ch[2] == 7 && !out[99].held);
	CHECK(out[100].ch[2] == 7 && out[100].held == 2); /* holds its last value */
	/* the partner's samples of instants already out are too late: dropped, counted */
	for (int k = 100; k < 150; k++)
		att_room_pair_push(p, 1, t0 + k * period, 8, 8);
	att_room_pair_stats(p, &st);
	CHECK(st.held[1] == 150 && st.late[1] == 50 && st.held[0] == 0);
	/* a second with neither partner: skipped instants, then both again */
	att_room_pair_push(p, 0, t0 + 500 * period, 1, 1);
	n = att_room_pair_pop(p, t0 + 500 * period + 200000000LL, out, 512);
	CHECK(n == 1 && out[0].index == 500);
	att_room_pair_stats(p, &st);
	CHECK(st.skipped == 250);
	att_room_pair_free(p);
}

static void broker_addresses_and_room_codes(void)
{
	struct att_room_broker b;
	char why[200], code[32], other[32];

	CHECK(att_room_parse_broker("mqtts://broker.example.org", &b, why, sizeof why) == ATT_OK);
	CHECK(b.tls && b.port == 8883 && !strcmp(b.host, "broker.example.org") && !b.loopback);
	CHECK(att_room_parse_broker("mqtt://127.0.0.1:18830", &b, why, sizeof why) == ATT_OK);
	CHECK(!b.tls && b.port == 18830 && b.loopback);
	CHECK(att_room_parse_broker("mqtt://localhost", &b, why, sizeof why) == ATT_OK);
	CHECK(b.port == 1883 && b.loopback);
	CHECK(att_room_parse_broker("mqtts://[::1]:8884", &b, why, sizeof why) == ATT_OK);
	CHECK(b.tls && b.port == 8884 && !strcmp(b.host, "::1") && b.loopback);
	CHECK(att_room_parse_broker("http://x", &b, why, sizeof why) == ATT_ERR_ARG);
	CHECK(strstr(why, "mqtts://HOST") != NULL);
	CHECK(att_room_parse_broker("mqtts://x:0", &b, why, sizeof why) == ATT_ERR_ARG);
	CHECK(att_room_parse_broker("mqtts://x:99999", &b, why, sizeof why) == ATT_ERR_ARG);
	CHECK(att_room_parse_broker("mqtts://:8883", &b, why, sizeof why) == ATT_ERR_ARG);
	/* codes: 20 symbols of 32 (100 bits), grouped by 5, never the same twice, valid topics */
	CHECK(att_room_new_code(code, sizeof code) == ATT_OK);
	CHECK(att_room_new_code(other, sizeof other) == ATT_OK);
	CHECK(strlen(code) == 23 && code[5] == '-' && code[11] == '-' && code[17] == '-');
	CHECK(strcmp(code, other) != 0);
	CHECK(att_room_code_valid(code));
	CHECK(!strpbrk(code, "01lo"));
	CHECK(att_room_new_code(code, 10) == ATT_ERR_ARG);
	CHECK(!att_room_code_valid("a/b") && !att_room_code_valid("x+") && !att_room_code_valid("#"));
	CHECK(!att_room_code_valid("") && att_room_code_valid("Room_1-x"));
}

/* A partner's board with another Vref or ADC: its counts are put on this host's scale. */
static void partner_counts_put_on_our_scale(void)
{
	struct att_room_hello uno = {.adc_bits = 10, .vref_mv = 5000};
	struct att_room_hello other = {.adc_bits = 12, .vref_mv = 2500};
	struct att_room_hello junk = {.adc_bits = 40, .vref_mv = 5000};
	double ours = att_room_hello_mv_per_count(&uno);

	CHECK_NEAR(ours, 5000.0 / 1023.0, 1e-12);
	CHECK_NEAR(att_room_hello_mv_per_count(&other), 2500.0 / 4095.0, 1e-12);
	CHECK(att_room_hello_mv_per_count(&junk) == 0.0);
	/* 2048 counts of 2.5 V over 12 bits = 1250.3 mV = 255.8 of our counts */
	CHECK(att_room_rescale(2048, att_room_hello_mv_per_count(&other), ours) == 256);
	CHECK(att_room_rescale(4095, att_room_hello_mv_per_count(&other), ours) == 512);
	CHECK(att_room_rescale(700, ours, ours) == 700);
	CHECK(att_room_rescale(700, 0.0, ours) == 700); /* no hello yet: as it came */
	CHECK(att_room_rescale(60000, 10.0, 1.0) == 65535);
	/* and back: a 10-bit 5 V count on a 12-bit 2.5 V host */
	CHECK(att_room_rescale(256, ours, att_room_hello_mv_per_count(&other)) == 2050);
}

int main(void)
{
	broker_addresses_and_room_codes();
	samples_round_trip_in_127_bytes();
	every_other_message_round_trips();
	repeats_and_stale_messages_are_dropped_and_counted();
	offset_found_through_spiky_asymmetric_delays();
	drift_is_tracked();
	board_timeline_ignores_queueing();
	pairs_by_when_samples_happened();
	late_partner_is_held_and_counted();
	partner_counts_put_on_our_scale();
	return att_check_done("room");
}
