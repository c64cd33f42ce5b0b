/* Command-line helpers shared by the subcommands, so every one words its usage errors alike. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attune/record_raw.h"
#include "attune/utf8.h"
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

/* Two names, each whole UTF-8 of at most NAME_MAX_BYTES: refused with one line, never cut. */
#define NAME_MAX_BYTES (ATT_RAW_LABEL_MAX - 1)
int att_arg_names(const char *val, char *buf, size_t len, const char **a, const char **b)
{
	const char *comma = strchr(val, ',');
	size_t la = comma ? (size_t)(comma - val) : 0, lb = comma ? strlen(comma + 1) : 0;

	if (!comma || strchr(comma + 1, ',') || !la || !lb) {
		fprintf(stderr, "attune: --names needs exactly two names with one comma between "
		                "them, e.g. --names Anna,Ben (a name cannot hold a comma)\n");
		return 2;
	}
	if (!att_utf8_valid(val)) {
		fprintf(stderr, "attune: --names is not valid UTF-8 text; check the terminal's "
		                "character encoding\n");
		return 2;
	}
	if (la > NAME_MAX_BYTES || lb > NAME_MAX_BYTES) {
		fprintf(stderr,
		        "attune: --names: a name can be up to %u bytes of UTF-8 (%u Latin letters, "
		        "%u Cyrillic, %u Chinese characters); '%.*s...' has %zu\n",
		        (unsigned)NAME_MAX_BYTES, (unsigned)NAME_MAX_BYTES,
		        (unsigned)NAME_MAX_BYTES / 2, (unsigned)NAME_MAX_BYTES / 3,
		        (int)att_utf8_fit(la > NAME_MAX_BYTES ? val : comma + 1, 25),
		        la > NAME_MAX_BYTES ? val : comma + 1, la > NAME_MAX_BYTES ? la : lb);
		return 2;
	}
	if (snprintf(buf, len, "%s", val) >= (int)len)
		return 2;
	buf[la] = 0;
	*a = buf;
	*b = buf + la + 1;
	return 0;
}
