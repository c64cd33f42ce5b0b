/* The practice database (practice.h): schema, migrations, adding sessions and journal entries,
 * forgetting a couple. Reading the history is history.c. */
#include "practice_db.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attune/pseudo.h"
#include "attune/utf8.h"

/* 'attn': marks the file as attune's, so another program's SQLite file is never migrated. */
#define APPLICATION_ID 0x6174746e
#define BUSY_TIMEOUT_MS 10000 /* another attune saving a long session hashes ~80 MB/hour */

/* Migration k takes a database from user_version k to k + 1: only add, never edit. */
static const char *const migrations[] = {
        "CREATE TABLE couples(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " a TEXT NOT NULL, b TEXT NOT NULL, created_unix INTEGER NOT NULL);"
        "CREATE TABLE sessions(id INTEGER PRIMARY KEY,"
        " couple_id INTEGER NOT NULL REFERENCES couples(id) ON DELETE CASCADE,"
        " start_time TEXT NOT NULL, start_unix INTEGER NOT NULL, samples INTEGER NOT NULL,"
        " duration_s REAL, guide TEXT, match REAL, matched_fraction REAL, plv REAL,"
        " a_breath_rate_bpm REAL, b_breath_rate_bpm REAL, a_heart_rate_bpm REAL,"
        " b_heart_rate_bpm REAL, resonance_bpm REAL, pseudo_match REAL,"
        " pseudo_matched_fraction REAL, summary TEXT NOT NULL, added_unix INTEGER NOT NULL,"
        " key TEXT NOT NULL UNIQUE);"
        "CREATE INDEX sessions_by_time ON sessions(couple_id, start_unix);"
        "CREATE TABLE phases(session_id INTEGER NOT NULL REFERENCES sessions(id)"
        " ON DELETE CASCADE, idx INTEGER NOT NULL, name TEXT NOT NULL, start_s REAL,"
        " end_s REAL, pacer_bpm REAL, match REAL, matched_fraction REAL, plv REAL,"
        " PRIMARY KEY(session_id, idx));"
        "CREATE TABLE files(session_id INTEGER NOT NULL REFERENCES sessions(id)"
        " ON DELETE CASCADE, kind TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,"
        " PRIMARY KEY(session_id, kind));"
        "CREATE TABLE journal(id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL"
        " REFERENCES sessions(id) ON DELETE CASCADE, t_unix INTEGER NOT NULL,"
        " text TEXT NOT NULL);"
        "CREATE INDEX journal_by_session ON journal(session_id);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

const char *const att_practice_file_kinds[ATT_HISTORY_FILES] = {"attraw", "edf", "csv", "json"};

int att_practice_db_fail(struct att_practice *p, char *why, size_t why_len, const char *doing)
{
	int code = sqlite3_extended_errcode(p->db) & 0xff;
	int err = code == SQLITE_BUSY || code == SQLITE_LOCKED ? ATT_ERR_BUSY
	          : code == SQLITE_FULL                          ? ATT_ERR_DISK_FULL
	          : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? ATT_ERR_FORMAT
	          : code == SQLITE_READONLY || code == SQLITE_PERM  ? ATT_ERR_PERMISSION
	          : code == SQLITE_NOMEM                           ? ATT_ERR_NOMEM
	                                                           : ATT_ERR_IO;
	const char *hint = err == ATT_ERR_BUSY ? " (another attune holds it; try again)"
	                   : err == ATT_ERR_FORMAT
	                           ? " (the file is damaged; it is left as it is: move it away "
	                             "or give --db another path)"
	                           : "";
	return att_fail(why, why_len, err, "practice database %.300s: cannot %s: %s%s", p->path,
	                doing, sqlite3_errmsg(p->db), hint);
}

int att_practice_exec(struct att_practice *p, const char *sql, char *why, size_t why_len,
                      const char *doing)
{
	if (sqlite3_exec(p->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return att_practice_db_fail(p, why, why_len, doing);
	return ATT_OK;
}

int att_practice_prepare(struct att_practice *p, const char *sql, sqlite3_stmt **st, char *why,
                         size_t why_len)
{
	if (sqlite3_prepare_v2(p->db, sql, -1, st, NULL) != SQLITE_OK)
		return att_practice_db_fail(p, why, why_len, "read it");
	return ATT_OK;
}

/* ---- paths ---- */

static int data_home(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/attune", xdg);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.local/share/attune", home);
	else
		return ATT_ERR_ARG;
	return n > 0 && (size_t)n < len ? ATT_OK : ATT_ERR_ARG;
}

int att_practice_default_path(char *buf, size_t len)
{
	const char *env = getenv("ATTUNE_DB");
	char dir[3072];

	if (env && env[0])
		return snprintf(buf, len, "%s", env) < (int)len ? ATT_OK : ATT_ERR_ARG;
	if (data_home(dir, sizeof dir))
		return ATT_ERR_ARG;
	return snprintf(buf, len, "%s/attune.db", dir) < (int)len ? ATT_OK : ATT_ERR_ARG;
}

/* mkdir -p with private folders; existing folders are left as they are. */
static int make_dirs(const char *path, char *why, size_t why_len)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof buf)
		return att_fail(why, why_len, ATT_ERR_ARG, "path too long: %.300s", path);
	memcpy(buf, path, n + 1);
	for (char *s = buf + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return att_fail(why, why_len, att_err_from_errno(errno),
				                "cannot make the folder %.300s: %s", buf, strerror(errno));
			*s = c;
			if (!c)
				break;
		}
	}
	return ATT_OK;
}

void att_practice_couple_name(const char *label_a, const char *label_b, char *buf, size_t len)
{
	char whole[2 * 4096 + 4];
	size_t n;

	if (!len)
		return;
	snprintf(whole, sizeof whole, "%s & %s", label_a && label_a[0] ? label_a : "A",
	         label_b && label_b[0] ? label_b : "B");
	n = att_utf8_fit(whole, len); /* never cut inside a character */
	memcpy(buf, whole, n);
	buf[n] = 0;
}

int att_practice_sessions_dir(const char *couple, char *buf, size_t len, char *why,
                              size_t why_len)
{
	char dir[3072], safe[512];

	if (data_home(dir, sizeof dir))
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "no place for sessions: set HOME or XDG_DATA_HOME, or give a path");
	couple = couple && couple[0] ? couple : "A & B";
	memcpy(safe, couple, att_utf8_fit(couple, sizeof safe));
	safe[att_utf8_fit(couple, sizeof safe)] = 0;
	for (char *s = safe; *s; s++)
		if (*s == '/' || (s == safe && *s == '.'))
			*s = '_';
	if (snprintf(buf, len, "%s/sessions/%s", dir, safe) >= (int)len)
		return att_fail(why, why_len, ATT_ERR_ARG, "path too long: %.300s", dir);
	return make_dirs(buf, why, why_len);
}

/* ---- opening ---- */

/* A file that exists must already be SQLite's: never let SQLite turn someone's file into a
 * database. An empty file holds nothing to lose. */
static int check_header(const char *path, char *why, size_t why_len)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0) {
		if (errno == ENOENT)
			return ATT_OK;
		return att_fail(why, why_len, att_err_from_errno(errno),
		                "cannot open the practice database %.300s: %s", path,
		                strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "%.300s is not a file; give --db the path of a database file", path);
	}
	got = read(fd, head, sizeof head);
	close(fd);
	if (st.st_size == 0)
		return ATT_OK;
	if (got != (ssize_t)sizeof head || memcmp(head, magic, sizeof magic))
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "%.300s is not an attune practice database (left as it is); move it "
		                "away or give --db another path",
		                path);
	return ATT_OK;
}

static int create_private(const char *path, char *why, size_t why_len)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash && slash != path) {
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		if ((rc = make_dirs(dir, why, why_len)))
			return rc;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return att_fail(why, why_len, att_err_from_errno(errno),
		                "cannot make the practice database %.300s: %s", path, strerror(errno));
	return ATT_OK;
}

static int pragma_int(struct att_practice *p, const char *sql, int *value, char *why,
                      size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(p, sql, &st, why, why_len);

	if (rc)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return att_practice_db_fail(p, why, why_len, "read it");
	}
	*value = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return ATT_OK;
}

/* Refuses another program's database and a newer attune's; *app = the file's application id. */
static int owner(struct att_practice *p, int *app, int *version, char *why, size_t why_len)
{
	int tables, rc;

	if ((rc = pragma_int(p, "PRAGMA application_id", app, why, why_len)) ||
	    (rc = pragma_int(p, "PRAGMA user_version", version, why, why_len)) ||
	    (rc = pragma_int(p, "SELECT count(*) FROM sqlite_master", &tables, why, why_len)))
		return rc;
	if (*app != APPLICATION_ID && (*app != 0 || tables > 0))
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "%.300s is another program's database (left as it is); move it away "
		                "or give --db another path",
		                p->path);
	if (*version > SCHEMA_VERSION)
		return att_fail(why, why_len, ATT_ERR_VERSION,
		                "%.300s was made by a newer attune (schema %d, this one knows %d): "
		                "update attune",
		                p->path, *version, SCHEMA_VERSION);
	return ATT_OK;
}

/* In one read transaction: another attune creating the file at this moment is seen before or
 * after its migration, never half-way (tables made, application_id not yet set: "another
 * program's database"; seen once with two importers starting together). */
static int check_owner(struct att_practice *p, char *why, size_t why_len)
{
	int app, version, rc;

	if ((rc = att_practice_exec(p, "BEGIN", why, why_len, "read it")))
		return rc;
	rc = owner(p, &app, &version, why, why_len);
	sqlite3_exec(p->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* WAL: readers never wait for a writer, writers queue on the busy timeout. Switching needs
 * the file to itself, which a second attune opening at the same moment may hold briefly. */
static int set_wal(struct att_practice *p, char *why, size_t why_len)
{
	for (int tries = 0;; tries++) {
		int rc = att_practice_exec(p, "PRAGMA journal_mode = WAL", why, why_len, "open it");
		if (rc != ATT_ERR_BUSY || tries >= BUSY_TIMEOUT_MS / 10)
			return rc;
		sqlite3_sleep(10);
	}
}

/* Brings the schema to SCHEMA_VERSION in one transaction; refuses foreign and newer files. */
static int migrate(struct att_practice *p, char *why, size_t why_len)
{
	int app, version, rc;

	if ((rc = att_practice_exec(p, "BEGIN IMMEDIATE", why, why_len, "lock it")))
		return rc;
	if ((rc = owner(p, &app, &version, why, why_len)))
		goto fail;
	for (; version < SCHEMA_VERSION; version++) {
		char sql[64];
		if ((rc = att_practice_exec(p, migrations[version], why, why_len, "update it")))
			goto fail;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
		if ((rc = att_practice_exec(p, sql, why, why_len, "update it")))
			goto fail;
	}
	if (app != APPLICATION_ID &&
	    (rc = att_practice_exec(p, "PRAGMA application_id = 1635021934", why, why_len,
	                            "update it")))
		goto fail;
	return att_practice_exec(p, "COMMIT", why, why_len, "update it");
fail:
	sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int att_practice_open(const char *path, struct att_practice **out, char *why, size_t why_len)
{
	struct att_practice *p;
	int rc;

	_Static_assert(APPLICATION_ID == 1635021934, "the pragma in migrate() spells it out");
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!path || !path[0])
		return att_fail(why, why_len, ATT_ERR_ARG, "no practice database path");
	if ((rc = check_header(path, why, why_len)) || (rc = create_private(path, why, why_len)))
		return rc;
	p = calloc(1, sizeof *p);
	if (!p || !(p->path = strdup(path))) {
		free(p);
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK) {
		rc = att_practice_db_fail(p, why, why_len, "open it");
		goto fail;
	}
	sqlite3_busy_timeout(p->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(p->db, 1);
	/* nothing is written before the file is known to be ours (or empty) */
	if ((rc = check_owner(p, why, why_len)) || (rc = set_wal(p, why, why_len)) ||
	    (rc = att_practice_exec(p,
	                            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	                            "PRAGMA secure_delete = ON;",
	                            why, why_len, "open it")) ||
	    (rc = migrate(p, why, why_len)))
		goto fail;
	*out = p;
	return ATT_OK;
fail:
	att_practice_free(p);
	return rc;
}

void att_practice_free(struct att_practice *p)
{
	if (!p)
		return;
	sqlite3_close(p->db);
	free(p->path);
	free(p);
}

/* ---- adding a session ---- */

static int sha256_file(const char *path, char hex[65])
{
	unsigned char md[32], buf[1 << 16];
	unsigned mdlen = 0;
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n;
	int ok = f && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

	while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
		ok = EVP_DigestUpdate(ctx, buf, n);
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
	for (unsigned i = 0; ok && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
	if (f)
		fclose(f);
	return ok ? ATT_OK : ATT_ERR_IO;
}

static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void bind_num(sqlite3_stmt *st, int col, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, col, v);
	else
		sqlite3_bind_null(st, col);
}

static const char *str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t parse_utc(const char *iso)
{
	struct tm tm = {0};
	const char *end = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	return end ? (int64_t)timegm(&tm) : -1;
}

static int64_t couple_id(struct att_practice *p, const char *a, const char *b, char *why,
                         size_t why_len)
{
	char name[600];
	sqlite3_stmt *st;
	int64_t id = -1;

	att_practice_couple_name(a, b, name, sizeof name);
	if (att_practice_prepare(p,
	                         "INSERT INTO couples(name, a, b, created_unix) VALUES(?1, ?2, ?3, "
	                         "?4) ON CONFLICT(name) DO UPDATE SET a = a RETURNING id",
	                         &st, why, why_len))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, b, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else
		att_practice_db_fail(p, why, why_len, "add the couple");
	sqlite3_finalize(st);
	return id;
}

/* A session's files beside its NAME.json, by absolute path, with their SHA-256 ("" = absent). */
struct session_files {
	char path[ATT_HISTORY_FILES][4200];
	char sha[ATT_HISTORY_FILES][65];
	const char *key; /* names the session: its uid, else the raw capture's hash, else ... */
};

static int hash_files(const char *json_path, const char *uid, struct session_files *f,
                      char *why, size_t why_len)
{
	char base[4096], *dot;

	memset(f, 0, sizeof *f);
	f->key = uid;
	if (!realpath(json_path, base))
		return att_fail(why, why_len, att_err_from_errno(errno), "cannot read %.300s: %s",
		                json_path, strerror(errno));
	dot = strrchr(base, '.');
	if (dot && !strchr(dot, '/'))
		*dot = 0;
	for (unsigned k = 0; k < ATT_HISTORY_FILES; k++) {
		snprintf(f->path[k], sizeof f->path[k], "%s.%s", base, att_practice_file_kinds[k]);
		if (sha256_file(f->path[k], f->sha[k]) != ATT_OK)
			f->sha[k][0] = 0; /* a session exported without its capture, say */
		if (!f->key && f->sha[k][0])
			f->key = f->sha[k];
	}
	if (!f->key)
		return att_fail(why, why_len, ATT_ERR_IO, "cannot read %.300s", json_path);
	return ATT_OK;
}

/* The session row; *id gets its id, returns 1 when inserted, 0 when it was there. */
static int insert_session(struct att_practice *p, int64_t cid, json_t *root, const char *text,
                          const char *key, int64_t *id, char *why, size_t why_len)
{
	json_t *s = json_object_get(root, "session"), *sync = json_object_get(root, "sync");
	json_t *a = json_object_get(root, "a"), *b = json_object_get(root, "b");
	json_t *res = json_object_get(root, "resonance");
	const char *start = str(s, "start_time");
	sqlite3_stmt *st;
	int rc, added;

	if ((rc = att_practice_prepare(
	             p,
	             "INSERT INTO sessions(couple_id, start_time, start_unix, samples, duration_s,"
	             " guide, match, matched_fraction, plv, a_breath_rate_bpm, b_breath_rate_bpm,"
	             " a_heart_rate_bpm, b_heart_rate_bpm, resonance_bpm, summary, added_unix, key)"
	             " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"
	             " ON CONFLICT DO NOTHING",
	             &st, why, why_len)))
		return rc;
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_text(st, 2, start, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, parse_utc(start));
	sqlite3_bind_int64(st, 4, (int64_t)num(s, "samples"));
	bind_num(st, 5, num(root, "duration_s"));
	if (str(s, "guide"))
		sqlite3_bind_text(st, 6, str(s, "guide"), -1, SQLITE_TRANSIENT);
	bind_num(st, 7, num(sync, "match"));
	bind_num(st, 8, num(sync, "matched_fraction"));
	bind_num(st, 9, num(sync, "plv"));
	bind_num(st, 10, num(a, "breath_rate_bpm"));
	bind_num(st, 11, num(b, "breath_rate_bpm"));
	bind_num(st, 12, num(a, "heart_rate_bpm"));
	bind_num(st, 13, num(b, "heart_rate_bpm"));
	bind_num(st, 14, num(res, "couple_bpm"));
	sqlite3_bind_text(st, 15, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 16, (int64_t)time(NULL));
	sqlite3_bind_text(st, 17, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return att_practice_db_fail(p, why, why_len, "add the session");
	added = sqlite3_changes(p->db) > 0;
	if (added) {
		*id = sqlite3_last_insert_rowid(p->db);
		return 1;
	}
	if ((rc = att_practice_prepare(p, "SELECT id FROM sessions WHERE key = ?1", &st, why,
	                               why_len)))
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st) == SQLITE_ROW ? ATT_OK : ATT_ERR_IO;
	*id = rc ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc ? att_practice_db_fail(p, why, why_len, "read it") : 0;
}

static int insert_phases(struct att_practice *p, int64_t id, json_t *phases, char *why,
                         size_t why_len)
{
	sqlite3_stmt *st;
	size_t i;
	json_t *ph;
	int rc;

	if (!json_is_array(phases) || !json_array_size(phases))
		return ATT_OK;
	if ((rc = att_practice_prepare(p,
	                               "INSERT INTO phases VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	                               &st, why, why_len)))
		return rc;
	json_array_foreach(phases, i, ph)
	{
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, str(ph, "name") ? str(ph, "name") : "", -1,
		                  SQLITE_TRANSIENT);
		bind_num(st, 4, num(ph, "start_s"));
		bind_num(st, 5, num(ph, "end_s"));
		bind_num(st, 6, num(ph, "pacer_bpm"));
		bind_num(st, 7, num(ph, "match"));
		bind_num(st, 8, num(ph, "matched_fraction"));
		bind_num(st, 9, num(ph, "plv"));
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = att_practice_db_fail(p, why, why_len, "add the session's phases");
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int insert_files(struct att_practice *p, int64_t id, const struct session_files *f,
                        char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = att_practice_prepare(p, "INSERT OR REPLACE INTO files VALUES(?1, ?2, ?3, ?4)",
	                               &st, why, why_len)))
		return rc;
	for (unsigned k = 0; k < ATT_HISTORY_FILES; k++) {
		if (!f->sha[k][0])
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, att_practice_file_kinds[k], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f->path[k], -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, f->sha[k], -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = att_practice_db_fail(p, why, why_len, "add the session's files");
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* NAME.json as attune writes it: a session object with a start time and both labels. */
static int read_session_json(const char *path, json_t **root, char **text, char *why,
                             size_t why_len)
{
	json_error_t err;
	json_t *s, *who;

	*text = NULL;
	*root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!*root)
		return att_fail(why, why_len,
		                access(path, R_OK) ? att_err_from_errno(errno) : ATT_ERR_FORMAT,
		                "cannot read %.300s: %s", path,
		                access(path, R_OK) ? strerror(errno) : err.text);
	s = json_object_get(*root, "session");
	who = json_object_get(s, "participants");
	if (!json_is_object(s) || !str(s, "start_time") || parse_utc(str(s, "start_time")) < 0 ||
	    !json_is_string(json_object_get(who, "a")) ||
	    !json_is_string(json_object_get(who, "b")) ||
	    !json_is_number(json_object_get(s, "samples"))) {
		json_decref(*root);
		*root = NULL;
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "%.300s is not the NAME.json of an attune recording (no session "
		                "start time, participants or samples)",
		                path);
	}
	/* the summary kept in the database leaves out the per-second timeline */
	json_t *copy = json_deep_copy(*root);
	json_object_del(copy, "timeline");
	*text = json_dumps(copy, JSON_COMPACT | JSON_REAL_PRECISION(9));
	json_decref(copy);
	if (!*text) {
		json_decref(*root);
		*root = NULL;
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	}
	return ATT_OK;
}

int att_practice_add_session(struct att_practice *p, const char *json_path, int64_t *id,
                             char *why, size_t why_len)
{
	json_t *root, *who;
	char *text;
	int64_t sid = 0, cid;
	int rc, added;
	struct session_files *f;

	if (id)
		*id = 0;
	if (!p || !json_path)
		return ATT_ERR_ARG;
	if ((rc = read_session_json(json_path, &root, &text, why, why_len)))
		return rc;
	/* hashing takes a while: before the write lock, so other attunes need not wait for it */
	f = malloc(sizeof *f);
	if (!f || (rc = hash_files(json_path, str(json_object_get(root, "session"), "uid"), f, why,
	                           why_len))) {
		rc = f ? rc : att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
		goto out;
	}
	who = json_object_get(json_object_get(root, "session"), "participants");
	if ((rc = att_practice_exec(p, "BEGIN IMMEDIATE", why, why_len, "add the session")))
		goto out;
	cid = couple_id(p, str(who, "a"), str(who, "b"), why, why_len);
	added = cid < 0 ? ATT_ERR_IO
	                : insert_session(p, cid, root, text, f->key, &sid, why, why_len);
	rc = added < 0 ? added : ATT_OK;
	if (added == 1 &&
	    ((rc = insert_phases(p, sid, json_object_get(root, "phases"), why, why_len)) ||
	     (rc = insert_files(p, sid, f, why, why_len))))
		added = rc;
	if (added < 0) {
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
		rc = added;
		goto out;
	}
	if ((rc = att_practice_exec(p, "COMMIT", why, why_len, "add the session")))
		goto out;
	if (id)
		*id = sid;
	rc = added;
out:
	free(f);
	free(text);
	json_decref(root);
	return rc;
}

int att_practice_latest_session(struct att_practice *p, const char *couple, int64_t *id,
                                char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(p,
	                              "SELECT s.id FROM sessions s JOIN couples c ON c.id ="
	                              " s.couple_id WHERE ?1 IS NULL OR c.name = ?1"
	                              " ORDER BY s.start_unix DESC, s.id DESC LIMIT 1",
	                              &st, why, why_len);
	if (rc)
		return rc;
	if (couple)
		sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK
	                                             : att_practice_db_fail(p, why, why_len, "read it");
}

int att_practice_journal_add(struct att_practice *p, int64_t session_id, int64_t t_unix,
                             const char *text, char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc;

	if (!text || !text[0] || !att_utf8_valid(text))
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "a journal entry needs some text (UTF-8)");
	if ((rc = att_practice_prepare(p,
	                               "INSERT INTO journal(session_id, t_unix, text) SELECT id, "
	                               "?2, ?3 FROM sessions WHERE id = ?1",
	                               &st, why, why_len)))
		return rc;
	sqlite3_bind_int64(st, 1, session_id);
	sqlite3_bind_int64(st, 2, t_unix);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return att_practice_db_fail(p, why, why_len, "add the journal entry");
	if (sqlite3_changes(p->db) == 0)
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "no session %lld in %.300s (attune history lists them)",
		                (long long)session_id, p->path);
	return ATT_OK;
}

static int remove_files(struct att_practice *p, const char *couple, char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(p,
	                              "SELECT f.path FROM files f JOIN sessions s ON s.id ="
	                              " f.session_id JOIN couples c ON c.id = s.couple_id"
	                              " WHERE c.name = ?1",
	                              &st, why, why_len);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		if (unlink(path) != 0 && errno != ENOENT) {
			rc = att_fail(why, why_len, att_err_from_errno(errno),
			              "cannot remove %.300s: %s (nothing was forgotten)", path,
			              strerror(errno));
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ATT_OK : att_practice_db_fail(p, why, why_len, "read it");
}

int att_practice_forget(struct att_practice *p, const char *couple, int files, char *why,
                        size_t why_len)
{
	sqlite3_stmt *st;
	int rc, n;

	if (!p || !couple)
		return ATT_ERR_ARG;
	if ((rc = att_practice_exec(p, "BEGIN IMMEDIATE", why, why_len, "forget")))
		return rc;
	if (files && (rc = remove_files(p, couple, why, why_len)))
		goto fail;
	if ((rc = att_practice_prepare(p,
	                               "SELECT count(*) FROM sessions s JOIN couples c ON c.id ="
	                               " s.couple_id WHERE c.name = ?1",
	                               &st, why, why_len)))
		goto fail;
	sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	/* ON DELETE CASCADE takes the sessions, their phases, files and journal with the couple */
	if ((rc = att_practice_prepare(p, "DELETE FROM couples WHERE name = ?1", &st, why,
	                               why_len)))
		goto fail;
	sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = att_practice_db_fail(p, why, why_len, "forget");
		goto fail;
	}
	if ((rc = att_practice_exec(p, "COMMIT", why, why_len, "forget")))
		goto fail;
	/* the WAL still holds the old pages until a checkpoint folds it into the zeroed file */
	sqlite3_wal_checkpoint_v2(p->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return n;
fail:
	sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int set_pseudo(struct att_practice *p, int64_t id, double match,
                            double matched_fraction, char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(p,
	                              "UPDATE sessions SET pseudo_match = ?2,"
	                              " pseudo_matched_fraction = ?3 WHERE id = ?1",
	                              &st, why, why_len);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_num(st, 2, match);
	bind_num(st, 3, matched_fraction);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ATT_OK
	                         : att_practice_db_fail(p, why, why_len, "store the baseline");
}

double att_practice_resonance_bpm(struct att_practice *p, const char *couple)
{
	sqlite3_stmt *st;
	double bpm = NAN;

	if (!p || !couple ||
	    att_practice_prepare(p,
	                         "SELECT s.resonance_bpm FROM sessions s JOIN couples c ON c.id ="
	                         " s.couple_id WHERE c.name = ?1 AND s.resonance_bpm IS NOT NULL"
	                         " ORDER BY s.start_unix DESC LIMIT 1",
	                         &st, NULL, 0))
		return NAN;
	sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		bpm = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return bpm;
}

static int strangers(struct att_practice *p, const char *couple, const char *guide,
                           size_t max, char ***paths, char *why, size_t why_len)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	*paths = calloc(max ? max : 1, sizeof **paths);
	if (!*paths)
		return att_fail(why, why_len, ATT_ERR_NOMEM, "out of memory");
	/* EDF+ before the raw capture: 'edf' < 'attraw' is false, so order by a rank */
	rc = att_practice_prepare(
	        p,
	        "SELECT (SELECT path FROM files f WHERE f.session_id = s.id AND f.kind IN"
	        " ('edf', 'attraw') ORDER BY f.kind = 'edf' DESC LIMIT 1) FROM sessions s"
	        " JOIN couples c ON c.id = s.couple_id WHERE c.name <> ?1 AND s.guide IS ?2"
	        " ORDER BY s.start_unix DESC LIMIT ?3",
	        &st, why, why_len);
	if (rc) {
		free(*paths);
		*paths = NULL;
		return rc;
	}
	sqlite3_bind_text(st, 1, couple, -1, SQLITE_TRANSIENT);
	if (guide)
		sqlite3_bind_text(st, 2, guide, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (int64_t)max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		if (path && !((*paths)[n] = strdup(path)))
			break;
		n += path != NULL;
	}
	sqlite3_finalize(st);
	return (int)n;
}

/* The couple, guide and own recording (EDF+, else raw capture) of session id. */
static int session_keys(struct att_practice *p, int64_t id, char **couple, char **guide,
                        char **own, char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc = att_practice_prepare(
	        p,
	        "SELECT c.name, s.guide, (SELECT path FROM files f WHERE f.session_id = s.id AND"
	        " f.kind IN ('edf', 'attraw') ORDER BY f.kind = 'edf' DESC LIMIT 1)"
	        " FROM sessions s JOIN couples c ON c.id = s.couple_id WHERE s.id = ?1",
	        &st, why, why_len);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	*couple = *guide = *own = NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return att_fail(why, why_len, ATT_ERR_ARG, "no session %lld in %.300s",
		                (long long)id, p->path);
	}
	for (int k = 0; k < 3; k++) {
		const unsigned char *v = sqlite3_column_text(st, k);
		char **slot = k == 0 ? couple : k == 1 ? guide : own;
		if (v && !(*slot = strdup((const char *)v)))
			rc = ATT_ERR_NOMEM;
	}
	sqlite3_finalize(st);
	return rc ? att_fail(why, why_len, rc, "out of memory") : ATT_OK;
}

int att_practice_update_pseudo(struct att_practice *p, int64_t id, char *why, size_t why_len)
{
	char *couple, *guide, *own, **paths = NULL;
	struct att_pseudo ps;
	int rc, n = 0;

	if (!p)
		return ATT_ERR_ARG;
	if ((rc = session_keys(p, id, &couple, &guide, &own, why, why_len)))
		return rc;
	if (!own) {
		rc = 0; /* its recording is not at hand */
		goto out;
	}
	n = strangers(p, couple, guide, ATT_PRACTICE_STRANGERS_MAX, &paths, why, why_len);
	if (n < 0) {
		rc = n;
		n = 0;
		goto out;
	}
	rc = n < ATT_PSEUDO_MIN_STRANGERS
	             ? ATT_ERR_NO_DATA
	             : att_pseudo_couple(own, (const char *const *)paths, (size_t)n, &ps, why,
	                                 why_len);
	if (rc == ATT_ERR_NO_DATA)
		rc = 0;
	else if (rc == ATT_OK && !(rc = set_pseudo(p, id, ps.match, ps.matched_fraction, why,
	                                          why_len)))
		rc = 1;
out:
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(couple);
	free(guide);
	free(own);
	return rc;
}
