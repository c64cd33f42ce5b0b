/* What practice.c and history.c share about the database; not a public header. */
#ifndef ATT_PRACTICE_DB_H
#define ATT_PRACTICE_DB_H

#include <sqlite3.h>

#include "attune/practice.h"

struct att_practice {
	sqlite3 *db;
	char *path;
};

/* files.kind of each slot of att_history_session.files */
extern const char *const att_practice_file_kinds[ATT_HISTORY_FILES];

/* One line into why naming the database, what was being done and SQLite's word; the error
 * code follows SQLite's (busy, full, damaged, read-only). */
int att_practice_db_fail(struct att_practice *p, char *why, size_t why_len, const char *doing);
int att_practice_exec(struct att_practice *p, const char *sql, char *why, size_t why_len,
                      const char *doing);
int att_practice_prepare(struct att_practice *p, const char *sql, sqlite3_stmt **st, char *why,
                         size_t why_len);

#endif
