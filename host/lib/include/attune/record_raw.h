/* Raw capture: the crash-safe session file (NAME.attraw) that alone is enough to rebuild every
 * other session file.
 *
 * Invariant: the file only ever grows by whole, checksummed records, so after a crash (kill -9,
 * power loss between flushes) everything up to the last complete record is intact and a torn
 * tail is detected by its checksum and ignored. The writer flushes (write(2) + fdatasync) whenever
 * asked; the recorder asks at least once a second.
 *
 * Format (all integers little-endian, written byte by byte):
 *   file header, 32 bytes: magic "ATTRAW\r\n" | u16 version (1) | u16 header size (32) |
 *                          16 reserved bytes (0) | u32 CRC-32 of bytes 0..27
 *   records:               u16 sync 0xA55A | u8 type | u8 0 | u32 payload length (<= 1 MiB) |
 *                          payload | u32 CRC-32 (IEEE) of type..payload
 *   record types:
 *     1 INFO     the device info frame fields (struct att_wire_info)
 *     2 META     i64 start wall clock (Unix ns) | i64 start CLOCK_MONOTONIC ns | str label A |
 *                str label B | str note            (str = u16 length + UTF-8 bytes)
 *     3 SAMPLES  u64 index of the first sample | u16 count | count x (i64 host_ns | u32 counter |
 *                u8 flags | 4 x u16 ADC counts)
 *     4 EVENT    u64 sample index (samples recorded before it) | i64 host_ns | u8 kind |
 *                f64 value (IEEE bits as u64) | str text
 *     5 END      u64 samples in the session | i64 host_ns      (a clean stop)
 * Unknown record types with a valid checksum are skipped, so later versions can add records.
 *
 * Threads: a writer is used by one thread at a time (the recorder's writer thread). Reading
 * functions are reentrant. Nothing here prints or exits. */
#ifndef ATT_RECORD_RAW_H
#define ATT_RECORD_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "attune/event.h"
#include "attune/wire.h"
#include "attune/err.h"
#include "attune/recording.h"
#include "attune/sample.h"

#define ATT_RAW_VERSION     1u
#define ATT_RAW_HEADER_SIZE 32u
#define ATT_RAW_MAX_PAYLOAD (1u << 20)
#define ATT_RAW_LABEL_MAX   256u /* bytes kept of a participant label, NUL included */
#define ATT_RAW_NOTE_MAX    256u /* bytes kept of the session note, NUL included */
/* bytes kept of an event's text, NUL included: the EVENT record holds a struct att_event's text */
#define ATT_RAW_TEXT_MAX    ATT_EVENT_TEXT_MAX

/* Session metadata, written once after the device info. */
struct att_raw_meta {
	int64_t start_unix_ns; /* wall clock at the start (CLOCK_REALTIME) */
	int64_t start_host_ns; /* CLOCK_MONOTONIC at the start; sample host_ns share this clock */
	char label_a[ATT_RAW_LABEL_MAX]; /* participant labels, e.g. "Anna"; may be empty */
	char label_b[ATT_RAW_LABEL_MAX];
	char note[ATT_RAW_NOTE_MAX]; /* free text from the therapist; may be empty */
};

/* A whole raw capture read back into memory. */
struct att_capture {
	struct att_wire_info info; /* the first device info of the file */
	struct att_raw_meta meta;
	struct att_sample *samples; /* in recording order */
	size_t n_samples;
	/* in recording order; sample_index counts the samples recorded before the event (gaps not
	 * included), t = sample_index / rate */
	struct att_event *events;
	size_t n_events;
	int clean_end; /* 1 when the file ends with an END record */
};

/* What a reader found, for `attune recover` to tell the user. */
struct att_raw_stats {
	uint64_t file_bytes;
	uint64_t good_bytes;    /* bytes in the header and valid records */
	uint64_t ignored_bytes; /* damaged or torn bytes skipped */
	uint64_t records;       /* valid records */
	uint64_t bad_regions;   /* stretches of damaged bytes (1 for a torn tail) */
	int torn_tail;          /* the file ends inside a record (typical after a crash) */
	int rate_changed;       /* a later INFO record had another rate (treated as the first) */
	int header_damaged;     /* the file header was damaged: records were found without it */
	uint64_t duplicate_samples; /* samples in repeated or overlapping records, left out */
};

struct att_raw_writer;

struct att_raw_writer_cfg {
	const char *path;                 /* borrowed for the call; the file must not exist */
	const struct att_wire_info *info; /* borrowed for the call */
	const struct att_raw_meta *meta;  /* borrowed for the call */
};

/* Creates the file (O_EXCL: an existing session is never overwritten), writes the header, the
 * INFO and META records and fdatasyncs, so an unwritable directory or a full disk is reported
 * here. *out is set to NULL first; caller frees with att_raw_writer_close() or _free().
 * Errors: ATT_ERR_ARG, ATT_ERR_NOMEM, ATT_ERR_PERMISSION (directory not writable),
 * ATT_ERR_IO (no such directory, file exists, other I/O), ATT_ERR_DISK_FULL; errno then holds
 * the system's cause (EEXIST, ENOENT, EROFS, ...). */
int att_raw_writer_new(const struct att_raw_writer_cfg *cfg, struct att_raw_writer **out);

/* Appends n samples. Buffers in memory (no allocation); writes whole records with write(2) when
 * the buffer fills. Errors are sticky: after the first failure every call returns it and the
 * file keeps only whole records. ATT_ERR_IO, ATT_ERR_DISK_FULL. */
int att_raw_writer_samples(struct att_raw_writer *w, const struct att_sample *s, size_t n);

/* Appends an event (kind ATT_EV_MARKER..ATT_EV_NOTE; gaps are not stored, readers find them)
 * placed after the samples appended so far: its kind, host_ns, value and text are stored, its t
 * and sample_index are the writer's. */
int att_raw_writer_event(struct att_raw_writer *w, const struct att_event *ev);

/* A new device info (after a reconnect). */
int att_raw_writer_info(struct att_raw_writer *w, const struct att_wire_info *info);

/* Writes everything buffered and fdatasyncs: after it returns ATT_OK the data survives a crash. */
int att_raw_writer_flush(struct att_raw_writer *w);

/* Samples appended so far. */
uint64_t att_raw_writer_count(const struct att_raw_writer *w);

/* The sticky error, ATT_OK while all is well. */
int att_raw_writer_error(const struct att_raw_writer *w);

/* Appends the END record, flushes, closes and frees (also on error). Returns the first error met
 * during the whole session, ATT_OK when every sample is safely on disk. NULL is a no-op. */
int att_raw_writer_close(struct att_raw_writer *w, int64_t host_ns);

/* Closes without an END record (what a crash leaves; for tests), flushing what is buffered. */
void att_raw_writer_free(struct att_raw_writer *w);

/* Reads a raw capture. Damaged or torn records are skipped (counted in *stats, which may be
 * NULL); the file is refused only when it is not a raw capture at all or holds no INFO/META.
 * *out is set to NULL first; caller frees with att_capture_free(). On an error writes one line a
 * user can act on into why (may be NULL), without the path (callers prefix it). ATT_ERR_IO, ATT_ERR_FORMAT, ATT_ERR_NOMEM. */
int att_raw_read(const char *path, struct att_capture **out, struct att_raw_stats *stats, char *why,
                 size_t why_len);

/* The same from memory (buf borrowed for the call): the fuzz target's entry point. */
int att_raw_parse(const uint8_t *buf, size_t len, struct att_capture **out,
                  struct att_raw_stats *stats, char *why, size_t why_len);

/* 1 when the first bytes of buf are the raw capture magic. */
int att_raw_is_capture(const uint8_t *buf, size_t len);

/* NULL is a no-op. */
void att_capture_free(struct att_capture *s);

/* The session on a uniform time grid, as EDF and CSV need it: index k is time k / rate_hz.
 * Missing samples (counter jumps, reconnects) are filled by holding the previous value and
 * marked; gaps longer than max_gap_s (estimated from host_ns when the counter restarted) are
 * cut to it so a bad clock cannot blow up the file. */
struct att_grid {
	double rate_hz;
	size_t n;
	uint16_t *ch[ATT_WIRE_CHANNELS]; /* ADC counts */
	uint8_t *filled;                 /* 1 where the value was filled in, not measured */
	/* the session's events plus one ATT_EV_GAP per gap (at the gap's first filled sample), in
	 * time order; t = event_at / rate_hz (sample_index stays the capture's) */
	struct att_event *events;
	size_t n_events;
	size_t *event_at; /* grid index of each event */
	uint64_t samples_filled;
};

/* Builds the grid. *out is set to NULL first; caller frees with att_grid_free().
 * ATT_ERR_ARG (no rate), ATT_ERR_NO_DATA (no samples), ATT_ERR_NOMEM. */
int att_grid_new(const struct att_capture *s, double max_gap_s, struct att_grid **out);
void att_grid_free(struct att_grid *g);

/* Longest hole the session files keep: longer ones are cut to an hour (a bad clock, not a
 * pause). */
#define ATT_GRID_MAX_GAP_S 3600.0

/* The grid g of s as a recording (both borrowed): ADC counts as floats, filled samples flagged,
 * the grid's events (sample_index = grid index, t = its time), the capture's start, labels and
 * note, frames_lost = samples filled. *out is set to NULL first; caller frees with
 * att_recording_free(). ATT_ERR_ARG, ATT_ERR_NOMEM. */
int att_grid_to_recording(const struct att_capture *s, const struct att_grid *g,
                          struct att_recording **out);

/* The same on the grid att_grid_new(s, ATT_GRID_MAX_GAP_S) builds: the session exactly as its
 * EDF and CSV hold it. Also ATT_ERR_NO_DATA (no samples). */
int att_capture_to_recording(const struct att_capture *s, struct att_recording **out);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of len bytes, continuing from crc (0 to start). */
uint32_t att_crc32(uint32_t crc, const uint8_t *p, size_t len);

#endif
