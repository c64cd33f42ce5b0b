/* Session recorder: samples and events in from the acquisition side, a crash-safe raw capture on
 * disk while the session runs.
 *
 * While running: NAME.attraw grows; a writer thread drains an SPSC ring (ring.h) fed by
 * att_recorder_push()/att_recorder_event() and flushes the capture to disk (write + fdatasync)
 * every flush interval (at most 1 s), so a crash loses at most that much. After stop, the caller
 * rebuilds NAME.edf, NAME.csv, NAME.json (and NAME.timeline.csv) from the capture with
 * att_export_capture() (export.h, offline), the same code `attune recover` runs: the recorder
 * itself stays below offline analysis.
 *
 * Invariant: every file the recorder leaves is complete or absent (raw capture: whole records;
 * others: written to a private temporary and renamed). A disk error mid-session stops the recorder (its
 * status says why); what reached the disk stays readable.
 *
 * Threads: att_recorder_push() and att_recorder_event() from one producer thread (never block,
 * never allocate, never lock); att_recorder_status() from any thread; new/stop/free from one
 * control thread. */
#ifndef ATT_RECORDER_H
#define ATT_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "attune/wire.h"
#include "attune/err.h"
#include "attune/record_raw.h"
#include "attune/recording.h"
#include "attune/sample.h"

#define ATT_RECORDER_PATH_MAX 4096u

struct att_recorder;

struct att_recorder_cfg {
	const char *base;          /* "DIR/NAME", borrowed for the call; files NAME.attraw etc. */
	struct att_wire_info info; /* the device's info frame */
	struct att_raw_meta meta;  /* start times 0 = now */
	double flush_interval_s;   /* 0 = 0.5 s; capped at 1 s */
	size_t ring_capacity;      /* items (power of two); 0 = 16384 (65 s at 250 Hz) */
};

struct att_recorder_status {
	int err;                 /* first error (enum att_err), ATT_OK while recording is healthy */
	int running;             /* 0 once stopped or failed */
	uint64_t samples_pushed; /* accepted by att_recorder_push() */
	uint64_t samples_durable; /* on disk and fdatasynced */
	uint64_t dropped;         /* samples and events refused because the ring was full */
};

/* Creates NAME.attraw (refusing to overwrite a session), writes its header and starts the writer
 * thread. An unwritable directory or a full disk is reported here: ATT_ERR_PERMISSION,
 * ATT_ERR_IO (no such directory, NAME.attraw exists), ATT_ERR_DISK_FULL; also ATT_ERR_ARG,
 * ATT_ERR_NOMEM. why (may be NULL) gets one line naming the file. *out is set to NULL first;
 * caller ends with att_recorder_stop() and frees with att_recorder_free(). */
int att_recorder_new(const struct att_recorder_cfg *cfg, struct att_recorder **out, char *why,
                     size_t why_len);

/* Producer thread: queues n samples. Returns ATT_OK, or the recorder's error once it failed (the
 * samples are then not recorded). Samples that do not fit the ring are counted as dropped. */
int att_recorder_push(struct att_recorder *r, const struct att_sample *s, size_t n);

/* Producer thread: queues a copy of an event (ATT_EV_MARKER, _RECONNECT, _PACER, _NOTE) placed
 * after the samples pushed so far (its t and sample_index are the capture's, not ev's). */
int att_recorder_put_event(struct att_recorder *r, const struct att_event *ev);

/* The same from its fields; text (may be NULL) is cut as att_event_set_text() does. */
int att_recorder_event(struct att_recorder *r, uint8_t kind, int64_t host_ns, double value,
                       const char *text);

/* Producer thread: the device sent a new info frame (after a reconnect). */
int att_recorder_info(struct att_recorder *r, const struct att_wire_info *info);

/* Any thread. */
void att_recorder_status(const struct att_recorder *r, struct att_recorder_status *out);

/* Control thread: stops the writer thread after it wrote everything queued and closes the
 * capture with its END record. Returns the first error of the session with one line in why.
 * Call once. The session files are a separate step: att_export_capture() (export.h) with the
 * same base, also after an error (what reached the disk is worth keeping). */
int att_recorder_stop(struct att_recorder *r, char *why, size_t why_len);

/* Stops the thread if still running and frees; NULL is a no-op. */
void att_recorder_free(struct att_recorder *r);

#endif
