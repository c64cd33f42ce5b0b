/* Serial port backends for the serial source: open a device or a pseudo-terminal by path at
 * 115200 8N1 without flow control, read with a short timeout, write bytes, list the ports. The
 * bytes are the transport only: what is said to an attune device over it is in device.h.
 *
 * Two backends behind one opaque struct:
 *  - libserialport for real devices (USB CDC, FTDI/CH340 clones): what users plug in.
 *  - plain termios for pseudo-terminals (the simulated board's link): libserialport 0.1.1 cannot
 *    open a pty (sp_open fails on TIOCMGET with ENOTTY, and sp_get_port_by_name wants a /dev/x
 *    node with a /sys/class/tty entry).
 * AUTO picks termios when the path (symlinks resolved) is a pty slave, else libserialport. The
 * environment variable ATTUNE_SERIAL_BACKEND=libserialport|termios overrides AUTO, so the
 * libserialport path can be exercised against the simulated board (tests do it with an LD_PRELOAD
 * shim that answers the modem-line ioctls and the sysfs lookups on a pty).
 *
 * Main invariant: an open port is held exclusively (flock, plus TIOCEXCL for non-root users), so
 * two attune processes never read one device; every failure maps to one enum att_err and one line
 * a user can act on.
 *
 * Threads: a port belongs to one thread at a time; nothing here locks or keeps global state. */
#ifndef ATT_SERIAL_PORT_H
#define ATT_SERIAL_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "attune/err.h"

enum att_serial_backend {
	ATT_SERIAL_AUTO = 0, /* termios for a pty, libserialport otherwise (env may override) */
	ATT_SERIAL_LIBSERIALPORT, /* always libserialport */
	ATT_SERIAL_TERMIOS,       /* always plain termios */
};

struct att_serial_port;

/* 1 when path (after resolving symlinks) is a pseudo-terminal slave, else 0. Any thread. */
int att_serial_is_pty(const char *path);

/* Opens path at 115200 8N1, raw, no flow control, DTR/RTS asserted (which resets an Uno/Nano).
 * Input is not flushed: a first open calls att_serial_port_flush_input(), a reconnect keeps what
 * a device that kept running has sent meanwhile. *out is set to NULL first; caller closes with att_serial_port_close().
 * Errors, each with one line in why (may be NULL): ATT_ERR_NO_PORT (lists the ports that exist),
 * ATT_ERR_PERMISSION (dialout hint), ATT_ERR_BUSY (another program holds it), ATT_ERR_UNSUPPORTED
 * (not a serial port, e.g. /dev/null), ATT_ERR_IO, ATT_ERR_NOMEM, ATT_ERR_ARG. */
int att_serial_port_open(const char *path, enum att_serial_backend backend,
                         struct att_serial_port **out, char *why, size_t why_len);

/* Closes the port; NULL is a no-op. */
void att_serial_port_close(struct att_serial_port *p);

/* The backend actually in use. */
enum att_serial_backend att_serial_port_backend(const struct att_serial_port *p);

/* Waits at most timeout_ms for input and reads what is there (up to len bytes, buf borrowed).
 * Returns the byte count (0: nothing arrived in time), ATT_ERR_DISCONNECTED (the device went away:
 * hang-up, EIO, end of file) or ATT_ERR_IO. Never allocates. */
int att_serial_port_read(struct att_serial_port *p, uint8_t *buf, size_t len, int timeout_ms);

/* Writes all len bytes, waiting at most timeout_ms. ATT_OK, ATT_ERR_TIMEOUT,
 * ATT_ERR_DISCONNECTED or ATT_ERR_IO. */
int att_serial_port_write(struct att_serial_port *p, const uint8_t *buf, size_t len,
                          int timeout_ms);

/* Discards input received but not read yet (stale bytes from before the open). */
int att_serial_port_flush_input(struct att_serial_port *p);

/* One serial port of the system, as sp_list_ports() sees it. */
struct att_serial_port_info {
	char path[128];        /* e.g. /dev/ttyACM0 */
	char description[128]; /* libserialport's description, e.g. "Arduino Uno" */
	int usb;               /* 1 for a USB port: vid/pid/manufacturer/product are set */
	int vid, pid;
	char manufacturer[64];
	char product[64];
};

/* Fills up to max entries of out (borrowed) with the system's serial ports, sorted by path;
 * *n gets how many. ATT_OK, ATT_ERR_IO (the listing failed), ATT_ERR_ARG. Any thread. */
int att_serial_list(struct att_serial_port_info *out, size_t max, size_t *n);

/* Writes "the ports that exist: A, B" (or "no serial port is connected") into buf. */
void att_serial_list_text(char *buf, size_t len);

#endif
