/* Board-level integration tests: the real firmware ELF running in attune-simboard, spoken to over
 * the pty the way a host would (raw termios, COBS commands from att_wire_encode_command, frames
 * checked with att_wire_parse).
 *
 * Usage: test_simboard SIMBOARD_EXE FIRMWARE_ELF CASE
 * CASE is one behaviour: identify, stream, realtime, overload, disconnect, faults, backpressure,
 * commands, exclusive, errors, scaled, recording; or bench (figures for tests/bench/RESULTS.md, not a test).
 * Each case starts its own simboard on its own link path, so cases run in parallel. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attune/wire.h"
#include "board.h"
#include "check.h"
#include "attune/decoder.h"
#include "shared_data.h"

static const char *simboard_exe, *firmware_elf;

struct board {
	pid_t pid;
	int out_fd; /* simboard's stdout */
	char link[256];
	char stats[256];
	int fd; /* the pty, or -1 */
	uint8_t buf[ATT_WIRE_MAX_ENCODED + 1];
	size_t len;
	uint8_t rbuf[4096]; /* read-ahead from the pty */
	size_t rpos, rlen;
	int overlong; /* bytes discarded since the last delimiter (a run too long to be a frame) */
	unsigned bad; /* chunks between delimiters that did not parse */
	int hangup;
	double cpu_s; /* simboard's user + system CPU time, after stop_board */
	struct att_decoder
	        *dec; /* optional: the host's decoder fed every byte read, for its counters */
};

/* Starts simboard with the given extra arguments (NULL-terminated) and reads its first stdout line,
 * which must be the link path. */
static int start_board(struct board *b, const char *name, ...)
{
	va_list ap;
	int r;
	memset(b, 0, sizeof *b);
	b->fd = -1;
	snprintf(b->link, sizeof b->link, "/tmp/attune-simtest-%s-%ld", name, (long)getpid());
	snprintf(b->stats, sizeof b->stats, "/tmp/attune-simtest-%s-%ld.json", name,
	         (long)getpid());
	unlink(b->stats);
	va_start(ap, name);
	r = att_simboard_start(simboard_exe, firmware_elf, b->link, b->stats, NULL, ap, &b->pid,
	                       &b->out_fd);
	va_end(ap);
	return r;
}

static int open_link(struct board *b)
{
	struct termios tio;
	b->fd = open(b->link, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (b->fd < 0)
		return -1;
	/* TCSANOW, not TCSAFLUSH: the info frame sent at reset is already waiting in the pty */
	if (tcgetattr(b->fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(b->fd, TCSANOW, &tio);
	}
	b->len = 0;
	b->rpos = b->rlen = 0;
	b->overlong = 0;
	b->hangup = 0;
	return 0;
}

static void send_command(struct board *b, uint8_t command, uint16_t arg)
{
	struct att_wire_command c = {.command = command, .arg = arg};
	uint8_t out[ATT_WIRE_MAX_FRAME];
	size_t n = att_wire_encode_command(&c, out), off = 0;
	while (off < n) {
		ssize_t w = write(b->fd, out + off, n - off);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			return;
		else
			poll(NULL, 0, 1);
	}
}

static void feed_decoder(struct att_decoder *dec, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		struct att_wire_frame f;
		size_t used = 0;
		att_decoder_feed(dec, buf, len, &used, &f);
		buf += used;
		len -= used;
	}
}

/* Next intact frame within timeout_s: 1 got one, 0 timeout, -1 hang-up (the pty went away).
 * Damaged chunks are counted in b->bad and skipped. */
static int next_frame(struct board *b, struct att_wire_frame *f, double timeout_s)
{
	double t0 = att_now_s();
	for (;;) {
		uint8_t byte;
		ssize_t r;
		if (b->rpos == b->rlen) {
			r = read(b->fd, b->rbuf, sizeof b->rbuf);
			if (r > 0) {
				b->rpos = 0;
				b->rlen = (size_t)r;
				if (b->dec)
					feed_decoder(b->dec, b->rbuf, b->rlen);
			}
		} else {
			r = 1;
		}
		if (r > 0) {
			byte = b->rbuf[b->rpos++];
			if (byte != ATT_WIRE_DELIMITER) {
				if (b->len < sizeof b->buf)
					b->buf[b->len++] = byte;
				else
					b->overlong = 1;
				continue;
			}
			if (b->len == 0 && !b->overlong)
				continue;
			if (b->overlong || att_wire_parse(b->buf, b->len, f) != ATT_WIRE_OK) {
				b->bad++;
				b->len = 0;
				b->overlong = 0;
				continue;
			}
			b->len = 0;
			return 1;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			b->hangup = 1;
			return -1;
		}
		if (att_now_s() - t0 > timeout_s)
			return 0;
		{
			struct pollfd p = {.fd = b->fd, .events = POLLIN};
			poll(&p, 1, 20);
			if (p.revents & (POLLHUP | POLLERR)) {
				/* drain what is left before reporting the hang-up */
				if (!(p.revents & POLLIN)) {
					b->hangup = 1;
					return -1;
				}
			}
		}
	}
}

/* Waits for an ack to the command, skipping sample frames (counted in *samples if given). */
static int wait_ack(struct board *b, uint8_t command, struct att_wire_ack *ack, unsigned *samples)
{
	struct att_wire_frame f;
	double t0 = att_now_s();
	while (att_now_s() - t0 < 5.0) {
		if (next_frame(b, &f, 5.0) != 1)
			return -1;
		if (f.type == ATT_WIRE_SAMPLE && samples)
			(*samples)++;
		if (f.type == ATT_WIRE_ACK && f.u.ack.command == command) {
			*ack = f.u.ack;
			return 0;
		}
	}
	return -1;
}

/* Opens the link and starts streaming (START acknowledged, the ack in *ack); -1 when the link
 * does not open. */
static int open_and_start(struct board *b, struct att_wire_ack *ack)
{
	CHECK(open_link(b) == 0);
	if (b->fd < 0)
		return -1;
	send_command(b, ATT_CMD_START, 0);
	CHECK(wait_ack(b, ATT_CMD_START, ack, NULL) == 0);
	return 0;
}

/* Stops simboard with SIGTERM (unless it already ended) and returns its exit status. */
static int stop_board(struct board *b, int terminate, double timeout_s)
{
	int st;
	struct rusage ru;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	if (att_child_wait(b->pid, terminate, timeout_s, &st, &ru) != 0)
		return -1;
	close(b->out_fd);
	b->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs simboard to its end with the given arguments (NULL-terminated) and returns its exit status;
 * its stderr goes into err, stdout into out. */
static int run_capture(char *out, size_t out_len, char *err, size_t err_len, ...)
{
	va_list ap;
	int rc;
	va_start(ap, err_len);
	rc = att_run_capture(simboard_exe, NULL, 0, 20.0, out, out_len, err, err_len, ap);
	va_end(ap);
	return rc;
}

/* identify -> info with version, rate, names; no sample frames before START; ping echoes; START
 * streams from counter 0; STOP ends the stream. */
static void case_identify(void)
{
	struct board b;
	struct att_wire_frame f;
	struct att_wire_ack ack;
	unsigned samples = 0, infos = 0;
	double t0;

	CHECK(start_board(&b, "identify", "--speed", "20", (const char *)NULL) == 0);
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	/* the info frame sent after reset waits in the pty, then the answer to identify */
	send_command(&b, ATT_CMD_IDENTIFY, 0);
	t0 = att_now_s();
	while (att_now_s() - t0 < 3.0 && next_frame(&b, &f, 3.0) == 1) {
		if (f.type == ATT_WIRE_SAMPLE)
			samples++;
		if (f.type == ATT_WIRE_INFO) {
			infos++;
			CHECK(f.version == ATT_WIRE_VERSION);
			CHECK(f.u.info.board == ATT_BOARD_ATMEGA328P);
			CHECK(f.u.info.channels == 4);
			CHECK(f.u.info.adc_bits == 10);
			CHECK(f.u.info.rate_hz == ATT_WIRE_RATE_DEFAULT);
			CHECK(f.u.info.vref_mv == 5000);
			CHECK(f.u.info.streaming == 0);
			CHECK(f.u.info.names_len == strlen("A-resp,A-PPG,B-resp,B-PPG") &&
			      memcmp(f.u.info.names, "A-resp,A-PPG,B-resp,B-PPG",
			             f.u.info.names_len) == 0);
		}
		if (f.type == ATT_WIRE_ACK && f.u.ack.command == ATT_CMD_IDENTIFY) {
			CHECK(f.u.ack.status == ATT_ACK_OK);
			break;
		}
	}
	CHECK(infos == 2); /* one after reset, one for identify */
	/* 0.5 s wall at 20x: about 10 simulated seconds without START must bring no sample */
	while (next_frame(&b, &f, 0.5) == 1)
		if (f.type == ATT_WIRE_SAMPLE)
			samples++;
	send_command(&b, ATT_CMD_PING, 0xBEEF);
	CHECK(wait_ack(&b, ATT_CMD_PING, &ack, &samples) == 0);
	CHECK(ack.status == ATT_ACK_OK && ack.value == 0xBEEF);
	CHECK(samples == 0);

	send_command(&b, ATT_CMD_START, 0);
	CHECK(wait_ack(&b, ATT_CMD_START, &ack, NULL) == 0);
	CHECK(ack.status == ATT_ACK_OK && ack.value == ATT_WIRE_RATE_DEFAULT);
	CHECK(next_frame(&b, &f, 2.0) == 1 && f.type == ATT_WIRE_SAMPLE);
	CHECK(f.type == ATT_WIRE_SAMPLE && f.u.sample.counter < 5);
	send_command(&b, ATT_CMD_STOP, 0);
	CHECK(wait_ack(&b, ATT_CMD_STOP, &ack, NULL) == 0);
	samples = 0;
	while (next_frame(&b, &f, 0.3) == 1)
		if (f.type == ATT_WIRE_SAMPLE)
			samples++;
	CHECK(samples == 0);
	CHECK(b.bad == 0);
	CHECK(stop_board(&b, 1, 5.0) == 0);
	unlink(b.stats);
}

/* After START, every input sample arrives in order with its exact ADC code, with consecutive
 * counters, over >= 60 simulated seconds run faster than real time.
 * Exact expectation: the firmware samples at 250 Hz, the input steps at 50 Hz, so each input
 * sample i is seen by 5 consecutive frames; the frame at an input step may see sample i or i+1
 * (which one depends on where its conversion starts), so runs are 4..6 frames long, never skip a
 * sample and never go back. */
static void case_stream(void)
{
	const unsigned seconds = 60, frames_wanted = seconds * ATT_WIRE_RATE_DEFAULT;
	/* Looped: a board idle before START runs flat out, so START may come late in the file. */
	const unsigned rows = ATT_STREAM_ROWS;
	char csv[256];
	struct board b;
	struct att_wire_frame fr;
	struct att_wire_ack ack;
	unsigned i, c, frames = 0, bad_runs = 0, bad_values = 0, bad_counter = 0;
	unsigned idx[4] = {0}, run[4] = {0}, runs_seen[4] = {0};
	uint32_t last_counter = 0;
	uint16_t last_seq = 0;
	double t0, wall;

	snprintf(csv, sizeof csv, "/tmp/attune-simtest-stream-%ld.csv", (long)getpid());
	att_write_stream_csv(csv);

	CHECK(start_board(&b, "stream", "--speed", "0", "--input", csv, "--volts", "--loop",
	                  (const char *)NULL) == 0);
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	t0 = att_now_s();
	send_command(&b, ATT_CMD_START, 0);
	CHECK(wait_ack(&b, ATT_CMD_START, &ack, NULL) == 0);
	while (frames < frames_wanted && next_frame(&b, &fr, 5.0) == 1) {
		if (fr.type != ATT_WIRE_SAMPLE)
			continue;
		if (frames > 0 && (fr.u.sample.counter != last_counter + 1 ||
		                   fr.u.sample.seq != (uint16_t)(last_seq + 1)))
			bad_counter++;
		if (fr.u.sample.flags & (ATT_FLAG_TX_OVERFLOW | ATT_FLAG_SATURATED))
			bad_counter++;
		last_counter = fr.u.sample.counter;
		last_seq = fr.u.sample.seq;
		if (frames == 0) {
			/* Where in the input the stream starts: codes of one channel may repeat, the four
			 * together do not. A later channel may already see the next row (conversions are
			 * ~100 us apart). */
			for (i = 0; i < rows; i++) {
				int ok = att_code_of(att_stream_mv(i, 0)) == fr.u.sample.ch[0];
				for (c = 1; c < 4 && ok; c++)
					ok = att_code_of(att_stream_mv(i, c)) ==
					             fr.u.sample.ch[c] ||
					     att_code_of(att_stream_mv(i + 1, c)) ==
					             fr.u.sample.ch[c];
				if (ok)
					break;
			}
			if (i == rows)
				bad_values++;
			for (c = 0; c < 4; c++) {
				idx[c] = att_code_of(att_stream_mv(i, c)) == fr.u.sample.ch[c]
				                 ? i
				                 : i + 1;
				run[c] = 1;
			}
			last_counter = fr.u.sample.counter;
			last_seq = fr.u.sample.seq;
			frames++;
			continue;
		}
		for (c = 0; c < 4; c++) {
			unsigned v = fr.u.sample.ch[c];
			if (v == att_code_of(att_stream_mv(idx[c], c))) {
				run[c]++;
			} else if (v == att_code_of(att_stream_mv(idx[c] + 1, c))) {
				if (runs_seen[c] > 0 && (run[c] < 4 || run[c] > 6))
					bad_runs++;
				runs_seen[c]++;
				idx[c]++;
				run[c] = 1;
			} else {
				if (bad_values < 5)
					fprintf(stderr, "frame %u ch %u: got %u, want %u or %u\n",
					        frames, c, v, att_code_of(att_stream_mv(idx[c], c)),
					        att_code_of(att_stream_mv(idx[c] + 1, c)));
				bad_values++;
			}
		}
		frames++;
	}
	wall = att_now_s() - t0;
	CHECK(frames == frames_wanted);
	CHECK(bad_counter == 0);
	CHECK(bad_values == 0);
	CHECK(bad_runs == 0);
	CHECK(b.bad == 0);
	for (c = 0; c < 4; c++) /* 60 s of 50 Hz input seen step by step */
		CHECK_NEAR(runs_seen[c], seconds * ATT_STREAM_RATE, 2);
	printf("stream: %u frames (%u s simulated) in %.2f s wall, %.1fx real time\n", frames,
	       seconds, wall, seconds / wall);
	CHECK(wall < seconds / 2.0); /* clearly faster than real time (~40x without sanitizers) */
	CHECK(stop_board(&b, 1, 5.0) == 0);
	unlink(csv);
	unlink(b.stats);
}

/* --speed 1 paces by the wall clock: 3 s simulated take 3 s +- 10 % (from the link path printed to
 * the pty's hang-up at the end), and frames come at 250/s +- 10 %. */
static void case_realtime(void)
{
	struct board b;
	struct att_wire_frame f;
	struct att_wire_ack ack;
	double t0 = att_now_s(), first_t = 0, last_t = 0, wall;
	uint32_t first_c = 0, last_c = 0;
	unsigned n = 0;

	CHECK(start_board(&b, "realtime", "--speed", "1", "--duration", "3", (const char *)NULL) ==
	      0);
	t0 = att_now_s();
	if (open_and_start(&b, &ack) != 0)
		return;
	for (;;) {
		int r = next_frame(&b, &f, 5.0);
		if (r != 1)
			break;
		if (f.type != ATT_WIRE_SAMPLE)
			continue;
		if (n == 0) {
			first_t = att_now_s();
			first_c = f.u.sample.counter;
		}
		last_t = att_now_s();
		last_c = f.u.sample.counter;
		n++;
	}
	/* the run ended by itself at --duration: the pty hung up (process exit, slower under
	 * sanitizers, comes after) */
	wall = att_now_s() - t0;
	CHECK(b.hangup);
	CHECK(stop_board(&b, 0, 5.0) == 0);
	printf("realtime: 3 s simulated took %.3f s wall; frames at %.1f /s over %.2f s; simboard CPU "
	       "%.3f s (%.1f %% of a core)\n",
	       wall, (last_c - first_c) / (last_t - first_t), last_t - first_t, b.cpu_s,
	       100.0 * b.cpu_s / wall);
	CHECK_NEAR(wall, 3.0, 0.3);
	CHECK(n > 500);
	if (last_t > first_t)
		CHECK_NEAR((last_c - first_c) / (last_t - first_t), 250.0, 25.0);
	CHECK_NEAR(att_stat_value(b.stats, "speed"), 1.0, 0.1);
	unlink(b.stats);
}

/* Link overload. 500 Hz x 4 channels needs 500 x 21 = 10500 B/s; the firmware's UART runs at
 * 117647 baud (U2X, UBRR 16: the closest 16 MHz gets to 115200) and simavr counts 11 bits per byte,
 * so the simulated link carries 10695 B/s: 98 % loaded, nothing lost. Identify requests every
 * ~50 ms simulated add ~1000 B/s of info + ack frames and push it over: the firmware's TX ring
 * overflows, sample frames are dropped, the next one sent carries ATT_FLAG_TX_OVERFLOW and the seq
 * (and counter) jump by the number dropped; the board still answers STOP and nothing hangs. */
static void case_overload(void)
{
	struct board b;
	struct att_wire_frame f;
	struct att_wire_ack ack;
	unsigned frames = 0, gaps = 0, flagged = 0, gap_without_flag = 0, skew = 0;
	unsigned gaps_unloaded = 0;
	unsigned long lost = 0;
	uint32_t last_counter = 0, first_counter = 0;
	uint16_t last_seq = 0;
	double last_identify = 0;
	const double speed = 5.0;

	CHECK(start_board(&b, "overload", "--speed", "5", "--duration", "60", (const char *)NULL) ==
	      0);
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	send_command(&b, ATT_CMD_SET_RATE, 500);
	CHECK(wait_ack(&b, ATT_CMD_SET_RATE, &ack, NULL) == 0);
	CHECK(ack.status == ATT_ACK_OK && ack.value == 500);
	send_command(&b, ATT_CMD_START, 0);
	CHECK(wait_ack(&b, ATT_CMD_START, &ack, NULL) == 0);
	while (next_frame(&b, &f, 5.0) == 1) {
		int loaded;
		if (f.type != ATT_WIRE_SAMPLE)
			continue;
		if (frames == 0)
			first_counter = f.u.sample.counter;
		/* first 4 s simulated: the stream alone; then 8 s with identify requests */
		loaded = f.u.sample.counter - first_counter >= 4u * 500u;
		if (loaded && att_now_s() - last_identify > 0.05 / speed) {
			send_command(&b, ATT_CMD_IDENTIFY, 0);
			last_identify = att_now_s();
		}
		if (frames > 0) {
			uint16_t dseq = (uint16_t)(f.u.sample.seq - last_seq);
			uint32_t dcount = f.u.sample.counter - last_counter;
			if (dseq != dcount)
				skew++;
			if (dseq != 1) {
				gaps++;
				if (!loaded)
					gaps_unloaded++;
				lost += dseq - 1u;
				if (!(f.u.sample.flags & ATT_FLAG_TX_OVERFLOW))
					gap_without_flag++;
			}
		}
		if (f.u.sample.flags & ATT_FLAG_TX_OVERFLOW)
			flagged++;
		last_seq = f.u.sample.seq;
		last_counter = f.u.sample.counter;
		frames++;
		if (last_counter - first_counter >= 12u * 500u)
			break;
	}
	printf("overload: %u frames over 12 s at 500 Hz, %u gaps (%lu frames lost, %u in the first 4 s "
	       "without identify requests), %u frames flagged\n",
	       frames, gaps, lost, gaps_unloaded, flagged);
	CHECK(last_counter - first_counter >= 12u * 500u);
	CHECK(gaps_unloaded == 0);
	CHECK(gaps > 0);
	CHECK(flagged > 0);
	CHECK(gap_without_flag == 0);
	CHECK(skew == 0);
	CHECK(b.bad == 0);
	/* every sample instant is either received or accounted for by a seq gap */
	CHECK(frames + lost == last_counter - first_counter + 1u);
	send_command(&b, ATT_CMD_STOP, 0);
	CHECK(wait_ack(&b, ATT_CMD_STOP, &ack, NULL) == 0);
	CHECK(stop_board(&b, 1, 5.0) == 0);
	unlink(b.stats);
}

/* The cable is pulled at 4 s for 4 s (simulated): the host sees a hang-up, the link comes back at
 * the same path, streaming goes on without a new START, with a counter gap of 4 s x 250 Hz. */
static void case_disconnect(void)
{
	struct board b;
	struct att_wire_frame f;
	struct att_wire_ack ack;
	uint32_t before = 0, after = 0, last = 0;
	unsigned n_before = 0, n_after = 0, bad_after = 0;
	double t0;
	int r, reopened = 0;

	CHECK(start_board(&b, "disconnect", "--speed", "4", "--disconnect-at", "4",
	                  "--reconnect-after", "4", "--duration", "12", (const char *)NULL) == 0);
	if (open_and_start(&b, &ack) != 0)
		return;
	while ((r = next_frame(&b, &f, 5.0)) == 1)
		if (f.type == ATT_WIRE_SAMPLE) {
			before = f.u.sample.counter;
			n_before++;
		}
	CHECK(r == -1); /* a hang-up, not a silence */
	close(b.fd);
	b.fd = -1;
	t0 = att_now_s();
	while (att_now_s() - t0 < 5.0) {
		if (open_link(&b) == 0) {
			reopened = 1;
			break;
		}
		poll(NULL, 0, 10);
	}
	CHECK(reopened);
	if (!reopened)
		return;
	printf("disconnect: link back after %.2f s wall\n", att_now_s() - t0);
	while (next_frame(&b, &f, 5.0) == 1) {
		if (f.type != ATT_WIRE_SAMPLE)
			continue;
		if (n_after == 0)
			after = f.u.sample.counter;
		else if (f.u.sample.counter != last + 1)
			bad_after++;
		last = f.u.sample.counter;
		n_after++;
	}
	CHECK(stop_board(&b, 0, 5.0) == 0);
	printf("disconnect: last counter %u before, first %u after: %u samples missing; "
	       "%.0f bytes lost while unplugged\n",
	       before, after, after - before - 1, att_stat_value(b.stats, "bytes_lost_unplugged"));
	CHECK(n_before > 700); /* ~4 s of stream before the pull */
	CHECK(n_after > 700);  /* ~4 s after the replug */
	CHECK(bad_after == 0);
	/* 4 s at 250 Hz; a few frames were on the wire or in the firmware's TX ring at either end */
	CHECK_NEAR((double)(after - before - 1), 1000.0, 10.0);
	/* simboard counts what it held and what the pty's read side held at the pull; a few frames
	 * may still sit in the kernel's tty flip buffer, invisible to it (FIONREAD), under load */
	CHECK(att_stat_value(b.stats, "bytes_lost_unplugged") / ATT_WIRE_SAMPLE_WIRE <=
	      (double)(after - before - 1) + 2.0);
	CHECK(att_stat_value(b.stats, "bytes_lost_unplugged") / ATT_WIRE_SAMPLE_WIRE >=
	      (double)(after - before - 1) - 10.0);
	CHECK(att_stat_value(b.stats, "unplugs") == 1 && att_stat_value(b.stats, "plugs") == 1);
	unlink(b.stats);
}

/* Garbage, drops and flips: the frames a reader loses are the frames simboard says it damaged
 * (minus the rare fault that leaves a frame intact, e.g. a garbage 0x00 next to a delimiter), no
 * damaged frame gets through the CRC, and the host's decoder (host/lib/io/decoder.c) fed the same
 * bytes counts the same sample frames lost as this reader does from the seq numbers. */
static void case_faults(void)
{
	struct board b;
	struct att_wire_frame f;
	struct att_decoder_stats ds;
	unsigned long received = 0, samples = 0, nonmono = 0, seq_lost = 0;
	uint32_t last = 0;
	uint16_t last_seq = 0;
	double sent, affected, garbage;

	/* 20x, not flat out: the idle board must not burn simulated seconds before START */
	CHECK(start_board(&b, "faults", "--speed", "20", "--duration", "20", "--garbage", "0.0005",
	                  "--drop", "0.0005", "--flip", "0.0005", "--seed", "7",
	                  (const char *)NULL) == 0);
	CHECK(att_decoder_new(&b.dec) == ATT_OK);
	CHECK(open_link(&b) == 0);
	if (b.fd < 0 || !b.dec)
		return;
	send_command(&b, ATT_CMD_START, 0);
	while (next_frame(&b, &f, 5.0) == 1) {
		received++;
		if (f.type != ATT_WIRE_SAMPLE)
			continue;
		if (samples > 0) {
			if (f.u.sample.counter <= last)
				nonmono++;
			seq_lost += (uint16_t)(f.u.sample.seq - last_seq - 1u);
		}
		CHECK(f.u.sample.ch[0] <= 1023 && f.u.sample.ch[3] <= 1023);
		last = f.u.sample.counter;
		last_seq = f.u.sample.seq;
		samples++;
	}
	CHECK(b.hangup);
	CHECK(stop_board(&b, 0, 5.0) == 0);
	att_decoder_stats(b.dec, &ds);
	att_decoder_free(b.dec);
	sent = att_stat_value(b.stats, "frames_out");
	affected = att_stat_value(b.stats, "frames_affected");
	garbage = att_stat_value(b.stats, "garbage_bytes");
	printf("faults: board sent %.0f frames, %.0f affected (%.0f garbage bytes, %.0f dropped, "
	       "%.0f bits flipped); reader got %lu intact, lost %.0f, %u bad chunks; decoder: %llu "
	       "samples lost, %llu CRC + %llu framing errors\n",
	       sent, affected, garbage, att_stat_value(b.stats, "dropped_bytes"),
	       att_stat_value(b.stats, "flipped_bits"), received, sent - (double)received, b.bad,
	       (unsigned long long)ds.samples_lost, (unsigned long long)ds.crc_errors,
	       (unsigned long long)ds.framing_errors);
	CHECK(sent > 4000);
	CHECK(affected > 10);
	CHECK(garbage > 0 && att_stat_value(b.stats, "dropped_bytes") > 0 &&
	      att_stat_value(b.stats, "flipped_bits") > 0);
	CHECK(sent - (double)received <= affected);
	CHECK(sent - (double)received >= affected - garbage / 32.0 - 2.0);
	CHECK(nonmono == 0);
	CHECK(b.bad > 0);
	/* the host's counters against what was injected */
	CHECK(ds.samples_lost == seq_lost);
	CHECK((double)ds.samples_lost <= affected);
	CHECK((double)ds.samples_lost >= affected - garbage / 32.0 - 4.0); /* 2 non-sample frames */
	CHECK(ds.crc_errors + ds.framing_errors > 0);
	unlink(b.stats);
}

/* A host that stops reading pauses the board instead of losing bytes: flat out, the output piles up
 * to the bound (--buffer 65536 here, 1 MiB by default), simulated time stops, and when the host reads
 * again every frame is there, counters consecutive. */
static void case_backpressure(void)
{
	struct board b;
	struct att_wire_frame f;
	struct att_wire_ack ack;
	unsigned long frames = 0, breaks = 0;
	uint32_t last = 0;
	double sim_s, pause_t0, sim_rate;
	const double bound = 65536.0;

	CHECK(start_board(&b, "backpressure", "--speed", "0", "--buffer", "65536",
	                  (const char *)NULL) == 0);
	if (open_and_start(&b, &ack) != 0)
		return;
	pause_t0 = att_now_s();
	while (frames < 5000 && next_frame(&b, &f, 5.0) == 1)
		if (f.type == ATT_WIRE_SAMPLE) {
			breaks += frames > 0 && f.u.sample.counter != last + 1;
			last = f.u.sample.counter;
			frames++;
		}
	sim_rate = 20.0 /
	           (att_now_s() - pause_t0); /* simulated s per wall s while read: 5000 frames */
	/* stop reading for 3 s: unpaused, the board would run ~3 x sim_rate simulated seconds */
	poll(NULL, 0, 3000);
	while (next_frame(&b, &f, 1.0) == 1) {
		if (f.type != ATT_WIRE_SAMPLE)
			continue;
		breaks += f.u.sample.counter != last + 1;
		last = f.u.sample.counter;
		frames++;
		if (frames == 20000)
			break;
	}
	kill(b.pid, SIGTERM);
	CHECK(stop_board(&b, 0, 5.0) == 0);
	sim_s = att_stat_value(b.stats, "sim_s");
	printf("backpressure: %lu frames, %lu breaks; buffered up to %.0f bytes; %.0f polls while "
	       "paused; %.1f s simulated in %.1f s wall (%.0fx while read)\n",
	       frames, breaks, att_stat_value(b.stats, "max_buffered"),
	       att_stat_value(b.stats, "congested_polls"), sim_s, att_stat_value(b.stats, "wall_s"),
	       sim_rate);
	CHECK(frames == 20000);
	CHECK(breaks == 0);
	CHECK(att_stat_value(b.stats, "congested_polls") > 0);
	CHECK(att_stat_value(b.stats, "max_buffered") > bound);
	CHECK(att_stat_value(b.stats, "max_buffered") < bound + 4096.0);
	/* the board got at most the bound and the pty's buffer ahead of the reader, not 3 s of flat out
	 * (the idle time before START adds a little) */
	CHECK(sim_s < 80.0 + 2.0 * bound / (21.0 * 250.0) + 5.0);
	unlink(b.stats);
}

/* Host -> board bytes are never lost: bursts of 10 pings (80 bytes) exceed simavr's 64-byte UART
 * input FIFO, so simboard must hold the rest until the UART signals XON again; every ping is
 * answered, in order, with its own argument. (10 acks, 100 bytes, fit the firmware's TX ring.) */
static void case_commands(void)
{
	struct board b;
	struct att_wire_frame f;
	unsigned burst, k, acked = 0, wrong = 0;

	CHECK(start_board(&b, "commands", "--speed", "0", (const char *)NULL) == 0);
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	for (burst = 0; burst < 50; burst++) {
		uint8_t out[10 * ATT_WIRE_COMMAND_WIRE];
		size_t n = 0, off = 0;
		for (k = 0; k < 10; k++) {
			struct att_wire_command c = {.command = ATT_CMD_PING,
			                             .arg = (uint16_t)(burst * 10 + k + 1)};
			n += att_wire_encode_command(&c, out + n);
		}
		while (off < n) { /* one write: the whole burst reaches simboard at once */
			ssize_t w = write(b.fd, out + off, n - off);
			if (w > 0)
				off += (size_t)w;
			else
				poll(NULL, 0, 1);
		}
		for (k = 0; k < 10; k++) {
			if (next_frame(&b, &f, 5.0) != 1)
				break;
			if (f.type == ATT_WIRE_INFO) { /* the one sent at reset */
				k--;
				continue;
			}
			if (f.type == ATT_WIRE_ACK && f.u.ack.command == ATT_CMD_PING &&
			    f.u.ack.status == ATT_ACK_OK && f.u.ack.value == burst * 10 + k + 1)
				acked++;
			else
				wrong++;
		}
	}
	printf("commands: %u of 500 pings answered in order, %u wrong\n", acked, wrong);
	CHECK(acked == 500);
	CHECK(wrong == 0);
	CHECK(b.bad == 0);
	CHECK(stop_board(&b, 1, 5.0) == 0);
	CHECK(att_stat_value(b.stats, "bytes_from_host") == 500.0 * ATT_WIRE_COMMAND_WIRE);
	CHECK(att_stat_value(b.stats, "uart_xoff") >= 50); /* every burst overfilled the FIFO */
	printf("commands: the UART's input FIFO filled %.0f times\n",
	       att_stat_value(b.stats, "uart_xoff"));
	unlink(b.stats);
}

/* Opens the link as a non-root host would (a child dropping to uid 65534 when we are root, since
 * root ignores TIOCEXCL), optionally sets TIOCEXCL, closes. Returns 0 when the open worked. */
static int open_as_user(const char *link, int set_exclusive)
{
	pid_t pid = fork();
	int st = 0;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;
		if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		fd = open(link, O_RDWR | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			_exit(errno == EBUSY ? 1 : 2);
		if (set_exclusive && ioctl(fd, TIOCEXCL) != 0)
			_exit(4);
		close(fd);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A host that takes the port exclusively (TIOCEXCL, as attune does when not root) and quits must
 * not lock out the next one: the kernel would only clear it on the last close, and simboard holds
 * the slave open, so simboard clears it when it sees the host close. */
static void case_exclusive(void)
{
	struct board b;
	char slave[256];
	ssize_t n;

	CHECK(start_board(&b, "exclusive", "--speed", "1", (const char *)NULL) == 0);
	n = readlink(b.link, slave, sizeof slave - 1);
	CHECK(n > 0);
	if (n <= 0)
		return;
	slave[n] = 0;
	if (getuid() == 0)
		CHECK(chmod(slave, 0666) == 0); /* let the unprivileged child in */
	CHECK(open_as_user(b.link, 1) == 0);
	poll(NULL, 0, 100); /* simboard services the pty every millisecond or so */
	CHECK(open_as_user(b.link, 0) == 0);
	CHECK(open_as_user(b.link, 1) == 0);
	poll(NULL, 0, 100);
	CHECK(open_as_user(b.link, 0) == 0);
	CHECK(stop_board(&b, 1, 5.0) == 0);
	unlink(b.stats);
}

/* Bad usage exits 2, bad input or environment exits 1, each with one line on stderr naming what is
 * wrong; --help exits 0; SIGINT ends a run cleanly and removes the link. */
static void case_errors(void)
{
	char out[8192], err[4096], csv[256], link[256];
	struct board b;
	struct stat st;
	FILE *f;
	int rc;

	snprintf(csv, sizeof csv, "/tmp/attune-simtest-errors-%ld.csv", (long)getpid());
	snprintf(link, sizeof link, "/tmp/attune-simtest-errors-%ld", (long)getpid());
	f = fopen(csv, "w");
	if (f) {
		fprintf(f, "time,x\n1,2\n");
		fclose(f);
	}
#define EXPECT(code, needle, ...)                                                                  \
	do {                                                                                       \
		rc = run_capture(out, sizeof out, err, sizeof err, __VA_ARGS__,                    \
		                 (const char *)NULL);                                              \
		CHECK(rc == (code));                                                               \
		CHECK(att_count_lines(err) == 1);                                                  \
		CHECK(strstr(err, needle) != NULL);                                                \
		if (rc != (code) || att_count_lines(err) != 1 || !strstr(err, needle))             \
			fprintf(stderr, "  got %d: %s", rc, err);                                  \
	} while (0)
	EXPECT(2, "--speed", "--firmware", firmware_elf, "--speed", "fast");
	EXPECT(2, "--garbage", "--firmware", firmware_elf, "--garbage", "2");
	EXPECT(2, "--bogus", "--firmware", firmware_elf, "--bogus");
	EXPECT(2, "--script", "--firmware", firmware_elf, "--script", "waltz");
	EXPECT(2, "--disconnect-at", "--firmware", firmware_elf, "--reconnect-after", "1");
	EXPECT(1, "/nonexistent/attune.elf", "--firmware", "/nonexistent/attune.elf");
	EXPECT(1, "not an AVR ELF", "--firmware", csv);
	EXPECT(1, "/nonexistent.csv", "--firmware", firmware_elf, "--input", "/nonexistent.csv");
	EXPECT(1, csv, "--firmware", firmware_elf, "--input", csv);
	EXPECT(1, "--link", "--firmware", firmware_elf, "--link", "/nonexistent-dir/attune-sim");
	/* a regular file at the link path is never replaced */
	EXPECT(1, "not a symlink", "--firmware", firmware_elf, "--link", csv);
	CHECK(lstat(csv, &st) == 0 && S_ISREG(st.st_mode));
#undef EXPECT
	rc = run_capture(out, sizeof out, err, sizeof err, "--help", (const char *)NULL);
	CHECK(rc == 0 && strstr(out, "--disconnect-at") && strstr(out, "--input"));

	/* SIGINT: clean exit 0, the link is gone */
	CHECK(start_board(&b, "sigint", "--speed", "1", (const char *)NULL) == 0);
	CHECK(lstat(b.link, &st) == 0);
	poll(NULL, 0, 300);
	kill(b.pid, SIGINT);
	CHECK(stop_board(&b, 0, 5.0) == 0);
	CHECK(lstat(b.link, &st) != 0 && errno == ENOENT);
	CHECK(att_stat_value(b.stats, "sim_s") > 0.1);
	unlink(b.stats);
	unlink(csv);
	(void)link;
}

/* Without --volts a channel's 1st..99th percentile is scaled onto 0.5..4.5 V, whatever its units:
 * a ramp from -1000 to 999 units (2000 rows at 100 Hz; percentiles -981 and 979) reaches
 * floor(4500 x 1023 / 5000) = 920 at its 99th percentile, and a flat channel or an absent one
 * sits at 2.5 V (511). */
static void case_scaled(void)
{
	char csv[256];
	FILE *f;
	struct board b;
	struct att_wire_frame fr;
	struct att_wire_ack ack;
	unsigned i, n = 0, lo = 1023, hi = 0, flat_bad = 0, mono_bad = 0, prev = 0;
	static unsigned got[6000];

	snprintf(csv, sizeof csv, "/tmp/attune-simtest-scaled-%ld.csv", (long)getpid());
	f = fopen(csv, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "t,a_resp,b_resp\n");
	for (i = 0; i < 2000; i++)
		fprintf(f, "%.2f,%.1f,7\n", i / 100.0, -1000.0 + i);
	fclose(f);
	CHECK(start_board(&b, "scaled", "--speed", "10", "--input", csv, (const char *)NULL) == 0);
	if (open_and_start(&b, &ack) != 0)
		return;
	while (next_frame(&b, &fr, 5.0) == 1) {
		if (fr.type != ATT_WIRE_SAMPLE)
			continue;
		if (n < sizeof got / sizeof got[0])
			got[n] = fr.u.sample.ch[ATT_CH_A_RESP];
		if (n > 0 && fr.u.sample.ch[ATT_CH_A_RESP] < prev)
			mono_bad++;
		prev = fr.u.sample.ch[ATT_CH_A_RESP];
		if (fr.u.sample.ch[ATT_CH_B_RESP] != 2500u * 1023u / 5000u)
			flat_bad++;
		/* absent PPG columns hold mid-scale too */
		if (fr.u.sample.ch[ATT_CH_A_PPG] != 511 || fr.u.sample.ch[ATT_CH_B_PPG] != 511)
			flat_bad++;
		n++;
	}
	CHECK(b.hangup); /* the recording ends, so does the run */
	CHECK(stop_board(&b, 0, 5.0) == 0);
	CHECK(n > 4000); /* 20 s at 250 Hz, minus the time before START */
	for (i = 0; i < n && i < sizeof got / sizeof got[0]; i++) {
		lo = got[i] < lo ? got[i] : lo;
		hi = got[i] > hi ? got[i] : hi;
	}
	printf("scaled: %u frames, A-resp codes %u..%u\n", n, lo, hi);
	CHECK(mono_bad == 0);
	CHECK(flat_bad == 0);
	/* the last row (999 units) is 20 rows past the 99th percentile (979): 0.5 + 1980 x 4 / 1960
	 * = 4.5408 V -> 4541 mV -> code 929 */
	CHECK(hi == 929);
	{
		/* the row at the 99th percentile maps onto exactly 4.5 V */
		unsigned at920 = 0;
		for (i = 0; i < n && i < sizeof got / sizeof got[0]; i++)
			at920 += got[i] == 920 || got[i] == 921;
		CHECK(at920 > 0);
	}
	unlink(csv);
	unlink(b.stats);
}

/* A real recording (NeuroKit2 resting data, 100 Hz, raw belt and PPG units) converted to the CSV
 * contract, person B = person A 1 s later: the board's A-resp follows the recording's RSP (after the
 * documented scaling) with a correlation > 0.99, and B-resp is A-resp 250 samples later. */
static void case_recording(void)
{
	char src[1024], csv[256], line[512];
	FILE *in, *out;
	struct board b;
	struct att_wire_frame fr;
	struct att_wire_ack ack;
	static unsigned short a[8000], bb[8000];
	unsigned n = 0, i, rows = 0;
	static double rsp[30000], ppg[30000];
	double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, r;
	unsigned lag = 250, m;

	switch (att_data_path("neurokit2/bio_resting_5min_100hz.csv", src, sizeof src)) {
	case 0:
		break;
	case 77:
		exit(77);
	default: /* ATTUNE_REQUIRE_DATA=1 */
		CHECK(!"recording: the shared data is required");
		return;
	}
	in = fopen(src, "r");
	CHECK(in != NULL);
	if (!in)
		return;
	/* header ECG,PPG,RSP */
	if (!fgets(line, sizeof line, in) || strncmp(line, "ECG,PPG,RSP", 11) != 0) {
		CHECK(!"unexpected header in bio_resting_5min_100hz.csv");
		fclose(in);
		return;
	}
	while (rows < 30000 && fgets(line, sizeof line, in)) {
		double e, p, q;
		if (sscanf(line, "%lf,%lf,%lf", &e, &p, &q) != 3)
			break;
		ppg[rows] = p;
		rsp[rows] = q;
		rows++;
	}
	fclose(in);
	CHECK(rows == 30000);
	snprintf(csv, sizeof csv, "/tmp/attune-simtest-recording-%ld.csv", (long)getpid());
	out = fopen(csv, "w");
	CHECK(out != NULL);
	if (!out)
		return;
	fprintf(out, "t,a_resp,a_ppg,b_resp,b_ppg\n");
	for (i = 100; i < 3100; i++) /* 30 s; B is A one second (100 rows) later */
		fprintf(out, "%.2f,%.6f,%.6f,%.6f,%.6f\n", (i - 100) / 100.0, rsp[i], ppg[i],
		        rsp[i - 100], ppg[i - 100]);
	fclose(out);

	CHECK(start_board(&b, "recording", "--speed", "20", "--input", csv, (const char *)NULL) ==
	      0);
	if (open_and_start(&b, &ack) != 0)
		return;
	while (next_frame(&b, &fr, 5.0) == 1) {
		if (fr.type != ATT_WIRE_SAMPLE || n >= 8000)
			continue;
		a[n] = fr.u.sample.ch[ATT_CH_A_RESP];
		bb[n] = fr.u.sample.ch[ATT_CH_B_RESP];
		n++;
	}
	CHECK(stop_board(&b, 0, 5.0) == 0);
	CHECK(n > 6000);
	/* B-resp at k + 250 (1 s later) is A-resp at k */
	m = n > lag ? n - lag : 0;
	for (i = 0; i < m; i++) {
		sa += a[i];
		sb += bb[i + lag];
		saa += (double)a[i] * a[i];
		sbb += (double)bb[i + lag] * bb[i + lag];
		sab += (double)a[i] * bb[i + lag];
	}
	r = m ? (sab - sa * sb / m) / sqrt((saa - sa * sa / m) * (sbb - sb * sb / m)) : 0;
	printf("recording: %u frames; B-resp vs A-resp 1 s earlier: r = %.5f\n", n, r);
	CHECK(r > 0.99);
	unlink(csv);
	unlink(b.stats);
}

/* Figures for tests/bench/RESULTS.md: speed reached flat out, idle and streaming. */
static void case_bench(void)
{
	struct board b;
	struct att_wire_frame fr;
	struct att_wire_ack ack;
	unsigned rate_i;
	static const unsigned rates[] = {250, 500};
	double t0, wall;

	/* idle: no host commands, the firmware sleeps between ticks */
	CHECK(start_board(&b, "bench-idle", "--speed", "0", "--duration", "600",
	                  (const char *)NULL) == 0);
	CHECK(stop_board(&b, 0, 60.0) == 0);
	printf("bench: idle (not streaming), flat out: %.1f s simulated in %.3f s = %.0fx real time; "
	       "simboard CPU %.3f s = %.0f simulated s per CPU s\n",
	       att_stat_value(b.stats, "sim_s"), att_stat_value(b.stats, "wall_s"),
	       att_stat_value(b.stats, "speed"), b.cpu_s,
	       att_stat_value(b.stats, "sim_s") / b.cpu_s);
	unlink(b.stats);
	for (rate_i = 0; rate_i < 2; rate_i++) {
		unsigned n = 0;
		CHECK(start_board(&b, "bench", "--speed", "0", (const char *)NULL) == 0);
		CHECK(open_link(&b) == 0);
		if (b.fd < 0)
			return;
		send_command(&b, ATT_CMD_SET_RATE, (uint16_t)rates[rate_i]);
		CHECK(wait_ack(&b, ATT_CMD_SET_RATE, &ack, NULL) == 0);
		send_command(&b, ATT_CMD_START, 0);
		CHECK(wait_ack(&b, ATT_CMD_START, &ack, NULL) == 0);
		t0 = att_now_s();
		while (n < 120u * rates[rate_i] && next_frame(&b, &fr, 5.0) == 1)
			n += fr.type == ATT_WIRE_SAMPLE;
		wall = att_now_s() - t0;
		CHECK(stop_board(&b, 1, 5.0) == 0);
		printf("bench: streaming %u Hz x 4 channels, flat out, host reading: %u frames = 120 s "
		       "simulated in %.3f s = %.1fx real time (%.0f bytes/s through the pty); simboard "
		       "CPU %.3f s for %.1f s simulated = %.1f simulated s per CPU s\n",
		       rates[rate_i], n, wall, 120.0 / wall, n * 21.0 / wall, b.cpu_s,
		       att_stat_value(b.stats, "sim_s"),
		       att_stat_value(b.stats, "sim_s") / b.cpu_s);
		unlink(b.stats);
	}
}

int main(int argc, char **argv)
{
	const char *which;
	signal(SIGPIPE, SIG_IGN);
	if (argc != 4) {
		fprintf(stderr, "usage: test_simboard SIMBOARD_EXE FIRMWARE_ELF CASE\n");
		return 2;
	}
	simboard_exe = argv[1];
	firmware_elf = argv[2];
	which = argv[3];
	if (access(firmware_elf, R_OK) != 0) {
		fprintf(stderr, "test_simboard: firmware %s not built; skipping\n", firmware_elf);
		return 77;
	}
	if (strcmp(which, "identify") == 0)
		case_identify();
	else if (strcmp(which, "stream") == 0)
		case_stream();
	else if (strcmp(which, "realtime") == 0)
		case_realtime();
	else if (strcmp(which, "overload") == 0)
		case_overload();
	else if (strcmp(which, "disconnect") == 0)
		case_disconnect();
	else if (strcmp(which, "faults") == 0)
		case_faults();
	else if (strcmp(which, "backpressure") == 0)
		case_backpressure();
	else if (strcmp(which, "commands") == 0)
		case_commands();
	else if (strcmp(which, "exclusive") == 0)
		case_exclusive();
	else if (strcmp(which, "errors") == 0)
		case_errors();
	else if (strcmp(which, "scaled") == 0)
		case_scaled();
	else if (strcmp(which, "recording") == 0)
		case_recording();
	else if (strcmp(which, "bench") == 0)
		case_bench();
	else {
		fprintf(stderr, "test_simboard: unknown case %s\n", which);
		return 2;
	}
	return att_check_done(which);
}
