/* The simulated board's serial cable (see simboard_link.h). */
#include "simboard_link.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attune/err.h"

/* Host->board bytes are few (commands of 8 bytes); 64 KiB absorbs any burst a host may write. */
#define IN_CAP (64u * 1024u)

struct att_simboard_link {
	char *path;
	char tmp_path[4096];
	char slave[256];
	int master;   /* -1 while unplugged */
	int slave_fd; /* held open by us so the master never sees EIO/HUP */
	/* Watches the slave for a host's close. A host may set TIOCEXCL (attune does as non-root);
	 * the kernel clears it on the last close, which never comes while we hold the slave, so we
	 * clear it when a host closes, else the next host would get EBUSY. */
	int ino, wd;
	size_t bound;
	uint8_t *out;                       /* ring of out_cap bytes, out_cap a power of two */
	size_t out_cap, out_head, out_tail; /* head - tail = bytes pending (free-running) */
	uint8_t *in;
	size_t in_head, in_tail;
	struct att_simboard_link_stats st;
};

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/* Links the slave at a fresh temporary name beside the path, then renames it over the path.
 * 0, or -1 with errno (nothing left behind). */
static int publish(struct att_simboard_link *l)
{
	int e = EEXIST;

	for (unsigned k = 0; k < 64 && e == EEXIST; k++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts); /* a name no one can know in advance */
		snprintf(l->tmp_path, sizeof l->tmp_path, "%s.tmp%ld.%u.%lx", l->path,
		         (long)getpid(), k, (unsigned long)ts.tv_nsec);
		if (symlink(l->slave, l->tmp_path) == 0) {
			if (rename(l->tmp_path, l->path) == 0)
				return 0;
			e = errno;
			unlink(l->tmp_path);
			break;
		}
		e = errno;
	}
	errno = e;
	return -1;
}

static int open_pty(struct att_simboard_link *l, char *why, size_t why_len)
{
	struct termios tio;
	struct stat st;
	const char *name;
	int m, s, err;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (m < 0) {
		snprintf(why, why_len, "cannot create a pseudo-terminal: %s (is /dev/pts mounted?)",
		         strerror(errno));
		return ATT_ERR_IO;
	}
	if (grantpt(m) != 0 || unlockpt(m) != 0 || !(name = ptsname(m))) {
		snprintf(why, why_len, "cannot unlock the pseudo-terminal: %s", strerror(errno));
		close(m);
		return ATT_ERR_IO;
	}
	snprintf(l->slave, sizeof l->slave, "%s", name);
	s = open(l->slave, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (s < 0) {
		snprintf(why, why_len, "cannot open %s: %s", l->slave, strerror(errno));
		close(m);
		return ATT_ERR_IO;
	}
	/* Raw: no echo back to the board, no line editing, no CR/LF mangling of binary frames. */
	if (tcgetattr(s, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tcsetattr(s, TCSANOW, &tio);
	}
	/* Never replace a real file or device, nor another user's link: only a link of ours (e.g.
	 * left by an earlier run) or nothing. */
	if (lstat(l->path, &st) == 0 && (!S_ISLNK(st.st_mode) || st.st_uid != geteuid())) {
		snprintf(why, why_len, "%s exists and is %s; choose another path with --link",
		         l->path, S_ISLNK(st.st_mode) ? "another user's link" : "not a symlink");
		close(s);
		close(m);
		l->slave[0] = 0;
		return S_ISLNK(st.st_mode) ? ATT_ERR_PERMISSION : ATT_ERR_ARG;
	}
	/* Publish atomically: a host polling the path sees the old link or the new one, never none.
	 * symlink() never follows nor replaces what is there, so a temporary name someone planted
	 * only makes us pick another. */
	if (publish(l) != 0) {
		err = errno;
		snprintf(why, why_len,
		         "cannot create the link %s: %s (choose another path with --link)", l->path,
		         strerror(err));
		close(s);
		close(m);
		l->slave[0] = 0;
		return err == EACCES || err == EPERM ? ATT_ERR_PERMISSION : ATT_ERR_IO;
	}
	l->master = m;
	l->slave_fd = s;
	l->wd = l->ino >= 0 ? inotify_add_watch(l->ino, l->slave, IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)
	                    : -1;
	return ATT_OK;
}

/* Removes the symlink only if it still names our pty: another simboard may own the path now. */
static void remove_link(struct att_simboard_link *l)
{
	char target[256];
	ssize_t n = readlink(l->path, target, sizeof target - 1);
	if (n >= 0) {
		target[n] = 0;
		if (strcmp(target, l->slave) == 0)
			unlink(l->path);
	}
}

enum att_err att_simboard_link_new(const struct att_simboard_link_cfg *cfg,
                                   struct att_simboard_link **out, char *why, size_t why_len)
{
	struct att_simboard_link *l;
	int rc;

	if (out)
		*out = NULL;
	if (!cfg || !out || !cfg->path || !cfg->path[0] || cfg->out_bound < 1024 ||
	    strlen(cfg->path) > 4000) {
		snprintf(why, why_len, "invalid link configuration");
		return ATT_ERR_ARG;
	}
	l = calloc(1, sizeof *l);
	if (!l)
		goto nomem;
	l->master = l->slave_fd = -1;
	l->wd = -1;
	l->ino = inotify_init1(IN_NONBLOCK |
	                       IN_CLOEXEC); /* without it, only TIOCEXCL is not undone */
	l->bound = cfg->out_bound;
	l->out_cap = pow2_at_least(2 * cfg->out_bound);
	l->path = strdup(cfg->path);
	l->out = malloc(l->out_cap);
	l->in = malloc(IN_CAP);
	if (!l->path || !l->out || !l->in)
		goto nomem;
	rc = open_pty(l, why, why_len);
	if (rc != ATT_OK) {
		att_simboard_link_free(l);
		return rc;
	}
	*out = l;
	return ATT_OK;
nomem:
	att_simboard_link_free(l);
	snprintf(why, why_len, "out of memory for the link buffers");
	return ATT_ERR_NOMEM;
}

void att_simboard_link_free(struct att_simboard_link *l)
{
	if (!l)
		return;
	if (l->master >= 0) {
		remove_link(l);
		close(l->master);
		close(l->slave_fd);
	}
	if (l->ino >= 0)
		close(l->ino);
	free(l->path);
	free(l->out);
	free(l->in);
	free(l);
}

void att_simboard_link_unplug(struct att_simboard_link *l)
{
	if (l->master < 0)
		return;
	/* Bytes on the wire when the cable is pulled never arrive: ours and those still in the pty. */
	l->st.bytes_lost_unplugged += att_simboard_link_unread(l);
	l->out_tail = l->out_head;
	remove_link(l);
	if (l->wd >= 0)
		inotify_rm_watch(l->ino, l->wd);
	l->wd = -1;
	close(l->master);
	close(l->slave_fd);
	l->master = l->slave_fd = -1;
	l->slave[0] = 0;
	l->in_tail = l->in_head;
	l->st.unplugs++;
}

enum att_err att_simboard_link_plug(struct att_simboard_link *l, char *why, size_t why_len)
{
	int rc;
	if (l->master >= 0)
		return ATT_OK;
	rc = open_pty(l, why, why_len);
	if (rc == ATT_OK)
		l->st.plugs++;
	return rc;
}

int att_simboard_link_plugged(const struct att_simboard_link *l)
{
	return l->master >= 0;
}

const char *att_simboard_link_slave(const struct att_simboard_link *l)
{
	return l->slave;
}

void att_simboard_link_put(struct att_simboard_link *l, uint8_t byte)
{
	size_t pending = l->out_head - l->out_tail;
	if (l->master < 0) {
		l->st.bytes_lost_unplugged++;
		return;
	}
	if (pending >= l->out_cap) {
		/* Unreachable while the caller honours congested(): one run step cannot emit out_bound
		 * bytes. Counted rather than hidden if it ever happens. */
		l->st.bytes_lost_unplugged++;
		return;
	}
	l->out[l->out_head & (l->out_cap - 1)] = byte;
	l->out_head++;
	if (pending + 1 > l->st.max_buffered)
		l->st.max_buffered = pending + 1;
}

static int write_out(struct att_simboard_link *l)
{
	while (l->out_head != l->out_tail) {
		size_t at = l->out_tail & (l->out_cap - 1);
		size_t n = l->out_head - l->out_tail;
		ssize_t w;
		if (n > l->out_cap - at)
			n = l->out_cap - at;
		w = write(l->master, l->out + at, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return ATT_OK;
			return ATT_ERR_IO;
		}
		l->out_tail += (size_t)w;
		l->st.bytes_to_host += (uint64_t)w;
	}
	return ATT_OK;
}

static int read_in(struct att_simboard_link *l)
{
	uint8_t buf[4096];
	for (;;) {
		size_t space = IN_CAP - (l->in_head - l->in_tail), i;
		ssize_t r;
		if (space == 0)
			return ATT_OK; /* leave the rest in the pty until the board has read some */
		r = read(l->master, buf, space < sizeof buf ? space : sizeof buf);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EIO)
				return ATT_OK;
			return ATT_ERR_IO;
		}
		if (r == 0)
			return ATT_OK;
		for (i = 0; i < (size_t)r; i++)
			l->in[(l->in_head++) & (IN_CAP - 1)] = buf[i];
		l->st.bytes_from_host += (uint64_t)r;
	}
}

/* A host closed the slave: undo a TIOCEXCL it may have left (see struct). */
static void host_closed(struct att_simboard_link *l)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int any = 0;
	while (read(l->ino, ev, sizeof ev) > 0)
		any = 1;
	if (any && l->slave_fd >= 0)
		ioctl(l->slave_fd, TIOCNXCL);
}

enum att_err att_simboard_link_service(struct att_simboard_link *l, int timeout_ms)
{
	struct pollfd p[2];
	int rc;

	if (l->master < 0) {
		if (timeout_ms > 0)
			poll(NULL, 0, timeout_ms);
		return ATT_OK;
	}
	if (att_simboard_link_congested(l))
		l->st.congested_polls++;
	rc = write_out(l);
	if (rc != ATT_OK)
		return rc;
	p[0].fd = l->master;
	p[0].events = POLLIN | (l->out_head != l->out_tail ? POLLOUT : 0);
	p[0].revents = 0;
	p[1].fd = l->ino;
	p[1].events = POLLIN;
	p[1].revents = 0;
	if (poll(p, l->ino >= 0 ? 2 : 1, timeout_ms) < 0 && errno != EINTR)
		return ATT_ERR_IO;
	if (p[0].revents & POLLNVAL)
		return ATT_ERR_IO;
	if (p[1].revents & POLLIN)
		host_closed(l);
	if (p[0].revents & POLLOUT) {
		rc = write_out(l);
		if (rc != ATT_OK)
			return rc;
	}
	if (p[0].revents & POLLIN)
		return read_in(l);
	return ATT_OK;
}

int att_simboard_link_congested(const struct att_simboard_link *l)
{
	return l->out_head - l->out_tail > l->bound;
}

size_t att_simboard_link_pending(const struct att_simboard_link *l)
{
	return l->out_head - l->out_tail;
}

size_t att_simboard_link_unread(const struct att_simboard_link *l)
{
	int queued = 0;
	size_t n = l->out_head - l->out_tail;
	if (l->slave_fd >= 0 && ioctl(l->slave_fd, FIONREAD, &queued) == 0 && queued > 0)
		n += (size_t)queued;
	return n;
}

int att_simboard_link_peek(const struct att_simboard_link *l, uint8_t *byte)
{
	if (l->in_head == l->in_tail)
		return 0;
	*byte = l->in[l->in_tail & (IN_CAP - 1)];
	return 1;
}

void att_simboard_link_consume(struct att_simboard_link *l)
{
	if (l->in_head != l->in_tail)
		l->in_tail++;
}

void att_simboard_link_stats(const struct att_simboard_link *l, struct att_simboard_link_stats *out)
{
	*out = l->st;
}
