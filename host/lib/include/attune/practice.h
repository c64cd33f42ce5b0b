/* The practice database: one SQLite file holding couples (or a therapist's clients), their
 * recorded sessions with the figures of each session's NAME.json, per-phase results, the session
 * files' paths and SHA-256, and journal entries, so progress can be seen across weeks.
 *
 * Invariants: the file is private (0600, its folder 0700); a file that is not an attune database
 * (corrupt, another program's, a newer schema) is never written: opening it fails with one line.
 * WAL journal with a busy timeout, so several attune processes may add sessions at once; every
 * change is one transaction, so a crash leaves the database as it was before or after it.
 * A session is known by its couple, start time and sample count: adding it again is a no-op.
 *
 * Threads: one struct att_practice per thread. Nothing here prints. */
#ifndef ATT_PRACTICE_H
#define ATT_PRACTICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attune/err.h"

struct att_practice;

/* The database path when none is given: $ATTUNE_DB, else $XDG_DATA_HOME/attune/attune.db, else
 * $HOME/.local/share/attune/attune.db. ATT_ERR_ARG when neither HOME nor XDG_DATA_HOME is set or
 * the path does not fit in len. */
int att_practice_default_path(char *buf, size_t len);

/* The folder sessions of couple are recorded into when no path is given:
 * $XDG_DATA_HOME/attune/sessions/COUPLE (HOME as above), with '/' and a leading '.' in the
 * couple's name replaced. Creates it (0700) with its parents. ATT_ERR_ARG, ATT_ERR_IO,
 * ATT_ERR_PERMISSION with one line in why. */
int att_practice_sessions_dir(const char *couple, char *buf, size_t len, char *why,
                              size_t why_len);

/* "Ann & Ben" from the partners' labels (empty labels read as A and B). */
void att_practice_couple_name(const char *label_a, const char *label_b, char *buf, size_t len);

/* Opens (creating it and its folder when absent) the database at path; *out is set to NULL
 * first; caller frees with att_practice_free(). ATT_ERR_FORMAT (not an attune database, or
 * damaged), ATT_ERR_VERSION (made by a newer attune), ATT_ERR_PERMISSION, ATT_ERR_IO with one
 * line in why naming the file. */
int att_practice_open(const char *path, struct att_practice **out, char *why, size_t why_len);
/* NULL is a no-op. */
void att_practice_free(struct att_practice *p);

/* Adds the session whose NAME.json is at json_path (its sibling NAME.attraw, .edf, .csv are
 * hashed when present). *id gets its id (may be NULL); returns 1 when added, 0 when it was
 * already there, or an error with one line in why: ATT_ERR_IO (unreadable), ATT_ERR_FORMAT (not a
 * session JSON of attune), ATT_ERR_BUSY (the database stayed locked), ATT_ERR_NOMEM. */
int att_practice_add_session(struct att_practice *p, const char *json_path, int64_t *id,
                             char *why, size_t why_len);

/* The latest session (by start time), of couple when not NULL: *id = 0 when there is none. */
int att_practice_latest_session(struct att_practice *p, const char *couple, int64_t *id,
                                char *why, size_t why_len);

/* Adds a journal entry (UTF-8, checked) to session id at unix time t_unix. ATT_ERR_ARG (no
 * such session, empty or invalid text). */
int att_practice_journal_add(struct att_practice *p, int64_t session_id, int64_t t_unix,
                             const char *text, char *why, size_t why_len);

/* Removes every row of couple (its sessions, their phases and journal, the couple) and, when
 * files is set, the session files listed for it. Returns the number of sessions removed
 * (0 when the couple is unknown) or an error with one line in why. Freed pages are zeroed
 * (secure_delete), so the health data does not linger in the file. */
int att_practice_forget(struct att_practice *p, const char *couple, int files, char *why,
                        size_t why_len);

/* The couples, the most recently practising first: names and partner labels. *out is set to
 * NULL first; caller frees with att_practice_couples_free(). Returns the count. */
struct att_practice_couple {
	char *name, *a, *b;
};
int att_practice_couples(struct att_practice *p, struct att_practice_couple **out, char *why,
                         size_t why_len);
void att_practice_couples_free(struct att_practice_couple *c, size_t n);

/* ---- reading the history ---- */

#define ATT_HISTORY_FILES 4 /* attraw, edf, csv, json */

struct att_history_journal {
	int64_t session_id;
	int64_t t_unix;
	char *text; /* owned by the history */
};

struct att_history_session {
	int64_t id;
	char *couple, *start_time, *guide; /* guide NULL when none; owned by the history */
	int64_t start_unix;
	double duration_s, match, matched_fraction, plv; /* NAN = unknown */
	double a_breath_rate_bpm, b_breath_rate_bpm, a_heart_rate_bpm, b_heart_rate_bpm;
	double resonance_bpm;                    /* the couple's rate from a resonance check */
	double pseudo_match, pseudo_matched_fraction; /* partners who never met (pseudo.h) */
	char *files[ATT_HISTORY_FILES];           /* absolute paths; NULL when absent */
};

struct att_history_week {
	char week[16]; /* ISO week of local time, "2026-W49" */
	size_t sessions;
	double minutes, match, matched_fraction; /* match = median of the sessions'; fraction
	                                            weighted by duration; NAN = unknown */
};

struct att_history {
	char **couples; /* names, sorted */
	size_t n_couples;
	struct att_history_session *sessions; /* oldest first */
	size_t n_sessions;
	struct att_history_week *weeks; /* oldest first; only weeks with sessions */
	size_t n_weeks;
	struct att_history_journal *journal; /* oldest first */
	size_t n_journal;
	int streak_days; /* consecutive days with a session, up to today (or yesterday: today is
	                    not over) */
};

/* The history of couple (NULL = every couple) as it stands at unix time now (for the streak
 * and the local calendar). *out is set to NULL first; caller frees with att_history_free().
 * Returns 0 with an empty history for an unknown couple. */
int att_practice_history(struct att_practice *p, const char *couple, int64_t now,
                         struct att_history **out, char *why, size_t why_len);
void att_history_free(struct att_history *h);

/* Writes h as the README's history JSON, one object and a newline. ATT_ERR_IO. */
int att_history_write_json(const struct att_history *h, FILE *out, int indent);

/* Computes and stores session id's pseudo-couple baseline (pseudo.h) from the database's other
 * couples' sessions of the same guide (the most recent ATT_PRACTICE_STRANGERS_MAX). Returns 1
 * when stored, 0 when there are too few strangers (the baseline stays unknown), or an error
 * with one line in why. Reads the session files: seconds per hour of recording. */
#define ATT_PRACTICE_STRANGERS_MAX 8
int att_practice_update_pseudo(struct att_practice *p, int64_t id, char *why, size_t why_len);

/* The couple's resonance rate (breaths/min) from its latest resonance check; NAN when none. */
double att_practice_resonance_bpm(struct att_practice *p, const char *couple);

#endif
