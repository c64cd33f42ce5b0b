/* Error codes shared by every libattune module.
 * Functions that can fail return enum att_err: ATT_OK (0) or a negative code; a positive return
 * is a count. The library never prints: callers turn a code into a sentence with att_strerror(). */
#ifndef ATT_ERR_H
#define ATT_ERR_H

#include <stddef.h>

enum att_err {
	ATT_OK = 0,
	ATT_ERR_ARG = -1,           /* a caller passed an invalid argument */
	ATT_ERR_NOMEM = -2,         /* allocation failed */
	ATT_ERR_IO = -3,            /* read/write failed (errno may tell more) */
	ATT_ERR_FORMAT = -4,        /* input file or stream is not in the expected format */
	ATT_ERR_NO_PORT = -5,       /* the serial port does not exist */
	ATT_ERR_PERMISSION = -6,    /* no permission to open the port or file */
	ATT_ERR_BUSY = -7,          /* the port is in use by another program */
	ATT_ERR_NOT_ATTUNE = -8,    /* the device does not answer like attune firmware */
	ATT_ERR_VERSION = -9,       /* the firmware speaks another protocol version */
	ATT_ERR_TIMEOUT = -10,      /* nothing arrived in time */
	ATT_ERR_DISCONNECTED = -11, /* the device went away */
	ATT_ERR_UNSUPPORTED = -12,  /* not supported on this system or build */
	ATT_ERR_DISK_FULL = -13,    /* no space left on the device being written */
	ATT_ERR_NO_DATA = -14,      /* not enough data to compute the result */
	ATT_ERR_RANGE = -15,        /* a value is outside its allowed range */
	ATT_ERR_DEVICE = -16,       /* the device answered a command with an error */
	ATT_ERR_EXISTS = -17,       /* writing would replace a file that already exists */
};

/* A sentence a user can act on, for any value (unknown codes get a generic sentence).
 * Returns a static string; any thread. */
const char *att_strerror(int err);

/* Writes a one-line reason (printf format) into why (if why and why_len) and returns err, so a
 * failing function can `return att_fail(why, why_len, ATT_ERR_..., "...", ...)`. Any thread. */
int att_fail(char *why, size_t why_len, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* The att_err for a failed file operation's errno: full disk, permission, or plain I/O. */
int att_err_from_errno(int errno_value);

#endif
