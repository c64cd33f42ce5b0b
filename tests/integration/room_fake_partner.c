/* A room partner that is not attune (tests): it announces a board of another scale in its
 * hello, answers the clock pings like attune room does, and publishes constant counts at
 * 250 Hz in version-1 samples messages of 25, for SECONDS.
 *
 * usage: room_fake_partner URL CAFILE USER PASSWORD ROOM SIDE ADC_BITS VREF_MV RESP PPG SECONDS */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/clock.h"
#include "attune/room.h"
#include "attune/room_wire.h"

#define INSTANCE 0x5eed1234u

static char prefix[128], side[8];

static void publish(struct mosquitto *m, const char *kind, const struct att_room_msg *msg, int qos,
                    int retain)
{
	uint8_t buf[ATT_ROOM_MSG_MAX];
	char topic[200];
	int n = att_room_encode(msg, buf, sizeof buf);

	snprintf(topic, sizeof topic, "%s%s/%s", prefix, side, kind);
	if (n > 0)
		mosquitto_publish(m, NULL, topic, n, buf, qos, retain);
}

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *mm)
{
	struct att_room_msg msg, pong = {.type = ATT_ROOM_PONG, .instance = INSTANCE};
	int64_t t2 = att_clock_ns();

	(void)ctx;
	if (att_room_decode(mm->payload, (size_t)mm->payloadlen, &msg) != ATT_OK ||
	    msg.type != ATT_ROOM_PING || msg.instance == INSTANCE)
		return;
	pong.u.clock = (struct att_room_clock_msg){.to_instance = msg.instance,
	                                           .id = msg.u.clock.id,
	                                           .t1_ns = msg.u.clock.t1_ns,
	                                           .t2_ns = t2,
	                                           .t3_ns = att_clock_ns()};
	publish(m, "clock", &pong, 0, 0);
}

int main(int argc, char **argv)
{
	struct att_room_broker b;
	struct att_room_msg hello = {.type = ATT_ROOM_HELLO, .instance = INSTANCE};
	struct att_room_msg status = {.type = ATT_ROOM_STATUS, .instance = INSTANCE};
	struct att_room_msg s = {.type = ATT_ROOM_SAMPLES, .instance = INSTANCE};
	struct mosquitto *m;
	char why[200], sub[160];
	int64_t t0, next;

	if (argc != 12 || att_room_parse_broker(argv[1], &b, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "usage: room_fake_partner URL CAFILE USER PASSWORD ROOM SIDE "
		                "ADC_BITS VREF_MV RESP PPG SECONDS\n");
		return 2;
	}
	snprintf(prefix, sizeof prefix, "attune/%s/", argv[5]);
	snprintf(side, sizeof side, "%s", argv[6]);
	mosquitto_lib_init();
	m = mosquitto_new(NULL, true, NULL);
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_username_pw_set(m, argv[3], argv[4]);
	if (b.tls)
		mosquitto_tls_set(m, argv[2], NULL, NULL, NULL, NULL);
	mosquitto_message_callback_set(m, on_message);
	if (mosquitto_connect(m, b.host, b.port, 5) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "room_fake_partner: cannot reach the broker\n");
		return 1;
	}
	snprintf(sub, sizeof sub, "%s#", prefix);
	mosquitto_subscribe(m, NULL, sub, 1);
	hello.u.hello.rate_mhz = 250000;
	hello.u.hello.adc_bits = (uint8_t)atoi(argv[7]);
	hello.u.hello.vref_mv = (uint16_t)atoi(argv[8]);
	snprintf(hello.u.hello.name, sizeof hello.u.hello.name, "Fake");
	publish(m, "hello", &hello, 1, 1);
	status.u.status.online = 1;
	publish(m, "status", &status, 1, 1);
	s.u.samples.rate_mhz = 250000;
	s.u.samples.n = ATT_ROOM_BATCH;
	for (unsigned i = 0; i < ATT_ROOM_BATCH; i++) {
		s.u.samples.resp[i] = (uint16_t)atoi(argv[9]);
		s.u.samples.ppg[i] = (uint16_t)atoi(argv[10]);
	}
	t0 = next = att_clock_ns();
	while (next - t0 < (int64_t)(atof(argv[11]) * 1e9)) {
		next += 100000000LL; /* 25 samples at 250 Hz, sent when the last is taken */
		att_clock_sleep_until(next);
		s.u.samples.t0_ns = next - 100000000LL;
		publish(m, "samples", &s, 0, 0);
		s.u.samples.seq++;
		s.u.samples.counter += ATT_ROOM_BATCH;
	}
	status.u.status.online = 0;
	publish(m, "status", &status, 1, 1);
	att_clock_sleep_until(att_clock_ns() + 300000000LL);
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return 0;
}
