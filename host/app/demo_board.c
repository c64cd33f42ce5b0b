/* attune demo's simulated board: the real firmware in attune-simboard (simavr), its UART on a
 * pseudo-terminal, opened like any serial port (live_source.c), so the demo goes through the
 * same path as a board on a cable.
 *
 * This file starts and stops that child. Invariant: once att_demo_board_start() succeeded, the
 * board is a child of ours until att_demo_board_stop(), which always ends it (SIGTERM, then
 * SIGKILL after a grace period), reaps it and removes its link; if attune dies first the kernel
 * sends the board SIGTERM (PR_SET_PDEATHSIG). */
#include "demo_board.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attune/clock.h"
#include "attune/err.h"

#ifndef ATT_SIMBOARD_PATH
#define ATT_SIMBOARD_PATH ""
#endif

#define START_TIMEOUT_MS                                                                           \
	10000 /* simavr loads the firmware in well under a second; ASan is slower */
#define STOP_GRACE_MS 3000

struct att_demo_board {
	pid_t pid;
	int err_fd;    /* the board's stderr: read only to explain a failed start */
	char dir[256]; /* a private directory (mkdtemp) holding the link */
	char link[300];
};

/* The monotonic clock in milliseconds: the board's start and stop waits. */
static int64_t mono_ms(void)
{
	return att_clock_ns() / 1000000;
}

static int executable(const char *path)
{
	struct stat st;
	return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* ATTUNE_SIMBOARD (tests; empty = none), then beside the attune binary (installed: both in
 * bindir), then the build tree's path baked in by meson. */
static const char *find_board(char *buf, size_t len)
{
	const char *env = getenv("ATTUNE_SIMBOARD");
	char self[PATH_MAX];
	ssize_t n;

	if (env)
		return executable(env) ? env : NULL;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		char *slash;
		self[n] = 0;
		slash = strrchr(self, '/');
		/* a path that would not fit is simply not looked at */
		if (slash && (size_t)(slash - self) + sizeof "/attune-simboard" <= len) {
			memcpy(buf, self, (size_t)(slash - self));
			memcpy(buf + (slash - self), "/attune-simboard", sizeof "/attune-simboard");
			if (executable(buf))
				return buf;
		}
	}
	return executable(ATT_SIMBOARD_PATH) ? ATT_SIMBOARD_PATH : NULL;
}

/* The last non-empty line the board wrote to stderr, for a failed start (non-blocking). */
static void last_err_line(int fd, char *why, size_t len, const char *fallback)
{
	char buf[4096], *line;
	size_t used = 0;
	ssize_t n;

	while (used < sizeof buf - 1 && (n = read(fd, buf + used, sizeof buf - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = 0;
	while (used && (buf[used - 1] == '\n' || buf[used - 1] == '\r'))
		buf[--used] = 0;
	if (!used) {
		snprintf(why, len, "%s", fallback);
		return;
	}
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	snprintf(why, len, "%s", line);
}

static void reap(struct att_demo_board *b)
{
	int64_t until = mono_ms() + STOP_GRACE_MS;
	int status;

	/* the whole group: a wrapper script's children go too */
	kill(-b->pid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(b->pid, &status, WNOHANG);
		if (r == b->pid || (r < 0 && errno != EINTR))
			break;
		if (mono_ms() > until) {
			kill(-b->pid, SIGKILL);
			while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(10000);
	}
	b->pid = 0;
}

int att_demo_board_start(const struct att_demo_board_cfg *cfg, struct att_demo_board **out,
                         char *why, size_t why_len)
{
	char pathbuf[PATH_MAX], line[256], seed[16], speed[32];
	const char *board, *argv[16];
	struct att_demo_board *b;
	int outp[2], errp[2], argc = 0;
	size_t got = 0;
	int64_t deadline;

	*out = NULL;
	board = find_board(pathbuf, sizeof pathbuf);
	if (!board) {
		if (getenv("ATTUNE_SIMBOARD"))
			snprintf(why, why_len, "ATTUNE_SIMBOARD names no program");
		else /* what to run, as printed */
			snprintf(
			        why, why_len,
			        "attune-simboard is not built: %sapt-get install libsimavr-dev "
			        "libelf-dev gcc-avr avr-libc, then meson setup --reconfigure " ATT_BUILD_ROOT
			        " && meson compile -C " ATT_BUILD_ROOT,
			        geteuid() ? "sudo " : "");
		return ATT_ERR_UNSUPPORTED;
	}
	b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(why, why_len, "out of memory");
		return ATT_ERR_NOMEM;
	}
	/* in a directory of our own (mkdtemp, 0700): two demos never share a link, and another
	 * user cannot plant one under a name we would use */
	{
		const char *tmp = getenv("TMPDIR");
		snprintf(b->dir, sizeof b->dir, "%s/attune-demo-XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(b->dir)) {
			snprintf(why, why_len,
			         "cannot make a private folder for the simulated board "
			         "(%s): %s",
			         b->dir, strerror(errno));
			free(b);
			return ATT_ERR_IO;
		}
		snprintf(b->link, sizeof b->link, "%s/board", b->dir);
	}
	snprintf(seed, sizeof seed, "%u", (unsigned)cfg->seed);
	argv[argc++] = board;
	argv[argc++] = "--link";
	argv[argc++] = b->link;
	argv[argc++] = "--seed";
	argv[argc++] = seed;
	if (cfg->input) {
		argv[argc++] = "--input";
		argv[argc++] = cfg->input;
		argv[argc++] = "--loop";
	} else {
		argv[argc++] = "--script";
		argv[argc++] = cfg->script ? cfg->script : "story";
	}
	if (cfg->speed > 0.0 && cfg->speed != 1.0) {
		snprintf(speed, sizeof speed, "%g", cfg->speed);
		argv[argc++] = "--speed";
		argv[argc++] = speed;
	}
	argv[argc] = NULL;

	/* O_CLOEXEC: nothing of ours leaks into the child but what dup2 hands it */
	if (pipe2(outp, O_CLOEXEC) != 0) {
		snprintf(why, why_len, "cannot start attune-simboard: %s", strerror(errno));
		rmdir(b->dir);
		free(b);
		return ATT_ERR_IO;
	}
	if (pipe2(errp, O_CLOEXEC) != 0) {
		snprintf(why, why_len, "cannot start attune-simboard: %s", strerror(errno));
		close(outp[0]);
		close(outp[1]);
		rmdir(b->dir);
		free(b);
		return ATT_ERR_IO;
	}
	b->pid = fork();
	if (b->pid < 0) {
		snprintf(why, why_len, "cannot start attune-simboard: %s", strerror(errno));
		close(outp[0]);
		close(outp[1]);
		close(errp[0]);
		close(errp[1]);
		rmdir(b->dir);
		free(b);
		return ATT_ERR_IO;
	}
	if (b->pid == 0) {
		/* the child: only async-signal-safe calls until exec */
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(127);
		/* no fd of ours beyond stdio (a display or sound connection opened earlier) */
		close_range(3, ~0u, 0);
		/* its own process group: a Ctrl-C at the terminal reaches attune, which stops it */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(127);
		execv(board, (char *const *)argv);
		_exit(127);
	}
	setpgid(b->pid,
	        b->pid); /* also here: the group exists before any kill, whoever runs first */
	close(outp[1]);
	close(errp[1]);
	b->err_fd = errp[0];
	fcntl(b->err_fd, F_SETFL, O_NONBLOCK);

	/* the first stdout line is the link path; the board prints it once the pty is up */
	deadline = mono_ms() + START_TIMEOUT_MS;
	for (;;) {
		struct pollfd p = {.fd = outp[0], .events = POLLIN};
		int64_t left = deadline - mono_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			snprintf(why, why_len, "attune-simboard did not start within %d s",
			         START_TIMEOUT_MS / 1000);
			goto fail;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(outp[0], line + got, sizeof line - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int status = 0;
			/* it ended before announcing the link: its last stderr line says why */
			waitpid(b->pid, &status, 0);
			b->pid = 0;
			last_err_line(b->err_fd, why, why_len, "attune-simboard exited at start");
			goto fail;
		}
		got += (size_t)n;
		line[got] = 0;
		if (strchr(line, '\n'))
			break;
		if (got == sizeof line - 1) {
			snprintf(why, why_len, "attune-simboard printed no link path");
			goto fail;
		}
	}
	*strchr(line, '\n') = 0;
	if (strcmp(line, b->link) != 0) {
		snprintf(why, why_len, "attune-simboard announced %.100s, not %.60s", line,
		         b->link);
		goto fail;
	}
	/* stdout is not read again: closing it makes a later write fail instead of blocking */
	close(outp[0]);
	*out = b;
	return ATT_OK;
fail:
	close(outp[0]);
	att_demo_board_stop(b);
	return ATT_ERR_IO;
}

const char *att_demo_board_link(const struct att_demo_board *b)
{
	return b->link;
}

void att_demo_board_stop(struct att_demo_board *b)
{
	struct stat st;

	if (!b)
		return;
	if (b->pid > 0)
		reap(b);
	if (b->err_fd > 0)
		close(b->err_fd);
	/* the board removes its link itself; not when it was killed, so check */
	if (lstat(b->link, &st) == 0 && S_ISLNK(st.st_mode))
		unlink(b->link);
	rmdir(b->dir);
	free(b);
}
