/* Private session files (private_file.h). */
#include "attune/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int att_private_temp(const char *path, char *tmp, size_t tmp_len, char *why, size_t why_len)
{
	int fd;

	if (!path || !tmp || snprintf(tmp, tmp_len, "%s.XXXXXX", path) >= (int)tmp_len)
		return att_fail(why, why_len, ATT_ERR_ARG, "path too long: %.300s", path);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600: a umask only takes bits away */
	if (fd < 0)
		return att_fail(why, why_len, att_err_from_errno(errno), "cannot write %.300s: %s",
		                path, strerror(errno));
	return fd;
}

int att_private_commit(const char *tmp, const char *path, char *why, size_t why_len)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC), e = 0;

	if (fd < 0 || fsync(fd) != 0)
		e = errno;
	if (fd >= 0)
		close(fd);
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (!e)
		return ATT_OK;
	unlink(tmp);
	return att_fail(why, why_len, att_err_from_errno(e), "cannot write %.300s: %s", path,
	                strerror(e));
}
