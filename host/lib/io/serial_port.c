/* Serial port backends (see serial_port.h): libserialport for devices, termios for ptys.
 *
 * Both backends end in one file descriptor: waiting is always poll() on it, so a hang-up (USB
 * cable pulled, the simulator's pty closed) is seen the same way whichever backend reads. */
#include "attune/serial_port.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

#include "attune/wire.h"
#include "attune/clock.h"

/* Linux UNIX98 pty slaves use majors 136..143 (Documentation/admin-guide/devices.txt). */
#define PTY_SLAVE_MAJOR_FIRST 136u
#define PTY_SLAVE_MAJOR_LAST  143u
#define SIM_LINK              "/tmp/attune-sim"

struct att_serial_port {
	enum att_serial_backend backend;
	int fd;
	struct sp_port *sp; /* libserialport backend only */
};

static int64_t mono_ms(void)
{
	return att_clock_ns() / 1000000;
}

static void say(char *why, size_t why_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;
	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

int att_serial_is_pty(const char *path)
{
	struct stat st;
	char real[PATH_MAX];
	unsigned maj;
	if (!path || stat(path, &st) != 0 || !S_ISCHR(st.st_mode))
		return 0;
	maj = major(st.st_rdev);
	if (maj >= PTY_SLAVE_MAJOR_FIRST && maj <= PTY_SLAVE_MAJOR_LAST)
		return 1;
	/* a devpts instance mounted elsewhere (containers) still lives under a pts directory */
	return realpath(path, real) && strncmp(real, "/dev/pts/", 9) == 0;
}

void att_serial_list_text(char *buf, size_t len)
{
	struct att_serial_port_info ports[16];
	size_t n = 0, used;
	struct stat st;

	if (!buf || !len)
		return;
	buf[0] = 0;
	if (att_serial_list(ports, sizeof ports / sizeof ports[0], &n) != ATT_OK)
		n = 0;
	used = (size_t)snprintf(buf, len, n ? "ports that exist:" : "no serial port is connected");
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s %s%s%s%s", i ? "," : "",
		                         ports[i].path, ports[i].description[0] ? " (" : "",
		                         ports[i].description, ports[i].description[0] ? ")" : "");
	if (used < len && stat(SIM_LINK, &st) == 0)
		snprintf(buf + used, len - used, "%s " SIM_LINK " (simulated board)",
		         n ? "," : ";");
}

/* errno of a failed open() or sp_open() as the user's next step. */
static int open_error(int e, const char *path, char *why, size_t why_len)
{
	char list[384];
	switch (e) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		att_serial_list_text(list, sizeof list);
		say(why, why_len, "no serial port %s (is the board plugged in?); %s", path, list);
		return ATT_ERR_NO_PORT;
	case EACCES:
	case EPERM:
		say(why, why_len,
		    "no permission to open %s: add yourself to the dialout group "
		    "(sudo usermod -aG dialout $USER) and log in again",
		    path);
		return ATT_ERR_PERMISSION;
	case EBUSY:
	case EWOULDBLOCK:
		say(why, why_len,
		    "%s is in use by another program (another attune, the Arduino IDE's "
		    "serial monitor, ModemManager?); close it and try again",
		    path);
		return ATT_ERR_BUSY;
	case ENOTTY:
	case EINVAL:
		say(why, why_len, "%s is not a serial port", path);
		return ATT_ERR_UNSUPPORTED;
	default:
		say(why, why_len, "cannot open %s: %s", path, strerror(e));
		return ATT_ERR_IO;
	}
}

/* Exclusive use: flock works for everyone (also root, whom TIOCEXCL does not stop); TIOCEXCL
 * additionally keeps out programs that do not flock (terminal programs, ModemManager). */
static int claim(int fd, const char *path, char *why, size_t why_len)
{
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		return open_error(errno == EWOULDBLOCK ? EBUSY : errno, path, why, why_len);
	(void)ioctl(fd, TIOCEXCL);
	return ATT_OK;
}

static int open_termios(struct att_serial_port *p, const char *path, const char *real, char *why,
                        size_t why_len)
{
	struct termios tio;
	int err;

	p->fd = open(real, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->fd < 0)
		return open_error(errno, path, why, why_len);
	err = claim(p->fd, path, why, why_len);
	if (err)
		return err;
	if (tcgetattr(p->fd, &tio) != 0)
		return open_error(errno, path, why, why_len);
	cfmakeraw(&tio);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, B115200);
	cfsetospeed(&tio, B115200);
	if (tcsetattr(p->fd, TCSANOW, &tio) != 0)
		return open_error(errno, path, why, why_len);
	return ATT_OK;
}

static int open_lsp(struct att_serial_port *p, const char *path, const char *real, char *why,
                    size_t why_len)
{
	enum sp_return r;
	int err;

	r = sp_get_port_by_name(real, &p->sp);
	if (r != SP_OK) {
		p->sp = NULL;
		if (r == SP_ERR_MEM)
			return ATT_ERR_NOMEM;
		/* libserialport knows only ports with a /sys/class/tty entry */
		say(why, why_len,
		    "%s is not a serial port libserialport knows (no /sys/class/tty "
		    "entry); pick one that attune ports lists",
		    path);
		return ATT_ERR_UNSUPPORTED;
	}
	errno = 0;
	r = sp_open(p->sp, SP_MODE_READ_WRITE);
	if (r != SP_OK) {
		int e = sp_last_error_code();
		if (e == ENOTTY && att_serial_is_pty(real)) {
			say(why, why_len,
			    "%s is a pseudo-terminal, which libserialport cannot open; "
			    "unset ATTUNE_SERIAL_BACKEND",
			    path);
			return ATT_ERR_UNSUPPORTED;
		}
		return open_error(e ? e : EIO, path, why, why_len);
	}
	if (sp_get_port_handle(p->sp, &p->fd) != SP_OK) {
		say(why, why_len, "cannot get the handle of %s", path);
		return ATT_ERR_IO;
	}
	err = claim(p->fd, path, why, why_len);
	if (err)
		return err;
	if (sp_set_baudrate(p->sp, (int)ATT_WIRE_BAUD) != SP_OK || sp_set_bits(p->sp, 8) != SP_OK ||
	    sp_set_parity(p->sp, SP_PARITY_NONE) != SP_OK || sp_set_stopbits(p->sp, 1) != SP_OK ||
	    sp_set_flowcontrol(p->sp, SP_FLOWCONTROL_NONE) != SP_OK ||
	    sp_set_dtr(p->sp, SP_DTR_ON) != SP_OK || sp_set_rts(p->sp, SP_RTS_ON) != SP_OK) {
		int e = sp_last_error_code();
		say(why, why_len, "cannot set %s to 115200 8N1: %s", path, strerror(e ? e : EIO));
		return ATT_ERR_IO;
	}
	return ATT_OK;
}

static enum att_serial_backend pick(enum att_serial_backend want, const char *real)
{
	const char *env;
	if (want != ATT_SERIAL_AUTO)
		return want;
	env = getenv("ATTUNE_SERIAL_BACKEND");
	if (env && strcmp(env, "libserialport") == 0)
		return ATT_SERIAL_LIBSERIALPORT;
	if (env && strcmp(env, "termios") == 0)
		return ATT_SERIAL_TERMIOS;
	return att_serial_is_pty(real) ? ATT_SERIAL_TERMIOS : ATT_SERIAL_LIBSERIALPORT;
}

int att_serial_port_open(const char *path, enum att_serial_backend backend,
                         struct att_serial_port **out, char *why, size_t why_len)
{
	struct att_serial_port *p;
	struct stat st;
	char real[PATH_MAX];
	int err;

	if (why && why_len)
		why[0] = 0;
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!path || !path[0]) {
		say(why, why_len, "no serial port given");
		return ATT_ERR_ARG;
	}
	if (stat(path, &st) != 0)
		return open_error(errno, path, why, why_len);
	if (!S_ISCHR(st.st_mode)) {
		say(why, why_len, "%s is not a serial port (not a character device)", path);
		return ATT_ERR_UNSUPPORTED;
	}
	if (!realpath(path, real))
		return open_error(errno, path, why, why_len);
	p = calloc(1, sizeof *p);
	if (!p)
		return ATT_ERR_NOMEM;
	p->fd = -1;
	p->backend = pick(backend, real);
	if (p->backend == ATT_SERIAL_LIBSERIALPORT)
		err = open_lsp(p, path, real, why, why_len);
	else
		err = open_termios(p, path, real, why, why_len);
	if (err != ATT_OK) {
		att_serial_port_close(p);
		return err;
	}
	*out = p;
	return ATT_OK;
}

void att_serial_port_close(struct att_serial_port *p)
{
	if (!p)
		return;
	if (p->sp) {
		/* sp_close closes the fd; the flock goes with it */
		sp_close(p->sp);
		sp_free_port(p->sp);
	} else if (p->fd >= 0) {
		close(p->fd);
	}
	free(p);
}

enum att_serial_backend att_serial_port_backend(const struct att_serial_port *p)
{
	return p->backend;
}

int att_serial_port_flush_input(struct att_serial_port *p)
{
	if (p->sp)
		return sp_flush(p->sp, SP_BUF_INPUT) == SP_OK ? ATT_OK : ATT_ERR_IO;
	return tcflush(p->fd, TCIFLUSH) == 0 ? ATT_OK : ATT_ERR_IO;
}

int att_serial_port_read(struct att_serial_port *p, uint8_t *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	ssize_t r;
	int n;

	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : ATT_ERR_IO;
	if (n == 0)
		return 0;
	if (!(pfd.revents & POLLIN))
		return (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) ? ATT_ERR_DISCONNECTED : 0;
	if (p->sp) {
		enum sp_return sr = sp_nonblocking_read(p->sp, buf, len);
		if (sr > 0)
			return (int)sr;
		if (sr == 0)
			return (pfd.revents & POLLHUP) ? ATT_ERR_DISCONNECTED : 0;
		errno = sp_last_error_code();
		r = -1;
	} else {
		r = read(p->fd, buf, len);
		if (r > 0)
			return (int)r;
		if (r == 0)
			return ATT_ERR_DISCONNECTED; /* readable but nothing: end of file */
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return (errno == EIO || errno == ENXIO || errno == ENODEV) ? ATT_ERR_DISCONNECTED
	                                                           : ATT_ERR_IO;
}

int att_serial_port_write(struct att_serial_port *p, const uint8_t *buf, size_t len, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	size_t done = 0;

	while (done < len) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};
		int64_t left = deadline - mono_ms();
		ssize_t w;
		if (left < 0)
			return ATT_ERR_TIMEOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return ATT_ERR_IO;
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			return ATT_ERR_DISCONNECTED;
		if (!(pfd.revents & POLLOUT))
			continue;
		if (p->sp) {
			enum sp_return sr = sp_nonblocking_write(p->sp, buf + done, len - done);
			if (sr < 0) {
				errno = sp_last_error_code();
				w = -1;
			} else {
				w = sr;
			}
		} else {
			w = write(p->fd, buf + done, len - done);
		}
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return (errno == EIO || errno == ENXIO) ? ATT_ERR_DISCONNECTED : ATT_ERR_IO;
		}
		done += (size_t)w;
	}
	return ATT_OK;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct att_serial_port_info *)a)->path,
	              ((const struct att_serial_port_info *)b)->path);
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

int att_serial_list(struct att_serial_port_info *out, size_t max, size_t *n)
{
	struct sp_port **list = NULL;
	size_t k = 0;

	if (!n || (!out && max))
		return ATT_ERR_ARG;
	*n = 0;
	if (sp_list_ports(&list) != SP_OK)
		return ATT_ERR_IO;
	for (size_t i = 0; list[i] && k < max; i++) {
		struct att_serial_port_info *o = &out[k++];
		memset(o, 0, sizeof *o);
		copy(o->path, sizeof o->path, sp_get_port_name(list[i]));
		copy(o->description, sizeof o->description, sp_get_port_description(list[i]));
		if (sp_get_port_transport(list[i]) == SP_TRANSPORT_USB) {
			o->usb = 1;
			if (sp_get_port_usb_vid_pid(list[i], &o->vid, &o->pid) != SP_OK)
				o->vid = o->pid = 0;
			copy(o->manufacturer, sizeof o->manufacturer,
			     sp_get_port_usb_manufacturer(list[i]));
			copy(o->product, sizeof o->product, sp_get_port_usb_product(list[i]));
		}
	}
	sp_free_port_list(list);
	qsort(out, k, sizeof *out, by_path);
	*n = k;
	return ATT_OK;
}
