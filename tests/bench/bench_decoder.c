/* Decoder throughput: a large generated stream (sample frames with some info/ack frames and ~1 %
 * damaged frames) decoded in read-sized chunks, as the acquisition thread does. Prints MB/s and
 * frames/s, and fails if the decoder's counts disagree with the stream (a benchmark of a wrong
 * decoder is worthless).
 *
 * usage: bench_decoder [MEGABYTES (default 200)] [CHUNK (default 4096)] [REPEATS (default 3)] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/wire.h"
#include "attune/decoder.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	size_t megabytes = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
	size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 10) : 4096;
	int repeats = argc > 3 ? atoi(argv[3]) : 3, rep;
	size_t cap, len = 0;
	uint64_t frames = 0, intact = 0, damaged = 0;
	uint16_t seq = 0;
	uint8_t *stream;
	double best = 1e30;
	struct att_decoder_stats st;

	if (megabytes == 0 || chunk == 0 || repeats <= 0) {
		fprintf(stderr, "usage: bench_decoder [MEGABYTES>0] [CHUNK>0] [REPEATS>0]\n");
		return 2;
	}
	cap = megabytes * 1000000u;
	stream = malloc(cap + ATT_WIRE_MAX_FRAME);
	if (!stream) {
		fprintf(stderr, "bench_decoder: cannot allocate %zu MB: try a smaller size\n",
		        megabytes);
		return 1;
	}
	stream[len++] = 0;
	while (len < cap) {
		uint32_t pick = rnd() % 1000u;
		size_t n;
		if (pick < 5) {
			struct att_wire_ack ack = {ATT_CMD_PING, ATT_ACK_OK, (uint16_t)rnd()};
			n = att_wire_encode_ack(&ack, stream + len);
		} else if (pick < 7) {
			struct att_wire_info info;
			memset(&info, 0, sizeof(info));
			info.rate_hz = ATT_WIRE_RATE_DEFAULT;
			info.names_len = 25;
			memcpy(info.names, "A-resp,A-PPG,B-resp,B-PPG", 25);
			n = att_wire_encode_info(&info, stream + len);
		} else {
			struct att_wire_sample s;
			unsigned c;
			s.seq = seq++;
			s.counter = seq;
			s.flags = 0;
			for (c = 0; c < ATT_WIRE_CHANNELS; c++)
				s.ch[c] = (uint16_t)(rnd() % 1024u); /* 10-bit ADC counts */
			n = att_wire_encode_sample(&s, stream + len);
		}
		frames++;
		if (pick >= 990) {
			/* ~1 % damaged: one bit flipped inside the frame (a 0x00 result just splits it). */
			size_t bit = rnd() % ((n - 1) * 8);
			stream[len + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			damaged++;
		} else {
			intact++;
		}
		len += n;
	}

	for (rep = 0; rep < repeats; rep++) {
		struct att_decoder *dec;
		struct att_wire_frame f;
		uint64_t valid = 0;
		size_t pos = 0;
		double t0, t;
		if (att_decoder_new(&dec) != ATT_OK) {
			fprintf(stderr, "bench_decoder: out of memory\n");
			return 1;
		}
		t0 = now_s();
		while (pos < len) {
			size_t n = len - pos < chunk ? len - pos : chunk, off = 0, used;
			enum att_decode_result r;
			do {
				r = att_decoder_feed(dec, stream + pos + off, n - off, &used, &f);
				off += used;
				valid += r == ATT_DECODE_VALID;
			} while (r != ATT_DECODE_NEED_MORE);
			pos += n;
		}
		t = now_s() - t0;
		att_decoder_stats(dec, &st);
		att_decoder_free(dec);
		if (t < best)
			best = t;
		/* Every intact frame must come out. A damaged one could only pass by a CRC-16
		 * collision (a flip in a COBS code byte moves bytes, which the CRC catches with
		 * probability 1 - 2^-16, not always): reported below, not hidden. */
		if (valid != st.frames_ok || st.frames_ok < intact) {
			fprintf(stderr,
			        "bench_decoder: decoded %llu frames, expected %llu intact\n",
			        (unsigned long long)st.frames_ok, (unsigned long long)intact);
			return 1;
		}
	}
	printf("decoder: %.1f MB in %zu-byte chunks, %llu frames (%llu damaged), best of %d: "
	       "%.3f s = %.0f MB/s, %.2f M frames/s; samples lost %llu, crc %llu, framing %llu, "
	       "damaged but accepted %llu\n",
	       (double)len / 1e6, chunk, (unsigned long long)frames, (unsigned long long)damaged,
	       repeats, best, (double)len / 1e6 / best, (double)frames / 1e6 / best,
	       (unsigned long long)st.samples_lost, (unsigned long long)st.crc_errors,
	       (unsigned long long)st.framing_errors, (unsigned long long)(st.frames_ok - intact));
	free(stream);
	return 0;
}
