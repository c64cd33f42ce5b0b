/* Shared harness of the integration tests that drive the real firmware in attune-simboard
 * (test_simboard.c, test_serial.c): start the simulator and wait until it announces its pty link,
 * wait for a child to end, read a number from simboard's --stats JSON, run a program to its end
 * with its stdout and stderr captured, and the stream input (a CSV whose every sample can be
 * recognised by its ADC codes in the frames).
 *
 * Header-only, static: each test executable is one .c file that includes it (after check.h).
 * Invariant: every helper that starts a child either hands back its pid and pipe to the caller or
 * has reaped it and closed its pipes before returning. Called from the test's main thread. */
#ifndef ATT_TEST_BOARD_H
#define ATT_TEST_BOARD_H

#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "timing.h"

/* Stream input: 50 Hz steps, every channel different, consecutive values >= 7 ADC counts apart,
 * so each input sample is recognisable in the stream. */
#define ATT_STREAM_RATE 50
#define ATT_STREAM_ROWS 3500u /* < 4000: every row's millivolts differ on every channel */

static inline unsigned att_stream_mv(unsigned i, unsigned c)
{
	i %= ATT_STREAM_ROWS; /* simboard plays the file with --loop */
	return 500u + (i * 37u + c * 1013u) % 4000u;
}

static inline unsigned att_code_of(unsigned mv)
{
	return mv * 1023u / 5000u; /* simavr: floor(mV x 1023 / Vref) */
}

/* Writes the stream input as a simboard --volts CSV at path (a failure is a CHECK failure). */
static inline void att_write_stream_csv(const char *path)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "t,a_resp,a_ppg,b_resp,b_ppg\n");
	for (unsigned i = 0; i < ATT_STREAM_ROWS; i++)
		fprintf(f, "%.2f,%.3f,%.3f,%.3f,%.3f\n", (double)i / ATT_STREAM_RATE,
		        att_stream_mv(i, 0) / 1000.0, att_stream_mv(i, 1) / 1000.0,
		        att_stream_mv(i, 2) / 1000.0, att_stream_mv(i, 3) / 1000.0);
	fclose(f);
}

/* Appends the NULL-terminated arguments in ap to argv[0..argc) and ends argv with NULL; argv has
 * room for ATT_ARGV_MAX entries (further arguments are dropped). */
#define ATT_ARGV_MAX 40
static inline void att_argv_append(const char **argv, int argc, va_list ap)
{
	for (;;) {
		const char *a = va_arg(ap, const char *);
		if (!a || argc >= ATT_ARGV_MAX - 2)
			break;
		argv[argc++] = a;
	}
	argv[argc] = NULL;
}

/* Starts `simboard --firmware firmware --link link --stats stats [opt] ARGS...` (ARGS from ap,
 * NULL-terminated; opt may be NULL) with its stdout on a pipe, and reads its first stdout line,
 * which must be the link path (within 10 s). Returns 0 then, -1 otherwise. The child's pid and
 * the read end of its stdout are set as soon as it runs: the caller reaps it (att_child_wait) and
 * closes *out_fd. */
static inline int att_simboard_start(const char *simboard, const char *firmware, const char *link,
                                     const char *stats, const char *opt, va_list ap, pid_t *pid,
                                     int *out_fd)
{
	const char *argv[ATT_ARGV_MAX];
	int argc = 0, pipefd[2];
	char line[512];
	size_t got = 0;
	double t0 = att_now_s();

	argv[argc++] = simboard;
	argv[argc++] = "--firmware";
	argv[argc++] = firmware;
	argv[argc++] = "--link";
	argv[argc++] = link;
	argv[argc++] = "--stats";
	argv[argc++] = stats;
	if (opt)
		argv[argc++] = opt;
	att_argv_append(argv, argc, ap);
	if (pipe(pipefd) != 0)
		return -1;
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(simboard, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	*out_fd = pipefd[0];
	while (got < sizeof line - 1 && att_now_s() - t0 < 10.0) {
		struct pollfd p = {.fd = *out_fd, .events = POLLIN};
		ssize_t r;
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(*out_fd, line + got, 1);
		if (r <= 0)
			break;
		if (line[got] == '\n') {
			line[got] = 0;
			if (strcmp(line, link) != 0) {
				fprintf(stderr, "first line '%s', want '%s'\n", line, link);
				return -1;
			}
			return 0;
		}
		got++;
	}
	fprintf(stderr, "simboard printed no link path\n");
	return -1;
}

/* Waits for the child pid to end (SIGTERM first when terminate), at most timeout_s, then kills
 * it. Returns 0 with its wait status in *status (and its CPU use in *ru if not NULL), or -1 when
 * it had to be killed (it is reaped either way). */
static inline int att_child_wait(pid_t pid, int terminate, double timeout_s, int *status,
                                 struct rusage *ru)
{
	double t0 = att_now_s();
	*status = 0;
	if (terminate)
		kill(pid, SIGTERM);
	while (wait4(pid, status, WNOHANG, ru) == 0) {
		if (att_now_s() - t0 > timeout_s) {
			fprintf(stderr, "child %ld did not exit within %.1f s\n", (long)pid,
			        timeout_s);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -1;
		}
		att_nap(0.01);
	}
	return 0;
}

/* Runs the program at path prog with the NULL-terminated arguments in ap (env: extra NAME=value
 * strings or NULL) to its end with stdout into out and stderr into err (both NUL-terminated, cut
 * to fit), sending SIGINT after sigint_after seconds when > 0 and reading for at most timeout_s.
 * Returns its exit status, 128 + the signal that ended it, or -1 (could not start, or did not end
 * 10 s after its pipes closed). */
static inline int att_run_capture(const char *prog, const char **env, double sigint_after,
                                  double timeout_s, char *out, size_t out_len, char *err,
                                  size_t err_len, va_list ap)
{
	const char *argv[ATT_ARGV_MAX] = {prog};
	int po[2], pe[2], st = 0, sent = 0;
	size_t no = 0, ne = 0;
	pid_t pid;
	double t0 = att_now_s();

	att_argv_append(argv, 1, ap);
	if (pipe(po) != 0)
		return -1;
	if (pipe(pe) != 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while (po[0] >= 0 || pe[0] >= 0) {
		struct pollfd p[2] = {{.fd = po[0], .events = POLLIN},
		                      {.fd = pe[0], .events = POLLIN}};
		if (att_now_s() - t0 > timeout_s) {
			kill(pid, SIGKILL);
			break;
		}
		if (sigint_after > 0 && !sent && att_now_s() - t0 >= sigint_after) {
			kill(pid, SIGINT);
			sent = 1;
		}
		poll(p, 2, 20);
		for (int i = 0; i < 2; i++) {
			char *b = i ? err : out;
			size_t *used = i ? &ne : &no, cap = i ? err_len : out_len;
			int *fd = i ? &pe[0] : &po[0];
			ssize_t r;
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(*fd, b + *used, cap - 1 - *used);
			if (r > 0) {
				*used += (size_t)r;
			} else {
				close(*fd);
				*fd = -1;
			}
		}
	}
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	out[no] = 0;
	err[ne] = 0;
	/* its pipes close a moment before it can be reaped */
	if (att_child_wait(pid, 0, 10.0, &st, NULL) != 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* One number from a simboard --stats JSON file, or -1 when the file or the key is missing. */
static inline double att_stat_value(const char *stats, const char *key)
{
	char text[4096], pat[80];
	const char *at;
	size_t n;
	FILE *f = fopen(stats, "r");
	if (!f)
		return -1;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	at = strstr(text, pat);
	return at ? strtod(at + strlen(pat), NULL) : -1;
}

static inline unsigned att_count_lines(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#endif
