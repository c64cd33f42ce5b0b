/* The practice database as the program uses it (practice_hook.h). */
#include "practice_hook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/outputs.h"
#include "attune/practice.h"

int att_app_db_path(const char *cmd, const char *given, char *buf, size_t len)
{
	if (given && given[0]) {
		if (snprintf(buf, len, "%s", given) < (int)len)
			return 0;
	} else if (att_practice_default_path(buf, len) == ATT_OK) {
		return 0;
	}
	fprintf(stderr,
	        "attune%s%s: no place for the practice database: set HOME or XDG_DATA_HOME, or "
	        "give --db PATH\n",
	        cmd ? " " : "", cmd ? cmd : "");
	return -1;
}

int64_t att_app_session_ended(const char *db, const char *base, char *line, size_t len)
{
	char path[4096], json[4096], why[600];
	struct att_practice *p = NULL;
	int64_t id = 0;
	int rc;

	if (db && db[0])
		snprintf(path, sizeof path, "%s", db);
	else if (att_practice_default_path(path, sizeof path) != ATT_OK) {
		snprintf(line, len, "not in the practice history: set HOME or XDG_DATA_HOME");
		return 0;
	}
	snprintf(json, sizeof json, "%s.json", base);
	rc = att_practice_open(path, &p, why, sizeof why);
	if (rc == ATT_OK)
		rc = att_practice_add_session(p, json, &id, why, sizeof why);
	if (rc < 0) {
		snprintf(line, len, "not in the practice history: %s (attune history import adds it)",
		         why);
		att_practice_free(p);
		return 0;
	}
	/* the baseline is a bonus: a stranger's file that went away must not lose the session */
	if (rc == 1 && att_practice_update_pseudo(p, id, why, sizeof why) < 0)
		snprintf(line, len, "in the practice history as session %lld (no baseline: %s)",
		         (long long)id, why);
	else
		snprintf(line, len, "in the practice history as session %lld", (long long)id);
	att_practice_free(p);
	return id;
}

int64_t att_app_now(void)
{
	const char *env = getenv("ATTUNE_NOW");
	struct tm tm = {0};
	char *end;

	if (env && env[0]) {
		long long t = strtoll(env, &end, 10);
		if (!*end)
			return t;
		end = strptime(env, "%Y-%m-%dT%H:%M:%S", &tm);
		if (end && (!*end || !strcmp(end, "Z")))
			return (int64_t)timegm(&tm);
	}
	return (int64_t)time(NULL);
}

int att_app_session_base(const char *couple, char *base, size_t len, char *why, size_t why_len)
{
	char dir[500], want[600], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if ((rc = att_practice_sessions_dir(couple, dir, sizeof dir, why, why_len)))
		return rc;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d-%H%M", &tm);
	snprintf(want, sizeof want, "%s/%s", dir, stamp);
	if (att_session_free_name(want, base, len) != ATT_OK)
		return att_fail(why, why_len, ATT_ERR_EXISTS, "no free session name after %.300s",
		                want);
	return ATT_OK;
}
