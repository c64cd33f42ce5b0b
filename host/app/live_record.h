/* Recording a live session: the recorder sink (samples and events into att_recorder, which
 * writes the crash-safe raw capture on its own thread) and the start/stop control behind the r
 * key and --record. Stopping hands the recorder to a worker thread that closes it and writes the
 * session files while the view keeps drawing; at most one save runs at a time (EDFlib exports
 * one file per process at a time), a stop asked for meanwhile follows it.
 *
 * "A session ended" is said in one place: att_live_record_poll() reports each finished save
 * (files written or why not) to the caller's on_saved hook.
 *
 * Threads: everything on the main thread, except the worker inside. */
#ifndef ATT_LIVE_RECORD_H
#define ATT_LIVE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "attune/recorder.h"
#include "attune/session.h"

struct att_live_record;

struct att_live_record_cfg {
	/* DIR/NAME of the first recording; NULL = DATE-TIME in the couple's sessions folder
	 * (practice.h) */
	const char *base;
	const char *db; /* practice database each saved session joins (NULL = the default) */
	int force;                   /* replace an existing session of that name (--force) */
	const char *name_a, *name_b; /* participant labels (borrowed for the recorder's life) */
	/* each finished save: ok = the files were written; line says what (saved ... / why not) */
	void (*on_saved)(void *ctx, int ok, const char *base, const char *line);
	void *ctx;
};

int att_live_record_new(const struct att_live_record_cfg *cfg, struct att_live_record **out);
/* Waits for a running save, then frees; NULL is a no-op. */
void att_live_record_free(struct att_live_record *r);

/* The sink to add to the session (ctx = the att_live_record; it stays the caller's). */
extern const struct att_sink att_live_record_sink;

/* Starts a recording (NAME, then NAME-2, ...), its first event the pacer's state (bpm, 0 = off,
 * < 0 = no pacer in this session: no event).
 * One line in why on failure. */
int att_live_record_start(struct att_live_record *r, struct att_session *s, double pacer_bpm,
                          char *why, size_t why_len);
/* Stops the running recording (the save follows in the background). 1 when a stop was queued
 * behind a save still running, 0 otherwise. */
int att_live_record_stop(struct att_live_record *r);
/* Collects a finished save (wait: block until none runs). 1 while a save still runs. */
int att_live_record_poll(struct att_live_record *r, int wait);

int att_live_record_on(const struct att_live_record *r);           /* a recording runs */
int att_live_record_saving(const struct att_live_record *r);       /* a save runs */
const char *att_live_record_base(const struct att_live_record *r); /* the current/last NAME */
/* The practice history's id of the last session saved; 0 when none joined it. */
int64_t att_live_record_session_id(const struct att_live_record *r);
int att_live_record_failed(const struct att_live_record *r);       /* a save or write failed */
/* What the last recording stopped on by itself (disk full), or NULL; cleared by reading. */
const char *att_live_record_problem(struct att_live_record *r);
/* The longest save so far and how many were made, for --stats. */
void att_live_record_save_stats(const struct att_live_record *r, unsigned long *saves,
                                double *ms_max);

#endif
