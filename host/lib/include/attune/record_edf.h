/* EDF+ session files through Debian's EDFlib: writing a session (EDF+C, continuous) and reading
 * any EDF/EDF+ file back as a struct att_recording.
 *
 * Layout written: 1 s data records; the four raw channels "Resp A", "PPG A", "Resp B", "PPG B" at
 * the device rate, stored as the ADC counts (digital 0 .. 2^bits - 1) with physical values in mV
 * (0 .. vref * (2^bits - 1) / 2^bits); optional derived channels at 1 Hz (see att_edf_derived).
 * EDF+C has no holes in time, so samples missing in a gap hold the last value and an annotation
 * "gap N samples" marks them; the last data record is padded the same way and annotated
 * "end padding N samples". Markers, reconnects and pacer changes become annotations. Participant
 * labels go to the patient name ("A_<label>,B_<label>", EDF forbids spaces there), the note to
 * the recording's additional field, "attune <version>, firmware x.y.z" to the equipment field.
 *
 * Invariant: a file at `path` is always complete. The writer writes a private temporary beside
 * `path` (private_file.h), fsyncs it and renames it over `path` only after EDFlib closed it
 * without error.
 *
 * Threads: EDFlib keeps a process-wide table of open files and is not thread-safe when opening
 * or closing; call att_edf_* from one thread at a time in the process. */
#ifndef ATT_RECORD_EDF_H
#define ATT_RECORD_EDF_H

#include <stddef.h>

#include "attune/err.h"
#include "attune/record_raw.h"
#include "attune/recording.h"

#define ATT_EDF_DERIVED_MAX 8u

/* A derived channel at 1 Hz: value k covers seconds [k, k + 1). NAN (cannot be computed) is
 * stored as the digital minimum, whose physical value (phys_min) lies outside the valid range;
 * the channel's prefilter field says so ("NaN=<phys_min>"). */
struct att_edf_derived_signal {
	const char *label; /* up to 16 characters, e.g. "Match" */
	const char *unit;  /* up to 8 characters, e.g. "bpm"; "" for none */
	double lo, hi;     /* valid physical range */
	const float *v;    /* n values, borrowed for the call */
};

struct att_edf_derived {
	size_t n;         /* values per signal (seconds) */
	size_t n_signals; /* <= ATT_EDF_DERIVED_MAX */
	struct att_edf_derived_signal sig[ATT_EDF_DERIVED_MAX];
};

/* Writes the session's grid (built by att_grid_new from s) to path as EDF+C; derived may be NULL.
 * All arguments are borrowed for the call. On failure nothing is left at path (nor its temporary) and
 * why (may be NULL) holds one line: ATT_ERR_ARG, ATT_ERR_NO_DATA (no samples), ATT_ERR_IO,
 * ATT_ERR_PERMISSION, ATT_ERR_DISK_FULL. */
int att_edf_write(const char *path, const struct att_capture *s, const struct att_grid *g,
                  const struct att_edf_derived *derived, char *why, size_t why_len);

/* An EDF/EDF+ file read back. Channels are found by label: attune's own ("Resp A", "PPG A",
 * "Resp B", "PPG B"), else the first two signals whose label contains "resp" (A, then B) and the
 * first two containing "ppg" or "pleth". All used signals must share one sample rate. Values are
 * the stored digital values, which for attune files are the ADC counts, exactly as in the CSV
 * (analysis does not depend on scale or offset). The time of the first sample is t0 = 0.
 * *out is set to NULL first; caller frees with att_recording_free(). On failure why holds one
 * line without the path (callers prefix it, as for att_csv_read): ATT_ERR_IO (missing, unreadable), ATT_ERR_FORMAT (not EDF, damaged or truncated, no two
 * respiration channels, mixed rates, discontinuous EDF+D), ATT_ERR_NOMEM. */
int att_edf_read(const char *path, struct att_recording **out, char *why, size_t why_len);

#endif
