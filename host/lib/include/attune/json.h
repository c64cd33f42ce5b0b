/* A small streaming JSON writer: analyze's report and the live view's JSON-lines snapshots.
 *
 * Values are written straight to a caller's stdio stream as they come, so a long timeline never
 * sits in memory twice. The writer tracks nesting (up to ATT_JSON_MAX_DEPTH) to place commas
 * and keys; invariant: what reaches the stream is always a prefix of valid JSON, and a misuse
 * (a key inside an array, a missing key inside an object, closing the wrong container) is
 * refused and remembered rather than written. Non-finite numbers (NAN, inf) are written as null,
 * since JSON has no spelling for them and "cannot be computed" is what they mean here.
 *
 * Threads: one writer is used by one thread at a time. After att_json_new() nothing allocates,
 * so a writer can serve a loop (e.g. one snapshot line per tick) without touching the heap;
 * stdio's own buffering is the caller's concern. */
#ifndef ATT_JSON_H
#define ATT_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "attune/err.h"

#define ATT_JSON_MAX_DEPTH 16

struct att_json;

struct att_json_cfg {
	FILE *out;  /* borrowed: must stay open until att_json_free(); the writer never closes it */
	int indent; /* spaces per level for pretty output; 0 = compact, one line (JSON lines) */
	int digits; /* significant digits of numbers; 0 = default (9: enough for floats) */
};

/* *out is set to NULL first; caller frees with att_json_free(). ATT_ERR_ARG without a stream,
 * ATT_ERR_NOMEM. */
int att_json_new(const struct att_json_cfg *cfg, struct att_json **out);
/* NULL is a no-op. Does not close or flush the stream. */
void att_json_free(struct att_json *json);

/* In each call `key` names the member inside an object and must be NULL inside an array or at
 * the top level. Every call returns ATT_OK, ATT_ERR_ARG on misuse (nothing written) or
 * ATT_ERR_IO when the stream failed; once an error happened every later call returns it. */
int att_json_object_begin(struct att_json *json, const char *key);
int att_json_object_end(struct att_json *json);
int att_json_array_begin(struct att_json *json, const char *key);
int att_json_array_end(struct att_json *json);
/* A number; NAN and infinities become null. */
int att_json_number(struct att_json *json, const char *key, double value);
int att_json_int(struct att_json *json, const char *key, int64_t value);
int att_json_uint(struct att_json *json, const char *key, uint64_t value);
int att_json_bool(struct att_json *json, const char *key, int value);
int att_json_null(struct att_json *json, const char *key);
/* A string, escaped as JSON requires (quotes, backslashes, control characters); NULL is null.
 * Bytes >= 0x80 pass through unchanged, so UTF-8 stays UTF-8. */
int att_json_string(struct att_json *json, const char *key, const char *value);

/* Ends a top-level value: writes a newline so that compact output forms JSON lines. Returns
 * ATT_ERR_ARG if a container is still open, otherwise the writer's error state. Also clears
 * the "value written" state so the next top-level value may start. */
int att_json_end_line(struct att_json *json);

/* Changes the indentation from the next value on (0 = compact), e.g. to keep each row of a long
 * array on one line inside pretty output. ATT_ERR_ARG outside 0..16. */
int att_json_set_indent(struct att_json *json, int indent);

/* The first error met so far (ATT_OK if none). */
int att_json_error(const struct att_json *json);

#endif
