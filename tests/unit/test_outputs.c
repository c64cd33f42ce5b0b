/* Where attune may write: a session name is taken by any of its files, the next free name skips
 * taken ones, claiming refuses or (forced) clears, and no output may be its own input, whatever
 * the path that names it. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "attune/outputs.h"

static char dir[] = "/tmp/attune-outputs-XXXXXX";

static void touch(const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
}

static void names(void)
{
	char base[256], out[300], which[300], why[400];

	snprintf(base, sizeof base, "%s/s", dir);
	CHECK(!att_session_taken(base, which, sizeof which));
	touch("s.timeline.csv"); /* any one file takes the name */
	CHECK(att_session_taken(base, which, sizeof which) && strstr(which, "s.timeline.csv"));
	touch("s-2.json");
	CHECK(att_session_free_name(base, out, sizeof out) == ATT_OK);
	CHECK(!strcmp(out + strlen(dir), "/s-3"));
	CHECK(att_session_claim(base, 0, why, sizeof why) == ATT_ERR_EXISTS);
	CHECK(strstr(why, "s.timeline.csv") && strstr(why, "--force"));
	CHECK(att_session_claim(base, 1, why, sizeof why) == ATT_OK);
	CHECK(!att_session_taken(base, NULL, 0));
	CHECK(att_session_free_name(base, out, 4) == ATT_ERR_ARG);
}

static void outputs(void)
{
	char in[256], link_in[256], hard[256], other[256], why[400];
	const char *inputs[1] = {in};

	snprintf(in, sizeof in, "%s/in.csv", dir);
	snprintf(link_in, sizeof link_in, "%s/link.csv", dir);
	snprintf(hard, sizeof hard, "%s/hard.csv", dir);
	snprintf(other, sizeof other, "%s/other.csv", dir);
	touch("in.csv");
	CHECK(symlink(in, link_in) == 0 && link(in, hard) == 0);
	CHECK(att_output_check(other, inputs, 1, 0, why, sizeof why) == ATT_OK);
	touch("other.csv");
	CHECK(att_output_check(other, inputs, 1, 0, why, sizeof why) == ATT_ERR_EXISTS);
	CHECK(att_output_check(other, inputs, 1, 1, why, sizeof why) == ATT_OK);
	/* the input under any name: never, not even forced */
	CHECK(att_output_check(in, inputs, 1, 1, why, sizeof why) == ATT_ERR_EXISTS);
	CHECK(att_output_check(link_in, inputs, 1, 1, why, sizeof why) == ATT_ERR_EXISTS);
	CHECK(att_output_check(hard, inputs, 1, 1, why, sizeof why) == ATT_ERR_EXISTS);
	CHECK(strstr(why, "input") != NULL);
	CHECK(att_output_check(dir, inputs, 1, 1, why, sizeof why) == ATT_ERR_ARG);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	names();
	outputs();
	if (!att_check_failures) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return att_check_done("outputs");
}
