/* Sentences for enum att_err: each says what went wrong and, where possible, what to do. */
#include "attune/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* The checkout's firmware folder (meson sets it), so a suggestion to flash works as printed. */
#ifndef ATT_FIRMWARE_DIR
#define ATT_FIRMWARE_DIR "firmware"
#endif

const char *att_strerror(int err)
{
	switch ((enum att_err)err) {
	case ATT_OK:
		return "success";
	case ATT_ERR_ARG:
		return "invalid argument";
	case ATT_ERR_NOMEM:
		return "out of memory";
	case ATT_ERR_IO:
		return "input/output error";
	case ATT_ERR_FORMAT:
		return "the data is not in the expected format";
	case ATT_ERR_NO_PORT:
		return "no such serial port: check the cable and run 'attune ports'";
	case ATT_ERR_PERMISSION:
		return "permission denied: for a serial port, add yourself to the 'dialout' group "
		       "(sudo usermod -aG dialout $USER) and log in again; for a file, pick a folder "
		       "you can write to";
	case ATT_ERR_BUSY:
		return "the port is busy: close the other program using it";
	case ATT_ERR_NOT_ATTUNE:
		return "the device does not answer like attune firmware: flash it (make -C " ATT_FIRMWARE_DIR
		       " flash PORT=its-port; needs avrdude) or pick another port ('attune ports')";
	case ATT_ERR_VERSION:
		return "the firmware speaks another protocol version: flash the firmware built "
		       "with this attune (make -C " ATT_FIRMWARE_DIR " flash PORT=its-port; needs "
		       "avrdude)";
	case ATT_ERR_TIMEOUT:
		return "timed out waiting for the device";
	case ATT_ERR_DISCONNECTED:
		return "the device was disconnected: check the USB cable";
	case ATT_ERR_UNSUPPORTED:
		return "not supported by this build or system";
	case ATT_ERR_DISK_FULL:
		return "no space left on the disk: free some space or record elsewhere";
	case ATT_ERR_NO_DATA:
		return "not enough data to compute this";
	case ATT_ERR_RANGE:
		return "value out of range";
	case ATT_ERR_DEVICE:
		return "the device refused the command";
	case ATT_ERR_EXISTS:
		return "the file already exists; choose another name, or --force to replace it";
	}
	return "unknown error";
}

int att_fail(char *why, size_t why_len, int err, const char *fmt, ...)
{
	if (why && why_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

int att_err_from_errno(int errno_value)
{
	switch (errno_value) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return ATT_ERR_DISK_FULL;
	case EACCES:
	case EPERM:
	case EROFS:
		return ATT_ERR_PERMISSION;
	default:
		return ATT_ERR_IO;
	}
}
