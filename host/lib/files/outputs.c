/* Where attune may write (outputs.h). */
#include "attune/outputs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const att_session_exts[] = {".attraw", ".edf", ".csv", ".json", ".timeline.csv", NULL};

int att_session_taken(const char *base, char *which, size_t which_len)
{
	char path[4200];
	struct stat st;

	for (size_t k = 0; att_session_exts[k]; k++) {
		snprintf(path, sizeof path, "%s%s", base, att_session_exts[k]);
		if (lstat(path, &st) == 0) { /* a dangling symlink takes the name too */
			if (which && which_len)
				snprintf(which, which_len, "%s", path);
			return 1;
		}
	}
	return 0;
}

int att_session_free_name(const char *base, char *out, size_t out_len)
{
	for (int k = 1; k < 10000; k++) {
		int n = k == 1 ? snprintf(out, out_len, "%s", base)
		               : snprintf(out, out_len, "%s-%d", base, k);
		if (n < 0 || (size_t)n >= out_len)
			return ATT_ERR_ARG;
		if (!att_session_taken(out, NULL, 0))
			return ATT_OK;
	}
	return ATT_ERR_EXISTS;
}

int att_session_claim(const char *base, int force, char *why, size_t why_len)
{
	char path[4200];

	if (!att_session_taken(base, path, sizeof path))
		return ATT_OK;
	if (!force)
		return att_fail(why, why_len, ATT_ERR_EXISTS,
		                "%.300s exists: that session is kept; choose another name, or add "
		                "--force to replace it",
		                path);
	for (size_t k = 0; att_session_exts[k]; k++) {
		snprintf(path, sizeof path, "%s%s", base, att_session_exts[k]);
		if (unlink(path) != 0 && errno != ENOENT)
			return att_fail(why, why_len, att_err_from_errno(errno),
			                "cannot replace %.300s: %s", path, strerror(errno));
	}
	return ATT_OK;
}

int att_output_check(const char *path, const char *const *inputs, size_t n, int force, char *why,
                     size_t why_len)
{
	struct stat out, in;

	if (stat(path, &out) != 0)
		return lstat(path, &out) == 0 && !force
		               ? att_fail(why, why_len, ATT_ERR_EXISTS,
		                          "%.300s is a link to nowhere; add --force to replace it",
		                          path)
		               : ATT_OK;
	if (S_ISDIR(out.st_mode))
		return att_fail(why, why_len, ATT_ERR_ARG, "%.300s is a folder; give a file name",
		                path);
	for (size_t k = 0; k < n; k++)
		if (inputs[k] && stat(inputs[k], &in) == 0 && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino)
			return att_fail(
			        why, why_len, ATT_ERR_EXISTS,
			        "%.300s is the input: writing it would destroy it; give another "
			        "file name",
			        path);
	if (!force)
		return att_fail(
		        why, why_len, ATT_ERR_EXISTS,
		        "%.300s exists: it is kept; give another file name, or add --force to "
		        "replace it",
		        path);
	return ATT_OK;
}
