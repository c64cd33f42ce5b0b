/* attune history: the practice across weeks from the practice database — list, JSON, a plot,
 * import of existing sessions, forgetting a couple, exporting a couple's sessions. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attune/outputs.h"
#include "attune/practice.h"
#include "attune/private_file.h"
#include "cmd.h"
#include "practice_hook.h"

struct history_opts {
	const char *db, *couple, *plot, *dir;
	int json, files, force;
	const char *verb; /* NULL (show), import, forget, export */
	const char **paths;
	int n_paths;
};

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune history [--couple NAME] [--json] [--plot OUT.png|OUT.pdf] [--db PATH]\n"
	        "       attune history import DIR... [--db PATH]\n"
	        "       attune history forget --couple NAME [--files] [--db PATH]\n"
	        "       attune history export --couple NAME DIR [--force] [--db PATH]\n"
	        "\n"
	        "The practice across weeks: every recorded session, per week the sessions, minutes\n"
	        "practised, median match and share of time together, and the streak of days.\n"
	        "  --couple NAME   one couple only (as listed, e.g. \"Ann & Ben\")\n"
	        "  --json          the history as JSON (README \"History JSON\")\n"
	        "  --plot OUT      the weeks drawn as PNG or PDF\n"
	        "  import DIR...   add the sessions (NAME.json) found in the folders; never twice\n"
	        "  forget          remove every row of the couple; --files also deletes its session\n"
	        "                  files\n"
	        "  export DIR      copy the couple's session files and history.csv into DIR\n"
	        "  --db PATH       the practice database (default $ATTUNE_DB, else\n"
	        "                  ~/.local/share/attune/attune.db)\n");
}

/* 0 ok, 2 usage (said), 3 help. */
static int parse(int argc, char **argv, struct history_opts *o)
{
	int i = 1;

	if (argc > 1 && (!strcmp(argv[1], "import") || !strcmp(argv[1], "forget") ||
	                 !strcmp(argv[1], "export")))
		o->verb = argv[i++];
	o->paths = calloc((size_t)argc, sizeof *o->paths);
	if (!o->paths)
		return 2;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 3;
		if (!strcmp(a, "--json") && !o->verb)
			o->json = 1;
		else if (!strcmp(a, "--files") && o->verb && !strcmp(o->verb, "forget"))
			o->files = 1;
		else if (!strcmp(a, "--force") && o->verb && !strcmp(o->verb, "export"))
			o->force = 1;
		else if (!strcmp(a, "--db") || !strcmp(a, "--couple") ||
		         (!strcmp(a, "--plot") && !o->verb)) {
			if (i + 1 >= argc)
				return att_usage_error("history", "%s needs a value", a);
			const char **to = !strcmp(a, "--db")       ? &o->db
			                  : !strcmp(a, "--couple") ? &o->couple
			                                           : &o->plot;
			*to = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			return att_usage_error("history", "unknown option '%s'", a);
		} else if (o->verb && strcmp(o->verb, "forget")) {
			o->paths[o->n_paths++] = a;
		} else {
			return att_usage_error("history", "unexpected '%s'", a);
		}
	}
	if (o->verb && !strcmp(o->verb, "import") && !o->n_paths)
		return att_usage_error("history", "import needs the folders to look in");
	if (o->verb && strcmp(o->verb, "import") && !o->couple)
		return att_usage_error("history", "%s needs --couple NAME (attune history lists them)",
		                       o->verb);
	if (o->verb && !strcmp(o->verb, "export") && o->n_paths != 1)
		return att_usage_error("history", "export needs one folder to copy into");
	return 0;
}

static void fmt_num(char *buf, size_t len, const char *fmt, double v)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "-");
}

/* s in a column of width characters: cut at a character boundary (never inside one), padded
 * with spaces; a character counts one, which suits the scripts of names but not CJK's
 * double-width ones. */
static const char *column(char *buf, size_t len, const char *s, size_t width)
{
	size_t used = 0, chars = 0;

	for (; *s && chars < width; chars++) {
		size_t k = 1;
		while (((unsigned char)s[k] & 0xc0) == 0x80)
			k++;
		if (used + k + 1 > len)
			break;
		memcpy(buf + used, s, k);
		used += k;
		s += k;
	}
	for (; chars < width && used + 2 <= len; chars++)
		buf[used++] = ' ';
	buf[used] = 0;
	return buf;
}

static void print_text(const struct att_history *h, const char *couple)
{
	if (!h->n_sessions) {
		printf("no sessions%s%s yet; recorded sessions join the history by themselves, "
		       "attune history import DIR adds older ones\n",
		       couple ? " of " : "", couple ? couple : "");
		return;
	}
	printf("%-5s %-16s %-22s %6s %-24s %8s %6s %8s\n", "id", "when", "couple", "min", "guide",
	       "together", "match", "strangers");
	for (size_t i = 0; i < h->n_sessions; i++) {
		const struct att_history_session *s = &h->sessions[i];
		char when[32], tog[16], match[16], pseudo[16], who[100], guide[100];
		time_t t = (time_t)s->start_unix;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		fmt_num(tog, sizeof tog, "%.0f %%", 100.0 * s->matched_fraction);
		fmt_num(match, sizeof match, "%.2f", s->match);
		fmt_num(pseudo, sizeof pseudo, "%.0f %%", 100.0 * s->pseudo_matched_fraction);
		printf("%-5lld %-16s %s %6.1f %s %8s %6s %8s\n", (long long)s->id, when,
		       column(who, sizeof who, s->couple, 22), s->duration_s / 60.0,
		       column(guide, sizeof guide, s->guide ? s->guide : "-", 24), tog, match,
		       pseudo);
	}
	printf("\n%-9s %8s %8s %6s %8s\n", "week", "sessions", "minutes", "match", "together");
	for (size_t i = 0; i < h->n_weeks; i++) {
		const struct att_history_week *w = &h->weeks[i];
		char tog[16], match[16];
		fmt_num(tog, sizeof tog, "%.0f %%", 100.0 * w->matched_fraction);
		fmt_num(match, sizeof match, "%.2f", w->match);
		printf("%-9s %8zu %8.0f %6s %8s\n", w->week, w->sessions, w->minutes, match, tog);
	}
	printf("\nstreak: %d day%s\n", h->streak_days, h->streak_days == 1 ? "" : "s");
}

/* Adds every NAME.json under dir (and its folders); counts what happened. */
static int import_dir(struct att_practice *p, const char *dir, int depth, int counts[3])
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "attune history: cannot read the folder %s: %s\n", dir,
		        strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096], why[600];
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, name);
		if (name[0] == '.' || stat(path, &st) != 0) {
			free(names[i]);
			continue;
		}
		if (S_ISDIR(st.st_mode) && depth < 8) {
			rc |= import_dir(p, path, depth + 1, counts);
		} else if (S_ISREG(st.st_mode) && len > 5 && !strcmp(name + len - 5, ".json") &&
		           !(len > 14 && !strcmp(name + len - 14, ".timeline.json"))) {
			int added = att_practice_add_session(p, path, NULL, why, sizeof why);
			if (added == ATT_ERR_FORMAT) {
				counts[2]++; /* another program's JSON in the same folder */
			} else if (added < 0) {
				fprintf(stderr, "attune history: %s\n", why);
				rc = 1;
			} else {
				counts[added ? 0 : 1]++;
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int cmd_import(struct att_practice *p, const struct history_opts *o)
{
	int counts[3] = {0}, rc = 0;

	for (int i = 0; i < o->n_paths; i++)
		rc |= import_dir(p, o->paths[i], 0, counts);
	printf("imported %d session%s, %d already in the history%s", counts[0],
	       counts[0] == 1 ? "" : "s", counts[1], counts[2] ? ", " : "\n");
	if (counts[2])
		printf("%d other JSON file%s left alone\n", counts[2], counts[2] == 1 ? "" : "s");
	return rc;
}

static int copy_file(const char *from, const char *to, int force)
{
	char why[600];
	const char *inputs[1] = {from};
	FILE *in, *out;
	char buf[1 << 16];
	size_t n;
	int fd, ok = 1;

	if (att_output_check(to, inputs, 1, force, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune history: %s\n", why);
		return 1;
	}
	if (!(in = fopen(from, "rb"))) {
		fprintf(stderr, "attune history: cannot read %s: %s (skipped)\n", from,
		        strerror(errno));
		return 0; /* a file moved away: the rest still copies */
	}
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	while (out && ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	ok = ok && out && !ferror(in) && fclose(out) == 0;
	if (!out && fd >= 0)
		close(fd);
	fclose(in);
	if (!ok)
		fprintf(stderr, "attune history: cannot write %s: %s\n", to, strerror(errno));
	return !ok;
}

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.6g", v);
	else
		fputs(",", f);
}

/* One quoted CSV text field (RFC 4180). */
static void csv_text(FILE *f, const char *s)
{
	fputs(",\"", f);
	for (; s && *s; s++)
		fputs(*s == '"' ? "\"\"" : (char[2]){*s, 0}, f);
	fputc('"', f);
}

static int write_history_csv(const struct att_history *h, const char *path, int force)
{
	char why[600];
	FILE *f;
	int fd;

	if (att_output_check(path, NULL, 0, force, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune history: %s\n", why);
		return 1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "attune history: cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	fputs("id,couple,start_time,duration_s,guide,match,matched_fraction,plv,"
	      "a_breath_rate_bpm,b_breath_rate_bpm,a_heart_rate_bpm,b_heart_rate_bpm,"
	      "resonance_bpm,pseudo_match,pseudo_matched_fraction,name\n",
	      f);
	for (size_t i = 0; i < h->n_sessions; i++) {
		const struct att_history_session *s = &h->sessions[i];
		const char *json = s->files[3], *slash = json ? strrchr(json, '/') : NULL;
		fprintf(f, "%lld", (long long)s->id);
		csv_text(f, s->couple);
		fprintf(f, ",%s", s->start_time);
		csv_num(f, s->duration_s);
		csv_text(f, s->guide ? s->guide : "");
		const double v[] = {s->match,           s->matched_fraction,  s->plv,
		                    s->a_breath_rate_bpm, s->b_breath_rate_bpm, s->a_heart_rate_bpm,
		                    s->b_heart_rate_bpm, s->resonance_bpm,      s->pseudo_match,
		                    s->pseudo_matched_fraction};
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
			csv_num(f, v[k]);
		csv_text(f, slash ? slash + 1 : "");
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "attune history: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_export(const struct att_history *h, const struct history_opts *o)
{
	const char *dir = o->paths[0];
	char path[4400];
	int rc = 0, files = 0;

	if (!h->n_sessions) {
		fprintf(stderr, "attune history: no sessions of %s (attune history lists the couples)\n",
		        o->couple);
		return 1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "attune history: cannot make the folder %s: %s\n", dir,
		        strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < h->n_sessions && !rc; i++)
		for (int k = 0; k < ATT_HISTORY_FILES && !rc; k++) {
			const char *from = h->sessions[i].files[k];
			if (!from)
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, strrchr(from, '/') + 1);
			rc = copy_file(from, path, o->force);
			files += !rc;
		}
	snprintf(path, sizeof path, "%s/history.csv", dir);
	if (!rc)
		rc = write_history_csv(h, path, o->force);
	if (!rc)
		printf("copied %d files of %zu sessions and history.csv into %s\n", files,
		       h->n_sessions, dir);
	return rc;
}

#ifdef ATT_HAVE_REPORT
#include "attune/history_plot.h"
#endif

static int cmd_show(const struct att_history *h, const struct history_opts *o)
{
	if (o->plot) {
#ifdef ATT_HAVE_REPORT
		char why[600];
		if (att_output_check(o->plot, NULL, 0, 1, why, sizeof why) != ATT_OK ||
		    att_history_plot(h, o->plot, why, sizeof why) != ATT_OK) {
			fprintf(stderr, "attune history: %s\n", why);
			return 1;
		}
		printf("wrote %s\n", o->plot);
#else
		fprintf(stderr, "attune history: this attune was built without cairo: no --plot\n");
		return 1;
#endif
	}
	if (o->json) {
		if (att_history_write_json(h, stdout, 2) != ATT_OK) {
			fprintf(stderr, "attune history: cannot write the JSON\n");
			return 1;
		}
	} else if (!o->plot) {
		print_text(h, o->couple);
	}
	return 0;
}

int att_cmd_history(int argc, char **argv)
{
	struct history_opts o = {0};
	struct att_practice *p = NULL;
	struct att_history *h = NULL;
	char path[4096], why[600];
	int rc = parse(argc, argv, &o);

	if (rc == 3)
		usage(stdout);
	if (rc)
		goto out;
	if (att_app_db_path("history", o.db, path, sizeof path)) {
		rc = 1;
		goto out;
	}
	if (att_practice_open(path, &p, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune history: %s\n", why);
		rc = 1;
		goto out;
	}
	if (o.verb && !strcmp(o.verb, "import")) {
		rc = cmd_import(p, &o);
		goto out;
	}
	if (o.verb && !strcmp(o.verb, "forget")) {
		int n = att_practice_forget(p, o.couple, o.files, why, sizeof why);
		if (n < 0)
			fprintf(stderr, "attune history: %s\n", why);
		else if (n == 0 && !o.files)
			printf("nothing to forget: no couple named %s\n", o.couple);
		else
			printf("forgot %s: %d session%s%s\n", o.couple, n, n == 1 ? "" : "s",
			       o.files ? " and their files" : " (their files are kept)");
		rc = n < 0;
		goto out;
	}
	if (att_practice_history(p, o.couple, att_app_now(), &h, why, sizeof why) != ATT_OK) {
		fprintf(stderr, "attune history: %s\n", why);
		rc = 1;
		goto out;
	}
	rc = o.verb ? cmd_export(h, &o) : cmd_show(h, &o);
out:
	rc = rc == 3 ? 0 : rc;
	att_history_free(h);
	att_practice_free(p);
	free(o.paths);
	return rc;
}
