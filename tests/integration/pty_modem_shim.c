/* Test-only LD_PRELOAD shim: lets libserialport 0.1.1 open a pseudo-terminal, so the integration
 * tests drive attune's libserialport backend against the real firmware in the simulated board.
 *
 * Why a shim and not a patched library or a kernel tty0tty module: the tests must run unprivileged
 * in CI with the distribution's libserialport, and what stops libserialport on a pty is narrow:
 *  - sp_get_port_by_name() lstat()s and readlink()s /sys/class/tty/<name>, which a pty lacks: we
 *    answer for /sys/class/tty/pts/N with a symlink to a virtual tty device (transport native);
 *  - sp_open() reads the modem lines with TIOCMGET (and sets DTR/RTS with TIOCMBIS/TIOCMBIC/
 *    TIOCMSET), which a pty refuses with ENOTTY: we keep the modem bits of pty fds here.
 * (libserialport 0.1.1 reaches lstat through glibc's old __lxstat symbol.) Everything else goes to the real libc functions. When ATTUNE_SHIM_LOG names a file, each answer
 * appends one line to it, so a test can prove the libserialport path really ran.
 *
 * The modem bits are one process-wide word (test code; a pty has no lines to keep apart). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* lstat and lstat64 are defined here separately: no redirection of one to the other */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#define SYS_PTS "/sys/class/tty/pts/"

static int modem_bits = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CD;

static void note(const char *what)
{
	const char *path = getenv("ATTUNE_SHIM_LOG");
	int fd;
	if (!path || !path[0])
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, what, strlen(what)) < 0) {
		/* nothing to do: the log is only a witness */
	}
	close(fd);
}

static int is_pty_fd(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode))
		return 0;
	return major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143;
}

int ioctl(int fd, unsigned long request, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if ((request == TIOCMGET || request == TIOCMSET || request == TIOCMBIS ||
	     request == TIOCMBIC) &&
	    is_pty_fd(fd)) {
		int *bits = arg;
		if (request == TIOCMGET) {
			*bits = modem_bits;
			note("TIOCMGET\n");
		} else if (request == TIOCMSET) {
			modem_bits = *bits;
			note("TIOCMSET\n");
		} else if (request == TIOCMBIS) {
			modem_bits |= *bits;
			note("TIOCMBIS\n");
		} else {
			modem_bits &= ~*bits;
			note("TIOCMBIC\n");
		}
		return 0;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "ioctl");
	return real(fd, request, arg);
}

static int fake_sys_entry(const char *path, struct stat *st)
{
	if (strncmp(path, SYS_PTS, strlen(SYS_PTS)) != 0 || strchr(path + strlen(SYS_PTS), '/'))
		return 0;
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFLNK | 0777;
	note("lstat sysfs\n");
	return 1;
}

int lstat(const char *restrict path, struct stat *restrict st)
{
	static int (*real)(const char *, struct stat *);
	if (fake_sys_entry(path, st))
		return 0;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "lstat");
	return real(path, st);
}

int lstat64(const char *restrict path, struct stat64 *restrict st)
{
	static int (*real)(const char *, struct stat64 *);
	if (strncmp(path, SYS_PTS, strlen(SYS_PTS)) == 0 && !strchr(path + strlen(SYS_PTS), '/')) {
		memset(st, 0, sizeof *st);
		st->st_mode = S_IFLNK | 0777;
		note("lstat64 sysfs\n");
		return 0;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "lstat64");
	return real(path, st);
}

/* libserialport 0.1.1 was built against glibc's old stat ABI: it calls __lxstat. */
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st)
{
	static int (*real)(int, const char *, struct stat *);
	if (fake_sys_entry(path, st))
		return 0;
	if (!real)
		*(void **)&real = dlvsym(RTLD_NEXT, "__lxstat", "GLIBC_2.2.5");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(ver, path, st);
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t len)
{
	static ssize_t (*real)(const char *, char *, size_t);
	if (strncmp(path, SYS_PTS, strlen(SYS_PTS)) == 0 && !strchr(path + strlen(SYS_PTS), '/')) {
		/* what a virtual tty's sysfs link looks like: no "usb", no "bluetooth" = native */
		int n = snprintf(buf, len, "../../devices/virtual/tty/pts%s",
		                 path + strlen(SYS_PTS));
		note("readlink sysfs\n");
		return n < 0 ? -1 : (ssize_t)((size_t)n < len ? (size_t)n : len);
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "readlink");
	return real(path, buf, len);
}
