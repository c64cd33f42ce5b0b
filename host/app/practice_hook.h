/* The practice database as the program uses it: which file (--db, ATTUNE_DB, the default) and
 * the session-end hook, the one place a recorded session joins the history (live, demo, replay
 * and record when they record, recover).
 *
 * Threads: any (each call opens its own connection). */
#ifndef ATT_PRACTICE_HOOK_H
#define ATT_PRACTICE_HOOK_H

#include <stddef.h>
#include <stdint.h>

/* The database path: given (--db) when not NULL, else practice.h's default. 0, or -1 with one
 * line on stderr naming cmd. */
int att_app_db_path(const char *cmd, const char *given, char *buf, size_t len);

/* Adds the session whose files are at base (BASE.json written) to the database at db (NULL =
 * the default) and computes its pseudo-couple baseline. Returns the session's id, or 0 with
 * what went wrong in line ("not in the practice history: ..."): the session's files are kept
 * either way. */
int64_t att_app_session_ended(const char *db, const char *base, char *line, size_t len);

/* Where a session of couple recorded without a path goes: YYYY-mm-dd-HHMM (local time) in the
 * couple's sessions folder (made 0700 when absent), the first name whose files are all absent.
 * ATT_OK, or an error with one line in why. */
int att_app_session_base(const char *couple, char *base, size_t len, char *why, size_t why_len);

/* Now, for the history's calendar: $ATTUNE_NOW (Unix seconds or YYYY-MM-DDTHH:MM:SSZ; tests
 * set the day) else the clock. */
int64_t att_app_now(void);

#endif
