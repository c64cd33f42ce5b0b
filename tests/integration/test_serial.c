/* Integration tests of the serial source (source_serial.c, serial_port.c) and attune record /
 * attune ports against the real firmware ELF running in attune-simboard.
 *
 * Usage: test_serial SIMBOARD FIRMWARE_ELF ATTUNE SHIM CASE
 * CASE is one behaviour:
 *   stream     every sample fed into the ADC arrives in order, right value and counter, 60 s sim
 *   faults     garbage/drops/flips: intact frames recovered, none damaged accepted, losses = stats
 *   disconnect cable pulled and plugged back: resumes within 2 s, gap length from the counter
 *   restart    the board restarts (new simulator at the same path), real time: counters go on
 *              forward, the gap is what the wall clock says
 *   overflow   500 Hz with command load: firmware drops, host reports them, nothing hangs
 *   overrun    a consumer that does not drain: ring overruns counted, shown as a counter jump
 *   noalloc    streaming makes no heap call (acquisition thread and reads)
 *   libserialport  attune record through the libserialport backend (LD_PRELOAD pty shim)
 *   record     attune record writes NAME.csv in the contract; Ctrl-C keeps the files
 *   errors     missing port, /dev/null, a silent pty, another protocol version, a busy port,
 *              bad usage: one actionable line each, no crash
 *   device     the command protocol (device.c) over the port alone: identify, ping, set rate
 *              (taken and refused), start, stop with its ack
 *   bench      60 s real time at 250 Hz: frames/s, link load, losses, acquisition thread CPU */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "alloc_count.h"
#include "board.h"
#include "check.h"
#include "attune/decoder.h"
#include "attune/device.h"
#include "attune/serial_port.h"
#include "attune/source.h"

static const char *simboard_exe, *firmware_elf, *attune_exe, *shim_so;

#define RATE 250u

struct board {
	pid_t pid;
	int out_fd;
	char link[256];
	char stats[256];
};

/* Starts simboard at link (its own stats file) with extra arguments (NULL-terminated); returns 0
 * once it printed the link path. */
static int start_board(struct board *b, const char *link, const char *name, ...)
{
	va_list ap;
	int r;
	memset(b, 0, sizeof *b);
	snprintf(b->link, sizeof b->link, "%s", link);
	snprintf(b->stats, sizeof b->stats, "/tmp/attune-sertest-%s-%ld.json", name,
	         (long)getpid());
	unlink(b->stats);
	va_start(ap, name);
	r = att_simboard_start(simboard_exe, firmware_elf, b->link, b->stats, "--quiet", ap,
	                       &b->pid, &b->out_fd);
	va_end(ap);
	return r;
}

/* Waits for simboard to end (SIGTERM first when terminate); returns its exit status or -1. */
static int stop_board(struct board *b, int terminate, double timeout_s)
{
	int st;
	if (b->pid <= 0)
		return -1;
	int r = att_child_wait(b->pid, terminate, timeout_s, &st, NULL);
	close(b->out_fd);
	b->pid = 0;
	return r == 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Row of the input whose codes the sample holds (a later channel may already see the next row:
 * conversions are ~100 us apart); ATT_STREAM_ROWS when none. */
static unsigned find_row_from(const uint16_t ch[4], unsigned from)
{
	for (unsigned i = from; i < ATT_STREAM_ROWS; i++) {
		int ok = att_code_of(att_stream_mv(i, 0)) == ch[0];
		for (unsigned c = 1; c < 4 && ok; c++)
			ok = att_code_of(att_stream_mv(i, c)) == ch[c] ||
			     att_code_of(att_stream_mv(i + 1, c)) == ch[c];
		if (ok)
			return i;
	}
	return ATT_STREAM_ROWS;
}

static unsigned find_row(const uint16_t ch[4])
{
	return find_row_from(ch, 0);
}

/* Checks the values of samples with consecutive counters against the 50 Hz input sampled at
 * 250 Hz: each input row is seen by 4..6 consecutive samples, rows never skip or go back.
 * Returns the number of bad values (and bad run lengths). */
static unsigned check_from_row(const uint16_t (*ch)[4], size_t n, unsigned r0, unsigned *rows_seen,
                               int quiet)
{
	unsigned idx[4], run[4], seen[4] = {0}, bad = 0;
	for (unsigned c = 0; c < 4; c++) {
		idx[c] = att_code_of(att_stream_mv(r0, c)) == ch[0][c] ? r0 : r0 + 1;
		run[c] = 1;
	}
	for (size_t k = 1; k < n; k++) {
		for (unsigned c = 0; c < 4; c++) {
			unsigned v = ch[k][c];
			if (v == att_code_of(att_stream_mv(idx[c], c))) {
				run[c]++;
			} else if (v == att_code_of(att_stream_mv(idx[c] + 1, c))) {
				/* the looped input's last row lasts as long as the simulator's loop
				 * makes it: its run is not judged */
				if (seen[c] > 0 && (run[c] < 4 || run[c] > 6) &&
				    idx[c] % ATT_STREAM_ROWS != ATT_STREAM_ROWS - 1u)
					bad++;
				seen[c]++;
				idx[c]++;
				run[c] = 1;
			} else {
				if (bad < 5 && !quiet)
					fprintf(stderr, "sample %zu ch %u: got %u, want %u or %u\n",
					        k, c, v, att_code_of(att_stream_mv(idx[c], c)),
					        att_code_of(att_stream_mv(idx[c] + 1, c)));
				bad++;
			}
		}
	}
	if (rows_seen)
		*rows_seen = seen[0];
	return bad;
}

/* The first sample's codes may fit more than one input row (codes repeat); the row that the
 * first 100 samples agree with is where the stream starts. */
static unsigned check_values(const uint16_t (*ch)[4], size_t n, unsigned *rows_seen)
{
	unsigned r0 = ATT_STREAM_ROWS, r;
	if (n == 0)
		return 1;
	for (r = find_row(ch[0]); r < ATT_STREAM_ROWS; r = find_row_from(ch[0], r + 1))
		if (check_from_row(ch, n < 100 ? n : 100, r, NULL, 1) == 0) {
			r0 = r;
			break;
		}
	if (r0 == ATT_STREAM_ROWS) {
		fprintf(stderr, "no input row fits the first samples\n");
		return 1;
	}
	return check_from_row(ch, n, r0, rows_seen, 0);
}

struct capture {
	struct att_sample *s;
	size_t n, cap;
};

static int capture_init(struct capture *c, size_t cap)
{
	c->s = calloc(cap, sizeof *c->s);
	c->n = 0;
	c->cap = cap;
	return c->s ? 0 : -1;
}

/* Reads the source into c until it holds want samples, or stop() says so, or timeout_s. */
static void drain(struct att_source *src, struct capture *c, size_t want, double timeout_s,
                  int (*stop)(void *), void *user)
{
	double t0 = att_now_s();
	while (c->n < want && att_now_s() - t0 < timeout_s) {
		size_t n = att_source_read(src, c->s + c->n, c->cap - c->n);
		c->n += n;
		if (stop && stop(user))
			break;
		if (!n)
			att_nap(0.005);
	}
}

static struct att_source *open_src(const char *link, unsigned rate, char *why, size_t len, int *err)
{
	struct att_source *src = NULL;
	struct att_serial_cfg cfg = {.path = link, .rate_hz = rate, .reset_wait_ms = -1};
	*err = att_source_open_serial(&cfg, &src, why, len);
	if (*err != ATT_OK)
		fprintf(stderr, "open %s: %s\n", link, why);
	return src;
}

static void link_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "/tmp/attune-sertest-%s-%ld", name, (long)getpid());
}

/* ---- stream ---- */

static void case_stream(void)
{
	const unsigned seconds = 60, want = seconds * RATE;
	char csv[256], link[256], why[512];
	struct board b;
	struct att_source *src;
	struct att_source_status st;
	struct capture cap;
	uint16_t(*ch)[4];
	unsigned bad_counter = 0, rows = 0, flags = 0;
	double t0, wall;
	int err;

	snprintf(csv, sizeof csv, "/tmp/attune-sertest-stream-%ld.csv", (long)getpid());
	att_write_stream_csv(csv);
	link_path(link, sizeof link, "stream");
	CHECK(start_board(&b, link, "stream", "--speed", "0", "--input", csv, "--volts", "--loop",
	                  (const char *)NULL) == 0);
	src = open_src(link, 0, why, sizeof why, &err);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b, 1, 5);
		return;
	}
	att_source_status(src, &st);
	CHECK(st.rate_hz == RATE && st.info.channels == 4 && st.info.adc_bits == 10);
	CHECK(st.adc_max == 1023.0 && fabs(st.gain[0] - 5000.0 / 1023.0) < 1e-9);
	CHECK(capture_init(&cap, want) == 0);
	t0 = att_now_s();
	CHECK(att_source_start(src) == ATT_OK);
	drain(src, &cap, want, 60.0, NULL, NULL);
	wall = att_now_s() - t0;
	att_source_status(src, &st);
	ch = calloc(cap.n ? cap.n : 1, sizeof *ch);
	for (size_t k = 0; k < cap.n; k++) {
		memcpy(ch[k], cap.s[k].ch, sizeof ch[k]);
		flags |= cap.s[k].flags;
		if (k && cap.s[k].counter != cap.s[k - 1].counter + 1)
			bad_counter++;
		if (k && cap.s[k].host_ns < cap.s[k - 1].host_ns)
			bad_counter++;
	}
	CHECK(cap.n == want);
	CHECK(cap.n > 0 && cap.s[0].counter == 0); /* START restarts the device counter */
	CHECK(bad_counter == 0);
	CHECK(flags == 0);
	CHECK(check_values((const uint16_t(*)[4])ch, cap.n, &rows) == 0);
	CHECK_NEAR(rows, seconds * ATT_STREAM_RATE, 2);
	CHECK(st.samples == want && st.samples_lost == 0 && st.frames_bad == 0 && st.overruns == 0);
	CHECK(st.state == ATT_SOURCE_STREAMING && st.reconnects == 0);
	printf("stream: %zu samples (%u s simulated) in %.2f s wall (%.1fx real time), %u input rows "
	       "seen, lost %llu, bad frames %llu\n",
	       cap.n, seconds, wall, seconds / wall, rows, (unsigned long long)st.samples_lost,
	       (unsigned long long)st.frames_bad);
	att_source_free(src);
	free(ch);
	free(cap.s);
	CHECK(stop_board(&b, 1, 5) == 0);
	unlink(csv);
	unlink(b.stats);
}

/* ---- device ---- */

/* Counts the sample frames in what the port delivers within ms. */
static unsigned samples_within(struct att_serial_port *p, struct att_decoder *dec, int ms)
{
	uint8_t buf[512];
	unsigned samples = 0;
	for (double t0 = att_now_s(); att_now_s() - t0 < ms / 1000.0;) {
		int n = att_serial_port_read(p, buf, sizeof buf, 20);
		for (size_t off = 0; n > 0 && off < (size_t)n;) {
			struct att_wire_frame f;
			size_t used = 0;
			enum att_decode_result r =
			        att_decoder_feed(dec, buf + off, (size_t)n - off, &used, &f);
			off += used;
			samples += r == ATT_DECODE_VALID && f.type == ATT_WIRE_SAMPLE;
			if (used == 0)
				break;
		}
	}
	return samples;
}

static void case_device(void)
{
	char link[256], why[512] = "";
	struct board b;
	struct att_serial_port *p = NULL;
	struct att_decoder *dec = NULL;
	struct att_wire_info info;
	struct att_wire_ack ack = {0};

	link_path(link, sizeof link, "device");
	CHECK(start_board(&b, link, "device", (const char *)NULL) == 0);
	CHECK(att_serial_port_open(link, ATT_SERIAL_AUTO, &p, why, sizeof why) == ATT_OK);
	CHECK(att_decoder_new(&dec) == ATT_OK);
	if (!p || !dec)
		goto out;
	CHECK(att_serial_port_flush_input(p) == ATT_OK);
	CHECK(att_device_identify(p, dec, link, 0, NULL, &info, why, sizeof why, NULL, NULL) ==
	      ATT_OK);
	CHECK(info.channels == 4 && info.rate_hz == RATE && !info.streaming);
	CHECK(att_device_ping(p, dec, 0xBEEF, 1000) == ATT_OK);
	CHECK(att_device_set_rate(p, dec, 500, 1000, &ack) == ATT_OK && ack.value == 500);
	/* refused: the device keeps, and says, the rate it has */
	CHECK(att_device_set_rate(p, dec, 24, 1000, &ack) == ATT_ERR_RANGE);
	CHECK(ack.status != ATT_ACK_OK && ack.value == 500);
	CHECK(att_device_start(p) == ATT_OK);
	CHECK(samples_within(p, dec, 500) > 0);
	CHECK(att_device_stop(p, dec, 1000) == ATT_OK);
	(void)samples_within(p, dec, 100); /* frames sent before the stop */
	CHECK(samples_within(p, dec, 300) == 0);
	printf("device: identify, ping, set rate 500 Hz, refuse 24 Hz, start, stop\n");
out:
	att_decoder_free(dec);
	att_serial_port_close(p);
	CHECK(stop_board(&b, 1, 5) == 0);
	unlink(b.stats);
}

/* ---- faults ---- */

/* Samples among s[0..n-1] whose values are not the input row their counter sees (5 samples per
 * row from row r0 at counter c0, +-2 rows for the phase of the 50 Hz steps and channels that
 * already see the next row). */
static unsigned misfits(const struct att_sample *s, size_t n, unsigned r0, uint32_t c0)
{
	unsigned bad = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned row = r0 + ATT_STREAM_ROWS + (s[k].counter - c0) / 5u, c, ok = 1;
		for (c = 0; c < 4 && ok; c++) {
			int m = 0;
			for (unsigned dr = 0; dr <= 4 && !m; dr++)
				m = s[k].ch[c] == att_code_of(att_stream_mv(row + dr - 2u, c));
			ok = m;
		}
		bad += !ok;
	}
	return bad;
}

static int board_gone(void *user)
{
	struct board *b = user;
	int st;
	if (b->pid > 0 && waitpid(b->pid, &st, WNOHANG) == b->pid) {
		close(b->out_fd);
		b->pid = 0;
	}
	return b->pid == 0;
}

static void case_faults(void)
{
	char csv[256], link[256], why[512];
	struct board b;
	struct att_source *src;
	struct att_source_status st;
	struct capture cap;
	unsigned bad_values = 0, nonmono = 0, r0 = ATT_STREAM_ROWS;
	uint32_t c0 = 0;
	uint64_t jumps = 0;
	double sent, affected, garbage;
	int err;

	snprintf(csv, sizeof csv, "/tmp/attune-sertest-faults-%ld.csv", (long)getpid());
	att_write_stream_csv(csv);
	link_path(link, sizeof link, "faults");
	/* 10x, not flat out: the idle board must not burn simulated seconds before START */
	CHECK(start_board(&b, link, "faults", "--speed", "10", "--duration", "30", "--input", csv,
	                  "--volts", "--loop", "--garbage", "0.0005", "--drop", "0.0005", "--flip",
	                  "0.0005", "--seed", "7", (const char *)NULL) == 0);
	src = open_src(link, 0, why, sizeof why, &err);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b, 1, 5);
		return;
	}
	CHECK(capture_init(&cap, 30 * RATE + 100) == 0);
	CHECK(att_source_start(src) == ATT_OK);
	drain(src, &cap, cap.cap, 30.0, board_gone, &b);
	att_nap(0.2);
	drain(src, &cap, cap.cap, 0.1, NULL, NULL);
	att_source_status(src, &st);
	CHECK(b.pid == 0);                          /* the board ended */
	CHECK(st.state == ATT_SOURCE_RECONNECTING); /* and the host noticed */
	for (size_t k = 0; k < cap.n; k++) {
		const struct att_sample *s = &cap.s[k];
		if (k && s->counter <= cap.s[k - 1].counter)
			nonmono++;
		if (k)
			jumps += s->counter - cap.s[k - 1].counter - 1u;
		if (k == 0) {
			/* codes repeat across rows: the start row is the one the next samples agree with */
			size_t m = cap.n < 200 ? cap.n : 200;
			c0 = s->counter;
			for (r0 = find_row(s->ch); r0 < ATT_STREAM_ROWS;
			     r0 = find_row_from(s->ch, r0 + 1))
				if (misfits(cap.s, m, r0, c0) == 0)
					break;
			if (r0 == ATT_STREAM_ROWS)
				bad_values++;
			continue;
		}
		if (r0 < ATT_STREAM_ROWS)
			bad_values += misfits(s, 1, r0, c0);
	}
	CHECK(stop_board(&b, 0, 5) <= 0);
	sent = att_stat_value(b.stats, "frames_out");
	affected = att_stat_value(b.stats, "frames_affected");
	garbage = att_stat_value(b.stats, "garbage_bytes");
	printf("faults: board sent %.0f frames, %.0f affected (%.0f garbage bytes, %.0f dropped, %.0f "
	       "bits flipped); host got %zu samples, lost %llu (counter jumps %llu), %llu damaged "
	       "frames dropped, %u reconnects\n",
	       sent, affected, garbage, att_stat_value(b.stats, "dropped_bytes"),
	       att_stat_value(b.stats, "flipped_bits"), cap.n, (unsigned long long)st.samples_lost,
	       (unsigned long long)jumps, (unsigned long long)st.frames_bad, st.reconnects);
	CHECK(cap.n > 4000);
	CHECK(affected > 10 && garbage > 0);
	CHECK(nonmono == 0);
	CHECK(bad_values == 0); /* no damaged frame got through */
	/* host loss counter = every counter jump, and covers every instant not delivered */
	CHECK(st.samples_lost == jumps);
	CHECK(cap.n + st.samples_lost == cap.s[cap.n - 1].counter - cap.s[0].counter + 1u);
	/* each lost sample is a frame the simulator damaged (an info/ack frame may be among the
	 * affected; a garbage 0x00 next to a delimiter may leave a frame intact) */
	CHECK((double)st.samples_lost <= affected);
	CHECK((double)st.samples_lost >= affected - garbage / 32.0 - 4.0);
	CHECK(st.frames_bad >= st.samples_lost / 2 && st.frames_bad > 0);
	CHECK(st.reconnects == 0);
	att_source_free(src);
	free(cap.s);
	unlink(csv);
	unlink(b.stats);
}

/* ---- disconnect ---- */

struct watch {
	const char *link;
	double gone_at, back_at;
	int stop;
};

static void *watch_link(void *arg)
{
	struct watch *w = arg;
	int was = 1;
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		struct stat st;
		int is = stat(w->link, &st) == 0;
		if (was && !is && w->gone_at == 0)
			w->gone_at = att_now_s();
		if (!was && is && w->back_at == 0)
			w->back_at = att_now_s();
		was = is;
		att_nap(0.002);
	}
	return NULL;
}

static void case_disconnect(void)
{
	char link[256], why[512];
	struct board b;
	struct att_source *src;
	struct att_source_status st;
	struct capture cap;
	struct watch w = {0};
	pthread_t th;
	size_t gap_at = 0;
	unsigned gaps = 0;
	uint32_t gap = 0;
	double first_after = 0;
	int err;

	link_path(link, sizeof link, "disconnect");
	CHECK(start_board(&b, link, "disconnect", "--speed", "4", "--disconnect-at", "4",
	                  "--reconnect-after", "4", "--duration", "14", (const char *)NULL) == 0);
	src = open_src(link, 0, why, sizeof why, &err);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b, 1, 5);
		return;
	}
	w.link = link;
	pthread_create(&th, NULL, watch_link, &w);
	CHECK(capture_init(&cap, 20 * RATE) == 0);
	CHECK(att_source_start(src) == ATT_OK);
	{
		int saw_reconnecting = 0;
		double t0 = att_now_s();
		while (!board_gone(&b) && att_now_s() - t0 < 20.0) {
			size_t n = att_source_read(src, cap.s + cap.n, cap.cap - cap.n);
			att_source_status(src, &st);
			if (st.state == ATT_SOURCE_RECONNECTING && !w.back_at)
				saw_reconnecting = 1;
			if (n && w.back_at && !first_after) {
				for (size_t k = cap.n; k < cap.n + n && !first_after; k++)
					if (k && cap.s[k].counter != cap.s[k - 1].counter + 1)
						first_after = att_now_s();
			}
			cap.n += n;
			if (!n)
				att_nap(0.002);
		}
		CHECK(saw_reconnecting);
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	att_source_status(src, &st);
	for (size_t k = 1; k < cap.n; k++)
		if (cap.s[k].counter != cap.s[k - 1].counter + 1) {
			gaps++;
			gap = cap.s[k].counter - cap.s[k - 1].counter - 1u;
			gap_at = k;
		}
	CHECK(stop_board(&b, 0, 5) <= 0);
	printf("disconnect: link back after %.2f s wall; host streaming again %.3f "
	       "s after the link came back; gap of %u samples (%.2f s) after sample %zu; simulator "
	       "lost %.0f bytes (%.1f frames) unplugged; status: lost %llu, reconnects %u\n",
	       w.back_at - w.gone_at, first_after - w.back_at, gap, gap / (double)RATE, gap_at,
	       att_stat_value(b.stats, "bytes_lost_unplugged"),
	       att_stat_value(b.stats, "bytes_lost_unplugged") / ATT_WIRE_SAMPLE_WIRE,
	       (unsigned long long)st.samples_lost, st.reconnects);
	CHECK(w.gone_at > 0 && w.back_at > 0);
	CHECK(first_after > 0 && first_after - w.back_at < 2.0); /* resumes within 2 s */
	CHECK(gaps == 1);
	CHECK(st.reconnects == 1);
	CHECK(st.samples_lost == gap);
	CHECK(gap_at > 700); /* ~4 s before the pull */
	CHECK(cap.n - gap_at > 700);
	/* 4 s at 250 Hz: at least the frames the simulator dropped while unplugged (minus the frame
	 * cut at either end), and at most a few more: bytes already in the pty's input queue when it
	 * vanished go with it (a busy host, e.g. under ASan, leaves more there); the reconnect keeps
	 * what the board sent after the replug */
	CHECK_NEAR((double)gap, 1000.0, 10.0);
	CHECK((double)gap >=
	      att_stat_value(b.stats, "bytes_lost_unplugged") / ATT_WIRE_SAMPLE_WIRE - 3.0);
	CHECK((double)gap <=
	      att_stat_value(b.stats, "bytes_lost_unplugged") / ATT_WIRE_SAMPLE_WIRE + 10.0);
	CHECK(st.frames_bad <= 2); /* the partial frame cut by the pull, at most */
	att_source_free(src);
	free(cap.s);
	unlink(b.stats);
}

/* ---- restart (real time) ---- */

static void case_restart(void)
{
	char link[256], why[512];
	struct board b1, b2;
	struct att_source *src;
	struct att_source_status st;
	struct capture cap;
	size_t before;
	double t_first, t_end1, rate_meas, gap_wall;
	unsigned nonmono = 0, gaps = 0;
	uint32_t gap = 0;
	int err;

	link_path(link, sizeof link, "restart");
	CHECK(start_board(&b1, link, "restart1", "--speed", "1", "--duration", "4",
	                  (const char *)NULL) == 0);
	src = open_src(link, 0, why, sizeof why, &err);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b1, 1, 5);
		return;
	}
	CHECK(capture_init(&cap, 20 * RATE) == 0);
	CHECK(att_source_start(src) == ATT_OK);
	drain(src, &cap, 1, 5.0, NULL, NULL);
	t_first = att_now_s();
	drain(src, &cap, cap.cap, 10.0, board_gone, &b1);
	t_end1 = att_now_s();
	att_nap(0.1);
	drain(src, &cap, cap.cap, 0.05, NULL, NULL);
	before = cap.n;
	/* real time: samples arrive at 250 per wall second */
	rate_meas = (double)(cap.s[before - 1].counter - cap.s[0].counter) /
	            ((double)(cap.s[before - 1].host_ns - cap.s[0].host_ns) * 1e-9);
	att_nap(1.0);
	CHECK(start_board(&b2, link, "restart2", "--speed", "1", "--duration", "3",
	                  (const char *)NULL) == 0);
	drain(src, &cap, cap.cap, 10.0, board_gone, &b2);
	att_source_status(src, &st);
	for (size_t k = 1; k < cap.n; k++) {
		if ((int32_t)(cap.s[k].counter - cap.s[k - 1].counter) <= 0)
			nonmono++;
		if (cap.s[k].counter != cap.s[k - 1].counter + 1) {
			gaps++;
			gap = cap.s[k].counter - cap.s[k - 1].counter - 1u;
		}
	}
	gap_wall = before < cap.n
	                   ? (double)(cap.s[before].host_ns - cap.s[before - 1].host_ns) * 1e-9
	                   : 0;
	printf("restart: %zu samples from the first board (%.1f Hz measured over %.2f s wall), %zu "
	       "from the second; gap of %u samples for %.3f s of wall clock; lost %llu, reconnects "
	       "%u\n",
	       before, rate_meas, t_end1 - t_first, cap.n - before, gap, gap_wall,
	       (unsigned long long)st.samples_lost, st.reconnects);
	CHECK(fabs(rate_meas - RATE) < RATE * 0.03);
	CHECK(before > 3 * RATE);
	CHECK(cap.n - before > 2 * RATE);
	CHECK(nonmono == 0); /* the new board's counter restarted at 0; delivered ones go on */
	CHECK(gaps == 1);
	CHECK(st.reconnects == 1);
	CHECK(st.samples_lost == gap);
	CHECK_NEAR((double)gap, gap_wall * RATE - 1.0, 2.0);
	CHECK(gap_wall > 1.0 && gap_wall < 4.0);
	att_source_free(src);
	stop_board(&b2, 1, 5);
	free(cap.s);
	unlink(b1.stats);
	unlink(b2.stats);
}

/* ---- overflow ---- */

static void case_overflow(void)
{
	char link[256], why[512];
	struct board b;
	struct att_source *src;
	struct att_source_status st;
	struct capture cap;
	unsigned flagged = 0, gaps = 0, gap_without_flag = 0;
	uint64_t jumps = 0;
	int fd, err;
	double t0, last_cmd = 0;

	link_path(link, sizeof link, "overflow");
	CHECK(start_board(&b, link, "overflow", "--speed", "5", "--duration", "40",
	                  (const char *)NULL) == 0);
	src = open_src(link, 500, why, sizeof why, &err);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b, 1, 5);
		return;
	}
	att_source_status(src, &st);
	CHECK(st.rate_hz == 500.0 && st.info.rate_hz == 500);
	/* a second writer on the pty (root ignores TIOCEXCL, and flock is advisory): identify
	 * requests make the firmware answer with info frames the full link has no room for */
	fd = open(link, O_WRONLY | O_NOCTTY | O_NONBLOCK);
	CHECK(fd >= 0);
	CHECK(capture_init(&cap, 20 * 500) == 0);
	CHECK(att_source_start(src) == ATT_OK);
	t0 = att_now_s();
	while (cap.n < 12 * 500 && att_now_s() - t0 < 20.0) {
		size_t n = att_source_read(src, cap.s + cap.n, cap.cap - cap.n);
		cap.n += n;
		if (fd >= 0 && cap.n > 2 * 500 && att_now_s() - last_cmd > 0.01) {
			uint8_t frame[ATT_WIRE_MAX_FRAME];
			struct att_wire_command c = {.command = ATT_CMD_IDENTIFY};
			size_t len = att_wire_encode_command(&c, frame);
			if (write(fd, frame, len) < 0) {
				/* full: try again next round */
			}
			last_cmd = att_now_s();
		}
		if (!n)
			att_nap(0.002);
	}
	att_source_status(src, &st);
	for (size_t k = 0; k < cap.n; k++) {
		if (cap.s[k].flags & ATT_FLAG_TX_OVERFLOW)
			flagged++;
		if (k && cap.s[k].counter != cap.s[k - 1].counter + 1) {
			gaps++;
			jumps += cap.s[k].counter - cap.s[k - 1].counter - 1u;
			if (!(cap.s[k].flags & ATT_FLAG_TX_OVERFLOW))
				gap_without_flag++;
		}
	}
	printf("overflow: %zu samples at 500 Hz in %.2f s wall, %u gaps (%llu samples lost), %u "
	       "frames flagged TX overflow; status lost %llu, bad frames %llu, state %d\n",
	       cap.n, att_now_s() - t0, gaps, (unsigned long long)jumps, flagged,
	       (unsigned long long)st.samples_lost, (unsigned long long)st.frames_bad, st.state);
	CHECK(cap.n >= 12 * 500); /* nothing hangs */
	CHECK(gaps > 0 && flagged > 0);
	CHECK(gap_without_flag == 0);
	CHECK(st.samples_lost == jumps);
	CHECK(st.frames_bad == 0);
	CHECK(st.reconnects == 0);
	if (fd >= 0)
		close(fd);
	att_source_free(src);
	free(cap.s);
	CHECK(stop_board(&b, 1, 5) == 0);
	unlink(b.stats);
}

/* ---- noalloc: the real-time path allocates nothing ---- */

static void case_noalloc(void)
{
	char link[256], why[512];
	struct board b;
	struct att_source *src;
	struct att_source_status st;
	struct capture cap;
	unsigned long long before, after;
	size_t n0;
	int err;

	link_path(link, sizeof link, "noalloc");
	CHECK(start_board(&b, link, "noalloc", "--speed", "4", (const char *)NULL) == 0);
	src = open_src(link, 0, why, sizeof why, &err);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b, 1, 5);
		return;
	}
	CHECK(capture_init(&cap, 20000) == 0);
	CHECK(att_source_start(src) == ATT_OK);
	drain(src, &cap, 250, 5.0, NULL, NULL); /* streaming */
	n0 = cap.n;
	/* Calls from shared libraries are not seen; the termios backend used here makes none. */
	before = att_alloc_count();
	drain(src, &cap, n0 + 2000, 10.0, NULL, NULL); /* 2 s of the board at 4x */
	after = att_alloc_count();
	att_source_status(src, &st);
	printf("noalloc: %zu samples while streaming, %llu heap calls in the process\n", cap.n - n0,
	       after - before);
	CHECK(cap.n - n0 >= 2000);
	CHECK(before > 0); /* the wrap sees heap calls: opening the source made some */
	CHECK(after == before);
	att_source_free(src);
	free(cap.s);
	CHECK(stop_board(&b, 1, 5) == 0);
	unlink(b.stats);
}

/* ---- overrun: a consumer that does not drain ---- */

/* A small ring and a consumer asleep for 1 s while the board runs flat out: what did not fit is
 * counted as overruns (never hidden, never counted as device losses), and what was delivered
 * shows the hole as a counter jump of exactly that size. */
static void case_overrun(void)
{
	char link[256], why[512];
	struct board b;
	struct att_source *src = NULL;
	struct att_source_status st;
	struct att_serial_cfg cfg = {.reset_wait_ms = -1, .ring_capacity = 256};
	struct capture cap;
	uint64_t jumps = 0;
	int err;

	link_path(link, sizeof link, "overrun");
	CHECK(start_board(&b, link, "overrun", "--speed", "0", (const char *)NULL) == 0);
	cfg.path = link;
	err = att_source_open_serial(&cfg, &src, why, sizeof why);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b, 1, 5);
		return;
	}
	CHECK(capture_init(&cap, 40000) == 0);
	CHECK(att_source_start(src) == ATT_OK);
	att_nap(1.0);
	drain(src, &cap, 20000, 10.0, NULL, NULL);
	att_source_status(src, &st);
	for (size_t k = 1; k < cap.n; k++)
		jumps += cap.s[k].counter - cap.s[k - 1].counter - 1u;
	printf("overrun: %zu samples delivered, %llu overruns, counter jumps %llu, lost %llu\n",
	       cap.n, (unsigned long long)st.overruns, (unsigned long long)jumps,
	       (unsigned long long)st.samples_lost);
	CHECK(st.overruns > 0);
	CHECK(st.samples_lost == 0);
	/* the last overrun may still be in flight into the ring: the ring refuses the newest */
	CHECK(jumps <= st.overruns && jumps + 256 >= st.overruns);
	CHECK(cap.n >= 20000);
	att_source_free(src);
	free(cap.s);
	CHECK(stop_board(&b, 1, 5) == 0);
	unlink(b.stats);
}

/* ---- attune record (auto and libserialport backends) ---- */

/* Runs attune with args (NULL-terminated), extra environment entries env (NULL-terminated, may be
 * NULL); captures stdout and stderr. Returns the exit status (-1 on a signal). When sigint_after
 * > 0 sends SIGINT that many seconds after the start. */
static int run_attune(char *out, size_t out_len, char *err_out, size_t err_len, const char **env,
                      double sigint_after, ...)
{
	va_list ap;
	int rc;
	va_start(ap, sigint_after);
	rc = att_run_capture(attune_exe, env, sigint_after, 60.0, out, out_len, err_out, err_len,
	                     ap);
	va_end(ap);
	return rc;
}

/* Reads NAME.csv: checks the header and the uniform t, returns the rows (values in ch). */
static size_t read_csv(const char *path, uint16_t (*ch)[4], size_t max, unsigned *bad_t,
                       unsigned *filled, char *header, size_t header_len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t n = 0;
	*bad_t = 0;
	*filled = 0;
	if (!f)
		return 0;
	if (!fgets(header, (int)header_len, f)) {
		fclose(f);
		return 0;
	}
	header[strcspn(header, "\r\n")] = 0;
	while (n < max && fgets(line, sizeof line, f)) {
		double t;
		unsigned v[4], fl = 0;
		if (sscanf(line, "%lf,%u,%u,%u,%u,%u", &t, &v[0], &v[1], &v[2], &v[3], &fl) < 5) {
			(*bad_t)++;
			continue;
		}
		if (fabs(t - (double)n / RATE) > 1e-6)
			(*bad_t)++;
		*filled += fl;
		for (int c = 0; c < 4; c++)
			ch[n][c] = (uint16_t)v[c];
		n++;
	}
	fclose(f);
	return n;
}

static void remove_session(const char *base)
{
	static const char *const ext[] = {".csv", ".edf", ".json", ".attraw", ".timeline.csv"};
	char p[512];
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(p, sizeof p, "%s%s", base, ext[i]);
		unlink(p);
	}
}

static int exists(const char *base, const char *ext)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof p, "%s%s", base, ext);
	return stat(p, &st) == 0 && st.st_size > 0;
}

static void record_and_check(const char *name, const char **env, int want_shim)
{
	char csv[256], link[256], base[256], path[300], out[4096], err[8192], header[256];
	char shim_log[256], dur[16];
	static uint16_t ch[40 * RATE][4];
	struct board b;
	unsigned bad_t = 1, filled = 1, rows = 0, seconds = 30;
	size_t n;
	int rc;
	double t0, wall;

	snprintf(csv, sizeof csv, "/tmp/attune-sertest-%s-%ld.csv", name, (long)getpid());
	snprintf(base, sizeof base, "/tmp/attune-sertest-%s-%ld-session", name, (long)getpid());
	snprintf(shim_log, sizeof shim_log, "/tmp/attune-sertest-%s-%ld.shim", name,
	         (long)getpid());
	snprintf(dur, sizeof dur, "%u", seconds);
	unlink(shim_log);
	remove_session(base);
	att_write_stream_csv(csv);
	link_path(link, sizeof link, name);
	CHECK(start_board(&b, link, name, "--speed", "10", "--input", csv, "--volts", "--loop",
	                  (const char *)NULL) == 0);
	t0 = att_now_s();
	rc = run_attune(out, sizeof out, err, sizeof err, env, 0, "record", "--port", link,
	                "--duration", dur, "--output", base, (const char *)NULL);
	wall = att_now_s() - t0;
	printf("%s: attune record exit %d in %.2f s wall\nstdout: %sstderr: %s", name, rc, wall,
	       out, err);
	CHECK(rc == 0);
	CHECK(strstr(out, "attune record: 7500 samples, 0 lost in 0 gaps") != NULL);
	CHECK(att_count_lines(out) == 1);
	snprintf(path, sizeof path, "%s.csv", base);
	n = read_csv(path, ch, sizeof ch / sizeof ch[0], &bad_t, &filled, header, sizeof header);
	CHECK(strncmp(header, "t,a_resp,a_ppg,b_resp,b_ppg", 27) == 0);
	CHECK(n == seconds * RATE);
	CHECK(bad_t == 0 && filled == 0);
	CHECK(check_values((const uint16_t(*)[4])ch, n, &rows) == 0);
	CHECK_NEAR(rows, seconds * ATT_STREAM_RATE, 2);
	CHECK(exists(base, ".edf") && exists(base, ".json") && exists(base, ".attraw"));
	if (want_shim) {
		char text[4096] = "";
		FILE *f = fopen(shim_log, "r");
		if (f) {
			size_t k = fread(text, 1, sizeof text - 1, f);
			text[k] = 0;
			fclose(f);
		}
		/* libserialport ran: it looked up sysfs and read the modem lines through the shim */
		CHECK(strstr(text, "TIOCMGET") != NULL && strstr(text, "sysfs") != NULL);
	}
	CHECK(stop_board(&b, 1, 5) == 0);
	remove_session(base);
	unlink(csv);
	unlink(shim_log);
	unlink(b.stats);
}

static void case_record_gap(const char *name, const char **env);
static void case_record_many_gaps(const char *name);

static void case_record(void)
{
	char link[256], base[256], out[4096], err[8192];
	struct board b;
	int rc;
	double t0;

	record_and_check("record", NULL, 0);
	case_record_gap("record-gap", NULL);
	case_record_many_gaps("record-drops");

	/* Ctrl-C stops cleanly and keeps the files */
	link_path(link, sizeof link, "record-int");
	snprintf(base, sizeof base, "/tmp/attune-sertest-record-int-%ld-session", (long)getpid());
	remove_session(base);
	CHECK(start_board(&b, link, "record-int", "--speed", "1", (const char *)NULL) == 0);
	t0 = att_now_s();
	rc = run_attune(out, sizeof out, err, sizeof err, NULL, 2.0, "record", "--port", link,
	                "--duration", "60", "--output", base, (const char *)NULL);
	printf("record (Ctrl-C after 2 s): exit %d after %.2f s\nstdout: %sstderr: %s", rc,
	       att_now_s() - t0, out, err);
	CHECK(rc == 0);
	CHECK(att_now_s() - t0 < 10.0);
	CHECK(strstr(out, "(stopped early)") != NULL);
	CHECK(exists(base, ".csv") && exists(base, ".edf") && exists(base, ".json"));
	CHECK(stop_board(&b, 1, 5) == 0);
	remove_session(base);
	unlink(b.stats);
}

/* A damaged link (5 % of frames dropped) makes hundreds of gaps: stderr says the first, then a
 * summary at most every 10 s of signal, not one line per gap; the summary still counts them all. */
static void case_record_many_gaps(const char *name)
{
	char link[256], base[256], out[4096], err[16384];
	struct board b;
	unsigned long gaps = 0;
	int lines = 0, rc;

	link_path(link, sizeof link, name);
	snprintf(base, sizeof base, "/tmp/attune-sertest-%s-%ld-session", name, (long)getpid());
	remove_session(base);
	CHECK(start_board(&b, link, name, "--speed", "4", "--drop", "0.05", "--duration", "60",
	                  (const char *)NULL) == 0);
	rc = run_attune(out, sizeof out, err, sizeof err, NULL, 0, "record", "--port", link,
	                "--duration", "30", "--output", base, (const char *)NULL);
	for (const char *line = err; *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		const char *end = strchr(line, '\n'), *g = strstr(line, "gap");
		lines += g && (!end || g < end);
	}
	{
		const char *p = strstr(out, " lost in ");
		gaps = p ? strtoul(p + 9, NULL, 10) : 0;
	}
	printf("%s: exit %d, %lu gaps, %d stderr lines about gaps\nstderr: %s", name, rc, gaps,
	       lines, err);
	CHECK(rc == 0);
	CHECK(gaps > 100);
	CHECK(lines >= 2 && lines <= 5); /* the first, then one per 10 s */
	CHECK(strstr(err, "more gap(s)") != NULL);
	CHECK(stop_board(&b, 1, 5) == 0);
	remove_session(base);
	unlink(b.stats);
}

/* A cable pull during attune record: the CSV keeps a uniform t, the gap is filled (filled = 1)
 * for as many samples as the device counter says were missed, and stderr says so. */
static void case_record_gap(const char *name, const char **env)
{
	char link[256], base[256], path[300], out[4096], err[8192], header[256];
	static uint16_t ch[20 * RATE][4];
	struct board b;
	unsigned bad_t = 1, filled = 0;
	size_t n;
	int rc;

	link_path(link, sizeof link, name);
	snprintf(base, sizeof base, "/tmp/attune-sertest-%s-%ld-session", name, (long)getpid());
	remove_session(base);
	CHECK(start_board(&b, link, name, "--speed", "4", "--disconnect-at", "3",
	                  "--reconnect-after", "2", "--duration", "30", (const char *)NULL) == 0);
	rc = run_attune(out, sizeof out, err, sizeof err, env, 0, "record", "--port", link,
	                "--duration", "10", "--output", base, (const char *)NULL);
	printf("%s: exit %d\nstdout: %sstderr: %s", name, rc, out, err);
	CHECK(rc == 0);
	CHECK(strstr(err, "lost the device; reconnecting (") != NULL);
	CHECK(strstr(err, "attune record: gap of ") != NULL);
	CHECK(strstr(out, "lost in 1 gaps") != NULL && strstr(out, "1 reconnects") != NULL);
	snprintf(path, sizeof path, "%s.csv", base);
	n = read_csv(path, ch, sizeof ch / sizeof ch[0], &bad_t, &filled, header, sizeof header);
	CHECK(n == 10 * RATE);
	CHECK(bad_t == 0);
	/* the cable was out for 2 s at 250 Hz */
	CHECK_NEAR((double)filled, 2.0 * RATE, 5.0);
	{
		/* the summary's lost count is the filled count */
		const char *p = strstr(out, "samples, ");
		CHECK(p && strtoul(p + 9, NULL, 10) == filled);
	}
	CHECK(stop_board(&b, 1, 5) == 0);
	remove_session(base);
	unlink(b.stats);
}

static void case_libserialport(void)
{
	char preload[600], log[300], asan[600];
	const char *env[5];
	const char *old = getenv("ASAN_OPTIONS");
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim_so);
	snprintf(log, sizeof log, "ATTUNE_SHIM_LOG=/tmp/attune-sertest-libserialport-%ld.shim",
	         (long)getpid());
	/* the shim comes before the ASan runtime in the library list; that is fine for a shim that
	 * only forwards calls */
	snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", old ? old : "",
	         old && old[0] ? ":" : "");
	env[0] = preload;
	env[1] = log;
	env[2] = "ATTUNE_SERIAL_BACKEND=libserialport";
	env[3] = asan;
	env[4] = NULL;
	record_and_check("libserialport", env, 1);
	/* the cable pull seen through libserialport (poll on its handle), and sp_open again */
	case_record_gap("libserialport-gap", env);
	unlink(log + strlen("ATTUNE_SHIM_LOG="));
}

/* ---- errors ---- */

struct fake {
	int master;
	int mode; /* 0 silent, 1 answers identify with a version-2 info frame, 2 text */
	int stop;
};

static void *fake_device(void *arg)
{
	struct fake *f = arg;
	uint8_t buf[256];
	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = {.fd = f->master, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0 || !(p.revents & POLLIN))
			continue;
		if (read(f->master, buf, sizeof buf) <= 0)
			continue;
		if (f->mode == 1) {
			/* an info frame as firmware of protocol version 2 would send it */
			struct att_wire_info info = {.fw_major = 2,
			                             .board = 1,
			                             .channels = 4,
			                             .adc_bits = 10,
			                             .rate_hz = 250,
			                             .vref_mv = 5000};
			uint8_t raw[ATT_WIRE_MAX_RAW], out[ATT_WIRE_MAX_FRAME];
			size_t n = att_wire_encode_info(&info, out), k;
			uint8_t dec[ATT_WIRE_MAX_ENCODED];
			k = att_wire_cobs_decode(out, n - 1, dec);
			if (k < ATT_WIRE_HEADER + ATT_WIRE_CRC || k > sizeof raw)
				continue;
			memcpy(raw, dec, k - ATT_WIRE_CRC);
			raw[1] = 2;
			n = att_wire_seal(raw, k - ATT_WIRE_CRC, out);
			if (write(f->master, out, n) < 0) {
				/* the test sees the missing answer */
			}
		} else if (f->mode == 2) {
			static const char hello[] = "Hello from a GPS receiver\r\n$GPGGA,,,,\r\n";
			if (write(f->master, hello, sizeof hello - 1) < 0) {
				/* as above */
			}
		}
	}
	return NULL;
}

static int fake_open(struct fake *f, int mode, char *slave, size_t len)
{
	struct termios tio;
	memset(f, 0, sizeof *f);
	f->mode = mode;
	f->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (f->master < 0 || grantpt(f->master) || unlockpt(f->master))
		return -1;
	snprintf(slave, len, "%s", ptsname(f->master));
	if (tcgetattr(f->master, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(f->master, TCSANOW, &tio);
	}
	return 0;
}

static void expect_open_error(const char *path, int want, const char *must_say, double max_s)
{
	char why[512] = "";
	struct att_source *src = NULL;
	struct att_serial_cfg cfg = {.path = path, .reset_wait_ms = -1};
	double t0 = att_now_s();
	int rc = att_source_open_serial(&cfg, &src, why, sizeof why);
	double dt = att_now_s() - t0;
	printf("errors: %s -> %d after %.2f s: %s\n", path, rc, dt, why);
	CHECK(rc == want);
	CHECK(src == NULL);
	CHECK(strstr(why, must_say) != NULL);
	CHECK(strchr(why, '\n') == NULL && strlen(why) > 20);
	CHECK(dt <= max_s);
	att_source_free(src);
}

/* Opening a fake device in mode (behind a fresh pty) fails as expect_open_error checks. */
static void expect_fake_device_error(int mode, int want, const char *must_say, double max_s)
{
	char slave[128];
	struct fake f;
	pthread_t th;
	CHECK(fake_open(&f, mode, slave, sizeof slave) == 0);
	pthread_create(&th, NULL, fake_device, &f);
	expect_open_error(slave, want, must_say, max_s);
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	close(f.master);
}

static void case_errors(void)
{
	char out[4096], err[4096], link[256], why[512];
	struct board b;
	struct att_source *src;
	int rc;

	expect_open_error("/dev/attune-no-such-port", ATT_ERR_NO_PORT, "no serial port", 0.5);
	expect_open_error("/dev/null", ATT_ERR_UNSUPPORTED, "not a serial port", 0.5);
	expect_open_error("/tmp", ATT_ERR_UNSUPPORTED, "not a serial port", 0.5);

	/* a pty with nothing behind it: no answer within the 1 s after the (pty: no) reset wait */
	expect_fake_device_error(0, ATT_ERR_NOT_ATTUNE, "not attune firmware", 1.6);

	/* a device that talks, but not our protocol */
	expect_fake_device_error(2, ATT_ERR_NOT_ATTUNE, "not attune firmware", 1.6);

	/* attune firmware of another protocol version */
	expect_fake_device_error(1, ATT_ERR_VERSION, "protocol version 2", 1.0);

	/* as the user sees it: exit 1 and one line */
	rc = run_attune(out, sizeof out, err, sizeof err, NULL, 0, "record", "--port",
	                "/dev/attune-no-such-port", "--duration", "1", "--output", "/tmp/x",
	                (const char *)NULL);
	printf("errors: attune record on a missing port: exit %d: %s", rc, err);
	CHECK(rc == 1 && att_count_lines(err) == 1 && strstr(err, "no serial port") &&
	      strstr(err, "ports that exist"));
	rc = run_attune(out, sizeof out, err, sizeof err, NULL, 0, "record", "--port", "/dev/null",
	                "--duration", "1", "--output", "/tmp/x", (const char *)NULL);
	CHECK(rc == 1 && att_count_lines(err) == 1 && strstr(err, "not a serial port"));
	rc = run_attune(out, sizeof out, err, sizeof err, NULL, 0, "record", "--port", "/dev/null",
	                (const char *)NULL);
	CHECK(rc == 2 && att_count_lines(err) == 1);
	rc = run_attune(out, sizeof out, err, sizeof err, NULL, 0, "record", "--port", "x",
	                "--duration", "abc", "--output", "/tmp/x", (const char *)NULL);
	CHECK(rc == 2 && att_count_lines(err) == 1 && strstr(err, "--duration"));
	rc = run_attune(out, sizeof out, err, sizeof err, NULL, 0, "ports", "--bogus",
	                (const char *)NULL);
	CHECK(rc == 2 && att_count_lines(err) == 1);

	/* a port in use by another attune: the second one is told, the first keeps streaming */
	link_path(link, sizeof link, "busy");
	CHECK(start_board(&b, link, "busy", "--speed", "1", (const char *)NULL) == 0);
	src = open_src(link, 0, why, sizeof why, &rc);
	CHECK(rc == ATT_OK);
	if (src) {
		struct att_sample s[64];
		CHECK(att_source_start(src) == ATT_OK);
		rc = run_attune(out, sizeof out, err, sizeof err, NULL, 0, "record", "--port", link,
		                "--duration", "1", "--output", "/tmp/x", (const char *)NULL);
		printf("errors: a second attune on a busy port: exit %d: %s", rc, err);
		CHECK(rc == 1 && att_count_lines(err) == 1 &&
		      strstr(err, "in use by another program"));
		/* attune ports marks the simulated board as in use */
		{
			char sim_env[300];
			const char *env[2] = {sim_env, NULL};
			snprintf(sim_env, sizeof sim_env, "ATTUNE_SIM_LINK=%s", link);
			rc = run_attune(out, sizeof out, err, sizeof err, env, 0, "ports",
			                (const char *)NULL);
			CHECK(rc == 0 && strstr(out, "in use by another program"));
		}
		att_nap(0.3);
		CHECK(att_source_read(src, s, 64) > 0);
		att_source_free(src);
	}
	/* attune ports lists and probes the simulated board (ATTUNE_SIM_LINK: the test's link) */
	{
		char sim_env[300];
		const char *env[2] = {sim_env, NULL};
		snprintf(sim_env, sizeof sim_env, "ATTUNE_SIM_LINK=%s", link);
		rc = run_attune(out, sizeof out, err, sizeof err, env, 0, "ports",
		                (const char *)NULL);
		printf("errors: attune ports:\n%s%s", out, err);
		CHECK(rc == 0 && strstr(out, link) && strstr(out, "simulated board") &&
		      strstr(out, "attune firmware 0.") && strstr(out, "4 channels at 250 Hz"));
		rc = run_attune(out, sizeof out, err, sizeof err, env, 0, "ports", "--no-probe",
		                (const char *)NULL);
		CHECK(rc == 0 && strstr(out, link) && strstr(out, "not probed"));
	}
	CHECK(stop_board(&b, 1, 5) == 0);
	unlink(b.stats);
}

/* ---- benchmark ---- */

static double thread_cpu_s(pid_t tid)
{
	char path[128], text[1024];
	FILE *f;
	size_t n;
	char *p;
	unsigned long ut = 0, stt = 0;
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	p = strrchr(text, ')');
	if (!p)
		return -1;
	/* fields after the comm: state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) != 2)
		return -1;
	return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

/* The acquisition thread is the one task of this process created by the source. */
static pid_t newest_task(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t best = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (atoi(e->d_name) > best)
			best = (pid_t)atoi(e->d_name);
	closedir(d);
	return best;
}

static void case_bench(void)
{
	char link[256], why[512];
	struct board b;
	struct att_source *src;
	struct att_source_status st;
	struct capture cap;
	double seconds = 60, t0, wall, cpu0, cpu1;
	pid_t tid;
	int err;
	const char *s = getenv("ATTUNE_BENCH_SECONDS");

	if (s && atof(s) > 0)
		seconds = atof(s);
	link_path(link, sizeof link, "bench");
	CHECK(start_board(&b, link, "bench", "--speed", "1", (const char *)NULL) == 0);
	src = open_src(link, 250, why, sizeof why, &err);
	CHECK(err == ATT_OK);
	if (!src) {
		stop_board(&b, 1, 5);
		return;
	}
	CHECK(capture_init(&cap, (size_t)(seconds * RATE) + 1000) == 0);
	CHECK(att_source_start(src) == ATT_OK);
	tid = newest_task();
	drain(src, &cap, 1, 5.0, NULL, NULL);
	t0 = att_now_s();
	cpu0 = thread_cpu_s(tid);
	while (att_now_s() - t0 < seconds) {
		size_t n = att_source_read(src, cap.s + cap.n, cap.cap - cap.n);
		cap.n += n;
		att_nap(0.01);
	}
	wall = att_now_s() - t0;
	cpu1 = thread_cpu_s(tid);
	att_source_status(src, &st);
	printf("bench: %.1f s real time at 250 Hz: %.1f frames/s, link load %.1f %% of 115200 8N1 "
	       "(%d bytes per frame), %llu samples lost, %llu damaged frames, %llu ring overruns; "
	       "acquisition thread CPU %.2f %% of one core (%.3f s)\n",
	       wall, (double)(cap.n - 1) / wall,
	       100.0 * (double)(cap.n - 1) / wall * ATT_WIRE_SAMPLE_WIRE * 10.0 / ATT_WIRE_BAUD,
	       (int)ATT_WIRE_SAMPLE_WIRE, (unsigned long long)st.samples_lost,
	       (unsigned long long)st.frames_bad, (unsigned long long)st.overruns,
	       100.0 * (cpu1 - cpu0) / wall, cpu1 - cpu0);
	CHECK(st.samples_lost == 0 && st.frames_bad == 0 && st.overruns == 0);
	CHECK(fabs((double)(cap.n - 1) / wall - RATE) < RATE * 0.03);
	att_source_free(src);
	free(cap.s);
	CHECK(stop_board(&b, 1, 5) == 0);
	unlink(b.stats);
}

int main(int argc, char **argv)
{
	const char *which;
	if (argc != 6) {
		fprintf(stderr, "usage: test_serial SIMBOARD FIRMWARE_ELF ATTUNE SHIM CASE\n");
		return 2;
	}
	simboard_exe = argv[1];
	firmware_elf = argv[2];
	attune_exe = argv[3];
	shim_so = argv[4];
	which = argv[5];
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(which, "stream"))
		case_stream();
	else if (!strcmp(which, "faults"))
		case_faults();
	else if (!strcmp(which, "disconnect"))
		case_disconnect();
	else if (!strcmp(which, "restart"))
		case_restart();
	else if (!strcmp(which, "overflow"))
		case_overflow();
	else if (!strcmp(which, "record"))
		case_record();
	else if (!strcmp(which, "overrun"))
		case_overrun();
	else if (!strcmp(which, "noalloc"))
		case_noalloc();
	else if (!strcmp(which, "libserialport"))
		case_libserialport();
	else if (!strcmp(which, "errors"))
		case_errors();
	else if (!strcmp(which, "device"))
		case_device();
	else if (!strcmp(which, "bench"))
		case_bench();
	else {
		fprintf(stderr, "unknown case '%s'\n", which);
		return 2;
	}
	return att_check_done(which);
}
