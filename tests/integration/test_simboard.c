/* Board-level integration tests: the real firmware ELF running in attune-simboard, spoken to over
 * the pty the way a host would (raw termios, COBS commands from att_wire_encode_command, frames
 * checked with att_wire_parse).
 *
 * Usage: test_simboard SIMBOARD_EXE FIRMWARE_ELF CASE
 * CASE is one behaviour: identify, stream, realtime, overload, disconnect, faults.
 * Each case starts its own simboard on its own link path, so cases run in parallel. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attune/wire.h"
#include "check.h"

static const char *simboard_exe, *firmware_elf;

struct board {
	pid_t pid;
	int out_fd; /* simboard's stdout */
	char link[256];
	char stats[256];
	int fd; /* the pty, or -1 */
	uint8_t buf[ATT_WIRE_MAX_ENCODED + 1];
	size_t len;
	int overlong;  /* bytes discarded since the last delimiter (a run too long to be a frame) */
	unsigned bad;  /* chunks between delimiters that did not parse */
	int hangup;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Starts simboard with the given extra arguments (NULL-terminated) and reads its first stdout line,
 * which must be the link path. */
static int start_board(struct board *b, const char *name, ...)
{
	const char *argv[40];
	int argc = 0, pipefd[2];
	va_list ap;
	char line[512];
	size_t got = 0;
	double t0 = now_s();

	memset(b, 0, sizeof *b);
	b->fd = -1;
	snprintf(b->link, sizeof b->link, "/tmp/attune-simtest-%s-%ld", name, (long)getpid());
	snprintf(b->stats, sizeof b->stats, "/tmp/attune-simtest-%s-%ld.json", name, (long)getpid());
	unlink(b->stats);
	argv[argc++] = simboard_exe;
	argv[argc++] = "--firmware";
	argv[argc++] = firmware_elf;
	argv[argc++] = "--link";
	argv[argc++] = b->link;
	argv[argc++] = "--stats";
	argv[argc++] = b->stats;
	va_start(ap, name);
	for (;;) {
		const char *a = va_arg(ap, const char *);
		if (!a || argc >= 38)
			break;
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	if (pipe(pipefd) != 0)
		return -1;
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(simboard_exe, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	b->out_fd = pipefd[0];
	while (got < sizeof line - 1 && now_s() - t0 < 10.0) {
		struct pollfd p = {.fd = b->out_fd, .events = POLLIN};
		ssize_t r;
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(b->out_fd, line + got, 1);
		if (r <= 0)
			break;
		if (line[got] == '\n') {
			line[got] = 0;
			if (strcmp(line, b->link) != 0) {
				fprintf(stderr, "first line '%s', want '%s'\n", line, b->link);
				return -1;
			}
			return 0;
		}
		got++;
	}
	fprintf(stderr, "simboard printed no link path\n");
	return -1;
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

/* Next intact frame within timeout_s: 1 got one, 0 timeout, -1 hang-up (the pty went away).
 * Damaged chunks are counted in b->bad and skipped. */
static int next_frame(struct board *b, struct att_wire_frame *f, double timeout_s)
{
	double t0 = now_s();
	for (;;) {
		uint8_t byte;
		ssize_t r = read(b->fd, &byte, 1);
		if (r == 1) {
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
		if (now_s() - t0 > timeout_s)
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
	double t0 = now_s();
	while (now_s() - t0 < 5.0) {
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

/* Stops simboard with SIGTERM (unless it already ended) and returns its exit status. */
static int stop_board(struct board *b, int terminate, double timeout_s)
{
	int st = 0;
	double t0 = now_s();
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	if (terminate)
		kill(b->pid, SIGTERM);
	while (waitpid(b->pid, &st, WNOHANG) == 0) {
		if (now_s() - t0 > timeout_s) {
			fprintf(stderr, "simboard did not exit within %.1f s\n", timeout_s);
			kill(b->pid, SIGKILL);
			waitpid(b->pid, &st, 0);
			return -1;
		}
		poll(NULL, 0, 10);
	}
	close(b->out_fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Reads one number from the --stats JSON. */
static double stat_value(const struct board *b, const char *key)
{
	char text[4096], pat[64];
	const char *at;
	FILE *f = fopen(b->stats, "r");
	size_t n;
	if (!f)
		return -1;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	at = strstr(text, pat);
	return at ? atof(at + strlen(pat)) : -1;
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
	t0 = now_s();
	while (now_s() - t0 < 3.0 && next_frame(&b, &f, 3.0) == 1) {
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
			      memcmp(f.u.info.names, "A-resp,A-PPG,B-resp,B-PPG", f.u.info.names_len) == 0);
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

/* Test input: 50 Hz steps, every channel different, consecutive values >= 7 ADC counts apart, so
 * each input sample is recognisable in the stream. */
#define STREAM_RATE 50
#define STREAM_ROWS 3500u /* < 4000: every row's millivolts differ on every channel */
static unsigned stream_mv(unsigned i, unsigned c)
{
	i %= STREAM_ROWS; /* simboard plays the file with --loop */
	return 500u + (i * 37u + c * 1013u) % 4000u;
}

static unsigned code_of(unsigned mv)
{
	return mv * 1023u / 5000u; /* simavr: floor(mV x 1023 / Vref) */
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
	const unsigned rows = STREAM_ROWS;
	char csv[256];
	FILE *f;
	struct board b;
	struct att_wire_frame fr;
	struct att_wire_ack ack;
	unsigned i, c, frames = 0, bad_runs = 0, bad_values = 0, bad_counter = 0;
	unsigned idx[4] = {0}, run[4] = {0}, runs_seen[4] = {0};
	uint32_t last_counter = 0;
	uint16_t last_seq = 0;
	double t0, wall;

	snprintf(csv, sizeof csv, "/tmp/attune-simtest-stream-%ld.csv", (long)getpid());
	f = fopen(csv, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "t,a_resp,a_ppg,b_resp,b_ppg\n");
	for (i = 0; i < rows; i++)
		fprintf(f, "%.2f,%.3f,%.3f,%.3f,%.3f\n", (double)i / STREAM_RATE, stream_mv(i, 0) / 1000.0,
		        stream_mv(i, 1) / 1000.0, stream_mv(i, 2) / 1000.0, stream_mv(i, 3) / 1000.0);
	fclose(f);

	CHECK(start_board(&b, "stream", "--speed", "0", "--input", csv, "--volts", "--loop",
	                  (const char *)NULL) == 0);
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	t0 = now_s();
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
				int ok = code_of(stream_mv(i, 0)) == fr.u.sample.ch[0];
				for (c = 1; c < 4 && ok; c++)
					ok = code_of(stream_mv(i, c)) == fr.u.sample.ch[c] ||
					     code_of(stream_mv(i + 1, c)) == fr.u.sample.ch[c];
				if (ok)
					break;
			}
			if (i == rows)
				bad_values++;
			for (c = 0; c < 4; c++) {
				idx[c] = code_of(stream_mv(i, c)) == fr.u.sample.ch[c] ? i : i + 1;
				run[c] = 1;
			}
			last_counter = fr.u.sample.counter;
			last_seq = fr.u.sample.seq;
			frames++;
			continue;
		}
		for (c = 0; c < 4; c++) {
			unsigned v = fr.u.sample.ch[c];
			if (v == code_of(stream_mv(idx[c], c))) {
				run[c]++;
			} else if (v == code_of(stream_mv(idx[c] + 1, c))) {
				if (runs_seen[c] > 0 && (run[c] < 4 || run[c] > 6))
					bad_runs++;
				runs_seen[c]++;
				idx[c]++;
				run[c] = 1;
			} else {
				if (bad_values < 5)
					fprintf(stderr, "frame %u ch %u: got %u, want %u or %u\n", frames, c,
					        v, code_of(stream_mv(idx[c], c)),
					        code_of(stream_mv(idx[c] + 1, c)));
				bad_values++;
			}
		}
		frames++;
	}
	wall = now_s() - t0;
	CHECK(frames == frames_wanted);
	CHECK(bad_counter == 0);
	CHECK(bad_values == 0);
	CHECK(bad_runs == 0);
	CHECK(b.bad == 0);
	for (c = 0; c < 4; c++) /* 60 s of 50 Hz input seen step by step */
		CHECK_NEAR(runs_seen[c], seconds * STREAM_RATE, 2);
	printf("stream: %u frames (%u s simulated) in %.2f s wall, %.1fx real time\n", frames, seconds,
	       wall, seconds / wall);
	CHECK(wall < seconds / 2.0); /* clearly faster than real time (~40x without sanitizers) */
	CHECK(stop_board(&b, 1, 5.0) == 0);
	unlink(csv);
	unlink(b.stats);
}

/* --speed 1 paces by the wall clock: 3 s simulated take 3 s +- 10 %, and frames come at 250/s. */
static void case_realtime(void)
{
	struct board b;
	struct att_wire_frame f;
	struct att_wire_ack ack;
	double t0 = now_s(), first_t = 0, last_t = 0, wall;
	uint32_t first_c = 0, last_c = 0;
	unsigned n = 0;

	CHECK(start_board(&b, "realtime", "--speed", "1", "--duration", "3", (const char *)NULL) == 0);
	t0 = now_s();
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	send_command(&b, ATT_CMD_START, 0);
	CHECK(wait_ack(&b, ATT_CMD_START, &ack, NULL) == 0);
	for (;;) {
		int r = next_frame(&b, &f, 5.0);
		if (r != 1)
			break;
		if (f.type != ATT_WIRE_SAMPLE)
			continue;
		if (n == 0) {
			first_t = now_s();
			first_c = f.u.sample.counter;
		}
		last_t = now_s();
		last_c = f.u.sample.counter;
		n++;
	}
	CHECK(b.hangup); /* the run ended by itself at --duration */
	CHECK(stop_board(&b, 0, 5.0) == 0);
	wall = now_s() - t0;
	printf("realtime: 3 s simulated took %.3f s wall; frames at %.1f /s over %.2f s\n", wall,
	       (last_c - first_c) / (last_t - first_t), last_t - first_t);
	CHECK_NEAR(wall, 3.0, 0.3);
	CHECK(n > 500);
	if (last_t > first_t)
		CHECK_NEAR((last_c - first_c) / (last_t - first_t), 250.0, 25.0);
	CHECK_NEAR(stat_value(&b, "speed"), 1.0, 0.1);
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

	CHECK(start_board(&b, "overload", "--speed", "5", "--duration", "60", (const char *)NULL) == 0);
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
		if (loaded && now_s() - last_identify > 0.05 / speed) {
			send_command(&b, ATT_CMD_IDENTIFY, 0);
			last_identify = now_s();
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
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	send_command(&b, ATT_CMD_START, 0);
	CHECK(wait_ack(&b, ATT_CMD_START, &ack, NULL) == 0);
	while ((r = next_frame(&b, &f, 5.0)) == 1)
		if (f.type == ATT_WIRE_SAMPLE) {
			before = f.u.sample.counter;
			n_before++;
		}
	CHECK(r == -1); /* a hang-up, not a silence */
	close(b.fd);
	b.fd = -1;
	t0 = now_s();
	while (now_s() - t0 < 5.0) {
		if (open_link(&b) == 0) {
			reopened = 1;
			break;
		}
		poll(NULL, 0, 10);
	}
	CHECK(reopened);
	if (!reopened)
		return;
	printf("disconnect: link back after %.2f s wall\n", now_s() - t0);
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
	       before, after, after - before - 1, stat_value(&b, "bytes_lost_unplugged"));
	CHECK(n_before > 700); /* ~4 s of stream before the pull */
	CHECK(n_after > 700);  /* ~4 s after the replug */
	CHECK(bad_after == 0);
	/* 4 s at 250 Hz; a few frames were on the wire or in the firmware's TX ring at either end */
	CHECK_NEAR((double)(after - before - 1), 1000.0, 10.0);
	CHECK_NEAR(stat_value(&b, "bytes_lost_unplugged") / ATT_WIRE_SAMPLE_WIRE,
	           (double)(after - before - 1), 3.0);
	CHECK(stat_value(&b, "unplugs") == 1 && stat_value(&b, "plugs") == 1);
	unlink(b.stats);
}

/* Garbage, drops and flips: the frames a reader loses are the frames simboard says it damaged
 * (minus the rare fault that leaves a frame intact, e.g. a garbage 0x00 next to a delimiter), and
 * no damaged frame gets through the CRC. */
static void case_faults(void)
{
	struct board b;
	struct att_wire_frame f;
	unsigned long received = 0, samples = 0, nonmono = 0;
	uint32_t last = 0;
	double sent, affected, garbage;

	/* 20x, not flat out: the idle board must not burn simulated seconds before START */
	CHECK(start_board(&b, "faults", "--speed", "20", "--duration", "20", "--garbage", "0.0005",
	                  "--drop", "0.0005", "--flip", "0.0005", "--seed", "7",
	                  (const char *)NULL) == 0);
	CHECK(open_link(&b) == 0);
	if (b.fd < 0)
		return;
	send_command(&b, ATT_CMD_START, 0);
	while (next_frame(&b, &f, 5.0) == 1) {
		received++;
		if (f.type != ATT_WIRE_SAMPLE)
			continue;
		if (samples > 0 && f.u.sample.counter <= last)
			nonmono++;
		CHECK(f.u.sample.ch[0] <= 1023 && f.u.sample.ch[3] <= 1023);
		last = f.u.sample.counter;
		samples++;
	}
	CHECK(b.hangup);
	CHECK(stop_board(&b, 0, 5.0) == 0);
	sent = stat_value(&b, "frames_out");
	affected = stat_value(&b, "frames_affected");
	garbage = stat_value(&b, "garbage_bytes");
	printf("faults: board sent %.0f frames, %.0f affected (%.0f garbage bytes, %.0f dropped, "
	       "%.0f bits flipped); reader got %lu intact, lost %.0f, %u bad chunks\n",
	       sent, affected, garbage, stat_value(&b, "dropped_bytes"),
	       stat_value(&b, "flipped_bits"), received, sent - (double)received, b.bad);
	CHECK(sent > 4000);
	CHECK(affected > 10);
	CHECK(garbage > 0 && stat_value(&b, "dropped_bytes") > 0 && stat_value(&b, "flipped_bits") > 0);
	CHECK(sent - (double)received <= affected);
	CHECK(sent - (double)received >= affected - garbage / 32.0 - 2.0);
	CHECK(nonmono == 0);
	CHECK(b.bad > 0);
	unlink(b.stats);
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
	else {
		fprintf(stderr, "test_simboard: unknown case %s\n", which);
		return 2;
	}
	return att_check_done(which);
}
