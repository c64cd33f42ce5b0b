/* attune journal: reflections written after a session, kept in the practice database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/json.h"
#include "attune/practice.h"
#include "attune/utf8.h"
#include "cmd.h"
#include "practice_hook.h"

#define JOURNAL_TEXT_MAX (64 * 1024) /* a page of reflection, not a novel */

static void usage(FILE *to)
{
	fprintf(to, "usage: attune journal add --session ID|latest (--text T | -) [--db PATH]\n"
	            "       attune journal list [--couple NAME] [--json] [--db PATH]\n"
	            "\n"
	            "A few words after a session: what you noticed in your body and in each other.\n"
	            "  add --session ID|latest   the session (attune history shows the ids)\n"
	            "      --text T | -          the entry, or - to read it from stdin (UTF-8)\n"
	            "  list                      every entry, oldest first, with its session\n"
	            "  --db PATH                 the practice database (default $ATTUNE_DB, else\n"
	            "                            ~/.local/share/attune/attune.db)\n");
}

/* stdin as one NUL-terminated string without its trailing newlines; NULL after a line. */
static char *read_stdin(void)
{
	char *buf = malloc(JOURNAL_TEXT_MAX + 1);
	size_t n = buf ? fread(buf, 1, JOURNAL_TEXT_MAX + 1, stdin) : 0;

	if (!buf) {
		fprintf(stderr, "attune journal: out of memory\n");
		return NULL;
	}
	if (n > JOURNAL_TEXT_MAX) {
		fprintf(stderr, "attune journal: an entry can be up to %d kB\n", JOURNAL_TEXT_MAX / 1024);
		free(buf);
		return NULL;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = 0;
	return buf;
}

static int add(struct att_practice *p, const char *session, const char *text)
{
	char why[600], *end, *owned = NULL;
	int64_t id = 0;
	int rc;

	if (!strcmp(session, "latest")) {
		if (att_practice_latest_session(p, NULL, &id, why, sizeof why) != ATT_OK) {
			fprintf(stderr, "attune journal: %s\n", why);
			return 1;
		}
		if (!id) {
			fprintf(stderr, "attune journal: no session in the history yet; record one "
			                "first\n");
			return 1;
		}
	} else {
		id = strtoll(session, &end, 10);
		if (*end || id <= 0)
			return att_usage_error("journal", "--session takes a session id or 'latest', "
			                                  "not '%s'",
			                       session);
	}
	if (!strcmp(text, "-") && !(text = owned = read_stdin()))
		return 1;
	if (!att_utf8_valid(text)) {
		fprintf(stderr, "attune journal: the text is not valid UTF-8; check the terminal's "
		                "character encoding\n");
		free(owned);
		return 1;
	}
	rc = att_practice_journal_add(p, id, att_app_now(), text, why, sizeof why);
	free(owned);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune journal: %s\n", why);
		return 1;
	}
	printf("added to the journal of session %lld\n", (long long)id);
	return 0;
}

static int list(struct att_practice *p, const char *couple, int json)
{
	struct att_history *h;
	struct att_json *j = NULL;
	char why[600];
	int rc;

	if (att_practice_history(p, couple, att_app_now(), &h, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune journal: %s\n", why);
		return 1;
	}
	if (json && att_json_new(&(struct att_json_cfg){.out = stdout, .indent = 2}, &j) == ATT_OK)
		att_json_array_begin(j, NULL);
	for (size_t i = 0; i < h->n_journal; i++) {
		const struct att_history_journal *e = &h->journal[i];
		const char *who = "";
		char when[32];
		time_t t = (time_t)e->t_unix;
		struct tm tm;
		for (size_t k = 0; k < h->n_sessions; k++)
			if (h->sessions[k].id == e->session_id)
				who = h->sessions[k].couple;
		if (j) {
			gmtime_r(&t, &tm);
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
			att_json_object_begin(j, NULL);
			att_json_int(j, "session", e->session_id);
			att_json_string(j, "couple", who);
			att_json_string(j, "t", when);
			att_json_string(j, "text", e->text);
			att_json_object_end(j);
		} else {
			localtime_r(&t, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
			printf("%s  session %lld  %s\n  %s\n", when, (long long)e->session_id, who,
			       e->text);
		}
	}
	if (j) {
		att_json_array_end(j);
		att_json_end_line(j);
		rc = att_json_error(j);
		att_json_free(j);
	} else {
		rc = json ? ATT_ERR_NOMEM : ATT_OK;
		if (!json && !h->n_journal)
			printf("no journal entries yet\n");
	}
	att_history_free(h);
	return rc != ATT_OK;
}

int att_cmd_journal(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL, *session = NULL, *text = NULL, *db = NULL;
	const char *couple = NULL;
	struct att_practice *p = NULL;
	char path[4096], why[600];
	int json = 0, rc;

	if (verb && (!strcmp(verb, "--help") || !strcmp(verb, "-h"))) {
		usage(stdout);
		return 0;
	}
	if (!verb || (strcmp(verb, "add") && strcmp(verb, "list")))
		return att_usage_error("journal", "say add or list");
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char **to = !strcmp(a, "--session") ? &session
		                  : !strcmp(a, "--text")  ? &text
		                  : !strcmp(a, "--db")    ? &db
		                  : !strcmp(a, "--couple") ? &couple
		                                           : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "-") && !strcmp(verb, "add")) {
			text = "-";
		} else if (!to) {
			return att_usage_error("journal", "unknown option '%s'", a);
		} else if (i + 1 >= argc) {
			return att_usage_error("journal", "%s needs a value", a);
		} else {
			*to = argv[++i];
		}
	}
	if (!strcmp(verb, "add") && (!session || !text))
		return att_usage_error("journal", "add needs --session ID|latest and --text T (or - "
		                                  "to read stdin)");
	if (att_app_db_path("journal", db, path, sizeof path))
		return 1;
	if (att_practice_open(path, &p, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune journal: %s\n", why);
		return 1;
	}
	rc = !strcmp(verb, "add") ? add(p, session, text) : list(p, couple, json);
	att_practice_free(p);
	return rc;
}
