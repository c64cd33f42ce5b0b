/* Command-line helpers shared by the subcommands, so every one words its usage errors alike. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

int att_arg_number(const char *cmd, const char *opt, const char *value, double lo, double hi,
                   double *out)
{
	char *end;
	double v;

	/* decimal only: strtod would also take "0x10" (16), "inf" or "1e3" spelled oddly */
	int decimal = value && value[0] && strspn(value, "0123456789.+-eE") == strlen(value);
	errno = 0;
	v = decimal ? strtod(value, &end) : 0.0;
	if (!decimal || end == value || *end || errno || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "attune%s%s: %s needs a number from %g to %g, not '%s'\n",
		        cmd ? " " : "", cmd ? cmd : "", opt, lo, hi, value ? value : "");
		return -1;
	}
	*out = v;
	return 0;
}

int att_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "attune %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'attune %s --help'\n", cmd);
	return 2;
}

int att_stderr_mute(void)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (saved >= 0 && null >= 0)
		dup2(null, 2);
	if (null >= 0)
		close(null);
	return saved;
}

void att_stderr_restore(int saved)
{
	if (saved < 0)
		return;
	dup2(saved, 2);
	close(saved);
}
